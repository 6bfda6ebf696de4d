"""Review and results: records and their review states, quality flags and call-back checks,
the audit trail, exports, the scores page and the report, and photo evidence behind a
permission check."""

from __future__ import annotations

import io
import math
import secrets
from collections import defaultdict
from datetime import date

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import func, select

from evaluator.auth.models import User
from evaluator.bundle.writer import zip_bytes
from evaluator.extensions import db_session
from evaluator.fieldwork import operations
from evaluator.fieldwork.attachments import stored_path
from evaluator.fieldwork.exports import bundle_files as evaluation_bundle
from evaluator.fieldwork.exports import odk_csv, odk_xlsx
from evaluator.fieldwork.models import (
    REVIEW_STATES,
    Attachment,
    AuditEntry,
    Evaluation,
    Recheck,
    ReviewEvent,
    Submission,
)
from evaluator.fieldwork.operations import OperationError
from evaluator.fieldwork.page_forms import RecheckForm, RecheckOutcomeForm, ReviewForm
from evaluator.fieldwork.permissions import can_view_scores, member_role
from evaluator.fieldwork.quality import quality_rows
from evaluator.fieldwork.queries import rubric_version, survey_for, survey_versions
from evaluator.fieldwork.report import report_html, report_pdf
from evaluator.fieldwork.scores import score_evaluation
from evaluator.fieldwork.views_common import (
    attachment_dir,
    load_evaluation,
    problem_lines,
    report_cache_dir,
    summary,
)
from evaluator.reports import ReportError
from evaluator.web.i18n import LANGUAGES, translate

PAGE = 200


