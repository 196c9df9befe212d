"""Late penalties, quiet warnings, feedback without hidden tests, parallel = sequential, no unsandboxed grading."""

from __future__ import annotations

import csv
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labs.course import Course
from labs.grading import pipeline as grading
from labs.grading.late import penalty
from tests.tinylab import LAB, NOTEBOOK, WRONG_SQUARE, make_course, submit

# The tests share one course graded once (one xdist worker); only the parallel-vs-sequential check grades again.
pytestmark = pytest.mark.xdist_group("grading-features")

DEADLINE = "2026-11-20 12:00:00"
WARNING_DOUBLE = (
    "import warnings\nimport torch\n"
    "def double(x):\n"
    "    warnings.warn('a harmless library warning')\n"
    "    float(torch.ones((), requires_grad=True))  # PyTorch warns about this on stderr by default\n"
    "    return 2 * x\n"
)
SUBMITTED_AT = {  # student -> (timestamp, expected penalty as a share of the score)
    "on-time": ("2026-11-20 11:59:00", 0.0),
    "late-1-hour": ("2026-11-20 13:00:00", 0.1),
    "late-30-hours": ("2026-11-21 18:00:00", 0.2),
    "late-6-days": ("2026-11-26 12:00:01", 1.0),
}


def test_penalty_per_started_day():
    assert penalty(10, -5, 10, 5) == 0
    assert penalty(10, 0, 10, 5) == 0
    assert penalty(10, 1, 10, 5) == pytest.approx(1.0)  # one second late is a started day
    assert penalty(10, 86400, 10, 5) == pytest.approx(1.0)
    assert penalty(10, 86401, 10, 5) == pytest.approx(2.0)
    assert penalty(10, 5 * 86400, 10, 5) == pytest.approx(5.0)
    assert penalty(10, 5 * 86400 + 1, 10, 5) == 10  # zero after five days
    assert penalty(0, 3 * 86400, 10, 5) == 0
    assert penalty(4, 86400 * 3, 50, 5) == 4  # never more than the score


def _labs_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "labs", *args], capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("features"))
    for student, (when, _) in SUBMITTED_AT.items():
        (submit(course, student) / "timestamp.txt").write_text(f"{when}.000000 UTC")
    submit(course, "warns", double=WARNING_DOUBLE)
    submit(course, "wrong", square=WRONG_SQUARE)
    done = _labs_cli("--root", str(course), "deadline", LAB, DEADLINE)
    assert done.returncode == 0, done.stderr
    return course


@pytest.fixture(scope="module")
def graded(course):
    """Every student of the course, graded once, two at a time."""
    return {r.student: r for r in grading.grade(Course(course), LAB, jobs=2)}


