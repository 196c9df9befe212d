"""The module's assessment structure, read from ``course.toml``: hand-in groups, due dates and weights.

``load`` checks the whole file before anything uses it: a malformed file, an unknown assignment, an assignment in two
groups, a date that cannot be read or weights that do not add up to 100 raise :class:`ScheduleError`, naming the
line, and nothing is changed. ``apply`` then writes every due date to the gradebook (nbgrader's late penalties count
from them); ``calendar`` shows the schedule.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone

from labs.course import Course

SCHEDULE_FILE = "course.toml"
COMPONENTS = ("labs", "project", "tests")


class ScheduleError(ValueError):
    """``course.toml`` cannot be used as it is; the message names the file and line."""


@dataclass(frozen=True)
class HandIn:
    name: str
    assignments: tuple[str, ...]
    due: datetime  # naive, UTC
    counts_in: str


@dataclass(frozen=True)
class Schedule:
    weights: dict[str, float]  # component -> percent of the module mark
    preparation_share: float   # percent of the project component that its counting assignments make up
    hand_ins: tuple[HandIn, ...]
    report_due: datetime | None = None  # the project report's deadline (not an nbgrader assignment)

    def assignments_in(self, component: str) -> list[str]:
        return [a for h in self.hand_ins if h.counts_in == component for a in h.assignments]

    def due_dates(self) -> dict[str, datetime]:
        return {a: h.due for h in self.hand_ins for a in h.assignments}


def _line_of(text: str, needle: str, after: int = 0) -> int:
    """The 1-based number of the first line at or after line ``after`` that contains ``needle`` (0 if none)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= after and needle in line.split("#", 1)[0]:
            return number
    return 0


def _parse_due(value, where: str) -> datetime:
    if isinstance(value, datetime):  # a TOML date-time literal
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ScheduleError(f"{where}: cannot read due = {value!r} as a date and time, e.g. \"2027-02-19 16:00\"") from None
    else:
        raise ScheduleError(f"{where}: due must be a date and time such as \"2027-02-19 16:00\", not {value!r}")
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return when


