"""XLSForm workbooks in (XLSForm 导入): every form pyxform converts comes in.

pyxform is the reader and the judge. It reads the workbook (``.xlsx``, ``.xlsm``, ``.xls``) and
must convert it to an XForm; a form it refuses is refused with pyxform's own reason, nothing
else is. Its header rules (``pyxform.parsing.sheet_headers``) turn every spelling it accepts
(``list name``, ``label:English``, ``bind:relevant``, ``media::image``, upper case) into its
grouped form, which is written back here as the XLSForm spec spells columns (``label::en``,
``relevant``, ``image::en``, ``bind::x``). Languages are mapped to codes (``English (en)``,
``English``, ``en`` -> ``en``); a bare ``label`` is the form's language (settings
``default_language``, ``--language``, or read from the label text's script).

What the tablet cannot run as ODK Collect does is imported with a warning naming sheet, row and
column and what happens instead (``validation.check_survey``). KoboToolbox bookkeeping (``$``
columns, the ``__version__`` row) is dropped. Export is in ``xlsform_export``.
"""

from __future__ import annotations

import copy
import logging
import re
import shutil
import tempfile
import unicodedata
import warnings as python_warnings
import zipfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyxform import aliases
from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.parsing.sheet_headers import dealias_and_group_headers, process_header
from pyxform.question import MultipleChoiceQuestion, Option
from pyxform.survey import Survey as PyxformSurvey
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from evaluator.definitions.problem_words import PROBLEM_WORDS
from evaluator.definitions.problems import DefinitionError, Problem, coded_as
from evaluator.surveys.language import LanguageMap
from evaluator.surveys.subset import (
    MEDIA_COLUMNS,
    NAME_RE,
    canonical_type,
    row_type,
)
from evaluator.surveys.tables import FileError, read_attachment
from evaluator.surveys.validation import Locator, check_survey
from evaluator.surveys.workbook_file import format_by_content, header_place
from evaluator.surveys.xlsform_export import export_xlsform

__all__ = ["Imported", "export_xlsform", "import_xlsform", "read_xlsform"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
MAX_WORKBOOK_BYTES = 20 * 1024 * 1024
# An .xlsx is a zip: what it unpacks to is bounded before openpyxl reads it.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 10_000
KOBO_VERSION_ROW = "__version__"
# Settings the model holds in its own keys; every other settings cell goes to ``settings``.
OWN_SETTINGS = {"title", "id_string", "version", "default_language", "source"}
TITLE_COLUMN_RE = re.compile(r"form_title_([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)")
# pyxform's grouped keys, written back as the spec's columns.
BIND_COLUMNS = {"relevant": "relevant", "constraint": "constraint", "calculate": "calculation",
                "required": "required", "readonly": "read_only"}
BIND_TRANSLATED = {"jr:constraintMsg": "constraint_message", "jr:requiredMsg": "required_message"}
CONTROL_COLUMNS = {"appearance": "appearance", "jr:count": "repeat_count"}
TRANSLATED_KEYS = ("label", "hint", "guidance_hint")
_FILE_REFERENCE_RE = re.compile(r"(?:instance|pulldata)\(\s*['\"]([^'\"]+)['\"]")


@dataclass
class Imported:
    """An imported form: the YAML model, what the tablet does differently (warnings, each with
    sheet, row and column) and how the form was read (notes: languages mapped, version)."""

    data: dict[str, Any]
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self, file: str) -> str:
        """One line: ``form.xlsx: imported id 1.0, 12 rows, 2 warnings (...); languages ...``."""
        rows = sum(1 for row in self.data["survey"] if not row["type"].startswith("end"))
        text = f"{file}: imported {self.data['id']} {self.data['version']}, {rows} rows, "
        count = len(self.warnings)
        text += f"{count} warning{'' if count == 1 else 's'}"
        if self.warnings:
            shown = "; ".join(f"{w.where}: {w.message}" for w in self.warnings[:3])
            text += f" ({shown}{'; ...' if count > 3 else ''})"
        return text + ("; " + "; ".join(self.notes) if self.notes else "")


