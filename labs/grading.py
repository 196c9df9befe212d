"""Autograde every submission of a lab, generate feedback and export grades.

The chain, per student: autograde (execute and score) -> feedback. Then the grades
of the whole course go to ``grades.csv``. One student's broken submission is
reported in the result and never stops the others.
"""

from __future__ import annotations

import os
import shutil
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from labs import course
from labs.execute import PARALLEL_KERNEL_ENV

# Autograde reads a checked copy of each submission from here, never submitted/ itself.
STAGING = ".grading"


@dataclass
class StudentResult:
    student: str
    lab: str
    score: float = 0.0
    max_score: float = 0.0
    autograded: float = 0.0
    max_autograded: float = 0.0
    needs_manual_grade: bool = False
    flags: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def students(lab: str, root: Path) -> list[str]:
    """Students with a submission of ``lab`` in ``submitted/``."""
    submitted = root / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir() if (p / lab).is_dir())


def release_notebooks(lab: str, root: Path) -> list[str]:
    return sorted(p.name for p in (root / "release" / lab).glob("*.ipynb"))


def _first_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "unknown error"


def stage_submission(root: Path, lab: str, student: str, result: StudentResult) -> None:
    """Copy a submission to the staging area, leaving out notebooks that cannot be read.

    nbgrader stops grading a student at the first unreadable notebook; without it in the
    copy, that notebook scores 0 as a missing one would and the others are graded.
    The student's files in ``submitted/`` are never changed.
    """
    staged = root / STAGING / "submitted" / student / lab
    if staged.exists():
        shutil.rmtree(staged)
    shutil.copytree(root / "submitted" / student / lab, staged, symlinks=True)
    expected = release_notebooks(lab, root)
    for name in expected:
        path = staged / name
        if not path.is_file():
            result.flags.append("missing")
            result.messages.append(f"{name} is missing from the submission (scored 0)")
            continue
        try:
            nbformat.validate(nbformat.read(str(path), as_version=4))
        except Exception as error:  # any unreadable file: bad JSON, empty, not a notebook
            path.unlink()
            result.flags.append("invalid")
            reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
            result.messages.append(f"{name} is not a readable notebook ({reason}); scored 0, file kept in submitted/")
    for extra in sorted(p.name for p in staged.glob("*.ipynb") if p.name not in expected):
        result.messages.append(f"{extra} is not part of {lab}; ignored")


def grade_student(root: Path, lab: str, student: str) -> StudentResult:
    """Autograde one student's submission and generate their feedback (runs in a worker process)."""
    # nbgrader's own bookkeeping warns about detached database objects on every run; it is harmless.
    warnings.filterwarnings("ignore", message=".*not in session.*")
    for name, value in PARALLEL_KERNEL_ENV.items():  # kernels inherit this process's environment
        os.environ.setdefault(name, value)
    result = StudentResult(student, lab)
    stage_submission(root, lab, student, result)
    api = course.api(root, submitted_directory=f"{STAGING}/submitted")
    outcome = api.autograde(lab, student, force=True, create=True)
    if not outcome.get("success"):
        result.flags.append("crash")
        result.messages.append("autograde failed: " + _first_line(outcome.get("error") or outcome.get("log")))
    else:
        feedback = api.generate_feedback(lab, student, force=True)
        if not feedback.get("success"):
            result.flags.append("no-feedback")
            result.messages.append("feedback failed: " + _first_line(feedback.get("error") or feedback.get("log")))
    return result


def _fill_scores(results: list[StudentResult], root: Path) -> None:
    from nbgrader.api import MissingEntry

    with course.gradebook(root) as gb:
        for result in results:
            try:
                submission = gb.find_submission(result.lab, result.student)
            except MissingEntry:
                if "crash" not in result.flags:
                    result.flags.append("crash")
                result.max_score = gb.find_assignment(result.lab).max_score
                result.max_autograded = gb.find_assignment(result.lab).max_code_score
                continue
            result.score = submission.score
            result.max_score = submission.max_score
            result.autograded = submission.code_score
            result.max_autograded = submission.max_code_score
            result.needs_manual_grade = submission.needs_manual_grade


def export_grades(root: Path) -> Path:
    """Write every grade in the gradebook to ``grades.csv`` (nbgrader's CSV exporter)."""
    from nbgrader.plugins.export import CsvExportPlugin

    target = root / "grades.csv"
    with course.gradebook(root) as gb:
        CsvExportPlugin(to=str(target)).export(gb)
    return target


def ensure_released(lab: str, root: Path) -> None:
    from nbgrader.api import MissingEntry

    message = f"{lab} is not in this course's gradebook: run `python -m labs release {lab}` first"
    if not (root / "gradebook.db").is_file():
        raise course.NbgraderFailed(message)
    with course.gradebook(root) as gb:
        try:
            gb.find_assignment(lab)
        except MissingEntry:
            raise course.NbgraderFailed(message) from None


def grade(lab: str, root: Path, jobs: int | None = None) -> list[StudentResult]:
    """Autograde and give feedback to every student of ``lab``; ``jobs`` students at a time."""
    ensure_released(lab, root)
    names = students(lab, root)
    jobs = max(1, jobs or os.cpu_count() or 1)
    if jobs == 1 or len(names) <= 1:
        results = [grade_student(root, lab, s) for s in names]
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(names))) as pool:
            results = list(pool.map(grade_student, [root] * len(names), [lab] * len(names), names))
    _fill_scores(results, root)
    return results


def format_report(results: list[StudentResult]) -> str:
    """A table with one row per student: autograded and total score, flags and what went wrong."""
    if not results:
        return "no submissions"
    width = max(len("student"), *(len(r.student) for r in results))
    lines = [f"{'student':<{width}}  {'lab':<5}  {'auto':>11}  {'total':>11}  flags"]
    for r in results:
        flags = ",".join(r.flags + (["manual"] if r.needs_manual_grade else [])) or "-"
        lines.append(
            f"{r.student:<{width}}  {r.lab:<5}  {r.autograded:5.1f}/{r.max_autograded:<5.1f}"
            f"  {r.score:5.1f}/{r.max_score:<5.1f}  {flags}"
        )
        lines += [f"{'':<{width}}    ! {m}" for m in r.messages]
    lines.append(
        "flags: missing / invalid = a notebook absent or unreadable (scored 0); crash = autograde failed; "
        "manual = written answers wait for the formgrader"
    )
    return "\n".join(lines)
