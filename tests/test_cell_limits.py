"""Per-cell CPU limits and what feedback says about limits and unmarked answers (issue 28).

Grades the tiny lab (:mod:`tests.tinylab`) for real, in the sandbox: a cell stopped at its CPU limit, the cells that
follow from it, a correct submission graded on an oversubscribed grader, and feedback with an answer not yet marked.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell

from labs.course import Course, release
from labs.grading import cpu_time, feedback
from labs.grading import pipeline as grading
from labs.grading.limits import CPU_LIMIT_ERROR, CUT_MARK, NOTEBOOK_CPU_ERROR
from labs.grading.sandbox import Limits
from tests.tinylab import GOOD_DOUBLE, LAB, NOTEBOOK, make_course, meta, submit, tiny_source

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="CPU limits need a sandbox user of its own (grading as root)")]

ENDLESS_DOUBLE = "while True:\n    pass\n\n" + GOOD_DOUBLE  # never reaches its answer
# About a CPU second of honest work before the answer: what a training cell is to the grader.
WORKING_DOUBLE = "total = 0\nfor i in range(6_000_000):\n    total += i % 7\n\n" + GOOD_DOUBLE


def graded_cells(course: Path, student: str) -> list:
    return nbformat.read(str(course / "autograded" / student / LAB / NOTEBOOK), as_version=4).cells


def test_a_cell_past_its_cpu_limit_is_stopped_and_says_why(tmp_path):
    course = make_course(tmp_path, "c.Sandbox.cell_cpu_seconds = 4\nc.Execute.timeout = 120\n")
    submit(course, "looper", double=ENDLESS_DOUBLE)
    start = time.monotonic()
    [result] = grading.grade(Course(course), LAB, jobs=1, canary=False)
    took = time.monotonic() - start
    cells = graded_cells(course, "looper")
    answer = next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "lab99-double")
    [error] = [o for o in answer.outputs if o.output_type == "error"]
    assert error.ename == CPU_LIMIT_ERROR and "more than 4 s of CPU time" in error.evalue, error
    assert 4 <= answer.metadata[cpu_time.METADATA_KEY]["cpu_seconds"] < 12, answer.metadata
    # Stopped by CPU time, long before the wall-clock backstop (120 s): flagged as a limit, not retried as a timeout.
    assert took < 90 and "limit" in result.flags and "timeout" not in result.flags, (took, result.flags)
    # The test cell that needed it fails, and says it may follow from the stopped cell.
    tests = next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "lab99-double-tests")
    [failed] = [o for o in tests.outputs if o.output_type == "error"]
    assert failed.evalue.startswith(f"(this may follow from cell {cells.index(answer)}"), failed
    assert result.autograded == 1  # square still earns its point
    page = (course / "feedback" / "looper" / LAB / NOTEBOOK.replace(".ipynb", ".html")).read_text()
    assert "more than 4 s of CPU time" in page and "this may follow from cell" in page


def test_a_notebook_past_its_cpu_total_stops_and_its_later_cells_are_not_run(tmp_path):
    """Cells that each stay under their own limit cannot together use more than the notebook's CPU seconds."""
    course = make_course(tmp_path, "c.Sandbox.cell_cpu_seconds = 40\nc.Sandbox.notebook_cpu_seconds = 10\n"
                                   "c.Execute.timeout = 120\n")
    submit(course, "looper", double=ENDLESS_DOUBLE)
    submit(course, "honest")
    results = {r.student: r for r in grading.grade(Course(course), LAB, jobs=1, canary=False)}
    looper, cells = results["looper"], graded_cells(course, "looper")
    answer = next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "lab99-double")
    [error] = [o for o in answer.outputs if o.output_type == "error"]
    assert error.ename == CPU_LIMIT_ERROR and "the notebook's CPU time past 10 s" in error.evalue, error
    used = answer.metadata[cpu_time.METADATA_KEY]["cpu_seconds"]
    assert used < 20, answer.metadata  # stopped at the notebook's 10 s (less what the setup used), not the cell's 40
    square = next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "lab99-square")
    assert [o.ename for o in square.outputs if o.output_type == "error"] == [NOTEBOOK_CPU_ERROR], square.outputs
    assert looper.autograded == 0 and "limit" in looper.flags, grading.format_report([looper])
    assert results["honest"].autograded == 2 and not results["honest"].flags, results["honest"].messages


