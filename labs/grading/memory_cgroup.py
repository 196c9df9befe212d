"""One memory limit for a whole sandbox: every process of a submission together, its private ``/tmp`` included.

``prlimit``'s address-space limit is per process: a submission can start many processes (or fill ``/tmp``, a tmpfs
kept in memory) and together use far more. Each submission's sandbox therefore gets a memory control group of its own,
a child of the grader's (``c.Sandbox.sandbox_memory_bytes``): the kernel launcher joins it before it starts the
sandbox, so everything the sandbox starts is in it, and the kernel kills a process of it when the group passes its
limit (the notebook's kernel dies; the report says the sandbox ran out of memory). The group's files belong to root
and ``/sys`` is not in the sandbox, so nothing inside can change or leave it.

Both cgroup versions are handled (v1's ``memory`` hierarchy, v2's unified one where the grader may create a child
with the memory controller). Where neither can be used (grading without root, a container without a writable
hierarchy) :func:`create` returns None and only the per-process limits apply.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

V1_ROOT = Path("/sys/fs/cgroup/memory")
V2_ROOT = Path("/sys/fs/cgroup")
REMOVE_SECONDS = 5.0


def _own_group() -> Path | None:
    """The grader's own memory cgroup folder, or None."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(",") and V1_ROOT.is_dir():
            return V1_ROOT / path.lstrip("/")
    for line in lines:
        hierarchy, controllers, path = line.split(":", 2)
        if hierarchy == "0" and controllers == "" and (V2_ROOT / "cgroup.controllers").is_file():
            return V2_ROOT / path.lstrip("/")
    return None


def create(limit_bytes: int) -> Path | None:
    """A new memory cgroup below the grader's with ``limit_bytes`` for all its processes (no swap), or None where
    none can be made."""
    if os.geteuid() != 0:
        return None
    parent = _own_group()
    if parent is None or not parent.is_dir():
        return None
    group = parent / f"comp6248-sandbox-{secrets.token_hex(6)}"
    try:
        group.mkdir()
    except OSError:
        return None
    try:
        if (group / "memory.limit_in_bytes").exists():  # v1
            (group / "memory.limit_in_bytes").write_text(str(limit_bytes))
            try:  # memory and swap together, where the kernel accounts swap
                (group / "memory.memsw.limit_in_bytes").write_text(str(limit_bytes))
            except OSError:
                pass
        else:  # v2: only where the memory controller is enabled for the grader's children
            (group / "memory.max").write_text(str(limit_bytes))
            if (group / "memory.swap.max").exists():
                (group / "memory.swap.max").write_text("0")
    except OSError:
        remove(group)
        return None
    return group


def join(group: str | Path) -> None:
    """Move the calling process into ``group`` (its children then start there)."""
    (Path(group) / "cgroup.procs").write_text(str(os.getpid()))


def oom_kills(group: Path) -> int:
    """How many processes of ``group`` the kernel killed for passing its limit."""
    for name in ("memory.oom_control", "memory.events"):  # v1, v2
        try:
            for line in (group / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and value.strip().isdigit():
                    return int(value)
        except OSError:
            continue
    return 0


def remove(group: Path, seconds: float = REMOVE_SECONDS) -> bool:
    """Remove an emptied group (its last processes may take a moment to leave it); bounded."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            group.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
