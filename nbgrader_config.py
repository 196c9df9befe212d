"""nbgrader configuration of the COMP6248 labs (read by nbgrader and by ``python -m labs``)."""

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from labs.grading.feedback import GetGradesPending, HideHiddenTests

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "comp6248"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".DS_Store"]

# What students see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Per-cell limits while grading (labs/grading/cpu_time.py). A cell may use 4x the CPU seconds the model solution's
# cell needs on the grading machine (measured by the canary before each class is graded; at least 20 s, and 60 s
# where no calibration exists): CPU time is what the student's code costs, whatever else the grader is doing, so a
# busy grader costs no marks. The wall-clock limit below is only the backstop for code that sleeps or waits (the
# heaviest cell, lab05's CNN training, needs about 28 CPU s and took up to 77 s of wall time on a grader loaded 4x).
# c.Sandbox.cell_cpu_seconds_per_lab = {"lab05": 120}  # a lab's own flat limit, in CPU seconds, if ever needed
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True
# After a cell's reply, how long its last output may take to arrive: nbclient's 4 s default fails a whole notebook
# (as a timeout) when a loaded grader delivers the kernel's messages late; an honest kernel always sends them.
c.Execute.iopub_timeout = 30
c.Execute.execute_retries = 0
# (nbgrader always lets a notebook run on after an error: its Execute.allow_errors is fixed at True, not configurable.)
# What one grading kernel may use (see labs/grading/sandbox.py; these are the defaults): address space, CPU seconds
# of one process, processes and threads of the sandbox user, size of one written file, open files; and per cell.
c.Sandbox.memory_bytes = 6 * 1024**3
c.Sandbox.cpu_seconds = 300
c.Sandbox.processes = 128
c.Sandbox.file_bytes = 200 * 1024**2
c.Sandbox.open_files = 512
# Resident memory of all a submission's processes and its /tmp together (a memory cgroup; labs/grading/memory_cgroup.py).
c.Sandbox.sandbox_memory_bytes = 4 * 1024**3
# Disk a notebook's folder may hold while it runs (checked every second; past it the sandbox is ended).
c.Sandbox.folder_bytes = 1024**3
c.Sandbox.folder_files = 10_000
c.Sandbox.cell_cpu_multiple = 4
c.Sandbox.cell_cpu_floor = 20
c.Sandbox.cell_cpu_seconds = 60
# The grading kernel listens on loopback only; ipykernel's warning about unencrypted TCP would
# otherwise be printed once per notebook into the grading log.
c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]

# Notebooks keep their kernel name; the grading environment provides "python3".

# Feedback shows which tests failed and their messages, never the hidden tests' code or tracebacks; an answer not yet
# marked by hand says so (and the notebook's score is "so far").
c.GenerateFeedback.preprocessors = [GetGradesPending, HideHiddenTests, CSSHTMLHeaderPreprocessor]
c.GenerateFeedback.exporter_class = "labs.grading.feedback.FeedbackHTMLExporter"  # the same page, rendered in half the time
# Student HTML is shown as text, never run, wherever nbgrader renders a submission: feedback and the formgrader's
# pages for marking by hand (as JupyterLab treats an untrusted notebook's output).
c.HTMLExporter.sanitize_html = True

# Late work: 10 % of the score per started day after the lab's due date, nothing after 5 days.
# Due dates: `python -m labs deadline LAB "2026-12-04 16:00"`.
c.AssignLatePenalties.plugin_class = "labs.grading.late.DailyPenalty"
c.DailyPenalty.percent_per_day = 10.0
c.DailyPenalty.zero_after_days = 5.0

# Collecting from the exchange treats each student's inbound folder as hostile: no links followed, a folder only for
# the student who owns it, a bad folder name skips that folder only, and a back-dated timestamp.txt is replaced by
# the time the files last changed (labs/grading/collect.py).
c.ExchangeFactory.collect = "labs.grading.collect.SafeCollect"
