"""``python -m labs``: honest exit codes and clear messages."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import ROOT


def labs_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "labs", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_check_passes_on_the_course():
    done = labs_cli("check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lab01: ok" in done.stdout


def test_check_fails_on_a_broken_lab(tmp_path):
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path)
    (tmp_path / "source" / "lab01").mkdir(parents=True)
    (tmp_path / "source" / "lab01" / "1_x.ipynb").write_text("{ nope")
    done = labs_cli("--root", str(tmp_path), "check")
    assert done.returncode == 1
    assert "not a valid notebook" in done.stdout and "README.md handout is missing" in done.stdout


def test_unknown_lab_is_an_error():
    done = labs_cli("release", "lab99", "--check")
    assert done.returncode != 0 and "unknown lab(s) lab99" in done.stderr


def test_grade_before_release_says_what_to_do(tmp_path):
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "source" / "lab01", tmp_path / "source" / "lab01")
    done = labs_cli("--root", str(tmp_path), "grade", "lab01")
    assert done.returncode == 1
    assert "run `python -m labs release lab01` first" in done.stderr


def test_release_check_reports_stale_release(tmp_path):
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "source" / "lab01", tmp_path / "source" / "lab01")
    shutil.copytree(ROOT / "release" / "lab01", tmp_path / "release" / "lab01")
    assert labs_cli("--root", str(tmp_path), "release", "--check").returncode == 0
    readme = tmp_path / "source" / "lab01" / "README.md"
    readme.write_text(readme.read_text() + "\nOne more line.\n")
    done = labs_cli("--root", str(tmp_path), "release", "--check")
    assert done.returncode == 1 and "STALE" in done.stdout and "README.md" in done.stdout


def test_data_list_and_unknown_dataset():
    done = labs_cli("data", "list")
    assert done.returncode == 0 and "fashion-mnist" in done.stdout and "bundled with scikit-learn" in done.stdout
    done = labs_cli("data", "fetch", "imagenet")
    assert done.returncode == 1 and "unknown dataset 'imagenet'" in done.stderr


def test_start_copies_a_release_outside_release_and_never_overwrites(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy2(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(ROOT / "source" / "lab01", course / "source" / "lab01")
    shutil.copytree(ROOT / "release" / "lab01", course / "release" / "lab01")
    # What JupyterLab leaves beside a notebook it opened: never copied to the student.
    (course / "release" / "lab01" / ".ipynb_checkpoints").mkdir()
    (course / "release" / "lab01" / ".ipynb_checkpoints" / "1_tensors-checkpoint.ipynb").write_text("{}")
    (course / "release" / "lab01" / ".DS_Store").write_bytes(b"\0")  # the course's CourseDirectory.ignore leaves it out too
    workspace = tmp_path / "work"
    done = labs_cli("--root", str(course), "start", "lab01", "--into", str(workspace))
    assert done.returncode == 0, done.stdout + done.stderr
    work = workspace / "lab01"
    released = sorted(p.name for p in (ROOT / "release" / "lab01").iterdir() if not p.name.startswith("."))
    assert sorted(p.name for p in work.iterdir()) == released
    assert (work / "1_tensors.ipynb").read_bytes() == (ROOT / "release" / "lab01" / "1_tensors.ipynb").read_bytes()
    assert f"jupyter lab {work}" in done.stdout
    (work / "1_tensors.ipynb").write_text("my work")
    again = labs_cli("--root", str(course), "start", "lab01", "--into", str(workspace))
    assert again.returncode == 1 and "already holds your work" in again.stderr
    assert (work / "1_tensors.ipynb").read_text() == "my work"
    inside = labs_cli("--root", str(course), "start", "lab01", "--into", str(course / "release"))
    assert inside.returncode == 1 and "inside release/" in inside.stderr


def test_hub_says_why_it_cannot_start_without_root(monkeypatch):
    import os

    import pytest

    from labs import hub

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(hub.HubError, match="needs root"):
        hub.check_host()