def _burn(stop: float) -> None:
    os.setsid()  # a session of its own, as another user's process: Linux's autogroup scheduling gives it a full share
    while time.monotonic() < stop:
        pass


def test_an_oversubscribed_grader_costs_a_correct_submission_nothing(tmp_path):
    """Three students at once on a core kept busy by three other processes (six runnable on one core): each correct
    cell takes several times its CPU time in wall time, and keeps its marks; an endless loop beside them is still
    stopped by its CPU limit. Everything runs pinned to one core, so the rest of the machine (the other tests) is
    left alone."""
    course = make_course(tmp_path, "c.Sandbox.cell_cpu_seconds = 4\nc.Execute.timeout = 240\n")
    for student in ("ann", "ben"):
        submit(course, student, double=WORKING_DOUBLE)
    submit(course, "looper", double=ENDLESS_DOUBLE)
    allowed = os.sched_getaffinity(0)
    core = {min(allowed)}
    os.sched_setaffinity(0, core)  # inherited by the burners, the grading workers, the sandboxes and their kernels
    burners = [multiprocessing.Process(target=_burn, args=(time.monotonic() + 600,)) for _ in range(3)]
    try:
        for burner in burners:
            burner.start()
        results = {r.student: r for r in grading.grade(Course(course), LAB, jobs=3, canary=False)}
    finally:
        for burner in burners:
            burner.kill()
        os.sched_setaffinity(0, allowed)
    for student in ("ann", "ben"):
        result = results[student]
        assert result.autograded == result.max_autograded == 2 and not result.flags, (student, result.flags,
                                                                                       result.messages)
        answer = next(c for c in graded_cells(course, student)
                      if c.metadata.get("nbgrader", {}).get("grade_id") == "lab99-double")
        seconds = answer.metadata[cpu_time.METADATA_KEY]
        print(student, seconds)  # the note's numbers: CPU and wall seconds of the heaviest cell under load
        assert seconds["cpu_seconds"] < 4 <= seconds["cpu_limit"]
    assert "limit" in results["looper"].flags and "timeout" not in results["looper"].flags, results["looper"].flags


def test_the_canary_calibrates_each_cell_and_students_get_a_multiple_of_it(tmp_path):
    course = make_course(tmp_path, "c.Sandbox.cell_cpu_floor = 3\nc.Sandbox.cell_cpu_multiple = 2\n")
    nb = tiny_source()  # the model solution does a CPU second of work in its answer cell
    answer = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "lab99-double")
    answer.source = "### BEGIN SOLUTION\n" + WORKING_DOUBLE + "### END SOLUTION"
    nbformat.write(nb, str(course / "source" / LAB / NOTEBOOK))
    release.generate(Course(course), LAB)
    submit(course, "looper", double=ENDLESS_DOUBLE)
    [result] = grading.grade(Course(course), LAB, jobs=1, canary=True)
    calibration = json.loads((cpu_time.calibration_folder(course) / f"{LAB}.json").read_text())[NOTEBOOK]
    assert 0.3 < calibration["lab99-double"] < 5 and calibration[cpu_time.ANY_CELL] >= calibration["lab99-double"]
    looped = next(c for c in graded_cells(course, "looper")
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "lab99-double")
    expected = max(3, 2 * calibration["lab99-double"])
    assert looped.metadata[cpu_time.METADATA_KEY]["cpu_limit"] == pytest.approx(expected, abs=0.1)
    assert f"more than {expected:.0f} s of CPU time" in looped.outputs[-1].evalue
    assert "limit" in result.flags


def test_cell_limits_per_lab_and_without_calibration():
    limits = Limits(cell_cpu_seconds=60, cell_cpu_floor=20, cell_cpu_multiple=4,
                    cell_cpu_seconds_per_lab=(("lab05", 150),))
    cell = {"metadata": {"nbgrader": {"grade_id": "lab01-train"}}}
    own = {"metadata": {}}
    calibration = {"1_x.ipynb": {"lab01-train": 12.0, cpu_time.ANY_CELL: 12.0, "lab01-tiny": 0.1}}
    assert cpu_time.cell_limit(limits, calibration, "lab01", "1_x.ipynb", cell) == 48
    assert cpu_time.cell_limit(limits, calibration, "lab01", "1_x.ipynb", own) == 48  # the heaviest model cell
    tiny = {"metadata": {"nbgrader": {"grade_id": "lab01-tiny"}}}
    assert cpu_time.cell_limit(limits, calibration, "lab01", "1_x.ipynb", tiny) == 20  # the floor
    assert cpu_time.cell_limit(limits, {}, "lab01", "1_x.ipynb", cell) == 60  # not calibrated
    assert cpu_time.cell_limit(limits, calibration, "lab05", "1_x.ipynb", cell) == 150  # by hand


