"""The nbgrader course: configuration loaded from ``nbgrader_config.py`` and the API on top of it."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG_FILE = "nbgrader_config.py"
# Appended to the configuration of a scratch copy of the course (a release check, a benchmark, a cluster worker's
# private course): the course's db_url goes, so the copy's gradebook is nbgrader's default, SQLite in the copy's root,
# and nothing done in the copy reaches the course's own database.
OWN_GRADEBOOK = """
# A scratch copy of the course: its gradebook is its own (SQLite in this folder), never the course's database.
c.CourseDirectory.pop("db_url", None)
"""


def load_config(root: Path) -> Config:
    """The course's nbgrader configuration, with the course root fixed to ``root``."""
    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return config


def copy_lab(root: Path, lab: str, destination: Path, with_release: bool = False) -> Path:
    """A scratch course at ``destination``: the configuration and ``source/LAB`` (and ``release/LAB``).

    The copy keeps a gradebook of its own (SQLite in ``destination``), never the course's database.
    """
    import shutil

    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / CONFIG_FILE, destination / CONFIG_FILE)
    with open(destination / CONFIG_FILE, "a") as config:
        config.write(OWN_GRADEBOOK)
    shutil.copytree(root / "source" / lab, destination / "source" / lab)
    if with_release:
        shutil.copytree(root / "release" / lab, destination / "release" / lab)
    return destination


# Graders and the test suite run several kernels at once, one per core. A kernel whose BLAS and
# OpenMP pools also take every core makes them all spin against each other (a 5 s notebook was
# seen taking 38 s), so each kernel gets one thread unless the caller says otherwise.
PARALLEL_KERNEL_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


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


class GradebookUnavailable(NbgraderFailed):
    """The gradebook's database cannot be reached or used (a server that is down, a wrong URL, no driver)."""


def db_url(root: Path) -> str:
    """The gradebook's database URL, as nbgrader reads it: ``CourseDirectory.db_url`` of ``nbgrader_config.py``, or
    nbgrader's default, SQLite in ``ROOT/gradebook.db`` (also for a course with no configuration file)."""
    from nbgrader.coursedir import CourseDirectory

    config = load_config(root) if (root / CONFIG_FILE).is_file() else Config(CourseDirectory={"root": str(root)})
    return CourseDirectory(config=config).db_url


@contextlib.contextmanager
def _reaching(url: str):
    """Turn a failure to connect to (or to open) the database at ``url`` into one :class:`GradebookUnavailable`."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError

    try:
        yield
    except (DBAPIError, ArgumentError, ImportError) as error:
        reason = getattr(error, "orig", None) or error
        reason = " ".join(line.strip() for line in str(reason).splitlines() if line.strip()) or type(reason).__name__
        try:
            shown = make_url(url).render_as_string(hide_password=True)
        except ArgumentError:
            shown = url
        raise GradebookUnavailable(f"cannot reach the gradebook database at {shown}: {reason}") from error


def has_gradebook(root: Path) -> bool:
    """Whether the course's gradebook exists yet (``release`` creates it): asked of the database, which must be
    reachable. An SQLite file that does not exist is not created by asking."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url

    url = db_url(root)
    with _reaching(url):
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).is_file()):
            return False
        engine = create_engine(url)
        try:
            return "assignment" in inspect(engine).get_table_names()
        finally:
            engine.dispose()


def gradebook(root: Path):
    """The course's gradebook (at :func:`db_url`), as a context manager; :class:`GradebookUnavailable` says why not."""
    from nbgrader.api import Gradebook

    ensure_tools_on_path()  # a new gradebook runs alembic
    url = db_url(root)
    with _reaching(url):
        return Gradebook(url)