def submissions(evaluation_id: int):
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    state = request.args.get("state", "")
    source = request.args.get("source", "")
    query = select(Submission, User.username).join(User, User.id == Submission.submitter_id) \
        .where(Submission.evaluation_id == evaluation.id, Submission.current.is_(True))
    if state in REVIEW_STATES:
        query = query.where(Submission.review_state == state)
    if source:
        query = query.where(Submission.source == source)
    rows = [{"instance_id": s.instance_id, "source": s.source,
             "household_id": s.household_id or s.data.get("forum_id", ""),
             "submitter": username, "state": s.review_state,
             "received": s.received_at.strftime("%Y-%m-%d %H:%M"),
             "edited": bool(s.deprecated_id),
             "url": url_for("fieldwork.submission", evaluation_id=evaluation.id,
                            instance_id=s.instance_id)}
            for s, username in db.execute(query.order_by(Submission.received_at.desc())
                                          .limit(PAGE))]
    counts = dict(db.execute(select(Submission.review_state, func.count(Submission.id)).where(
        Submission.evaluation_id == evaluation.id, Submission.current.is_(True))
        .group_by(Submission.review_state)).all())
    exports = [{"source": s, "csv": url_for("fieldwork.export", evaluation_id=evaluation.id,
                                            source=s, fmt="csv"),
                "xlsx": url_for("fieldwork.export", evaluation_id=evaluation.id, source=s,
                                fmt="xlsx")}
               for s in survey_versions(db, evaluation.id) if s != "system"]
    return render_template("fieldwork/submissions.html", evaluation=summary(evaluation, role),
                           rows=rows, counts=counts, states=REVIEW_STATES, state=state,
                           source=source, exports=exports)


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
                flash(translate("review_saved", g.lang))
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
                [{"name": k, "label": _label(survey, k), "value": v} for k, v in item.items()]
                for item in value]})
        else:
            answers.append({"name": name, "label": label, "value": value})
    users = {u.id: u.username for u in db.scalars(select(User))}
    events = [{"when": e.created_at.strftime("%Y-%m-%d %H:%M"), "who": users.get(e.user_id),
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
                        "received": older.received_at.strftime("%Y-%m-%d %H:%M"),
                        "url": url_for("fieldwork.submission", evaluation_id=evaluation.id,
                                       instance_id=older.instance_id)})
        previous = older.deprecated_id
    newer = db.scalar(select(Submission.instance_id).where(
        Submission.deprecated_id == record.instance_id))
    info = {"instance_id": record.instance_id, "source": record.source,
            "household_id": record.household_id, "state": record.review_state,
            "current": record.current, "submitter": users.get(record.submitter_id),
            "received": record.received_at.strftime("%Y-%m-%d %H:%M"),
            "started": record.started_at.strftime("%Y-%m-%d %H:%M") if record.started_at else "",
            "ended": record.ended_at.strftime("%Y-%m-%d %H:%M") if record.ended_at else "",
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
                           history=history, form=form, problems=problems), \
        status if problems else 200


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
    entries = [{"when": a.created_at.strftime("%Y-%m-%d %H:%M:%S"), "who": users.get(a.user_id, ""),
                "action": a.action, "object": f"{a.object_type} {a.object_id}",
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


def export(evaluation_id: int, source: str, fmt: str):
    evaluation, _ = load_evaluation(evaluation_id)
    db = db_session()
    stamp = date.today().isoformat()
    if fmt == "csv":
        data = odk_csv(db, evaluation, source)
        mimetype = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        data = odk_xlsx(db, evaluation, source)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    if data is None:
        abort(404)
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{evaluation.key}-{source}-{stamp}.{fmt}"'})


def export_bundle(evaluation_id: int):
    evaluation, _ = load_evaluation(evaluation_id)
    data = zip_bytes(evaluation_bundle(db_session(), evaluation))
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{evaluation.key}-bundle.zip"'})


def scores(evaluation_id: int):
    evaluation, role, scored = _scored(evaluation_id)
    sheet = scored.sheet.to_dict() if scored.sheet is not None else None
    view = _sheet_view(sheet) if sheet else None
    return render_template("fieldwork/scores.html", evaluation=summary(evaluation, role),
                           sheet=view, **_shown(scored.problems), data_hash=scored.data_hash)


def report_preview(evaluation_id: int):
    """The report as its readers get it, as one HTML page (stylesheet and charts inline), in
    the page's language (``?lang=zh|en`` switches it, as on every page). Who may see the scores
    may see the report; until the evaluation is finished (leads only) it is marked as a draft
    on its cover. The report date comes from the data (evaluator.fieldwork.report)."""
    evaluation, role, scored = _scored(evaluation_id)
    if scored.sheet is None:
        return _report_refused(evaluation, role, "cannot_score", scored.problems, 409)
    try:
        html = report_html(scored, _report_lang(), draft=evaluation.status != "finished")
    except ReportError as error:
        return _report_failed(evaluation, role, error)
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def report_download(evaluation_id: int):
    """The report as PDF, as report_preview says. Rendering takes seconds, so each PDF is kept
    under ``<instance>/report-cache/<evaluation id>/`` by a key of the data hash, the rubric's
    content hash, the language, the software version, the report date (the later of the
    period's end and the last fieldwork day: from the data, so the key is stable; the model
    records no finishing date) and the draft mark: the same data is rendered once, and a
    finished evaluation's PDF is the one ``evaluator report`` makes from its bundle.zip. The
    newest few PDFs of each evaluation are kept, older ones deleted."""
    evaluation, role, scored = _scored(evaluation_id)
    if scored.sheet is None:
        return _report_refused(evaluation, role, "cannot_score", scored.problems, 409)
    lang = _report_lang()
    draft = evaluation.status != "finished"
    try:
        pdf = report_pdf(report_cache_dir(), evaluation.id, scored,
                         rubric_version(db_session(), evaluation).content_hash, lang,
                         draft=draft)
    except ReportError as error:
        return _report_failed(evaluation, role, error)
    name = f"{evaluation.key}-report-{lang}{'-draft' if draft else ''}.pdf"
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


#: Problems listed on a page; the rest are counted.
PROBLEMS_SHOWN = 200


def _shown(problems: list[str]) -> dict:
    return {"problems": problems[:PROBLEMS_SHOWN], "more": max(0, len(problems) - PROBLEMS_SHOWN)}


def _scored(evaluation_id: int):
    """(evaluation, role, Scored) for the scores page and the report: leads any time, viewers
    once the evaluation is finished."""
    evaluation, role = load_evaluation(evaluation_id, allow=("lead", "viewer"))
    if not can_view_scores(role, evaluation):
        abort(403)
    return evaluation, role, score_evaluation(db_session(), evaluation)


def _report_lang() -> str:
    lang = g.get("lang", "zh")
    return lang if lang in LANGUAGES else "zh"


def _report_failed(evaluation: Evaluation, role: str, error: ReportError):
    current_app.logger.error("report of evaluation %s failed: %s", evaluation.key, error)
    return _report_refused(evaluation, role, "report_failed", [str(error)], 500)


def _report_refused(evaluation: Evaluation, role: str, heading: str, problems: list[str],
                    status: int):
    return render_template("fieldwork/report_problems.html", evaluation=summary(evaluation, role),
                           heading=translate(heading, g.lang), **_shown(problems)), status


def _fmt(value, places: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{places}f}"


SHARE_METHODS = {"rate", "checklist", "consistency", "completeness", "veto"}


def _sheet_view(sheet: dict) -> dict:
    """Rounded, language-picked plain values for the page (the sheet itself stays unrounded)."""
    lang = g.get("lang", "zh")

    def name(mapping):
        return (mapping or {}).get(lang) or (mapping or {}).get("zh", "")

    by_dimension = defaultdict(list)
    for i in sheet["indicators"]:
        share = i["method"] in SHARE_METHODS

        def est(value, share=share):
            if value is None:
                return "–"
            return f"{value * 100:.1f}%" if share else _fmt(value)

        by_dimension[i["dimension"]].append({
            "code": i["code"], "name": name(i["name"]), "method": i["method"],
            "estimate": est(i.get("estimate")),
            "interval": (f"[{est(i.get('ci_low'))}, {est(i.get('ci_high'))}]"
                         if i.get("ci_low") is not None and i.get("ci_high") is not None else ""),
            "n": i.get("n"), "points": _fmt(i.get("points")), "max": _fmt(i.get("max"), 0),
            "verdict": i.get("verdict", ""), "flags": " ".join(i.get("flags") or [])})
    dimensions = [{"code": d["code"], "name": name(d["name"]), "score": _fmt(d["score"]),
                   "max": _fmt(d["max"], 0), "share": (d["score"] / d["max"] * 100)
                   if d["max"] else 0, "indicators": by_dimension.get(d["code"], [])}
                  for d in sheet["dimensions"]]
    return {"total": _fmt(sheet["total"]), "max": _fmt(sheet["max"], 0),  # as the report prints it
            "grade": sheet["grade"] if lang != "en" else sheet.get("grade_en") or sheet["grade"],
            "uncapped": sheet.get("uncapped_grade"),
            "veto": [{"code": v["code"], "name": name(v["name"]), "cap": v["cap"],
                      "reason": v["reason"]} for v in sheet.get("veto", [])],
            "dimensions": dimensions,
            "rubric": f"{sheet['rubric']['id']} {sheet['rubric']['version']}",
            "data_hash": sheet.get("data_hash", "")}


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
    else:
        # Evidence of a finding: the team, and the report's readers once it is finished.
        allowed = role in ("lead", "evaluator") or (role == "viewer"
                                                    and evaluation.status == "finished")
    if not allowed:
        abort(404)
    path = stored_path(attachment_dir(), found.evaluation_id, found.token)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=found.content_type, max_age=0,
                         download_name=found.filename)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
