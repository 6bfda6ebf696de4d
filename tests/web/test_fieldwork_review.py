"""Review and results: review states with comments, quality flags, the call-back sample, the
audit trail, ODK-style exports, and a bundle that `evaluator score` scores to the page's numbers."""

import csv
import io
import json
import uuid
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from evaluator.cli import main
from evaluator.fieldwork.models import AuditEntry, Evaluation, Recheck, ReviewEvent, Submission

SYSTEM = Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal" / "system.csv"


def file_check_record(field, household_id):
    return {"instance_id": str(uuid.uuid4()), "evaluation_id": field.evaluation_id,
            "source": "file_check", "household_id": household_id,
            "started_at": "2026-11-04T10:00:00+08:00", "ended_at": "2026-11-04T10:20:00+08:00",
            "answers": {"household_id": household_id, "file_status": "registered",
                        "file_cause": "illness", "file_aid_total": "3000",
                        "has_application": "yes", "income_verified": "yes",
                        "public_notice": "yes", "approval_signed": "yes", "has_plan": "yes",
                        "helper_recorded": "yes", "visit_records": "yes",
                        "vouchers_complete": "yes"}}


@pytest.fixture
def collected(app, client, field, sign_in, api_post, household_record):
    """Every sampled household visited and its file checked; the system export uploaded."""
    sign_in("lead")
    assert client.post(f"/evaluations/{field.evaluation_id}/system", data={
        "file": (io.BytesIO(SYSTEM.read_bytes()), "system.csv")},
        content_type="multipart/form-data").status_code == 302
    sign_in("evaluator")
    ids = {}
    for n, household in enumerate(field.sample):
        record = household_record(household, satisfaction=str(2 + n % 3),
                                  satisfaction_reason="等待太久" if n % 3 == 0 else "")
        if n == 0:
            record["ended_at"] = "2026-11-03T09:04:00+08:00"  # a 4-minute interview
        if n == 1:
            record["gps"] = {"lat": 36.06, "lon": 103.83, "accuracy": 8}
        assert api_post(record).status_code == 201
        assert api_post(file_check_record(field, household)).status_code == 201
        ids[household] = record["instance_id"]
    return ids


def review(client, field, instance_id, state, comment=""):
    return client.post(f"/evaluations/{field.evaluation_id}/submissions/{instance_id}",
                       data={"state": state, "comment": comment})


def test_review_states_with_comments_and_history(app, client, field, sign_in, collected):
    sign_in("lead")
    instance_id = collected[field.sample[0]]
    needs_comment = review(client, field, instance_id, "hasIssues")
    assert needs_comment.status_code == 400
    assert "必须填写审核意见" in needs_comment.get_data(as_text=True)
    assert review(client, field, instance_id, "hasIssues", "收入口径不清").status_code == 302
    assert review(client, field, instance_id, "approved").status_code == 302
    page = client.get(f"/evaluations/{field.evaluation_id}/submissions/{instance_id}")
    html = page.get_data(as_text=True)
    assert "收入口径不清" in html and "审核通过" in html
    with app.extensions["evaluator.sessionmaker"]() as db:
        events = [(e.from_state, e.to_state) for e in db.scalars(select(ReviewEvent)
                                                                   .order_by(ReviewEvent.id))]
        assert events == [("received", "hasIssues"), ("hasIssues", "approved")]
        audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "submission.review")
                           .order_by(AuditEntry.id)).all()
        assert audit[0].old_value == "received" and audit[0].new_value["comment"] == "收入口径不清"
    listing = client.get(f"/evaluations/{field.evaluation_id}/submissions?state=approved")
    assert field.sample[0] in listing.get_data(as_text=True)
    assert field.sample[1] not in listing.get_data(as_text=True)


