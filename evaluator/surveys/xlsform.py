"""XLSForm workbooks in and out (XLSForm 导入导出), for the subset in ``subset``.

Reading goes through pyxform's own workbook reader (``pyxform.xls2json_backends``), so a file
reads here exactly as ODK and KoboToolbox read it: same header clean-up, same cell-to-text rules,
same blank-row handling. Writing uses openpyxl and produces the three sheets pyxform expects
(survey, choices, settings).

KoboToolbox downloads carry bookkeeping that means nothing to a form: columns starting with ``$``
(``$kuid``, ``$autoname``, ``$autovalue``, ``$prev``, ``$xpath``, ``$qpath``, ``$given_name``),
a ``calculate`` row named ``__version__`` holding Kobo's version id, and the settings ``style``,
``name``, ``instance_name``, ``submission_url``, ``auto_send`` and ``auto_delete``. Those are
dropped on import. Everything else outside the subset is refused with its sheet, row and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from pyxform.errors import PyXFormError
from pyxform.xls2json_backends import get_xlsform

from evaluator.definitions.problems import DefinitionError, Problem
from evaluator.surveys.subset import LANGUAGE_RE, NAME_RE, TRANSLATABLE_COLUMNS, split_column
from evaluator.surveys.validation import Locator, survey_problems

IGNORED_SETTINGS = frozenset({"style", "name", "instance_name", "submission_url", "auto_send",
                              "auto_delete"})
SETTINGS_COLUMNS = {"form_id": "id", "id_string": "id", "version": "version",
                    "form_title": "title", "default_language": "default_language",
                    "source": "source"}
# A title in a language other than the default: pyxform's form_title has one language only.
TITLE_COLUMN_RE = re.compile(r"form_title_([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)")
KOBO_VERSION_ROW = "__version__"
REFUSED_SHEETS = ("external_choices", "entities", "osm")
_CODE_IN_PARENS_RE = re.compile(r"\(([^()]+)\)\s*$")


class _SheetLocator(Locator):
    """Answers in spreadsheet terms: ``sheet survey, row 7, column label::Chinese (zh)``."""

    def __init__(self) -> None:
        self.survey_rows: list[int] = []
        self.survey_headers: dict[str, str] = {}
        self.choice_rows: dict[str, list[int]] = {}
        self.choice_headers: dict[str, str] = {}
        self.settings_headers: dict[str, str] = {}

    def top(self, key: str) -> str:
        if key in ("survey", "choices"):
            return f"sheet {key}"
        header = self.settings_headers.get(key)
        return f"sheet settings, row 2, column {header}" if header else f"sheet settings, {key}"

    def row(self, index: int, column: str | None = None) -> str:
        where = f"sheet survey, row {self.survey_rows[index]}"
        return where + (f", column {self.survey_headers.get(column, column)}" if column else "")

    def choice(self, list_name: str, index: int | None = None, column: str | None = None) -> str:
        rows = self.choice_rows.get(list_name, [])
        if index is None or index >= len(rows):
            return f"sheet choices, list {list_name}"
        where = f"sheet choices, row {rows[index]}"
        return where + (f", column {self.choice_headers.get(column, column)}" if column else "")


def language_code(text: str) -> str | None:
    """``Chinese (zh)`` -> ``zh`` (KoboToolbox style); ``zh`` -> ``zh``; ``Chinese`` -> None."""
    text = text.strip()
    found = _CODE_IN_PARENS_RE.search(text)
    code = found.group(1).strip() if found else text
    return code if LANGUAGE_RE.fullmatch(code) else None


def import_xlsform(path: str | Path) -> dict[str, Any]:
    """The YAML model (a plain dict) of an XLSForm workbook, checked like a YAML survey."""
    path = Path(path)
    file = str(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise DefinitionError([Problem(file, "", "an XLSForm is read from an .xlsx workbook")])
    if not path.is_file():
        raise DefinitionError([Problem(file, "", "no such file")])
    try:
        book = get_xlsform(str(path))
    except (PyXFormError, OSError, ValueError, KeyError, AttributeError) as error:
        # pyxform raises AttributeError for a header cell that is not text.
        raise DefinitionError([Problem(file, "", f"cannot read the workbook: {error}")]) from None
    return _Importer(file, book).run()


class _Importer:
    def __init__(self, file: str, book: Any):
        self.file = file
        self.book = book
        self.at = _SheetLocator()
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))

    def run(self) -> dict[str, Any]:
        for sheet in REFUSED_SHEETS:
            if getattr(self.book, sheet, None):
                self.add(f"sheet {sheet}", f"the {sheet} sheet is not supported")
        if not self.book.survey:
            self.add("sheet survey", "the workbook has no survey sheet (or it is empty)")
            raise DefinitionError(self.problems)
        settings = self.read_settings()
        language = settings["default_language"]
        data: dict[str, Any] = settings
        data["survey"] = self.read_survey(language)
        if self.book.choices is not None:
            data["choices"] = self.read_choices(language)
        self.problems += survey_problems(data, self.file, self.at)
        if self.problems:
            raise DefinitionError(self.problems)
        return data

    # settings

    def read_settings(self) -> dict[str, Any]:
        headers = _headers(self.book.settings_header)
        row = self.book.settings[0] if self.book.settings else {}
        found: dict[str, str] = {}
        titles: dict[str, str] = {}
        for header in headers:
            where = f"sheet settings, row 2, column {header}"
            value = row.get(header)
            if header.startswith("$") or header in IGNORED_SETTINGS:
                continue
            if title_match := TITLE_COLUMN_RE.fullmatch(header):
                if value:
                    titles[title_match.group(1)] = value
                continue
            key = SETTINGS_COLUMNS.get(header)
            if key is None:
                self.add(where, f"setting '{header}' is not supported")
                continue
            if key in found:
                continue  # form_id wins over id_string (both name the form)
            self.at.settings_headers[key] = header
            if value is not None:
                found[key] = value
        language = self.default_language(found)
        title = found.pop("title", None)
        form_id = found.get("id") or _name_from(self.book.fallback_form_name or "survey")
        data: dict[str, Any] = {"id": form_id}
        if "version" in found:
            data["version"] = found["version"]
        else:
            self.add("sheet settings", "no version: add a version column to the settings sheet "
                     "(e.g. 2026.1)")
        data["source"] = found.get("source", form_id)
        data["title"] = {language: title or form_id, **titles}
        data["default_language"] = language
        return data

    def default_language(self, found: dict[str, str]) -> str:
        given = found.get("default_language")
        if given is not None:
            code = language_code(given)
            if code is None:
                self.add(self.at.top("default_language"),
                         f"default_language '{given}' needs a language code, e.g. Chinese (zh)")
                return "zh"
            return code
        # Without a default, a form whose columns all carry one language speaks that language;
        # anything else falls back to Chinese, the platform's default.
        codes = []
        for header in _headers(self.book.survey_header):
            base, suffix = split_column(header)
            if base == "label":
                if suffix is None:
                    return "zh"
                if (code := language_code(suffix)) and code not in codes:
                    codes.append(code)
        return codes[0] if len(codes) == 1 else "zh"

    # survey and choices

    def map_headers(self, sheet: str, headers: list[str], translatable: tuple[str, ...],
                    language: str) -> dict[str, str]:
        """Original header -> model column, for the headers that are kept."""
        mapped: dict[str, str] = {}
        seen: dict[str, str] = {}
        for header in headers:
            if header.startswith("$") or (sheet == "choices" and header == "list_name"):
                continue
            base, suffix = split_column(header)
            column = header
            if base in translatable:
                code = language if suffix is None else language_code(suffix)
                if code is None:
                    self.add(f"sheet {sheet}, row 1, column {header}",
                             f"'{header}' needs a language code, e.g. {base}::Chinese (zh) "
                             f"or {base}::zh")
                    continue
                column = f"{base}::{code}"
            if column in seen:
                self.add(f"sheet {sheet}, row 1, column {header}",
                         f"'{header}' repeats '{seen[column]}' (both are {column})")
                continue
            seen[column] = header
            mapped[header] = column
        return mapped

    def read_survey(self, language: str) -> list[dict[str, Any]]:
        columns = self.map_headers("survey", _headers(self.book.survey_header),
                                   TRANSLATABLE_COLUMNS, language)
        self.at.survey_headers = {column: header for header, column in columns.items()}
        rows: list[dict[str, Any]] = []
        for index, raw in enumerate(self.book.survey):
            row = {columns[h]: v for h, v in raw.items() if h in columns}
            if not row:
                continue
            if row.get("type") == "calculate" and row.get("name") == KOBO_VERSION_ROW:
                continue
            if row.get("required") in ("true", "false"):
                row["required"] = row["required"] == "true"
            rows.append(row)
            self.at.survey_rows.append(index + 2)
        return rows

    def read_choices(self, language: str) -> dict[str, list[dict[str, Any]]]:
        columns = self.map_headers("choices", _headers(self.book.choices_header), ("label",),
                                   language)
        self.at.choice_headers = {column: header for header, column in columns.items()}
        lists: dict[str, list[dict[str, Any]]] = {}
        for index, raw in enumerate(self.book.choices or []):
            item = {columns[h]: v for h, v in raw.items() if h in columns}
            list_name = raw.get("list_name")
            if not item and not list_name:
                continue
            if not list_name:
                self.add(f"sheet choices, row {index + 2}, column list_name",
                         "the choice has no list_name")
                continue
            lists.setdefault(list_name, []).append(item)
            self.at.choice_rows.setdefault(list_name, []).append(index + 2)
        return lists


def _headers(header_rows: Any) -> list[str]:
    """pyxform keeps each sheet's header as a one-row list of {column: None}, in sheet order."""
    if not header_rows:
        return []
    return [str(h) for h in header_rows[0]]


