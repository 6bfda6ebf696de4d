"""Refusals and households not reached are replaced from the reserves in the plan's order, in
the web app: the evaluator (or the lead) records the non-response, the next reserve of the
stratum becomes an assignment of the same evaluator, audited; a reserve out of order is refused
with the reason; the boundaries — the last reserve, none left, two refusals in one stratum, a
refusal taken back — and what the bundle and the scores then say."""

import csv
import io
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from evaluator.auth.models import User
from evaluator.fieldwork.manage import operations
from evaluator.fieldwork.models import Assignment, AuditEntry, Evaluation, Household, SampleDraw


@dataclass
class Drawn:
    sample: dict[str, list[str]]  # stratum -> sampled households in draw order
    reserve: dict[str, list[str]]  # stratum -> reserves in list order


@pytest.fixture
def drawn(app, field):
    """The fixture roster redrawn with 3 reserves a stratum (城关镇: 2 sampled, 3 reserves;
    清水河镇: 2 sampled, 1 reserve), the sampled households assigned to f-evaluator."""
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        lead = db.get(User, field.users["lead"])
        evaluation = db.get(Evaluation, field.evaluation_id)
        operations.draw_sample(db, lead, evaluation, seed=7, size=4, min_per_stratum=2,
                               reserve=3)
        for stratum in ("城关镇", "清水河镇"):
            operations.assign_stratum(db, lead, evaluation, stratum=stratum,
                                      assignee=db.get(User, field.users["evaluator"]),
                                      sources=("household", "file_check"))
        out = Drawn({}, {})
        for hid, stratum, role in db.execute(
                select(Household.household_id, Household.stratum, SampleDraw.role)
                .join(SampleDraw, SampleDraw.household_pk == Household.id)
                .order_by(Household.stratum, SampleDraw.role.desc(), SampleDraw.draw_order)):
            (out.sample if role == "sample" else out.reserve).setdefault(stratum, []).append(hid)
    assert [len(out.reserve[s]) for s in ("城关镇", "清水河镇")] == [3, 1]
    return out


def draw_of(app, household_id):
    with app.extensions["evaluator.sessionmaker"]() as db:
        row = db.execute(select(SampleDraw, Household).join(
            Household, Household.id == SampleDraw.household_pk)
            .where(Household.household_id == household_id)).one()
        replaces = db.get(Household, row[0].replaces_pk).household_id \
            if row[0].replaces_pk else ""
        holders = {(a.source, db.get(User, a.user_id).username) for a in db.scalars(
            select(Assignment).where(Assignment.household_pk == row[1].id))}
        return {"outcome": row[0].outcome, "released": row[0].released, "replaces": replaces,
                "holders": holders}


def mark(client, field, household_id, outcome="refused"):
    return client.post(f"/evaluations/{field.evaluation_id}/households/{household_id}/nonresponse",
                       data={"household_id": household_id, "outcome": outcome})


def lead_mark(client, field, household_id, outcome="refused", **extra):
    return client.post(f"/evaluations/{field.evaluation_id}/reserves",
                       data={"household_id": household_id, "outcome": outcome, **extra})


def sample_csv(client, field):
    import zipfile

    response = client.get(f"/evaluations/{field.evaluation_id}/bundle.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as z:
        name = next(n for n in z.namelist() if n.endswith("sample.csv"))
        return list(csv.DictReader(io.StringIO(z.read(name).decode("utf-8-sig"))))


def test_the_evaluator_records_a_refusal_and_gets_the_next_reserve(app, client, field, drawn,
                                                                     sign_in):
    first, reserve = drawn.sample["城关镇"][0], drawn.reserve["城关镇"]
    sign_in("evaluator")
    page = client.get("/assignments")
    assert f"/households/{first}/nonresponse" in page.text
    form = client.get(f"/evaluations/{field.evaluation_id}/households/{first}/nonresponse")
    assert form.status_code == 200 and "城关镇" in form.text
    done = mark(client, field, first)
    assert done.status_code == 302 and done.headers["Location"].endswith("/assignments")
    assert draw_of(app, first)["outcome"] == "refused"
    taken = draw_of(app, reserve[0])
    assert taken["released"] and taken["replaces"] == first
    assert taken["holders"] == {("household", "f-evaluator"), ("file_check", "f-evaluator")}
    assert not draw_of(app, reserve[1])["released"]
    page = client.get("/assignments")
    assert reserve[0] in page.text and "拒访" in page.text and "第 1 号备选户" in page.text
    with app.extensions["evaluator.sessionmaker"]() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "sample.nonresponse"))
    assert entry.object_id == first and entry.new_value["reserve"] == reserve[0]
    assert entry.new_value["reserve_order"] == 1 and entry.new_value["assignee"] == "f-evaluator"
    # twice is refused; a reserve not yet taken cannot be recorded; nor another's household
    assert mark(client, field, first).status_code == 409
    sign_in("lead")
    assert lead_mark(client, field, reserve[2]).status_code == 409
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        db.execute(Assignment.__table__.delete().where(
            Assignment.household_pk == db.scalar(select(Household.id).where(
                Household.household_id == drawn.sample["城关镇"][1]))))
    sign_in("evaluator")
    assert mark(client, field, drawn.sample["城关镇"][1]).status_code == 403


