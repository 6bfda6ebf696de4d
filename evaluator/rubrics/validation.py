"""Rules a rubric must satisfy, alone and together with the surveys that feed it.

The rules read the raw YAML data (not the frozen ``Rubric``), because a broken rubric cannot be
built and the author still needs every problem, each with its place in the file:
``rubrics/x.yaml: dimensions[2].indicators[0]: points 12 exceed the dimension's 10``.

This module holds the entry points (``rubric_problems``, ``check_together``) and the rules of
the rubric's shape: its keys, bands, sources, dimensions and indicators, and the codes that tie
them together (sources named by indicators, a veto's cap and findings scope). The parameters of
each scoring method are checked in ``parameter_rules`` against the table in ``method_table``;
sources and fields against the surveys in ``survey_references``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evaluator.definitions.problems import Problem
from evaluator.rubrics.method_table import (
    EXPRESSION_KEYS,
    INDICATOR_KEYS,
    INSUFFICIENT_RULES,
    METHODS,
)
from evaluator.rubrics.parameter_rules import (
    expression_problem,
    method_value_problems,
    parameter_problems,
)
from evaluator.rubrics.problem_collector import EPSILON, N_, Collector, fmt, is_number, join
from evaluator.rubrics.survey_references import SurveyLike, survey_reference_problems

TOP_REQUIRED: tuple[str, ...] = (
    "id",
    "version",
    "title",
    "total",
    "bands",
    "sources",
    "dimensions",
)
TOP_OPTIONAL: tuple[str, ...] = ("description", "insufficient", "response")
DIMENSION_REQUIRED: tuple[str, ...] = ("code", "name", "points", "indicators")
DIMENSION_OPTIONAL: tuple[str, ...] = ("why",)
BAND_REQUIRED: tuple[str, ...] = ("grade", "min")
BAND_OPTIONAL: tuple[str, ...] = ("en",)


# --------------------------------------------------------------------------- the rubric alone


def rubric_problems(
    data: Any,
    file: str,
    surveys: Mapping[str, SurveyLike] | None = None,
    *,
    unchecked_surveys: Iterable[str] = (),
) -> list[Problem]:
    """Every problem of one rubric's YAML data, located in ``file``.

    Without ``surveys`` the rubric is checked alone. With them (survey id -> Survey), every
    source must name one of them and every field the rubric uses must exist in it. Surveys
    named in ``unchecked_surveys`` exist but are broken themselves; their fields are not checked
    (their own problems are reported elsewhere), so the author is not told twice.
    """
    out = Collector(file)
    if not isinstance(data, Mapping):
        out.add("", N_("a rubric is a YAML mapping with {joins}"), joins=", ".join(TOP_REQUIRED))
        return out.problems
    out.keys("", data, TOP_REQUIRED, TOP_OPTIONAL, N_("the rubric"))

    if "id" in data:
        out.code("id", data["id"])
    if "version" in data and not (isinstance(data["version"], str) and data["version"].strip()):
        out.add(
            "version",
            N_('version must be text; quote it: "{version}"'),
            version=fmt(data["version"]),
        )
    if "title" in data:
        out.text("title", data["title"])
    if "description" in data:
        out.text("description", data["description"])

    total = data.get("total")
    if "total" in data and not (is_number(total) and total > 0):
        out.add("total", N_("total must be a positive number, not {total!r}"), total=total)
        total = None

    grades = _band_problems(out, data.get("bands"), total) if "bands" in data else []
    sources = _source_problems(out, data.get("sources")) if "sources" in data else {}
    if "insufficient" in data and data["insufficient"] not in INSUFFICIENT_RULES:
        out.add(
            "insufficient",
            N_(
                "insufficient must be zero (an indicator without enough data "
                "earns no points) or pro_rata (its dimension is scored from the "
                "others), not {insufficient!r}"
            ),
            insufficient=data["insufficient"],
        )
    if "response" in data:
        _response_problems(out, data["response"], sources)

    dimensions = data.get("dimensions")
    if "dimensions" in data:
        if not isinstance(dimensions, list) or not dimensions:
            out.add("dimensions", N_("dimensions must be a non-empty list"))
            dimensions = []
        _dimension_problems(out, dimensions, total, grades, sources)

    if surveys is not None:
        survey_reference_problems(out, data, surveys, set(unchecked_surveys))
    return out.problems


def _band_problems(out: Collector, bands: Any, total: float | None) -> list[str]:
    """Bands are listed best first; each starts at ``min`` and runs up to the next band's min."""
    if not isinstance(bands, list) or not bands:
        out.add(
            "bands",
            N_("bands must be a non-empty list, best grade first: [{{grade, en, min}}, ...]"),
        )
        return []
    grades: list[str] = []
    previous: float | None = None
    mins: list[float] = []
    for i, band in enumerate(bands):
        where = join("bands", i)
        if not isinstance(band, Mapping):
            out.add(where, N_("a band is {{grade, en, min}}"))
            continue
        out.keys(where, band, BAND_REQUIRED, BAND_OPTIONAL, N_("a band"))
        grade = band.get("grade")
        if "grade" in band:
            if not isinstance(grade, str) or not grade.strip():
                out.add(where, N_("grade must be a non-empty text"))
            elif grade in grades:
                out.add(where, N_("grade '{grade}' appears twice"), grade=grade)
            else:
                grades.append(grade)
        if "en" in band and not isinstance(band["en"], str):
            out.add(where, N_("en must be a text"))
        low = band.get("min")
        if "min" not in band:
            continue
        if not is_number(low) or low < 0:
            out.add(where, N_("min must be a number of points, 0 or more, not {low!r}"), low=low)
            continue
        if total is not None and low > total + EPSILON:
            out.add(
                where, N_("min {low} is above the total {total}"), low=fmt(low), total=fmt(total)
            )
        if previous is not None and low >= previous - EPSILON:
            out.add(
                where,
                N_(
                    "min {low} must be below the previous band's {previous} (bands go "
                    "from the best grade down)"
                ),
                low=fmt(low),
                previous=fmt(previous),
            )
        previous = low
        mins.append(low)
    if mins and len(mins) == len(bands) and abs(mins[-1]) > EPSILON:
        out.add(
            join("bands", len(bands) - 1),
            N_(
                "the lowest band starts at {mins}, so scores below it have no "
                "grade; it must start at 0"
            ),
            mins=fmt(mins[-1]),
        )
    return grades


