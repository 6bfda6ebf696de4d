"""Read tabular uploads (CSV or XLSX, UTF-8 or GBK) into plain rows, saying what was detected.

Rosters and system exports arrive from Chinese office software: Excel files, CSV saved as GBK
(GB18030 in practice) or as UTF-8 with a BOM. One reader handles them all so every import gives
the same row numbers in its error messages (row 1 is the header, data starts at row 2, as a
person sees it in a spreadsheet). Cells written by ``evaluator.sheets`` with a neutralising
apostrophe (``'=1+1``) read back as they were (``=1+1``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from evaluator.definitions.problems import DefinitionError, Problem
from evaluator.sheets import restore


@dataclass(frozen=True)
class Table:
    """A header and its data rows as strings; ``encoding`` says how the file was read."""

    path: str
    header: list[str]
    rows: list[dict[str, str]]
    encoding: str
    numbers: tuple[int, ...] = ()

    def row_number(self, index: int) -> int:
        """Spreadsheet row number of ``rows[index]`` (the header is row 1; blank rows count)."""
        return self.numbers[index] if self.numbers else index + 2


def decode(data: bytes, path: str) -> tuple[str, str]:
    """Return (text, encoding name): UTF-8 (with or without BOM) first, then GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError as exc:
        raise DefinitionError(
            [Problem(path, f"byte {exc.start}", "not UTF-8 or GBK text; save it as CSV UTF-8")]
        ) from None


def read_table(path: str | Path, *, sheet: str | None = None) -> Table:
    """Read ``path`` (.csv, .xlsx) into a ``Table``; raise ``DefinitionError`` naming the file."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise DefinitionError([Problem(name, "", "file not found")])
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet)
    if suffix in (".csv", ".txt", ""):
        text, encoding = decode(path.read_bytes(), name)
        return parse_csv(text, name, encoding)
    raise DefinitionError([Problem(name, "", f"unsupported file type {suffix!r}; use .csv or .xlsx")])


def parse_csv(text: str, name: str, encoding: str = "utf-8") -> Table:
    """Parse CSV text; a row with more cells than the header is a problem, fewer are padded."""
    reader = csv.reader(io.StringIO(text, newline=""))
    if "'" in text:  # apostrophes that may neutralise formulas (evaluator.sheets): undo them
        reader = ([restore(cell) for cell in line] for line in reader)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise DefinitionError([Problem(name, "row 1", "the file is empty; expected a header row")]) from None
    except csv.Error as exc:
        raise DefinitionError([Problem(name, "row 1", f"unreadable CSV: {exc}")]) from None
    problems = _header_problems(header, name)
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    row = 1  # records, not physical lines: a quoted cell may span lines, as in a spreadsheet
    try:
        for line in reader:
            row += 1
            if not any(cell.strip() for cell in line):
                continue
            if len(line) > len(header):
                problems.append(
                    Problem(name, f"row {row}",
                            f"{len(line)} cells but the header has {len(header)} columns")
                )
                continue
            line = line + [""] * (len(header) - len(line))
            rows.append(dict(zip(header, line, strict=True)))
            numbers.append(row)
    except csv.Error as exc:
        problems.append(Problem(name, f"row {row + 1}", f"unreadable CSV: {exc}"))
    if problems:
        raise DefinitionError(problems)
    return Table(name, header, rows, encoding, tuple(numbers))


def _read_xlsx(path: Path, sheet: str | None) -> Table:
    import openpyxl  # imported here: only XLSX uploads pay for it

    name = str(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise DefinitionError([Problem(name, "", f"not a readable .xlsx workbook ({exc})")]) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise DefinitionError([Problem(name, f"sheet {sheet}", "sheet not found")])
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        values = ws.iter_rows(values_only=True)
        try:
            header = [_cell_text(v).strip() for v in next(values)]
        except StopIteration:
            raise DefinitionError([Problem(name, "row 1", "the sheet is empty; expected a header row")]) from None
        while header and not header[-1]:
            header.pop()
        problems = _header_problems(header, name)
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


def _header_problems(header: list[str], name: str) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for col, title in enumerate(header, start=1):
        if not title:
            problems.append(Problem(name, f"row 1, column {col}", "empty column name in the header"))
        elif title in seen:
            problems.append(Problem(name, f"row 1, column {title}", "column appears twice in the header"))
        seen.add(title)
    return problems
