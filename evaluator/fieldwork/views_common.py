"""Helpers every fieldwork view uses: load the evaluation, check the role, plain values out."""

from __future__ import annotations

import io
import logging
import re
import secrets
from datetime import timedelta
from typing import Any

from flask import abort, current_app, g, jsonify, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user

from evaluator.db import utcnow
from evaluator.definitions.problems import DefinitionError
from evaluator.extensions import db_session
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.models import Evaluation, Finding
from evaluator.fieldwork.permissions import evaluation_and_role
from evaluator.fieldwork.queries import RefusedRubric
from evaluator.sheets import csv_bytes
from evaluator.storage import current_storage
from evaluator.web.problems import message_text, problem_place

log = logging.getLogger(__name__)


def load_evaluation(evaluation_id: int, allow=("lead",)) -> tuple[Evaluation, str]:
    """The evaluation and the user's role in it: 404 when it does not exist or the user is not
    on it (no hint that it exists), 403 when their role may not open this page."""
    if not current_user.is_authenticated:
        abort(current_app.login_manager.unauthorized())
    evaluation, role = evaluation_and_role(db_session(), current_user, evaluation_id)
    if evaluation is None or role is None:
        abort(404)
    if role not in allow:
        abort(403)
    return evaluation, role


def evaluation_finding(evaluation: Evaluation, finding_id: int) -> Finding:
    """The finding ``finding_id`` of this evaluation; 404 for one of another evaluation."""
    found = db_session().get(Finding, finding_id)
    if found is None or found.evaluation_id != evaluation.id:
        abort(404)
    return found


def summary(evaluation: Evaluation, role: str) -> dict[str, Any]:
    lang = g.get("lang", "zh")
    return {
        "id": evaluation.id,
        "key": evaluation.key,
        "title": evaluation.title_en if lang == "en" and evaluation.title_en else evaluation.title_zh,
        "title_zh": evaluation.title_zh,
        "evaluated_unit": evaluation.evaluated_unit,
        "commissioning_body": evaluation.commissioning_body,
        "period": f"{evaluation.period_start} – {evaluation.period_end}",
        "status": evaluation.status,
        "count_policy": evaluation.count_policy,
        "stratum_column": evaluation.stratum_column,
        "synthetic": evaluation.synthetic,
        "role": role,
        "min_interview_minutes": evaluation.min_interview_minutes,
        "aid_tolerance": evaluation.aid_tolerance,
        "time_zone": evaluation.time_zone,
        "finish_reason": evaluation.finish_reason,
    }


#: Problems listed on a page; a longer list is counted and offered whole as a CSV download.
PROBLEMS_SHOWN = 200
#: How long a downloadable problem list is kept.
PROBLEM_LIST_HOURS = 24


class ProblemLines(list):
    """The first PROBLEMS_SHOWN problems, with ``total`` and ``download`` (a URL of them all
    as CSV) for the page to say how many more there are and where to find them."""

    total: int = 0
    download: str = ""


def problem_lines(error: Exception) -> list[str]:
    """The problems of ``error`` as lines for a page; more than PROBLEMS_SHOWN are cut there,
    counted, and stored whole as a CSV the signed-in user may download (100,000 bad rows made
    a 22 MB page before)."""
    lang = g.get("lang", "zh")
    if isinstance(error, DefinitionError):  # in reading order: row 9 before row 10
        rows = [[p.file, problem_place(p, lang), message_text(p, lang)] for p in
                sorted(error.problems, key=lambda p: _natural([p.file, p.where, p.message]))]
    elif isinstance(error, RefusedRubric):  # the rules it fails, in the page's language
        rows = [["", "", gettext("This evaluation uses rubric %(version)s, which the current "
                                 "rubric rules refuse.", version=error.label)]]
        rows += [[p.file, problem_place(p, lang), message_text(p, lang)] for p in error.found]
    elif isinstance(error, OperationError):
        rows = [["", "", str(p)] for p in error.problems] or [["", "", error.message]]
    else:
        rows = [["", "", str(error)]]
    lines = [": ".join(part for part in row if part) for row in rows]
    if len(lines) <= PROBLEMS_SHOWN:
        return lines
    shown = ProblemLines(lines[:PROBLEMS_SHOWN])
    shown.total = len(lines)
    shown.download = url_for("fieldwork.problem_list", token=_store_problem_list(rows))
    return shown


def _natural(row: list[str]) -> list:
    return [[int(part) if part.isdigit() else part for part in re.split(r"(\d+)", cell)]
            for cell in row]


#: Where downloadable problem lists are kept in the file storage (local folder or S3, so any
#: app machine serves a list another one wrote): ``problem-lists/<user id>/<token>.csv``.
PROBLEM_LIST_PREFIX = "problem-lists/"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _problem_key(user_id: int, token: str) -> str:
    return f"{PROBLEM_LIST_PREFIX}{user_id}/{token}.csv"


def _store_problem_list(rows: list[list[str]]) -> str:
    """Store the whole list as CSV under a random name of the user's; lists older than
    PROBLEM_LIST_HOURS (anyone's) are deleted on the way."""
    storage = current_storage()
    cutoff = utcnow() - timedelta(hours=PROBLEM_LIST_HOURS)
    try:
        for old in storage.list(PROBLEM_LIST_PREFIX):
            if old.modified < cutoff:
                storage.delete(old.key)
    except Exception:  # tidying must not cost the user the list being stored now
        log.exception("could not delete expired problem lists")
    token = secrets.token_urlsafe(18)
    storage.put(_problem_key(current_user.id, token),
                csv_bytes([gettext("file"), gettext("where"), gettext("problem")], rows),
                "text/csv")
    return token


def problem_list(token: str):
    """A problem list stored for the signed-in user (404 for anyone else, or when expired)."""
    if not current_user.is_authenticated:
        abort(current_app.login_manager.unauthorized())
    if not _TOKEN.fullmatch(token):
        abort(404)
    storage, key = current_storage(), _problem_key(current_user.id, token)
    stored = next((f for f in storage.list(key) if f.key == key), None)
    if stored is None or stored.modified < utcnow() - timedelta(hours=PROBLEM_LIST_HOURS):
        abort(404)
    data = storage.get_or_none(key)
    if data is None:  # deleted since it was listed
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="text/csv", as_attachment=True,
                         download_name="problems.csv", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def text_of(mapping: dict[str, str] | None, fallback: str = "") -> str:
    lang = g.get("lang", "zh")
    mapping = mapping or {}
    return mapping.get(lang) or mapping.get("zh") or fallback



def refused_rubric_page(refused: RefusedRubric):
    """Any page that needs the rubric of an evaluation whose stored version today's rubric
    rules refuse: a 409 naming the version and each rule it fails, with the lead's re-bind
    form (studio/_move_evaluation.html); the API answers the same in JSON."""
    if request.path.startswith("/api/"):
        return jsonify({"error": "conflict", "message": refused.message,
                        "problems": refused.problems, "reason": refused.reason}), 409
    evaluation, role = evaluation_and_role(db_session(), current_user, refused.evaluation_id)
    if evaluation is None or role is None:
        abort(404)
    return render_template("fieldwork/refused_rubric.html", evaluation=summary(evaluation, role)), 409
