"""Survey definitions (问卷定义): the XLSForm model written as YAML, checked and loaded.

A survey file keeps XLSForm's own column names (``type``, ``name``, ``label::zh``, ``relevant``,
...) so that a questionnaire moves between this YAML, an XLSForm workbook and KoboToolbox without
renaming anything. Only the subset the platform can enforce offline and score is accepted; a
column or type outside it is refused here, at load time, rather than silently ignored in the field.

This module is the entry point: the loaded model (``Survey``, ``Field``, ``Group``, ``Choice``),
``build_survey`` and ``load_survey``/``load_surveys``. The subset itself is in ``subset``, the
checks in ``validation`` and YAML reading and writing in ``yaml_io``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluator.definitions.expressions import ExpressionError, parse
from evaluator.definitions.problems import DefinitionError, Problem
from evaluator.surveys.calculations import calculation_order
from evaluator.surveys.subset import (
    CHOICE_COLUMNS,
    META_TYPES,
    REFERENCE_RE,
    SELECT_TYPES,
    has_or_other,
    looks_like_expression,
    required_value,
    row_type,
    split_column,
)
from evaluator.surveys.tables import table_records
from evaluator.surveys.validation import bare_words_as_references, check_survey
from evaluator.surveys.yaml_io import read_yaml

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")

# -- the loaded model ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    """One answer option; ``extra`` holds the choices-sheet columns used by ``choice_filter``."""

    name: str
    label: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)

    def label_in(self, language: str, fallback: str = "") -> str:
        return self.label.get(language) or self.label.get(fallback) or self.name


@dataclass(frozen=True)
class Group:
    """A ``begin group`` or ``begin repeat`` row; ``path`` lists the enclosing groups first."""

    name: str
    kind: str  # "group" | "repeat"
    label: dict[str, str]
    relevant: str
    path: tuple[str, ...]
    index: int
    count: str = ""  # a repeat's repeat_count: the tablet keeps this many entries


@dataclass(frozen=True)
class Field:
    """One named data row: a question, a calculation or a device-filled metadata value.

    ``required`` is True only when the row is always required; a conditional requirement keeps
    its expression text in ``required_if``. ``group_relevant`` holds the ``relevant`` text of
    every enclosing group or repeat (outermost first): the field is asked only when all of them
    and its own ``relevant`` hold. ``repeat`` names the innermost enclosing repeat, whose answers
    arrive as one value per repeat instance.
    """

    name: str
    type: str
    list_name: str | None
    required: bool
    required_if: str
    relevant: str
    constraint: str
    calculation: str
    choice_filter: str
    default: str
    appearance: str
    label: dict[str, str]
    hint: dict[str, str]
    constraint_message: dict[str, str]
    required_message: dict[str, str]
    group_path: tuple[str, ...]
    repeat: str | None
    group_relevant: tuple[str, ...]
    index: int
    parameters: str = ""  # XLSForm parameters, e.g. range ``start=0 end=10 step=1``
    read_only: str = ""  # "true" or an expression: the tablet shows the answer, not an input
    trigger: tuple[str, ...] = ()  # the calculation runs only when one of these fields changes

    @property
    def is_meta(self) -> bool:
        """Filled in by the device. phonenumber and email rows with a label are asked instead
        (KoboToolbox users write them as questions)."""
        return self.type in META_TYPES and not (
            self.type in ("phonenumber", "email") and self.label)

    @property
    def is_select(self) -> bool:
        return self.type in SELECT_TYPES

    def label_in(self, language: str, fallback: str = "") -> str:
        return self.label.get(language) or self.label.get(fallback) or self.name


@dataclass(frozen=True)
class Survey:
    """A checked survey. ``content`` is the YAML model exactly as loaded (for hashing, storing
    and exporting); ``rows`` are its survey rows in order with every column they carry."""

    id: str
    version: str
    source: str
    title: dict[str, str]
    default_language: str
    languages: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    fields: dict[str, Field]
    groups: dict[str, Group]
    choices: dict[str, list[Choice]]
    content: dict[str, Any]
    path: str = ""
    calculations: tuple[str, ...] = ()  # calculate fields in dependency order
    warnings: tuple[Problem, ...] = ()  # what the tablet does differently from ODK Collect
    files: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # attached tables

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title.get(self.default_language) or self.id

    def choice_names(self, list_name: str) -> list[str]:
        return [c.name for c in self.choices.get(list_name, [])]

    def instances(self) -> dict[str, list[dict[str, str]]]:
        """What ``instance('name')`` and ``pulldata('name', ...)`` read, as ODK provides them:
        each choice list (name, label in the default language, its other columns) and each
        attached file by its name without the extension."""
        found = {name: [{"name": c.name, "label": c.label_in(self.default_language),
                         **{k: str(v) for k, v in c.extra.items()}} for c in items]
                 for name, items in self.choices.items()}
        for file, records in self.files.items():
            found.setdefault(file.rsplit(".", 1)[0], records)
        return found


# -- building the model ------------------------------------------------------------------------

def build_survey(data: Mapping[str, Any], path: str = "",
                 warnings: tuple[Problem, ...] = ()) -> Survey:
    """The ``Survey`` of an already checked model (call ``check_survey`` first).

    Only what runs offline reaches the fields: an expression the language cannot read is left
    out (its column stays in ``rows`` for export; ``check_survey`` warned about it), a
    ``*_from_file`` list takes its choices from the attached file, and ``or_other`` adds the
    ``other`` choice as XLSForm does."""
    default_language = data["default_language"]
    languages = {default_language, *data["title"]}
    files = {name: table_records(table) for name, table in (data.get("files") or {}).items()}
    choices: dict[str, list[Choice]] = {}
    lists = {**(data.get("external_choices") or {}), **(data.get("choices") or {})}
    for list_name, items in lists.items():
        choices[list_name] = [_choice(item, default_language) for item in items]
        for choice in choices[list_name]:
            languages.update(choice.label)
    fields: dict[str, Field] = {}
    groups: dict[str, Group] = {}
    open_groups: list[Group] = []
    for index, row in enumerate(data["survey"]):
        kind, list_name = row_type(row["type"])
        for column in row:
            language = split_column(column)[1]
            if language:
                languages.add(language)
        if kind.startswith("end "):
            open_groups.pop()
            continue
        path_names = tuple(g.name for g in open_groups)
        if kind.startswith("begin "):
            group = Group(row["name"], kind.split()[1], _translations(row, "label",
                          default_language), _runnable(row.get("relevant", "")), path_names,
                          index, count=_runnable(str(row.get("repeat_count", "")).strip())
                          if kind == "begin repeat" else "")
            groups[group.name] = group
            open_groups.append(group)
            continue
        if kind == "note":
            continue
        if kind.endswith("_from_file") and list_name is not None:
            if list_name in files:
                choices[list_name] = _file_choices(files[list_name], row, default_language)
            else:  # not attached: asked as text, as the import's warning says
                kind, list_name = "text", None
        if has_or_other(row["type"]) and list_name in choices and "other" not in [
                c.name for c in choices[list_name]]:
            choices[list_name] = [*choices[list_name], Choice("other", {"en": "Other",
                                                                        "zh": "其他"})]
        required = required_value(row.get("required", False))
        repeats = [g.name for g in open_groups if g.kind == "repeat"]
        fields[row["name"]] = Field(
            name=row["name"], type=kind, list_name=list_name,
            required=required is True,
            required_if=_runnable(required) if isinstance(required, str) else "",
            relevant=_runnable(row.get("relevant", "")),
            constraint=_runnable(row.get("constraint", "")),
            calculation=_runnable(row.get("calculation", "")),
            choice_filter=_runnable(row.get("choice_filter", ""), filter_=True),
            default=_default(row.get("default", "")), appearance=row.get("appearance", ""),
            label=_translations(row, "label", default_language),
            hint=_translations(row, "hint", default_language),
            constraint_message=_translations(row, "constraint_message", default_language),
            required_message=_translations(row, "required_message", default_language),
            group_path=path_names, repeat=repeats[-1] if repeats else None,
            group_relevant=tuple(g.relevant for g in open_groups if g.relevant),
            index=index, parameters=str(row.get("parameters", "")),
            read_only=_read_only(row.get("read_only", "")),
            trigger=tuple(dict.fromkeys(m.strip() for m in REFERENCE_RE.findall(
                str(row.get("trigger", ""))))),
        )
    ordered = (default_language, *sorted(languages - {default_language}))
    return Survey(
        id=data["id"], version=data["version"], source=data["source"], title=dict(data["title"]),
        default_language=default_language, languages=ordered,
        rows=tuple(dict(r) for r in data["survey"]), fields=fields, groups=groups,
        choices=choices, content=json.loads(json.dumps(data)), path=str(path),
        calculations=calculation_order(data["survey"]), warnings=tuple(warnings), files=files,
    )


def _choice(item: Mapping[str, Any], default_language: str) -> Choice:
    extra = {column: value for column, value in item.items()
             if split_column(column)[0] not in CHOICE_COLUMNS}
    return Choice(str(item["name"]), _translations(item, "label", default_language), extra)


def _file_choices(records: list[dict[str, str]], row: Mapping[str, Any],
                  language: str) -> list[Choice]:
    """Choices of a select_*_from_file row: the ``name`` and ``label`` columns, or those the
    row's ``parameters`` name (``value=code label=title``), as ODK reads them."""
    parameters = dict(part.split("=", 1) for part in str(row.get("parameters", "")).split()
                      if "=" in part)
    value_column = parameters.get("value", "name")
    label_column = parameters.get("label", "label")
    found = []
    for record in records:
        name = record.get(value_column, "")
        if name:
            label = record.get(label_column) or name
            found.append(Choice(name, {language: label}, {k: v for k, v in record.items()
                                                    if k not in (value_column, label_column)}))
    return found


