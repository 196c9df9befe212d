"""The course hub end to end, in a real browser: JupyterHub + the nbgrader exchange, driven by headless Chromium.

One hub on 127.0.0.1 with its own accounts (``hubtest-*``), exchange and state, started for this module:

1. a student logs in (PAM), fetches lab01 in the Assignments tab, submits it untouched, opens a notebook, types an
   answer and a written answer into its cells, runs them, presses Validate (the failing visible test of an
   unanswered exercise is shown, the typed one passes) and submits again;
2. a second student submits through the exchange an unreadable notebook, a notebook over the size limit (bypassing
   the client's own limit) and a stray file;
3. the instructor collects in the formgrader (the oversized file is reported and left out, collection goes on),
   presses Autograde (refused: the dialog gives the sandboxed command), the sandboxed pipeline grades (the latest
   submission is graded; the bad notebooks are reported), grades the written answer by hand, generates and
   releases feedback;
4. the student fetches the feedback and sees the scores and the comment, without any hidden test;
5. the second student can neither list nor find the first's submission in the exchange (its name carries 72 random
   bits, as nbgrader makes it), and can read neither the first's home nor the instructor's ``source/`` or gradebook,
   through the hub's API or from inside their own server's sandbox.

Screenshots of every step go to ``build/hub-e2e/`` (their paths are printed); each step has a deadline and names
what it expected. Slow: about 3-4 minutes on 2 cores.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from labs.course import Course
from tests.conftest import BUILD, ROOT
from tests.hub_browser import Browser, browser_available

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("course-hub")]

SHOTS = BUILD / "hub-e2e"
LAB = "lab01"
PORT = 18600
INSTRUCTOR = "hubtest-instructor"
STUDENT = "hubtest-student1"
OTHER = "hubtest-student2"
TIMINGS: list[tuple[str, float]] = []


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "the course hub's browser tests need root (they create Unix accounts and start servers as them)"
    reason = browser_available()
    if reason:
        return reason
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (make setup installs it as root)"
    if not (ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy").is_file():
        return "configurable-http-proxy is not installed: make hub-setup"
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        return "jupyterhub is not installed (requirements.txt)"
    return None


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    from labs import hub as hubmod

    work = tmp_path_factory.mktemp("hub")
    settings = hubmod.HubSettings(root=ROOT, state=work / "state", exchange=work / "exchange", port=PORT,
                                  instructor=INSTRUCTOR, students=(STUDENT, OTHER), labs=(LAB,))
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    start = time.monotonic()
    hubmod.kill_user_processes(settings.users)  # anything left of an earlier, killed run
    accounts = hubmod.ensure_accounts(settings)
    for user in settings.users:
        hubmod.reset_home(settings, user)
    hubmod.prepare(settings, log=lambda line: None)
    TIMINGS.append(("setup: accounts, exchange, instructor's course, release lab01 through the exchange", time.monotonic() - start))
    start = time.monotonic()
    log = SHOTS / "hub.log"
    process = hubmod.launch(settings, log)
    try:
        hubmod.wait_until_up(settings, process, timeout=90)
        TIMINGS.append(("start JupyterHub and its proxy", time.monotonic() - start))
        yield settings, accounts
    finally:
        hubmod.stop(process, settings)
        print(f"\nhub log: {log}")
        _write_timings()


def _write_timings() -> None:
    if not TIMINGS:
        return
    lines = ["| step | seconds |", "|---|---:|"] + [f"| {what} | {seconds:.1f} |" for what, seconds in TIMINGS]
    lines.append(f"| sum of steps (the second student and the instructor's server start run beside the first student) | {sum(s for _, s in TIMINGS):.1f} |")
    (SHOTS / "timings.md").write_text("\n".join(lines) + "\n")
    print(f"\ncourse hub step timings ({SHOTS / 'timings.md'}):\n" + "\n".join(lines))


@pytest.fixture
def browser(request):
    made = []

    def make(name):
        b = Browser(SHOTS, name, step_timeout=60)
        made.append(b)
        return b

    yield make
    for b in made:
        TIMINGS.extend(b.timings)
        b.close()
    print(f"\nscreenshots: {SHOTS}/")


def _timed(what: str, function, *args, **kwargs):
    start = time.monotonic()
    result = function(*args, **kwargs)
    TIMINGS.append((what, time.monotonic() - start))
    print(f"  [{time.monotonic() - start:5.1f} s] {what}")
    return result


def _labs_cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "labs", *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout)


def _hidden_lines(lab: str) -> list[str]:
    """Lines of the lab's hidden-test blocks that appear nowhere in the student's release (none may reach a student)."""
    from labs.course import cells

    released = "\n".join(cell.source for path in sorted((ROOT / "release" / lab).glob("*.ipynb"))
                         for cell in nbformat.read(str(path), as_version=4).cells)
    found = []
    for path in sorted((ROOT / "source" / lab).glob("*.ipynb")):
        for cell in nbformat.read(str(path), as_version=4).cells:
            source = cell.source
            while cells.HIDDEN_BEGIN in source:
                block = source.split(cells.HIDDEN_BEGIN, 1)[1]
                block, _, source = block.partition(cells.HIDDEN_END)
                found += [line.strip() for line in block.splitlines() if len(line.strip()) > 25 and line.strip() not in released]
    assert found, f"no hidden-test lines found in source/{lab}: the check would prove nothing"
    return found


def _bad_submission_as_other(settings) -> str:
    """The second student fetches lab01 and submits, through the exchange, an unreadable notebook, a notebook over
    the course's size limit (overriding the client's own limit, as a student could) and a stray file."""
    from labs.hub import MAX_FILE_KB, spawner

    python = sys.executable
    home = settings.home(OTHER)
    done = spawner.run_as(settings, OTHER, [python, "-m", "nbgrader", "fetch_assignment", LAB, "--course", "comp6248"], cwd=home)
    assert done.returncode == 0, done.stdout
    script = (f"import pathlib; d = pathlib.Path({str(home / LAB)!r}); "
              "(d / '1_tensors.ipynb').write_text('{ this is not a notebook'); "
              f"(d / '3_logistic_softmax.ipynb').write_text('{{\"pad\": \"' + 'x' * {(MAX_FILE_KB + 1000) * 1000} + '\"}}'); "
              "(d / 'notes.txt').write_text('my notes')")
    assert spawner.run_as(settings, OTHER, [python, "-c", script], cwd=home).returncode == 0
    done = spawner.run_as(settings, OTHER, [python, "-m", "nbgrader", "submit", LAB, "--course", "comp6248",
                                            "--CourseDirectory.max_file_size=1000000"], cwd=home)
    assert done.returncode == 0, done.stdout
    return done.stdout


def test_course_hub_end_to_end(hub, browser):
    from tests import hub_scenario as sc

    settings, accounts = hub
    url = settings.url
    # While the first student works: the second student's bad submission (step 2) and the instructor's server
    # starting, in the background (each takes tens of seconds on a loaded machine).
    background = ThreadPoolExecutor(max_workers=2)
    other_submitted = background.submit(_timed, "second student submits an unreadable, an oversized and a stray file",
                                        _bad_submission_as_other, settings)
    background.submit(_spawn_server, settings, INSTRUCTOR, accounts[INSTRUCTOR])

    # 1. The student, in the browser.
    student = browser("student")
    sc.log_in(student, url, STUDENT, accounts[STUDENT])
    sc.open_assignments(student)
    sc.fetch(student, LAB)
    sc.submit(student, LAB, "untouched, a first submission")
    sc.open_notebook(student, LAB, sc.NOTEBOOK)
    sc.answer_in_notebook(student)
    result = sc.validate(student)
    assert "failed" in result.lower() and "pinv_svd" in result, (
        "Validate should show the failing visible test of the unanswered pinv_svd, got:\n" + result[:2000])
    assert 'exercise="mse_grad"' not in result, "the typed mse_grad answer should pass its visible test:\n" + result[:2000]
    sc.close_dialog(student)
    sc.show_assignments(student)
    sc.submit(student, LAB, "answered, the second submission")

    # 2. The second student's bad submission, through the exchange (started at the beginning).
    other_submitted.result(timeout=300)
    background.shutdown(wait=True, cancel_futures=False)

    # 3. The instructor, in the formgrader.
    instructor = browser("instructor")
    sc.log_in(instructor, url, INSTRUCTOR, accounts[INSTRUCTOR])
    collect_log = sc.assignment_action(instructor, url, INSTRUCTOR, LAB, "collect", "success",
                                       "collect the submissions in the formgrader (Manage Assignments > Collect)")
    assert "too large" in collect_log.lower(), "the collect log should report the oversized file:\n" + collect_log
    course_dir = settings.course_dir()
    assert (course_dir / "submitted" / STUDENT / LAB / f"{sc.NOTEBOOK}.ipynb").is_file(), "student 1 was not collected"
    assert (course_dir / "submitted" / OTHER / LAB / "1_tensors.ipynb").is_file(), "student 2 was not collected"
    assert not (course_dir / "submitted" / OTHER / LAB / "3_logistic_softmax.ipynb").exists(), \
        "the oversized notebook should have been left out of the collection"

    sc.autograde_in_ui(instructor, url, INSTRUCTOR, LAB, STUDENT)
    graded = _timed("autograde in the sandbox: python -m labs hub grade lab01",
                    _labs_cli, "hub", "grade", LAB, "--instructor", INSTRUCTOR, "--jobs", "2")
    # `labs hub grade` grades the course in the instructor's home, as root, every kernel in the grading sandbox.
    assert graded.returncode == 0, graded.stdout + graded.stderr
    report = graded.stdout
    print(report)
    assert re.search(rf"{OTHER}\s.*invalid", report) and "1_tensors.ipynb is not a readable notebook" in report, report
    assert "3_logistic_softmax.ipynb is missing" in report, report
    autograded = nbformat.read(str(course_dir / "autograded" / STUDENT / LAB / f"{sc.NOTEBOOK}.ipynb"), as_version=4)
    assert any(sc.ANSWER_LINE in cell.source for cell in autograded.cells), "the latest submission was not the one graded"
    with Course(course_dir).gradebook() as gb:
        first = gb.find_submission(LAB, STUDENT)
        assert first.code_score >= 2, f"the answered mse_grad should earn its 2 points, got {first.code_score}"

    scores = sc.submission_scores(instructor, url, INSTRUCTOR, LAB)
    assert STUDENT in scores, scores
    sc.grade_by_hand(instructor, url, INSTRUCTOR, LAB, sc.NOTEBOOK, STUDENT, sc.WRITTEN_ANSWER_ID, "2", COMMENT)

    def saved():
        with Course(course_dir).gradebook() as gb:
            grade = gb.find_grade(sc.WRITTEN_ANSWER_ID, sc.NOTEBOOK, LAB, STUDENT)
            comment = gb.find_comment(sc.WRITTEN_ANSWER_ID, sc.NOTEBOOK, LAB, STUDENT)
            return (grade.manual_score, comment.manual_comment) == (2, COMMENT) or (grade.manual_score, comment.manual_comment)

    instructor.wait_for(lambda: saved() is True, f"score 2 and the comment for {sc.WRITTEN_ANSWER_ID} in the gradebook "
                        f"(found {saved()})", timeout=20)
    sc.assignment_action(instructor, url, INSTRUCTOR, LAB, "generate-feedback", "success", "generate feedback (Manage Assignments)")
    sc.assignment_action(instructor, url, INSTRUCTOR, LAB, "release-feedback", "success",
                         "release feedback through the exchange (Manage Assignments)")

    # 4. The student fetches the feedback.
    sc.fetch_feedback(student, LAB)
    feedback_files = sorted(settings.home(STUDENT).glob(f"{LAB}/feedback/*/{sc.NOTEBOOK}.html"))
    assert feedback_files, f"no feedback in {settings.home(STUDENT) / LAB / 'feedback'}"
    relative = feedback_files[-1].relative_to(settings.home(STUDENT))
    shown = sc.read_feedback(student, url, STUDENT, str(relative), [COMMENT, "Score"])
    assert sc.ANSWER_LINE.split(" @ ")[0] in shown
    text = html.unescape(re.sub(r"<[^>]+>", "", feedback_files[-1].read_text()))
    leaked = [line for line in _hidden_lines(LAB) if line in text]
    assert "BEGIN HIDDEN TESTS" not in text and not leaked, f"hidden tests in the student's feedback: {leaked[:3]}"


COMMENT = "Right: the chain rule on r = X theta - y. State the normal equations explicitly next time."


def test_second_student_cannot_read_another_submission_or_source(hub):
    """Through the exchange and the hub: no other student's submission to list or find, no other home, no
    instructor's course, no repository."""
    from labs.hub import spawner

    settings, accounts = hub
    inbound = settings.exchange / "comp6248" / "inbound"
    theirs = [p for p in inbound.iterdir() if p.name.startswith(f"{STUDENT}+")] if inbound.is_dir() else []
    assert theirs, "the first student's submission should be in the exchange (the end-to-end test submits it)"
    target = next(theirs[0].glob("*.ipynb"))
    probe = (
        "import os, sys\n"
        "def tryit(what, f):\n"
        "    try:\n"
        "        f(); print('READ', what)\n"
        "    except OSError as e:\n"
        "        print('DENIED', what, type(e).__name__)\n"
        f"tryit('inbound listing', lambda: os.listdir({str(inbound)!r}))\n"
        f"tryit('first student home', lambda: os.listdir({str(settings.home(STUDENT))!r}))\n"
        f"tryit('instructor source', lambda: os.listdir({str(settings.course_dir() / 'source')!r}))\n"
        f"tryit('repository source', lambda: os.listdir({str(ROOT / 'source')!r}))\n"
        f"tryit('gradebook', lambda: open({str(settings.course_dir() / 'gradebook.db')!r}, 'rb').read(1))\n"
    )
    done = spawner.run_as(settings, OTHER, [sys.executable, "-c", probe], cwd=settings.home(OTHER))
    print(done.stdout)
    for what in ("inbound listing", "first student home", "instructor source", "repository source", "gradebook"):
        assert f"DENIED {what}" in done.stdout, f"{OTHER} could read the {what}:\n{done.stdout}"
    # nbgrader's exchange design: the instructor collects as an ordinary user, so submitted files are readable by
    # anyone who knows their path; the path cannot be found (inbound/ is write-only) or guessed (72 random bits).
    random_part = theirs[0].name.rsplit("+", 1)[-1]
    assert len(random_part) >= 12, f"the submission's name {theirs[0].name} has no unguessable part"

    # Through the hub: the second student's API token opens neither the first student's server nor their files.
    _spawn_server(settings, OTHER, accounts[OTHER])
    token = _token(settings, OTHER, accounts[OTHER])
    deadline = time.monotonic() + 120
    while _get(f"{settings.url}/user/{OTHER}/api/contents", token) != 200 and time.monotonic() < deadline:
        time.sleep(1)
    for path in (f"/user/{STUDENT}/api/contents/{LAB}", f"/user/{STUDENT}/files/{LAB}/{target.name}",
                 f"/hub/api/users/{STUDENT}", f"/user/{INSTRUCTOR}/api/contents/comp6248/source",
                 f"/user/{OTHER}/api/contents/..%2F{STUDENT}"):
        status = _get(settings.url + path, token)
        assert status in (400, 403, 404), f"{path} answered {status} to {OTHER}'s token"
    assert _get(f"{settings.url}/user/{OTHER}/api/contents", token) == 200, "the token should work for its own server"


