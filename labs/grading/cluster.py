"""Grade a class on a Dask cluster: each student's grading runs on a worker, the gradebook stays with the coordinator.

    python -m labs grade LAB --cluster tcp://scheduler:8786     # a running Dask scheduler
    python -m labs grade LAB --cluster local:4                  # a scheduler and 4 worker processes here

Why this shape. Grading one student is independent of every other, takes seconds to minutes, and must run in the
same bubblewrap sandbox with the same limits wherever it runs; the gradebook (SQLite) must have a single writer.
So the coordinator (this process) keeps the course and the gradebook, and a worker needs no copy of the course:

1. the coordinator packs, once per lab, what nbgrader's autograde needs and nothing else: ``nbgrader_config.py``,
   ``release/LAB`` (the notebook names a submission must have), the non-notebook files of ``source/LAB`` (autograde
   copies them over the student's), and a fresh gradebook holding only the lab's assignment definition (notebooks,
   grade, solution, task and source cells, the due date). It goes to the scheduler once, as a task whose result is
   the bundle: a worker fetches it once, and when every worker holding a copy has died the scheduler computes it
   again from the task (data scattered to the workers would be lost with them, and with it every pending grading:
   Dask's memory manager keeps one copy of what is broadcast);
2. each task carries one student's submitted files (and their extension, if any). On the worker it builds a private
   course in the worker's local directory, grades it in a child process with :func:`labs.grading.pipeline.grade_student`
   (staging, the sandbox, one-notebook-at-a-time fallback, feedback: the local code, unchanged), and returns the
   autograded and feedback files, the result (flags, messages), the submission's rows of the private gradebook,
   and timings; the private course is then removed;
3. the coordinator writes the returned files under ``autograded/`` and ``feedback/`` and the rows into its gradebook,
   then fills the scores from its gradebook exactly as a local run does (:func:`labs.grading.pipeline._fill_scores`).

Faults: a worker that dies mid-grading has its tasks rescheduled on another worker by the Dask scheduler (after
``distributed.scheduler.allowed-failures`` deaths it gives up with ``KilledWorker``); a task that fails (the grading
child crashed or ran past ``task_timeout``) is retried ``retries`` times; a student still not graded after that is
reported (flag ``failed``) and their earlier grades are left as they were. A scheduler that cannot be reached, or
workers that cannot build a sandbox, stop the run with :class:`ClusterUnavailable` before anything is written.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from labs.course import CONFIG_FILE, OWN_GRADEBOOK, Course
from labs.course.definition import assignment_definition, write_definition
from labs.grading import canary, cpu_time
from labs.grading import pipeline as grading
from labs.grading.flags import Flag
from labs.grading.pipeline import StudentResult

RETRIES = 2  # a failed grading task runs at most 1 + RETRIES times
CONNECT_TIMEOUT = 20  # seconds to reach the scheduler
WORKER_TIMEOUT = 120  # seconds to wait for the first worker
NO_WORKER_TIMEOUT = 300  # give up when the cluster has had no worker for this long
POLL = 2.0
PROGRAM = "labs.grading.cluster"


class ClusterUnavailable(RuntimeError):
    """The scheduler cannot be reached or no worker can grade; nothing has been written."""


@dataclass
class Stats:
    """What a cluster run measured: per student, where and how long it graded."""

    wall: float = 0.0  # the coordinator's whole run
    workers: int = 0
    graded_seconds: dict[str, float] = field(default_factory=dict)  # "lab/student" -> the grading child's wall time
    task_seconds: dict[str, float] = field(default_factory=dict)  # "lab/student" -> the whole task on the worker
    worker_of: dict[str, str] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    startup: float = 0.0  # seconds from the start until every task was submitted (cluster, checks, bundles)
    done_at: list[float] = field(default_factory=list)  # seconds from the start at which each submission was done


# ---------------------------------------------------------------------------------------------------------------
# What a worker receives: the lab bundle (once per lab) and one task per student.


def _pack(files: dict[str, bytes]) -> bytes:
    return zlib.compress(json.dumps({k: v.hex() for k, v in files.items()}).encode(), 6)


def _unpack(blob: bytes) -> dict[str, bytes]:
    return {k: bytes.fromhex(v) for k, v in json.loads(zlib.decompress(blob)).items()}


def lab_bundle(course: Course, lab: str) -> dict:
    """Everything a worker needs to grade ``lab`` (no solutions, no other student, no course gradebook)."""
    import fnmatch

    # The worker grades into its private course's own gradebook, never into the course's database.
    files = {CONFIG_FILE: (course.root / CONFIG_FILE).read_bytes() + OWN_GRADEBOOK.encode()}
    release = course.release(lab)
    for path in sorted(release.glob("*.ipynb")):
        files[str(path.relative_to(course.root))] = path.read_bytes()
    ignore = list(course.load_config().CourseDirectory.get("ignore", [])) + ["*.ipynb"]
    source = course.source(lab)
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        relative = path.relative_to(source)
        if not any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in ignore):
            files[str(path.relative_to(course.root))] = path.read_bytes()
    with tempfile.TemporaryDirectory(prefix="c6248-bundle-") as scratch:
        write_definition(Path(scratch) / "gradebook.db", assignment_definition(course, lab))
        files["gradebook.db"] = (Path(scratch) / "gradebook.db").read_bytes()
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return {"lab": lab, "key": f"{lab}-{digest.hexdigest()[:16]}", "files": _pack(files)}


def _read_tree(folder: Path) -> tuple[dict[str, bytes], dict[str, str]]:
    """Regular files as bytes and symbolic links as their targets (never followed), by relative path."""
    files, links = {}, {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            relative = str(path.relative_to(folder))
            if path.is_symlink():
                links[relative] = os.readlink(path)
            elif path.is_file():
                files[relative] = path.read_bytes()
    return files, links


def _write_tree(folder: Path, files: dict[str, bytes], links: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for relative, data in files.items():
        target = folder / relative
        if not target.resolve().is_relative_to(folder.resolve()):
            raise ValueError(f"refusing to write {relative!r} outside {folder}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for relative, link in links.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(link, target)


def student_task(course: Course, lab: str, student: str, sandboxed: bool, task_timeout: float) -> dict:
    # A linked submission folder is not read through (it would travel as its target's files): the worker gets an
    # empty folder, so every notebook scores 0.
    linked = grading.linked_submission(course, lab, student) is not None
    files, links = ({}, {}) if linked else _read_tree(course.submitted(lab, student))
    extension = None
    from nbgrader.api import MissingEntry

    with course.gradebook() as gb:
        try:
            submission = gb.find_submission(lab, student)
            extension = submission.extension.total_seconds() if submission.extension else None
        except MissingEntry:
            pass
    return {"lab": lab, "student": student, "files": _pack(files), "links": links, "extension": extension,
            "sandboxed": sandboxed, "timeout": task_timeout, "cpu_calibration": cpu_time.read(course.root, lab)}


def canary_task(course: Course, lab: str, sandboxed: bool, task_timeout: float) -> dict:
    """The lab's model solution as a submission (:mod:`labs.grading.canary`), graded on a worker like a student's."""
    return {"lab": lab, "student": canary.STUDENT, "files": _pack(canary.solution_files(course, lab)), "links": {},
            "extension": None, "sandboxed": sandboxed, "timeout": task_timeout}


# ---------------------------------------------------------------------------------------------------------------
# On a worker.


def _worker_directory() -> Path:
    try:
        from distributed import get_worker

        return Path(get_worker().local_directory)
    except (ImportError, ValueError):
        return Path(tempfile.gettempdir())


def _course_template(bundle: dict, base: Path) -> Path:
    """The lab's private course skeleton on this worker, written once per bundle."""
    template = base / "labs-courses" / bundle["key"]
    if not template.is_dir():
        template.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix="building-", dir=template.parent))
        _write_tree(building, _unpack(bundle["files"]), {})
        with contextlib.suppress(OSError):  # another task of this worker got there first
            os.rename(building, template)
        shutil.rmtree(building, ignore_errors=True)
    return template


