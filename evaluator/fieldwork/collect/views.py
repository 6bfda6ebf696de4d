"""The tablet pages: my assignments, the questionnaire, forum records and judgements, findings.

The questionnaire page works offline: static/js/form.js runs the survey's rules from the JSON
AST, autosaves a draft in IndexedDB from the first keystroke and queues the completed record
for /api/v1/submissions. Without JavaScript the same page posts the form here and the server
stores it through the same operation, so the two paths cannot disagree.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime

from flask import (
    Response,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from wtforms.fields.choices import SelectChoice

from evaluator.extensions import db_session
from evaluator.fieldwork.attachments import Photo
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.client_model import client_model
from evaluator.fieldwork.collect import operations, tablet
from evaluator.fieldwork.collect.api import canonical_hash
from evaluator.fieldwork.collect.operations import SubmissionIn
from evaluator.fieldwork.collect.page_forms import FindingForm, JudgementForm
from evaluator.fieldwork.forms import build_form, formdata_from_answers, layout, paged, pages
from evaluator.fieldwork.models import (
    ASSIGNED_SOURCES,
    Assignment,
    Attachment,
    Evaluation,
    Finding,
    Household,
    Judgement,
    Membership,
    SampleDraw,
    Submission,
)
from evaluator.fieldwork.permissions import can_open_household
from evaluator.fieldwork.queries import context_row, household, rubric_for, survey_for
from evaluator.fieldwork.views_common import (
    evaluation_finding,
    load_evaluation,
    problem_lines,
    summary,
    text_of,
)
from evaluator.privacy import for_role
from evaluator.storage import current_storage

#: Task cards per page of "my assignments": 600 cards were 290 KB of HTML on every visit.
TASKS_PER_PAGE = 50


@login_required
def assignments():
    """My households, grouped by evaluation, a page of TASKS_PER_PAGE cards at a time: status
    on the server; the page's script adds what is drafted or waiting on this device, and shows
    every household kept on the tablet when the page is an offline copy (static/js/tasks.js)."""
    db = db_session()
    search = request.args.get("q", "").strip()[:80]
    status = request.args.get("status", "")
    status = status if status in ("assigned", "submitted") else ""
    asked = request.args.get("page", "1")
    mine = Assignment.user_id == current_user.id
    matching = [mine]
    if search:
        text = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matching.append(or_(Household.household_id.like(f"{text}%", escape="\\"),
                            Household.head_name.like(f"%{text}%", escape="\\")))
    counts = dict(db.execute(select(Assignment.status, func.count(Assignment.id))
                             .join(Household, Household.id == Assignment.household_pk)
                             .where(*matching).group_by(Assignment.status)).all())
    if status:
        matching.append(Assignment.status == status)
    total = counts.get(status, 0) if status else sum(counts.values())
    pages = max(1, -(-total // TASKS_PER_PAGE))
    page = min(int(asked), pages) if asked.isdigit() and int(asked) > 0 else 1
    rows = db.execute(
        select(Assignment, Household, SampleDraw.outcome)
        .join(Household, Household.id == Assignment.household_pk)
        .join(Evaluation, Evaluation.id == Assignment.evaluation_id)
        .outerjoin(SampleDraw, SampleDraw.household_pk == Household.id)
        .where(*matching)
        .order_by(Evaluation.id.desc(), Household.stratum, Household.household_id,
                  Assignment.source, Assignment.id)
        .limit(TASKS_PER_PAGE).offset((page - 1) * TASKS_PER_PAGE)).all()
    leads = set(db.scalars(select(Membership.evaluation_id).where(
        Membership.user_id == current_user.id, Membership.role == "lead")))
    states = _review_states(db, [(a.evaluation_id, h.household_id) for a, h, _ in rows])
    groups = _evaluation_groups(db)
    for a, h, outcome in rows:
        phone = str(h.data.get("phone") or h.data.get("mobile") or "")
        groups[a.evaluation_id]["items"].append({
            "household_id": h.household_id, "stratum": h.stratum,
            "township": h.data.get("township", ""), "category": h.data.get("category", ""),
            "head_name": h.head_name, "address": str(h.data.get("address") or ""),
            "phone": phone if a.evaluation_id in leads else mask_phone(phone),
            "source": a.source, "status": a.status,
            "review_state": states.get((a.evaluation_id, a.source, h.household_id), ""),
            "url": url_for("fieldwork.collect", evaluation_id=a.evaluation_id, source=a.source,
                           household_id=h.household_id),
            "key": f"{a.evaluation_id}/{a.source}/{h.household_id}",
            "outcome": outcome or "",  # recorded as refused or not reached (reserves)
            "nonresponse_url": url_for("fieldwork.nonresponse", evaluation_id=a.evaluation_id,
                                       household_id=h.household_id)
            if a.source == "household" and a.status != "submitted" and not outcome else "",
        })
    query = {k: v for k, v in (("q", search), ("status", status)) if v}
    return render_template(
        "fieldwork/assignments.html", groups=list(groups.values()), search=search,
        status=status, counts={"": sum(counts.values()), **counts}, total=total, page=page,
        pages=pages, page_size=TASKS_PER_PAGE,
        link=lambda **changes: url_for("fieldwork.assignments", **{**query, **changes}))


def _evaluation_groups(db) -> dict[int, dict]:
    """Every evaluation with tasks of mine, newest first, with its progress over all my tasks
    there (not only this page's): the forum and findings links stay on every page."""
    groups: dict[int, dict] = {}
    for e, n, done in db.execute(
            select(Evaluation, func.count(Assignment.id),
                   func.count(Assignment.id).filter(Assignment.status == "submitted"))
            .join(Assignment, Assignment.evaluation_id == Evaluation.id)
            .where(Assignment.user_id == current_user.id)
            .group_by(Evaluation.id).order_by(Evaluation.id.desc())):
        groups[e.id] = {"id": e.id, "title": e.title_en if g.lang == "en" and e.title_en
                        else e.title_zh, "status": e.status, "items": [], "done": done,
                        "total": n,
                        "forum_url": url_for("fieldwork.forum", evaluation_id=e.id),
                        "findings_url": url_for("fieldwork.findings", evaluation_id=e.id)}
    return groups


def mask_phone(text: str) -> str:
    """A phone number for those who only need to recognise it (DESIGN §9): the first 3 and
    the last 4 digits of a mobile, the last 4 of anything else.

    >>> mask_phone("13812345678"), mask_phone("0931-8812345"), mask_phone("12")
    ('138****5678', '*******2345', '**')
    """
    digits = [c for c in text if c.isdigit()]
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) == 11 and digits[0] == "1":
        return "".join(digits[:3]) + "****" + "".join(digits[-4:])
    return "*" * (len(digits) - 4) + "".join(digits[-4:])


