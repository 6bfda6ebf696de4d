"""XLSForm workbooks out (XLSForm 导出): the survey model as the three sheets pyxform, ODK and
KoboToolbox read, with its attached files written beside the workbook.

Columns go out as the model holds them (the spec's spelling, languages as bare codes), every
cell as text (a label starting with ``=`` is never a formula). Settings the model keeps for the
round trip (``style``, ``instance_name``, ...) go back to the settings sheet.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook

from evaluator.definitions.problems import DefinitionError
from evaluator.surveys.validation import survey_problems


def export_xlsform(data: Mapping[str, Any], path: str | Path, *, source: str = "") -> list[Path]:
    """Write the YAML model as an XLSForm workbook; returns the attached files written beside
    it. The default-language title is ``form_title``, the others ``form_title_<code>``;
    ``source`` names the YAML for problems."""
    problems = survey_problems(data, source or str(data.get("id", "survey")))
    if problems:
        raise DefinitionError(problems)
    path = Path(path)
    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook has one sheet
    sheet.title = "survey"
    _write_sheet(sheet, [dict(row) for row in data["survey"]], [])
    for key in ("choices", "external_choices"):
        if data.get(key):
            rows = [{"list_name": name, **item} for name, items in data[key].items()
                    for item in items]
            _write_sheet(book.create_sheet(key), rows, ["list_name", "name"])
    language = data["default_language"]
    settings: dict[str, Any] = {
        "form_id": data["id"],
        "version": data["version"],
        "form_title": data["title"][language],
        "default_language": language,
        "source": data["source"],
        **(data.get("settings") or {}),
    }
    for code, text in data["title"].items():
        if code != language:
            settings[f"form_title_{code}"] = text
    _write_sheet(book.create_sheet("settings"), [settings], [])
    book.save(str(path))
    written = []
    for name, table in (data.get("files") or {}).items():
        target = path.parent / name
        _write_table(target, table)
        written.append(target)
    return written


def _write_sheet(sheet: Any, rows: list[dict[str, Any]], first: list[str]) -> None:
    columns = list(first)
    for row in rows:
        columns += [c for c in row if c not in columns]
    sheet.append(columns)
    for number, row in enumerate(rows, start=2):
        for position, column in enumerate(columns, start=1):
            if column not in row:
                continue
            value = row[column]
            if isinstance(value, bool):
                value = "true" if value else "false"
            cell = sheet.cell(row=number, column=position, value=str(value))
            cell.data_type = "s"  # never a formula, even when the text starts with '='


def _write_table(target: Path, table: Mapping[str, Any]) -> None:
    """An attached table back in its own format: CSV with a header, or ODK's item XML."""
    if target.suffix.lower() == ".xml":
        lines = ["<root>"]
        for row in table["rows"]:
            cells = "".join(f"<{c}>{escape(v)}</{c}>" for c, v in zip(table["columns"], row,
                                                                     strict=True)
                            if not c.startswith("@"))
            lines.append(f"  <item>{cells}</item>")
        target.write_text("\n".join([*lines, "</root>"]) + "\n", encoding="utf-8")
        return
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(table["columns"])
        writer.writerows(table["rows"])
