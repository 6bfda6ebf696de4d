"""The feedback, appeal and rectification pages: the lead publishes the findings, the unit
(f-unit) answers each (a contest with a reason and a photo), the lead upholds one (the finding
is withdrawn and the score moves) and rejects another with a reason; rectification items move
open -> submitted -> verified with evidence, overdue ones stand out, the CSV exports them; the
unit sees personal numbers masked and nothing of another evaluation."""

from __future__ import annotations

import base64
import csv
import io
import re
import subprocess
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from evaluator.auth.models import User
from evaluator.bundle.hashing import data_hash
from evaluator.cli import main
from evaluator.feedback.models import FindingResponse
from evaluator.fieldwork.collect.operations import add_finding
from evaluator.fieldwork.manage import operations as manage
from evaluator.fieldwork.manage.uploads import check_roster
from evaluator.fieldwork.models import AuditEntry, Evaluation, Finding
from evaluator.rubrics.models import RubricVersion
from evaluator.surveys.models import SurveyVersion
from tests.conftest import FIXTURE_ROSTER

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAAB"
    "JRU5ErkJggg==")


@pytest.fixture
def findings(app, field):
    """Three findings of the fixture evaluation (two on the deduction indicator T3, one with a
    mobile number in its text) and one past its deadline."""
    storage = app.extensions["evaluator.storage"]
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        lead = db.get(User, field.users["lead"])
        evaluation = db.get(Evaluation, field.evaluation_id)
        ids = [add_finding(db, lead, evaluation, indicator=indicator, severity=severity,
                           description=text, household_id="", responsible_unit="县总工会",
                           responsible_person="张三", deadline=deadline, photos=[],
                           storage=storage).id
               for indicator, severity, text, deadline in (
                   ("T3", "major", "漏评一户，联系电话13812345678", date.today() + timedelta(30)),
                   ("T3", "minor", "漏评一户", date.today() + timedelta(30)),
                   ("F3", "major", "重复发放慰问金", date.today() - timedelta(1)))]
    return ids


def sign_in(client, username, password="secret-pass"):
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"username": username,
                                            "password": password}).status_code == 302


def score_now(page: str) -> str:
    return re.search(r'id="score-now">([^<]+)<', page).group(1)


