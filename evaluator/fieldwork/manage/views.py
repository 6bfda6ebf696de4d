"""The team lead's pages: create an evaluation, roster, team, sample, assignments, system data.

Each handler loads, checks permission, acts; operations flush and the request commits once.
Bad uploads come back with status 400 and every problem listed by row and column.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter, defaultdict

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from evaluator.auth.models import User
from evaluator.definitions.problems import DefinitionError
from evaluator.extensions import db_session
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.forms import build_form
from evaluator.fieldwork.manage import operations
from evaluator.fieldwork.manage.finish import MIN_REASON, finish_checks, finish_evaluation
from evaluator.fieldwork.manage.households import PAGE_SIZE as HOUSEHOLD_PAGE
from evaluator.fieldwork.manage.households import HouseholdQuery, household_page, matching_pks
from evaluator.fieldwork.manage.page_forms import (
    AssignForm,
    AssignHouseholdsForm,
    EvaluationForm,
    FinishForm,
    MemberForm,
    RemoveMemberForm,
    SampleForm,
    SettingsForm,
    UploadForm,
)
from evaluator.fieldwork.manage.uploads import check_roster, check_system_rows
from evaluator.fieldwork.models import (
    Assignment,
    Evaluation,
    Household,
    Membership,
    SampleDraw,
    Submission,
    SystemRecord,
)
from evaluator.fieldwork.permissions import (
    ALLOWED_MEMBER_ROLES,
    can_create_evaluation,
    visible_evaluations,
)
from evaluator.fieldwork.queries import (
    has_sample,
    roster_index,
    submission_count,
    survey_for,
    survey_versions,
)
from evaluator.fieldwork.views_common import load_evaluation, problem_lines, summary
from evaluator.privacy import masked_row
from evaluator.rubrics.models import RubricVersion
from evaluator.rubrics.survey_references import ROSTER_COLUMNS
from evaluator.surveys.models import SurveyVersion


@login_required
def evaluations():
    db = db_session()
    rows = []
    for evaluation, role in visible_evaluations(db, current_user):
        item = summary(evaluation, role)
        item["households"] = db.scalar(select(func.count(Household.id))
                                       .where(Household.evaluation_id == evaluation.id))
        item["records"] = submission_count(db, evaluation.id)
        rows.append(item)
    return render_template("fieldwork/evaluations.html", evaluations=rows,
                           can_create=can_create_evaluation(current_user))


def _evaluation_choices(form: EvaluationForm) -> None:
    db = db_session()
    rubrics = list(db.scalars(select(RubricVersion).where(RubricVersion.status == "published")
                              .order_by(RubricVersion.key, RubricVersion.id)))
    form.rubric.choices = [SelectChoice(r.id, f"{r.key} {r.version} · {r.title_zh}")
                           for r in rubrics]
    versions = list(db.scalars(select(SurveyVersion).order_by(SurveyVersion.key,
                                                              SurveyVersion.id)))
    form.surveys.choices = [SelectChoice(v.id, f"{v.source}: {v.key} {v.version} · {v.title_zh}")
                            for v in versions]
    if request.method == "GET":
        latest = {v.key: v.id for v in versions}
        form.surveys.data = list(latest.values())
        if rubrics and form.rubric.data is None:
            form.rubric.data = rubrics[-1].id


@login_required
def evaluation_new():
    if not can_create_evaluation(current_user):
        abort(403)
    form = EvaluationForm()
    _evaluation_choices(form)
    problems: list[str] = []
    if form.validate_on_submit():
        db = db_session()
        rubric = db.get(RubricVersion, form.rubric.data)
        chosen = [db.get(SurveyVersion, i) for i in form.surveys.data]
        by_source: dict[str, SurveyVersion] = {}
        for version in chosen:
            if version.source in by_source:
                problems.append(f"two surveys chosen for source {version.source!r}: "
                                f"{by_source[version.source].version} and {version.version}")
            by_source[version.source] = version
        upload = form.roster.data
        try:
            if problems:
                raise OperationError("; ".join(problems), 400, problems)
            roster = check_roster(upload.filename or "roster.csv", upload.read(),
                                  form.stratum_column.data.strip())
            evaluation = operations.create_evaluation(
                db, current_user, key=form.key.data.strip(), title_zh=form.title_zh.data.strip(),
                title_en=(form.title_en.data or "").strip(),
                evaluated_unit=form.evaluated_unit.data.strip(),
                commissioning_body=form.commissioning_body.data.strip(),
                period_start=form.period_start.data, period_end=form.period_end.data,
                rubric=rubric, surveys=by_source, roster=roster,
                stratum_column=form.stratum_column.data.strip(),
                count_policy=form.count_policy.data, synthetic=form.synthetic.data)
        except (DefinitionError, OperationError) as error:
            problems = problem_lines(error)
        else:
            flash(gettext("Evaluation created and roster imported"))
            return redirect(url_for("fieldwork.evaluation", evaluation_id=evaluation.id))
    status = 400 if problems or (request.method == "POST" and form.errors) else 200
    return render_template("fieldwork/evaluation_new.html", form=form, problems=problems), status


def evaluation(evaluation_id: int):
    evaluation, role = load_evaluation(evaluation_id, allow=("lead", "evaluator", "viewer", "unit"))
    if role == "unit":  # the evaluated unit's pages are its feedback and rectification
        return redirect(url_for("feedback.appeals", evaluation_id=evaluation.id))
    db = db_session()
    info = summary(evaluation, role)
    stats: dict = {}
    settings = None
    if role == "lead":
        stats = _lead_stats(db, evaluation)
        settings = SettingsForm(obj=evaluation)
        if evaluation.status != "finished":  # finishing goes through the finish page's checks
            settings.status.choices = [c for c in settings.status.choices
                                       if c.value != "finished"]
    elif role == "evaluator":
        mine = Counter(db.scalars(select(Assignment.status).where(
            Assignment.evaluation_id == evaluation.id, Assignment.user_id == current_user.id)))
        stats = {"assigned": sum(mine.values()), "submitted": mine.get("submitted", 0)}
    return render_template("fieldwork/evaluation.html", evaluation=info, stats=stats,
                           settings=settings)


def _lead_stats(db, evaluation: Evaluation) -> dict:
    households = db.scalar(select(func.count(Household.id))
                           .where(Household.evaluation_id == evaluation.id))
    draws = Counter(db.scalars(select(SampleDraw.role)
                               .where(SampleDraw.evaluation_id == evaluation.id)))
    assignments = Counter(db.scalars(select(Assignment.status)
                                     .where(Assignment.evaluation_id == evaluation.id)))
    states = Counter(db.scalars(select(Submission.review_state).where(
        Submission.evaluation_id == evaluation.id, Submission.current.is_(True))))
    system = db.scalar(select(func.count(SystemRecord.id))
                       .where(SystemRecord.evaluation_id == evaluation.id))
    members = db.scalar(select(func.count(Membership.id))
                        .where(Membership.evaluation_id == evaluation.id))
    return {"households": households, "sample": draws.get("sample", 0),
            "reserve": draws.get("reserve", 0), "assigned": sum(assignments.values()),
            "submitted_assignments": assignments.get("submitted", 0),
            "records": sum(states.values()), "states": dict(sorted(states.items())),
            "system": system, "members": members,
            "surveys": [{"source": s, "key": v.key, "version": v.version}
                        for s, v in survey_versions(db, evaluation.id).items()]}


def settings(evaluation_id: int):
    evaluation, _ = load_evaluation(evaluation_id)
    form = SettingsForm()
    if not form.validate_on_submit():
        return render_template("fieldwork/problems.html", problems=_form_errors(form)), 400
    try:
        operations.update_settings(db_session(), current_user, evaluation,
                                   status=form.status.data, count_policy=form.count_policy.data,
                                   min_interview_minutes=form.min_interview_minutes.data,
                                   aid_tolerance=form.aid_tolerance.data,
                                   time_zone=(form.time_zone.data or "").strip() or None)
    except OperationError as error:
        return render_template("fieldwork/problems.html",
                               problems=problem_lines(error)), error.status
    flash(gettext("Saved"))
    return redirect(url_for("fieldwork.evaluation", evaluation_id=evaluation.id))


def _form_errors(form) -> list[str]:
    return [f"{name}: {message}" for name, messages in form.errors.items() for message in messages]


def roster(evaluation_id: int):
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    form = UploadForm()
    problems: list[str] = []
    if request.method == "POST":
        if form.validate_on_submit():
            upload = form.file.data
            try:
                parsed = check_roster(upload.filename or "roster.csv", upload.read(),
                                      evaluation.stratum_column)
                operations.replace_roster(db, current_user, evaluation, parsed)
            except (DefinitionError, OperationError) as error:
                problems = problem_lines(error)
            else:
                flash(gettext("Roster replaced"))
                return redirect(url_for("fieldwork.roster", evaluation_id=evaluation.id))
        else:
            problems = _form_errors(form)
    households = list(db.scalars(select(Household).where(Household.evaluation_id == evaluation.id)
                                 .order_by(Household.row_number).limit(500)))
    total = db.scalar(select(func.count(Household.id))
                      .where(Household.evaluation_id == evaluation.id))
    strata = db.execute(select(Household.stratum, func.count(Household.id))
                        .where(Household.evaluation_id == evaluation.id)
                        .group_by(Household.stratum).order_by(Household.stratum)).all()
    columns = [c for c in evaluation.roster_columns if c != "head_name"]
    # A list of many households: personal numbers masked, for the lead too (evaluator.privacy)
    own = [c for c in columns if c not in ROSTER_COLUMNS]
    rows = [{"row": h.row_number, "cells": [masked_row(h.data, own).get(c, "") for c in columns]}
            for h in households]
    return render_template(
        "fieldwork/roster.html", evaluation=summary(evaluation, role), form=form,
        problems=problems, columns=columns, rows=rows, total=total,
        strata=[{"stratum": s, "households": n} for s, n in strata],
        locked=has_sample(db, evaluation.id),
        file={"name": evaluation.roster_file, "sha256": evaluation.roster_sha256,
              "encoding": evaluation.roster_encoding}), 400 if problems else 200


def members(evaluation_id: int):
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    form = MemberForm()
    problems: list[str] = []
    if form.validate_on_submit():
        member = db.scalar(select(User).where(User.username == form.username.data.strip()))
        try:
            if member is None or not member.active:
                raise OperationError(gettext("no active user %(name)r",
                                             name=form.username.data.strip()), 404)
            operations.add_member(db, current_user, evaluation, member, form.role.data)
        except OperationError as error:
            problems = problem_lines(error)
        else:
            return redirect(url_for("fieldwork.members", evaluation_id=evaluation.id))
    elif request.method == "POST":
        problems = _form_errors(form)
    rows = db.execute(select(User, Membership.role).join(Membership, Membership.user_id == User.id)
                      .where(Membership.evaluation_id == evaluation.id)
                      .order_by(Membership.role, User.username)).all()
    assigned = dict(db.execute(select(Assignment.user_id, func.count(Assignment.id))
                               .where(Assignment.evaluation_id == evaluation.id)
                               .group_by(Assignment.user_id)).all())
    team = [{"id": u.id, "username": u.username, "name": u.display_name, "global_role": u.role,
             "role": r, "assigned": assigned.get(u.id, 0)} for u, r in rows]
    return render_template("fieldwork/members.html", evaluation=summary(evaluation, role),
                           form=form, team=team, problems=problems,
                           remove_form=RemoveMemberForm(),
                           allowed=ALLOWED_MEMBER_ROLES), 400 if problems else 200


def member_remove(evaluation_id: int):
    evaluation, _ = load_evaluation(evaluation_id)
    db = db_session()
    form = RemoveMemberForm()
    if not form.validate_on_submit() or not form.user_id.data.isdigit():
        abort(400)
    member = db.get(User, int(form.user_id.data))
    if member is None:
        abort(404)
    try:
        operations.remove_member(db, current_user, evaluation, member)
    except OperationError as error:
        return render_template("fieldwork/problems.html",
                               problems=problem_lines(error)), error.status
    return redirect(url_for("fieldwork.members", evaluation_id=evaluation.id))


def sample(evaluation_id: int):
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    form = SampleForm()
    drawn_before = bool(evaluation.sampling_plan)
    if request.method == "GET" and form.seed.data is None:
        # After a draw the form shows the seed that was drawn (a redraw is a decision, never a
        # side effect of a pre-filled new seed); before it, a fresh random one.
        form.seed.data = (evaluation.sampling_plan or {}).get("seed") \
            or secrets.randbelow(900_000) + 100_000
    problems: list[str] = []
    if form.validate_on_submit() and drawn_before and not form.redraw.data:
        problems = [gettext("the sample is drawn already: tick “replace the drawn sample” to "
                            "draw it again")]
    elif form.validate_on_submit():
        method = form.method.data
        chosen = {"size": form.size.data, "margin": form.margin.data,
                  "threshold": form.threshold.data}[method]
        try:
            if chosen is None:
                what = {"size": gettext("Fixed size"), "margin": gettext("Margin"),
                        "threshold": gettext("Threshold")}[method]
                raise OperationError(gettext("give a value for %(what)s", what=what))
            operations.draw_sample(
                db, current_user, evaluation, seed=form.seed.data,
                confidence=form.confidence.data,
                expected_errors=form.expected_errors.data or 0,
                min_per_stratum=form.min_per_stratum.data or 0,
                reserve=form.reserve.data or 0, **{method: chosen})
        except OperationError as error:
            problems = problem_lines(error)
        else:
            flash(gettext("Sample drawn"))
            return redirect(url_for("fieldwork.sample", evaluation_id=evaluation.id))
    elif request.method == "POST":
        problems = _form_errors(form)
    plan = evaluation.sampling_plan
    drawn = db.execute(select(Household.household_id, Household.stratum, SampleDraw.role,
                              SampleDraw.draw_order)
                       .join(SampleDraw, SampleDraw.household_pk == Household.id)
                       .where(Household.evaluation_id == evaluation.id)
                       .order_by(Household.stratum, SampleDraw.role.desc(),
                                 SampleDraw.draw_order)).all()
    by_stratum: dict[str, list[dict]] = defaultdict(list)
    for hid, stratum, draw_role, order in drawn:
        by_stratum[stratum].append({"household_id": hid, "role": draw_role, "order": order})
    return render_template(
        "fieldwork/sample.html", evaluation=summary(evaluation, role), form=form, plan=plan,
        formula=plan_formula(plan.get("formula", "")) if plan else "",
        problems=problems, drawn=dict(by_stratum),
        locked=submission_count(db, evaluation.id) > 0), 400 if problems else 200


def assign(evaluation_id: int):
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    form = AssignForm()
    strata = [s for (s,) in db.execute(
        select(Household.stratum).join(SampleDraw, SampleDraw.household_pk == Household.id)
        .where(Household.evaluation_id == evaluation.id).distinct().order_by(Household.stratum))]
    team = db.execute(select(User).join(Membership, Membership.user_id == User.id)
                      .where(Membership.evaluation_id == evaluation.id,
                             Membership.role.in_(("lead", "evaluator")), User.role != "admin")
                      .order_by(User.username)).scalars().all()
    form.stratum.choices = [SelectChoice(s, s) for s in strata]
    form.assignee.choices = [SelectChoice(u.id, f"{u.display_name or u.username} ({u.username})")
                             for u in team]
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            changed = operations.assign_stratum(
                db, current_user, evaluation, stratum=form.stratum.data,
                assignee=db.get(User, form.assignee.data), sources=form.sources.data,
                roles=("sample", "reserve") if form.include_reserve.data else ("sample",),
                replace=form.replace.data)
        except OperationError as error:
            problems = problem_lines(error)
        else:
            flash(gettext("%(n)s assignments made", n=changed))
            return redirect(url_for("fieldwork.assign", evaluation_id=evaluation.id))
    elif request.method == "POST":
        problems = _form_errors(form)
    names = {u.id: u.display_name or u.username for u in db.scalars(
        select(User).join(Assignment, Assignment.user_id == User.id)
        .where(Assignment.evaluation_id == evaluation.id).distinct())}
    table = []
    for stratum in strata:
        draws = Counter(db.scalars(select(SampleDraw.role).join(
            Household, Household.id == SampleDraw.household_pk)
            .where(Household.evaluation_id == evaluation.id, Household.stratum == stratum)))
        per = db.execute(select(Assignment.source, Assignment.user_id, Assignment.status,
                                func.count(Assignment.id))
                         .join(Household, Household.id == Assignment.household_pk)
                         .where(Household.evaluation_id == evaluation.id,
                                Household.stratum == stratum)
                         .group_by(Assignment.source, Assignment.user_id, Assignment.status)).all()
        lines = defaultdict(lambda: {"assigned": 0, "submitted": 0})
        for source, user_id, status, count in per:
            lines[(source, names.get(user_id, "?"))]["assigned"] += count
            if status == "submitted":
                lines[(source, names.get(user_id, "?"))]["submitted"] += count
        table.append({"stratum": stratum, "sample": draws.get("sample", 0),
                      "reserve": draws.get("reserve", 0),
                      "lines": [{"source": s, "who": w, **v} for (s, w), v in sorted(lines.items())]})
    query = HouseholdQuery.from_args(request.args)
    households, total = household_page(db, evaluation.id, query)
    return render_template("fieldwork/assign.html", evaluation=summary(evaluation, role),
                           form=form, table=table, problems=problems,
                           has_team=bool(team), team=team, strata=strata, query=query,
                           households=households, total=total, page_size=HOUSEHOLD_PAGE,
                           pages=max(1, -(-total // HOUSEHOLD_PAGE)),
                           link=lambda **changes: url_for("fieldwork.assign",
                                                          evaluation_id=evaluation.id,
                                                          **query.args(**changes)),
                           bulk_form=AssignHouseholdsForm()), 400 if problems else 200


def assign_households(evaluation_id: int):
    """Assign or reassign many households in one submit: the ticked ones, or every one the
    filters match (refused if that number changed), to one evaluator or evenly across several."""
    evaluation, _ = load_evaluation(evaluation_id)
    db = db_session()
    form = AssignHouseholdsForm()
    query = HouseholdQuery.from_args(request.form)
    back = url_for("fieldwork.assign", evaluation_id=evaluation.id, **query.args())
    if not form.validate_on_submit():
        return render_template("fieldwork/problems.html", problems=_form_errors(form)), 400
    if form.scope.data == "filtered":
        pks = matching_pks(db, evaluation.id, query)
        if len(pks) != form.expected.data:
            return render_template("fieldwork/problems.html", problems=[gettext(
                "the list changed: %(now)s households match now, not %(seen)s; look again",
                now=len(pks), seen=form.expected.data)]), 409
    else:
        pks = [int(p) for p in request.form.getlist("pks") if p.isdigit()]
    assignees = [u for u in (db.get(User, int(i)) for i in request.form.getlist("assignees")
                             if i.isdigit()) if u is not None]
    try:
        counts = operations.assign_households(db, current_user, evaluation, pks, assignees,
                                              form.sources.data, replace=bool(form.replace.data))
    except OperationError as error:
        return render_template("fieldwork/problems.html",
                               problems=problem_lines(error)), error.status
    flash(gettext("%(n)s assignments made", n=sum(counts.values())))
    return redirect(back)


def system_data(evaluation_id: int):
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    form = UploadForm()
    problems: list[str] = []
    found = survey_for(db, evaluation.id, "system")
    if request.method == "POST":
        if found is None:
            problems = ["this evaluation has no system survey to check the export against"]
        elif form.validate_on_submit():
            upload = form.file.data
            model = build_form(found[1]).model
            try:
                parsed = check_system_rows(upload.filename or "system.csv", upload.read(), model,
                                           roster_index(db, evaluation.id))
                count = operations.store_system_data(db, current_user, evaluation, parsed)
            except (DefinitionError, OperationError) as error:
                problems = problem_lines(error)
            else:
                flash(gettext("%(n)s system rows imported", n=count))
                return redirect(url_for("fieldwork.system_data", evaluation_id=evaluation.id))
        else:
            problems = _form_errors(form)
    count = db.scalar(select(func.count(SystemRecord.id))
                      .where(SystemRecord.evaluation_id == evaluation.id))
    fields = list(found[1].fields) if found else []
    return render_template("fieldwork/system.html", evaluation=summary(evaluation, role),
                           form=form, problems=problems, count=count,
                           fields=fields), 400 if problems else 200


def finish(evaluation_id: int):
    """The finish dialog: what the evaluation still lacks, and the lead's decision."""
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    checks = finish_checks(db, evaluation, g.get("lang", "zh"))
    form = FinishForm()
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                finish_evaluation(db, current_user, evaluation, checks,
                                  confirmed=bool(form.confirm.data), reason=form.reason.data or "")
            except OperationError as error:
                problems, status = problem_lines(error), error.status
            else:
                flash(gettext("The evaluation is finished"))
                return redirect(url_for("fieldwork.evaluation", evaluation_id=evaluation.id))
        else:
            problems = _form_errors(form)
    return render_template("fieldwork/finish.html", evaluation=summary(evaluation, role),
                           checks=checks, form=form, problems=problems,
                           min_reason=MIN_REASON), status


