"""What the test suite costs, where, and what eleven labs would cost; notebook budgets on a reference machine.

Two kinds of rows are recorded while the suite runs (one JSON file per process, merged at the end):

* notebook rows (``table="notebook"``): one notebook run: wall and CPU seconds, the same in reference
  seconds, its slowest cell, points earned;
* test rows (``table="test"``): every test's wall and CPU seconds (its own process and every process it
  started: kernels, graders, sandboxes; see :class:`TreeCpu`), with the lab it belongs to and the kind of check.

**Budgets are in reference seconds.** Machines differ and are noisy, and a test may fail only for a
reason that is the code's fault. So a notebook's budget is checked on the kernel's CPU seconds (what
other processes do to the machine barely changes them), divided by the machine's measured speed: the
CPU seconds of a fixed calibration workload (:func:`calibrate`, PyTorch and plain Python like the
notebooks), timed before and after the notebook in the same process, against the same workload on the
reference machine (:data:`REFERENCE_CALIBRATION_CPU`). A machine 1.7 times slower has 1.7 times the budget.
"""

from __future__ import annotations

import atexit
import json
import os
import time
import uuid
from pathlib import Path

from labs.course.paths import is_test

BUDGET_SECONDS = 60.0  # a notebook, in reference seconds (2 cores, one BLAS thread, as in the grading sandbox)
CELL_SHARE_OF_LIMIT = 0.5  # a cell may need at most this share of the grading per-cell limit, in reference seconds
# CPU seconds of calibrate() on the reference machine (the 2-core CI machine of this project, measured
# alone, median of 20 runs; see docs/developers.md, "The CI budget").
REFERENCE_CALIBRATION_CPU = 0.32
ELEVEN_LABS = 11


def _workload() -> int:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        generator = torch.Generator().manual_seed(0)
        a = torch.randn(128, 128, generator=generator)
        for _ in range(1500):
            a = torch.tanh(a @ a.T / 128)
        x = torch.randn(16, 8, 28, 28, generator=generator)
        w = torch.randn(16, 8, 3, 3, generator=generator)
        for _ in range(150):
            torch.nn.functional.conv2d(x, w, padding=1).relu_().sum()
        total = 0
        for i in range(3_000_000):
            total += i * i % 7
        return total
    finally:
        torch.set_num_threads(threads)


_warmed_up = False


def calibrate() -> float:
    """CPU seconds this process needs for the fixed calibration workload, now."""
    global _warmed_up
    if not _warmed_up:
        _workload()
        _warmed_up = True
    start = time.process_time()
    _workload()
    return time.process_time() - start


def slowness(*samples: float) -> float:
    """How many times slower than the reference machine this one is (from calibration samples)."""
    return (sum(samples) / len(samples)) / REFERENCE_CALIBRATION_CPU


