"""Collecting submissions from nbgrader's exchange, with every submitted byte treated as the student's hostile input.

nbgrader's own collect runs as the instructor and trusts the ``inbound/`` folders students create:

- it copies with ``shutil.copytree``, which follows symbolic links, so a link a student puts in their folder to
  ``source/`` or the gradebook is copied *as the instructor* into ``submitted/``, where their notebook can read it
  while it is graded (and print it into its feedback);
- the student a folder belongs to is read from its name; a folder named ``victim+lab01+...`` replaces the victim's
  submission (the owner check only logs a warning);
- one folder name or ``timestamp.txt`` it cannot parse stops the collection of the whole class;
- a submission's time is the one its folder name and ``timestamp.txt`` claim, both written by the student.

:class:`SafeCollect` (``c.ExchangeFactory.collect`` in ``nbgrader_config.py``) keeps nbgrader's behaviour for honest
submissions and changes those four: only regular files and folders are copied, read through descriptors opened
without following links and never more than the size limit; a folder owned by someone other than the student it
names is refused; a bad name or timestamp skips that folder only; and the time recorded in ``submitted/`` is never
earlier than the last change the kernel saw in the student's folder (the latest status-change time, ``ctime``, of the
folder and everything collected from it: a user cannot set it back), so a back-dated ``timestamp.txt`` does not escape the late
penalty. Every refusal is logged as an error naming the folder, and collection goes on for everyone else.
"""

from __future__ import annotations

import os
import pwd
import stat
from datetime import datetime, timezone
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import parse_utc

# How far a submission's claimed time may lie before the last change to its files: nbgrader's submit writes
# timestamp.txt and then copies the notebooks, which takes seconds, not minutes.
CLAIM_TOLERANCE_SECONDS = 120
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # nbgrader's, for a naive UTC time
# At most this many files and folders in one submission are looked at (a notebook lab has a handful).
MAX_ENTRIES = 10_000
COPY_CHUNK = 1 << 20
REFUSED = "\0refused:"  # a refused folder's own group, never a student id


class SafeCollect(ExchangeCollect):
    """nbgrader's collect for a hostile inbound folder (see the module's docstring)."""

    def _path_to_record(self, path):
        """nbgrader's record of one inbound folder, or a refused one (logged) that nbgrader's choice of each
        student's latest submission sees but never picks, and that is dropped before copying."""
        name = os.path.basename(path)
        try:
            record = super()._path_to_record(path)
        except Exception as error:  # nbgrader's self.fail (a RuntimeError) or parse_utc's ValueError
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            return self._refused(name, f"not a submission folder name ({reason[:200]})")
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode):
            return self._refused(name, "not a folder")
        if self.check_owner:
            try:
                owner = pwd.getpwuid(info.st_uid).pw_name
            except KeyError:
                owner = f"user id {info.st_uid}"
            if owner != record["username"]:
                return self._refused(name, f"it claims to be {record['username']}'s submission but belongs to {owner}")
        return record

    def _refused(self, name: str, why: str) -> dict:
        self.log.error("Not collected: %r: %s", name, why)
        return {"username": REFUSED + name, "filename": name, "timestamp": datetime.min, "refused": True}

    def init_src(self):
        super().init_src()
        self.src_records = [record for record in self.src_records if not record.get("refused")]

    def do_copy(self, src, dest, log=None):
        size = self.get_size(src)  # (nbgrader's: regular files only, links not followed)
        if size > 1000 * self.coursedir.max_dir_size:
            self.log.error("Not collected: %s holds %d bytes, above the limit of %d kB", os.path.basename(src), size,
                           self.coursedir.max_dir_size)
            return
        changed = copy_tree(Path(src), Path(dest), self._may_copy, self.log, [MAX_ENTRIES])
        trusted = datetime.fromtimestamp(changed, tz=timezone.utc).replace(tzinfo=None)
        claimed = self._claimed(Path(dest))
        if claimed is None or (trusted - claimed).total_seconds() > CLAIM_TOLERANCE_SECONDS:
            if claimed is not None:
                self.log.warning("%s: timestamp.txt says %s but its files changed until %s; the later time is recorded",
                                 os.path.basename(src), claimed, trusted)
            (Path(dest) / "timestamp.txt").write_text(trusted.strftime(TIMESTAMP_FORMAT))

    def _may_copy(self, name: str, size: int | None) -> bool:
        """nbgrader's ``CourseDirectory.ignore``/``include``/``max_file_size``, for one regular file (a folder when
        ``size`` is None: ignore only)."""
        from fnmatch import fnmatch

        if any(fnmatch(name, pattern) for pattern in self.coursedir.ignore):
            return False
        if size is None:
            return True
        if not any(fnmatch(name, pattern) for pattern in self.coursedir.include):
            return False
        if size > 1000 * self.coursedir.max_file_size:
            self.log.warning("File %r is too large (%d bytes, the limit is %d kB); not collected",
                             name, size, self.coursedir.max_file_size)
            return False
        return True

    def _claimed(self, folder: Path) -> datetime | None:
        try:
            text = (folder / "timestamp.txt").read_text()[:100].strip()
            return parse_utc(text) if text else None
        except (OSError, ValueError, OverflowError):
            return None


