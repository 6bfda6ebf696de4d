"""Accounts: created, stopped and restarted, given roles, passwords reset, sign-in delays lifted,
colleagues invited. The rules are the command line's (``evaluator users ...`` calls the same
functions); each operation takes the acting user (None on the command line), refuses with
``OperationError``, writes an audit entry and only flushes.

Secrets are shown once and never stored: a one-time password is returned to the caller (the
user must choose their own at first sign-in); a sign-in link's token too, with only its
sha256 kept (``SignInLink``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from evaluator.auth import throttle
from evaluator.auth.models import ROLES, LoginFailure, User
from evaluator.db import utcnow
from evaluator.fieldwork.audit import OperationError, audit, require_lead
from evaluator.fieldwork.manage.operations import add_member
from evaluator.fieldwork.models import Evaluation, Membership
from evaluator.fieldwork.permissions import ALLOWED_MEMBER_ROLES
from evaluator.people.models import SignInLink

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{1,79}")
MIN_PASSWORD = 10
MAX_PASSWORD = 200
LINK_HOURS = 72
#: How an account gets its first (or a new) password.
HANDOVERS = ("password", "link")


def _audit_user(db: Session, actor: Any, action: str, user: User, old: Any = None,
                new: Any = None, evaluation_id: int | None = None) -> None:
    audit(db, actor, evaluation_id, action, "user", user.username, old, new)


def require_admin(actor: Any) -> None:
    if actor is not None and getattr(actor, "role", None) != "admin":
        raise OperationError("only an administrator can do this", 403)


def find_user(db: Session, username: str) -> User:
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise OperationError(f"no user {username!r}", 404)
    return user


# --------------------------------------------------------------------------- secrets


def one_time_password() -> str:
    """12 characters from a 55-letter alphabet without look-alikes (0/O, 1/l/I): ~69 bits."""
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_link(db: Session, actor: Any, user: User, purpose: str) -> str:
    """A new one-time sign-in link token for ``user``; earlier unused links of theirs are
    spent (marked used now), so only the newest works."""
    now = utcnow()
    for old in db.scalars(select(SignInLink).where(SignInLink.user_id == user.id,
                                                   SignInLink.used_at.is_(None))):
        old.used_at = now
    token = secrets.token_urlsafe(32)
    db.add(SignInLink(user_id=user.id, token_sha256=_digest(token), purpose=purpose,
                      created_by_id=getattr(actor, "id", None), created_at=now,
                      expires_at=now + timedelta(hours=LINK_HOURS)))
    db.flush()
    return token


def link_user(db: Session, token: str, now: datetime | None = None) -> tuple[SignInLink, User]:
    """The link and its user, if the token is a link that still works."""
    now = now or utcnow()
    if not token or len(token) > 100:
        raise OperationError("this sign-in link is not valid", 404)
    link = db.scalar(select(SignInLink).where(SignInLink.token_sha256 == _digest(token)))
    if link is None:
        raise OperationError("this sign-in link is not valid", 404)
    user = db.get(User, link.user_id)
    if link.used_at is not None or link.expires_at <= now or user is None or not user.active:
        raise OperationError("this sign-in link was used already or has expired; ask your "
                             "administrator for a new one", 410)
    return link, user


def _handover(db: Session, actor: Any, user: User, handover: str, purpose: str) -> str:
    if handover == "password":
        secret = one_time_password()
        user.set_password(secret)
        user.must_change_password = True
        return secret
    if handover == "link":
        # Nobody knows this password: the link is the only way in until the user sets one.
        user.set_password(secrets.token_urlsafe(32))
        user.must_change_password = True
        db.flush()
        return issue_link(db, actor, user, purpose)
    raise OperationError(f"handover: choose one of {', '.join(HANDOVERS)}", 400)


# --------------------------------------------------------------------------- accounts


def create_user(db: Session, actor: Any, username: str, role: str, display_name: str = "",
                handover: str = "password") -> tuple[User, str]:
    """A new account and its secret (a one-time password or a sign-in link token)."""
    require_admin(actor)
    return _create(db, actor, username, role, display_name, handover, "user.create")


def _create(db: Session, actor: Any, username: str, role: str, display_name: str,
            handover: str, action: str, evaluation_id: int | None = None) -> tuple[User, str]:
    username = (username or "").strip()
    display_name = (display_name or "").strip()
    if not USERNAME.fullmatch(username):
        raise OperationError("username: 2 to 80 letters, digits or . _ @ -, starting with a "
                             "letter or digit", 400)
    if role not in ROLES:
        raise OperationError(f"role: one of {', '.join(ROLES)}", 400)
    if len(display_name) > 120:
        raise OperationError("display_name: at most 120 characters", 400)
    if handover not in HANDOVERS:
        raise OperationError(f"handover: choose one of {', '.join(HANDOVERS)}", 400)
    taken = db.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    if taken is not None:
        raise OperationError(f"username: {username!r} is taken", 409)
    user = User(username=username, role=role, display_name=display_name, password_hash="")
    db.add(user)
    db.flush()
    secret = _handover(db, actor, user, handover, "welcome")
    _audit_user(db, actor, action, user, None,
                {"role": role, "name": display_name, "handover": handover}, evaluation_id)
    return user, secret


def set_active(db: Session, actor: Any, user: User, active: bool) -> None:
    """Deactivate (every session of theirs ends now; their records stay) or reactivate."""
    require_admin(actor)
    if active == user.active:
        return
    if not active:
        if actor is not None and actor.id == user.id:
            raise OperationError("you cannot deactivate yourself", 409)
        _keep_an_admin(db, user)
        user.deactivate()
    else:
        user.active = True
    db.flush()
    _audit_user(db, actor, "user.activate" if active else "user.deactivate", user,
                {"active": not active}, {"active": active})


def _keep_an_admin(db: Session, user: User) -> None:
    if user.role != "admin" or not user.active:
        return
    others = db.scalar(select(func.count(User.id)).where(User.role == "admin", User.active,
                                                         User.id != user.id))
    if not others:
        raise OperationError(f"{user.username} is the last active administrator; make "
                             "someone else administrator first", 409)


def reset_password(db: Session, actor: Any, user: User, handover: str = "password") -> str:
    """A new one-time password or a reset link; the user's sessions end now."""
    require_admin(actor)
    if not user.active:
        raise OperationError(f"{user.username} is deactivated; reactivate them first", 409)
    secret = _handover(db, actor, user, handover, "reset")
    _audit_user(db, actor, "user.password_reset", user, None, {"handover": handover})
    return secret


