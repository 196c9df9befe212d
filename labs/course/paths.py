"""Assignment names, and where the command line finds the course (every other tool is given a ``Course``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

# The assignments in source/: the labs (lab01 ... lab11) and the two timed in-class tests (test1, test2).
# Both kinds go through the same pipeline (release, contract check, grading, fault catalogue, demo); the
# contract asks a test for instructions instead of a handout and a written answer (labs.course.contract).
ASSIGNMENT_NAME = re.compile(r"^(lab\d\d|test\d)$")
TEST_NAME = re.compile(r"^test\d$")
LAB_NAME = ASSIGNMENT_NAME  # the older name: every assignment is treated as a lab by the tooling


def is_test(name: str) -> bool:
    """Whether the assignment ``name`` is a timed in-class test (``test1``) rather than a lab (``lab01``)."""
    return bool(TEST_NAME.match(name))


def course_root() -> Path:
    """The course root for the command line (``python -m labs`` without ``--root``): ``$COMP6248_ROOT`` or the
    directory holding ``nbgrader_config.py``, searched upwards from the current directory first, then from this
    package. Nothing else calls this: the tools are given their ``Course``.
    """
    env = os.environ.get("COMP6248_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for directory in (start, *start.parents):
            if (directory / "nbgrader_config.py").is_file() and (directory / "source").is_dir():
                return directory
    raise FileNotFoundError(
        "cannot find the course root (a directory with nbgrader_config.py and source/); "
        "run from inside the repository or set COMP6248_ROOT"
    )
