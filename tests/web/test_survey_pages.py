"""Surveys in the browser: upload an XLSForm with its CSV -> every problem by sheet, row and
column in the author's language -> preview (nothing stored) -> publish (audited, immutable,
refused with problems) -> download as XLSForm and YAML, which import back to the same model.

The broken forms are real ones from pyxform's test suite (tests/corpus, fetched by ``make
corpus``) where the corpus is there, and workbooks written here with openpyxl otherwise.
"""

from __future__ import annotations

import html as markup
import io
import re
import zipfile
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from survey_workbooks import SURVEY, TOWNS_CSV, workbook

from evaluator.fieldwork import forms
from evaluator.fieldwork.models import AuditEntry, Submission
from evaluator.rubrics.definition import content_hash
from evaluator.surveys import xlsform
from evaluator.surveys.models import ImmutableSurveyError, SurveyVersion
from evaluator.surveys.xlsform import read_xlsform
from evaluator.surveys_web import operations
from evaluator.surveys_web.models import SurveyUpload

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "cache" / "pyxform-1.3.4" / "pyxform" \
    / "tests"


def counts(app) -> tuple[int, int, int]:
    with app.extensions["evaluator.sessionmaker"]() as db:
        return (db.scalar(select(func.count(SurveyVersion.id))),
                db.scalar(select(func.count(Submission.id))),
                db.scalar(select(func.count(SurveyUpload.id))))


def send(client, data: bytes, name: str = "visit.xlsx", files=(), language=""):
    form = {"workbook": (io.BytesIO(data), name), "language": language,
            "attachments": [(io.BytesIO(body), file) for file, body in files]}
    return client.post("/studio/surveys/upload", data=form, content_type="multipart/form-data")


