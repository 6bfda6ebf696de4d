"""Feedback and appeal (反馈, 申诉举证) and rectification tracking (整改跟踪) pages.

The lead publishes the preliminary findings and decides appeals; the evaluated unit (role
``unit`` in this evaluation only) answers each finding and moves its rectification items;
both see one page per step. Personal numbers in the team's texts are masked for the unit (the
one policy, evaluator.privacy). Thin: every step is an operation of evaluator.feedback."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from evaluator.extensions import db_session
from evaluator.feedback import operations
from evaluator.feedback.forms import (
    AnswerForm,
    DecisionForm,
    LookBackForm,
    PublishForm,
    RectifyForm,
)
from evaluator.feedback.models import FindingResponse, RectificationUpdate
from evaluator.feedback.report import STATUS_WIDTHS, tall_row
from evaluator.fieldwork.attachments import Photo
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.models import Attachment, Evaluation, Finding
from evaluator.fieldwork.permissions import visible_evaluations
from evaluator.fieldwork.views_common import (
    evaluation_finding,
    load_evaluation,
    problem_lines,
    summary,
)
from evaluator.privacy import for_role
from evaluator.sheets import csv_bytes
from evaluator.storage import current_storage
from evaluator.web.i18n import label

bp = Blueprint("feedback", __name__)
E = "/evaluations/<int:evaluation_id>"
#: Days the unit has to answer, offered when publishing (the lead may set another deadline).
ANSWER_DAYS = 10


def _photos(files) -> list[Photo]:
    return [Photo(f.filename or "photo", f.mimetype or "", f.read())
            for f in (files or []) if f and f.filename]


def _current_score(evaluation: Evaluation) -> tuple[float | None, str]:
    from evaluator.fieldwork.exports.scores import score_evaluation

    scored = score_evaluation(db_session(), evaluation)
    if scored.sheet is None:
        return None, ""
    return scored.sheet.total, scored.sheet.grade


def _evidence(db, evaluation: Evaluation, column) -> dict[int, list[dict[str, str]]]:
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    for a in db.scalars(select(Attachment).where(Attachment.evaluation_id == evaluation.id,
                                                 column.is_not(None)).order_by(Attachment.id)):
        found[getattr(a, column.key)].append(
            {"url": url_for("fieldwork.attachment", token=a.token), "name": a.filename})
    return found


def _finding_row(f: Finding, shown, today: date) -> dict[str, Any]:
    return {"id": f.id, "indicator": f.indicator, "severity": f.severity, "status": f.status,
            "description": shown(f.description), "unit": shown(f.responsible_unit),
            "person": shown(f.responsible_person), "deadline": f.deadline.isoformat(),
            "rectification": f.rectification, "overdue": operations.is_overdue(f, today)}


@bp.route(E + "/feedback", methods=["GET"])
def appeals(evaluation_id: int):
    """The findings as published to the unit, each with its answer and the lead's decision."""
    evaluation, role = load_evaluation(evaluation_id, allow=("lead", "unit"))
    return _appeals_page(evaluation, role)


