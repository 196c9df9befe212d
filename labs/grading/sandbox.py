"""The grading sandbox: every kernel that runs student code runs under bubblewrap.

Inside, a kernel sees the Python environment, the ``labs`` package and the system
directories read-only, its own notebook directory read-write, a private ``/tmp``, no
network, no other process, and nothing else of the course (no ``source/``, no other
submissions, no gradebook). It runs as an unprivileged user with limits on memory,
processes, CPU time, file size and open files.

nbgrader starts kernels through a kernelspec; :func:`install_kernelspec` writes one whose
launcher is ``python -I`` running :mod:`labs.grading.sandbox_kernel` (isolated: neither the notebook's folder, where
nbgrader starts it, nor any environment variable is on its import path), which builds the bubblewrap command from
:func:`bwrap_command`. The kernel talks to nbgrader over Unix sockets (ZMQ ``ipc``) in a
directory shared with the sandbox, since the sandbox has its own network namespace.

Each submission gets its own folders (:func:`submission`): a socket folder the sandbox may write in, and a private
folder only the grader can reach (process records, the launcher's logs). When its grading ends, every process of its
sandbox is killed and checked gone (:func:`end_processes`: by the sandbox user when grading as root, which no student
code can escape or forge) before the next submission starts. The threat model is ``docs/threat-model.md``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from labs.grading import memory_cgroup

KERNEL_NAME = "comp6248-sandbox"
SETTINGS_VARIABLE = "LABS_SANDBOX_SETTINGS"
RUN_DIR_VARIABLE = "LABS_SANDBOX_RUN_DIR"
WARM_VARIABLE = "LABS_WARM_KERNELS"  # "0": start every kernel cold (see labs.grading.warm_kernel)
# Kernels run as this user id plus the grading worker's process id when grading runs as root: RLIMIT_NPROC is not
# enforced for root, an unprivileged user cannot read what it should not, and each worker's sandbox user is its own
# (no two live workers share a process id), so that ending one worker's sandbox never touches another's.
BASE_UID = 61000
# How long end_processes() waits for a sandbox's processes to be gone after killing them.
END_SECONDS = 20.0
PASSED_VARIABLES = ("LABS_SEED", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "LANG", "TZ")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create a sandbox on this machine."""


class SandboxConfigError(ValueError):
    """A sandbox limit in ``nbgrader_config.py`` is unknown or not a positive whole number."""


@dataclass(frozen=True)
class Limits:
    """What one kernel may use (``prlimit``); each can be set in ``nbgrader_config.py`` as ``c.Sandbox.NAME``."""

    memory_bytes: int = 6 * 1024**3  # address space: torch alone maps about 1.5 GB
    cpu_seconds: int = 300  # a notebook needs at most 60
    processes: int = 128  # threads count too
    file_bytes: int = 200 * 1024**2
    open_files: int = 512
    # Whole-notebook limits, enforced by the grader while the kernel runs (labs.grading.limits) or when staging:
    output_bytes_cell: int = 2 * 1024**2  # output one cell may send (text, images, errors); the rest is cut
    output_bytes_notebook: int = 16 * 1024**2  # output all of a notebook's cells may send
    notebook_seconds: int = 900  # wall time of all of a notebook's cells; cells after it are not run
    notebook_cpu_seconds: int = 900  # CPU time of all of a notebook's cells (every process of the sandbox); likewise
    # One message from the kernel (ZMQ_MAXMSGSIZE): a larger one is refused unread, and the kernel's output channel with
    # it, so the rest of that notebook's outputs are lost (it times out); output past 2 MB a cell is cut anyway
    message_bytes: int = 64 * 1024**2
    cells: int = 1000  # cells in one notebook; a notebook with more is not graded
    sandbox_memory_bytes: int = 4 * 1024**3  # resident memory of all a submission's processes and its /tmp together
    folder_bytes: int = 1024**3  # disk a notebook's folder may hold while it runs (checked every second)
    folder_files: int = 10_000  # files and folders it may hold
    # CPU seconds of one cell (labs.grading.cpu_time): a multiple of the model solution's, at least the floor; the
    # flat limit where the canary never calibrated; a lab's own flat limit, by hand ({"lab05": 120} in the config)
    cell_cpu_multiple: int = 4
    cell_cpu_floor: int = 20
    cell_cpu_seconds: int = 60
    cell_cpu_seconds_per_lab: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_config(cls, config) -> Limits:
        """The limits of the course's configuration (its ``Sandbox`` section) over these defaults."""
        section = dict(config["Sandbox"]) if "Sandbox" in config else {}
        known = [f.name for f in fields(cls)]
        for name, value in section.items():
            if name not in known:
                raise SandboxConfigError(f"nbgrader_config.py sets c.Sandbox.{name}, which is not a sandbox limit "
                                         f"(the limits: {', '.join(known)})")
            if name == "cell_cpu_seconds_per_lab":
                if not isinstance(value, dict) or not all(
                        isinstance(k, str) and _positive(v) for k, v in value.items()):
                    raise SandboxConfigError(f"nbgrader_config.py sets c.Sandbox.{name} = {value!r}: it maps lab "
                                             "names to positive whole numbers of CPU seconds, e.g. {'lab05': 120}")
                section[name] = tuple(sorted(value.items()))
            elif not _positive(value):
                raise SandboxConfigError(f"nbgrader_config.py sets c.Sandbox.{name} = {value!r}: a limit is a "
                                         "positive whole number")
        return cls(**section)