def _die_with_parent() -> None:
    """In the grading child: die when the worker does (a killed worker leaves no grading behind)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def check_worker(sandboxed: bool) -> str | None:
    """Run on every worker before grading: None, or why this worker cannot grade."""
    try:
        import nbgrader  # noqa: F401

        if sandboxed:
            from labs.grading import sandbox

            sandbox.check_available()
    except Exception as error:  # reported to the coordinator as text
        return f"{type(error).__name__}: {error}"
    return None


def _the_bundle(bundle: dict) -> dict:
    """The task that yields a lab's bundle on a worker; it carries the bundle, so the scheduler can always rerun it."""
    return bundle


def grade_remote(bundle: dict, task: dict) -> dict:
    """One student's grading on a worker, in a private course that is removed afterwards."""
    start = time.perf_counter()
    lab, student = task["lab"], task["student"]
    base = _worker_directory()
    template = _course_template(bundle, base)
    (base / "labs-tasks").mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(prefix=f"grade-{lab}-", dir=base / "labs-tasks"))
    try:
        shutil.copytree(template, private, dirs_exist_ok=True)
        _write_tree(Course(private).submitted(lab, student), _unpack(task["files"]), task["links"])
        if task.get("cpu_calibration"):  # the canary's, from the instructor's course: each cell's CPU limit
            cpu_time.save(cpu_time.calibration_folder(private), lab, task["cpu_calibration"])
        command = [sys.executable, "-m", PROGRAM, str(private), lab, student]
        if task["extension"] is not None:
            command += ["--extension", str(task["extension"])]
        if not task["sandboxed"]:
            command += ["--unsafe-no-sandbox"]
        env = dict(os.environ)
        env.pop("COMP6248_ROOT", None)  # the private course is the only course here
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        child = subprocess.Popen(command, cwd=private, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, preexec_fn=_die_with_parent, start_new_session=True)
        try:
            log, _ = child.communicate(timeout=task["timeout"])
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            raise RuntimeError(f"grading {lab} for {student} ran past {task['timeout']:.0f} s on this worker") from None
        outcome_file = private / "cluster-result.json"
        if child.returncode != 0 or not outcome_file.is_file():
            tail = "\n".join((log or "").strip().splitlines()[-15:])
            raise RuntimeError(f"grading {lab} for {student} failed on this worker (exit {child.returncode}):\n{tail}")
        outcome = json.loads(outcome_file.read_text())
        autograded = _read_tree(Course(private).autograded(lab, student))
        feedback = _read_tree(Course(private).feedback(lab, student))
        outcome.update(
            autograded=(_pack(autograded[0]), autograded[1]),
            feedback=(_pack(feedback[0]), feedback[1]),
            worker=_worker_name(),
            log=(log or "")[-4000:],  # the grading child's own output (nbgrader's log), for a failure's details
            task_seconds=time.perf_counter() - start,
        )
        return outcome
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"


