"""Autograde every submission of a lab, generate feedback and export grades.

The chain, per student: autograde (execute and score) -> feedback. Then the grades
of the whole course go to ``grades.csv``. One student's broken submission is
reported in the result and never stops the others.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from labs import course, sandbox, tamper, warm_kernel
from labs.execute import PARALLEL_KERNEL_ENV

# Autograde reads a checked copy of each submission from here, never submitted/ itself.
STAGING = ".grading"


@dataclass
class StudentResult:
    student: str
    lab: str
    score: float = 0.0
    max_score: float = 0.0
    autograded: float = 0.0
    max_autograded: float = 0.0
    needs_manual_grade: bool = False
    late_penalty: float = 0.0
    graded: bool = True  # False when nothing could be graded (the gradebook may hold an older run)
    flags: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def students(lab: str, root: Path) -> list[str]:
    """Students with a submission of ``lab`` in ``submitted/``."""
    submitted = root / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir() if (p / lab).is_dir())


def release_notebooks(lab: str, root: Path) -> list[str]:
    return sorted(p.name for p in (root / "release" / lab).glob("*.ipynb"))


def _last_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "unknown error"


def stage_submission(root: Path, lab: str, student: str, result: StudentResult) -> None:
    """Copy a submission to the staging area, leaving out notebooks that cannot be read.

    nbgrader stops grading a student at the first unreadable notebook; without it in the
    copy, that notebook scores 0 as a missing one would and the others are graded.
    The student's files in ``submitted/`` are never changed.
    """
    staged = root / STAGING / "submitted" / student / lab
    if staged.exists():
        shutil.rmtree(staged)
    shutil.copytree(root / "submitted" / student / lab, staged, symlinks=True)
    expected = release_notebooks(lab, root)
    for name in expected:
        path = staged / name
        if not path.is_file():
            result.flags.append("missing")
            result.messages.append(f"{name} is missing from the submission (scored 0)")
            continue
        try:
            nbformat.validate(nbformat.read(str(path), as_version=4))
        except Exception as error:  # any unreadable file: bad JSON, empty, not a notebook
            path.unlink()
            result.flags.append("invalid")
            reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
            result.messages.append(f"{name} is not a readable notebook ({reason}); scored 0, file kept in submitted/")
    for extra in sorted(p.name for p in staged.glob("*.ipynb") if p.name not in expected):
        (staged / extra).unlink()
        result.messages.append(f"{extra} is not part of {lab}; ignored")
    for name in expected:
        if (staged / name).is_file():
            _drop_duplicate_ids(staged / name, result)
    for name in expected:
        if (staged / name).is_file():
            findings = tamper.review_notebook(nbformat.read(str(staged / name), as_version=4))
            if findings:
                if "tamper" not in result.flags:
                    result.flags.append("tamper")
                shown = "; ".join(str(f) for f in findings[:3]) + (f"; and {len(findings) - 3} more" if len(findings) > 3 else "")
                result.messages.append(f"{name}: review by hand: {shown}")


def _drop_duplicate_ids(path: Path, result: StudentResult) -> None:
    """Keep nbgrader's metadata on the first cell of each grade_id only (a copied test cell is ignored).

    nbgrader's own de-duplication leaves the copy with empty metadata, which then fails its
    metadata check and loses the whole notebook.
    """
    nb = nbformat.read(str(path), as_version=4)
    seen, changed = set(), False
    for index, cell in enumerate(nb.cells):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid is None:
            continue
        if gid in seen:
            del cell.metadata["nbgrader"]
            changed = True
            result.messages.append(f"{path.name} cell {index}: a second cell with grade_id {gid}; the copy was ignored")
            if "tamper" not in result.flags:
                result.flags.append("tamper")
        seen.add(gid)
    if changed:
        nbformat.write(nb, str(path))


def _failure_kind(outcome: dict) -> tuple[str, str]:
    text = f"{outcome.get('error') or ''}\n{outcome.get('log') or ''}"
    if "Timeout" in text or "UnresponsiveKernel" in text:
        return "timeout", "a cell ran past the time limit and the kernel did not stop"
    if "DeadKernel" in text or "Kernel died" in text:
        return "crash", "the kernel died (it exited, or ran out of memory or CPU time)"
    return "crash", "autograde failed: " + _last_line(outcome.get("error") or outcome.get("log"))


def _autograde_notebook_by_notebook(api, lab: str, student: str, names: list[str], result: StudentResult) -> None:
    """After a failed run, grade each notebook on its own so one bad notebook costs only itself."""
    for name in names:
        api.coursedir.notebook_id = Path(name).stem
        try:
            outcome = api.autograde(lab, student, force=True, create=True)
        finally:
            api.coursedir.notebook_id = "*"
        if not outcome.get("success"):
            flag, why = _failure_kind(outcome)
            if flag not in result.flags:
                result.flags.append(flag)
            result.messages.append(f"{name}: {why}; scored 0")


def inspect_run(root: Path, lab: str, student: str, result: StudentResult) -> None:
    """Flag cells that hit the time limit and kernels that died, from the graded notebooks."""
    for path in sorted((root / "autograded" / student / lab).glob("*.ipynb")):
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:
            continue
        for index, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
                if output.get("output_type") != "error":
                    continue
                ename = output.get("ename", "")
                if ename == "CellTimeoutError" or "Timeout" in ename:
                    flag, what = "timeout", "ran past the time limit"
                elif ename == "DeadKernelError" or "DeadKernel" in ename:
                    flag, what = "crash", "the kernel died (memory, CPU time or exit)"
                else:
                    continue
                if flag not in result.flags:
                    result.flags.append(flag)
                result.messages.append(f"{path.name} cell {index}: {what}")


_worker_sandbox = None  # this process's sandbox settings (uid slot, socket directory)


def _sandbox_configuration():
    """The nbgrader overrides that run this process's kernels in the sandbox."""
    global _worker_sandbox
    if _worker_sandbox is None or not os.path.isdir(_worker_sandbox.ipc_dir):
        _worker_sandbox = sandbox.worker_settings()
        os.environ[sandbox.SETTINGS_VARIABLE] = _worker_sandbox.to_env()
    return lambda config: sandbox.nbgrader_overrides(_worker_sandbox, config)


