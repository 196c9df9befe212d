"""Whole-notebook limits enforced while a submission runs: output bytes per cell and per notebook, wall time per notebook.

:class:`LimitedExecute` is nbgrader's ``Execute`` step with two changes, installed by the pipeline in place of it
(:func:`labs.grading.pipeline.seal_after_execution`). Output is counted as each message arrives from the kernel and
dropped past the limits, so the grader never holds more of it than the limits allow (nbgrader's own ``LimitOutput``
trims only what was already collected). A notebook whose cells together run past ``notebook_seconds`` of wall time has
its remaining cells not run (each gets an error output saying so), so many cells that each stay under the per-cell
limit cannot hold a grading worker for hours. Each limit hit leaves :data:`CUT_MARK` in the notebook, which the report
flags (``limit``). The limits are the sandbox's (:class:`labs.grading.sandbox.Limits`, ``c.Sandbox.*``).
"""

from __future__ import annotations

import os
import time

from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute

from labs.grading.sandbox import SETTINGS_VARIABLE, Limits, Settings

CUT_MARK = "[grading limit]"
NOTEBOOK_TIME_ERROR = "NotebookTimeLimit"


def message_bytes(content: dict) -> int:
    """What one output message carries, in bytes of text (streams, display data and errors alike)."""
    size = len(content.get("text", "") or "")
    for value in (content.get("data") or {}).values():
        size += len(value) if isinstance(value, str) else len(str(value))
    size += len(content.get("evalue", "") or "") + sum(len(line) for line in content.get("traceback", []) or [])
    return size


class LimitedExecute(Execute):
    """nbgrader's Execute, with output and time limits enforced while the kernel runs."""

    def _limits(self) -> Limits:
        text = os.environ.get(SETTINGS_VARIABLE)
        return Settings.from_env(text).limits if text else Limits()

    def preprocess(self, nb, resources=None, km=None):
        limits = self._limits()
        self._cell_limit, self._notebook_limit = limits.output_bytes_cell, limits.output_bytes_notebook
        self._deadline = time.monotonic() + limits.notebook_seconds
        self._notebook_seconds = limits.notebook_seconds
        self._notebook_bytes, self._cell_bytes, self._cut = 0, {}, set()
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and time.monotonic() > self._deadline:
            cell.outputs = [new_output("error", ename=NOTEBOOK_TIME_ERROR,
                                       evalue=f"{CUT_MARK} not run: the notebook's cells ran past {self._notebook_seconds} s "
                                              "of wall time in all, the grading limit for one notebook",
                                       traceback=[])]
            return cell, resources
        return super().preprocess_cell(cell, resources, index)

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