def test_two_refusals_in_one_stratum_take_reserves_1_and_2_and_the_bundle_says_so(
        app, client, field, drawn, sign_in):
    one, two = drawn.sample["城关镇"]
    reserve = drawn.reserve["城关镇"]
    sign_in("lead")
    assert lead_mark(client, field, one).status_code == 302
    assert lead_mark(client, field, two, "unreached").status_code == 302
    assert draw_of(app, reserve[0])["replaces"] == one
    assert draw_of(app, reserve[1])["replaces"] == two
    assert not draw_of(app, reserve[2])["released"]
    page = client.get(f"/evaluations/{field.evaluation_id}/reserves")
    assert page.status_code == 200
    assert f"替换 {one}" in page.text and f"由 {reserve[1]} 替换" in page.text
    assert f"下一户：{reserve[2]}" in page.text and "剩余备选户 1 户" in page.text
    rows = {r["household_id"]: r for r in sample_csv(client, field)}
    assert (rows[one]["outcome"], rows[two]["outcome"]) == ("refused", "unreached")
    assert (rows[reserve[0]]["replaces"], rows[reserve[1]]["replaces"]) == (one, two)
    assert rows[reserve[2]]["replaces"] == "" and rows[reserve[2]]["outcome"] == ""


def test_a_reserve_out_of_order_is_refused_with_the_reason(app, client, field, drawn, sign_in):
    one = drawn.sample["城关镇"][0]
    reserve = drawn.reserve["城关镇"]
    sign_in("lead")
    refused = lead_mark(client, field, one, reserve_id=reserve[1])
    assert refused.status_code == 409
    assert (f"备选户 {reserve[1]} 暂不能启用" in refused.text
            and f"第 1 号备选户（{reserve[0]}）应先启用" in refused.text)
    assert draw_of(app, one)["outcome"] is None and not draw_of(app, reserve[1])["released"]
    other = lead_mark(client, field, one, reserve_id=drawn.reserve["清水河镇"][0])
    assert other.status_code == 409 and "不是层 城关镇 的备选户" in other.text
    # the next one, named, with another evaluator
    assert lead_mark(client, field, one, reserve_id=reserve[0],
                     assignee=str(field.users["lead"])).status_code == 302
    assert draw_of(app, reserve[0])["holders"] == {("household", "f-lead"),
                                                   ("file_check", "f-lead")}
    assert lead_mark(client, field, drawn.sample["城关镇"][1],
                     reserve_id=reserve[0]).status_code == 409  # in use already


def test_the_last_reserve_then_none_left(app, client, field, drawn, sign_in):
    one, two = drawn.sample["清水河镇"]
    last = drawn.reserve["清水河镇"][0]
    sign_in("lead")
    assert lead_mark(client, field, one).status_code == 302
    assert draw_of(app, last)["replaces"] == one  # the stratum's last reserve
    done = lead_mark(client, field, two, "unreached")
    assert done.status_code == 302
    page = client.get(done.headers["Location"])
    assert "该层已无备选户可用" in page.text and "剩余备选户 0 户" in page.text
    assert draw_of(app, two)["outcome"] == "unreached"  # recorded all the same
    # the reserve itself refuses: still none left, said again
    assert lead_mark(client, field, last).status_code == 302
    assert draw_of(app, last)["outcome"] == "refused"
    with app.extensions["evaluator.sessionmaker"]() as db:
        entries = db.scalars(select(AuditEntry).where(
            AuditEntry.action == "sample.nonresponse").order_by(AuditEntry.id)).all()
    assert [e.new_value["reserve"] for e in entries] == [last, None, None]


def test_a_refusal_taken_back(app, client, field, drawn, sign_in, api_post, household_record):
    one, two = drawn.sample["城关镇"]
    reserve = drawn.reserve["城关镇"]
    sign_in("lead")
    assert lead_mark(client, field, one).status_code == 302
    assert lead_mark(client, field, two).status_code == 302
    undo = f"/evaluations/{field.evaluation_id}/reserves/undo"
    # one was interviewed after all: the last reserve taken (2, not visited) goes back to the
    # list and reserve 1 takes over household two, so the reserves in use stay 1..k
    back = client.post(undo, data={"household_id": one})
    assert back.status_code == 302
    assert "退回备选名单" in client.get(back.headers["Location"]).text
    assert draw_of(app, one)["outcome"] is None
    assert draw_of(app, reserve[0])["replaces"] == two
    returned = draw_of(app, reserve[1])
    assert not returned["released"] and returned["holders"] == set()
    assert client.post(undo, data={"household_id": one}).status_code == 409  # nothing to undo
    # a reserve already visited stays in the sample, in order
    sign_in("evaluator")
    assert api_post(household_record(reserve[0])).status_code == 201
    sign_in("lead")
    assert client.post(undo, data={"household_id": two}).status_code == 302
    kept = draw_of(app, reserve[0])
    assert kept["released"] and kept["replaces"] == ""
    with app.extensions["evaluator.sessionmaker"]() as db:
        undone = db.scalars(select(AuditEntry).where(
            AuditEntry.action == "sample.nonresponse_undo").order_by(AuditEntry.id)).all()
    assert [(e.old_value, e.new_value["reserve_returned"]) for e in undone] == [
        ({"outcome": "refused"}, reserve[1]), ({"outcome": "refused"}, None)]
    sign_in("evaluator")
    assert client.post(undo, data={"household_id": two}).status_code == 403