def test_an_unmarked_written_answer_reads_as_pending(tmp_path):
    course = make_course(tmp_path)
    nb = tiny_source()
    nb.cells.append(new_markdown_cell("Why does doubling commute with addition?\n\n=== BEGIN MARK SCHEME ===\n"
                                      "Linearity.\n=== END MARK SCHEME ===",
                                      metadata=meta("lab99-why", solution=True, grade=True, points=2)))
    nbformat.write(nb, str(course / "source" / LAB / NOTEBOOK))
    release.generate(Course(course), LAB)
    folder = submit(course, "ada")
    handed_in = nbformat.read(str(folder / NOTEBOOK), as_version=4)
    next(c for c in handed_in.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "lab99-why").source = (
        "Because doubling is linear: 2(a + b) = 2a + 2b.")
    nbformat.write(handed_in, str(folder / NOTEBOOK))
    submit(course, "bea")  # left the written answer as released: a 0 that needs no marking
    grading.grade(Course(course), LAB, jobs=1, canary=False)
    unanswered = (course / "feedback" / "bea" / LAB / NOTEBOOK.replace(".ipynb", ".html")).read_text()
    assert feedback.PENDING_TEXT not in unanswered and "Score: 2.0 / 4.0" in unanswered
    page_path = course / "feedback" / "ada" / LAB / NOTEBOOK.replace(".ipynb", ".html")
    page = page_path.read_text()
    assert f"{feedback.PENDING_TEXT} (out of 2)" in page
    assert page.count(feedback.PENDING_TEXT) == 3  # contents, the cell's heading, the notebook's score
    assert "Score so far: 2.0 / 4.0; 2 more points awaiting marking by hand" in page
    with Course(course).gradebook() as gb:
        grade = gb.find_grade("lab99-why", NOTEBOOK.removesuffix(".ipynb"), LAB, "ada")
        grade.manual_score, grade.needs_manual_grade = 1.5, False  # what the formgrader saves for a mark
        gb.db.commit()
    Course(course).api().generate_feedback(LAB, "ada", force=True)
    page = page_path.read_text()
    assert feedback.PENDING_TEXT not in page and "Score: 3.5 / 4.0" in page