def test_evaluators_cannot_review_and_replaced_records_cannot_be_reviewed(
        app, client, field, sign_in, collected, api_post, household_record):
    sign_in("evaluator")
    instance_id = collected[field.sample[1]]
    assert review(client, field, instance_id, "approved").status_code == 403
    edit = household_record(field.sample[1], satisfaction="5")
    edit["deprecated_id"] = instance_id
    assert api_post(edit).status_code == 201
    sign_in("lead")
    stale = review(client, field, instance_id, "approved")
    assert stale.status_code == 409 and "此记录已被修改版替代" in stale.get_data(as_text=True)
    assert review(client, field, edit["instance_id"], "approved").status_code == 302
    sign_in("evaluator")
    again = household_record(field.sample[1], satisfaction="3")
    again["deprecated_id"] = edit["instance_id"]
    locked = api_post(again)
    assert locked.status_code == 409 and "已被评估组长标记为“审核通过”" in locked.get_json()["message"]


def test_quality_flags_point_at_what_to_check(client, field, sign_in, collected):
    sign_in("lead")
    html = client.get(f"/evaluations/{field.evaluation_id}/quality").get_data(as_text=True)
    assert "访谈过短" in html and "4.0" in html
    assert "缺少定位" in html
    assert "资金与系统不符" in html  # CG005: 3000 at the door, 0 in the system


def test_quality_rules():
    from evaluator.fieldwork.review.quality import aid_differs

    assert not aid_differs(3000, 3000, 0.1)
    assert not aid_differs(0, 0, 0.1)
    assert not aid_differs(2800, 3000, 0.1)
    assert aid_differs(2600, 3000, 0.1)
    assert aid_differs(3000, 0, 0.5)


def test_the_call_back_sample_is_seeded_and_recorded(app, client, field, sign_in, collected):
    sign_in("lead")
    url = f"/evaluations/{field.evaluation_id}/recheck"
    assert client.post(url, data={"size": "2", "seed": "11"}).status_code == 302
    with app.extensions["evaluator.sessionmaker"]() as db:
        first = sorted(db.scalars(select(Submission.instance_id).join(
            Recheck, Recheck.submission_id == Submission.id)))
    import random

    pool = sorted(collected.values())
    assert sorted(random.Random(11).sample(pool, 2)) == first
    assert client.post(url, data={"size": "10", "seed": "12"}).status_code == 302
    with app.extensions["evaluator.sessionmaker"]() as db:
        drawn = db.scalars(select(Recheck)).all()
        assert len(drawn) == len(pool)  # the rest, each once
        recheck = drawn[0]
    empty = client.post(url, data={"size": "1", "seed": "13"})
    assert empty.status_code == 409
    outcome_url = f"{url}/{recheck.id}"
    assert client.post(outcome_url, data={"outcome": "differs", "note": ""}).status_code == 400
    assert client.post(outcome_url, data={"outcome": "differs",
                                          "note": "回访时户主称未接受调查"}).status_code == 302
    assert "回访时户主称未接受调查" in client.get(
        f"/evaluations/{field.evaluation_id}/quality").get_data(as_text=True)


def test_the_audit_trail_lists_who_did_what(client, field, sign_in, collected):
    sign_in("lead")
    html = client.get(f"/evaluations/{field.evaluation_id}/audit").get_data(as_text=True)
    for action, words in (("evaluation.create", "创建评估"), ("sample.draw", "样本已抽取"),
                          ("assign.stratum", "分派样本户"), ("system.upload", "上传系统数据"),
                          ("submission.create", "接收记录")):
        assert words in html and action not in html, action  # audit events by name, not code
    assert "f-evaluator" in html and "f-lead" in html


