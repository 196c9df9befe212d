"""Grading throughput on one machine (``grade --jobs W``) against a Dask cluster of W workers (``grade --cluster``).

    python -m labs.qa.benchmark_cluster [--lab tiny | --lab lab01 --notebooks 1_tensors.ipynb] [--students 40] [--workers 2]

Builds a scratch course with ``--students`` copies of the model solution and grades it twice, in this process:
(1) locally, ``--workers`` students at a time (:func:`labs.grading.pipeline.grade_all`), and (2) on a scheduler and
``--workers`` worker processes started on this machine (``--cluster local:W``, :mod:`labs.grading.cluster`), or on
``--cluster ADDRESS``. Both runs must give the same grades. It prints the throughput of each, the cluster's
overhead per submission, and the cost model

    T(n, W) = C + n * (t + o) / W

(C: start-up; t: one submission's grading on a worker; o: what the cluster adds per submission), with C, t and o fitted
from the first half of the cluster run's completions and checked against the measured total, then projected to a class.
``--lab tiny`` grades the one-notebook lab of the grading tests (``tests/tinylab.py``; run from the repository).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from labs.course import Course


def _fit(done_at: list[float]) -> tuple[float, float]:
    """Least-squares line through (k, time the k-th submission was done): (intercept, slope)."""
    ks = list(range(1, len(done_at) + 1))
    if len(ks) < 2:
        return (done_at[0] if done_at else 0.0), 0.0
    slope, intercept = statistics.linear_regression(ks, sorted(done_at))
    return intercept, slope


def _course(lab: str, notebooks: list[str] | None, students: int, scratch: Path) -> tuple[Course, str, int]:
    from labs.course import release
    from labs.course.paths import course_root
    from labs.qa import submissions

    if lab == "tiny":
        sys.path.insert(0, str(course_root()))
        from tests.tinylab import LAB, make_course, submit

        course = make_course(scratch)
        for k in range(students):
            submit(course, f"student{k:03d}")
        return Course(course), LAB, 1
    course = Course(course_root()).copy_lab(lab, scratch)  # (a command: the course it is run from)
    source = course.source(lab)
    if notebooks:
        for path in source.glob("*.ipynb"):
            if path.name not in notebooks:
                path.unlink()
    release.generate(course, lab)
    for k in range(students):
        submissions.write_submission(course, lab, f"student{k:03d}", "solution")
    return course, lab, len(list(source.glob("*.ipynb")))


def _reset(course: Course, lab: str) -> None:
    """Back to ungraded: no graded files, no submission in the gradebook (the lab's definition stays)."""
    import shutil

    for folder in (course.autograded(), course.feedback(), course.root / ".grading"):
        shutil.rmtree(folder, ignore_errors=True)
    with course.gradebook() as gb:
        for student in [s.student.id for s in gb.assignment_submissions(lab)]:
            gb.remove_submission(lab, student)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labs.qa.benchmark_cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="tiny", help="a lab of source/, or 'tiny' (the grading tests' one-notebook lab)")
    parser.add_argument("--notebooks", nargs="*", help="only these notebooks of the lab (default: all)")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2, help="W: local jobs, and workers of the local cluster")
    parser.add_argument("--cluster", help="a running scheduler's address instead of local:W")
    args = parser.parse_args(argv)
    from labs.course import ensure_tools_on_path
    from labs.grading import cluster as grading_cluster
    from labs.grading import pipeline as grading

    ensure_tools_on_path()
    cluster = args.cluster or f"local:{args.workers}"
    with tempfile.TemporaryDirectory(prefix="comp6248-cluster-benchmark-") as scratch:
        course, lab, notebooks = _course(args.lab, args.notebooks, args.students, Path(scratch))
        n, w = args.students, args.workers
        print(f"{n} submissions of {lab} ({n * notebooks} notebooks), {os.cpu_count()} cores, "
              f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)

        local_done: list[float] = []
        start = time.perf_counter()
        local = grading.grade_all(course, [lab], jobs=w, canary=False,
                                  progress=lambda line: local_done.append(time.perf_counter() - start))
        local_wall = time.perf_counter() - start
        print(f"local   grade --jobs {w}:        {local_wall:7.1f} s  {n / local_wall * 60:6.1f} submissions/min  "
              f"(load {os.getloadavg()[0]:.1f})", flush=True)
        _reset(course, lab)

        stats = grading_cluster.Stats()
        start = time.perf_counter()
        remote = grading_cluster.grade_all(course, [lab], cluster, stats=stats, canary=False)
        cluster_wall = time.perf_counter() - start
        print(f"cluster grade --cluster {cluster}: {cluster_wall:7.1f} s  {n / cluster_wall * 60:6.1f} submissions/min  "
              f"(load {os.getloadavg()[0]:.1f}; start-up {stats.startup:.1f} s, {stats.workers} workers)", flush=True)

        same = [(r.autograded, r.score, r.flags) for r in local] == [(r.autograded, r.score, r.flags) for r in remote]
        print(f"same grades in both runs: {same}; failed on the cluster: {len(stats.failed)}")

        graded = statistics.mean(stats.graded_seconds.values())  # t: grading itself, in the worker's child
        on_worker = statistics.mean(stats.task_seconds.values()) - graded  # the task around it on the worker
        local_intercept, local_slope = _fit(local_done)
        cluster_intercept, cluster_slope = _fit(stats.done_at)
        overhead = (cluster_slope - local_slope) * w  # extra worker-seconds per submission, seen from the coordinator
        print(f"per submission, in worker-seconds (slope of completions x W): local {local_slope * w:.2f} s, "
              f"cluster {cluster_slope * w:.2f} s; cluster overhead {overhead:+.2f} s a submission "
              f"(on the worker: {on_worker:.2f} s around {graded:.2f} s of grading: a fresh process, the private course)")
        print(f"fixed start-up: local {local_intercept:.1f} s, cluster {cluster_intercept:.1f} s "
              f"(scheduler and workers, checks, the lab bundle: {stats.startup:.1f} s until every task was submitted)")

        half = sorted(stats.done_at)[: max(2, n // 2)]
        c_fit, slope_fit = _fit(half)
        predicted = c_fit + n * slope_fit
        print(f"model T(n, W) = C + n (t + o) / W, fitted on the first {len(half)} completions: C = {c_fit:.1f} s, "
              f"(t + o) = {slope_fit * w:.2f} s; predicts {predicted:.1f} s for all {n}, measured {cluster_wall:.1f} s "
              f"({(predicted - cluster_wall) / cluster_wall * 100:+.0f} %)")
        local_predicted = local_intercept + n * local_slope
        print(f"the same model for the local run: {local_predicted:.1f} s predicted, {local_wall:.1f} s measured")
        per_notebook = graded / notebooks
        print(f"at scale (t = {per_notebook:.1f} s a notebook as measured here, o = {max(overhead, 0):.1f} s, C = {cluster_intercept:.0f} s): "
              "1000 students x 35 notebooks of 20 s ->")
        for workers in (16, 64, 256):
            hours = (cluster_intercept + 1000 * (35 * 20 + max(overhead, 0)) / workers) / 3600
            print(f"  {workers:4d} workers: {hours:5.1f} h")
    return 0


if __name__ == "__main__":
    sys.exit(main())