def test_grading_works_through_a_symbolically_linked_environment(tmp_path):
    """The course's Python reached through a link to its environment's folder (a shared or linked environment):
    the sandbox shows the real folder under the linked name too, and the canary passes."""
    import subprocess
    import sys

    (tmp_path / "course").mkdir()
    course = make_course(tmp_path / "course")
    submit(course, "ada")
    linked = tmp_path / "linked-env"
    linked.symlink_to(Path(sys.prefix).resolve(), target_is_directory=True)
    python = linked / "bin" / Path(sys.executable).name
    probe = subprocess.run([str(python), "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True)
    assert probe.stdout.strip() == str(linked), probe  # this Python names its environment by the link
    done = subprocess.run([str(python), "-m", "labs", "--root", str(course), "grade", LAB, "--jobs", "1"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    line = next(row for row in done.stdout.splitlines() if row.startswith("ada "))
    assert " 2.0/2.0" in line or " 2/2" in line, done.stdout


def test_grading_works_from_a_self_contained_environment_with_labs_installed_as_a_package(tmp_path):
    """conda's layout (one folder holding the interpreter and every package, no virtual environment over a base
    interpreter, and here an interpreter that loads its shared library from where it was built) with the course's
    ``labs`` installed as a regular package, not an editable one: the canary and a student grade in full."""
    import shutil
    import subprocess
    import sys
    import sysconfig

    env = tmp_path / "env"
    copied = subprocess.run(["cp", "-al", sys.base_prefix, str(env)], capture_output=True, text=True)
    if copied.returncode != 0:
        pytest.skip(f"the interpreter's folder cannot be hard-linked here: {copied.stderr.strip()}")
    packages = Path(sysconfig.get_paths()["purelib"])
    site = env / packages.relative_to(sys.prefix)
    subprocess.run(["cp", "-al", "--remove-destination", f"{packages}/.", str(site)], check=True)
    for data in ("share", "etc"):  # Jupyter's data (nbconvert's templates) and configuration, where installed
        if (Path(sys.prefix) / data).is_dir():
            subprocess.run(["cp", "-al", "--remove-destination", f"{sys.prefix}/{data}/.", str(env / data)], check=True)
    for editable in [*site.glob("__editable__*"), *site.glob("comp6248_labs-*")]:  # the editable install's traces
        shutil.rmtree(editable) if editable.is_dir() else editable.unlink()
    project = tmp_path / "project"  # built from a copy: the build writes beside its sources
    shutil.copytree(Path(__file__).resolve().parents[1] / "labs", project / "labs",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(Path(__file__).resolve().parents[1] / name, project / name)
    python = env / "bin" / Path(sys.executable).name
    installed = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                                "--no-index", str(project)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-3000:]
    (tmp_path / "course").mkdir()
    course = make_course(tmp_path / "course")
    submit(course, "ada")
    where = subprocess.run([str(python), "-c", "import sys, labs; print(sys.prefix == sys.base_prefix, labs.__file__)"],
                           capture_output=True, text=True, cwd=course)
    assert where.stdout.split() == ["True", str(site / "labs" / "__init__.py")], where  # no venv; labs installed
    done = subprocess.run([str(python), "-m", "labs", "--root", str(course), "grade", LAB, "--jobs", "1"],
                          capture_output=True, text=True, timeout=600, cwd=course)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    line = next(row for row in done.stdout.splitlines() if row.startswith("ada "))
    assert " 2.0/2.0" in line or " 2/2" in line, done.stdout
    # The kernel runs on the interpreter's own shared library, found by the absolute path it was built with (outside
    # the environment's folder here), not on another build the system happens to have under that name.
    compare = ("import subprocess, sys\n"
               "from labs.grading import sandbox\n"
               "maps = 'import os; print(sorted({l.split()[-1] for l in open(\"/proc/self/maps\") if \"libpython\" in l}))'\n"
               "with sandbox.submission(sandbox.worker_settings()) as state:\n"
               "    work = state.settings.ipc_dir\n"
               "    command = sandbox.bwrap_command(state.settings, work, None, [sys.executable, '-c', maps])\n"
               "    inside = subprocess.run(command, capture_output=True, text=True, timeout=60)\n"
               "print(inside.stdout.strip() or inside.stderr.strip())\n"
               "print(subprocess.run([sys.executable, '-c', maps], capture_output=True, text=True).stdout.strip())\n")
    libraries = subprocess.run([str(python), "-c", compare], capture_output=True, text=True, timeout=120, cwd=course)
    inside, outside = (libraries.stdout.strip().splitlines() + ["", ""])[:2]
    assert outside.startswith("["), libraries.stdout + libraries.stderr
    assert inside == outside, libraries.stdout + libraries.stderr  # ([] both, for an interpreter linked statically)


FILLS_TMP = ("import os\nfor i in range(12):  # 12 files of 128 MB: each under the file-size limit, together 1.5 GB of memory\n"
             "    with open(f'/tmp/fill{i}', 'wb') as handle:\n"
             "        for _ in range(8):\n"
             "            handle.write(os.urandom(16 * 1024 * 1024))\n\n" + GOOD_DOUBLE)


def test_a_sandbox_past_its_memory_limit_is_killed_and_the_next_student_is_graded(tmp_path, monkeypatch):
    """Files in the sandbox's /tmp (memory) and every process count together against one limit per submission."""
    from labs.grading import memory_cgroup

    probe = memory_cgroup.create(64 * 1024**2)
    if probe is None:
        pytest.skip("no memory cgroup can be made here")
    memory_cgroup.remove(probe)
    made = []  # this test's groups only: tests on the other worker make and remove their own meanwhile
    real_create = memory_cgroup.create

    def recording_create(limit_bytes):
        group = real_create(limit_bytes)
        made.append(group)
        return group

    monkeypatch.setattr(memory_cgroup, "create", recording_create)
    course = make_course(tmp_path, f"c.Sandbox.sandbox_memory_bytes = {1024**3}\n")
    submit(course, "filler", double=FILLS_TMP)
    submit(course, "honest")
    results = {r.student: r for r in grading.grade(Course(course), LAB, jobs=1, canary=False)}
    filler = results["filler"]
    assert "limit" in filler.flags and any("ran out of memory" in m for m in filler.messages), grading.format_report([filler])
    assert filler.autograded < 2
    assert results["honest"].autograded == 2 and not results["honest"].flags, results["honest"].messages
    assert len(made) >= 2 and all(group is not None for group in made), made  # one group a submission (a retry makes another)
    assert not [group for group in made if group.exists()]  # each submission's group was removed


HUGE_MESSAGE = ("from IPython.display import display\n"
                "display({'text/plain': 'x' * 300_000_000}, raw=True)  # one 300 MB message\n\n" + GOOD_DOUBLE)


def test_one_huge_output_message_never_reaches_the_grader_s_memory(tmp_path):
    import resource

    import psutil

    course = make_course(tmp_path, f"c.Sandbox.message_bytes = {8 * 1024**2}\n")
    submit(course, "shouter", double=HUGE_MESSAGE)
    before = max(psutil.Process().memory_info().rss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    [result] = grading.grade(Course(course), LAB, jobs=1, canary=False)  # in this process: its memory is measured
    grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    assert grew < 150 * 1024**2, f"the grader's peak memory grew by {grew / 1024**2:.0f} MB"
    # The message was refused unread, and the kernel's output channel with it: the notebook times out (retried once
    # alone, the same again) and is reported, not graded on outputs that never came.
    assert "timeout" in result.flags and result.autograded == 0, grading.format_report([result])


FILLS_FOLDER = ("import os, time\nfor i in range(40):  # 40 files of 16 MB in the notebook's own folder (disk)\n"
                "    with open(f'fill{i}.bin', 'wb') as handle:\n"
                "        handle.write(os.urandom(16 * 1024 * 1024))\n"
                "    time.sleep(0.05)\n\n" + GOOD_DOUBLE)
MANY_FILES = ("import time\nfor i in range(5000):\n    open(f'f{i}.txt', 'w').close()\ntime.sleep(3)\n\n" + GOOD_DOUBLE)


def test_a_folder_filled_past_its_limits_ends_the_sandbox_and_the_next_student_is_graded(tmp_path):
    course = make_course(tmp_path, f"c.Sandbox.folder_bytes = {100 * 1024**2}\nc.Sandbox.folder_files = 1000\n")
    submit(course, "filler", double=FILLS_FOLDER)
    submit(course, "spammer", double=MANY_FILES)
    submit(course, "honest")
    results = {r.student: r for r in grading.grade(Course(course), LAB, jobs=1, canary=False)}
    for student in ("filler", "spammer"):
        result = results[student]
        assert "limit" in result.flags and any("folder grew past the grading limits" in m for m in result.messages), \
            grading.format_report([result])
        assert result.autograded == 0
        left = [p.name for p in (course / "autograded" / student / LAB).iterdir()] if (
            course / "autograded" / student / LAB).is_dir() else []
        assert not [name for name in left if not name.endswith(".ipynb")], left  # nothing it wrote is kept
    assert "folder grew past" in next(m for m in results["filler"].messages if "folder" in m) and \
        "640 MB" not in " ".join(results["filler"].messages)  # stopped well before all 40 files (640 MB) were written
    assert results["honest"].autograded == 2 and not results["honest"].flags, results["honest"].messages


# Passes the static review (no module, helper or suspicious name is assigned into), and makes every tensor
# comparison say "equal": the run-time probe after each test cell finds it.
LYING_EQUALS = ("probe_value = torch.zeros(1)\ncls = type(probe_value)\n"
                "cls.__eq__ = lambda a, b: torch.ones(a.shape, dtype=torch.bool)\n\n" + GOOD_DOUBLE)


def test_a_patch_the_static_review_misses_is_found_by_the_probe_after_a_test_cell(tmp_path):
    from labs.grading import tamper

    assert tamper.review_source(LYING_EQUALS, {"torch", "np", "assert_close"}, 1) == []
    course = make_course(tmp_path)
    submit(course, "liar", double=LYING_EQUALS)
    submit(course, "honest")
    results = {r.student: r for r in grading.grade(Course(course), LAB, jobs=1, canary=False)}
    liar = results["liar"]
    assert "tamper" in liar.flags and any("torch.Tensor.__eq__ says different values are the same" in m
                                          for m in liar.messages), grading.format_report([liar])
    assert results["honest"].flags == [] and results["honest"].autograded == 2, results["honest"].messages
