"""The one writer of tables: every CSV and XLSX the app and the CLI write goes through here.

A spreadsheet opens a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (CSV injection: ``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``), and household
answers, findings and roster cells are typed by people outside the team. So such a value is
written with a leading apostrophe, as ODK Central and KoboToolbox do (``=1+1`` -> ``'=1+1``):
a spreadsheet shows it as text. Plain numbers (``-5``, ``+3.5``, ``1e-3``) are left alone: a
spreadsheet reads them as numbers, never as formulas, and they must stay numbers.

The prefix is reversible: a value that already begins with apostrophes before a formula
character gets one more, so ``restore`` (applied by ``evaluator.tables`` when a bundle, roster
or system file is read back) gives every value exactly as it was. ``raw=True`` writes values
verbatim, for a bundle going to another tool (``bundle.zip?raw=1``); XLSX has no raw mode.

XLSX is written with XlsxWriter (streaming, constant memory) with every cell a string: no
formulas, numbers, dates or links made from text, whatever the text looks like. Why not a
library for the CSV side: ``defusedcsv`` neither treats a leading tab or carriage return nor
keeps values reversible (it rewrites ``|`` as ``\\|``), and the rule is the two lines below.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

#: What makes a spreadsheet read a cell as a formula (OWASP: CSV injection).
FORMULA_LEADS = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
#: Excel's limit on the text of one cell.
MAX_CELL_CHARS = 32_767


def _risky(core: str) -> bool:
    return core[:1] in FORMULA_LEADS and not _NUMBER.fullmatch(core)


def neutralise(value: str) -> str:
    """``value`` as a spreadsheet must show it: with one more leading apostrophe when, after
    the apostrophes it already has, it starts like a formula (and is not a plain number)."""
    if value[:1] in FORMULA_LEADS:
        return "'" + value if _risky(value) else value
    if value[:1] == "'" and _risky(value.lstrip("'")):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The value ``neutralise`` was given (``restore(neutralise(v)) == v`` for every string)."""
    if value[:1] == "'" and _risky(value.lstrip("'")):
        return value[1:]
    return value


def neutralise_row(cells: Sequence[str]) -> list[str]:
    """``neutralise`` over a row; most cells pass one set lookup."""
    return [neutralise(c) if c[:1] in _LEADS_OR_QUOTE else c for c in cells]


_LEADS_OR_QUOTE = FORMULA_LEADS | {"'"}


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]], *, raw: bool = False) -> bytes:
    """CSV of ``header`` and rows of cells (strings), UTF-8 with a BOM (Excel on Chinese Windows
    opens it correctly) and CRLF line ends as Excel writes them; neutralised unless ``raw``."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    if raw:
        writer.writerow(header)
        writer.writerows(rows)
    else:
        writer.writerow(neutralise_row(header))
        writer.writerows(map(neutralise_row, rows))
    return buffer.getvalue().encode("utf-8-sig")


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]], *,
             lineterminator: str = "\n") -> str:
    """CSV text (no BOM), neutralised: for a command that prints its table."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=lineterminator)
    writer.writerow(neutralise_row(header))
    writer.writerows(map(neutralise_row, rows))
    return buffer.getvalue()


def sheet_name(name: str, taken: Iterable[str] = ()) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``, unique."""
    base = _SHEET_NAME_BAD.sub("_", name).strip("'")[:31] or "sheet"
    taken = {t.lower() for t in taken}
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f"~{n}"
        candidate = base[:31 - len(suffix)] + suffix
    return candidate


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[str]]]]) -> bytes:
    """A workbook with one worksheet per ``(name, header, rows)``: every cell a string,
    neutralised; rows streamed (XlsxWriter's constant-memory mode). A cell longer than Excel's
    32,767 characters is cut there (Excel could not open the file otherwise)."""
    import xlsxwriter  # imported here: only XLSX exports pay for it

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {
        "constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False})
    names: list[str] = []
    for name, header, rows in sheets:
        names.append(sheet_name(name, names))
        sheet = book.add_worksheet(names[-1])
        for r, cells in enumerate(_with_header(header, rows)):
            for c, value in enumerate(neutralise_row([str(v) for v in cells])):
                if value:
                    sheet.write_string(r, c, value[:MAX_CELL_CHARS])
    book.close()
    return buffer.getvalue()


def _with_header(header: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterable[Sequence[str]]:
    yield header
    yield from rows
