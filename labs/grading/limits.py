"""Limits enforced while a submission runs: CPU time per cell, output bytes per cell and per notebook, wall time per
notebook.

:class:`LimitedExecute` is nbgrader's ``Execute`` step with these changes, installed by the pipeline in place of it
(:func:`labs.grading.pipeline.seal_after_execution`).

- **CPU time per cell** (:mod:`labs.grading.cpu_time`): a watchdog reads the sandbox's CPU time while a cell runs
  and interrupts the cell past its limit; the cell's error then says so (:data:`CPU_LIMIT_ERROR`), and an error in a
  later cell says it may follow from it. nbgrader's wall-clock limit (``c.Execute.timeout``) stays as the backstop,
  and a cell stopped by it says that too. Each cell's CPU and wall seconds and its limit are written into its
  metadata (:data:`labs.grading.cpu_time.METADATA_KEY`): the canary's are the calibration.
- **Output** is counted as each message arrives from the kernel and dropped past the limits, so the grader never
  holds more of it than the limits allow (nbgrader's own ``LimitOutput`` trims only what was already collected); a
  single message above ``message_bytes`` is refused by ZMQ itself, before it is read (see :meth:`create_kernel_manager`).
- **Wall time and CPU time per notebook**: a notebook whose cells together run past ``notebook_seconds`` of wall
  time has its remaining cells not run (each gets an error output saying so), so many cells that each stay under the
  per-cell limit cannot hold a grading worker for hours; a cell that takes the notebook's CPU seconds past
  ``notebook_cpu_seconds`` is stopped there, and the cells after it are not run either (so a whole submission's CPU is
  bounded by its notebooks' limits, on a machine of many cores too).

- **Integrity**: after each test cell, :func:`labs.grading.integrity.probe` is evaluated in the kernel; what it
  reports is flagged ``tamper``.

Each limit hit leaves :data:`CUT_MARK` in the notebook, which the report flags (``limit``). The limits are the
sandbox's (:class:`labs.grading.sandbox.Limits`, ``c.Sandbox.*``).
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import time

import zmq
from jupyter_core.utils import ensure_async
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute

from labs.course import cells
from labs.grading import cpu_time, integrity
from labs.grading.sandbox import SETTINGS_VARIABLE, Limits, Settings

CUT_MARK = "[grading limit]"
NOTEBOOK_TIME_ERROR = "NotebookTimeLimit"
NOTEBOOK_CPU_ERROR = "NotebookCPULimit"
CPU_LIMIT_ERROR = "CellCPULimit"
DISK_LIMIT_ERROR = "FolderLimit"
DISK_POLLS = 4  # the folder is measured every this many polls (once a second)
PROBE_SECONDS = 20  # the integrity probe's answer is awaited this long after a test cell
POLL_SECONDS = 0.25  # how often the watchdog reads the sandbox's CPU time
REINTERRUPT_SECONDS = 5.0  # a cell that catches the interrupt is interrupted again this often


def message_bytes(content: dict) -> int:
    """What one output message carries, in bytes of text (streams, display data and errors alike)."""
    size = len(content.get("text", "") or "")
    for value in (content.get("data") or {}).values():
        size += len(value) if isinstance(value, str) else len(str(value))
    size += len(content.get("evalue", "") or "") + sum(len(line) for line in content.get("traceback", []) or [])
    return size


class LimitedExecute(Execute):
    """nbgrader's Execute, with output and time limits enforced while the kernel runs."""

    def _settings(self) -> Settings | None:
        text = os.environ.get(SETTINGS_VARIABLE)
        return Settings.from_env(text) if text else None

    def preprocess(self, nb, resources=None, km=None):
        settings = self._settings()
        limits = settings.limits if settings else Limits()
        self._limits_in_force = limits
        self._uid = settings.uid if settings else None  # CPU is counted only for a sandbox user of its own
        self._private = settings.private_dir if settings else ""  # the grader's folder for this submission
        info = (resources or {}).get("nbgrader") or {}
        self._lab, self._notebook = info.get("assignment", ""), f"{info.get('notebook', '')}.ipynb"
        self._calibration = cpu_time.load(self._lab)
        self._cell_limit, self._notebook_limit = limits.output_bytes_cell, limits.output_bytes_notebook
        self._deadline = time.monotonic() + limits.notebook_seconds
        self._notebook_seconds = limits.notebook_seconds
        self._notebook_cpu, self._cpu_total = limits.notebook_cpu_seconds, 0.0
        self._notebook_bytes, self._cell_bytes, self._cut = 0, {}, set()
        self._stopped = {}  # cell index -> ("cpu", limit), ("wall", seconds) or ("disk", found): why it was stopped
        self._first_stopped = None
        self._running = None
        self._folder = ((resources or {}).get("metadata") or {}).get("path") or ""  # the notebook's folder (disk)
        self._probe_reported = False
        return super().preprocess(nb, resources, km)

    def create_kernel_manager(self):
        """The kernel manager, whose client's sockets refuse any single message above ``message_bytes``: ZMQ drops
        such a message unread, so one huge output never reaches the grader's memory. The kernel's output channel does
        not recover from it: the notebook's later cells lose their outputs and time out waiting for them (flagged
        ``timeout``); their errors still come back with each reply, which is never that large from a test."""
        km = super().create_kernel_manager()
        limit, make_client = self._limits_in_force.message_bytes, km.client

        def client(**kwargs):  # the client has a ZMQ context of its own; its sockets are made when channels start
            kc = make_client(**kwargs)
            kc.context.setsockopt(zmq.MAXMSGSIZE, limit)
            return kc

        km.client = client
        return km

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and time.monotonic() > self._deadline:
            cell.outputs = [new_output("error", ename=NOTEBOOK_TIME_ERROR,
                                       evalue=f"{CUT_MARK} not run: the notebook's cells ran past {self._notebook_seconds} s "
                                              "of wall time in all, the grading limit for one notebook",
                                       traceback=[])]
            return cell, resources
        if cell.cell_type == "code" and self._cpu_total >= self._notebook_cpu:
            cell.outputs = [new_output("error", ename=NOTEBOOK_CPU_ERROR,
                                       evalue=f"{CUT_MARK} not run: the notebook's cells used {self._notebook_cpu} s of "
                                              "CPU time in all, the grading limit for one notebook",
                                       traceback=[])]
            return cell, resources
        if cell.cell_type != "code" or not cell.source.strip():
            return super().preprocess_cell(cell, resources, index)
        limit = cpu_time.cell_limit(self._limits_in_force, self._calibration, self._lab, self._notebook, cell)
        remaining = self._notebook_cpu - self._cpu_total  # what is left of the notebook's CPU time
        kind, limit = ("cpu", limit) if limit <= remaining else ("notebook-cpu", remaining)
        self._running = (index, limit, cpu_time.CpuClock(self._uid) if self._uid is not None else None, kind)
        start = time.monotonic()
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        finally:
            _, _, clock, _ = self._running
            self._running = None
        record = {"wall_seconds": round(time.monotonic() - start, 3)}
        if clock is not None:
            used = clock.used()
            self._cpu_total += used
            record |= {"cpu_seconds": round(used, 3), "cpu_limit": round(limit, 1)}
        cell.metadata[cpu_time.METADATA_KEY] = record
        self._explain(cell, index)
        if self._private and cells.is_test(cell) and index not in self._stopped:
            self._check_integrity(index)
        return cell, resources

    def _check_integrity(self, index: int) -> None:
        """Evaluate :func:`labs.grading.integrity.probe` in the kernel after a test cell (bounded); note what it
        reports, once per notebook, for the report to flag ``tamper``."""
        saved, self.timeout = self.timeout, PROBE_SECONDS
        try:
            msg_id = self.kc.execute("", silent=True, store_history=False, allow_stdin=False,
                                     user_expressions={"probe": integrity.EXPRESSION})
            reply = self.wait_for_reply(msg_id) or {}
        except Exception as error:  # a dead kernel is reported by the cell that killed it
            self.log.warning("Integrity probe after cell %d failed: %s", index, error)
            return
        finally:
            self.timeout = saved
        result = ((reply.get("content") or {}).get("user_expressions") or {}).get("probe") or {}
        try:
            found = json.loads(ast.literal_eval(str((result.get("data") or {}).get("text/plain", ""))[:8000]))
        except (ValueError, SyntaxError, TypeError):
            found = [f"the probe did not answer ({result.get('ename') or 'no reply'})"]
        if not isinstance(found, list):
            found = ["the probe's answer was not a list"]
        if found and not self._probe_reported:
            self._probe_reported = True
            note(self._private, "tamper", f"{self._notebook} after cell {index}: the tests' machinery no longer "
                                          f"behaves ({'; '.join(str(f)[:120] for f in found[:4])}); review by hand")

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
        watchdog = asyncio.ensure_future(self._watch())
        try:
            return await super()._async_poll_for_reply(msg_id, cell, timeout, task_poll_output_msg,
                                                       task_poll_kernel_alive)
        finally:
            watchdog.cancel()

    async def _watch(self) -> None:
        """Interrupt the running cell once the sandbox's CPU time passes its limit (again while it goes on); end
        the whole sandbox once the notebook's folder holds more than the disk limits."""
        if self._running is None:
            return
        index, limit, clock, kind = self._running
        interrupted, polls = None, 0
        while True:
            await asyncio.sleep(POLL_SECONDS)
            polls += 1
            if self._folder and polls % DISK_POLLS == 0 and self._folder_over_limits(index):
                return  # (the sandbox's processes are gone: the kernel's death ends the cell)
            if clock is None:
                continue
            if interrupted is None and clock.used() > limit:
                self._stopped[index] = (kind, limit)
            elif interrupted is None or time.monotonic() - interrupted < REINTERRUPT_SECONDS:
                continue
            self.log.warning("Cell %d used more than %.0f s of CPU: interrupting it", index, limit)
            interrupted = time.monotonic()
            await ensure_async(self.km.interrupt_kernel())

    def _folder_over_limits(self, index: int) -> bool:
        """If the notebook's folder holds more than ``folder_bytes`` or ``folder_files``: every process of the sandbox
        is killed (a background thread would go on writing after an interrupt) and the cell is marked."""
        limits = self._limits_in_force
        size, entries = folder_usage(self._folder, limits.folder_files + 1)
        if size <= limits.folder_bytes and entries <= limits.folder_files:
            return False
        found = f"{size / 1024**2:,.0f} MB in {entries:,}{'+' if entries > limits.folder_files else ''} files and folders"
        self._stopped[index] = ("disk", found)
        self.log.warning("Cell %d filled the notebook's folder past its limits: ending the sandbox", index)
        # The kernel dies with the sandbox, and nbgrader then keeps nothing of the notebook: the reason goes to the
        # grader's private folder, from which the report takes it (labs.grading.pipeline.grader_notes).
        note(self._private, "limit", f"{self._notebook} cell {index}: the notebook's folder grew past the grading limits "
                                     f"({limits.folder_bytes / 1024**2:,.0f} MB, {limits.folder_files:,} files; found "
                                     f"{found}); every process of the sandbox was stopped")
        if self._uid is not None:
            from labs.grading import sandbox

            sandbox._kill_user(self._uid)
        return True

    async def _async_handle_timeout(self, timeout, cell=None):
        if self._running is not None:
            self._stopped.setdefault(self._running[0], ("wall", timeout))
        return await super()._async_handle_timeout(timeout, cell)

    def _explain(self, cell, index: int) -> None:
        """Say in the cell's own error why the grader stopped it, or that an error may follow from a stopped cell."""
        errors = [output for output in cell.outputs if output.get("output_type") == "error"]
        if index in self._stopped:
            kind, amount = self._stopped[index]
            if self._first_stopped is None:
                self._first_stopped = index
            if kind == "disk":
                message = (f"{CUT_MARK} while this cell ran, the notebook's folder grew past the grading limits "
                           f"({self._limits_in_force.folder_bytes / 1024**2:,.0f} MB, "
                           f"{self._limits_in_force.folder_files:,} files; found {amount}): the kernel was stopped, "
                           "and the cells after it could not run. Write large files to /tmp, or fewer of them.")
                for output in errors:
                    output.update(ename=DISK_LIMIT_ERROR, evalue=message, traceback=[])
                if not errors:
                    cell.outputs.append(new_output("error", ename=DISK_LIMIT_ERROR, evalue=message, traceback=[]))
            elif kind in ("cpu", "notebook-cpu"):
                why = (f"this cell used more than {amount:.0f} s of CPU time, its grading limit "
                       f"({self._limits_in_force.cell_cpu_multiple}x what the model solution's cell needs on the "
                       "grading machine, or the course's limit), and was stopped" if kind == "cpu" else
                       f"this cell took the notebook's CPU time past {self._notebook_cpu} s, the grading limit for "
                       "one notebook, and was stopped; the cells after it were not run")
                message = (f"{CUT_MARK} {why}. Cells after it that need its results fail because of it: make it "
                           "faster (vectorise, fewer steps) and check its time with %time before you submit.")
                for output in errors:  # the interrupt's KeyboardInterrupt, in the student's words: why it came
                    output.update(ename=CPU_LIMIT_ERROR, evalue=message, traceback=[])
                if not errors:  # the cell caught the interrupt and finished: its results may still be wrong
                    cell.outputs.append(new_output("error", ename=CPU_LIMIT_ERROR, evalue=message, traceback=[]))
            else:
                message = (f"this cell ran for more than {amount} s of wall-clock time, the grading limit, and was "
                           "stopped (it may wait or sleep, or the grader was overloaded: it is graded again alone). "
                           "Cells after it that need its results fail because of it.")
                for output in errors:
                    if not output.get("evalue"):
                        output["evalue"] = message
            return
        if self._first_stopped is not None:
            note = (f"(this may follow from cell {self._first_stopped}, which the grader stopped at its time limit: "
                    "what it defines may be missing) ")
            for output in errors:
                output["evalue"] = note + str(output.get("evalue") or "")

    def _update_display_id(self, display_id, msg):
        """An update of an earlier display counts as output too (it replaces that display's data)."""
        size = message_bytes(msg.get("content", {}))
        if self._notebook_bytes + size > self._notebook_limit:
            return None
        self._notebook_bytes += size
        return super()._update_display_id(display_id, msg)

    def output(self, outs, msg, display_id, cell_index):
        size = message_bytes(msg.get("content", {}))
        cell_total = self._cell_bytes.get(cell_index, 0) + size
        if cell_total > self._cell_limit or self._notebook_bytes + size > self._notebook_limit:
            if cell_index not in self._cut:
                self._cut.add(cell_index)
                which = (f"{self._cell_limit:,} bytes in this cell" if cell_total > self._cell_limit
                         else f"{self._notebook_limit:,} bytes in this notebook")
                outs.append(new_output("stream", name="stderr",
                                       text=f"\n{CUT_MARK} output cut here: more than {which}, the grading limit\n"))
            return None
        self._cell_bytes[cell_index] = cell_total
        self._notebook_bytes += size
        return super().output(outs, msg, display_id, cell_index)


def folder_usage(folder: str, max_entries: int) -> tuple[int, int]:
    """Bytes (allocated on disk) and entries under ``folder``, links not followed, counting stops past
    ``max_entries`` entries."""
    size, entries, pending = 0, 0, [folder]
    while pending and entries < max_entries:
        try:
            with os.scandir(pending.pop()) as listing:
                for entry in listing:
                    entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    size += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                    if entries >= max_entries:
                        break
        except OSError:
            continue
    return size, entries


GRADER_NOTES = "grader-notes.txt"  # in a submission's private folder: "FLAG<tab>what happened", one per line


def note(private_dir: str, flag: str, line: str) -> None:
    """Record, in the grader's private folder of the submission, something the report must flag (``flag``) that
    nbgrader would not keep (a kernel ended by a limit, a failed integrity probe)."""
    if not private_dir:
        return
    descriptor = os.open(os.path.join(private_dir, GRADER_NOTES), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW,
                         0o600)
    with os.fdopen(descriptor, "a") as handle:
        handle.write(f"{flag}\t" + line.replace("\n", " ").replace("\t", " ") + "\n")
