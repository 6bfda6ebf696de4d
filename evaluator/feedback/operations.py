"""Feedback, appeal and rectification: what the lead and the evaluated unit do, each step
checked, audited and only flushed (the request commits once; evaluator.fieldwork.audit).

Who does what:

* the lead publishes the preliminary findings with a deadline (``publish``), the score they
  stand at recorded as "before";
* the unit (role ``unit`` in this evaluation, and nowhere else) answers each active finding
  once, by the deadline: accepted, or contested with a reason and evidence photos
  (``respond``; the same checks as every photo: evaluator.fieldwork.attachments);
* the lead decides each contest (``adjudicate``): upheld, and the finding is withdrawn (it
  no longer counts: the bundle and so the score leave it out) or changed (severity,
  description); or rejected, with a reason;
* after the report, each finding's rectification (整改) moves through ``RECTIFICATION_STATES``
  (``rectify``): the unit starts it and submits evidence, the lead verifies it or sends it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluator.db import utcnow
from evaluator.feedback.models import FeedbackRound, FindingResponse, RectificationUpdate
from evaluator.fieldwork.attachments import Photo, new_token, photo_problem, sniff, write_photo
from evaluator.fieldwork.audit import OperationError, audit, require_lead
from evaluator.fieldwork.models import SEVERITIES, Attachment, Evaluation, Finding
from evaluator.fieldwork.permissions import member_role
from evaluator.storage import Storage

#: Who may move a rectification item from one state to another.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "in_progress"): "unit",
    ("open", "submitted"): "unit",
    ("in_progress", "submitted"): "unit",
    ("submitted", "verified"): "lead",
    ("submitted", "in_progress"): "lead",  # sent back: the evidence does not show it done
}


def feedback_round(db: Session, evaluation_id: int) -> FeedbackRound | None:
    return db.scalar(select(FeedbackRound).where(FeedbackRound.evaluation_id == evaluation_id))


def require_unit(db: Session, user, evaluation: Evaluation) -> None:
    if member_role(db, user, evaluation.id) != "unit":
        raise OperationError("only the evaluated unit (被评估单位) of this evaluation can do this",
                             403)


def publish(db: Session, user, evaluation: Evaluation, *, deadline: date, today: date,
            total: float | None, grade: str) -> FeedbackRound:
    """Publish the active findings to the evaluated unit, to be answered by ``deadline``."""
    require_lead(db, user, evaluation)
    if feedback_round(db, evaluation.id) is not None:
        raise OperationError("the findings have been published already", 409)
    if deadline < today:
        raise OperationError(f"the deadline {deadline} is in the past")
    if evaluation.status == "finished":
        raise OperationError("the evaluation is finished; reopen it to publish findings", 409)
    found = db.scalar(select(Finding.id).where(Finding.evaluation_id == evaluation.id,
                                               Finding.status == "active").limit(1))
    if found is None:
        raise OperationError("there are no findings to publish", 409)
    published = FeedbackRound(evaluation_id=evaluation.id, deadline=deadline,
                              published_by_id=user.id, total_before=total, grade_before=grade)
    db.add(published)
    audit(db, user, evaluation.id, "feedback.publish", "evaluation", evaluation.key, None,
          {"deadline": deadline.isoformat(), "total": total, "grade": grade})
    db.flush()
    return published


def respond(db: Session, user, evaluation: Evaluation, finding: Finding, *, answer: str,
            reason: str, photos: Sequence[Photo], storage: Storage, today: date
            ) -> FindingResponse:
    """The unit's answer to one finding: accepted, or contested with a reason (and photos)."""
    require_unit(db, user, evaluation)
    published = feedback_round(db, evaluation.id)
    if published is None:
        raise OperationError("the findings have not been published to the unit yet", 409)
    if today > published.deadline:
        raise OperationError(f"the deadline for answers was {published.deadline}", 409)
    _own(evaluation, finding)
    if finding.status != "active":
        raise OperationError("this finding has been withdrawn", 409)
    if db.scalar(select(FindingResponse.id).where(FindingResponse.finding_id == finding.id)):
        raise OperationError("this finding has been answered already", 409)
    problems = []
    if answer not in ("accepted", "contested"):
        problems.append("answer must be accepted or contested")
    if answer == "contested" and not reason.strip():
        problems.append("reason: a contest needs a written reason (申诉理由)")
    if answer == "accepted" and photos:
        problems.append("evidence files go with a contest, not an acceptance")
    problems += [m for m in (photo_problem(p.filename, p.data, p.content_type) for p in photos) if m]
    if problems:
        raise OperationError("; ".join(problems), 400, problems)
    response = FindingResponse(
        evaluation_id=evaluation.id, finding_id=finding.id, answer=answer,
        reason=reason.strip(), responded_by_id=user.id,
        outcome="pending" if answer == "contested" else "none")
    db.add(response)
    db.flush()
    _attach(db, storage, user, evaluation, photos, response_id=response.id)
    audit(db, user, evaluation.id, f"appeal.{answer}", "finding", finding.id, None,
          {"reason": reason.strip(), "photos": len(photos)})
    db.flush()
    return response


