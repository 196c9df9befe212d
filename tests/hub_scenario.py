"""The steps of the course hub's end-to-end scenario, in a real browser (used by tests/test_hub_browser.py)."""

from __future__ import annotations

import time

from tests.hub_browser import Browser

# The exercise a student answers in the browser (release/lab01/2_linear_regression.ipynb), typed into its cell.
NOTEBOOK = "2_linear_regression"
ANSWER_FUNCTION = "def mse_grad"
ANSWER_LINE = "return 2.0 / X.shape[0] * X.T @ (X @ theta - y)"
ANSWER_TEST_OK = "mse_grad: max |diff|"
WRITTEN_ANSWER_ID = "lab01-derive-lsq-gradient"
WRITTEN_ANSWER = "With r = X theta - y, dL = (2/n) r^T X dtheta, so the gradient is (2/n) X^T r."
STUB_LINE = "raise NotImplementedError()"


def log_in(b: Browser, url: str, user: str, password: str) -> None:
    with b.step(f"log in as {user} (PAM) and wait for JupyterLab", timeout=150):
        b.driver.get(f"{url}/hub/login")
        b.wait_css("#username_input", "the hub's login form").send_keys(user)
        b.css("#password_input")[0].send_keys(password)
        b.css("#login_submit")[0].click()
        b.wait_css("#jp-main-dock-panel", "JupyterLab's main area after the server spawned", timeout=150)


def open_assignments(b: Browser) -> None:
    with b.step("open the Assignments tab (Nbgrader > Assignment List)"):
        b.click_text("Nbgrader", tag="div")
        b.click_text("Assignment List", tag="div")
        b.wait_css("#released_assignments_list, #fetched_assignments_list", "the nbgrader assignment list")


def _item(b: Browser, list_id: str, name: str):
    for element in b.css(f"#{list_id} > .list_item"):
        if element.text.strip().startswith(name):
            return element
    return None


def fetch(b: Browser, lab: str) -> None:
    with b.step(f"fetch {lab} from the exchange"):
        item = b.wait_for(lambda: _item(b, "released_assignments_list", lab), f"{lab} with a Fetch button under 'Released assignments'")
        item.find_element("css selector", "button").click()
        b.wait_for(lambda: _item(b, "fetched_assignments_list", lab), f"{lab} under 'Downloaded assignments' after Fetch")


def submit(b: Browser, lab: str, what: str) -> None:
    with b.step(f"submit {lab} ({what})"):
        before = len(_submitted(b, lab))
        item = b.wait_for(lambda: _item(b, "fetched_assignments_list", lab), f"{lab} with a Submit button under 'Downloaded assignments'")
        item.find_element("xpath", ".//button[normalize-space(.)='Submit']").click()
        b.wait_for(lambda: len(_submitted(b, lab)) > before,
                   f"a new submission of {lab} with its timestamp under 'Submitted assignments'", timeout=60)


def _submitted(b: Browser, lab: str) -> list[str]:
    """The timestamps listed under 'Submitted assignments' (nbgrader shows one row per submission)."""
    import re

    text = " ".join(e.text for e in b.css("#submitted_assignments_list"))
    return re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ UTC", text) if lab in text else []


def open_notebook(b: Browser, lab: str, notebook: str) -> None:
    with b.step(f"open {lab}/{notebook}.ipynb from the assignment list"):
        item = b.wait_for(lambda: _item(b, "fetched_assignments_list", lab), f"{lab} under 'Downloaded assignments'")
        if not b.xpath(f"//a[normalize-space(.)='{notebook}']"):
            item.find_element("css selector", "a.assignment-notebooks-link").click()
        b.click_text(notebook, tag="a")
        b.wait_for(lambda: _cell_with(b, ANSWER_FUNCTION), f"the notebook's cell containing {ANSWER_FUNCTION!r}", timeout=60)


