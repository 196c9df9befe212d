"""Test cells under other seeds for about the price of one run: each quick test cell runs again at once, with other ``SEED``s.

Hidden tests draw their inputs from ``SEED`` (``torch.Generator().manual_seed(9400 + SEED)``), and the grading tests
grade each lab at a fresh seed, so a test cell must pass for every seed, not only for those the seed sweep
(``make seeds``) has tried. A seed sweep pays for the whole notebook, training included, at every seed. This probe
runs the model solution once, in order, and right after each test cell that passed in under ``quick_seconds``, runs
that cell again with ``SEED`` set to each probe seed. It then puts back ``SEED`` and the Python, NumPy and PyTorch
random states, so that the rest of the notebook runs as it would have. What it checks is the test cells' own use of
``SEED`` (random inputs that overflow, an ill-conditioned comparison), not the training of later cells at other
seeds, which only the sweep checks.

``python -m labs.qa.seed_probe [--seeds K] [--jobs N] [LAB ...]`` (``make seed-probe K=30``); exit status 1 when a test
cell failed at some seed.
"""

from __future__ import annotations

import argparse
import copy
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from labs.course import Course, cells
from labs.qa import execute

QUICK_SECONDS = 4.0  # slower test cells (they train something) are run once only
SAVE = ("import random as _probe_random, numpy as _probe_np, torch as _probe_torch\n"
        "_probe_saved = (SEED, _probe_random.getstate(), _probe_np.random.get_state(), _probe_torch.get_rng_state())")
RESTORE = ("SEED = _probe_saved[0]; _probe_random.setstate(_probe_saved[1]); _probe_np.random.set_state(_probe_saved[2]); "
           "_probe_torch.set_rng_state(_probe_saved[3])")


@dataclass(frozen=True)
class Failure:
    notebook: str
    grade_id: str
    seed: int
    error: str

    def __str__(self) -> str:
        at = f"SEED={self.seed}" if self.seed >= 0 else "the run's own seed"
        return f"{self.notebook}: {self.grade_id} fails at {at}: {self.error}"


def probe(course: Course, path: Path, seeds: list[int], run_seed: int = 0,
          quick_seconds: float = QUICK_SECONDS) -> tuple[list[Failure], int]:
    """Run ``path`` (a model solution) once at ``run_seed``, each quick test cell again at every seed of ``seeds``;
    returns the failures and the number of test cells probed."""
    nb = execute.read(path)
    count = len(nb.cells)
    nb.cells.append(nbformat.v4.new_code_cell(""))  # the slot where the probe's own cells run
    failures: list[Failure] = []
    probed = 0
    with tempfile.TemporaryDirectory(prefix="comp6248-probe-") as scratch:
        shutil.copytree(path.parent, scratch, dirs_exist_ok=True)
        client = execute.notebook_client(course, nb, Path(scratch))

        def run(source: str) -> NotebookNode:
            cell = nbformat.v4.new_code_cell(source)
            client.execute_cell(cell, count)
            return cell

        with client.setup_kernel(env=execute.kernel_environment(run_seed)):
            for index, cell in enumerate(nb.cells[:count]):
                start = time.perf_counter()
                client.execute_cell(cell, index)
                seconds = time.perf_counter() - start
                if not cells.is_test(cell):
                    continue
                if error := execute.failure(cell):
                    failures.append(Failure(path.name, cells.grade_id(cell), -1, error))
                    continue
                if seconds > quick_seconds:
                    continue
                probed += 1
                if error := execute.failure(run(SAVE)):
                    raise RuntimeError(f"{path.name}: cannot save SEED and the random states: {error}")
                for seed in seeds:
                    run(f"SEED = {seed}")
                    again = copy.deepcopy(cell)
                    again.outputs = []
                    client.execute_cell(again, count)
                    if error := execute.failure(again):
                        failures.append(Failure(path.name, cells.grade_id(cell), seed, error))
                run(RESTORE)
    return failures, probed


def _probe_one(course: Course, path: Path, seeds: list[int]) -> tuple[Path, list[Failure], int, float]:
    start = time.perf_counter()
    failures, probed = probe(course, path, seeds)
    return path, failures, probed, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labs.qa.seed_probe", description=__doc__.splitlines()[0])
    parser.add_argument("labs", nargs="*", help="assignments (default: all)")
    parser.add_argument("--seeds", type=int, default=30, help="random probe seeds per test cell (besides 1, 2 and 3)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks probed at once")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course root (default: the current directory)")
    args = parser.parse_args(argv)
    course = Course(args.root.resolve())
    seeds = [1, 2, 3] + [random.SystemRandom().randrange(10_000, 1_000_000) for _ in range(args.seeds)]
    paths = [path for lab in (args.labs or course.labs()) for path in course.notebooks(lab, "source")]
    print(f"probing the test cells of {len(paths)} notebook(s) at {len(seeds)} seeds: {seeds}", flush=True)
    failed = 0
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for path, failures, probed, seconds in pool.map(_probe_one, [course] * len(paths), paths, [seeds] * len(paths)):
            print(f"{path.parent.name}/{path.name}: {probed} test cell(s) probed, {len(failures)} failure(s), {seconds:.0f} s",
                  flush=True)
            for failure in failures:
                print(f"  {failure}", flush=True)
            failed += len(failures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
