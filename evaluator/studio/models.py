"""Rubric drafts: what an author is editing, saved as they type, until it is published.

A draft is not a rubric version: nothing can be scored or started with it but a what-if. It
names the stored version it came from (``base_version_id``; none for a blank start or an
import), the survey versions its fields are checked against, and a ``lock_version`` that every
save must name (the page's ETag): two authors saving the same draft from two pages get a
conflict for the second save, never a silent overwrite. Publishing freezes the content into a
new ``RubricVersion`` and the draft into ``status='published'``: it can be read, exported and
started from, never changed again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from evaluator.db import Base, utcnow

DRAFT_STATUSES = ("editing", "published")
DRAFT_ORIGINS = ("shipped", "version", "blank", "import")


class RubricDraft(Base):
    __tablename__ = "rubric_drafts"
    __table_args__ = (
        CheckConstraint("status IN ('editing', 'published')", name="status_known"),
        CheckConstraint("origin IN ('shipped', 'version', 'blank', 'import')",
                        name="origin_known"),
        CheckConstraint("lock_version >= 1", name="lock_version_positive"),
        CheckConstraint("status = 'editing' OR published_version_id IS NOT NULL",
                        name="published_has_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), default="")
    title_zh: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: survey id -> stored survey version id the draft's fields are checked against.
    survey_version_ids: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    origin: Mapped[str] = mapped_column(String(20))
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("rubric_versions.id"),
                                                        default=None)
    status: Mapped[str] = mapped_column(String(20), default="editing")
    published_version_id: Mapped[int | None] = mapped_column(ForeignKey("rubric_versions.id"),
                                                             default=None)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"version_id_col": lock_version}