@pytest.mark.slow
def test_late_penalties_from_timestamps(course, graded):
    results = graded
    for student, (_, share) in SUBMITTED_AT.items():
        result = results[student]
        assert result.late_penalty == pytest.approx(share * 2), (student, result)
        assert result.score == pytest.approx(2 - share * 2), (student, result)
    with open(course / grading.GRADES_FILE, newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert float(rows["late-30-hours"]["late_submission_penalty"]) == pytest.approx(0.4)


@pytest.mark.slow
def test_library_warnings_do_not_zero_a_correct_answer(graded):
    result = graded["warns"]
    assert result.autograded == 2, grading.format_report([result])


@pytest.mark.slow
def test_feedback_hides_hidden_tests_but_says_what_failed(course, graded):
    page = (course / "feedback" / "wrong" / LAB / NOTEBOOK.replace(".ipynb", ".html")).read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "square(-4) == 16" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "assert_close(square(torch.tensor" not in text
    assert "Hidden tests ran here" in text
    assert "square(3) should be 9, got 6" in text  # the failing check's own message is shown
    assert "Traceback (most recent call last)" not in text


@pytest.mark.slow
def test_parallel_grading_gives_the_sequential_grades(course, graded, tmp_path):
    twin = tmp_path / "twin"
    shutil.copytree(course, twin)
    for stage in ("autograded", "feedback", ".grading", "grades.csv"):  # the twin starts ungraded
        path = twin / stage
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    parallel = {s: (r.autograded, r.score, r.late_penalty, tuple(r.flags)) for s, r in graded.items()}
    sequential = {r.student: (r.autograded, r.score, r.late_penalty, tuple(r.flags)) for r in grading.grade(Course(twin), LAB, jobs=1, canary=False)}
    assert parallel == sequential


@pytest.mark.slow
def test_grading_refuses_to_run_unsandboxed(course, tmp_path):
    bin_dir = tmp_path / "bin"  # a PATH with Python's tools but no bwrap
    bin_dir.mkdir()
    for tool in ("alembic",):
        os.symlink(Path(sys.executable).parent / tool, bin_dir / tool)
    env = {**os.environ, "PATH": f"{bin_dir}:{Path(sys.executable).parent}"}
    assert shutil.which("bwrap", path=env["PATH"]) is None
    refused = _labs_cli("--root", str(course), "grade", LAB, env=env)
    assert refused.returncode == 1
    assert "refusing to run student code unsandboxed" in refused.stderr and "--unsafe-no-sandbox" in refused.stderr
    allowed = _labs_cli("--root", str(course), "grade", LAB, "--unsafe-no-sandbox", "--jobs", "2", "--no-canary", env=env)
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    assert "WITHOUT a sandbox" in allowed.stderr
    assert re.search(r"^on-time\s+lab99\s+2\.0/2\.0", allowed.stdout, re.MULTILINE), allowed.stdout


@pytest.mark.slow
def test_a_broken_resubmission_replaces_the_earlier_grade(tmp_path):
    course = make_course(tmp_path)
    target = submit(course, "resubmits")
    first = grading.grade(Course(course), LAB, jobs=1, canary=False)[0]
    assert first.autograded == 2
    (target / NOTEBOOK).write_text("{ broken")
    second = grading.grade(Course(course), LAB, jobs=1, canary=False)[0]
    assert second.autograded == 0 and "invalid" in second.flags
    with open(course / grading.GRADES_FILE, newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["student_id"] == "resubmits")
    assert float(row["score"]) == 0
    assert not (course / "autograded" / "resubmits" / LAB).exists()


@pytest.mark.slow
def test_several_labs_are_graded_in_one_pool(tmp_path):
    course = make_course(tmp_path)
    other = "lab98"  # a second assignment: the tiny lab under another name
    source = (course / "source" / LAB / NOTEBOOK).read_text().replace(f"{LAB}-", f"{other}-")
    (course / "source" / other).mkdir()
    (course / "source" / other / NOTEBOOK).write_text(source)
    from labs.course import release
    release.generate(Course(course), other)
    submit(course, "ada")
    submit(course, "bob", square=WRONG_SQUARE)
    shutil.copytree(course / "release" / other, course / "submitted" / "ada" / other)  # ada hands in lab98 blank
    lines = []
    results = grading.grade_all(Course(course), [other, LAB], jobs=2, progress=lines.append)
    assert [(r.lab, r.student) for r in results] == [(other, "ada"), (LAB, "ada"), (LAB, "bob")]  # labs in order, then students
    assert [r.autograded for r in results] == [0, 2, 1], [(r.student, r.flags, r.messages) for r in results]
    # Each lab's model solution was graded first (the canary), in the same pool, and earned full marks.
    assert lines.pop(0).startswith(f"grading the model solution of {other}, {LAB} first (the canary")
    assert len(lines) == 3 and all(re.match(r"^\[[123]/3\] graded lab9[89] for (ada|bob) \(\d+ s\)$", line) for line in lines), (
        lines, [(r.student, r.flags, r.messages) for r in results])
    with open(course / grading.GRADES_FILE, newline="") as handle:
        rows = {(r["assignment"], r["student_id"]): float(r["score"]) for r in csv.DictReader(handle)}
    assert rows == {(other, "ada"): 0.0, (other, "bob"): 0.0, (LAB, "ada"): 2.0, (LAB, "bob"): 1.0}  # bob: no lab98, a row of 0


def test_every_hidden_block_of_a_test_cell_is_hidden_in_feedback():
    from labs.grading.feedback import HIDDEN_NOTE, hide_hidden_block

    source = ("_saved = f\n### BEGIN HIDDEN TESTS\ndef f(x):  # the reference\n    return 2 * x\n### END HIDDEN TESTS\n"
              "assert g(1) == 2\n### BEGIN HIDDEN TESTS\nassert g(5) == 10\n### END HIDDEN TESTS\nf = _saved\n")
    hidden = hide_hidden_block(source)
    assert "return 2 * x" not in hidden and "g(5)" not in hidden and "BEGIN HIDDEN" not in hidden
    assert hidden.count(HIDDEN_NOTE) == 2 and "assert g(1) == 2" in hidden and hidden.endswith("f = _saved\n")
    assert hide_hidden_block("visible\n### BEGIN HIDDEN TESTS\nsecret") == "visible\n" + HIDDEN_NOTE


@pytest.mark.slow
def test_the_canary_refuses_to_grade_a_class_that_grading_would_fail(tmp_path):
    """Every notebook of this lab imports a helper from the course folder, which the instructor's own kernel finds and
    the sandbox does not show: every honest student would score 0. The model solution, graded first, loses its points
    the same way, and nothing is graded; with --no-canary the class is graded, and fails, as the canary said."""
    import nbformat

    from labs.course import release
    from labs.grading import canary

    course = make_course(tmp_path)
    (course / "helpers").mkdir()
    (course / "helpers" / "course_helpers.py").write_text("FACTOR = 2\n")
    path = course / "source" / LAB / NOTEBOOK
    nb = nbformat.read(str(path), as_version=4)
    setup = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == f"{LAB}-setup")
    setup.source = f"import sys\nsys.path.insert(0, {str(course / 'helpers')!r})\nimport course_helpers\n" + setup.source
    nbformat.write(nb, str(path))
    release.generate(Course(course), LAB)
    submit(course, "ada")

    with pytest.raises(canary.CanaryFailed) as refused:
        grading.grade(Course(course), LAB, jobs=2)
    why = str(refused.value)
    assert f"the model solution of {LAB} (source/{LAB})" in why and "earned 0/2 autograded points" in why, why
    assert f"lost {NOTEBOOK}: {LAB}-double-tests" in why and "nothing was graded" in why, why
    # and what went wrong, as the kernel saw it: the setup cell could not import the helper
    assert f"{NOTEBOOK} cell 1 raised ModuleNotFoundError: No module named 'course_helpers'" in why, why
    # Nothing of the class was written: no graded notebook, no feedback, no submission in the gradebook, no scratch.
    assert not (course / "autograded").exists() and not (course / "feedback").exists()
    assert not (course / grading.STAGING / f"canary-{LAB}").exists()
    from nbgrader.api import MissingEntry

    with Course(course).gradebook() as gb, pytest.raises(MissingEntry):
        gb.find_submission(LAB, "ada")

    done = _labs_cli("--root", str(course), "grade", LAB, "--jobs", "1")  # the command line says the same, exit 1
    assert done.returncode == 1 and "the canary failed" in done.stderr and "--no-canary" in done.stderr, done.stderr
    graded_anyway = _labs_cli("--root", str(course), "grade", LAB, "--jobs", "1", "--no-canary")
    assert graded_anyway.returncode == 0, graded_anyway.stderr[-2000:]
    assert re.search(r"^ada\s+lab99\s+0\.0/2\.0", graded_anyway.stdout, re.MULTILINE), graded_anyway.stdout