def _review_states(db, households: list[tuple[int, str]]) -> dict:
    """The review state of this page's households' current records, by (evaluation, source,
    household)."""
    if not households:
        return {}
    rows = db.execute(select(Submission.evaluation_id, Submission.source, Submission.household_id,
                             Submission.review_state)
                      .where(Submission.evaluation_id.in_({e for e, _ in households}),
                             Submission.household_id.in_({h for _, h in households}),
                             Submission.current.is_(True)))
    return {(e, s, h): state for e, s, h, state in rows}


def _form_page(evaluation: Evaluation, role: str, source: str, target: Household | None,
               form, instance_id: str, deprecated_id: str | None, problems: list[str],
               status: int = 200, existing: Submission | None = None):
    forum = _forum_extras(evaluation, role) if source == "forum" else None
    db = db_session()
    version, survey = survey_for(db, evaluation.id, source)
    context = context_row(target.data) if target is not None else {}
    household_info = None
    if target is not None:
        household_info = {"household_id": target.household_id, "stratum": target.stratum,
                          **{k: target.data.get(k, "") for k in
                             ("township", "category", "status", "household_size",
                              "local_standard")}}
    page = {
        "evaluation": summary(evaluation, role),
        "source": source,
        "survey_title": survey.title_in(g.lang),
        "survey_version": f"{version.key} {version.version}",
        "household": household_info,
        "instance_id": instance_id,
        "deprecated_id": deprecated_id or "",
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "api_url": url_for("api.create_submission"),
        "draft_key": f"{evaluation.id}/{source}/{target.household_id if target else 'forum'}",
        "back_url": url_for("fieldwork.assignments"),
        "existing": ({"instance_id": existing.instance_id, "state": existing.review_state,
                      "edit_url": url_for("fieldwork.collect", evaluation_id=evaluation.id,
                                          source=source, household_id=target.household_id,
                                          edit=existing.instance_id)}
                     if existing is not None and target is not None else None),
    }
    items = layout(form, g.lang)
    return render_template(
        "fieldwork/collect.html", page=page, items=items,
        pages=pages(items) if paged(survey) else None,
        model=client_model(form.model), context=context, problems=problems,
        assets=tablet.asset_urls(), forum=forum, judgement_form=JudgementForm()), status


