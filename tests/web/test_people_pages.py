"""People's pages: administrators create, stop, restart, reset, re-role and unlock accounts; a
secret is shown once; a user someone else gave a password chooses their own first; a lead finds
colleagues and invites an evaluator; everyone changes their own password; CSRF on every form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from evaluator.app import create_app
from evaluator.auth import throttle
from evaluator.auth.models import User
from evaluator.catalogs import translations
from evaluator.fieldwork.models import AuditEntry, Membership


def login(app, username, password):
    client = app.test_client()
    response = client.post("/auth/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.text
    return client


def secret_of(page: str) -> str:
    found = re.search(r'<p class="secret" data-secret>([^<]+)</p>', page)
    assert found, page
    return found.group(1).strip()


def user_id(app, username):
    with app.extensions["evaluator.sessionmaker"]() as db:
        return db.scalar(select(User.id).where(User.username == username))


@pytest.fixture
def admin(app, field):
    return login(app, "f-admin", field.password)


def test_a_one_time_password_is_shown_once_and_must_be_changed(app, admin):
    created = admin.post("/people", data={"username": "li.na", "display_name": "李娜",
                                          "role": "evaluator", "handover": "password"})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    secret = secret_of(created.text)
    assert secret not in admin.get("/people").text
    newcomer = login(app, "li.na", secret)
    assert newcomer.get("/evaluations").headers["Location"].endswith("/account/password")
    assert newcomer.get("/api/v1/assignments").status_code == 403
    changed = newcomer.post("/account/password", data={
        "current": secret, "password": "my-own-password", "confirm": "my-own-password"})
    assert changed.status_code == 303
    assert newcomer.get("/evaluations").status_code == 200  # this session goes on


def test_a_sign_in_link_lets_them_choose_a_password_once(app, admin):
    created = admin.post("/people", data={"username": "zhou", "role": "lead",
                                          "handover": "link"})
    link = secret_of(created.text)
    path = link.split("localhost", 1)[1]
    visitor = app.test_client()
    assert visitor.get(path).status_code == 200
    short = visitor.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400 and "at least 10 characters" in short.text
    done = visitor.post(path, data={"password": "zhou-password", "confirm": "zhou-password"})
    assert done.status_code == 303 and visitor.get("/evaluations").status_code == 200
    assert app.test_client().get(path).status_code == 410
    login(app, "zhou", "zhou-password")


def test_deactivation_ends_their_sessions_and_keeps_their_records(app, admin, field):
    evaluator = login(app, "f-evaluator", field.password)
    assert evaluator.get("/assignments").status_code == 200
    uid = user_id(app, "f-evaluator")
    assert admin.post(f"/people/{uid}/active", data={"active": "0"}).status_code == 303
    assert evaluator.get("/assignments").status_code == 302  # signed out on the server
    assert app.test_client().post("/auth/login", data={
        "username": "f-evaluator", "password": field.password}).status_code == 401
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.scalar(select(Membership).where(Membership.user_id == uid)) is not None
    assert admin.post(f"/people/{uid}/active", data={"active": "1"}).status_code == 303
    login(app, "f-evaluator", field.password)
    page = admin.get(f"/people/{uid}").text
    assert "user.deactivate" in page and "user.activate" in page


def test_reset_ends_sessions_and_hands_over_a_new_secret(app, admin, field):
    viewer = login(app, "f-viewer", field.password)
    uid = user_id(app, "f-viewer")
    reset = admin.post(f"/people/{uid}/reset", data={"handover": "password"})
    assert reset.status_code == 200
    assert viewer.get("/evaluations").status_code == 302
    again = login(app, "f-viewer", secret_of(reset.text))
    assert again.get("/evaluations").headers["Location"].endswith("/account/password")


def test_role_changes_follow_the_rule_and_name_it(app, admin, field):
    uid = user_id(app, "f-lead")
    refused = admin.post(f"/people/{uid}/role", data={"role": "viewer"})
    assert refused.status_code == 409 and "lead in an evaluation" in refused.text
    viewer = user_id(app, "f-viewer")
    assert admin.post(f"/people/{viewer}/role", data={"role": "author"}).status_code == 303
    bad = admin.post(f"/people/{viewer}/role", data={"role": "king"})
    assert bad.status_code == 400


def test_the_author_roles_name_is_the_studios_pill():
    """Chinese pages call the author 指标体系编辑, as the pill to their studio says."""
    zh = translations("zh")
    assert zh.gettext("Rubric author") == zh.gettext("Rubric studio") == "指标体系编辑"


def test_the_role_hint_names_each_evaluation_by_its_title(app, admin, field):
    uid = user_id(app, "f-lead")
    hint = re.search(r'<p class="hint">(.*?)</p>', admin.get(f"/people/{uid}").text, re.S)
    text = re.sub(r"<[^>]+>", "", hint.group(1))
    assert "测试评估: 评估组长" in text and "评估 1" not in text
    admin.get("/?lang=en")
    hint = re.search(r'<p class="hint">(.*?)</p>', admin.get(f"/people/{uid}").text, re.S)
    assert "Test evaluation: " in re.sub(r"<[^>]+>", "", hint.group(1))


def test_unlock_from_the_user_page(app, admin, field):
    keys = throttle.keys_for("f-lead", "127.0.0.1")
    for _ in range(5):
        throttle.record_failure(app.extensions["evaluator.sessionmaker"], keys)
    assert "sign-in delayed until" in admin.get("/people?q=f-lead&lang=en").text
    uid = user_id(app, "f-lead")
    assert admin.post(f"/people/{uid}/unlock").status_code == 303
    assert "sign-in delayed until" not in admin.get("/people?q=f-lead&lang=en").text
    login(app, "f-lead", field.password)


def test_bad_input_is_refused_with_the_field_named(app, admin):
    taken = admin.post("/people", data={"username": "f-lead", "role": "lead",
                                        "handover": "link"})
    assert taken.status_code == 409 and "username" in taken.text
    blank = admin.post("/people", data={"username": "", "role": "lead", "handover": "link"})
    assert blank.status_code == 400 and "username" in blank.text
    role = admin.post("/people", data={"username": "x1", "role": "god", "handover": "link"})
    assert role.status_code == 400 and "role" in role.text


def test_only_administrators_see_people(app, field):
    lead = login(app, "f-lead", field.password)
    assert lead.get("/people").status_code == 403
    assert lead.post("/people", data={"username": "x2", "role": "lead"}).status_code == 403


def test_own_password_ends_the_other_sessions(app, field):
    tablet = login(app, "f-evaluator", field.password)
    desk = login(app, "f-evaluator", field.password)
    wrong = desk.post("/account/password", data={"current": "nope", "password": "a-new-one-12",
                                                 "confirm": "a-new-one-12"})
    assert wrong.status_code == 400 and "current" in wrong.text
    done = desk.post("/account/password", data={"current": field.password,
                                                "password": "a-new-one-12",
                                                "confirm": "a-new-one-12"})
    assert done.status_code == 303
    assert desk.get("/assignments").status_code == 200
    assert tablet.get("/assignments").status_code == 302


def test_a_lead_finds_colleagues_and_invites_an_evaluator(app, admin, field):
    lead = login(app, "f-lead", field.password)
    base = f"/evaluations/{field.evaluation_id}/members"
    found = lead.get(base + "/find?q=author").text
    assert 'data-user="f-author"' in found and 'value="viewer"' in found
    added = lead.post(base, data={"username": "f-author", "role": "viewer"})
    assert added.status_code == 302
    invited = lead.post(base + "/invite", data={"username": "new.eva", "display_name": "新调查员"})
    assert invited.status_code == 201 and "/welcome/" in invited.text
    with app.extensions["evaluator.sessionmaker"]() as db:
        user = db.scalar(select(User).where(User.username == "new.eva"))
        assert user.role == "evaluator"
        assert db.scalar(select(Membership.role).where(Membership.user_id == user.id)) == \
            "evaluator"
        assert db.scalar(select(AuditEntry).where(AuditEntry.action == "user.invite")) \
            .evaluation_id is None
    events = admin.get("/people").text
    assert re.search(r'class="event-invite" data-action="user.invite">.*?new\.eva', events, re.S)
    evaluator = login(app, "f-evaluator", field.password)
    assert evaluator.post(base + "/invite", data={"username": "x3"}).status_code == 403


@pytest.fixture
def csrf_app(tmp_path, server_database):
    url = server_database or f"sqlite:///{tmp_path / 'csrf.sqlite3'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "WTF_CSRF_ENABLED": True})
    if not server_database:
        from evaluator.migrate import upgrade

        upgrade(app.extensions["evaluator.engine"])
    yield app
    if server_database:
        from sqlalchemy import text

        from evaluator.db import Base

        with app.extensions["evaluator.engine"].begin() as conn:
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    app.extensions["evaluator.engine"].dispose()


def test_every_new_form_needs_its_csrf_token(csrf_app):
    """With CSRF on (as in production), every POST of the studio, survey and people pages
    without the token is refused before anything is done."""
    posts = [r for r in csrf_app.url_map.iter_rules()
             if r.endpoint.split(".")[0] in ("studio", "surveys", "people")
             and "POST" in r.methods]
    assert len(posts) >= 16
    client = csrf_app.test_client()
    bad_request = translations("zh").gettext("Bad request")  # the check runs before the language
    for rule in posts:
        url = csrf_app.url_map.bind("localhost").build(
            rule.endpoint, {name: 1 if name != "token" else "t" for name in rule.arguments})
        response = client.post(url, data={"username": "x"})
        # anonymous: without the CSRF check the views would answer 302 (sign in) or 404
        assert response.status_code == 400 and bad_request in response.text, (
            url, response.status_code)
