"""The wrong-answer catalogue: plausible mistakes injected into model solutions.

Each lab has ``tests/faults/labNN.py`` defining ``FAULTS``, a list of :class:`Fault`.
A fault rewrites one answer cell of the model solution (by exact text replacement,
or with a whole new source) and names the test cells that must lose points.
"""

from __future__ import annotations

import copy
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from labs.course import Course, cells


class CatalogueError(ValueError):
    """A fault that no longer fits the solution it was written for."""


@dataclass(frozen=True)
class Fault:
    name: str  # short and unique within the lab: shown when the fault survives
    answer: str  # grade_id of the answer cell it rewrites
    fails: tuple[str, ...]  # grade_ids of test cells that must lose points
    replace: tuple[tuple[str, str], ...] = ()  # (old, new): each old must occur exactly once
    source: str | None = None  # or the whole wrong answer
    why: str = ""  # the mistake a student makes

    def __post_init__(self):
        if bool(self.replace) == (self.source is not None):
            raise CatalogueError(f"fault {self.name}: give either replace or source")
        if not self.fails:
            raise CatalogueError(f"fault {self.name}: name the test cells it must fail")

    def apply(self, solution: str) -> str:
        if self.source is not None:
            return self.source
        text = solution
        for old, new in self.replace:
            count = text.count(old)
            if count != 1:
                raise CatalogueError(
                    f"fault {self.name}: {old!r} occurs {count} times in {self.answer}; it must occur once"
                )
            text = text.replace(old, new)
        if text == solution:
            raise CatalogueError(f"fault {self.name}: the replacement changes nothing")
        return text


def wrong_answer(test: str, name: str, question: str, solution: str, answer: str, why: str) -> Fault:
    """A fault of an in-class test, whose answers are values: the answer cell ``TEST-QUESTION`` with ``solution`` (its
    model answer line) replaced by ``answer``, which must lose the points of ``TEST-QUESTION-tests``."""
    return Fault(name, f"{test}-{question}", (f"{test}-{question}-tests",), replace=((solution, answer),), why=why)


def catalogue_path(course: Course, lab: str) -> Path:
    """``tests/faults/LAB.py`` of the course's repository: the lab's catalogue of plausible wrong answers."""
    return course.root / "tests" / "faults" / f"{lab}.py"


def load(course: Course, lab: str) -> list[Fault]:
    path = catalogue_path(course, lab)
    if not path.is_file():
        return []
    spec = importlib.util.spec_from_file_location(f"faults_{lab}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    faults = list(module.FAULTS)
    names = [f.name for f in faults]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CatalogueError(f"{path}: duplicate fault names {duplicates}")
    return faults


def inject(nb: NotebookNode, fault: Fault) -> NotebookNode:
    """A copy of ``nb`` with the fault applied to its answer cell; checks the named tests exist after it."""
    nb = copy.deepcopy(nb)
    index, cell = cells.find(nb, fault.answer)
    if not cells.is_answer(cell):
        raise CatalogueError(f"fault {fault.name}: {fault.answer} is not an autograded answer cell")
    cell.source = fault.apply(cell.source)
    for test in fault.fails:
        test_index, test_cell = cells.find(nb, test)
        if not cells.is_test(test_cell) or test_index < index:
            raise CatalogueError(f"fault {fault.name}: {test} is not a test cell after {fault.answer}")
    return nb


def last_failing_test(nb: NotebookNode, fault: Fault) -> str:
    """The grade_id of the named test that comes last in the notebook (the run can stop there)."""
    return max(fault.fails, key=lambda gid: cells.find(nb, gid)[0])


def notebook_of(answer: str, notebooks: list[Path]) -> Path:
    """The notebook among ``notebooks`` that holds the answer cell ``answer``."""
    import nbformat

    for path in notebooks:
        nb = nbformat.read(str(path), as_version=4)
        if any(cells.grade_id(c) == answer for c in nb.cells):
            return path
    raise CatalogueError(f"no notebook holds answer cell {answer}")


def in_notebook(catalogue: list[Fault], nb: NotebookNode) -> list[Fault]:
    """The faults of ``catalogue`` whose answer cell is in ``nb``."""
    answers = {cells.grade_id(c) for c in nb.cells if cells.is_answer(c)}
    return [fault for fault in catalogue if fault.answer in answers]
