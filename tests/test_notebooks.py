"""Every lab notebook, run as the model solution and with its catalogued faults.

* seed 0, one kernel per notebook (:mod:`labs.qa.fault_runs`): the model solution earns every autograded
  point within its budget, and each catalogued wrong answer, run in a fork of that same kernel at the
  point where a student would have written it, loses the points of the test cells it names, while each catalogued
  correct alternative (another style or method a student may rightly choose) earns all of them;
* other seeds: ``make seeds N=20`` runs the solution under seeds 1..N (``LABS_SEED_SWEEP``; not part of
  ``make test``). In ``make test`` the check that a solution is not tuned to seed 0 is the nbgrader pipeline's
  (``tests/test_grading_pipeline.py``): it grades the model solution at a fresh seed every run, so the solution
  runs once more only when a sweep asks for it.

Budgets are in reference seconds: the kernel's CPU seconds divided by this machine's measured
slowness (``tests.timings``), so a slower or busier machine fails no budget a faster one passes.
The tests of one notebook run on one xdist worker (``xdist_group``), which runs its kernel once.
"""

from __future__ import annotations

import os

import pytest

from labs.qa import execute, fault_runs, faults
from tests import timings
from tests.conftest import COURSE, LABS

pytestmark = pytest.mark.slow

NOTEBOOKS = [(lab, path) for lab in LABS for path in COURSE.notebooks(lab)]
CATALOGUES = {lab: faults.load(COURSE, lab) for lab in LABS}
ALTERNATIVES = {lab: faults.load_alternatives(COURSE, lab) for lab in LABS}


def _group(lab, path):
    return pytest.mark.xdist_group(f"{lab}-{path.stem}")


def _notebook_params():
    return [pytest.param(lab, path, marks=_group(lab, path), id=f"{lab}/{path.stem}") for lab, path in NOTEBOOKS]


def _fault_params(catalogues=CATALOGUES):
    params = []
    for lab in LABS:
        notebooks = COURSE.notebooks(lab)
        for fault in catalogues[lab]:
            path = faults.notebook_of(fault.answer, notebooks)
            params.append(pytest.param(lab, path, fault, marks=_group(lab, path), id=f"{lab}-{fault.name}"))
    return params


class Measured:
    """A notebook run with the machine's slowness measured around it, in reference seconds."""

    def __init__(self, result: fault_runs.NotebookRun, slowness: float):
        self.result, self.slowness = result, slowness
        self.reference = result.kernel_cpu / slowness
        self.slowest_index, cpu, _ = result.slowest_cell()
        self.slowest_cell = cpu / slowness

    def budget_problems(self, name: str) -> list[str]:
        problems = []
        if self.reference > timings.BUDGET_SECONDS:
            problems.append(
                f"{name} needs {self.reference:.1f} reference s, over the {timings.BUDGET_SECONDS:.0f} s budget "
                f"({self.result.kernel_cpu:.1f} CPU s here, on a machine {self.slowness:.2f}x the reference's time; "
                f"{self.result.seconds:.1f} s wall)")
        cell_limit, _ = COURSE.execution_settings()
        allowed = cell_limit * timings.CELL_SHARE_OF_LIMIT
        if self.slowest_cell > allowed:
            problems.append(
                f"{name} cell {self.slowest_index} needs {self.slowest_cell:.1f} reference s: more than "
                f"{allowed:.0f} s leaves too little of the {cell_limit} s grading limit for a loaded grader")
        return problems


def measure(lab, path, catalogue, seed, kind, record_timing) -> Measured:
    before = timings.calibrate()
    result = fault_runs.run(COURSE, path, catalogue, seed=seed)
    measured = Measured(result, timings.slowness(before, timings.calibrate()))
    run = result.run
    record_timing(table="notebook", notebook=f"{lab}/{path.name}", kind=kind, seconds=result.seconds,
                  cpu=result.kernel_cpu, reference=measured.reference, slowest_cell=measured.slowest_cell,
                  score=run.score, max_score=run.max_score, seed=seed)
    if catalogue:
        record_timing(table="notebook", notebook=f"{lab}/{path.name}", kind=f"{len(catalogue)} faults, forked",
                      seconds=result.branch_seconds)
    return measured


_seed0: dict = {}  # notebook path -> Measured, or the error its run raised (one run per worker)


def seed0_run(lab, path, record_timing) -> Measured:
    if path not in _seed0:
        catalogue = faults.in_notebook(CATALOGUES[lab] + ALTERNATIVES[lab], execute.read(path))
        try:
            _seed0[path] = measure(lab, path, catalogue, 0, "solution + faults, seed 0", record_timing)
        except Exception as error:  # every test of this notebook reports it; none runs the kernel again
            _seed0[path] = error
    if isinstance(_seed0[path], Exception):
        raise _seed0[path]
    return _seed0[path]


@pytest.mark.parametrize(("lab", "path"), _notebook_params())
def test_solution_full_marks_within_budget(lab, path, record_timing):
    measured = seed0_run(lab, path, record_timing)
    run = measured.result.run
    assert run.max_score > 0, f"{path.name} has no autograded points"
    assert run.score == run.max_score, f"{path.name}: model solution earned {run.score}/{run.max_score}\n{run.failures()}"
    problems = measured.budget_problems(path.name)
    assert not problems, problems


@pytest.mark.parametrize(("lab", "path", "fault"), _fault_params())
def test_fault_loses_points(lab, path, fault, record_timing):
    measured = seed0_run(lab, path, record_timing)
    solution = measured.result.run.by_id()
    unearned = [test for test in fault.fails if not solution[test].passed]
    assert not unearned, f"the model solution itself loses {unearned}: fault {fault.name} proves nothing"
    branch = measured.result.branches[fault.name]
    assert not branch.problem(), f"fault {fault.name}: {branch.problem()}"
    survived = branch.survived()
    assert not survived, f"fault {fault.name} ({fault.why}) survived: {', '.join(survived)} still earn full points"


@pytest.mark.parametrize(("lab", "path", "alternative"), _fault_params(ALTERNATIVES))
def test_correct_alternative_earns_every_point(lab, path, alternative, record_timing):
    measured = seed0_run(lab, path, record_timing)
    branch = measured.result.branches[alternative.name]
    assert not branch.problem(), f"alternative {alternative.name}: {branch.problem()}"
    refused = branch.refused()
    assert not refused, (f"the correct alternative {alternative.name} ({alternative.why}) loses points in "
                         + "; ".join(f"{test}: {branch.errors.get(test, 'not reached')}" for test in refused))


if os.environ.get("LABS_SEED_SWEEP"):  # make seeds N=...: defined only then, so that make test lists no skipped runs

    @pytest.mark.parametrize("seed", range(1, int(os.environ["LABS_SEED_SWEEP"]) + 1))
    @pytest.mark.parametrize(("lab", "path"), NOTEBOOKS, ids=[f"{lab}/{path.stem}" for lab, path in NOTEBOOKS])
    def test_solution_at_another_seed(lab, path, seed, record_timing):
        measured = measure(lab, path, [], seed, f"solution, seed {seed}", record_timing)
        run = measured.result.run
        assert run.score == run.max_score, f"{path.name} with LABS_SEED={seed}: {run.score}/{run.max_score}\n{run.failures()}"
        problems = measured.budget_problems(path.name)
        assert not problems, problems + [f"LABS_SEED={seed}"]
