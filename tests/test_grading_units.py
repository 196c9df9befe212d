"""Kernel-free checks of the grading chain's decisions: staging, the failure classifier, retries, feedback, report.

Each builds a bare course in ``tmp_path`` (the configuration and the tiny lab's notebook in ``release/``) and calls
one step directly; none starts a kernel, so they run in the quick layer.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from labs.course import CONFIG_FILE, Course
from labs.grading import feedback
from labs.grading import pipeline as grading
from tests.conftest import ROOT
from tests.tinylab import LAB, NOTEBOOK, WRONG_SQUARE, meta, tiny_source


@pytest.fixture
def course(tmp_path) -> Path:
    """A bare course: the configuration, the tiny lab in source/ and release/, and an honest student's submission."""
    (tmp_path / CONFIG_FILE).write_text((ROOT / CONFIG_FILE).read_text())
    for stage in ("source", "release"):
        (tmp_path / stage / LAB).mkdir(parents=True)
        nbformat.write(tiny_source(), str(tmp_path / stage / LAB / NOTEBOOK))
    hand_in(tmp_path, "honest")
    return tmp_path


def hand_in(course: Path, student: str, square: str | None = None) -> Path:
    folder = course / "submitted" / student / LAB
    folder.mkdir(parents=True)
    nb = tiny_source()
    if square is not None:
        next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "lab99-square").source = square
    nbformat.write(nb, str(folder / NOTEBOOK))
    return folder


def stage(course: Path, student: str) -> tuple[grading.StudentResult, Path]:
    result = grading.StudentResult(student, LAB)
    grading.stage_submission(Course(course), LAB, student, result)
    return result, course / grading.STAGING / "submitted" / student / LAB


def test_an_honest_submission_is_staged_as_a_copy(course):
    result, staged = stage(course, "honest")
    assert (result.flags, result.messages) == ([], [])
    original = course / "submitted" / "honest" / LAB / NOTEBOOK
    assert (staged / NOTEBOOK).read_bytes() == original.read_bytes()
    assert not (staged / NOTEBOOK).samefile(original)


def test_unreadable_missing_and_extra_notebooks(course):
    folder = hand_in(course, "mixed")
    (folder / NOTEBOOK).write_text('{"cells": [ not json')
    (folder / "2_extra.ipynb").write_text("{}")
    result, staged = stage(course, "mixed")
    assert result.flags == ["invalid"] and "not a readable notebook" in result.messages[0]
    assert "2_extra.ipynb is not part of lab99; ignored" in result.messages
    assert list(staged.glob("*.ipynb")) == [] and (folder / NOTEBOOK).is_file()  # submitted/ is kept
    (folder / NOTEBOOK).unlink()
    result, _ = stage(course, "mixed")
    assert result.flags == ["missing"] and result.messages[0] == f"{NOTEBOOK} is missing from the submission (scored 0)"


def test_a_duplicated_grade_id_keeps_the_first_cell_only(course):
    folder = hand_in(course, "copier")
    nb = nbformat.read(str(folder / NOTEBOOK), as_version=4)
    nb.cells.append(new_code_cell("pass", metadata=meta("lab99-square-tests", grade=True, locked=True, points=1)))
    nbformat.write(nb, str(folder / NOTEBOOK))
    result, staged = stage(course, "copier")
    assert result.flags == ["tamper"] and "a second cell with grade_id lab99-square-tests" in result.messages[0]
    cells = nbformat.read(str(staged / NOTEBOOK), as_version=4).cells
    assert [c.source for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "lab99-square-tests"] == [
        tiny_source().cells[5].source]


@pytest.mark.parametrize("target", ["absolute-to-source", "relative-to-other-student"])
def test_a_linked_notebook_scores_zero_and_says_why(course, target):
    folder = course / "submitted" / "linker" / LAB
    folder.mkdir(parents=True)
    pointed = (course / "source" / LAB / NOTEBOOK if target == "absolute-to-source"
               else Path("..", "..", "honest", LAB, NOTEBOOK))
    (folder / NOTEBOOK).symlink_to(pointed)
    assert (folder / NOTEBOOK).is_file()  # the link resolves: graded through it, it would earn the target's points
    result, staged = stage(course, "linker")
    assert result.flags == ["link"]
    assert result.messages == [f"{NOTEBOOK} is a symbolic link (to {pointed}): not graded (scored 0); "
                               "hand in the notebook itself"]
    assert not (staged / NOTEBOOK).exists() and not (staged / NOTEBOOK).is_symlink()


