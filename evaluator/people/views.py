"""People's pages: administrators' user list and user page, everyone's own password, the
one-time sign-in link, and a lead's search and invitation for their team.

A secret (one-time password, sign-in link) is shown once, on the answer to the POST that made
it, with ``Cache-Control: no-store``; it is never stored or shown again. A user whose password
someone else chose (``must_change_password``) is sent to choose their own before anything else.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required, logout_user
from sqlalchemy import func, or_, select

from evaluator.auth.models import ROLES, User
from evaluator.auth.views import start_session
from evaluator.extensions import db_session, login_manager
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.models import AuditEntry, Evaluation, Membership
from evaluator.fieldwork.permissions import ALLOWED_MEMBER_ROLES
from evaluator.fieldwork.views_common import load_evaluation, summary
from evaluator.people import operations as ops
from evaluator.people.forms import (
    ActiveForm,
    CreateUserForm,
    InviteForm,
    LinkPasswordForm,
    OwnPasswordForm,
    ResetForm,
    RoleForm,
    UnlockForm,
)

bp = Blueprint("people", __name__)

#: Endpoints a user who must choose a password can still reach.
OPEN_WHILE_CHANGING = {"static", "auth.logout", "auth.login", "people.own_password",
                       "people.welcome", "web.home", "ops.healthz", "ops.readyz"}
PAGE = 50


@bp.before_app_request
def password_first():
    """Someone else chose this user's password: they choose their own before anything else."""
    if not current_user.is_authenticated or not getattr(current_user, "must_change_password",
                                                        False):
        return None
    if request.endpoint in OPEN_WHILE_CHANGING or request.endpoint is None:
        return None
    if request.path.startswith("/api/"):
        return jsonify({"message": gettext("Choose your own password first (Account).")}), 403
    return redirect(url_for("people.own_password"))


def _admin() -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if current_user.role != "admin":
        abort(403)


def _user(user_id: int) -> User:
    _admin()
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _events(where: Any, limit: int = 30) -> list[dict[str, Any]]:
    db = db_session()
    rows = db.execute(select(AuditEntry, User.username).outerjoin(
        User, User.id == AuditEntry.user_id).where(where)
        .order_by(AuditEntry.id.desc()).limit(limit)).all()
    return [{"at": e.created_at, "by": by or "", "action": e.action, "object": e.object_id,
             "old": e.old_value, "new": e.new_value, "evaluation_id": e.evaluation_id}
            for e, by in rows]


