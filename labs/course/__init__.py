"""The nbgrader course: one :class:`Course` object for a course directory, and the course's instructor tools.

A :class:`Course` is built on nbgrader's own ``CourseDirectory`` and configuration (``nbgrader_config.py``): every
folder (``source/``, ``release/``, ``submitted/STUDENT/LAB``, ``autograded/...``, ``feedback/...``), the gradebook's
database URL, the execution settings and nbgrader's API come from it. Every tool takes the course as its first
argument, then the lab, then the student; none finds the course by itself (only the command line does, once).

The modules beside this one: :mod:`.paths` (assignment names, finding the course root for the command line),
:mod:`.cells` (nbgrader's cell metadata), :mod:`.release`, :mod:`.contract` (the lab contract's lint),
:mod:`.definition` (a lab as the gradebook defines it), :mod:`.schedule` and :mod:`.marks` (due dates, module marks),
:mod:`.start` (a student's working copy).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from dataclasses import dataclass
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


# Graders and the test suite run several kernels at once, one per core. A kernel whose BLAS and
# OpenMP pools also take every core makes them all spin against each other (a 5 s notebook was
# seen taking 38 s), so each kernel gets one thread unless the caller says otherwise.
PARALLEL_KERNEL_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def ensure_tools_on_path() -> None:
    """nbgrader runs ``alembic`` from PATH when it creates a gradebook: expose this Python's ``bin/``."""
    bin_dir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bin_dir not in parts:
        os.environ["PATH"] = os.pathsep.join([bin_dir, *parts])


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


