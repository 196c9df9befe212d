"""Autograde every submission of a lab, generate feedback and export grades.

:func:`grade_all`, top down: check the labs are released -> in :func:`grading_environment` (the sandbox checked, its
kernelspec installed, every environment change undone afterwards): the canary (:mod:`labs.grading.canary`, the model solution
graded first) -> each student in a pool (:func:`grade_student`: stage a checked copy -> autograde in the sandbox ->
remove planted files -> classify failures -> feedback) -> infrastructure failures graded again alone -> scores from the
gradebook -> :func:`export_grades` writes ``grades.csv``. One student's broken submission is reported in the result
and never stops the others.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.preprocessors import (
    NbGraderPreprocessor,  # enabled by default, unlike nbconvert's base
)

from labs.course import PARALLEL_KERNEL_ENV, Course, NbgraderFailed
from labs.grading import cpu_time, sandbox, tamper
from labs.grading.canary import check as canary_check
from labs.grading.flags import NOT_GRADED, Flag, legend
from labs.grading.limits import CUT_MARK, GRADER_NOTES, NOTEBOOK_CPU_ERROR, NOTEBOOK_TIME_ERROR

# Autograde reads a checked copy of each submission from here, never submitted/ itself.
STAGING = ".grading"
STAGED = f"{STAGING}/submitted"  # the submitted folder autograde is pointed at
# Every grade in the gradebook, exported by nbgrader's CSV exporter at the end of each grading run.
GRADES_FILE = "grades.csv"
# Notebook metadata in which SealNotebookFolder tells inspect_run what the kernel planted at the notebook's path.
PLANTED_KEY = "labs_planted"

# A student id is a folder name in submitted/ that becomes a gradebook key, a folder of autograded/ and feedback/, a
# line of the report and a cell of grades.csv: letters, digits and ._@- only, starting with a letter or a digit (no
# hidden folder, nothing a spreadsheet reads as a formula, no whitespace that nbgrader would strip).
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")

# What a submission may carry besides its notebooks: data files. Nothing Python or IPython would import, execute or
# read as configuration from the folder a kernel starts in (modules, packages' code, compiled extensions, IPython and
# Jupyter configuration, matplotlib's rc file): such a file is left out of grading and reported.
CODE_FILE = re.compile(r"(?i:.*\.(py|pyc|pyo|pyw|pyd|so)(\.\d+)*|(ipython|jupyter)\w*_config\.\w+|matplotlibrc|"
                       r"sitecustomize.*|usercustomize.*|__pycache__)")


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
    flags: list[str] = field(default_factory=list)  # Flag values (labs.grading.flags)
    messages: list[str] = field(default_factory=list)
    # The first failure that may be the machine's rather than the student's (a timeout, a kernel that did not
    # start): ``grade_all`` grades such a submission again, alone, at the end of the run.
    infrastructure_failure: str = ""


def students(course: Course, lab: str) -> list[str]:
    """Students with a submission of ``lab`` in ``submitted/``."""
    submitted = course.submitted()
    if not submitted.is_dir():
        return []
    # A linked submission is listed, so that it is refused and reported rather than silently skipped.
    return sorted(p.name for p in submitted.iterdir() if (p / lab).is_dir() or (p / lab).is_symlink())


def release_notebooks(course: Course, lab: str) -> list[str]:
    return sorted(p.name for p in course.release(lab).glob("*.ipynb"))


def staged(course: Course, lab: str, student: str = "") -> Path:
    """Where grading stages the checked copy of a submission (autograde reads it there, never ``submitted/``)."""
    return course.path(STAGED, lab, student)


def _last_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "unknown error"


def shown(name: str) -> str:
    """A student-chosen name as the report may print it: as is, or escaped when it could forge or garble a line."""
    return name if name.isprintable() else ascii(name)


def linked_submission(course: Course, lab: str, student: str) -> Path | None:
    """``submitted/STUDENT`` or ``submitted/STUDENT/LAB`` when it is a symbolic link (graded, it would be its target)."""
    for folder in (course.submitted(student=student), course.submitted(lab, student)):
        if folder.is_symlink():
            return folder
    return None


def _copy_regular_file(source: Path, target: Path) -> None:
    """Copy one file's bytes, refusing it if it became a link or a special file since it was looked at."""
    descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with open(descriptor, "rb") as reader:
        if not stat.S_ISREG(os.fstat(reader.fileno()).st_mode):
            raise OSError(f"{source} is not a regular file")
        with open(target, "xb") as writer:
            shutil.copyfileobj(reader, writer)


