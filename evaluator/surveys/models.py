"""Stored survey (questionnaire) versions, keyed like rubrics: key + version + content hash.

A version published in the browser (evaluator/surveys_web) also says who published it and why
(``change_note``); ``created_at`` is when. Versions loaded by ``evaluator load-definitions``
have neither. As with rubric versions, the ORM refuses any change of a stored version's content,
hash, key or version: records and score sheets name the hash they were collected under.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from evaluator.db import Base, utcnow


class SurveyVersion(Base):
    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    change_note: Mapped[str] = mapped_column(Text, default="", server_default="")


class ImmutableSurveyError(ValueError):
    """Someone tried to change a stored survey version."""


@event.listens_for(SurveyVersion, "before_update")
def _refuse_changes(_mapper, _connection, target: SurveyVersion) -> None:
    from sqlalchemy import inspect

    state = inspect(target)
    for name in ("key", "version", "content", "content_hash"):
        if state.attrs[name].history.has_changes():
            raise ImmutableSurveyError(
                f"survey {target.key} {target.version} is stored; its {name} never changes")
