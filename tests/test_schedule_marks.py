"""The course schedule (course.toml) and module marks, against real nbgrader gradebooks, bad input included."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from labs.course import Course, marks, schedule

ROOT = Path(__file__).resolve().parents[1]
COURSE = Course(ROOT)
# nbgrader's own bookkeeping warns about detached database objects when submissions are added; it is harmless
# (labs.grading.pipeline silences the same warning).
pytestmark = pytest.mark.filterwarnings("ignore:.*not in session.*")

GOOD = """\
[weights]
labs = 40
project = 40
tests = 20

[project]
preparation_share = 25
report_due = "2027-05-28 16:00"

[[hand_in]]
name = "Labs 1-2"
assignments = ["lab01", "lab02"]
due = "2027-02-19 16:00"
counts_in = "labs"

[[hand_in]]
name = "Test"
assignments = ["test1"]
due = "2027-03-05T11:00+01:00"
counts_in = "tests"

[[hand_in]]
name = "Preparation"
assignments = ["lab09"]
due = "2027-05-07 16:00"
counts_in = "project"
"""
KNOWN = ["lab01", "lab02", "lab09", "test1"]


def test_the_course_schedule_is_valid_and_covers_every_assignment():
    plan = schedule.load(COURSE)
    scheduled = [a for h in plan.hand_ins for a in h.assignments]
    assert sorted(scheduled) == COURSE.labs()  # every assignment in source/ has a due date, once
    assert plan.weights == {"labs": 40.0, "project": 40.0, "tests": 20.0}
    assert plan.assignments_in("labs")[:3] == ["lab01", "lab02", "lab03"]


def test_parse_reads_groups_dates_in_utc_and_weights():
    plan = schedule.parse(GOOD, KNOWN)
    assert plan.assignments_in("labs") == ["lab01", "lab02"] and plan.assignments_in("tests") == ["test1"]
    assert plan.due_dates()["test1"] == datetime(2027, 3, 5, 10, 0)  # 11:00 at +01:00 is 10:00 UTC
    assert plan.preparation_share == 25.0
    shown = schedule.calendar(plan, released={"lab01"})
    assert shown.index("Labs 1-2") < shown.index("Test") < shown.index("Preparation")
    assert "lab02 (not released)" in shown and "lab01," in shown
    assert shown.index("Preparation") < shown.index("Project report")  # the report is due last
    assert plan.report_due == datetime(2027, 5, 28, 16, 0)


@pytest.mark.parametrize("change, message", [
    (("labs = 40", "labs = 45"), r"course.toml:1: the weights add up to 105, not 100"),
    (('assignments = ["lab01", "lab02"]', 'assignments = ["lab01", "lab12"]'), r"course.toml:12: unknown assignment 'lab12' in 'Labs 1-2'"),
    (('assignments = ["test1"]', 'assignments = ["test1", "lab02"]'), r"course.toml:18: lab02 is in two hand-in groups"),
    (('due = "2027-02-19 16:00"', 'due = "19/02/2027"'), r"course.toml:13: cannot read due = '19/02/2027'"),
    (('counts_in = "tests"', 'counts_in = "exams"'), r"course.toml:20: counts_in = 'exams' in 'Test'; it must be one of labs, project, tests"),
    (("preparation_share = 25", "preparation_share = 120"), r"course.toml:7: project.preparation_share must be a percentage"),
    (('name = "Test"\n', 'name = "Test"\nweight = 3\n'), r"course.toml:18: unknown key 'weight' in hand-in group 'Test'"),
    (("[weights]", "[weights\n"), r"course.toml: not valid TOML: .*line 1"),
    (('report_due = "2027-05-28 16:00"', 'report_due = "end of May"'), r"course.toml:8: cannot read due = 'end of May'"),
    (('name = "Labs 1-2"\n', ''), r"course.toml:10: hand-in group 1 needs a name"),
])
def test_bad_schedules_are_refused_naming_the_line(change, message):
    with pytest.raises(schedule.ScheduleError, match=message):
        schedule.parse(GOOD.replace(*change), KNOWN)


def _course(tmp_path: Path, assignments=("lab01", "lab02", "lab09", "test1")) -> Path:
    """A course root with source/ folders, the GOOD schedule and a real nbgrader gradebook."""
    for name in KNOWN:
        (tmp_path / "source" / name).mkdir(parents=True)
    (tmp_path / "course.toml").write_text(GOOD)
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        for name in assignments:
            gb.add_assignment(name)
            gb.add_notebook("nb", name)
            gb.add_grade_cell("q1", "nb", name, max_score=6, cell_type="code")
            gb.add_grade_cell("q2", "nb", name, max_score=4, cell_type="markdown")
    return tmp_path


def _grade(root: Path, assignment: str, student: str, q1: float, q2: float | None, penalty: float = 0.0) -> None:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        try:
            gb.find_student(student)
        except Exception:
            gb.add_student(student)
        gb.add_submission(assignment, student)
        g1 = gb.find_grade("q1", "nb", assignment, student)
        g1.auto_score = q1
        g1.needs_manual_grade = False  # autograded
        g2 = gb.find_grade("q2", "nb", assignment, student)
        g2.manual_score = q2  # None: the written answer waits for the formgrader
        g2.needs_manual_grade = q2 is None  # as autograde leaves it, and the formgrader clears it
        notebook = gb.find_submission_notebook("nb", assignment, student)
        notebook.late_submission_penalty = penalty
        gb.db.commit()


def test_schedule_command_writes_due_dates_of_released_assignments(tmp_path):
    root = _course(tmp_path, assignments=("lab01", "test1"))
    done = subprocess.run([sys.executable, "-m", "labs", "--root", str(root), "schedule"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "not released yet: lab02, lab09" in done.stdout and "due dates written to the gradebook for 2" in done.stdout
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        assert gb.find_assignment("lab01").duedate == datetime(2027, 2, 19, 16, 0)
        assert gb.find_assignment("test1").duedate == datetime(2027, 3, 5, 10, 0)
        assert {a.name for a in gb.assignments} == {"lab01", "test1"}  # nothing invented for unreleased ones


def test_a_bad_schedule_changes_nothing_in_the_gradebook(tmp_path):
    root = _course(tmp_path)
    (root / "course.toml").write_text(GOOD.replace('due = "2027-05-07 16:00"', 'due = "soon"'))
    done = subprocess.run([sys.executable, "-m", "labs", "--root", str(root), "schedule"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "course.toml:25: cannot read due = 'soon'" in done.stderr
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        assert all(a.duedate is None for a in gb.assignments)


def test_module_marks_from_a_real_gradebook(tmp_path):
    root = _course(tmp_path)
    # ada: everything; lab01 6+4 = 100 %, lab02 3+4 = 70 % less a penalty of 2 points = 50 %, test1 90 %, lab09 80 %.
    _grade(root, "lab01", "ada", 6, 4)
    _grade(root, "lab02", "ada", 3, 4, penalty=2.0)
    _grade(root, "test1", "ada", 5, 4)
    _grade(root, "lab09", "ada", 4, 4)
    # bob: no lab02, no project mark, and lab01's written answer not graded yet.
    _grade(root, "lab01", "bob", 6, None)
    _grade(root, "test1", "bob", 6, 4)
    _grade(root, "lab09", "bob", 6, 4)
    project = root / "project.csv"
    project.write_text("student_id,mark\nada,70\n")
    plan = schedule.load(Course(root))
    results, notes = marks.compute(Course(root), plan, project)
    by = {m.student: m for m in results}
    ada, bob = by["ada"], by["bob"]
    assert ada.assignments == {"lab01": 100.0, "lab02": 50.0, "test1": 90.0, "lab09": 80.0}
    assert ada.components["labs"] == pytest.approx(75.0)
    assert ada.components["tests"] == pytest.approx(90.0)
    assert ada.components["project"] == pytest.approx(0.75 * 70 + 0.25 * 80)
    assert ada.mark == pytest.approx(0.4 * 75 + 0.4 * 72.5 + 0.2 * 90)
    assert ada.missing == [] and ada.provisional == []
    assert bob.assignments["lab02"] is None and bob.missing == ["lab02", "project report"]
    assert bob.provisional == ["lab01"]
    assert bob.components["labs"] == pytest.approx(30.0)  # lab01 60 % (written answer still 0), lab02 missing = 0
    assert bob.components["project"] == pytest.approx(0.25 * 100)
    assert notes == []

    target = marks.write_csv(results, plan, root / "marks.csv")
    with open(target, newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert rows["ada"]["module_mark"] == f"{ada.mark:.2f}" and rows["bob"]["lab02"] == "" and rows["bob"]["missing"] == "lab02;project report"
    table = marks.format_table(results, plan)
    assert "missing: lab02, project report" in table and "written answers not graded yet: lab01" in table


@pytest.mark.parametrize("content, message", [
    ("student,score\nada,70\n", r"project.csv:1: the first line must be the header 'student_id,mark'"),
    ("student_id,mark\nada,70\ncyd,55\n", r"project.csv:3: unknown student 'cyd'"),
    ("student_id,mark\nada,101\n", r"project.csv:2: the mark of 'ada' is 101, outside 0-100"),
    ("student_id,mark\nada,seventy\n", r"project.csv:2: the mark of 'ada' is 'seventy', not a number"),
    ("student_id,mark\nada,70\nada,71\n", r"project.csv:3: a second mark for 'ada'"),
    ("student_id,mark\nada,70,extra\n", r"project.csv:2: expected 2 fields"),
])
def test_bad_project_marks_are_refused_naming_the_line_and_write_nothing(tmp_path, content, message):
    root = _course(tmp_path)
    _grade(root, "lab01", "ada", 6, 4)
    (root / "project.csv").write_text(content)
    (root / "marks.csv").write_text("the previous marks\n")
    with pytest.raises(marks.MarksError, match=message):
        marks.compute(Course(root), schedule.load(Course(root)), root / "project.csv")
    done = subprocess.run([sys.executable, "-m", "labs", "--root", str(root), "marks", "--project", str(root / "project.csv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "error:" in done.stderr
    assert (root / "marks.csv").read_text() == "the previous marks\n"


def test_marks_command_reports_unreleased_assignments_and_a_missing_project_file(tmp_path):
    root = _course(tmp_path, assignments=("lab01", "lab02", "test1"))
    _grade(root, "lab01", "ada", 6, 4)
    done = subprocess.run([sys.executable, "-m", "labs", "--root", str(root), "marks"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "note: lab09 is not in the gradebook (not released yet)" in done.stdout
    assert "note: no project marks given" in done.stdout
    assert "missing: lab02, lab09, test1, project report" in done.stdout
    assert (root / "marks.csv").is_file()
