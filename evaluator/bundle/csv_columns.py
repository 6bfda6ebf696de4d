"""Read a bundle's CSV file into columns, with the csv module's cells, row numbers and problems.

``parse_columns`` gives what ``evaluator.tables.parse_csv`` gives — header, cells, the
spreadsheet row of each row (blank rows skipped but counted), and for a file with any problem
exactly parse_csv's problems, because such a file is handed to it — with the rows held as
columns (``rows.Rows``). The file is read a piece at a time (``CHUNK`` characters or bytes, cut
after a line break; ``parse_table`` decodes the file's bytes one piece at a time), so neither
its whole text nor its rows as lists are ever held beside the columns, and a column that repeats
itself keeps each distinct cell once, as it is read.

A piece without quotes, NUL or a bare carriage return, whose rows each hold as many cells as the
header (blank rows aside), is split with ``str.split``: there the csv module's reading is
exactly that (a record per line, a cell per comma), several times quicker, and the piece's cells
are split at once rather than line by line. Any other piece, and everything after it, goes
through the csv module, as does a file whose header line is not plain.
tests/unit/test_bundle_rows.py holds the two to parse_csv on generated files of every shape.

A cell written by ``evaluator.sheets`` with a neutralising apostrophe (``'=1+1``) reads back as
it was (``=1+1``), as parse_csv reads it: ``sheets.restore`` on every cell that begins with one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from operator import itemgetter, methodcaller

from evaluator.bundle.rows import Rows
from evaluator.sheets import restore
from evaluator.tables import Table, header_problems, parse_csv

#: Characters (of a text) or bytes (of a file) read at a time; a piece ends after a line break.
CHUNK = 1 << 20
#: Records the csv module reads at a time, once a file needs it.
RECORDS = 8192
_COMMAS = methodcaller("count", ",")
_NO_COMMAS = methodcaller("replace", ",", "")


def parse_columns(text: str, name: str, encoding: str = "utf-8") -> Table:
    """``parse_csv`` of ``text`` with the rows held as columns."""
    return parse_pieces(text_pieces(text), name, encoding, lambda: text)


def text_pieces(text: str) -> Iterator[str]:
    """``text`` in pieces of about ``CHUNK`` characters, each (but the last) ending with '\\n'."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + CHUNK - 1)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


def byte_pieces(raw: bytes, start: int, codec: str) -> Iterator[str]:
    """``raw[start:]`` decoded a piece of about ``CHUNK`` bytes at a time, each cut after a
    b'\\n' (a byte no UTF-8 or GB18030 character holds inside it): the pieces are the text's.
    Raises UnicodeDecodeError where the bytes are not ``codec``."""
    view, size = memoryview(raw), len(raw)
    while start < size:
        end = raw.find(b"\n", start + CHUNK - 1)
        end = size if end < 0 else end + 1
        yield str(view[start:end], codec)
        start = end


def parse_pieces(pieces: Iterable[str], name: str, encoding: str, text: Callable[[], str]) -> Table:
    """``parse_csv`` of the text ``pieces`` make up, with the rows held as columns; ``text``
    gives the whole text, for parse_csv (a file with problems) or a header that is not plain."""
    pieces = iter(pieces)
    first = next(pieces, "")
    end = first.find("\n")
    line = first if end < 0 else first[:end]
    if line.endswith("\r"):
        line = line[:-1]
    limit = csv.field_size_limit()
    if not line or '"' in line or "\x00" in line or "\r" in line or len(line) >= limit:
        return _read_with_csv(text(), name, encoding, text)
    header = [restore(h).strip() for h in line.split(",")]
    if header_problems(header, name):
        return parse_csv(text(), name, encoding)
    width = len(header)
    columns = _Columns(width)
    last = 1  # the spreadsheet row of the last record read
    rest = chain((first[end + 1:] if end >= 0 else "",), pieces)
    for piece in rest:
        if not piece:
            continue
        split = _split_plain(piece, width, limit)
        if split is None:  # this piece and the rest: the csv module, a line at a time
            lines = chain.from_iterable(io.StringIO(p, newline="") for p in chain((piece,), rest))
            if not _read_records(csv.reader(lines), columns, width, last):
                return parse_csv(text(), name, encoding)
            break
        parts, kept, physical, padded = split
        columns.add(parts, range(last + 1, last + 1 + physical) if kept is None
                    else [last + 1 + k for k in kept], padded)
        last += physical
    return Table(name, header, columns.rows(header), encoding, columns.row_numbers())