def copy_tree(src: Path, dest: Path, may_copy, log, entries_left: list[int]) -> float:
    """Copy the regular files and folders under ``src`` to ``dest``, never following a link and never reading more
    than a file's size when it was listed (a file growing while it is copied is cut there); at most
    ``entries_left[0]`` entries in all. Everything is opened relative to its folder's descriptor, without following
    links, so a folder swapped for a link while it is copied is not followed either.

    Returns the latest status-change time (``ctime``, seconds since the epoch) of ``src`` and of what was copied,
    read after copying: creating, writing or renaming a file or changing its times sets its ``ctime`` to the kernel's
    clock, and no user can set it back, so the content copied was not final before that moment."""
    folder = os.open(src, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        return _copy_folder(folder, str(src), dest, may_copy, log, entries_left)
    finally:
        os.close(folder)


def _copy_folder(folder: int, shown_path: str, dest: Path, may_copy, log, entries_left: list[int]) -> float:
    dest.mkdir(parents=True, exist_ok=True)
    with os.scandir(folder) as entries:
        names = sorted(entry.name for entry in entries)
    latest = os.fstat(folder).st_ctime
    for name in names:
        where = f"{shown_path}/{name}"
        entries_left[0] -= 1
        if entries_left[0] < 0:
            log.error("Not collected: %s and what follows (more than %d files and folders)", where, MAX_ENTRIES)
            break
        info = os.stat(name, dir_fd=folder, follow_symlinks=False)
        if stat.S_ISLNK(info.st_mode) or not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
            kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "a special file"
            log.error("Not collected: %s is %s (hand in the files themselves)", where, kind)
            continue
        if not may_copy(name, None if stat.S_ISDIR(info.st_mode) else info.st_size):
            continue
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | (os.O_DIRECTORY if stat.S_ISDIR(info.st_mode) else 0)
        try:
            descriptor = os.open(name, flags, dir_fd=folder)
        except OSError as error:  # swapped for a link or removed since it was listed
            log.error("Not collected: %s (%s)", where, error.strerror)
            continue
        try:
            opened = os.fstat(descriptor)
            if stat.S_ISDIR(info.st_mode) and stat.S_ISDIR(opened.st_mode):
                latest = max(latest, _copy_folder(descriptor, where, dest / name, may_copy, log, entries_left))
            elif stat.S_ISREG(info.st_mode) and stat.S_ISREG(opened.st_mode):
                latest = max(latest, _copy_file(descriptor, dest / name, info.st_size))
            else:
                log.error("Not collected: %s changed while it was collected", where)
        finally:
            os.close(descriptor)
    return latest


def _copy_file(descriptor: int, target: Path, budget: int) -> float:
    """Copy at most ``budget`` bytes from an open file; its ``ctime`` once read."""
    with open(target, "wb") as copy:
        while budget > 0 and (chunk := os.read(descriptor, min(COPY_CHUNK, budget))):
            copy.write(chunk)
            budget -= len(chunk)
    os.chmod(target, 0o644)
    return os.fstat(descriptor).st_ctime