def adjudicate(db: Session, user, evaluation: Evaluation, response: FindingResponse, *,
               outcome: str, reason: str, change: str = "", severity: str | None = None,
               description: str | None = None) -> FindingResponse:
    """The lead's decision on a contest: ``upheld`` (``change`` withdrawn, or changed to a new
    severity and/or description) or ``rejected`` (with a reason)."""
    require_lead(db, user, evaluation)
    if response.evaluation_id != evaluation.id:
        raise OperationError("no such appeal in this evaluation", 404)
    if response.outcome != "pending":
        raise OperationError("this appeal has been decided already" if response.outcome != "none"
                             else "an accepted finding has no appeal to decide", 409)
    finding = db.get(Finding, response.finding_id)
    if finding is None:
        raise OperationError("the finding of this appeal no longer exists", 404)
    before = _snapshot(finding)
    problems = []
    if outcome not in ("upheld", "rejected"):
        problems.append("outcome must be upheld or rejected")
    if outcome == "rejected" and not reason.strip():
        problems.append("reason: a rejection needs a written reason")
    if outcome == "upheld" and change not in ("withdrawn", "changed"):
        problems.append("an upheld appeal withdraws or changes the finding")
    if outcome == "upheld" and change == "changed":
        if severity is not None and severity not in SEVERITIES:
            problems.append(f"severity must be one of {', '.join(SEVERITIES)}")
        new = (severity or finding.severity, (description or finding.description).strip())
        if new == (finding.severity, finding.description):
            problems.append("a changed finding needs a new severity or description")
    if problems:
        raise OperationError("; ".join(problems), 400, problems)
    if outcome == "upheld":
        if change == "withdrawn":
            finding.status = "withdrawn"
        else:
            finding.severity = severity or finding.severity
            finding.description = (description or finding.description).strip()
    response.outcome = outcome
    response.outcome_reason = reason.strip()
    response.change = change if outcome == "upheld" else ""
    response.before = before
    response.after = _snapshot(finding)
    response.decided_by_id = user.id
    response.decided_at = utcnow()
    audit(db, user, evaluation.id, f"appeal.{outcome}", "finding", finding.id, before,
          {**response.after, "reason": response.outcome_reason})
    db.flush()
    return response


def rectify(db: Session, user, evaluation: Evaluation, finding: Finding, *, to_state: str,
            note: str, photos: Sequence[Photo], storage: Storage) -> RectificationUpdate:
    """Move one rectification item (整改事项) to ``to_state`` (see TRANSITIONS)."""
    role = member_role(db, user, evaluation.id)
    _own(evaluation, finding)
    if finding.status != "active":
        raise OperationError("this finding has been withdrawn; there is nothing to rectify", 409)
    step = (finding.rectification, to_state)
    allowed = TRANSITIONS.get(step)
    if allowed is None:
        raise OperationError(f"a rectification item cannot go from {step[0]} to {step[1]}", 409)
    if role != allowed:
        raise OperationError(f"only the {'evaluated unit' if allowed == 'unit' else 'team lead'} "
                             f"moves an item from {step[0]} to {step[1]}", 403)
    problems = [m for m in (photo_problem(p.filename, p.data, p.content_type) for p in photos) if m]
    if to_state == "submitted" and not (note.strip() or photos):
        problems.append("note: say what was done, or attach evidence (整改佐证)")
    if step == ("submitted", "in_progress") and not note.strip():
        problems.append("note: say why the evidence is not enough")
    if problems:
        raise OperationError("; ".join(problems), 400, problems)
    update = RectificationUpdate(evaluation_id=evaluation.id, finding_id=finding.id,
                                 from_state=step[0], to_state=to_state, note=note.strip(),
                                 user_id=user.id)
    db.add(update)
    db.flush()
    _attach(db, storage, user, evaluation, photos, update_id=update.id)
    finding.rectification = to_state
    audit(db, user, evaluation.id, "rectification." + to_state, "finding", finding.id, step[0],
          {"state": to_state, "note": note.strip(), "photos": len(photos)})
    db.flush()
    return update


def is_overdue(finding: Any, today: date) -> bool:
    """Past its deadline (完成时限) and not verified: the item is overdue (逾期)."""
    return (finding.status == "active" and finding.rectification != "verified"
            and finding.deadline < today)


def _own(evaluation: Evaluation, finding: Finding) -> None:
    if finding is None or finding.evaluation_id != evaluation.id:
        raise OperationError("no such finding in this evaluation", 404)


def _snapshot(finding: Finding) -> dict[str, Any]:
    return {"indicator": finding.indicator, "severity": finding.severity,
            "description": finding.description, "status": finding.status}


def _attach(db: Session, storage: Storage, user, evaluation: Evaluation, photos: Sequence[Photo],
            **owner: int) -> None:
    for photo in photos:
        token = new_token()
        kept_type = sniff(photo.data) or ""  # checked before: one of the photo types
        write_photo(db, storage, evaluation.id, token, photo, kept_type)
        db.add(Attachment(token=token, evaluation_id=evaluation.id, field="evidence",
                          filename=photo.filename[:200], content_type=kept_type,
                          size_bytes=len(photo.data), sha256=photo.sha256,
                          uploaded_by_id=user.id, **owner))


def set_previous(db: Session, user, evaluation: Evaluation, previous: Evaluation | None) -> None:
    """Name the same unit's previous evaluation (回头看), or none. The lead of this evaluation
    must also lead the previous one (it shows its figures and rectification list)."""
    require_lead(db, user, evaluation)
    if previous is not None:
        if previous.id == evaluation.id:
            raise OperationError("an evaluation cannot look back at itself")
        if member_role(db, user, previous.id) != "lead":
            raise OperationError("no such evaluation among those you lead", 404)
        if previous.evaluated_unit.strip() != evaluation.evaluated_unit.strip():
            raise OperationError(f"{previous.key} evaluated {previous.evaluated_unit!r}, not "
                                 f"{evaluation.evaluated_unit!r}: look back at the same unit")
        if previous.previous_id == evaluation.id:
            raise OperationError(f"{previous.key} already looks back at this evaluation")
    old = evaluation.previous_id
    new = previous.id if previous is not None else None
    if old == new:
        return
    evaluation.previous_id = new
    audit(db, user, evaluation.id, "evaluation.previous", "evaluation", evaluation.key, old,
          previous.key if previous is not None else None)
    db.flush()