def _name_from(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "survey"
    return name if NAME_RE.fullmatch(name) and not name[0].isdigit() else f"_{name}"


# -- export -------------------------------------------------------------------------------------

def export_xlsform(data: Mapping[str, Any], path: str | Path, *, source: str = "") -> None:
    """Write the YAML model as an XLSForm workbook that pyxform, ODK and KoboToolbox accept.

    Languages are written as bare codes (``label::zh``), the default-language title as
    ``form_title`` and the others as ``form_title_<code>``; ``source`` names the YAML for problems.
    """
    problems = survey_problems(data, source or str(data.get("id", "survey")))
    if problems:
        raise DefinitionError(problems)
    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook has one sheet
    sheet.title = "survey"
    _write_sheet(sheet, [dict(row) for row in data["survey"]], [])
    if "choices" in data:
        rows = [{"list_name": name, **item} for name, items in data["choices"].items()
                for item in items]
        _write_sheet(book.create_sheet("choices"), rows, ["list_name", "name"])
    language = data["default_language"]
    settings: dict[str, Any] = {
        "form_id": data["id"],
        "version": data["version"],
        "form_title": data["title"][language],
        "default_language": language,
        "source": data["source"],
    }
    for code, text in data["title"].items():
        if code != language:
            settings[f"form_title_{code}"] = text
    _write_sheet(book.create_sheet("settings"), [settings], [])
    book.save(str(path))


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
