"""The canary: before a class is graded, the lab's own model solution is graded the same way and must earn full marks.

Grading can fail a whole class without any student being at fault: kernels that cannot import ``labs`` (the course
graded with another checkout's environment), a sandbox that hides something the notebooks need, a data cache the
kernels cannot read. Every honest student then scores 0, and nothing in the report looks wrong. nbgrader has no check
for this. Here the model solution (``source/LAB``) is graded first as if a student had handed it in: in a scratch copy
of the course with the course's configuration, in the same sandbox with the same limits (on a cluster, on a worker).
Grading is refused, with the reason, unless it earns every autograded point; nothing of the class is written.
"""

from __future__ import annotations

import os
import shutil

from labs.course import Course
from labs.grading import cpu_time

STUDENT = "model-solution"  # the canary's student id, only ever in its scratch course


class CanaryFailed(RuntimeError):
    """The model solution lost points when graded as a student: grading would fail honest students too."""


def solution_files(course: Course, lab: str) -> dict[str, bytes]:
    """The lab's model solution, as a submission's notebooks."""
    return {path.name: path.read_bytes() for path in sorted(course.source(lab).glob("*.ipynb"))}


def first_errors(notebooks: dict[str, bytes]) -> list[str]:
    """The first error each graded notebook of the canary shows (what a student would have met too)."""
    import nbformat

    errors = []
    for name, data in sorted(notebooks.items()):
        try:
            nb = nbformat.reads(data.decode(), as_version=4)
        except Exception:  # (an unreadable graded notebook is reported by the score already)
            continue
        for index, cell in enumerate(nb.cells):
            error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
            if error is not None:
                errors.append(f"{name} cell {index} raised {error.get('ename')}: {str(error.get('evalue'))[:200]}")
                break
    return errors


def refusal(lab: str, earned: float, possible: float, lost: list[str], flags: list[str], messages: list[str],
            where: str = "here") -> str:
    shown = [*(f"lost {name}" for name in lost[:8]), *(["..."] if len(lost) > 8 else []), *messages[:4]]
    return (f"the canary failed: the model solution of {lab} (source/{lab}), graded {where} as a student in the "
            f"sandbox with this course's settings, earned {earned:g}/{possible:g} autograded points"
            + (f" [{','.join(flags)}]" if flags else "") + (": " + "; ".join(shown) if shown else "")
            + ". Grading now would fail honest students the same way, so nothing was graded. Usual causes: the `labs` "
            "package this Python imports is not this course's (`pip install -e .` in this checkout), the sandbox cannot "
            "read something the notebooks need (a path outside the environment, the data cache), or a release older "
            f"than source/ (`python -m labs release {lab}`). `grade --no-canary` grades anyway.")


def check(course: Course, lab: str, sandboxed: bool = True) -> None:
    """Grade ``source/LAB`` as a student in a scratch copy of the course; raise :class:`CanaryFailed` unless it earns
    every autograded point. The copy lives in the course's staging folder and is removed afterwards."""
    from labs.course.definition import assignment_definition, write_definition
    from labs.grading import pipeline as grading

    scratch = course.root / grading.STAGING / f"canary-{lab}"
    shutil.rmtree(scratch, ignore_errors=True)
    # The model solution runs under the flat per-cell limits, not under an earlier calibration of itself.
    calibrated = os.environ.pop(cpu_time.CALIBRATION_VARIABLE, None)
    try:
        copy = course.copy_lab(lab, scratch, with_release=True)
        write_definition(copy.root / "gradebook.db", assignment_definition(course, lab))  # the lab as the course defines it
        submitted = copy.submitted(lab, STUDENT)
        submitted.mkdir(parents=True)
        for name, data in solution_files(course, lab).items():
            (submitted / name).write_bytes(data)
        result = grading.grade_student(copy, lab, STUDENT, sandboxed)
        grading._fill_scores(copy, [result])
        lost = _lost_cells(copy, lab) if result.graded else []
        graded = copy.autograded(lab, STUDENT)
        notebooks = {p.name: p.read_bytes() for p in graded.glob("*.ipynb")} if graded.is_dir() else {}
        errors = first_errors(notebooks)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if calibrated is not None:
            os.environ[cpu_time.CALIBRATION_VARIABLE] = calibrated
    if result.flags or result.autograded < result.max_autograded:
        raise CanaryFailed(refusal(lab, result.autograded, result.max_autograded, lost, result.flags,
                                   result.messages + errors))
    calibrate(course, lab, notebooks)


def calibrate(course: Course, lab: str, graded: dict[str, bytes]) -> None:
    """Keep the CPU seconds each of the model solution's cells used, from its graded notebooks: the students' cells
    are limited to a multiple of them (:mod:`labs.grading.cpu_time`). Nothing is kept where CPU was not measured
    (grading without a sandbox user of its own)."""
    import nbformat

    seconds = {}
    for name, data in graded.items():
        measured = cpu_time.measured(nbformat.reads(data.decode(), as_version=4))
        if measured:
            seconds[name] = measured
    if seconds:
        cpu_time.save(cpu_time.calibration_folder(course.root), lab, seconds)


def _lost_cells(course: Course, lab: str) -> list[str]:
    from nbgrader.api import MissingEntry

    with course.gradebook() as gb:
        try:
            submission = gb.find_submission(lab, STUDENT)
        except MissingEntry:
            return []
        return [f"{nb.name}.ipynb: {grade.cell.name}" for nb in submission.notebooks for grade in nb.grades
                if grade.cell.cell_type == "code" and (grade.auto_score or 0) < grade.max_score]


def check_cluster_outcome(lab: str, definition: dict, outcome: dict, worker: str, graded: dict[str, bytes]) -> None:
    """The canary graded on a cluster worker (``grading_cluster.grade_remote``'s outcome, and the ``graded``
    notebooks it brought back): raise unless it earned full marks."""
    rows = outcome.get("rows") or {"notebooks": {}}
    earned, possible, lost = 0.0, 0.0, []
    for nb in definition["notebooks"]:
        grades = rows["notebooks"].get(nb["name"], {}).get("grades", {})
        for cell in nb["grade_cells"]:
            if cell["cell_type"] != "code":
                continue
            score = (grades.get(cell["name"]) or [None])[0] or 0.0
            possible += cell["max_score"]
            earned += score
            if score < cell["max_score"]:
                lost.append(f"{nb['name']}.ipynb: {cell['name']}")
    result = outcome.get("result", {})
    flags, messages = list(result.get("flags", [])), list(result.get("messages", [])) + first_errors(graded)
    if flags or earned < possible:  # (as the local check: a lab with no autograded point passes both)
        raise CanaryFailed(refusal(lab, earned, possible, lost, flags, messages, where=f"on the worker {worker}"))