def _give_back(folder: Path) -> None:
    """Return a folder the sandbox user wrote in to the grader's user."""
    if os.geteuid() != 0 or not folder.exists():
        return
    uid, gid = os.geteuid(), os.getegid()
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, uid, gid, follow_symlinks=False)


def grade_student(root: Path, lab: str, student: str, sandboxed: bool = True) -> StudentResult:
    """Autograde one student's submission and generate their feedback (runs in a worker process)."""
    # nbgrader's own bookkeeping warns about detached database objects on every run; it is harmless.
    warnings.filterwarnings("ignore", message=".*not in session.*")
    for name, value in PARALLEL_KERNEL_ENV.items():  # kernels inherit this process's environment
        os.environ.setdefault(name, value)
    result = StudentResult(student, lab)
    stage_submission(root, lab, student, result)
    staged = sorted(p.name for p in (root / STAGING / "submitted" / student / lab).glob("*.ipynb"))
    if not staged:  # nothing gradable: every notebook is missing or unreadable, already reported
        result.graded = False
        _forget_earlier_run(root, lab, student)
        return result
    api = course.api(root, submitted_directory=f"{STAGING}/submitted",
                     configure=_sandbox_configuration() if sandboxed else None)
    try:
        outcome = api.autograde(lab, student, force=True, create=True)
        if not outcome.get("success"):
            _autograde_notebook_by_notebook(api, lab, student, staged, result)
    finally:
        if sandboxed and _worker_sandbox is not None:
            warm_kernel.stop_all(_worker_sandbox.ipc_dir)  # this submission's warm process, and anything it left
        _give_back(root / "autograded" / student / lab)
    inspect_run(root, lab, student, result)
    if any((root / "autograded" / student / lab / name).is_file() for name in staged):
        feedback = api.generate_feedback(lab, student, force=True)
        if not feedback.get("success"):
            result.flags.append("no-feedback")
            result.messages.append("feedback failed: " + _last_line(feedback.get("error") or feedback.get("log")))
    return result


def _forget_earlier_run(root: Path, lab: str, student: str) -> None:
    """Drop an earlier run's grades and files, so they are not reported as this run's, and make sure the student is
    in the gradebook (a student whose only notebook is unreadable still gets a row of 0 in the export)."""
    from nbgrader.api import MissingEntry

    with course.gradebook(root) as gb:
        try:
            gb.remove_submission(lab, student)
        except MissingEntry:
            pass
        gb.update_or_create_student(student)  # known to the gradebook, so the export gives them a row of 0
    for stage in ("autograded", "feedback"):
        shutil.rmtree(root / stage / student / lab, ignore_errors=True)


def _fill_scores(results: list[StudentResult], root: Path) -> None:
    from nbgrader.api import MissingEntry

    with course.gradebook(root) as gb:
        for result in results:
            try:
                if not result.graded:
                    raise MissingEntry()
                submission = gb.find_submission(result.lab, result.student)
            except MissingEntry:  # nothing of this student could be graded: every notebook scores 0
                if not {"crash", "timeout", "missing", "invalid"} & set(result.flags):
                    result.flags.append("crash")
                result.max_score = gb.find_assignment(result.lab).max_score
                result.max_autograded = gb.find_assignment(result.lab).max_code_score
                continue
            result.late_penalty = submission.late_submission_penalty or 0.0
            result.score = max(0.0, submission.score - result.late_penalty)  # nbgrader's score is before the penalty
            result.max_score = submission.max_score
            result.autograded = submission.code_score
            result.max_autograded = submission.max_code_score
            result.needs_manual_grade = submission.needs_manual_grade


def export_grades(root: Path) -> Path:
    """Write every grade in the gradebook to ``grades.csv`` (nbgrader's CSV exporter)."""
    from nbgrader.plugins.export import CsvExportPlugin

    target = root / "grades.csv"
    with course.gradebook(root) as gb:
        CsvExportPlugin(to=str(target)).export(gb)
    return target