def _source_problems(out: Collector, sources: Any) -> dict[str, str]:
    if not isinstance(sources, Mapping) or not sources:
        out.add(
            "sources",
            N_("sources must map each evidence source to a survey id, e.g. household: household"),
        )
        return {}
    result: dict[str, str] = {}
    for name, survey_id in sources.items():
        where = join("sources", str(name))
        if not out.code(where, name):
            continue
        if not isinstance(survey_id, str) or not survey_id.strip():
            out.add(where, N_("must name a survey id, not {survey_id!r}"), survey_id=survey_id)
            continue
        result[name] = survey_id
    return result


def _response_problems(out: Collector, response: Any, sources: dict) -> None:
    """``response``: source -> expression true for a household that answered (non-response else)."""
    if not isinstance(response, Mapping) or not response:
        out.add(
            "response",
            N_(
                "response must map an evidence source to the expression that is "
                "true for a household that took part, e.g. household: "
                "\"${{consent}} = 'yes'\""
            ),
        )
        return
    for name, text in response.items():
        where = join("response", str(name))
        if sources and name not in sources:
            out.add(
                where,
                N_("source {name!r} is not declared under sources ({joins})"),
                name=name,
                joins=", ".join(sources),
            )
        expression_problem(out, where, text)


@dataclass
class _Seen:
    """Codes met so far across the rubric, for uniqueness and cross-references."""

    dimensions: dict[str, str] = field(default_factory=dict)  # code -> where
    indicators: dict[str, str] = field(default_factory=dict)
    vetoes: list[tuple[str, Mapping]] = field(default_factory=list)  # (where, indicator)


