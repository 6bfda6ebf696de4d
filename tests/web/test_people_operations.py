"""Account operations: the rules the admin pages and `evaluator users` share, each audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from evaluator.auth import throttle
from evaluator.auth.models import LoginFailure, User
from evaluator.cli import main
from evaluator.db import utcnow
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.models import AuditEntry, Evaluation, Membership
from evaluator.people import operations as ops
from evaluator.people.models import SignInLink


@pytest.fixture
def db(app, field):
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as session:
        yield session
        session.rollback()


def person(db, name):
    return db.scalar(select(User).where(User.username == name))


def actions(db):
    return [(e.action, e.object_id) for e in db.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "user").order_by(AuditEntry.id))]


def test_create_with_a_one_time_password_that_must_be_changed(db):
    admin = person(db, "f-admin")
    user, secret = ops.create_user(db, admin, "wang.li", "evaluator", "王丽")
    assert len(secret) == 12 and user.check_password(secret) and user.must_change_password
    assert ("user.create", "wang.li") in actions(db)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.create"))
    assert secret not in str(entry.new_value) and entry.user_id == admin.id


@pytest.mark.parametrize("username, role, message", [
    ("", "evaluator", "username"),
    ("a b", "evaluator", "username"),
    ("x" * 81, "evaluator", "username"),
    ("F-ADMIN", "evaluator", "taken"),
    ("newbie", "superuser", "role"),
])
def test_bad_account_input_is_refused_with_the_field_named(db, username, role, message):
    with pytest.raises(OperationError) as refused:
        ops.create_user(db, person(db, "f-admin"), username, role)
    assert message in refused.value.message and refused.value.status in (400, 409)


def test_only_administrators_manage_accounts(db):
    with pytest.raises(OperationError) as refused:
        ops.create_user(db, person(db, "f-lead"), "someone", "evaluator")
    assert refused.value.status == 403


def test_a_sign_in_link_works_once_and_only_its_hash_is_stored(db):
    admin = person(db, "f-admin")
    user, token = ops.create_user(db, admin, "zhao", "lead", handover="link")
    stored = db.scalar(select(SignInLink).where(SignInLink.user_id == user.id))
    assert token not in stored.token_sha256 and len(stored.token_sha256) == 64
    with pytest.raises(OperationError) as short:
        ops.set_password_by_link(db, token, "short", "short")
    assert "password" in short.value.message
    ops.set_password_by_link(db, token, "a-long-password", "a-long-password")
    assert user.check_password("a-long-password") and not user.must_change_password
    with pytest.raises(OperationError) as used:
        ops.link_user(db, token)
    assert used.value.status == 410


def test_an_expired_or_replaced_link_does_not_work(db):
    admin = person(db, "f-admin")
    user, first = ops.create_user(db, admin, "qian", "evaluator", handover="link")
    second = ops.reset_password(db, admin, user, "link")
    with pytest.raises(OperationError):
        ops.link_user(db, first)
    assert ops.link_user(db, second)[1] is user
    with pytest.raises(OperationError):
        ops.link_user(db, second, now=utcnow() + timedelta(hours=ops.LINK_HOURS, seconds=1))


def test_deactivation_ends_sessions_and_keeps_records(db, field):
    admin, evaluator = person(db, "f-admin"), person(db, "f-evaluator")
    version = evaluator.session_version
    ops.set_active(db, admin, evaluator, False)
    assert not evaluator.active and evaluator.session_version == version + 1
    assert db.scalar(select(Membership).where(Membership.user_id == evaluator.id)) is not None
    ops.set_active(db, admin, evaluator, True)
    assert evaluator.active
    assert [a for a, _ in actions(db)][-2:] == ["user.deactivate", "user.activate"]


def test_the_last_administrator_stays(db):
    admin = person(db, "f-admin")
    with pytest.raises(OperationError) as self_stop:
        ops.set_active(db, admin, admin, False)
    assert self_stop.value.status == 409
    with pytest.raises(OperationError) as demote:
        ops.change_role(db, admin, admin, "lead")
    assert "last active administrator" in demote.value.message


def test_role_change_follows_the_command_lines_rule(app, db):
    admin, lead = person(db, "f-admin"), person(db, "f-lead")
    with pytest.raises(OperationError) as refused:
        ops.change_role(db, admin, lead, "viewer")
    assert "lead in an evaluation" in refused.value.message
    db.rollback()
    cli = CliRunner().invoke(main, ["users", "role", "f-lead", "viewer"],
                             env={"EVALUATOR_DATABASE_URL": app.config["DATABASE_URL"],
                                  "EVALUATOR_INSTANCE_PATH": app.instance_path})
    assert cli.exit_code == 1 and refused.value.message in cli.output
    assert ops.change_role(db, admin, person(db, "f-viewer"), "author") == "viewer"
    assert ("user.role", "f-viewer") in actions(db)


def test_unlock_lifts_every_delay_of_the_name(app, db):
    keys = throttle.keys_for("f-evaluator", "10.0.0.9")
    for _ in range(6):
        throttle.record_failure(app.extensions["evaluator.sessionmaker"], keys)
    assert "f-evaluator" in ops.throttled(db)
    cleared = ops.unlock(db, person(db, "f-admin"), person(db, "f-evaluator"))
    assert cleared == 1 and "f-evaluator" not in ops.throttled(db)
    assert db.scalar(select(LoginFailure).where(LoginFailure.key == keys[1])) is not None
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.unlock"))
    assert entry.new_value == {"cleared": 1}


def test_change_own_password(db):
    user = person(db, "f-evaluator")
    version = user.session_version
    with pytest.raises(OperationError) as wrong:
        ops.change_own_password(db, user, "not-it", "new-password-1", "new-password-1")
    assert wrong.value.message.startswith("current")
    with pytest.raises(OperationError) as differ:
        ops.change_own_password(db, user, "secret-pass", "new-password-1", "new-password-2")
    assert differ.value.message.startswith("confirm")
    with pytest.raises(OperationError) as own_name:
        ops.change_own_password(db, user, "secret-pass", "F-Evaluator", "F-Evaluator")
    assert own_name.value.message.startswith("password")
    ops.change_own_password(db, user, "secret-pass", "new-password-1", "new-password-1")
    assert user.check_password("new-password-1") and user.session_version == version + 1


def test_a_lead_invites_an_evaluator_and_administrators_see_it(db, field):
    lead = person(db, "f-lead")
    evaluation = db.get(Evaluation, field.evaluation_id)
    user, token = ops.invite_evaluator(db, lead, evaluation, "sun.qi", "孙七")
    assert user.role == "evaluator" and token
    assert db.scalar(select(Membership.role).where(Membership.user_id == user.id)) == "evaluator"
    invite = db.scalar(select(AuditEntry).where(AuditEntry.action == "user.invite"))
    assert invite.evaluation_id is None and invite.user_id == lead.id
    with pytest.raises(OperationError) as not_lead:
        ops.invite_evaluator(db, person(db, "f-evaluator"), evaluation, "x1", "")
    assert not_lead.value.status == 403


def test_search_finds_active_users_by_name_or_user_name(db):
    admin = person(db, "f-admin")
    ops.set_active(db, admin, person(db, "f-viewer"), False)
    found = [u.username for u in ops.search_users(db, "用户")]
    assert "f-lead" in found and "f-viewer" not in found
    assert [u.username for u in ops.search_users(db, "F-LE")] == ["f-lead"]
    assert ops.search_users(db, "%") == [] and ops.search_users(db, "  ") == []
