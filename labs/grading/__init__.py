"""Grading: the submissions of a class, autograded safely, with feedback, scores and the grade export.

Read top-down from :func:`labs.grading.pipeline.grade_all`: check the release -> the grading environment -> the
canary (:mod:`.canary`, the model solution graded first) -> each student in a pool: stage a checked copy, review it
(:mod:`.tamper`), autograde it in the sandbox (:mod:`.sandbox`, whose kernelspec starts :mod:`.sandbox_kernel`, which
forks kernels from a :mod:`.warm_kernel` process), classify failures (:mod:`.flags`) ->
feedback (:mod:`.feedback`, nbgrader's exporter plugin) -> scores, late penalties (:mod:`.late`, nbgrader's plugin)
and the export. :mod:`.cluster` runs the same per-student step on Dask workers.

This file stays light: the sandbox's kernel launcher imports this package before every kernel starts.
"""
