"""Faults run in forks of one kernel: isolated from each other, and scored as a fresh kernel scores them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from labs.course import CONFIG_FILE
from labs.qa import execute, fault_runs, faults
from labs.qa.faults import Fault
from tests.conftest import COURSE, ROOT
from tests.tinylab import meta

# The kernel-backed tests share one forked run: one xdist worker.
pytestmark = pytest.mark.xdist_group("fault-runs")

INVARIANTS = (
    "assert math.pi > 3.14, 'math.pi was changed'\n"
    "assert not os.path.exists('leak.txt'), 'a file written by another run is here'\n"
    "assert 'LEAK' not in os.environ, 'an environment variable set by another run is here'\n"
    "assert not globals().get('LEAKED_GLOBAL'), 'a global set by another run is here'\n"
)


def probe_notebook() -> nbformat.NotebookNode:
    """Three answers whose tests also check that nothing leaked in: module attributes, files, RNG, globals."""
    cells = [
        new_markdown_cell("# Probe", metadata=meta("lab98-title", locked=True)),
        new_code_cell("import math, os, sys, warnings\nimport torch\ntorch.manual_seed(0)\n"
                      "open('written-by-setup.txt', 'w').write('the kernel works in a scratch copy')\n"
                      "_reference = torch.Generator().manual_seed(0)\n"
                      "FIRST_DRAW, SECOND_DRAW = torch.rand(3, generator=_reference), torch.rand(3, generator=_reference)",
                      metadata=meta("lab98-setup", locked=True)),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                      metadata=meta("lab98-double", solution=True)),
        new_code_cell("assert double(3) == 6, 'double(3) should be 6'\n" + INVARIANTS +
                      "assert torch.equal(torch.rand(3), FIRST_DRAW), 'the random state moved'",
                      metadata=meta("lab98-double-tests", grade=True, locked=True, points=1)),
        new_code_cell("def half(x):\n    ### BEGIN SOLUTION\n    return x / 2\n    ### END SOLUTION",
                      metadata=meta("lab98-half", solution=True)),
        # Ends with a number: nbgrader's partial credit (0.0 of 1 point when half is wrong).
        new_code_cell("float(half(4) == 2)", metadata=meta("lab98-half-tests", grade=True, locked=True, points=1)),
        new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
                      metadata=meta("lab98-square", solution=True)),
        new_code_cell("assert square(3) == 9\n" + INVARIANTS +
                      "assert torch.equal(torch.rand(3), SECOND_DRAW), 'the random state moved'",
                      metadata=meta("lab98-square-tests", grade=True, locked=True, points=1)),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


DOUBLE, DOUBLE_T = "lab98-double", ("lab98-double-tests",)
POLLUTES = Fault("pollutes", DOUBLE, DOUBLE_T, source=(
    "import math, os, torch\nmath.pi = 3\nos.environ['LEAK'] = '1'\nopen('leak.txt', 'w').write('x')\n"
    "torch.manual_seed(1234)\nLEAKED_GLOBAL = True\ndef double(x):\n    return 2 * x\n"), why="changes everything it can")
# Right answers in another form: they must survive, which they only do if nothing of the polluter leaked.
TWINS = [Fault(f"benign-twin-{n}", DOUBLE, DOUBLE_T, replace=(("return 2 * x", form),), why="a correct rewrite")
         for n, form in enumerate(["return x * 2", "return x + x"])]
SCORED = [  # each loses its test the way nbgrader decides it
    Fault("writes-stderr", DOUBLE, DOUBLE_T, replace=(("return 2 * x", "sys.stderr.write('careful\\n')\n    return 2 * x"),)),
    Fault("warns", DOUBLE, DOUBLE_T, replace=(("return 2 * x", "warnings.warn('careful')\n    return 2 * x"),)),
    Fault("raises", DOUBLE, DOUBLE_T, replace=(("return 2 * x", "return 2 * x + 1"),)),
    Fault("half-wrong", "lab98-half", ("lab98-half-tests",), replace=(("x / 2", "x / 3"),)),
    Fault("square-wrong", "lab98-square", ("lab98-square-tests",), replace=(("x * x", "x + x"),)),
]
# What C code writes straight to file descriptor 2 is not a cell output in a kernel: it costs nothing, in a fork too.
NATIVE_STDERR = Fault("writes-fd-2", DOUBLE, DOUBLE_T, replace=(("return 2 * x", "os.write(2, b'from C\\n')\n    return 2 * x"),))
DIES = Fault("kills-kernel", DOUBLE, DOUBLE_T, source="import os\nos._exit(3)\n")


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    course = tmp_path_factory.mktemp("probe-course")
    (course / CONFIG_FILE).write_text((ROOT / CONFIG_FILE).read_text())
    folder = course / "source" / "lab98"
    folder.mkdir(parents=True)
    path = folder / "1_probe.ipynb"
    nbformat.write(probe_notebook(), str(path))
    return course, path


@pytest.fixture(scope="module")
def forked(probe):
    course, path = probe
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COMP6248_ROOT", str(course))
        return fault_runs.run(COURSE, path, [POLLUTES, *TWINS, *SCORED, NATIVE_STDERR, DIES])


@pytest.mark.slow
def test_a_fault_that_changes_global_state_does_not_reach_the_next_fault(forked):
    assert forked.branches["pollutes"].survived() == []  # it is caught itself
    for twin in TWINS:
        branch = forked.branches[twin.name]
        assert not branch.problem()
        assert branch.survived() == list(DOUBLE_T), f"{twin.name} lost points: {branch.errors}"


@pytest.mark.slow
def test_the_solution_run_is_untouched_by_its_forks(forked, probe):
    run = forked.run
    assert run.score == run.max_score == 3, run.failures()
    assert sorted(p.name for p in probe[1].parent.iterdir()) == ["1_probe.ipynb"]  # nothing written beside it


@pytest.mark.slow
def test_a_fork_scores_each_test_as_a_fresh_kernel_does(forked, probe, monkeypatch, tmp_path):
    course, path = probe
    monkeypatch.setenv("COMP6248_ROOT", str(course))
    work = tmp_path / "work"
    shutil.copytree(path.parent, work)
    source = execute.read(path)
    for fault in [*SCORED, NATIVE_STDERR]:
        branch = forked.branches[fault.name]
        assert not branch.problem()
        assert branch.survived() == (list(fault.fails) if fault is NATIVE_STDERR else []), (fault.name, branch.errors)
        fresh = execute.run(COURSE, execute.truncate_after(faults.inject(source, fault), faults.last_failing_test(source, fault)),
                            work).by_id()
        assert {t: fresh[t].score for t in fault.fails} == {t: branch.scores[t].score for t in fault.fails}, fault.name


def test_harness_kernels_run_on_the_cpu_with_one_thread(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    env = execute.kernel_environment(seed=7)
    assert env["CUDA_VISIBLE_DEVICES"] == "" and env["OMP_NUM_THREADS"] == "1" and env["LABS_SEED"] == "7"


@pytest.mark.slow
def test_a_fault_that_kills_its_kernel_loses_its_tests(forked):
    branch = forked.branches["kills-kernel"]
    assert branch.ended == "exited" and branch.exit_code == 3 and not branch.harness_error
    assert branch.survived() == [] and branch.scores == {}


def _branch_in_a_shell(tmp_path: Path, cells: list[str], cell_timeout: float, kill_grace: float) -> list[dict]:
    """Run one branch from a plain IPython shell in a subprocess (no Jupyter kernel needed)."""
    result = tmp_path / "result.jsonl"
    branch = {"cells": [{"index": i, "source": s} for i, s in enumerate(cells)], "result": str(result)}
    script = textwrap.dedent(f"""
        from IPython.core.interactiveshell import InteractiveShell
        from labs.qa import kernel_fork
        InteractiveShell.instance()
        kernel_fork.run_branch({json.dumps(branch)}, {cell_timeout}, {kill_grace})
    """)
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, check=True, timeout=60)
    return [json.loads(line) for line in result.read_text().splitlines()]


def test_a_branch_cell_that_runs_too_long_is_stopped_and_the_next_cell_runs(tmp_path):
    lines = _branch_in_a_shell(tmp_path, ["while True:\n    pass", "print('next')"], cell_timeout=1, kill_grace=20)
    first, second, end = lines
    assert [o["ename"] for o in first["outputs"] if o["output_type"] == "error"] == ["CellTimeout"]
    assert second["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "next"},
                                 {"output_type": "stream", "name": "stdout", "text": "\n"}]
    assert end["end"] == "exited" and end["exit_code"] == 0


def test_a_branch_that_ignores_the_time_limit_is_killed(tmp_path):
    cells = ["import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    pass"]
    lines = _branch_in_a_shell(tmp_path, cells, cell_timeout=1, kill_grace=1)
    assert lines[-1]["end"] == "killed" and lines[-1]["seconds"] < 10
