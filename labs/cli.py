"""``python -m labs``: the instructor's command line."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from labs.course import Course, paths


def _labs(requested: list[str], course: Course) -> list[str]:
    known = course.labs()
    unknown = [lab for lab in requested if lab not in known]
    if unknown:
        raise SystemExit(f"error: unknown lab(s) {', '.join(unknown)}; labs in source/: {', '.join(known) or 'none'}")
    return requested or known


def cmd_check(args, course: Course) -> int:
    from labs.course.contract import check_lab

    failed = 0
    for lab in _labs(args.labs, course):
        problems = check_lab(course, lab)
        print(f"{lab}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            print(f"  {problem}")
        failed += bool(problems)
    return 1 if failed else 0


def cmd_release(args, course: Course) -> int:
    from labs.course import release

    status = 0
    for lab in _labs(args.labs, course):
        if args.check:
            problems = release.check_fresh(course, lab)
            print(f"release/{lab}: {'up to date' if not problems else 'STALE'}")
            for problem in problems:
                print(f"  {problem}")
            if problems:
                print(f"  regenerate with: python -m labs release {lab}")
                status = 1
        else:
            print(f"release/{lab}: generated at {release.generate(course, lab)}")
    return status


def cmd_grade(args, course: Course) -> int:
    from labs.grading import pipeline as grading
    from labs.grading.flags import Flag

    (lab,) = _labs([args.lab], course)
    start = time.perf_counter()
    if args.unsafe_no_sandbox:
        print("warning: grading WITHOUT a sandbox: student code runs with your rights", file=sys.stderr)
    if args.cluster:
        from labs.grading import cluster as grading_cluster

        def progress(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

        try:
            results = grading_cluster.grade(course, lab, args.cluster, sandboxed=not args.unsafe_no_sandbox, progress=progress,
                                            canary=not args.no_canary)
        except grading_cluster.ClusterUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    else:
        results = grading.grade(course, lab, args.jobs, sandboxed=not args.unsafe_no_sandbox, canary=not args.no_canary)
    print(grading.format_report(results))
    print(f"grades exported to {course.root / grading.GRADES_FILE} ({time.perf_counter() - start:.1f} s)")
    failed = [r.student for r in results if Flag.FAILED in r.flags]
    if failed:
        print(f"error: {len(failed)} submission(s) could not be graded on the cluster ({', '.join(failed)}); "
              "their earlier grades are kept: grade them again", file=sys.stderr)
        return 1
    return 0


def cmd_deadline(args, course: Course) -> int:
    from datetime import datetime, timezone

    from labs.grading import pipeline as grading

    (lab,) = _labs([args.lab], course)
    try:
        when = datetime.fromisoformat(args.when)
    except ValueError:
        raise SystemExit(f"error: cannot read {args.when!r} as a date and time, e.g. '2026-12-04 16:00' or '2026-12-04T16:00+00:00'")
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    grading.set_deadline(course, lab, when)
    print(f"{lab} is due {when:%Y-%m-%d %H:%M} UTC")
    return 0


def cmd_schedule(args, course: Course) -> int:
    from labs.course import schedule

    plan = schedule.load(course)
    if args.check:
        print(schedule.calendar(plan, schedule.released(course)))
        print(f"{schedule.SCHEDULE_FILE}: ok (nothing applied)")
        return 0
    applied, unreleased = schedule.apply(course, plan)
    print(schedule.calendar(plan, schedule.released(course)))
    print(f"due dates written to the gradebook for {len(applied)} assignment(s)")
    if unreleased:
        print(f"not released yet: {', '.join(unreleased)}; after `python -m labs release`, run `python -m labs schedule` again")
    return 0


def cmd_marks(args, course: Course) -> int:
    from labs.course import marks, schedule

    plan = schedule.load(course)
    results, notes = marks.compute(course, plan, args.project)
    target = marks.write_csv(results, plan, args.out or course.root / marks.MARKS_FILE)
    for note in notes:
        print(f"note: {note}")
    print(marks.format_table(results, plan))
    incomplete = sum(bool(m.missing) for m in results)
    print(f"module marks of {len(results)} student(s) written to {target}; {incomplete} with a missing component (counted 0)")
    return 0


def cmd_demo(args, course: Course) -> int:
    from labs.qa import demo

    start = time.perf_counter()
    table, _ = demo.run(course, args.jobs, _labs(args.labs, course))
    print(f"\nGrades (total points; written answers of demo students are not yet graded by hand):\n{table}")
    if (course.root / "course.toml").is_file():
        print(f"\nModule marks (course.toml's weights; made-up project marks; also in marks.csv):\n{demo.module_marks(course)}")
    print(f"\ndemo finished in {time.perf_counter() - start:.1f} s")
    return 0


def cmd_data(args, course: Course) -> int:
    from labs import data

    names = args.names or sorted(data.REGISTRY)
    if args.action == "list":
        width = max(map(len, names))
        for name in names:
            d = data.get(name)
            print(f"{name:<{width}} {data.status(name):<40} {d.description} [{d.licence}]")
        return 0
    if args.action == "fetch":
        for name in names:
            for path in data.fetch(name):
                print(f"{name}: {path}")
        return 0
    for name in names:  # verify
        if not data.get(name).files:
            print(f"{name}: bundled with {data.get(name).bundled_with}, nothing to verify")
        for line in data.verify_dataset(name):
            print(f"{name}: {line}")
    return 0


def cmd_start(args, course: Course) -> int:
    from labs.course import start

    (lab,) = _labs([args.lab], course)
    try:
        target = start.start(course, lab, args.into)
    except start.WorkExists as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{lab} copied to {target}: work there, never in release/.")
    print(f"  open it with: jupyter lab {target}")
    print("  before you submit, restart the kernel, run everything, then press Validate")
    return 0


def cmd_hub(args, course: Course) -> int:
    from labs import hub

    settings = hub.default_settings(course.root, args.port)
    if args.exchange:
        settings.exchange = args.exchange.resolve()
    if args.labs:
        settings.labs = tuple(_labs(args.labs, course))
    if args.instructor:
        settings.instructor = args.instructor
    if args.action == "grade":
        if not args.labs or len(args.labs) != 1:
            raise SystemExit("error: `python -m labs hub grade LAB` grades one lab")
        from labs.grading import pipeline as grading

        hub.check_host()
        results = hub.grade(settings, settings.labs[0], args.jobs)
        print(grading.format_report(results))
        print(f"graded in the sandbox; feedback and grades in {settings.course_dir()}: reload the formgrader")
        return 0
    if args.action == "setup":
        accounts = hub.prepare(settings)
        print(f"hub ready: accounts {', '.join(accounts)} (passwords in {hub.accounts_file(settings)})")
        return 0
    return hub.serve(settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m labs", description="COMP6248 lab course tools")
    parser.add_argument("--root", type=Path, help="course root (default: found from the current directory)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="lint source notebooks against the lab contract")
    p.add_argument("labs", nargs="*", metavar="LAB")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("release", help="generate release/ from source/ with nbgrader")
    p.add_argument("labs", nargs="*", metavar="LAB")
    p.add_argument("--check", action="store_true", help="fail if the committed release/ differs from a fresh generation")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("grade", help="autograde every submission of a lab, generate feedback, export grades.csv")
    p.add_argument("lab", metavar="LAB")
    p.add_argument("--jobs", type=int, default=None, help="students graded at once (default: number of cores)")
    p.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run student code without the bubblewrap sandbox (only for trusted notebooks)")
    p.add_argument("--cluster", metavar="ADDRESS|local:N",
                   help="grade on a Dask cluster: a running scheduler's address (tcp://HOST:8786) or local:N "
                        "(N local worker processes); --jobs is then ignored")
    p.add_argument("--no-canary", action="store_true",
                   help="do not grade the lab's model solution first (the canary, which refuses to grade a class that "
                        "it would fail: see labs/grading/canary.py)")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("deadline", help="set a lab's due date (late penalties count from it)")
    p.add_argument("lab", metavar="LAB")
    p.add_argument("when", metavar="WHEN", help="ISO date and time; naive times are UTC")
    p.set_defaults(func=cmd_deadline)

    p = sub.add_parser("schedule", help="check course.toml, write its due dates to the gradebook, show the calendar")
    p.add_argument("--check", action="store_true", help="only check the schedule and show it; change nothing")
    p.set_defaults(func=cmd_schedule)

    p = sub.add_parser("marks", help="module marks from the gradebook, the project CSV and course.toml's weights")
    p.add_argument("--project", type=Path, metavar="CSV", help="the project report marks: a header 'student_id,mark', then one row per student")
    p.add_argument("--out", type=Path, metavar="CSV", help="where to write the marks (default: ROOT/marks.csv)")
    p.set_defaults(func=cmd_marks)

    p = sub.add_parser("demo", help="release every lab, grade example submissions, print the grade table")
    p.add_argument("labs", nargs="*", metavar="LAB")
    p.add_argument("--jobs", type=int, default=None)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("start", help="students: copy a released lab into your own working folder (never work in release/)")
    p.add_argument("lab", metavar="LAB")
    p.add_argument("--into", type=Path, default=None, metavar="DIR", help="working folder (default: ~/comp6248); the lab goes in DIR/LAB")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("hub", help="the course hub: JupyterHub with the nbgrader exchange (needs root)")
    p.add_argument("action", nargs="?", choices=["serve", "setup", "grade"], default="serve",
                   help="serve (default): set up and run the hub; setup: accounts, exchange, release only; "
                        "grade LAB: autograde the hub's collected submissions in the sandbox")
    p.add_argument("labs", nargs="*", metavar="LAB", help="labs to release (default lab01), or the lab to grade")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--exchange", type=Path, default=None, help="nbgrader exchange root (default /srv/nbgrader/exchange)")
    p.add_argument("--instructor", default=None, help="the instructor's account (default: instructor)")
    p.add_argument("--jobs", type=int, default=None, help="grade: students graded at once")
    p.set_defaults(func=cmd_hub)

    p = sub.add_parser("data", help="the course datasets")
    p.add_argument("action", choices=["list", "fetch", "verify"])
    p.add_argument("names", nargs="*", metavar="NAME")
    p.set_defaults(func=cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from labs.course import NbgraderFailed
    from labs.course.marks import MarksError
    from labs.course.schedule import ScheduleError
    from labs.data import DataError
    from labs.grading.canary import CanaryFailed
    from labs.grading.sandbox import SandboxConfigError, SandboxUnavailable
    from labs.hub import HubError

    try:
        # The one place that finds the course by itself: the command is run from it (or given --root).
        course = Course(args.root.resolve() if args.root else paths.course_root())
        return args.func(args, course)
    except SandboxUnavailable as error:
        print(f"error: refusing to run student code unsandboxed: {error}.\n"
              "Pass --unsafe-no-sandbox to grade anyway (only for notebooks you trust).", file=sys.stderr)
        return 1
    except HubError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (NbgraderFailed, DataError, FileNotFoundError, ScheduleError, MarksError, SandboxConfigError,
            CanaryFailed) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
