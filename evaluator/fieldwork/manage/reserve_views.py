"""The reserves pages: the lead's overview of non-response and reserves per stratum, where a
household is recorded as refused or not reached (the next reserve takes its place) or taken
back; and the evaluator's page for a household assigned to them (operations in reserves.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from evaluator.auth.models import User
from evaluator.extensions import db_session
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.manage import reserves as operations
from evaluator.fieldwork.manage.page_forms import NonResponseForm, UndoNonResponseForm
from evaluator.fieldwork.models import Assignment, Evaluation, Household, Membership
from evaluator.fieldwork.views_common import load_evaluation, problem_lines, summary
from evaluator.web.i18n import label


def _done_message(result: operations.Replacement) -> str:
    if result.reserve is None:
        return gettext("%(household)s recorded as %(outcome)s. No reserve is left in its "
                       "stratum: the stratum will have one respondent fewer.",
                       household=result.household_id,
                       outcome=label("nonresponse", result.outcome))
    if result.assignee is None:
        return gettext("%(household)s recorded as %(outcome)s; reserve %(order)s, %(reserve)s, "
                       "takes its place (assign it on the Assign page).",
                       household=result.household_id,
                       outcome=label("nonresponse", result.outcome), order=result.reserve_order,
                       reserve=result.reserve)
    return gettext("%(household)s recorded as %(outcome)s; reserve %(order)s, %(reserve)s, takes "
                   "its place, assigned to %(user)s.", household=result.household_id,
                   outcome=label("nonresponse", result.outcome), order=result.reserve_order,
                   reserve=result.reserve, user=result.assignee)


def _team_choices(evaluation: Evaluation) -> list[SelectChoice]:
    team = db_session().scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.evaluation_id == evaluation.id,
               Membership.role.in_(("lead", "evaluator")), User.role != "admin")
        .order_by(User.username))
    return [SelectChoice(0, gettext("Whoever had the household")),
            *(SelectChoice(u.id, f"{u.display_name or u.username} ({u.username})")
              for u in team)]


def reserves(evaluation_id: int):
    """Non-response and reserves (无应答与备选户替换), per stratum."""
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    form = NonResponseForm()
    form.assignee.choices = _team_choices(evaluation)
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            assignee = db.get(User, form.assignee.data) if form.assignee.data else None
            try:
                result = operations.record_nonresponse(
                    db, current_user, evaluation, form.household_id.data.strip(),
                    form.outcome.data, reserve_id=(form.reserve_id.data or "").strip(),
                    assignee=assignee)
            except OperationError as error:
                problems, status = problem_lines(error), error.status
            else:
                flash(_done_message(result))
                return redirect(url_for("fieldwork.reserves", evaluation_id=evaluation.id))
        else:
            problems = [f"{k}: {', '.join(v)}" for k, v in form.errors.items()]
            status = 400
    return render_template("fieldwork/reserves.html", evaluation=summary(evaluation, role),
                           strata=operations.overview(db, evaluation), form=form,
                           undo_form=UndoNonResponseForm(), problems=problems), status


def reserves_undo(evaluation_id: int):
    """The lead takes back a recorded non-response."""
    evaluation, _ = load_evaluation(evaluation_id)
    form = UndoNonResponseForm()
    if not form.validate_on_submit():
        return render_template("fieldwork/problems.html", problems=[
            f"{k}: {', '.join(v)}" for k, v in form.errors.items()]), 400
    household_id = form.household_id.data.strip()
    try:
        returned = operations.undo_nonresponse(db_session(), current_user, evaluation,
                                               household_id)
    except OperationError as error:
        return render_template("fieldwork/problems.html",
                               problems=problem_lines(error)), error.status
    flash(gettext("The non-response of %(household)s is taken back; reserve %(reserve)s goes "
                  "back to the list.", household=household_id, reserve=returned) if returned
          else gettext("The non-response of %(household)s is taken back; the reserves already "
                       "visited stay in the sample.", household=household_id))
    return redirect(url_for("fieldwork.reserves", evaluation_id=evaluation.id))


def nonresponse(evaluation_id: int, household_id: str):
    """An evaluator (or the lead) records that a household assigned to them could not be
    interviewed; the next reserve of its stratum comes to them."""
    evaluation, role = load_evaluation(evaluation_id, allow=("lead", "evaluator"))
    db = db_session()
    household = db.scalar(select(Household).where(Household.evaluation_id == evaluation.id,
                                                  Household.household_id == household_id))
    if household is None:
        abort(404)
    if role != "lead" and db.scalar(select(Assignment.id).where(
            Assignment.household_pk == household.id,
            Assignment.user_id == current_user.id)) is None:
        abort(403)
    form = NonResponseForm()
    form.household_id.data = household_id
    form.assignee.choices = [SelectChoice(0, "")]
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                result = operations.record_nonresponse(db, current_user, evaluation,
                                                       household_id, form.outcome.data)
            except OperationError as error:
                problems, status = problem_lines(error), error.status
            else:
                flash(_done_message(result))
                return redirect(url_for("fieldwork.assignments"))
        else:
            problems = [f"{k}: {', '.join(v)}" for k, v in form.errors.items()]
            status = 400
    return render_template("fieldwork/nonresponse.html", evaluation=summary(evaluation, role),
                           household_id=household_id, stratum=household.stratum, form=form,
                           problems=problems), status
