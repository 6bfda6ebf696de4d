"""Rules a rubric must satisfy, alone and together with the surveys that feed it.

The rules read the raw YAML data (not the frozen ``Rubric``), because a broken rubric cannot be
built and the author still needs every problem, each with its place in the file:
``rubrics/x.yaml: dimensions[2].indicators[0]: points 12 exceed the dimension's 10``.

The method table (``METHODS``) is the single statement of which parameters each scoring method
takes; the validator, the loader and docs/rubric.md all follow it (a test keeps the docs honest).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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
from evaluator.definitions.problems import Problem

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

SEVERITIES: tuple[str, ...] = ("minor", "major", "critical")  # findings.csv severity, mildest first
DIRECTIONS: tuple[str, ...] = ("higher", "lower")
COMPARES: tuple[str, ...] = ("number", "text", "set_overlap", "set_equal")
MISSING: tuple[str, ...] = ("skip", "disagree")

# Keys every indicator has, whatever its method.
INDICATOR_KEYS: tuple[str, ...] = ("code", "name", "why", "points", "method")

# The two ways an estimate becomes points; an indicator of a mapped method uses exactly one.
MAPPING: tuple[tuple[str, ...], ...] = (("target", "floor"), ("steps",))


@dataclass(frozen=True)
class MethodSpec:
    """What one scoring method needs.

    ``required`` keys must be present; ``optional`` keys may be, and the text says what happens
    without them; ``alternatives`` are key groups of which exactly one is given, complete.
    ``estimate`` says what the method estimates: ``share`` (0..1, so target/floor/steps lie in
    0..1), ``mean`` (in the unit of ``value``), ``judgement`` (mean evaluator score, 0..scale) or
    ``None`` (no estimate: points come from findings, or the method scores nothing).
    """

    summary: str
    required: tuple[str, ...]
    optional: Mapping[str, str] = field(default_factory=dict)
    alternatives: tuple[tuple[str, ...], ...] = ()
    estimate: str | None = None

    @property
    def allowed(self) -> frozenset[str]:
        keys = set(INDICATOR_KEYS) | set(self.required) | set(self.optional)
        for group in self.alternatives:
            keys.update(group)
        return frozenset(keys)


_APPLIES = "every unit of the source applies"

METHODS: dict[str, MethodSpec] = {
    "rate": MethodSpec(
        summary="design-weighted share of applicable units for which `condition` is true",
        required=("source", "condition", "direction", "min_n"),
        optional={"applies": _APPLIES},
        alternatives=MAPPING,
        estimate="share",
    ),
    "mean": MethodSpec(
        summary="design-weighted mean of the numeric expression `value` over applicable units",
        required=("source", "value", "direction", "min_n"),
        optional={
            "applies": _APPLIES,
            "range": "no bounds: target, floor and steps are not range-checked",
        },
        alternatives=MAPPING,
        estimate="mean",
    ),
    "checklist": MethodSpec(
        summary="per unit, the share of applicable `items` whose answer is `pass`; "
        "the design-weighted mean of those shares",
        required=("source", "items", "pass", "direction", "min_n"),
        optional={
            "applies": _APPLIES,
            "na": "only blank (not asked) items are not applicable",
        },
        alternatives=MAPPING,
        estimate="share",
    ),
    "consistency": MethodSpec(
        summary="design-weighted share of units whose `value` agrees with `right.value` of "
        "the right source's row with the same household_id",
        required=("source", "value", "right", "compare", "direction", "min_n"),
        optional={
            "applies": _APPLIES,
            "tolerance": "exact equality (only compare: number takes a tolerance)",
            "missing": "skip: a unit without a right-hand row or with a blank side is left out",
        },
        alternatives=MAPPING,
        estimate="share",
    ),
    "completeness": MethodSpec(
        summary="per unit, the share of `fields` that are not blank; "
        "the design-weighted mean of those shares",
        required=("source", "fields", "direction", "min_n"),
        optional={"applies": _APPLIES},
        alternatives=MAPPING,
        estimate="share",
    ),
    "deduction": MethodSpec(
        summary="the indicator's points minus `per_severity` for each finding recorded against "
        "it in findings.csv, never below 0",
        required=("per_severity",),
    ),
    "judgement": MethodSpec(
        summary="mean of the evaluators' scores (0..scale) in judgements.csv times "
        "points / scale; a spread above `max_spread` is flagged",
        required=("scale", "max_spread", "min_n"),
        optional={"source": "no evidence source is named in the report"},
        estimate="judgement",
    ),
    "veto": MethodSpec(
        summary="scores no points; caps the grade at `cap` when more than `max_count` units "
        "meet `condition`, or when a finding of `findings.severity` or worse exists",
        required=("cap",),
        optional={"applies": "only with condition; " + _APPLIES},
        alternatives=(("source", "condition", "max_count"), ("findings",)),
    ),
}

# Every parameter, in the order the docs present them, with its meaning.
PARAMETERS: dict[str, str] = {
    "source": "evidence source (a key of `sources`) whose rows are the units",
    "applies": "expression; units where it is false are not applicable (left out of n)",
    "condition": "expression; true for a unit that counts (rate) or that triggers (veto)",
    "value": "expression giving the unit's value (mean; left side of consistency)",
    "right": "{source, value}: the other side of a consistency check, matched on household_id",
    "compare": "number | text | set_overlap | set_equal",
    "tolerance": "{absolute, relative}: numbers agree when |left - right| <= absolute "
    "or <= relative * |right|",
    "missing": "skip | disagree: what a unit without a right-hand row or with a blank side counts as",
    "items": "list of survey fields, each one checklist item",
    "pass": "the answer (choice name) that passes an item, e.g. 'yes'",
    "na": "the answer that makes an item not applicable, e.g. 'na'",
    "fields": "list of survey fields that should not be blank",
    "range": "[low, high]: the possible values of a mean, so target/floor/steps can be checked",
    "direction": "higher | lower: which way the estimate is better",
    "target": "estimate at (or beyond) which full points are given",
    "floor": "estimate at (or short of) which zero points are given; linear in between",
    "steps": "[{at, points}, ...] best first: points of the first step the estimate reaches",
    "min_n": "minimum number of applicable units (evaluators for judgement) to score",
    "per_severity": "{minor, major, critical}: points deducted per finding of each severity",
    "scale": "maximum evaluator score (scores run 0..scale)",
    "max_spread": "largest allowed difference between the highest and lowest evaluator score",
    "cap": "grade (a band's `grade`) that the final grade cannot exceed when the veto triggers",
    "max_count": "number of units meeting `condition` that is still tolerated (0: none)",
    "findings": "{severity, dimension | indicators}: findings of this severity or worse, "
    "recorded against that dimension's indicators or the listed indicators",
}

TOP_REQUIRED: tuple[str, ...] = (
    "id",
    "version",
    "title",
    "total",
    "bands",
    "sources",
    "dimensions",
)
TOP_OPTIONAL: tuple[str, ...] = ("description",)
DIMENSION_REQUIRED: tuple[str, ...] = ("code", "name", "points", "indicators")
DIMENSION_OPTIONAL: tuple[str, ...] = ("why",)
BAND_REQUIRED: tuple[str, ...] = ("grade", "min")
BAND_OPTIONAL: tuple[str, ...] = ("en",)
EXPRESSION_KEYS: tuple[str, ...] = ("applies", "condition", "value")

CODE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_EPSILON = 1e-9


class _Survey(Protocol):
    id: str
    fields: Mapping[str, Any]
    choices: Mapping[str, Sequence[Any]]


# --------------------------------------------------------------------------- small value checks


def is_number(value: Any) -> bool:
    """A YAML number (``True`` is not one, although Python thinks it is an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    """Numbers as an author wrote them: 10, not 10.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _join(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


class _Collector:
    """Gathers problems for one file."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))

    def keys(
        self, where: str, data: Mapping, required: Iterable[str], optional: Iterable[str], what: str
    ) -> None:
        for key in required:
            if key not in data:
                self.add(where, f"{what} needs '{key}'")
        allowed = set(required) | set(optional)
        for key in data:
            if key not in allowed:
                self.add(
                    where, f"unknown key '{key}' in {what}; allowed: {', '.join(sorted(allowed))}"
                )

    def text(self, where: str, value: Any, *, one_line: bool = False) -> None:
        """A text is a string (Chinese) or ``{zh: ..., en: ...}`` with zh required."""
        if isinstance(value, str):
            texts = {"zh": value}
        elif isinstance(value, Mapping):
            texts = dict(value)
            for key in value:
                if key not in ("zh", "en"):
                    self.add(where, f"unknown language '{key}'; use zh and en")
            if "zh" not in value:
                self.add(where, "needs 'zh' (the Chinese text)")
        else:
            self.add(where, f"must be a text or {{zh: ..., en: ...}}, not {_fmt(value)!r}")
            return
        for language, text in texts.items():
            if language not in ("zh", "en"):
                continue
            if not isinstance(text, str) or (language == "zh" and not text.strip()):
                self.add(where, f"{language} must be a non-empty text")
            elif one_line and "\n" in text.strip():
                self.add(where, f"{language} must be one line")

    def code(self, where: str, value: Any) -> bool:
        if not isinstance(value, str) or not CODE_PATTERN.match(value):
            self.add(
                where,
                f"code {value!r} must start with a letter and use only letters, digits, _ . -",
            )
            return False
        return True


# --------------------------------------------------------------------------- the rubric alone


def rubric_problems(
    data: Any,
    file: str,
    surveys: Mapping[str, _Survey] | None = None,
    *,
    unchecked_surveys: Iterable[str] = (),
) -> list[Problem]:
    """Every problem of one rubric's YAML data, located in ``file``.

    Without ``surveys`` the rubric is checked alone. With them (survey id -> Survey), every
    source must name one of them and every field the rubric uses must exist in it. Surveys
    named in ``unchecked_surveys`` exist but are broken themselves; their fields are not checked
    (their own problems are reported elsewhere), so the author is not told twice.
    """
    out = _Collector(file)
    if not isinstance(data, Mapping):
        out.add("", "a rubric is a YAML mapping with " + ", ".join(TOP_REQUIRED))
        return out.problems
    out.keys("", data, TOP_REQUIRED, TOP_OPTIONAL, "the rubric")

    if "id" in data:
        out.code("id", data["id"])
    if "version" in data and not (isinstance(data["version"], str) and data["version"].strip()):
        out.add("version", f'version must be text; quote it: "{_fmt(data["version"])}"')
    if "title" in data:
        out.text("title", data["title"])
    if "description" in data:
        out.text("description", data["description"])

    total = data.get("total")
    if "total" in data and not (is_number(total) and total > 0):
        out.add("total", f"total must be a positive number, not {total!r}")
        total = None

    grades = _band_problems(out, data.get("bands"), total) if "bands" in data else []
    sources = _source_problems(out, data.get("sources")) if "sources" in data else {}

    dimensions = data.get("dimensions")
    if "dimensions" in data:
        if not isinstance(dimensions, list) or not dimensions:
            out.add("dimensions", "dimensions must be a non-empty list")
            dimensions = []
        _dimension_problems(out, dimensions, total, grades, sources)

    if surveys is not None:
        _survey_problems(out, data, surveys, set(unchecked_surveys))
    return out.problems


def _band_problems(out: _Collector, bands: Any, total: float | None) -> list[str]:
    """Bands are listed best first; each starts at ``min`` and runs up to the next band's min."""
    if not isinstance(bands, list) or not bands:
        out.add(
            "bands", "bands must be a non-empty list, best grade first: [{grade, en, min}, ...]"
        )
        return []
    grades: list[str] = []
    previous: float | None = None
    mins: list[float] = []
    for i, band in enumerate(bands):
        where = _join("bands", i)
        if not isinstance(band, Mapping):
            out.add(where, "a band is {grade, en, min}")
            continue
        out.keys(where, band, BAND_REQUIRED, BAND_OPTIONAL, "a band")
        grade = band.get("grade")
        if "grade" in band:
            if not isinstance(grade, str) or not grade.strip():
                out.add(where, "grade must be a non-empty text")
            elif grade in grades:
                out.add(where, f"grade '{grade}' appears twice")
            else:
                grades.append(grade)
        if "en" in band and not isinstance(band["en"], str):
            out.add(where, "en must be a text")
        low = band.get("min")
        if "min" not in band:
            continue
        if not is_number(low) or low < 0:
            out.add(where, f"min must be a number of points, 0 or more, not {low!r}")
            continue
        if total is not None and low > total + _EPSILON:
            out.add(where, f"min {_fmt(low)} is above the total {_fmt(total)}")
        if previous is not None and low >= previous - _EPSILON:
            out.add(
                where,
                f"min {_fmt(low)} must be below the previous band's {_fmt(previous)} "
                "(bands go from the best grade down)",
            )
        previous = low
        mins.append(low)
    if mins and len(mins) == len(bands) and abs(mins[-1]) > _EPSILON:
        out.add(
            _join("bands", len(bands) - 1),
            f"the lowest band starts at {_fmt(mins[-1])}, so scores below it have no grade; "
            "it must start at 0",
        )
    return grades


def _source_problems(out: _Collector, sources: Any) -> dict[str, str]:
    if not isinstance(sources, Mapping) or not sources:
        out.add(
            "sources",
            "sources must map each evidence source to a survey id, e.g. household: household",
        )
        return {}
    result: dict[str, str] = {}
    for name, survey_id in sources.items():
        where = _join("sources", str(name))
        if not out.code(where, name):
            continue
        if not isinstance(survey_id, str) or not survey_id.strip():
            out.add(where, f"must name a survey id, not {survey_id!r}")
            continue
        result[name] = survey_id
    return result


@dataclass
class _Seen:
    """Codes met so far across the rubric, for uniqueness and cross-references."""

    dimensions: dict[str, str] = field(default_factory=dict)  # code -> where
    indicators: dict[str, str] = field(default_factory=dict)
    vetoes: list[tuple[str, Mapping]] = field(default_factory=list)  # (where, indicator)


def _dimension_problems(
    out: _Collector, dimensions: list, total: float | None, grades: list[str], sources: dict
) -> None:
    seen = _Seen()
    dimension_sum = 0.0
    sum_known = True
    for d, dimension in enumerate(dimensions):
        where = _join("dimensions", d)
        if not isinstance(dimension, Mapping):
            out.add(where, "a dimension is {code, name, points, indicators}")
            sum_known = False
            continue
        out.keys(where, dimension, DIMENSION_REQUIRED, DIMENSION_OPTIONAL, "a dimension")
        code = dimension.get("code")
        if "code" in dimension and out.code(where, code):
            if code in seen.dimensions:
                out.add(
                    where, f"dimension code '{code}' is already used by {seen.dimensions[code]}"
                )
            else:
                seen.dimensions[code] = where
        if "name" in dimension:
            out.text(_join(where, "name"), dimension["name"])
        if "why" in dimension:
            out.text(_join(where, "why"), dimension["why"], one_line=True)
        points = dimension.get("points")
        if not (is_number(points) and points > 0):
            if "points" in dimension:
                out.add(where, f"points must be a positive number, not {points!r}")
            points = None
            sum_known = False
        else:
            dimension_sum += points

        indicators = dimension.get("indicators")
        if "indicators" not in dimension:
            continue
        if not isinstance(indicators, list) or not indicators:
            out.add(where, "indicators must be a non-empty list")
            continue
        indicator_sum = 0.0
        indicator_sum_known = True
        for i, indicator in enumerate(indicators):
            iwhere = _join(_join(where, "indicators"), i)
            value = _indicator_problems(out, iwhere, indicator, points, sources, seen)
            if value is None:
                indicator_sum_known = False
            else:
                indicator_sum += value
        if points is not None and indicator_sum_known and abs(indicator_sum - points) > _EPSILON:
            out.add(
                where,
                f"indicator points add up to {_fmt(indicator_sum)}, not the dimension's {_fmt(points)}",
            )

    if total is not None and sum_known and abs(dimension_sum - total) > _EPSILON:
        out.add(
            "dimensions",
            f"dimension points add up to {_fmt(dimension_sum)}, not the total {_fmt(total)}",
        )

    for where, indicator in seen.vetoes:
        _veto_reference_problems(out, where, indicator, grades, seen)


def _indicator_problems(
    out: _Collector,
    where: str,
    indicator: Any,
    dimension_points: float | None,
    sources: dict,
    seen: _Seen,
) -> float | None:
    """Check one indicator; return its points when they are a usable number."""
    if not isinstance(indicator, Mapping):
        out.add(where, "an indicator is a mapping: {code, name, why, points, method, ...}")
        return None
    for key in INDICATOR_KEYS:
        if key not in indicator:
            out.add(where, f"an indicator needs '{key}'")

    code = indicator.get("code")
    if "code" in indicator and out.code(where, code):
        if code in seen.indicators:
            out.add(where, f"indicator code '{code}' is already used by {seen.indicators[code]}")
        else:
            seen.indicators[code] = where
    if "name" in indicator:
        out.text(_join(where, "name"), indicator["name"])
    if "why" in indicator:
        out.text(_join(where, "why"), indicator["why"], one_line=True)

    method = indicator.get("method")
    spec = METHODS.get(method) if isinstance(method, str) else None
    if "method" in indicator and spec is None:
        out.add(where, f"unknown method {method!r}; known: {', '.join(METHODS)}")

    points = indicator.get("points")
    usable: float | None = None
    if "points" in indicator:
        if method == "veto":
            if not (is_number(points) and points == 0):
                out.add(where, f"a veto scores no points: write points: 0, not {points!r}")
            usable = 0.0
        elif not (is_number(points) and points > 0):
            out.add(where, f"points must be a positive number, not {points!r}")
        else:
            usable = float(points)
            if dimension_points is not None and points > dimension_points + _EPSILON:
                out.add(
                    where,
                    f"points {_fmt(points)} exceed the dimension's {_fmt(dimension_points)}",
                )
    if spec is None:
        return usable

    _parameter_problems(out, where, indicator, method, spec)
    _source_reference_problems(out, where, indicator, sources)
    for key in EXPRESSION_KEYS:
        if key in indicator:
            _expression_problem(out, _join(where, key), indicator[key])
    _method_value_problems(out, where, indicator, method, spec, usable)
    if method == "veto":
        seen.vetoes.append((where, indicator))
    return usable


def _parameter_problems(
    out: _Collector, where: str, indicator: Mapping, method: str, spec: MethodSpec
) -> None:
    for key in spec.required:
        if key not in indicator:
            out.add(where, f"method {method} needs '{key}'")
    for key in indicator:
        if key not in spec.allowed:
            out.add(
                where,
                f"'{key}' is not a parameter of method {method}; it takes "
                + ", ".join(_parameter_names(spec)),
            )
    if spec.alternatives:
        given = [group for group in spec.alternatives if any(key in indicator for key in group)]
        options = " or ".join("/".join(group) for group in spec.alternatives)
        if not given:
            out.add(where, f"method {method} needs {options}")
        elif len(given) > 1:
            out.add(where, f"method {method} takes {options}, not both")
        else:
            for key in given[0]:
                if key not in indicator:
                    out.add(where, f"'{given[0][0]}' needs '{key}' beside it")


def _parameter_names(spec: MethodSpec) -> list[str]:
    names = list(spec.required)
    for group in spec.alternatives:
        names.extend(key for key in group if key not in names)
    names.extend(key for key in spec.optional if key not in names)
    return names


def _source_reference_problems(
    out: _Collector, where: str, indicator: Mapping, sources: dict
) -> None:
    declared = ", ".join(sources) or "none"
    if "source" in indicator:
        source = indicator["source"]
        if not isinstance(source, str) or source not in sources:
            out.add(where, f"source {source!r} is not declared under sources ({declared})")
    right = indicator.get("right")
    if isinstance(right, Mapping) and "source" in right:
        source = right["source"]
        if not isinstance(source, str) or source not in sources:
            out.add(
                _join(where, "right"),
                f"source {source!r} is not declared under sources ({declared})",
            )


def _expression_problem(out: _Collector, where: str, text: Any) -> Any:
    """Parse one expression; report its error with the character position. Return the AST."""
    if not isinstance(text, str) or not text.strip():
        out.add(where, f"must be an expression in quotes, not {text!r}")
        return None
    try:
        return parse(text)
    except ExpressionError as exc:
        # The message already ends "at position N" (0-based) when the parser knows where.
        out.add(where, f"cannot parse {text!r}: {exc.message}")
        return None


def _method_value_problems(
    out: _Collector,
    where: str,
    indicator: Mapping,
    method: str,
    spec: MethodSpec,
    points: float | None,
) -> None:
    """Values of the parameters: types, ranges, and target/floor/steps against direction."""
    direction = indicator.get("direction")
    if "direction" in indicator and direction not in DIRECTIONS:
        out.add(where, f"direction must be higher or lower, not {direction!r}")
        direction = None

    if "min_n" in indicator and not (_is_int(indicator["min_n"]) and indicator["min_n"] > 0):
        out.add(where, f"min_n must be a positive whole number, not {indicator['min_n']!r}")

    low, high, unit = _estimate_range(out, where, indicator, spec)
    if "target" in indicator or "floor" in indicator:
        _target_floor_problems(out, where, indicator, direction, low, high, unit)
    if "steps" in indicator:
        _step_problems(
            out, _join(where, "steps"), indicator["steps"], direction, low, high, unit, points
        )

    if method == "checklist":
        _name_list_problem(out, where, indicator, "items")
        for key in ("pass", "na"):
            answer = indicator.get(key)
            if key in indicator and not (isinstance(answer, str) and answer):
                hint = (
                    " (YAML reads an unquoted yes/no as true/false)"
                    if isinstance(answer, bool)
                    else ""
                )
                out.add(where, f"{key} must be a choice name in quotes, not {answer!r}{hint}")
        if isinstance(indicator.get("pass"), str) and indicator.get("pass") == indicator.get("na"):
            out.add(where, "pass and na must be different answers")
    elif method == "completeness":
        _name_list_problem(out, where, indicator, "fields")
    elif method == "consistency":
        _consistency_problems(out, where, indicator)
    elif method == "deduction":
        _per_severity_problems(out, _join(where, "per_severity"), indicator.get("per_severity"))
    elif method == "judgement":
        scale = indicator.get("scale")
        if "scale" in indicator and not (is_number(scale) and scale > 0):
            out.add(where, f"scale must be a positive number (scores run 0..scale), not {scale!r}")
            scale = None
        spread = indicator.get("max_spread")
        if "max_spread" in indicator:
            if not (is_number(spread) and spread >= 0):
                out.add(where, f"max_spread must be a number, 0 or more, not {spread!r}")
            elif scale is not None and spread > scale:
                out.add(where, f"max_spread {_fmt(spread)} is larger than the scale {_fmt(scale)}")
    elif method == "veto":
        if "max_count" in indicator and not (
            _is_int(indicator["max_count"]) and indicator["max_count"] >= 0
        ):
            out.add(
                where,
                f"max_count must be a whole number, 0 or more, not {indicator['max_count']!r}",
            )
        if "applies" in indicator and "condition" not in indicator:
            out.add(where, "applies only goes with condition; findings vetoes have no units")
        if "findings" in indicator:
            _findings_shape_problems(out, _join(where, "findings"), indicator["findings"])


def _estimate_range(
    out: _Collector, where: str, indicator: Mapping, spec: MethodSpec
) -> tuple[float | None, float | None, str]:
    """Bounds target/floor/steps must lie in, and how to name them in messages."""
    if spec.estimate == "share":
        return 0.0, 1.0, "a share (write 0.95 for 95 %)"
    if spec.estimate == "mean" and "range" in indicator:
        bounds = indicator["range"]
        if (
            isinstance(bounds, list)
            and len(bounds) == 2
            and all(is_number(b) for b in bounds)
            and bounds[0] < bounds[1]
        ):
            return (
                float(bounds[0]),
                float(bounds[1]),
                f"the range {_fmt(bounds[0])}..{_fmt(bounds[1])}",
            )
        out.add(
            _join(where, "range"), f"range must be [low, high] with low below high, not {bounds!r}"
        )
    return None, None, ""


def _check_in_range(
    out: _Collector,
    where: str,
    name: str,
    value: Any,
    low: float | None,
    high: float | None,
    unit: str,
) -> bool:
    if not is_number(value):
        out.add(where, f"{name} must be a number, not {value!r}")
        return False
    if low is not None and high is not None and not (low - _EPSILON <= value <= high + _EPSILON):
        out.add(
            where,
            f"{name} {_fmt(value)} is outside {_fmt(low)}..{_fmt(high)}: the estimate is {unit}",
        )
        return False
    return True


def _target_floor_problems(
    out: _Collector,
    where: str,
    indicator: Mapping,
    direction: str | None,
    low: float | None,
    high: float | None,
    unit: str,
) -> None:
    ok = True
    for name in ("target", "floor"):
        if name in indicator:
            ok = _check_in_range(out, where, name, indicator[name], low, high, unit) and ok
    if not ok or "target" not in indicator or "floor" not in indicator or direction is None:
        return
    target, floor = indicator["target"], indicator["floor"]
    if direction == "higher" and not target > floor:
        out.add(
            where,
            f"direction higher needs target above floor (target {_fmt(target)}, floor {_fmt(floor)})",
        )
    if direction == "lower" and not target < floor:
        out.add(
            where,
            f"direction lower needs target below floor (target {_fmt(target)}, floor {_fmt(floor)}): "
            "an error rate at or under the target earns full points",
        )


def _step_problems(
    out: _Collector,
    where: str,
    steps: Any,
    direction: str | None,
    low: float | None,
    high: float | None,
    unit: str,
    points: float | None,
) -> None:
    """Steps go from the best estimate to the worst, each giving fewer points than the last."""
    if not isinstance(steps, list) or not steps:
        out.add(where, "steps must be a non-empty list of {at, points}, best first")
        return
    previous: Mapping | None = None
    for i, step in enumerate(steps):
        swhere = _join(where, i)
        if not isinstance(step, Mapping):
            out.add(swhere, "a step is {at, points}")
            previous = None
            continue
        out.keys(swhere, step, ("at", "points"), (), "a step")
        at_ok = "at" in step and _check_in_range(out, swhere, "at", step["at"], low, high, unit)
        got = step.get("points")
        points_ok = "points" in step and is_number(got) and got >= 0
        if "points" in step and not points_ok:
            out.add(swhere, f"points must be a number, 0 or more, not {got!r}")
        if points_ok and points is not None and got > points + _EPSILON:
            out.add(swhere, f"points {_fmt(got)} exceed the indicator's {_fmt(points)}")
        if i == 0 and points_ok and points is not None and abs(got - points) > _EPSILON:
            out.add(
                swhere,
                f"the first (best) step gives {_fmt(got)} points, not the indicator's "
                f"{_fmt(points)}: full points could never be reached",
            )
        if previous is not None and at_ok and points_ok:
            before_at, before_points = previous["at"], previous["points"]
            if direction == "higher" and not step["at"] < before_at:
                out.add(
                    swhere,
                    f"at {_fmt(step['at'])} must be below the previous step's {_fmt(before_at)} "
                    "(direction higher: best first)",
                )
            if direction == "lower" and not step["at"] > before_at:
                out.add(
                    swhere,
                    f"at {_fmt(step['at'])} must be above the previous step's {_fmt(before_at)} "
                    "(direction lower: best first)",
                )
            if not got < before_points:
                out.add(
                    swhere,
                    f"points {_fmt(got)} must be fewer than the previous step's {_fmt(before_points)}",
                )
        previous = step if at_ok and points_ok else None


def _name_list_problem(out: _Collector, where: str, indicator: Mapping, key: str) -> None:
    if key not in indicator:
        return
    names = indicator[key]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        out.add(where, f"{key} must be a non-empty list of field names")
        return
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        out.add(where, f"{key} lists {', '.join(duplicates)} more than once")


def _consistency_problems(out: _Collector, where: str, indicator: Mapping) -> None:
    right = indicator.get("right")
    if "right" in indicator:
        rwhere = _join(where, "right")
        if not isinstance(right, Mapping):
            out.add(rwhere, "right must be {source, value}")
        else:
            out.keys(rwhere, right, ("source", "value"), (), "right")
            if "value" in right:
                _expression_problem(out, _join(rwhere, "value"), right["value"])
    compare = indicator.get("compare")
    if "compare" in indicator and compare not in COMPARES:
        out.add(where, f"compare must be one of {', '.join(COMPARES)}, not {compare!r}")
    missing = indicator.get("missing")
    if "missing" in indicator and missing not in MISSING:
        out.add(where, f"missing must be skip or disagree, not {missing!r}")
    tolerance = indicator.get("tolerance")
    if compare == "number" and "tolerance" not in indicator:
        out.add(
            where, "compare number needs a tolerance: {absolute: ..., relative: ...} (0 for exact)"
        )
    if compare in COMPARES and compare != "number" and "tolerance" in indicator:
        out.add(where, f"tolerance only goes with compare number, not {compare}")
    if "tolerance" in indicator:
        twhere = _join(where, "tolerance")
        if not isinstance(tolerance, Mapping) or not tolerance:
            out.add(twhere, "tolerance must be {absolute: ..., relative: ...} (either or both)")
            return
        out.keys(twhere, tolerance, (), ("absolute", "relative"), "a tolerance")
        for key in ("absolute", "relative"):
            if key in tolerance and not (is_number(tolerance[key]) and tolerance[key] >= 0):
                out.add(twhere, f"{key} must be a number, 0 or more, not {tolerance[key]!r}")
        relative = tolerance.get("relative")
        if is_number(relative) and relative > 1:
            out.add(twhere, f"relative {_fmt(relative)} is a share: write 0.1 for 10 %")


def _per_severity_problems(out: _Collector, where: str, per_severity: Any) -> None:
    if per_severity is None:
        return
    if not isinstance(per_severity, Mapping):
        out.add(where, "per_severity must be {minor: ..., major: ..., critical: ...}")
        return
    out.keys(where, per_severity, SEVERITIES, (), "per_severity")
    for key in SEVERITIES:
        if key in per_severity and not (is_number(per_severity[key]) and per_severity[key] >= 0):
            out.add(
                where, f"{key} must be a number of points, 0 or more, not {per_severity[key]!r}"
            )


def _findings_shape_problems(out: _Collector, where: str, findings: Any) -> None:
    if not isinstance(findings, Mapping):
        out.add(where, "findings must be {severity, dimension} or {severity, indicators}")
        return
    out.keys(where, findings, ("severity",), ("dimension", "indicators"), "findings")
    if "severity" in findings and findings["severity"] not in SEVERITIES:
        out.add(
            where, f"severity must be one of {', '.join(SEVERITIES)}, not {findings['severity']!r}"
        )
    if ("dimension" in findings) == ("indicators" in findings):
        out.add(where, "findings needs either dimension or indicators (one of them)")


def _veto_reference_problems(
    out: _Collector, where: str, indicator: Mapping, grades: list[str], seen: _Seen
) -> None:
    cap = indicator.get("cap")
    if "cap" in indicator and grades and cap not in grades:
        out.add(where, f"cap {cap!r} is not a band; bands: {', '.join(grades)}")
    elif grades and cap == grades[0]:
        out.add(where, f"cap {cap!r} is the best band, so the veto could never lower a grade")
    findings = indicator.get("findings")
    if not isinstance(findings, Mapping):
        return
    fwhere = _join(where, "findings")
    dimension = findings.get("dimension")
    if "dimension" in findings and not (
        isinstance(dimension, str) and dimension in seen.dimensions
    ):
        out.add(
            fwhere,
            f"dimension {findings['dimension']!r} is not a dimension code; codes: "
            + ", ".join(seen.dimensions),
        )
    if "indicators" in findings:
        codes = findings["indicators"]
        if not isinstance(codes, list) or not codes:
            out.add(fwhere, "indicators must be a non-empty list of indicator codes")
            return
        for code in codes:
            if not (isinstance(code, str) and code in seen.indicators):
                out.add(fwhere, f"indicator {code!r} is not an indicator code of this rubric")


# --------------------------------------------------------------------------- against the surveys


def check_together(
    rubrics: Sequence[tuple[str, Any]],
    surveys: Mapping[str, _Survey],
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


def _survey_problems(
    out: _Collector, data: Mapping, surveys: Mapping[str, _Survey], unchecked: set[str]
) -> None:
    sources = data.get("sources")
    if not isinstance(sources, Mapping):
        return
    by_source: dict[str, _Survey] = {}
    for name, survey_id in sources.items():
        if not isinstance(survey_id, str):
            continue
        if survey_id in surveys:
            survey = surveys[survey_id]
            by_source[name] = survey
            feeds = getattr(survey, "source", None)
            if isinstance(feeds, str) and feeds and feeds != name:
                out.add(
                    _join("sources", str(name)),
                    f"survey '{survey_id}' feeds source '{feeds}', not '{name}'",
                )
        elif survey_id not in unchecked:
            known = (
                f"checked surveys: {', '.join(sorted(surveys))}"
                if surveys
                else "no surveys were checked; give their files or folder too"
            )
            out.add(_join("sources", str(name)), f"survey '{survey_id}' was not found ({known})")

    for where, indicator in _indicators(data):
        survey = (
            by_source.get(indicator.get("source"))
            if isinstance(indicator.get("source"), str)
            else None
        )
        if survey is not None:
            for key in EXPRESSION_KEYS:
                if isinstance(indicator.get(key), str):
                    _field_reference_problems(out, _join(where, key), indicator[key], survey)
            for key in ("items", "fields"):
                names = indicator.get(key)
                if isinstance(names, list):
                    for name in names:
                        if isinstance(name, str) and name not in survey.fields:
                            out.add(
                                _join(where, key), f"{name} is not a field of survey '{survey.id}'"
                            )
            if indicator.get("method") == "checklist":
                _checklist_answer_problems(out, where, indicator, survey)
        right = indicator.get("right")
        if isinstance(right, Mapping) and isinstance(right.get("source"), str):
            right_survey = by_source.get(right["source"])
            if right_survey is not None and isinstance(right.get("value"), str):
                _field_reference_problems(
                    out, _join(where, "right.value"), right["value"], right_survey
                )


def _field_reference_problems(out: _Collector, where: str, text: str, survey: _Survey) -> None:
    try:
        node = parse(text)
    except ExpressionError:
        return  # reported by the rubric's own rules
    for name in sorted(references(node)):
        if name not in survey.fields and name not in ROSTER_COLUMNS:
            out.add(
                where, f"${{{name}}} is neither a field of survey '{survey.id}' nor a roster column"
            )
    for name, literal in choice_literals(node):
        field_ = survey.fields.get(name)
        choices = _choice_names(survey, field_)
        if choices is not None and literal and literal not in choices:  # '' tests for blank
            out.add(
                where,
                f"'{literal}' is not a choice of {name} (list {field_.list_name}: {', '.join(choices)})",
            )


def _choice_names(survey: _Survey, field_: Any) -> list[str] | None:
    """The choice names of a select field, or None when the field is not a select."""
    if field_ is None or not str(getattr(field_, "type", "")).startswith("select_"):
        return None
    list_name = getattr(field_, "list_name", None)
    if not list_name or list_name not in survey.choices:
        return None
    return [str(getattr(choice, "name", choice)) for choice in survey.choices[list_name]]


def _checklist_answer_problems(
    out: _Collector, where: str, indicator: Mapping, survey: _Survey
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
                    _join(where, key),
                    f"'{answer}' is not a choice of item {item} ({', '.join(choices)})",
                )


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
