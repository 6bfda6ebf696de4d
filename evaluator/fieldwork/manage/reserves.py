"""Non-response and reserves (无应答与备选户替换): when a drawn household refuses or cannot be
reached, the next reserve of its stratum, in the reserve list's order, takes its place.

The team lead records it on the reserves page, or an evaluator on a household assigned to
them; the reserve is released into the sample and assigned for the same sources (to the same
evaluator unless the lead names another), every step audited. A reserve named out of order is
refused with the reason; the order itself is ``evaluator.sampling.reserves`` (pure), and
scoring checks it again on the bundle (docs/sampling.md, docs/statistics.md). Operations check,
audit and only flush (fieldwork.audit).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from evaluator.fieldwork.audit import OperationError, audit, require_lead
from evaluator.fieldwork.manage.operations import _assign
from evaluator.fieldwork.models import (
    ASSIGNED_SOURCES,
    NONRESPONSE_OUTCOMES,
    Assignment,
    Evaluation,
    Household,
    SampleDraw,
    Submission,
)
from evaluator.fieldwork.permissions import member_role
from evaluator.sampling.reserves import (
    Refusal,
    Reserve,
    next_reserve,
    order_problems,
    refused_choice,
)
from evaluator.web.i18n import label

#: The source whose record is the interview: a household with one was reached.
INTERVIEW_SOURCE = "household"


@dataclass
class Drawn:
    """A drawn household of one stratum with what the reserve rules need to know."""

    draw: SampleDraw
    household: Household
    recorded: bool  # a current interview record

    @property
    def attempted(self) -> bool:
        """Visited or recorded as a non-respondent: it cannot be handed back."""
        return self.recorded or self.draw.outcome is not None

    @property
    def used(self) -> bool:
        """A reserve counts as used once released, recorded or visited (sampling.reserves)."""
        return self.draw.released or self.attempted


@dataclass(frozen=True)
class Replacement:
    """What recording a non-response did: the reserve taken (None: none was left)."""

    household_id: str
    outcome: str
    reserve: str | None
    reserve_order: int | None
    assignee: str | None


def evaluation_draws(db: Session, evaluation_id: int, stratum: str | None = None
                     ) -> dict[str, list[Drawn]]:
    """The drawn households by stratum (of ``stratum`` only, when given), sample then
    reserves, each in draw order."""
    query = (select(SampleDraw, Household)
             .join(Household, Household.id == SampleDraw.household_pk)
             .where(SampleDraw.evaluation_id == evaluation_id))
    if stratum is not None:  # to change: two leads at once must not take the same reserve
        query = query.where(Household.stratum == stratum).with_for_update(of=SampleDraw)
    rows = db.execute(query.order_by(Household.stratum, SampleDraw.role.desc(),
                                     SampleDraw.draw_order)).all()
    interviewed = select(Submission.household_id).where(
        Submission.evaluation_id == evaluation_id, Submission.source == INTERVIEW_SOURCE,
        Submission.current.is_(True))
    if stratum is not None:
        interviewed = interviewed.where(
            Submission.household_id.in_([h.household_id for _, h in rows]))
    recorded = set(db.scalars(interviewed))
    out: dict[str, list[Drawn]] = {}
    for draw, household in rows:
        out.setdefault(household.stratum, []).append(
            Drawn(draw, household, household.household_id in recorded))
    return out


def _reserves(draws: list[Drawn], *, to_take: bool = False) -> list[Reserve]:
    """The stratum's reserves, used as scoring counts them; ``to_take``: used once taken for
    a household (a reserve visited ahead of its turn, assigned in advance, is taken first)."""
    return [Reserve(d.household.household_id, d.draw.draw_order,
                    (d.draw.released or d.draw.outcome is not None) if to_take else d.used)
            for d in draws if d.draw.role == "reserve"]


def _find(db: Session, evaluation: Evaluation, household_id: str) -> tuple[list[Drawn], Drawn]:
    household = db.scalar(select(Household).where(Household.evaluation_id == evaluation.id,
                                                  Household.household_id == household_id))
    if household is None:
        raise OperationError(gettext("household %(household)r is not in the roster",
                                     household=household_id), 404)
    draws = evaluation_draws(db, evaluation.id, household.stratum).get(household.stratum, [])
    found = next((d for d in draws if d.household.id == household.id), None)
    if found is None:
        raise OperationError(gettext("household %(household)s was not drawn for the sample",
                                     household=household_id), 404)
    return draws, found


def _may_record(db: Session, user, evaluation: Evaluation, household: Household) -> str:
    """The user's role, when they may record this household's non-response: the lead, or an
    evaluator it is assigned to."""
    role = member_role(db, user, evaluation.id)
    if role == "lead":
        return role
    if role == "evaluator" and db.scalar(select(Assignment.id).where(
            Assignment.household_pk == household.id, Assignment.user_id == user.id)):
        return role
    raise OperationError(gettext("only the team lead or the evaluator assigned to the household "
                                 "can record that it could not be interviewed"), 403)


def record_nonresponse(db: Session, user, evaluation: Evaluation, household_id: str,
                       outcome: str, *, reserve_id: str = "", assignee=None) -> Replacement:
    """Record that a drawn household refused or was not reached, and take the next reserve of
    its stratum (or ``reserve_id``, when it is the next) into the sample, assigned for the
    household's sources to ``assignee`` — by default whoever had the household."""
    if outcome not in NONRESPONSE_OUTCOMES:
        raise OperationError(gettext("choose refused or not reached"))
    draws, found = _find(db, evaluation, household_id)
    role = _may_record(db, user, evaluation, found.household)
    if role != "lead" and (reserve_id or assignee is not None):
        raise OperationError(gettext("only the team lead chooses the reserve or its evaluator"),
                             403)
    if evaluation.status == "finished":
        raise OperationError(gettext("the evaluation is finished; reopen it first"), 409)
    if found.draw.role == "reserve" and not found.used:
        raise OperationError(gettext("reserve %(household)s is not in the sample yet: reserves "
                                     "are taken in order when a household cannot be interviewed",
                                     household=household_id), 409)
    if found.draw.outcome is not None:
        raise OperationError(gettext("household %(household)s is recorded as %(outcome)s already",
                                     household=household_id,
                                     outcome=label("nonresponse", found.draw.outcome)), 409)
    if outcome == "unreached" and found.recorded:
        raise OperationError(gettext("household %(household)s has an interview record, so it was "
                                     "reached; a refusal is recorded in the questionnaire or "
                                     "here as refused", household=household_id), 409)
    reserves = _reserves(draws, to_take=True)
    chosen: Reserve | None
    if reserve_id:
        why = refused_choice(reserves, reserve_id)
        if why is not None:
            raise OperationError(_order_reason(reserve_id, found.household.stratum, why), 409)
        chosen = next(r for r in reserves if r.household_id == reserve_id)
    else:
        chosen = next_reserve(reserves)
    found.draw.outcome = outcome
    taken = None
    if chosen is not None:
        taken = next(d for d in draws if d.household.household_id == chosen.household_id)
        taken.draw.released = True
        taken.draw.replaces_pk = found.household.id
        assignee = assignee if assignee is not None else _holder(db, found, user)
        if assignee is not None:
            _assign(db, user, evaluation, [taken.household.id], assignee,
                    _sources(db, found), replace=True)
    result = Replacement(household_id, outcome, chosen.household_id if chosen else None,
                         chosen.order if chosen else None,
                         assignee.username if taken is not None and assignee is not None
                         else None)
    audit(db, user, evaluation.id, "sample.nonresponse", "household", household_id, None,
          {"outcome": outcome, "stratum": found.household.stratum, "reserve": result.reserve,
           "reserve_order": result.reserve_order, "assignee": result.assignee})
    db.flush()
    return result


