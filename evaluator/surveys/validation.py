"""Checking a survey's YAML model (问卷校验) against the supported subset.

Validation collects every problem (``survey_problems``) so an author fixes a file in one pass;
``definition.load_survey`` raises them together as one ``DefinitionError``. The checks refuse a
cycle in the calculation dependency graph (``calculations``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from evaluator.definitions.expr_ast import Call, Lookup, String, walk
from evaluator.definitions.expressions import ExpressionError, parse
from evaluator.definitions.problems import Problem
from evaluator.surveys.calculations import calculation_graph, cycle_from
from evaluator.surveys.subset import (
    DEGRADED_TYPES,
    EXPRESSION_COLUMNS,
    LANGUAGE_RE,
    LIST_NAME_RE,
    LIST_TYPES,
    NAME_RE,
    NOT_RUN_COLUMNS,
    PLAIN_COLUMNS,
    QUESTION_TYPES,
    REFERENCE_RE,
    RUN_APPEARANCES,
    SUPPORTED_TYPES,
    TOP_OPTIONAL,
    TOP_REQUIRED,
    TRANSLATABLE_COLUMNS,
    UNASKED_DEVICE_TYPES,
    looks_like_expression,
    required_value,
    row_type,
    split_column,
)
from evaluator.surveys.tables import file_problems

GRID_WIDTH_RE = re.compile(r"w[0-9]+")  # Enketo theme-grid column widths
_BARE_WORD_RE = re.compile(r"\$\{[^}]*\}|'[^']*'|\"[^\"]*\"|[A-Za-z_][A-Za-z0-9_.:-]*")
_OPERATOR_WORDS = {"and", "or", "div", "mod"}
# What the tablet does when an expression in this column cannot run here.
DEGRADED_EXPRESSION = {
    "relevant": "the question is always asked",
    "constraint": "the answer is not checked",
    "calculation": "the value is left empty",
    "choice_filter": "every choice is shown",
    "required": "the question is optional",
    "default": "no answer is filled in beforehand",
    "read_only": "the answer can be edited",
    "repeat_count": "the evaluator adds the entries",
}


# -- where a problem is -----------------------------------------------------------------------

class Locator:
    """Says where a problem is in the YAML model: ``survey[3].relevant``, ``choices.cause[2]``.

    The XLSForm importer substitutes a locator that answers in sheet, row and column instead,
    so the same checks report positions a spreadsheet user can find.
    """

    def top(self, key: str) -> str:
        return key

    def row(self, index: int, column: str | None = None) -> str:
        return f"survey[{index}]" + (f".{column}" if column else "")

    def choice(self, list_name: str, index: int | None = None, column: str | None = None) -> str:
        where = f"choices.{list_name}"
        if index is not None:
            where += f"[{index}]"
        return where + (f".{column}" if column else "")


# -- checking -------------------------------------------------------------------------------------

def survey_problems(data: Any, file: str, locator: Locator | None = None) -> list[Problem]:
    """Every problem in one survey's YAML model (``data`` as ``yaml.safe_load`` gives it)."""
    return check_survey(data, file, locator)[0]


