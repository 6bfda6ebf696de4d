"""Scale fixtures (规模测试): an evaluator with hundreds of assigned households, as in a real unit
(300–600 sampled households), for the tablet benchmark (bench/tablet.py) and the browser test
of the service worker's prefetching. Synthetic rows copied from one roster row; never used by
the app itself."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evaluator.fieldwork.models import Assignment, Evaluation, Household, SampleDraw


def add_assigned_households(db: Session, evaluation: Evaluation, assignee, count: int, *,
                            source: str = "household", prefix: str = "LD") -> list[str]:
    """Add ``count`` drawn households (copies of the first roster row under new ids) assigned to
    ``assignee`` for ``source``; returns their household ids."""
    template = db.scalar(select(Household).where(Household.evaluation_id == evaluation.id)
                         .order_by(Household.row_number))
    if template is None:
        raise ValueError(f"evaluation {evaluation.key} has no roster to copy rows from")
    row = db.scalar(select(func.max(Household.row_number))
                    .where(Household.evaluation_id == evaluation.id)) or 1
    order = db.scalar(select(func.max(SampleDraw.draw_order))
                      .where(SampleDraw.evaluation_id == evaluation.id)) or 0
    ids = []
    for i in range(count):
        household_id = f"{prefix}{i + 1:05d}"
        data = {**template.data, "household_id": household_id, "head_name": f"模拟户{household_id}"}
        household = Household(evaluation_id=evaluation.id, household_id=household_id,
                              stratum=template.stratum, row_number=row + i + 1, data=data)
        db.add(household)
        db.flush()
        db.add(SampleDraw(evaluation_id=evaluation.id, household_pk=household.id, role="sample",
                          draw_order=order + i + 1))
        db.add(Assignment(household_pk=household.id, evaluation_id=evaluation.id, source=source,
                          user_id=assignee.id))
        ids.append(household_id)
    db.flush()
    return ids