@pytest.mark.parametrize("linked", ["student-folder", "lab-folder"])
def test_a_linked_submission_folder_is_refused_whole(course, linked):
    if linked == "student-folder":
        (course / "submitted" / "linker").symlink_to(course / "submitted" / "honest")
    else:
        (course / "submitted" / "linker").mkdir()
        (course / "submitted" / "linker" / LAB).symlink_to(Path("..", "honest", LAB))
    assert "linker" in grading.students(Course(course), LAB)  # listed, so that it is reported
    result, staged = stage(course, "linker")
    assert result.flags == ["link"] and "is a symbolic link" in result.messages[0], result.messages
    assert staged.is_dir() and not staged.is_symlink() and list(staged.iterdir()) == []


def test_links_inside_a_submission_are_left_out(course):
    folder = hand_in(course, "linker")
    (folder / "data").symlink_to(course / "source")
    (folder / "answers.py").symlink_to(Path("..", "..", "honest", LAB, NOTEBOOK))
    (folder / "sub").mkdir()
    (folder / "sub" / "deep").symlink_to("/etc")
    (folder / "sub" / "notes.txt").write_text("mine")
    result, staged = stage(course, "linker")
    assert result.flags == ["link"]
    assert sorted(m.split(" ")[0] for m in result.messages) == ["answers.py", "data", "sub/deep"]
    assert (staged / NOTEBOOK).is_file() and (staged / "sub" / "notes.txt").read_text() == "mine"
    assert [p for p in staged.rglob("*") if p.is_symlink()] == []


def test_special_files_do_not_block_staging(course):
    folder = hand_in(course, "special")
    (folder / NOTEBOOK).unlink()
    os.mkfifo(folder / NOTEBOOK)  # opening it for reading would wait for a writer forever
    os.mkfifo(folder / "pipe")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "socket"))
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("result", stage(course, "special")[0]), daemon=True)
    worker.start()
    worker.join(timeout=30)
    server.close()
    assert not worker.is_alive(), "staging blocked on a special file"
    result = outcome["result"]
    assert result.flags == ["invalid"] and "is not a regular file" in result.messages[-1], result.messages
    assert sum("not a regular file" in m for m in result.messages) == 3


def test_a_huge_notebook_is_refused_without_being_read(course):
    folder = hand_in(course, "huge")
    with open(folder / NOTEBOOK, "r+b") as handle:
        handle.truncate(2 * 10**9)  # sparse: 2 GB to stat, nothing on disk; reading it would take 2 GB of memory
    result, staged = stage(course, "huge")
    assert Course(course).max_file_bytes() == 100 * 10**6  # nbgrader's default CourseDirectory.max_file_size
    assert result.flags == ["invalid"] and "2,000,000,000 bytes, above the limit of 100,000,000" in result.messages[0]
    assert not (staged / NOTEBOOK).exists()


def test_a_hard_linked_notebook_is_graded_as_its_bytes_in_a_copy(course):
    folder = course / "submitted" / "hard" / LAB
    folder.mkdir(parents=True)
    os.link(course / "submitted" / "honest" / LAB / NOTEBOOK, folder / NOTEBOOK)
    result, staged = stage(course, "hard")
    assert result.flags == []
    assert (staged / NOTEBOOK).stat().st_nlink == 1  # grading works on a copy: it can never write through the link
    assert (staged / NOTEBOOK).read_bytes() == (folder / NOTEBOOK).read_bytes()


@pytest.mark.parametrize("name", ["ab1g23", "jo.smith@uni.ac.uk", "reads-source", "A_1"])
def test_ordinary_student_ids_are_accepted(name):
    assert grading.STUDENT_ID.fullmatch(name)


@pytest.mark.parametrize("name", [".hidden", "-rf", "=HYPERLINK(1)", "a b", "trailing ", "new\nline", "é", "x" * 65])
def test_odd_student_ids_are_refused_before_grading(course, name):
    hand_in(course, name)
    result = grading.grade_student(Course(course), LAB, name, sandboxed=False)  # returns before any kernel or gradebook
    assert (result.graded, result.flags) == (False, ["invalid"]) and "is not a student id" in result.messages[0]
    assert not (course / grading.STAGING).exists()
    grading._forget_earlier_run(Course(course), LAB, name)
    assert not (course / "gradebook.db").exists()
    report = grading.format_report([result])
    assert len(report.splitlines()) == 4  # header, row, message, legend: a name cannot forge a line
    assert grading.shown(name) in report