def _submission_rows(course: Course, lab: str, student: str) -> dict | None:
    """The submission's grading in the (private) gradebook, as plain data."""
    from nbgrader.api import MissingEntry

    with course.gradebook() as gb:
        try:
            submission = gb.find_submission(lab, student)
        except MissingEntry:
            return None
        return {
            "timestamp": submission.timestamp.isoformat() if submission.timestamp else None,
            "notebooks": {
                nb.name: {
                    "late_submission_penalty": nb.late_submission_penalty,
                    "grades": {g.cell.name: [g.auto_score, g.needs_manual_grade] for g in nb.grades},
                    "comments": {c.cell.name: c.auto_comment for c in nb.comments},
                }
                for nb in submission.notebooks
            },
        }


def _grade_one(argv: list[str]) -> int:
    """The grading child: ``python -m labs.grading.cluster PRIVATE_COURSE LAB STUDENT [--extension S] [--unsafe-no-sandbox]``."""
    import argparse

    parser = argparse.ArgumentParser(prog=f"python -m {PROGRAM}")
    parser.add_argument("root", type=Path)
    parser.add_argument("lab")
    parser.add_argument("student")
    parser.add_argument("--extension", type=float)
    parser.add_argument("--unsafe-no-sandbox", action="store_true")
    args = parser.parse_args(argv)
    course, lab, student = Course(args.root.resolve()), args.lab, args.student
    sandboxed = not args.unsafe_no_sandbox
    if args.extension is not None:  # as in the course's gradebook, so the late penalty counts from the same time
        with course.gradebook() as gb:
            gb.update_or_create_student(student)
            gb.update_or_create_submission(lab, student, extension=timedelta(seconds=args.extension))
    start = time.perf_counter()
    with grading.grading_environment(course, sandboxed):
        result = grading.grade_student(course, lab, student, sandboxed)
    seconds = time.perf_counter() - start
    outcome = {"result": asdict(result), "rows": _submission_rows(course, lab, student), "seconds": seconds}
    (course.root / "cluster-result.json").write_text(json.dumps(outcome))
    return 0


