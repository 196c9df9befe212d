"""Where things live in the course repository."""

from __future__ import annotations

import os
import re
from pathlib import Path

LAB_NAME = re.compile(r"^lab\d\d$")


def course_root() -> Path:
    """The course root: ``$COMP6248_ROOT`` or the directory holding ``nbgrader_config.py``.

    Searched upwards from the current directory first, then from this package.
    """
    env = os.environ.get("COMP6248_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for directory in (start, *start.parents):
            if (directory / "nbgrader_config.py").is_file() and (directory / "source").is_dir():
                return directory
    raise FileNotFoundError(
        "cannot find the course root (a directory with nbgrader_config.py and source/); "
        "run from inside the repository or set COMP6248_ROOT"
    )


def lab_names(root: Path | None = None) -> list[str]:
    """The labs that exist in ``source/``, in order (``lab01``, ``lab02``, ...)."""
    source = (root or course_root()) / "source"
    return sorted(p.name for p in source.iterdir() if p.is_dir() and LAB_NAME.match(p.name))


def lab_notebooks(lab: str, root: Path | None = None, stage: str = "source") -> list[Path]:
    """The notebooks of one lab at one stage (``source`` or ``release``), in order."""
    folder = (root or course_root()) / stage / lab
    if not folder.is_dir():
        raise FileNotFoundError(f"no such lab: {folder}")
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
