"""What an evaluation's report adds from the database, beyond its bundle (plain values for
the report parts): the feedback round (evaluator.reports.appeals: what was published, every
answer and decision, the score before) and the look-back at the same unit's previous
evaluation (evaluator.reports.lookback)."""

from __future__ import annotations

import json
import math
import unicodedata
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evaluator.feedback.models import FindingResponse
from evaluator.feedback.operations import feedback_round
from evaluator.fieldwork.models import Evaluation, Finding
from evaluator.reports.appeals import AppealRow, Appeals
from evaluator.reports.lookback import LookBackInputs, RectificationItem


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


def lookback_for(db: Session, evaluation: Evaluation, scored: Any, today: date
                 ) -> LookBackInputs | None:
    """The comparison with the previous evaluation the lead named (None without one, or when
    either cannot be scored): both scored with their designs, changes tested by the pure core."""
    from evaluator.feedback.operations import is_overdue
    from evaluator.fieldwork.exports.scores import score_evaluation
    from evaluator.scoring.lookback import look_back
    from evaluator.scoring.pooled import score_with_designs

    if evaluation.previous_id is None or scored.sheet is None or scored.bundle is None:
        return None
    previous = db.get(Evaluation, evaluation.previous_id)
    if previous is None:
        return None
    before = score_evaluation(db, previous)
    if before.sheet is None or before.bundle is None:
        return None
    comparison = look_back(score_with_designs(scored.rubric, scored.bundle),
                           score_with_designs(before.rubric, before.bundle), previous.key)
    items = tuple(RectificationItem(f.indicator, f.description, f.deadline.isoformat(),
                                    f.rectification, is_overdue(f, today))
                  for f in db.scalars(select(Finding).where(
                      Finding.evaluation_id == previous.id, Finding.status == "active")
                      .order_by(Finding.id)))
    return LookBackInputs(f"{previous.key} · {previous.title_zh}",
                          json.loads(json.dumps(comparison.to_dict(), default=str)), items)


def appendix_bundle_files(db: Session, evaluation: Evaluation, today: date) -> dict[str, bytes]:
    """The report appendices' files for the evaluation's bundle.zip (appeals.yaml once the
    findings were published, lookback.yaml once a previous evaluation is named: what the web
    report adds), so ``evaluator report`` of the bundle gives the web's report."""
    from evaluator.fieldwork.exports.scores import score_evaluation
    from evaluator.reports.appendix_files import appendix_files

    lookback = None
    if evaluation.previous_id is not None:
        lookback = lookback_for(db, evaluation, score_evaluation(db, evaluation), today)
    return appendix_files(appeals_for(db, evaluation), lookback)


#: Columns of the rectification status table (整改情况一览), per cent of the line: number,
#: indicator, problem, responsible unit, person, deadline, state, latest step.
STATUS_WIDTHS = (5, 6, 31, 11, 7, 9, 12, 19)
#: Its line on A4 landscape (297 mm less 12 mm margins), a 9 pt line 1.45 high, the rows'
#: padding, and the lines a page holds under the repeated headings.
_LINE_MM, _CHAR_MM, _PADDING_MM, _PAGE_LINES = 273.0, 3.175, 3.0, 34


def tall_row(cells: list[str], widths: tuple[int, ...] = STATUS_WIDTHS) -> bool:
    """Whether a row of the status table may take more than half a page: such a row may split
    across pages (the others are kept whole). WeasyPrint 70 splits a row taller than a page
    even when told not to, and then leaves the repeated headings out of the pages it fills, so
    a row that may be that tall is allowed to split from the start. Estimated from its text:
    a wide (CJK) character is one em, any other about half of one."""
    most = 0
    for cell, width in zip(cells, widths, strict=True):
        room = max(_LINE_MM * width / 100 - _PADDING_MM, _CHAR_MM)
        lines = 0
        for paragraph in str(cell).splitlines() or [""]:
            ems = sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55 for c in paragraph)
            lines += max(1, math.ceil(ems * _CHAR_MM / room))
        most = max(most, lines)
    return most > _PAGE_LINES // 2
