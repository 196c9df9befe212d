"""Feedback that tells students what failed without showing the hidden tests.

nbgrader's feedback HTML shows every test cell as it ran, hidden tests included, and
tracebacks repeat the failing hidden lines. :class:`HideHiddenTests` runs in the feedback
chain (see ``nbgrader_config.py``): in test cells it replaces the hidden block with a note, and
in every error output it keeps the exception's type and message but drops the traceback.

The kernel saw the hidden tests' source (it ran them), and student code may have printed it back (IPython's history,
``linecache``, an exception raised inside a test): so a test cell keeps only its error, its message cut to
:data:`MESSAGE_LIMIT` characters, never what code printed while the tests ran; and every line of a hidden test is
blanked wherever it appears in any output. Student HTML is sanitised in the page (:class:`FeedbackHTMLExporter`).
An answer nobody has marked yet reads "awaiting marking by hand", and the notebook's score says it is not final
(:class:`GetGradesPending`, :func:`mark_pending`).
"""

from __future__ import annotations

import html
import re

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from traitlets import Bool
from nbgrader.preprocessors import (
    GetGrades,
    NbGraderPreprocessor,  # enabled by default, unlike nbconvert's base
)

from labs.course import cells

HIDDEN_NOTE = "# Hidden tests ran here; their code is not shown. The error below (if any) says what failed."
MESSAGE_LIMIT = 500  # characters of a test cell's error message shown in feedback
HIDDEN_LINE = "[a line of a hidden test]"
# A hidden test's lines shorter than this are not blanked in outputs (``assert ok``, ``x = 1``: they give nothing away
# and would blank ordinary output).
SECRET_LENGTH = 12


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


def hidden_lines(source: str) -> set[str]:
    """The lines (stripped, at least :data:`SECRET_LENGTH` long) inside the hidden blocks of a test cell's source."""
    found = set()
    while (begin := source.find(cells.HIDDEN_BEGIN)) >= 0:
        end = source.find(cells.HIDDEN_END, begin)
        block = source[begin + len(cells.HIDDEN_BEGIN):end if end >= 0 else len(source)]
        found.update(line.strip() for line in block.splitlines() if len(line.strip()) >= SECRET_LENGTH)
        source = source[end + len(cells.HIDDEN_END):] if end >= 0 else ""
    return found


def blank_secrets(text: str, secrets: list[str]) -> str:
    """``text`` with every occurrence of a line in ``secrets`` (longest first) replaced by :data:`HIDDEN_LINE`."""
    if not secrets or not text:
        return text
    pattern = re.compile("|".join(re.escape(line) for line in secrets))
    return pattern.sub(HIDDEN_LINE, text)


class HideHiddenTests(NbGraderPreprocessor):
    """Strip hidden-test code and tracebacks from graded notebooks before they become feedback."""

    def preprocess(self, nb, resources):
        secrets = set()
        for cell in nb.cells:
            if cells.is_test(cell):
                secrets |= hidden_lines(cell.source)
        self._secrets = sorted(secrets, key=len, reverse=True)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        test = cells.is_test(cell)
        if test:
            cell.source = hide_hidden_block(cell.source)
        if cell.cell_type == "code":
            kept = []
            for output in cell.get("outputs", []):
                kind = output.get("output_type")
                if kind == "error":
                    message = blank_secrets(str(output.get("evalue", "")), self._secrets)
                    if test and len(message) > MESSAGE_LIMIT:
                        message = message[:MESSAGE_LIMIT] + " [cut]"
                    output["evalue"] = message
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {message}"]
                elif test:  # what code printed or displayed while the tests ran: not the tests' word
                    continue
                elif kind == "stream":
                    output["text"] = blank_secrets(output.get("text", ""), self._secrets)
                else:
                    data = output.get("data", {})
                    for mime, value in list(data.items()):
                        if isinstance(value, str) and not mime.startswith("image/"):
                            data[mime] = blank_secrets(value, self._secrets)
                kept.append(output)
            cell.outputs = kept
        return cell, resources


# nbconvert's HTMLExporter renders the page, then parses all of it again with BeautifulSoup (pure Python) only to give
# every <img> without one an alt text and to make JupyterLab-template cells focusable. For feedback (the classic
# template: no JupyterLab cells) that pass cost more than the rendering itself: 0.31 of 0.52 s a notebook when grading
# lab 6. The exporter below renders exactly as nbconvert does and adds the alt text with one expression.
# One match per tag, consuming it (so the pass is linear in the page's length, however many "<img" it holds).
_IMG_TAG = re.compile(r"<img(?=[\s/>])[^>]*", re.IGNORECASE)
_ALT = re.compile(r"\balt=", re.IGNORECASE)
MISSING_ALT = "No description has been provided for this image"


def _with_alt(match: re.Match) -> str:
    tag = match.group(0)
    return tag if _ALT.search(tag) else f'<img alt="{MISSING_ALT}"' + tag[4:]


class FeedbackHTMLExporter(HTMLExporter):
    """nbconvert's HTML exporter without its second parse of the page (the feedback's exporter, nbgrader_config.py).

    Student HTML (outputs and Markdown) is sanitised, as JupyterLab treats an untrusted notebook's output."""

    sanitize_html = Bool(True, help="sanitise the HTML of Markdown cells and outputs (student content)").tag(config=True)

    def from_notebook_node(self, nb, resources=None, **kw):
        # What HTMLExporter.from_notebook_node does before its BeautifulSoup pass (nbconvert 7.17, pinned).
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        self.register_filter("highlight_code",
                             self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type",
                             WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        page = mark_pending(page, (resources.get("nbgrader") or {}).get("pending") or {})
        return _IMG_TAG.sub(_with_alt, page), resources


PENDING_TEXT = "awaiting marking by hand"


class GetGradesPending(GetGrades):
    """nbgrader's GetGrades, noting which grades still await marking by hand (``resources['nbgrader']['pending']``:
    grade id -> points), so the page says so instead of showing 0 for an answer nobody has marked yet."""

    def preprocess(self, nb, resources):
        resources.setdefault("nbgrader", {})["pending"] = {}
        return super().preprocess(nb, resources)

    def _get_score(self, cell, resources):
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], self.notebook_id, self.assignment_id,
                                          self.student_id)
        if grade.needs_manual_grade:
            resources["nbgrader"]["pending"][grade.name] = float(grade.max_score or 0)


def mark_pending(page: str, pending: dict[str, float]) -> str:
    """The feedback page with each unmarked grade shown as awaiting marking (in the contents and at the cell) and the
    notebook's score called provisional."""
    for grade_id, points in pending.items():
        anchor = html.escape(grade_id, quote=True)
        for start in (f'<a href="#{anchor}">', f'<a name="{anchor}"></a>'):
            at = page.find(start)
            found = _SCORE.search(page, at, at + 800) if at >= 0 else None
            if found:
                page = page[:found.start()] + f"{PENDING_TEXT} (out of {points:g})" + page[found.end():]
    if pending:
        total = sum(pending.values())
        page = _NOTEBOOK_SCORE.sub(lambda m: f"{m.group(1)}(Score so far: {m.group(2)}; {total:g} more points "
                                             f"{PENDING_TEXT})</h4>", page, count=1)
    return page


_SCORE = re.compile(r"Score: -?[0-9.]+ / [0-9.]+")
_NOTEBOOK_SCORE = re.compile(r"(<h4>[^<]*?)\(Score: (-?[0-9.]+ / [0-9.]+)\)</h4>")
