"""Setting an evaluation up: create it with a roster, build the team, draw the sample, assign by
stratum, upload system data, and the user commands. Bad uploads get every problem by row."""

import io
from html import unescape
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from evaluator.auth.models import User
from evaluator.cli import main
from evaluator.fieldwork.models import (
    Assignment,
    AuditEntry,
    Evaluation,
    Household,
    Membership,
    SampleDraw,
    SystemRecord,
)
from evaluator.rubrics.models import RubricVersion
from evaluator.sampling import draw
from evaluator.surveys.models import SurveyVersion

ROSTER = (Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal" / "roster.csv")
SYSTEM = ROSTER.with_name("system.csv")


def db_of(app):
    return app.extensions["evaluator.sessionmaker"]()


def count(app, model, *where):
    with db_of(app) as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def new_evaluation_form(app, roster_bytes: bytes, filename="roster.csv", **extra):
    with db_of(app) as db:
        rubric = db.scalar(select(RubricVersion.id))
        surveys = list(db.scalars(select(SurveyVersion.id)))
    data = {"key": "eval-2026", "title_zh": "二〇二六年评估", "title_en": "Evaluation 2026",
            "evaluated_unit": "某县总工会", "commissioning_body": "某市总工会",
            "period_start": "2025-11-01", "period_end": "2026-10-31", "rubric": str(rubric),
            "surveys": [str(s) for s in surveys], "stratum_column": "stratum",
            "count_policy": "approved", "roster": (io.BytesIO(roster_bytes), filename)}
    data.update(extra)
    return data


def test_a_lead_creates_an_evaluation_from_a_utf8_roster(app, client, field, sign_in):
    sign_in("lead")
    assert client.get("/evaluations/new").status_code == 200
    response = client.post("/evaluations/new", data=new_evaluation_form(app, ROSTER.read_bytes()),
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    with db_of(app) as db:
        evaluation = db.scalar(select(Evaluation).where(Evaluation.key == "eval-2026"))
        assert evaluation.roster_encoding == "utf-8-sig"
        households = list(db.scalars(select(Household).where(
            Household.evaluation_id == evaluation.id).order_by(Household.row_number)))
        assert [h.household_id for h in households][:2] == ["CG001", "CG002"]
        assert households[0].row_number == 2 and households[0].stratum == "城关镇"
        lead = db.scalar(select(Membership.role).where(Membership.evaluation_id == evaluation.id))
        assert lead == "lead"
        assert db.scalar(select(AuditEntry.action).where(
            AuditEntry.evaluation_id == evaluation.id)) == "evaluation.create"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "二〇二六年评估" in page and ">8<" in page


def test_gbk_and_xlsx_rosters_are_read_too(app, client, field, sign_in):
    sign_in("lead")
    text = ROSTER.read_text(encoding="utf-8-sig")
    gbk = client.post("/evaluations/new", data=new_evaluation_form(
        app, text.encode("gbk"), key="gbk-eval"), content_type="multipart/form-data")
    assert gbk.status_code == 302
    book = openpyxl.Workbook()
    for line in text.strip().splitlines():
        book.active.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = client.post("/evaluations/new", data=new_evaluation_form(
        app, buffer.getvalue(), "台账.xlsx", key="xlsx-eval"), content_type="multipart/form-data")
    assert xlsx.status_code == 302, xlsx.get_data(as_text=True)
    with db_of(app) as db:
        found = dict(db.execute(select(Evaluation.key, Evaluation.roster_encoding)).all())
        assert found["gbk-eval"] == "gbk" and found["xlsx-eval"] == "xlsx"
        names = set(db.scalars(select(Household.data["household_id"].as_string())))
        assert "QS003" in names


def test_a_bad_roster_is_refused_whole_with_every_problem_by_row(app, client, field, sign_in):
    sign_in("lead")
    lines = ROSTER.read_text(encoding="utf-8-sig").strip().splitlines()
    lines[2] = lines[2].replace("相对困难", "不困难")          # row 3: category
    lines[4] = lines[4].replace("CG004", "CG001")             # row 5: duplicate id
    lines[6] = lines[6].replace(",8400,", ",八千四,")          # row 7: local standard
    before = count(app, Household)
    response = client.post("/evaluations/new", data=new_evaluation_form(
        app, "\n".join(lines).encode("utf-8"), key="bad-eval"), content_type="multipart/form-data")
    assert response.status_code == 400
    page = unescape(response.get_data(as_text=True))
    assert "第 3 行，category 列" in page and "'不困难' 不是以下之一" in page
    assert "第 5 行，household_id 列" in page and "户编号 'CG001' 重复（另见第 2 行）" in page
    assert "第 7 行，local_standard 列" in page
    assert count(app, Evaluation, Evaluation.key == "bad-eval") == 0
    assert count(app, Household) == before
    english = client.post("/evaluations/new?lang=en", data=new_evaluation_form(
        app, "\n".join(lines).encode("utf-8"), key="bad-eval"), content_type="multipart/form-data")
    page = unescape(english.get_data(as_text=True))
    assert "row 3, column category" in page and "duplicate household id 'CG001' (also row 2)" in page


def test_a_roster_without_the_required_columns_names_them(app, client, field, sign_in):
    sign_in("lead")
    response = client.post("/evaluations/new", data=new_evaluation_form(
        app, "household_id,township\nA1,城关镇\n".encode(), key="thin"),
        content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "缺少列 'category'" in unescape(page)


def test_only_admins_and_leads_create_evaluations(client, field, sign_in):
    for role in ("evaluator", "viewer", "author"):
        sign_in(role)
        assert client.get("/evaluations/new").status_code == 403
    sign_in(None)
    assert client.get("/evaluations/new").status_code == 302


def test_the_code_of_an_evaluation_is_unique(app, client, field, sign_in):
    sign_in("lead")
    response = client.post("/evaluations/new", data=new_evaluation_form(
        app, ROSTER.read_bytes(), key="test-eval"), content_type="multipart/form-data")
    assert response.status_code == 400
    assert "已存在" in response.get_data(as_text=True)


def test_the_fixture_sample_is_the_seeded_draw(app, field):
    with db_of(app) as db:
        frame = [(h.household_id, h.stratum) for h in db.scalars(select(Household).where(
            Household.evaluation_id == field.evaluation_id))]
        evaluation = db.get(Evaluation, field.evaluation_id)
        plan = evaluation.sampling_plan
    expected = draw(frame, {s["stratum"]: s["sample"] for s in plan["strata"]}, 1, seed=7)
    assert sorted(d.household_id for d in expected if d.role == "sample") == sorted(field.sample)
    assert plan["roster_hash"].startswith("sha256:") and plan["stratum_column"] == "stratum"


def test_the_lead_draws_and_redraws_until_records_exist(app, client, field, sign_in, api_post,
                                                        household_record):
    sign_in("lead")
    page = client.get(f"/evaluations/{field.evaluation_id}/sample").get_data(as_text=True)
    assert "N<sub>h</sub>" in page
    assert 'name="seed" type="text" value="7"' in page or 'value="7"' in page  # the drawn seed
    unconfirmed = client.post(f"/evaluations/{field.evaluation_id}/sample", data={
        "method": "size", "size": "6", "confidence": "0.95", "min_per_stratum": "2",
        "reserve": "0", "seed": "99", "expected_errors": "0"})
    assert unconfirmed.status_code == 400  # a redraw needs its explicit confirmation
    assert count(app, SampleDraw, SampleDraw.role == "sample") == 4
    redraw = client.post(f"/evaluations/{field.evaluation_id}/sample", data={
        "method": "size", "size": "6", "confidence": "0.95", "min_per_stratum": "2",
        "reserve": "0", "seed": "99", "expected_errors": "0", "redraw": "y"})
    assert redraw.status_code == 302
    assert count(app, SampleDraw, SampleDraw.role == "sample") == 6
    assert count(app, Assignment) == 0  # a new sample needs new assignments
    with db_of(app) as db:
        first = db.scalar(select(Household.household_id).join(
            SampleDraw, SampleDraw.household_pk == Household.id).where(SampleDraw.role == "sample"))
        db.add(Assignment(household_pk=db.scalar(select(Household.id).where(
            Household.household_id == first)), evaluation_id=field.evaluation_id,
            source="household", user_id=field.users["evaluator"]))
        db.commit()
    sign_in("evaluator")
    assert api_post(household_record(first)).status_code == 201
    sign_in("lead")
    again = client.post(f"/evaluations/{field.evaluation_id}/sample", data={
        "method": "size", "size": "4", "confidence": "0.95", "min_per_stratum": "2",
        "reserve": "0", "seed": "1", "expected_errors": "0", "redraw": "y"})
    assert again.status_code == 400
    assert "样本不能再重抽" in again.get_data(as_text=True)
    assert count(app, SampleDraw, SampleDraw.role == "sample") == 6


def test_a_margin_rule_needs_its_value(client, field, sign_in):
    sign_in("lead")
    response = client.post(f"/evaluations/{field.evaluation_id}/sample", data={
        "method": "margin", "confidence": "0.95", "seed": "3", "reserve": "0",
        "min_per_stratum": "0", "expected_errors": "0", "redraw": "y"})
    assert response.status_code == 400
    assert "请填写误差范围" in response.get_data(as_text=True)


def test_assigning_a_stratum_gives_every_drawn_household(app, client, field, sign_in):
    sign_in("lead")
    with db_of(app) as db:
        db.execute(Assignment.__table__.delete())
        db.commit()
    stratum = "清水河镇"
    response = client.post(f"/evaluations/{field.evaluation_id}/assign", data={
        "stratum": stratum, "assignee": str(field.users["evaluator"]),
        "sources": ["household"]})
    assert response.status_code == 302
    with db_of(app) as db:
        assigned = set(db.scalars(select(Household.household_id).join(
            Assignment, Assignment.household_pk == Household.id)))
    sampled_here = {h for h in field.strata[stratum] if h in field.sample}
    assert assigned == sampled_here
    page = client.get(f"/evaluations/{field.evaluation_id}/assign").get_data(as_text=True)
    assert "0/2" in page


def test_households_go_only_to_team_members_who_collect(app, client, field, sign_in):
    from evaluator.fieldwork.manage import operations

    sign_in("lead")
    response = client.post(f"/evaluations/{field.evaluation_id}/assign", data={
        "stratum": "城关镇", "assignee": str(field.users["viewer"]), "sources": ["household"]})
    assert response.status_code == 400  # not even offered in the form
    with app.app_context(), db_of(app) as db:
        evaluation = db.get(Evaluation, field.evaluation_id)
        with pytest.raises(operations.OperationError, match="不是本评估的调查员或组长"):
            operations.assign_stratum(db, db.get(User, field.users["lead"]), evaluation,
                                      stratum="城关镇", assignee=db.get(User, field.users["viewer"]),
                                      sources=("household",))
        with pytest.raises(operations.OperationError, match="评估组长"):
            operations.assign_stratum(db, db.get(User, field.users["evaluator"]), evaluation,
                                      stratum="城关镇",
                                      assignee=db.get(User, field.users["evaluator"]),
                                      sources=("household",))
    assert count(app, Assignment, Assignment.user_id == field.users["viewer"]) == 0


def test_team_members_are_added_by_username_within_their_global_role(app, client, field,
                                                                    sign_in, make_user):
    sign_in("lead")
    make_user("zhang", "evaluator")
    make_user("wei", "viewer")
    url = f"/evaluations/{field.evaluation_id}/members"
    assert client.post(url, data={"username": "zhang", "role": "evaluator"}).status_code == 302
    refused = client.post(url, data={"username": "wei", "role": "evaluator"})
    assert refused.status_code == 400
    assert "不能担任调查员" in refused.get_data(as_text=True)
    missing = client.post(url, data={"username": "nobody", "role": "viewer"})
    assert missing.status_code == 400
    with db_of(app) as db:
        zhang = db.scalar(select(User.id).where(User.username == "zhang"))
    assert client.post(url + "/remove", data={"user_id": str(zhang)}).status_code == 302
    busy = client.post(url + "/remove", data={"user_id": str(field.users["evaluator"])})
    assert busy.status_code == 409
    assert "还有 " in busy.get_data(as_text=True)


def test_system_data_is_checked_against_the_system_survey(app, client, field, sign_in):
    sign_in("lead")
    url = f"/evaluations/{field.evaluation_id}/system"
    good = client.post(url, data={"file": (io.BytesIO(SYSTEM.read_bytes()), "system.csv")},
                       content_type="multipart/form-data")
    assert good.status_code == 302
    assert count(app, SystemRecord) == len(SYSTEM.read_text(encoding="utf-8-sig").strip()
                                           .splitlines()) - 1
    lines = SYSTEM.read_text(encoding="utf-8-sig").strip().splitlines()
    lines[1] = lines[1].replace("CG004", "ZZ999")
    lines[2] = lines[2].replace(",2,", ",two,", 1)
    bad = client.post(url, data={"file": (io.BytesIO("\n".join(lines).encode("gbk")), "系统.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "第 2 行，household_id 列" in page and "ZZ999" in page
    assert "第 3 行，household_size 列" in page
    with db_of(app) as db:  # the good upload is still there, untouched
        assert db.scalar(select(SystemRecord.household_id).order_by(SystemRecord.row_number)) == "CG004"


def test_the_roster_can_be_replaced_only_before_the_draw(app, client, field, sign_in):
    sign_in("lead")
    response = client.post(f"/evaluations/{field.evaluation_id}/roster", data={
        "file": (io.BytesIO(ROSTER.read_bytes()), "roster.csv")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "台账不能再更换" in response.get_data(as_text=True)
    assert client.get(f"/evaluations/{field.evaluation_id}/roster").status_code == 200


def test_settings_changes_are_audited(app, client, field, sign_in):
    sign_in("lead")
    response = client.post(f"/evaluations/{field.evaluation_id}/settings", data={
        "status": "setup", "count_policy": "not_rejected", "min_interview_minutes": "15",
        "aid_tolerance": "0.2", "time_zone": "Asia/Urumqi"})
    assert response.status_code == 302
    with db_of(app) as db:
        evaluation = db.get(Evaluation, field.evaluation_id)
        assert (evaluation.status, evaluation.count_policy) == ("setup", "not_rejected")
        assert evaluation.time_zone == "Asia/Urumqi"
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "evaluation.settings"))
        assert entry.old_value["status"] == "fieldwork" and entry.new_value["aid_tolerance"] == 0.2
    refused = client.post(f"/evaluations/{field.evaluation_id}/settings", data={
        "status": "setup", "count_policy": "approved", "min_interview_minutes": "15",
        "aid_tolerance": "0.2", "time_zone": "Mars/Olympus"})
    assert refused.status_code == 400 and "不是时区名称" in refused.get_data(as_text=True)


@pytest.fixture
def cli(app, monkeypatch):
    monkeypatch.setenv("EVALUATOR_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("EVALUATOR_INSTANCE_PATH", app.config["INSTANCE_PATH"])
    monkeypatch.setenv("EVALUATOR_SECRET_KEY", "test")
    return lambda *args, input=None: CliRunner().invoke(main, list(args), input=input)


def test_users_passwd_and_role(app, cli, make_user):
    make_user("li", "evaluator", "old-password")
    changed = cli("users", "passwd", "li", input="new-password\nnew-password\n")
    assert changed.exit_code == 0, changed.output
    promoted = cli("users", "role", "li", "lead")
    assert promoted.exit_code == 0 and "evaluator -> lead" in promoted.output
    with db_of(app) as db:
        user = db.scalar(select(User).where(User.username == "li"))
        assert user.check_password("new-password") and not user.check_password("old-password")
        assert user.role == "lead"
    assert cli("users", "passwd", "ghost", input="x\nx\n").exit_code != 0
    assert cli("users", "role", "li", "emperor").exit_code != 0


def test_a_role_change_must_fit_the_evaluations_held(app, cli, field):
    demoted = cli("users", "role", field.username("evaluator"), "viewer")
    assert demoted.exit_code != 0
    assert "is evaluator in an evaluation" in demoted.output
    with db_of(app) as db:
        assert db.get(User, field.users["evaluator"]).role == "evaluator"
