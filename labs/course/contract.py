"""The lab contract, checked on source notebooks (``python -m labs check``).

See COURSE.md ("The lab contract"). Each rule returns readable problems of the form
``lab01/1_tensors.ipynb cell 7 (lab01-standardise): ...``; an empty list means the lab obeys.

The two timed in-class tests (``test1``, ``test2``; :func:`labs.course.paths.is_test`) obey the same contract, with
three rules adapted, because a test is sat in a room against the clock and marked by the autograder alone:

* **instructions, not objectives**: the title cell states the time allowed and the instructions (what may be
  used, how answers are written, how to check their form) instead of objectives and an estimated time;
* **no README handout**: nothing is read before the test starts, so the title cell is the whole handout;
* **no written answers**: every point is autograded (marks come back the same day and no marker is needed),
  so a test has no manually graded cell at all, where a lab must have at least one.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from labs.course import Course, cells
from labs.course.paths import is_test

GRADE_ID = re.compile(r"^(lab\d\d|test\d)-[a-z0-9]+(-[a-z0-9]+)*$")
DOWNLOAD = re.compile(
    r"https?://|urllib|urlretrieve|\brequests\.|\bwget\b|\bcurl\b|^\s*[!%]\s*pip\b|hf_hub_download|torch\.hub",
    re.MULTILINE,
)
SETUP_CALL = "labs.notebook.setup"
NBGRADER_KEYS = {"grade", "grade_id", "locked", "schema_version", "solution"}


def _answer_names(nb: NotebookNode) -> set[str]:
    """The functions and classes the notebook's answer cells define (at the top level: not their methods)."""
    return {name for cell in nb.cells if cells.is_answer(cell) for name in _defined_names(cell.source, top_level=True)}


def _defined_names(source: str, top_level: bool = False) -> set[str]:
    indent = "" if top_level else r"[ \t]*"
    return set(re.findall(rf"^{indent}(?:def|class)\s+(\w+)", source, re.MULTILINE))


def _where(path: Path, index: int, cell: NotebookNode) -> str:
    gid = cells.grade_id(cell)
    return f"{path.parent.name}/{path.name} cell {index}" + (f" ({gid})" if gid else "")


def written_answers(path: Path) -> list[str]:
    """grade_ids of the manually graded written answers (markdown cells with points) of a notebook."""
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception:  # unreadable: check_notebook reports it
        return []
    return [cells.grade_id(c) for c in nb.cells
            if cells.is_manual(c) and c.cell_type == "markdown" and cells.points(c) > 0]