def test_odk_style_exports(app, client, field, sign_in, collected):
    sign_in("lead")
    main_csv = client.get(f"/evaluations/{field.evaluation_id}/export/household.csv")
    assert main_csv.status_code == 200
    assert "attachment" in main_csv.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(main_csv.data.decode("utf-8-sig"))))
    assert len(table) == len(field.sample)
    header = list(table[0])
    assert header[0] == "SubmissionDate"
    for column in ("basic-household_id", "household-household_size", "income-per_capita_income",
                   "closing-location-Latitude", "meta-instanceID", "KEY", "ReviewState",
                   "SubmitterName"):
        assert column in header, column
    assert table[0]["meta-instanceID"].startswith("uuid:")
    members = client.get(f"/evaluations/{field.evaluation_id}/export/household-members.csv")
    member_rows = list(csv.DictReader(io.StringIO(members.data.decode("utf-8-sig"))))
    assert len(member_rows) == 2 * len(field.sample)
    assert member_rows[0]["PARENT_KEY"] in {r["KEY"] for r in table}
    assert member_rows[0]["KEY"].endswith("/members[1]")
    xlsx = client.get(f"/evaluations/{field.evaluation_id}/export/household.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["household", "household-members"]
    assert book["household"].max_row == len(field.sample) + 1
    assert client.get(f"/evaluations/{field.evaluation_id}/export/gossip.csv").status_code == 404
    assert client.get(f"/evaluations/{field.evaluation_id}/export/household.pdf").status_code == 404


def test_the_bundle_scores_to_the_numbers_of_the_scores_page(app, client, field, sign_in,
                                                            collected, tmp_path, monkeypatch):
    from evaluator.fieldwork.exports.scores import score_evaluation

    sign_in("lead")
    for instance_id in collected.values():
        assert review(client, field, instance_id, "approved").status_code == 302
    with app.extensions["evaluator.sessionmaker"]() as db:
        for s in db.scalars(select(Submission).where(Submission.source == "file_check")):
            s.review_state = "approved"
        db.commit()
    page = client.get(f"/evaluations/{field.evaluation_id}/scores")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
        scored = score_evaluation(db, db.get(Evaluation, field.evaluation_id))
    assert scored.problems == [] and scored.sheet is not None
    assert f"<b>{scored.sheet.total:.2f}</b>" in html
    assert scored.sheet.grade in html and "对象准" in html
    bundle = client.get(f"/evaluations/{field.evaluation_id}/bundle.zip")
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(bundle.data)
    names = zipfile.ZipFile(archive).namelist()
    assert {"evaluation.yaml", "roster.csv", "sample.csv", "household.csv",
            "household-members.csv", "file_check.csv", "system.csv", "findings.csv",
            "judgements.csv"} <= set(names)
    roster = zipfile.ZipFile(archive).read("roster.csv").decode("utf-8-sig")
    assert "head_name" not in roster and "演示户" not in roster  # personal columns stay home
    result = CliRunner().invoke(main, ["score", str(archive), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert result.output == scored.sheet.to_json()
    assert json.loads(result.output)["total"] == scored.sheet.total


def test_only_approved_records_count_unless_the_lead_says_otherwise(app, client, field, sign_in,
                                                                   collected):
    from evaluator.fieldwork.exports.files import bundle_files

    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
        evaluation = db.get(Evaluation, field.evaluation_id)
        approved_only = bundle_files(db, evaluation)["household.csv"].decode("utf-8-sig")
        evaluation.count_policy = "not_rejected"
        everything = bundle_files(db, evaluation)["household.csv"].decode("utf-8-sig")
    assert len(approved_only.strip().splitlines()) == 1  # the header: nothing approved yet
    assert len(everything.strip().splitlines()) == 1 + len(field.sample)


def test_scores_are_for_leads_and_for_viewers_once_finished(app, client, field, sign_in):
    url = f"/evaluations/{field.evaluation_id}/scores"
    sign_in("viewer")
    assert client.get(url).status_code == 403
    assert "尚未完成" in client.get(f"/evaluations/{field.evaluation_id}").get_data(as_text=True)
    sign_in("evaluator")
    assert client.get(url).status_code == 403
    with app.extensions["evaluator.sessionmaker"]() as db:
        db.get(Evaluation, field.evaluation_id).status = "finished"
        db.commit()
    sign_in("viewer")
    finished = client.get(url)
    assert finished.status_code == 200
    assert "数据尚不能评分" in finished.get_data(as_text=True) or "对象准" in \
        finished.get_data(as_text=True)


def test_my_assignments_show_status_and_progress(client, field, sign_in, collected):
    sign_in("evaluator")
    html = client.get("/assignments").get_data(as_text=True)
    total = 2 * (len(field.sample) + len(field.reserve))
    done = 2 * len(field.sample)
    assert f"{done}/{total}" in html
    assert html.count('data-server-state="submitted"') == done
    assert "data-queue-count" in html
    for household in field.reserve:
        assert household in html
