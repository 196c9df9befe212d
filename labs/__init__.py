"""COMP6248 lab course: notebook helpers and the instructor tooling.

The modules at this level are the student API: what the notebooks import (data loading, comparisons that explain
what is wrong, plotting, one helper module per topic), with stable names. Instructor code lives in sub-packages
named for their job: :mod:`labs.course` (the nbgrader course, release, the contract's lint, schedule and marks),
:mod:`labs.grading` (grading submissions safely), :mod:`labs.qa` (what proves the labs work), :mod:`labs.hub` (the
course hub). Instructors use the command line, ``python -m labs``.
"""

__version__ = "0.1.0"