def _order_reason(reserve_id: str, stratum: str, why: Refusal) -> str:
    if why.reason == "not_reserve":
        return gettext("%(household)s is not a reserve of stratum %(stratum)s",
                       household=reserve_id, stratum=stratum)
    if why.reason == "used" or why.first is None:
        return gettext("reserve %(household)s is in the sample already", household=reserve_id)
    return gettext("reserve %(household)s cannot be taken yet: reserves replace households in "
                   "the list's order, and reserve %(order)s (%(first)s) of stratum %(stratum)s "
                   "comes first", household=reserve_id, order=why.first.order,
                   first=why.first.household_id, stratum=stratum)


def _holder(db: Session, found: Drawn, user):
    """Who had the household (its interview first), else the acting user when they collect."""
    from evaluator.auth.models import User

    held = db.scalars(select(Assignment).where(Assignment.household_pk == found.household.id)
                      .order_by(Assignment.source != INTERVIEW_SOURCE, Assignment.id)).first()
    if held is not None:
        return db.get(User, held.user_id)
    return None if user.role == "admin" else user


def _sources(db: Session, found: Drawn) -> list[str]:
    had = set(db.scalars(select(Assignment.source).where(
        Assignment.household_pk == found.household.id)))
    return [s for s in ASSIGNED_SOURCES if s in had] or list(ASSIGNED_SOURCES)


