"""One kernel per notebook: the model solution runs once, every catalogued fault in a fork of it.

The harness used to give each fault a fresh kernel that re-ran the notebook up to the fault's last
test (kernel start, ``import torch``, data, training: again for each of ~250 faults). Here the model
solution runs cell by cell in one real Jupyter kernel, as nbgrader runs it. Before an answer cell
that has faults, a control cell asks the kernel (:mod:`labs.qa.kernel_fork`) to fork once per fault:
each child runs the wrong answer and the cells after it up to the fault's last named test, records
their outputs, and exits; then the parent runs the right answer and goes on. A fault costs only its
own cells, and nothing it does outlives its child (see ``tests/test_fault_runs.py``).

The same run is the notebook's seed-0 solution run: its scores, its wall time, the kernel's CPU
seconds and every cell's CPU and wall seconds come back in :class:`NotebookRun`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from labs.course import cells
from labs.course import Course
from labs.qa import execute, faults
from labs.qa.execute import CellScore
from labs.qa.faults import Fault
from labs.qa.kernel_fork import KILL_GRACE_SECONDS

CONTROL = "__import__('labs.qa.kernel_fork').qa.kernel_fork"


class HarnessError(RuntimeError):
    """The fault machinery itself failed (not the notebook or the fault)."""


@dataclass
class BranchRun:
    """What happened when one fault ran in its fork."""

    fault: Fault
    scores: dict[str, CellScore]  # test cells the branch reached, by grade_id
    errors: dict[str, str]  # failing test cells' error lines, by grade_id
    ended: str  # "exited" (on its own) or "killed" (past its deadline)
    exit_code: int
    seconds: float
    harness_error: str = ""

    def lost(self, grade_id: str) -> bool:
        """Did the test cell ``grade_id`` lose points? (A cell the branch never reached scores 0, as in grading.)"""
        score = self.scores.get(grade_id)
        return score is None or not score.passed

    def survived(self) -> list[str]:
        """Named tests a wrong answer still passes."""
        return [test for test in self.fault.fails if not self.lost(test)]

    def refused(self) -> list[str]:
        """Named tests that took points from a correct alternative."""
        return [test for test in self.fault.fails if self.lost(test)]

    def problem(self) -> str:
        """Why this branch's verdict cannot be trusted, or an empty string."""
        if self.harness_error:
            return f"the fork harness failed: {self.harness_error}"
        if self.ended == "killed":
            return f"the branch did not finish within its deadline ({self.seconds:.0f} s) and was killed"
        return ""


@dataclass
class NotebookRun:
    """The model solution run at one seed, and every fault's branch."""

    notebook: NotebookNode  # the solution with its outputs
    seconds: float  # wall: kernel start and the notebook's own cells (not the branches)
    kernel_cpu: float  # CPU seconds of the kernel process (the branches are not counted)
    cell_seconds: dict[int, tuple[float, float]]  # cell index -> (CPU, wall) seconds
    branches: dict[str, BranchRun] = field(default_factory=dict)
    branch_seconds: float = 0.0

    @property
    def run(self) -> execute.Run:
        return execute.Run(self.notebook, self.seconds, execute.score_tests(self.notebook))

    def slowest_cell(self) -> tuple[int, float, float]:
        """(index, CPU seconds, wall seconds) of the cell that took the most CPU."""
        index, (cpu, wall) = max(self.cell_seconds.items(), key=lambda item: item[1][0])
        return index, cpu, wall


@dataclass
class _Plan:
    fault: Fault
    cells: list[dict]  # {"index", "source"}: the wrong answer, then the cells up to the last named test
    result: Path


def _plans(nb: NotebookNode, catalogue: list[Fault], results: Path) -> dict[int, list[_Plan]]:
    """Branches to run, keyed by the index of the answer cell they replace."""
    plans: dict[int, list[_Plan]] = {}
    for number, fault in enumerate(catalogue):
        broken = faults.inject(nb, fault)  # also checks the fault still fits the solution
        answer, wrong = cells.find(broken, fault.answer)
        last, _ = cells.find(nb, faults.last_failing_test(nb, fault))
        branch = [{"index": answer, "source": wrong.source}]
        branch += [{"index": i, "source": nb.cells[i].source} for i in range(answer + 1, last + 1) if _runs(nb.cells[i])]
        plans.setdefault(answer, []).append(_Plan(fault, branch, results / f"{number:03d}.jsonl"))
    return plans


def _runs(cell: NotebookNode) -> bool:
    """Would nbclient send this cell to the kernel?"""
    return cell.cell_type == "code" and bool(cell.source.strip())