def _dimension_problems(
    out: Collector, dimensions: list, total: float | None, grades: list[str], sources: dict
) -> None:
    seen = _Seen()
    dimension_sum = 0.0
    sum_known = True
    for d, dimension in enumerate(dimensions):
        where = join("dimensions", d)
        if not isinstance(dimension, Mapping):
            out.add(where, N_("a dimension is {{code, name, points, indicators}}"))
            sum_known = False
            continue
        out.keys(where, dimension, DIMENSION_REQUIRED, DIMENSION_OPTIONAL, N_("a dimension"))
        code = dimension.get("code")
        if "code" in dimension and (code := out.code(where, code)):
            if code in seen.dimensions:
                out.add(
                    where,
                    N_("dimension code '{code}' is already used by {dimensions}"),
                    code=code,
                    dimensions=seen.dimensions[code],
                )
            else:
                seen.dimensions[code] = where
        if "name" in dimension:
            out.text(join(where, "name"), dimension["name"])
        if "why" in dimension:
            out.text(join(where, "why"), dimension["why"], one_line=True)
        points = dimension.get("points")
        if not (is_number(points) and points > 0):
            if "points" in dimension:
                out.add(
                    where, N_("points must be a positive number, not {points!r}"), points=points
                )
            points = None
            sum_known = False
        else:
            dimension_sum += points

        indicators = dimension.get("indicators")
        if "indicators" not in dimension:
            continue
        if not isinstance(indicators, list) or not indicators:
            out.add(where, N_("indicators must be a non-empty list"))
            continue
        indicator_sum = 0.0
        indicator_sum_known = True
        for i, indicator in enumerate(indicators):
            iwhere = join(join(where, "indicators"), i)
            value = _indicator_problems(out, iwhere, indicator, points, sources, seen)
            if value is None:
                indicator_sum_known = False
            else:
                indicator_sum += value
        if points is not None and indicator_sum_known and abs(indicator_sum - points) > EPSILON:
            out.add(
                where,
                N_("indicator points add up to {indicator_sum}, not the dimension's {points}"),
                indicator_sum=fmt(indicator_sum),
                points=fmt(points),
            )

    if total is not None and sum_known and abs(dimension_sum - total) > EPSILON:
        out.add(
            "dimensions",
            N_("dimension points add up to {dimension_sum}, not the total {total}"),
            dimension_sum=fmt(dimension_sum),
            total=fmt(total),
        )

    for where, indicator in seen.vetoes:
        _veto_reference_problems(out, where, indicator, grades, seen)


def _indicator_problems(
    out: Collector,
    where: str,
    indicator: Any,
    dimension_points: float | None,
    sources: dict,
    seen: _Seen,
) -> float | None:
    """Check one indicator; return its points when they are a usable number."""
    if not isinstance(indicator, Mapping):
        out.add(where, N_("an indicator is a mapping: {{code, name, why, points, method, ...}}"))
        return None
    for key in INDICATOR_KEYS:
        if key not in indicator:
            out.add(where, N_("an indicator needs '{key}'"), key=key)

    code = indicator.get("code")
    if "code" in indicator and (code := out.code(where, code)):
        if code in seen.indicators:
            out.add(
                where,
                N_("indicator code '{code}' is already used by {indicators}"),
                code=code,
                indicators=seen.indicators[code],
            )
        else:
            seen.indicators[code] = where
    if "name" in indicator:
        out.text(join(where, "name"), indicator["name"])
    if "why" in indicator:
        out.text(join(where, "why"), indicator["why"], one_line=True)

    method = indicator.get("method")
    spec = METHODS.get(method) if isinstance(method, str) else None
    if "method" in indicator and spec is None:
        out.add(
            where,
            N_("unknown method {method!r}; known: {joins}"),
            method=method,
            joins=", ".join(METHODS),
        )

    points = indicator.get("points")
    usable: float | None = None
    if "points" in indicator:
        if method == "veto":
            if not (is_number(points) and points == 0):
                out.add(
                    where,
                    N_("a veto scores no points: write points: 0, not {points!r}"),
                    points=points,
                )
            usable = 0.0
        elif not (is_number(points) and points > 0):
            out.add(where, N_("points must be a positive number, not {points!r}"), points=points)
        else:
            usable = float(points)
            if dimension_points is not None and points > dimension_points + EPSILON:
                out.add(
                    where,
                    N_("points {points} exceed the dimension's {dimension_points}"),
                    points=fmt(points),
                    dimension_points=fmt(dimension_points),
                )
    if spec is None or not isinstance(method, str):  # a known method is a str
        return usable

    parameter_problems(out, where, indicator, method, spec)
    _source_reference_problems(out, where, indicator, sources)
    for key in EXPRESSION_KEYS:
        if key in indicator:
            expression_problem(out, join(where, key), indicator[key])
    method_value_problems(out, where, indicator, method, spec, usable)
    if method == "veto":
        seen.vetoes.append((where, indicator))
    return usable


