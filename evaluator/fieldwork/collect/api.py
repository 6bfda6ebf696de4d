"""The submissions API (/api/v1): idempotent on the tablet-made ``instance_id``.

- the same record sent again returns the stored one (200), so a queue may replay freely;
- a different record under a stored instance id is refused (409) with what to do instead;
- an edit is a new record naming the one it replaces in ``deprecated_id`` (as ODK does).

Errors are JSON ``{"error": code, "message": sentence, "problems": [...]}``: the code is stable
(the tablet says its own words by it), the message says what to change in the request's language
(the page's: zh by default, ``?lang=en`` remembered in the session). The API is described by /api/v1/openapi.json. Requests use the signed-in
session and its CSRF token (header ``X-CSRFToken``), like the pages they come from; a request
without a session gets 401 before anything else is looked at (the CSRF check comes after it,
so a signed-out tablet hears "sign in", not "reload"). Bodies are bounded before they are used
(evaluator.web.limits): 400 for what is not JSON or not a submission's shape, 422 for values
out of range (an id beyond the database's integers, a text longer than its column, a date the
calendar cannot hold), 413 for too large.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import select
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from evaluator.extensions import csrf, db_session
from evaluator.fieldwork.attachments import Photo
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.collect.operations import SubmissionIn, submit_record
from evaluator.fieldwork.collect.tablet import offline_forms
from evaluator.fieldwork.models import Attachment, Submission
from evaluator.fieldwork.permissions import member_role
from evaluator.fieldwork.queries import record_photos
from evaluator.storage import current_storage
from evaluator.web.errors import error_page, explanations
from evaluator.web.limits import MAX_ID, JsonRefused, json_body

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # checked in signed_in_first, after the session

PAYLOAD_KEYS = ("instance_id", "evaluation_id", "source", "household_id", "deprecated_id",
                "started_at", "ended_at", "device_id", "gps", "answers", "attachments", "author",
                "keep_both")


#: Longest texts, as the database columns hold them.
MAX_LENGTHS = {"source": 40, "household_id": 80, "device_id": 120}
PUBLIC_ENDPOINTS = ("api.openapi",)
#: What the evaluated unit (被评估单位, role ``unit``) may not ask: it collects nothing, so it
#: has no forms to keep offline and no records to send.
COLLECTING_ENDPOINTS = ("api.assignments", "api.create_submission")


class PayloadError(ValueError):
    """What is wrong with a submission: 400 for its shape, 422 for a value out of range."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def error(status: int, code: str, message: str, problems: list | None = None, *,
          reason: str = "", stored_id: str | None = None):
    body: dict[str, Any] = {"error": code, "message": message}
    if problems:
        body["problems"] = problems
    if reason:
        body["reason"] = reason
    if stored_id:
        body["stored_id"] = stored_id
    return jsonify(body), status


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid"}


@bp.errorhandler(CSRFError)
def csrf_failed(exc: CSRFError):
    return error(400, "csrf", gettext("the page's security token is missing or expired: reload "
                                      "the page (signed in) and the queued records will be sent "
                                      "again"))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    return error(413, "too_large", gettext("the record with its photos is too large; take photos "
                                           "at a lower resolution"))


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    code = exc.code or 500
    return error(code, _CODES.get(code, "error"), _explanation(code) or exc.description or "")


def _explanation(code: int) -> str:
    """The styled error page's sentence for ``code`` (evaluator.web.errors), translated."""
    return explanations().get(code, ("", ""))[1]


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def routing_error(exc: HTTPException):
    """Unknown API paths and methods answer in JSON too; other pages get the styled page."""
    if request.path.startswith(bp.url_prefix + "/"):
        allowed = exc.valid_methods if hasattr(exc, "valid_methods") else None
        message = (gettext("%(method)s is not allowed here; use %(allowed)s",
                           method=request.method, allowed=", ".join(sorted(allowed)))
                   if exc.code == 405 and allowed else
                   gettext("no API at %(path)s; see %(openapi)s", path=request.path,
                           openapi=f"{bp.url_prefix}/openapi.json"))
        response, status = error(exc.code, _CODES[exc.code], message)
        if exc.code == 405 and allowed:
            response.headers["Allow"] = ", ".join(sorted(allowed))
        return response, status
    return error_page(exc)