def test_publish_contest_uphold_reject_and_the_score_moves(app, client, field, findings):
    base = f"/evaluations/{field.evaluation_id}/feedback"
    sign_in(client, "f-unit")
    page = client.get(base)
    assert page.status_code == 200 and "尚未反馈" in page.text and "漏评一户" not in page.text
    assert client.get(f"/evaluations/{field.evaluation_id}").status_code == 302  # lands here

    sign_in(client, "f-lead")
    assert client.post(base + "/publish", data={
        "deadline": (date.today() - timedelta(1)).isoformat()}).status_code == 400  # past
    response = client.post(base + "/publish", data={
        "deadline": (date.today() + timedelta(7)).isoformat()})
    assert response.status_code == 302
    before = score_now(client.get(base).text)

    sign_in(client, "f-unit")
    page = client.get(base)
    assert "138****5678" in page.text and "13812345678" not in page.text  # masked for the unit
    # a contest without a reason is refused, with the rule said
    refused = client.post(f"{base}/{findings[0]}/answer", data={"answer": "contested", "reason": ""})
    assert refused.status_code == 400 and "reason" in refused.text
    assert client.post(f"{base}/{findings[0]}/answer", data={
        "answer": "contested", "reason": "该户已于10月补录，见照片",
        "photos": [(io.BytesIO(PNG), "proof.png")]},
        content_type="multipart/form-data").status_code == 302
    assert client.post(f"{base}/{findings[1]}/answer", data={
        "answer": "contested", "reason": "不同意"}).status_code == 302
    assert client.post(f"{base}/{findings[2]}/answer", data={"answer": "accepted"}).status_code == 302
    again = client.post(f"{base}/{findings[2]}/answer", data={"answer": "accepted"})
    assert again.status_code == 409
    # the unit may not decide its own appeal
    with app.extensions["evaluator.sessionmaker"]() as db:
        responses = {r.finding_id: r.id for r in db.scalars(select(FindingResponse))}
    assert client.post(f"{base}/appeals/{responses[findings[0]]}",
                       data={"outcome": "upheld", "change": "withdrawn"}).status_code == 403

    sign_in(client, "f-lead")
    page = client.get(base).text
    assert "该户已于10月补录" in page and "proof.png" in page
    assert client.post(f"{base}/appeals/{responses[findings[1]]}",
                       data={"outcome": "rejected", "reason": ""}).status_code == 400
    assert client.post(f"{base}/appeals/{responses[findings[1]]}",
                       data={"outcome": "rejected", "reason": "核查属实"}).status_code == 302
    assert client.post(f"{base}/appeals/{responses[findings[0]]}",
                       data={"outcome": "upheld", "change": "withdrawn",
                             "reason": "补录材料属实"}).status_code == 302
    page = client.get(base).text
    after = score_now(page)
    assert "申诉成立" in page and "申诉不成立" in page and "核查属实" in page
    # one deduction finding fewer on T3: the total rises (T3 deducts per finding)
    assert float(after) > float(before), (before, after)
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.get(Finding, findings[0]).status == "withdrawn"
        actions = [a.action for a in db.scalars(select(AuditEntry).where(
            AuditEntry.action.like("appeal.%")).order_by(AuditEntry.id))]
    assert actions == ["appeal.contested", "appeal.contested", "appeal.accepted",
                       "appeal.rejected", "appeal.upheld"]

    # the report's appendix lists every answer and decision, and the score before and after
    report = client.get(f"/evaluations/{field.evaluation_id}/report")
    assert report.status_code == 200, report.text[:500]
    appendix = report.text[report.text.index('id="appendix-appeals"'):]
    assert "反馈与申诉处理情况" in appendix
    assert f"反馈时综合得分{before}" in appendix and f"申诉处理后综合得分{after}" in appendix
    assert "认可1个，申诉2个" in appendix and "申诉成立1个（撤销1个、修改0个），不成立1个" in appendix
    assert "138****5678" in appendix and "13812345678" not in appendix  # masked in reports
    assert "申诉成立（问题撤销）" in appendix and "补录材料属实" in appendix and "核查属实" in appendix
    english = client.get(f"/evaluations/{field.evaluation_id}/report?lang=en").text
    assert "Feedback and appeals" in english and "upheld (finding withdrawn)" in english


