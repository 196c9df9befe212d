"""labs.qa.seed_probe: a test cell that fails at one seed is found, and the probe leaves the notebook's run unchanged."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from labs.course import Course
from labs.qa import seed_probe
from tests.tinylab import LAB, make_course, meta


def _notebook() -> nbformat.NotebookNode:
    cells = [
        new_code_cell("import torch\nimport labs.notebook\nSEED, DEVICE = labs.notebook.setup()", metadata=meta("lab99-setup", locked=True)),
        # Draws from the global generator, and fails at SEED = 2 only (as a hidden test whose random input overflows).
        new_code_cell("_x = torch.rand(3)\nassert SEED != 2, f'an input drawn from SEED {SEED} overflows'",
                      metadata=meta("lab99-seeded-tests", grade=True, locked=True, points=1)),
        new_code_cell("after, seed_after = torch.rand(1).item(), SEED", metadata=meta("lab99-after", locked=True)),
        # The probe puts SEED and the random state back: the next draw is the one a plain run makes.
        new_code_cell("_check = torch.Generator().manual_seed(0)\ntorch.rand(3, generator=_check)\n"
                      "assert seed_after == 0 and after == torch.rand(1, generator=_check).item(), (seed_after, after)",
                      metadata=meta("lab99-unchanged-tests", grade=True, locked=True, points=1)),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.mark.slow
def test_the_probe_finds_the_seed_a_test_cell_fails_at_and_changes_nothing_else(tmp_path):
    course = Course(make_course(tmp_path))
    path = course.source(LAB) / "2_seeded.ipynb"
    nbformat.write(_notebook(), str(path))
    failures, probed = seed_probe.probe(course, path, [1, 2, 5])
    assert probed == 2
    assert [(f.grade_id, f.seed) for f in failures] == [("lab99-seeded-tests", 2)], failures
    assert "an input drawn from SEED 2 overflows" in str(failures[0]) and "SEED=2" in str(failures[0])