def stage_files(source: Path, target: Path, limit: int) -> dict[str, str]:
    """Copy the regular files and folders under ``source`` to ``target``; return what was left out and why.

    Grading must only ever see what the student handed in, so nothing is followed or opened but regular files:
    a symbolic link (a zip from a learning-management system unpacks them) could point at ``source/``, another
    student's submission or anything on the machine; a FIFO would block the copy and a device could be endless;
    a file above ``limit`` bytes is not read at all. A hard link is a regular file: its bytes are the student's
    choice like any file's and are copied into a new file, so grading never writes through it (a hard link to a
    file outside the submission cannot come from unpacking an archive safely: it needs a shell on this machine).
    """
    left_out = {}
    target.mkdir(parents=True)
    for folder, folders, files in os.walk(source):  # does not descend into linked folders
        for name in sorted(folders + files):
            path = Path(folder) / name
            relative = str(path.relative_to(source))
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                left_out[relative] = f"is a symbolic link (to {shown(os.readlink(path))})"
            elif CODE_FILE.fullmatch(name):
                left_out[relative] = "is code or configuration that Python or IPython would load (a submission carries notebooks and data only)"
                if stat.S_ISDIR(info.st_mode):
                    folders.remove(name)
            elif stat.S_ISDIR(info.st_mode):
                (target / relative).mkdir()
            elif not stat.S_ISREG(info.st_mode):
                left_out[relative] = "is not a regular file (a FIFO, socket or device)"
            elif info.st_size > limit:
                left_out[relative] = f"is {info.st_size:,} bytes, above the limit of {limit:,} (CourseDirectory.max_file_size)"
            else:
                _copy_regular_file(path, target / relative)
    return left_out


def _refuse(result: StudentResult, flag: Flag, message: str) -> None:
    """Put ``flag`` on the result once, and say why."""
    if flag not in result.flags:
        result.flags.append(flag)
    result.messages.append(message)


def stage_submission(course: Course, lab: str, student: str, result: StudentResult) -> None:
    """Copy a submission to the staging area, leaving out notebooks that cannot be read or are not files.

    nbgrader stops grading a student at the first unreadable notebook; without it in the
    copy, that notebook scores 0 as a missing one would and the others are graded.
    A linked notebook or submission folder scores 0 and is flagged ``link`` (see :func:`stage_files`).
    The student's files in ``submitted/`` are never changed.
    """
    target = staged(course, lab, student)
    if target.exists():
        shutil.rmtree(target)
    expected = release_notebooks(course, lab)
    linked = linked_submission(course, lab, student)
    if linked is not None:
        target.mkdir(parents=True)
        _refuse(result, Flag.LINK, f"{linked.relative_to(course.root)} is a symbolic link (to {shown(os.readlink(linked))}): "
                                   "not graded, every notebook scores 0; hand in the files themselves")
        return
    submitted = course.submitted(lab, student)
    # (nbgrader leaves files over CourseDirectory.max_file_size out of its copies; staging applies the same limit to
    # notebooks too, so a 2 GB "notebook" is refused from its size, never read into memory)
    left_out = stage_files(submitted, target, course.max_file_bytes())
    max_cells = sandbox.Limits.from_config(course.load_config()).cells
    for name, why in left_out.items():
        if name in expected:
            continue
        if (submitted / name).is_symlink():
            _refuse(result, Flag.LINK, f"{shown(name)} {why}: left out of grading")
        elif CODE_FILE.fullmatch(Path(name).name):
            _refuse(result, Flag.CODE, f"{shown(name)} {why}: left out of grading")
        else:
            result.messages.append(f"{shown(name)} {why}: left out of grading")
    for name in expected:
        path = target / name
        if name in left_out:
            flag = Flag.LINK if (submitted / name).is_symlink() else Flag.INVALID
            hint = "hand in the notebook itself" if flag is Flag.LINK else "file kept in submitted/"
            _refuse(result, flag, f"{name} {left_out[name]}: not graded (scored 0); {hint}")
            continue
        if not path.is_file():
            _refuse(result, Flag.MISSING, f"{name} is missing from the submission (scored 0)")
            continue
        try:
            nb = nbformat.read(str(path), as_version=4)
            nbformat.validate(nb)
        except Exception as error:  # any unreadable file: bad JSON, empty, not a notebook
            path.unlink()
            reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
            _refuse(result, Flag.INVALID, f"{name} is not a readable notebook ({reason}); scored 0, file kept in submitted/")
            continue
        if len(nb.cells) > max_cells:
            path.unlink()
            _refuse(result, Flag.LIMIT, f"{name} has {len(nb.cells):,} cells, above the grading limit of {max_cells:,} "
                                        "(c.Sandbox.cells): not graded (scored 0)")
    for extra in sorted(target.glob("*.ipynb")):
        if extra.name not in expected:
            result.messages.append(f"{shown(extra.name)} is not part of {lab}; ignored")
        if extra.name not in expected or not extra.is_file():  # a folder named like a notebook would stop nbgrader
            if extra.is_dir():
                shutil.rmtree(extra)
            else:
                extra.unlink()
    for name in expected:
        if (target / name).is_file():
            _drop_duplicate_ids(target / name, result)
    for name in expected:
        if (target / name).is_file():
            released = course.release(lab) / name
            findings = tamper.review_notebook(nbformat.read(str(target / name), as_version=4),
                                              nbformat.read(str(released), as_version=4) if released.is_file() else None)
            if findings:
                listed = "; ".join(str(f) for f in findings[:3]) + (f"; and {len(findings) - 3} more" if len(findings) > 3 else "")
                _refuse(result, Flag.TAMPER, f"{name}: review by hand: {listed}")


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
            _refuse(result, Flag.TAMPER, f"{path.name} cell {index}: a second cell with grade_id {gid}; the copy was ignored")
        seen.add(gid)
    if changed:
        nbformat.write(nb, str(path))


