"""Every lab notebook, run as the model solution and with catalogued faults.

* budget: the solution earns every autograded point and runs in at most 60 s (seed 0, as students see it);
* stability: the solution also earns every point under other seeds ($LABS_SEED);
* faults: each catalogued wrong answer loses the points of the test cells it names.

Fault runs execute only the notebook up to the last test cell the fault must break.
"""

from __future__ import annotations

import os
import random

import pytest

from labs import execute, faults, timings
from labs.paths import lab_notebooks
from tests.conftest import LABS, ROOT

NOTEBOOKS = [(lab, path) for lab in LABS for path in lab_notebooks(lab, ROOT)]
NOTEBOOK_IDS = [f"{lab}/{path.stem}" for lab, path in NOTEBOOKS]


def _sweep_seeds() -> list[str]:
    """Seeds 1-4 plus one fresh each run; LABS_SEED_SWEEP=N runs seeds 1..N instead."""
    if os.environ.get("LABS_SEED_SWEEP"):
        return [str(s) for s in range(1, int(os.environ["LABS_SEED_SWEEP"]) + 1)]
    return ["1", "2", "3", "4", "fresh"]


def _fresh_seed() -> int:
    """A new seed every run (printed, and overridable with LABS_FRESH_SEED to reproduce a failure)."""
    return int(os.environ.get("LABS_FRESH_SEED") or random.SystemRandom().randrange(10_000, 1_000_000))


def _run_solution(path, seed, kind, record_timing):
    run = execute.run(execute.read(path), path.parent, seed=seed)
    record_timing(notebook=f"{path.parent.name}/{path.name}", kind=kind, seconds=run.seconds,
                  score=run.score, max_score=run.max_score, seed=seed)
    return run


@pytest.mark.slow
@pytest.mark.parametrize(("lab", "path"), NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_solution_full_marks_within_budget(lab, path, record_timing):
    run = _run_solution(path, 0, "solution, seed 0", record_timing)
    assert run.max_score > 0, f"{path.name} has no autograded points"
    assert run.score == run.max_score, f"{path.name}: model solution earned {run.score}/{run.max_score}\n{run.failures()}"
    assert run.seconds <= timings.BUDGET_SECONDS, (
        f"{path.name} took {run.seconds:.1f} s, over the {timings.BUDGET_SECONDS:.0f} s budget"
    )


@pytest.mark.slow
@pytest.mark.parametrize("seed", _sweep_seeds())
@pytest.mark.parametrize(("lab", "path"), NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_solution_stable_across_seeds(lab, path, seed, record_timing):
    value = _fresh_seed() if seed == "fresh" else int(seed)
    print(f"{path.name}: LABS_SEED={value}")
    run = _run_solution(path, value, "solution, other seeds", record_timing)
    assert run.score == run.max_score, (
        f"{path.name} with LABS_SEED={value} (reproduce: LABS_FRESH_SEED={value}): "
        f"{run.score}/{run.max_score}\n{run.failures()}"
    )
    assert run.seconds <= timings.BUDGET_SECONDS, f"{path.name} took {run.seconds:.1f} s with seed {value}"


CATALOGUE = [(lab, fault) for lab in LABS for fault in faults.load(lab, ROOT)]


@pytest.mark.slow
@pytest.mark.parametrize(("lab", "fault"), CATALOGUE, ids=[f"{lab}-{f.name}" for lab, f in CATALOGUE])
def test_fault_loses_points(lab, fault, record_timing):
    path = faults.notebook_of(fault.answer, lab_notebooks(lab, ROOT))
    source = execute.read(path)
    broken = execute.truncate_after(faults.inject(source, fault), faults.last_failing_test(source, fault))
    run = execute.run(broken, path.parent)
    record_timing(notebook=f"{lab}/{path.name}", kind="fault (prefix)", seconds=run.seconds,
                  score=run.score, max_score=run.max_score, seed=0)
    scores = run.by_id()
    survived = [test for test in fault.fails if scores[test].passed]
    assert not survived, (
        f"fault {fault.name} ({fault.why}) survived: {', '.join(survived)} still earn full points"
    )