def cells(html: str, kind: str) -> list[list[str]]:
    """The rows of the page's problems (or warnings) table: file, sheet, row, column, what."""
    table = re.search(rf"<table class=\"problems-table\" data-{kind}>(.*?)</table>", html, re.S)
    assert table, f"no {kind} table"
    rows = []
    for row in re.findall(r"<tr data-sheet.*?</tr>", table.group(1), re.S):
        found = [markup.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append([re.sub(r"\s*(English original|英文原文).*", "", c, flags=re.S) for c in found])
    return rows


@pytest.fixture
def author(sign_in):
    sign_in("author")


def uploaded(client, app, **kwargs) -> int:
    response = send(client, workbook(**kwargs), files=[("towns.csv", TOWNS_CSV)])
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


# -- upload: problems by sheet, row and column -------------------------------------------------


def test_a_broken_corpus_form_is_refused_with_its_row_in_chinese_and_nothing_stored(
        client, app, author):
    path = CORPUS / "bug_example_xls" / "not_closed_group_test.xls"
    if not path.is_file():
        pytest.skip("no corpus (offline?): run `make corpus`")
    before = counts(app)
    response = send(client, path.read_bytes(), name=path.name)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    [row] = cells(html, "problems")
    assert row[:4] == ["not_closed_group_test.xls", "survey", "3", "–"]
    # pyxform's reason, said in Chinese (its English one click away)
    assert row[4] == "pyxform 拒绝此表单：“begin_group”（名称“open_group_1”）没有对应的“end_group”"
    assert "Unmatched &#39;begin_group&#39;. No matching &#39;end_group&#39;" in html
    assert counts(app) == before


def test_a_corpus_form_with_warnings_lists_each_by_sheet_row_and_column(client, app, author,
                                                                       english):
    path = CORPUS / "example_xls" / "warnings.xls"
    if not path.is_file():
        pytest.skip("no corpus (offline?): run `make corpus`")
    response = send(client, path.read_bytes(), name=path.name)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    rows = cells(page, "warnings")
    # the same warnings, in the same places, as `evaluator xlsform import` prints
    expected = read_xlsform(path).warnings
    assert len(rows) == len(expected) == 9  # 'minimal' (row 12) runs on the tablet now
    assert ["warnings.xls", "choices", "6", "–", "the choice has no label: the tablet shows its "
            "name"] in rows
    assert ["warnings.xls", "survey", "4", "label",
            "a note without a label shows nothing"] in rows
    client.get("/?lang=zh")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ["warnings.xls", "survey", "4", "label", "没有标签的说明不显示任何内容"] in cells(page,
                                                                                   "warnings")
    assert "默认语言 en（根据标签文字判断）" in page  # how the form was read, in Chinese too
    assert "settings 工作表中没有版本号：使用 1" in page


def test_a_problem_in_a_cell_is_named_by_sheet_row_and_column(client, app, author):
    broken = [list(r) for r in SURVEY]
    broken[2][0] = "integr"  # row 3 of the survey sheet: a misspelt type
    response = send(client, workbook(survey=broken), files=[("towns.csv", TOWNS_CSV)])
    assert response.status_code == 400
    [row] = cells(response.get_data(as_text=True), "problems")
    assert row[:3] == ["visit.xlsx", "survey", "3"]
    assert "integr" in row[4]


def test_an_attached_csv_is_kept_and_a_missing_one_is_a_warning_at_its_row(client, app, author):
    upload_id = uploaded(client, app)
    with app.extensions["evaluator.sessionmaker"]() as db:
        kept = db.get(SurveyUpload, upload_id)
        assert kept.attached == ["towns.csv"]
        assert kept.content["files"]["towns.csv"]["rows"] == [["chengguan", "城关镇"],
                                                               ["xinhe", "新河乡"]]
        assert kept.warnings == []
    response = send(client, workbook())  # without the CSV
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    [row] = cells(page, "warnings")
    assert row[:4] == ["visit.xlsx", "survey", "4", "type"]
    assert row[4].startswith("文件 'towns.csv' 未附上")
    # and so it is: the preview asks the township as text
    preview = client.get(response.headers["Location"] + "/preview").get_data(as_text=True)
    assert re.search(r'<input id="f-town" name="town"', preview)
    assert 'type="radio" name="town"' not in preview


@pytest.mark.parametrize(("name", "data", "files", "status", "named"), [
    ("visit.txt", b"survey", (), 415, "visit.txt"),
    ("visit.xlsx", b"", (), 400, "visit.xlsx"),
    ("visit.xlsx", b"PK\x03\x04 not really a zip", (), 400, "visit.xlsx"),
    ("visit.xlsx", None, [("towns.exe", b"MZ")], 415, "towns.exe"),
    ("visit.xlsx", None, [("towns.csv", b"\xff\xfe\x00bad")], 303, ""),
    ("../../etc/visit.xlsx", None, [("towns.csv", TOWNS_CSV)], 303, ""),
])
def test_bad_uploads_are_4xx_naming_the_file(client, app, author, name, data, files, status,
                                             named):
    response = send(client, workbook() if data is None else data, name=name, files=files)
    assert response.status_code == status
    if named:
        assert named in cells(response.get_data(as_text=True), "problems")[0][0]


def test_uploads_are_bounded_before_parsing(client, app, author, monkeypatch):
    monkeypatch.setattr(operations, "MAX_WORKBOOK_BYTES", 1000)
    response = send(client, workbook())
    assert response.status_code == 413
    assert cells(response.get_data(as_text=True), "problems")[0][0] == "visit.xlsx"
    monkeypatch.undo()
    monkeypatch.setattr(xlsform, "MAX_UNPACKED_BYTES", 2000)  # what the zip unpacks to
    response = send(client, workbook())
    assert response.status_code == 400
    assert "unpacks to" in response.get_data(as_text=True) or "解压" in response.get_data(
        as_text=True)
    monkeypatch.undo()
    response = send(client, workbook(), files=[(f"t{i}.csv", TOWNS_CSV) for i in range(21)])
    assert response.status_code == 413


# -- preview --------------------------------------------------------------------------------------


def test_the_preview_is_the_tablet_page_without_storage_in_both_languages(client, app, author):
    upload_id = uploaded(client, app)
    before = counts(app)
    for lang, words in (("zh", ("是否同意接受访问", "家庭人口数", "城关镇")),
                        ("en", ("Does the household agree to the visit", "Household members",
                                "城关镇"))):
        page = client.get(f"/studio/surveys/uploads/{upload_id}/preview?lang={lang}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert all(w in html for w in words), lang
        assert 'id="questionnaire"' in html and "js/form.js" in html and "js/expr.js" in html
        assert "js/record.js" not in html  # the script that keeps drafts and queues records
        assert 'data-name="members"' in html
    assert counts(app) == before
    # the preview's survey is the tablet's cached one (one per content, not one per request)
    with app.extensions["evaluator.sessionmaker"]() as db:
        content = db.get(SurveyUpload, upload_id).content
    assert forms.cached_survey("visit_check", "2026.12", content_hash(content)) is not None


def test_a_paged_survey_is_previewed_one_page_at_a_time_as_on_the_tablet(client, app, author):
    paged = [SURVEY[0], SURVEY[1], ["begin group", "family", "家庭", "Family", "", ""],
             SURVEY[2], ["end group", "", "", "", "", ""],
             ["begin group", "place", "地点", "Place", "", ""], SURVEY[3], SURVEY[4],
             ["end group", "", "", "", "", ""]]
    response = send(client, workbook(survey=paged, style="pages"),
                    files=[("towns.csv", TOWNS_CSV)])
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    html = client.get(response.headers["Location"] + "/preview").get_data(as_text=True)
    assert "data-paged" in html and "js/pages.js" in html
    # the consent question on its own page, then one page per group (forms.pages' rule)
    assert re.findall(r'data-page="(\d+)"', html) == ["1", "2", "3"]


# -- publish ----------------------------------------------------------------------------------


def test_publish_needs_a_note_then_stores_an_audited_immutable_version(client, app, author,
                                                                       field):
    upload_id = uploaded(client, app)
    url = f"/studio/surveys/uploads/{upload_id}/publish"
    assert client.post(url, data={"change_note": ""}).status_code == 400
    response = client.post(url, data={"change_note": "乡镇名单改为附件"})
    assert response.status_code == 303
    version_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.extensions["evaluator.sessionmaker"]() as db:
        stored = db.get(SurveyVersion, version_id)
        assert (stored.key, stored.version, stored.change_note) == (
            "visit_check", "2026.12", "乡镇名单改为附件")
        assert stored.published_by_id == field.users["author"]
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "survey.publish"))
        assert entry.object_id == "visit_check 2026.12"
        assert entry.new_value["hash"] == stored.content_hash
        assert entry.user_id == field.users["author"]
        stored.content = {**stored.content, "version": "2026.13"}
        with pytest.raises(ImmutableSurveyError):
            db.flush()
    # published once; the same version again is refused, naming the settings cell
    assert client.post(url, data={"change_note": "again"}).status_code == 409
    again = uploaded(client, app)
    page = client.get(f"/studio/surveys/uploads/{again}").get_data(as_text=True)
    [row] = cells(page, "problems")
    assert row[:4] == ["visit.xlsx", "settings", "–", "version"]
    response = client.post(f"/studio/surveys/uploads/{again}/publish",
                           data={"change_note": "again"})
    assert response.status_code == 409
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.scalar(select(func.count(SurveyVersion.id)).where(
            SurveyVersion.key == "visit_check")) == 1


