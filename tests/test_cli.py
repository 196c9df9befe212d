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
