"""The lab contract holds for every lab, and the checker catches each kind of violation."""

from __future__ import annotations

import copy
import re

import nbformat
import pytest

from labs.course import Course, cells
from labs.course.contract import check_lab, check_notebook
from labs.course.paths import LAB_NAME, is_test
from tests.conftest import COURSE, LABS


@pytest.mark.parametrize("lab", LABS)
def test_lab_obeys_the_contract(lab):
    problems = check_lab(COURSE, lab)
    assert not problems, "\n".join(problems)


@pytest.fixture
def good_notebook():
    return nbformat.read(str(COURSE.notebooks(LABS[0])[0]), as_version=4)


def _problems(nb, tmp_path, lab="lab01"):
    path = tmp_path / lab / "nb.ipynb"
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, str(path))
    return "\n".join(check_notebook(path)[0])


def _first(nb, predicate):
    return next(c for c in nb.cells if predicate(c))


def test_good_notebook_passes(good_notebook, tmp_path):
    assert _problems(good_notebook, tmp_path) == ""


def test_missing_hidden_tests(good_notebook, tmp_path):
    test = _first(good_notebook, cells.is_test)
    test.source = test.source.split(cells.HIDDEN_BEGIN)[0]
    assert "HIDDEN TESTS" in _problems(good_notebook, tmp_path)


def test_answer_without_test(good_notebook, tmp_path):
    index = good_notebook.cells.index(_first(good_notebook, cells.is_test))
    del good_notebook.cells[index]
    assert "has no test cell after it" in _problems(good_notebook, tmp_path)


