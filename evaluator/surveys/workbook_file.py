"""What an XLSForm workbook file is, read from its bytes rather than its name (工作簿文件).

pyxform picks its reader by the file's suffix and names a header written twice without its
sheet; these helpers let the importer read a misnamed workbook and place such a refusal.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from evaluator.definitions.problems import DefinitionError, Problem

_OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # Excel 97-2003 (.xls)
_ZIP_MAGIC = b"PK\x03\x04"  # Office Open XML (.xlsx, .xlsm)


def format_by_content(path: Path) -> str | None:
    """The suffix the bytes call for when the file's own suffix says otherwise (ODK's own
    preview fixtures hold an old .xls workbook named .xlsx), else None."""
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = path.suffix.lower()
    if head != _OLE2_MAGIC and not head.startswith(_ZIP_MAGIC):
        raise DefinitionError([Problem(str(path), "", "cannot read the workbook: its content "
                                       "is not an Excel workbook (.xlsx, .xlsm or .xls)")])
    if head == _OLE2_MAGIC and suffix != ".xls":
        return ".xls"
    if head.startswith(_ZIP_MAGIC) and suffix == ".xls":
        return ".xlsx"
    return None


def header_place(path: Path, header: str) -> str:
    """``sheet survey, column D``: where a header is written a second time (pyxform's message
    names the header only)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            headers = _first_rows(path)
    except Exception:  # noqa: BLE001 - the place is a courtesy; the refusal stands without it
        return ""
    for sheet, row in headers:
        cells = [str(c).strip() if c is not None else "" for c in row]
        if cells.count(header) > 1:
            column = [i for i, c in enumerate(cells) if c == header][1]
            return f"sheet {sheet}, column {_column_letters(column)}"
    return ""


def _first_rows(path: Path) -> list[tuple[str, list[Any]]]:
    if path.suffix.lower() == ".xls":
        import xlrd  # type: ignore[import-untyped]  # pyxform reads .xls with it

        book = xlrd.open_workbook(str(path), on_demand=True)
        return [(s.name, s.row_values(0) if s.nrows else []) for s in book.sheets()]
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [(s.title, list(next(s.iter_rows(max_row=1, values_only=True), ())))
                for s in book.worksheets]
    finally:
        book.close()


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