def collect(evaluation_id: int, source: str, household_id: str):
    evaluation, role = load_evaluation(evaluation_id, allow=("lead", "evaluator"))
    db = db_session()
    if source not in ASSIGNED_SOURCES:
        abort(404)
    target = household(db, evaluation.id, household_id)
    if target is None or survey_for(db, evaluation.id, source) is None:
        abort(404)
    if not can_open_household(db, current_user, role, target.id, source):
        abort(403)
    _, survey = survey_for(db, evaluation.id, source)
    form_class = build_form(survey)
    existing = db.scalar(select(Submission).where(
        Submission.evaluation_id == evaluation.id, Submission.source == source,
        Submission.household_id == household_id, Submission.current.is_(True)))
    if request.method == "POST":
        return _post_record(evaluation, role, source, target, form_class)
    deprecated = None
    form = form_class(formdata=None, meta={"csrf": False},
                      context=context_row(target.data))
    edit = request.args.get("edit")
    if edit and existing is not None and edit == existing.instance_id:
        deprecated = existing.instance_id
        form = form_class(formdata=formdata_from_answers(existing.data), meta={"csrf": False},
                          context=context_row(target.data))
    elif "household_id" in form:
        form["household_id"].data = household_id
    response = make_response(_form_page(evaluation, role, source, target, form,
                                        str(uuid.uuid4()), deprecated, [], existing=existing))
    if not edit:  # the page the tablet keeps offline
        response.headers["X-Form-Version"] = tablet.collect_page_version(db, evaluation, source,
                                                                        target, existing)
    return response


def _post_record(evaluation: Evaluation, role: str, source: str, target: Household | None,
                 form_class):
    """The no-JavaScript path: the posted form goes through the same store operation."""
    form = form_class(context=context_row(target.data) if target else {})
    instance_id = request.form.get("instance_id", "")
    deprecated = request.form.get("deprecated_id") or None
    try:
        instance_id = str(uuid.UUID(instance_id))
        deprecated = str(uuid.UUID(deprecated)) if deprecated else None
    except ValueError:
        abort(400)
    if not form.validate_on_submit():
        problems = [p.message[g.lang] for p in (form.checked.problems if form.checked else [])]
        problems += [f"{k}: {v}" for k, v in form.errors.items()
                     if k == "csrf_token"]
        return _form_page(evaluation, role, source, target, form, instance_id, deprecated,
                          problems, 422)
    answers = form.raw_answers()
    started = _moment(request.form.get("started_at"))
    payload = {"instance_id": instance_id, "evaluation_id": evaluation.id, "source": source,
               "household_id": target.household_id if target else None,
               "deprecated_id": deprecated, "answers": answers}
    record = SubmissionIn(instance_id=instance_id, source=source,
                          household_id=target.household_id if target else None,
                          answers=answers, body_hash=canonical_hash(payload),
                          deprecated_id=deprecated, started_at=started,
                          ended_at=_moment(datetime.now().astimezone().isoformat()),
                          device_id="web-form")
    try:
        operations.store_submission(db_session(), current_user, evaluation, record, role=role,
                                    storage=current_storage(), today=date.today())
    except OperationError as error:
        return _form_page(evaluation, role, source, target, form, instance_id, deprecated,
                          problem_lines(error), error.status)
    flash(gettext("Record stored"))
    if source == "forum":
        return redirect(url_for("fieldwork.forum", evaluation_id=evaluation.id))
    return redirect(url_for("fieldwork.assignments"))


