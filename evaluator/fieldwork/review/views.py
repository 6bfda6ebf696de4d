"""Review: records and their review states, quality flags and call-back checks (回访复核), the
audit trail, and photo evidence behind a permission check."""

from __future__ import annotations

import io
import secrets

from flask import (
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from evaluator.auth.models import User
from evaluator.extensions import db_session
from evaluator.fieldwork.attachments import photo_key
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.models import (
    REVIEW_STATES,
    Attachment,
    AuditEntry,
    Evaluation,
    Household,
    Membership,
    Recheck,
    ReviewEvent,
    Submission,
)
from evaluator.fieldwork.permissions import member_role
from evaluator.fieldwork.queries import survey_for, survey_versions
from evaluator.fieldwork.review import operations
from evaluator.fieldwork.review.page_forms import (
    BulkReviewForm,
    RecheckForm,
    RecheckOutcomeForm,
    ReviewForm,
)
from evaluator.fieldwork.review.quality import FLAGS, ensure_flags, quality_rows
from evaluator.fieldwork.review.records import (
    PAGE_SIZE,
    SORTS,
    SOURCES,
    RecordQuery,
    map_points,
    matching_ids,
    record_page,
)
from evaluator.fieldwork.views_common import load_evaluation, problem_lines, summary
from evaluator.storage import current_storage
from evaluator.web.headers import map_tiles, with_sources
from evaluator.web.i18n import label


def submissions(evaluation_id: int):
    """The records list: paged, searched, filtered and sorted in the database (records.py)."""
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    ensure_flags(db, evaluation)
    query = RecordQuery.from_args(request.args)
    rows, total = record_page(db, evaluation.id, query, evaluation.time_zone)
    for row in rows:
        row["url"] = url_for("fieldwork.submission", evaluation_id=evaluation.id,
                             instance_id=row["instance_id"])
    pages = max(1, -(-total // PAGE_SIZE))
    counts = dict(db.execute(select(Submission.review_state, func.count(Submission.id)).where(
        Submission.evaluation_id == evaluation.id, Submission.current.is_(True))
        .group_by(Submission.review_state)).all())
    team = db.execute(select(User.id, User.username, User.display_name)
                      .join(Membership, Membership.user_id == User.id)
                      .where(Membership.evaluation_id == evaluation.id,
                             Membership.role.in_(("lead", "evaluator")))
                      .order_by(User.username)).all()
    strata = list(db.scalars(select(Household.stratum).where(
        Household.evaluation_id == evaluation.id).distinct().order_by(Household.stratum)))
    exports = [{"source": s, "csv": url_for("fieldwork.export", evaluation_id=evaluation.id,
                                            source=s, fmt="csv"),
                "xlsx": url_for("fieldwork.export", evaluation_id=evaluation.id, source=s,
                                fmt="xlsx")}
               for s in survey_versions(db, evaluation.id) if s != "system"]
    return render_template(
        "fieldwork/submissions.html", evaluation=summary(evaluation, role), rows=rows,
        total=total, query=query, pages=pages, page_size=PAGE_SIZE, counts=counts,
        states=REVIEW_STATES, sources=SOURCES, flags=FLAGS, sorts=SORTS,
        team=[{"id": t.id, "name": t.display_name or t.username} for t in team], strata=strata,
        exports=exports, bulk_form=BulkReviewForm(),
        link=lambda **changes: url_for("fieldwork.submissions", evaluation_id=evaluation.id,
                                       **query.args(**changes)))


def submissions_bulk(evaluation_id: int):
    """One decision for the records ticked on the page, or for every record the list's
    filters match (the lead saw how many: a different count now is refused)."""
    evaluation, _ = load_evaluation(evaluation_id)
    db = db_session()
    form = BulkReviewForm()
    query = RecordQuery.from_args(request.form)
    back = url_for("fieldwork.submissions", evaluation_id=evaluation.id, **query.args())
    if not form.validate_on_submit():
        return render_template("fieldwork/problems.html", problems=[
            f"{k}: {', '.join(v)}" for k, v in form.errors.items()]), 400
    if form.scope.data == "filtered":
        ids = matching_ids(db, evaluation.id, query, evaluation.time_zone)
        if len(ids) != form.expected.data:
            return render_template("fieldwork/problems.html", problems=[gettext(
                "the list changed: %(now)s records match now, not %(seen)s; look again",
                now=len(ids), seen=form.expected.data)]), 409
    else:
        ids = list(db.scalars(select(Submission.id).where(
            Submission.evaluation_id == evaluation.id,
            Submission.instance_id.in_(request.form.getlist("ids")))))
        if not ids:
            return render_template("fieldwork/problems.html",
                                   problems=[gettext("tick the records first")]), 400
    records = list(db.scalars(select(Submission).where(Submission.id.in_(ids))))
    try:
        changed = operations.review_many(db, current_user, evaluation, records,
                                         form.decision.data, form.comment.data or "")
    except OperationError as error:
        return render_template("fieldwork/problems.html",
                               problems=problem_lines(error)), error.status
    flash(gettext("%(n)s records reviewed", n=changed))
    return redirect(back)


def record_map(evaluation_id: int):
    """The sample on a map: each located household visit the list's filters match, flagged
    records highlighted; tiles if configured (EVALUATOR_MAP_TILES), else a blank base with
    the townships named."""
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    ensure_flags(db, evaluation)
    query = RecordQuery.from_args(request.args)
    points, missing = map_points(db, evaluation.id, query, evaluation.time_zone)
    for p in points:  # what static/js/map.js draws: flagged records red, on top
        p.update(url=url_for("fieldwork.submission", evaluation_id=evaluation.id,
                             instance_id=p["id"]),
                 title=p["household"], subtitle=p["township"], area=p["township"],
                 lines=[label("state", p["state"])],
                 alert="、".join(label("flag", f) for f in p["flags"]),
                 kind="flagged" if p["flags"] else "record")
    points.sort(key=lambda p: len(p["flags"]))
    tiles, origins = map_tiles()
    page = make_response(render_template(
        "fieldwork/map.html", evaluation=summary(evaluation, role), points=points,
        missing=missing, flagged=sum(1 for p in points if p["flags"]), query=query, tiles=tiles,
        list_url=url_for("fieldwork.submissions", evaluation_id=evaluation.id, **query.args())))
    return with_sources(page, "img-src", origins)


def _find(db, evaluation: Evaluation, instance_id: str) -> Submission:
    submission = db.scalar(select(Submission).where(Submission.instance_id == instance_id,
                                                    Submission.evaluation_id == evaluation.id))
    if submission is None:
        abort(404)
    return submission


def submission(evaluation_id: int, instance_id: str):
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    record = _find(db, evaluation, instance_id)
    form = ReviewForm()
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                operations.review_submission(db, current_user, record, form.state.data,
                                             form.comment.data or "")
            except OperationError as error:
                problems, status = problem_lines(error), error.status
            else:
                flash(gettext("Review saved"))
                return redirect(url_for("fieldwork.submission", evaluation_id=evaluation.id,
                                        instance_id=record.instance_id))
        else:
            problems = [f"{k}: {', '.join(v)}" for k, v in form.errors.items()]
    found = survey_for(db, evaluation.id, record.source)
    survey = found[1] if found else None
    answers = []
    for name, value in record.data.items():
        f = survey.fields.get(name) if survey else None
        label = f.label_in(g.lang, survey.default_language) if f else name
        if isinstance(value, list):
            answers.append({"name": name, "label": label, "repeat": [
                [{"name": k, "label": _label(survey, k), "value": v,
                  "shown": answer_text(survey, k, v, g.lang)} for k, v in item.items()]
                for item in value]})
        else:
            answers.append({"name": name, "label": label, "value": value,
                            "shown": answer_text(survey, name, value, g.lang)})
    users = {u.id: u.username for u in db.scalars(select(User))}
    events = [{"when": e.created_at, "who": users.get(e.user_id),
               "from": e.from_state, "to": e.to_state, "comment": e.comment}
              for e in db.scalars(select(ReviewEvent).where(
                  ReviewEvent.submission_id == record.id).order_by(ReviewEvent.id))]
    photos = [{"field": a.field, "name": a.filename,
               "url": url_for("fieldwork.attachment", token=a.token)}
              for a in db.scalars(select(Attachment).where(Attachment.submission_id == record.id))]
    history = []
    previous = record.deprecated_id
    while previous:
        older = db.scalar(select(Submission).where(Submission.instance_id == previous))
        if older is None:
            break
        history.append({"instance_id": older.instance_id,
                        "received": older.received_at,
                        "url": url_for("fieldwork.submission", evaluation_id=evaluation.id,
                                       instance_id=older.instance_id)})
        previous = older.deprecated_id
    newer = db.scalar(select(Submission.instance_id).where(
        Submission.deprecated_id == record.instance_id))
    info = {"instance_id": record.instance_id, "source": record.source,
            "household_id": record.household_id, "state": record.review_state,
            "current": record.current, "submitter": users.get(record.submitter_id),
            "received": record.received_at, "started": record.started_at,
            "ended": record.ended_at,
            "device": record.device_id,
            "gps": (f"{record.gps_lat:.5f}, {record.gps_lon:.5f}"
                    + (f" ±{record.gps_accuracy:.0f} m" if record.gps_accuracy else "")
                    if record.gps_lat is not None else ""),
            "newer": url_for("fieldwork.submission", evaluation_id=evaluation.id,
                             instance_id=newer) if newer else None,
            "edit_url": url_for("fieldwork.collect", evaluation_id=evaluation.id,
                                source=record.source, household_id=record.household_id,
                                edit=record.instance_id)
            if record.current and record.household_id else None}
    return render_template("fieldwork/submission.html", evaluation=summary(evaluation, role),
                           record=info, answers=answers, events=events, photos=photos,
                           history=history, form=form, problems=problems,
                           show_codes=request.args.get("codes") == "1"), \
        status if problems else 200


def answer_text(survey, name: str, value, lang: str) -> str:
    """An answer as the page shows it: choices by their labels in the page's language (a
    select_multiple's space-separated codes each), anything else as it was entered."""
    field = survey.fields.get(name) if survey is not None else None
    if field is None or not field.list_name or value in (None, ""):
        return "" if value is None else str(value)
    labels = {c.name: c.label_in(lang, survey.default_language)
              for c in survey.choices.get(field.list_name, ())}
    codes = str(value).split() if field.type == "select_multiple" else [str(value)]
    return gettext(", ").join(labels.get(code, code) for code in codes)


def _label(survey, name: str) -> str:
    if survey is None or name not in survey.fields:
        return name
    return survey.fields[name].label_in(g.lang, survey.default_language)


def quality(evaluation_id: int):
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    rows = quality_rows(db, evaluation)
    for row in rows:
        row["url"] = url_for("fieldwork.submission", evaluation_id=evaluation.id,
                             instance_id=row["instance_id"])
    rechecks = []
    for r, s in db.execute(select(Recheck, Submission).join(
            Submission, Submission.id == Recheck.submission_id)
            .where(Recheck.evaluation_id == evaluation.id).order_by(Recheck.id)):
        rechecks.append({"id": r.id, "instance_id": s.instance_id, "household_id": s.household_id,
                         "seed": r.seed, "outcome": r.outcome, "note": r.note,
                         "url": url_for("fieldwork.submission", evaluation_id=evaluation.id,
                                        instance_id=s.instance_id)})
    form = RecheckForm()
    if form.seed.data is None:
        form.seed.data = secrets.randbelow(900_000) + 100_000
    return render_template("fieldwork/quality.html", evaluation=summary(evaluation, role),
                           rows=rows, flagged=sum(1 for r in rows if r["flags"]),
                           rechecks=rechecks, form=form, outcome_form=RecheckOutcomeForm())


def recheck(evaluation_id: int):
    evaluation, _ = load_evaluation(evaluation_id)
    form = RecheckForm()
    if not form.validate_on_submit():
        return render_template("fieldwork/problems.html", problems=[
            f"{k}: {', '.join(v)}" for k, v in form.errors.items()]), 400
    try:
        operations.draw_recheck(db_session(), current_user, evaluation, size=form.size.data,
                                seed=form.seed.data)
    except OperationError as error:
        return render_template("fieldwork/problems.html",
                               problems=problem_lines(error)), error.status
    return redirect(url_for("fieldwork.quality", evaluation_id=evaluation.id))


def recheck_outcome(evaluation_id: int, recheck_id: int):
    evaluation, _ = load_evaluation(evaluation_id)
    db = db_session()
    found = db.get(Recheck, recheck_id)
    if found is None or found.evaluation_id != evaluation.id:
        abort(404)
    form = RecheckOutcomeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.set_recheck_outcome(db, current_user, found, form.outcome.data,
                                       form.note.data or "")
    except OperationError as error:
        return render_template("fieldwork/problems.html",
                               problems=problem_lines(error)), error.status
    return redirect(url_for("fieldwork.quality", evaluation_id=evaluation.id))


def audit(evaluation_id: int):
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    users = {u.id: u.username for u in db.scalars(select(User))}
    entries = [{"when": a.created_at, "who": users.get(a.user_id, ""),
                "action": a.action, "object_type": a.object_type, "object_id": a.object_id,
                "old": _short(a.old_value), "new": _short(a.new_value)}
               for a in db.scalars(select(AuditEntry).where(
                   AuditEntry.evaluation_id == evaluation.id)
                   .order_by(AuditEntry.id.desc()).limit(500))]
    return render_template("fieldwork/audit.html", evaluation=summary(evaluation, role),
                           entries=entries)


def _short(value) -> str:
    import json

    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 400 else text[:400] + "…"


@login_required
def attachment(token: str):
    """A photo, behind a permission check; strangers get 404, as if it did not exist."""
    db = db_session()
    found = db.scalar(select(Attachment).where(Attachment.token == token))
    if found is None:
        abort(404)
    role = member_role(db, current_user, found.evaluation_id)
    evaluation = db.get(Evaluation, found.evaluation_id)
    if found.submission_id is not None:
        # A household's photo: the team lead, or the evaluator who took it.
        record = db.get(Submission, found.submission_id)
        allowed = role == "lead" or (role == "evaluator"
                                     and record.submitter_id == current_user.id)
    elif found.response_id is not None or found.update_id is not None:
        # The evaluated unit's evidence (an appeal, a rectification step): the unit and the lead.
        allowed = role in ("lead", "unit")
    else:
        # Evidence of a finding: the team, and the report's readers once it is finished.
        allowed = role in ("lead", "evaluator") or (role == "viewer"
                                                    and evaluation.status == "finished")
    if not allowed:
        abort(404)
    data = current_storage().get_or_none(photo_key(found.evaluation_id, found.token))
    if data is None:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype=found.content_type, max_age=0,
                         download_name=found.filename)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