def test_outputs_must_be_stripped(good_notebook, tmp_path):
    code = _first(good_notebook, lambda c: c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi")]
    assert "outputs must be stripped" in _problems(good_notebook, tmp_path)


def test_points_and_unique_ids(good_notebook, tmp_path):
    bad = copy.deepcopy(good_notebook)
    cells.meta(_first(bad, cells.is_test))["points"] = 0
    assert "points > 0" in _problems(bad, tmp_path)
    lab_dir = tmp_path / "course" / "source" / "lab01"
    lab_dir.mkdir(parents=True)
    nbformat.write(good_notebook, str(lab_dir / "a.ipynb"))
    nbformat.write(good_notebook, str(lab_dir / "b.ipynb"))
    assert any("also used in" in p for p in check_lab(Course(tmp_path / "course"), "lab01"))


def test_locked_title_and_setup(good_notebook, tmp_path):
    unlocked = copy.deepcopy(good_notebook)
    cells.meta(unlocked.cells[0])["locked"] = False
    assert "locked markdown title" in _problems(unlocked, tmp_path)
    no_setup = copy.deepcopy(good_notebook)
    setup = _first(no_setup, lambda c: c.cell_type == "code")
    setup.source = setup.source.replace("labs.notebook.setup", "print")
    assert "setup cell" in _problems(no_setup, tmp_path)


def test_downloads_are_flagged(good_notebook, tmp_path):
    good_notebook.cells.append(nbformat.v4.new_code_cell("import urllib.request\nurllib.request.urlretrieve('https://x/y', 'y')"))
    assert "run-time download" in _problems(good_notebook, tmp_path)


def test_grade_id_format(good_notebook, tmp_path):
    cells.meta(_first(good_notebook, cells.is_answer))["grade_id"] = "Exercise_1"
    assert "grade_id must look like" in _problems(good_notebook, tmp_path)


def test_invalid_notebook_is_reported(tmp_path):
    path = tmp_path / "lab01" / "broken.ipynb"
    path.parent.mkdir()
    path.write_text("{ not json")
    assert "not a valid notebook" in check_notebook(path)[0][0]


def test_every_new_lab_has_a_written_answer(good_notebook, tmp_path):
    lab_dir = tmp_path / "course" / "source" / "lab12"
    lab_dir.mkdir(parents=True)
    (lab_dir / "README.md").write_text("# Lab 12\n")
    nb = copy.deepcopy(good_notebook)
    for cell in nb.cells:
        if cells.grade_id(cell):
            cells.meta(cell)["grade_id"] = cells.grade_id(cell).replace("lab01-", "lab12-")
    nbformat.write(nb, str(lab_dir / "1_a.ipynb"))
    assert any("no graded written answer" in p for p in check_lab(Course(tmp_path / "course"), "lab12"))
    nb.cells.append(nbformat.v4.new_markdown_cell("Because the features were learned on ImageNet.", metadata={"nbgrader": {
        "grade": True, "solution": True, "locked": False, "points": 2, "schema_version": 3, "grade_id": "lab12-why"}}))
    nbformat.write(nb, str(lab_dir / "1_a.ipynb"))
    assert check_lab(Course(tmp_path / "course"), "lab12") == []


def _as_test(nb, name="test9"):
    """``nb`` (a lab notebook) relabelled as a notebook of the in-class test ``name``, with a test's title cell."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cells.grade_id(cell):
            cells.meta(cell)["grade_id"] = re.sub(r"^lab\d\d-", f"{name}-", cells.grade_id(cell))
    nb.cells[0].source = "# Test 9\n\n**Time allowed:** 50 minutes.\n\n**Instructions.** Answer in the cells."
    return nb


def test_tests_are_assignments_with_their_own_names():
    assert is_test("test1") and not is_test("lab01") and not is_test("test10") and not is_test("tests")
    assert all(LAB_NAME.match(name) for name in ("lab01", "lab11", "test1", "test2"))
    assert not any(LAB_NAME.match(name) for name in ("lab1", "test", "test12", "project", "lab01b"))
    assert "test1" in LABS and "test2" in LABS


def test_a_test_needs_no_handout_and_no_written_answer(good_notebook, tmp_path):
    """A timed test is autograded entirely and its title cell is its handout (see labs.course.contract)."""
    course = tmp_path / "course"
    test_dir = course / "source" / "test9"
    test_dir.mkdir(parents=True)
    nb = _as_test(good_notebook)
    nb.cells = [c for c in nb.cells if not cells.is_manual(c)]
    nbformat.write(nb, str(test_dir / "test9.ipynb"))
    assert check_lab(Course(course), "test9") == []
    # A lab with the same content is refused: it lacks a handout, objectives and a written answer.
    lab_dir = course / "source" / "lab12"
    lab_dir.mkdir(parents=True)
    for cell in nb.cells:
        if cells.grade_id(cell):
            cells.meta(cell)["grade_id"] = cells.grade_id(cell).replace("test9-", "lab12-")
    nbformat.write(nb, str(lab_dir / "1_a.ipynb"))
    problems = "\n".join(check_lab(Course(course), "lab12"))
    assert "README.md handout is missing" in problems and "no graded written answer" in problems
    assert "objectives and the estimated time" in problems


def test_a_test_states_time_and_instructions_and_has_no_manual_cells(good_notebook, tmp_path):
    nb = _as_test(good_notebook)
    nb.cells = [c for c in nb.cells if not cells.is_manual(c)]
    assert _problems(nb, tmp_path, lab="test9") == ""
    untimed = copy.deepcopy(nb)
    untimed.cells[0].source = "# Test 9\n\n**Objectives.** ... **Estimated time:** 50 minutes."
    assert "time allowed and the instructions" in _problems(untimed, tmp_path, lab="test9")
    nb.cells.append(nbformat.v4.new_markdown_cell("Because.", metadata={"nbgrader": {
        "grade": True, "solution": True, "locked": False, "points": 2, "schema_version": 3, "grade_id": "test9-why"}}))
    assert "no manually graded cells" in _problems(nb, tmp_path, lab="test9")


def test_grade_ids_name_their_assignment(good_notebook, tmp_path):
    nb = _as_test(good_notebook)
    nb.cells = [c for c in nb.cells if not cells.is_manual(c)]
    assert _problems(nb, tmp_path, lab="test9") == ""
    # test9's ids in test8's folder, and a lab's ids in a test, are both refused.
    assert "grade_id must look like test8-" in _problems(nb, tmp_path, lab="test8")
    assert "grade_id must look like test9-" in _problems(good_notebook, tmp_path, lab="test9")


def test_a_reference_defined_in_visible_tests_is_a_leak(good_notebook, tmp_path):
    answer = _first(good_notebook, cells.is_answer)
    name = re.search(r"^def (\w+)", answer.source, re.MULTILINE).group(1)
    test = good_notebook.cells[good_notebook.cells.index(answer) + 1]
    original = test.source
    reference = f"def {name}(*args):  # the reference, while these tests run\n    return None\n"
    test.source = f"_saved = {name}\n{reference}{original}"
    assert f"the visible tests define {name}" in _problems(good_notebook, tmp_path)
    test.source = f"_saved = {name}\n{cells.HIDDEN_BEGIN}\n{reference}{cells.HIDDEN_END}\n{original}"
    assert _problems(good_notebook, tmp_path) == ""


def test_visible_part_drops_every_hidden_block():
    source = f"a = 1\n{cells.HIDDEN_BEGIN}\nsecret()\n{cells.HIDDEN_END}\nb = 2\n{cells.HIDDEN_BEGIN}\nmore()\n{cells.HIDDEN_END}\nc = 3\n"
    assert cells.visible_part(source) == "a = 1\nb = 2\nc = 3\n"
