"""Generate the student version of labs (``release/``) and check that the committed one is fresh."""

from __future__ import annotations

import filecmp
import json
import tempfile
from pathlib import Path

from labs import course


def generate(lab: str, root: Path) -> Path:
    """``nbgrader generate_assignment`` for one lab; returns ``release/LAB``."""
    course.check(course.api(root).generate_assignment(lab, force=True, create=True), f"generate_assignment {lab}")
    return root / "release" / lab


def _same_notebook(a: Path, b: Path) -> bool:
    return json.loads(a.read_text(encoding="utf-8")) == json.loads(b.read_text(encoding="utf-8"))


def differences(fresh: Path, committed: Path) -> list[str]:
    """Human-readable differences between two release folders (empty when they match)."""
    if not committed.is_dir():
        return [f"{committed} does not exist"]
    fresh_files = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
    committed_files = {p.relative_to(committed) for p in committed.rglob("*") if p.is_file()}
    problems = [f"missing from {committed}: {p}" for p in sorted(fresh_files - committed_files)]
    problems += [f"not generated from source (delete it): {committed / p}" for p in sorted(committed_files - fresh_files)]
    for rel in sorted(fresh_files & committed_files):
        a, b = fresh / rel, committed / rel
        same = _same_notebook(a, b) if rel.suffix == ".ipynb" else filecmp.cmp(a, b, shallow=False)
        if not same:
            problems.append(f"stale: {committed / rel}")
    return problems


def check(lab: str, root: Path) -> list[str]:
    """Regenerate ``lab`` in a scratch course and compare it with the committed ``release/LAB``."""
    with tempfile.TemporaryDirectory(prefix="comp6248-release-") as scratch:
        scratch_root = course.copy_lab(root, lab, Path(scratch))
        fresh = generate(lab, scratch_root)
        return differences(fresh, root / "release" / lab)
