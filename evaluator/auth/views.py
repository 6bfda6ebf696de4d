"""Sign in and out. Failed sign-ins say nothing about which half was wrong."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from sqlalchemy import select

from evaluator.auth import throttle
from evaluator.auth.forms import LoginForm
from evaluator.auth.models import User
from evaluator.extensions import db_session
from evaluator.web.i18n import translate

bp = Blueprint("auth", __name__, url_prefix="/auth")


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
    if form.validate_on_submit():
        username = form.username.data.strip()
        keys = throttle.keys_for(username, request.remote_addr)
        db = db_session()
        wait = throttle.locked_for(db, keys)
        if wait is not None:
            minutes = max(1, round(wait.total_seconds() / 60))
            error = translate("too_many_logins", g.lang).format(minutes=minutes)
            status = 429
        else:
            user = db.scalar(select(User).where(User.username == username))
            if user is not None and user.active and user.check_password(form.password.data):
                throttle.clear(db, username)
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            throttle.record_failure(current_app.extensions["evaluator.sessionmaker"], keys)
            error = translate("bad_login", g.lang)
            status = 401
    return render_template("login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("web.home"))