def test_odd_notebook_names_are_escaped_in_the_report(course):
    folder = hand_in(course, "names")
    (folder / "x\nhonest  lab99  2.0 of 2.0.ipynb").write_text("{}")
    result, _ = stage(course, "names")
    assert len(grading.format_report([result]).splitlines()) == 4
    assert result.messages == ["'x\\nhonest  lab99  2.0 of 2.0.ipynb' is not part of lab99; ignored"]


# The failure classifier.

@pytest.mark.parametrize(("text", "at_start", "flag", "infrastructure"), [
    ("CellTimeoutError", False, "timeout", True),
    ("nbclient.exceptions.CellTimeoutError: A cell timed out", False, "timeout", True),
    ("RuntimeError: Kernel died before replying to kernel_info", False, "crash", True),
    ("RuntimeError: Kernel didn't respond in 60 seconds", False, "crash", True),
    ("DeadKernelError", True, "crash", True),
    ("DeadKernelError", False, "crash", False),
])
def test_classify_failure(text, at_start, flag, infrastructure):
    failure = grading.classify_failure(text, at_start)
    assert (failure.flag, failure.infrastructure) == (flag, infrastructure)


def test_an_unknown_failure_is_a_crash_that_is_not_retried():
    assert grading.classify_failure("AssertionError") is None
    failure = grading._failure_kind({"error": "Traceback ...\nValueError: bad metadata"})
    assert (failure.flag, failure.infrastructure) == ("crash", False)
    assert failure.why == "autograde failed: ValueError: bad metadata"


def _graded(course: Path, student: str, errors: dict[int, str]) -> None:
    """autograded/STUDENT/LAB with an error output named ``errors[index]`` in those cells."""
    nb = tiny_source()
    for index, ename in errors.items():
        nb.cells[index].outputs = [new_output("error", ename=ename, evalue="", traceback=[])]
    (course / "autograded" / student / LAB).mkdir(parents=True)
    nbformat.write(nb, str(course / "autograded" / student / LAB / NOTEBOOK))


def test_inspect_run_marks_start_up_deaths_and_timeouts_for_a_retry(course):
    _graded(course, "late-death", {4: "DeadKernelError", 3: "AssertionError"})
    late = grading.StudentResult("late-death", LAB)
    grading.inspect_run(Course(course), LAB, "late-death", late)
    assert (late.flags, late.infrastructure_failure) == (["crash"], "")  # the student's own code killed it
    _graded(course, "start-death", {1: "DeadKernelError"})
    start = grading.StudentResult("start-death", LAB)
    grading.inspect_run(Course(course), LAB, "start-death", start)
    assert start.flags == ["crash"] and start.infrastructure_failure == f"{NOTEBOOK} cell 1: the kernel died at start-up, before any cell ran"
    _graded(course, "slow", {5: "CellTimeoutError"})
    slow = grading.StudentResult("slow", LAB)
    grading.inspect_run(Course(course), LAB, "slow", slow)
    assert slow.flags == ["timeout"] and slow.infrastructure_failure.startswith(f"{NOTEBOOK} cell 5: a cell ran past")


def test_staging_refusals_are_never_retried(course):
    folder = hand_in(course, "refused")
    (folder / NOTEBOOK).unlink()
    (folder / NOTEBOOK).symlink_to(course / "source" / LAB / NOTEBOOK)
    result, _ = stage(course, "refused")
    assert result.flags == ["link"] and result.infrastructure_failure == ""


# Retrying infrastructure failures once, alone, at the end of the run.