# ---------------------------------------------------------------------------------------------------------------
# On the coordinator.


def _record(course: Course, lab: str, student: str, outcome: dict) -> StudentResult:
    """Write a worker's grading of one student into this course, as a local run would have left it."""
    from nbgrader.api import MissingEntry

    result = StudentResult(**outcome["result"])
    if not result.graded:  # nothing was gradable: drop earlier grades and files, keep the student (a row of 0)
        grading._forget_earlier_run(course, lab, student)
        return result
    for stage in ("autograded", "feedback"):
        blob, links = outcome[stage]
        files = _unpack(blob)
        if stage == "autograded" or files or links:  # local feedback is only rewritten when some notebook was graded
            shutil.rmtree(course.folder(stage, lab, student), ignore_errors=True)
            _write_tree(course.folder(stage, lab, student), files, links)
    rows = outcome["rows"]
    graded_notebooks = {Path(name).stem for name in _unpack(outcome["autograded"][0]) if name.endswith(".ipynb")}
    with course.gradebook() as gb:
        if rows is None:  # autograde failed before it recorded the submission
            with contextlib.suppress(MissingEntry):
                gb.remove_submission(lab, student)
            gb.update_or_create_student(student)
            return result
        gb.update_or_create_student(student)
        if rows["timestamp"]:
            gb.update_or_create_submission(lab, student, timestamp=datetime.fromisoformat(rows["timestamp"]))
        else:
            gb.update_or_create_submission(lab, student)
        for name, notebook in rows["notebooks"].items():
            submitted = gb.find_submission_notebook(name, lab, student)
            submitted.late_submission_penalty = notebook["late_submission_penalty"]
            for grade in submitted.grades:
                auto_score, needs_manual = notebook["grades"][grade.cell.name]
                grade.auto_score = auto_score
                # nbgrader asks for review of a cell a grader has already scored by hand (SaveAutoGrades)
                grade.needs_manual_grade = bool(needs_manual) or (grade.manual_score is not None and name in graded_notebooks)
            for comment in submitted.comments:
                comment.auto_comment = notebook["comments"].get(comment.cell.name)
        gb.db.commit()
    return result


def parse_cluster(spec: str) -> tuple[str, int | None]:
    """``local:N`` -> ("local", N); anything else is a scheduler address -> (address, None)."""
    if spec.startswith("local:"):
        try:
            workers = int(spec.split(":", 1)[1])
        except ValueError:
            workers = 0
        if workers < 1:
            raise ClusterUnavailable(f"--cluster {spec!r}: local:N needs a number of workers N >= 1, e.g. local:4")
        return "local", workers
    if not spec.strip():
        raise ClusterUnavailable("--cluster needs a scheduler address (tcp://HOST:8786) or local:N")
    return spec, None


@contextlib.contextmanager
def connect(spec: str, connect_timeout: float = CONNECT_TIMEOUT, worker_timeout: float = WORKER_TIMEOUT):
    """A Dask client for ``spec`` with at least one worker, or :class:`ClusterUnavailable` saying why."""
    import logging

    from distributed import Client
    from distributed.deploy.subprocess import SubprocessCluster

    address, local_workers = parse_cluster(spec)
    with contextlib.ExitStack() as stack:
        if local_workers is not None:
            # A scheduler and N workers (one grading at a time each) as processes of their own, as on a real cluster.
            # (LocalCluster would start its workers by re-importing this program's __main__, which `python -m labs` runs.)
            cluster = stack.enter_context(SubprocessCluster(host="127.0.0.1", n_workers=local_workers, threads_per_worker=1,
                                                            dashboard_address=None, silence_logs=logging.ERROR))
            address = cluster.scheduler_address
        try:
            client = stack.enter_context(Client(address, timeout=f"{connect_timeout}s"))
        except (OSError, TimeoutError, ValueError) as error:
            raise ClusterUnavailable(
                f"cannot reach the Dask scheduler at {address} ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}); "
                "nothing was graded or written. Start one with `dask scheduler` (and workers with `dask worker ADDRESS`) "
                "or use --cluster local:N") from None
        try:
            client.wait_for_workers(local_workers or 1, timeout=worker_timeout)
        except (TimeoutError, OSError):
            raise ClusterUnavailable(f"the Dask scheduler at {address} has no worker after {worker_timeout:.0f} s; "
                                     "nothing was graded or written. Start workers with `dask worker ADDRESS`") from None
        yield client


