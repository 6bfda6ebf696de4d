"""WTForms classes generated from survey definitions: one class per survey version (cached).

The same class renders the questionnaire on the tablet and validates every record on the
server, whether it comes from a plain HTML post or from the offline queue through the API
(``formdata_from_answers`` turns the JSON answers into the form data a browser would post).
The rules themselves (relevant, required, constraint, calculation) live in ``logic.FormModel``,
so the browser runtime and this class apply exactly the same ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice

from evaluator.fieldwork.answer_types import range_text
from evaluator.fieldwork.logic import Checked, FormModel, note_references
from evaluator.rubrics.definition import content_hash
from evaluator.surveys.definition import Survey, build_survey
from evaluator.surveys.subset import row_type, split_column, value_type

_CACHE: dict[tuple[str, str, str], type[SurveyForm]] = {}
_SURVEYS: dict[tuple[str, str, str], Survey] = {}


class SurveyForm(FlaskForm):
    """Base of every generated questionnaire form. ``model`` is set on each generated class."""

    model: FormModel

    def __init__(self, *args: Any, context: Mapping[str, Any] | None = None,
                 today: date | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.context = dict(context or {})
        self.today = today
        self.checked: Checked | None = None

    def raw_answers(self) -> dict[str, Any]:
        """The answers as posted: text per field, repeats as lists of {field: text}."""
        answers: dict[str, Any] = {}
        for name in self.model.top:
            rule = self.model.rules[name]
            if (rule.meta or rule.type in ("calculate", "hidden")) and not rule.sent_by_tablet:
                continue
            if name in self:
                answers[name] = _text(self[name].data)
        for repeat, fields in self.model.repeats.items():
            entries = []
            for entry in self[repeat].entries:
                data = entry.form
                entries.append({f: _text(data[f].data) for f in fields
                                if self.model.rules[f].type != "calculate"
                                or self.model.rules[f].trigger})
            answers[repeat] = entries
        return answers

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.checked = self.model.check(self.raw_answers(), self.context, self.today)
        for problem in self.checked.problems:
            field = self._field_for(problem.html_name())
            if field is not None:
                field.errors = [*field.errors, problem.message]
        return valid and self.checked.ok

    def _field_for(self, html_name: str):
        if html_name in self.model.repeats:
            return None  # a repeat's own problem (its count) belongs to no one input
        match = re.fullmatch(r"(.+)-(\d+)-(.+)", html_name)
        if match and match.group(1) in self.model.repeats:
            entries = self[match.group(1)].entries
            index = int(match.group(2))
            return entries[index].form[match.group(3)] if index < len(entries) else None
        return self._fields.get(html_name)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value).strip()


def survey_of(key: str, version: str, content: Mapping[str, Any], digest: str = "") -> Survey:
    """The ``Survey`` of stored survey content, built once per key, version and content.

    ``digest`` is the stored content hash (survey_versions.content_hash), which saves hashing
    the content on every request."""
    cache_key = (key, version, digest or content_hash(dict(content)))
    survey = _SURVEYS.get(cache_key)
    if survey is None:
        survey = _SURVEYS[cache_key] = build_survey(content, f"{key} {version}")
    return survey


def cached_survey(key: str, version: str, digest: str) -> Survey | None:
    return _SURVEYS.get((key, version, digest))


_BY_OBJECT: dict[int, tuple[Survey, type[SurveyForm]]] = {}


def build_form(survey: Survey) -> type[SurveyForm]:
    """The WTForms class of ``survey`` (one per id, version and content; cached)."""
    seen = _BY_OBJECT.get(id(survey))
    if seen is not None and seen[0] is survey:
        return seen[1]
    cache_key = (survey.id, survey.version, content_hash(survey.content))
    found = _CACHE.get(cache_key)
    if found is not None:
        _BY_OBJECT[id(survey)] = (survey, found)
        return found
    model = FormModel(survey)
    attrs: dict[str, Any] = {"model": model}
    for name in model.top:
        field = _wtf_field(survey, name)
        if field is not None:
            attrs[name] = field
    for repeat, names in model.repeats.items():
        sub = {n: f for n in names if (f := _wtf_field(survey, n)) is not None}
        entry_form = type(f"{survey.id}_{repeat}_entry", (Form,), sub)
        attrs[repeat] = FieldList(FormField(entry_form), min_entries=0)
    form_class = type(f"{survey.id}_form", (SurveyForm,), attrs)
    _CACHE[cache_key] = form_class
    _BY_OBJECT[id(survey)] = (survey, form_class)
    return form_class


def _wtf_field(survey: Survey, name: str):
    f = survey.fields[name]
    kind = value_type(f.type)
    if f.is_meta:
        return None
    if kind in ("calculate", "hidden"):
        return HiddenField()
    if kind == "select_one":
        return RadioField(choices=[SelectChoice(c, c) for c in survey.choice_names(f.list_name)],
                          validate_choice=False)
    if kind == "select_multiple":
        return SelectMultipleField(
            choices=[SelectChoice(c, c) for c in survey.choice_names(f.list_name)],
            validate_choice=False)
    if f.type == "text" and "multiline" in f.appearance:
        return TextAreaField()
    return StringField()


def formdata_from_answers(answers: Mapping[str, Any]) -> MultiDict:
    """The form data a browser would post for JSON ``answers`` (repeats as name-i-field)."""
    data = MultiDict()

    def add(name: str, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                data.add(name, "" if item is None else str(item))
        elif value is not None:
            data.add(name, value if isinstance(value, str) else str(value))

    for key, value in answers.items():
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for index, instance in enumerate(value):
                for sub, sub_value in instance.items():
                    add(f"{key}-{index}-{sub}", sub_value)
        else:
            add(key, value)
    return data


# -- rendering: plain values for the template ----------------------------------------------------

def layout(form: SurveyForm, lang: str) -> list[dict[str, Any]]:
    """The questionnaire as nested plain dicts in survey order: groups, notes, questions and
    repeats with their instances, each question with its input name, value, choices, label,
    hint and errors in ``lang``. Templates never see the Survey or the model objects."""
    survey = form.model.survey
    refs = note_references(survey)
    root: list[dict[str, Any]] = []
    stack: list[list[dict[str, Any]]] = [root]
    repeat_rows: dict[str, list[dict]] = {}
    for row in survey.rows:
        kind, _ = row_type(row["type"])
        if kind in ("end group", "end repeat"):
            stack.pop()
            continue
        if kind == "begin group":
            group = survey.groups[row["name"]]
            item = {"kind": "group", "name": group.name, "label": _lang(group.label, lang),
                    "children": []}
            stack[-1].append(item)
            stack.append(item["children"])
            continue
        if kind == "begin repeat":
            group = survey.groups[row["name"]]
            item = {"kind": "repeat", "name": group.name, "label": _lang(group.label, lang),
                    "rows": []}
            repeat_rows[group.name] = item["rows"]
            stack[-1].append(item)
            stack.append(item["rows"])
            continue
        name = row["name"]
        if kind == "note":
            stack[-1].append({"kind": "note", "name": name,
                              "label": _label_html_parts(_row_text(row, "label", survey, lang)),
                              "refs": refs.get(name, [])})
            continue
        if survey.fields[name].is_meta:
            continue
        stack[-1].append({"kind": "field", "name": name})
    for item in _walk(root):
        if item["kind"] == "repeat":
            item["instances"] = [
                [_field_item(form, survey, r["name"], lang, entry.form, f"{item['name']}-{i}-")
                 for r in item["rows"] if r["kind"] == "field"]
                for i, entry in enumerate(form[item["name"]].entries)]
            item["template"] = [
                _field_item(form, survey, r["name"], lang, None, f"{item['name']}-__i__-")
                for r in item["rows"] if r["kind"] == "field"]
            item["errors"] = []
    _fill(root, form, survey, lang)
    return root


def paged(survey: Survey) -> bool:
    """The survey asks for one page at a time: its settings' ``style`` names ``pages`` (Enketo's
    pages style, written in an XLSForm's settings sheet; e.g. ``pages`` or ``pages theme-grid``)."""
    settings = survey.content.get("settings") or {}
    return "pages" in str(settings.get("style", "")).split()