class _SheetLocator(Locator):
    """Answers in spreadsheet terms: ``sheet survey, row 7, column label::Chinese (zh)``."""

    def __init__(self) -> None:
        self.survey_rows: list[int] = []
        self.survey_headers: dict[str, str] = {}
        self.choice_rows: dict[str, list[int]] = {}
        self.choice_headers: dict[str, str] = {}

    def top(self, key: str) -> str:
        if key in ("survey", "choices", "external_choices"):
            return f"sheet {key}"
        return f"sheet settings, column {key}"

    def row(self, index: int, column: str | None = None) -> str:
        where = f"sheet survey, row {self.survey_rows[index]}"
        return where + (f", column {self.survey_headers.get(column, column)}" if column else "")

    def choice(self, list_name: str, index: int | None = None, column: str | None = None) -> str:
        rows = self.choice_rows.get(list_name, [])
        if index is None or index >= len(rows):
            return f"sheet choices, list {list_name}"
        where = f"sheet choices, row {rows[index]}"
        return where + (f", column {self.choice_headers.get(column, column)}" if column else "")


def import_xlsform(path: str | Path, *, language: str | None = None) -> dict[str, Any]:
    """The YAML model (a plain dict) of an XLSForm workbook; see ``read_xlsform``."""
    return read_xlsform(path, language=language).data


def read_xlsform(path: str | Path, *, language: str | None = None,
                 attachments: list[Path] | None = None) -> Imported:
    """Import a workbook pyxform converts. ``language``: the code of unmarked labels (default:
    settings ``default_language``, else read from the labels). Attached files are looked up
    beside the workbook and in ``attachments``."""
    path = Path(path)
    file = str(path)
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise DefinitionError([Problem(file, "", "an XLSForm is an .xlsx, .xlsm or .xls workbook")])
    if not path.is_file():
        raise DefinitionError([Problem(file, "", "no such file")])
    if path.stat().st_size > MAX_WORKBOOK_BYTES:
        raise DefinitionError([Problem(file, "", f"larger than {MAX_WORKBOOK_BYTES} bytes")])
    _check_archive(path, file)
    actual = format_by_content(path)
    if actual is None:
        book = _pyxform_verdict(path, file)
    else:  # pyxform picks its reader by the name; give it a name that matches the bytes
        with tempfile.TemporaryDirectory() as folder:
            renamed = Path(folder) / f"{path.stem}{actual}"
            shutil.copyfile(path, renamed)
            book = _pyxform_verdict(renamed, file)
    imported = _Importer(file, book, path, language, attachments or []).run()
    if actual is not None:
        imported.notes.append(f"the workbook is an {actual} file named {path.suffix}: "
                              f"read as {actual}")
    return imported