def _moment(text: str | None) -> datetime | None:
    from evaluator.fieldwork.collect.api import PayloadError, parse_moment

    try:
        return parse_moment(text, "started_at")
    except PayloadError:
        return None


def forum(evaluation_id: int):
    """Forum records (座谈会记录), one per forum and topic, and this evaluator's judgement scores."""
    evaluation, role = load_evaluation(evaluation_id, allow=("lead", "evaluator"))
    db = db_session()
    found = survey_for(db, evaluation.id, "forum")
    if found is None:
        abort(404)
    form_class = build_form(found[1])
    if request.method == "POST":
        return _post_record(evaluation, role, "forum", None, form_class)
    form = form_class(formdata=None, meta={"csrf": False})
    response = make_response(_form_page(evaluation, role, "forum", None, form,
                                        str(uuid.uuid4()), None, []))
    response.headers["X-Form-Version"] = tablet.collect_page_version(db, evaluation, "forum",
                                                                    None, None)
    return response


def _forum_extras(evaluation: Evaluation, role: str) -> dict:
    """Beside the forum record form: this evaluator's judgement scores and the past records."""
    db = db_session()
    rubric = rubric_for(db, evaluation)
    mine = {j.indicator: j for j in db.scalars(select(Judgement).where(
        Judgement.evaluation_id == evaluation.id, Judgement.user_id == current_user.id))}
    indicators = []
    for indicator in rubric.indicators:
        if indicator.method != "judgement":
            continue
        current = mine.get(indicator.code)
        indicators.append({
            "code": indicator.code, "name": text_of(vars(indicator.name), indicator.code),
            "why": text_of(vars(indicator.why)) if indicator.why else "",
            "scale": indicator.scale, "score": current.score if current else None,
            "reason": current.reason if current else ""})
    query = select(Submission).where(Submission.evaluation_id == evaluation.id,
                                     Submission.source == "forum", Submission.current.is_(True))
    if role != "lead":
        query = query.where(Submission.submitter_id == current_user.id)
    records = [{"forum_id": s.data.get("forum_id", ""), "dimension": s.data.get("dimension", ""),
                "date": s.data.get("forum_date", ""), "state": s.review_state}
               for s in db.scalars(query.order_by(Submission.received_at))]
    return {"indicators": indicators, "records": records}


def judgement(evaluation_id: int):
    evaluation, _ = load_evaluation(evaluation_id, allow=("lead", "evaluator"))
    form = JudgementForm()
    if not form.validate_on_submit():
        problems = [f"{k}: {', '.join(v)}" for k, v in form.errors.items()]
        return render_template("fieldwork/problems.html", problems=problems), 400
    try:
        operations.save_judgement(db_session(), current_user, evaluation,
                                  indicator=form.indicator.data, score=form.score.data,
                                  reason=form.reason.data)
    except OperationError as error:
        return render_template("fieldwork/problems.html",
                               problems=problem_lines(error)), error.status
    flash(gettext("Saved"))
    return redirect(url_for("fieldwork.forum", evaluation_id=evaluation.id))


