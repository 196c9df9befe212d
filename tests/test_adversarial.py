"""Untrusted submissions, graded in one run beside an honest one through ``labs.grading.pipeline.grade``.

Every attack is bounded: it stops by itself within seconds even if the sandbox failed, so a broken
sandbox cannot harm the machine running the tests. For each: the attack achieves nothing, the honest
student is graded normally, the attacker still gets a grade and a line in the report, and nothing
outside its own directory changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell

from labs.course import CONFIG_FILE, Course
from labs.grading import pipeline as grading
from labs.grading import sandbox
from tests.tinylab import (
    CELL_TIMEOUT,
    GOOD_DOUBLE,
    GOOD_SQUARE,
    LAB,
    NOTEBOOK,
    WRONG_SQUARE,
    make_course,
)

# One graded run shared by every test here: they all go to one xdist worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("adversarial")]

# A host process that a planted PID file names: grading must never signal it.
VICTIM_SECONDS = 900
# What the kernel finds about its own socket folder: the connection file's path is on its command line.
SOCKET_FOLDER = "import os\nfrom ipykernel import get_connection_file\n_ipc = os.path.dirname(get_connection_file())\n"
LEFTOVER = f"987654.{os.getpid()}"  # the argument of the process the "outlives" student leaves running


def attacks(course: Path, port: int, victim: int = 0) -> dict[str, dict]:
    """Student name -> how to build the submission: answers, and optionally a change to the notebook."""
    probe = (
        "def _probe(action):\n"
        "    try:\n"
        "        action()\n"
        "        print('ATTACK-SUCCEEDED')\n"
        "    except Exception as error:\n"
        "        print('ATTACK-BLOCKED', type(error).__name__)\n"
    )
    return {
        "reads-source": dict(double=probe + f"_probe(lambda: print(open({str(course / 'source' / LAB / NOTEBOOK)!r}).read()[:50]))\n" + GOOD_DOUBLE),
        "reads-other-student": dict(double=probe + f"_probe(lambda: open({str(course / 'submitted' / 'honest' / LAB / NOTEBOOK)!r}).read())\n" + GOOD_DOUBLE),
        "reads-gradebook": dict(double=probe + f"_probe(lambda: open({str(course / 'gradebook.db')!r}, 'rb').read(100))\n" + GOOD_DOUBLE),
        "writes-gradebook": dict(double=probe + f"_probe(lambda: open({str(course / 'gradebook.db')!r}, 'ab').write(b'x' * 100))\n" + GOOD_DOUBLE),
        "writes-course-root": dict(double=probe + f"_probe(lambda: open({str(course / 'pwned.txt')!r}, 'w').write('pwned'))\n" + GOOD_DOUBLE),
        "network": dict(double=probe + f"import socket\n_probe(lambda: socket.create_connection(('127.0.0.1', {port}), timeout=3).sendall(b'pwned'))\n" + GOOD_DOUBLE),
        "fork-bomb": dict(double=(
            "import os, time\n"
            "children, refused = 0, False\n"
            "for _ in range(600):\n"
            "    try:\n"
            "        pid = os.fork()\n"
            "    except OSError:\n"
            "        refused = True\n"
            "        break\n"
            "    if pid == 0:\n"
            "        time.sleep(4)\n"
            "        os._exit(0)\n"
            "    children += 1\n"
            "print('ATTACK-BLOCKED' if refused else 'ATTACK-SUCCEEDED', children)\n" + GOOD_DOUBLE)),
        "memory-bomb": dict(double=probe + "_probe(lambda: bytearray(9 * 2**30))\n" + GOOD_DOUBLE),
        "ignores-interrupt": dict(double=(
            "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            f"_start = time.time()\nwhile time.time() - _start < {2 * CELL_TIMEOUT + 4}:\n    pass\n" + GOOD_DOUBLE)),
        "exits-kernel": dict(double=GOOD_DOUBLE, square="import os\nos._exit(1)\n"),
        "floods-output": dict(double="for _ in range(100_000):\n    print('x' * 1000)\n" + GOOD_DOUBLE),
        "deletes-test-cell": dict(square=WRONG_SQUARE, mutate="delete-test"),
        "edits-test-cell": dict(square=WRONG_SQUARE, mutate="edit-test"),
        "duplicates-test-cell": dict(square=WRONG_SQUARE, mutate="duplicate-test"),
        "retypes-test-cell": dict(square=WRONG_SQUARE, mutate="retype-test"),
        "patches-torch": dict(square="import torch\ntorch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a, **k: True\n" + WRONG_SQUARE),
        "patches-numpy-testing": dict(double="import numpy\nnumpy.testing.assert_allclose = lambda *a, **k: None\ndef double(x):\n    return x\n"),
        "patches-checks": dict(square="def assert_close(*args, **kwargs):\n    pass\n" + WRONG_SQUARE),
        "patches-eq": dict(square="class _Yes(float):\n    def __eq__(self, other):\n        return True\ndef square(x):\n    return _Yes(0)\n"),
        "hides-tracebacks": dict(square="get_ipython().showtraceback = lambda *a, **k: None\n" + WRONG_SQUARE),
        "invalid-json": dict(raw='{"cells": [ not json'),
        "empty-file": dict(raw=""),
        "missing-notebook": dict(mutate="delete-notebook"),
        "misnamed-notebook": dict(mutate="rename-notebook"),
        # Handed in as an archive would unpack them: links to the model solution, to another student's work, or a
        # whole linked folder. Followed, each would earn its target's points.
        "links-to-source": dict(link=str(course / "source" / LAB / NOTEBOOK)),
        "links-to-other-student": dict(link=str(Path("..", "..", "honest", LAB, NOTEBOOK))),
        "linked-lab-folder": dict(special="link-lab-folder"),
        "linked-student-folder": dict(special="link-student-folder"),
        "links-inside": dict(special="link-inside"),
        "fifo-notebook": dict(special="fifo"),
        "huge-notebook": dict(special="huge"),
        "=1+1": dict(),  # a folder name a spreadsheet would read as a formula in grades.csv
        # Links planted by the kernel in its own folder, dangling in the sandbox but not for the grader outside it:
        # nbgrader's feedback step copies the folder's files following links, and writes the graded notebook.
        "plants-link-for-feedback": dict(double=f"import os\nos.symlink({str(course / 'source' / LAB / NOTEBOOK)!r}, 'leak.txt')\n" + GOOD_DOUBLE),
        "plants-link-at-notebook": dict(double=f"import os\nos.remove({NOTEBOOK!r})\nos.symlink({str(course / 'pwned-by-link.txt')!r}, {NOTEBOOK!r})\n" + GOOD_DOUBLE),
        # Files handed in beside the notebook that Python or IPython would load: a package shadowing the course's labs
        # (its __init__ writes a marker wherever it runs; as root on the host it could write into the course), no-op
        # test helpers, and IPython configuration that runs code before the setup cell.
        "ships-labs-package": dict(square=WRONG_SQUARE, files={
            "labs/__init__.py": f"open({str(course / 'pwned-by-import.txt')!r}, 'w').write('root')\n",
            "labs/checks.py": "def assert_close(*args, **kwargs):\n    pass\n",
            "ipykernel_launcher.py": f"open({str(course / 'pwned-by-launcher.txt')!r}, 'w').write('x')\n",
            "ipython_kernel_config.json": '{"IPKernelApp": {"exec_lines": ["import torch; torch.equal = lambda *a: True"]}}',
            "data.csv": "x,y\n1,2\n"}),
        # The socket folder the sandbox writes in: a PID file naming a host process, links where the grader might log
        # or copy, and a process left running to reach whatever comes next.
        "plants-in-socket-folder": dict(double=SOCKET_FOLDER + (
            f"open(os.path.join(_ipc, 'warm-0123456789abcdef.pid'), 'w').write('{victim} {victim}:1')\n"
            "for _name in ('warm-0123456789abcdef.log', 'kernel-x.log', 'connection-x.json'):\n"
            f"    os.symlink({str(course / 'pwned-by-log.txt')!r}, os.path.join(_ipc, _name))\n"
            "print('planted', sorted(os.listdir(_ipc)))\n") + GOOD_DOUBLE),
        "outlives": dict(double="import subprocess\n"
                                f"subprocess.Popen(['sleep', '{LEFTOVER}'], start_new_session=True, stdin=subprocess.DEVNULL)\n"
                         + GOOD_DOUBLE),
        # Hidden tests carried back: printed history (the hidden test cell ran before this cell), and a file written.
        "prints-history": dict(square="print('HISTORY', In)\nopen('history.txt', 'w').write(str(In))\n" + GOOD_SQUARE),
        "shows-html": dict(double="from IPython.display import HTML, display\n"
                                  "display(HTML('<b>hi</b><script>window.PWNED=1</script><img src=x onerror=alert(1)>'))\n"
                           + GOOD_DOUBLE),
        "floods-display": dict(double="from IPython.display import display\n"
                                      "for _ in range(40):\n    display({'text/plain': 'y' * 1_000_000}, raw=True)\n" + GOOD_DOUBLE),
        "many-cells": dict(special="many-cells"),
    }


def build(course: Path, student: str, spec: dict) -> None:
    target = course / "submitted" / student / LAB
    special = spec.get("special")
    if special == "link-student-folder":
        target.parent.symlink_to(course / "submitted" / "honest")
        return
    if special == "link-lab-folder":
        target.parent.mkdir(parents=True)
        target.symlink_to(Path("..", "honest", LAB))
        return
    shutil.copytree(course / "release" / LAB, target)
    path = target / NOTEBOOK
    if "link" in spec:
        path.unlink()
        path.symlink_to(spec["link"])
        return
    if special == "fifo":
        path.unlink()
        os.mkfifo(path)  # opened for reading, it would wait for a writer forever
        return
    if special == "huge":
        with open(path, "r+b") as handle:
            handle.truncate(2 * 10**9)  # sparse: 2 GB to read, nothing on disk
        return
    if special == "link-inside":
        (target / "data").symlink_to(course / "source")
    for name, text in spec.get("files", {}).items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(text)
    if "raw" in spec:
        path.write_text(spec["raw"])
        return
    nb = nbformat.read(str(path), as_version=4)
    answers = {"lab99-double": spec.get("double", GOOD_DOUBLE), "lab99-square": spec.get("square", GOOD_SQUARE)}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    test_index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "lab99-square-tests")
    mutate = spec.get("mutate")
    if mutate == "delete-test":
        del nb.cells[test_index]
    elif mutate == "edit-test":
        nb.cells[test_index].source = "pass"
    elif mutate == "duplicate-test":
        extra = nbformat.from_dict(nb.cells[test_index])
        extra.source = "pass"
        extra.id = "duplicated"
        nb.cells.insert(test_index, extra)
    elif mutate == "retype-test":
        old = nb.cells[test_index]
        nb.cells[test_index] = new_markdown_cell("pass", metadata=old.metadata)
    if special == "many-cells":
        nb.cells += [nbformat.v4.new_code_cell("pass") for _ in range(1500)]
    nbformat.write(nb, str(path))
    if mutate == "delete-notebook":
        path.unlink()
    elif mutate == "rename-notebook":
        path.rename(target / "1_tiny (1).ipynb")


class Listener:
    """A TCP listener on the host's 127.0.0.1 that records every connection it receives."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.5)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.server.close()


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    sandbox.check_available()
    course = make_course(tmp_path_factory.mktemp("adversarial"))
    listener = Listener()
    victim = subprocess.Popen(["sleep", str(VICTIM_SECONDS)], start_new_session=True)
    specs = attacks(course, listener.port, victim.pid)
    build(course, "honest", {})
    for student, spec in specs.items():
        build(course, student, spec)
    protected = {name: _digest(course / name) for name in ("source", "release")}
    protected["config"] = hashlib.sha256((course / CONFIG_FILE).read_bytes()).hexdigest()
    submitted_before = _digest(course / "submitted")
    start = time.perf_counter()
    try:
        results = {r.student: r for r in grading.grade(Course(course), LAB, jobs=2, canary=False)}
        victim_alive = victim.poll() is None
        leftovers = _processes_with_argument(LEFTOVER)
    finally:
        listener.close()
        victim.kill()
        victim.wait()
    seconds = time.perf_counter() - start
    print(grading.format_report(list(results.values())))
    print(f"graded {len(results)} submissions in {seconds:.1f} s")
    return dict(course=course, results=results, specs=specs, listener=listener, protected=protected,
                submitted_before=submitted_before, victim_alive=victim_alive, leftovers=leftovers)


