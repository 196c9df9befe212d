"""Reading the nbgrader roles of notebook cells."""

from __future__ import annotations

import re

from nbformat import NotebookNode

SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"


def meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell: NotebookNode) -> str | None:
    return meta(cell).get("grade_id")


def is_answer(cell: NotebookNode) -> bool:
    """An autograded answer: a code cell the student writes, checked by later test cells."""
    m = meta(cell)
    return cell.cell_type == "code" and bool(m.get("solution")) and not m.get("grade")


def is_test(cell: NotebookNode) -> bool:
    """An autograder test cell: locked code with points."""
    m = meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def is_manual(cell: NotebookNode) -> bool:
    """A manually graded written answer."""
    m = meta(cell)
    return bool(m.get("grade")) and bool(m.get("solution"))


def is_locked(cell: NotebookNode) -> bool:
    m = meta(cell)
    return bool(m.get("locked")) or (bool(m.get("grade")) and not m.get("solution"))


def points(cell: NotebookNode) -> float:
    return float(meta(cell).get("points", 0) or 0)


def find(nb: NotebookNode, wanted: str) -> tuple[int, NotebookNode]:
    for index, cell in enumerate(nb.cells):
        if grade_id(cell) == wanted:
            return index, cell
    raise KeyError(f"no cell with grade_id {wanted!r}")


def strip_solution_markers(source: str) -> str:
    """The student-facing form of a solution: the code without ``### BEGIN/END SOLUTION`` lines."""
    return SOLUTION_MARKERS.sub("", source)


def visible_part(source: str) -> str:
    """A test cell's source without its hidden blocks (what the release shows)."""
    kept, hidden = [], False
    for line in source.splitlines(keepends=True):
        if HIDDEN_BEGIN in line:
            hidden = True
        elif HIDDEN_END in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "".join(kept)