def _read_with_csv(whole: str, name: str, encoding: str, text: Callable[[], str]) -> Table:
    """A file whose header line is not plain: every record through the csv module."""
    reader = csv.reader(io.StringIO(whole, newline=""))
    try:
        header = [restore(h).strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        return parse_csv(text(), name, encoding)
    if header_problems(header, name):
        return parse_csv(text(), name, encoding)
    width = len(header)
    columns = _Columns(width)
    if not _read_records(reader, columns, width, 1):
        return parse_csv(text(), name, encoding)
    return Table(name, header, columns.rows(header), encoding, columns.row_numbers())


def _read_records(reader: Iterator[list[str]], columns: _Columns, width: int, last: int) -> bool:
    """Add the csv module's records after spreadsheet row ``last`` to ``columns``; False when
    the file has a problem (a row longer than the header, or one the csv module cannot read),
    which parse_csv names."""
    try:
        while chunk := list(islice(reader, RECORDS)):
            records, numbers = [], []
            for number, line in enumerate(chunk, start=last + 1):
                joined = "".join(line)
                if "'" in joined:
                    line = _restored(line)
                    joined = "".join(line)
                if not joined.strip():
                    continue  # a blank row: skipped, counted
                if len(line) > width:
                    return False
                records.append(line + [""] * (width - len(line)) if len(line) < width else line)
                numbers.append(number)
            last += len(chunk)
            parts = [list(map(itemgetter(j), records)) for j in range(width)]
            columns.add(parts, numbers, _padded(parts))
    except csv.Error:
        return False
    return True


def _split_plain(piece: str, width: int, limit: int
                 ) -> tuple[list[list[str]], Sequence[int] | None, int, set[int]] | None:
    """The columns of a piece of lines read as the csv module would, which of its lines are
    rows (None: all of them; the others are blank), how many lines it holds and which columns
    may hold a cell with white space around it; None when the piece needs the csv module."""
    if '"' in piece or "\x00" in piece:
        return None
    if "\r" in piece:
        if piece.count("\r") != piece.count("\r\n"):
            return None
        piece = piece.replace("\r\n", "\n")
    body = piece.split("\n")
    if body[-1] == "":
        body.pop()  # the piece ends with a line break
    physical = len(body)
    if max(map(len, body)) >= limit:
        return None
    apostrophes = "'" in piece
    kept: list[int] | None = None
    if set(map(_COMMAS, body)) != {width - 1}:  # blank rows, or short or long ones
        filled = list(map(str.strip, map(_NO_COMMAS, body)))  # '' for a blank row
        if apostrophes:  # a row of restored cells may be blank ("'\t" is a tab)
            filled = [content if "'" not in content or "".join(_restored(line.split(","))).strip()
                      else "" for content, line in zip(filled, body, strict=True)]
        kept = [k for k, content in enumerate(filled) if content]
        body = [body[k] for k in kept]
        if body and set(map(_COMMAS, body)) != {width - 1}:
            return None  # short or long rows: the csv module pads them or parse_csv names them
    joined = ",".join(body)
    cells = joined.split(",") if body else []
    if apostrophes:
        cells = _restored(cells)
    parts = [cells[j::width] for j in range(width)]
    if kept is None and body:
        blank = _blank_rows(parts)
        if blank:
            kept = [k for k in range(physical) if k not in blank]
            parts = [[part[k] for k in kept] for part in parts]
    return parts, kept, physical, _padded(parts) if apostrophes or _padded_cells(joined) else set()


def _blank_rows(parts: list[list[str]]) -> set[int]:
    """The rows of full width whose every cell is blank (only commas and white space): rows
    whose first cell is blank, looked at only when the first column has a blank cell."""
    first = parts[0]
    if "" not in first and not has_space("".join(first)):
        return set()  # no cell of the first column is empty or holds white space
    return {k for k, cell in enumerate(first)
            if not cell.strip() and all(not part[k].strip() for part in parts)}


def has_space(text: str) -> bool:
    """Does ``text`` hold any white space (as ``str.strip`` and ``str.split`` know it)? One
    pass in C: ``split`` gives back ``text`` itself when it finds none."""
    found = text.split(None, 1)
    return bool(text) and (len(found) != 1 or len(found[0]) != len(text))


def _padded_cells(joined: str) -> bool:
    """May a cell of ``joined`` (a piece's rows joined by commas) have white space around it?
    Most pieces hold none at all; many hold spaces only inside cells (geopoints, several
    choices, free text): there a space beside a comma, or at either end, is the only sign."""
    if not has_space(joined):
        return False
    if has_space(joined.replace(" ", "")):
        return True  # white space other than spaces: look at each column
    return ", " in joined or " ," in joined or joined[:1] == " " or joined[-1:] == " "


def _padded(parts: list[list[str]]) -> set[int]:
    """The columns of ``parts`` that hold some white space (so perhaps around a cell)."""
    return {j for j, part in enumerate(parts) if has_space("".join(part))}


def _restored(cells: list[str]) -> list[str]:
    """``cells`` with the apostrophes ``evaluator.sheets`` put before formulas taken off."""
    return [restore(c) if c[:1] == "'" else c for c in cells]


class _Columns:
    """Columns growing a piece at a time; a column whose first piece repeats itself (half its
    cells repeat another) keeps each distinct cell once."""

    def __init__(self, width: int):
        self.columns: list[list[str]] = [[] for _ in range(width)]
        self.pools: list[dict[str, str] | None] | None = None
        self.size = 0
        #: The spreadsheet row of each row; None while they are rows 2, 3, 4... (no blank row
        #: yet), which the table then leaves out: ``Table.numbers`` () means index + 2, and the
        #: 200,000 numbers of a roster would cost 7 MB.
        self.numbers: list[int] | None = None
        self.padded: set[int] = set()  # columns that may hold a cell with white space around it

    def add(self, parts: list[list[str]], numbers: Sequence[int], padded: set[int]) -> None:
        if not numbers:
            return
        # Row numbers only grow: the first and last tell whether these follow on without a gap.
        if self.numbers is not None or numbers[0] != self.size + 2 or numbers[-1] != self.size + 1 + len(numbers):
            if self.numbers is None:
                self.numbers = list(range(2, self.size + 2))
            self.numbers.extend(numbers)
        self.size += len(numbers)
        self.padded |= padded
        if self.pools is None:
            self.pools = [{} if len(set(part)) * 2 <= len(part) else None for part in parts]
        for column, part, pool in zip(self.columns, parts, self.pools, strict=True):
            if pool is None:
                column.extend(part)
            else:  # the pool's cell for each cell, the cell itself when it is new
                column.extend(map(pool.setdefault, part, part))

    def rows(self, header: list[str]) -> Rows:
        """The columns as ``Rows``, each column without white space named as such
        (``Rows.stripped`` then costs nothing)."""
        clean = [h for j, h in enumerate(header) if j not in self.padded]
        return Rows(dict(zip(header, self.columns, strict=True)), size=self.size, unpadded=clean)

    def row_numbers(self) -> tuple[int, ...]:
        """``Table.numbers``: () when the rows are rows 2, 3, 4... of the file."""
        return () if self.numbers is None else tuple(self.numbers)
