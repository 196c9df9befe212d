"""Run a notebook in a kernel and score its test cells as nbgrader does.

The harness's quick path (no gradebook, optionally only a prefix of the notebook): the kernel
settings and client that :mod:`labs.qa.fault_runs` drives cell by cell, and :func:`run` for a whole
notebook in a fresh kernel. Scores come from nbgrader's own ``determine_grade``, so a cell that
raises or writes to stderr scores zero here too.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

from labs.course import PARALLEL_KERNEL_ENV, Course, cells

# The harness is not the grader: its kernels get this many times the grading per-cell limit, so that a slow
# or busy machine cannot turn a slow cell into a lost point. Time is checked apart, in reference seconds
# (tests.timings), where load does not count.
HARNESS_TIMEOUT_FACTOR = 3


@dataclass(frozen=True)
class CellScore:
    grade_id: str
    score: float
    max_score: float

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


@dataclass
class Run:
    notebook: NotebookNode
    seconds: float
    scores: list[CellScore]

    @property
    def score(self) -> float:
        return sum(s.score for s in self.scores)

    @property
    def max_score(self) -> float:
        return sum(s.max_score for s in self.scores)

    def by_id(self) -> dict[str, CellScore]:
        return {s.grade_id: s for s in self.scores}

    def failures(self) -> str:
        """The failing test cells with the end of their error output, for assertion messages."""
        lines = [f"{cells.grade_id(cell)}: {why}" for cell in self.notebook.cells
                 if cells.is_test(cell) and (why := failure(cell))]
        return "\n".join(lines) or "(no failing test cell)"


def failure(cell: NotebookNode) -> str:
    """Why nbgrader scores an executed cell zero (its first error, or what it wrote to stderr); empty when it does not."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}"[:400]
        if output.output_type == "stream" and output.name == "stderr":
            return f"stderr: {output.text.strip()}"[:300]
    return ""


def score_cell(cell: NotebookNode) -> CellScore:
    """The autograded points of one executed test cell, by nbgrader's own rule."""
    from nbgrader.utils import determine_grade

    score, max_score = determine_grade(cell)
    return CellScore(cells.grade_id(cell), float(score or 0), float(max_score))


def score_tests(nb: NotebookNode) -> list[CellScore]:
    """Autograded points of every test cell that was executed (nbgrader's rule)."""
    return [score_cell(cell) for cell in nb.cells if cells.is_test(cell) and cell.get("execution_count") is not None]


def truncate_after(nb: NotebookNode, last_grade_id: str) -> NotebookNode:
    """A copy of ``nb`` ending with the cell ``last_grade_id``."""
    index, _ = cells.find(nb, last_grade_id)
    short = copy.deepcopy(nb)
    short.cells = short.cells[: index + 1]
    return short


def run(
    course: Course,
    nb: NotebookNode,
    cwd: Path,
    *,
    seed: int | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Execute ``nb`` (a copy) in a new python3 kernel in ``cwd``; errors do not stop the run.

    The kernel arguments are ``course``'s grading settings (nbgrader_config.py); see :func:`notebook_client`.
    """
    nb = copy.deepcopy(nb)
    client = notebook_client(course, nb, cwd)
    start = time.perf_counter()
    client.execute(env=kernel_environment(seed, env))
    seconds = time.perf_counter() - start
    return Run(nb, seconds, score_tests(nb))


def kernel_environment(seed: int | None = None, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a harness kernel: one BLAS thread unless set otherwise, the seed, and no GPU.

    Harness kernels run on the CPU even where there is a GPU: budgets are CPU seconds, and a CUDA
    context does not survive the fork that runs each catalogued fault (:mod:`labs.qa.kernel_fork`).
    """
    kernel_env = {**PARALLEL_KERNEL_ENV, **os.environ, "CUDA_VISIBLE_DEVICES": "", **(env or {})}
    if seed is not None:
        kernel_env["LABS_SEED"] = str(seed)
    return kernel_env


def notebook_client(course: Course, nb: NotebookNode, cwd: Path) -> NotebookClient:
    """An nbclient for ``nb`` (executed in place) with ``course``'s kernel settings, working in ``cwd``.

    The per-cell limit is the course's, times :data:`HARNESS_TIMEOUT_FACTOR`.
    """
    timeout, extra_arguments = course.execution_settings()
    return NotebookClient(
        nb,
        timeout=timeout * HARNESS_TIMEOUT_FACTOR,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        extra_arguments=extra_arguments,
        resources={"metadata": {"path": str(cwd)}},
    )


def read(path: Path) -> NotebookNode:
    return nbformat.read(str(path), as_version=4)
