"""Grading on a real Dask cluster: a `dask scheduler` and two `dask worker` processes on 127.0.0.1.

The workers run in working directories of their own, with no pointer to the course (standing in for other machines):
each grades from what the coordinator sends it. The tiny lab's submissions (right, wrong, late, unreadable) are
graded locally once, then on the cluster through the command line, then on the cluster again while one worker is
killed mid-grading; every run must give the local grades exactly. A grading task that keeps failing is reported,
not retried for ever, and a scheduler that cannot be reached stops the run before anything is written.
Every step has a time limit, so nothing here can hang CI.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from labs.course import Course
from labs.grading import cluster as grading_cluster
from labs.grading import cpu_time
from labs.grading import pipeline as grading
from labs.grading.sandbox import Limits
from tests.conftest import free_port
from tests.tinylab import LAB, NOTEBOOK, hand_in_four, make_course

pytestmark = pytest.mark.xdist_group("cluster")

DASK = str(Path(sys.executable).parent / "dask")
START_TIMEOUT = 120  # seconds for the scheduler or a worker to come up on a loaded 2-core machine
RUN_TIMEOUT = 300  # seconds for one grading run of the course


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers, each in a directory of its own; yields (address, workers, logs)."""
    env = {k: v for k, v in os.environ.items() if k != "COMP6248_ROOT"}  # the workers know nothing of the course
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask-logs")
    processes = []
    try:
        scheduler = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                     cwd=logs, env=env, stdout=open(logs / "scheduler.log", "w"), stderr=subprocess.STDOUT)
        processes.append(scheduler)
        workers = {}
        for name in ("w1", "w2"):
            home = tmp_path_factory.mktemp(f"machine-{name}")
            worker = subprocess.Popen(
                [DASK, "worker", address, "--name", name, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                 "--local-directory", str(home), "--death-timeout", str(START_TIMEOUT)],
                cwd=home, env=env, stdout=open(logs / f"{name}.log", "w"), stderr=subprocess.STDOUT)
            processes.append(worker)
            workers[name] = (worker, home)
        from distributed import Client

        with Client(address, timeout=f"{START_TIMEOUT}s") as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT)
        yield address, workers, logs
    finally:
        for process in reversed(processes):
            _stop(process)


@pytest.fixture(scope="module")
def ungraded(tmp_path_factory):
    """The tiny lab with a due date and four submissions: right, wrong, 30 hours late, unreadable."""
    return hand_in_four(make_course(tmp_path_factory.mktemp("cluster-course")))


def _copy(course_dir: Path, target: Path) -> Path:
    shutil.copytree(course_dir, target)
    return target


def _grades(results) -> dict:
    return {r.student: (r.autograded, r.max_autograded, r.score, r.late_penalty, r.needs_manual_grade, tuple(r.flags))
            for r in results}


def _cells(course_dir: Path) -> dict:
    """Every cell's grade and comment in the gradebook, and which graded files exist."""
    with Course(course_dir).gradebook() as gb:
        cells = {(s.student.id, nb.name, g.cell.name): (g.auto_score, g.needs_manual_grade, nb.late_submission_penalty)
                 for s in gb.assignment_submissions(LAB) for nb in s.notebooks for g in nb.grades}
        comments = {(s.student.id, c.cell.name): c.auto_comment
                    for s in gb.assignment_submissions(LAB) for nb in s.notebooks for c in nb.comments}
    files = sorted(str(p.relative_to(course_dir)) for stage in ("autograded", "feedback")
                   for p in (course_dir / stage).rglob("*") if p.is_file())
    return {"cells": cells, "comments": comments, "files": files}


@pytest.fixture(scope="module")
def local(ungraded, tmp_path_factory):
    """The reference: the same course graded on this machine, one student at a time."""
    course_dir = _copy(ungraded, tmp_path_factory.mktemp("local") / "course")
    results = grading.grade(Course(course_dir), LAB, jobs=1, canary=False)  # (grades.csv exported)
    return course_dir, results


def _csv(course_dir: Path) -> dict:
    with open(course_dir / "grades.csv", newline="") as handle:
        return {row["student_id"]: (row["score"], row["late_submission_penalty"]) for row in csv.DictReader(handle)}


