"""A bundle's tables held as columns (evaluator.bundle.rows) read exactly as the csv module's
dict rows did: the same header, cells, row numbers and problems, and rows that behave as the
dicts did for every reader of a bundle."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.bundle import csv_columns
from evaluator.bundle.parsing import parse_columns, parse_table
from evaluator.bundle.rows import RowIndex, Rows, shared
from evaluator.definitions.problems import DefinitionError
from evaluator.tables import decode, parse_csv

#: Cells written by evaluator.sheets with the apostrophe that neutralises a formula, or one
#: that is just text: the reader takes off exactly what the writer put on ("'\t" is a blank tab).
NEUTRALISED = ["'=1+1", "''=A1", "'-x", "'-5", "'@S", "'\t", "don't", "'", "'+"]
#: Cells that exercise the csv module: quotes, separators, line breaks, white space, CJK.
CELL = st.sampled_from(["", " ", "a", " b ", "是", '"q"', '"', "x,y", "1\n2", "\r", "\t", "3.5",
                        "uuid:1", "  ", "否 ", "a\r\nb", *NEUTRALISED])
LINE_END = st.sampled_from(["\r\n", "\n", "\r"])


PLAIN_CELL = st.sampled_from(["", " ", "a", " b ", "是", "3.5", "uuid:1", "  ", "否 ", "\t", "\x0b",
                             *NEUTRALISED])


@st.composite
def csv_texts(draw, plain=False):
    """CSV text as people's exports hold it: quoted or bare cells, blank and ragged rows
    (``plain``: no cell needs quotes, as in most exports)."""
    header = draw(st.lists(st.sampled_from(["id", " a", "b ", "c", "是否", "", "id", "'=h", "'\t"]),
                           min_size=1, max_size=4))
    lines = [",".join(header)]
    for _ in range(draw(st.integers(0, 7))):
        kind = draw(st.sampled_from(["row", "row", "row", "blank", "commas", "short", "long"]))
        width = {"short": max(len(header) - 1, 0), "long": len(header) + 1}.get(kind, len(header))
        if kind == "blank":
            lines.append("")
        elif kind == "commas":
            lines.append("," * (len(header) - 1) + draw(st.sampled_from(["", " "])))
        else:
            cells = draw(st.lists(PLAIN_CELL if plain else CELL, min_size=width, max_size=width))
            quoted = not plain and draw(st.booleans())
            lines.append(",".join('"' + c.replace('"', '""') + '"' if quoted or any(ch in c for ch in ',"\r\n') else c
                                  for c in cells))
    end = draw(LINE_END)
    return end.join(lines) + draw(st.sampled_from(["", end]))


def read_both(text: str):
    def outcome(parse):
        try:
            table = parse(text, "t.csv", "utf-8")
        except DefinitionError as exc:
            return ("problems", [str(p) for p in exc.problems])
        if isinstance(table.rows, Rows):  # a column said to need no stripping needs none
            for name in table.rows.names:
                assert list(table.rows.stripped(name)) == [c.strip() for c in table.rows.column(name)]
        return ("table", table.header, [dict(r) for r in table.rows],
                [table.row_number(i) for i in range(len(table.rows))])

    return outcome(parse_columns), outcome(parse_csv)


@settings(max_examples=400)
@given(csv_texts())
def test_columns_read_as_the_csv_modules_rows(text):
    columns, rows = read_both(text)
    assert columns == rows


@settings(max_examples=300)
@given(csv_texts(plain=True))
def test_plain_files_read_as_the_csv_modules_rows(text):
    columns, rows = read_both(text)
    assert columns == rows


@settings(max_examples=300)
@given(st.one_of(csv_texts(), csv_texts(plain=True)))
def test_chunks_change_nothing(text):
    """Read pieces of two characters (``CHUNK``: a line at a time), a repeated column pooled
    from the first piece."""
    with mock.patch.object(csv_columns, "CHUNK", 2):
        columns, rows = read_both(text)
    assert columns == rows


@settings(max_examples=100)
@given(csv_texts(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]), st.sampled_from([1, 3, 1 << 20]))
def test_a_file_read_as_a_stream_reads_as_its_text(text, codec, chunk):
    """The bytes decoded a piece at a time (of 1, 3 or a million bytes, cut after a line
    break), or whole when they are not UTF-8, read as the decoded text does."""
    raw = text.encode(codec)
    with mock.patch.object(csv_columns, "CHUNK", chunk):
        table, problems = parse_table(raw, "t.csv")
    decoded, encoding = decode(raw, "t.csv")
    try:
        expected = parse_csv(decoded, "t.csv")
    except DefinitionError as exc:
        assert table is None and problems == list(exc.problems)
        return
    assert problems == [] and table.header == expected.header
    assert [dict(r) for r in table.rows] == [dict(r) for r in expected.rows]
    assert [table.row_number(i) for i in range(len(table.rows))] == list(expected.numbers)
    assert table.numbers in (expected.numbers, ())  # () when they are rows 2, 3, 4...
    assert table.encoding == encoding


def test_a_plain_file_is_split_without_the_csv_module():
    """The quick path is taken (and gives parse_csv's table) for an export without quotes."""
    text = "id,status\r\n" + "".join(f"H{i},在档\r\n" + ("\r\n" if i % 7 == 0 else "") for i in range(50))
    with mock.patch.object(csv_columns.csv, "reader", wraps=csv_columns.csv.reader) as reader:
        table = parse_columns(text, "t.csv")
    assert reader.call_count == 0  # not even for the header
    expected = parse_csv(text, "t.csv")
    assert [dict(r) for r in table.rows] == expected.rows and table.numbers == expected.numbers
    assert len(table.rows) == 50 and table.numbers[-1] == 1 + 50 + 7  # 7 blank rows before the last


def test_rows_behave_as_the_dict_rows_did():
    rows = Rows({"id": ["A1", "A2"], "status": ["在档", "已脱困"]})
    dicts = ({"id": "A1", "status": "在档"}, {"id": "A2", "status": "已脱困"})
    assert rows == dicts and dicts == rows and list(rows) == list(dicts)
    assert rows == Rows({"status": ["在档", "已脱困"], "id": ["A1", "A2"]})  # key order: as dicts
    assert rows != Rows({"id": ["A1", "A9"], "status": ["在档", "已脱困"]})
    row = rows[1]
    assert row["status"] == "已脱困" and row.get("nope", "") == "" and "id" in row and "x" not in row
    assert {**row, "extra": "1"} == {"id": "A2", "status": "已脱困", "extra": "1"}
    assert list(row) == ["id", "status"] and len(row) == 2 and row.position == 1
    assert rows[-1] == row and rows[0:1] == [dicts[0]] and len(rows) == 2
    with pytest.raises(IndexError):
        rows[2]
    with pytest.raises(KeyError):
        row["nope"]
    with pytest.raises(ValueError, match="different lengths"):
        Rows({"id": ["A1"], "status": []})


def test_an_index_keeps_the_first_row_of_a_repeated_value():
    rows = Rows({"id": ["A", "B", "A"], "n": ["1", "2", "3"]})
    index = RowIndex(rows, "id")
    assert index["A"]["n"] == "1" and index.positions == {"A": 0, "B": 1}
    assert "B" in index and "C" not in index and len(index) == 2 and index.get("C") is None


def test_only_columns_with_white_space_are_stripped():
    text = "id,name,where\r\nA1,是, x\r\nA2,否,y \r\nA3,否,y\r\n"
    rows = parse_columns(text, "t.csv").rows
    assert rows.stripped("id") is rows.column("id") and rows.stripped("name") is rows.column("name")
    assert rows.stripped("where") == ["x", "y", "y"] and rows.column("where") == [" x", "y ", "y"]


def test_a_repeating_column_holds_each_value_once():
    values = [str(i % 3) + "x" for i in range(3000)]
    pooled = shared(values)
    assert pooled == values and len({id(v) for v in pooled}) == 3
    unique = [f"id{i}" for i in range(3000)]
    assert shared(unique) is unique


def as_dicts(bundle):
    """The same bundle with every table as a tuple of plain dict rows (as it used to be)."""
    from dataclasses import replace

    sources = {}
    for name, data in bundle.sources.items():
        repeats = {r: replace(rep, rows=tuple(map(dict, rep.rows))) for r, rep in data.repeats.items()}
        sources[name] = replace(data, rows=tuple(map(dict, data.rows)),
                                paradata=tuple(map(dict, data.paradata)), repeats=repeats)
    return replace(bundle, roster=tuple(map(dict, bundle.roster)), sources=sources)


def test_scores_and_problems_are_those_of_dict_rows(tmp_path):
    """Scoring and checking read columns where the rows are held as columns: the sheet's JSON
    and every problem are those of the same bundle as dict rows."""
    from evaluator.bundle.check import check_bundle, ordered
    from evaluator.bundle.demo import demo_files
    from evaluator.bundle.reader import build_bundle
    from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
    from evaluator.rubrics.definition import load_rubric
    from evaluator.scoring import score
    from evaluator.surveys.definition import load_surveys

    surveys = load_surveys(SURVEYS_DIR)
    rubric = load_rubric(RUBRICS_DIR / "union-hardship.yaml", surveys)
    files = demo_files(800, seed=3)
    bundle, problems = build_bundle(files, surveys)
    assert problems == [] and isinstance(bundle.roster, Rows)
    plain = as_dicts(bundle)
    assert not isinstance(plain.roster, Rows) and plain == bundle
    assert score(rubric, bundle).to_json() == score(rubric, plain).to_json()
    broken = dict(files)
    broken["household.csv"] = files["household.csv"].replace(b",yes,", b",maybe,", 40)
    bundle, _ = build_bundle(broken, surveys)
    found = ordered(check_bundle(bundle, surveys, rubric, files=broken))
    assert len(found) > 5 and found == ordered(check_bundle(as_dicts(bundle), surveys, rubric, files=broken))
