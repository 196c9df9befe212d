"""Timing records of notebook runs, collected across test processes and printed as one table."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

BUDGET_SECONDS = 60.0


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


def table(rows: list[dict], total_seconds: float | None = None) -> str:
    """Markdown table: one line per (notebook, kind of run), slowest time first within a notebook."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["notebook"], row["kind"]), []).append(row)
    lines = [
        "| notebook | run | runs | max s | mean s | points earned / possible |",
        "|---|---|---:|---:|---:|---|",
    ]
    for (notebook, kind), group in sorted(groups.items()):
        seconds = [r["seconds"] for r in group]
        earned = sorted({f"{r['score']:g}/{r['max_score']:g}" for r in group})
        lines.append(
            f"| {notebook} | {kind} | {len(group)} | {max(seconds):.1f} | {sum(seconds) / len(seconds):.1f} | {', '.join(earned)} |"
        )
    notebook_seconds = sum(r["seconds"] for r in rows)
    lines.append("")
    lines.append(f"Notebook execution, all runs together: {notebook_seconds:.0f} s of kernel time.")
    if total_seconds is not None:
        lines.append(f"Whole test session (wall clock): {total_seconds:.0f} s.")
    return "\n".join(lines)
