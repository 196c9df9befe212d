"""The course hub: JupyterHub with the nbgrader exchange, for students and instructors (``python -m labs hub``).

What runs where:

- JupyterHub (PyPI) with ``configurable-http-proxy`` (npm, ``hub/node_modules``) on 127.0.0.1, PAM login
  against local Unix accounts (:func:`ensure_accounts` makes an instructor and demo students when run as root);
- every user's single-user server runs in a bubblewrap sandbox as that user (:mod:`labs.hub.spawner`): it sees
  the system directories and the Python environment read-only, its own home read-write, the exchange, and
  nothing else: no other home, no repository, no ``source/``, no other user's processes;
- students get the *Assignments* list and *Validate*; the instructor gets the formgrader, the course list and
  the *Create Assignment* toolbar (:func:`write_role_configs`: server extensions and lab extensions per role);
- the instructor's course is a copy of this repository's course (configuration, ``source/``) in the
  instructor's home; the labs are released through the exchange as the instructor, with nbgrader's own
  permissions (``inbound`` write-only for students, ``feedback`` by hash);
- autograding runs student code, so it never runs inside the web UI: the formgrader's *Autograde* button answers
  with the sandboxed command instead (:mod:`labs.hub.formgrader`), ``python -m labs hub grade LAB``, which runs
  the same pipeline as ``python -m labs grade`` (every kernel in the grading sandbox) on the instructor's course.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from labs.course import Course

COURSE_ID = "comp6248"
HUB_DIR = "hub"  # in the repository: jupyterhub_config.py, package.json (the proxy), node_modules/
CONFIG_FILE = "jupyterhub_config.py"
PROXY = Path("node_modules") / ".bin" / "configurable-http-proxy"
# Files larger than this are left out of a submission (nbgrader warns the student at submit and the
# instructor at collect): the largest notebook of the course with its figures is a few MB.
MAX_FILE_KB = 20_000
# A directory this large makes nbgrader refuse to copy it; set far above any real submission, so that one
# student's huge directory is skipped by the file limit instead of stopping the collection of everyone.
MAX_DIR_KB = 10_000_000


class HubError(RuntimeError):
    """The hub cannot be set up or started here; the message says why and what to do."""


@dataclass
class HubSettings:
    """Where one hub keeps its state and who its users are (``make hub`` and the tests use different ones)."""

    root: Path  # the repository (course) root
    state: Path  # the hub's database, cookie secret, per-role configuration, accounts
    exchange: Path  # nbgrader's exchange, shared by every user
    port: int = 8000
    instructor: str = "instructor"
    students: tuple[str, ...] = ("student1", "student2", "student3")
    labs: tuple[str, ...] = ("lab01",)
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def users(self) -> tuple[str, ...]:
        return (self.instructor, *self.students)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def to_env(self) -> dict[str, str]:
        """What ``hub/jupyterhub_config.py`` reads."""
        return {
            "COMP6248_HUB_STATE": str(self.state),
            "COMP6248_HUB_EXCHANGE": str(self.exchange),
            "COMP6248_HUB_PORT": str(self.port),
            "COMP6248_HUB_INSTRUCTOR": self.instructor,
            "COMP6248_HUB_STUDENTS": ",".join(self.students),
            "COMP6248_ROOT": str(self.root),
        }

    @classmethod
    def from_env(cls) -> HubSettings:
        return cls(root=Path(os.environ["COMP6248_ROOT"]), state=Path(os.environ["COMP6248_HUB_STATE"]),
                   exchange=Path(os.environ["COMP6248_HUB_EXCHANGE"]), port=int(os.environ["COMP6248_HUB_PORT"]),
                   instructor=os.environ["COMP6248_HUB_INSTRUCTOR"],
                   students=tuple(s for s in os.environ["COMP6248_HUB_STUDENTS"].split(",") if s))

    def home(self, user: str) -> Path:
        return Path(pwd.getpwnam(user).pw_dir)

    def course_dir(self) -> Path:
        """The instructor's course (nbgrader's ``CourseDirectory.root``), inside the instructor's home."""
        return self.home(self.instructor) / COURSE_ID

    def role(self, user: str) -> str:
        return "instructor" if user == self.instructor else "student"

    def role_dir(self, user: str) -> Path:
        return self.state / "roles" / self.role(user)


def default_settings(root: Path, port: int = 8000) -> HubSettings:
    return HubSettings(root=root, state=root / "build" / "hub", exchange=Path("/srv/nbgrader/exchange"), port=port)


# --- preconditions ----------------------------------------------------------------------------------------

def proxy_command(root: Path) -> Path:
    proxy = root / HUB_DIR / PROXY
    if not proxy.is_file():
        raise HubError(f"configurable-http-proxy is not installed ({proxy} is missing): run `make hub-setup` "
                       f"(npm ci in {HUB_DIR}/)")
    return proxy