def check_notebook(path: Path) -> tuple[list[str], list[str]]:
    """Problems of one notebook, and the grade_ids it defines."""
    problems: list[str] = []
    try:
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # unreadable JSON or an invalid notebook
        return [f"{path}: not a valid notebook: {error}"], []
    ids: list[str] = []
    lab = path.parent.name
    if not nb.cells:
        return [f"{path}: the notebook is empty"], []

    # Title and setup cells.
    title = nb.cells[0]
    if title.cell_type != "markdown" or not cells.is_locked(title):
        problems.append(f"{_where(path, 0, title)}: the first cell must be a locked markdown title cell")
    elif is_test(lab):
        if not re.search(r"time allowed", title.source, re.I) or not re.search(r"instructions", title.source, re.I):
            problems.append(f"{_where(path, 0, title)}: a test's title cell must state the time allowed and the instructions")
    elif not re.search(r"objectives", title.source, re.I) or not re.search(r"estimated time", title.source, re.I):
        problems.append(f"{_where(path, 0, title)}: the title cell must list objectives and the estimated time")
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    if not code:
        problems.append(f"{path}: no code cells")
    else:
        i, setup = code[0]
        if not cells.is_locked(setup) or SETUP_CALL not in setup.source:
            problems.append(f"{_where(path, i, setup)}: the first code cell must be the locked setup cell calling {SETUP_CALL}()")

    pending_answer: tuple[int, NotebookNode] | None = None
    for index, cell in enumerate(nb.cells):
        where = _where(path, index, cell)
        if cell.cell_type == "code":
            if cell.get("outputs") or cell.get("execution_count") is not None:
                problems.append(f"{where}: outputs must be stripped from source notebooks")
            if DOWNLOAD.search(cell.source):
                problems.append(f"{where}: looks like a run-time download; load data through labs.data")
        meta = cells.meta(cell)
        if not meta:
            continue
        missing = NBGRADER_KEYS - meta.keys()
        if missing:
            problems.append(f"{where}: nbgrader metadata lacks {sorted(missing)}")
            continue
        if meta.get("schema_version") != 3:
            problems.append(f"{where}: nbgrader schema_version must be 3")
        gid = meta["grade_id"]
        ids.append(gid)
        if not GRADE_ID.match(gid) or not gid.startswith(f"{lab}-"):
            problems.append(f"{where}: grade_id must look like {lab}-what-it-grades (lowercase, hyphens)")
        if meta.get("grade") and not (cells.points(cell) > 0):
            problems.append(f"{where}: a graded cell needs points > 0")
        if cells.is_answer(cell):
            if pending_answer is not None:
                problems.append(f"{_where(path, *pending_answer)}: answer cell has no test cell after it")
            pending_answer = (index, cell)
            if "### BEGIN SOLUTION" not in cell.source:
                problems.append(f"{where}: answer cell has no ### BEGIN SOLUTION block")
        elif cells.is_test(cell):
            if pending_answer is None and not any(cells.is_answer(c) for c in nb.cells[:index]):
                problems.append(f"{where}: test cell before any answer cell")
            pending_answer = None
            source = cell.source
            begin, end = source.find(cells.HIDDEN_BEGIN), source.find(cells.HIDDEN_END)
            if begin < 0 or end < begin:
                problems.append(f"{where}: test cell needs a ### BEGIN HIDDEN TESTS ... ### END HIDDEN TESTS block")
            elif not source[:begin].strip():
                problems.append(f"{where}: test cell needs visible tests before the hidden block")
            for name in _answer_names(nb) & _defined_names(cells.visible_part(source)):
                problems.append(f"{where}: the visible tests define {name}, which an answer cell defines: the release "
                                "would show that reference; define it inside the hidden block")
        elif cells.is_manual(cell) and is_test(lab):
            problems.append(f"{where}: a test is autograded entirely; it has no manually graded cells")
        elif cells.is_manual(cell) and cell.cell_type == "markdown":
            if "### BEGIN SOLUTION" in cell.source:
                problems.append(f"{where}: written answers use no ### BEGIN SOLUTION markers (the whole cell is the answer)")
    if pending_answer is not None:
        problems.append(f"{_where(path, *pending_answer)}: answer cell has no test cell after it")
    return problems, ids


def check_lab(course: Course, lab: str) -> list[str]:
    """Every contract problem of one assignment's source notebooks and handout (a lab's, or a test's)."""
    problems: list[str] = []
    notebooks = course.notebooks(lab)
    if not notebooks:
        problems.append(f"source/{lab}: no notebooks")
    if not is_test(lab) and not (course.source(lab) / "README.md").is_file():
        problems.append(f"source/{lab}: the README.md handout is missing")
    seen: dict[str, str] = {}
    has_written_answer = any(written_answers(p) for p in notebooks)
    if notebooks and not is_test(lab) and not has_written_answer:
        problems.append(f"source/{lab}: no graded written answer (a markdown cell with grade, solution and points); "
                        "every lab asks the student to explain what they saw")
    for path in notebooks:
        found, ids = check_notebook(path)
        problems += found
        for gid in ids:
            if gid in seen:
                problems.append(f"{lab}/{path.name}: grade_id {gid} is also used in {seen[gid]}")
            seen[gid] = path.name
    return problems
