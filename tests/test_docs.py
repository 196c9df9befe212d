"""The documentation names only what exists: every link, every path in the repository, every command and option.

Read from the README, every page of ``docs/`` and every lab's handout. A renamed module, a dropped option or a moved
page then fails here instead of misleading a reader.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from functools import cache
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "source").glob("*/README.md")])
# Paths in backticks that start like this are the repository's own (build/ and the student folders are made by runs).
REPOSITORY_PATHS = ("labs/", "tests/", "source/", "release/", "docs/", "hub/", "tools/", ".ci/")
REPOSITORY_FILES = {"nbgrader_config.py", "course.toml", "requirements.txt", "constraints.txt", "environment.yml",
                    "Makefile", "pyproject.toml", "README.md"}
PLACEHOLDERS = ("*", "...", "{", "PASSWORD")
SEGMENT_PLACEHOLDERS = {"LAB", "STUDENT", "NAME", "ROLE", "N"}  # a path segment that stands for any lab, student, ...
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")


def _code(text: str) -> list[str]:
    """Code spans and the lines of indented or fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or line.startswith("    "):
            lines.append(line.strip())
    return CODE_SPAN.findall(text) + lines


def _commands(text: str, prefix: str) -> list[list[str]]:
    """Each command in the page's code that starts with ``prefix`` (e.g. ``python -m labs``), as words, up to a
    comment or a shell operator."""
    found = []
    for code in _code(text):
        for start in [m.start() for m in re.finditer(re.escape(prefix) + r"(\s|$)", code)]:
            command = re.split(r"\s+#|&&|\|\||;|\|", code[start:])[0]
            try:
                found.append(shlex.split(command))
            except ValueError:
                found.append(command.split())
    return found


@cache
def _help(*words: str) -> str:
    done = subprocess.run([sys.executable, "-m", *words, "--help"], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, f"python -m {' '.join(words)} --help failed:\n{done.stderr[-2000:]}"
    return done.stdout


@cache
def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*):", text, flags=re.M))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_leads_to_a_file_that_exists(page):
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor on the same page
        if not (page.parent / target.split("#")[0]).exists():
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)} links to what does not exist: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repository_path_named_exists(page):
    missing = []
    for span in CODE_SPAN.findall(page.read_text()):
        for word in span.split():
            path = word.strip(",;:()")
            if not (path.startswith(REPOSITORY_PATHS) or path in REPOSITORY_FILES):
                continue
            path, _, test = path.partition("::")  # a test named by its file and function
            if any(p in path for p in PLACEHOLDERS) or any(part in SEGMENT_PLACEHOLDERS for part in path.split("/")):
                continue
            found = sorted(ROOT.glob(path.replace("labNN", "lab[0-9][0-9]")))  # labNN: some lab has it
            if not found:
                missing.append(path)
            elif test and not re.search(rf"^def {re.escape(test)}\(", found[0].read_text(), flags=re.M):
                missing.append(f"{path}::{test}")
    assert not missing, f"{page.relative_to(ROOT)} names paths that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_shown_exists_with_its_options(page):
    text, wrong = page.read_text(), []
    for words in _commands(text, "python -m"):
        module = words[2] if len(words) > 2 else ""
        if not module.startswith("labs"):
            continue
        if find_spec(module) is None:
            wrong.append(f"no module {module}")
            continue
        if module != "labs":
            continue  # an instructor's module (labs.qa.benchmark, labs.grading.flags): it exists
        sub = words[3] if len(words) > 3 else ""
        if sub.startswith("-") or not sub:
            continue
        usage = _help("labs", "--help")
        if not re.search(rf"\b{re.escape(sub)}\b", usage.split("positional arguments")[0]):
            wrong.append(f"python -m labs {sub}: no such command")
            continue
        usage = _help("labs", sub)
        wrong += [f"python -m labs {sub} {option}: no such option" for option in words[4:]
                  if option.startswith("--") and option.split("=")[0] not in usage]
        if sub in ("hub", "data") and len(words) > 4 and not words[4].startswith("-"):
            if words[4] not in usage.split("positional arguments")[0]:
                wrong.append(f"python -m labs {sub} {words[4]}: no such action")
    for words in _commands(text, "make"):
        if len(words) > 1 and not words[1].startswith("-") and "=" not in words[1]:
            if words[1] not in _make_targets():
                wrong.append(f"make {words[1]}: no such target")
    assert not wrong, f"{page.relative_to(ROOT)}: {wrong}"


def test_every_guide_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    linked = {Path(target).name for target in LINK.findall(readme)}
    assert {page.name for page in (ROOT / "docs").glob("*.md")} <= linked


def test_the_readme_is_short_and_carries_no_measurement_log():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 150, f"the README has {len(lines)} lines: move detail to docs/"
    measured = re.compile(r"(?i)(measured|took|ran)[^.|]{0,80}\b20\d\d-\d\d-\d\d\b|\b20\d\d-\d\d-\d\d\b[^.|]{0,80}(measured|took)")
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        if page.name != "performance.md":  # the one page of figures, each with its date and command
            found = [m.group(0) for m in measured.finditer(page.read_text())]
            assert not found, f"{page.relative_to(ROOT)} carries dated measurements: {found}"
