"""Feedback that tells students what failed without showing the hidden tests.

nbgrader's feedback HTML shows every test cell as it ran, hidden tests included, and
tracebacks repeat the failing hidden lines. :class:`HideHiddenTests` runs in the feedback
chain (see ``nbgrader_config.py``): in test cells it replaces the hidden block with a note, and
in every error output it keeps the exception's type and message but drops the traceback.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor  # enabled by default, unlike nbconvert's base

from labs import cells

HIDDEN_NOTE = "# Hidden tests ran here; their code is not shown. The error below (if any) says what failed."


def hide_hidden_block(source: str) -> str:
    """The source with every ``### BEGIN HIDDEN TESTS`` ... end-marker block replaced by a note.

    A test cell may hold more than one hidden block (a reference swapped in before the visible tests, more
    tests after them); an unterminated block hides everything after its start.
    """
    parts = []
    while (begin := source.find(cells.HIDDEN_BEGIN)) >= 0:
        end = source.find(cells.HIDDEN_END, begin)
        parts.append(source[:begin] + HIDDEN_NOTE)
        source = source[end + len(cells.HIDDEN_END):] if end >= 0 else ""
    return "".join(parts) + source


class HideHiddenTests(NbGraderPreprocessor):
    """Strip hidden-test code and tracebacks from graded notebooks before they become feedback."""

    def preprocess_cell(self, cell, resources, index):
        if cells.is_test(cell):
            cell.source = hide_hidden_block(cell.source)
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources
