"""XLSForm workbooks for the survey page tests, written with openpyxl as an author's Excel
would save them: a small bilingual visit form (a consent question whose answer shows or hides
the next one, a list read from an attached CSV) and ways to break it."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

SURVEY = [
    ["type", "name", "label::中文 (zh)", "label::English (en)", "relevant", "required"],
    ["select_one yes_no", "consent", "是否同意接受访问", "Does the household agree to the visit",
     "", "yes"],
    ["integer", "members", "家庭人口数", "Household members", "${consent} = 'yes'", ""],
    ["select_one_from_file towns.csv", "town", "所在乡镇", "Township", "", ""],
    ["text", "remark", "备注", "Remarks", "", ""],
]
CHOICES = [
    ["list_name", "name", "label::中文 (zh)", "label::English (en)"],
    ["yes_no", "yes", "同意", "Yes"],
    ["yes_no", "no", "不同意", "No"],
]
TOWNS_CSV = "name,label\nchengguan,城关镇\nxinhe,新河乡\n".encode()


def settings(version: str = "2026.12", style: str = "") -> list[list[str]]:
    return [["form_id", "version", "form_title", "form_title_en", "default_language", "style"],
            ["visit_check", version, "入户核查", "Household visit check", "zh", style]]


def workbook(survey: list[list[Any]] | None = None, choices: list[list[Any]] | None = None,
             version: str = "2026.12", style: str = "") -> bytes:
    """The visit form as .xlsx bytes (``survey``/``choices`` replace the sheets' rows;
    ``style``: the settings sheet's, e.g. ``pages``)."""
    book = openpyxl.Workbook()
    sheets = (("survey", survey or SURVEY), ("choices", choices or CHOICES),
              ("settings", settings(version, style)))
    for index, (name, rows) in enumerate(sheets):
        sheet = book.worksheets[0] if index == 0 else book.create_sheet(name)
        sheet.title = name
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
