"""Inside a notebook kernel: run a branch of cells in a forked copy of the kernel.

The test harness (:mod:`labs.qa.fault_runs`) runs a model solution in one real Jupyter kernel. At an
answer cell it asks this module, by a control cell, to run each catalogued wrong answer in a
``fork()`` of the kernel: the child inherits everything the notebook has computed so far (imports,
data, trained models, random state), runs the wrong answer and the test cells after it, writes their
outputs to a file and exits. The parent kernel waits, then goes on with the model solution. So a
fault costs only its own cells, and whatever it changes (module attributes, random state, globals,
files in the working directory, ``$TMPDIR``) dies with the child.

The child never touches the kernel's ZeroMQ sockets (their threads do not survive ``fork``): it
records what the cells print, display and raise itself, in the
form nbgrader scores (stream, display_data, execute_result and error outputs). Each cell runs
under the grading per-cell time limit (SIGALRM); a branch that will not stop is killed.

Also here: a per-cell clock (CPU and wall seconds of every cell the kernel runs), read by the harness
to check the budgets.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

# A child that must be killed gets this many seconds beyond the sum of its cells' limits (unless the spec says).
KILL_GRACE_SECONDS = 30
EXIT_OK, EXIT_HARNESS_ERROR = 0, 70


class CellTimeout(Exception):
    """A cell of a forked branch ran past the per-cell limit."""


class _Stream:
    """``sys.stdout`` / ``sys.stderr`` of a branch: text goes to the current cell's outputs."""

    def __init__(self, name: str, outputs: list, fd: int):
        self.name, self._outputs, self._fd = name, outputs, fd
        self.encoding, self.errors = "utf-8", "strict"

    def write(self, text) -> int:
        if text:
            self._outputs.append({"output_type": "stream", "name": self.name, "text": str(text)})
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def fileno(self) -> int:
        return self._fd


class _Recorder:
    """Takes over the shell's output paths in the child and collects one cell's outputs at a time.

    What C code writes straight to file descriptors 1 and 2 is left alone: a kernel run by nbclient
    does not put it in the cell's outputs either (``tests/test_fault_runs.py`` compares the two).
    """

    def __init__(self, shell):
        self.outputs: list[dict] = []
        sys.stdout = _Stream("stdout", self.outputs, 1)
        sys.stderr = _Stream("stderr", self.outputs, 2)
        self._install_display(shell)

    def _install_display(self, shell) -> None:
        outputs = self.outputs

        def publish(data, metadata=None, *args, **kwargs):
            outputs.append({"output_type": "display_data", "data": {"text/plain": str(data.get("text/plain", ""))},
                            "metadata": {}})

        shell.display_pub.publish = publish
        shell.display_pub.clear_output = lambda *args, **kwargs: None
        hook = shell.displayhook
        hook.start_displayhook = lambda: None
        hook.write_output_prompt = lambda: None
        hook.finish_displayhook = lambda: None

        def write_format_data(format_dict, md_dict=None):
            outputs.append({"output_type": "execute_result", "execution_count": shell.execution_count,
                            "data": {"text/plain": str(format_dict.get("text/plain", ""))}, "metadata": {}})

        hook.write_format_data = write_format_data

        def showtraceback(etype, evalue, stb):
            outputs.append({"output_type": "error", "ename": getattr(etype, "__name__", str(etype)),
                            "evalue": str(evalue), "traceback": list(stb or [])})

        shell._showtraceback = showtraceback

    def take(self) -> list[dict]:
        """The outputs of the cell that just ran."""
        taken = list(self.outputs)
        self.outputs.clear()
        return taken


def _on_alarm(signum, frame):
    raise CellTimeout("the cell ran past the per-cell time limit")


def _isolate(private: Path) -> None:
    """Give the child its own copy of the working directory and its own temporary directory, in ``private``."""
    work = private / "work"
    shutil.copytree(os.getcwd(), work, symlinks=True)
    os.chdir(work)
    temporary = private / "tmp"
    temporary.mkdir()
    os.environ["TMPDIR"] = str(temporary)
    tempfile.tempdir = str(temporary)


