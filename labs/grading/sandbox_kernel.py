"""Kernel launcher named in the sandbox kernelspec: ``python -m labs.grading.sandbox_kernel -f CONNECTION_FILE``.

Runs on the host with the grader's rights, in the notebook's directory (nbgrader starts kernels
there). It hands the sandbox user the notebook directory and a private copy of the connection file,
then either runs a kernel forked from the submission's warm process (labs.grading.warm_kernel), standing in for it until it
ends, or, when warm kernels are off or none can be had, replaces itself with bubblewrap running ipykernel (see
labs.grading.sandbox).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from labs.grading.sandbox import SETTINGS_VARIABLE, Settings, bwrap_command


def _chown_tree(top: str, uid: int) -> None:
    os.chown(top, uid, uid)
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def main(argv: list[str]) -> None:
    if "-f" not in argv or SETTINGS_VARIABLE not in os.environ:
        raise SystemExit("usage: python -m labs.grading.sandbox_kernel -f CONNECTION_FILE (started by the grader)")
    settings = Settings.from_env(os.environ[SETTINGS_VARIABLE])
    index = argv.index("-f")
    connection_file = argv[index + 1]
    extra = argv[:index] + argv[index + 2:]  # e.g. nbgrader's Execute.extra_arguments
    private = Path(settings.ipc_dir) / f"connection-{Path(connection_file).name}"
    shutil.copyfile(connection_file, private)
    os.chmod(private, 0o600)
    workdir = os.getcwd()
    if settings.uid is not None:
        os.chown(private, settings.uid, settings.uid)
        _chown_tree(workdir, settings.uid)
    # The kernel's own stdout/stderr (its start-up banner, or a student writing to file descriptor 1)
    # go to a log beside the sockets, not to the grader's terminal; cell output travels over ZMQ.
    log_path = str(Path(settings.ipc_dir) / f"kernel-{Path(connection_file).stem}.log")
    if settings.warm:
        from labs.grading import warm_kernel

        warm_kernel.die_with_parent()  # as bubblewrap's --die-with-parent does for a cold kernel
        status = warm_kernel.launch(settings, workdir, str(private), extra, log_path)
        if status is not None:
            raise SystemExit(status)
    command = bwrap_command(settings, workdir, str(private), [settings.python, "-m", "ipykernel_launcher", "-f", str(private), *extra])
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
