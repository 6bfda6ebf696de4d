"""Personal numbers (PIPL) in every output, per role: a roster with a phone column, and a
mobile, an ID number, a bank card and a landline typed into answers, a finding and a judgement.
Leads see them in full where fieldwork needs them (a record, the findings); evaluators see the
team's findings masked; the roster list, every export, the bundle and the report (HTML and
PDF, the viewer's too) are masked for everyone; the stored roster never holds an ID whole."""

import csv
import io
import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from evaluator.fieldwork.models import Evaluation, Household, Submission
from evaluator.privacy import Scrubber, column_kind, mask_value, scrub
from evaluator.sheets import restore

SYSTEM = Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal" / "system.csv"
MOBILE, ID, CARD, LANDLINE = "13812345678", "110101199003071234", "6222021234567890", "0931-8123456"
TEXT = f"户主电话{MOBILE}，身份证{ID}，卡号{CARD}，村委会{LANDLINE}"
MASKED = ("138****5678", "110101********1234", "6222********7890", "0931-***3456")
FULL = (MOBILE, ID, CARD, "8123456")


def leaks(text: str) -> list[str]:
    return [number for number in FULL if number in text]


@pytest.fixture
def personal(app, client, field, sign_in, api_post, household_record):
    with app.extensions["evaluator.sessionmaker"]() as db:  # the roster came with phones
        evaluation = db.get(Evaluation, field.evaluation_id)
        evaluation.roster_columns = [*evaluation.roster_columns, "phone"]
        for n, h in enumerate(db.scalars(select(Household))):
            h.data = {**h.data, "phone": f"139{n:04d}{n:04d}"}
        db.commit()
    sign_in("lead")
    assert client.post(f"/evaluations/{field.evaluation_id}/system", data={
        "file": (io.BytesIO(SYSTEM.read_bytes()), "system.csv")},
        content_type="multipart/form-data").status_code == 302
    sign_in("evaluator")
    for household in field.sample:
        assert api_post(household_record(household, satisfaction="2",
                                         satisfaction_reason=TEXT)).status_code == 201
    base = f"/evaluations/{field.evaluation_id}"
    assert client.post(base + "/judgements", data={"indicator": "M4", "score": "7",
                                                   "reason": TEXT}).status_code == 302
    assert client.post(base + "/findings", data={
        "indicator": "F3", "severity": "major", "description": TEXT,
        "household_id": field.sample[1], "responsible_unit": "城关镇工会",
        "responsible_person": f"王主任 {MOBILE}", "deadline": "2027-02-28"},
        content_type="multipart/form-data").status_code == 302
    with app.extensions["evaluator.sessionmaker"]() as db:
        for s in db.scalars(select(Submission).where(Submission.current.is_(True))):
            s.review_state = "approved"
        db.get(Evaluation, field.evaluation_id).status = "finished"
        db.commit()
    return field


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_leads_see_fieldwork_numbers_evaluators_the_findings_masked(client, personal, sign_in):
    base = f"/evaluations/{personal.evaluation_id}"
    sign_in("lead")
    findings = page(client, base + "/findings")
    assert TEXT in findings and MOBILE in findings
    records = page(client, base + "/submissions?source=household")
    record = re.search(rf'href="{base}/submissions/(?!bulk)([^"?]+)"', records).group(1)
    assert TEXT in page(client, f"{base}/submissions/{record}")  # a record, for review
    roster = page(client, base + "/roster")
    assert "139****0000" in roster and "13900000000" not in roster  # a list: masked
    sign_in("evaluator")
    findings = page(client, base + "/findings")
    assert leaks(findings) == [] and all(m in findings for m in MASKED)


def test_every_file_that_leaves_the_app_is_masked(client, personal, sign_in):
    sign_in("lead")
    base = f"/evaluations/{personal.evaluation_id}"
    texts = {name: client.get(f"{base}/export/{name}").data.decode("utf-8-sig")
             for name in ("household.csv", "household-members.csv", "file_check.csv")}
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"{base}/export/household.xlsx").data))
    texts["household.xlsx"] = " ".join(str(c.value) for s in workbook.worksheets
                                       for r in s.iter_rows() for c in r)
    for raw in ("", "?raw=1"):
        with zipfile.ZipFile(io.BytesIO(client.get(f"{base}/bundle.zip{raw}").data)) as z:
            for name in z.namelist():
                texts[f"bundle{raw}/{name}"] = z.read(name).decode("utf-8-sig")
    for name, text in texts.items():
        assert leaks(text) == [], name
    assert all(m in texts["household.csv"] for m in MASKED)
    findings = list(csv.DictReader(io.StringIO(texts["bundle/findings.csv"])))
    assert restore(findings[0]["description"]) == scrub(TEXT)
    assert findings[0]["responsible_person"] == "王主任 138****5678"
    roster = list(csv.DictReader(io.StringIO(texts["bundle/roster.csv"])))
    assert roster[1]["phone"] == "139****0001" and roster[1]["household_id"]
    assert "head_name" not in roster[0] and "id_number" not in roster[0]


def test_the_report_is_masked_for_leads_and_viewers(client, personal, sign_in, tmp_path):
    base = f"/evaluations/{personal.evaluation_id}"
    for role in ("lead", "viewer"):
        sign_in(role)
        html = page(client, base + "/report")
        assert leaks(html) == [], role
        assert "138****5678" in html and "110101********1234" in html
    pdf = client.get(base + "/report.pdf")
    assert pdf.status_code == 200
    (tmp_path / "r.pdf").write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert leaks(text.replace(" ", "")) == [] and "138****5678" in text.replace(" ", "")


def test_an_id_number_is_never_stored_whole(app, field):
    with app.extensions["evaluator.sessionmaker"]() as db:
        ids = [h.data.get("id_number", "") for h in db.scalars(select(Household))]
    assert ids and all("*" in i for i in ids if i)


def test_the_policy_on_shapes_and_column_names():
    assert scrub(TEXT) == "户主电话138****5678，身份证110101********1234，卡号6222********7890，村委会0931-***3456"
    assert scrub("+86 138 1234 5678 / (010)12345678") == "+86 138 **** 5678 / (010)****5678"
    assert scrub("户 H0012 收入 32400 元，2026-01-05，编号 20261103") == \
        "户 H0012 收入 32400 元，2026-01-05，编号 20261103"  # amounts, dates, codes stay
    assert [column_kind(c) for c in ("phone", "联系电话", "手机号", "bank_card", "身份证号",
                                     "township", "household_size")] == \
        ["phone", "phone", "phone", "card", "id", None, None]
    assert mask_value("phone", "1381234567") == "138***4567"  # an odd phone, masked anyway
    assert Scrubber(["张三"])(f"张三 {MOBILE}") == "＊＊ 138****5678"
