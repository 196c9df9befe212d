"""A one-notebook lab for grading tests: fast to grade, with visible and hidden tests."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from labs.course import CONFIG_FILE, Course, release
from labs.grading import pipeline as grading
from tests.conftest import ROOT

LAB = "lab99"
NOTEBOOK = "1_tiny.ipynb"
# The tiny lab's per-cell limit. Its slowest honest cell (starting a sandboxed kernel, importing torch) takes
# about 2 s alone; on a machine twice as slow with four kernels on two cores, about 8 s, which the old 8 s limit
# did not survive. 30 s leaves that worst case a margin of almost 4x. Runaway cells cost a grading job 2 x 30 s.
CELL_TIMEOUT = 30
# The due date of hand_in_four's course; its late student handed in 30 hours after it.
DEADLINE = "2026-11-20 12:00:00"


def meta(gid, **flags):
    return {"nbgrader": {"grade": False, "solution": False, "locked": False, "schema_version": 3, "task": False,
                         "grade_id": gid, **flags}}


def tiny_source() -> nbformat.NotebookNode:
    """A one-notebook lab with two answers, each with visible and hidden tests."""
    cells = [
        new_markdown_cell("# Tiny lab\n\nObjectives: none. Estimated time: 1 minute.", metadata=meta("lab99-title", locked=True)),
        new_code_cell("import numpy as np\nimport torch\nimport labs.notebook\nfrom labs.checks import assert_close\n"
                      "SEED, DEVICE = labs.notebook.setup()", metadata=meta("lab99-setup", locked=True)),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", metadata=meta("lab99-double", solution=True)),
        new_code_cell("assert double(2) == 4\n### BEGIN HIDDEN TESTS\n"
                      "assert_close(double(torch.arange(3.0)), torch.tensor([0.0, 2.0, 4.0]), 'double', quiet=True)\n"
                      "assert torch.equal(double(torch.ones(2)), torch.full((2,), 2.0))\n"
                      "np.testing.assert_allclose(double(np.arange(4.0)), [0.0, 2.0, 4.0, 6.0])\n### END HIDDEN TESTS",
                      metadata=meta("lab99-double-tests", grade=True, locked=True, points=1)),
        new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION", metadata=meta("lab99-square", solution=True)),
        new_code_cell("assert square(3) == 9, f'square(3) should be 9, got {square(3)}'\n### BEGIN HIDDEN TESTS\n"
                      "assert_close(square(torch.tensor([-2.0, 5.0])), torch.tensor([4.0, 25.0]), 'square', quiet=True)\n"
                      "assert square(-4) == 16\n### END HIDDEN TESTS",
                      metadata=meta("lab99-square-tests", grade=True, locked=True, points=1)),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


GOOD_DOUBLE = "def double(x):\n    return 2 * x\n"
GOOD_SQUARE = "def square(x):\n    return x * x\n"
WRONG_SQUARE = "def square(x):\n    return x + x\n"




def make_course(directory: Path, extra_config: str = "") -> Path:
    """A scratch course holding the tiny lab, released; ``extra_config`` is appended to nbgrader_config.py."""
    config = (ROOT / CONFIG_FILE).read_text() + f"\nc.Execute.timeout = {CELL_TIMEOUT}\n" + extra_config
    (directory / CONFIG_FILE).write_text(config)
    (directory / "source" / LAB).mkdir(parents=True)
    nbformat.write(tiny_source(), str(directory / "source" / LAB / NOTEBOOK))
    release.generate(Course(directory), LAB)
    return directory


def submit(course: Path, student: str, double: str = GOOD_DOUBLE, square: str = GOOD_SQUARE) -> Path:
    """submitted/STUDENT/lab99 with the given answers."""
    target = course / "submitted" / student / LAB
    shutil.copytree(course / "release" / LAB, target)
    nb = nbformat.read(str(target / NOTEBOOK), as_version=4)
    answers = {"lab99-double": double, "lab99-square": square}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    nbformat.write(nb, str(target / NOTEBOOK))
    return target


def hand_in_four(course: Path) -> Path:
    """Four submissions and a due date: right (ada), wrong (bob), 30 hours late (cy), unreadable (dee)."""
    submit(course, "ada")
    submit(course, "bob", square=WRONG_SQUARE)
    (submit(course, "cy") / "timestamp.txt").write_text("2026-11-21 18:00:00.000000 UTC")
    (submit(course, "dee") / NOTEBOOK).write_text("{ not a notebook")
    grading.set_deadline(Course(course), LAB, datetime.fromisoformat(DEADLINE))
    return course