def _positive(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value > 0


@dataclass(frozen=True)
class Settings:
    """What the launcher needs to know, passed to it as JSON in an environment variable."""

    python: str
    readable: tuple[str, ...]  # host paths bound read-only at the same place
    ipc_dir: str
    uid: int | None  # None: keep the caller's user (grading as a normal user)
    limits: Limits
    warm: bool = True  # fork kernels from a warm process per submission (labs.grading.warm_kernel)
    private_dir: str = ""  # the grader's own folder for this submission: never bound into the sandbox
    aliases: tuple[tuple[str, str], ...] = ()  # (real folder, the linked name it is also shown at): aliased_paths()
    cgroup: str = ""  # the submission's memory cgroup, which the launcher joins (labs.grading.memory_cgroup)

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, text: str) -> Settings:
        data = json.loads(text)
        limits = data["limits"]
        limits["cell_cpu_seconds_per_lab"] = tuple(tuple(pair) for pair in limits.get("cell_cpu_seconds_per_lab", ()))
        data["limits"] = Limits(**limits)
        data["readable"] = tuple(data["readable"])
        data["aliases"] = tuple(tuple(pair) for pair in data.get("aliases", ()))
        return cls(**data)


@functools.cache
def check_available() -> None:
    """Raise :class:`SandboxUnavailable` with the reason when a sandbox cannot be made here."""
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed; install it with `apt-get install bubblewrap` "
            "(make setup does this when run as root)"
        )
    probe = subprocess.run(
        ["bwrap", "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "--dev", "/dev", "--proc", "/proc", "true"],
        capture_output=True, text=True, timeout=30,
    )
    if probe.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap cannot create a sandbox here: {probe.stderr.strip() or probe.returncode}")


def readable_paths() -> list[str]:
    """Host paths a kernel needs to read: the interpreter, the environment, the labs package, data caches."""
    import labs

    paths = {
        str(Path(sys.base_prefix).resolve()),
        str(Path(sys.prefix).resolve()),
        str(Path(labs.__file__).resolve().parent),
        str(Path(sys.executable).resolve().parent),
    }
    paths |= {str(Path(library).resolve().parent) for library in interpreter_libraries()}
    from labs.data import cache_dir

    if cache_dir().is_dir():
        paths.add(str(cache_dir().resolve()))
    kept = sorted(p for p in paths if not p.startswith(("/usr/", "/lib/", "/lib64/")))
    # A path inside another one is already visible.
    return [p for p in kept if not any(p != q and p.startswith(q + "/") for q in kept)]


def interpreter_libraries() -> list[str]:
    """The shared ``libpython`` this interpreter runs on, where it is one: an interpreter built with a shared library
    finds it by an absolute path (pyenv's, or an environment copied or moved from where it was built), which may lie
    outside every environment folder."""
    try:
        lines = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return []
    found = {line.split(None, 5)[5] for line in lines if len(line.split(None, 5)) == 6}
    return sorted(path for path in found if os.path.basename(path).startswith("libpython") and os.path.isfile(path))


def aliased_paths(readable: list[str]) -> list[tuple[str, str]]:
    """(real path, path as this Python names it) for the environment's folders reached through a symbolic link (a
    linked or shared environment): the kernel is started by the name this Python has, so the sandbox shows the real
    folder there too."""
    aliases = []
    for named in {sys.prefix, sys.base_prefix, os.path.dirname(sys.executable)}:
        shown_as = os.path.abspath(named)
        real = os.path.realpath(named)
        inside = any(shown_as == p or shown_as.startswith(p + "/") for p in readable)
        if shown_as != real and not inside and (real, shown_as) not in aliases:
            aliases.append((real, shown_as))
    return sorted(aliases)


def _parent_dirs(destinations: list[str]) -> list[str]:
    """``--dir`` arguments for every missing ancestor of the bind destinations, world-traversable.

    bubblewrap creates missing parents with mode 0700, which the unprivileged sandbox user
    cannot traverse; ``--perms 0755 --dir`` creates them explicitly.
    """
    made = {"/", "/usr", "/etc", "/tmp", "/proc", "/dev"}
    args: list[str] = []
    for destination in sorted(destinations):
        ancestors = list(reversed(Path(destination).parents))
        for ancestor in ancestors:
            text = str(ancestor)
            if text in made or any(text.startswith(m + "/") for m in ("/usr", "/etc", "/proc", "/dev")):
                continue
            made.add(text)
            args += ["--perms", "0755", "--dir", text]
    return args


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = Path(name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    return args


def bwrap_command(settings: Settings, workdir: str, connection_file: str | None, kernel_argv: list[str],
                  die_with_parent: bool = True) -> list[str]:
    """The full command that starts ``kernel_argv`` inside the sandbox, working in ``workdir``.

    ``connection_file`` is bound read-only when given. A warm process (:mod:`labs.grading.warm_kernel`) is started with
    ``die_with_parent=False``: it outlives the launcher that starts it, and stops itself.
    """
    limits = settings.limits
    command = ["bwrap", *(["--die-with-parent"] if die_with_parent else []), "--new-session"]
    command += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if settings.uid is None:
        command += ["--unshare-user"]
    command += _system_binds()
    command += ["--proc", "/proc", "--dev", "/dev", "--perms", "01777", "--tmpfs", "/tmp"]
    command += _parent_dirs([*settings.readable, *(alias for _, alias in settings.aliases), settings.ipc_dir, workdir])
    for path in settings.readable:
        command += ["--ro-bind", path, path]
    for real, alias in settings.aliases:
        command += ["--ro-bind", real, alias]
    command += ["--bind", settings.ipc_dir, settings.ipc_dir]
    if connection_file is not None:
        command += ["--ro-bind", connection_file, connection_file]
    command += ["--bind", workdir, workdir, "--chdir", workdir]
    command += ["--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", "/tmp",
                "--setenv", "MPLCONFIGDIR", "/tmp/matplotlib", "--setenv", "PYTHONDONTWRITEBYTECODE", "1"]
    for name in PASSED_VARIABLES:
        if name in os.environ:
            command += ["--setenv", name, os.environ[name]]
    from labs.data import cache_dir

    cache = str(cache_dir().resolve())
    if any(cache == p or cache.startswith(p + "/") for p in settings.readable):
        command += ["--setenv", "LABS_DATA", cache]  # HOME is /tmp inside: point labs.data at the host's cache
    command += ["--", "prlimit", f"--as={limits.memory_bytes}", f"--cpu={limits.cpu_seconds}",
                f"--nproc={limits.processes}", f"--fsize={limits.file_bytes}", f"--nofile={limits.open_files}", "--"]
    if settings.uid is not None:
        command += ["setpriv", f"--reuid={settings.uid}", f"--regid={settings.uid}", "--clear-groups",
                    "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]
    return command + kernel_argv


def isolated_module(python: str, module: str, args: list[str]) -> list[str]:
    """``python`` running ``module`` as ``python -m`` would, but isolated (``-I``): neither the working directory (a
    submission's folder) nor ``PYTHON*`` variables reach the import path. The folder holding the course's ``labs``
    comes first, so that ``labs`` is this course's however it is installed (editable, regular or not at all)."""
    import labs

    home = str(Path(labs.__file__).resolve().parent.parent)
    code = f"import sys, runpy; sys.path.insert(0, {home!r}); runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"
    return [python, "-I", "-c", code, *args]


def install_kernelspec(directory: Path) -> Path:
    """Write the sandbox kernelspec under ``directory/kernels/``; put ``directory`` on JUPYTER_PATH."""
    spec_dir = directory / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        # Started by nbgrader in the submission's folder, as the grader: isolated, so no file there is imported.
        "argv": isolated_module(sys.executable, "labs.grading.sandbox_kernel", ["-f", "{connection_file}"]),
        "display_name": "Python 3 (COMP6248 grading sandbox)",
        "language": "python",
        # Signals sent to the launcher would not reach the kernel in its own PID namespace.
        "interrupt_mode": "message",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return spec_dir


def worker_settings(limits: Limits | None = None) -> Settings:
    """Settings for kernels started by this process: its own sandbox user; the folders come per submission
    (:func:`submission`)."""
    limits = limits or Limits()
    if os.geteuid() != 0:
        # RLIMIT_NPROC counts every process of the user, and without root the kernel keeps the
        # grader's user: allow what the user already runs plus the sandbox's share.
        limits = replace(limits, processes=limits.processes + _processes_of(os.geteuid()))
    return Settings(
        python=sys.executable,
        readable=tuple(readable_paths()),
        aliases=tuple(aliased_paths(readable_paths())),
        ipc_dir="",
        uid=BASE_UID + os.getpid() if os.geteuid() == 0 else None,
        limits=limits,
        warm=os.environ.get(WARM_VARIABLE, "1") != "0",
    )


@contextlib.contextmanager
def submission(settings: Settings):
    """Fresh folders for one submission's kernels; on the way out, every process of its sandbox ended and checked gone.

    Under the run's scratch folder (``RUN_DIR_VARIABLE``; else a new temporary one), in a folder only the grader can
    enter: ``ipc`` (the sandbox user's: kernel sockets, the warm process's socket and the kernels' own logs) and
    ``private`` (the grader's: what the launcher records and logs; never bound into the sandbox). Yields the settings
    with those folders; raises nothing on the way out, but the processes that could not be ended are listed in
    ``leftovers`` of the yielded state (:class:`SubmissionState`).
    """
    top = tempfile.mkdtemp(prefix="s-", dir=os.environ.get(RUN_DIR_VARIABLE) or None)
    ipc, private = os.path.join(top, "ipc"), os.path.join(top, "private")
    os.mkdir(ipc, 0o700)
    os.mkdir(private, 0o700)
    if settings.uid is not None:
        os.chown(ipc, settings.uid, settings.uid)
    group = memory_cgroup.create(settings.limits.sandbox_memory_bytes) if settings.uid is not None else None
    state = SubmissionState(replace(settings, ipc_dir=ipc, private_dir=private, cgroup=str(group or "")))
    state.leftovers += end_processes(state.settings)  # nothing of an earlier submission may share this one's user
    try:
        yield state
    finally:
        state.leftovers += end_processes(state.settings)
        if group is not None:
            state.oom_kills = memory_cgroup.oom_kills(group)
            memory_cgroup.remove(group)
        shutil.rmtree(top, ignore_errors=True)  # (fd-based: never follows a link the sandbox planted)


@dataclass
class SubmissionState:
    settings: Settings
    leftovers: list[int] = field(default_factory=list)  # host PIDs of sandbox processes that survived killing
    oom_kills: int = 0  # processes the kernel killed when the sandbox passed its memory limit (set on the way out)


def sandbox_pids(uid: int) -> list[int]:
    """Host PIDs of the live processes whose real, effective or saved user is ``uid`` (from the kernel's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields_ = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uids = [int(v) for v in fields_.get("Uid", "").split()[:3] if v.isdigit()]
        if uid in uids and not fields_.get("State", "").strip().startswith("Z"):
            found.append(int(entry.name))
    return found


def _kill_user(uid: int) -> None:
    """SIGKILL every process of ``uid``, as ``uid`` itself: ``kill(-1)`` reaches exactly the processes that user may
    signal, so no PID read from anywhere is trusted and no other user's process can be hit."""
    pid = os.fork()
    if pid == 0:  # (only system calls until _exit: safe in a child of a threaded process)
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)  # every process of uid but this one
        except BaseException:
            pass
        os._exit(0)
    os.waitpid(pid, 0)


def end_processes(settings: Settings, seconds: float = END_SECONDS) -> list[int]:
    """Kill every process of the submission's sandbox and wait, within ``seconds``, until none is left; the PIDs that
    are still there then (an empty list when all are gone).

    As root, the sandbox is every process of its user (:func:`sandbox_pids`), killed by that user (:func:`_kill_user`).
    Without root, the sandboxes the launchers recorded in the private folder (which student code cannot reach) are
    killed by their PID namespace's first process, checked against its start time.
    """
    from labs.grading import warm_kernel

    if settings.private_dir:
        warm_kernel.end_recorded_sandboxes(settings.private_dir)
    if settings.uid is None:
        return []
    deadline = time.monotonic() + seconds
    while pids := sandbox_pids(settings.uid):
        if time.monotonic() > deadline:
            return pids
        _kill_user(settings.uid)
        time.sleep(0.05)
    return []


def _processes_of(uid: int) -> int:
    """Processes and threads that belong to ``uid`` now (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(list((entry / "task").iterdir()))
            except OSError:
                continue
    return count


def nbgrader_overrides(settings: Settings, config) -> None:
    """Point nbgrader's notebook execution at the sandbox kernel over ipc sockets."""
    config.Execute.kernel_name = KERNEL_NAME
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = os.path.join(settings.ipc_dir, "kernel")
