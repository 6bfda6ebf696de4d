"""The bare-insert floor's endpoint, ``POST /bench/bare``: parses the same JSON, answers a
replayed instance id with 200, stores the photo in the same file storage and inserts the same
submission and attachment rows, one commit per request, with no other checks at all. It is
added only to benchmark apps (bench/load/bare_app.py for gunicorn, bench/ingest.py in
process), never to the product."""

from __future__ import annotations

import base64
import secrets

from flask import Flask, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from evaluator.extensions import db_session
from evaluator.fieldwork.models import Attachment, Submission
from evaluator.storage import current_storage
from evaluator.surveys.models import SurveyVersion

_versions: dict[str, int] = {}


def bare():
    body = request.get_json()
    db = db_session()
    known = db.scalar(select(Submission.id).where(Submission.instance_id == body["instance_id"]))
    if known is not None:  # a replay: the minimum any sync endpoint must do
        return jsonify({"instance_id": body["instance_id"]}), 200
    if not _versions:
        _versions.update({v.source: v.id for v in db.scalars(select(SurveyVersion))})
    submission = Submission(
        instance_id=body["instance_id"], evaluation_id=body["evaluation_id"],
        source=body["source"], household_id=body["household_id"],
        survey_version_id=_versions[body["source"]], submitter_id=current_user.id,
        data=body["answers"], body_hash="0" * 64)
    db.add(submission)
    db.flush()
    for item in body.get("attachments") or ():
        data = base64.b64decode(item["data"])
        token = secrets.token_urlsafe(32)
        current_storage().put(f"attachments/{body['evaluation_id']}/{token}", data)
        db.add(Attachment(token=token, evaluation_id=body["evaluation_id"],
                          submission_id=submission.id, field=item["field"],
                          filename=item["filename"], content_type=item["content_type"],
                          size_bytes=len(data), sha256="0" * 64,
                          uploaded_by_id=current_user.id))
    return jsonify({"instance_id": submission.instance_id}), 201


def add_bare_endpoint(app: Flask) -> Flask:
    app.add_url_rule("/bench/bare", "bench_bare", bare, methods=["POST"])
    return app