def test_an_upload_whose_content_breaks_a_rule_is_not_published(client, app, author):
    upload_id = uploaded(client, app)
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        kept = db.get(SurveyUpload, upload_id)
        kept.content = {**kept.content, "survey": [{"type": "integr", "name": "x"}]}
    before = counts(app)
    response = client.post(f"/studio/surveys/uploads/{upload_id}/publish",
                           data={"change_note": "broken"})
    assert response.status_code == 400
    rows = cells(response.get_data(as_text=True), "problems")
    assert any(row[4].startswith("未知类型 'integr'") for row in rows), rows
    assert counts(app) == before


# -- download ---------------------------------------------------------------------------------


def test_download_round_trip_imports_to_the_same_model(client, app, author, tmp_path):
    upload_id = uploaded(client, app)
    response = client.post(f"/studio/surveys/uploads/{upload_id}/publish",
                           data={"change_note": "first"})
    version_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.extensions["evaluator.sessionmaker"]() as db:
        content = db.get(SurveyVersion, version_id).content
    page = client.get(f"/studio/surveys/versions/{version_id}").get_data(as_text=True)
    assert "乡镇名单" not in page and "first" in page
    # XLSForm: a zip of the workbook and the CSV it reads (the form has an attached file)
    response = client.get(f"/studio/surveys/versions/{version_id}/xlsform")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert sorted(archive.namelist()) == ["towns.csv", "visit_check-2026.12.xlsx"]
        archive.extractall(tmp_path)
    assert read_xlsform(tmp_path / "visit_check-2026.12.xlsx").data == content
    # YAML: what `evaluator xlsform import` prints
    response = client.get(f"/studio/surveys/versions/{version_id}/survey.yaml")
    assert response.status_code == 200
    assert 'filename="visit_check-2026.12.yaml"' in response.headers["Content-Disposition"]
    assert yaml.safe_load(response.data) == content
    # the downloaded workbook uploads again as the same model
    workbook_bytes = (tmp_path / "visit_check-2026.12.xlsx").read_bytes()
    response = send(client, workbook_bytes, name="again.xlsx", files=[("towns.csv", TOWNS_CSV)])
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.get(SurveyUpload, int(response.headers["Location"].rsplit("/", 1)[1])
                      ).content == content


def test_a_shipped_survey_downloads_as_a_plain_workbook(client, app, author, field, tmp_path):
    with app.extensions["evaluator.sessionmaker"]() as db:
        stored = db.scalar(select(SurveyVersion).where(SurveyVersion.key == "household"))
        version_id, content = stored.id, stored.content
    response = client.get(f"/studio/surveys/versions/{version_id}/xlsform")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    (tmp_path / "household.xlsx").write_bytes(response.data)
    assert read_xlsform(tmp_path / "household.xlsx").data == content