def undo_nonresponse(db: Session, user, evaluation: Evaluation, household_id: str) -> str | None:
    """The lead takes back a recorded non-response (the household was interviewed after all).
    The reserves in use stay the head of their list: the last reserve taken goes back to the
    list when nobody has visited it (the reserve that replaced this household takes over what
    it replaced); otherwise every reserve stays. Returns the household id of the reserve
    handed back, or None."""
    require_lead(db, user, evaluation)
    draws, found = _find(db, evaluation, household_id)
    if found.draw.outcome is None:
        raise OperationError(gettext("household %(household)s has no recorded non-response",
                                     household=household_id), 409)
    if evaluation.status == "finished":
        raise OperationError(gettext("the evaluation is finished; reopen it first"), 409)
    old = found.draw.outcome
    found.draw.outcome = None
    replacing = next((d for d in draws if d.draw.replaces_pk == found.household.id), None)
    released = [d for d in draws if d.draw.role == "reserve" and d.draw.released]
    handed_back = None
    if replacing is not None:
        last = max(released, key=lambda d: d.draw.draw_order)
        if not replacing.attempted and not last.attempted:
            if last is not replacing:  # it replaced another household: keep that replaced
                replacing.draw.replaces_pk = last.draw.replaces_pk
            last.draw.released = False
            last.draw.replaces_pk = None
            db.execute(delete(Assignment).where(Assignment.household_pk == last.household.id,
                                                Assignment.status == "assigned"))
            handed_back = last.household.household_id
        else:  # visited: it stays in the sample, in order, and nothing is lost
            replacing.draw.replaces_pk = None
    audit(db, user, evaluation.id, "sample.nonresponse_undo", "household", household_id,
          {"outcome": old}, {"outcome": None, "reserve_returned": handed_back})
    db.flush()
    return handed_back


def refused_in_record(db: Session, evaluation: Evaluation) -> set[str]:
    """Households whose interview record says they refused — the rubric's ``response`` rule
    for the interview is false (``${consent} = 'yes'``) — so the lead can take their reserve
    (none when the rubric has no such rule or its version is refused)."""
    from evaluator.definitions.expr_ast import ExpressionError
    from evaluator.definitions.expr_eval import evaluate
    from evaluator.definitions.expr_values import to_boolean
    from evaluator.fieldwork.queries import RefusedRubric, context_row, rubric_for

    try:
        rule = rubric_for(db, evaluation).response.get(INTERVIEW_SOURCE)
    except RefusedRubric:
        return set()
    if rule is None:
        return set()
    found = set()
    for household_id, answers, roster in db.execute(
            select(Submission.household_id, Submission.data, Household.data)
            .join(Household, (Household.evaluation_id == Submission.evaluation_id)
                  & (Household.household_id == Submission.household_id))
            .where(Submission.evaluation_id == evaluation.id,
                   Submission.source == INTERVIEW_SOURCE, Submission.current.is_(True))):
        try:
            took_part = to_boolean(evaluate(rule.node, {**context_row(roster), **answers}))
        except (ExpressionError, TypeError, ValueError):
            took_part = False  # as scoring counts it (evaluator.scoring.response)
        if not took_part:
            found.add(household_id)
    return found


def overview(db: Session, evaluation: Evaluation) -> list[dict]:
    """The reserves page as plain values: per stratum, each drawn household's state (sample
    then reserves in list order), who holds it, what replaces what, the next reserve, how many
    are left and any reserve used out of order."""
    from evaluator.auth.models import User

    evaluation_id = evaluation.id
    refusals = refused_in_record(db, evaluation)

    holders = {pk: name or username for pk, name, username in db.execute(
        select(Assignment.household_pk, User.display_name, User.username)
        .join(User, User.id == Assignment.user_id)
        .where(Assignment.evaluation_id == evaluation_id, Assignment.source == INTERVIEW_SOURCE))}
    strata = []
    for stratum, draws in evaluation_draws(db, evaluation_id).items():
        ids = {d.household.id: d.household.household_id for d in draws}
        replaced_by = {d.draw.replaces_pk: d.household.household_id for d in draws
                       if d.draw.replaces_pk is not None}
        reserves = _reserves(draws)
        untaken = _reserves(draws, to_take=True)
        following = next_reserve(untaken)
        rows = []
        for d in draws:
            if d.draw.outcome is not None:
                state = d.draw.outcome
            elif d.recorded:
                state = "refused_record" if d.household.household_id in refusals \
                    else "interviewed"
            elif d.draw.role == "sample" or d.draw.released:
                state = "pending"
            else:
                state = "next" if following and following.household_id == \
                    d.household.household_id else "unused"
            rows.append({"household_id": d.household.household_id, "role": d.draw.role,
                         "order": d.draw.draw_order, "state": state,
                         "replaces": ids.get(d.draw.replaces_pk or 0, ""),
                         "replaced_by": replaced_by.get(d.household.id, ""),
                         "holder": holders.get(d.household.id, ""),
                         "can_mark": state in ("pending", "interviewed", "refused_record"),
                         "can_undo": d.draw.outcome is not None})
        strata.append({"stratum": stratum, "rows": rows,
                       "next": following.household_id if following else "",
                       "left": sum(not r.used for r in untaken),
                       "out_of_order": [p.as_dict() for p in order_problems(stratum, reserves)]})
    return strata