def _check_archive(path: Path, file: str) -> None:
    """A zipped workbook (.xlsx, .xlsm) that would unpack to more than MAX_UNPACKED_BYTES or
    hold more than MAX_ARCHIVE_MEMBERS parts is refused unread (a zip bomb); an .xls or a
    broken zip is left to the reader, which says what is wrong."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return
    unpacked = sum(part.file_size for part in parts)
    if len(parts) > MAX_ARCHIVE_MEMBERS or unpacked > MAX_UNPACKED_BYTES:
        raise DefinitionError([Problem(file, "", f"the workbook unpacks to {unpacked} bytes in "
                                       f"{len(parts)} parts; at most {MAX_UNPACKED_BYTES} bytes "
                                       f"in {MAX_ARCHIVE_MEMBERS} parts")])


def _pyxform_verdict(path: Path, file: str) -> Any:
    """pyxform reads and converts the form (without ODK Validate); its refusal is ours."""
    logging.getLogger("pyxform").setLevel(logging.ERROR)
    try:
        with python_warnings.catch_warnings():
            python_warnings.simplefilter("ignore")  # openpyxl's notes on styles and validation
            book = get_xlsform(str(path))
    except PyXFormError as error:
        duplicate = re.fullmatch(r"Duplicate column header: (.*)", str(error).strip())
        if duplicate is None:
            raise DefinitionError([Problem(file, "", "cannot read the workbook: "
                                           + _one_line(str(error)))]) from None
        raise DefinitionError([_refused(file, header_place(path, duplicate.group(1)), error)]
                              ) from None
    except Exception as error:  # noqa: BLE001 - any failure to read is the file's fault
        raise DefinitionError([Problem(file, "", f"cannot read the workbook: "
                                       f"{_one_line(str(error))}")]) from None
    mine = copy.deepcopy(book)
    try:
        with python_warnings.catch_warnings():
            python_warnings.simplefilter("ignore")
            converted = workbook_to_json(book, fallback_form_name=book.fallback_form_name,
                                         warnings=[])
            create_survey_element_from_dict(converted).to_xml(validate=False, warnings=[])
    except PyXFormError as error:
        raise DefinitionError([_refused(file, _pyxform_place(str(error), mine), error)]
                              ) from None
    except Exception as error:  # noqa: BLE001 - any failure to read is the file's fault
        raise DefinitionError([Problem(file, "", f"cannot read the workbook: "
                                       f"{type(error).__name__}: {_one_line(str(error))}")]
                              ) from None
    return mine


def _pyxform_place(message: str, book: Any) -> str:
    """The row pyxform's message points at: its ``[row : N]``, else the survey row holding
    the name or type it quotes (``The survey element named 'ice.creams' has no label``)."""
    found = re.search(r"\[row : (\d+)\]", message)
    if found:
        return f"sheet survey, row {found.group(1)}"
    headers = re.search(r"Invalid headers provided for sheet: '(\w+)'", message)
    if headers:  # two headers that mean the same column: the header row
        return f"sheet {headers.group(1)}, row 1"
    quoted = re.search(r"(element named|question type) '([^']+)'", message)
    if not quoted or not book.survey:
        return ""
    column = "name" if quoted.group(1) == "element named" else "type"
    try:
        rows = dealias_and_group_headers(
            sheet_name="survey", sheet_data=book.survey, sheet_header=book.survey_header,
            header_aliases=aliases.survey_header,
            header_columns=set(MultipleChoiceQuestion.get_slot_names()), add_row_number=True)
    except PyXFormError:
        return ""
    for row in rows.data:
        if str(row.get(column, "")).strip() == quoted.group(2):
            return f"sheet survey, row {row['__row']}, column {column}"
    return ""


def _refused(file: str, where: str, error: Exception) -> Problem:
    """pyxform's refusal in its own words; one of its commonest is coded (``problem_pyxform_*``)
    so that the upload page can say it in the author's language."""
    return coded_as(file, where, "pyxform refuses the form: " + _one_line(str(error)),
                    _PYXFORM_CODES)


_PYXFORM_CODES = tuple(code for code in PROBLEM_WORDS if code.startswith("problem_pyxform_"))


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\[row : \d+\]\s*", "", text)).strip()


