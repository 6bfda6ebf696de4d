"""Reading a bundle from cells instead of CSV text (the web app's scoring service): the tables,
the bundle, the data hash and the problems must be those the CSV files give."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.bundle.check import check_bundle, check_files, ordered
from evaluator.bundle.hashing import content_hash, data_hash, file_entry, hashed, table_entry
from evaluator.bundle.parsing import parse_table, table_from_cells
from evaluator.bundle.reader import build_bundle, bundle_from_tables, read_files
from evaluator.bundle.writer import cells_csv_bytes, csv_bytes, row_cells, rows_cells
from evaluator.definitions.problems import DefinitionError
from evaluator.tables import decode, parse_csv, read_table

MINIMAL = Path(__file__).resolve().parents[1] / "fixtures" / "bundles" / "minimal"
HEADER = ["household_id", "a", "b"]
#: Any text but lone surrogates (which UTF-8 cannot hold): quotes, commas, CR, LF, NUL, spaces...
CELL = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["", " ", "\r\n", "\r", "\n", '"', '""', ",", " x ", "\x00", "\u3000", "\ufeff", "a\r\nb"])


def old_data_hash(files):
    """The data hash as first defined (one JSON text of the whole content), verbatim."""
    content = {}
    for name in sorted(files):
        if name == "README.txt" or not name.endswith((".csv", ".yaml", ".yml")):
            continue
        raw = files[name]
        try:
            if name.endswith(".csv"):
                text, _ = decode(raw, name)
                table = parse_csv(text, name)
                content[name] = {"header": table.header, "rows": [[r[h] for h in table.header] for r in table.rows]}
            else:
                content[name] = {"yaml": yaml.safe_load(raw.decode("utf-8-sig"))}
        except (DefinitionError, yaml.YAMLError, UnicodeDecodeError):
            content[name] = {"sha256": hashlib.sha256(raw).hexdigest()}
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@settings(max_examples=300)
@given(st.lists(st.lists(CELL, min_size=3, max_size=3), max_size=8))
def test_a_table_from_cells_is_the_table_the_written_csv_reads_as(rows):
    made = table_from_cells("t.csv", HEADER, rows)
    raw = cells_csv_bytes(HEADER, rows)
    parsed, problems = parse_table(raw, "t.csv")
    assert made is not None and problems == []
    table, kept = made
    assert table == parsed  # header, rows, encoding and row numbers (blank rows counted)
    assert table_entry(HEADER, kept) == file_entry("t.csv", raw)


@settings(max_examples=100)
@given(st.lists(st.dictionaries(st.sampled_from(HEADER + ["other"]),
                                st.none() | st.integers() | st.floats() | CELL), max_size=5))
def test_the_cells_are_those_csv_bytes_writes(rows):
    cells = rows_cells(HEADER)
    assert [cells(r) for r in rows] == [row_cells(HEADER, r) for r in rows]
    assert cells_csv_bytes(HEADER, [cells(r) for r in rows]) == csv_bytes(HEADER, rows)


@pytest.mark.parametrize("header, rows", [
    (["a", " b"], [["1", "2"]]),
    (["a", "a"], [["1", "2"]]),
    (["a", ""], [["1", "2"]]),
    (["a", "b"], [["1", "2", "3"]]),
    (["a", "b"], [["1"]]),
    (["a", "b"], [["1", "x" * csv.field_size_limit()]]),
], ids=["spaced-header", "repeated-header", "empty-header", "wide-row", "narrow-row", "huge-cell"])
def test_cells_that_might_not_read_back_are_declined(header, rows):
    assert table_from_cells("t.csv", header, rows) is None


@settings(max_examples=100)
@given(st.dictionaries(st.sampled_from(["a.csv", "b.csv", "evaluation.yaml", "é.csv"]),
                       st.lists(st.lists(CELL, max_size=3), max_size=3)
                       .map(lambda rows: {"header": ["x"], "rows": rows})))
def test_the_content_hash_is_that_of_the_whole_json(content):
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert content_hash(content) == "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_data_hash_keeps_its_definition(tmp_path):
    files, _ = read_files(MINIMAL)
    assert data_hash(files) == old_data_hash(files)
    broken = dict(files, **{"roster.csv": b"\xff\xfe not text", "x.yaml": b"a: [", "b.txt": b"?"})
    assert data_hash(broken) == old_data_hash(broken)
    # build_bundle hands over the tables it parsed; the hash is the same without parsing again
    gbk = dict(broken, **{"forum.csv": "编号,意见\n1,好\n".encode("gb18030")})
    for some in (files, broken, gbk):
        bundle, _ = build_bundle(some)
        assert bundle.data_hash == data_hash(some) == old_data_hash(some)


def cells_of(raw: bytes) -> tuple[list[str], list[list[str]]]:
    header, *rows = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    return header, rows


def from_cells(files, surveys):
    """``build_bundle`` of ``files`` the way the scoring service reads its rows."""
    tables, entries, other = {}, {}, {}
    for name, raw in files.items():
        if name.endswith(".csv"):
            header, rows = cells_of(raw)
            tables[name], kept = table_from_cells(name, header, rows)
            entries[name] = table_entry(header, kept)
        else:
            other[name] = raw
            if hashed(name):
                entries[name] = file_entry(name, raw)
    return bundle_from_tables(other, tables, surveys, data_hash=content_hash(entries),
                              origin="here")


def test_a_bundle_from_tables_is_the_bundle_the_files_give(surveys):
    files, _ = read_files(MINIMAL)
    files = {name: (cells_csv_bytes(*cells_of(raw)) if name.endswith(".csv") else raw)
             for name, raw in files.items()}
    slow, slow_problems = build_bundle(files, surveys, origin="here")
    fast, fast_problems = from_cells(files, surveys)
    assert fast == slow and fast_problems == slow_problems
    assert fast.data_hash == slow.data_hash == data_hash(files)
    assert fast.roster_row_numbers == slow.roster_row_numbers
    for name, source in slow.sources.items():
        assert fast.sources[name].row_numbers == source.row_numbers
        for repeat, rows in source.repeats.items():
            assert fast.sources[name].repeats[repeat].row_numbers == rows.row_numbers


def test_problems_found_while_reading_are_the_same(surveys):
    files, _ = read_files(MINIMAL)
    header, rows = cells_of(files["household.csv"])
    rows[1][header.index("household_id")] = rows[0][header.index("household_id")]
    rows.insert(2, [""] * len(header))  # a blank row: skipped, but counted in row numbers
    files["household.csv"] = cells_csv_bytes(header + ["extra-satisfaction"],
                                             [r + (["red"] if any(r) else [""]) for r in rows])
    header, rows = cells_of(files["sample.csv"])
    files["sample.csv"] = cells_csv_bytes(header, [r[:2] + ["maybe", "0"] for r in rows[:1]] + rows[1:])
    del files["judgements.csv"]
    slow, slow_problems = build_bundle(files, surveys, origin="here")
    fast, fast_problems = from_cells(files, surveys)
    assert fast_problems == slow_problems
    for wanted in ("judgements.csv: required file is missing", "household.csv: row 1: columns",
                   "sample.csv: row 2, column role"):
        assert any(str(p).startswith(wanted) for p in slow_problems), (wanted, slow_problems)
    assert fast == slow and fast.data_hash == slow.data_hash
    assert fast.sources["household"].row_numbers == slow.sources["household"].row_numbers
    assert 4 not in slow.sources["household"].row_numbers  # the blank row, counted


def test_checks_without_answers_keep_the_checks_on_which_records_count(surveys, rubric, tmp_path):
    bundle_path = tmp_path / "bundle"
    shutil.copytree(MINIMAL, bundle_path)
    path = bundle_path / "household.csv"
    header, rows = cells_of(path.read_bytes())
    rows[0][header.index("satisfaction")] = "9"  # an answer outside its choice list
    rows[1][header.index("household_id")] = rows[2][header.index("household_id")]  # twice
    path.write_bytes(cells_csv_bytes(header, rows))
    members = bundle_path / "household-members.csv"
    m_header, m_rows = cells_of(members.read_bytes())
    assert m_header[-2:] == ["PARENT_KEY", "KEY"]
    m_rows.append(m_rows[0][:-2] + ["uuid:nobody", "uuid:nobody/members[1]"])
    members.write_bytes(cells_csv_bytes(m_header, m_rows))
    files, _ = read_files(bundle_path)
    bundle, read_problems = build_bundle(files, surveys)
    every = [str(p) for p in check_files(files, surveys, rubric, bundle=bundle,
                                         read_problems=read_problems)]
    structural = [str(p) for p in ordered(read_problems + check_bundle(
        bundle, surveys, rubric, files=files, answers=False))]
    assert any("satisfaction" in p and "'9'" in p for p in every)
    assert not any("'9'" in p for p in structural)
    for wanted in ("second record for household_id", "matches no record in household.csv"):
        assert any(wanted in p for p in structural), (wanted, structural)
    assert set(structural) <= set(every)
    answer_problems = set(every) - set(structural)
    assert answer_problems and all("household" in p for p in answer_problems)


PLAIN = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\'), max_size=6)


@settings(max_examples=200)
@given(st.lists(st.lists(PLAIN | CELL, min_size=0, max_size=3), max_size=9),
       st.lists(st.lists(PLAIN, min_size=1, max_size=3), max_size=9))
def test_the_content_hash_of_tables_in_chunks_is_that_of_the_whole_json(mixed, plain):
    """Tables are hashed a chunk of rows at a time, plain chunks joined without the encoder:
    the bytes hashed are still those of the whole JSON (chunks of 2 rows here)."""
    from unittest import mock

    from evaluator.bundle import hashing

    content = {"m.csv": {"header": ["x", "y"], "rows": mixed}, "p.csv": {"header": ["z"], "rows": plain},
               "e.yaml": {"yaml": {"b": [1, "二"], "a": None}}}
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    with mock.patch.object(hashing, "_CHUNK", 2):
        assert content_hash(content) == "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


#: Cells of a file written without the csv module: mostly plain, some that the csv module
#: reads otherwise (quotes), that JSON escapes (backslash, tab), that pad or skip rows
#: (blanks, spaces, CJK spaces), or that evaluator.sheets wrote ("'=1").
RAW_CELL = st.sampled_from(["", " ", "a", "是", "3.5", "uuid:1", "\u3000", "'=1", "don't", '"q"',
                            "\\", "\t", "x y", "\x7f", "é"])


@st.composite
def raw_csv(draw):
    width = draw(st.integers(1, 3))
    header = draw(st.sampled_from([["h", "i", "j"], ["h", " i", "j"], ["是", "i", "j"]]))[:width]
    lines = [",".join(header)]
    for _ in range(draw(st.integers(0, 6))):
        cells = draw(st.lists(RAW_CELL, min_size=0 if draw(st.booleans()) else width,
                              max_size=width))
        lines.append(",".join(cells))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = end.join(lines) + draw(st.sampled_from(["", end, end + end]))
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + text.encode(
        draw(st.sampled_from(["utf-8", "gb18030"])), errors="replace")


@settings(max_examples=400)
@given(raw_csv(), st.sampled_from([2, 5, 1 << 20]))
def test_a_plain_files_bytes_hash_as_its_cells(raw, piece):
    """A plain file's rows are hashed from its bytes (each comma and line break rewritten, a
    piece at a time); the hash is the one its parsed cells give, plain or not."""
    from unittest import mock

    from evaluator.bundle import hashing

    files = {"t.csv": raw}
    table, _ = parse_table(raw, "t.csv")
    with mock.patch.object(hashing, "_PIECE", piece):
        assert data_hash(files, {"t.csv": table} if table else None) == old_data_hash(files)


def test_plain_files_are_hashed_from_their_bytes():
    from evaluator.bundle.hashing import plain_body

    for raw in (b"\xef\xbb\xbfa,b\r\n1,\xe6\x98\xaf\r\n,x\r\n", b"a\n1\n2", b"a,b\n"):
        table, _ = parse_table(raw, "t.csv")
        assert plain_body(raw, table) is not None, raw
    for raw in (b"a,b\n1\n", b"a,b\n1,2\n\n3,4\n", b"a,b\n\"1\",2\n", b" a,b\n1,2\n", b"a\n'=1\n"):
        table, _ = parse_table(raw, "t.csv")
        assert table is not None and plain_body(raw, table) is None, raw


def test_a_byte_order_mark_before_text_that_is_not_utf8_is_a_problem(tmp_path):
    """Excel's "CSV UTF-8" BOM on bytes saved as GBK: the file and byte are named (it was a
    UnicodeDecodeError traceback from evaluator score, bundle check and roster uploads)."""
    raw = b"\xef\xbb\xbf" + "household_id,name\nH1,张三\n".encode("gb18030")
    table, problems = parse_table(raw, "roster.csv")
    assert table is None
    assert [str(p) for p in problems] == [
        "roster.csv: byte 24: starts as UTF-8 (a byte-order mark) but is not UTF-8 text; "
        "save it as CSV UTF-8"]
    path = tmp_path / "roster.csv"
    path.write_bytes(raw)
    with pytest.raises(DefinitionError) as raised:
        read_table(path)
    assert "byte 24" in str(raised.value.problems[0])