def findings(evaluation_id: int):
    """Findings (问题) with photo evidence, for the rectification list (整改清单)."""
    evaluation, role = load_evaluation(evaluation_id, allow=("lead", "evaluator"))
    db = db_session()
    rubric = rubric_for(db, evaluation)
    form = FindingForm()
    form.indicator.choices = [SelectChoice(i.code, f"{i.code} {text_of(vars(i.name))}")
                              for i in rubric.indicators]
    problems: list[str] = []
    if form.validate_on_submit():
        photos = [Photo(f.filename or "photo", f.mimetype or "", f.read())
                  for f in (form.photos.data or []) if f and f.filename]
        try:
            operations.add_finding(
                db, current_user, evaluation, indicator=form.indicator.data,
                severity=form.severity.data, description=form.description.data,
                household_id=form.household_id.data or "",
                responsible_unit=form.responsible_unit.data,
                responsible_person=form.responsible_person.data, deadline=form.deadline.data,
                photos=photos, storage=current_storage())
        except OperationError as error:
            problems = problem_lines(error)
        else:
            flash(gettext("Finding saved"))
            return redirect(url_for("fieldwork.findings", evaluation_id=evaluation.id))
    elif request.method == "POST":
        problems = [f"{k}: {', '.join(v)}" for k, v in form.errors.items()]
    photos = defaultdict(list)
    for a in db.scalars(select(Attachment).where(Attachment.evaluation_id == evaluation.id,
                                                 Attachment.finding_id.is_not(None))):
        photos[a.finding_id].append({"url": url_for("fieldwork.attachment", token=a.token),
                                     "name": a.filename})
    shown = for_role(role)  # the team's findings: personal numbers masked for non-leads
    rows = [{"id": f.id, "indicator": f.indicator, "severity": f.severity,
             "description": shown(f.description), "household_id": f.household_id,
             "unit": shown(f.responsible_unit), "person": shown(f.responsible_person),
             "deadline": f.deadline.isoformat(), "photos": photos.get(f.id, [])}
            for f in db.scalars(select(Finding).where(Finding.evaluation_id == evaluation.id)
                                .order_by(Finding.id.desc()))]
    return render_template("fieldwork/findings.html", evaluation=summary(evaluation, role),
                           form=form, findings=rows,
                           problems=problems), 400 if problems else 200


def finding_edit(evaluation_id: int, finding_id: int):
    """The lead corrects a finding (audited)."""
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    finding = evaluation_finding(evaluation, finding_id)
    form = FindingForm(obj=finding)
    form.indicator.choices = [SelectChoice(i.code, f"{i.code} {text_of(vars(i.name))}")
                              for i in rubric_for(db, evaluation).indicators]
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            operations.edit_finding(
                db, current_user, evaluation, finding, indicator=form.indicator.data,
                severity=form.severity.data, description=form.description.data,
                household_id=form.household_id.data or "",
                responsible_unit=form.responsible_unit.data,
                responsible_person=form.responsible_person.data, deadline=form.deadline.data)
        except OperationError as error:
            problems = problem_lines(error)
        else:
            flash(gettext("Finding saved"))
            return redirect(url_for("fieldwork.findings", evaluation_id=evaluation.id))
    elif request.method == "POST":
        problems = [f"{k}: {', '.join(v)}" for k, v in form.errors.items()]
    return render_template("fieldwork/finding_edit.html", evaluation=summary(evaluation, role),
                           form=form, finding_id=finding.id,
                           problems=problems), 400 if problems else 200


def finding_delete(evaluation_id: int, finding_id: int):
    evaluation, _ = load_evaluation(evaluation_id)
    db = db_session()
    finding = evaluation_finding(evaluation, finding_id)
    if request.form.get("confirm") != "y":
        return render_template("fieldwork/problems.html", problems=[
            gettext("tick the confirmation to delete the finding")]), 400
    try:
        operations.delete_finding(db, current_user, evaluation, finding)
    except OperationError as error:
        return render_template("fieldwork/problems.html",
                               problems=problem_lines(error)), error.status
    flash(gettext("Finding deleted"))
    return redirect(url_for("fieldwork.findings", evaluation_id=evaluation.id))


def service_worker():
    """The service worker, served from the site root so its scope covers every page."""
    response = Response(tablet.service_worker_script(), mimetype="application/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response
