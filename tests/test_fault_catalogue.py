"""The wrong-answer catalogue covers every autograded answer and still fits the solutions."""

from __future__ import annotations

import pytest

from labs.course import cells
from labs.qa import execute, faults
from labs.qa.faults import CatalogueError, Fault
from tests.conftest import COURSE, LABS

MIN_FAULTS_PER_ANSWER = 3


@pytest.mark.parametrize("lab", LABS)
def test_every_answer_has_three_faults(lab):
    catalogue = faults.load(COURSE, lab)
    answers = [
        cells.grade_id(cell)
        for path in COURSE.notebooks(lab)
        for cell in execute.read(path).cells
        if cells.is_answer(cell)
    ]
    assert answers, f"{lab} has no autograded answers"
    thin = {a: n for a in answers if (n := sum(f.answer == a for f in catalogue)) < MIN_FAULTS_PER_ANSWER}
    assert not thin, f"answers with fewer than {MIN_FAULTS_PER_ANSWER} faults in tests/faults/{lab}.py: {thin}"
    unknown = sorted({f.answer for f in catalogue} - set(answers))
    assert not unknown, f"faults for answer cells that do not exist: {unknown}"


@pytest.mark.parametrize("lab", LABS)
def test_every_fault_applies_to_the_current_solution(lab):
    notebooks = COURSE.notebooks(lab)
    for fault in faults.load(COURSE, lab):
        source = execute.read(faults.notebook_of(fault.answer, notebooks))
        broken = faults.inject(source, fault)  # raises CatalogueError when it no longer fits
        assert cells.find(broken, fault.answer)[1].source != cells.find(source, fault.answer)[1].source


@pytest.mark.parametrize("lab", LABS)
def test_every_alternative_applies_to_the_current_solution(lab):
    notebooks = COURSE.notebooks(lab)
    for alternative in faults.load_alternatives(COURSE, lab):
        source = execute.read(faults.notebook_of(alternative.answer, notebooks))
        changed = faults.inject(source, alternative)
        assert cells.find(changed, alternative.answer)[1].source != cells.find(source, alternative.answer)[1].source


def test_alternatives_and_faults_are_kept_apart(tmp_path):
    from labs.course import Course

    for folder in ("faults", "alternatives"):
        (tmp_path / "tests" / folder).mkdir(parents=True)
    wrong, right = tmp_path / "tests" / "faults" / "lab98.py", tmp_path / "tests" / "alternatives" / "lab98.py"
    wrong.write_text("from labs.qa.faults import Fault, alternative\n"
                     "FAULTS = [Fault('w', 'lab98-x', ('lab98-x-tests',), source='wrong')]\n")
    right.write_text("from labs.qa.faults import alternative\n"
                     "ALTERNATIVES = [alternative('r', 'lab98-x', ('lab98-x-tests',), source='right')]\n")
    course = Course(tmp_path)
    assert [(f.name, f.correct) for f in faults.load(course, "lab98")] == [("w", False)]
    assert [(f.name, f.correct) for f in faults.load_alternatives(course, "lab98")] == [("r", True)]
    wrong.write_text(wrong.read_text().replace("FAULTS = [", "FAULTS = [alternative('r2', 'lab98-x', ('t',), source='x'), "))
    with pytest.raises(CatalogueError, match="FAULTS holds wrong answers only"):
        faults.load(course, "lab98")
    wrong.write_text("from labs.qa.faults import Fault\nFAULTS = [Fault('r', 'lab98-x', ('lab98-x-tests',), source='w')]\n")
    with pytest.raises(CatalogueError, match="duplicate names"):
        faults.load(course, "lab98")


def test_replacement_must_match_exactly_once():
    fault = Fault("twice", "lab00-x", ("lab00-x-tests",), replace=(("a", "b"),))
    with pytest.raises(CatalogueError, match="occurs 2 times"):
        fault.apply("a + a")
    with pytest.raises(CatalogueError, match="occurs 0 times"):
        fault.apply("c")
    assert fault.apply("a + c") == "b + c"


def test_fault_needs_exactly_one_way_to_break_and_named_tests():
    with pytest.raises(CatalogueError):
        Fault("neither", "lab00-x", ("t",))
    with pytest.raises(CatalogueError):
        Fault("both", "lab00-x", ("t",), replace=(("a", "b"),), source="x")
    with pytest.raises(CatalogueError):
        Fault("no-tests", "lab00-x", (), source="x")