def pages(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The layout cut into pages (static/js/pages.js turns them): each top-level group or repeat
    is a page of its own; the questions and notes between them share one."""
    found: list[list[dict[str, Any]]] = []
    loose: list[dict[str, Any]] = []
    for item in items:
        if item["kind"] in ("group", "repeat"):
            if loose:
                found.append(loose)
                loose = []
            found.append([item])
        else:
            loose.append(item)
    if loose:
        found.append(loose)
    return found


def _walk(items: list[dict]):
    for item in items:
        yield item
        if item["kind"] == "group":
            yield from _walk(item["children"])


def _fill(items: list[dict], form: SurveyForm, survey: Survey, lang: str) -> None:
    for index, item in enumerate(items):
        if item["kind"] == "group":
            _fill(item["children"], form, survey, lang)
        elif item["kind"] == "field" and "input" not in item:
            items[index] = _field_item(form, survey, item["name"], lang, form, "")


def _field_item(form: SurveyForm, survey: Survey, name: str, lang: str, data_form,
                prefix: str) -> dict[str, Any]:
    f = survey.fields[name]
    kind = value_type(f.type)
    bound = data_form[name] if data_form is not None and name in data_form else None
    value = bound.data if bound is not None else None
    if kind == "select_multiple":
        values = list(value or [])
    else:
        values = [] if value in (None, "") else [str(value)]
    choices = []
    if f.list_name:
        for c in survey.choices.get(f.list_name, []):
            choices.append({"name": c.name, "label": c.label_in(lang, survey.default_language)})
    return {
        "kind": "field",
        "name": name,
        "input": prefix + name,
        "type": kind,
        "label": _label_html_parts(f.label_in(lang, survey.default_language)),
        "hint": f.hint.get(lang) or f.hint.get(survey.default_language, ""),
        "required": f.required,
        "choices": choices,
        "values": values,
        "value": values[0] if values and kind != "select_multiple" else "",
        "errors": [e[lang] if isinstance(e, dict) else str(e) for e in (bound.errors if bound else [])],
        "multiline": "multiline" in f.appearance,
        **({"range": range_text(f.parameters)} if kind == "range" else {}),
    }


def _lang(texts: Mapping[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("zh") or next(iter(texts.values()), "")


def _row_text(row: Mapping[str, Any], base: str, survey: Survey, lang: str) -> str:
    found: dict[str, str] = {}
    for column, value in row.items():
        name, language = split_column(column)
        if name == base:
            found[language or survey.default_language] = value
    return _lang(found, lang)


def _label_html_parts(text: str) -> list[dict[str, str]]:
    """A label split into text and ${name} placeholders, rendered as live spans."""
    parts: list[dict[str, str]] = []
    last = 0
    for match in re.finditer(r"\$\{([^}]*)\}", text):
        if match.start() > last:
            parts.append({"text": text[last:match.start()]})
        parts.append({"ref": match.group(1).strip()})
        last = match.end()
    if last < len(text):
        parts.append({"text": text[last:]})
    return parts
