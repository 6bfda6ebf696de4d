"""Login throttling with a progressive delay, per (user name, address) and per address.

A wrong password is counted under two keys: the pair ``pair:<address>|<user name>`` and the
address ``ip:<address>``. Each key allows a few failures freely (``FREE``: 3 for a pair, 20 for
an address, because a whole evaluation team often shares one office address); after that each
further failure makes the key wait before the next try: 1 s, 2 s, 4 s ... up to ``MAX_DELAY``.
While a key waits, a sign-in is refused (429, with Retry-After) without looking at the password
and without counting. So guessing one account's password from one machine slows to a crawl,
spraying one password over many accounts from one address too, while nobody elsewhere can
lock a user out by failing on purpose (the old per-user lock let anyone do that to anyone).

A success clears the pair. Counts are forgotten ``WINDOW`` after a key's first failure. An
administrator unlocks with ``evaluator users unlock NAME`` (every address of that user name)
or ``--address`` (that address's own count too). Failures are written in their own short
transaction because the failed request itself is rolled back (it answers 401), and the count
must survive that; rows are kept in the database so every web worker shares them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from evaluator.auth.models import LoginFailure
from evaluator.db import utcnow

FREE = {"pair": 3, "ip": 20}
MAX_DELAY = timedelta(minutes=15)
WINDOW = timedelta(hours=24)


def _name(username: str) -> str:
    return username.strip().lower()[:120]


def keys_for(username: str, address: str | None) -> list[str]:
    address = (address or "unknown")[:60]
    return [f"pair:{address}|{_name(username)}", f"ip:{address}"]


def delay_after(failures: int, kind: str) -> timedelta:
    """How long a key waits after its ``failures``-th failure: nothing for the first FREE,
    then 1 s doubling up to MAX_DELAY."""
    over = failures - FREE[kind]
    if over <= 0:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(over - 1, 20)), MAX_DELAY)


def locked_for(session: Session, keys: list[str], now: datetime | None = None) -> timedelta | None:
    """How long the longest wait on any of ``keys`` still runs, or None when none waits."""
    now = now or utcnow()
    waits = [
        row.locked_until - now
        for key in keys
        if (row := session.get(LoginFailure, key)) is not None
        and row.locked_until is not None
        and row.locked_until > now
        and now - row.window_start <= WINDOW
    ]
    return max(waits) if waits else None


def record_failure(make_session: sessionmaker[Session], keys: list[str],
                   now: datetime | None = None) -> None:
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
            wait = delay_after(row.failures, key.split(":", 1)[0])
            row.locked_until = now + wait if wait else None


def clear(session: Session, username: str, address: str | None) -> None:
    """A successful sign-in from ``address`` clears that pair (not the address's count)."""
    session.execute(delete(LoginFailure).where(
        LoginFailure.key == keys_for(username, address)[0]))


def unlock(session: Session, username: str | None = None, address: str | None = None) -> int:
    """Remove the waits of a user name (every address) and/or of an address (its pairs and
    its own count). Returns how many keys were cleared."""
    name = _name(username) if username else None
    cleared = 0
    for key in list(session.scalars(select(LoginFailure.key))):
        kind, _, rest = key.partition(":")
        pair_address, _, pair_name = rest.partition("|")
        if (kind == "pair" and ((name is not None and pair_name == name and
                                 (address is None or pair_address == address)) or
                                (name is None and pair_address == address))) or \
                (kind == "ip" and address is not None and rest == address):
            session.execute(delete(LoginFailure).where(LoginFailure.key == key))
            cleared += 1
    return cleared