def _appeals_page(evaluation: Evaluation, role: str, problems: list[str] | None = None,
                  status: int = 200):
    db = db_session()
    today = date.today()
    published = operations.feedback_round(db, evaluation.id)
    shown = for_role(role)
    responses = {r.finding_id: r for r in db.scalars(select(FindingResponse).where(
        FindingResponse.evaluation_id == evaluation.id))}
    evidence = _evidence(db, evaluation, Attachment.response_id)
    rows = []
    for f in db.scalars(select(Finding).where(Finding.evaluation_id == evaluation.id)
                        .order_by(Finding.id)):
        row = _finding_row(f, shown, today)
        r = responses.get(f.id)
        if r is not None:
            row["response"] = {
                "id": r.id, "answer": r.answer, "reason": shown(r.reason),
                "outcome": r.outcome, "outcome_reason": shown(r.outcome_reason),
                "change": r.change, "before": r.before, "after": r.after,
                "responded_at": f"{r.responded_at:%Y-%m-%d %H:%M}",
                "evidence": evidence.get(r.id, [])}
        if f.status == "active" or r is not None:
            rows.append(row)
    total, grade = (None, "")
    if role == "lead":
        total, grade = _current_score(evaluation)
    open_for_answers = published is not None and today <= published.deadline
    return render_template(
        "feedback/appeals.html", evaluation=summary(evaluation, role), findings=rows,
        published=None if published is None else {
            "deadline": published.deadline.isoformat(),
            "published_at": f"{published.published_at:%Y-%m-%d}",
            "total_before": published.total_before, "grade_before": published.grade_before},
        open_for_answers=open_for_answers, total=total, grade=grade,
        publish_form=PublishForm(deadline=today + timedelta(days=ANSWER_DAYS)),
        answer_form=AnswerForm(), decision_form=DecisionForm(),
        problems=problems or []), status


@bp.route(E + "/feedback/publish", methods=["POST"])
def publish(evaluation_id: int):
    evaluation, role = load_evaluation(evaluation_id, allow=("lead",))
    form = PublishForm()
    if not form.validate_on_submit():
        return _appeals_page(evaluation, role, _form_problems(form), 400)
    total, grade = _current_score(evaluation)
    try:
        operations.publish(db_session(), current_user, evaluation, deadline=form.deadline.data,
                           today=date.today(), total=total, grade=grade)
    except OperationError as error:
        return _refused(evaluation, role, error)
    flash(gettext("The findings were published to the unit"))
    return redirect(url_for("feedback.appeals", evaluation_id=evaluation.id))


@bp.route(E + "/feedback/<int:finding_id>/answer", methods=["POST"])
def answer(evaluation_id: int, finding_id: int):
    evaluation, role = load_evaluation(evaluation_id, allow=("unit",))
    form = AnswerForm()
    if not form.validate_on_submit():
        return _appeals_page(evaluation, role, _form_problems(form), 400)
    db = db_session()
    try:
        operations.respond(db, current_user, evaluation, evaluation_finding(evaluation, finding_id),
                           answer=form.answer.data, reason=form.reason.data or "",
                           photos=_photos(form.photos.data), storage=current_storage(),
                           today=date.today())
    except OperationError as error:
        return _refused(evaluation, role, error)
    flash(gettext("Answer sent"))
    return redirect(url_for("feedback.appeals", evaluation_id=evaluation.id))


@bp.route(E + "/feedback/appeals/<int:response_id>", methods=["POST"])
def decide(evaluation_id: int, response_id: int):
    evaluation, role = load_evaluation(evaluation_id, allow=("lead",))
    form = DecisionForm()
    if not form.validate_on_submit():
        return _appeals_page(evaluation, role, _form_problems(form), 400)
    db = db_session()
    response = db.get(FindingResponse, response_id)
    if response is None or response.evaluation_id != evaluation.id:
        abort(404)
    try:
        operations.adjudicate(db, current_user, evaluation, response, outcome=form.outcome.data,
                              reason=form.reason.data or "", change=form.change.data or "",
                              severity=form.severity.data or None,
                              description=form.description.data or None)
    except OperationError as error:
        return _refused(evaluation, role, error)
    flash(gettext("Appeal decided; the score is recomputed"))
    return redirect(url_for("feedback.appeals", evaluation_id=evaluation.id))


@bp.route(E + "/rectification", methods=["GET"])
def rectification(evaluation_id: int):
    """The rectification list (整改清单) and where each item stands; overdue items first."""
    evaluation, role = load_evaluation(evaluation_id, allow=("lead", "unit"))
    return _rectification_page(evaluation, role)


