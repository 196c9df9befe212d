"""Grading throughput: plain sequential ``nbgrader autograde`` against ``python -m labs grade``.

    python -m labs.qa.benchmark [--lab lab01] [--notebooks 1_tensors.ipynb ...] [--students 20]

Builds a scratch course with ``--students`` copies of the model solution, then times, on the same
submissions: (1) ``nbgrader autograde LAB`` as an instructor would run it (sequential, no sandbox),
(2) ``labs grade --jobs 1`` and (3) ``labs grade --jobs 2`` (sandboxed; these also write feedback).
Prints the speed-up of (3) over (1) and the per-notebook overhead of (2) over (1).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labs.course import Course, ensure_tools_on_path, release
from labs.course.paths import course_root
from labs.qa import submissions


def _timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds


def _reset(course: Path) -> None:
    for name in ("autograded", "feedback", ".grading"):
        shutil.rmtree(course / name, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labs.qa.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="lab01")
    parser.add_argument("--notebooks", nargs="*", help="only these notebooks of the lab (default: all)")
    parser.add_argument("--students", type=int, default=20)
    args = parser.parse_args(argv)
    here = Course(course_root())  # (a command: the course it is run from)
    bin_dir = str(Path(sys.executable).parent)
    ensure_tools_on_path()
    with tempfile.TemporaryDirectory(prefix="comp6248-benchmark-") as scratch:
        copy = here.copy_lab(args.lab, Path(scratch))
        course = copy.root
        source = copy.source(args.lab)
        if args.notebooks:
            for path in source.glob("*.ipynb"):
                if path.name not in args.notebooks:
                    path.unlink()
        release.generate(copy, args.lab)
        for k in range(args.students):
            submissions.write_submission(copy, args.lab, f"student{k:03d}", "solution")
        notebooks = args.students * len(list(source.glob("*.ipynb")))
        print(f"{args.students} submissions of {args.lab} ({notebooks} notebooks), {os.cpu_count()} cores", flush=True)

        plain = _timed([os.path.join(bin_dir, "nbgrader"), "autograde", args.lab, "--force"], course)
        print(f"plain nbgrader autograde, sequential, unsandboxed: {plain:7.1f} s  ({plain / notebooks:.2f} s a notebook)", flush=True)
        _reset(course)
        grade = [sys.executable, "-m", "labs", "--root", str(course), "grade", args.lab, "--no-canary", "--jobs"]
        sequential = _timed([*grade, "1"], course)
        print(f"labs grade --jobs 1 (sandbox + feedback):          {sequential:7.1f} s  ({sequential / notebooks:.2f} s a notebook)", flush=True)
        _reset(course)
        parallel = _timed([*grade, "2"], course)
        print(f"labs grade --jobs 2 (sandbox + feedback):          {parallel:7.1f} s  ({parallel / notebooks:.2f} s a notebook)")
        print(f"speed-up of grade --jobs 2 over plain sequential nbgrader: {plain / parallel:.2f}x")
        print(f"overhead of the sandboxed pipeline per notebook (jobs 1 vs plain): {(sequential - plain) / notebooks:+.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