def check_host() -> None:
    """The hub makes Unix accounts and starts servers as other users: it needs root and bubblewrap."""
    if os.geteuid() != 0:
        raise HubError("the course hub needs root: it creates the course's Unix accounts, logs them in with PAM and "
                       "starts each user's server as that user, in a sandbox")
    if shutil.which("bwrap") is None:
        raise HubError("bubblewrap (bwrap) is not installed: `apt-get install bubblewrap` (make setup does this as root)")
    if shutil.which("setpriv") is None:
        raise HubError("setpriv (util-linux) is missing")


# --- accounts ---------------------------------------------------------------------------------------------

def accounts_file(settings: HubSettings) -> Path:
    return settings.state / "accounts.json"


def ensure_accounts(settings: HubSettings) -> dict[str, str]:
    """Create the Unix accounts (home 0700) and give each a random password; returns ``{user: password}``.

    The passwords are kept in ``STATE/accounts.json`` (readable by root only) so that a restarted hub keeps them.
    """
    check_host()
    settings.state.mkdir(parents=True, exist_ok=True)
    known = json.loads(accounts_file(settings).read_text()) if accounts_file(settings).is_file() else {}
    for user in settings.users:
        try:
            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", user], check=True)
        known.setdefault(user, secrets.token_urlsafe(12))
        os.chmod(pwd.getpwnam(user).pw_dir, 0o700)
    lines = "".join(f"{user}:{known[user]}\n" for user in settings.users)
    subprocess.run(["chpasswd"], input=lines, text=True, check=True)
    target = accounts_file(settings)
    target.write_text(json.dumps(known, indent=1))
    os.chmod(target, 0o600)
    return {user: known[user] for user in settings.users}