class TreeCpu:
    """CPU seconds of this process and of every process it starts from now on, however they end.

    ``getrusage`` misses processes that are never reaped by their parent, and bubblewrap's PID namespace
    is such a case: the sandboxed grading kernels. So, where it can (as root, cgroup v1 ``cpuacct`` or
    cgroup v2), this process moves itself into a cgroup of its own and reads the cgroup's CPU usage; its
    descendants are born into it. Elsewhere it falls back to ``getrusage`` (``exact`` is False).
    """

    def __init__(self, name: str):
        self._usage: Path | None = None
        for make in (self._cgroup_v1, self._cgroup_v2):
            try:
                self._usage = make(name)
            except OSError:
                continue
            if self._usage is not None:
                break
        self.exact = self._usage is not None
        if self.exact:
            atexit.register(self._leave)

    def _leave(self) -> None:
        """Move back to the parent cgroup and remove ours (it stays while processes it holds live on)."""
        group = self._usage.parent
        try:
            (group.parent / "cgroup.procs").write_text(str(os.getpid()))
            group.rmdir()
        except OSError:
            pass

    @staticmethod
    def _cgroup_v1(name: str) -> Path | None:
        root = Path("/sys/fs/cgroup/cpuacct")
        if not (root / "cpuacct.usage").is_file():
            return None
        group = root / name
        group.mkdir(exist_ok=True)
        (group / "cgroup.procs").write_text(str(os.getpid()))
        return group / "cpuacct.usage"  # nanoseconds

    @staticmethod
    def _cgroup_v2(name: str) -> Path | None:
        root = Path("/sys/fs/cgroup")
        if not (root / "cgroup.controllers").is_file():
            return None
        current = Path("/proc/self/cgroup").read_text().strip().split("::", 1)[-1].lstrip("/")
        group = root / current / name
        group.mkdir(exist_ok=True)
        (group / "cgroup.procs").write_text(str(os.getpid()))
        return group / "cpu.stat"  # usage_usec

    def seconds(self) -> float:
        if self._usage is not None:
            text = self._usage.read_text()
            if self._usage.name == "cpuacct.usage":
                return int(text) / 1e9
            return int(next(line.split()[1] for line in text.splitlines() if line.startswith("usage_usec"))) / 1e6
        import resource

        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def record(directory: Path, **row) -> None:
    """Append one row (a JSON object) to this process's file in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl", "a") as handle:
        handle.write(json.dumps(row) + "\n")


def load(directory: Path) -> list[dict]:
    rows = []
    for path in sorted(directory.glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return rows


def notebook_table(rows: list[dict]) -> list[str]:
    """One line per (notebook, kind of run), slowest first within a notebook."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["notebook"], row["kind"]), []).append(row)
    lines = [
        f"| notebook | run | runs | wall s | CPU s | reference s (budget {BUDGET_SECONDS:.0f}) | slowest cell, s | points |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for (notebook, kind), group in sorted(groups.items()):
        worst = max(group, key=lambda r: r["seconds"])
        cpu = f"{worst['cpu']:.1f}" if worst.get("cpu") is not None else "-"
        reference = f"{worst['reference']:.1f}" if worst.get("reference") is not None else "-"
        cell = f"{worst['slowest_cell']:.1f}" if worst.get("slowest_cell") is not None else "-"
        earned = sorted({f"{r['score']:g}/{r['max_score']:g}" for r in group if "score" in r})
        seeds = sorted({r["seed"] for r in group if "seed" in r})
        if seeds and "seed" not in kind:  # (a run whose kind does not name its seed already)
            kind += ", seed " + ", ".join(map(str, seeds))
        lines.append(f"| {notebook} | {kind} | {len(group)} | {worst['seconds']:.1f} | {cpu} | {reference} | {cell} | "
                     f"{', '.join(earned) or '-'} |")
    return lines


def cost_table(tests: list[dict], wall_seconds: float | None, workers: int) -> list[str]:
    """CPU seconds per lab and kind of check, the course-wide checks, totals and the projection for eleven labs."""
    kinds = sorted({t["kind"] for t in tests if t["lab"]})
    per_lab: dict[str, dict[str, float]] = {}
    course_wide: dict[str, float] = {}
    for t in tests:
        if t["lab"]:
            per_lab.setdefault(t["lab"], {}).setdefault(t["kind"], 0.0)
            per_lab[t["lab"]][t["kind"]] += t["cpu"]
        else:
            course_wide[t["kind"]] = course_wide.get(t["kind"], 0.0) + t["cpu"]
    lines = []
    if per_lab:
        lines += ["| lab | " + " | ".join(kinds) + " | total CPU s |", "|---|" + "---:|" * (len(kinds) + 1)]
        for lab, costs in sorted(per_lab.items()):
            lines.append(f"| {lab} | " + " | ".join(f"{costs.get(k, 0):.0f}" for k in kinds) + f" | {sum(costs.values()):.0f} |")
        lines.append("")
    # The in-class tests (test1, test2) are assignments too, but far smaller than a lab: they are added as they are,
    # not averaged in with the labs.
    lab_totals = [sum(costs.values()) for lab, costs in per_lab.items() if not is_test(lab)]
    test_totals = [sum(costs.values()) for lab, costs in per_lab.items() if is_test(lab)]
    average = sum(lab_totals) / len(lab_totals) if lab_totals else 0.0
    shared = sum(course_wide.values()) + sum(test_totals)
    total = sum(lab_totals) + shared
    if course_wide:
        lines.append("Course-wide checks (not tied to one lab), CPU s: "
                     + ", ".join(f"{kind} {cpu:.0f}" for kind, cpu in sorted(course_wide.items(), key=lambda kv: -kv[1])) + ".")
    if test_totals:
        lines.append(f"In-class tests: {sum(test_totals):.0f} CPU s for {len(test_totals)}, counted with the course-wide checks.")
    if not all(t.get("exact", True) for t in tests):
        lines.append("(No cgroup CPU accounting on this machine: the CPU of sandboxed grading kernels is not counted.)")
    lines.append(f"Total: {total:.0f} CPU s over {len(tests)} tests; labs {sum(lab_totals):.0f} CPU s "
                 f"({len(lab_totals)} labs, {average:.0f} CPU s a lab on average), course-wide and tests {shared:.0f} CPU s.")
    if wall_seconds:
        projected = shared + ELEVEN_LABS * average
        # Wall time scales with CPU time at the parallel efficiency this run reached.
        efficiency = total / (wall_seconds * workers) if total else 1.0
        lines.append(f"Whole test session: {wall_seconds:.0f} s wall on {workers} workers "
                     f"({100 * efficiency:.0f} % of the cores busy).")
        lines.append(f"Projected for {ELEVEN_LABS} labs at this per-lab cost: {projected:.0f} CPU s, "
                     f"about {projected / (workers * efficiency) / 60:.1f} min wall (plus setup).")
    return lines


GRADED_UNDER_LOAD = "graded in the sandbox, jobs = cores"


def cell_limit_margin(notebooks: list[dict], limit: float) -> list[str]:
    """The slowest cell that real grading ran under full load, against the grading per-cell limit."""
    graded = [r for r in notebooks if r["kind"] == GRADED_UNDER_LOAD and r.get("slowest_cell") is not None]
    if not graded:
        return []
    worst = max(graded, key=lambda r: r["slowest_cell"])
    per_lab: dict[str, float] = {}
    for r in graded:
        lab = r["notebook"].split("/")[0]
        per_lab[lab] = max(per_lab.get(lab, 0.0), r["slowest_cell"])
    return [f"Grading per-cell limit {limit:.0f} s: the slowest cell graded under full load took "
            f"{worst['slowest_cell']:.1f} s ({worst['notebook']}), a margin of {limit / worst['slowest_cell']:.1f}x; "
            "per lab: " + ", ".join(f"{lab} {s:.1f} s" for lab, s in sorted(per_lab.items())) + "."]


def table(rows: list[dict], wall_seconds: float | None = None, workers: int = 1, cell_limit: float | None = None) -> str:
    """The whole report: notebook runs, then the cost per lab and kind of check, totals and projection."""
    notebooks = [r for r in rows if r.get("table", "notebook") == "notebook"]
    tests = [r for r in rows if r.get("table") == "test"]
    sections = [
        notebook_table(notebooks) if notebooks else [],
        cell_limit_margin(notebooks, cell_limit) if notebooks and cell_limit else [],
        cost_table(tests, wall_seconds, workers) if tests else [],
    ]
    return "\n\n".join("\n".join(section) for section in sections if section)