def _secret_page(user: User, handover: str, secret: str, status: int = 200):
    link = url_for("people.welcome", token=secret, _external=True) if handover == "link" else ""
    response = make_response(render_template(
        "people/secret.html", user={"id": user.id, "username": user.username,
                                    "name": user.display_name, "role": user.role},
        password=secret if handover == "password" else "", link=link,
        hours=ops.LINK_HOURS), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(error: OperationError):
    return render_template("people/problems.html", problems=[error.message]), error.status


# --------------------------------------------------------------------------- administrators


@login_required
def users():
    _admin()
    db = db_session()
    form = CreateUserForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("people/problems.html", problems=[
                f"{k}: {m}" for k, ms in form.errors.items() for m in ms]), 400
        try:
            user, secret = ops.create_user(db, current_user, form.username.data,
                                           form.role.data, form.display_name.data,
                                           form.handover.data)
        except OperationError as error:
            return _refused(error)
        return _secret_page(user, form.handover.data, secret, 201)
    query = request.args.get("q", "").strip()[:80]
    role = request.args.get("role", "")
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < len(page) < 6 else 1
    stmt = select(User)
    if query:
        stmt = stmt.where(or_(func.lower(User.username).contains(query.lower(), autoescape=True),
                              func.lower(User.display_name).contains(query.lower(),
                                                                     autoescape=True)))
    if role in ROLES:
        stmt = stmt.where(User.role == role)
    total = db.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = list(db.scalars(stmt.order_by(User.active.desc(), User.username)
                           .offset((page - 1) * PAGE).limit(PAGE)))
    waits = ops.throttled(db)
    return render_template(
        "people/users.html", form=form, query=query, role=role, page=page, total=total,
        pages=max(1, -(-total // PAGE)), roles=ROLES,
        users=[{"id": u.id, "username": u.username, "name": u.display_name, "role": u.role,
                "active": u.active, "must_change": u.must_change_password,
                "created_at": u.created_at, "waits_until": waits.get(u.username.lower())}
               for u in rows],
        events=_events(AuditEntry.object_type == "user"))


@login_required
def user_page(user_id: int):
    user = _user(user_id)
    db = db_session()
    memberships = db.execute(select(Membership.evaluation_id, Membership.role,
                                    Evaluation.title_zh, Evaluation.title_en)
                             .join(Evaluation, Evaluation.id == Membership.evaluation_id)
                             .where(Membership.user_id == user.id)
                             .order_by(Membership.evaluation_id)).all()
    return render_template(
        "people/user.html",
        user={"id": user.id, "username": user.username, "name": user.display_name,
              "role": user.role, "active": user.active, "must_change": user.must_change_password,
              "created_at": user.created_at,
              "waits_until": ops.throttled(db).get(user.username.lower())},
        memberships=[{"evaluation_id": e, "role": r,
                      "title": title_en if g.get("lang") == "en" and title_en else title_zh}
                     for e, r, title_zh, title_en in memberships],
        allowed=ALLOWED_MEMBER_ROLES, roles=ROLES,
        role_form=RoleForm(role=user.role), active_form=ActiveForm(), reset_form=ResetForm(),
        unlock_form=UnlockForm(),
        events=_events((AuditEntry.object_type == "user") &
                       (AuditEntry.object_id == user.username)))


def _done(user: User, message: str):
    flash(message)
    return redirect(url_for("people.user_page", user_id=user.id), 303)


@login_required
def set_role(user_id: int):
    user = _user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ops.change_role(db_session(), current_user, user, form.role.data)
    except OperationError as error:
        return _refused(error)
    return _done(user, gettext("Role changed."))


@login_required
def set_active(user_id: int):
    user = _user(user_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ops.set_active(db_session(), current_user, user, form.active.data == "1")
    except OperationError as error:
        return _refused(error)
    return _done(user, gettext("Reactivated: they may sign in again.") if user.active else
                 gettext("Deactivated: their sessions have ended; their records stay."))


@login_required
def reset(user_id: int):
    user = _user(user_id)
    form = ResetForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        secret = ops.reset_password(db_session(), current_user, user, form.handover.data)
    except OperationError as error:
        return _refused(error)
    return _secret_page(user, form.handover.data, secret)


@login_required
def unlock(user_id: int):
    user = _user(user_id)
    if not UnlockForm().validate_on_submit():
        abort(400)
    cleared = ops.unlock(db_session(), current_user, user)
    return _done(user, gettext("Sign-in delays lifted: %(n)s.", n=cleared))


# --------------------------------------------------------------------------- everyone


@login_required
def own_password():
    form = OwnPasswordForm()
    problems = []
    if form.validate_on_submit():
        db = db_session()
        user = db.get(User, current_user.id)
        try:
            ops.change_own_password(db, user, form.current.data, form.password.data,
                                    form.confirm.data)
        except OperationError as error:
            problems = [error.message]
        else:
            start_session(user)  # this session goes on; every other one has ended
            flash(gettext("Password changed. Your other sessions have ended."))
            return redirect(url_for("web.home"), 303)
    elif request.method == "POST":
        problems = [f"{k}: {m}" for k, ms in form.errors.items() for m in ms]
    return render_template("people/password.html", form=form, problems=problems,
                           must_change=current_user.must_change_password,
                           minimum=ops.MIN_PASSWORD), 400 if problems else 200


def welcome(token: str):
    """A one-time sign-in link: choose a password, then you are signed in."""
    db = db_session()
    try:
        _, user = ops.link_user(db, token)
    except OperationError as error:
        return render_template("people/problems.html", problems=[error.message]), error.status
    form = LinkPasswordForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            user = ops.set_password_by_link(db, token, form.password.data, form.confirm.data)
        except OperationError as error:
            problems = [error.message]
        else:
            if current_user.is_authenticated:
                logout_user()
            start_session(user)
            return redirect(url_for("web.home"), 303)
    elif request.method == "POST":
        problems = [f"{k}: {m}" for k, ms in form.errors.items() for m in ms]
    response = make_response(render_template(
        "people/welcome.html", form=form, problems=problems, minimum=ops.MIN_PASSWORD,
        user={"username": user.username, "name": user.display_name}), 400 if problems else 200)
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- a lead's team


def team_search(evaluation_id: int):
    evaluation, role = load_evaluation(evaluation_id)
    db = db_session()
    query = request.args.get("q", "").strip()[:80]
    members = set(db.scalars(select(Membership.user_id)
                             .where(Membership.evaluation_id == evaluation.id)))
    found = [{"id": u.id, "username": u.username, "name": u.display_name, "role": u.role,
              "member": u.id in members, "can_be": ALLOWED_MEMBER_ROLES.get(u.role, ())}
             for u in ops.search_users(db, query)]
    return render_template("people/team_search.html", evaluation=summary(evaluation, role),
                           query=query, found=found, invite_form=InviteForm())


def invite(evaluation_id: int):
    evaluation, _ = load_evaluation(evaluation_id)
    form = InviteForm()
    if not form.validate_on_submit():
        return render_template("people/problems.html", problems=[
            f"{k}: {m}" for k, ms in form.errors.items() for m in ms]), 400
    try:
        user, token = ops.invite_evaluator(db_session(), current_user, evaluation,
                                           form.username.data, form.display_name.data)
    except OperationError as error:
        return _refused(error)
    return _secret_page(user, "link", token, 201)


U = "/people/<int:user_id>"
RULES = (
    ("/people", "users", users, ("GET", "POST")),
    (U, "user_page", user_page, ("GET",)),
    (U + "/role", "set_role", set_role, ("POST",)),
    (U + "/active", "set_active", set_active, ("POST",)),
    (U + "/reset", "reset", reset, ("POST",)),
    (U + "/unlock", "unlock", unlock, ("POST",)),
    ("/account/password", "own_password", own_password, ("GET", "POST")),
    ("/welcome/<token>", "welcome", welcome, ("GET", "POST")),
    ("/evaluations/<int:evaluation_id>/members/find", "team_search", team_search, ("GET",)),
    ("/evaluations/<int:evaluation_id>/members/invite", "invite", invite, ("POST",)),
)

for rule, endpoint, view, methods in RULES:
    bp.add_url_rule(rule, endpoint, view, methods=list(methods))