@bp.before_request
def signed_in_first():
    """401 (JSON) for a request without a live session, 403 for the evaluated unit on the
    collecting endpoints, then the CSRF token for writes."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return error(401, "unauthorized", gettext("sign in again: the session has ended; queued "
                                                  "records stay on this device and are sent after "
                                                  "signing in"))
    if current_user.role == "unit" and request.endpoint in COLLECTING_ENDPOINTS:
        return error(403, "forbidden", gettext("the evaluated unit collects no records: its steps "
                                               "are the feedback and rectification pages of its "
                                               "evaluation"))
    if request.method not in ("GET", "HEAD", "OPTIONS") and \
            current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    return None


def canonical_hash(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_instance_id(value: Any, key: str) -> str:
    """A UUID (ODK writes 'uuid:...'), returned in its canonical 36-character form."""
    if not isinstance(value, str):
        raise PayloadError(gettext("%(key)s must be a UUID string made by the device", key=key))
    text = value.strip()
    if text.startswith("uuid:"):
        text = text[5:]
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise PayloadError(gettext("%(key)s %(value)r is not a UUID", key=key, value=value)
                           ) from None


def parse_moment(value: Any, key: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise PayloadError(gettext("%(key)s must be an ISO 8601 date-time like "
                                   "2026-11-03T09:00:00+08:00", key=key))
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise PayloadError(gettext("%(key)s %(value)r is not an ISO 8601 date-time", key=key,
                                   value=value)) from None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            raise PayloadError(gettext("%(key)s %(value)r is outside the calendar in UTC",
                                       key=key, value=value), 422) from None
    return moment


def parse_payload(payload: Any) -> tuple[int, SubmissionIn]:
    """(evaluation id, record) from the JSON body, or ``PayloadError`` saying what is wrong."""
    if not isinstance(payload, dict):
        raise PayloadError(gettext("send one JSON object with Content-Type: application/json"))
    unknown = sorted(set(payload) - set(PAYLOAD_KEYS))
    if unknown:
        raise PayloadError(gettext("unknown keys %(unknown)s; a submission has %(keys)s",
                                   unknown=", ".join(unknown), keys=", ".join(PAYLOAD_KEYS)))
    for key in ("instance_id", "evaluation_id", "source", "answers"):
        if key not in payload:
            raise PayloadError(gettext("%(key)s is required", key=key))
    evaluation_id = payload["evaluation_id"]
    if isinstance(evaluation_id, bool) or not isinstance(evaluation_id, int):
        raise PayloadError(gettext("evaluation_id must be the evaluation's number"))
    if not 1 <= evaluation_id <= MAX_ID:
        raise PayloadError(gettext("evaluation_id %(id)s is out of range: evaluations are "
                                   "numbered 1 to %(most)s", id=evaluation_id, most=MAX_ID), 422)
    source = payload["source"]
    if not isinstance(source, str) or not source:
        raise PayloadError(gettext("source must name the evidence source, e.g. household"))
    household_id = payload.get("household_id")
    if household_id is not None and not isinstance(household_id, str):
        raise PayloadError(gettext("%(key)s must be text", key="household_id"))
    if not isinstance(payload["answers"], dict):
        raise PayloadError(gettext("answers must be an object keyed by field name"))
    device_id = payload.get("device_id") or ""
    if not isinstance(device_id, str):
        raise PayloadError(gettext("%(key)s must be text", key="device_id"))
    for key, text in (("source", source), ("household_id", household_id),
                      ("device_id", device_id)):
        if text and len(text.strip()) > MAX_LENGTHS[key]:
            raise PayloadError(gettext("%(key)s is %(n)s characters long; at most %(most)s",
                                       key=key, n=len(text.strip()), most=MAX_LENGTHS[key]), 422)
    author = payload.get("author")
    if author is not None and not isinstance(author, str):
        raise PayloadError(gettext("author must be the user name of the person who made the "
                                   "record"))
    keep_both = payload.get("keep_both", False)
    if not isinstance(keep_both, bool):
        raise PayloadError(gettext("keep_both must be true or false"))
    started = parse_moment(payload.get("started_at"), "started_at")
    ended = parse_moment(payload.get("ended_at"), "ended_at")
    if started and ended and ended < started:
        raise PayloadError(gettext("ended_at is before started_at; check the tablet's clock"))
    record = SubmissionIn(
        instance_id=parse_instance_id(payload["instance_id"], "instance_id"),
        source=source, household_id=household_id.strip() if household_id else None,
        answers=payload["answers"], body_hash=canonical_hash(payload),
        deprecated_id=(parse_instance_id(payload["deprecated_id"], "deprecated_id")
                       if payload.get("deprecated_id") else None),
        started_at=started, ended_at=ended, device_id=device_id.strip(),
        gps=_gps(payload.get("gps")), photos=_photos(payload.get("attachments")),
        author=author.strip() if author else None, keep_both=keep_both)
    if record.deprecated_id == record.instance_id:
        raise PayloadError(gettext("an edit needs a new instance_id; deprecated_id names the old "
                                   "record"))
    return evaluation_id, record


def _gps(value: Any) -> tuple[float, float, float | None] | None:
    if value in (None, {}):
        return None
    if not isinstance(value, dict):
        raise PayloadError(gettext("gps must be {lat, lon, accuracy} or null"))
    try:
        lat, lon = float(value["lat"]), float(value["lon"])
        accuracy = value.get("accuracy")
        accuracy = None if accuracy is None else float(accuracy)
    except (KeyError, TypeError, ValueError, OverflowError):
        raise PayloadError(gettext("gps must be {lat, lon, accuracy} with numbers")) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise PayloadError(gettext("gps latitude/longitude out of range"), 422)
    if accuracy is not None and not 0 <= accuracy <= 1e7:
        raise PayloadError(gettext("gps accuracy must be metres, 0 or more"), 422)
    return lat, lon, accuracy


def _photos(value: Any) -> dict[str, Photo]:
    if value in (None, []):
        return {}
    if not isinstance(value, list):
        raise PayloadError(gettext("attachments must be a list of {field, filename, "
                                   "content_type, data}"))
    photos: dict[str, Photo] = {}
    for item in value:
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in
                                                 ("field", "filename", "content_type", "data")):
            raise PayloadError(gettext("each attachment is {field, filename, content_type, "
                                       "data (base64)}"))
        try:
            data = base64.b64decode(item["data"], validate=True)
        except (binascii.Error, ValueError):
            raise PayloadError(gettext("attachment %(name)r: data is not base64",
                                       name=item["filename"])) from None
        if item["field"] in photos:
            raise PayloadError(gettext("two attachments for %(field)r", field=item["field"]))
        photos[item["field"]] = Photo(item["filename"], item["content_type"], data)
    return photos


def record_json(db, submission: Submission, photos: list[Attachment]) -> dict[str, Any]:
    """The stored record with its photos (attachment rows) as the API answers it."""
    from evaluator.auth.models import User

    submitter = db.get(User, submission.submitter_id)
    return {
        "instance_id": submission.instance_id,
        "evaluation_id": submission.evaluation_id,
        "source": submission.source,
        "household_id": submission.household_id,
        "deprecated_id": submission.deprecated_id,
        "current": submission.current,
        "review_state": submission.review_state,
        "received_at": submission.received_at.isoformat(timespec="seconds") + "Z",
        "started_at": _moment(submission.started_at),
        "ended_at": _moment(submission.ended_at),
        "device_id": submission.device_id,
        "submitter": submitter.username if submitter else None,
        "answers": submission.data,
        "attachments": [{"field": a.field, "filename": a.filename,
                         "url": url_for("fieldwork.attachment", token=a.token)} for a in photos],
    }


def _moment(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


@bp.post("/submissions")
def create_submission():
    try:
        evaluation_id, record = parse_payload(json_body())
    except (JsonRefused, PayloadError) as exc:
        return error(exc.status, _CODES[exc.status], str(exc))
    db = db_session()
    try:
        stored = submit_record(db, current_user, evaluation_id, record,
                               storage=current_storage(), today=date.today())
    except OperationError as exc:
        return error(exc.status, _CODES.get(exc.status, "error"), exc.message, exc.problems,
                     reason=exc.reason, stored_id=exc.stored_id)
    # The acknowledgement: the stored record, named by its instance_id, with "created" or
    # "already_stored". The tablet checks it field by field before it lets the record go.
    body = record_json(db, stored.submission, stored.photos)
    body["status"] = "created" if stored.created else "already_stored"
    return jsonify(body), 201 if stored.created else 200


@bp.get("/submissions/<instance_id>")
def get_submission(instance_id: str):
    try:
        key = parse_instance_id(instance_id, "instance_id")
    except PayloadError as exc:
        return error(400, "bad_request", str(exc))
    db = db_session()
    submission = db.scalar(select(Submission).where(Submission.instance_id == key))
    role = member_role(db, current_user, submission.evaluation_id) if submission else None
    if submission is None or role is None or (
            role != "lead" and submission.submitter_id != current_user.id):
        return error(404, "not_found", gettext("no record %(id)s that you can read", id=key))
    return jsonify(record_json(db, submission, record_photos(db, submission.id)))


@bp.get("/session")
def session_info():
    """Who is signed in, and the CSRF token of this session: the upload queue asks before it
    sends, so a record waits for its own author and never uses a stale page's token."""
    response = jsonify({"user": {"username": current_user.username,
                                 "display_name": current_user.display_name or "",
                                 "role": current_user.role},
                        "csrf_token": generate_csrf()})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/assignments")
