"""Programmes (评估项目总体): many evaluation units under one rubric version and period.

A programme is the province's (or the nation's) evaluation: ~120 units, each one evaluation
(evaluator.fieldwork.models.Evaluation, with ``programme_id``) with its own roster, team,
sample and fieldwork. The programme keeps what its units share (rubric version, period,
commissioning body, how samples are drawn) and, once scored, the pooled result and ranking.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evaluator.db import Base, utcnow


class Programme(Base):
    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint("key <> ''", name="key_present"),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    commissioning_body: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id"))
    stratum_column: Mapped[str] = mapped_column(String(80), default="township")
    #: How each unit's sample is drawn: {"seed", "size" | "margin" | "threshold", ...}
    sample_rule: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    synthetic: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvaluationScore(Base):
    """An evaluation's latest score sheet and designs, kept for the programme's pages (a
    dashboard of 120 units cannot score them all on every visit). ``data_hash`` says which
    data the sheet was scored from; ``problems`` why it could not be scored, if so; ``quality``
    the team's quality flags at that time (the dashboard's flags per team)."""

    __tablename__ = "evaluation_scores"

    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True)
    data_hash: Mapped[str] = mapped_column(String(80), default="")  # "sha256:" + 64 hex
    total: Mapped[float | None] = mapped_column(default=None)
    grade: Mapped[str] = mapped_column(String(40), default="")
    sheet: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    designs: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Quality flags of the unit's current records by flag (evaluator.fieldwork.review.quality):
    #: {"short": 3, "no_gps": 1, ...}, counted when the unit is scored.
    quality: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)
