"""Kernel launcher named in the sandbox kernelspec (``python -I``, see :func:`labs.grading.sandbox.isolated_module`).

Runs on the host with the grader's rights, in the notebook's directory (nbgrader starts kernels there), so it is
started isolated: nothing in that directory is on its import path. It hands the sandbox user the notebook directory
itself (not what is inside it) and a private copy of the connection file, made where no link can redirect it, then
either runs a kernel forked from the submission's warm process (labs.grading.warm_kernel), standing in for it until it
ends, or, when warm kernels are off or none can be had, replaces itself with bubblewrap running ipykernel (see
labs.grading.sandbox). Its own logs go to the submission's private folder, which the sandbox cannot reach.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from labs.grading import memory_cgroup
from labs.grading.sandbox import SETTINGS_VARIABLE, Settings, bwrap_command

# Opening a path in a folder the sandbox user may write: never through a link, never onto a file already there.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


def private_copy(connection_file: str, settings: Settings) -> str:
    """A copy of the connection file in the submission's socket folder, readable by the sandbox user only.

    The folder is the sandbox user's, so the name is new and random and the file is created, never opened if there
    (a link planted under a predictable name would otherwise make the grader write through it)."""
    data = Path(connection_file).read_bytes()
    path = os.path.join(settings.ipc_dir, f"connection-{secrets.token_hex(8)}.json")
    descriptor = os.open(path, _NEW_FILE, 0o600)
    try:
        os.write(descriptor, data)
        if settings.uid is not None:
            os.fchown(descriptor, settings.uid, settings.uid)
    finally:
        os.close(descriptor)
    return path


def hand_over_folder(workdir: str, uid: int) -> None:
    """Let the sandbox user write in ``workdir`` itself (by descriptor: the path is the grader's, and no walk of the
    folder's content, which earlier kernels of the same submission may be changing, is made as root)."""
    descriptor = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        os.fchown(descriptor, uid, uid)
        os.fchmod(descriptor, 0o755)
    finally:
        os.close(descriptor)


def main(argv: list[str]) -> None:
    if "-f" not in argv or SETTINGS_VARIABLE not in os.environ:
        raise SystemExit("usage: python -m labs.grading.sandbox_kernel -f CONNECTION_FILE (started by the grader)")
    settings = Settings.from_env(os.environ[SETTINGS_VARIABLE])
    index = argv.index("-f")
    connection_file = argv[index + 1]
    extra = argv[:index] + argv[index + 2:]  # e.g. nbgrader's Execute.extra_arguments
    if settings.cgroup:  # the submission's memory limit: everything started from here on is counted in it
        try:
            memory_cgroup.join(settings.cgroup)
        except OSError as error:
            print(f"labs.grading.sandbox_kernel: could not join the memory cgroup ({error})", file=sys.stderr)
    private = private_copy(connection_file, settings)
    workdir = os.getcwd()
    if settings.uid is not None:
        hand_over_folder(workdir, settings.uid)
    # The kernel's own stdout/stderr (its start-up banner, or a student writing to file descriptor 1) go to a log in
    # the private folder, not to the grader's terminal; cell output travels over ZMQ.
    name = Path(connection_file).stem
    log_path = os.path.join(settings.private_dir, f"kernel-{name}.log")
    if settings.warm:
        from labs.grading import warm_kernel

        warm_kernel.die_with_parent()  # as bubblewrap's --die-with-parent does for a cold kernel
        # (a forked kernel writes its own output inside the sandbox, in the socket folder)
        status = warm_kernel.launch(settings, workdir, private, extra, log_path,
                                    os.path.join(settings.ipc_dir, f"kernel-{name}.log"))
        if status is not None:
            raise SystemExit(status)
    command = bwrap_command(settings, workdir, private, [settings.python, "-I", "-m", "ipykernel_launcher", "-f", private, *extra])
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