def rectification_rows(db, evaluation: Evaluation, role: str, today: date) -> list[dict[str, Any]]:
    shown = for_role(role)
    evidence = _evidence(db, evaluation, Attachment.update_id)
    steps: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for u in db.scalars(select(RectificationUpdate).where(
            RectificationUpdate.evaluation_id == evaluation.id).order_by(RectificationUpdate.id)):
        steps[u.finding_id].append({"from": u.from_state, "to": u.to_state, "note": shown(u.note),
                                    "when": f"{u.created_at:%Y-%m-%d}",
                                    "evidence": evidence.get(u.id, [])})
    rows = []
    for f in db.scalars(select(Finding).where(Finding.evaluation_id == evaluation.id,
                                              Finding.status == "active").order_by(Finding.id)):
        row = _finding_row(f, shown, today)
        row["steps"] = steps.get(f.id, [])
        row["moves"] = [to for (start, to), who in operations.TRANSITIONS.items()
                        if start == f.rectification and who == role]
        rows.append(row)
    rows.sort(key=lambda r: (not r["overdue"], r["rectification"] == "verified", r["id"]))
    return rows


def _rectification_page(evaluation: Evaluation, role: str, problems: list[str] | None = None,
                        status: int = 200):
    db = db_session()
    rows = rectification_rows(db, evaluation, role, date.today())
    counts = {state: sum(r["rectification"] == state for r in rows)
              for state in ("open", "in_progress", "submitted", "verified")}
    counts["overdue"] = sum(r["overdue"] for r in rows)
    return render_template("feedback/rectification.html", evaluation=summary(evaluation, role),
                           items=rows, counts=counts, form=RectifyForm(),
                           problems=problems or []), status


@bp.route(E + "/rectification/<int:finding_id>", methods=["POST"])
def rectify(evaluation_id: int, finding_id: int):
    evaluation, role = load_evaluation(evaluation_id, allow=("lead", "unit"))
    form = RectifyForm()
    if not form.validate_on_submit():
        return _rectification_page(evaluation, role, _form_problems(form), 400)
    db = db_session()
    try:
        operations.rectify(db, current_user, evaluation, evaluation_finding(evaluation, finding_id),
                           to_state=form.to_state.data, note=form.note.data or "",
                           photos=_photos(form.photos.data), storage=current_storage())
    except OperationError as error:
        db.rollback()
        return _rectification_page(evaluation, role, problem_lines(error), error.status)
    flash(gettext("Rectification updated"))
    return redirect(url_for("feedback.rectification", evaluation_id=evaluation.id))


@bp.route(E + "/lookback", methods=["GET", "POST"])
def lookback(evaluation_id: int):
    """Looking back (回头看): the lead names the same unit's previous evaluation and sees each
    indicator's change, as the report's appendix prints it."""
    from evaluator.feedback.report import lookback_for
    from evaluator.fieldwork.exports.scores import score_evaluation
    from evaluator.reports.lookback import lookback_appendix

    evaluation, role = load_evaluation(evaluation_id, allow=("lead",))
    db = db_session()
    candidates = [e for e, r in visible_evaluations(db, current_user)
                  if r == "lead" and e.id != evaluation.id
                  and e.evaluated_unit.strip() == evaluation.evaluated_unit.strip()]
    form = LookBackForm(previous=evaluation.previous_id or 0)
    form.previous.choices = [(0, "—")] + [(e.id, f"{e.key} · {e.title_zh} ({e.period_start:%Y})")
                                          for e in candidates]
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            chosen = db.get(Evaluation, form.previous.data) if form.previous.data else None
            operations.set_previous(db, current_user, evaluation, chosen)
        except OperationError as error:
            db.rollback()
            problems = problem_lines(error)
        else:
            flash(gettext("Previous evaluation saved"))
            return redirect(url_for("feedback.lookback", evaluation_id=evaluation.id))
    elif form.is_submitted():
        problems = _form_problems(form)
    found = lookback_for(db, evaluation, score_evaluation(db, evaluation), date.today())
    part = (lookback_appendix(found, lang=g.get("lang", "zh"), number=1, table=1,
                              scrub=for_role(role)) if found is not None else None)
    return render_template("feedback/lookback.html", evaluation=summary(evaluation, role),
                           form=form, part=part, chosen=evaluation.previous_id is not None,
                           problems=problems), 400 if problems else 200


