"""Warm kernels for grading: each student's notebooks are run by kernels forked from one process, started once.

A kernel spends about 2.5 CPU seconds before a notebook's first line does any work: Python, ipykernel and IPython,
then the setup cell's imports of PyTorch, NumPy, Matplotlib and ``labs``. Graded cold, a lab of four notebooks pays
that four times per student. Here the first kernel of a student's submission starts a *warm process* in that
student's sandbox (the same bubblewrap command, limits, user and notebook directory as a cold kernel: see
:mod:`labs.grading.sandbox`), which imports all that once and then forks one kernel per notebook on request.

Isolation is unchanged between students: the warm process belongs to one submission's directory (it exits when
that directory is removed, so one that nbgrader removes and makes again gets a new one) and to that submission's own
socket folder; it is killed, with everything in its sandbox, when that submission is graded
(:func:`labs.grading.sandbox.end_processes`), or ends on its own after :data:`IDLE_SECONDS` without a kernel. Between the notebooks of one
submission it is weaker than cold kernels: a process a notebook leaves behind lives on while the student's next
notebooks run. That gives a student power only over their own kernels, which their own code already has.

The launcher (:mod:`labs.grading.sandbox_kernel`, started by jupyter_client for every kernel) calls :func:`launch`. It
connects to the warm process's Unix socket in the worker's socket directory, starting the process first if there
is none, and asks it to fork a kernel with the connection file and arguments it was given. Everything the warm
process says is the sandbox's word: the launcher reads bounded lines with time limits, and records the sandbox's PIDs
(with their start times) in the submission's private folder, where no student code can write. It then stands in for
the kernel: it exits when the kernel does, and if jupyter_client kills it, the warm process kills the kernel. When
no warm kernel can be had (the process fails to start, or was started with other environment variables), the
launcher starts a cold kernel instead: warm kernels save time and never change a grade.
"""

from __future__ import annotations

import hashlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path

IDLE_SECONDS = 60  # a warm process with no kernel for this long exits
START_TIMEOUT = 120  # seconds for a warm process to import everything and listen, or to answer a request
LINE_LIMIT = 64 * 1024  # the longest line the launcher reads from a warm process (a sandboxed, untrusted peer)
STOP_TIMEOUT = 5.0  # seconds stop_all() waits for each warm process
# Imported once by the warm process: what every notebook's setup cell imports. Not matplotlib.pyplot: importing it
# picks the backend, which must happen in the kernel (IPython's inline backend hooks into the running shell).
PRELOAD = ("ipykernel.kernelapp", "numpy", "torch", "torch.nn", "torch.nn.functional", "matplotlib",
           "matplotlib.figure", "matplotlib.backends.backend_agg", "labs.checks", "labs.notebook", "labs.data")


STALE = "its directory was removed"  # the refusal that makes the launcher start a new warm process


def socket_path(ipc_dir: str, workdir: str) -> str:
    """The warm process of ``workdir`` (this very directory: its path and inode) in a worker's socket directory."""
    info = os.stat(workdir)
    key = hashlib.sha1(f"{os.path.realpath(workdir)}\0{info.st_dev}\0{info.st_ino}".encode()).hexdigest()[:16]
    return os.path.join(ipc_dir, f"warm-{key}.sock")


def passed_environment() -> dict[str, str]:
    """The variables a kernel takes from the grader (labs.grading.sandbox.PASSED_VARIABLES) as the launcher sees them."""
    from labs.grading.sandbox import PASSED_VARIABLES

    return {name: os.environ[name] for name in PASSED_VARIABLES if name in os.environ}


# ----------------------------------------------------------------------------- the launcher's side (on the host)


def launch(settings, workdir: str, connection_file: str, kernel_args: list[str], log_path: str,
           kernel_log: str) -> int | None:
    """Run a kernel forked from the warm process of ``workdir`` and wait for it; its exit status, or None when no
    warm kernel could be had and nothing was started (the caller starts a cold kernel).

    ``log_path``: the launcher's own messages (the private folder); ``kernel_log``: where the forked kernel writes its
    output, inside the sandbox."""
    path = socket_path(settings.ipc_dir, workdir)
    request = {"connection_file": connection_file, "args": kernel_args, "log": kernel_log, "env": passed_environment()}
    reply: dict = {"refused": "no warm process"}
    for _ in range(2):  # a second time when the warm process found its directory removed (and has exited)
        connection = _connect(path) or _start(settings, workdir, path, log_path)
        if connection is None:
            return None
        try:
            connection.settimeout(START_TIMEOUT)
            connection.sendall(json.dumps(request).encode() + b"\n")
            reply = json.loads(_read_line(connection) or b'{"refused": "the warm process closed the connection"}')
            if not isinstance(reply, dict):
                raise ValueError("not a reply")
        except (OSError, ValueError) as error:
            reply = {"refused": str(error)[:200]}
        if "refused" not in reply:
            break
        connection.close()
        if reply.get("refused") != STALE:
            break
    if "refused" in reply:
        _log(log_path, f"warm kernel refused ({str(reply['refused'])[:200]}): starting a cold kernel")
        return None
    try:
        connection.settimeout(None)  # the kernel runs as long as nbgrader wants it to; nbgrader ends this launcher
        ending = _read_line(connection)  # the warm process writes the kernel's exit status
    except OSError:
        ending = b""
    connection.close()
    try:
        return int(json.loads(ending)["status"]) if ending else 1
    except (ValueError, KeyError, TypeError, OverflowError):
        return 1


