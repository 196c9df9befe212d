"""Example submissions are built from the release, never from the source notebook itself."""

from __future__ import annotations

from labs.course import Course, cells
from labs.qa import execute, faults, submissions
from tests.conftest import COURSE, LABS


def _course(tmp_path, lab):
    return COURSE.copy_lab(lab, tmp_path, with_release=True).root


def test_solution_blank_and_faulty_submissions(tmp_path):
    lab = LABS[0]
    course = _course(tmp_path, lab)
    catalogue = faults.load(COURSE, lab)
    solution = submissions.write_submission(Course(course), lab, "s", "solution")
    blank = submissions.write_submission(Course(course), lab, "b", "blank")
    faulty = submissions.write_submission(Course(course), lab, "f", "faulty", catalogue)
    chosen = {f.answer: f for f in submissions.first_fault_per_answer(catalogue)}
    for release_path in sorted((course / "release" / lab).glob("*.ipynb")):
        release_nb = execute.read(release_path)
        source_nb = execute.read(course / "source" / lab / release_path.name)
        solved = execute.read(solution / release_path.name)
        wrong = execute.read(faulty / release_path.name)
        assert execute.read(blank / release_path.name) == release_nb
        for index, cell in enumerate(release_nb.cells):
            gid = cells.grade_id(cell)
            if cells.is_test(cell):  # test cells stay as released: no hidden tests in a submission
                assert solved.cells[index].source == cell.source
            if cells.is_answer(cell):
                model = cells.strip_solution_markers(cells.find(source_nb, gid)[1].source)
                assert solved.cells[index].source == model
                assert "### BEGIN SOLUTION" not in solved.cells[index].source
                expected = cells.strip_solution_markers(chosen[gid].apply(cells.find(source_nb, gid)[1].source))
                assert wrong.cells[index].source == expected != model


def test_partial_submission_gets_every_second_answer_wrong_with_varied_faults(tmp_path):
    lab = LABS[0]
    course = _course(tmp_path, lab)
    catalogue = faults.load(COURSE, lab)
    partial = submissions.write_submission(Course(course), lab, "p", "partial", catalogue)
    answers = list(dict.fromkeys(f.answer for f in catalogue))
    chosen = {f.answer: f for f in submissions.every_second_answer_wrong(catalogue)}
    assert set(chosen) == set(answers[1::2])  # the first answer right, the second wrong, ...
    first_faults = {f.answer: f for f in submissions.first_fault_per_answer(catalogue)}
    assert any(chosen[a] is not first_faults[a] for a in chosen)  # not always the first fault catalogued
    right = wrong = 0
    for release_path in sorted((course / "release" / lab).glob("*.ipynb")):
        source_nb = execute.read(course / "source" / lab / release_path.name)
        written = execute.read(partial / release_path.name)
        for cell in written.cells:
            gid = cells.grade_id(cell)
            if cells.is_answer(cell):
                model = cells.strip_solution_markers(cells.find(source_nb, gid)[1].source)
                if gid in chosen:
                    assert cell.source == cells.strip_solution_markers(chosen[gid].apply(cells.find(source_nb, gid)[1].source)) != model
                    wrong += 1
                else:
                    assert cell.source == model
                    right += 1
    assert right > 0 and wrong > 0
