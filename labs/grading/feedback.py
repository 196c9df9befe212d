"""Feedback that tells students what failed without showing the hidden tests.

nbgrader's feedback HTML shows every test cell as it ran, hidden tests included, and
tracebacks repeat the failing hidden lines. :class:`HideHiddenTests` runs in the feedback
chain (see ``nbgrader_config.py``): in test cells it replaces the hidden block with a note, and
in every error output it keeps the exception's type and message but drops the traceback.
"""

from __future__ import annotations

import re

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbgrader.preprocessors import (
    NbGraderPreprocessor,  # enabled by default, unlike nbconvert's base
)

from labs.course import cells

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


# nbconvert's HTMLExporter renders the page, then parses all of it again with BeautifulSoup (pure Python) only to give
# every <img> without one an alt text and to make JupyterLab-template cells focusable. For feedback (the classic
# template: no JupyterLab cells) that pass cost more than the rendering itself: 0.31 of 0.52 s a notebook when grading
# lab 6. The exporter below renders exactly as nbconvert does and adds the alt text with one expression.
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\balt=)(?=[\s/>])", re.IGNORECASE)
MISSING_ALT = "No description has been provided for this image"


class FeedbackHTMLExporter(HTMLExporter):
    """nbconvert's HTML exporter without its second parse of the page (the feedback's exporter, nbgrader_config.py)."""

    def from_notebook_node(self, nb, resources=None, **kw):
        # What HTMLExporter.from_notebook_node does before its BeautifulSoup pass (nbconvert 7.17, pinned).
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type",
                             WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return _IMG_WITHOUT_ALT.sub(f'<img alt="{MISSING_ALT}"', html), resources
