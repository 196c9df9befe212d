"""Late-submission penalty: a share of the score per started day late, zero after a limit.

Used by nbgrader's autograde through ``nbgrader_config.py``; deadlines are set per lab with
``python -m labs deadline LAB WHEN`` (stored as the assignment's due date in the gradebook),
and a submission's time is its ``timestamp.txt`` (written by nbgrader's collect, or by hand).
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

SECONDS_PER_DAY = 86400


def penalty(score: float, seconds_late: float, percent_per_day: float, zero_after_days: float) -> float:
    """Points taken off ``score`` for a submission ``seconds_late`` after the deadline."""
    if seconds_late <= 0 or score <= 0:
        return 0.0
    days = math.ceil(seconds_late / SECONDS_PER_DAY)  # every started day counts
    if days > zero_after_days:
        return float(score)
    return min(float(score), score * percent_per_day * days / 100.0)


class DailyPenalty(LateSubmissionPlugin):
    """``percent_per_day`` % of the score for each started day late; everything after ``zero_after_days`` days."""

    percent_per_day = Float(10.0, help="percentage of the score lost per started day").tag(config=True)
    zero_after_days = Float(5.0, help="submissions later than this many days score 0").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds):
        return penalty(score, total_seconds, self.percent_per_day, self.zero_after_days)