@dataclass(frozen=True)
class Course:
    """The nbgrader course rooted at ``root``: its configuration, folders, gradebook and nbgrader API.

    Nothing is cached: the configuration is read from ``nbgrader_config.py`` on each use (so a change to it counts at
    once), and a ``Course`` is plain data that pickles into pool workers.
    """

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    # --- configuration ---------------------------------------------------------------------------------------------

    def load_config(self) -> Config:
        """The course's nbgrader configuration, with the course root fixed to ``root`` (nbgrader's defaults when the
        course has no configuration file)."""
        if not (self.root / CONFIG_FILE).is_file():
            return Config(CourseDirectory={"root": str(self.root)})
        config = PyFileConfigLoader(CONFIG_FILE, path=str(self.root)).load_config()
        config.CourseDirectory.root = str(self.root)
        return config

    def directory(self):
        """nbgrader's ``CourseDirectory`` of this course."""
        from nbgrader.coursedir import CourseDirectory

        return CourseDirectory(config=self.load_config())

    def ignore(self) -> list[str]:
        """The file patterns nbgrader leaves out of every copy it makes (``CourseDirectory.ignore``: the course's setting,
        or nbgrader's default)."""
        return list(self.directory().ignore)

    @property
    def db_url(self) -> str:
        """The gradebook's database URL, as nbgrader reads it: ``CourseDirectory.db_url``, or nbgrader's default,
        SQLite in ``ROOT/gradebook.db``."""
        return self.directory().db_url

    def execution_settings(self) -> tuple[int, list[str]]:
        """The per-cell limit and kernel arguments grading uses, for running notebooks the same way: the limit is the
        CPU seconds a cell may use where the canary has not calibrated it (``c.Sandbox.cell_cpu_seconds``; calibrated
        limits are a multiple of the model solution's own), which a model solution's cell must fit well within.
        ``c.Execute.timeout`` is only grading's wall-clock backstop."""
        from labs.grading.sandbox import Limits

        config = self.load_config()
        return Limits.from_config(config).cell_cpu_seconds, list(config.Execute.get("extra_arguments", []))

    def max_file_bytes(self) -> int:
        """The largest file nbgrader copies from a submission: ``CourseDirectory.max_file_size`` (kilobytes)."""
        return 1000 * self.directory().max_file_size

    # --- folders ---------------------------------------------------------------------------------------------------

    def folder(self, step: str, lab: str = "", student: str = "") -> Path:
        """Where nbgrader keeps ``step`` (``source``, ``release``, ``submitted``, ``autograded``, ``feedback``) of
        ``lab`` for ``student``: its configured folder and ``directory_structure``. Without ``lab`` (and
        ``student``), the folder that holds them."""
        return self.path(getattr(self.directory(), f"{step}_directory"), lab, student)

    def path(self, folder: str, lab: str = "", student: str = "") -> Path:
        """``lab`` of ``student`` under ``folder`` (a folder of the course root), laid out by nbgrader's
        ``directory_structure``, as nbgrader lays out its own folders."""
        return Path(os.path.normpath(self.directory().format_path(folder, student or ".", lab)))

    def source(self, lab: str = "") -> Path:
        return self.folder("source", lab)

    def release(self, lab: str = "") -> Path:
        return self.folder("release", lab)

    def submitted(self, lab: str = "", student: str = "") -> Path:
        return self.folder("submitted", lab, student)

    def autograded(self, lab: str = "", student: str = "") -> Path:
        return self.folder("autograded", lab, student)

    def feedback(self, lab: str = "", student: str = "") -> Path:
        return self.folder("feedback", lab, student)

    def labs(self) -> list[str]:
        """The assignments in ``source/``, in order: the labs, then the tests (``lab01`` ... ``test1`` ...)."""
        from labs.course.paths import ASSIGNMENT_NAME

        source = self.source()
        return sorted(p.name for p in source.iterdir() if p.is_dir() and ASSIGNMENT_NAME.match(p.name))

    def notebooks(self, lab: str, stage: str = "source") -> list[Path]:
        """The notebooks of one assignment at one stage (``source`` or ``release``), in order."""
        folder = self.folder(stage, lab)
        if not folder.is_dir():
            raise FileNotFoundError(f"no such lab: {folder}")
        return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))

    def copy_lab(self, lab: str, destination: Path, with_release: bool = False) -> Course:
        """A scratch course at ``destination``: the configuration and ``source/LAB`` (and ``release/LAB``).

        The copy keeps a gradebook of its own (SQLite in ``destination``), never the course's database.
        """
        copy = Course(destination)
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.root / CONFIG_FILE, destination / CONFIG_FILE)
        with open(destination / CONFIG_FILE, "a") as config:
            config.write(OWN_GRADEBOOK)
        shutil.copytree(self.source(lab), copy.source(lab))
        if with_release:
            shutil.copytree(self.release(lab), copy.release(lab))
        return copy

    # --- nbgrader --------------------------------------------------------------------------------------------------

    def api(self, submitted_directory: str | None = None, configure=None):
        """An ``NbGraderAPI`` for the course.

        ``submitted_directory`` (relative to ``root``) makes autograde read submissions from
        somewhere other than ``submitted/``: grading uses a checked copy of each submission.
        ``configure(config)`` may change the configuration further (the grading sandbox does).
        """
        ensure_tools_on_path()
        from nbgrader.apps import NbGraderAPI

        config = self.load_config()
        if submitted_directory:
            config.CourseDirectory.submitted_directory = submitted_directory
        if configure is not None:
            configure(config)
        return NbGraderAPI(config=config)

    def has_gradebook(self) -> bool:
        """Whether the course's gradebook exists yet (``release`` creates it): asked of the database, which must be
        reachable. An SQLite file that does not exist is not created by asking."""
        from sqlalchemy import create_engine, inspect
        from sqlalchemy.engine import make_url

        url = self.db_url
        with _reaching(url):
            parsed = make_url(url)
            if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).is_file()):
                return False
            engine = create_engine(url)
            try:
                return "assignment" in inspect(engine).get_table_names()
            finally:
                engine.dispose()

    def gradebook(self):
        """The course's gradebook (at :attr:`db_url`), as a context manager; :class:`GradebookUnavailable` says why
        not."""
        from nbgrader.api import Gradebook

        ensure_tools_on_path()  # a new gradebook runs alembic
        url = self.db_url
        with _reaching(url):
            return Gradebook(url)