def parse(text: str, known_assignments: list[str], origin: str = SCHEDULE_FILE) -> Schedule:
    """Check and read the text of a schedule; ``known_assignments`` are the assignments in ``source/``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScheduleError(f"{origin}: not valid TOML: {error}") from None
    unknown_tables = sorted(set(data) - {"weights", "project", "hand_in"})
    if unknown_tables:
        key = unknown_tables[0]
        raise ScheduleError(f"{origin}:{_line_of(text, key)}: unknown section or key {key!r} "
                            "(expected [weights], [project] and [[hand_in]])")

    weights_table = data.get("weights")
    if not isinstance(weights_table, dict):
        raise ScheduleError(f"{origin}: missing the [weights] section ({', '.join(COMPONENTS)}, adding up to 100)")
    weights_line = _line_of(text, "[weights]")
    weights = {}
    for component in COMPONENTS:
        value = weights_table.get(component)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            line = _line_of(text, component, weights_line) if component in weights_table else weights_line
            raise ScheduleError(f"{origin}:{line}: weights.{component} must be a number of percent, 0 or more, not {value!r}")
        weights[component] = float(value)
    extra = sorted(set(weights_table) - set(COMPONENTS))
    if extra:
        raise ScheduleError(f"{origin}:{_line_of(text, extra[0], weights_line)}: unknown component {extra[0]!r} in [weights] "
                            f"(known: {', '.join(COMPONENTS)})")
    if abs(sum(weights.values()) - 100) > 1e-9:
        raise ScheduleError(f"{origin}:{weights_line}: the weights add up to {sum(weights.values()):g}, not 100")

    project = data.get("project", {})
    share = project.get("preparation_share", 0) if isinstance(project, dict) else None
    extra = sorted(set(project) - {"preparation_share", "report_due"}) if isinstance(project, dict) else []
    if extra:
        raise ScheduleError(f"{origin}:{_line_of(text, extra[0])}: unknown key {extra[0]!r} in [project] "
                            "(known: preparation_share, report_due)")
    report_due = None
    if isinstance(project, dict) and "report_due" in project:
        report_due = _parse_due(project["report_due"], f"{origin}:{_line_of(text, 'report_due')}")
    if not isinstance(share, int | float) or isinstance(share, bool) or not 0 <= share <= 100:
        raise ScheduleError(f"{origin}:{_line_of(text, 'preparation_share')}: project.preparation_share must be a percentage "
                            f"from 0 to 100, not {share!r}")

    groups = data.get("hand_in")
    if not isinstance(groups, list) or not groups:
        raise ScheduleError(f"{origin}: no [[hand_in]] groups")
    hand_ins, placed = [], {}
    line = 0
    for index, group in enumerate(groups, start=1):
        line = _line_of(text, "[[hand_in]]", line + 1)
        where = f"{origin}:{line}"
        name = group.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ScheduleError(f"{where}: hand-in group {index} needs a name")
        missing = [key for key in ("assignments", "due", "counts_in") if key not in group]
        if missing:
            raise ScheduleError(f"{where}: hand-in group {name!r} has no {', '.join(missing)}")
        extra = sorted(set(group) - {"name", "assignments", "due", "counts_in"})
        if extra:
            raise ScheduleError(f"{origin}:{_line_of(text, extra[0], line)}: unknown key {extra[0]!r} in hand-in group {name!r}")
        assignments = group["assignments"]
        if not isinstance(assignments, list) or not assignments or not all(isinstance(a, str) for a in assignments):
            raise ScheduleError(f"{origin}:{_line_of(text, 'assignments', line)}: assignments of {name!r} must be a "
                                "non-empty list of names such as [\"lab01\", \"lab02\"]")
        for assignment in assignments:
            at = f"{origin}:{_line_of(text, f'{chr(34)}{assignment}{chr(34)}', line)}"
            if assignment not in known_assignments:
                raise ScheduleError(f"{at}: unknown assignment {assignment!r} in {name!r}; "
                                    f"assignments in source/: {', '.join(known_assignments) or 'none'}")
            if assignment in placed:
                raise ScheduleError(f"{at}: {assignment} is in two hand-in groups ({placed[assignment]!r} and {name!r})")
            placed[assignment] = name
        if group["counts_in"] not in COMPONENTS:
            raise ScheduleError(f"{origin}:{_line_of(text, 'counts_in', line)}: counts_in = {group['counts_in']!r} in {name!r}; "
                                f"it must be one of {', '.join(COMPONENTS)}")
        due = _parse_due(group["due"], f"{origin}:{_line_of(text, 'due', line)}")
        hand_ins.append(HandIn(name.strip(), tuple(assignments), due, group["counts_in"]))

    schedule = Schedule(weights, float(share), tuple(hand_ins), report_due)
    for component in ("labs", "tests"):
        if weights[component] > 0 and not schedule.assignments_in(component):
            raise ScheduleError(f"{origin}:{weights_line}: weights.{component} is {weights[component]:g} % but no hand-in "
                                f"group counts in {component}")
    if schedule.preparation_share > 0 and not schedule.assignments_in("project"):
        raise ScheduleError(f"{origin}:{_line_of(text, 'preparation_share')}: preparation_share is {share:g} % but no "
                            "hand-in group counts in project")
    return schedule


def load(course: Course) -> Schedule:
    """``ROOT/course.toml``, checked against the assignments in ``ROOT/source``."""
    path = course.root / SCHEDULE_FILE
    if not path.is_file():
        raise ScheduleError(f"no {SCHEDULE_FILE} in {course.root}: the course schedule (hand-in groups, due dates, weights)")
    return parse(path.read_text(), course.labs(), origin=str(path.relative_to(course.root)))


def released(course: Course) -> set[str]:
    """The assignments in the gradebook (``python -m labs release`` puts them there)."""
    if not course.has_gradebook():
        return set()
    with course.gradebook() as gb:
        return {a.name for a in gb.assignments}


def apply(course: Course, schedule: Schedule) -> tuple[dict[str, datetime], list[str]]:
    """Write the due date of every released assignment to the gradebook.

    Returns the dates written and the scheduled assignments that are not released yet (run ``schedule`` again
    after releasing them).
    """
    due = schedule.due_dates()
    known = released(course)
    applied = {a: when for a, when in due.items() if a in known}
    if applied:
        with course.gradebook() as gb:
            for assignment, when in applied.items():
                gb.update_or_create_assignment(assignment, duedate=when)
    return applied, [a for a in due if a not in known]


def calendar(schedule: Schedule, released: set[str] | None = None) -> str:
    """The schedule as a table, in date order, with the weight of each component."""
    rows = [(h.due, h.name, h.counts_in,
             ", ".join(a if released is None or a in released else f"{a} (not released)" for a in h.assignments))
            for h in schedule.hand_ins]
    if schedule.report_due is not None:
        rows.append((schedule.report_due, "Project report", "project", "(marked by hand; imported with `marks --project`)"))
    rows.sort(key=lambda row: row[0])
    width = max(len(row[1]) for row in rows)
    lines = [f"{'due (UTC)':<16}  {'hand-in':<{width}}  {'counts in':<9}  assignments"]
    for due, name, counts_in, names in rows:
        lines.append(f"{due:%Y-%m-%d %H:%M}  {name:<{width}}  {counts_in:<9}  {names}")
    w = schedule.weights
    lines.append(f"module mark: labs {w['labs']:g} %, project {w['project']:g} % "
                 f"(its preparation assignments {schedule.preparation_share:g} % of it), tests {w['tests']:g} %")
    return "\n".join(lines)