def _read_only(value: Any) -> str:
    """``true`` for yes/true/true(), an expression that can run, else '' (editable)."""
    flag = required_value(value)
    if isinstance(flag, bool):
        return "true" if flag else ""
    return _runnable(flag)


def _default(text: Any) -> str:
    """A plain default as it is; an expression default only if it can run."""
    text = str(text)
    return _runnable(text) if looks_like_expression(text) else text


def _runnable(text: Any, filter_: bool = False) -> str:
    """``text`` if the expression language reads it, else '' (check_survey warned)."""
    if not isinstance(text, str) or not text.strip():
        return ""
    try:
        parse(bare_words_as_references(text)[0] if filter_ else text)
    except ExpressionError:
        return ""
    return text


def _translations(row: Mapping[str, Any], base: str, default_language: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for column, value in row.items():
        name, language = split_column(column)
        if name == base:
            found[language or default_language] = value
    return found


# -- files --------------------------------------------------------------------------------------

def load_survey(path: str | Path) -> Survey:
    """Load and check one survey: ``.yaml``/``.yml``, or an XLSForm ``.xlsx``."""
    path = Path(path)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        # pyxform is only needed (and only imported) when a workbook is given.
        from evaluator.surveys.xlsform import read_xlsform

        imported = read_xlsform(path)
        return build_survey(imported.data, str(path), tuple(imported.warnings))
    data = read_yaml(path)
    problems, warnings = check_survey(data, str(path))
    if problems:
        raise DefinitionError(problems)
    return build_survey(data, str(path), tuple(warnings))


def load_surveys(dir_or_paths: str | Path | Iterable[str | Path]) -> dict[str, Survey]:
    """Every survey of a folder (``*.yaml``, ``*.yml``, ``*.xlsx``) or of a list of files, by id.

    Problems in all files are gathered before raising, and two files with one id are refused.
    """
    if isinstance(dir_or_paths, str | Path):
        folder = Path(dir_or_paths)
        if not folder.is_dir():
            raise DefinitionError([Problem(str(folder), "", "not a folder of survey files")])
        paths = sorted(p for p in folder.iterdir()
                       if p.suffix.lower() in (".yaml", ".yml", *WORKBOOK_SUFFIXES)
                       and p.is_file())
    else:
        paths = [Path(p) for p in dir_or_paths]
    surveys: dict[str, Survey] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            survey = load_survey(path)
        except DefinitionError as error:
            problems.extend(error.problems)
            continue
        if survey.id in surveys:
            problems.append(Problem(str(path), "id", f"survey id '{survey.id}' is also used by "
                                    f"{surveys[survey.id].path}"))
            continue
        surveys[survey.id] = survey
    if problems:
        raise DefinitionError(problems)
    return surveys
