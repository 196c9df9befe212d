"""Jupyter server extension of the instructor's server on the course hub: no autograding from the web UI.

Autograding runs student code. ``python -m labs grade`` runs every kernel in the grading sandbox
(:mod:`labs.grading.sandbox`); the formgrader's *Autograde* button would run it in the instructor's own server, with
the instructor's rights over the gradebook and every submission. So the button's request is answered, without
running anything, with the sandboxed command to run instead; the formgrader shows it in its error dialog.
Collecting, manual grading, feedback and its release stay in the formgrader (none of them runs student code).
"""

from __future__ import annotations

import json

REFUSAL = (
    "Autograding runs student code, so the course hub never runs it from the web UI. "
    "It runs in the grading sandbox: on the hub's host, as root, run\n\n"
    "    python -m labs hub grade {lab}\n\n"
    "(the same sandboxed pipeline as `python -m labs grade {lab}`, on this course). "
    "It autogrades every collected submission of {lab}, reports unreadable or missing notebooks, and writes "
    "feedback; then reload this page to grade the written answers."
)


def refusal(lab: str) -> str:
    return REFUSAL.format(lab=lab)


def _load_jupyter_server_extension(serverapp) -> None:
    from nbgrader.server_extensions.formgrader import apihandlers
    from tornado import web

    @web.authenticated
    def post(self, assignment_id, student_id):
        self.log.warning("refused to autograde %s for %s from the web UI (sandboxed command shown)", assignment_id, student_id)
        self.write(json.dumps({"success": False, "error": refusal(assignment_id), "log": refusal(assignment_id)}))

    apihandlers.AutogradeHandler.post = post
    serverapp.log.info("labs.hub.formgrader: the formgrader's Autograde button points to `python -m labs hub grade`")


load_jupyter_server_extension = _load_jupyter_server_extension
