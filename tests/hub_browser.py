"""A headless Chromium driven by Selenium, for the course hub's end-to-end tests (tests/test_hub_browser.py).

Every step has a deadline and, when it fails, says what it expected on the page; every step leaves a
screenshot under build/hub-e2e/ whose path is printed. The browser and its driver run in their own
process group, killed in :meth:`Browser.close` whatever state they are in.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Flags that keep Chromium headless, offline and quiet on a closed network (no background connections).
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1000")


class StepFailed(AssertionError):
    pass


def browser_available() -> str | None:
    """None when a browser test can run here, otherwise why not."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (Debian packages chromium and chromium-driver; make setup installs them as root)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (requirements.txt)"
    return None


class Browser:
    def __init__(self, shots: Path, name: str, step_timeout: float = 60):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.shots = shots
        self.name = name
        self.step_timeout = step_timeout
        self.timings: list[tuple[str, float]] = []
        self.profile = tempfile.mkdtemp(prefix="c6248-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        # chromedriver starts in its own session: close() kills it and the browser with one signal.
        self.service = Service(CHROMEDRIVER, popen_kw={"start_new_session": True})
        self.driver = webdriver.Chrome(service=self.service, options=options)
        self.driver.set_page_load_timeout(step_timeout)
        self.driver.set_script_timeout(step_timeout)
        self._count = 0

    # --- steps ---
    @contextmanager
    def step(self, what: str, timeout: float | None = None):
        """One step of a scenario: timed, screenshotted, and named in the failure."""
        self._count += 1
        start = time.monotonic()
        label = f"{self.name}-{self._count:02d}-{_slug(what)}"
        try:
            yield
        except Exception as error:
            shot = self.screenshot(label + "-FAILED")
            raise StepFailed(f"[{self.name}] step {what!r} failed after {time.monotonic() - start:.1f} s: {error}\n"
                             f"  screenshot: {shot}") from error
        elapsed = time.monotonic() - start
        self.timings.append((f"{self.name}: {what}", elapsed))
        shot = self.screenshot(label)
        print(f"  [{elapsed:5.1f} s] {self.name}: {what}  (screenshot {shot})")

    def screenshot(self, label: str) -> Path:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{label}.png"
        try:
            self.driver.save_screenshot(str(path))
        except Exception:
            pass
        return path

    # --- waiting ---
    def wait_for(self, condition, expected: str, timeout: float | None = None):
        """Poll ``condition()`` until it returns something truthy; fail naming ``expected``."""
        deadline = time.monotonic() + (timeout or self.step_timeout)
        last = None
        while time.monotonic() < deadline:
            try:
                value = condition()
                if value:
                    return value
            except Exception as error:  # the page is changing under us: try again
                last = error
            time.sleep(0.25)
        detail = f" (last error: {type(last).__name__}: {str(last).splitlines()[0][:200] if str(last) else ''})" if last else ""
        raise StepFailed(f"expected {expected} within {timeout or self.step_timeout:.0f} s{detail}")

    def css(self, selector: str):
        from selenium.webdriver.common.by import By

        return [e for e in self.driver.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]

    def xpath(self, query: str):
        from selenium.webdriver.common.by import By

        return [e for e in self.driver.find_elements(By.XPATH, query) if e.is_displayed()]

    def wait_css(self, selector: str, expected: str | None = None, timeout: float | None = None):
        return self.wait_for(lambda: self.css(selector), expected or f"an element {selector!r}", timeout)[0]

    def wait_text(self, text: str, timeout: float | None = None, selector: str = "body") -> str:
        def found():
            for element in self.css(selector):
                if text in element.text:
                    return element.text
            return None

        return self.wait_for(found, f"the text {text!r} on the page", timeout)

    def click_text(self, text: str, tag: str = "*", timeout: float | None = None, exact: bool = True):
        condition = f"normalize-space(.)={_xpath_literal(text)}" if exact else f"contains(normalize-space(.), {_xpath_literal(text)})"
        element = self.wait_for(lambda: self.xpath(f"//{tag}[{condition}]"), f"a {tag} element reading {text!r}", timeout)[-1]
        element.click()
        return element

    def body_text(self) -> str:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.TAG_NAME, "body").text

    def close(self) -> None:
        try:
            self.driver.quit()
        except Exception:
            pass
        process = getattr(self.service, "process", None)
        if process is not None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:60]


def _xpath_literal(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    return "concat('" + "', \"'\", '".join(text.split("'")) + "')"
