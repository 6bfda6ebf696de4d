"""Quality flags for the team lead (质量控制): records worth a second look before approval.

- ``short``: the interview took less than the evaluation's minimum minutes;
- ``no_gps``: a household record with neither device GPS nor a location answer;
- ``aid_mismatch``: the aid amount the household reports differs from the system export by
  more than the evaluation's relative tolerance (资金核对);
- ``household_mismatch``: the household code answered differs from the household visited.

(There is no "duplicate household" flag: a household has one current record per source, which
the database holds to — ix_submissions_current_record — so a second one is always an edit.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from evaluator.auth.models import User
from evaluator.fieldwork.models import Evaluation, Submission, SystemRecord

FLAGS = ("short", "no_gps", "aid_mismatch", "household_mismatch")


def _number(value: Any) -> float | None:
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


def aid_differs(reported: float, recorded: float, tolerance: float) -> bool:
    """Beyond ``tolerance`` relative to the larger amount (0 and 0 agree)."""
    larger = max(abs(reported), abs(recorded))
    return larger > 0 and abs(reported - recorded) > tolerance * larger


def flags_for(evaluation: Evaluation, submission: Submission, system: dict[str, dict]
              ) -> list[dict[str, str]]:
    flags: list[dict[str, str]] = []
    data = submission.data
    if submission.started_at and submission.ended_at:
        minutes = (submission.ended_at - submission.started_at).total_seconds() / 60
        if minutes < evaluation.min_interview_minutes:
            flags.append({"code": "short", "detail": f"{minutes:.1f} < "
                          f"{evaluation.min_interview_minutes} min"})
    if submission.source == "household":
        if submission.gps_lat is None and not str(data.get("location", "")).strip():
            flags.append({"code": "no_gps", "detail": ""})
        row = system.get(submission.household_id or "")
        if row is not None and data.get("consent") != "no":
            reported = _number(data.get("aid_amount_total")) if data.get("aid_received") == "yes" \
                else 0.0
            recorded = _number(row.get("aid_total"))
            if reported is not None and recorded is not None and aid_differs(
                    reported, recorded, evaluation.aid_tolerance):
                flags.append({"code": "aid_mismatch",
                              "detail": f"{reported:g} / {recorded:g}"})
    answered = data.get("household_id")
    if submission.household_id and answered and answered != submission.household_id:
        flags.append({"code": "household_mismatch", "detail": str(answered)})
    return flags


def invalidate_flags(db: Session, evaluation_id: int, source: str | None = None,
                     household_id: str | None = None) -> None:
    """Mark stored flags stale (all of an evaluation's, or one household's records of one
    source); ``ensure_flags`` computes them again when a page needs them."""
    query = update(Submission).where(Submission.evaluation_id == evaluation_id)
    if household_id is not None:
        query = query.where(Submission.source == source, Submission.household_id == household_id)
    db.execute(query.values(flags=None).execution_options(synchronize_session=False))


def ensure_flags(db: Session, evaluation: Evaluation) -> int:
    """Compute the stored flags (``Submission.flags``, " code code ") of the current records
    whose flags are stale; returns how many were computed. After a new record only its
    household's records are stale, after a settings change or a system upload all of them."""
    where = (Submission.evaluation_id == evaluation.id, Submission.current.is_(True),
             Submission.flags.is_(None))
    if not db.scalar(select(func.count()).select_from(Submission).where(*where)):
        return 0  # the usual case, answered from the list index alone
    stale = list(db.scalars(select(Submission).where(*where)))
    system = {r.household_id: r.data for r in db.scalars(
        select(SystemRecord).where(SystemRecord.evaluation_id == evaluation.id))}
    for s in stale:
        codes = [f["code"] for f in flags_for(evaluation, s, system)]
        s.flags = f" {' '.join(codes)} " if codes else " "
    db.flush()
    return len(stale)


def quality_rows(db: Session, evaluation: Evaluation) -> list[dict[str, Any]]:
    """Every current record with its flags (flagged ones first), as plain values."""
    submissions = list(db.scalars(select(Submission).where(
        Submission.evaluation_id == evaluation.id, Submission.current.is_(True))
        .order_by(Submission.received_at)))
    system = {r.household_id: r.data for r in db.scalars(
        select(SystemRecord).where(SystemRecord.evaluation_id == evaluation.id))}
    users = {u.id: u.username for u in db.scalars(select(User).where(
        User.id.in_({s.submitter_id for s in submissions})))} if submissions else {}
    rows = []
    for s in submissions:
        flags = flags_for(evaluation, s, system)
        minutes = None
        if s.started_at and s.ended_at:
            minutes = round((s.ended_at - s.started_at).total_seconds() / 60, 1)
        rows.append({"instance_id": s.instance_id, "source": s.source,
                     "household_id": s.household_id or "", "submitter": users.get(s.submitter_id),
                     "state": s.review_state, "minutes": minutes, "flags": flags})
    rows.sort(key=lambda r: (not r["flags"], r["source"], r["household_id"]))
    return rows
