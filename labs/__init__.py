"""COMP6248 lab course: notebook helpers and the instructor tooling.

Students import small helpers from here (data loading, comparisons that explain
what is wrong, plotting). Instructors use the command line, ``python -m labs``.
"""

__version__ = "0.1.0"
