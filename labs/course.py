"""The nbgrader course: configuration loaded from ``nbgrader_config.py`` and the API on top of it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG_FILE = "nbgrader_config.py"


def load_config(root: Path) -> Config:
    """The course's nbgrader configuration, with the course root fixed to ``root``."""
    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return config


def copy_lab(root: Path, lab: str, destination: Path, with_release: bool = False) -> Path:
    """A scratch course at ``destination``: the configuration and ``source/LAB`` (and ``release/LAB``)."""
    import shutil

    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / CONFIG_FILE, destination / CONFIG_FILE)
    shutil.copytree(root / "source" / lab, destination / "source" / lab)
    if with_release:
        shutil.copytree(root / "release" / lab, destination / "release" / lab)
    return destination


def execution_settings(root: Path) -> tuple[int, list[str]]:
    """The per-cell timeout and kernel arguments nbgrader grades with, for running notebooks the same way."""
    execute = load_config(root).Execute
    return int(execute.get("timeout", 30)), list(execute.get("extra_arguments", []))


def ensure_tools_on_path() -> None:
    """nbgrader runs ``alembic`` from PATH when it creates a gradebook: expose this Python's ``bin/``."""
    bin_dir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bin_dir not in parts:
        os.environ["PATH"] = os.pathsep.join([bin_dir, *parts])


def api(root: Path, submitted_directory: str | None = None, configure=None):
    """An ``NbGraderAPI`` for the course rooted at ``root``.

    ``submitted_directory`` (relative to ``root``) makes autograde read submissions from
    somewhere other than ``submitted/``: grading uses a checked copy of each submission.
    ``configure(config)`` may change the configuration further (the grading sandbox does).
    """
    ensure_tools_on_path()
    from nbgrader.apps import NbGraderAPI

    config = load_config(root)
    if submitted_directory:
        config.CourseDirectory.submitted_directory = submitted_directory
    if configure is not None:
        configure(config)
    return NbGraderAPI(config=config)


class NbgraderFailed(RuntimeError):
    """An nbgrader step reported failure; the message carries its log."""


def check(result: dict, what: str) -> dict:
    """Raise with nbgrader's own log when an API call did not succeed (its exit status is not trustworthy)."""
    if not result.get("success"):
        detail = (result.get("error") or "").strip() or (result.get("log") or "").strip()
        raise NbgraderFailed(f"{what} failed:\n{detail[-4000:]}")
    return result


def gradebook(root: Path):
    """The course's gradebook (``ROOT/gradebook.db``), as a context manager."""
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{root / 'gradebook.db'}")