@pytest.fixture
def fake_run(course, monkeypatch):
    """grade_all with grade_student replaced: ``outcomes[student]`` lists each run's (flags, infrastructure failure)."""
    calls, outcomes, filled = [], {}, []

    def grade_student(course, lab, student, sandboxed=True):
        calls.append(student)
        flags, failure = outcomes.get(student, [([], "")])[sum(s == student for s in calls) - 1]
        return grading.StudentResult(student, lab, flags=list(flags), messages=[f"run {len(calls)}"],
                                     infrastructure_failure=failure)

    monkeypatch.setattr(grading, "grade_student", grade_student)
    monkeypatch.setattr(grading, "ensure_released", lambda course, lab: None)
    monkeypatch.setattr(grading, "_fill_scores", lambda course, results: filled.extend(results))
    for student in ("ada", "bob"):
        hand_in(course, student)
    return dict(course=course, calls=calls, outcomes=outcomes, filled=filled)


def test_a_timeout_is_graded_again_alone_at_the_end(fake_run):
    fake_run["outcomes"]["bob"] = [(["timeout"], "1_tiny.ipynb cell 5: a cell ran past the time limit"), ([], "")]
    progress = []
    results = grading.grade_all(Course(fake_run["course"]), [LAB], jobs=1, sandboxed=False, progress=progress.append, canary=False)
    assert fake_run["calls"] == ["ada", "bob", "honest", "bob"]
    bob = next(r for r in results if r.student == "bob")
    assert bob.flags == [] and bob.messages == [
        "retried alone after 1_tiny.ipynb cell 5: a cell ran past the time limit; these are the second run's grades",
        "run 4"]
    assert fake_run["filled"] == results  # the scores are read for the second run's result
    assert any("again, alone" in line for line in progress)


def test_a_second_failure_stands_and_nothing_else_is_retried(fake_run):
    fake_run["outcomes"]["bob"] = [(["timeout"], "first"), (["timeout"], "second")]
    fake_run["outcomes"]["ada"] = [(["invalid", "missing", "tamper", "link", "crash"], "")]
    results = grading.grade_all(Course(fake_run["course"]), [LAB], jobs=1, sandboxed=False, canary=False)
    assert fake_run["calls"] == ["ada", "bob", "honest", "bob"]
    bob = next(r for r in results if r.student == "bob")
    assert bob.flags == ["timeout"] and bob.messages[0].startswith("retried alone after first;")


# Feedback hides the hidden tests.

def test_hidden_blocks_are_replaced_by_a_note():
    source = ("visible()\n### BEGIN HIDDEN TESTS\nsecret_a()\n### END HIDDEN TESTS\nmiddle()\n"
              "### BEGIN HIDDEN TESTS\nsecret_b()\n### END HIDDEN TESTS\nlast()")
    hidden = feedback.hide_hidden_block(source)
    assert "secret" not in hidden and hidden.count(feedback.HIDDEN_NOTE) == 2
    assert ["visible()", "middle()", "last()"] == [line for line in hidden.splitlines() if line.endswith("()")]
    assert feedback.hide_hidden_block("a()\n### BEGIN HIDDEN TESTS\nsecret()") == "a()\n" + feedback.HIDDEN_NOTE


def test_feedback_keeps_the_error_message_and_drops_the_traceback():
    nb = tiny_source()
    nb.cells[5].outputs = [new_output("error", ename="AssertionError", evalue="square(3) should be 9",
                                      traceback=["  File cell, line 3", "assert square(-4) == 16  # hidden line"])]
    answer = nb.cells[4]
    answer.source = WRONG_SQUARE + "### BEGIN HIDDEN TESTS\nnot a test cell\n### END HIDDEN TESTS"
    shown_nb, _ = feedback.HideHiddenTests().preprocess(nb, {})
    test_cell = shown_nb.cells[5]
    assert "assert_close(square" not in test_cell.source and feedback.HIDDEN_NOTE in test_cell.source
    assert test_cell.outputs[0]["traceback"] == ["AssertionError: square(3) should be 9"]
    assert "not a test cell" in shown_nb.cells[4].source  # only test cells are rewritten


# The report.

