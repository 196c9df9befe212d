"""The student's Validate button (nbgrader's Validator) on release notebooks."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbgrader.validator import Validator

from labs import execute, faults, submissions
from labs.paths import lab_notebooks
from tests.conftest import LABS, ROOT

pytestmark = pytest.mark.slow
FIRST_NOTEBOOKS = [(lab, lab_notebooks(lab, ROOT, stage="release")[0].name) for lab in LABS]


def _validate(nb, tmp_path):
    path = tmp_path / "submission.ipynb"
    nbformat.write(nb, str(path))
    return Validator().validate(str(path))


@pytest.mark.parametrize(("lab", "name"), FIRST_NOTEBOOKS, ids=[f"{lab}/{name}" for lab, name in FIRST_NOTEBOOKS])
def test_validate_passes_the_model_solution_and_fails_the_blank_release(lab, name, tmp_path):
    release = execute.read(ROOT / "release" / lab / name)
    solved = submissions.fill(release, submissions.model_answers(execute.read(ROOT / "source" / lab / name)))
    assert _validate(solved, tmp_path) == {}
    blank = _validate(release, tmp_path)
    assert blank.get("failed"), blank


def test_validate_tells_the_student_what_is_wrong(tmp_path):
    fault = next(f for f in faults.load("lab01", ROOT) if f.name == "pairwise-missing-factor-2")
    release = execute.read(ROOT / "release" / "lab01" / "1_tensors.ipynb")
    wrong = submissions.fill(release, submissions.model_answers(execute.read(ROOT / "source" / "lab01" / "1_tensors.ipynb"), [fault]))
    result = _validate(wrong, tmp_path)
    errors = " ".join(re.sub(r"<[^>]+>", "", failure["error"]) for failure in result["failed"])
    assert "pairwise_sq_distances(A, B): max |diff| = " in errors and "against the distances worked out by hand" in errors
