"""The gradebook on PostgreSQL: a throwaway server of the test's own gives exactly the grades of SQLite.

The server is Debian's ``postgresql`` (installed by ``make setup`` as root): ``initdb`` and ``pg_ctl`` run as an
unprivileged user (PostgreSQL refuses root) in a private folder, listening on a Unix socket there and on no TCP port;
it is stopped and removed afterwards, also when the test fails. The tiny lab's submissions (right, wrong, late,
unreadable) are graded with two jobs into it and into SQLite; every cell's grade and comment, the late penalties and
``grades.csv`` must be equal. The instructor's formgrader (nbgrader's Jupyter server extension, in a real Jupyter server on
127.0.0.1) lists, shows and grades by hand from that server's gradebook. A database that is down stops ``grade`` with one
clear error before anything is written.
"""

from __future__ import annotations

import contextlib
import csv
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from labs import course
from labs.course import Course, release
from labs.grading import cluster as grading_cluster
from labs.grading import pipeline as grading
from tests.conftest import free_port
from tests.tinylab import LAB, NOTEBOOK, hand_in_four, make_course, submit

START_TIMEOUT = 120  # seconds for initdb, or for the server to accept connections, on a loaded 2-core machine
STOP_TIMEOUT = 30
SUPERUSER = "grader"


def _postgres_bin() -> Path | None:
    """The newest PostgreSQL server's binaries: Debian keeps them in /usr/lib/postgresql/VERSION/bin, not on PATH."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")]
    found.sort(key=lambda folder: int(folder.parent.name) if folder.parent.name.isdigit() else 0)
    if found:
        return found[-1]
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path and (Path(on_path).parent / "initdb").is_file() else None


def _server_user() -> str | None:
    """Who runs the server: ourselves, or as root (PostgreSQL refuses root) Debian's ``postgres`` account, or nobody."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name).pw_name
    pytest.skip("running as root with neither a postgres nor a nobody account to run PostgreSQL as")


def _run_as(user: str | None, command: list[str], cwd: Path, timeout: float) -> None:
    account = pwd.getpwnam(user) if user else None
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
                          user=account.pw_uid if account else None, group=account.pw_gid if account else None,
                          extra_groups=[] if account else None)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture
def postgres_url():
    """A PostgreSQL cluster of this test's own, on a private Unix socket; yields the URL of an empty database."""
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (Debian's postgresql package; `make setup` installs it as root)")
    user = _server_user()
    # Not under tmp_path: pytest's base folder is private to root, where the server's user could not enter, and a
    # Unix socket's path may not exceed 107 bytes.
    base = Path(tempfile.mkdtemp(prefix="c6248-pg-", dir="/tmp"))
    data, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir(mode=0o700)
    if user:
        account = pwd.getpwnam(user)
        for folder in (base, socket_dir):
            os.chown(folder, account.pw_uid, account.pw_gid)
    started = False
    try:
        _run_as(user, [str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                       "--locale=C", "--no-sync"], base, START_TIMEOUT)
        started = True  # from here on a server may be running: stop it whatever happens
        _run_as(user, [str(binaries / "pg_ctl"), "start", "-D", str(data), "-l", str(base / "server.log"), "-w",
                       "-t", str(START_TIMEOUT), "-o", f"-k {socket_dir} -c listen_addresses='' -c fsync=off"],
                base, START_TIMEOUT + 30)
        import psycopg

        with psycopg.connect(host=str(socket_dir), user=SUPERUSER, dbname="postgres", autocommit=True,
                             connect_timeout=30) as connection:
            connection.execute("CREATE DATABASE gradebook")
        yield f"postgresql://{SUPERUSER}@/gradebook?host={socket_dir}"
    finally:
        if started:
            _stop(user, binaries, data, base)
        shutil.rmtree(base, ignore_errors=True)


def _stop(user: str | None, binaries: Path, data: Path, base: Path) -> None:
    """``pg_ctl stop -m immediate``; the postmaster is killed if that does not work in time."""
    try:
        _run_as(user, [str(binaries / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w",
                       "-t", str(STOP_TIMEOUT)], base, STOP_TIMEOUT + 10)
    except (AssertionError, subprocess.TimeoutExpired):
        with contextlib.suppress(OSError, ValueError, IndexError):
            os.kill(int((data / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)


def _course(directory: Path, extra_config: str = "") -> Path:
    """The tiny lab with a due date and four submissions: right, wrong, 30 hours late, unreadable."""
    directory.mkdir()
    return hand_in_four(make_course(directory, extra_config))


def _graded(course_dir: Path) -> dict:
    """The course graded with two jobs: the report's numbers, every cell's grade and comment, and grades.csv."""
    results = grading.grade(Course(course_dir), LAB, jobs=2, canary=False)  # (the canary is tested in test_grading_features)
    with Course(course_dir).gradebook() as gb:
        cells = {(s.student.id, nb.name, g.cell.name): (g.auto_score, g.needs_manual_grade, nb.late_submission_penalty)
                 for s in gb.assignment_submissions(LAB) for nb in s.notebooks for g in nb.grades}
        comments = {(s.student.id, c.cell.name): c.auto_comment
                    for s in gb.assignment_submissions(LAB) for nb in s.notebooks for c in nb.comments}
    with open(course_dir / grading.GRADES_FILE, newline="") as handle:  # exported by grade
        exported = sorted(tuple(sorted(row.items())) for row in csv.DictReader(handle))
    report = {r.student: (r.autograded, r.max_autograded, r.score, r.late_penalty, tuple(r.flags)) for r in results}
    return {"report": report, "cells": cells, "comments": comments, "grades.csv": exported}


@pytest.mark.slow
def test_postgres_gradebook_gives_the_sqlite_grades(postgres_url, tmp_path):
    on_sqlite = _graded(_course(tmp_path / "sqlite"))
    postgres_dir = _course(tmp_path / "postgres", f"c.CourseDirectory.db_url = {postgres_url!r}\n")
    assert Course(postgres_dir).db_url == postgres_url
    on_postgres = _graded(postgres_dir)
    assert not (postgres_dir / "gradebook.db").exists()  # everything went to the server
    report = on_sqlite["report"]  # the reference is sound: right, wrong, late and unreadable graded as such
    assert report["ada"][:4] == (2, 2, 2, 0) and report["bob"][0] == 1 and report["cy"][2:4] == (1.6, 0.4)
    assert "invalid" in report["dee"][4]
    assert on_postgres == on_sqlite
    # A cluster worker's private course grades into a scratch SQLite gradebook holding the lab, never into the server.
    worker_course = grading_cluster._course_template(grading_cluster.lab_bundle(Course(postgres_dir), LAB), tmp_path / "worker")
    assert Course(worker_course).db_url == f"sqlite:///{worker_course / 'gradebook.db'}"
    with Course(worker_course).gradebook() as gb:
        assert [nb.name for nb in gb.find_assignment(LAB).notebooks] == [Path(NOTEBOOK).stem]



@contextlib.contextmanager
def _formgrader(course_dir: Path, home: Path):
    """A Jupyter server with nbgrader's formgrader, serving ``course_dir`` on 127.0.0.1 as an instructor's does; yields
    (``requests`` session with the server's token, base URL). The server reads the course's ``nbgrader_config.py``
    (its working directory), so its gradebook is the course's; its Jupyter folders are ``home``'s, not this user's."""
    import requests

    port, token = free_port(), secrets.token_hex(16)
    folders = {name: home / name.lower() for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR")}
    env = {**os.environ, **{name: str(folder) for name, folder in folders.items()}, "HOME": str(home)}
    log = home / "server.log"
    with open(log, "w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             "--ServerApp.port_retries=0", "--ServerApp.open_browser=False", "--ServerApp.allow_root=True",
             f"--ServerApp.root_dir={course_dir}", f"--IdentityProvider.token={token}"],
            cwd=course_dir, env=env, stdout=output, stderr=subprocess.STDOUT)
    session, url = requests.Session(), f"http://127.0.0.1:{port}"
    session.headers["Authorization"] = f"token {token}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert server.poll() is None, f"the Jupyter server exited:\n{log.read_text()}"
            with contextlib.suppress(requests.ConnectionError):
                if session.get(f"{url}/formgrader/api/status", timeout=10).ok:
                    break
            assert time.monotonic() < deadline, f"no formgrader within {START_TIMEOUT} s:\n{log.read_text()}"
            time.sleep(0.5)
        yield session, url
    finally:
        server.terminate()
        try:
            server.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        session.close()


@pytest.mark.slow
def test_the_formgrader_grades_by_hand_in_the_postgres_gradebook(postgres_url, tmp_path):
    course_dir = _course(tmp_path / "course", f"c.CourseDirectory.db_url = {postgres_url!r}\n")
    grading.grade(Course(course_dir), LAB, jobs=2, canary=False)
    (tmp_path / "home").mkdir()
    with _formgrader(course_dir, tmp_path / "home") as (session, url):
        def api(path: str, method: str = "GET", **body):
            answer = session.request(method, f"{url}/formgrader/api/{path}", json=body or None, timeout=60)
            assert answer.status_code == 200, f"{method} {path}: {answer.status_code} {answer.text[:300]}"
            return answer.json()

        [assignment] = api("assignments")
        assert (assignment["name"], assignment["num_submissions"], assignment["max_score"]) == (LAB, 4, 2), assignment
        notebooks = {nb["student"]: nb for nb in api(f"submitted_notebooks/{LAB}/{Path(NOTEBOOK).stem}")}
        # dee's submission is on record (scored 0), but its notebook was unreadable: nothing of it to grade by hand.
        assert {s: (nb["score"], nb["failed_tests"]) for s, nb in notebooks.items()} == {
            "ada": (2, False), "bob": (1, True), "cy": (2, False)}
        # The instructor reads bob's notebook as graded, then gives half a point for his square and says why.
        page = session.get(f"{url}/formgrader/submissions/{notebooks['bob']['id']}", timeout=60)
        assert page.status_code == 200, page.text[:300]
        assert 'id="lab99-square-tests"' in page.text  # the score box of his failed test
        assert "square(3) should be 9, got 6" in page.text  # and why it failed
        grades = {g["name"]: g for g in api(f"grades?submission_id={notebooks['bob']['id']}")}
        square = grades["lab99-square-tests"]
        assert (square["auto_score"], square["manual_score"], square["max_score"]) == (0, None, 1)
        assert api(f"grade/{square['id']}", "PUT", manual_score=0.5)["manual_score"] == 0.5
        comments = {c["name"]: c for c in api(f"comments?submission_id={notebooks['bob']['id']}")}
        api(f"comment/{comments['lab99-square']['id']}", "PUT", manual_comment="x + x doubles: square is x * x")
        after = {nb["student"]: nb["score"] for nb in api(f"submitted_notebooks/{LAB}/{Path(NOTEBOOK).stem}")}
        assert after == {"ada": 2, "bob": 1.5, "cy": 2}  # (cy's late penalty is the total's, not the notebook's)
    # Written to the server's gradebook, where every tool of the course reads it.
    assert not (course_dir / "gradebook.db").exists()
    with Course(course_dir).gradebook() as gb:
        bob = gb.find_submission_notebook(Path(NOTEBOOK).stem, LAB, "bob")
        assert bob.score == 1.5 and not bob.needs_manual_grade
        assert {g.name: g.manual_score for g in bob.grades} == {"lab99-double-tests": None, "lab99-square-tests": 0.5}
        assert {c.name: c.manual_comment for c in bob.comments}["lab99-square"] == "x + x doubles: square is x * x"
        assert gb.find_submission_notebook(Path(NOTEBOOK).stem, LAB, "ada").score == 2  # nobody else's grade changed
    grading.export_grades(Course(course_dir))
    with open(course_dir / grading.GRADES_FILE, newline="") as handle:
        assert {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}["bob"] == 1.5


@pytest.mark.slow
def test_a_database_that_is_down_stops_grading_before_anything_is_written(tmp_path):
    (tmp_path / "course").mkdir()
    course_dir = make_course(tmp_path / "course")  # released into SQLite; then the course moves to a server that is down
    submit(course_dir, "ada")
    nowhere = tmp_path / "no-server"
    nowhere.mkdir()
    with open(course_dir / course.CONFIG_FILE, "a") as config:
        config.write(f"c.CourseDirectory.db_url = 'postgresql://{SUPERUSER}@/gradebook?host={nowhere}'\n")
    before = sorted(str(p.relative_to(course_dir)) for p in course_dir.rglob("*"))
    done = subprocess.run([sys.executable, "-m", "labs", "--root", str(course_dir), "grade", LAB, "--jobs", "2", "--no-canary"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith(
        f"error: cannot reach the gradebook database at postgresql://{SUPERUSER}@/gradebook?host="), done.stderr
    assert str(nowhere / ".s.PGSQL.5432") in errors[0]  # the reason: no server at that socket
    assert sorted(str(p.relative_to(course_dir)) for p in course_dir.rglob("*")) == before  # no autograded/, no staging


def test_every_tool_reads_the_configured_gradebook_and_copies_keep_their_own(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    assert Course(plain).db_url == f"sqlite:///{plain / 'gradebook.db'}"  # nbgrader's default, with no configuration
    assert not Course(plain).has_gradebook() and not (plain / "gradebook.db").exists()  # asking creates nothing
    served, nowhere = tmp_path / "served", tmp_path / "no-server"
    (served / "source" / LAB).mkdir(parents=True)
    nowhere.mkdir()
    url = f"postgresql://{SUPERUSER}:secret@/comp6248?host={nowhere}"
    (served / course.CONFIG_FILE).write_text(f"c = get_config()\nc.CourseDirectory.db_url = {url!r}\n")
    assert Course(served).db_url == url
    copy = Course(served).copy_lab(LAB, tmp_path / "copy").root  # a release check or a benchmark: never the course's database
    assert Course(copy).db_url == f"sqlite:///{copy / 'gradebook.db'}"
    for ask in (lambda root: Course(root).has_gradebook(), lambda root: Course(root).gradebook(),
                lambda root: release.generate(Course(root), LAB)):
        with pytest.raises(course.GradebookUnavailable, match=rf"^cannot reach the gradebook database at "
                           rf"postgresql://{SUPERUSER}:\*\*\*@/comp6248\?host=\S+: .*No such file") as raised:
            ask(served)
        assert "secret" not in str(raised.value)
    assert not (served / "release").exists()