def _source_reference_problems(
    out: Collector, where: str, indicator: Mapping, sources: dict
) -> None:
    declared = ", ".join(sources) or "none"
    if "source" in indicator:
        source = indicator["source"]
        if not isinstance(source, str) or source not in sources:
            out.add(
                where,
                N_("source {source!r} is not declared under sources ({declared})"),
                source=source,
                declared=declared,
            )
    right = indicator.get("right")
    if isinstance(right, Mapping) and "source" in right:
        source = right["source"]
        if not isinstance(source, str) or source not in sources:
            out.add(
                join(where, "right"),
                N_("source {source!r} is not declared under sources ({declared})"),
                source=source,
                declared=declared,
            )


def _veto_reference_problems(
    out: Collector, where: str, indicator: Mapping, grades: list[str], seen: _Seen
) -> None:
    cap = indicator.get("cap")
    if "cap" in indicator and grades and cap not in grades:
        out.add(
            where, N_("cap {cap!r} is not a band; bands: {joins}"), cap=cap, joins=", ".join(grades)
        )
    elif grades and cap == grades[0]:
        out.add(
            where,
            N_("cap {cap!r} is the best band, so the veto could never lower a grade"),
            cap=cap,
        )
    findings = indicator.get("findings")
    if not isinstance(findings, Mapping):
        return
    fwhere = join(where, "findings")
    dimension = findings.get("dimension")
    if "dimension" in findings and not (
        isinstance(dimension, str) and dimension in seen.dimensions
    ):
        out.add(
            fwhere,
            N_("dimension {dimension!r} is not a dimension code; codes: {joins}"),
            dimension=findings["dimension"],
            joins=", ".join(seen.dimensions),
        )
    if "indicators" in findings:
        codes = findings["indicators"]
        if not isinstance(codes, list) or not codes:
            out.add(fwhere, N_("indicators must be a non-empty list of indicator codes"))
            return
        for code in codes:
            if not (isinstance(code, str) and code in seen.indicators):
                out.add(
                    fwhere,
                    N_("indicator {code!r} is not an indicator code of this rubric"),
                    code=code,
                )


# --------------------------------------------------------------------------- against the surveys


def check_together(
    rubrics: Sequence[tuple[str, Any]],
    surveys: Mapping[str, SurveyLike],
    *,
    unchecked_surveys: Iterable[str] = (),
) -> list[Problem]:
    """Every problem of several rubrics (``(file, data)`` pairs) checked against ``surveys``.

    This is what ``evaluator check`` runs once the surveys are loaded: each rubric alone, then its
    sources and fields against the surveys, and no two rubric files with the same id and version
    (a published version is immutable, so two different contents cannot share it).
    """
    problems: list[Problem] = []
    versions: dict[tuple[str, str], str] = {}
    for file, data in rubrics:
        problems.extend(rubric_problems(data, file, surveys, unchecked_surveys=unchecked_surveys))
        if (
            isinstance(data, Mapping)
            and isinstance(data.get("id"), str)
            and isinstance(data.get("version"), str)
        ):
            key = (data["id"], data["version"])
            if key in versions:
                problems.append(
                    Problem(
                        file,
                        "version",
                        f"rubric {key[0]} version {key[1]} is also defined in {versions[key]}",
                    )
                )
            else:
                versions[key] = file
    return problems
