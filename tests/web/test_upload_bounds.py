"""Uploads are bounded before they are parsed: a 600,000-row workbook is refused from its
declared dimension in well under 2 s (it took 292 s of server CPU), one that hides its size
stops being read at the row limit, a workbook part that expands like a zip bomb is refused
from the zip directory, and too many columns or bytes are refused too, each with a message."""

import io
import time
import zipfile

import pytest
from openpyxl.utils import get_column_letter

from evaluator.definitions.problems import DefinitionError
from evaluator.fieldwork.manage import uploads
from evaluator.tables import Limits, read_table

WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://'
            'schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="roster"'
            ' sheetId="1" r:id="rId1"/></sheets></workbook>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxml'
        'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>')
TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
         'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
         'relationships+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
         'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
         '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-office'
         'document.spreadsheetml.worksheet+xml"/></Types>')
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
             'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http:'
             '//schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
             'Target="xl/workbook.xml"/></Relationships>')


def workbook(rows: int, *, dimension: bool = True, columns: int = 3) -> bytes:
    """A real .xlsx (openpyxl reads it) of ``rows`` data rows, written as XML directly: making
    600,000 rows with a spreadsheet library would take the test a minute."""
    letters = [get_column_letter(i + 1) for i in range(columns)]
    header = "".join(f'<c t="inlineStr"><is><t>c{i}</t></is></c>' for i in range(columns))
    body = f"<row>{header}</row>" + "".join(  # varied cells: it compresses like real data
        f'<row r="{n}">' + "".join(f'<c r="{letter}{n}"><v>{(n * 7919 + k) % 100003}</v></c>'
                                   for k, letter in enumerate(letters)) + "</row>"
        for n in range(2, rows + 2))
    ref = f'<dimension ref="A1:{letters[-1]}{rows + 1}"/>' if dimension else ""
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://'
             f'schemas.openxmlformats.org/spreadsheetml/2006/main">{ref}<sheetData>{body}'
             "</sheetData></worksheet>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("[Content_Types].xml", TYPES), ("_rels/.rels", ROOT_RELS),
                           ("xl/workbook.xml", WORKBOOK), ("xl/_rels/workbook.xml.rels", RELS),
                           ("xl/worksheets/sheet1.xml", sheet)):
            z.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def big():
    return workbook(600_000)


def test_a_600k_row_workbook_is_refused_in_well_under_two_seconds(big):
    assert len(big) < 20 * 1024 * 1024
    started = time.perf_counter()
    with pytest.raises(DefinitionError) as refused:
        uploads.read_upload("roster.xlsx", big)
    elapsed = time.perf_counter() - started
    assert "more than 200000 rows" in str(refused.value.problems[0])
    assert elapsed < 2.0, elapsed  # the dimension is read from the first bytes: ~0.01 s


def test_a_workbook_that_hides_its_size_stops_at_the_limit(tmp_path):
    path = tmp_path / "hidden.xlsx"
    path.write_bytes(workbook(50_000, dimension=False))
    started = time.perf_counter()
    with pytest.raises(DefinitionError, match="more than 1000 rows"):
        read_table(path, limits=Limits(rows=1000, columns=10))
    assert time.perf_counter() - started < 2.0  # 1,001 rows read, not 50,000


def test_a_small_workbook_still_reads(tmp_path):
    table = uploads.read_upload("roster.xlsx", workbook(5))
    assert table.header == ["c0", "c1", "c2"] and len(table.rows) == 5


def test_too_many_columns_and_bytes_are_refused(monkeypatch):
    with pytest.raises(DefinitionError, match="more than 300 columns"):
        uploads.read_upload("wide.xlsx", workbook(2, columns=301))
    wide_csv = (",".join(f"c{i}" for i in range(301)) + "\n").encode()
    with pytest.raises(DefinitionError, match="more than 300 columns"):
        uploads.read_upload("wide.csv", wide_csv)
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(DefinitionError, match="at most 0 MB per upload"):
        uploads.read_upload("big.csv", b"a\n" + b"1\n" * 600)


def test_a_csv_stops_at_the_row_limit():
    data = b"household_id,township\n" + b"H1,town\n" * 200_001
    started = time.perf_counter()
    with pytest.raises(DefinitionError, match="more than 200000 rows"):
        uploads.read_upload("roster.csv", data)
    assert time.perf_counter() - started < 5.0


def test_a_workbook_part_that_expands_like_a_bomb_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", b" " * (50 * 1024 * 1024))  # ~1000x
    started = time.perf_counter()
    with pytest.raises(DefinitionError, match="expands to 52428800 bytes"):
        uploads.read_upload("bomb.xlsx", buffer.getvalue())
    assert time.perf_counter() - started < 2.0


def test_the_web_upload_answers_400_quickly(client, field, sign_in, big):
    sign_in("lead")
    started = time.perf_counter()
    response = client.post(f"/evaluations/{field.evaluation_id}/system",
                           data={"file": (io.BytesIO(big), "system.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "超过 200000 行" in page and "more than 200000 rows" not in page  # the page's language
    assert time.perf_counter() - started < 5.0


def test_a_long_problem_list_is_cut_at_200_and_downloadable_whole(app, client, field, sign_in):
    import csv

    sign_in("lead")
    body = "household_id\n" + "".join(f"=X{i:05d}\n" for i in range(1000))
    response = client.post(f"/evaluations/{field.evaluation_id}/system",
                           data={"file": (io.BytesIO(body.encode()), "system.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    listed = html.count("<li>")
    assert listed == 200 and "共 4000 个" in html and len(html) < 100_000  # 4 per row
    link = html.split('href="/problems/', 1)[1].split('"', 1)[0]
    download = client.get(f"/problems/{link}")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert rows[0] == ["文件", "位置", "问题"] and len(rows) == 4001
    assert ["system.csv", "第 2 行，household_id 列", "户 '=X00000' 不在本评估的台账中"] in rows
    sign_in("evaluator")  # someone else's list does not exist for them
    assert client.get(f"/problems/{link}").status_code == 404
