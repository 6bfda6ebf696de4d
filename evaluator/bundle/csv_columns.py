"""Read a bundle's CSV file into columns, with the csv module's cells, row numbers and problems.

``parse_columns`` gives what ``evaluator.tables.parse_csv`` gives — header, cells, the
spreadsheet row of each row (blank rows skipped but counted), and for a file with any problem
exactly parse_csv's problems, because such a file is handed to it — with the rows held as
columns (``rows.Rows``). The file is read ``CHUNK`` lines at a time from a decoding stream, so
neither its whole text nor its rows as lists are ever held beside the columns, and a column
that repeats itself keeps each distinct cell once, as it is read.

A chunk without quotes, NUL or a bare carriage return, whose rows each hold as many cells as the
header (blank rows aside), is split with ``str.split``: there the csv module's reading is
exactly that (a record per line, a cell per comma), three times quicker. Any other chunk, and
everything after it, goes through the csv module. tests/unit/test_bundle_rows.py holds the two
to parse_csv on generated files of every shape.

A cell written by ``evaluator.sheets`` with a neutralising apostrophe (``'=1+1``) reads back as
it was (``=1+1``), as parse_csv reads it: ``sheets.restore`` on every cell that begins with one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, islice
from operator import itemgetter, methodcaller

from evaluator.bundle.rows import Rows
from evaluator.sheets import restore
from evaluator.tables import Table, header_problems, parse_csv

#: Lines (or records) read at a time.
CHUNK = 8192
_COMMAS = methodcaller("count", ",")
_NO_COMMAS = methodcaller("replace", ",", "")


def parse_columns(lines: str | Iterable[str], name: str, encoding: str = "utf-8",
                  text: Callable[[], str] | None = None) -> Table:
    """``parse_csv`` with the rows held as columns. ``lines`` is the text, or its lines (a text
    stream opened with ``newline=""``); then ``text`` gives the whole text, for parse_csv."""
    if isinstance(lines, str):
        whole = lines
        lines = io.StringIO(whole, newline="")
        text = text or (lambda: whole)
    assert text is not None
    lines = iter(lines)
    reader = csv.reader(lines)  # reads the lines it needs, one by one: the header's here
    try:
        header = [restore(h).strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        return parse_csv(text(), name, encoding)
    if header_problems(header, name):
        return parse_csv(text(), name, encoding)
    width = len(header)
    columns = _Columns(width)
    last = 1  # the spreadsheet row of the last record read
    plain = True
    limit = csv.field_size_limit()
    try:
        while True:
            if plain:
                physical = list(islice(lines, CHUNK))
                if not physical:
                    break
                split = _split_plain(physical, width, limit)
                if split is None:  # this chunk and the rest: the csv module
                    plain = False
                    reader = csv.reader(chain(physical, lines))
                    continue
                parts, kept = split
                columns.add(parts, [last + 1 + k for k in kept])
                last += len(physical)
                continue
            chunk = list(islice(reader, CHUNK))
            if not chunk:
                break
            records, numbers = [], []
            for number, line in enumerate(chunk, start=last + 1):
                joined = "".join(line)
                if "'" in joined:
                    line = _restored(line)
                    joined = "".join(line)
                if not joined.strip():
                    continue  # a blank row: skipped, counted
                if len(line) > width:
                    return parse_csv(text(), name, encoding)
                records.append(line + [""] * (width - len(line)) if len(line) < width else line)
                numbers.append(number)
            last += len(chunk)
            columns.add([list(map(itemgetter(j), records)) for j in range(width)], numbers)
    except csv.Error:
        return parse_csv(text(), name, encoding)
    return Table(name, header, columns.rows(header), encoding, tuple(columns.numbers))


def _split_plain(physical: list[str], width: int, limit: int) -> tuple[list[list[str]], Sequence[int]] | None:
    """The columns of a chunk of lines read as the csv module would, and which lines are rows
    (the others blank); None when the chunk needs the csv module."""
    joined = "".join(physical)
    if '"' in joined or "\x00" in joined or joined.count("\r") != joined.count("\r\n"):
        return None
    body = joined.replace("\r\n", "\n").split("\n")
    if body[-1] == "":
        body.pop()  # the chunk ends with a line break
    if len(body) != len(physical) or max(map(len, body)) >= limit:
        return None
    filled = list(map(str.strip, map(_NO_COMMAS, body)))  # '' for a blank row
    if "'" in joined:  # a row of restored cells may be blank ("'\t" is a tab)
        filled = [content if "'" not in content or "".join(_restored(line.split(","))).strip()
                  else "" for content, line in zip(filled, body, strict=True)]
    kept: Sequence[int] = range(len(body))
    if not all(filled):
        kept = [k for k, content in enumerate(filled) if content]
        body = [body[k] for k in kept]
    if body and set(map(_COMMAS, body)) != {width - 1}:
        return None  # short or long rows: the csv module pads them or parse_csv names them
    cells = ",".join(body).split(",") if body else []
    if "'" in joined:
        cells = _restored(cells)
    return [cells[j::width] for j in range(width)], kept


def _restored(cells: list[str]) -> list[str]:
    """``cells`` with the apostrophes ``evaluator.sheets`` put before formulas taken off."""
    return [restore(c) if c[:1] == "'" else c for c in cells]


class _Columns:
    """Columns growing a chunk at a time; a column whose first chunk repeats itself (half its
    cells repeat another) keeps each distinct cell once."""

    def __init__(self, width: int):
        self.columns: list[list[str]] = [[] for _ in range(width)]
        self.pools: list[dict[str, str] | None] | None = None
        self.numbers: list[int] = []

    def add(self, parts: list[list[str]], numbers: Sequence[int]) -> None:
        if not numbers:
            return
        self.numbers.extend(numbers)
        if self.pools is None:
            self.pools = [{} if len(set(part)) * 2 <= len(part) else None for part in parts]
        for column, part, pool in zip(self.columns, parts, self.pools, strict=True):
            if pool is None:
                column.extend(part)
            else:  # the pool's cell for each cell, the cell itself when it is new
                column.extend(map(pool.setdefault, part, part))

    def rows(self, header: list[str]) -> Rows:
        return Rows(dict(zip(header, self.columns, strict=True)), size=len(self.numbers))
