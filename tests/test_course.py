"""The Course object: every folder and the gradebook's URL come from nbgrader's CourseDirectory and configuration."""

from __future__ import annotations

import pickle

import nbformat
import pytest
from nbformat.v4 import new_notebook

from labs.course import CONFIG_FILE, Course
from labs.grading import pipeline as grading
from tests.conftest import COURSE, LABS

RENAMED = """c = get_config()
c.CourseDirectory.submitted_directory = "handed-in"
c.CourseDirectory.autograded_directory = "marked"
c.CourseDirectory.feedback_directory = "returned"
c.CourseDirectory.release_directory = "student-version"
c.CourseDirectory.max_file_size = 2000
c.CourseDirectory.ignore = [".ipynb_checkpoints", "Thumbs.db"]
"""


def test_the_default_layout_is_nbgraders(tmp_path):
    course = Course(tmp_path)
    assert course.source("lab01") == tmp_path / "source" / "lab01"
    assert course.release("lab01") == tmp_path / "release" / "lab01"
    assert course.submitted("lab01", "ada") == tmp_path / "submitted" / "ada" / "lab01"
    assert course.submitted(student="ada") == tmp_path / "submitted" / "ada"
    assert course.submitted() == tmp_path / "submitted"
    assert course.autograded("lab01", "ada") == tmp_path / "autograded" / "ada" / "lab01"
    assert course.feedback("lab01", "ada") == tmp_path / "feedback" / "ada" / "lab01"
    assert course.db_url == f"sqlite:///{tmp_path / 'gradebook.db'}"  # no configuration: nbgrader's default
    assert course.max_file_bytes() == 100 * 10**6
    assert course.ignore() == [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]  # nbgrader's default
    assert course.path(".grading/submitted", "lab01", "ada") == tmp_path / ".grading" / "submitted" / "ada" / "lab01"


def test_folders_follow_the_course_configuration(tmp_path):
    (tmp_path / CONFIG_FILE).write_text(RENAMED)
    course = Course(tmp_path)
    assert course.submitted("lab01", "ada") == tmp_path / "handed-in" / "ada" / "lab01"
    assert course.autograded("lab01", "ada") == tmp_path / "marked" / "ada" / "lab01"
    assert course.feedback("lab01", "ada") == tmp_path / "returned" / "ada" / "lab01"
    assert course.release("lab01") == tmp_path / "student-version" / "lab01"
    assert course.max_file_bytes() == 2_000_000
    assert course.ignore() == [".ipynb_checkpoints", "Thumbs.db"]
    # ... and the grading tools read them there: a submission in handed-in/ is a student, one in submitted/ is not.
    (tmp_path / "handed-in" / "ada" / "lab01").mkdir(parents=True)
    (tmp_path / "submitted" / "bob" / "lab01").mkdir(parents=True)
    assert grading.students(course, "lab01") == ["ada"]


def test_a_configuration_change_counts_at_once(tmp_path):
    course = Course(tmp_path)
    assert course.submitted() == tmp_path / "submitted"
    (tmp_path / CONFIG_FILE).write_text(RENAMED)
    assert course.submitted() == tmp_path / "handed-in"  # nothing cached


def test_the_repository_course_lists_its_assignments_and_notebooks():
    assert LABS == COURSE.labs() and LABS[0] == "lab01" and LABS[-2:] == ["test1", "test2"]
    source = sorted(p.name for p in (COURSE.root / "source" / "lab01").glob("*.ipynb"))
    assert [p.name for p in COURSE.notebooks("lab01")] == source
    released = COURSE.notebooks("lab01", stage="release")
    assert [p.name for p in released] == source and {p.parent for p in released} == {COURSE.root / "release" / "lab01"}
    timeout, arguments = COURSE.execution_settings()
    assert timeout == 60 and "--IPKernelApp.log_level=ERROR" in arguments
    with pytest.raises(FileNotFoundError, match="no such lab"):
        COURSE.notebooks("lab77")


def test_only_assignment_folders_are_labs(tmp_path):
    for name in ("lab02", "lab01", "test1", "project", "lab1", ".ipynb_checkpoints"):
        (tmp_path / "source" / name).mkdir(parents=True)
    assert Course(tmp_path).labs() == ["lab01", "lab02", "test1"]


def test_a_copy_is_a_course_with_a_gradebook_of_its_own(tmp_path):
    served = tmp_path / "served"
    (served / "source" / "lab01").mkdir(parents=True)
    nbformat.write(new_notebook(), str(served / "source" / "lab01" / "1_a.ipynb"))
    (served / CONFIG_FILE).write_text("c = get_config()\nc.CourseDirectory.db_url = 'postgresql://grader@/comp6248'\n")
    copy = Course(served).copy_lab("lab01", tmp_path / "copy")
    assert copy == Course(tmp_path / "copy")
    assert [p.name for p in copy.notebooks("lab01")] == ["1_a.ipynb"]
    assert copy.db_url == f"sqlite:///{tmp_path / 'copy' / 'gradebook.db'}"  # never the served course's database


def test_a_course_is_plain_data_that_pool_workers_receive(tmp_path):
    course = Course(str(tmp_path))  # a string root is a path
    assert course.root == tmp_path
    assert pickle.loads(pickle.dumps(course)) == course
    assert hash(course) == hash(Course(tmp_path))