def check_survey(data: Any, file: str, locator: Locator | None = None
                 ) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings): a problem refuses the survey; a warning names something the
    tablet cannot run as ODK Collect would, and what it does instead."""
    checker = _Checker(str(file), locator or Locator())
    problems = checker.check(data)
    return problems, checker.warnings


class _Checker:
    def __init__(self, file: str, locator: Locator):
        self.file = file
        self.at = locator
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.default_language: str | None = None
        self.allow_duplicate_choices = False
        self.unused_columns: dict[str, int] = {}  # column -> first row index using it
        # a NOT_RUN_COLUMNS column or an appearance -> where it is first used (row, column)
        self.not_run: dict[str, tuple[int, str]] = {}
        self.instance_names: set[str] = set()  # choice lists and attached files (no extension)
        self.multiple_lists: set[str] = set()  # lists a select_multiple or rank answers from
        self.grid_style = False

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(Problem(self.file, where, message))

    # top level

    def check(self, data: Any) -> list[Problem]:
        if not isinstance(data, Mapping):
            self.add("", "a survey file is a mapping with keys " + ", ".join(TOP_REQUIRED))
            return self.problems
        for key in data:
            if key not in TOP_REQUIRED + TOP_OPTIONAL:
                self.add(self.at.top(str(key)), f"unknown key '{key}'; a survey has "
                         + ", ".join(TOP_REQUIRED + TOP_OPTIONAL))
        for key in TOP_REQUIRED:
            if key not in data:
                self.add(self.at.top(key), f"'{key}' is missing")
        self.check_header(data)
        language = data.get("default_language")
        # An invalid default language is reported once, not again on every label.
        if isinstance(language, str) and LANGUAGE_RE.fullmatch(language):
            self.default_language = language
        self.check_settings(data.get("settings", {}))
        for problem in file_problems(data.get("files", {}), self.file, self.at.top("files")):
            self.add(problem.where, problem.message)
        choices = data.get("choices", {})
        files = data.get("files", {})
        self.instance_names = {str(n) for n in (*(choices if isinstance(choices, Mapping)
                                                  else {}),
                                                *(data.get("external_choices") or {}))}
        self.instance_names |= {str(n).rsplit(".", 1)[0] for n in (
            files if isinstance(files, Mapping) else {})}
        self.multiple_lists = _lists_of_multiple_answers(data.get("survey"))
        choice_columns = self.check_choices(choices)
        external = data.get("external_choices", {})
        if external:
            allowed, self.allow_duplicate_choices = self.allow_duplicate_choices, True
            choice_columns.update(self.check_choices(external))  # filtered: names may repeat
            self.allow_duplicate_choices = allowed
            if isinstance(choices, Mapping) and isinstance(external, Mapping):
                choices = {**external, **choices}
        rows = data.get("survey")
        if "survey" in data and (not isinstance(rows, list) or not rows):
            self.add(self.at.top("survey"), "'survey' must be a non-empty list of rows")
            return self.problems
        if isinstance(rows, list):
            lists = choices if isinstance(choices, Mapping) else {}
            files = data.get("files", {})
            self.check_rows(rows, lists, choice_columns, files if isinstance(files, Mapping)
                            else {})
        return self.problems

    def check_header(self, data: Mapping) -> None:
        for key in ("id", "source"):
            value = data.get(key)
            if key in data and not (isinstance(value, str) and NAME_RE.fullmatch(value)):
                self.add(self.at.top(key), f"'{key}' must be a name (letters, digits, _), "
                         f"got {value!r}")
        version = data.get("version")
        if "version" in data and not (isinstance(version, str) and version.strip()):
            self.add(self.at.top("version"), f"'version' must be text in quotes, e.g. "
                     f"\"2026.1\" (got {version!r})")
        language = data.get("default_language")
        if "default_language" in data and not (
                isinstance(language, str) and LANGUAGE_RE.fullmatch(language)):
            self.add(self.at.top("default_language"),
                     f"'default_language' must be a language code such as zh, got {language!r}")
        title = data.get("title")
        if "title" not in data:
            return
        if not isinstance(title, Mapping) or not title:
            self.add(self.at.top("title"), "'title' must map language codes to text, "
                     "e.g. {zh: 入户调查问卷, en: Household questionnaire}")
            return
        for code, text in title.items():
            if not (isinstance(code, str) and LANGUAGE_RE.fullmatch(code)):
                self.add(self.at.top("title"), f"{code!r} is not a language code")
            if not (isinstance(text, str) and text.strip()):
                self.add(self.at.top("title"), f"the {code} title must be non-empty text")
        if isinstance(language, str) and LANGUAGE_RE.fullmatch(language) \
                and language not in title:
            self.add(self.at.top("title"), f"no title in the default language {language}")

    def check_settings(self, settings: Any) -> None:
        """Other settings-sheet cells, kept for export (style, instance_name, public_key...)."""
        if not isinstance(settings, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in settings.items()):
            self.add(self.at.top("settings"), "'settings' maps settings-sheet columns to text")
            return
        allowed = str(settings.get("allow_choice_duplicates", "")).strip().lower()
        self.allow_duplicate_choices = allowed in ("yes", "true", "true()")
        # "pages" (Enketo's pages style) turns the tablet's questionnaire into one page per
        # group (static/js/pages.js); the other styles are kept for export only.
        others = [s for s in settings.get("style", "").split() if s != "pages"]
        # theme-grid's widths (w1, w2, ...) are part of the style, which is warned about once
        self.grid_style = "theme-grid" in others
        if others:
            self.warn(self.at.top("style"), f"style '{' '.join(others)}' is kept for export; "
                      "the tablet shows one question under another (or one group per page "
                      "with the style 'pages')")

    # choices

    def check_choices(self, choices: Any) -> dict[str, set[str]]:
        """Checks the lists; returns each list's extra (filter) columns for ``choice_filter``."""
        extra_columns: dict[str, set[str]] = {}
        if not isinstance(choices, Mapping):
            self.add(self.at.top("choices"), "'choices' must map list names to lists of choices")
            return extra_columns
        for list_name, items in choices.items():
            where = self.at.choice(str(list_name))
            if not (isinstance(list_name, str) and LIST_NAME_RE.fullmatch(list_name)):
                self.add(where, f"list name {list_name!r} must be text without spaces")
                continue
            if not isinstance(items, list) or not items:
                self.add(where, f"choice list '{list_name}' is empty")
                continue
            extra_columns[list_name] = set()
            seen: dict[str, int] = {}
            for index, item in enumerate(items):
                self.check_choice(list_name, index, item, seen, extra_columns[list_name])
        return extra_columns

    def check_choice(self, list_name: str, index: int, item: Any, seen: dict[str, int],
                     extra: set[str]) -> None:
        if not isinstance(item, Mapping):
            self.add(self.at.choice(list_name, index), "a choice is a mapping with name and label")
            return
        name = item.get("name")
        if "name" not in item:
            self.add(self.at.choice(list_name, index, "name"), "the choice has no name")
        elif not isinstance(name, str) or not name.strip():
            self.add(self.at.choice(list_name, index, "name"),
                     f"a choice name is text, in quotes if it could be read as a number or "
                     f"yes/no (got {name!r})")
        elif name in seen:
            message = f"duplicate choice name '{name}' (also choice {seen[name]} of '{list_name}')"
            if self.allow_duplicate_choices:
                self.warn(self.at.choice(list_name, index, "name"), message + "; allowed by "
                          "allow_choice_duplicates, an answer cannot tell them apart")
            else:
                self.add(self.at.choice(list_name, index, "name"), message + " (settings "
                         "allow_choice_duplicates: yes allows it)")
        else:
            seen[name] = index
            if any(c.isspace() for c in name) and list_name in self.multiple_lists:
                self.warn(self.at.choice(list_name, index, "name"),
                          f"choice name '{name}' has a space: in a select_multiple answer it "
                          "reads as separate choices (select_one is not affected)")
        labels: dict[Any, str] = {}
        for column, value in item.items():
            where = self.at.choice(list_name, index, str(column))
            base, language = split_column(str(column))
            if base == "label":
                self.check_language(where, column, language)
                key = language or self.default_language
                if key in labels:
                    self.add(where, f"'{column}' repeats '{labels[key]}' (a label without a "
                             "language is in the default language)")
                labels[key] = str(column)
            elif base == "name":
                continue
            elif language is None:
                extra.add(base)
            self.check_text(where, column, value)
        if not labels and not any(split_column(str(c))[0] in ("image", "audio", "video")
                                  for c in item):
            self.warn(self.at.choice(list_name, index), "the choice has no label: the tablet "
                      "shows its name")

    # survey rows

    def check_rows(self, rows: list, choices: Mapping,
                   choice_columns: dict[str, set[str]], files: Mapping) -> None:
        names: dict[str, int] = {}
        stack: list[tuple[str, int]] = []  # (kind, row index) of open groups and repeats
        parsed_rows: list[tuple[int, Mapping, str | None]] = []
        for index, row in enumerate(rows):
            if not isinstance(row, Mapping):
                self.add(self.at.row(index), "a survey row is a mapping of XLSForm columns")
                continue
            self.check_columns(index, row)
            kind, list_name = self.check_type(index, row, choices, files)
            # A row with a bad type still owns its name, so references to it are not reported
            # a second time as unknown fields.
            self.check_name(index, row, kind or "row", names)
            if kind is None:
                continue
            self.check_structure(index, kind, stack)
            self.check_row_rules(index, row, kind)
            parsed_rows.append((index, row, list_name))
        for kind, index in stack:
            self.add(self.at.row(index, "type"), f"'begin {kind}' is never closed by 'end {kind}'")
        for column, index in self.unused_columns.items():
            self.warn(self.at.row(index, column), f"column '{column}' is kept for export; the "
                      "tablet does not use it")
        for what, (index, column) in self.not_run.items():
            if what in NOT_RUN_COLUMNS:
                self.warn(self.at.row(index, column), f"column '{what}' is kept for export; on "
                          f"the tablet {NOT_RUN_COLUMNS[what]}")
            else:
                self.warn(self.at.row(index, column), f"appearance '{what}' is kept for "
                          "export; the tablet shows the question's usual widget")
        file_columns = {name: set(table.get("columns", [])) for name, table in files.items()
                        if isinstance(table, Mapping)} if isinstance(files, Mapping) else {}
        for index, row, list_name in parsed_rows:
            columns = choice_columns.get(list_name or "") or file_columns.get(list_name or "")
            self.check_expressions(index, row, names, columns or set())
        self.check_calculation_cycles(parsed_rows)

    def check_columns(self, index: int, row: Mapping) -> None:
        translated: dict[tuple[str, Any], str] = {}
        for column, value in row.items():
            where = self.at.row(index, str(column))
            if not isinstance(column, str):
                self.add(where, f"column names are text, got {column!r}")
                continue
            base, language = split_column(column)
            if base in TRANSLATABLE_COLUMNS:
                self.check_language(where, column, language)
                key = (base, language or self.default_language)
                if key in translated:
                    self.add(where, f"'{column}' repeats '{translated[key]}' (a column without "
                             "a language is in the default language)")
                translated[key] = column
            elif language is not None or base not in PLAIN_COLUMNS:
                self.unused_columns.setdefault(column, index)
            if base in NOT_RUN_COLUMNS and value not in (None, "", False):
                self.not_run.setdefault(base, (index, column))
            elif base == "appearance" and isinstance(value, str):
                for word in value.split():
                    if word not in RUN_APPEARANCES and not (
                            self.grid_style and GRID_WIDTH_RE.fullmatch(word)):
                        self.not_run.setdefault(word, (index, column))
            if base == "required" and isinstance(value, bool):
                continue
            self.check_text(where, column, value)

    def check_language(self, where: str, column: str, language: str | None) -> None:
        if language is None:
            return
        if not LANGUAGE_RE.fullmatch(language):
            self.add(where, f"'{column}': write the language as a code, e.g. label::zh "
                     "or label::en")

    def check_text(self, where: str, column: Any, value: Any) -> None:
        if not isinstance(value, str):
            hint = " (YAML reads yes/no/true/false as booleans and 1.10 as a number)"
            self.add(where, f"'{column}' must be text in quotes, got {value!r}{hint}")
        elif not value.strip():
            self.add(where, f"'{column}' is empty; leave the column out instead")

    def check_type(self, index: int, row: Mapping, choices: Mapping, files: Any
                   ) -> tuple[str | None, str | None]:
        value = row.get("type")
        where = self.at.row(index, "type")
        if "type" not in row:
            self.add(self.at.row(index), "the row has no type")
            return None, None
        if not isinstance(value, str) or not value.strip():
            return None, None
        base, list_name = row_type(value)
        if base in LIST_TYPES or base == "begin loop":
            if list_name is None or " " in list_name:
                self.add(where, f"'{base}' needs exactly one choice list name, "
                         f"e.g. '{base} yes_no'")
                return base, None
            if base.endswith("_from_file"):
                if not isinstance(files, Mapping) or list_name not in files:
                    self.warn(where, f"file '{list_name}' is not attached: the question is "
                              "asked as text (import the form with the file beside it)")
            elif list_name not in choices:
                self.add(where, f"choice list '{list_name}' does not exist in choices")
            if base in DEGRADED_TYPES:
                self.warn(where, f"type '{base}': {DEGRADED_TYPES[base]}")
            return base, list_name
        if base in SUPPORTED_TYPES and list_name is None:
            if base in DEGRADED_TYPES:
                self.warn(where, f"type '{base}': {DEGRADED_TYPES[base]}")
            elif base in UNASKED_DEVICE_TYPES and not any(
                    value for key, value in row.items()
                    if key == "label" or str(key).startswith("label::")):
                self.warn(where, f"type '{base}' without a label: the device's {base} is not "
                          "recorded (a browser cannot read it); give the row a label to ask it")
            return base, None
        text = " ".join(value.split())
        self.add(where, f"unknown type '{text}'; XLSForm types: " + ", ".join(SUPPORTED_TYPES))
        return None, None

    def check_structure(self, index: int, kind: str, stack: list[tuple[str, int]]) -> None:
        if kind.startswith("begin "):
            stack.append((kind.split()[1], index))
        elif kind.startswith("end "):
            wanted = kind.split()[1]
            if not stack:
                self.add(self.at.row(index, "type"), f"'{kind}' without a matching "
                         f"'begin {wanted}'")
            elif stack[-1][0] != wanted:
                open_kind, open_index = stack[-1]
                self.add(self.at.row(index, "type"),
                         f"'{kind}' closes 'begin {open_kind}' of survey row {open_index}")
                stack.pop()
            else:
                stack.pop()

    def check_name(self, index: int, row: Mapping, kind: str, names: dict[str, int]) -> None:
        name = row.get("name")
        if kind.startswith("end "):
            return
        if "name" not in row:
            self.add(self.at.row(index, "name"), f"a '{kind}' row needs a name")
            return
        if not isinstance(name, str):
            return
        if not NAME_RE.fullmatch(name):
            self.add(self.at.row(index, "name"),
                     f"bad name '{name}': start with a letter or _, then letters, digits, _ - .")
        elif name in names:
            self.add(self.at.row(index, "name"),
                     f"duplicate name '{name}' (already survey row {names[name]})")
        else:
            names[name] = index

    def check_row_rules(self, index: int, row: Mapping, kind: str) -> None:
        default_language = self.default_language
        if kind == "calculate" and "calculation" not in row:
            self.add(self.at.row(index, "calculation"), "a calculate row needs a calculation")
        if kind in QUESTION_TYPES or kind == "note":
            labels = [c for c in row if isinstance(c, str)
                      and split_column(c)[0] in ("label", "hint")]
            if not labels and kind == "note":
                self.warn(self.at.row(index, "label"), "a note without a label shows nothing")
            elif not labels:
                self.add(self.at.row(index, "label"), f"a '{kind}' row needs a label or a hint")
            elif isinstance(default_language, str) and not any(
                    split_column(c)[1] in (default_language, None) for c in labels):
                self.warn(self.at.row(index, f"label::{default_language}"),
                          f"no label in the default language {default_language}: the tablet "
                          "shows another language's")

    # expressions

    def check_expressions(self, index: int, row: Mapping, names: Mapping[str, int],
                          item_columns: set[str]) -> None:
        for column in EXPRESSION_COLUMNS:
            value = row.get(column)
            if not isinstance(value, str) or not value.strip():
                continue
            if column in ("required", "read_only") and isinstance(required_value(value), bool):
                continue
            if column == "default" and not looks_like_expression(value):
                continue
            found = {m.strip() for m in REFERENCE_RE.findall(value)}
            self.check_references(index, column, found, names)
            text = value
            if column == "choice_filter":
                text, bare = bare_words_as_references(value)
                for word in sorted(w for w in bare - item_columns
                                   if split_column(w)[0] not in ("name", "label")):
                    self.warn(self.at.row(index, column), f"'{word}' is not a column of the "
                              f"choice list: it reads as empty (write a field as ${{{word}}})")
            try:
                node = parse(text)
            except ExpressionError as error:
                if column in DEGRADED_EXPRESSION:
                    self.warn(self.at.row(index, column), f"cannot run {value!r} here "
                              f"({error.message}): {DEGRADED_EXPRESSION[column]}")
                continue
            for name in sorted(instances_used(node) - self.instance_names):
                self.warn(self.at.row(index, column), f"'{name}' is no choice list or "
                          "attached file of this form: the lookup selects nothing")
        for column, value in row.items():
            if isinstance(column, str) and split_column(column)[0] in TRANSLATABLE_COLUMNS \
                    and isinstance(value, str):
                found = {m.strip() for m in REFERENCE_RE.findall(value)}
                self.check_references(index, column, found, names)
        trigger = row.get("trigger")
        if isinstance(trigger, str) and trigger.strip():
            found = {m.strip() for m in REFERENCE_RE.findall(trigger)}
            self.check_references(index, "trigger", found, names)
            if not found:
                self.warn(self.at.row(index, "trigger"), f"trigger {trigger!r} names no field "
                          "(write ${name}): the calculation runs on every change")

    def check_calculation_cycles(self, parsed_rows: list) -> None:
        """Calculations are evaluated in dependency order, which a cycle makes impossible."""
        graph = calculation_graph(row for _, row, _ in parsed_rows)
        reported: set[str] = set()
        for index, row, _ in parsed_rows:
            name = row.get("name")
            if name not in graph or name in reported:
                continue
            cycle = cycle_from(name, graph)
            if cycle:
                reported.update(cycle)
                self.add(self.at.row(index, "calculation"), "the calculation depends on itself: "
                         + " -> ".join(f"${{{n}}}" for n in [*cycle, cycle[0]]))

    def check_references(self, index: int, column: str, found: Iterable[str],
                         names: Mapping[str, int]) -> None:
        for name in sorted(found):
            if name.startswith("last-saved#") and name[len("last-saved#"):] in names:
                continue
            if name not in names:
                self.add(self.at.row(index, column),
                         f"${{{name}}} is not a field of this survey")


