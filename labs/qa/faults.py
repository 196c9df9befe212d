"""The catalogues of wrong answers and of correct alternatives, injected into model solutions.

Each lab has ``tests/faults/labNN.py`` defining ``FAULTS``, a list of :class:`Fault`: plausible mistakes, each of
which rewrites one answer cell of the model solution (by exact text replacement, or with a whole new source) and names
the test cells that must lose points. Its mirror ``tests/alternatives/labNN.py`` defines ``ALTERNATIVES`` (made with
:func:`alternative`): correct answers written another way than the model solution (another style, another valid
method, another dtype), each naming the test cells that must still give it every point. The same harness runs both.
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
    why: str = ""  # the mistake a student makes (for an alternative: what it does differently, correctly)
    correct: bool = False  # a correct alternative: the tests it names must give it every point

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


def alternative(name: str, answer: str, earns: tuple[str, ...], replace: tuple[tuple[str, str], ...] = (),
                source: str | None = None, why: str = "") -> Fault:
    """A correct answer to ``answer`` written another way than the model solution: it must earn every point of the
    test cells ``earns``, as the model solution does (a test that refuses it fails a correct student)."""
    return Fault(name, answer, tuple(earns), replace=tuple(replace), source=source, why=why, correct=True)


def wrong_answer(test: str, name: str, question: str, solution: str, answer: str, why: str) -> Fault:
    """A fault of an in-class test, whose answers are values: the answer cell ``TEST-QUESTION`` with ``solution`` (its
    model answer line) replaced by ``answer``, which must lose the points of ``TEST-QUESTION-tests``."""
    return Fault(name, f"{test}-{question}", (f"{test}-{question}-tests",), replace=((solution, answer),), why=why)


def catalogue_path(course: Course, lab: str) -> Path:
    """``tests/faults/LAB.py`` of the course's repository: the lab's catalogue of plausible wrong answers."""
    return course.root / "tests" / "faults" / f"{lab}.py"


def alternatives_path(course: Course, lab: str) -> Path:
    """``tests/alternatives/LAB.py``: the lab's catalogue of correct alternatives."""
    return course.root / "tests" / "alternatives" / f"{lab}.py"


def _read(path: Path, lab: str, variable: str) -> list[Fault]:
    if not path.is_file():
        return []
    spec = importlib.util.spec_from_file_location(f"{path.parent.name}_{lab}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(getattr(module, variable))


def _catalogue(course: Course, lab: str) -> tuple[list[Fault], list[Fault]]:
    """The lab's (wrong answers, correct alternatives); names unique across both (one kernel runs them all)."""
    wrong = _read(catalogue_path(course, lab), lab, "FAULTS")
    right = _read(alternatives_path(course, lab), lab, "ALTERNATIVES")
    if any(f.correct for f in wrong):
        raise CatalogueError(f"{catalogue_path(course, lab)}: FAULTS holds wrong answers only (an alternative(...) "
                             "belongs in tests/alternatives/)")
    if not all(f.correct for f in right):
        raise CatalogueError(f"{alternatives_path(course, lab)}: ALTERNATIVES holds alternative(...)s only")
    names = [f.name for f in wrong + right]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CatalogueError(f"tests/faults/{lab}.py and tests/alternatives/{lab}.py: duplicate names {duplicates}")
    return wrong, right


def load(course: Course, lab: str) -> list[Fault]:
    """The lab's catalogue of plausible wrong answers."""
    return _catalogue(course, lab)[0]


def load_alternatives(course: Course, lab: str) -> list[Fault]:
    """The lab's catalogue of correct alternatives to its model solutions."""
    return _catalogue(course, lab)[1]


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
    """The grade_id of the named test that comes last in the notebook (the run can stop there; for an alternative,
    the last test it must pass)."""
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
