"""``GET /jobs/<id>``: a job's state as JSON, for a progress display (polling).

Only who may see the job's subject sees the job: for a job about an evaluation (its params
name ``evaluation_id``), whoever may see that evaluation's scores; for a programme's
(``programme_id``), its lead and administrators; strangers get 404, as if
there were no such job.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify
from flask_login import current_user, login_required

from evaluator.extensions import db_session
from evaluator.jobs.setup import current_queue

bp = Blueprint("jobs", __name__)


@bp.get("/jobs/<job>")
@login_required
def status(job: str):
    state = current_queue().status(job)
    if state is None or not _may_see(state.params):
        abort(404)
    body = {key: value for key, value in state.to_json().items() if key != "result"}
    body["done"] = state.state == "done"
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _may_see(params: dict) -> bool:
    from evaluator.fieldwork.models import Evaluation
    from evaluator.fieldwork.permissions import can_view_scores, member_role

    if params.get("programme_id") is not None:
        return _may_see_programme(int(params["programme_id"]))
    evaluation_id = params.get("evaluation_id")
    if evaluation_id is None:
        return current_user.role == "admin"
    db = db_session()
    evaluation = db.get(Evaluation, int(evaluation_id))
    return evaluation is not None and can_view_scores(
        member_role(db, current_user, evaluation.id), evaluation)


def _may_see_programme(programme_id: int) -> bool:
    from evaluator.programmes.models import Programme
    from evaluator.programmes.operations import can_manage

    db = db_session()
    programme = db.get(Programme, programme_id)
    return programme is not None and can_manage(db, current_user, programme)
