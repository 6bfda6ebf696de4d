"""Rules that hold only together with the surveys that feed a rubric.

A rubric that is sound alone can still name a survey that does not exist, use a field its survey
lacks, or compare a field with a choice the field does not offer (a typo there silently makes a
condition false for every household). These rules read the loaded surveys;
``validation.rubric_problems`` runs them when it is given surveys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from evaluator.definitions.expressions import (
    Binary,
    Call,
    ExpressionError,
    Negate,
    Node,
    Ref,
    String,
    parse,
    references,
)
from evaluator.rubrics.method_table import EXPRESSION_KEYS
from evaluator.rubrics.problem_collector import N_, Collector, join
from evaluator.surveys.subset import SELECT_TYPES

# Columns of the bundle's roster.csv (建档立卡台账, the sampling frame). Every rubric expression,
# whatever its source, may use them as ${column}; a field of the source's own survey with the same
# name wins (the system export has its own ``status``, for example).
ROSTER_COLUMNS: tuple[str, ...] = (
    "household_id",
    "township",  # 乡镇/街道, the default stratum
    "stratum",
    "category",  # 深度困难 | 相对困难 | 意外致困
    "status",  # 在档 | 已脱困 | 注销
    "local_standard",  # per-capita annual income standard, yuan 元/人·年
    "household_size",
    "registered_date",
    "exit_date",  # empty unless 已脱困
    "head_name",  # personal, optional
    "id_number",  # personal, optional; never shown unmasked
)


class SurveyLike(Protocol):
    id: str
    fields: Mapping[str, Any]
    choices: Mapping[str, Sequence[Any]]


def _indicators(data: Mapping) -> Iterator[tuple[str, Mapping]]:
    """(where, indicator) for every well-formed indicator mapping."""
    dimensions = data.get("dimensions")
    if not isinstance(dimensions, list):
        return
    for d, dimension in enumerate(dimensions):
        if not isinstance(dimension, Mapping) or not isinstance(dimension.get("indicators"), list):
            continue
        for i, indicator in enumerate(dimension["indicators"]):
            if isinstance(indicator, Mapping):
                yield f"dimensions[{d}].indicators[{i}]", indicator


def survey_reference_problems(
    out: Collector, data: Mapping, surveys: Mapping[str, SurveyLike], unchecked: set[str]
) -> None:
    sources = data.get("sources")
    if not isinstance(sources, Mapping):
        return
    by_source: dict[str, SurveyLike] = {}
    for name, survey_id in sources.items():
        if not isinstance(survey_id, str):
            continue
        if survey_id in surveys:
            survey = surveys[survey_id]
            by_source[name] = survey
            feeds = getattr(survey, "source", None)
            if isinstance(feeds, str) and feeds and feeds != name:
                out.add(
                    join("sources", str(name)),
                    N_("survey '{survey_id}' feeds source '{feeds}', not '{name}'"),
                    survey_id=survey_id,
                    feeds=feeds,
                    name=name,
                )
        elif survey_id not in unchecked:
            known = (
                f"checked surveys: {', '.join(sorted(surveys))}"
                if surveys
                else "no surveys were checked; give their files or folder too"
            )
            out.add(
                join("sources", str(name)),
                N_("survey '{survey_id}' was not found ({known})"),
                survey_id=survey_id,
                known=known,
            )

    response = data.get("response")
    if isinstance(response, Mapping):
        for name, text in response.items():
            if isinstance(text, str) and name in by_source:
                _field_reference_problems(out, join("response", str(name)), text, by_source[name])

    for where, indicator in _indicators(data):
        source = indicator.get("source")
        used = by_source.get(source) if isinstance(source, str) else None
        if used is not None:
            for key in EXPRESSION_KEYS:
                if isinstance(indicator.get(key), str):
                    _field_reference_problems(out, join(where, key), indicator[key], used)
            for key in ("items", "fields"):
                names = indicator.get(key)
                if isinstance(names, list):
                    for name in names:
                        if isinstance(name, str) and name not in used.fields:
                            out.add(
                                join(where, key),
                                N_("{name} is not a field of survey '{id}'"),
                                name=name,
                                id=used.id,
                            )
            if indicator.get("method") == "checklist":
                _checklist_answer_problems(out, where, indicator, used)
        right = indicator.get("right")
        if isinstance(right, Mapping) and isinstance(right.get("source"), str):
            right_survey = by_source.get(right["source"])
            if right_survey is not None and isinstance(right.get("value"), str):
                _field_reference_problems(
                    out, join(where, "right.value"), right["value"], right_survey
                )


def _field_reference_problems(out: Collector, where: str, text: str, survey: SurveyLike) -> None:
    try:
        node = parse(text)
    except ExpressionError:
        return  # reported by the rubric's own rules
    for name in sorted(references(node)):
        if name not in survey.fields and name not in ROSTER_COLUMNS:
            out.add(
                where,
                N_("${{{name}}} is neither a field of survey '{id}' nor a roster column"),
                name=name,
                id=survey.id,
            )
    for name, literal in time_literals(node):
        kind = str(getattr(survey.fields.get(name), "type", ""))
        shape = _TIME_SHAPES.get(kind)
        if shape is not None and literal and not shape[0].match(literal):
            out.add(
                where,
                N_("'{literal}' is not a {kind} ({shape}) to compare {name} with"),
                literal=literal,
                kind=kind,
                shape=shape[1],
                name=name,
            )
    for name, literal in choice_literals(node):
        field_ = survey.fields.get(name)
        choices = _choice_names(survey, field_)
        if (
            field_ is not None and choices is not None and literal and literal not in choices
        ):  # '' tests for blank
            out.add(
                where,
                N_("'{literal}' is not a choice of {name} (list {list_name}: {joins})"),
                literal=literal,
                name=name,
                list_name=field_.list_name,
                joins=", ".join(choices),
            )


def _choice_names(survey: SurveyLike, field_: Any) -> list[str] | None:
    """The choice names of a select field, or None when the field is not a select."""
    if field_ is None or str(getattr(field_, "type", "")) not in SELECT_TYPES:
        return None
    list_name = getattr(field_, "list_name", None)
    if not list_name or list_name not in survey.choices:
        return None
    return [str(getattr(choice, "name", choice)) for choice in survey.choices[list_name]]


def _checklist_answer_problems(
    out: Collector, where: str, indicator: Mapping, survey: SurveyLike
) -> None:
    items = indicator.get("items")
    if not isinstance(items, list):
        return
    for key in ("pass", "na"):
        answer = indicator.get(key)
        if not isinstance(answer, str):
            continue
        for item in items:
            choices = (
                _choice_names(survey, survey.fields.get(item)) if isinstance(item, str) else None
            )
            if choices is not None and answer not in choices:
                out.add(
                    join(where, key),
                    N_("'{answer}' is not a choice of item {item} ({joins})"),
                    answer=answer,
                    item=item,
                    joins=", ".join(choices),
                )


# Answers of date, time and datetime fields compare in time order only with text of their shape.
_TIME_SHAPES = {
    "date": (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}$"), "YYYY-MM-DD"),
    "time": (re.compile(r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?"), "HH:MM or HH:MM:SS"),
    "datetime": (
        re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}|$)"),
        "YYYY-MM-DD or YYYY-MM-DDTHH:MM",
    ),
}


def time_literals(node: Node) -> list[tuple[str, str]]:
    """(field, text) pairs an expression compares or orders a field with (``${t} < '12:00'``)."""
    pairs: list[tuple[str, str]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Binary):
            stack.extend((current.left, current.right))
            if current.op in ("=", "!=", "<", "<=", ">", ">="):
                left, right = current.left, current.right
                if isinstance(left, Ref) and isinstance(right, String):
                    pairs.append((left.name, right.value))
                elif isinstance(left, String) and isinstance(right, Ref):
                    pairs.append((right.name, left.value))
        elif isinstance(current, Negate):
            stack.append(current.operand)
        elif isinstance(current, Call):
            stack.extend(current.args)
    return pairs


def choice_literals(node: Node) -> list[tuple[str, str]]:
    """(field, text) pairs an expression compares a field with: ``${x} = 'a'``, ``selected(${x}, 'a')``.

    Used to check that the text is one of the field's choices; a typo there silently makes a
    condition false for every household.
    """
    pairs: list[tuple[str, str]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Binary):
            stack.extend((current.left, current.right))
        elif isinstance(current, Negate):
            stack.append(current.operand)
        elif isinstance(current, Call):
            stack.extend(current.args)
        if isinstance(current, Binary) and current.op in ("=", "!="):
            left, right = current.left, current.right
            if isinstance(left, Ref) and isinstance(right, String):
                pairs.append((left.name, right.value))
            elif isinstance(left, String) and isinstance(right, Ref):
                pairs.append((right.name, left.value))
        elif (
            isinstance(current, Call)
            and current.name == "selected"
            and len(current.args) == 2
            and isinstance(current.args[0], Ref)
            and isinstance(current.args[1], String)
        ):
            pairs.append((current.args[0].name, current.args[1].value))
    return pairs
