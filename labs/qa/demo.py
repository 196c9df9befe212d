"""The demonstration run: release every lab, grade example submissions, print the grade table."""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from pathlib import Path

from labs.course import Course, marks, release, schedule
from labs.grading import pipeline as grading
from labs.qa import faults, submissions

DEMO_STUDENTS = {"demo-solution": "solution", "demo-blank": "blank", "demo-partial": "partial"}


def build_submissions(course: Course, lab: str) -> None:
    catalogue = faults.load(course, lab)
    for student, kind in DEMO_STUDENTS.items():
        submissions.write_submission(course, lab, student, kind, catalogue)


def grade_table(csv_path: Path) -> str:
    """Student x lab table of total scores from nbgrader's CSV export."""
    scores: dict[str, dict[str, str]] = defaultdict(dict)
    labs: set[str] = set()
    with open(csv_path, newline="") as handle:
        for row in csv.DictReader(handle):
            labs.add(row["assignment"])
            scores[row["student_id"]][row["assignment"]] = f"{float(row['score']):.1f}/{float(row['max_score']):.1f}"
    columns = sorted(labs)
    width = max([len("student"), *(len(s) for s in scores)])
    lines = [f"{'student':<{width}}  " + "  ".join(f"{c:>11}" for c in columns)]
    for student in sorted(scores):
        lines.append(f"{student:<{width}}  " + "  ".join(f"{scores[student].get(c, '-'):>11}" for c in columns))
    return "\n".join(lines)


DEMO_PROJECT_MARKS = {"demo-solution": 78.0, "demo-partial": 58.0}  # demo-blank handed in no report: reported missing


def module_marks(course: Course) -> str:
    """The module-mark table of the demo students, with their made-up project marks (``marks.csv`` is written)."""
    plan = schedule.load(course)
    project_csv = course.root / "demo-project-marks.csv"
    project_csv.write_text("student_id,mark\n" + "".join(f"{s},{m:g}\n" for s, m in DEMO_PROJECT_MARKS.items()))
    results, notes = marks.compute(course, plan, project_csv)
    marks.write_csv(results, plan, course.root / marks.MARKS_FILE)
    return "\n".join([*(f"note: {n}" for n in notes), marks.format_table(results, plan)])


def run(course: Course, jobs: int | None = None, labs: list[str] | None = None) -> tuple[str, list[grading.StudentResult]]:
    """Release ``labs`` (default: every assignment), write the demo students' submissions, apply the schedule's due
    dates, and grade everything in one pool of workers; returns the grade table and the results."""
    names = labs or course.labs()
    for lab in names:
        print(f"== {lab}: release and example submissions", flush=True)
        release.generate(course, lab)
        build_submissions(course, lab)
    if (course.root / schedule.SCHEDULE_FILE).is_file():
        applied, _ = schedule.apply(course, schedule.load(course))
        print(f"== due dates from {schedule.SCHEDULE_FILE} applied to {len(applied)} assignment(s)", flush=True)
    print(f"== grading {', '.join(DEMO_STUDENTS)} in {len(names)} assignment(s), one pool of workers", flush=True)
    # No canary: the model solution is one of every lab's three students here, graded (and shown) with the class.
    start = time.perf_counter()
    results = grading.grade_all(course, names, jobs, progress=lambda line: print(line, flush=True), canary=False)
    print(grading.format_report(results), flush=True)
    print(f"== graded {len(results)} submissions in {time.perf_counter() - start:.1f} s", flush=True)
    table = grade_table(course.root / grading.GRADES_FILE)  # exported by grade_all
    return table, results