def _token(settings, user: str, password: str) -> str:
    """An API token for ``user``, asked for with the user's own password (the hub's login), not as an admin."""
    import base64

    request = urllib.request.Request(f"{settings.url}/hub/api/users/{user}/tokens", method="POST",
                                     data=json.dumps({"note": "test", "expires_in": 600}).encode(),
                                     headers={"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["token"]
    except urllib.error.HTTPError:
        pass
    # JupyterHub without Basic auth for tokens: log in with the form and ask with the session's cookies.
    import requests

    session = requests.Session()
    session.get(f"{settings.url}/hub/login", timeout=30)
    session.post(f"{settings.url}/hub/login", data={"username": user, "password": password,
                                                    "_xsrf": session.cookies.get("_xsrf")}, timeout=120)
    response = session.post(f"{settings.url}/hub/api/users/{user}/tokens", json={"note": "test", "expires_in": 600},
                            headers={"X-XSRFToken": session.cookies.get("_xsrf", path="/hub/") or ""}, timeout=30)
    response.raise_for_status()
    return response.json()["token"]


def _spawn_server(settings, user: str, password: str) -> None:
    """Ask the hub to start ``user``'s server now (the user's own token), so that their login finds it running."""
    token = _token(settings, user, password)
    request = urllib.request.Request(f"{settings.url}/hub/api/users/{user}/server", method="POST", data=b"{}",
                                     headers={"Authorization": f"token {token}"})
    try:
        urllib.request.urlopen(request, timeout=120).close()
    except urllib.error.HTTPError as error:
        if error.code not in (201, 202, 400):  # 400: already running
            raise


def _get(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