def ensure_released(lab: str, root: Path) -> None:
    from nbgrader.api import MissingEntry

    message = f"{lab} is not in this course's gradebook: run `python -m labs release {lab}` first"
    if not (root / "gradebook.db").is_file():
        raise course.NbgraderFailed(message)
    with course.gradebook(root) as gb:
        try:
            gb.find_assignment(lab)
        except MissingEntry:
            raise course.NbgraderFailed(message) from None


def prepare_sandbox(root: Path) -> None:
    """Check that kernels can be sandboxed here and install the sandbox kernelspec for this run."""
    sandbox.check_available()
    jupyter_dir = root / STAGING / "jupyter"
    sandbox.install_kernelspec(jupyter_dir)
    paths = os.environ.get("JUPYTER_PATH", "")
    if str(jupyter_dir) not in paths.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(jupyter_dir), paths) if p)


def grade(lab: str, root: Path, jobs: int | None = None, sandboxed: bool = True) -> list[StudentResult]:
    """Autograde and give feedback to every student of ``lab``; ``jobs`` students at a time.

    Student code runs in the bubblewrap sandbox unless ``sandboxed`` is False; when no sandbox
    can be made, this raises :class:`labs.sandbox.SandboxUnavailable` rather than run it unconfined.
    """
    return grade_all([lab], root, jobs, sandboxed)


def grade_all(labs: list[str], root: Path, jobs: int | None = None, sandboxed: bool = True,
              progress: Callable[[str], None] | None = None) -> list[StudentResult]:
    """Grade every submission of every lab in ``labs`` in one pool of ``jobs`` workers.

    One pool for the whole course keeps every core busy until the last submission, where grading lab by lab
    leaves cores idle at the end of each lab. Results come in the order of ``labs``, then students;
    ``progress`` is told of each graded submission as it finishes.
    """
    for lab in labs:
        ensure_released(lab, root)
    if sandboxed:
        prepare_sandbox(root)
    tasks = [(lab, student) for lab in labs for student in students(lab, root)]
    jobs = max(1, jobs or os.cpu_count() or 1)
    scratch = tempfile.mkdtemp(prefix="c6248-")  # kernel sockets and logs of this run
    previous = os.environ.get(sandbox.RUN_DIR_VARIABLE)
    os.environ[sandbox.RUN_DIR_VARIABLE] = scratch
    start = time.perf_counter()

    def report(done: int, result: StudentResult) -> None:
        if progress is not None:
            flags = f" [{','.join(result.flags)}]" if result.flags else ""
            progress(f"[{done}/{len(tasks)}] graded {result.lab} for {result.student}{flags} ({time.perf_counter() - start:.0f} s)")

    try:
        if jobs == 1 or len(tasks) <= 1:
            results = []
            for lab, student in tasks:
                results.append(grade_student(root, lab, student, sandboxed))
                report(len(results), results[-1])
        else:
            with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
                futures = {pool.submit(grade_student, root, lab, student, sandboxed): (lab, student) for lab, student in tasks}
                finished = {}
                for future in as_completed(futures):
                    finished[futures[future]] = future.result()
                    report(len(finished), finished[futures[future]])
            results = [finished[task] for task in tasks]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if previous is None:
            os.environ.pop(sandbox.RUN_DIR_VARIABLE, None)
        else:
            os.environ[sandbox.RUN_DIR_VARIABLE] = previous
    _fill_scores(results, root)
    return results


def format_report(results: list[StudentResult]) -> str:
    """A table with one row per student: autograded and total score, flags and what went wrong."""
    if not results:
        return "no submissions"
    width = max(len("student"), *(len(r.student) for r in results))
    lines = [f"{'student':<{width}}  {'lab':<5}  {'auto':>11}  {'total':>11}  {'late':>5}  flags"]
    for r in results:
        flags = ",".join(r.flags + (["manual"] if r.needs_manual_grade else [])) or "-"
        lines.append(
            f"{r.student:<{width}}  {r.lab:<5}  {r.autograded:5.1f}/{r.max_autograded:<5.1f}"
            f"  {r.score:5.1f}/{r.max_score:<5.1f}  {-r.late_penalty if r.late_penalty else 0.0:5.1f}  {flags}"
        )
        lines += [f"{'':<{width}}    ! {m}" for m in r.messages]
    lines.append(
        "total is after the late penalty. flags: missing / invalid = a notebook absent or unreadable (scored 0); "
        "timeout = a cell ran past its limit; crash = the kernel died or autograde failed; "
        "tamper = code that may fool the tests, review by hand; manual = written answers wait for the formgrader"
    )
    return "\n".join(lines)


def set_deadline(lab: str, root: Path, when) -> None:
    """Record ``when`` (a naive UTC or aware datetime) as the due date of ``lab`` in the gradebook."""
    ensure_released(lab, root)
    with course.gradebook(root) as gb:
        gb.update_or_create_assignment(lab, duedate=when)