def _cells(b: Browser):
    return b.driver.find_elements("css selector", ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")


def _cell_with(b: Browser, text: str):
    for cell in _cells(b):
        if text in (cell.get_attribute("textContent") or ""):
            return cell
    return None


def _scroll_to(b: Browser, element) -> None:
    b.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    time.sleep(0.2)


def _replace_line(b: Browser, cell, old: str, new: str) -> None:
    """Type ``new`` in place of the line ``old`` of a cell's editor, as a student would (End, Backspaces, keys)."""
    from selenium.webdriver.common.keys import Keys

    _scroll_to(b, cell)
    line = b.wait_for(lambda: [e for e in cell.find_elements("css selector", ".cm-line") if e.text.strip() == old],
                      f"a line reading {old!r} in the cell's editor")[0]
    line.click()
    active = b.driver.switch_to.active_element
    active.send_keys(Keys.END)
    active.send_keys(Keys.BACKSPACE * len(old))
    active.send_keys(new)


def run_cell(b: Browser, cell, expected: str | None = None, timeout: float = 90) -> str:
    """Select ``cell``, press Shift+Enter, wait for its execution count and (optionally) ``expected`` in its output."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    _scroll_to(b, cell)
    cell.find_element("css selector", ".jp-InputArea-prompt").click()
    ActionChains(b.driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()

    def done():
        prompt = cell.find_element("css selector", ".jp-InputArea-prompt").text
        return prompt.strip() not in ("", "[ ]:", "[*]:") and "*" not in prompt

    b.wait_for(done, "the cell to finish running (an execution count instead of [*])", timeout)
    output = cell.find_element("css selector", ".jp-Cell-outputWrapper").text
    if expected is not None and expected not in output:
        raise AssertionError(f"expected {expected!r} in the cell's output, got:\n{output[:1500]}")
    return output


def answer_in_notebook(b: Browser) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    with b.step("run the setup cell", timeout=120):
        setup = b.wait_for(lambda: _cell_with(b, "# Setup: run this cell first."), "the lab's setup cell")
        output = run_cell(b, setup, timeout=120)
        assert "Error" not in output, f"the setup cell failed:\n{output}"
    with b.step("type an answer into the mse_grad cell and run it with its visible test"):
        cell = _cell_with(b, ANSWER_FUNCTION)
        _replace_line(b, cell, STUB_LINE, ANSWER_LINE)
        source = cell.find_element("css selector", ".cm-content").text
        assert ANSWER_LINE in source and STUB_LINE not in source, f"the cell's source after typing:\n{source}"
        run_cell(b, cell)
        test_cell = _cell_with(b, 'assert_close(g, torch.tensor([-4 / 3, -2 / 3]')
        run_cell(b, test_cell, expected=ANSWER_TEST_OK)
    with b.step("write the derivation into the written-answer cell"):
        cells = [c for c in _cells(b) if c.find_elements("css selector", ".jp-MarkdownOutput")
                 and (c.find_element("css selector", ".jp-MarkdownOutput").get_attribute("textContent") or "").strip() == "YOUR ANSWER HERE"]
        assert cells, "expected a markdown cell reading 'YOUR ANSWER HERE'"
        cell = cells[0]
        _scroll_to(b, cell)
        ActionChains(b.driver).double_click(cell.find_element("css selector", ".jp-MarkdownOutput")).perform()
        _replace_line(b, cell, "YOUR ANSWER HERE", WRITTEN_ANSWER)
        from selenium.webdriver.common.keys import Keys

        ActionChains(b.driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
        b.wait_for(lambda: WRITTEN_ANSWER.split(",")[0] in cell.find_element("css selector", ".jp-MarkdownOutput").text,
                   "the written answer rendered as markdown after Shift+Enter")
    with b.step("save the notebook (Ctrl+S)"):
        from selenium.webdriver.common.keys import Keys

        ActionChains(b.driver).key_down(Keys.CONTROL).send_keys("s").key_up(Keys.CONTROL).perform()
        b.wait_for(lambda: not b.css(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-mod-dirty")
                   and not b.css(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty"), "the notebook saved (no unsaved-changes mark)")


def validate(b: Browser) -> str:
    with b.step("press Validate and read the result", timeout=150):
        button = b.wait_css(".jp-NotebookPanel:not(.lm-mod-hidden) jp-button.validate-button",
                            "nbgrader's Validate button in the notebook's toolbar")
        button.click()
        dialog = b.wait_css(".jp-Dialog", "the validation result dialog", timeout=150)
        text = b.wait_for(lambda: dialog.text if ("Success" in dialog.text or "failed" in dialog.text.lower()
                                                    or "Error" in dialog.text) else None,
                          "'Success' or the failing tests' messages in the validation dialog", timeout=150)
        return text


def close_dialog(b: Browser) -> None:
    for button in b.css(".jp-Dialog button.jp-mod-accept, .jp-Dialog button.jp-mod-reject"):
        button.click()
        return


def show_assignments(b: Browser) -> None:
    """Bring the Assignments tab to the front."""
    tabs = b.xpath("//li[contains(@class,'lm-TabBar-tab')][.//div[normalize-space(.)='Assignments']]")
    if tabs:
        tabs[0].click()
    else:
        open_assignments(b)
    b.wait_css("#fetched_assignments_list", "the nbgrader assignment list")


# --- the instructor, in the formgrader ---

def formgrader(b: Browser, url: str, user: str, page: str = "") -> None:
    b.driver.get(f"{url}/user/{user}/formgrader{page}")


def _modal_text(b: Browser, expected: str, timeout: float = 120) -> str:
    def done():
        for modal in b.css(".modal-dialog"):
            text = modal.text
            if expected.lower() in text.lower():
                return text
        return None

    return b.wait_for(done, f"a dialog saying {expected!r}", timeout)


def _close_modal(b: Browser) -> None:
    for button in b.css(".modal-dialog .modal-footer button"):
        button.click()
        break
    b.wait_for(lambda: not b.css(".modal-dialog"), "the dialog to close", 20)


def assignment_action(b: Browser, url: str, user: str, lab: str, column: str, expected: str, what: str) -> str:
    """Click the icon in ``column`` (collect, generate-feedback, release-feedback) of ``lab``'s row in Manage Assignments."""
    with b.step(what, timeout=180):
        formgrader(b, url, user)
        b.wait_css(f"#main-table td.{column} a", f"the {column} link in lab {lab}'s row of Manage Assignments").click()
        text = _modal_text(b, "success", timeout=180)
        print(f"    dialog shown: {b.screenshot(f'{b.name}-{column}-dialog')}")
        _close_modal(b)
        return text


def autograde_in_ui(b: Browser, url: str, user: str, lab: str, student: str) -> str:
    with b.step(f"press Autograde for {student} in Manage Submissions (expect the sandboxed command)"):
        formgrader(b, url, user, f"/manage_submissions/{lab}")
        row = b.wait_for(lambda: [r for r in b.css("#main-table tr") if student in r.text],
                         f"a row for {student} in Manage Submissions of {lab}")[0]
        row.find_element("css selector", "td.autograde a").click()
        text = _modal_text(b, "python -m labs hub grade", timeout=60)
        assert "never runs it from the web UI" in text, text
        print(f"    dialog shown: {b.screenshot(f'{b.name}-autograde-refused-dialog')}")
        _close_modal(b)
        return text


def submission_scores(b: Browser, url: str, user: str, lab: str) -> str:
    with b.step(f"reload Manage Submissions of {lab} after sandboxed grading"):
        formgrader(b, url, user, f"/manage_submissions/{lab}")
        b.wait_css("#main-table td", "the submissions table")
        return b.wait_for(lambda: " ".join(r.text for r in b.css("#main-table tr")) if "needs manual grading" in b.body_text().lower()
                          or any(ch.isdigit() for ch in "".join(r.text for r in b.css("#main-table td.score"))) else None,
                          "scores in the submissions table")


def grade_by_hand(b: Browser, url: str, user: str, lab: str, notebook: str, student: str, grade_id: str,
                  score: str, comment: str) -> None:
    from selenium.webdriver.common.keys import Keys

    with b.step(f"grade {student}'s written answer {grade_id} by hand (score {score} and a comment)"):
        # Manage Students > student > lab: one row per notebook (the Manual Grading list hides who is who).
        formgrader(b, url, user, f"/manage_students/{student}/{lab}")
        row = b.wait_for(lambda: [r for r in b.css("#main-table tr") if notebook in r.text and r.find_elements("css selector", "a")],
                         f"a row for {notebook} in {student}'s {lab} (Manage Students)")[0]
        row.find_element("css selector", "a").click()
        if len(b.driver.window_handles) > 1:  # the formgrader may open the submission in a new tab
            b.driver.switch_to.window(b.driver.window_handles[-1])
        # The formgrader hides names: make sure this is the student's latest submission (it holds the typed answer).
        b.wait_for(lambda: ANSWER_LINE.split(" @ ")[0] in b.body_text(),
                   f"{student}'s typed answer ({ANSWER_LINE!r}) on the submission page")
        b.wait_for(lambda: b.driver.execute_script("return document.readyState") == "complete", "the page loaded")
        time.sleep(1)
        # The formgrader names each grade box after the cell's grade_id and its comment box grade_id-comment.
        score_input = b.wait_css(f"input.score[id='{grade_id}']", f"the score box of {grade_id} in the submission page")
        _scroll_to(b, score_input)
        score_input.clear()
        score_input.send_keys(score)
        score_input.send_keys(Keys.TAB)
        box = b.wait_css(f"textarea[id='{grade_id}-comment']", f"the comment box of {grade_id}")
        _scroll_to(b, box)
        box.clear()
        box.send_keys(comment)
        box.send_keys(Keys.TAB)
        # nbgrader saves each field when it loses focus.
        time.sleep(1.5)
        if len(b.driver.window_handles) > 1:
            b.driver.close()
            b.driver.switch_to.window(b.driver.window_handles[0])


# --- the student again: feedback ---

def fetch_feedback(b: Browser, lab: str) -> None:
    with b.step(f"fetch the feedback of {lab} from the exchange"):
        show_assignments(b)
        for button in b.css("#refresh_assignments_list"):
            button.click()
        b.wait_for(lambda: b.xpath("//div[@id='submitted_assignments_list']//button[normalize-space(.)='Fetch Feedback']"),
                   "a 'Fetch Feedback' button next to the submitted lab")[0].click()
        b.wait_for(lambda: b.xpath("//div[@id='submitted_assignments_list']//a[contains(normalize-space(.), 'view feedback')]"),
                   "a 'view feedback' link after fetching the feedback", timeout=60)


def read_feedback(b: Browser, url: str, student: str, relative: str, expected: list[str]) -> str:
    with b.step(f"open the feedback {relative}"):
        b.driver.get(f"{url}/user/{student}/files/{relative}")
        for text in expected:
            b.wait_text(text, timeout=30)
        return b.body_text()
