"""The lead's review of what the team collected: review states and call-back checks (回访复核).
Each takes the acting user, checks, audits and only flushes (fieldwork.audit)."""

from __future__ import annotations

import random

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluator.fieldwork.audit import OperationError, audit, require_lead
from evaluator.fieldwork.models import (
    RECHECK_OUTCOMES,
    Evaluation,
    Recheck,
    ReviewEvent,
    Submission,
)
from evaluator.web.i18n import label

#: Review decisions a lead can make; ``edited`` is set when a record is replaced by an edit.
REVIEW_DECISIONS = ("received", "hasIssues", "approved", "rejected")


# -- review ------------------------------------------------------------------------------------

#: What a bulk action may set (one comment for all): approve, or mark as having issues.
BULK_DECISIONS = ("approved", "hasIssues")


def review_submission(db: Session, user, submission: Submission, to_state: str,
                      comment: str) -> ReviewEvent:
    evaluation = db.get_one(Evaluation, submission.evaluation_id)
    require_lead(db, user, evaluation)
    comment = _checked_decision(to_state, comment, REVIEW_DECISIONS)
    if not submission.current:
        raise OperationError(gettext("this record was replaced by an edit; review the latest "
                                     "version"), 409)
    event = _review(db, user, evaluation, submission, to_state, comment)
    db.flush()
    return event


def review_many(db: Session, user, evaluation: Evaluation, submissions: list[Submission],
                to_state: str, comment: str) -> int:
    """One decision with one comment for many records (the lead's bulk approval): a review
    event and an audit entry per record, as if each had been reviewed alone. Records already
    in ``to_state`` are left as they are; returns how many changed."""
    require_lead(db, user, evaluation)
    comment = _checked_decision(to_state, comment, BULK_DECISIONS)
    changed = 0
    for submission in submissions:
        if submission.evaluation_id != evaluation.id or not submission.current:
            raise OperationError(gettext("this record was replaced by an edit; review the "
                                         "latest version"), 409)
        if submission.review_state == to_state:
            continue
        _review(db, user, evaluation, submission, to_state, comment)
        changed += 1
    db.flush()
    return changed


def _checked_decision(to_state: str, comment: str, allowed: tuple[str, ...]) -> str:
    if to_state not in allowed:
        raise OperationError(gettext("choose a review state among %(states)s",
                                     states=", ".join(label("state", s) for s in allowed)))
    comment = comment.strip()
    if to_state in ("hasIssues", "rejected") and not comment:
        raise OperationError(gettext("say what the issue is: a comment is required for "
                                     "“%(state)s”", state=label("state", to_state)), 400)
    return comment


def _review(db: Session, user, evaluation: Evaluation, submission: Submission, to_state: str,
            comment: str) -> ReviewEvent:
    event = ReviewEvent(submission_id=submission.id, user_id=user.id,
                        from_state=submission.review_state, to_state=to_state, comment=comment)
    db.add(event)
    audit(db, user, evaluation.id, "submission.review", "submission", submission.instance_id,
          submission.review_state, {"state": to_state, "comment": comment})
    submission.review_state = to_state
    return event


# -- call-backs (回访复核) ---------------------------------------------------------------------

def draw_recheck(db: Session, user, evaluation: Evaluation, *, size: int,
                 seed: int) -> list[Submission]:
    """A seeded random call-back sample (回访复核) among current household records not yet drawn.

    ``random.Random(seed)`` over instance ids in sorted order: anyone can repeat the draw."""
    require_lead(db, user, evaluation)
    if size < 1:
        raise OperationError(gettext("draw at least one record"))
    drawn = set(db.scalars(select(Recheck.submission_id)
                           .where(Recheck.evaluation_id == evaluation.id)))
    pool = [s for s in db.scalars(select(Submission).where(
        Submission.evaluation_id == evaluation.id, Submission.source == "household",
        Submission.current.is_(True), Submission.review_state != "rejected")
        .order_by(Submission.instance_id)) if s.id not in drawn]
    if not pool:
        raise OperationError(gettext("no submitted household records left to draw for a "
                                     "call-back"), 409)
    chosen = random.Random(seed).sample(pool, min(size, len(pool)))
    for submission in chosen:
        db.add(Recheck(evaluation_id=evaluation.id, submission_id=submission.id, seed=seed,
                       drawn_by_id=user.id))
    audit(db, user, evaluation.id, "recheck.draw", "evaluation", evaluation.key, None,
          {"seed": seed, "size": len(chosen), "pool": len(pool),
           "records": [s.instance_id for s in chosen]})
    db.flush()
    return chosen


def set_recheck_outcome(db: Session, user, recheck: Recheck, outcome: str, note: str) -> None:
    evaluation = db.get(Evaluation, recheck.evaluation_id)
    require_lead(db, user, evaluation)
    if outcome not in RECHECK_OUTCOMES:
        raise OperationError(gettext("choose an outcome among %(outcomes)s",
                                     outcomes=", ".join(RECHECK_OUTCOMES)))
    if outcome == "differs" and not note.strip():
        raise OperationError(gettext("say what differed at the call-back"))
    audit(db, user, evaluation.id, "recheck.outcome", "recheck", recheck.id,
          {"outcome": recheck.outcome, "note": recheck.note},
          {"outcome": outcome, "note": note.strip()})
    recheck.outcome = outcome
    recheck.note = note.strip()
    db.flush()
