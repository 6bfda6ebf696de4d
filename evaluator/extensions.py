"""Flask extensions and the request-scoped database session."""

from __future__ import annotations

from flask import current_app, g
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

login_manager = LoginManager()
csrf = CSRFProtect()


def db_session() -> Session:
    """The session of this request (or CLI app context), created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["evaluator.sessionmaker"]()
    return g.db_session