def stop_all(ipc_dir: str, private_dir: str | None = None) -> int:
    """Ask every warm process of a socket folder to stop, with its kernels, each within :data:`STOP_TIMEOUT`; then
    end the sandboxes recorded in ``private_dir``; how many warm processes answered. (Grading ends a submission's
    sandbox by :func:`labs.grading.sandbox.end_processes`, which needs no answer from it.)"""
    stopped = 0
    for path in sorted(Path(ipc_dir).glob("warm-*.sock")):
        connection = _connect(str(path))
        if connection is None:
            continue
        try:
            connection.settimeout(STOP_TIMEOUT)
            connection.sendall(b'{"stop": true}\n')
            _read_line(connection)  # closed once it has stopped its kernels
            stopped += 1
        except OSError:
            pass
        finally:
            connection.close()
    if private_dir is not None:
        end_recorded_sandboxes(private_dir)
    return stopped


def end_recorded_sandboxes(private_dir: str, grace: float = STOP_TIMEOUT) -> None:
    """Kill the warm processes' sandboxes recorded in the grader's private folder, and wait (bounded) for them to go.

    Each record is a PID with its start time (``/proc/PID/stat``), so a PID reused since by another process is never
    signalled. Killing the first process of the sandbox's PID namespace ends every process in it."""
    records = []
    for record in sorted(Path(private_dir).glob("warm-*.pid")):
        for item in record.read_text().split():
            pid, _, started = item.partition(":")
            if pid.isdigit() and started.isdigit():
                records.append((int(pid), int(started)))
        record.unlink()
    live = [(pid, started) for pid, started in records if _start_time(pid) == started]
    for pid, _ in live:
        _kill(pid)
    deadline = time.monotonic() + grace
    while any(_running(pid) and _start_time(pid) == started for pid, started in live) and time.monotonic() < deadline:
        time.sleep(0.05)