class _Importer:
    def __init__(self, file: str, book: Any, path: Path, language: str | None,
                 attachments: list[Path]):
        self.file = file
        self.book = book
        self.path = path
        self.asked_language = language
        self.attachments = attachments
        self.at = _SheetLocator()
        self.warnings: list[Problem] = []
        self.notes: list[str] = []
        self.original_headers: dict[str, dict[str, str]] = {}  # sheet -> grouped key -> header

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(Problem(self.file, where, message))

    def run(self) -> Imported:
        settings = self.read_settings()
        raw_language = settings.get("default_language")
        survey_rows = self.dealiased("survey", self.book.survey, self.book.survey_header,
                                     aliases.survey_header,
                                     set(MultipleChoiceQuestion.get_slot_names()), raw_language)
        choice_rows = self.dealiased("choices", self.book.choices, self.book.choices_header,
                                     aliases.list_header, set(Option.get_slot_names()),
                                     raw_language)
        external_rows = self.dealiased("external_choices", self.book.external_choices,
                                       self.book.external_choices_header, aliases.list_header,
                                       set(Option.get_slot_names()), raw_language)
        self.languages = LanguageMap.of_form(
            raw_language, self.asked_language,
            _language_names([*survey_rows, *choice_rows, *external_rows]),
            _label_texts(survey_rows))
        self.notes.append(self.languages.describe())
        data: dict[str, Any] = self.header(settings)
        data["survey"] = self.survey(survey_rows)
        if choice_rows:
            data["choices"] = self.lists(choice_rows, "choices")
        if external_rows:
            data["external_choices"] = self.lists(external_rows, "external_choices")
        files = self.attached_files(data["survey"])
        if files:
            data["files"] = files
        problems, warnings = check_survey(data, self.file, self.at)
        if problems:
            raise DefinitionError(problems)
        return Imported(data, self.warnings + warnings, self.notes)

    # settings

    def read_settings(self) -> dict[str, str]:
        rows = self.book.settings or []
        headers = self.book.settings_header or []
        if not rows:
            return {}
        grouped = dealias_and_group_headers(
            sheet_name="settings", sheet_data=rows[:1], sheet_header=headers,
            header_aliases=aliases.settings_header,
            header_columns=set(PyxformSurvey.get_slot_names()))
        return {k: v for k, v in grouped.data[0].items() if isinstance(v, str)
                and not k.startswith("$")}

    def header(self, settings: dict[str, str]) -> dict[str, Any]:
        code = self.languages.default
        form_id = settings.get("id_string") or _name_from(self.book.fallback_form_name or "form")
        data: dict[str, Any] = {"id": form_id if NAME_RE.fullmatch(form_id)
                                else _name_from(form_id)}
        if data["id"] != form_id:
            self.warn("sheet settings, column form_id", f"form id '{form_id}' is stored as "
                      f"'{data['id']}' (a name of letters, digits and _)")
        version = settings.get("version")
        if not version:
            version = _workbook_date(self.path) or "1"
            self.notes.append(f"no version in settings: {version}")
        data["version"] = version
        data["source"] = settings.get("source") or data["id"]
        titles = {code: settings.get("title") or form_id}
        kept: dict[str, str] = {}
        for key, value in settings.items():
            if key in OWN_SETTINGS:
                continue
            if (title := TITLE_COLUMN_RE.fullmatch(key)) and value.strip():
                titles[title.group(1)] = value
            else:
                kept[key] = value
        data["title"] = titles
        data["default_language"] = code
        if kept:
            data["settings"] = kept
        return data

    # sheets

    def dealiased(self, sheet: str, rows: Any, headers: Any, header_aliases: Any,
                  columns: set[str], language: str | None) -> list[dict[str, Any]]:
        """pyxform's grouping of a sheet's rows, with ``__row`` the spreadsheet row number.
        Learns each grouped key's original header, for warnings that name the column."""
        if not rows:
            return []
        kept = [{k: v for k, v in row.items() if not str(k).startswith("$")} for row in rows]
        header = [{k: None for k in headers[0] if not str(k).startswith("$")}] if headers else []
        double = any("::" in str(k) for k in (header[0] if header else {}))
        for original in header[0] if header else {}:
            tokens = process_header(original, double, header_aliases, columns)[1]
            self.original_headers.setdefault(sheet, {})["::".join(tokens)] = str(original)
        grouped = dealias_and_group_headers(
            sheet_name=sheet, sheet_data=kept, sheet_header=header,
            header_aliases=header_aliases, header_columns=columns,
            default_language=language or "default", add_row_number=True)
        return list(grouped.data)

    def flatten(self, row: Mapping[str, Any], sheet: str, headers: dict[str, str]
                ) -> dict[str, Any]:
        """One grouped pyxform row as the spec's columns; ``headers`` learns column -> key."""
        out: dict[str, Any] = {}

        originals = self.original_headers.get(sheet, {})

        def put(column: str, value: Any, key: str) -> None:
            out[column] = value
            base = key.rsplit("::", 1)[0]
            headers.setdefault(column, originals.get(key) or originals.get(base) or key)

        def translated(base: str, value: Any, key: str) -> None:
            if isinstance(value, Mapping):
                for name, text in value.items():
                    put(f"{base}::{self.languages.code(name)}", text, f"{key}::{name}")
            else:
                put(f"{base}::{self.languages.default}", value, key)

        for key, value in row.items():
            if key == "__row" or value is None or value == "":
                continue
            if key == "type":
                put("type", canonical_type(str(value)), key)
            elif key in TRANSLATED_KEYS:
                translated(key, value, key)
            elif key == "media" and isinstance(value, Mapping):
                for medium, text in value.items():
                    translated(medium, text, f"media::{medium}")
            elif key == "bind" and isinstance(value, Mapping):
                for name, text in value.items():
                    if name in BIND_TRANSLATED:
                        translated(BIND_TRANSLATED[name], text, f"bind::{name}")
                    else:
                        put(BIND_COLUMNS.get(name, f"bind::{name}"), text, f"bind::{name}")
            elif key == "control" and isinstance(value, Mapping):
                for name, text in value.items():
                    put(CONTROL_COLUMNS.get(name, f"body::{name}"), text, f"control::{name}")
            elif isinstance(value, Mapping):
                for name, text in _flat_items(value):
                    put(f"{key}::{name}", text, f"{key}::{name}")
            else:
                put(str(key), value, str(key))
        if sheet == "survey" and str(out.get("required", "")).strip().lower() in (
                "yes", "true", "true()", "no", "false", "false()"):
            out["required"] = str(out["required"]).strip().lower() in ("yes", "true", "true()")
        return out

    def survey(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        headers: dict[str, str] = {}
        out: list[dict[str, Any]] = []
        seen: Counter[str] = Counter()
        path: list[str] = []
        for raw in rows:
            if not raw.get("type"):
                continue
            row = self.flatten(raw, "survey", headers)
            if row.get("type") == "calculate" and row.get("name") == KOBO_VERSION_ROW:
                continue
            kind = row_type(row["type"])[0]
            if kind.startswith("end "):
                row.pop("name", None)
                if path:
                    path.pop()
            else:
                if "name" not in row and kind == "note":
                    row["name"] = f"generated_note_name_{raw['__row']}"  # as pyxform names it
                name = str(row.get("name", ""))
                seen[name] += 1
                if seen[name] > 1:
                    row["name"] = self.renamed(name, path, seen, raw["__row"])
                if kind.startswith("begin "):
                    path.append(row["name"])
            out.append(_in_sheet_order(row, headers, self.header_order("survey")))
            self.at.survey_rows.append(raw["__row"])
        self.at.survey_headers = headers
        return out

    def renamed(self, name: str, path: list[str], seen: Counter[str], row: int) -> str:
        """A name used again in another group: answers are kept flat here, one column per
        field, so the second one takes its group's name in front."""
        new = "_".join([*(path[-1:] or ["form"]), name])
        while seen[new]:
            new += "_"
        seen[new] += 1
        self.warn(f"sheet survey, row {row}, column name", f"'{name}' is also the name of an "
                  f"earlier row: stored as '{new}' (field names are unique here)")
        return new

    def lists(self, rows: list[dict[str, Any]], sheet: str) -> dict[str, list[dict[str, Any]]]:
        headers: dict[str, str] = {}
        found: dict[str, list[dict[str, Any]]] = {}
        for raw in rows:
            list_name = raw.get("list name") or raw.get("list_name")
            item = self.flatten({k: v for k, v in raw.items()
                                 if k not in ("list name", "list_name")}, sheet, headers)
            if not list_name or not item:
                continue
            found.setdefault(str(list_name), []).append(
                _in_sheet_order(item, headers, self.header_order(sheet)))
            if sheet == "choices":
                self.at.choice_rows.setdefault(str(list_name), []).append(raw["__row"])
        if sheet == "choices":
            self.at.choice_headers = headers
        return found

    def header_order(self, sheet: str) -> dict[str, int]:
        return {h: i for i, h in enumerate(self.original_headers.get(sheet, {}).values())}

    # attached files

    def attached_files(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        wanted: dict[str, int] = {}
        for index, row in enumerate(rows):
            kind, list_name = row_type(row["type"])
            if kind.endswith("_from_file") and list_name:
                wanted.setdefault(list_name, index)
            elif kind in ("csv-external", "xml-external") and "name" in row:
                wanted.setdefault(f"{row['name']}.{kind[:3]}", index)
            for value in row.values():
                for name in _FILE_REFERENCE_RE.findall(str(value)):
                    if "." not in name:
                        wanted.setdefault(f"{name}.csv", index)
        files: dict[str, Any] = {}
        folders = [self.path.parent, *self.attachments]
        for name, index in wanted.items():
            candidates = [f / name if f.is_dir() else f for f in folders]
            found = next((c for c in candidates if c.is_file() and c.name == name), None)
            if found is None:
                continue
            try:
                files[name] = read_attachment(found)
            except (FileError, OSError) as error:
                self.warn(self.at.row(index), f"attached file {found}: {error}; not attached")
        return files


def _in_sheet_order(row: dict[str, Any], headers: Mapping[str, str],
                    order: Mapping[str, int]) -> dict[str, Any]:
    """The row's columns in the order of the sheet's headers (as the author laid them out)."""
    ranked = sorted(enumerate(row), key=lambda item: (order.get(headers.get(item[1], ""),
                                                                len(order)), item[0]))
    return {column: row[column] for _, column in ranked}


def _flat_items(value: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, inner in value.items():
        name = f"{prefix}{key}"
        if isinstance(inner, Mapping):
            items += _flat_items(inner, name + "::")
        else:
            items.append((name, inner))
    return items


def _language_names(rows: list[dict[str, Any]]) -> list[str]:
    """Language names as the sheets write them (``English (en)``, ``english``, ``zh``)."""
    names: list[str] = []
    for row in rows:
        groups = [row.get(k) for k in TRANSLATED_KEYS]
        groups += [v for k, v in (row.get("media") or {}).items() if k in MEDIA_COLUMNS]
        groups += [v for k, v in (row.get("bind") or {}).items() if k in BIND_TRANSLATED]
        for group in groups:
            if isinstance(group, Mapping):
                names += [n for n in group if n not in names]
    return names


def _label_texts(rows: list[dict[str, Any]]) -> list[str]:
    texts: list[str] = []
    for row in rows:
        label = row.get("label")
        if isinstance(label, str):
            texts.append(label)
        elif isinstance(label, Mapping) and isinstance(label.get("default"), str):
            texts.append(label["default"])
    return texts


def _workbook_date(path: Path) -> str | None:
    """The workbook's own modified date (docProps/core.xml of an .xlsx) as ``YYYY.MM.DD``."""
    try:
        with zipfile.ZipFile(path) as archive:
            core = archive.read("docProps/core.xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    found = re.search(r"<dcterms:modified[^>]*>(\d{4})-(\d{2})-(\d{2})", core)
    return ".".join(found.groups()) if found else None


def _name_from(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    name = re.sub(r"[^\w.-]+", "_", text).strip("_") or "form"
    return name if NAME_RE.fullmatch(name) else f"_{name}"
