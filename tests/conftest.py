"""Shared fixtures and the timing table printed at the end of every run."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from labs import timings
from labs.paths import lab_names

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
TIMINGS_DIR = BUILD / "timings"
TIMINGS_TABLE = BUILD / "timings.md"
LABS = lab_names(ROOT)

_session_start = time.perf_counter()


def _is_controller(config) -> bool:
    return not hasattr(config, "workerinput")


def pytest_configure(config):
    if _is_controller(config) and TIMINGS_DIR.exists():
        shutil.rmtree(TIMINGS_DIR)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _is_controller(config):
        return
    rows = timings.load(TIMINGS_DIR)
    if not rows:
        return
    text = timings.table(rows, time.perf_counter() - _session_start)
    TIMINGS_TABLE.parent.mkdir(parents=True, exist_ok=True)
    TIMINGS_TABLE.write_text(text + "\n")
    terminalreporter.write_sep("=", f"notebook timings (budget {timings.BUDGET_SECONDS:.0f} s a notebook; also in {TIMINGS_TABLE.relative_to(ROOT)})")
    terminalreporter.write_line(text)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def record_timing():
    def record(**row):
        timings.record(TIMINGS_DIR, **row)

    return record


@pytest.fixture(autouse=True)
def _course_root_env(monkeypatch):
    monkeypatch.setenv("COMP6248_ROOT", str(ROOT))
    # nbgrader runs alembic from PATH: make the tests' own environment visible.
    bin_dir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", bin_dir + os.pathsep + os.environ.get("PATH", ""))
