"""Generate the student version of labs (``release/``) and check that the committed one is fresh."""

from __future__ import annotations

import filecmp
import fnmatch
import json
import tempfile
from pathlib import Path

from labs.course import Course, NbgraderFailed, check


def generate(course: Course, lab: str) -> Path:
    """``nbgrader generate_assignment`` for one lab; returns ``release/LAB``.

    nbgrader removes the old ``release/LAB`` before it writes the new one; when it then fails (for instance, the
    gradebook refuses to add or remove cells of a notebook that students have submitted), the old release is put
    back, so a failed release loses nothing.
    """
    import shutil

    target = course.release(lab)
    course.has_gradebook()  # a database that is down: one clear error (GradebookUnavailable), nothing changed
    with tempfile.TemporaryDirectory(prefix="comp6248-release-backup-") as backup:
        kept = Path(backup) / lab
        if target.is_dir():
            shutil.copytree(target, kept, symlinks=True)
        try:
            check(course.api().generate_assignment(lab, force=True, create=True), f"generate_assignment {lab}")
        except NbgraderFailed:
            if kept.is_dir():
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(kept, target, symlinks=True)
            raise
    return target


def _same_notebook(a: Path, b: Path) -> bool:
    return json.loads(a.read_text(encoding="utf-8")) == json.loads(b.read_text(encoding="utf-8"))


def _ignored(rel: Path, ignore: list[str]) -> bool:
    """Whether nbgrader would leave ``rel`` out of a copy: any part of the path matches a ``CourseDirectory.ignore``
    pattern (``.ipynb_checkpoints``, ``__pycache__``, ...)."""
    return any(fnmatch.fnmatch(part, pattern) for part in rel.parts for pattern in ignore)


def differences(fresh: Path, committed: Path, ignore: list[str]) -> list[str]:
    """Human-readable differences between two release folders (empty when they match).

    Files that nbgrader itself ignores (``ignore``: the course's ``CourseDirectory.ignore``, :meth:`Course.ignore`)
    are not compared: JupyterLab's ``.ipynb_checkpoints/`` in a release folder does not make it stale.
    """
    if not committed.is_dir():
        return [f"{committed} does not exist"]
    fresh_files = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file() and not _ignored(p.relative_to(fresh), ignore)}
    committed_files = {p.relative_to(committed) for p in committed.rglob("*")
                       if p.is_file() and not _ignored(p.relative_to(committed), ignore)}
    problems = [f"missing from {committed}: {p}" for p in sorted(fresh_files - committed_files)]
    problems += [f"not generated from source (delete it): {committed / p}" for p in sorted(committed_files - fresh_files)]
    for rel in sorted(fresh_files & committed_files):
        a, b = fresh / rel, committed / rel
        same = _same_notebook(a, b) if rel.suffix == ".ipynb" else filecmp.cmp(a, b, shallow=False)
        if not same:
            problems.append(f"stale: {committed / rel}")
    return problems


def check_fresh(course: Course, lab: str) -> list[str]:
    """Regenerate ``lab`` in a scratch course and compare it with the committed ``release/LAB``."""
    with tempfile.TemporaryDirectory(prefix="comp6248-release-") as scratch:
        fresh = generate(course.copy_lab(lab, Path(scratch)), lab)
        return differences(fresh, course.release(lab), course.ignore())
