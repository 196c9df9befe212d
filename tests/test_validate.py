"""The student's Validate button (nbgrader's Validator) on release notebooks.

The Validator runs each notebook as the course's grader would: the course's per-cell limit, stretched by the
harness's factor (a student's laptop is not a CI machine running two test workers), and kernels with one BLAS
and OpenMP thread. Without that, a cell that needs 5 s alone (lab07's LSTM training) took over nbgrader's
default 30 s when its kernel's two threads spun against the other worker's, and Validate failed a correct
answer: these tests check what Validate reports, not how fast a loaded machine is.
"""

from __future__ import annotations

import os
import re
from unittest import mock

import nbformat
import pytest
from nbgrader.validator import Validator
from traitlets.config import Config

from labs import course
from labs.qa import execute, faults, submissions
from tests.conftest import COURSE, LABS, ROOT

pytestmark = pytest.mark.slow
FIRST_NOTEBOOKS = [(lab, COURSE.notebooks(lab, stage="release")[0].name) for lab in LABS]


def _validate(nb, tmp_path):
    path = tmp_path / "submission.ipynb"
    nbformat.write(nb, str(path))
    config = Config()
    timeout, extra_arguments = COURSE.execution_settings()
    config.Execute.timeout = timeout * execute.HARNESS_TIMEOUT_FACTOR
    config.Execute.extra_arguments = extra_arguments
    with mock.patch.dict(os.environ, course.PARALLEL_KERNEL_ENV):  # the kernel inherits this process's environment
        return Validator(config=config).validate(str(path))


@pytest.mark.parametrize(("lab", "name"), FIRST_NOTEBOOKS, ids=[f"{lab}/{name}" for lab, name in FIRST_NOTEBOOKS])
def test_validate_passes_the_model_solution_and_fails_the_blank_release(lab, name, tmp_path):
    release = execute.read(ROOT / "release" / lab / name)
    solved = submissions.fill(release, submissions.model_answers(execute.read(ROOT / "source" / lab / name)))
    assert _validate(solved, tmp_path) == {}
    blank = _validate(release, tmp_path)
    assert blank.get("failed"), blank


def test_validate_tells_the_student_what_is_wrong(tmp_path):
    fault = next(f for f in faults.load(COURSE, "lab01") if f.name == "pairwise-missing-factor-2")
    release = execute.read(ROOT / "release" / "lab01" / "1_tensors.ipynb")
    wrong = submissions.fill(release, submissions.model_answers(execute.read(ROOT / "source" / "lab01" / "1_tensors.ipynb"), [fault]))
    result = _validate(wrong, tmp_path)
    errors = " ".join(re.sub(r"<[^>]+>", "", failure["error"]) for failure in result["failed"])
    assert "pairwise_sq_distances(A, B): max |diff| = " in errors and "against the distances worked out by hand" in errors
