"""Flask extensions and the request-scoped database session."""

from __future__ import annotations

from flask import current_app, g
from flask_compress import Compress
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

login_manager = LoginManager()
csrf = CSRFProtect()
#: JSON answers compressed (gzip, brotli or zstd, as the client accepts): the tablet's list of
#: kept forms is ~200 bytes a task, 120 KB for 600 tasks, ~10x smaller compressed. HTML pages are
#: not compressed here: they carry the CSRF token and echo search words, the BREACH pattern
#: (a proxy in front that compresses HTML takes that on knowingly; README, Deploying).
compress = Compress()
COMPRESS_SETTINGS = {"COMPRESS_MIMETYPES": ["application/json"]}


def db_session() -> Session:
    """The session of this request (or CLI app context), created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["evaluator.sessionmaker"]()
    return g.db_session