def _start_time(pid: int) -> int | None:
    """The start time of process ``pid`` (clock ticks since boot), or None if there is none."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _connect(path: str) -> socket.socket | None:
    if not os.path.exists(path):
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
        return connection
    except OSError:  # a socket left by a process that is gone
        connection.close()
        try:
            os.unlink(path)
        except OSError:
            pass
        return None


def _start(settings, workdir: str, path: str, log_path: str) -> socket.socket | None:
    """Start the warm process of ``workdir`` in its sandbox and connect to it (None if it did not come up)."""
    from labs.grading.sandbox import bwrap_command

    from labs.grading.sandbox import isolated_module

    command = bwrap_command(settings, workdir, None, isolated_module(settings.python, "labs.grading.warm_kernel", [path, "--sandboxed"]),
                            die_with_parent=False)
    log = os.open(os.path.join(settings.private_dir, f"{Path(path).stem}.log"),
                  os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    try:
        # Its own session, so that it outlives this launcher: the next notebooks' kernels are forked from it.
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    except OSError as error:
        _log(log_path, f"warm process failed to start ({error})")
        return None
    finally:
        os.close(log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        connection = _connect(path)
        if connection is not None:
            _record_sandbox(process.pid, os.path.join(settings.private_dir, f"{Path(path).stem}.pid"))
            return connection
        if process.poll() is not None:
            _log(log_path, f"warm process exited with status {process.returncode} before listening")
            return None
        time.sleep(0.05)
    process.kill()
    _log(log_path, f"warm process did not listen within {START_TIMEOUT} s")
    return None


def _record_sandbox(pid: int, record: str) -> None:
    """Write the host PIDs of the sandbox (bubblewrap, and its init in the new PID namespace), each with its start
    time, to ``record`` in the private folder (bubblewrap is the grader's own child: these are not the sandbox's word)."""
    pids = [pid]
    try:
        pids += [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        pass
    items = [f"{p}:{started}" for p in pids if (started := _start_time(p)) is not None]
    descriptor = os.open(record, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    with open(descriptor, "a") as handle:
        handle.write(" ".join(items) + "\n")


def _read_line(connection: socket.socket, limit: int = LINE_LIMIT) -> bytes:
    """One line from ``connection``, at most ``limit`` bytes (a longer one is cut there)."""
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        chunk = connection.recv(min(4096, limit - len(data)))
        if not chunk:
            break
        data += chunk
    return data.strip()


def _log(path: str, message: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    with open(descriptor, "a") as handle:
        handle.write(f"labs.grading.warm_kernel: {message}\n")


# ----------------------------------------------------------------------------- the warm process (in the sandbox)


def serve(path: str, sandboxed: bool = False) -> None:
    """Import what kernels need, then fork a kernel per request on the socket ``path`` until stopped or idle.

    ``sandboxed``: this process is the first in its own PID namespace (:func:`_start`), so on the way out it kills
    every other process it may signal there: what the kernels left running.
    """
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # what ipykernel would set
    if sys.path and sys.path[0] in ("", os.getcwd()):  # as ipykernel_launcher does; the kernel's shell adds it back
        del sys.path[0]
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    environment = passed_environment()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    kernels: dict[int, socket.socket] = {}  # pid -> the launcher standing in for it
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    idle_since = time.monotonic()
    try:
        while True:
            for key, _ in selector.select(timeout=0.1):
                if key.fileobj is listener:
                    connection, _ = listener.accept()
                    if _handle(connection, listener, kernels, environment, selector) == "stop":
                        return
                else:  # a launcher went away: jupyter_client killed it, so its kernel goes too
                    for pid, connection in list(kernels.items()):
                        if connection is key.fileobj:
                            _kill(pid)
            _reap(kernels, selector)
            if kernels:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > IDLE_SECONDS:
                return
    finally:
        for pid in list(kernels):
            _kill(pid)
        _reap(kernels, selector, wait=True)
        try:
            os.unlink(path)
        except OSError:
            pass
        if sandboxed and os.getpid() == 2:  # bubblewrap's init is 1 and cannot be signalled by this user
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass


def _handle(connection, listener, kernels, environment, selector) -> str:
    connection.settimeout(10)
    try:
        request = json.loads(_read_line(connection) or b"{}")
    except (OSError, ValueError):
        connection.close()
        return ""
    if request.get("stop"):
        for pid in list(kernels):
            _kill(pid)
        _reap(kernels, selector, wait=True)
        connection.close()
        return "stop"
    if os.stat(".").st_nlink == 0:  # the directory was removed (and maybe made again, with the same inode number)
        connection.sendall(json.dumps({"refused": STALE}).encode() + b"\n")
        connection.close()
        return "stop"
    if request.get("env") != environment:  # the kernel must see the grader's variables as they are now
        connection.sendall(json.dumps({"refused": "started with other environment variables"}).encode() + b"\n")
        connection.close()
        return ""
    pid = os.fork()
    if pid == 0:
        selector.close()
        _run_kernel(request, [listener, connection, *kernels.values()])
    connection.settimeout(None)
    connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    kernels[pid] = connection
    selector.register(connection, selectors.EVENT_READ)
    return ""


def _run_kernel(request: dict, inherited: list[socket.socket]) -> None:
    """In the forked child: become the kernel the request asks for; never returns."""
    status = 1
    try:
        for held in inherited:
            held.close()
        die_with_parent()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        try:
            log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError:
            log = os.open(os.devnull, os.O_WRONLY)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=["-f", request["connection_file"], *request["args"]])
        status = 0
    except SystemExit as ended:
        status = ended.code if isinstance(ended.code, int) else (0 if ended.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)


def die_with_parent() -> None:
    """This process gets SIGKILL when its parent ends, however it ends (Linux's prctl).

    The launcher calls it, so that a grader killed mid-run leaves no launcher (hence no kernel) behind; each forked
    kernel calls it, so that it ends with its warm process.
    """
    import ctypes

    parent = os.getppid()
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before prctl took effect
        os._exit(1)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(kernels: dict[int, socket.socket], selector, wait: bool = False) -> None:
    """Collect kernels that ended and tell their launchers how (which then exit with that status)."""
    while kernels:
        try:
            pid, status = os.waitpid(-1, 0 if wait else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = kernels.pop(pid, None)
        if connection is None:
            continue
        selector.unregister(connection)
        try:
            connection.sendall(json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
        except OSError:
            pass
        connection.close()


if __name__ == "__main__":
    serve(sys.argv[1], sandboxed="--sandboxed" in sys.argv[2:])
    # Skip the interpreter's teardown: with torch loaded it takes 0.4 s of CPU, which every graded submission would
    # wait for when it is asked to stop. Nothing is left to flush: the kernels are gone.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
