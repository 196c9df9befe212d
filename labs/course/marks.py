"""Module marks: each student's lab, test and project marks combined with the weights of ``course.toml``.

Assignment marks come from the gradebook (after nbgrader's late penalty) as percentages of the assignment's maximum;
the project's report marks come from a CSV the instructor keeps (``student_id,mark``, marks from 0 to 100). Within a
component every assignment weighs the same. A student with no submission of an assignment, or no project mark, gets 0
for it and is *reported* as missing it; a mark with written answers still waiting for the formgrader is reported as
provisional. Bad input (an unknown student in the CSV, a mark out of range, a malformed line) raises
:class:`MarksError` naming the line, before anything is written.
"""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from labs.course import Course
from labs.course.schedule import COMPONENTS, Schedule

MARKS_FILE = "marks.csv"


class MarksError(ValueError):
    """The marks cannot be computed from this input; the message says where and why."""


@dataclass
class StudentMarks:
    student: str
    assignments: dict[str, float | None] = field(default_factory=dict)  # percent after the late penalty; None: none
    report: float | None = None  # the project report's mark, percent
    components: dict[str, float] = field(default_factory=dict)
    mark: float = 0.0
    missing: list[str] = field(default_factory=list)
    provisional: list[str] = field(default_factory=list)  # assignments with written answers not graded yet


def read_project_marks(path: Path, students: set[str]) -> dict[str, float]:
    """``student_id,mark`` rows (a header line first); every student must be in the gradebook, once."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise MarksError(f"cannot read the project marks {path}: {error.strerror or error}") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or [c.strip().lower() for c in rows[0]][:2] != ["student_id", "mark"]:
        raise MarksError(f"{path}:1: the first line must be the header 'student_id,mark', not {','.join(rows[0]) if rows else 'empty'!r}")
    marks: dict[str, float] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise MarksError(f"{path}:{number}: expected 2 fields (student_id,mark), found {len(row)}: {','.join(row)!r}")
        student, value = row[0].strip(), row[1].strip()
        if student not in students:
            raise MarksError(f"{path}:{number}: unknown student {student!r} (not in the gradebook)")
        if student in marks:
            raise MarksError(f"{path}:{number}: a second mark for {student!r}")
        try:
            mark = float(value)
        except ValueError:
            raise MarksError(f"{path}:{number}: the mark of {student!r} is {value!r}, not a number") from None
        if not 0 <= mark <= 100:
            raise MarksError(f"{path}:{number}: the mark of {student!r} is {mark:g}, outside 0-100")
        marks[student] = mark
    return marks


def gradebook_percentages(course: Course, assignments: list[str]) -> tuple[set[str], dict[str, dict[str, tuple[float, bool]]], set[str]]:
    """Students, ``{student: {assignment: (percent after the late penalty, needs manual grading)}}``, and the
    scheduled assignments that are in the gradebook."""
    from nbgrader.api import MissingEntry

    if not course.has_gradebook():
        raise MarksError(f"no gradebook at {course.db_url}: release and grade the assignments first")
    scores: dict[str, dict[str, tuple[float, bool]]] = {}
    with course.gradebook() as gb:
        students = {s.id for s in gb.students}
        present = {a.name for a in gb.assignments}
        for assignment in assignments:
            if assignment not in present:
                continue
            maximum = gb.find_assignment(assignment).max_score
            for student in students:
                try:
                    submission = gb.find_submission(assignment, student)
                except MissingEntry:
                    continue
                score = max(0.0, submission.score - (submission.late_submission_penalty or 0.0))
                percent = 100.0 * score / maximum if maximum else 0.0
                scores.setdefault(student, {})[assignment] = (percent, bool(submission.needs_manual_grade))
    return students, scores, present & set(assignments)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def compute(course: Course, schedule: Schedule, project_csv: Path | None) -> tuple[list[StudentMarks], list[str]]:
    """Every student's marks, and notes for the whole class (assignments not in the gradebook, no project CSV)."""
    scheduled = [a for component in COMPONENTS for a in schedule.assignments_in(component)]
    students, scores, present = gradebook_percentages(course, scheduled)
    report_marks = read_project_marks(project_csv, students) if project_csv is not None else {}
    notes = [f"{a} is not in the gradebook (not released yet): it counts 0 for everyone" for a in scheduled if a not in present]
    if project_csv is None:
        notes.append("no project marks given (--project FILE.csv): every project report counts 0")
    share = schedule.preparation_share / 100.0
    results = []
    for student in sorted(students):
        marks = StudentMarks(student)
        for assignment in scheduled:
            got = scores.get(student, {}).get(assignment)
            marks.assignments[assignment] = None if got is None else got[0]
            if got is None:
                marks.missing.append(assignment)
            elif got[1]:
                marks.provisional.append(assignment)
        marks.report = report_marks.get(student)
        if marks.report is None:
            marks.missing.append("project report")

        def percent(component: str) -> float:
            return _mean([marks.assignments[a] or 0.0 for a in schedule.assignments_in(component)])

        marks.components = {"labs": percent("labs"), "tests": percent("tests"),
                            "project": (1 - share) * (marks.report or 0.0) + share * percent("project")}
        marks.mark = sum(schedule.weights[c] * marks.components[c] for c in COMPONENTS) / 100.0
        results.append(marks)
    return results, notes


def write_csv(results: list[StudentMarks], schedule: Schedule, target: Path) -> Path:
    """``marks.csv``: per student every assignment's percentage, the report, the components and the module mark."""
    scheduled = [a for component in COMPONENTS for a in schedule.assignments_in(component)]
    header = ["student_id", *scheduled, "project_report", *COMPONENTS, "module_mark", "missing", "provisional"]
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".marks-", suffix=".csv")
    with os.fdopen(handle, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for m in results:
            writer.writerow([m.student, *("" if m.assignments[a] is None else f"{m.assignments[a]:.2f}" for a in scheduled),
                             "" if m.report is None else f"{m.report:.2f}", *(f"{m.components[c]:.2f}" for c in COMPONENTS),
                             f"{m.mark:.2f}", ";".join(m.missing), ";".join(m.provisional)])
    os.replace(temporary, target)  # all or nothing: a reader never sees half a file
    return target


def format_table(results: list[StudentMarks], schedule: Schedule) -> str:
    w = schedule.weights
    width = max([len("student"), *(len(m.student) for m in results)])
    lines = [f"{'student':<{width}}  {'labs':>6}  {'project':>7}  {'tests':>6}  {'mark':>6}  notes",
             f"{'(weight)':<{width}}  {w['labs']:>5g}%  {w['project']:>6g}%  {w['tests']:>5g}%  {'':>6}"]
    for m in results:
        notes = []
        if m.missing:
            notes.append("missing: " + ", ".join(m.missing))
        if m.provisional:
            notes.append("written answers not graded yet: " + ", ".join(m.provisional))
        c = m.components
        lines.append(f"{m.student:<{width}}  {c['labs']:6.1f}  {c['project']:7.1f}  {c['tests']:6.1f}  {m.mark:6.1f}  "
                     f"{'; '.join(notes) or '-'}")
    return "\n".join(lines)