@pytest.mark.slow
def test_the_cluster_gives_the_local_grades(dask_cluster, ungraded, local, tmp_path):
    address, workers, _ = dask_cluster
    local_dir, local_results = local
    assert _grades(local_results)["ada"][0] == 2 and _grades(local_results)["bob"][0] == 1  # the reference is sound
    course_dir = _copy(ungraded, tmp_path / "course")
    done = subprocess.run([sys.executable, "-m", "labs", "--root", str(course_dir), "grade", LAB, "--cluster", address],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 0, done.stderr[-3000:]
    # The model solution was graded first, on a worker, and earned full marks (else nothing would have been graded).
    assert "grading the model solution of lab99 first (the canary" in done.stderr, done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 4 and all(re.match(r"^\[[1-4]/4\] graded lab99 for (ada|bob|cy|dee)", p) for p in progress), done.stderr
    assert re.search(r"^cy\s+lab99\s+2\.0/2\.0\s+1\.6/2\.0\s+-0\.4", done.stdout, re.MULTILINE), done.stdout
    assert _csv(course_dir) == _csv(local_dir)
    assert _cells(course_dir) == _cells(local_dir)
    # The canary's CPU time per cell, measured on a worker, is kept, and the students' cells were limited from it there
    # (the tiny lab's cells need far less than the floor, so every calibrated cell gets the floor, not the flat 60 s).
    if os.geteuid() == 0:
        calibration = cpu_time.read(course_dir, LAB)
        assert NOTEBOOK in calibration and "lab99-double" in calibration[NOTEBOOK], calibration
        graded = nbformat.read(str(course_dir / "autograded" / "ada" / LAB / NOTEBOOK), as_version=4)
        limits = {c.metadata.nbgrader.grade_id: c.metadata[cpu_time.METADATA_KEY].get("cpu_limit")
                  for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") in ("lab99-double", "lab99-square")}
        assert limits == {"lab99-double": Limits().cell_cpu_floor, "lab99-square": Limits().cell_cpu_floor}, limits
    # The workers kept nothing of the course: every private course was removed after its task.
    for _, home in workers.values():
        assert not list(home.glob("**/labs-tasks/grade-*")), "a worker kept a private course"
        assert not list(home.rglob("submitted/ada")), "a worker kept a student's submission"
        assert not list(home.glob("**/labs-courses/*/source/**/*.ipynb")), "a worker was sent the source notebooks (solutions)"
    assert any(list(home.glob("**/labs-courses/*/gradebook.db")) for _, home in workers.values())


def _bundle_keys(client) -> dict[str, list[str]]:
    """Where the cluster holds a copy of the lab's bundle: what it holds besides grading results, by key."""
    return {key: list(addresses) for key, addresses in client.who_has().items() if not str(key).startswith("grade-")}


def _worker_logs(logs: Path) -> str:
    return "\n".join(f"--- {path.name}:\n" + "\n".join(path.read_text(errors="replace").splitlines()[-25:])
                     for path in sorted(logs.glob("*.log")))


@pytest.mark.slow
def test_a_killed_worker_s_students_are_graded_on_another(dask_cluster, ungraded, local, tmp_path):
    """The worker killed is grading a student and holds the only copy of the lab's bundle.

    Dask's memory manager trims replicas to one copy once few tasks wait for them, so a dead worker can take the
    last copy of the bundle with it: the scheduler must then make it again, or every student still waiting has their
    grading cancelled (a CI run failed that way). The test makes that case certain: once the other worker is idle and
    no student waits to be assigned (towards the end of the run), it has the scheduler drop the other copies, checks
    that they are gone, and kills the holder of the last one while it grades.
    """
    from distributed import Client

    address, workers, logs = dask_cluster
    local_dir, local_results = local
    course_dir = _copy(ungraded, tmp_path / "course")
    killed = {}

    def isolate_bundle(dask_scheduler, keep: str, keys: list) -> bool:
        """On the scheduler: leave the bundle's only copies with worker ``keep`` if no other worker can need them.

        That is when every other worker is idle and no task waits to be assigned. A worker asked to drop data that a
        task it is running depends on fails hard and closes itself (Dask's own memory manager never asks that; a test
        that did killed the second worker too, and a CI run failed so). Returns whether the other copies were asked
        to go.
        """
        others = [ws for where, ws in dask_scheduler.workers.items() if where != keep]
        if any(ws.processing for ws in others) or dask_scheduler.queued or dask_scheduler.unrunnable:
            return False
        for key in keys:
            for ws in list(dask_scheduler.tasks[key].who_has or ()):
                if ws.address != keep:
                    dask_scheduler.request_remove_replicas(ws.address, [key], stimulus_id="test-drop-replicas")
        return True

    def held_keys(keys: list, dask_worker=None) -> list:
        """On a worker: which of ``keys`` it holds."""
        return [key for key in keys if key in dask_worker.data]

    def kill_while_grading():
        limit = time.monotonic() + RUN_TIMEOUT
        with Client(address, timeout=f"{START_TIMEOUT}s") as spy:
            address_of = {name: address for address, name in spy.run(lambda dask_worker: dask_worker.name).items()}
            while time.monotonic() < limit and not killed:
                time.sleep(0.1)
                grading_on = [name for name, (_, home) in sorted(workers.items())
                              if any(p.joinpath("submitted").is_dir() for p in home.glob("**/labs-tasks/grade-*"))]
                bundles = _bundle_keys(spy)
                holding = [name for name in grading_on if any(address_of[name] in where for where in bundles.values())]
                if not holding:
                    continue
                name = holding[0]
                victim, home = workers[name]
                others = [a for a in spy.scheduler_info()["workers"] if a != address_of[name]]
                if not spy.run_on_scheduler(isolate_bundle, keep=address_of[name], keys=list(bundles)):
                    continue
                gone = time.monotonic() + 20
                while time.monotonic() < gone and any(spy.run(held_keys, list(bundles), workers=others).values()):
                    time.sleep(0.1)
                copies = _bundle_keys(spy)
                if not all(where == [address_of[name]] for where in copies.values()):
                    continue  # another worker took a task (and a copy) meanwhile: try again
                in_flight = [p.name for p in home.glob("**/labs-tasks/grade-*") if p.joinpath("submitted").is_dir()]
                if not in_flight:
                    continue
                killed.update(name=name, copies=copies, in_flight=in_flight, others=others)
                victim.send_signal(signal.SIGKILL)
                victim.wait(timeout=20)

    def killer_reporting_errors():
        try:
            kill_while_grading()
        except Exception:  # (reported by the assertions below, not lost in the thread)
            import traceback

            killed["error"] = traceback.format_exc()

    killer = threading.Thread(target=killer_reporting_errors, daemon=True)
    killer.start()
    lines, stats = [], grading_cluster.Stats()
    # (No canary: the worker killed must be grading a student, not the model solution graded before them.)
    results = grading_cluster.grade(Course(course_dir), LAB, address, progress=lines.append, stats=stats, timeout=RUN_TIMEOUT,
                                    canary=False)
    killer.join(timeout=30)
    assert killed.get("in_flight"), f"the worker was not killed while grading: {lines} {killed}\n{_worker_logs(logs)}"
    assert workers[killed["name"]][0].poll() is not None
    survivors = [process for name, (process, _) in workers.items() if name != killed["name"]]
    assert killed["others"] and all(p.poll() is None for p in survivors), _worker_logs(logs)  # none closed itself
    assert stats.failed == [] and len(results) == 4, f"{lines}\n{_worker_logs(logs)}"
    assert _grades(results) == _grades(local_results)
    assert _csv(course_dir) == _csv(local_dir)
    assert _cells(course_dir) == _cells(local_dir)
    survivor = next(a for a in set(stats.worker_of.values()) if a) if stats.worker_of else None
    assert survivor is not None and sum(w == survivor for w in stats.worker_of.values()) >= 1
    assert len([line for line in lines if re.match(r"^\[\d/4\] graded", line)]) == 4, lines


@pytest.mark.slow
def test_a_student_whose_grading_keeps_failing_is_reported(dask_cluster, ungraded, tmp_path):
    address, _, _ = dask_cluster
    course_dir = _copy(ungraded, tmp_path / "course")
    for student in ("bob", "cy", "dee"):
        shutil.rmtree(course_dir / "submitted" / student)
    lines, stats = [], grading_cluster.Stats()
    start = time.monotonic()
    # Half a second is not enough to grade anyone: every try of the task fails, and it is retried RETRIES times.
    results = grading_cluster.grade(Course(course_dir), LAB, address, progress=lines.append, stats=stats, task_timeout=0.5,
                                    retries=1, timeout=RUN_TIMEOUT, canary=False)  # (the canary would fail the same way)
    assert time.monotonic() - start < RUN_TIMEOUT
    (ada,) = results
    assert ada.flags == ["failed"] and not ada.graded and stats.failed == [f"{LAB}/ada"]
    assert "failed 2 time(s)" in ada.messages[0] and "ran past" in ada.messages[0], ada.messages
    assert any(line.startswith("[1/1] FAILED lab99 for ada") and "1 failed" in line for line in lines), lines
    assert ada.max_autograded == 2  # the report still shows what was at stake
    from nbgrader.api import MissingEntry

    with Course(course_dir).gradebook() as gb, pytest.raises(MissingEntry):
        gb.find_submission(LAB, "ada")  # nothing was written for the failed student
    assert not (course_dir / "autograded" / "ada").exists()


@pytest.mark.slow
def test_an_unreachable_scheduler_stops_before_anything_is_written(ungraded, tmp_path):
    course_dir = _copy(ungraded, tmp_path / "course")
    before = hashlib.sha256((course_dir / "gradebook.db").read_bytes()).hexdigest()
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    start = time.monotonic()
    with pytest.raises(grading_cluster.ClusterUnavailable, match="cannot reach the Dask scheduler at tcp://127.0.0.1"):
        grading_cluster.grade(Course(course_dir), LAB, address, connect_timeout=3)
    done = subprocess.run([sys.executable, "-m", "labs", "--root", str(course_dir), "grade", LAB, "--cluster", address],
                          capture_output=True, text=True, timeout=120)
    assert time.monotonic() - start < 120
    assert done.returncode == 1 and "error: cannot reach the Dask scheduler" in done.stderr, done.stderr
    assert "nothing was graded or written" in done.stderr
    assert hashlib.sha256((course_dir / "gradebook.db").read_bytes()).hexdigest() == before
    for name in ("autograded", "feedback", ".grading", "grades.csv"):
        assert not (course_dir / name).exists(), name


def test_cluster_addresses_are_checked():
    assert grading_cluster.parse_cluster("local:3") == ("local", 3)
    assert grading_cluster.parse_cluster("tcp://10.0.0.5:8786") == ("tcp://10.0.0.5:8786", None)
    for bad in ("local:0", "local:many", " "):
        with pytest.raises(grading_cluster.ClusterUnavailable, match="local:N|scheduler address"):
            grading_cluster.parse_cluster(bad)
