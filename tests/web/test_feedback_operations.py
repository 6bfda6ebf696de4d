"""Feedback, appeal and rectification operations: who may do what, when, what is audited, and
that an upheld appeal changes the score (a withdrawn finding leaves the bundle)."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from evaluator.auth.models import User
from evaluator.feedback import operations as feedback
from evaluator.feedback.models import FindingResponse
from evaluator.fieldwork.attachments import Photo
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.collect.operations import add_finding
from evaluator.fieldwork.exports.files import bundle_files
from evaluator.fieldwork.exports.scores import score_evaluation
from evaluator.fieldwork.manage import operations as manage
from evaluator.fieldwork.models import Attachment, AuditEntry, Evaluation, Finding

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAAB"
    "JRU5ErkJggg==")
TODAY = date(2026, 11, 20)


@pytest.fixture
def world(app, field):
    """The fieldwork fixture (its unit user f-unit on the evaluation), a second unit user on
    no evaluation, and three findings: two on the deduction indicator T3 and one on F3."""
    from tests.conftest import password_hash

    storage = app.extensions["evaluator.storage"]
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        db.add(User(username="f-unit2", role="unit", display_name="f-unit2",
                    password_hash=password_hash(field.password)))
        db.flush()
        lead = db.get(User, field.users["lead"])
        evaluation = db.get(Evaluation, field.evaluation_id)
        ids = []
        for indicator, severity, text in (("T3", "major", "漏评一户，联系电话13812345678"),
                                          ("T3", "minor", "漏评一户"),
                                          ("F3", "major", "重复发放慰问金")):
            ids.append(add_finding(db, lead, evaluation, indicator=indicator, severity=severity,
                                   description=text, household_id="", responsible_unit="县总工会",
                                   responsible_person="张三", deadline=date(2026, 12, 31),
                                   photos=[], storage=storage).id)
    return {"findings": ids, "storage": storage}


def act(app, fn, *args, username, **kwargs):
    """Run an operation as ``username`` in a transaction of its own (as a request would)."""
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        user = db.scalar(select(User).where(User.username == username))
        evaluation = db.get(Evaluation, kwargs.pop("evaluation_id"))
        resolved = [db.get(Finding, a) if isinstance(a, FindingRef) else
                    db.get(FindingResponse, a.id) if isinstance(a, ResponseRef) else a
                    for a in args]
        result = fn(db, user, evaluation, *resolved, **kwargs)
        return getattr(result, "id", result)


class FindingRef(int):
    pass


class ResponseRef:
    def __init__(self, id_):
        self.id = id_


def total(app, evaluation_id):
    with app.extensions["evaluator.sessionmaker"]() as db:
        scored = score_evaluation(db, db.get(Evaluation, evaluation_id))
        assert scored.sheet is not None, scored.problems
        return scored.sheet.total, scored.sheet.indicator("T3").points


def test_appeal_upheld_withdraws_the_finding_and_the_score_is_recomputed(app, field, world):
    eid = field.evaluation_id
    before, t3_before = total(app, eid)
    assert t3_before == 5 - 2 - 1
    act(app, feedback.publish, username="f-lead", evaluation_id=eid,
        deadline=TODAY + timedelta(days=10), today=TODAY, total=before, grade="")
    first, second, third = map(FindingRef, world["findings"])
    act(app, feedback.respond, first, username="f-unit", evaluation_id=eid, answer="accepted",
        reason="", photos=[], storage=world["storage"], today=TODAY)
    appeal = act(app, feedback.respond, second, username="f-unit", evaluation_id=eid,
                 answer="contested", reason="该户已于2025年建档，见档案", today=TODAY,
                 photos=[Photo("file.png", "image/png", PNG)], storage=world["storage"])
    act(app, feedback.adjudicate, ResponseRef(appeal), username="f-lead", evaluation_id=eid,
        outcome="upheld", reason="档案核实无误", change="withdrawn")
    after, t3_after = total(app, eid)
    assert t3_after == 5 - 2 and after == pytest.approx(before + 1)
    with app.extensions["evaluator.sessionmaker"]() as db:
        finding = db.get(Finding, world["findings"][1])
        assert finding.status == "withdrawn"
        bundle = bundle_files(db, db.get(Evaluation, eid))
        assert "漏评一户\r\n" not in bundle["findings.csv"].decode("utf-8-sig").replace(
            "138****5678", "")
        response = db.get(FindingResponse, appeal)
        assert (response.outcome, response.change) == ("upheld", "withdrawn")
        assert response.before["status"] == "active" and response.after["status"] == "withdrawn"
        actions = list(db.scalars(select(AuditEntry.action).where(
            AuditEntry.evaluation_id == eid).order_by(AuditEntry.id)))
        assert actions[-4:] == ["feedback.publish", "appeal.accepted", "appeal.contested",
                                "appeal.upheld"]
        evidence = db.scalar(select(Attachment).where(Attachment.response_id == appeal))
        assert evidence.content_type == "image/png"
    # a contest on the third finding, rejected with a reason: the finding stays as it was
    appeal3 = act(app, feedback.respond, third, username="f-unit", evaluation_id=eid,
                  answer="contested", reason="不是重复发放", photos=[], storage=world["storage"],
                  today=TODAY)
    with pytest.raises(OperationError, match="written reason"):
        act(app, feedback.adjudicate, ResponseRef(appeal3), username="f-lead",
            evaluation_id=eid, outcome="rejected", reason=" ")
    act(app, feedback.adjudicate, ResponseRef(appeal3), username="f-lead", evaluation_id=eid,
        outcome="rejected", reason="系统记录显示同月两次发放")
    assert total(app, eid)[0] == pytest.approx(after)


def test_who_may_answer_and_when(app, field, world):
    eid = field.evaluation_id
    first = FindingRef(world["findings"][0])
    answer = dict(answer="contested", reason="理由", photos=[], storage=world["storage"])
    with pytest.raises(OperationError, match="not been published"):
        act(app, feedback.respond, first, username="f-unit", evaluation_id=eid, today=TODAY,
            **answer)
    for username in ("f-evaluator", "f-viewer"):
        with pytest.raises(OperationError, match="team lead can do this") as refused:
            act(app, feedback.publish, username=username, evaluation_id=eid,
                deadline=TODAY, today=TODAY, total=None, grade="")
        assert refused.value.status == 403
    with pytest.raises(OperationError, match="in the past"):
        act(app, feedback.publish, username="f-lead", evaluation_id=eid,
            deadline=TODAY - timedelta(days=1), today=TODAY, total=None, grade="")
    act(app, feedback.publish, username="f-lead", evaluation_id=eid, deadline=TODAY,
        today=TODAY, total=None, grade="")
    with pytest.raises(OperationError, match="published already"):
        act(app, feedback.publish, username="f-lead", evaluation_id=eid, deadline=TODAY,
            today=TODAY, total=None, grade="")
    for username in ("f-lead", "f-evaluator", "f-viewer", "f-unit2"):
        with pytest.raises(OperationError, match="evaluated unit") as refused:
            act(app, feedback.respond, first, username=username, evaluation_id=eid,
                today=TODAY, **answer)
        assert refused.value.status == 403
    with pytest.raises(OperationError, match="deadline for answers was 2026-11-20"):
        act(app, feedback.respond, first, username="f-unit", evaluation_id=eid,
            today=TODAY + timedelta(days=1), **answer)  # the day after: too late
    with pytest.raises(OperationError, match="written reason"):
        act(app, feedback.respond, first, username="f-unit", evaluation_id=eid, today=TODAY,
            answer="contested", reason="  ", photos=[], storage=world["storage"])
    with pytest.raises(OperationError, match="not a JPEG"):
        act(app, feedback.respond, first, username="f-unit", evaluation_id=eid, today=TODAY,
            answer="contested", reason="理由", storage=world["storage"],
            photos=[Photo("x.png", "image/png", b"<svg onload=alert(1)>")])
    act(app, feedback.respond, first, username="f-unit", evaluation_id=eid, today=TODAY,
        **answer)  # on the deadline day itself: accepted
    with pytest.raises(OperationError, match="answered already"):
        act(app, feedback.respond, first, username="f-unit", evaluation_id=eid, today=TODAY,
            **answer)
    with app.extensions["evaluator.sessionmaker"]() as db:  # the refused photo left no file
        assert db.scalar(select(Attachment.id).where(Attachment.response_id.is_not(None))) is None


def test_rectification_moves_step_by_step(app, field, world):
    eid = field.evaluation_id
    item = FindingRef(world["findings"][2])
    step = dict(note="", photos=[], storage=world["storage"])
    with pytest.raises(OperationError, match="only the evaluated unit") as refused:
        act(app, feedback.rectify, item, username="f-lead", evaluation_id=eid,
            to_state="in_progress", **step)
    assert refused.value.status == 403
    act(app, feedback.rectify, item, username="f-unit", evaluation_id=eid,
        to_state="in_progress", **step)
    with pytest.raises(OperationError, match="say what was done"):
        act(app, feedback.rectify, item, username="f-unit", evaluation_id=eid,
            to_state="submitted", **step)
    act(app, feedback.rectify, item, username="f-unit", evaluation_id=eid,
        to_state="submitted", note="已追回重复发放资金", photos=[Photo("r.png", "", PNG)],
        storage=world["storage"])
    with pytest.raises(OperationError, match="cannot go from submitted to open"):
        act(app, feedback.rectify, item, username="f-lead", evaluation_id=eid,
            to_state="open", **step)
    with pytest.raises(OperationError, match="why the evidence"):
        act(app, feedback.rectify, item, username="f-lead", evaluation_id=eid,
            to_state="in_progress", **step)
    with pytest.raises(OperationError, match="team lead"):
        act(app, feedback.rectify, item, username="f-unit", evaluation_id=eid,
            to_state="verified", **step)
    act(app, feedback.rectify, item, username="f-lead", evaluation_id=eid,
        to_state="verified", **step)
    with app.extensions["evaluator.sessionmaker"]() as db:
        finding = db.get(Finding, world["findings"][2])
        assert finding.rectification == "verified"
        assert not feedback.is_overdue(finding, date(2027, 6, 1))
        other = db.get(Finding, world["findings"][0])
        assert not feedback.is_overdue(other, date(2026, 12, 31))  # on the deadline day
        assert feedback.is_overdue(other, date(2027, 1, 1))  # the day after


def test_a_unit_user_is_a_unit_and_nothing_else(app, field, world):
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        lead = db.get(User, field.users["lead"])
        evaluation = db.get(Evaluation, field.evaluation_id)
        unit2 = db.scalar(select(User).where(User.username == "f-unit2"))
        for role in ("lead", "evaluator", "viewer"):
            with pytest.raises(OperationError, match="they can be Evaluated unit, not"):
                manage.add_member(db, lead, evaluation, unit2, role)
        with pytest.raises(OperationError, match="can be Team lead / Evaluator / Report recipient, not Evaluated unit"):
            manage.add_member(db, lead, evaluation, db.get(User, field.users["lead"]), "unit")
