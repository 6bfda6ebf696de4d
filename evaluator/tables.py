"""Read tabular uploads (CSV or XLSX, UTF-8 or GBK) into plain rows, saying what was detected.

Rosters and system exports arrive from Chinese office software: Excel files, CSV saved as GBK
(GB18030 in practice) or as UTF-8 with a BOM. One reader handles them all so every import gives
the same row numbers in its error messages (row 1 is the header, data starts at row 2, as a
person sees it in a spreadsheet). Cells written by ``evaluator.sheets`` with a neutralising
apostrophe (``'=1+1``) read back as they were (``=1+1``).

Uploads are bounded before they are parsed (``Limits``): a workbook's parts may not expand
beyond a size or a ratio, a sheet whose declared dimension holds too many rows or columns is
refused from its first kilobytes, and rows are read as a stream that stops at the limit, so a
20 MB workbook of 600,000 rows is refused in well under a second instead of being parsed.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from evaluator.definitions.problems import DefinitionError, Problem, coded, coded_as
from evaluator.sheets import restore


@dataclass(frozen=True)
class Table:
    """A header and its data rows as strings; ``encoding`` says how the file was read."""

    path: str
    header: list[str]
    rows: Sequence[Mapping[str, str]]  # dicts, or a bundle's rows held as columns (bundle.rows)
    encoding: str
    numbers: tuple[int, ...] = ()

    def row_number(self, index: int) -> int:
        """Spreadsheet row number of ``rows[index]`` (the header is row 1; blank rows count)."""
        return self.numbers[index] if self.numbers else index + 2


def decode(data: bytes, path: str) -> tuple[str, str]:
    """Return (text, encoding name): UTF-8 (with or without BOM) first, then GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise DefinitionError([coded(path, f"byte {exc.start + 3}", "problem_bom_not_utf8")]
                                  ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError as exc:
        raise DefinitionError(
            [coded(path, f"byte {exc.start}", "problem_not_text")]
        ) from None


@dataclass(frozen=True)
class Limits:
    """What an upload may hold: data rows, columns, and for a workbook the size any of its
    parts may expand to and the ratio to its compressed size."""

    rows: int
    columns: int
    part_bytes: int = 256 * 1024 * 1024
    ratio: int = 100


def read_table(path: str | Path, *, sheet: str | None = None, limits: Limits | None = None
               ) -> Table:
    """Read ``path`` (.csv, .xlsx) into a ``Table``; raise ``DefinitionError`` naming the file.
    With ``limits``, a file beyond them is refused before (or as soon as) it is parsed."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise DefinitionError([Problem(name, "", "file not found")])
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        if limits is not None:
            _check_workbook(path, sheet, limits)
        return _read_xlsx(path, sheet, limits)
    if suffix in (".csv", ".txt", ""):
        text, encoding = decode(path.read_bytes(), name)
        return parse_csv(text, name, encoding, limits=limits)
    raise DefinitionError([coded(name, "", "problem_file_type", suffix=suffix)])


def _too_many(name: str, what: str, limits: Limits) -> DefinitionError:
    most = limits.rows if what == "rows" else limits.columns
    return DefinitionError([coded(name, "", f"problem_too_many_{what}", most=most)])


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]*[0-9]*(?::([A-Z]+)([0-9]+))?\"")
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')


#: The first bytes of a Compound File: what an encrypted (password) workbook or an old .xls is.
_COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _unreadable(path: Path, exc: Exception) -> Problem:
    """A workbook that cannot be opened. One that is no zip at all (an .xlsx is one: often
    another file renamed, or an encrypted workbook), or a zip that is no workbook, has its own
    code, so a page can say so in its language; the English is the same either way."""
    name = str(path)
    if isinstance(exc, zipfile.BadZipFile) and str(exc) == "File is not a zip file":
        with path.open("rb") as handle:
            head = handle.read(len(_COMPOUND_FILE))
        return coded(name, "", "problem_workbook_compound" if head == _COMPOUND_FILE
                     else "problem_workbook_not_zip")
    return coded_as(name, "", f"not a readable .xlsx workbook ({exc})",
                    ("problem_workbook_zip_not_xlsx", "problem_workbook_unreadable"))


def _unreadable_csv(name: str, where: str, exc: csv.Error) -> Problem:
    return coded_as(name, where, f"unreadable CSV: {exc}",
                    ("problem_csv_cell_too_long", "problem_unreadable_csv"))


def _check_workbook(path: Path, sheet: str | None, limits: Limits) -> None:
    """Refuse a workbook from its zip directory and the first bytes of its sheet: a part that
    expands too far (a zip bomb), or a sheet whose declared dimension is too large."""
    name = str(path)
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DefinitionError([_unreadable(path, exc)]) from None
    with book:
        for info in book.infolist():
            if info.file_size > limits.part_bytes or (
                    info.file_size > 1024 * 1024 and
                    info.file_size > limits.ratio * max(info.compress_size, 1)):
                raise DefinitionError([coded(name, info.filename, "problem_workbook_expands",
                                             size=info.file_size, compressed=info.compress_size)])
        part = _sheet_part(book, sheet)
        if part is None:
            return  # openpyxl names what is missing
        with book.open(part) as handle:
            head = handle.read(64 * 1024)
            found = _DIMENSION.search(head)
            if found is None or not found.group(2):
                # No declared size (openpyxl would read the whole sheet to find one): count
                # the rows in the raw XML, a chunk at a time, and stop past the limit.
                if _count_rows(head, handle, limits.rows + 2) > limits.rows + 1:
                    raise _too_many(name, "rows", limits)
                return
    rows, columns = int(found.group(2)) - 1, _column_number(found.group(1).decode())
    if rows > limits.rows:
        raise _too_many(name, "rows", limits)
    if columns > limits.columns:
        raise _too_many(name, "columns", limits)


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")


def _count_rows(head: bytes, handle, stop: int) -> int:
    """``<row>`` elements in the sheet XML (``head`` then the rest of ``handle``), up to
    ``stop``."""
    count, tail, chunk = 0, b"", head
    while chunk:
        text = tail + chunk
        count += len(_ROW_TAG.findall(text))
        if count >= stop:
            return count
        tail = text[-16:]
        count -= len(_ROW_TAG.findall(tail))  # counted again with the next chunk
        chunk = handle.read(1024 * 1024)
    return count


def _sheet_part(book: zipfile.ZipFile, sheet: str | None) -> str | None:
    """The zip part of the sheet ``read_table`` reads: ``sheet`` by name, else the first."""
    try:
        workbook = book.read("xl/workbook.xml")[:4 * 1024 * 1024]
        rels = book.read("xl/_rels/workbook.xml.rels")[:4 * 1024 * 1024]
    except KeyError:
        return None
    targets = {}
    for tag in re.findall(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
        attributes = dict(_ATTRIBUTE.findall(tag))
        targets[attributes.get(b"Id", b"")] = attributes.get(b"Target", b"").decode()
    for tag in _SHEET_TAG.findall(workbook):
        attributes = {k.split(b":")[-1]: v for k, v in _ATTRIBUTE.findall(tag)}
        if sheet is not None and attributes.get(b"name", b"").decode() != sheet:
            continue
        target = targets.get(attributes.get(b"id", b""), "").lstrip("/")
        part = target if target.startswith("xl/") else f"xl/{target}"
        return part if part in book.namelist() else None
    return None


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def detect_delimiter(text: str) -> str:
    """',' or ';' (KoboToolbox's default CSV export), whichever splits the header into more
    columns; a tie is ','. Only the header decides: data cells may hold either."""
    counts = {",": 0, ";": 0}
    quoted = False
    for char in text.split("\n", 1)[0]:
        if char == '"':
            quoted = not quoted
        elif char in counts and not quoted:
            counts[char] += 1
    return ";" if counts[";"] > counts[","] else ","


def parse_csv(text: str, name: str, encoding: str = "utf-8", *,
              limits: Limits | None = None) -> Table:
    """Parse CSV text (',' or ';' separated); a row with more cells than the header is a
    problem, fewer are padded. With ``limits``, reading stops at the first row or column
    beyond them."""
    reader: Iterator[list[str]] = csv.reader(io.StringIO(text, newline=""),
                                             delimiter=detect_delimiter(text))
    if "'" in text:  # apostrophes that may neutralise formulas (evaluator.sheets): undo them
        reader = ([restore(cell) for cell in line] for line in reader)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise DefinitionError([coded(name, "row 1", "problem_file_empty")]) from None
    except csv.Error as exc:
        raise DefinitionError([_unreadable_csv(name, "row 1", exc)]) from None
    if limits is not None and len(header) > limits.columns:
        raise _too_many(name, "columns", limits)
    most = limits.rows if limits is not None else None
    problems = header_problems(header, name)
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    row = 1  # records, not physical lines: a quoted cell may span lines, as in a spreadsheet
    try:
        for line in reader:
            row += 1
            if not any(cell.strip() for cell in line):
                continue
            if len(line) > len(header):
                problems.append(coded(name, f"row {row}", "problem_too_many_cells",
                                      cells=len(line), columns=len(header)))
                continue
            line = line + [""] * (len(header) - len(line))
            rows.append(dict(zip(header, line, strict=True)))
            numbers.append(row)
            if limits is not None and most is not None and len(rows) > most:
                raise _too_many(name, "rows", limits)
    except csv.Error as exc:
        problems.append(_unreadable_csv(name, f"row {row + 1}", exc))
    if problems:
        raise DefinitionError(problems)
    return Table(name, header, rows, encoding, tuple(numbers))


def _read_xlsx(path: Path, sheet: str | None, limits: Limits | None = None) -> Table:
    import openpyxl  # imported here: only XLSX uploads pay for it

    name = str(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise DefinitionError([_unreadable(path, exc)]) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise DefinitionError([coded(name, f"sheet {sheet}", "problem_sheet_not_found")])
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        values = ws.iter_rows(values_only=True)
        try:
            header = [_cell_text(v).strip() for v in next(values)]
        except StopIteration:
            raise DefinitionError([coded(name, "row 1", "problem_sheet_empty")]) from None
        while header and not header[-1]:
            header.pop()
        if limits is not None and len(header) > limits.columns:
            raise _too_many(name, "columns", limits)
        problems = header_problems(header, name)
        if problems:
            raise DefinitionError(problems)
        rows = []
        numbers = []
        for row, raw in enumerate(values, start=2):
            cells = [_cell_text(v) for v in raw[: len(header)]]
            if not any(c.strip() for c in cells):
                continue
            cells += [""] * (len(header) - len(cells))
            rows.append(dict(zip(header, cells, strict=True)))
            numbers.append(row)
            if limits is not None and len(rows) > limits.rows:
                raise _too_many(name, "rows", limits)
        return Table(name, header, rows, "xlsx", tuple(numbers))
    finally:
        book.close()


def _cell_text(value: object) -> str:
    """Excel cells as the text a person typed: 12.0 -> '12', dates -> ISO, None -> ''."""
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return restore(str(value))


def header_problems(header: list[str], name: str) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for col, title in enumerate(header, start=1):
        if not title:
            problems.append(coded(name, f"row 1, column {col}", "problem_empty_column_name"))
        elif title in seen:
            problems.append(coded(name, f"row 1, column {title}", "problem_column_twice"))
        seen.add(title)
    return problems
