"""Sign in and out. Failed sign-ins say nothing about which half was wrong, in words or in
time (one argon2 verification whether or not the user exists); signing out ends every session
of the user on the server (``User.session_version``), not just this cookie."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from evaluator.auth import throttle
from evaluator.auth.forms import LoginForm
from evaluator.auth.models import User, verify_password
from evaluator.extensions import db_session

bp = Blueprint("auth", __name__, url_prefix="/auth")

#: The session key holding the user's session version at sign-in (checked by the app's
#: user loader on every request).
SESSION_VERSION_KEY = "sv"


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: a ``next=`` must never leave the site."""
    if not target:
        return url_for("web.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("web.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    status = 200
    headers = {}
    if form.validate_on_submit():
        username = form.username.data.strip()
        keys = throttle.keys_for(username, request.remote_addr)
        db = db_session()
        wait = throttle.locked_for(db, keys)
        if wait is not None:
            seconds = max(1, round(wait.total_seconds()))
            error = gettext("Too many failed sign-ins: try again in %(seconds)s s",
                            seconds=seconds)
            status = 429
            headers["Retry-After"] = str(seconds)
        else:
            user = db.scalar(select(User).where(User.username == username))
            if verify_password(user, form.password.data):
                throttle.clear(db, username, request.remote_addr)
                start_session(user)
                return redirect(_safe_next(request.args.get("next")))
            throttle.record_failure(current_app.extensions["evaluator.sessionmaker"], keys)
            error = gettext("Wrong username or password")
            status = 401
    return render_template("login.html", form=form, error=error), status, headers


def start_session(user: User) -> None:
    """A fresh session (nothing kept from before sign-in but the language) bound to the
    user's current session version, expiring after SESSION_LIFETIME."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session.permanent = True
    session[SESSION_VERSION_KEY] = user.session_version
    login_user(user)


@bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere: the user's session version moves on, so this cookie and any copy of
    it (another tablet, a stolen cookie) no longer signs anyone in."""
    user = db_session().get(User, current_user.id)
    if user is not None:
        user.revoke_sessions()
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("web.home"))