#: The sample size rules as evaluator.sampling.plan writes them into the plan (English, kept in
#: evaluation.yaml and printed by the command line), with their numbers.
_FORMULAS = (
    (re.compile(r"fixed sample size"), lambda v: gettext("fixed sample size")),
    (re.compile(r"Cochran: n0 = z\^2 p\(1-p\) / E\^2 = (?P<n0>[\d.]+) \(z = (?P<z>[\d.]+)\); "
                r"n = n0 / \(1 \+ \(n0 - 1\) / N\) with N = (?P<population>\d+), rounded up"),
     lambda v: gettext("Cochran: n0 = z^2 p(1-p) / E^2 = %(n0)s (z = %(z)s); n = n0 / (1 + "
                       "(n0 - 1) / N) with N = %(population)s, rounded up", **v)),
    (re.compile(r"smallest n for which the verdict's one-sided upper bound with (?P<errors>\d+) "
                r"error\(s\) found is at most (?P<threshold>\S+): exact beta \(Clopper-Pearson\) "
                r"at n / \(1 - n/N\), Korn-Graubard df factor for df = n - (?P<strata>\d+) strata, "
                r"over the frame of N = (?P<population>\d+)"),
     lambda v: gettext("smallest n for which the verdict's one-sided upper bound with "
                       "%(errors)s error(s) found is at most %(threshold)s: exact beta "
                       "(Clopper-Pearson) at n / (1 - n/N), Korn-Graubard df factor for df = n - "
                       "%(strata)s strata, over the frame of N = %(population)s", **v)),
)


def plan_formula(formula: str) -> str:
    """The plan's sample size rule in the page's language (as stored when its shape is not
    one of evaluator.sampling.plan's)."""
    for shape, said in _FORMULAS:
        if match := shape.fullmatch(formula):
            return said(match.groupdict())
    return formula
