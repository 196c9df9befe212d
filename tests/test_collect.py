"""Collecting from nbgrader's exchange when a student's inbound folder is hostile (:mod:`labs.grading.collect`).

Each test builds an exchange and a bare course in ``tmp_path`` and runs the collect the course's configuration names,
as the formgrader's Collect button and ``nbgrader collect`` do; no kernel, quick layer.
"""

from __future__ import annotations

import logging
import os
import pwd
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeFactory
from nbgrader.utils import parse_utc

from labs.course import CONFIG_FILE, Course
from labs.grading import collect
from tests.conftest import ROOT
from tests.tinylab import LAB, NOTEBOOK

ME = pwd.getpwuid(os.getuid()).pw_name
SECRET = "the hidden tests of lab99"


@pytest.fixture
def course(tmp_path) -> Path:
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / CONFIG_FILE).write_text((ROOT / CONFIG_FILE).read_text())
    (tmp_path / "exchange" / "comp6248" / "inbound").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text(SECRET)
    return tmp_path / "course"


def hand_in(course: Path, owner: str, claimed: datetime, name: str | None = None) -> Path:
    """An inbound folder as ``nbgrader submit`` makes it: named and stamped with the claimed time."""
    stamp = claimed.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    folder = course.parent / "exchange" / "comp6248" / "inbound" / (name or f"{owner}+{LAB}+{stamp}+{os.urandom(4).hex()}")
    folder.mkdir()
    (folder / NOTEBOOK).write_text('{"cells": []}')
    (folder / "timestamp.txt").write_text(stamp)
    return folder


def run_collect(course: Path, caplog) -> str:
    """The collect class the course's nbgrader_config.py names, as the formgrader runs it."""
    config = Course(course).load_config()
    config.Exchange.root = str(course.parent / "exchange")
    config.CourseDirectory.assignment_id = LAB
    factory = ExchangeFactory(config=config)
    assert factory.collect is collect.SafeCollect, "the course's configuration should collect with SafeCollect"
    coursedir = CourseDirectory(config=config)
    collector = factory.Collect(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
    collector.update = True  # the formgrader's Collect replaces an older collected submission by a newer one
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        collector.start()
    return caplog.text


def submitted(course: Path, student: str) -> Path:
    return course / "submitted" / student / LAB


def test_links_special_files_and_link_folders_are_not_copied_as_the_instructor(course, caplog):
    folder = hand_in(course, ME, datetime.utcnow())
    (folder / "answers.txt").symlink_to(course.parent / "secret.txt")
    (folder / "data").mkdir()
    (folder / "data" / "points.csv").write_text("1,2\n")
    (folder / "data" / "source").symlink_to(course.parent, target_is_directory=True)
    (folder / "linked-folder").symlink_to(course.parent, target_is_directory=True)
    os.mkfifo(folder / "pipe")  # a FIFO would block a copy that opens it
    log = run_collect(course, caplog)
    got = submitted(course, ME)
    assert sorted(str(p.relative_to(got)) for p in got.rglob("*")) == [
        NOTEBOOK, "data", "data/points.csv", "timestamp.txt"]
    assert not any(SECRET in p.read_text() for p in got.rglob("*") if p.is_file())
    for what in ("answers.txt is a symbolic link", "source is a symbolic link", "linked-folder is a symbolic link",
                 "pipe is a special file"):
        assert what in log, log


def test_a_folder_named_for_another_student_is_not_collected_as_theirs(course, caplog):
    victim = "nobody"
    if os.geteuid() == 0:  # the victim's own, earlier submission is the one collected
        real = hand_in(course, victim, datetime.utcnow() - timedelta(hours=1))
        for path in (real, *real.iterdir()):
            os.chown(path, pwd.getpwnam(victim).pw_uid, -1)
    forged = hand_in(course, victim, datetime.utcnow())  # owned by ME, named for the victim, and later
    (forged / NOTEBOOK).write_text('{"cells": [], "forged": true}')
    log = run_collect(course, caplog)
    assert f"claims to be {victim}'s submission but belongs to {ME}" in log, log
    if os.geteuid() == 0:
        assert "forged" not in (submitted(course, victim) / NOTEBOOK).read_text()
    else:
        assert not submitted(course, victim).exists()


def test_a_bad_folder_name_or_timestamp_stops_only_that_folder(course, caplog):
    hand_in(course, ME, datetime.utcnow(), name=f"{ME}+{LAB}+not-a-time+x")
    hand_in(course, "other", datetime.utcnow(), name=f"other+{LAB}")
    log = run_collect(course, caplog)
    assert "not a submission folder name" in log, log
    assert not submitted(course, ME).exists()
    good = hand_in(course, ME, datetime.utcnow())
    (good / "timestamp.txt").write_text("whenever")  # unreadable claim: the files' time is recorded
    run_collect(course, caplog)
    recorded = parse_utc((submitted(course, ME) / "timestamp.txt").read_text())
    assert abs((recorded - datetime.utcnow()).total_seconds()) < 60


def test_a_back_dated_timestamp_is_replaced_by_when_the_files_last_changed(course, caplog):
    honest_claim = datetime.utcnow().replace(microsecond=0)
    hand_in(course, ME, honest_claim)
    run_collect(course, caplog)
    # An honest submission keeps the time nbgrader's submit wrote.
    assert parse_utc((submitted(course, ME) / "timestamp.txt").read_text()) == honest_claim
    folder = hand_in(course, ME, datetime.utcnow() + timedelta(seconds=1))
    (folder / "timestamp.txt").write_text("2020-01-01 00:00:00.000000 UTC")  # a student's edit
    before = datetime.utcnow()
    time.sleep(0.05)
    (folder / NOTEBOOK).write_text('{"cells": [], "final": true}')  # and the notebook's last change
    log = run_collect(course, caplog)
    recorded = parse_utc((submitted(course, ME) / "timestamp.txt").read_text())
    assert "final" in (submitted(course, ME) / NOTEBOOK).read_text()
    assert before - timedelta(seconds=2) <= recorded <= datetime.utcnow() + timedelta(seconds=1), (recorded, before)
    assert "timestamp.txt says 2020-01-01" in log, log


def test_oversized_files_and_folders_are_left_out_and_collection_goes_on(course, caplog, monkeypatch):
    monkeypatch.setattr(collect, "MAX_ENTRIES", 5)
    folder = hand_in(course, ME, datetime.utcnow())
    for index in range(10):
        (folder / f"extra{index}.csv").write_text("x")
    log = run_collect(course, caplog)
    assert "more than 5 files and folders" in log, log
    # The first five in name order, and the time the grader records (timestamp.txt was past the cut).
    assert sorted(p.name for p in submitted(course, ME).iterdir()) == [
        NOTEBOOK, *(f"extra{index}.csv" for index in range(4)), "timestamp.txt"]
