"""The honest finish: before an evaluation is marked finished (and its report goes to the
viewers), check what it still lacks — sampled households not visited, records not reviewed,
indicators the data cannot decide. With none, the lead finishes it; with any, the finish is
refused unless the lead confirms with a written reason, which the report prints in its summary
and methodology and the viewer's scores page shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from evaluator.fieldwork.audit import OperationError, audit, require_lead
from evaluator.fieldwork.exports.scores import score_evaluation
from evaluator.fieldwork.models import Evaluation, Household, SampleDraw, Submission
from evaluator.web.problems import problems_text

#: Review states that still wait for the lead's decision.
OPEN_STATES = ("received", "hasIssues", "edited")
UNDECIDED_VERDICTS = ("insufficient", "indeterminate")
#: A reason shorter than this is no reason (e.g. "ok").
MIN_REASON = 10


@dataclass
class FinishChecks:
    """What an evaluation still lacks; ``clean`` when nothing."""

    sampled: int = 0
    unvisited: list[str] = field(default_factory=list)  # household codes, sorted
    unreviewed: int = 0
    undecided: list[dict[str, str]] = field(default_factory=list)  # code, name, verdict
    indicators: int = 0
    scoring_problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.unvisited or self.unreviewed or self.undecided or self.scoring_problems)


def finish_checks(db: Session, evaluation: Evaluation, lang: str = "zh") -> FinishChecks:
    checks = FinishChecks()
    visited = exists().where(Submission.evaluation_id == evaluation.id,
                             Submission.current.is_(True), Submission.source == "household",
                             Submission.household_id == Household.household_id)
    sampled = select(Household.household_id).join(
        SampleDraw, SampleDraw.household_pk == Household.id).where(
        SampleDraw.evaluation_id == evaluation.id, SampleDraw.role == "sample")
    checks.sampled = db.scalar(select(func.count()).select_from(sampled.subquery())) or 0
    checks.unvisited = sorted(db.scalars(sampled.where(~visited)))
    checks.unreviewed = db.scalar(select(func.count(Submission.id)).where(
        Submission.evaluation_id == evaluation.id, Submission.current.is_(True),
        Submission.review_state.in_(OPEN_STATES))) or 0
    scored = score_evaluation(db, evaluation)
    if scored.sheet is None:
        checks.scoring_problems = (problems_text(scored.found, lang) if scored.found
                                   else list(scored.problems))
        return checks
    checks.indicators = len(scored.sheet.indicators)
    checks.undecided = [
        {"code": r.code, "name": r.name.get(lang) or r.name.get("zh", ""), "verdict": r.verdict}
        for r in scored.sheet.indicators if r.verdict in UNDECIDED_VERDICTS]
    return checks


def finish_evaluation(db: Session, user, evaluation: Evaluation, checks: FinishChecks, *,
                      confirmed: bool, reason: str) -> None:
    """Mark the evaluation finished: at once when the checks are clean; otherwise only when
    the lead confirms and writes why (``OperationError`` 409 otherwise)."""
    require_lead(db, user, evaluation)
    if evaluation.status == "finished":
        raise OperationError(gettext("the evaluation is already finished"), 409)
    reason = reason.strip()
    if not checks.clean:
        if not confirmed:
            raise OperationError(gettext("the evaluation is not complete; to finish it anyway, "
                                         "confirm and write the reason"), 409)
        if len(reason) < MIN_REASON:
            raise OperationError(gettext("write why the evaluation is finished although it is "
                                         "not complete (at least %(n)s characters)",
                                         n=MIN_REASON), 409)
    else:
        reason = ""
    old = {"status": evaluation.status, "finish_reason": evaluation.finish_reason}
    evaluation.status = "finished"
    evaluation.finish_reason = reason
    audit(db, user, evaluation.id, "evaluation.finish", "evaluation", evaluation.key, old,
          {"status": "finished", "finish_reason": reason, "unvisited": len(checks.unvisited),
           "unreviewed": checks.unreviewed,
           "undecided": [u["code"] for u in checks.undecided],
           "scoring_problems": len(checks.scoring_problems)})
    db.flush()
