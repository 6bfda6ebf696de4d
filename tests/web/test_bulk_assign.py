"""Assignments in bulk: a selection or everything the filters match, to one evaluator or evenly
across several, reassignment of what is not submitted; task cards with head name, address and
phone (masked for anyone but the lead), searched and filtered by status."""

import pytest
from sqlalchemy import select

from evaluator.auth.models import User
from evaluator.fieldwork.collect.views import mask_phone
from evaluator.fieldwork.models import Assignment, AuditEntry, Household, Membership


@pytest.fixture
def second(app, field):
    """A second evaluator on the team; the fixture's assignments removed."""
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        user = User(username="eva2", role="evaluator", display_name="调查员二",
                    password_hash=db.scalar(select(User.password_hash)
                                            .where(User.username == field.username("lead"))))
        db.add(user)
        db.flush()
        db.add(Membership(evaluation_id=field.evaluation_id, user_id=user.id, role="evaluator"))
        for a in db.scalars(select(Assignment)):
            db.delete(a)
    return field


def ids(app, *usernames):
    with app.extensions["evaluator.sessionmaker"]() as db:
        return [db.scalar(select(User.id).where(User.username == u)) for u in usernames]


def holders(app):
    with app.extensions["evaluator.sessionmaker"]() as db:
        return {(h, s): u for h, s, u in db.execute(
            select(Household.household_id, Assignment.source, User.username)
            .join(Assignment, Assignment.household_pk == Household.id)
            .join(User, User.id == Assignment.user_id))}


def test_everything_the_filters_match_goes_evenly_to_two_evaluators(app, client, sign_in,
                                                                     second):
    sign_in("lead")
    drawn = len(second.sample) + len(second.reserve)
    url = f"/evaluations/{second.evaluation_id}/assign/households"
    response = client.post(url, data={"scope": "filtered", "expected": drawn,
                                      "assignees": ids(app, "f-evaluator", "eva2"),
                                      "sources": ["household", "file_check"]})
    assert response.status_code == 302
    held = holders(app)
    assert len(held) == 2 * drawn
    per = {u: sum(1 for v in held.values() if v == u) for u in ("f-evaluator", "eva2")}
    assert abs(per["f-evaluator"] - per["eva2"]) <= 2  # even (a household keeps both sources)
    assert all(held[(h, "household")] == held[(h, "file_check")] for h, _ in held)
    with app.extensions["evaluator.sessionmaker"]() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "assign.households"))
    assert entry.new_value["households"] == drawn


def test_a_stale_count_and_an_empty_choice_are_refused(app, client, sign_in, second):
    sign_in("lead")
    url = f"/evaluations/{second.evaluation_id}/assign/households"
    assert client.post(url, data={"scope": "filtered", "expected": 999,
                                  "assignees": ids(app, "eva2"),
                                  "sources": ["household"]}).status_code == 409
    assert client.post(url, data={"scope": "filtered", "expected": 6,
                                  "sources": ["household"]}).status_code == 400
    assert holders(app) == {}


def test_the_ticked_households_of_one_stratum_and_reassignment(app, client, sign_in, second):
    sign_in("lead")
    stratum, households = next(iter(second.strata.items()))
    with app.extensions["evaluator.sessionmaker"]() as db:
        pks = [db.scalar(select(Household.id).where(Household.household_id == h))
               for h in households[:2]]
    url = f"/evaluations/{second.evaluation_id}/assign/households"
    client.post(url, data={"scope": "selected", "pks": pks, "assignees": ids(app, "eva2"),
                           "sources": ["household"]})
    assert holders(app) == {(h, "household"): "eva2" for h in households[:2]}
    client.post(url, data={"scope": "selected", "pks": pks, "sources": ["household"],
                           "assignees": ids(app, "f-evaluator")})  # no replace: unchanged
    assert set(holders(app).values()) == {"eva2"}
    client.post(url, data={"scope": "selected", "pks": pks, "sources": ["household"],
                           "assignees": ids(app, "f-evaluator"), "replace": "y"})
    assert set(holders(app).values()) == {"f-evaluator"}
    page = client.get(f"/evaluations/{second.evaluation_id}/assign",
                      query_string={"stratum": stratum, "holder": "none"}).get_data(as_text=True)
    assert all(h not in page.split('id="households"')[1] for h in households[:2])


def test_task_cards_show_who_and_where_and_mask_the_phone(app, client, sign_in, field):
    with app.extensions["evaluator.sessionmaker"]() as db:
        for h in db.scalars(select(Household)):
            h.data = {**h.data, "address": f"城关镇幸福路{h.id}号", "phone": "13812345678"}
        db.commit()
    sign_in("evaluator")
    page = client.get("/assignments").get_data(as_text=True)
    assert "演示户" in page and "幸福路" in page
    assert "138****5678" in page and "13812345678" not in page
    one = field.sample[0]
    found = client.get("/assignments", query_string={"q": one}).get_data(as_text=True)
    assert one in found and field.sample[1] not in found
    none = client.get("/assignments", query_string={"status": "submitted"}).get_data(as_text=True)
    assert "没有符合条件的户" in none


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0931-8812345") == "*******2345"
    assert mask_phone("") == ""


def test_the_lead_edits_and_deletes_findings_audited(app, client, sign_in, field):
    from datetime import date

    from evaluator.fieldwork.models import Finding

    with app.extensions["evaluator.sessionmaker"]() as db:
        finding = Finding(evaluation_id=field.evaluation_id, indicator="T1", severity="minor",
                          description="台账信息不全", responsible_unit="演示县总工会",
                          responsible_person="张三", deadline=date(2026, 12, 31),
                          created_by_id=field.users["lead"])
        db.add(finding)
        db.commit()
        finding_id = finding.id
    url = f"/evaluations/{field.evaluation_id}/findings/{finding_id}"
    sign_in("evaluator")
    assert client.get(url).status_code == 403
    sign_in("lead")
    form = {"indicator": "T1", "severity": "major", "description": "台账缺少收入核对记录",
            "household_id": "", "responsible_unit": "演示县总工会", "responsible_person": "李四",
            "deadline": "2027-01-31"}
    assert client.post(url, data=form).status_code == 302
    assert client.post(url + "/delete", data={}).status_code == 400  # not confirmed
    assert client.post(url + "/delete", data={"confirm": "y"}).status_code == 302
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.get(Finding, finding_id) is None
        edit, delete = (db.scalar(select(AuditEntry).where(AuditEntry.action == action))
                        for action in ("finding.edit", "finding.delete"))
    assert edit.old_value["severity"] == "minor" and edit.new_value["severity"] == "major"
    assert delete.old_value["description"] == "台账缺少收入核对记录"
