"""The one table writer: formula-like values neutralised reversibly, numbers left alone, XLSX
cells strings; what it writes reads back (evaluator.tables) exactly as it was given."""

import io
import zipfile

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from evaluator.sheets import (
    FORMULA_LEADS,
    csv_bytes,
    neutralise,
    restore,
    sheet_name,
    xlsx_bytes,
)
from evaluator.tables import parse_csv, read_table

LEADING = st.sampled_from(sorted(FORMULA_LEADS) + ["'", "''", "a", "1", "中"])
TEXT = st.builds(lambda a, b: a + b, LEADING, st.text(max_size=12))


def test_the_named_attacks_become_text():
    for value in ("=1+1", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1",
                  "=HYPERLINK(\"http://x\")", "=cmd|' /C calc'!A0"):
        assert neutralise(value) == "'" + value


def test_numbers_and_plain_text_are_left_alone():
    for value in ("-5", "+3.5", "-0.25", "1e-3", "-1E5", "12", "", "abc", "中文", "'abc"):
        assert neutralise(value) == value


@given(TEXT)
def test_neutralising_is_reversible_and_safe(value):
    written = neutralise(value)
    assert restore(written) == value
    assert written[:1] not in FORMULA_LEADS or written == value  # only numbers stay as they are


@given(st.lists(st.lists(TEXT.filter(lambda v: v.strip() == v and v), min_size=2, max_size=2),
                min_size=1, max_size=5))
def test_csv_reads_back_as_written(rows):
    data = csv_bytes(["a", "b"], rows)
    table = parse_csv(data.decode("utf-8-sig"), "t.csv")
    assert [[r["a"], r["b"]] for r in table.rows] == rows
    raw = parse_csv(csv_bytes(["a", "b"], rows, raw=True).decode("utf-8-sig"), "t.csv")
    assert [[r["a"], r["b"]] for r in raw.rows] == [[restore(c) for c in row] for row in rows]


def test_xlsx_cells_are_strings_and_read_back(tmp_path):
    rows = [["=1+1", "-5"], ["@x", "2026-01-05"], ["http://example.org", "0012"]]
    data = xlsx_bytes([("a:b/c" * 10, ["x", "y"], iter(rows)), ("a:b/c" * 10, ["z"], [])])
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "hyperlink" not in xml.lower()
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert [s.title for s in workbook.worksheets] == ["a_b_ca_b_ca_b_ca_b_ca_b_ca_b_ca", "a_b_ca_b_ca_b_ca_b_ca_b_ca_b_~2"]
    cells = [[c.value for c in r] for r in workbook.worksheets[0].iter_rows()]
    assert cells[1] == ["'=1+1", "-5"] and cells[3] == ["http://example.org", "0012"]
    assert all(c.data_type == "s" for r in workbook.worksheets[0].iter_rows() for c in r)
    path = tmp_path / "t.xlsx"
    path.write_bytes(data)
    assert [[r["x"], r["y"]] for r in read_table(path).rows] == rows


def test_sheet_names_are_unique_and_legal():
    assert sheet_name("household") == "household"
    assert sheet_name("a[b]", ["a_b_"]) == "a_b_~2"
