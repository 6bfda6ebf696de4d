"""Login throttling: a key (user name or client address) that fails too often waits.

After ``MAX_FAILURES`` failures within ``WINDOW`` a user name is locked for ``LOCKOUT``; an
address gets ``MAX_FAILURES_PER_ADDRESS`` because a whole evaluation team often shares one
office address. A success clears the user's key. Failures are written in their own short transaction because the failed
request itself is rolled back (it answers 401), and the count must survive that.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from evaluator.auth.models import LoginFailure
from evaluator.db import utcnow

MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 20
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


def keys_for(username: str, address: str | None) -> list[str]:
    keys = [f"user:{username.strip().lower()[:150]}"]
    if address:
        keys.append(f"ip:{address}")
    return keys


def locked_for(session: Session, keys: list[str], now: datetime | None = None) -> timedelta | None:
    """How long the longest lock on any of ``keys`` still runs, or None when none is locked."""
    now = now or utcnow()
    waits = [
        row.locked_until - now
        for key in keys
        if (row := session.get(LoginFailure, key)) is not None
        and row.locked_until is not None
        and row.locked_until > now
    ]
    return max(waits) if waits else None


def record_failure(make_session: sessionmaker[Session], keys: list[str], now: datetime | None = None) -> None:
    now = now or utcnow()
    with make_session() as session, session.begin():
        for key in keys:
            row = session.get(LoginFailure, key, with_for_update=True)
            if row is None:
                row = LoginFailure(key=key, failures=0, window_start=now)
                session.add(row)
            if now - row.window_start > WINDOW:
                row.failures, row.window_start, row.locked_until = 0, now, None
            row.failures += 1
            limit = MAX_FAILURES_PER_ADDRESS if key.startswith("ip:") else MAX_FAILURES
            if row.failures >= limit:
                row.locked_until = now + LOCKOUT


def clear(session: Session, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.key == keys_for(username, None)[0]))
