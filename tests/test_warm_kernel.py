"""Warm kernels (labs.grading.warm_kernel): the same grades as cold kernels, one warm process per submission, nothing left.

The protocol test runs the warm process unsandboxed (it needs no root); the grading test runs it as grading does,
in the sandbox, with a two-notebook copy of the tiny lab.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from labs.course import Course, release
from labs.grading import pipeline as grading
from labs.grading import warm_kernel
from labs.grading.sandbox import WARM_VARIABLE
from tests.tinylab import GOOD_DOUBLE, LAB, NOTEBOOK, WRONG_SQUARE, make_course, submit

pytestmark = pytest.mark.xdist_group("warm-kernel")


def test_a_directory_made_again_gets_another_warm_process(tmp_path):
    work = tmp_path / "autograded" / "alice" / "lab01"
    work.mkdir(parents=True)
    first = warm_kernel.socket_path(str(tmp_path), str(work))
    assert warm_kernel.socket_path(str(tmp_path), str(work)) == first
    other = tmp_path / "autograded" / "bob" / "lab01"
    other.mkdir(parents=True)
    assert warm_kernel.socket_path(str(tmp_path), str(other)) != first


def _request(path: str, request: dict) -> tuple[socket.socket, dict]:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(60)
    connection.connect(path)
    connection.sendall(json.dumps(request).encode() + b"\n")
    return connection, json.loads(warm_kernel._read_line(connection))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too (its parent has not collected it yet)
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"within {seconds} s: {what}")
        time.sleep(0.05)


@pytest.mark.slow
def test_the_warm_process_forks_preloaded_kernels_and_kills_orphans(tmp_path):
    from jupyter_client import BlockingKernelClient
    from jupyter_client.connect import write_connection_file

    path, server = _serve(tmp_path, "work")
    try:
        environment = warm_kernel.passed_environment()

        _, refused = _request(path, {"connection_file": "x", "args": [], "log": str(tmp_path / "k0.log"),
                                     "env": {**environment, "LABS_SEED": "elsewhere"}})
        assert "refused" in refused  # started with other variables: the launcher would start a cold kernel

        connection_file, _ = write_connection_file(str(tmp_path / "kernel.json"), ip="127.0.0.1")
        launcher, started = _request(path, {"connection_file": connection_file, "args": [],
                                            "log": str(tmp_path / "k1.log"), "env": environment})
        pid = started["pid"]
        client = BlockingKernelClient(connection_file=connection_file)
        client.load_connection_file()
        client.start_channels(hb=False)  # (a heartbeat missed on a busy machine would read as a dead kernel)
        try:
            # jupyter_client's own wait: kernel_info until IOPub answers too. (A reply on the shell channel alone does
            # not mean the IOPub subscription is up; on a busy machine the execution's output was published before
            # it was, and execute_interactive waited for output that had gone.)
            client.wait_for_ready(timeout=120)
            printed = []
            reply = client.execute_interactive("import sys\nprint('torch' in sys.modules)", timeout=120,
                                               output_hook=lambda m: printed.append(m["content"].get("text", "")))
            assert reply["content"]["status"] == "ok"
            assert "".join(printed).strip() == "True"  # preloaded in the warm process, before the kernel was forked
        finally:
            client.stop_channels()
        assert _alive(pid)
        launcher.close()  # jupyter_client killed the launcher: the warm process kills its kernel
        _wait_until(lambda: not _alive(pid), 10, "the orphaned kernel is killed")

        assert warm_kernel.stop_all(str(tmp_path)) == 1
        server.wait(timeout=30)
        assert not os.path.exists(path)
    finally:
        if server.poll() is None:
            server.kill()

    path, server = _serve(tmp_path, "again")
    try:  # nbgrader removed the directory and made it again: this warm process is stale, and says so
        shutil.rmtree(tmp_path / "again")
        (tmp_path / "again").mkdir()
        _, refused = _request(path, {"connection_file": "x", "args": [], "log": str(tmp_path / "k2.log"), "env": environment})
        assert refused == {"refused": warm_kernel.STALE}
        server.wait(timeout=30)
        assert not os.path.exists(path)
    finally:
        if server.poll() is None:
            server.kill()


def _serve(tmp_path: Path, name: str) -> tuple[str, subprocess.Popen]:
    """A warm process (unsandboxed) working in ``tmp_path/name``, listening on ``tmp_path/warm-name.sock``."""
    (tmp_path / name).mkdir()
    path = str(tmp_path / f"warm-{name}.sock")
    server = subprocess.Popen([sys.executable, "-m", "labs.grading.warm_kernel", path], cwd=tmp_path / name,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_until(lambda: os.path.exists(path) or server.poll() is not None, 120, "the warm process listens")
    assert server.poll() is None, server.stderr.read().decode()[-2000:]
    return path, server


def _two_notebook_course(directory: Path) -> Path:
    """The tiny lab with a second notebook (a copy of the first), so that a submission needs two kernels."""
    directory.mkdir()
    course = make_course(directory)
    shutil.copy(course / "source" / LAB / NOTEBOOK, course / "source" / LAB / "2_tiny.ipynb")
    release.generate(Course(course), LAB)
    return course


# A student's answer that reports the kernel's parent (1: the sandbox's init, a cold kernel; otherwise the warm
# process) and leaves a process running, to be killed with the submission's sandbox.
SLEEP = f"987.{os.getpid()}"  # this test run's own, not another run's
REPORTING_DOUBLE = GOOD_DOUBLE + ("import os, subprocess\n"
                                  f"subprocess.Popen(['sleep', '{SLEEP}'], start_new_session=True)\n"
                                  "print('kernel parent', os.getppid())\n")


def _parents(course: Path, student: str) -> list[str]:
    found = []
    for name in (NOTEBOOK, "2_tiny.ipynb"):
        nb = nbformat.read(str(course / "autograded" / student / LAB / name), as_version=4)
        text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
        found += [line.split()[-1] for line in text.splitlines() if line.startswith("kernel parent")]
    return found


def _sleepers() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes() == f"sleep\0{SLEEP}\0".encode():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@pytest.mark.slow
def test_warm_kernels_grade_as_cold_kernels_do_and_leave_nothing_behind(tmp_path, monkeypatch):
    grades = {}
    for mode in ("1", "0"):
        course = _two_notebook_course(tmp_path / f"warm-{mode}")
        for student, square in (("right", None), ("wrong", WRONG_SQUARE)):
            target = submit(course, student, double=REPORTING_DOUBLE, **({"square": square} if square else {}))
            for name in (NOTEBOOK,):  # the second notebook gets the same answers
                shutil.copy(target / name, target / "2_tiny.ipynb")
        monkeypatch.setenv(WARM_VARIABLE, mode)
        monkeypatch.setattr(grading, "_worker_sandbox", None)  # a fresh worker's settings, read from the variable
        results = grading.grade(Course(course), LAB, jobs=1, canary=False)
        grades[mode] = {r.student: (r.autograded, r.max_autograded, tuple(r.flags)) for r in results}
        for student in ("right", "wrong"):
            parents = _parents(course, student)
            assert len(parents) == 2, parents
            if mode == "1":  # both notebooks forked from one warm process
                assert parents[0] == parents[1] != "1", parents
            else:
                assert parents == ["1", "1"], parents
        _wait_until(lambda: not _sleepers(), 15, "the processes the submissions left are gone after grading")
    assert grades["1"] == grades["0"]
    assert grades["1"]["right"][0] == grades["1"]["right"][1] == 4 and grades["1"]["wrong"][0] == 2


def _processes_of(course: Path) -> list[int]:
    """Launchers, warm processes (and their bubblewrap) and kernels grading ``course``: found by the course's path in
    their command line, working directory or environment."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            text = (entry / "cmdline").read_bytes().decode(errors="replace") if entry.name.isdigit() else ""
        except OSError:
            continue
        if ("labs.grading.warm_kernel" in text or "labs.grading.sandbox_kernel" in text) and (
                str(course) in text or _environ_mentions(entry, str(course))):
            found.append(int(entry.name))
    return found