def test_rectification_items_move_and_overdue_ones_stand_out(app, client, field, findings,
                                                             tmp_path):
    base = f"/evaluations/{field.evaluation_id}/rectification"
    sign_in(client, "f-unit")
    page = client.get(base).text
    assert page.index(f'id="item-{findings[2]}"') < page.index(f'id="item-{findings[0]}"')
    assert f'class="card finding sev-major overdue" id="item-{findings[2]}"' in page
    # the lead cannot submit for the unit; the unit cannot verify its own work
    assert client.post(f"{base}/{findings[2]}", data={"to_state": "verified"}).status_code == 409
    assert client.post(f"{base}/{findings[2]}", data={"to_state": "submitted", "note": ""}
                       ).status_code == 400  # a submission says what was done
    assert client.post(f"{base}/{findings[2]}", data={
        "to_state": "submitted", "note": "已追回重复发放款项",
        "photos": [(io.BytesIO(PNG), "receipt.png")]},
        content_type="multipart/form-data").status_code == 302
    sign_in(client, "f-lead")
    assert client.post(f"{base}/{findings[2]}", data={"to_state": "verified"}).status_code == 302
    page = client.get(base).text
    assert "已追回重复发放款项" in page and "receipt.png" in page
    assert f'class="card finding sev-major overdue" id="item-{findings[2]}"' not in page
    rows = list(csv.DictReader(io.StringIO(client.get(base + ".csv").data.decode("utf-8-sig"))))
    states = {int(r["finding"]): (r["state"], r["overdue"]) for r in rows}
    assert states[findings[2]] == ("verified", "")
    assert states[findings[0]] == ("open", "")

    # the one-page status report: every item, numbers masked (a file that leaves the app)
    pdf = client.get(base + ".pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    path = tmp_path / "status.pdf"
    path.write_bytes(pdf.data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\b", info)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True).stdout
    assert "整改情况一览" in text and "共3项" in text and "已核验销号1项" in text
    assert "13812345678" not in text


def pdf_pages(data: bytes, tmp_path: Path) -> list[str]:
    """The text of each page of a PDF (pdftotext, form feeds between pages)."""
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]


def test_the_rectification_status_report_pages_through_hundreds_of_items(app, client, field,
                                                                          tmp_path):
    """500 items (a large unit's list): as many pages as they need, each numbered of the total
    and headed with the columns, every item on some page, a row longer than a page whole."""
    storage = app.extensions["evaluator.storage"]
    longest = "".join(f"第{k}段整改说明未完成。" for k in range(1, 301))  # ~3,600 characters
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        lead = db.get(User, field.users["lead"])
        evaluation = db.get(Evaluation, field.evaluation_id)
        for k in range(1, 501):
            text = f"Q{k:04d} 台账与系统数据不一致" + ("，慰问金发放无签字" * (k % 4))
            add_finding(db, lead, evaluation, indicator="F3", severity="minor",
                        description=longest if k == 250 else text, household_id="",
                        responsible_unit="县总工会", responsible_person="张三",
                        deadline=date.today() + timedelta(30 if k % 9 else -1), photos=[],
                        storage=storage)
    sign_in(client, "f-lead")
    pdf = client.get(f"/evaluations/{field.evaluation_id}/rectification.pdf")
    assert pdf.status_code == 200
    pages = pdf_pages(pdf.data, tmp_path)
    assert len(pages) > 12  # ~40 rows a page at most
    for number, page in enumerate(pages, 1):
        assert f"第 {number} 页 / 共 {len(pages)} 页" in page, number
        assert "完成时限" in page and "最近进展" in page, number  # the headings repeat
    text = "".join(pages)
    assert "共500项" in text and "逾期未销号55项" in text
    missing = [k for k in range(1, 501) if k != 250 and f"Q{k:04d}" not in text]
    assert missing == []
    # the one row longer than a page: split, not clipped (every sentence, in order)
    # (a page's footer and running head may fall inside a sentence: its numbers, in order)
    flat = re.sub(r"\s+", "", text)
    assert [int(k) for k in re.findall(r"第(\d+)段整改", flat)] == list(range(1, 301))
    english = pdf_pages(client.get(f"/evaluations/{field.evaluation_id}/rectification.pdf"
                                   "?lang=en").data, tmp_path)
    assert len(english) > 12 and f"Page {len(english)} of {len(english)}" in english[-1]
    assert all("Deadline" in page for page in english)


def test_a_unit_never_sees_another_units_evaluation(app, client, field, findings, make_user):
    """f-unit2 is the unit of a second evaluation: the first one's pages, findings, evidence
    and exports do not exist for it."""
    make_user("f-unit2", "unit", "secret-pass")
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        lead = db.get(User, field.users["lead"])
        first = db.get(Evaluation, field.evaluation_id)
        other = manage.create_evaluation(
            db, lead, key="other-eval", title_zh="另一评估", title_en="", evaluated_unit="另一县",
            commissioning_body="市总工会", period_start=first.period_start,
            period_end=first.period_end, rubric=db.scalar(select(RubricVersion)),
            surveys={v.source: v for v in db.scalars(select(SurveyVersion))},
            roster=check_roster("roster.csv", Path(FIXTURE_ROSTER).read_bytes(), "stratum"),
            stratum_column="stratum")
        manage.add_member(db, lead, other, db.scalar(select(User).where(User.username == "f-unit2")),
                          "unit")
    sign_in(client, "f-unit2")
    for path in ("", "/feedback", "/rectification", "/rectification.csv", "/findings", "/scores"):
        assert client.get(f"/evaluations/{field.evaluation_id}{path}").status_code == 404, path
    assert client.post(f"/evaluations/{field.evaluation_id}/feedback/{findings[0]}/answer",
                       data={"answer": "accepted"}).status_code == 404
    listing = client.get("/evaluations").text
    assert "测试评估" not in listing and "另一评估" in listing


def test_the_pdf_cache_key_moves_with_every_answer_and_decision():
    """A rejected appeal changes the appendix, not the data hash: the kept PDF must not serve."""
    from evaluator.fieldwork.exports.report import cache_key
    from evaluator.reports.appeals import AppealRow, Appeals

    row = AppealRow("T3", "漏评一户", "contested", "不同意", "pending", "", "")
    pending = Appeals("2026-12-01", "2026-12-10", 3, 80.0, "良好", (row,))
    decided = Appeals("2026-12-01", "2026-12-10", 3, 80.0, "良好",
                      (AppealRow("T3", "漏评一户", "contested", "不同意", "rejected", "", "核查属实"),))
    day = date(2026, 12, 20)
    plain = cache_key("d" * 64, "r" * 64, "zh", day, draft=False)
    assert plain == cache_key("d" * 64, "r" * 64, "zh", day, draft=False, appeals="")
    keys = {plain, *(cache_key("d" * 64, "r" * 64, "zh", day, draft=False, appeals=a.digest())
                     for a in (pending, decided))}
    assert len(keys) == 3
    assert pending.digest() == Appeals("2026-12-01", "2026-12-10", 3, 80.0, "良好", (row,)).digest()


def previous_evaluation(app, field, *, key="last-year", unit="演示县总工会", seed=11):
    """Last year's evaluation of the same unit (its own sample), led by f-lead, with one
    rectification item verified and one left open past its deadline."""
    storage = app.extensions["evaluator.storage"]
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        lead = db.get(User, field.users["lead"])
        first = db.get(Evaluation, field.evaluation_id)
        made = manage.create_evaluation(
            db, lead, key=key, title_zh="去年的评估", title_en="", evaluated_unit=unit,
            commissioning_body="演示市总工会", period_start=date(2024, 11, 1),
            period_end=date(2025, 10, 31), rubric=db.get(RubricVersion, first.rubric_version_id),
            surveys={v.source: v for v in db.scalars(select(SurveyVersion))},
            roster=check_roster("roster.csv", Path(FIXTURE_ROSTER).read_bytes(), "stratum"),
            stratum_column="stratum")
        manage.draw_sample(db, lead, made, seed=seed, size=4, min_per_stratum=2, reserve=1)
        for text, state in (("台账未更新", "verified"), ("慰问金发放无签字", "open")):
            finding = add_finding(db, lead, made, indicator="F3", severity="minor",
                                  description=text, household_id="", responsible_unit="县总工会",
                                  responsible_person="李四", deadline=date(2025, 12, 31),
                                  photos=[], storage=storage)
            finding.rectification = state
        return made.id


def test_looking_back_at_last_years_evaluation(app, client, field, findings):
    previous = previous_evaluation(app, field)
    other = previous_evaluation(app, field, key="other-unit", unit="另一个县总工会")
    base = f"/evaluations/{field.evaluation_id}/lookback"
    sign_in(client, "f-unit")
    assert client.get(base).status_code == 403
    sign_in(client, "f-lead")
    page = client.get(base).text
    assert "last-year" in page and "other-unit" not in page  # only the same unit is offered
    refused = client.post(base, data={"previous": other})
    assert refused.status_code == 400  # not a choice of the form
    assert client.post(base, data={"previous": previous}).status_code == 302
    page = client.get(base).text
    assert 'id="changes"' in page and "超出抽样误差" in page
    assert "上一轮整改清单共2项：已核验销号1项，逾期未销号1项" in page
    report = client.get(f"/evaluations/{field.evaluation_id}/report").text
    appendix = report[report.index('id="appendix-lookback"'):]
    assert "回头看：与上一轮评估比较" in appendix and "last-year" in appendix
    assert "慰问金发放无签字" in appendix and "未整改（逾期）" in appendix
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.get(Evaluation, field.evaluation_id).previous_id == previous
        assert db.scalar(select(AuditEntry.action).where(
            AuditEntry.action == "evaluation.previous")) == "evaluation.previous"
    # and back to none
    assert client.post(base, data={"previous": 0}).status_code == 302
    assert 'id="changes"' not in client.get(base).text


def test_set_previous_refuses_another_unit_or_a_cycle(app, field):
    from evaluator.feedback.operations import set_previous
    from evaluator.fieldwork.audit import OperationError

    previous = previous_evaluation(app, field)
    other = previous_evaluation(app, field, key="other-unit", unit="另一个县总工会")
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        lead = db.get(User, field.users["lead"])
        this, last, elsewhere = (db.get(Evaluation, i) for i in (field.evaluation_id, previous, other))
        for target, message in ((elsewhere, "look back at the same unit"), (this, "itself")):
            with pytest.raises(OperationError, match=message):
                set_previous(db, lead, this, target)
        set_previous(db, lead, last, this)
        with pytest.raises(OperationError, match="already looks back"):
            set_previous(db, lead, this, last)
        with pytest.raises(OperationError, match="team lead"):
            set_previous(db, db.get(User, field.users["evaluator"]), this, None)


def test_the_bundle_carries_the_appendices_and_the_command_line_prints_the_web_report(
        app, client, field, findings, tmp_path):
    """Appeals decided and a look-back named: bundle.zip carries appeals.yaml and lookback.yaml
    (masked, outside the data hash), and `evaluator report` of the downloaded bundle writes the
    web's PDF byte for byte, both appendices included, in both languages."""
    previous = previous_evaluation(app, field)
    base = f"/evaluations/{field.evaluation_id}"
    sign_in(client, "f-lead")
    assert client.post(base + "/feedback/publish", data={
        "deadline": (date.today() + timedelta(7)).isoformat()}).status_code == 302
    assert client.post(base + "/lookback", data={"previous": previous}).status_code == 302
    sign_in(client, "f-unit")
    for finding, answer in ((findings[0], {"answer": "contested", "reason": "已补录"}),
                            (findings[1], {"answer": "contested",
                                           "reason": "请致电13912345678核实"}),
                            (findings[2], {"answer": "accepted"})):
        assert client.post(f"{base}/feedback/{finding}/answer", data=answer).status_code == 302
    with app.extensions["evaluator.sessionmaker"]() as db:
        responses = {r.finding_id: r.id for r in db.scalars(select(FindingResponse))}
    sign_in(client, "f-lead")
    assert client.post(f"{base}/feedback/appeals/{responses[findings[0]]}", data={
        "outcome": "upheld", "change": "withdrawn", "reason": "补录属实"}).status_code == 302
    assert client.post(f"{base}/feedback/appeals/{responses[findings[1]]}", data={
        "outcome": "rejected", "reason": "核查属实"}).status_code == 302
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        db.get(Evaluation, field.evaluation_id).status = "finished"

    archive = tmp_path / "bundle.zip"
    archive.write_bytes(client.get(base + "/bundle.zip").data)
    with zipfile.ZipFile(archive) as z:
        files = {name: z.read(name) for name in z.namelist()}
    assert {"appeals.yaml", "lookback.yaml"} <= set(files)
    appeals = files["appeals.yaml"].decode("utf-8")
    assert "139****5678" in appeals and "13912345678" not in appeals  # masked as the rest
    assert "慰问金发放无签字" in files["lookback.yaml"].decode("utf-8")
    # not data: the data hash is the one of the bundle without them (the scores page's)
    plain = {n: b for n, b in files.items() if n not in ("appeals.yaml", "lookback.yaml")}
    assert data_hash(files) == data_hash(plain)
    checked = CliRunner().invoke(main, ["bundle", "check", str(archive)])
    assert checked.exit_code == 0, checked.output

    for lang, titles in (("zh", ("反馈与申诉处理情况", "回头看")),
                         ("en", ("Feedback and appeals", "Looking back"))):
        web = client.get(f"{base}/report.pdf?lang={lang}")
        assert web.status_code == 200 and web.data.startswith(b"%PDF")
        out = tmp_path / f"cli-{lang}.pdf"
        result = CliRunner().invoke(main, ["report", str(archive), "--out", str(out),
                                           "--lang", lang])
        assert result.exit_code == 0, result.output
        text = "".join(pdf_pages(out.read_bytes(), tmp_path))
        assert all(title in text for title in titles), lang
        assert "13912345678" not in text
        assert out.read_bytes() == web.data, lang


def test_a_malformed_appendix_file_is_named_not_a_traceback(app, client, field, findings,
                                                           tmp_path):
    sign_in(client, "f-lead")
    base = f"/evaluations/{field.evaluation_id}"
    assert client.post(base + "/feedback/publish", data={
        "deadline": (date.today() + timedelta(7)).isoformat()}).status_code == 302
    with zipfile.ZipFile(io.BytesIO(client.get(base + "/bundle.zip").data)) as z:
        files = {name: z.read(name) for name in z.namelist()}
    files["appeals.yaml"] = files["appeals.yaml"].replace(b"published_findings: 3",
                                                          b"published_findings: three")
    archive = tmp_path / "broken.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    result = CliRunner().invoke(main, ["report", str(archive), "--out", str(tmp_path / "r.pdf")])
    assert result.exit_code == 1
    assert "appeals.yaml: published_findings: expected a whole number, found 'three'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "r.pdf").exists()
