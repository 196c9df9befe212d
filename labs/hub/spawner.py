"""Each user's single-user Jupyter server, as that user, inside a bubblewrap sandbox.

The hub runs as root. Instead of switching to the user in the forked process (JupyterHub's
``LocalProcessSpawner``), it starts bubblewrap, which builds a file system view for the user and then
drops to the user with ``setpriv``. Inside, a user sees:

- the system directories and the Python environment (interpreter, ``.venv``, the ``labs`` package, the data
  cache) read-only, at their usual paths;
- their own home read-write, and the exchange (nbgrader's own permissions apply);
- the configuration of their role read-only (``JUPYTER_CONFIG_PATH``);
- a private ``/tmp`` and their own processes only.

No other home, no repository (so no ``source/``), no gradebook but the instructor's own. The network is
shared (the proxy reaches the server on 127.0.0.1), so is the kernel's user id: on a real deployment each
server is a container (see docs/hub.md).
"""

from __future__ import annotations

import os
import pwd
import shlex
import subprocess
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner

from labs.grading import sandbox


def _readable() -> list[str]:
    return sandbox.readable_paths()


def user_command(settings, user: str, argv: list[str], cwd: Path | None = None) -> list[str]:
    """The bubblewrap command that runs ``argv`` as ``user`` in the user's view of the machine."""
    from labs.data import cache_dir

    entry = pwd.getpwnam(user)
    home = entry.pw_dir
    role_dir = str(settings.role_dir(user))
    readable = _readable()
    binds = [*readable, home, str(settings.exchange), role_dir]
    command = ["bwrap", "--die-with-parent", "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
    command += sandbox._system_binds()
    command += ["--proc", "/proc", "--dev", "/dev", "--perms", "01777", "--tmpfs", "/tmp"]
    command += sandbox._parent_dirs(binds)
    for path in readable:
        command += ["--ro-bind", path, path]
    command += ["--ro-bind", role_dir, role_dir]
    command += ["--bind", home, home, "--bind", str(settings.exchange), str(settings.exchange)]
    command += ["--chdir", str(cwd or home)]
    env = {
        "HOME": home, "USER": user, "LOGNAME": user, "SHELL": "/bin/bash",
        "PATH": os.pathsep.join([str(Path(_python_bin())), "/usr/local/bin", "/usr/bin", "/bin"]),
        "JUPYTER_CONFIG_PATH": role_dir,
        "LABS_DATA": str(cache_dir().resolve()),
        "MPLCONFIGDIR": "/tmp/matplotlib",
    }
    for name, value in env.items():
        command += ["--setenv", name, value]
    command += ["--", "setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups",
                "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]
    return command + list(argv)


def _python_bin() -> str:
    import sys

    return str(Path(sys.executable).parent)


def run_as(settings, user: str, argv: list[str], cwd: Path | None = None, timeout: float = 120,
           input: str | None = None) -> subprocess.CompletedProcess:
    """Run a command as ``user`` in the same sandbox as the user's server; stdout and stderr together."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": os.environ.get("LANG", "C.UTF-8")}
    return subprocess.run(user_command(settings, user, argv, cwd), env=env, input=input, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)


class CourseSpawner(LocalProcessSpawner):
    """``LocalProcessSpawner`` that starts the server through :func:`user_command` (see the module's docstring)."""

    def make_preexec_fn(self, name):
        return None  # bubblewrap and setpriv change the user, not the forked hub process

    async def start(self):
        from jupyterhub.utils import random_port

        from labs.hub import HubSettings

        settings = HubSettings.from_env()
        if self.port == 0:
            self.port = random_port()
        env = self.get_env()
        env["JUPYTER_CONFIG_PATH"] = str(settings.role_dir(self.user.name))
        argv = [*self.cmd, *self.get_args()]
        # bubblewrap sets the environment of the sandbox from these; the hub's variables pass through.
        cmd = user_command(settings, self.user.name, argv)
        self.log.info("Spawning %s", " ".join(shlex.quote(s) for s in cmd))
        self.proc = subprocess.Popen(cmd, env=env, start_new_session=True)
        self.pid = self.proc.pid
        return (self.ip or "127.0.0.1", self.port)