def _environ_mentions(entry: Path, text: str) -> bool:
    try:
        return text in (entry / "cwd").resolve().as_posix() or text.encode() in (entry / "environ").read_bytes()
    except OSError:
        return False


@pytest.mark.slow
def test_a_killed_grader_leaves_no_kernel_behind(tmp_path):
    """The grading run is killed while a kernel runs: its launcher dies with it, the warm process then kills the
    kernel and, with no kernel left, ends itself (IDLE_SECONDS) with everything in its sandbox."""
    course = _two_notebook_course(tmp_path / "killed")
    target = submit(course, "slow", double=GOOD_DOUBLE + "import time\ntime.sleep(60)\n")
    shutil.copy(target / NOTEBOOK, target / "2_tiny.ipynb")
    grader = subprocess.Popen([sys.executable, "-c", "import sys; from labs.course import Course; from labs.grading import pipeline; "
                               "pipeline.grade(Course(sys.argv[1]), 'lab99', jobs=1, canary=False)", str(course)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until(lambda: len([p for p in _processes_of(course) if _alive(p)]) >= 3, 180,
                    "a launcher, a warm process and its kernel are running")
    finally:
        grader.kill()
        grader.wait()
    _wait_until(lambda: not [p for p in _processes_of(course) if _alive(p)], warm_kernel.IDLE_SECONDS + 30,
                "nothing of the killed run is left")
