"""Files attached to a form (附件数据): the CSV and XML lists of ``select_one_from_file``,
``instance('name')`` lookups and ``pulldata()``.

ODK sends such files beside the form; here they are read once, at import, into the survey model
(``files: {name: {columns: [...], rows: [[...], ...]}}``) so they are versioned, hashed and
stored with the survey they belong to, and reach the tablet with it. An XML file becomes the
same table: one row per child of the root, one column per grandchild element (ODK's
``/root/item/name`` shape).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException

from evaluator.definitions.problems import Problem

FILE_SUFFIXES = (".csv", ".xml")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILE_ROWS = 50_000

Table = dict[str, list[Any]]  # {"columns": [name, ...], "rows": [[text, ...], ...]}


class FileError(ValueError):
    """An attached file that cannot be read as a table; the message names the place."""


def read_attachment(path: Path) -> Table:
    """The table of one attached ``.csv`` (UTF-8, a header row) or ``.xml`` file."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileError(f"{size} bytes; an attached file holds at most {MAX_FILE_BYTES}")
    data = path.read_bytes()
    if path.suffix.lower() == ".xml":
        return xml_table(data)
    return csv_table(data)


def csv_table(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileError(f"not UTF-8 text (byte {error.start})") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise FileError("no header row")
    columns = [cell.strip() for cell in rows[0]]
    body = [[*row, *[""] * (len(columns) - len(row))][:len(columns)] for row in rows[1:]
            if any(cell.strip() for cell in row)]
    return _checked({"columns": columns, "rows": body})


def xml_table(data: bytes) -> Table:
    try:
        root = SafeElementTree.fromstring(data)
    except (SafeElementTree.ParseError, DefusedXmlException) as error:
        raise FileError(f"not well-formed XML: {error}") from None
    columns: list[str] = []
    items: list[dict[str, str]] = []
    for item in root:
        values = {_local(child): (child.text or "").strip() for child in item}
        values.update({f"@{_local_name(k)}": v for k, v in item.attrib.items()})
        for column in values:
            if column not in columns:
                columns.append(column)
        items.append(values)
    return _checked({"columns": columns, "rows": [[v.get(c, "") for c in columns]
                                                   for v in items]})


def _local(element: Element) -> str:
    return _local_name(element.tag)


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _checked(table: Table) -> Table:
    if len(table["rows"]) > MAX_FILE_ROWS:
        raise FileError(f"{len(table['rows'])} rows; an attached file holds at most "
                        f"{MAX_FILE_ROWS}")
    duplicates = sorted({c for c in table["columns"] if table["columns"].count(c) > 1})
    if duplicates:
        raise FileError("repeated column " + ", ".join(duplicates))
    return table


def file_problems(files: Any, source: str, where: str) -> list[Problem]:
    """What is wrong with a survey model's ``files`` mapping (as stored or hand-written)."""
    if not isinstance(files, Mapping):
        return [Problem(source, where, "'files' maps file names to {columns, rows}")]
    problems: list[Problem] = []
    for name, table in files.items():
        place = f"{where}.{name}"
        if not isinstance(name, str) or not name.lower().endswith(FILE_SUFFIXES):
            problems.append(Problem(source, place, "an attached file is named *.csv or *.xml"))
            continue
        if not isinstance(table, Mapping) or set(table) != {"columns", "rows"}:
            problems.append(Problem(source, place, "an attached file is {columns: [...], "
                                    "rows: [[...], ...]}"))
            continue
        columns, rows = table["columns"], table["rows"]
        if not (isinstance(columns, list) and columns
                and all(isinstance(c, str) and c for c in columns)):
            problems.append(Problem(source, f"{place}.columns", "a list of column names"))
            continue
        for number, row in enumerate(rows if isinstance(rows, list) else [None]):
            if not (isinstance(row, list) and len(row) == len(columns)
                    and all(isinstance(v, str) for v in row)):
                problems.append(Problem(source, f"{place}.rows[{number}]",
                                        f"a row is a list of {len(columns)} texts"))
                break
    return problems


def table_records(table: Mapping[str, Any]) -> list[dict[str, str]]:
    """The rows of an attached table as {column: text}."""
    columns = table["columns"]
    return [dict(zip(columns, row, strict=True)) for row in table["rows"]]