RECTIFICATION_COLUMNS = ("finding", "indicator", "severity", "description", "responsible_unit",
                         "responsible_person", "deadline", "state", "overdue", "last_step",
                         "last_note")


@bp.route(E + "/rectification.csv", methods=["GET"])
def rectification_csv(evaluation_id: int):
    """The rectification list with each item's state, as CSV (the one writer: evaluator.sheets,
    formula-like cells neutralised)."""
    evaluation, role = load_evaluation(evaluation_id, allow=("lead", "unit"))
    rows = rectification_rows(db_session(), evaluation, role, date.today())
    data = csv_bytes(list(RECTIFICATION_COLUMNS), [
        [str(r["id"]), r["indicator"], r["severity"], r["description"], r["unit"], r["person"],
         r["deadline"], r["rectification"], "yes" if r["overdue"] else "",
         r["steps"][-1]["when"] if r["steps"] else "", r["steps"][-1]["note"] if r["steps"] else ""]
        for r in rows])
    return Response(data, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{evaluation.key}-rectification.csv"',
        "Cache-Control": "private, no-store"})


@bp.route(E + "/rectification.pdf", methods=["GET"])
def rectification_pdf(evaluation_id: int):
    """The rectification status report (整改情况一览), overdue items in red, as many pages as
    the items need (headings repeated, pages numbered); personal numbers masked whoever asks
    (a file that leaves the app: evaluator.privacy)."""
    from evaluator.reports.formatting import Words
    from evaluator.reports.pdf import render_pdf, report_environment

    evaluation, role = load_evaluation(evaluation_id, allow=("lead", "unit"))
    lang = "en" if g.get("lang") == "en" else "zh"
    words = Words(lang)  # the report words prefixed rect_status_ (reports/words_parts.py)
    today = date.today()
    rows = rectification_rows(db_session(), evaluation, "viewer", today)  # masked in files
    counts = {state: sum(r["rectification"] == state for r in rows)
              for state in ("open", "in_progress", "submitted", "verified")}
    table = [[str(k), r["indicator"], r["description"], r["unit"], r["person"], r["deadline"],
              label("rect", r["rectification"])
              + (f" · {gettext('overdue')}" if r["overdue"] else ""),
              f"{r['steps'][-1]['when']} {r['steps'][-1]['note']}".strip() if r["steps"] else ""]
             for k, r in enumerate(rows, 1)]
    html = report_environment().get_template("report/rectification_status.html").render(
        html_lang="en" if lang == "en" else "zh-CN", lang=lang, widths=STATUS_WIDTHS,
        title=f"{words('rect_status_title')} · {evaluation.title_en if lang == 'en' and evaluation.title_en else evaluation.title_zh}",
        subtitle=f"{evaluation.evaluated_unit} · {evaluation.key}",
        summary=words("rect_status_summary", count=len(rows), overdue=sum(r["overdue"] for r in rows),
                                        today=today.isoformat(), **counts),
        columns=words.sentences("rect_status_columns"),
        rows=[{"overdue": r["overdue"], "tall": tall_row(cells), "cells": cells}
              for r, cells in zip(rows, table, strict=True)])
    pdf = render_pdf(html, created=today)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{evaluation.key}-rectification.pdf"',
        "Cache-Control": "private, no-store"})


def _form_problems(form) -> list[str]:
    return [f"{name}: {', '.join(errors)}" for name, errors in form.errors.items()]


def _refused(evaluation: Evaluation, role: str, error: OperationError):
    db_session().rollback()
    return _appeals_page(evaluation, role, problem_lines(error), error.status)