def test_not_reached_is_refused_for_a_household_with_an_interview(app, client, field, drawn,
                                                                  sign_in, api_post,
                                                                  household_record):
    one = drawn.sample["城关镇"][0]
    sign_in("evaluator")
    assert api_post(household_record(one)).status_code == 201
    refused = mark(client, field, one, "unreached")
    assert refused.status_code == 409 and "已有入户记录" in refused.text
    assert mark(client, field, one, "refused").status_code == 302  # consent withdrawn, say


def test_a_reserve_visited_before_its_turn_is_stated_on_the_scores_page_and_in_the_report(
        app, client, field, drawn, sign_in, api_post, household_record, file_check_record):
    """Reserve 2 of 城关镇 assigned ahead and visited while reserve 1 was never needed: the data
    still score, and the scores page and the report's methodology say the order was broken."""
    from tests.web.test_fieldwork_report import SYSTEM, set_states

    early = drawn.reserve["城关镇"][1]
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        lead = db.get(User, field.users["lead"])
        pk = db.scalar(select(Household.id).where(Household.household_id == early))
        operations.assign_households(db, lead, db.get(Evaluation, field.evaluation_id), [pk],
                                     [db.get(User, field.users["evaluator"])],
                                     ("household", "file_check"))
    sign_in("lead")
    assert client.post(f"/evaluations/{field.evaluation_id}/system", data={
        "file": (io.BytesIO(SYSTEM.read_bytes()), "system.csv")},
        content_type="multipart/form-data").status_code == 302
    sign_in("evaluator")
    for household in [h for s in drawn.sample.values() for h in s] + [early]:
        assert api_post(household_record(household)).status_code == 201
        assert api_post(file_check_record(household)).status_code == 201
    set_states(app, "approved")
    sign_in("lead")
    url = f"/evaluations/{field.evaluation_id}"
    scores = client.get(f"{url}/scores")
    assert scores.status_code == 200
    first = drawn.reserve["城关镇"][0]
    assert f"城关镇：第 2 号备选户（{early}）先于 {first} 启用" in scores.text
    report = client.get(f"{url}/report")
    assert report.status_code == 200
    assert f"城关镇：第2号备选户（{early}）先于{first}启用" in report.text
    assert "备选户应按本层备选名单顺序替换无应答户" in report.text


def test_a_refusal_in_the_questionnaire_shows_and_the_lead_takes_its_reserve(
        app, client, field, drawn, sign_in, api_post, household_record):
    """The rubric's response rule (consent) says the record is a refusal: the reserves page
    says no reserve was taken yet, and recording it takes the next one."""
    one, two = drawn.sample["城关镇"]
    sign_in("evaluator")
    refusal = household_record(one)
    refusal["answers"] = {"household_id": one, "consent": "no"}
    assert api_post(refusal).status_code == 201
    assert api_post(household_record(two)).status_code == 201
    sign_in("lead")
    page = client.get(f"/evaluations/{field.evaluation_id}/reserves").text
    assert page.count("问卷中拒访：尚未启用备选户") == 1 and page.count("已入户") == 1
    assert lead_mark(client, field, one).status_code == 302
    assert draw_of(app, drawn.reserve["城关镇"][0])["replaces"] == one


def test_a_reserve_visited_ahead_is_taken_first(app, client, field, drawn, sign_in, api_post,
                                               household_record):
    """Reserve 1 assigned in advance and visited offline before anyone refused: the first
    refusal takes it (it is the next in order), not reserve 2."""
    one = drawn.sample["城关镇"][0]
    reserve = drawn.reserve["城关镇"]
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        pk = db.scalar(select(Household.id).where(Household.household_id == reserve[0]))
        operations.assign_households(db, db.get(User, field.users["lead"]),
                                     db.get(Evaluation, field.evaluation_id), [pk],
                                     [db.get(User, field.users["evaluator"])], ("household",))
    sign_in("evaluator")
    assert api_post(household_record(reserve[0])).status_code == 201
    assert mark(client, field, one).status_code == 302
    taken = draw_of(app, reserve[0])
    assert taken["released"] and taken["replaces"] == one
    assert not draw_of(app, reserve[1])["released"]