def test_the_report_shows_scores_flags_reasons_and_a_legend_for_every_flag():
    results = [grading.StudentResult("honest", LAB, score=2, max_score=2, autograded=2, max_autograded=2),
               grading.StudentResult("linker", LAB, max_score=2, max_autograded=2, flags=["link", "tamper"],
                                     messages=["1_tiny.ipynb is a symbolic link (to x): not graded (scored 0)"],
                                     needs_manual_grade=True, late_penalty=0.5)]
    lines = grading.format_report(results).splitlines()
    assert lines[1].split() == ["honest", "lab99", "2.0/2.0", "2.0/2.0", "0.0", "-"]
    assert lines[2].split() == ["linker", "lab99", "0.0/2.0", "0.0/2.0", "-0.5", "link,tamper,manual"]
    assert lines[3].strip() == "! 1_tiny.ipynb is a symbolic link (to x): not graded (scored 0)"
    for flag in ("missing", "invalid", "link", "timeout", "crash", "tamper", "manual"):
        assert f"{flag} " in lines[-1] or f"{flag} =" in lines[-1], flag
    assert grading.format_report([]) == "no submissions"



def test_a_linked_submission_folder_is_not_read_through_for_a_cluster_worker(course, monkeypatch):
    import contextlib

    from nbgrader.api import MissingEntry

    from labs.grading import cluster as grading_cluster

    class NoSubmissions:  # the course has no gradebook: no student has an extension
        def find_submission(self, lab, student):
            raise MissingEntry()

    monkeypatch.setattr(Course, "gradebook", lambda self: contextlib.nullcontext(NoSubmissions()))
    (course / "submitted" / "linker").symlink_to(course / "submitted" / "honest")
    task = grading_cluster.student_task(Course(course), LAB, "linker", sandboxed=False, task_timeout=10)
    assert (grading_cluster._unpack(task["files"]), task["links"]) == ({}, {})
    honest = grading_cluster.student_task(Course(course), LAB, "honest", sandboxed=False, task_timeout=10)
    assert list(grading_cluster._unpack(honest["files"])) == [NOTEBOOK]


def test_links_and_special_files_planted_by_a_kernel_are_removed_before_feedback(course):
    graded = course / "autograded" / "planter" / LAB
    (graded / "sub").mkdir(parents=True)
    nbformat.write(tiny_source(), str(graded / NOTEBOOK))
    (graded / "solution.txt").symlink_to(course / "source" / LAB / NOTEBOOK)
    (graded / "sub" / "db").symlink_to(course / "gradebook.db")
    os.mkfifo(graded / "pipe")
    (graded / "plot.png").write_bytes(b"png")
    result = grading.StudentResult("planter", LAB)
    (graded / "sub" / "hidden-tests.txt").write_text("assert_close(")  # what a kernel may write during a test
    grading.remove_planted_files(graded, result, [NOTEBOOK])
    # Only the graded notebook is left for feedback: links and special files flagged, the files the kernel wrote not.
    assert sorted(str(p.relative_to(graded)) for p in graded.rglob("*")) == [NOTEBOOK]
    assert result.flags == ["tamper"] and len(result.messages) == 3
    assert (course / "source" / LAB / NOTEBOOK).is_file()  # the link's target is untouched


def test_nbgrader_bookkeeping_comes_back_from_the_staged_copy_never_from_the_kernel(course):
    # Releasing feedback reads timestamp.txt and submission_secret.txt beside the feedback; they are copied from the
    # staged copy (the grader's, made before the kernel ran), not what the kernel left or linked in its folder.
    staged, graded = course / "staged" / "s" / LAB, course / "autograded" / "s" / LAB
    staged.mkdir(parents=True)
    graded.mkdir(parents=True)
    (staged / "timestamp.txt").write_text("2026-11-02 10:00:00.000000 UTC")
    (staged / "submission_secret.txt").symlink_to(course / "gradebook.db")  # never read through
    (graded / "timestamp.txt").write_text("2020-01-01 00:00:00.000000 UTC")  # the kernel's earlier date
    result = grading.StudentResult("s", LAB)
    grading.remove_planted_files(graded, result, [NOTEBOOK])
    grading.restore_bookkeeping(staged, graded)
    assert (graded / "timestamp.txt").read_text() == "2026-11-02 10:00:00.000000 UTC"
    assert not (graded / "submission_secret.txt").exists()
    (staged / "submission_secret.txt").unlink()
    (staged / "submission_secret.txt").write_text("ab" * 5000)
    grading.restore_bookkeeping(staged, graded)
    assert len((graded / "submission_secret.txt").read_text()) == grading.BOOKKEEPING_BYTES