def _processes_with_argument(argument: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and argument.encode() in (entry / "cmdline").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _outputs(course: Path, student: str) -> str:
    path = course / "autograded" / student / LAB / NOTEBOOK
    if not path.is_file():
        return ""
    nb = nbformat.read(str(path), as_version=4)
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            texts.append(output.get("text", "") or str(output.get("evalue", "")))
    return "\n".join(texts)


def test_honest_student_is_graded_normally(graded):
    honest = graded["results"]["honest"]
    assert honest.autograded == honest.max_autograded == 2, grading.format_report([honest])
    assert honest.flags == []


def test_every_attacker_gets_a_grade_and_a_report_line(graded):
    results = graded["results"]
    missing = set(graded["specs"]) - set(results)
    assert not missing, f"not graded at all: {missing}"
    report = grading.format_report(list(results.values()))
    for student in graded["specs"]:
        assert any(line.startswith(student + " ") for line in report.splitlines()), f"{student} not in the report"


@pytest.mark.parametrize("student", ["reads-source", "reads-other-student", "reads-gradebook", "writes-gradebook",
                                     "writes-course-root", "network", "fork-bomb", "memory-bomb"])
def test_attack_is_blocked(graded, student):
    outputs = _outputs(graded["course"], student)
    assert "ATTACK-BLOCKED" in outputs and "ATTACK-SUCCEEDED" not in outputs, outputs[-500:]
    if student != "fork-bomb":  # a fork bomb may also starve its own later cells
        assert graded["results"][student].autograded == 2  # the honest part of its work still counts


def test_nothing_outside_the_submission_changed(graded):
    course = graded["course"]
    assert not (course / "pwned.txt").exists()
    assert graded["listener"].connections == 0
    assert {name: _digest(course / name) for name in ("source", "release")} == {
        k: v for k, v in graded["protected"].items() if k != "config"}
    assert hashlib.sha256((course / CONFIG_FILE).read_bytes()).hexdigest() == graded["protected"]["config"]
    assert _digest(course / "submitted") == graded["submitted_before"], "grading changed students' submitted files"


def test_runaway_kernels_are_stopped_and_flagged(graded):
    results = graded["results"]
    assert "timeout" in results["ignores-interrupt"].flags, grading.format_report([results["ignores-interrupt"]])
    assert results["ignores-interrupt"].autograded < 2
    exited = results["exits-kernel"]
    assert "crash" in exited.flags and exited.autograded <= 1
    flooded = graded["course"] / "autograded" / "floods-output" / LAB / NOTEBOOK
    assert flooded.stat().st_size < 2_000_000, "100 MB of output reached the graded notebook"
    assert results["floods-output"].autograded == 2


@pytest.mark.parametrize("student", ["deletes-test-cell", "edits-test-cell", "duplicates-test-cell", "retypes-test-cell"])
def test_tampered_test_cells_are_restored(graded, student):
    result = graded["results"][student]
    # The wrong square() must lose its test's point whatever was done to the test cell.
    assert result.autograded <= 1, grading.format_report([result])


@pytest.mark.parametrize("student", ["patches-torch", "patches-numpy-testing", "patches-checks", "patches-eq", "hides-tracebacks"])
def test_monkeypatching_is_flagged_for_review(graded, student):
    result = graded["results"][student]
    assert "tamper" in result.flags, grading.format_report([result])
    assert any("review by hand" in m for m in result.messages)


@pytest.mark.parametrize(("student", "flag"), [("invalid-json", "invalid"), ("empty-file", "invalid"),
                                                ("missing-notebook", "missing"), ("misnamed-notebook", "missing"),
                                                ("fifo-notebook", "invalid"), ("huge-notebook", "invalid"),
                                                ("=1+1", "invalid")])
def test_broken_files_score_zero_with_a_reason(graded, student, flag):
    result = graded["results"][student]
    assert flag in result.flags and result.autograded == 0, grading.format_report([result])


@pytest.mark.parametrize("student", ["links-to-source", "links-to-other-student", "linked-lab-folder", "linked-student-folder"])
def test_links_are_refused_not_followed(graded, student):
    result = graded["results"][student]
    assert "link" in result.flags and result.autograded == result.score == 0, grading.format_report([result])
    assert any("is a symbolic link" in m and "not graded" in m for m in result.messages)  # the report says why


def test_a_link_inside_a_submission_is_left_out(graded):
    result = graded["results"]["links-inside"]
    assert "link" in result.flags and any(m.startswith("data is a symbolic link") for m in result.messages)
    assert result.autograded == 2  # the notebook itself is the student's own and is graded
    assert not (graded["course"] / "autograded" / "links-inside" / LAB / "data").exists()


def test_only_infrastructure_failures_are_retried(graded):
    results = graded["results"]
    assert results["ignores-interrupt"].messages[0].startswith("retried alone after"), results["ignores-interrupt"].messages
    # The student's own failures are not: everything refused in staging (no kernel ever ran) ...
    for student in ("invalid-json", "missing-notebook", "links-to-source", "fifo-notebook", "=1+1"):
        assert not any(m.startswith("retried alone") for m in results[student].messages), results[student].messages
    # ... and a kernel the student's code killed. (After that death each notebook is graded again on its own, in a new
    # kernel; on a loaded machine that kernel can fail to start in time, which is the machine's fault and is retried, as
    # a CI run saw. The reason must then be the start, and the verdict that stands the student's own exit.)
    exited = results["exits-kernel"].messages
    retried = [m for m in exited if m.startswith("retried alone")]
    assert all("the kernel did not start" in m or "died at start-up" in m for m in retried), exited
    assert any("the kernel died (it exited" in m for m in exited), exited


def test_a_link_planted_by_the_kernel_does_not_reach_the_feedback(graded):
    result = graded["results"]["plants-link-for-feedback"]
    assert "tamper" in result.flags and any(m.startswith("leak.txt: the notebook's code left a symbolic link") for m in result.messages)
    feedback = graded["course"] / "feedback" / "plants-link-for-feedback" / LAB
    assert not (feedback / "leak.txt").exists() and not (feedback / "leak.txt").is_symlink()


def test_a_link_planted_at_the_graded_notebook_is_not_written_through(graded):
    assert not (graded["course"] / "pwned-by-link.txt").exists()
    result = graded["results"]["plants-link-at-notebook"]
    assert "tamper" in result.flags and any("replaced its own file by a symbolic link" in m for m in result.messages)
    graded_notebook = graded["course"] / "autograded" / "plants-link-at-notebook" / LAB / NOTEBOOK
    assert graded_notebook.is_file() and not graded_notebook.is_symlink()


def _feedback(course: Path, student: str) -> str:
    path = course / "feedback" / student / LAB / NOTEBOOK.replace(".ipynb", ".html")
    return path.read_text() if path.is_file() else ""


def test_files_python_would_load_are_left_out_and_nothing_runs_outside_the_sandbox(graded):
    course, result = graded["course"], graded["results"]["ships-labs-package"]
    assert not (course / "pwned-by-import.txt").exists() and not (course / "pwned-by-launcher.txt").exists()
    assert "code" in result.flags, grading.format_report([result])
    assert result.autograded <= 1  # the no-op helpers and the configuration did not rescue the wrong square()
    named = " ".join(result.messages)
    for name in ("labs/__init__.py", "labs/checks.py", "ipykernel_launcher.py", "ipython_kernel_config.json"):
        assert name in named, named
    assert "data.csv" not in named  # a data file is handed in as it is


def test_nothing_planted_in_the_socket_folder_is_trusted(graded):
    course, result = graded["course"], graded["results"]["plants-in-socket-folder"]
    assert "planted" in _outputs(course, "plants-in-socket-folder")  # the attack ran
    assert graded["victim_alive"], "grading killed the host process named by a PID file the sandbox wrote"
    assert not (course / "pwned-by-log.txt").exists() and not (course / "pwned-by-log.txt").is_symlink()
    assert result.autograded == 2 and graded["results"]["honest"].autograded == 2


def test_no_process_of_a_submission_outlives_its_grading(graded):
    assert graded["results"]["outlives"].autograded == 2
    assert graded["leftovers"] == [], "a process a submission started was still running after grading"


def test_hidden_tests_never_reach_the_feedback(graded):
    course = graded["course"]
    assert "HISTORY" in _outputs(course, "prints-history")  # the history, hidden tests included, was printed
    secret = "assert_close(double(torch.arange(3.0))"  # a line of the hidden test that ran before the printing cell
    assert secret in _outputs(course, "prints-history")  # (the instructor's graded copy keeps what ran)
    page = _feedback(course, "prints-history")
    assert page and "HISTORY" in page and secret not in page and "torch.arange(3.0)" not in page
    assert not (course / "feedback" / "prints-history" / LAB / "history.txt").exists()
    assert graded["results"]["prints-history"].autograded == 2


def test_student_html_is_sanitised_in_feedback(graded):
    from bs4 import BeautifulSoup

    page = _feedback(graded["course"], "shows-html")
    assert "window.PWNED" in page  # (the student's code, shown escaped as code)
    soup = BeautifulSoup(page, "html.parser")
    assert not any("PWNED" in script.get_text() for script in soup.find_all("script"))
    assert not [tag for tag in soup.find_all(True) if any(name.lower().startswith("on") for name in tag.attrs)]


def test_output_is_cut_while_it_streams_and_flagged(graded):
    course, result = graded["course"], graded["results"]["floods-display"]
    assert "limit" in result.flags and result.autograded == 2, grading.format_report([result])
    assert (course / "autograded" / "floods-display" / LAB / NOTEBOOK).stat().st_size < 4_000_000  # 40 MB was displayed


def test_a_notebook_with_too_many_cells_is_not_run(graded):
    result = graded["results"]["many-cells"]
    assert "limit" in result.flags and result.autograded == 0, grading.format_report([result])
    assert any("1,506 cells" in m for m in result.messages), result.messages
