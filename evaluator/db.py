"""The declarative base and the per-request session.

One engine per app, one session per request: views and operations ``flush``; the request
commits once at the end (``after_request``) or rolls back on error (``teardown``), as indico does.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 5,
                busy_timeout: float = 30) -> Engine:
    """One engine per process. PostgreSQL: a pool of ``pool_size`` connections (+
    ``max_overflow`` at peaks) per process, checked before use (a restarted server or a
    dropped connection costs a retry, not an error page). SQLite: WAL (readers never wait for
    the writer), foreign keys on, and a writer waits up to ``busy_timeout`` seconds for
    another's lock instead of failing with "database is locked"."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_timeout})
        event.listen(engine, "connect",
                     lambda connection, _record: _sqlite_pragmas(connection, busy_timeout))
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size,
                         max_overflow=max_overflow, pool_recycle=3600)


def _sqlite_pragmas(dbapi_connection, busy_timeout: float) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
