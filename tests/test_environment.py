"""The ways of installing the course agree with each other."""

from __future__ import annotations

import re

from tests.conftest import ROOT

PIN = re.compile(r"^\s*(?:-\s+)?([A-Za-z0-9_.\-]+)==([^\s#]+)\s*$")


def _pins(path):
    return dict(m.groups() for line in path.read_text().splitlines() if (m := PIN.match(line)))


def test_environment_yml_pins_the_same_versions_as_requirements():
    requirements = _pins(ROOT / "requirements.txt")
    assert "torch" in requirements and requirements["torch"] == "2.13.0"
    assert _pins(ROOT / "environment.yml") == requirements


def test_constraints_agree_with_requirements():
    constraints = {k.lower(): v for k, v in _pins(ROOT / "constraints.txt").items()}
    for name, version in _pins(ROOT / "requirements.txt").items():
        if name != "torch":
            assert constraints.get(name.lower()) == version, f"{name}: requirements {version}, constraints {constraints.get(name.lower())}"


def test_readme_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    commands = [line.split("#")[0].strip() for line in lines[:5] if line.startswith("    ")]
    assert commands == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
