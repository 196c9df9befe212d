"""Each lab through the real nbgrader pipeline, as an instructor runs it.

generate_assignment -> submitted/ -> ``labs.grading.pipeline.grade`` (autograde in the sandbox, feedback) ->
grades.csv, in a scratch copy of the course per lab, graded once with as many jobs as cores: the
model solution, the untouched release and a broken submission (one notebook unreadable, others missing, one right:
see :func:`broken_layout`; a one-notebook test's missing notebook is another student's), all in the same run, **at a fresh seed**
every run (printed in the timing table; ``LABS_FRESH_SEED=...`` reproduces it). That run is the suite's check
that a model solution is not tuned to seed 0 (``make seeds`` sweeps many). A submission built from the fault
catalogue is graded in a second scratch course at seed 0, where ``tests/test_notebooks.py`` proves that each
fault loses its points: a wrong answer's loss is checked where it is known, not left to a seed's luck. Every test
of a lab reads those graded courses (they share an xdist worker); only the command-line test grades again, and
only the release.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from unittest import mock

import pytest

from labs.course import CONFIG_FILE, Course, cells, release
from labs.grading import pipeline as grading
from labs.qa import execute, faults, submissions
from tests import timings
from tests.conftest import COURSE, LABS, fresh_seed

pytestmark = pytest.mark.slow


def _autograded_points(lab: str) -> float:
    return sum(
        cells.points(cell)
        for path in COURSE.notebooks(lab)
        for cell in execute.read(path).cells
        if cells.is_test(cell)
    )


JOBS = os.cpu_count() or 2  # as many students at once as there are cores: grading under full load


@dataclass
class Graded:
    lab: str
    course: Path  # solution, blank, broken (and absent), graded at ``seed``
    faulty_course: Path  # faulty, graded at seed 0
    seed: int
    results: dict[str, grading.StudentResult]
    notebooks: list[str]

    def reproduce(self) -> str:
        return f"graded at LABS_SEED={self.seed} (reproduce: LABS_FRESH_SEED={self.seed})"


def _scratch_course(lab: str, directory: Path) -> Path:
    course = COURSE.copy_lab(lab, directory).root
    # What these tests check does not depend on the per-cell limit: stretch it so that no load can eat it.
    # (Whether a lab's cells keep to the real limit is checked in reference seconds by test_notebooks.py.)
    limit, _ = COURSE.execution_settings()
    with open(course / CONFIG_FILE, "a") as config:
        config.write(f"\nc.Execute.timeout = {limit * execute.HARNESS_TIMEOUT_FACTOR}\n")
    release.generate(Course(course), lab)
    return course


def _grade_at(seed: int, lab: str, course: Path) -> dict[str, grading.StudentResult]:
    # The sandbox passes LABS_SEED on to every kernel (labs.notebook.setup reads it).
    with mock.patch.dict(os.environ, {"LABS_SEED": str(seed)}):
        # (No canary: the model solution is a student of this very run, and its full marks are the first test.)
        results = {r.student: r for r in grading.grade(Course(course), lab, jobs=JOBS, canary=False)}  # (grades.csv exported)
    return results


def broken_layout(notebooks: list[str]) -> tuple[list[str], str, list[str]]:
    """The broken submission's notebooks: (right, unreadable, missing).

    From three notebooks on: the first right, the second unreadable, the rest missing. The first is the one right because
    in most labs it is light (it introduces; the later ones train the models): this student costs the suite about one
    light notebook's run, where the middle notebooks (lab 5's and lab 6's training among them) cost about 210 s of a CI
    run. Two notebooks: one unreadable, one missing. One: unreadable (another student is missing).
    """
    if len(notebooks) >= 3:
        return notebooks[:1], notebooks[1], notebooks[2:]
    return [], notebooks[0], notebooks[1:]


@pytest.fixture(scope="module", params=[pytest.param(lab, marks=pytest.mark.xdist_group(f"pipeline-{lab}")) for lab in LABS])
def graded(request, tmp_path_factory) -> Graded:
    lab = request.param
    course = _scratch_course(lab, tmp_path_factory.mktemp(f"course-{lab}"))
    submissions.write_submission(Course(course), lab, "solution", "solution")
    submissions.write_submission(Course(course), lab, "blank", "blank")
    notebooks = sorted(p.name for p in (course / "release" / lab).glob("*.ipynb"))
    broken = submissions.write_submission(Course(course), lab, "broken", "solution")
    _, unreadable, missing = broken_layout(notebooks)
    (broken / unreadable).write_text('{"cells": [ not json')
    for name in missing:
        (broken / name).unlink()
    if len(notebooks) == 1:  # one notebook (a test): it cannot be both unreadable and missing, so another student hands in nothing
        (submissions.write_submission(Course(course), lab, "absent", "solution") / notebooks[0]).unlink()
    seed = fresh_seed()
    results = _grade_at(seed, lab, course)

    faulty_course = _scratch_course(lab, tmp_path_factory.mktemp(f"course-{lab}-faulty"))
    submissions.write_submission(Course(faulty_course), lab, "faulty", "faulty", faults.load(COURSE, lab))
    results |= _grade_at(0, lab, faulty_course)
    return Graded(lab, course, faulty_course, seed, results, notebooks)


def test_model_solution_earns_every_autograded_point(graded):
    solution = graded.results["solution"]
    assert solution.max_autograded == _autograded_points(graded.lab) > 0
    assert solution.autograded == solution.max_autograded, f"{graded.reproduce()}\n{grading.format_report([solution])}"
    assert solution.flags == [], graded.reproduce()


def test_untouched_release_earns_zero(graded):
    blank = graded.results["blank"]
    assert blank.max_autograded > 0
    assert blank.autograded == 0, grading.format_report([blank])


def test_catalogued_wrong_answers_lose_points(graded):
    lab, faulty = graded.lab, graded.results["faulty"]
    # The demo's wrong submission holds the first fault of every answer: each named test is lost.
    must_fail = {test for f in submissions.first_fault_per_answer(faults.load(COURSE, lab)) for test in f.fails}
    test_points = {
        cells.grade_id(c): cells.points(c)
        for path in COURSE.notebooks(lab) for c in execute.read(path).cells if cells.is_test(c)
    }
    ceiling = faulty.max_autograded - sum(test_points[t] for t in must_fail)
    assert faulty.autograded <= ceiling < faulty.max_autograded, grading.format_report([faulty])


def test_broken_submissions_are_reported_and_graded_as_far_as_possible(graded):
    lab, course, results, notebooks = graded.lab, graded.course, graded.results, graded.notebooks
    per_notebook = {
        path.name: sum(cells.points(c) for c in execute.read(path).cells if cells.is_test(c))
        for path in COURSE.notebooks(lab)
    }
    right, unreadable, missing_names = broken_layout(notebooks)
    broken = results["broken"]
    missing = results["absent"] if len(notebooks) == 1 else broken
    assert "invalid" in broken.flags and "missing" in missing.flags
    assert any(unreadable in m and "not a readable notebook" in m for m in broken.messages)
    for name in missing_names or notebooks:
        assert any(name in m and "missing" in m for m in missing.messages), name
    # The right notebooks are graded as usual: their points, and no other.
    assert broken.autograded == sum(per_notebook[name] for name in right), graded.reproduce()
    assert broken.autograded > 0 or not right
    if len(notebooks) == 1:
        assert missing.autograded == 0
    # The student's own files are kept as submitted.
    assert (course / "submitted" / "broken" / lab / unreadable).read_text() == '{"cells": [ not json'


def test_feedback_and_grades_csv(graded):
    lab = graded.lab
    rows = {}
    for course, students in ((graded.course, ("solution", "blank")), (graded.faulty_course, ("faulty",))):
        for student in students:
            for name in graded.notebooks:
                html = course / "feedback" / student / lab / name.replace(".ipynb", ".html")
                result = graded.results.get(student)
                why = f" ({result.flags}: {result.messages})" if result is not None else ""
                assert html.is_file() and html.stat().st_size > 1000, f"no feedback at {html}{why}; {graded.reproduce()}"
        with open(course / "grades.csv", newline="") as handle:
            rows |= {row["student_id"]: row for row in csv.DictReader(handle) if row["assignment"] == lab}
    # Every student has a row, also one with nothing gradable (a one-notebook test handed in unreadable, or not at all):
    # the grader puts them in the gradebook, so the export gives them 0.
    assert set(rows) == set(graded.results)
    for student, result in graded.results.items():
        assert float(rows[student]["score"]) == pytest.approx(result.score)


def test_grade_command_reports_each_student(graded, tmp_path):
    lab, course, notebooks = graded.lab, graded.course, graded.notebooks
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    for student in ("solution", "broken", "absent"):  # graded already: only the (cheap) release is graded again
        shutil.rmtree(copy / "submitted" / student, ignore_errors=True)
    (copy / "submitted" / "blank" / lab / notebooks[-1]).unlink()
    done = subprocess.run(
        [sys.executable, "-m", "labs", "--root", str(copy), "grade", lab, "--jobs", str(JOBS), "--no-canary"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = done.stdout
    assert "grades exported to" in report
    blank_line = next(line for line in report.splitlines() if line.startswith("blank "))
    assert " 0.0/" in blank_line and "missing" in blank_line
    assert f"{notebooks[-1]} is missing from the submission" in report


def _cell_seconds(cell) -> float | None:
    """How long a graded cell ran, from the timestamps nbclient leaves in its metadata."""
    execution = cell.get("metadata", {}).get("execution", {})
    if "iopub.status.busy" not in execution or "iopub.status.idle" not in execution:
        return None
    busy, idle = (datetime.fromisoformat(execution[k].replace("Z", "+00:00")) for k in ("iopub.status.busy", "iopub.status.idle"))
    return (idle - busy).total_seconds()


def test_cell_times_of_the_solution_graded_under_full_load(graded, record_timing):
    """How long each graded cell ran with JOBS kernels at once: the timing table sets the slowest against the limit."""
    lab, course = graded.lab, graded.course
    for name in graded.notebooks:
        nb = execute.read(course / "autograded" / "solution" / lab / name)
        code_cells = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        seconds = [s for c in code_cells if (s := _cell_seconds(c)) is not None]
        assert len(seconds) == len(code_cells), f"{len(code_cells) - len(seconds)} cells of the graded {name} have no timing"
        record_timing(table="notebook", notebook=f"{lab}/{name}", kind=timings.GRADED_UNDER_LOAD,
                      seconds=sum(seconds), slowest_cell=max(seconds), seed=graded.seed)
