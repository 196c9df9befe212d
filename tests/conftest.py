"""Shared fixtures and the timing table printed at the end of every run."""

from __future__ import annotations

import os
import random
import shutil
import socket
import sys
import time
from pathlib import Path

import pytest

from labs.course import Course
from labs.course.paths import LAB_NAME
from tests import timings

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
TIMINGS_DIR = BUILD / "timings"
TIMINGS_TABLE = BUILD / "timings.md"
COURSE = Course(ROOT)  # the course of this repository
LABS = COURSE.labs()

_session_start = time.perf_counter()


def _is_controller(config) -> bool:
    return not hasattr(config, "workerinput")


def pytest_configure(config):
    if _is_controller(config) and TIMINGS_DIR.exists():
        shutil.rmtree(TIMINGS_DIR)


# The kind of check each test module (or test) makes, for the cost table; other modules are "quick checks".
KINDS = {
    "test_notebooks.py::test_solution_full_marks_within_budget": "seed 0 + faults",
    "test_notebooks.py::test_fault_loses_points": "seed 0 + faults",
    "test_notebooks.py::test_solution_at_another_seed": "another seed",
    "test_grading_pipeline.py": "nbgrader pipeline",
    "test_validate.py": "validate button",
    "test_adversarial.py": "adversarial grading",
    "test_grading_features.py": "grading features",
    "test_fault_runs.py": "fault harness",
    "test_sandbox.py": "sandbox",
    "test_warm_kernel.py": "warm kernels",
    "test_cluster.py": "cluster grading",
    "test_gradebook_postgres.py": "gradebook on PostgreSQL",
    "test_hub_browser.py": "hub in a browser",
}


def _kind(item) -> str:
    module = Path(str(item.fspath)).name
    return KINDS.get(f"{module}::{item.originalname}") or KINDS.get(module) or "quick checks"


def _lab(item) -> str | None:
    params = item.callspec.params if hasattr(item, "callspec") else {}
    for value in params.values():
        if isinstance(value, str) and LAB_NAME.match(value):
            return value
    return None


_tree_cpu: timings.TreeCpu | None = None  # this test process and everything it starts (kernels, graders, sandboxes)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    global _tree_cpu
    if _tree_cpu is None:
        _tree_cpu = timings.TreeCpu(f"comp6248-tests-{os.getpid()}")
    wall, cpu = time.perf_counter(), _tree_cpu.seconds()
    yield
    timings.record(TIMINGS_DIR, table="test", test=item.nodeid, lab=_lab(item), kind=_kind(item),
                   wall=time.perf_counter() - wall, cpu=_tree_cpu.seconds() - cpu, exact=_tree_cpu.exact)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _is_controller(config):
        return
    rows = timings.load(TIMINGS_DIR)
    if not rows:
        return
    workers = config.getoption("numprocesses", None)
    workers = workers if isinstance(workers, int) and workers > 0 else 1
    cell_limit, _ = COURSE.execution_settings()
    text = timings.table(rows, time.perf_counter() - _session_start, workers, cell_limit)
    TIMINGS_TABLE.parent.mkdir(parents=True, exist_ok=True)
    TIMINGS_TABLE.write_text(text + "\n")
    terminalreporter.write_sep("=", f"timings and cost (budget {timings.BUDGET_SECONDS:.0f} reference s a notebook; also in {TIMINGS_TABLE.relative_to(ROOT)})")
    terminalreporter.write_line(text)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Refuse to run when --dist loadgroup would not keep a group on one worker (each worker would redo its work)."""
    if not getattr(config.option, "loadgroup", False):
        return
    lost = [item.nodeid for item in items if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
    if lost:
        raise pytest.UsageError(
            f"pytest-xdist did not group {len(lost)} tests marked xdist_group (e.g. {lost[0]}): this pytest "
            "and pytest-xdist do not work together for --dist loadgroup; use the versions in requirements.txt")


def fresh_seed() -> int:
    """A new seed every run (shown in the timing table; ``LABS_FRESH_SEED=N`` gives N instead, to reproduce a failure)."""
    return int(os.environ.get("LABS_FRESH_SEED") or random.SystemRandom().randrange(10_000, 1_000_000))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server a test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def one_blas_thread():
    """One BLAS thread while a test runs, as in the grading sandbox: tiny models train many times slower with threads
    that compete for the cores. Use with ``pytestmark = pytest.mark.usefixtures("one_blas_thread")``."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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
