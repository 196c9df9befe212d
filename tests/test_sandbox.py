"""The bubblewrap command and what a sandboxed process can and cannot do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from labs.grading import sandbox
from labs.grading.sandbox import Limits, Settings


def _settings(tmp_path, uid):
    ipc = tmp_path / "ipc"
    ipc.mkdir()
    return Settings(python=sys.executable, readable=tuple(sandbox.readable_paths()), ipc_dir=str(ipc), uid=uid, limits=Limits())


def test_command_confines_the_kernel(tmp_path):
    work = tmp_path / "autograded" / "alice" / "lab01"
    work.mkdir(parents=True)
    conn = tmp_path / "ipc" / "conn.json"
    settings = _settings(tmp_path, uid=61234)
    command = sandbox.bwrap_command(settings, str(work), str(conn), ["python", "-m", "ipykernel_launcher"])
    joined = " ".join(command)
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--clearenv", "--new-session"):
        assert flag in command
    assert f"--bind {work} {work}" in joined and f"--chdir {work}" in joined
    assert f"--ro-bind {conn} {conn}" in joined
    bound = {command[i + 1] for i, arg in enumerate(command) if arg in ("--bind", "--ro-bind")}
    assert str(work) in bound and str(tmp_path / "autograded") not in bound and str(tmp_path) not in bound
    assert "--reuid=61234" in command and "--no-new-privs" in command
    assert f"--nproc={Limits().processes}" in command and f"--as={Limits().memory_bytes}" in command
    assert command[-3:] == ["python", "-m", "ipykernel_launcher"]


def test_without_root_the_user_namespace_is_used(tmp_path):
    command = sandbox.bwrap_command(_settings(tmp_path, uid=None), str(tmp_path), str(tmp_path / "c"), ["true"])
    assert "--unshare-user" in command and not any(a.startswith("--reuid") for a in command)


def test_kernels_read_the_hosts_data_cache(tmp_path, monkeypatch):
    """HOME is /tmp inside the sandbox: LABS_DATA must point the kernel at the cache that is bound read-only."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("LABS_DATA", str(cache))
    command = sandbox.bwrap_command(_settings(tmp_path, uid=61234), str(tmp_path), str(tmp_path / "c"), ["true"])
    joined = " ".join(command)
    assert f"--ro-bind {cache} {cache}" in joined and f"--setenv LABS_DATA {cache}" in joined
    monkeypatch.setenv("LABS_DATA", str(tmp_path / "absent"))  # no cache: nothing bound, nothing pointed at
    other = tmp_path / "other"
    other.mkdir()
    command = sandbox.bwrap_command(_settings(other, uid=61234), str(other), str(other / "c"), ["true"])
    assert "LABS_DATA" not in command


def test_settings_round_trip_through_the_environment(tmp_path):
    settings = _settings(tmp_path, uid=61000)
    assert Settings.from_env(settings.to_env()) == settings


@pytest.fixture
def run_sandboxed(tmp_path):
    sandbox.check_available()
    with sandbox.submission(sandbox.worker_settings()) as state:
        settings = state.settings
        work = tmp_path / "work"
        work.mkdir()
        if settings.uid is not None:
            os.chown(work, settings.uid, settings.uid)
        conn = Path(settings.ipc_dir) / "conn.json"
        conn.write_text("{}")

        def run(code: str) -> subprocess.CompletedProcess:
            command = sandbox.bwrap_command(settings, str(work), str(conn), [sys.executable, "-c", code])
            return subprocess.run(command, capture_output=True, text=True, timeout=60)

        yield run


def test_sandboxed_python_sees_only_what_it_should(run_sandboxed, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden tests")
    done = run_sandboxed(
        "import os, socket, torch, labs.checks\n"
        f"print('secret visible:', os.path.exists({str(secret)!r}))\n"
        "open('answer.txt', 'w').write('ok')\n"
        "try:\n    socket.create_connection(('1.1.1.1', 53), timeout=2); print('network: yes')\n"
        "except OSError:\n    print('network: no')\n"
        "print('uid', os.getuid(), 'pid', os.getpid())\n"
    )
    assert done.returncode == 0, done.stderr[-1500:]
    assert "secret visible: False" in done.stdout
    assert "network: no" in done.stdout
    assert (tmp_path / "work" / "answer.txt").read_text() == "ok"
    if os.geteuid() == 0:
        assert "uid 0 " not in done.stdout  # never root inside


def test_sandbox_limits_memory(run_sandboxed):
    done = run_sandboxed("try:\n    bytearray(8 * 2**30)\n    print('allocated')\nexcept MemoryError:\n    print('refused')\n")
    assert "refused" in done.stdout, done.stdout + done.stderr[-500:]


def test_a_warm_process_is_confined_as_a_kernel_is_but_outlives_its_launcher(tmp_path):
    work = tmp_path / "autograded" / "alice" / "lab01"
    work.mkdir(parents=True)
    settings = _settings(tmp_path, uid=61234)
    kernel = sandbox.bwrap_command(settings, str(work), str(tmp_path / "ipc" / "conn.json"), ["python"])
    warm = sandbox.bwrap_command(settings, str(work), None, ["python"], die_with_parent=False)
    assert "--die-with-parent" in kernel and "--die-with-parent" not in warm
    conn_bind = ["--ro-bind", str(tmp_path / "ipc" / "conn.json"), str(tmp_path / "ipc" / "conn.json")]
    without = [a for a in kernel if a != "--die-with-parent"]
    at = next(i for i in range(len(without)) if without[i:i + 3] == conn_bind)
    assert warm == without[:at] + without[at + 3:]  # every other confinement identical


@pytest.mark.skipif(os.geteuid() != 0, reason="a sandbox user exists only when grading as root")
def test_ending_a_sandbox_kills_every_process_of_its_user_and_nothing_else(tmp_path):
    """What a submission left running (detached, in its own session, renamed) is gone when its sandbox is ended; a
    process of another user, named in a PID file the sandbox could have written, is untouched."""
    uid = sandbox.BASE_UID + 4_000_000 + os.getpid() % 100_000  # no grading worker's user
    left = [subprocess.Popen(["sleep", "300"], user=uid, group=uid, extra_groups=[], start_new_session=True)
            for _ in range(3)]
    bystander = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        assert sorted(sandbox.sandbox_pids(uid)) == sorted(p.pid for p in left)
        settings = Settings(python=sys.executable, readable=(), ipc_dir=str(tmp_path), uid=uid, limits=Limits(),
                            private_dir=str(tmp_path))
        (tmp_path / "warm-x.pid").write_text(f"{bystander.pid}:1\n")  # a forged record: its start time is wrong
        assert sandbox.end_processes(settings) == []
        for process in left:
            assert process.wait(timeout=10) == -9
        assert sandbox.sandbox_pids(uid) == [] and bystander.poll() is None
    finally:
        for process in [*left, bystander]:
            process.kill()
            process.wait()