def role_misfits(db: Session, user: User, role: str) -> list[str]:
    """The evaluation roles ``user`` holds that a ``role`` cannot hold (the rule the command
    line and the admin page share)."""
    held = set(db.scalars(select(Membership.role).where(Membership.user_id == user.id)))
    return sorted(held - set(ALLOWED_MEMBER_ROLES.get(role, ())))


def change_role(db: Session, actor: Any, user: User, role: str) -> str:
    """Give ``user`` another role; refused while it contradicts their place in an evaluation.
    Returns the old role."""
    require_admin(actor)
    if role not in ROLES:
        raise OperationError(f"role: one of {', '.join(ROLES)}", 400)
    if role == user.role:
        return role
    misfit = role_misfits(db, user, role)
    if misfit:
        raise OperationError(
            f"{user.username} is {', '.join(misfit)} in an evaluation, which a {role} cannot "
            "be; change those memberships first", 409)
    if role != "admin":
        _keep_an_admin(db, user)
    old, user.role = user.role, role
    db.flush()
    _audit_user(db, actor, "user.role", user, {"role": old}, {"role": role})
    return old


def throttled(db: Session, now: datetime | None = None) -> dict[str, datetime]:
    """user name (lower case) -> until when a sign-in delay holds for it from some address."""
    now = now or utcnow()
    found: dict[str, datetime] = {}
    for key, until in db.execute(select(LoginFailure.key, LoginFailure.locked_until).where(
            LoginFailure.key.like("pair:%"), LoginFailure.locked_until > now)):
        name = key.partition("|")[2]
        if until is not None and (name not in found or until > found[name]):
            found[name] = until
    return found


def unlock(db: Session, actor: Any, user: User) -> int:
    """Lift every sign-in delay of the user's name (from every address)."""
    require_admin(actor)
    cleared = throttle.unlock(db, user.username)
    _audit_user(db, actor, "user.unlock", user, None, {"cleared": cleared})
    return cleared


# --------------------------------------------------------------------------- passwords


def password_problem(user: User, password: str, confirm: str) -> str | None:
    if password != confirm:
        return "confirm: the two passwords differ"
    if len(password) < MIN_PASSWORD:
        return f"password: at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"password: at most {MAX_PASSWORD} characters"
    if password.strip().lower() in (user.username.lower(), (user.display_name or "").lower()):
        return "password: not your user name or your name"
    return None


def change_own_password(db: Session, user: User, current: str, password: str,
                        confirm: str) -> None:
    """The signed-in user's new password (every other session of theirs ends)."""
    if not user.check_password(current or ""):
        raise OperationError("current: this is not your current password", 400)
    if password == current:
        raise OperationError("password: choose a password other than the current one", 400)
    problem = password_problem(user, password or "", confirm or "")
    if problem:
        raise OperationError(problem, 400)
    user.set_password(password)
    user.must_change_password = False
    db.flush()
    _audit_user(db, user, "user.password_change", user)


def set_password_by_link(db: Session, token: str, password: str, confirm: str) -> User:
    """The password chosen through a one-time link; the link is used up."""
    link, user = link_user(db, token)
    problem = password_problem(user, password or "", confirm or "")
    if problem:
        raise OperationError(problem, 400)
    user.set_password(password)
    user.must_change_password = False
    link.used_at = utcnow()
    db.flush()
    _audit_user(db, user, "user.password_change", user, None, {"by": link.purpose + " link"})
    return user


# --------------------------------------------------------------------------- teams


def search_users(db: Session, query: str, limit: int = 20) -> list[User]:
    """Active users whose user name or name contains ``query`` (case-insensitive)."""
    query = (query or "").strip()[:80]
    if not query:
        return []
    needle = query.lower()
    return list(db.scalars(select(User).where(
        User.active, or_(func.lower(User.username).contains(needle, autoescape=True),
                         func.lower(User.display_name).contains(needle, autoescape=True)))
        .order_by(User.username).limit(limit)))


def invite_evaluator(db: Session, lead: Any, evaluation: Evaluation, username: str,
                     display_name: str) -> tuple[User, str]:
    """A new evaluator account with a sign-in link, on the lead's team. The account's creation
    is in the audit trail administrators read (``user.invite``, no evaluation), the membership
    in the evaluation's."""
    require_lead(db, lead, evaluation)
    user, token = _create(db, lead, username, "evaluator", display_name, "link", "user.invite")
    add_member(db, lead, evaluation, user, "evaluator")
    return user, token