def _control(client, code: str, timeout: float) -> str:
    """Run harness code in the kernel (not part of the notebook); return what it printed."""
    cell = nbformat.v4.new_code_cell(code)
    # nbclient finds a cell's place by its index: the control cell gets one of its own, then leaves.
    client.nb.cells.append(cell)
    saved = client.timeout
    client.timeout = int(timeout)
    try:
        client.execute_cell(cell, len(client.nb.cells) - 1, store_history=False)
    finally:
        client.timeout = saved
        client.nb.cells.pop()
    printed, failures = [], []
    for output in cell.outputs:
        if output.output_type == "error":
            failures.append(f"{output.ename}: {output.evalue}")
        elif output.output_type == "stream" and output.name == "stdout":
            printed.append(output.text)
    if failures:
        raise HarnessError(f"control cell {code!r} failed in the kernel: {'; '.join(failures)}")
    return "".join(printed)


def _branch_run(plan: _Plan, nb: NotebookNode) -> BranchRun:
    lines = [json.loads(line) for line in plan.result.read_text().splitlines() if line.strip()] if plan.result.exists() else []
    scores, errors, harness_error = {}, {}, ""
    ending = {"end": "missing", "exit_code": -1, "seconds": 0.0}
    for line in lines:
        if "end" in line:
            ending = line
        elif "harness_error" in line:
            harness_error = line["harness_error"]
        else:
            cell = nbformat.from_dict(nb.cells[line["index"]])
            if not cells.is_test(cell):
                continue
            cell.outputs = [nbformat.from_dict(o) for o in line["outputs"]]
            cell.execution_count = 1
            score = execute.score_cell(cell)
            scores[score.grade_id] = score
            failed = [f"{o['ename']}: {o['evalue']}" for o in line["outputs"] if o["output_type"] == "error"]
            failed += [f"stderr: {o['text'].strip()}" for o in line["outputs"]
                       if o["output_type"] == "stream" and o["name"] == "stderr"]
            if failed:
                errors[score.grade_id] = "; ".join(failed)[:400]
    if ending["end"] == "missing":
        harness_error = harness_error or "the kernel reported no end for this branch"
    return BranchRun(plan.fault, scores, errors, ending["end"], ending["exit_code"], ending["seconds"], harness_error)


def run(
    course: Course,
    path: Path,
    catalogue: list[Fault],
    *,
    seed: int = 0,
    env: dict[str, str] | None = None,
    kill_grace: float = KILL_GRACE_SECONDS,
) -> NotebookRun:
    """Run the notebook at ``path`` (a model solution of ``course``) at ``seed``, with every fault of ``catalogue`` in a
    fork, with the course's kernel settings.

    The kernel works in a scratch copy of the notebook's folder, so nothing is written beside the source.
    """
    nb = execute.read(path)
    with tempfile.TemporaryDirectory(prefix="fault-runs-") as scratch_name:
        scratch = Path(scratch_name)
        work = scratch / "work"
        shutil.copytree(path.parent, work)
        results = scratch / "results"
        results.mkdir()
        plans = _plans(nb, catalogue, results)
        client = execute.notebook_client(course, nb, work)
        cell_timeout = client.timeout
        wall, sent, branch_runs, branch_seconds = 0.0, [], {}, 0.0
        start = time.perf_counter()
        with client.setup_kernel(env=execute.kernel_environment(seed, env)):
            _control(client, f"{CONTROL}.start_clock()", cell_timeout)
            wall += time.perf_counter() - start  # starting the kernel counts, as it does for a student
            for index, cell in enumerate(nb.cells):
                if index in plans:
                    spec = scratch / f"branches-{index}.json"
                    branches = [{"cells": p.cells, "result": str(p.result)} for p in plans[index]]
                    spec.write_text(json.dumps({"cell_timeout": cell_timeout, "kill_grace": kill_grace, "branches": branches}))
                    deadline = sum(cell_timeout * len(p.cells) + kill_grace for p in plans[index]) + 60
                    began = time.perf_counter()
                    _control(client, f"{CONTROL}.run_branches({str(spec)!r})", deadline)
                    branch_seconds += time.perf_counter() - began
                    sent.append(None)
                    for plan in plans[index]:
                        branch_runs[plan.fault.name] = _branch_run(plan, nb)
                if _runs(cell):
                    began = time.perf_counter()
                    client.execute_cell(cell, index)
                    wall += time.perf_counter() - began
                    sent.append(index)
            clock = json.loads(_control(client, f"print({CONTROL}.read_clock())", cell_timeout).strip().splitlines()[-1])
    timed = clock["cells"]
    if len(timed) != len(sent):
        raise HarnessError(f"the kernel timed {len(timed)} cells, the harness sent {len(sent)}")
    cell_seconds = {index: (t["cpu"], t["wall"]) for index, t in zip(sent, timed) if index is not None}
    return NotebookRun(nb, wall, clock["kernel_cpu"], cell_seconds, branch_runs, branch_seconds)