def test_a_link_planted_at_the_notebook_path_is_removed_before_nbgrader_writes_there(course):
    graded = course / "autograded" / "planter" / LAB
    graded.mkdir(parents=True)
    (graded / NOTEBOOK).symlink_to(course / "pwned.txt")  # nbgrader would write the graded notebook through it
    nb, _ = grading.SealNotebookFolder().preprocess(tiny_source(), {"metadata": {"path": str(graded)},
                                                                   "unique_key": NOTEBOOK.removesuffix(".ipynb")})
    assert not (graded / NOTEBOOK).is_symlink() and not (course / "pwned.txt").exists()
    if os.geteuid() == 0:
        assert (graded.stat().st_uid, graded.stat().st_mode & 0o777) == (0, 0o755)
    nbformat.write(nb, str(graded / NOTEBOOK))
    result = grading.StudentResult("planter", LAB)
    grading.inspect_run(Course(course), LAB, "planter", result)
    assert result.flags == ["tamper"] and "replaced its own file by a symbolic link" in result.messages[0]


def test_the_seal_runs_after_execution_in_every_sandboxed_autograde():
    from traitlets.config import Config

    from labs.grading.limits import LimitedExecute

    config = Config()
    grading.seal_after_execution(config)
    grading.seal_after_execution(config)  # once only, however often a worker configures nbgrader
    steps = config.Autograde.autograde_preprocessors
    assert steps[0] is LimitedExecute and steps[-1] is grading.SealNotebookFolder and steps.count(grading.SealNotebookFolder) == 1


def test_the_instructors_guide_s_flag_table_is_generated_from_the_enum():
    from labs.grading import flags as grading_flags

    readme = (ROOT / "docs" / "instructors.md").read_text()
    assert grading_flags.with_table(readme) == readme, "docs/instructors.md's flags table is stale: run python -m labs.grading.flags"
    assert all(f"| `{flag}` | {flag.meaning} |" in readme for flag in grading_flags.Flag)


def test_every_flag_the_code_sets_is_in_the_enum():
    """No flag is set as a bare string (which the legend would not explain): every one is a member of Flag."""
    import re

    from labs.grading import flags as grading_flags

    for module in ("grading/pipeline.py", "grading/cluster.py", "cli.py"):
        text = (ROOT / "labs" / module).read_text()
        bare = re.findall(r"(?:flags\.append|_refuse\(result,|Failure\(|flags=\[)\s*\"", text)
        assert not bare, f"{module}: a flag set as a bare string: {bare}"
        for name in re.findall(r"Flag\.([A-Z_]+)", text):
            assert name in grading_flags.Flag.__members__, f"{module}: Flag.{name}"


def test_sandbox_limits_are_read_from_the_course_configuration(course, monkeypatch):
    from labs.grading import sandbox

    # The committed configuration states the defaults, so that an instructor sees what there is to change.
    assert sandbox.Limits.from_config(Course(ROOT).load_config()) == sandbox.Limits()
    with open(course / CONFIG_FILE, "a") as config:
        config.write("\nc.Sandbox.memory_bytes = 2 * 1024**3\nc.Sandbox.cpu_seconds = 90\n")
    monkeypatch.setattr(grading, "_worker_sandbox", None)
    monkeypatch.setenv(sandbox.SETTINGS_VARIABLE, "")  # (restored afterwards)
    grading._sandbox_configuration(grading._sandbox_settings(Course(course)))
    # What the sandbox launcher reads in the kernel's environment, and the command it builds from it:
    settings = sandbox.Settings.from_env(os.environ[sandbox.SETTINGS_VARIABLE])
    assert settings.limits.memory_bytes == 2 * 1024**3 and settings.limits.cpu_seconds == 90
    assert settings.limits.open_files == sandbox.Limits().open_files  # what the course does not set keeps its default
    command = sandbox.bwrap_command(settings, str(course), str(course / "c.json"), ["true"])
    assert f"--as={2 * 1024**3}" in command and "--cpu=90" in command


