"""A lab as the gradebook defines it, as plain data: read from the course's gradebook, written into a new one.

A scratch course (the canary's, a cluster worker's) needs the lab's definition without the course's database: the
cells autograde checks and restores, their points and checksums.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from labs.course import Course, ensure_tools_on_path


def assignment_definition(course: Course, lab: str) -> dict:
    """The lab as the gradebook defines it (what autograde checks and restores cells against), as plain data."""
    with course.gradebook() as gb:
        assignment = gb.find_assignment(lab)
        return {
            "name": assignment.name,
            "course_id": assignment.course_id,
            "duedate": assignment.duedate.isoformat() if assignment.duedate else None,
            "notebooks": [
                {
                    "name": nb.name,
                    "kernelspec": nb.kernelspec,
                    "grade_cells": [{"name": c.name, "max_score": c.max_score, "cell_type": c.cell_type} for c in nb.grade_cells],
                    "solution_cells": [c.name for c in nb.solution_cells],
                    "task_cells": [{"name": c.name, "max_score": c.max_score, "cell_type": c.cell_type} for c in nb.task_cells],
                    "source_cells": [{"name": c.name, "cell_type": c.cell_type, "locked": c.locked, "source": c.source,
                                      "checksum": c.checksum} for c in nb.source_cells],
                }
                for nb in assignment.notebooks
            ],
        }


def write_definition(path: Path, definition: dict) -> None:
    """A new gradebook at ``path`` holding only ``definition``'s assignment."""
    from nbgrader.api import Gradebook

    ensure_tools_on_path()  # a new gradebook runs alembic
    lab = definition["name"]
    duedate = datetime.fromisoformat(definition["duedate"]) if definition["duedate"] else None
    with Gradebook(f"sqlite:///{path}", definition["course_id"]) as gb:
        gb.update_or_create_assignment(lab, duedate=duedate)
        for nb in definition["notebooks"]:
            gb.update_or_create_notebook(nb["name"], lab, kernelspec=nb["kernelspec"])
            for c in nb["grade_cells"]:
                gb.update_or_create_grade_cell(c["name"], nb["name"], lab, max_score=c["max_score"], cell_type=c["cell_type"])
            for name in nb["solution_cells"]:
                gb.update_or_create_solution_cell(name, nb["name"], lab)
            for c in nb["task_cells"]:
                gb.update_or_create_task_cell(c["name"], nb["name"], lab, max_score=c["max_score"], cell_type=c["cell_type"])
            for c in nb["source_cells"]:
                gb.update_or_create_source_cell(c["name"], nb["name"], lab, cell_type=c["cell_type"], locked=c["locked"],
                                                source=c["source"], checksum=c["checksum"])