def grade_all(course: Course, labs: list[str], cluster: str, sandboxed: bool = True,
              progress: Callable[[str], None] | None = None, retries: int = RETRIES, task_timeout: float | None = None,
              timeout: float | None = None, stats: Stats | None = None,
              connect_timeout: float = CONNECT_TIMEOUT, canary: bool = True) -> list[StudentResult]:
    """Grade every submission of every lab in ``labs`` on the Dask cluster ``cluster`` (an address or ``local:N``).

    Results come in the order of ``labs``, then students, with the same scores and flags as
    :func:`labs.grading.pipeline.grade_all`; a student whose grading failed on every try is flagged ``failed`` (their
    earlier grades are kept). ``task_timeout`` bounds one student's grading on a worker (default: 10 minutes
    a notebook); ``timeout`` the whole run (what is not done by then is reported failed). Unless ``canary`` is False,
    each lab's model solution is graded first on a worker (:mod:`labs.grading.canary`): if it loses a point, nothing is graded.
    """
    from distributed import wait
    from distributed.client import FuturesCancelledError
    from nbgrader.api import MissingEntry

    for lab in labs:
        grading.ensure_released(course, lab)
    stats = stats if stats is not None else Stats()
    say = progress or (lambda line: None)
    start = time.perf_counter()
    with connect(cluster, connect_timeout) as client:
        problems = client.run(check_worker, sandboxed)
        bad = {address: why for address, why in problems.items() if why}
        if bad:
            if sandboxed and len(bad) == len(problems):
                from labs.grading.sandbox import SandboxUnavailable

                raise SandboxUnavailable("no worker can build the grading sandbox: " + "; ".join(f"{a}: {w}" for a, w in bad.items()))
            raise ClusterUnavailable("these workers cannot grade (nothing was written): " + "; ".join(f"{a}: {w}" for a, w in bad.items()))
        stats.workers = len(problems)
        tasks = [(lab, student) for lab in labs for student in grading.students(course, lab)]
        say(f"cluster {client.scheduler.address}: {stats.workers} worker(s); {len(tasks)} submission(s) to grade")
        bundles = {lab: client.submit(_the_bundle, lab_bundle(course, lab), key=f"bundle-{lab}-{uuid.uuid4().hex[:8]}",
                                      pure=False) for lab in labs}
        limits = {lab: task_timeout if task_timeout is not None else 120 + 600 * len(grading.release_notebooks(course, lab))
                  for lab in labs}
        if canary:
            _canaries(client, course, sorted({lab for lab, _ in tasks}, key=labs.index), bundles, sandboxed, limits,
                      retries, say)
        futures = {}
        for lab, student in tasks:
            limit = limits[lab]
            futures[client.submit(grade_remote, bundles[lab], student_task(course, lab, student, sandboxed, limit),
                                  key=f"grade-{lab}-{student}-{uuid.uuid4().hex[:8]}", retries=retries, pure=False)] = (lab, student)
        stats.startup = time.perf_counter() - start
        finished: dict[tuple[str, str], StudentResult] = {}
        pending = set(futures)
        no_worker_since = None

        def fail(lab: str, student: str, why: str) -> None:
            result = StudentResult(student, lab, graded=False, flags=[Flag.FAILED],
                                   messages=[f"not graded: {why}; the gradebook keeps any earlier grade"])
            finished[(lab, student)] = result
            stats.failed.append(f"{lab}/{student}")
            stats.done_at.append(time.perf_counter() - start)
            say(f"[{len(finished)}/{len(tasks)}] FAILED {lab} for {student}: {why} ({len(stats.failed)} failed)")

        while pending:
            try:
                done, pending = wait(pending, timeout=POLL, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            except FuturesCancelledError:  # the scheduler dropped some tasks: report those, keep waiting for the rest
                done = {future for future in pending if future.status != "pending"}
                pending = pending - done
            for future in done:
                lab, student = futures[future]
                if future.status == "finished":
                    outcome = future.result()
                    result = _record(course, lab, student, outcome)
                    finished[(lab, student)] = result
                    stats.done_at.append(time.perf_counter() - start)
                    name = f"{lab}/{student}"
                    stats.graded_seconds[name] = outcome["seconds"]
                    stats.task_seconds[name] = outcome["task_seconds"]
                    stats.worker_of[name] = outcome["worker"]
                    flags = f" [{','.join(result.flags)}]" if result.flags else ""
                    failures = f"; {len(stats.failed)} failed" if stats.failed else ""
                    say(f"[{len(finished)}/{len(tasks)}] graded {lab} for {student}{flags} on {outcome['worker']} "
                        f"({outcome['seconds']:.0f} s; {time.perf_counter() - start:.0f} s in all{failures})")
                else:
                    error = future.exception() if future.status == "error" else None
                    if type(error).__name__ == "KilledWorker":
                        why = "the workers grading it died every time (Dask's allowed-failures)"
                    elif error is not None:
                        why = f"failed {1 + retries} time(s): {str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__}"
                    elif future.status == "cancelled":
                        reason = getattr(future._state.exception, "reason", None) or "no reason given"
                        why = f"the scheduler cancelled the task ({reason})"
                    else:
                        why = f"the task was {future.status} (the scheduler went away?)"
                    fail(lab, student, why)
                future.release()
            if pending and not client.scheduler_info().get("workers"):
                no_worker_since = no_worker_since or time.perf_counter()
                if time.perf_counter() - no_worker_since > NO_WORKER_TIMEOUT:
                    for future in pending:
                        fail(*futures[future], f"the cluster had no worker for {NO_WORKER_TIMEOUT} s")
                    client.cancel(list(pending))
                    pending = set()
            else:
                no_worker_since = None
            if pending and timeout is not None and time.perf_counter() - start > timeout:
                for future in pending:
                    fail(*futures[future], f"not done within the run's limit of {timeout:.0f} s")
                client.cancel(list(pending))
                pending = set()
    results = [finished[task] for task in tasks]
    grading._fill_scores(course, [r for r in results if Flag.FAILED not in r.flags])
    with course.gradebook() as gb:
        for result in results:
            if Flag.FAILED in result.flags:
                with contextlib.suppress(MissingEntry):
                    assignment = gb.find_assignment(result.lab)
                    result.max_score, result.max_autograded = assignment.max_score, assignment.max_code_score
    grading.export_grades(course)
    stats.wall = time.perf_counter() - start
    return results


def _canaries(client, course: Course, labs: list[str], bundles: dict, sandboxed: bool, limits: dict[str, float], retries: int,
              say: Callable[[str], None]) -> None:
    """Grade each lab's model solution on a worker, as a student's submission; raise CanaryFailed unless full marks."""
    if not labs:
        return
    say(f"grading the model solution of {', '.join(labs)} first (the canary; --no-canary skips it)")
    checks = {lab: client.submit(grade_remote, bundles[lab], canary_task(course, lab, sandboxed, limits[lab]),
                                 key=f"canary-{lab}-{uuid.uuid4().hex[:8]}", retries=retries, pure=False) for lab in labs}
    for lab, future in checks.items():
        try:
            outcome = future.result(timeout=(1 + retries) * limits[lab] + 300)
        except Exception as error:  # (a timeout, a task that failed on every try, a cancelled one)
            why = str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
            raise canary.CanaryFailed(f"the canary failed: the model solution of {lab}, graded first on the cluster, "
                                      f"could not be graded ({why}); nothing was graded") from None
        graded = _unpack(outcome["autograded"][0]) if outcome.get("autograded") else {}
        notebooks = {name: data for name, data in graded.items() if name.endswith(".ipynb")}
        canary.check_cluster_outcome(lab, assignment_definition(course, lab), outcome, outcome.get("worker", "?"),
                                     notebooks)
        canary.calibrate(course, lab, notebooks)  # measured on a worker: the students' cells are limited from it


def grade(course: Course, lab: str, cluster: str, sandboxed: bool = True, **options) -> list[StudentResult]:
    """Grade every submission of ``lab`` on the cluster; see :func:`grade_all`."""
    return grade_all(course, [lab], cluster, sandboxed, **options)


if __name__ == "__main__":
    sys.exit(_grade_one(sys.argv[1:]))
