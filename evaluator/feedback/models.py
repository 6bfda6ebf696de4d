"""Feedback and appeal (反馈, 申诉举证) and rectification tracking (整改跟踪).

Before a report is final, the lead publishes the preliminary findings to the evaluated unit
(``FeedbackRound``: when, until when, and the score they stood at); the unit answers each
finding (``FindingResponse``: accepted, or contested with a reason and evidence files); the lead
adjudicates each contest (upheld: the finding is withdrawn or changed and the score recomputed;
rejected, with a reason). After the report, each finding of the rectification list
(整改清单) moves open -> in progress -> submitted -> verified, with the unit's evidence and the
lead's verification in ``RectificationUpdate``; a finding past its deadline and not verified is
overdue (worked out from the date, not stored). Evidence files are ``Attachment`` rows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evaluator.db import Base, utcnow

ANSWERS = ("accepted", "contested")
OUTCOMES = ("none", "pending", "upheld", "rejected")
CHANGES = ("", "withdrawn", "changed")
RECTIFICATION_STATES = ("open", "in_progress", "submitted", "verified")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class FeedbackRound(Base):
    """The preliminary findings published to the evaluated unit (one round per evaluation)."""

    __tablename__ = "feedback_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), unique=True)
    deadline: Mapped[date] = mapped_column(Date)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    total_before: Mapped[float | None] = mapped_column(default=None)
    grade_before: Mapped[str] = mapped_column(String(40), default="")
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class FindingResponse(Base):
    """The unit's answer to one finding and, for a contest, the lead's decision."""

    __tablename__ = "finding_responses"
    __table_args__ = (
        CheckConstraint(_in("answer", ANSWERS), name="answer_known"),
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome_known"),
        CheckConstraint(_in("change", CHANGES), name="change_known"),
        CheckConstraint("answer <> 'contested' OR reason <> ''", name="contest_reasoned"),
        CheckConstraint("outcome <> 'rejected' OR outcome_reason <> ''", name="rejection_reasoned"),
        CheckConstraint("(answer = 'accepted') = (outcome = 'none')", name="outcome_for_contests"),
        CheckConstraint("(outcome = 'upheld') = (change <> '')", name="upheld_changes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"),
                                            unique=True)
    answer: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    responded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20), default="none")
    outcome_reason: Mapped[str] = mapped_column(Text, default="")
    change: Mapped[str] = mapped_column(String(20), default="")
    #: The finding as it stood before and after the decision (indicator, severity, description).
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)


class RectificationUpdate(Base):
    """One step of a rectification item: who moved it from which state to which, and why."""

    __tablename__ = "rectification_updates"
    __table_args__ = (
        CheckConstraint(_in("from_state", RECTIFICATION_STATES), name="from_known"),
        CheckConstraint(_in("to_state", RECTIFICATION_STATES), name="to_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"),
                                            index=True)
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
