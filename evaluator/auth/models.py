"""User accounts. Passwords are argon2 hashes; roles are a closed set checked by the database.

Sessions are signed cookies, revoked on the server by ``session_version``: a session carries the
version it was signed in under, and bumping the version (sign-out, a new password, deactivation)
ends every session of that user on every device, including copies of the cookie.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CheckConstraint, String, false
from sqlalchemy.orm import Mapped, mapped_column

from evaluator.db import Base, utcnow

ROLES = ("admin", "author", "lead", "evaluator", "viewer", "unit")
_hasher = PasswordHasher()
_dummy_hash: str | None = None


def _dummy() -> str:
    """A real argon2 hash of a random password, made once per process: verifying against it
    costs what verifying a user's password costs."""
    global _dummy_hash
    if _dummy_hash is None:
        import secrets

        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def verify_password(user: User | None, password: str) -> bool:
    """True when ``user`` exists, is active and ``password`` is theirs. Exactly one argon2
    verification in every case (an unknown or inactive user is checked against a dummy hash),
    so the answer's timing does not tell which user names exist (OWASP ASVS 2.2)."""
    stored = user.password_hash if user is not None and user.active else None
    try:
        return _hasher.verify(stored or _dummy(), password) and stored is not None
    except InvalidHashError:  # a damaged stored hash: spend the same time, then refuse
        _spend(password)
        return False
    except VerificationError:
        return False


def _spend(password: str) -> None:
    with contextlib.suppress(VerificationError):
        _hasher.verify(_dummy(), password)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'author', 'lead', 'evaluator', 'viewer', 'unit')",
                        name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    #: Set when someone else chose the password (an administrator's one-time password):
    #: the user must choose their own before doing anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    # Flask-Login's protocol, spelled out rather than inherited from UserMixin.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def set_password(self, password: str) -> None:
        """A new password ends every session signed in under the old one."""
        if self.password_hash:
            self.revoke_sessions()
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        return verify_password(self, password)

    def revoke_sessions(self) -> None:
        """End every session of this user (sign-out, new password, deactivation)."""
        self.session_version = (self.session_version or 1) + 1

    def deactivate(self) -> None:
        self.active = False
        self.revoke_sessions()


class LoginFailure(Base):
    """Recent failed sign-ins per key (``user:<name>`` or ``ip:<address>``), for throttling.

    Kept in the database rather than in process memory so that several web workers share it.
    """

    __tablename__ = "login_failures"
    __table_args__ = (CheckConstraint("failures >= 0", name="failures_not_negative"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
