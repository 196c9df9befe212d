"""The timing report: cost per lab and kind of check, the projection for eleven labs, budgets in reference seconds."""

from __future__ import annotations

import re

import pytest

from tests import timings


def _test(lab, kind, cpu):
    return {"table": "test", "test": f"t-{lab}-{kind}-{cpu}", "lab": lab, "kind": kind, "wall": cpu, "cpu": cpu}


ROWS = [
    _test("lab01", "seed 0 + faults", 100.0), _test("lab01", "nbgrader pipeline", 50.0),
    _test("lab02", "seed 0 + faults", 300.0), _test("lab02", "another seed", 30.0),
    _test(None, "adversarial grading", 120.0), _test(None, "quick checks", 10.0), _test("test1", "nbgrader pipeline", 40.0),
    {"table": "notebook", "notebook": "lab01/1_a.ipynb", "kind": timings.GRADED_UNDER_LOAD, "seconds": 20.0, "slowest_cell": 12.0},
    {"table": "notebook", "notebook": "lab02/1_b.ipynb", "kind": timings.GRADED_UNDER_LOAD, "seconds": 30.0, "slowest_cell": 24.0,
     "seed": 123456},
    {"table": "notebook", "notebook": "lab02/1_b.ipynb", "kind": "solution + faults, seed 0", "seconds": 9.0, "cpu": 8.0,
     "reference": 6.4, "slowest_cell": 2.5, "score": 3, "max_score": 3},
]


def test_cost_per_lab_totals_and_projection():
    text = timings.table(ROWS, wall_seconds=325.0, workers=2, cell_limit=60)
    assert re.search(r"^\| lab01 \| 0 \| 50 \| 100 \| 150 \|$", text, re.MULTILINE), text
    assert re.search(r"^\| lab02 \| 30 \| 0 \| 300 \| 330 \|$", text, re.MULTILINE), text
    # The in-class test is not averaged in with the labs: it is added as it is.
    assert ("Total: 650 CPU s over 7 tests; labs 480 CPU s (2 labs, 240 CPU s a lab on average), "
            "course-wide and tests 170 CPU s.") in text
    assert "In-class tests: 40 CPU s for 1, counted with the course-wide checks." in text
    # 170 + 11 x 240 = 2810 CPU s; this run kept 650 / (325 x 2) = 100 % of the cores busy: 2810 / 2 s = 23.4 min.
    assert "Projected for 11 labs at this per-lab cost: 2810 CPU s, about 23.4 min wall" in text
    assert "Course-wide checks (not tied to one lab), CPU s: adversarial grading 120, quick checks 10." in text


def test_margin_against_the_grading_cell_limit():
    text = timings.table(ROWS, cell_limit=60)
    assert "the slowest cell graded under full load took 24.0 s (lab02/1_b.ipynb), a margin of 2.5x" in text
    assert "per lab: lab01 12.0 s, lab02 24.0 s." in text
    assert "| lab02/1_b.ipynb | solution + faults, seed 0 | 1 | 9.0 | 8.0 | 6.4 | 2.5 | 3/3 |" in text
    # The pipeline's fresh seed is shown beside its run (a run whose kind names its seed is not named twice).
    assert f"| lab02/1_b.ipynb | {timings.GRADED_UNDER_LOAD}, seed 123456 | 1 | 30.0 |" in text
    assert f"| lab01/1_a.ipynb | {timings.GRADED_UNDER_LOAD} | 1 | 20.0 |" in text


def test_slowness_is_measured_against_the_reference_machine():
    assert timings.slowness(timings.REFERENCE_CALIBRATION_CPU) == pytest.approx(1.0)
    assert timings.slowness(1.5 * timings.REFERENCE_CALIBRATION_CPU, 2.5 * timings.REFERENCE_CALIBRATION_CPU) == pytest.approx(2.0)


def test_calibration_counts_cpu_seconds_of_a_fixed_workload():
    first, second = timings.calibrate(), timings.calibrate()
    assert 0.05 < first < 30 and 0.05 < second < 30
    # The same work twice: CPU seconds agree far better than the factor of two a busy machine makes of wall time.
    assert 0.5 < first / second < 2.0
