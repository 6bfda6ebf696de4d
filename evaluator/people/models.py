"""One-time sign-in links: how a new colleague gets in without a password sent around.

The link's token is shown once, to whoever created it; only its sha256 is stored, so a copy of
the database signs nobody in. A link works once, until ``expires_at``, and only while its user
is active; it leads to the page where the user chooses their password.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from evaluator.db import Base, utcnow

LINK_PURPOSES = ("welcome", "reset")


class SignInLink(Base):
    __tablename__ = "sign_in_links"
    __table_args__ = (
        CheckConstraint("purpose IN ('welcome', 'reset')", name="purpose_known"),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