def _lists_of_multiple_answers(rows: Any) -> set[str]:
    """Lists a select_multiple or rank answers from: only there does a space in a choice name
    split the answer (a form whose spaced names are all select_one needs no warning)."""
    found: set[str] = set()
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, Mapping) and isinstance(row.get("type"), str):
            kind, list_name = row_type(row["type"])
            if list_name and kind in ("select_multiple", "select_multiple_from_file", "rank"):
                found.add(list_name)
    return found


def instances_used(node: Any) -> set[str]:
    """The lists an expression reads: instance('name') lookups and pulldata('name', ...)."""
    found: set[str] = set()
    for item in walk(node):
        if isinstance(item, Lookup):
            found.add(item.instance)
        elif isinstance(item, Call) and item.name == "pulldata" and isinstance(item.args[0],
                                                                              String):
            found.add(item.args[0].value)
    return found


def bare_words_as_references(text: str) -> tuple[str, set[str]]:
    """XLSForm's choice_filter names choices-sheet columns bare (``township = ${township}``).

    The expression language only knows ``${name}``, so bare words (not function names, not
    operators, not inside quotes or ``${}``) are rewritten as references and reported back, to be
    checked against the choice list's columns instead of the survey's fields. XPath written
    into a filter (``instance(...)``, ``/``, ``..``) is left as it is.
    """
    bare: set[str] = set()
    parts: list[str] = []
    last = 0
    for match in _BARE_WORD_RE.finditer(text):
        word = match.group()
        if word[0] in "$'\"" or word in _OPERATOR_WORDS:
            continue
        if text[match.end():].lstrip().startswith("("):
            continue
        parts.append(text[last:match.start()] + "${" + word + "}")
        last = match.end()
        bare.add(word)
    parts.append(text[last:])
    return "".join(parts), bare