# What jupyter_client and nbclient say when a kernel never became ready to run a cell.
_KERNEL_DID_NOT_START = ("kernel_info", "Kernel didn't respond", "Kernel died before replying", "NoSuchKernel")


@dataclass(frozen=True)
class Failure:
    flag: Flag  # TIMEOUT or CRASH
    why: str  # for the report
    infrastructure: bool  # may be the machine's fault rather than the student's: graded again, alone, once


def classify_failure(text: str, at_start: bool = False) -> Failure | None:
    """What a failure's error text (an exception name, an nbgrader log) says went wrong, or None if unknown.

    A timeout counts as infrastructure: on a saturated machine an honest cell can run past its limit, and only
    running it again alone tells that from the student's own endless loop. So does a kernel that did not start, or
    that died at start-up (``at_start``: in the notebook's first code cell, before any of the student's code ran).
    A kernel that died later died of the student's code (exit, memory, CPU time) and is not retried.
    """
    if "Timeout" in text or "UnresponsiveKernel" in text:
        return Failure(Flag.TIMEOUT, "a cell ran past the time limit and the kernel did not stop", True)
    if any(sign in text for sign in _KERNEL_DID_NOT_START):
        return Failure(Flag.CRASH, "the kernel did not start", True)
    if "DeadKernel" in text or "Kernel died" in text:
        if at_start:
            return Failure(Flag.CRASH, "the kernel died at start-up, before any cell ran", True)
        return Failure(Flag.CRASH, "the kernel died (it exited, or ran out of memory or CPU time)", False)
    return None


def _note_failure(result: StudentResult, failure: Failure, where: str, message: str) -> None:
    """Flag and report a failure; remember the first that may be the machine's, for a retry alone."""
    _refuse(result, failure.flag, message)
    if failure.infrastructure and not result.infrastructure_failure:
        result.infrastructure_failure = f"{where}: {failure.why}"


def _failure_kind(outcome: dict) -> Failure:
    text = f"{outcome.get('error') or ''}\n{outcome.get('log') or ''}"
    return classify_failure(text) or Failure(
        Flag.CRASH, "autograde failed: " + _last_line(outcome.get("error") or outcome.get("log")), False)


def _autograde_notebook_by_notebook(api, lab: str, student: str, names: list[str], result: StudentResult) -> None:
    """After a failed run, grade each notebook on its own so one bad notebook costs only itself."""
    for name in names:
        api.coursedir.notebook_id = Path(name).stem
        try:
            outcome = api.autograde(lab, student, force=True, create=True)
        finally:
            api.coursedir.notebook_id = "*"
        if not outcome.get("success"):
            failure = _failure_kind(outcome)
            _note_failure(result, failure, name, f"{name}: {failure.why}; scored 0")


