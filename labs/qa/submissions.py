"""Example submissions made from a lab's release and source notebooks.

* the model solution: the release with every answer filled in from the source;
* the untouched release;
* a wrong submission: the model solution with one catalogued fault per answer;
* a partly right submission, as a real student's often is: every second answer carries one of its catalogued
  faults (a different one from answer to answer), the others are the model solution.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from labs.course import Course, cells
from labs.qa.faults import Fault


def model_answers(source: NotebookNode, faults: list[Fault] = ()) -> dict[str, str]:
    """Student-facing text of every answer in ``source`` (faults applied first), by grade_id."""
    by_answer = {f.answer: f for f in faults}
    answers = {}
    for cell in source.cells:
        gid = cells.grade_id(cell)
        if gid and (cells.is_answer(cell) or cells.is_manual(cell)):
            text = cell.source
            if gid in by_answer:
                text = by_answer[gid].apply(text)
            answers[gid] = cells.strip_solution_markers(text)
    return answers


def fill(release: NotebookNode, answers: dict[str, str]) -> NotebookNode:
    """A copy of ``release`` with its answer cells replaced by ``answers``."""
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        gid = cells.grade_id(cell)
        if gid in answers:
            cell.source = answers[gid]
    return nb


KINDS = ("solution", "blank", "faulty", "partial")


def write_submission(
    course: Course, lab: str, student: str, kind: str, faults: list[Fault] = ()
) -> Path:
    """Write ``submitted/STUDENT/LAB`` of the given kind: ``solution``, ``blank``, ``faulty`` or ``partial``."""
    if kind not in KINDS:
        raise ValueError(f"unknown submission kind {kind!r}")
    release_dir = course.release(lab)
    target = course.submitted(lab, student)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(release_dir, target)
    if kind == "blank":
        return target
    chosen = {"faulty": first_fault_per_answer(faults), "partial": every_second_answer_wrong(faults)}.get(kind, [])
    for release_path in sorted(release_dir.glob("*.ipynb")):
        source = nbformat.read(str(course.source(lab) / release_path.name), as_version=4)
        release = nbformat.read(str(release_path), as_version=4)
        nbformat.write(fill(release, model_answers(source, chosen)), str(target / release_path.name))
    return target


def first_fault_per_answer(faults: list[Fault]) -> list[Fault]:
    chosen: dict[str, Fault] = {}
    for fault in faults:
        chosen.setdefault(fault.answer, fault)
    return list(chosen.values())


def every_second_answer_wrong(faults: list[Fault]) -> list[Fault]:
    """Faults for the second, fourth, ... answer of the catalogue (in its order, which follows the notebooks).

    The k-th wrong answer takes the k-th fault of its answer (cycling), so the demo shows different mistakes and
    the messages they get, not always the first one catalogued.
    """
    by_answer: dict[str, list[Fault]] = {}
    for fault in faults:
        by_answer.setdefault(fault.answer, []).append(fault)
    wrong = list(by_answer.values())[1::2]
    return [options[k % len(options)] for k, options in enumerate(wrong)]