@pytest.mark.parametrize(("line", "named"), [
    ("c.Sandbox.memory = 10**9", "c.Sandbox.memory, which is not a sandbox limit"),
    ("c.Sandbox.cpu_seconds = '300'", "c.Sandbox.cpu_seconds = '300': a limit is a positive whole number"),
    ("c.Sandbox.processes = 0", "c.Sandbox.processes = 0: a limit is a positive whole number"),
    ("c.Sandbox.open_files = 1.5", "c.Sandbox.open_files = 1.5: a limit is a positive whole number"),
])
def test_a_wrong_sandbox_limit_stops_grading_before_anything_is_written(course, monkeypatch, capsys, line, named):
    from labs import cli

    with open(course / CONFIG_FILE, "a") as config:
        config.write(f"\n{line}\n")
    monkeypatch.setattr(grading, "ensure_released", lambda course, lab: None)  # (a bare course has no gradebook)
    assert cli.main(["--root", str(course), "grade", LAB]) == 1
    assert named in capsys.readouterr().err
    assert not (course / grading.STAGING).exists() and not (course / "autograded").exists()


def test_the_canary_graded_on_a_worker_must_earn_every_autograded_point():
    from labs.grading import canary

    definition = {"notebooks": [{"name": "1_tiny", "grade_cells": [
        {"name": "lab99-double-tests", "max_score": 1.0, "cell_type": "code"},
        {"name": "lab99-essay", "max_score": 3.0, "cell_type": "markdown"},  # graded by hand: not the canary's
        {"name": "lab99-square-tests", "max_score": 2.0, "cell_type": "code"}]}]}

    def outcome(double, square, flags=()):
        rows = {"notebooks": {"1_tiny": {"grades": {"lab99-double-tests": [double, False], "lab99-essay": [None, True],
                                                    "lab99-square-tests": [square, False]}}}}
        return {"rows": rows, "result": {"flags": list(flags), "messages": []}}

    canary.check_cluster_outcome(LAB, definition, outcome(1.0, 2.0), "tcp://w1", {})  # full marks: grading goes on
    graded = {"1_tiny.ipynb": nbformat.writes(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import labs", outputs=[new_output("error", ename="ModuleNotFoundError",
                                                                     evalue="No module named 'labs'", traceback=[])])])).encode()}
    with pytest.raises(canary.CanaryFailed) as refused:
        canary.check_cluster_outcome(LAB, definition, outcome(1.0, 0.0), "tcp://w1", graded)
    why = str(refused.value)
    assert "on the worker tcp://w1" in why and "earned 1/3 autograded points" in why
    assert "lost 1_tiny.ipynb: lab99-square-tests" in why and "double-tests" not in why
    assert "1_tiny.ipynb cell 0 raised ModuleNotFoundError: No module named 'labs'" in why
    with pytest.raises(canary.CanaryFailed, match=r"earned 3/3 autograded points \[timeout\]"):  # full marks, but flagged
        canary.check_cluster_outcome(LAB, definition, outcome(1.0, 2.0, ["timeout"]), "tcp://w1", {})
    with pytest.raises(canary.CanaryFailed, match="earned 0/3"):  # nothing graded at all
        canary.check_cluster_outcome(LAB, definition, {"rows": None, "result": {"flags": ["crash"]}}, "tcp://w1", {})


def test_a_kernel_s_own_start_up_error_is_quoted_once_and_links_are_not_read(tmp_path):
    (tmp_path / "kernel-a.log").write_text("banner\nsetpriv: failed to execute /env/bin/python: No such file\n")
    (tmp_path / "kernel-b.log").write_text("setpriv: failed to execute /env/bin/python: No such file\n")
    (tmp_path / "secret.txt").write_text("hidden")
    (tmp_path / "planted.log").symlink_to(tmp_path / "secret.txt")
    assert grading.kernel_log_tails(str(tmp_path)) == ["banner", "setpriv: failed to execute /env/bin/python: No such file"]


@pytest.mark.skipif(os.geteuid() != 0, reason="a sandbox user of its own per process only when grading as root")
def test_a_forked_worker_makes_its_own_sandbox_user_after_its_parent_graded(course):
    # The CI failure of stop 36: a process that graded in-process first, then forked a pool, gave every worker its own
    # cached settings, so two submissions graded at once shared a sandbox user and one's end killed the other's kernel.
    import multiprocessing

    parent = grading._sandbox_settings(Course(course))
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        uids = pool.map(_uid_in_worker, [str(course)] * 2)
    assert parent.uid not in uids and all(uid is not None for uid in uids), (parent.uid, uids)


def _uid_in_worker(course: str):
    import time

    time.sleep(0.2)  # both workers busy at once: two processes
    return grading._sandbox_settings(Course(Path(course))).uid