def inspect_run(course: Course, lab: str, student: str, result: StudentResult) -> None:
    """Flag cells that hit the time limit and kernels that died, from the graded notebooks."""
    for path in sorted(course.autograded(lab, student).glob("*.ipynb")):
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:
            continue
        if PLANTED_KEY in nb.metadata:
            _refuse(result, Flag.TAMPER, f"{path.name}: {nb.metadata[PLANTED_KEY]}; review by hand")
        for index, cell in enumerate(nb.cells):
            cut = [o for o in cell.get("outputs", []) if cell.cell_type == "code" and CUT_MARK in (o.get("text", "") or o.get("evalue", "") or "")]
            if cut:
                text = cut[0].get("text", "") or cut[0].get("evalue", "")
                _refuse(result, Flag.LIMIT, f"{path.name} cell {index}: {text.strip().removeprefix(CUT_MARK).strip()}")
                if cut[0].get("ename") in (NOTEBOOK_TIME_ERROR, NOTEBOOK_CPU_ERROR):
                    break  # every later code cell says the same
        first_code = next((i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"), None)
        for index, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
                if output.get("output_type") != "error":
                    continue
                failure = classify_failure(output.get("ename", ""), at_start=index == first_code)
                if failure is None:
                    continue
                where = f"{path.name} cell {index}"
                _note_failure(result, failure, where, f"{where}: {failure.why}")


_worker_sandbox = None  # this process's sandbox settings (its sandbox user, limits); folders come per submission
_worker_limits = None  # the course's limits those settings were made for
_worker_pid = None  # the process they were made in: a forked pool worker inherits them and must make its own


def _sandbox_settings(course: Course) -> sandbox.Settings:
    """This process's sandbox settings, with the course's limits (made once per worker process and limits).

    The sandbox user is this process's own (``BASE_UID + pid``): a pool worker forked from a process that graded
    before inherits that process's settings, and with them its user, which every worker would then share, so that
    ending one submission's sandbox would kill another's kernels. The settings are made again in each process."""
    global _worker_sandbox, _worker_limits, _worker_pid
    limits = sandbox.Limits.from_config(course.load_config())
    if _worker_sandbox is None or limits != _worker_limits or _worker_pid != os.getpid():
        _worker_sandbox, _worker_limits, _worker_pid = sandbox.worker_settings(limits), limits, os.getpid()
    return _worker_sandbox


def _sandbox_configuration(settings: sandbox.Settings):
    """The nbgrader overrides that run kernels in the sandbox of ``settings`` (one submission's), and the variable
    from which the kernel launcher reads those settings."""
    os.environ[sandbox.SETTINGS_VARIABLE] = settings.to_env()

    def configure(config) -> None:
        sandbox.nbgrader_overrides(settings, config)
        seal_after_execution(config)

    return configure


def seal_after_execution(config) -> None:
    """Add :class:`SealNotebookFolder` to autograde's steps, last: after the kernel ran, before nbgrader writes; run
    the notebook with :class:`labs.grading.limits.LimitedExecute` in place of nbgrader's Execute."""
    from nbgrader.converters import Autograde

    from nbgrader.preprocessors import Execute

    from labs.grading.limits import LimitedExecute

    default = Autograde.class_traits()["autograde_preprocessors"].default()
    steps = [LimitedExecute if step is Execute else step
             for step in config.Autograde.get("autograde_preprocessors", default) if step is not SealNotebookFolder]
    config.Autograde.autograde_preprocessors = [*steps, SealNotebookFolder]


class SealNotebookFolder(NbGraderPreprocessor):
    """After a notebook ran in the sandbox: take its folder back from the sandbox user, then clear the notebook's path.

    The kernel works in the notebook's folder in ``autograded/`` and could replace the notebook by a link to any path
    (dangling inside the sandbox, not outside); nbgrader then writes the graded notebook as the grader, following
    links, over that path. Once the folder is the grader's again (not writable by the sandbox user, whose left-over
    processes may still run), nothing more can be planted there, and a link or special file at the notebook's path
    is removed, so the graded notebook is written as a new regular file. It is reported by :func:`inspect_run`.
    """

    def preprocess(self, nb, resources):
        folder = Path(resources["metadata"]["path"])
        if os.geteuid() == 0:  # the sandbox runs kernels as another user only when grading as root
            os.chown(folder, os.geteuid(), os.getegid(), follow_symlinks=False)
            os.chmod(folder, 0o755)
        target = folder / f"{resources['unique_key']}.ipynb"
        if target.is_symlink() or (target.exists() and not target.is_file()):
            planted = f"a symbolic link (to {shown(os.readlink(target))})" if target.is_symlink() else "a special file"
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink()
            nb.metadata[PLANTED_KEY] = f"the notebook's code replaced its own file by {planted}; removed, not written through"
        return nb, resources


def _give_back(folder: Path) -> None:
    """Return a folder the sandbox user wrote in to the grader's user."""
    if os.geteuid() != 0 or not folder.exists():
        return
    uid, gid = os.geteuid(), os.getegid()
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, uid, gid, follow_symlinks=False)


def grade_student(course: Course, lab: str, student: str, sandboxed: bool = True) -> StudentResult:
    """Autograde one student's submission and generate their feedback (runs in a worker process)."""
    # nbgrader's own bookkeeping warns about detached database objects on every run; it is harmless.
    warnings.filterwarnings("ignore", message=".*not in session.*")
    result = StudentResult(student, lab)
    if not STUDENT_ID.fullmatch(student):
        result.graded = False
        _refuse(result, Flag.INVALID, f"the folder submitted/{shown(student)} is not a student id (letters, digits and "
                                      "._@- only, starting with a letter or digit): not graded; rename it")
        return result
    stage_submission(course, lab, student, result)
    notebooks = sorted(p.name for p in staged(course, lab, student).glob("*.ipynb"))
    if not notebooks:  # nothing gradable: every notebook is missing or unreadable, already reported
        result.graded = False
        _forget_earlier_run(course, lab, student)
        return result
    with contextlib.ExitStack() as stack:
        configure = None
        if sandboxed:  # this submission's own folders; its sandbox is ended and checked gone on the way out
            state = stack.enter_context(sandbox.submission(_sandbox_settings(course)))
            configure = _sandbox_configuration(state.settings)
        api = course.api(submitted_directory=STAGED, configure=configure)
        outcome = api.autograde(lab, student, force=True, create=True)
        if not outcome.get("success"):
            _autograde_notebook_by_notebook(api, lab, student, notebooks, result)
        kernel_errors = kernel_log_tails(state.settings.private_dir) if sandboxed else []
        for flag, line in grader_notes(state.settings.private_dir) if sandboxed else []:
            _refuse(result, flag, line)
    if sandboxed and state.oom_kills:
        limit = state.settings.limits.sandbox_memory_bytes / 1024**3
        _refuse(result, Flag.LIMIT, f"the sandbox ran out of memory ({limit:g} GB for all its processes and /tmp "
                                    f"together, c.Sandbox.sandbox_memory_bytes): the kernel killed {state.oom_kills} "
                                    "process(es); a notebook whose kernel died lost the cells after it")
    if sandboxed and state.leftovers:
        _refuse(result, Flag.CRASH, f"{len(state.leftovers)} process(es) of the sandbox could not be stopped; "
                                    "graded, but tell the course's administrators")
    _give_back(course.autograded(lab, student))  # (nothing of the sandbox runs any more)
    remove_planted_files(course.autograded(lab, student), result, notebooks)
    restore_bookkeeping(staged(course, lab, student), course.autograded(lab, student))
    inspect_run(course, lab, student, result)
    if kernel_errors and any("did not start" in m or "died at start-up" in m for m in result.messages):
        result.messages.insert(0, "the kernel's own error: " + " | ".join(kernel_errors))
    if any((course.autograded(lab, student) / name).is_file() for name in notebooks):
        feedback = api.generate_feedback(lab, student, force=True)
        if not feedback.get("success"):
            result.flags.append(Flag.NO_FEEDBACK)
            result.messages.append("feedback failed: " + _last_line(feedback.get("error") or feedback.get("log")))
    return result


def remove_planted_files(folder: Path, result: StudentResult, notebooks: list[str] | None = None) -> None:
    """Leave only the graded notebooks in a graded folder, before feedback; report the links and special files.

    The kernel works in ``autograded/STUDENT/LAB``, and nbgrader's feedback step copies every other file of that
    folder into ``feedback/`` as the grader, following links: a link planted there to ``source/`` or the gradebook
    would put their content in the student's feedback, a FIFO would block the copy, and a file the kernel wrote while
    a hidden test ran (the test's source, read back through ``linecache``) would hand the hidden tests out. So every
    file but the graded notebooks (``notebooks``; all notebooks when None) is removed; links and special files are
    flagged ``tamper``, files the notebooks wrote are not (writing files is allowed), and none is copied to feedback.
    """
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*"), reverse=True):  # does not descend into linked folders; children first
        relative = str(path.relative_to(folder))
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            what = f"a symbolic link (to {shown(os.readlink(path))})" if path.is_symlink() else "a special file"
            path.unlink()
            _refuse(result, Flag.TAMPER, f"{shown(relative)}: the notebook's code left {what} "
                                         "in its folder; removed before feedback, review by hand")
        elif relative.endswith(".ipynb") and "/" not in relative and (notebooks is None or relative in notebooks):
            continue
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


KERNEL_LOG_TAIL = 300  # characters of each kernel log quoted when a kernel did not start


def grader_notes(private_dir: str) -> list[tuple[Flag, str]]:
    """What the grader noted while the submission ran (:func:`labs.grading.limits.note`): a limit that ended the
    sandbox, a failed integrity probe."""
    path = Path(private_dir) / GRADER_NOTES
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return []
    notes = []
    with os.fdopen(descriptor, "r", errors="replace") as handle:
        for line in handle.read(64 * 1024).splitlines():
            flag, _, what = line.partition("\t")
            if flag in {Flag.LIMIT.value, Flag.TAMPER.value} and what.strip():
                notes.append((Flag(flag), what.strip()))
    return notes


def kernel_log_tails(private_dir: str) -> list[str]:
    """The last distinct lines of the kernel logs in a submission's private folder (the launcher's and the sandbox's
    own errors, such as an interpreter the sandbox cannot see), escaped for the report; links are not followed."""
    distinct: list[str] = []
    for path in sorted(Path(private_dir).glob("*.log")) if private_dir else []:
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(descriptor, "rb") as handle:
                handle.seek(max(0, os.fstat(handle.fileno()).st_size - 4 * KERNEL_LOG_TAIL))
                text = handle.read(4 * KERNEL_LOG_TAIL).decode(errors="replace")
        except OSError:
            continue
        for line in (line.strip() for line in text.splitlines()):
            if line and line not in distinct:
                distinct.append(line)
    return [shown(line[-KERNEL_LOG_TAIL:]) for line in distinct[-3:]]


# nbgrader's own files beside a submission's notebooks: feedback copies them, and releasing feedback reads both (the
# submission time names the student's feedback folder, the secret names the released files).
BOOKKEEPING = ("timestamp.txt", "submission_secret.txt")
BOOKKEEPING_BYTES = 4096


def restore_bookkeeping(source: Path, folder: Path) -> None:
    """Put nbgrader's bookkeeping files back into a graded folder, copied from the grader's staged copy.

    :func:`remove_planted_files` removed them with everything else the kernel could have rewritten; the staged copy
    was made before any of the student's code ran, is the grader's, and is never seen by the sandbox. Only regular
    files are read (never through a link), and only their first few bytes: they are a date and a random hex string.
    """
    if not folder.is_dir():
        return
    for name in BOOKKEEPING:
        try:
            descriptor = os.open(source / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                continue
            content = handle.read(BOOKKEEPING_BYTES)
        (folder / name).write_bytes(content)


def _forget_earlier_run(course: Course, lab: str, student: str) -> None:
    """Drop an earlier run's grades and files, so they are not reported as this run's, and make sure the student is
    in the gradebook (a student whose only notebook is unreadable still gets a row of 0 in the export)."""
    from nbgrader.api import MissingEntry

    if not STUDENT_ID.fullmatch(student):  # never a gradebook row or a path for a refused folder name
        return
    with course.gradebook() as gb:
        try:
            gb.remove_submission(lab, student)
        except MissingEntry:
            pass
        gb.update_or_create_student(student)  # known to the gradebook, so the export gives them a row of 0
    for stage in ("autograded", "feedback"):
        shutil.rmtree(course.folder(stage, lab, student), ignore_errors=True)


def _fill_scores(course: Course, results: list[StudentResult]) -> None:
    from nbgrader.api import MissingEntry

    with course.gradebook() as gb:
        for result in results:
            try:
                if not result.graded:
                    raise MissingEntry()
                submission = gb.find_submission(result.lab, result.student)
            except MissingEntry:  # nothing of this student could be graded: every notebook scores 0
                if not NOT_GRADED & set(result.flags):
                    result.flags.append(Flag.CRASH)
                result.max_score = gb.find_assignment(result.lab).max_score
                result.max_autograded = gb.find_assignment(result.lab).max_code_score
                continue
            result.late_penalty = submission.late_submission_penalty or 0.0
            result.score = max(0.0, submission.score - result.late_penalty)  # nbgrader's score is before the penalty
            result.max_score = submission.max_score
            result.autograded = submission.code_score
            result.max_autograded = submission.max_code_score
            result.needs_manual_grade = submission.needs_manual_grade


def export_grades(course: Course) -> Path:
    """Write every grade in the gradebook to ``GRADES_FILE`` (nbgrader's CSV exporter); the last step of a run."""
    from nbgrader.plugins.export import CsvExportPlugin

    target = course.root / GRADES_FILE
    with course.gradebook() as gb:
        CsvExportPlugin(to=str(target)).export(gb)
    return target


def ensure_released(course: Course, lab: str) -> None:
    from nbgrader.api import MissingEntry

    message = f"{lab} is not in this course's gradebook: run `python -m labs release {lab}` first"
    if not course.has_gradebook():
        raise NbgraderFailed(message)
    with course.gradebook() as gb:
        try:
            gb.find_assignment(lab)
        except MissingEntry:
            raise NbgraderFailed(message) from None


def prepare_sandbox(course: Course) -> Path:
    """Check that kernels can be sandboxed here, with the course's limits; install the sandbox kernelspec and return
    the Jupyter data folder that holds it (for ``JUPYTER_PATH``)."""
    sandbox.Limits.from_config(course.load_config())  # a wrong limit stops the run here, before anything is graded
    sandbox.check_available()
    jupyter_dir = course.root / STAGING / "jupyter"
    sandbox.install_kernelspec(jupyter_dir)
    return jupyter_dir


@contextlib.contextmanager
def grading_environment(course: Course, sandboxed: bool):
    """Every change a grading run makes to the environment, made here and undone on the way out.

    Pool workers, nbgrader and the kernels inherit this process's environment: one BLAS thread a kernel (unless the
    caller set one), the sandbox's kernelspec first on ``JUPYTER_PATH`` (after :func:`prepare_sandbox` checked that a
    sandbox can be made), where the canary's CPU calibration lives (:mod:`labs.grading.cpu_time`), and a scratch folder for
    kernel sockets and logs (``RUN_DIR_VARIABLE``, removed at the end;
    in ``/tmp`` where it can be, as a socket's path may not exceed 107 bytes). The sandbox settings a sequential run
    records for its kernels (``SETTINGS_VARIABLE``) are restored too.
    """
    changes = {name: os.environ.get(name, value) for name, value in PARALLEL_KERNEL_ENV.items()}
    if sandboxed:
        jupyter_dir = str(prepare_sandbox(course))
        paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p and p != jupyter_dir]
        changes["JUPYTER_PATH"] = os.pathsep.join([jupyter_dir, *paths])
    scratch = tempfile.mkdtemp(prefix="c6248-", dir="/tmp" if os.access("/tmp", os.W_OK) else None)
    changes[sandbox.RUN_DIR_VARIABLE] = scratch
    changes[cpu_time.CALIBRATION_VARIABLE] = str(cpu_time.calibration_folder(course.root))
    saved = {name: os.environ.get(name) for name in [*changes, sandbox.SETTINGS_VARIABLE]}
    os.environ.update(changes)
    try:
        yield scratch
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(scratch, ignore_errors=True)


def grade(course: Course, lab: str, jobs: int | None = None, sandboxed: bool = True, canary: bool = True) -> list[StudentResult]:
    """Autograde and give feedback to every student of ``lab``, ``jobs`` students at a time; export every grade.

    Student code runs in the bubblewrap sandbox unless ``sandboxed`` is False; when no sandbox
    can be made, this raises :class:`labs.grading.sandbox.SandboxUnavailable` rather than run it unconfined.
    """
    return grade_all(course, [lab], jobs, sandboxed, canary=canary)


def grade_all(course: Course, labs: list[str], jobs: int | None = None, sandboxed: bool = True,
              progress: Callable[[str], None] | None = None, canary: bool = True) -> list[StudentResult]:
    """Grade every submission of every lab in ``labs`` in one pool of ``jobs`` workers.

    First, unless ``canary`` is False, each lab's model solution is graded the same way (:mod:`labs.grading.canary`): if it
    loses a point, :class:`labs.grading.canary.CanaryFailed` says why and nothing of the class is graded.

    One pool for the whole course keeps every core busy until the last submission, where grading lab by lab
    leaves cores idle at the end of each lab. Results come in the order of ``labs``, then students;
    ``progress`` is told of each graded submission as it finishes.

    A submission whose grading met an infrastructure failure (:func:`classify_failure`: a timeout, a kernel that did
    not start) is graded again at the end, alone, with the same per-cell limit, and the second run's grades are
    the ones kept and reported; only a second failure scores 0. A student's own endless loop therefore costs one
    more timeout, alone, at the end of the run.

    Last, every grade of the gradebook (this run's and earlier ones) is exported to ``GRADES_FILE``.
    """
    for lab in labs:
        ensure_released(course, lab)
    tasks = [(lab, student) for lab in labs for student in students(course, lab)]
    canaries = sorted({lab for lab, _ in tasks}, key=labs.index) if canary else []
    start = time.perf_counter()

    def report(done: int, result: StudentResult) -> None:
        if progress is not None:
            flags = f" [{','.join(result.flags)}]" if result.flags else ""
            progress(f"[{done}/{len(tasks)}] graded {result.lab} for {result.student}{flags} ({time.perf_counter() - start:.0f} s)")

    with grading_environment(course, sandboxed):
        if canaries and progress is not None:
            progress(f"grading the model solution of {', '.join(canaries)} first (the canary; --no-canary skips it)")
        results = _grade_submissions(course, tasks, canaries, jobs, sandboxed, report)
        results = [_retry_alone(course, first, sandboxed, progress) if first.infrastructure_failure else first
                   for first in results]
    _fill_scores(course, results)
    export_grades(course)
    return results


def _grade_submissions(course: Course, tasks: list[tuple[str, str]], canaries: list[str], jobs: int | None, sandboxed: bool,
                       report: Callable[[int, StudentResult], None]) -> list[StudentResult]:
    """The canaries, then every (lab, student) of ``tasks``, ``jobs`` at a time; results in the order of ``tasks``."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    if jobs == 1 or len(tasks) <= 1:
        for lab in canaries:
            canary_check(course, lab, sandboxed)
        results = []
        for lab, student in tasks:
            results.append(grade_student(course, lab, student, sandboxed))
            report(len(results), results[-1])
        return results
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        # (in the pool: a worker's sandbox settings are its own, never copied from this process by a fork)
        for check in [pool.submit(canary_check, course, lab, sandboxed) for lab in canaries]:
            check.result()
        futures = {pool.submit(grade_student, course, lab, student, sandboxed): (lab, student) for lab, student in tasks}
        finished = {}
        for future in as_completed(futures):
            finished[futures[future]] = future.result()
            report(len(finished), finished[futures[future]])
    return [finished[task] for task in tasks]


def _retry_alone(course: Course, first: StudentResult, sandboxed: bool,
                 progress: Callable[[str], None] | None) -> StudentResult:
    """Grade a submission again, alone, after an infrastructure failure; its grades replace the first run's."""
    if progress is not None:
        progress(f"grading {first.lab} for {first.student} again, alone, after {first.infrastructure_failure}")
    again = grade_student(course, first.lab, first.student, sandboxed)
    again.messages.insert(0, f"retried alone after {first.infrastructure_failure}; these are the second run's grades")
    again.infrastructure_failure = ""  # retried once: a second failure stands
    return again


def format_report(results: list[StudentResult]) -> str:
    """A table with one row per student: autograded and total score, flags and what went wrong."""
    if not results:
        return "no submissions"
    width = max(len("student"), *(len(shown(r.student)) for r in results))
    lines = [f"{'student':<{width}}  {'lab':<5}  {'auto':>11}  {'total':>11}  {'late':>5}  flags"]
    for r in results:
        flags = ",".join(r.flags + ([Flag.MANUAL] if r.needs_manual_grade else [])) or "-"
        lines.append(
            f"{shown(r.student):<{width}}  {r.lab:<5}  {r.autograded:5.1f}/{r.max_autograded:<5.1f}"
            f"  {r.score:5.1f}/{r.max_score:<5.1f}  {-r.late_penalty if r.late_penalty else 0.0:5.1f}  {flags}"
        )
        lines += [f"{'':<{width}}    ! {m}" for m in r.messages]
    lines.append("total is after the late penalty. " + legend())
    return "\n".join(lines)


def set_deadline(course: Course, lab: str, when) -> None:
    """Record ``when`` (a naive UTC or aware datetime) as the due date of ``lab`` in the gradebook."""
    ensure_released(course, lab)
    with course.gradebook() as gb:
        gb.update_or_create_assignment(lab, duedate=when)
