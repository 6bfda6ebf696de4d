"""Stored rubric versions. A published version is immutable: same key+version, same content hash.

Versions published in the studio also say who published them, from which version, and why
(``change_note``); ``created_at`` is when. The ORM refuses any change of a stored version's
content, hash, key or version (a migration or a script could still try: the content hash
recorded on every score sheet and report would then tell).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from evaluator.db import Base, utcnow


class RubricVersion(Base):
    __tablename__ = "rubric_versions"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        CheckConstraint("status IN ('draft', 'published')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="published")
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("rubric_versions.id"),
                                                    default=None)
    change_note: Mapped[str] = mapped_column(Text, default="", server_default="")


class ImmutableVersionError(ValueError):
    """Someone tried to change a stored version."""


@event.listens_for(RubricVersion, "before_update")
def _refuse_changes(_mapper, _connection, target: RubricVersion) -> None:
    from sqlalchemy import inspect

    state = inspect(target)
    for name in ("key", "version", "content", "content_hash"):
        if state.attrs[name].history.has_changes():
            raise ImmutableVersionError(
                f"rubric {target.key} {target.version} is stored; its {name} never changes")