def _run_child(branch: dict, cell_timeout: float, private: Path) -> None:
    """In the forked child: run the branch's cells, appending one JSON line per finished cell."""
    os.setpgid(0, 0)  # the parent can kill the child and anything it starts in one go
    from IPython import get_ipython

    shell = get_ipython()
    with open(branch["result"], "a") as results:
        _isolate(private)
        recorder = _Recorder(shell)
        signal.signal(signal.SIGALRM, _on_alarm)
        for cell in branch["cells"]:
            started = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, cell_timeout)
            try:
                # No history: the kernel's history thread is gone in the child, and may have held its lock.
                shell.run_cell(cell["source"], store_history=False)
            except BaseException as error:  # an alarm that fired outside the cell's own code
                recorder.outputs.append({"output_type": "error", "ename": type(error).__name__,
                                         "evalue": str(error), "traceback": []})
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            line = {"index": cell["index"], "outputs": recorder.take(),
                    "seconds": time.perf_counter() - started}
            results.write(json.dumps(line) + "\n")
            results.flush()


def _kill(pid: int) -> int:
    """Kill the child and everything it started; return its exit code."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _wait(pid: int, deadline: float) -> tuple[str, int]:
    """Wait for the child until ``deadline``; kill its process group when it is passed."""
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return "exited", os.waitstatus_to_exitcode(status)
            if time.monotonic() > deadline:
                return "killed", _kill(pid)
            time.sleep(0.02)
    except BaseException:  # the parent was interrupted: no child outlives it
        _kill(pid)
        raise


def run_branch(branch: dict, cell_timeout: float, kill_grace: float = KILL_GRACE_SECONDS) -> dict:
    """Fork, run ``branch`` in the child, and return how the child ended (also appended to its result file)."""
    sys.stdout.flush()
    sys.stderr.flush()
    started = time.perf_counter()
    # The child's working copy and temporary files: made here, removed here when the child is gone.
    private = Path(tempfile.mkdtemp(prefix="fault-branch-"))
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = EXIT_OK
        try:
            _run_child(branch, cell_timeout, private)
        except BaseException:
            code = EXIT_HARNESS_ERROR
            try:
                with open(branch["result"], "a") as results:
                    results.write(json.dumps({"harness_error": traceback.format_exc()[-3000:]}) + "\n")
            except BaseException:
                pass
        finally:
            os._exit(code)
    try:
        os.setpgid(pid, pid)  # the child does the same: whichever runs first, the group exists
    except OSError:
        pass
    deadline = time.monotonic() + cell_timeout * len(branch["cells"]) + kill_grace
    try:
        how, code = _wait(pid, deadline)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    ending = {"end": how, "exit_code": code, "seconds": time.perf_counter() - started}
    with open(branch["result"], "a") as results:
        results.write(json.dumps(ending) + "\n")
    return ending


def run_branches(spec_path: str) -> None:
    """Run every branch of the JSON spec at ``spec_path`` in turn, each in its own fork."""
    spec = json.loads(Path(spec_path).read_text())
    for branch in spec["branches"]:
        run_branch(branch, float(spec["cell_timeout"]), float(spec.get("kill_grace", KILL_GRACE_SECONDS)))


# --- the per-cell clock ---------------------------------------------------------------------

_clock: list[dict] = []
_started: dict = {}


def _before_cell(info=None) -> None:
    _started.update(cpu=time.process_time(), wall=time.perf_counter())


def _after_cell(result=None) -> None:
    if _started:
        _clock.append({"cpu": time.process_time() - _started["cpu"], "wall": time.perf_counter() - _started["wall"]})
        _started.clear()


def start_clock() -> None:
    """Time every cell from now on (CPU seconds of this process, and wall seconds)."""
    from IPython import get_ipython

    events = get_ipython().events
    events.register("pre_run_cell", _before_cell)
    events.register("post_run_cell", _after_cell)


def read_clock() -> str:
    """The cells timed so far, and this kernel's total CPU seconds, as JSON (printed by the control cell)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return json.dumps({"cells": _clock, "kernel_cpu": usage.ru_utime + usage.ru_stime})