def reset_home(settings: HubSettings, user: str) -> None:
    """Empty a user's home (the tests start every run from fresh accounts)."""
    home = settings.home(user)
    for child in home.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _chown_tree(top: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for path in [top, *top.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


# --- per-role configuration -------------------------------------------------------------------------------

NBGRADER_EXTENSIONS = ("formgrader", "assignment_list", "validate_assignment", "course_list")
ROLE_EXTENSIONS = {
    # server extensions (nbgrader.server_extensions.NAME) and lab plugins (@jupyter/nbgrader:NAME) each role gets
    "student": ({"assignment_list", "validate_assignment"}, {"assignment-list", "validate-assignment", "menu"}),
    "instructor": ({"formgrader", "course_list", "validate_assignment"},
                   {"formgrader", "course-list", "create-assignment", "validate-assignment", "menu"}),
}
LAB_PLUGINS = ("assignment-list", "course-list", "create-assignment", "formgrader", "validate-assignment", "menu")


def write_role_configs(settings: HubSettings) -> None:
    """``STATE/roles/ROLE/``: Jupyter server, JupyterLab page and nbgrader configuration, put first on each
    user's ``JUPYTER_CONFIG_PATH`` by the spawner (read-only to the user)."""
    for role, (server, lab) in ROLE_EXTENSIONS.items():
        folder = settings.state / "roles" / role
        (folder / "labconfig").mkdir(parents=True, exist_ok=True)
        extensions = {f"nbgrader.server_extensions.{name}": name in server for name in NBGRADER_EXTENSIONS}
        if role == "instructor":
            extensions["labs.hub.formgrader"] = True  # the Autograde button answers with the sandboxed command
        (folder / "jupyter_server_config.json").write_text(json.dumps(
            {"ServerApp": {"jpserver_extensions": extensions}}, indent=1))
        disabled = {f"@jupyter/nbgrader:{name}": True for name in LAB_PLUGINS if name not in lab}
        disabled["@jupyterlab/apputils-extension:announcements"] = True  # no news pop-up (the hub is offline)
        (folder / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": disabled}, indent=1))
        lines = [
            "# Written by labs.hub: nbgrader settings of every " + role + " on the course hub.",
            "c = get_config()  # noqa: F821",
            f"c.CourseDirectory.course_id = {COURSE_ID!r}",
            f"c.Exchange.root = {str(settings.exchange)!r}",
            f"c.CourseDirectory.max_file_size = {MAX_FILE_KB}",
            f"c.CourseDirectory.max_dir_size = {MAX_DIR_KB}",
            "c.CourseDirectory.ignore = ['.ipynb_checkpoints', '*.pyc', '__pycache__', '.DS_Store']",
        ]
        if role == "instructor":
            # The course's own settings first (feedback without hidden tests, late penalties, timeouts), wherever
            # the instructor's server or terminal runs; then this course's root.
            lines.insert(2, f"load_subconfig('nbgrader_config.py', path={str(settings.course_dir())!r})  # noqa: F821")
            lines.append(f"c.CourseDirectory.root = {str(settings.course_dir())!r}")
        (folder / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
        for path in [folder, *folder.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)


# --- the exchange and the instructor's course -------------------------------------------------------------

def prepare_exchange(settings: HubSettings) -> None:
    """The exchange root as nbgrader documents it: everyone may create in it (sticky, so nobody removes another's
    directory); nbgrader itself gives ``COURSE/inbound`` (write-only), ``outbound`` and ``feedback`` their modes."""
    settings.exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.exchange, 0o1777)


def prepare_course(settings: HubSettings) -> Path:
    """Copy the course (configuration, schedule, ``source/`` of the hub's labs) into the instructor's home."""
    course_dir = settings.course_dir()
    course_dir.mkdir(exist_ok=True)
    for name in ("nbgrader_config.py", "course.toml"):
        if (settings.root / name).is_file():
            shutil.copy2(settings.root / name, course_dir / name)
    served = Course(settings.root)
    for lab in settings.labs:
        target = Course(course_dir).source(lab)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(served.source(lab), target, ignore=shutil.ignore_patterns(*served.ignore()))
    _chown_tree(course_dir, settings.instructor)
    os.chmod(course_dir, 0o700)
    return course_dir


def release_labs(settings: HubSettings, log=print) -> None:
    """As the instructor, in the instructor's sandbox: generate each lab and release it to the exchange."""
    from labs.hub import spawner

    course_dir = settings.course_dir()
    python = sys.executable
    for lab in settings.labs:
        for argv in ([python, "-m", "nbgrader", "generate_assignment", lab, "--force", "--create"],
                     [python, "-m", "nbgrader", "release_assignment", lab, "--force"]):
            done = spawner.run_as(settings, settings.instructor, argv, cwd=course_dir, timeout=300)
            if done.returncode != 0:
                raise HubError(f"{' '.join(argv[2:])} failed as {settings.instructor}:\n{done.stdout[-3000:]}")
        log(f"released {lab} to the exchange ({settings.exchange / COURSE_ID / 'outbound' / lab})")


def prepare(settings: HubSettings, log=print) -> dict[str, str]:
    """Everything the hub needs before it starts; returns the accounts' passwords."""
    proxy_command(settings.root)
    accounts = ensure_accounts(settings)
    write_role_configs(settings)
    prepare_exchange(settings)
    prepare_course(settings)
    release_labs(settings, log)
    return accounts


# --- running the hub --------------------------------------------------------------------------------------

def hub_command(settings: HubSettings) -> list[str]:
    config = settings.root / HUB_DIR / CONFIG_FILE
    return [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)]


def hub_environment(settings: HubSettings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(settings.to_env())
    env.update(settings.extra_env)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def launch(settings: HubSettings, log_file: Path) -> subprocess.Popen:
    """Start the hub in its own session (so that :func:`stop` ends it with its proxy and servers)."""
    settings.state.mkdir(parents=True, exist_ok=True)
    log = open(log_file, "ab")
    return subprocess.Popen(hub_command(settings), cwd=settings.state, env=hub_environment(settings),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_until_up(settings: HubSettings, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise HubError(f"the hub exited with status {process.returncode} while starting")
        try:
            with urllib.request.urlopen(f"{settings.url}/hub/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise HubError(f"the hub did not answer {settings.url}/hub/health within {timeout:.0f} s")


def stop(process: subprocess.Popen, settings: HubSettings | None = None, timeout: float = 15) -> None:
    """End the hub, its proxy and every user's server, gracefully (the hub stops them) and then by force.

    The proxy and the servers run in sessions of their own: after the hub's process group, the proxy is killed
    from its pid file and whatever the hub's users still run is killed by user id.
    """
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        pass
    if settings is not None:
        pid_file = settings.state / "proxy.pid"
        try:
            os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
        except (OSError, ValueError):
            pass
        kill_user_processes(settings.users)


def kill_user_processes(users) -> None:
    """Kill what the hub's users still run (single-user servers start sessions of their own)."""
    uids = set()
    for user in users:
        try:
            uids.add(pwd.getpwnam(user).pw_uid)
        except KeyError:
            continue
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid in uids:
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue


def serve(settings: HubSettings) -> int:
    """``python -m labs hub``: prepare, then run the hub in the foreground until interrupted."""
    prepare(settings)
    print(f"course hub: {settings.url}/hub/login (Ctrl-C stops it)")
    print(f"  instructor: {settings.instructor}; students: {', '.join(settings.students)}; "
          f"passwords in {accounts_file(settings)} (root only)")
    print(f"  exchange: {settings.exchange}; instructor's course: {settings.course_dir()}")
    process = subprocess.Popen(hub_command(settings), cwd=settings.state, env=hub_environment(settings),
                               start_new_session=True)
    try:
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(process, settings)


# --- grading the hub's course -----------------------------------------------------------------------------

def grade(settings: HubSettings, lab: str, jobs: int | None = None):
    """The sandboxed pipeline of ``python -m labs grade`` on the instructor's course, run as root (every kernel
    in the grading sandbox); the course is handed back to the instructor afterwards."""
    from labs.grading import pipeline as grading

    course_dir = settings.course_dir()
    try:
        results = grading.grade(Course(course_dir), lab, jobs, sandboxed=True)  # (grades.csv exported too)
    finally:
        _chown_tree(course_dir, settings.instructor)
    return results
