"""Parse a bundle file's bytes (YAML; CSV into a ``Table``) and the cells every file shares.

The reader, the evaluation.yaml parser and the checkers name a cell the same way (``where``)
and read whole numbers, decimals and dates the same way; these live here so that none of
those modules has to import another for them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import yaml

from evaluator.bundle.csv_columns import byte_pieces, parse_columns, parse_pieces
from evaluator.bundle.rows import Rows, shared
from evaluator.definitions.problem_words import YAML_REFUSALS
from evaluator.definitions.problems import DefinitionError, Problem, coded, coded_as
from evaluator.tables import Table, decode

INTEGER_RE = re.compile(r"-?[0-9]+")
DECIMAL_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_yaml(raw: bytes, name: str) -> tuple[Any, list[Problem]]:
    try:
        return yaml.safe_load(raw.decode("utf-8-sig")), []
    except UnicodeDecodeError:
        return None, [coded(name, "", "problem_not_utf8")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        detail = str(getattr(exc, "problem", exc))
        return None, [coded_as(name, where, f"not valid YAML: {detail}", YAML_REFUSALS)]


_UTF8_BOM = b"\xef\xbb\xbf"


def parse_table(raw: bytes, name: str) -> tuple[Table | None, list[Problem]]:
    """A bundle's CSV file as a ``Table`` whose rows are held as columns (``rows.Rows``).

    The bytes are decoded as UTF-8 (after a BOM, if any) a piece at a time as they are parsed,
    so that the text of a large roster and its columns are never held at the same time; a file
    that is not UTF-8 is decoded whole as ``tables.decode`` decides (GB18030, or a problem
    naming the first byte that is neither) and parsed from its text."""
    start = len(_UTF8_BOM) if raw.startswith(_UTF8_BOM) else 0
    try:
        try:
            table = parse_pieces(byte_pieces(raw, start, "utf-8"), name,
                                 "utf-8-sig" if start else "utf-8", lambda: str(raw[start:], "utf-8"))
        except UnicodeDecodeError:
            text, encoding = decode(raw, name)
            table = parse_columns(text, name, encoding)
        return table, []
    except DefinitionError as exc:
        return None, list(exc.problems)


def table_from_cells(
    name: str, header: Sequence[str], rows: Iterable[Sequence[str]]
) -> tuple[Table, list[Sequence[str]]] | None:
    """The ``Table`` that ``build_bundle`` reads from ``writer.cells_csv_bytes(header, rows)``,
    built from the cells without writing and parsing the text: (table, the cells of its rows,
    for ``table_entry``).

    ``rows`` hold strings, one per column (``writer.row_cells``). The csv module's writer and
    reader give back any string they were given (quotes, commas, line breaks, spaces, NUL), so
    the table is the parsed one: blank rows left out but counted in row numbers, the encoding
    UTF-8 with a BOM. None when the text might not read back as these cells (a header cell
    empty, repeated or with surrounding spaces, a row of another width, a cell at the csv
    module's field size limit): write and parse such a table instead."""
    found = kept_cells(header, rows)
    if found is None:
        return None
    kept, numbers = found
    return table_of_cells(name, header, kept, numbers), kept


def kept_cells(header: Sequence[str], rows: Iterable[Sequence[str]]
               ) -> tuple[list[Sequence[str]], list[int]] | None:
    """The first half of ``table_from_cells``: (the rows the table keeps, their spreadsheet
    rows), or None; enough for the data hash (``table_entry``) without making the table."""
    header = list(header)
    if len(set(header)) != len(header) or any(not h or h != h.strip() for h in header):
        return None
    limit = csv.field_size_limit()
    width = len(header)
    kept: list[Sequence[str]] = []
    numbers: list[int] = []
    for number, cells in enumerate(rows, start=2):
        if len(cells) != width:
            return None
        joined = "".join(cells)
        if not joined.strip():  # every cell blank (str.strip's whitespace, as parse_csv's)
            continue
        if len(joined) >= limit and any(len(cell) >= limit for cell in cells):
            return None
        kept.append(cells)
        numbers.append(number)
    return kept, numbers


def table_of_cells(name: str, header: Sequence[str], kept: Sequence[Sequence[str]],
                   numbers: Sequence[int]) -> Table:
    """The second half of ``table_from_cells``: the table of the kept rows, as columns."""
    header = list(header)
    columns = list(zip(*kept, strict=True)) if kept else [() for _ in header]
    table_rows = Rows({h: shared(c) for h, c in zip(header, columns, strict=True)}, size=len(kept))
    contiguous = not numbers or numbers[-1] == len(numbers) + 1  # rows 2, 3, 4...: no blank row
    return Table(name, header, table_rows, "utf-8-sig", () if contiguous else tuple(numbers))


def missing_columns(table: Table, required: Iterable[str]) -> list[Problem]:
    return [
        coded(table.path, "row 1", "problem_missing_column", column=column)
        for column in required if column not in table.header
    ]


def row_numbers(table: Table) -> tuple[int, ...]:
    """The spreadsheet row of each of ``table.rows`` (blank rows counted); () when they are
    rows 2, 3, 4... (no blank row), as ``Table.numbers``, ``SourceData.row_numbers`` and the
    bundle's ``roster_row_numbers`` say it."""
    if not table.numbers or len(table.numbers) == len(table.rows):
        return table.numbers
    return tuple(table.row_number(i) for i in range(len(table.rows)))


def where(row: int, column: str | None = None) -> str:
    """The ``where`` of a Problem about a CSV cell, as a spreadsheet shows it."""
    return f"row {row}, column {column}" if column else f"row {row}"


def parse_date(text: str) -> date | None:
    """A YYYY-MM-DD date, or None (other spellings are refused: they are ambiguous in exports)."""
    text = text.strip()
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_number(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None
