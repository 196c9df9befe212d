"""Per-cell limits in CPU seconds of the grading sandbox, calibrated from the model solution.

A wall-clock limit judges the grading machine's load as much as the student's code: on a grader busy with other
students a correct training cell runs two or four times slower. CPU time is what the student's code costs, whatever
else the machine is doing. So each cell gets a limit in CPU seconds of the sandbox's processes (every process and
thread of the submission's sandbox user, read by the grader from ``/proc``: nothing the sandbox says is trusted), and
the wall-clock limit (``c.Execute.timeout``) stays as a generous backstop for code that sleeps or waits.

A cell's limit is ``c.Sandbox.cell_cpu_multiple`` times what the model solution's cell with the same grade id used
when the canary graded it on this machine (on a cluster, on a worker: the calibration travels with each task) (at least ``c.Sandbox.cell_cpu_floor``); a cell without a grade id (a
student's own cell) gets the multiple of the notebook's heaviest model cell. Without a calibration (the canary was
skipped and never ran here) every cell gets ``c.Sandbox.cell_cpu_seconds``; ``c.Sandbox.cell_cpu_seconds_per_lab =
{"lab05": 120}`` fixes a lab's limit by hand. Limits in CPU seconds need a sandbox user of their own (grading as root); otherwise the
wall-clock limit is the only one.

Processes that start and end between two readings (every quarter second) escape the count; the wall-clock backstop
and the per-process CPU limit (``c.Sandbox.cpu_seconds``) still bound them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

CALIBRATION_VARIABLE = "LABS_CPU_CALIBRATION"  # the folder of LAB.json calibrations, set by the grading run
METADATA_KEY = "grading"  # a graded cell's metadata: {"cpu_seconds", "wall_seconds", "cpu_limit"}
ANY_CELL = "*"  # a notebook's calibration for cells without a grade id: its heaviest model cell
_TICKS = os.sysconf("SC_CLK_TCK")


def calibration_folder(course_root: Path) -> Path:
    """Where a course keeps the model solution's CPU time per cell (one JSON file per lab)."""
    return Path(course_root) / ".grading" / "cpu"


def processes_of(uid: int) -> dict[tuple[int, int], float]:
    """CPU seconds (user + system, all threads, not reaped children) of every process of ``uid``, keyed by PID and
    start time (so that a reused PID is another process)."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat(follow_symlinks=False).st_uid != uid:
                continue
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read(4096).rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended while it was read
        # fields[0] is the state (field 3 of proc(5)); utime, stime are fields 14, 15; starttime is field 22
        found[(int(entry.name), int(fields[19]))] = (int(fields[11]) + int(fields[12])) / _TICKS
    return found


class CpuClock:
    """The CPU seconds the processes of ``uid`` used since the clock started, each process counted at the most it
    was seen with (a process that ended keeps what it used)."""

    def __init__(self, uid: int):
        self.uid = uid
        self.start = processes_of(uid)
        self.seen = dict(self.start)

    def used(self) -> float:
        for key, seconds in processes_of(self.uid).items():
            if seconds > self.seen.get(key, 0.0):
                self.seen[key] = seconds
        return sum(seconds - self.start.get(key, 0.0) for key, seconds in self.seen.items())


def cell_key(cell) -> str | None:
    return ((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade_id")


def measured(nb) -> dict[str, float]:
    """A graded notebook's CPU seconds per grade id (and :data:`ANY_CELL`: its heaviest cell), from the metadata
    the grader wrote while it ran."""
    seconds = {}
    for cell in nb.cells:
        used = (cell.get("metadata", {}).get(METADATA_KEY) or {}).get("cpu_seconds")
        if used is None:
            continue
        if (key := cell_key(cell)) is not None:
            seconds[key] = max(seconds.get(key, 0.0), float(used))
        seconds[ANY_CELL] = max(seconds.get(ANY_CELL, 0.0), float(used))
    return seconds


def save(folder: Path, lab: str, notebooks: dict[str, dict[str, float]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{lab}.json"
    path.write_text(json.dumps(notebooks, indent=1, sort_keys=True))
    return path


def load(lab: str) -> dict[str, dict[str, float]]:
    """The calibration of ``lab`` for this grading run ({} when there is none)."""
    folder = os.environ.get(CALIBRATION_VARIABLE)
    return _read(Path(folder) / f"{lab}.json") if folder and lab else {}


def read(course_root: Path, lab: str) -> dict[str, dict[str, float]]:
    """The calibration a course keeps for ``lab`` ({} when there is none)."""
    return _read(calibration_folder(course_root) / f"{lab}.json")


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def cell_limit(limits, calibration: dict, lab: str, notebook: str, cell) -> float:
    """The CPU seconds a cell of ``notebook`` may use (see the module's docstring)."""
    fixed = dict(limits.cell_cpu_seconds_per_lab).get(lab)
    if fixed:
        return float(fixed)
    seconds = calibration.get(notebook) or {}
    model = seconds.get(cell_key(cell) or "", seconds.get(ANY_CELL))
    if model is None:
        return float(limits.cell_cpu_seconds)
    return max(float(limits.cell_cpu_floor), limits.cell_cpu_multiple * float(model))
