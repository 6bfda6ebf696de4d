"""The feedback round of an evaluation as its report's appendix needs it (plain values for
evaluator.reports.appeals): what was published, every answer and decision, the score before."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evaluator.feedback.models import FindingResponse
from evaluator.feedback.operations import feedback_round
from evaluator.fieldwork.models import Evaluation, Finding
from evaluator.reports.appeals import AppealRow, Appeals


def appeals_for(db: Session, evaluation: Evaluation) -> Appeals | None:
    """None when the findings were never published to the unit (no appendix then)."""
    published = feedback_round(db, evaluation.id)
    if published is None:
        return None
    findings = {f.id: f for f in db.scalars(select(Finding).where(
        Finding.evaluation_id == evaluation.id))}
    rows = []
    for r in db.scalars(select(FindingResponse).where(
            FindingResponse.evaluation_id == evaluation.id).order_by(FindingResponse.finding_id)):
        finding = findings.get(r.finding_id)
        as_published = r.before or ({"indicator": finding.indicator,
                                     "description": finding.description} if finding else {})
        rows.append(AppealRow(str(as_published.get("indicator", "")),
                              str(as_published.get("description", "")), r.answer, r.reason,
                              r.outcome, r.change, r.outcome_reason))
    count = db.scalar(select(func.count(Finding.id)).where(
        Finding.evaluation_id == evaluation.id, Finding.created_at <= published.published_at)) or 0
    return Appeals(published=f"{published.published_at:%Y-%m-%d}",
                   deadline=published.deadline.isoformat(), published_findings=count,
                   total_before=published.total_before, grade_before=published.grade_before,
                   rows=tuple(rows))
