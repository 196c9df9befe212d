"""The flags a grading report puts on a submission, each with what it means.

One enum for every producer of flags (staging, the failure classifier, feedback, the cluster, the report's own
``manual``) and every reader: the report's legend and the table in the instructors' guide (``docs/instructors.md``)
are generated from it, so neither can name a flag the code does not set or miss one it does.
``python -m labs.grading.flags`` rewrites that table.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path


class Flag(enum.StrEnum):
    """A flag on a graded submission; its value is what the report, grades and the cluster's results carry."""

    MISSING = "missing"
    INVALID = "invalid"
    LINK = "link"
    CODE = "code"
    TIMEOUT = "timeout"
    LIMIT = "limit"
    CRASH = "crash"
    FAILED = "failed"
    TAMPER = "tamper"
    NO_FEEDBACK = "no-feedback"
    MANUAL = "manual"

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    Flag.MISSING: "a notebook is absent from the submission (scored 0)",
    Flag.INVALID: "a notebook is unreadable, not a file or too large, or the folder name is not a student id (scored 0)",
    Flag.LINK: "a symbolic link was handed in instead of a file or folder: not followed (scored 0)",
    Flag.CODE: "a code or configuration file (.py, a compiled module, IPython's configuration) was handed in: left out, not run",
    Flag.TIMEOUT: "a cell ran past the wall-clock backstop and was stopped: it and the cells that needed its results lost their points (graded again alone once first)",
    Flag.LIMIT: "a grading limit was hit (a cell's CPU time, the sandbox's memory or disk, output, cells, a notebook's time): that cell was stopped, cut or not run, and the cells that needed it lost their points",
    Flag.CRASH: "the kernel died or autograde failed (that notebook scored 0)",
    Flag.FAILED: "cluster grading could not grade the submission (its earlier grade, if any, is kept: grade it again)",
    Flag.TAMPER: "code that may fool the tests, or a link it planted: review by hand",
    Flag.NO_FEEDBACK: "graded, but the feedback page could not be written",
    Flag.MANUAL: "written answers wait for the formgrader",
}

# Failures that zero a notebook because grading could not run it, as opposed to a wrong answer.
NOT_GRADED = frozenset({Flag.MISSING, Flag.INVALID, Flag.LINK, Flag.TIMEOUT, Flag.CRASH})


def legend() -> str:
    """The report's last line: every flag and its meaning."""
    return "flags: " + "; ".join(f"{flag} = {flag.meaning}" for flag in Flag)


README_START = "<!-- flags: generated from labs/grading/flags.py by `python -m labs.grading.flags`; do not edit -->"
README_END = "<!-- end of flags -->"


def readme_table() -> str:
    """The guide's table of flags, between its two markers."""
    rows = [f"| `{flag}` | {flag.meaning} |" for flag in Flag]
    return "\n".join([README_START, "| flag | meaning |", "|---|---|", *rows, README_END])


def with_table(readme: str) -> str:
    """``readme`` with the text between the markers replaced by :func:`readme_table`."""
    start, end = readme.index(README_START), readme.index(README_END) + len(README_END)
    return readme[:start] + readme_table() + readme[end:]


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "docs" / "instructors.md"
    path.write_text(with_table(path.read_text()))
    print(f"{path}: flags table written ({len(Flag)} flags)")