def assignments():
    """The forms this person's tablet keeps offline, each with its version (see tablet.py);
    conditional on an ETag, so an unchanged list costs a 304 and no body. The ETag is weak: the
    same list is sent compressed or not (extensions.compress), never byte for byte the same."""
    body = offline_forms(db_session(), current_user, g.lang)
    tag = hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()[:32]
    response = Response(status=304) if request.if_none_match.contains_weak(tag) else jsonify(body)
    response.set_etag(tag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


def openapi_document() -> dict[str, Any]:
    error_schema = {"$ref": "#/components/schemas/Error"}

    def response(description: str, schema: dict | None = None) -> dict:
        found: dict[str, Any] = {"description": description}
        if schema:
            found["content"] = {"application/json": {"schema": schema}}
        return found

    record = {"$ref": "#/components/schemas/Record"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "evaluator fieldwork API", "version": "1",
                 "description": "Records from the tablets. Idempotent on instance_id: send the "
                                "same record as often as needed; it is stored once."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "the signed-in session; POSTs also send the page's "
                                           "CSRF token in the X-CSRFToken header"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "message"], "properties": {
                    "error": {"type": "string", "enum": sorted(set(_CODES.values()) | {"csrf"})},
                    "message": {"type": "string", "description": "what to change, in words"},
                    "reason": {"type": "string", "description":
                               "a stable code for a refused record (household_has_record, "
                               "replaced, finished, not_assigned, wrong_user, ...) the tablet "
                               "explains in the person's language"},
                    "stored_id": {"type": "string", "format": "uuid", "description":
                                  "the stored record a refused one collided with: an edit "
                                  "names it in deprecated_id"},
                    "problems": {"type": "array", "items": {"type": "object", "properties": {
                        "field": {"type": "string"}, "code": {"type": "string"},
                        "message": {"type": "string"}, "repeat": {"type": "string"},
                        "instance": {"type": "integer", "minimum": 1}}}}}},
                "Submission": {
                    "type": "object", "additionalProperties": False,
                    "required": ["instance_id", "evaluation_id", "source", "answers"],
                    "properties": {
                        "instance_id": {"type": "string", "format": "uuid",
                                        "description": "made by the device at the first keystroke"},
                        "evaluation_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        "source": {"type": "string", "minLength": 1,
                                   "maxLength": MAX_LENGTHS["source"],
                                   "examples": ["household", "file_check", "forum"]},
                        "household_id": {"type": ["string", "null"],
                                         "maxLength": MAX_LENGTHS["household_id"]},
                        "deprecated_id": {"type": ["string", "null"], "format": "uuid",
                                          "description": "the record this one replaces (an edit)"},
                        "started_at": {"type": ["string", "null"], "format": "date-time"},
                        "ended_at": {"type": ["string", "null"], "format": "date-time"},
                        "device_id": {"type": "string", "maxLength": MAX_LENGTHS["device_id"]},
                        "author": {"type": ["string", "null"], "description":
                                   "the user name of the person who made the record; refused "
                                   "(409 wrong_user) under anyone else's session"},
                        "keep_both": {"type": "boolean", "description":
                                      "with deprecated_id: keep this record beside the stored "
                                      "one, marked hasIssues for the lead to decide"},
                        "gps": {"type": ["object", "null"], "properties": {
                            "lat": {"type": "number"}, "lon": {"type": "number"},
                            "accuracy": {"type": ["number", "null"]}}},
                        "answers": {"type": "object", "description":
                                    "field name -> text (select_multiple: space-separated "
                                    "choice names or a list); a repeat -> list of objects"},
                        "attachments": {"type": "array", "items": {
                            "type": "object", "required": ["field", "filename", "content_type",
                                                           "data"],
                            "properties": {"field": {"type": "string"},
                                           "filename": {"type": "string"},
                                           "content_type": {
                                               "type": "string", "description":
                                               "informative only: the type is read from the "
                                               "bytes (JPEG, PNG or WebP)"},
                                           "data": {"type": "string",
                                                    "contentEncoding": "base64"}}}}}},
                "Record": {"type": "object", "properties": {
                    "instance_id": {"type": "string"}, "evaluation_id": {"type": "integer"},
                    "source": {"type": "string"}, "household_id": {"type": ["string", "null"]},
                    "deprecated_id": {"type": ["string", "null"]}, "current": {"type": "boolean"},
                    "review_state": {"type": "string", "enum": [
                        "received", "hasIssues", "edited", "approved", "rejected"]},
                    "received_at": {"type": "string", "format": "date-time"},
                    "submitter": {"type": ["string", "null"]}, "answers": {"type": "object"},
                    "status": {"type": "string", "enum": ["created", "already_stored"]},
                    "attachments": {"type": "array"}}},
            },
        },
        "security": [{"session": []}],
        "paths": {
            "/submissions": {"post": {
                "summary": "Store a record (idempotent on instance_id)",
                "description": "The answer acknowledges THIS record: a JSON body whose "
                               "instance_id, status (created / already_stored), evaluation_id, "
                               "source, household_id and deprecated_id equal what was sent. A "
                               "tablet keeps the record queued on any other answer.",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Submission"}}}},
                "responses": {
                    "201": response("stored now", record),
                    "200": response("this exact record was stored before; the stored one",
                                    record),
                    "400": response("malformed request (not JSON, a value of the wrong type, "
                                    "a bad UUID, unknown keys) or a missing or expired CSRF "
                                    "token (error csrf)", error_schema),
                    "401": response("not signed in", error_schema),
                    "403": response("not assigned to you, or the evaluated unit (role unit), "
                                           "which collects nothing", error_schema),
                    "404": response("no such evaluation that you work on", error_schema),
                    "409": response("a different record already has this instance_id, the "
                                    "record it edits was replaced, or the evaluation is "
                                    "finished", error_schema),
                    "413": response("too large", error_schema),
                    "422": response("values out of range (an id beyond the evaluations' "
                                    "numbers, a text longer than its column, JSON nested "
                                    "deeper than 32 levels) or answers that need attention, "
                                    "listed in problems", error_schema)}}},
            "/submissions/{instance_id}": {"get": {
                "summary": "A stored record (its submitter or the team lead)",
                "parameters": [{"name": "instance_id", "in": "path", "required": True,
                                "schema": {"type": "string", "format": "uuid"}}],
                "responses": {"200": response("the record", record),
                              "400": response("instance_id is not a UUID", error_schema),
                              "401": response("not signed in", error_schema),
                              "404": response("no such record you can read", error_schema)}}},
            "/assignments": {"get": {
                "summary": "The forms the signed-in evaluator's tablet keeps offline",
                "description": "{user, forms: [{url, version, open, evaluation, source, "
                               "household, name, place}], evaluations: {id: title}, sources: "
                               "{code: label}}: the evaluator's assignments (open: still to "
                               "collect; household, name and place as on the task card) and "
                               "forum pages, each with the version its page carries in "
                               "X-Form-Version. Leads and "
                               "viewers get no forms. Send If-None-Match with the ETag.",
                "responses": {"200": response("the forms", {"type": "object"}),
                              "304": response("unchanged since the ETag sent"),
                              "401": response("not signed in", error_schema),
                              "403": response("the evaluated unit (role unit) collects "
                                              "nothing", error_schema)}}},
            "/session": {"get": {
                "summary": "Who is signed in, and this session's CSRF token",
                "responses": {"200": response("{user: {username, display_name, role}, "
                                              "csrf_token}", {"type": "object"}),
                              "401": response("not signed in", error_schema)}}},
            "/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": response("OpenAPI 3.1")}}},
        },
    }
