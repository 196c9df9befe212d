"""The demonstration run: release every lab, grade example submissions, print the grade table."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from labs import faults, grading, release, submissions
from labs.paths import lab_names

DEMO_STUDENTS = {"demo-solution": "solution", "demo-blank": "blank", "demo-faulty": "faulty"}


def build_submissions(lab: str, root: Path) -> None:
    catalogue = faults.load(lab, root)
    for student, kind in DEMO_STUDENTS.items():
        submissions.write_submission(lab, student, root, kind, catalogue)


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


def run(root: Path, jobs: int | None = None, labs: list[str] | None = None) -> tuple[str, list[grading.StudentResult]]:
    results = []
    for lab in labs or lab_names(root):
        print(f"== {lab}: release", flush=True)
        release.generate(lab, root)
        build_submissions(lab, root)
        print(f"== {lab}: grade {', '.join(DEMO_STUDENTS)}", flush=True)
        lab_results = grading.grade(lab, root, jobs)
        print(grading.format_report(lab_results), flush=True)
        results += lab_results
    table = grade_table(grading.export_grades(root))
    return table, results
