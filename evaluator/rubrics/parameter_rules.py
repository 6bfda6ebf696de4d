"""Rules for the parameters of one indicator, by its scoring method.

``validation`` checks the rubric's shape and its codes; once an indicator's method is known, the
rules here check that it has exactly the parameters ``METHODS`` lists for that method and that
their values make sense: types, ranges, target/floor/steps against direction, the right-hand side
and tolerance of a consistency check, deduction points per severity, a veto's findings scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evaluator.definitions.expressions import ExpressionError, parse
from evaluator.rubrics.method_table import (
    COMPARES,
    DIRECTIONS,
    MISSING,
    SEVERITIES,
    VETO_LIMITS,
    VETO_TRIGGERS,
    MethodSpec,
)
from evaluator.rubrics.problem_collector import EPSILON, N_, Collector, fmt, is_number, join


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parameter_problems(
    out: Collector, where: str, indicator: Mapping, method: str, spec: MethodSpec
) -> None:
    for key in spec.required:
        if key not in indicator:
            out.add(where, N_("method {method} needs '{key}'"), method=method, key=key)
    for key in indicator:
        if key not in spec.allowed and not (method == "veto" and key == "max_count"):
            out.add(
                where,
                N_("'{key}' is not a parameter of method {method}; it takes {joins}"),
                key=key,
                method=method,
                joins=", ".join(_parameter_names(spec)),
            )
    if spec.alternatives:
        given = [group for group in spec.alternatives if any(key in indicator for key in group)]
        options = " or ".join("/".join(group) for group in spec.alternatives)
        if not given:
            out.add(where, N_("method {method} needs {options}"), method=method, options=options)
        elif len(given) > 1:
            out.add(
                where,
                N_("method {method} takes {options}, not both"),
                method=method,
                options=options,
            )
        else:
            for key in given[0]:
                if key not in indicator:
                    out.add(
                        where, N_("'{given}' needs '{key}' beside it"), given=given[0][0], key=key
                    )


def _parameter_names(spec: MethodSpec) -> list[str]:
    names = list(spec.required)
    for group in spec.alternatives:
        names.extend(key for key in group if key not in names)
    names.extend(key for key in spec.optional if key not in names)
    return names


def expression_problem(out: Collector, where: str, text: Any) -> Any:
    """Parse one expression; report its error with the character position. Return the AST."""
    if not isinstance(text, str) or not text.strip():
        out.add(where, N_("must be an expression in quotes, not {text!r}"), text=text)
        return None
    try:
        return parse(text)
    except ExpressionError as exc:
        # The message already ends "at position N" (0-based) when the parser knows where.
        out.add(where, N_("cannot parse {text!r}: {message}"), text=text, message=exc.message)
        return None


def method_value_problems(
    out: Collector,
    where: str,
    indicator: Mapping,
    method: str,
    spec: MethodSpec,
    points: float | None,
) -> None:
    """Values of the parameters: types, ranges, and target/floor/steps against direction."""
    direction = indicator.get("direction")
    if "direction" in indicator and direction not in DIRECTIONS:
        out.add(
            where, N_("direction must be higher or lower, not {direction!r}"), direction=direction
        )
        direction = None

    if "min_n" in indicator and not (_is_int(indicator["min_n"]) and indicator["min_n"] > 0):
        out.add(
            where,
            N_("min_n must be a positive whole number, not {min_n!r}"),
            min_n=indicator["min_n"],
        )

    low, high, unit = _estimate_range(out, where, indicator, spec)
    if "target" in indicator or "floor" in indicator:
        _target_floor_problems(out, where, indicator, direction, low, high, unit)
    if "steps" in indicator:
        _step_problems(
            out, join(where, "steps"), indicator["steps"], direction, low, high, unit, points
        )
    if spec.estimate in ("share", "mean"):
        _verdict_at_problems(out, where, indicator, spec, direction, low, high, unit)

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
                out.add(
                    where,
                    N_("{key} must be a choice name in quotes, not {answer!r}{hint}"),
                    key=key,
                    answer=answer,
                    hint=hint,
                )
        if isinstance(indicator.get("pass"), str) and indicator.get("pass") == indicator.get("na"):
            out.add(where, N_("pass and na must be different answers"))
    elif method == "completeness":
        _name_list_problem(out, where, indicator, "fields")
    elif method == "consistency":
        _consistency_problems(out, where, indicator)
    elif method == "deduction":
        _per_severity_problems(out, join(where, "per_severity"), indicator.get("per_severity"))
    elif method == "judgement":
        scale = indicator.get("scale")
        if "scale" in indicator and not (is_number(scale) and scale > 0):
            out.add(
                where,
                N_("scale must be a positive number (scores run 0..scale), not {scale!r}"),
                scale=scale,
            )
            scale = None
        spread = indicator.get("max_spread")
        if "max_spread" in indicator:
            if not (is_number(spread) and spread >= 0):
                out.add(
                    where,
                    N_("max_spread must be a number, 0 or more, not {spread!r}"),
                    spread=spread,
                )
            elif scale is not None and spread > scale:
                out.add(
                    where,
                    N_("max_spread {spread} is larger than the scale {scale}"),
                    spread=fmt(spread),
                    scale=fmt(scale),
                )
    elif method == "veto":
        if "max_count" in indicator:
            out.add(
                where,
                N_(
                    "max_count counted sampled households, so whether the veto fired "
                    "depended on the sample size; give limit: {{share: S}} (estimated "
                    "share of applicable households) or limit: {{households: K}} "
                    "(estimated households on the roster)"
                ),
            )
        if "limit" in indicator:
            _limit_problems(out, join(where, "limit"), indicator["limit"])
        if "trigger" in indicator and indicator["trigger"] not in VETO_TRIGGERS:
            out.add(
                where,
                N_("trigger must be bound or estimate, not {trigger!r}"),
                trigger=indicator["trigger"],
            )
        if "applies" in indicator and "condition" not in indicator:
            out.add(where, N_("applies only goes with condition; findings vetoes have no units"))
        if "findings" in indicator:
            _findings_shape_problems(out, join(where, "findings"), indicator["findings"])


def _estimate_range(
    out: Collector, where: str, indicator: Mapping, spec: MethodSpec
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
                f"the range {fmt(bounds[0])}..{fmt(bounds[1])}",
            )
        out.add(
            join(where, "range"),
            N_("range must be [low, high] with low below high, not {bounds!r}"),
            bounds=bounds,
        )
    return None, None, ""


def _check_in_range(
    out: Collector,
    where: str,
    name: str,
    value: Any,
    low: float | None,
    high: float | None,
    unit: str,
) -> bool:
    if not is_number(value):
        out.add(where, N_("{name} must be a number, not {value!r}"), name=name, value=value)
        return False
    if low is not None and high is not None and not (low - EPSILON <= value <= high + EPSILON):
        out.add(
            where,
            N_("{name} {value} is outside {low}..{high}: the estimate is {unit}"),
            name=name,
            value=fmt(value),
            low=fmt(low),
            high=fmt(high),
            unit=unit,
        )
        return False
    return True


def _target_floor_problems(
    out: Collector,
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
            N_("direction higher needs target above floor (target {target}, floor {floor})"),
            target=fmt(target),
            floor=fmt(floor),
        )
    if direction == "lower" and not target < floor:
        out.add(
            where,
            N_(
                "direction lower needs target below floor (target {target}, floor "
                "{floor}): an error rate at or under the target earns full points"
            ),
            target=fmt(target),
            floor=fmt(floor),
        )


def _step_problems(
    out: Collector,
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
        out.add(where, N_("steps must be a non-empty list of {{at, points}}, best first"))
        return
    previous: Mapping | None = None
    for i, step in enumerate(steps):
        swhere = join(where, i)
        if not isinstance(step, Mapping):
            out.add(swhere, N_("a step is {{at, points}}"))
            previous = None
            continue
        out.keys(swhere, step, ("at", "points"), (), N_("a step"))
        at_ok = "at" in step and _check_in_range(out, swhere, "at", step["at"], low, high, unit)
        got = step.get("points")
        good = got if "points" in step and is_number(got) and got >= 0 else None
        points_ok = good is not None
        if "points" in step and not points_ok:
            out.add(swhere, N_("points must be a number, 0 or more, not {got!r}"), got=got)
        if good is not None and points is not None and good > points + EPSILON:
            out.add(
                swhere,
                N_("points {got} exceed the indicator's {points}"),
                got=fmt(got),
                points=fmt(points),
            )
        if i == 0 and good is not None and points is not None and abs(good - points) > EPSILON:
            out.add(
                swhere,
                N_(
                    "the first (best) step gives {got} points, not the indicator's "
                    "{points}: full points could never be reached"
                ),
                got=fmt(got),
                points=fmt(points),
            )
        if previous is not None and at_ok and points_ok:
            before_at, before_points = previous["at"], previous["points"]
            if direction == "higher" and not step["at"] < before_at:
                out.add(
                    swhere,
                    N_(
                        "at {at} must be below the previous step's {before_at} (direction "
                        "higher: best first)"
                    ),
                    at=fmt(step["at"]),
                    before_at=fmt(before_at),
                )
            if direction == "lower" and not step["at"] > before_at:
                out.add(
                    swhere,
                    N_(
                        "at {at} must be above the previous step's {before_at} (direction "
                        "lower: best first)"
                    ),
                    at=fmt(step["at"]),
                    before_at=fmt(before_at),
                )
            if not got < before_points:
                out.add(
                    swhere,
                    N_("points {got} must be fewer than the previous step's {before_points}"),
                    got=fmt(got),
                    before_points=fmt(before_points),
                )
        previous = step if at_ok and points_ok else None


def _verdict_at_problems(
    out: Collector,
    where: str,
    indicator: Mapping,
    spec: MethodSpec,
    direction: str | None,
    low: float | None,
    high: float | None,
    unit: str,
) -> None:
    """The verdict's threshold: no better than the target, and one a sample can show."""
    target = indicator.get("target")
    steps = indicator.get("steps")
    if target is None and isinstance(steps, list) and steps and isinstance(steps[0], Mapping):
        target = steps[0].get("at")
    if not is_number(target):
        target = None
    if "verdict_at" not in indicator:
        unreachable = {"higher": 1.0, "lower": 0.0}.get(direction or "")
        if (
            spec.estimate == "share"
            and target is not None
            and unreachable is not None
            and (abs(target - unreachable) <= EPSILON)
        ):
            example = "0.98" if direction == "higher" else "0.02"
            out.add(
                where,
                N_(
                    "a target of {target} % can never be shown by a sample (no sample "
                    "proves that not one household fails); give verdict_at, the share "
                    "the verdict tests, e.g. verdict_at: {example}"
                ),
                target=fmt(target * 100),
                example=example,
            )
        return
    value = indicator["verdict_at"]
    if not _check_in_range(out, where, "verdict_at", value, low, high, unit):
        return
    if spec.estimate == "share" and not 0.0 < value < 1.0:
        out.add(
            where,
            N_(
                "verdict_at {value} can never be shown by a sample; use a share "
                "strictly between 0 and 1"
            ),
            value=fmt(value),
        )
    if target is not None and direction == "higher" and value > target + EPSILON:
        out.add(
            where,
            N_(
                "verdict_at {value} is above the target {target}: the verdict may "
                "not ask more than full points do"
            ),
            value=fmt(value),
            target=fmt(target),
        )
    if target is not None and direction == "lower" and value < target - EPSILON:
        out.add(
            where,
            N_(
                "verdict_at {value} is below the target {target}: the verdict may "
                "not ask more than full points do"
            ),
            value=fmt(value),
            target=fmt(target),
        )


def _limit_problems(out: Collector, where: str, limit: Any) -> None:
    if not isinstance(limit, Mapping) or len(limit) != 1 or next(iter(limit)) not in VETO_LIMITS:
        out.add(where, N_("limit must be {{share: S}} or {{households: K}} (one of them)"))
        return
    ((kind, value),) = limit.items()
    if kind == "share" and not (is_number(value) and 0 <= value < 1):
        out.add(
            where,
            N_("share must be a share from 0 up to (not including) 1, not {value!r}"),
            value=value,
        )
    if kind == "households" and not (_is_int(value) and value >= 0):
        out.add(
            where, N_("households must be a whole number, 0 or more, not {value!r}"), value=value
        )


def _name_list_problem(out: Collector, where: str, indicator: Mapping, key: str) -> None:
    if key not in indicator:
        return
    names = indicator[key]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        out.add(where, N_("{key} must be a non-empty list of field names"), key=key)
        return
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        out.add(
            where, N_("{key} lists {joins} more than once"), key=key, joins=", ".join(duplicates)
        )


def _consistency_problems(out: Collector, where: str, indicator: Mapping) -> None:
    right = indicator.get("right")
    if "right" in indicator:
        rwhere = join(where, "right")
        if not isinstance(right, Mapping):
            out.add(rwhere, N_("right must be {{source, value}}"))
        else:
            out.keys(rwhere, right, ("source", "value"), (), "right")
            if "value" in right:
                expression_problem(out, join(rwhere, "value"), right["value"])
    compare = indicator.get("compare")
    if "compare" in indicator and compare not in COMPARES:
        out.add(
            where,
            N_("compare must be one of {joins}, not {compare!r}"),
            joins=", ".join(COMPARES),
            compare=compare,
        )
    missing = indicator.get("missing")
    if "missing" in indicator and missing not in MISSING:
        out.add(where, N_("missing must be skip or disagree, not {missing!r}"), missing=missing)
    tolerance = indicator.get("tolerance")
    if compare == "number" and "tolerance" not in indicator:
        out.add(
            where,
            N_("compare number needs a tolerance: {{absolute: ..., relative: ...}} (0 for exact)"),
        )
    if compare in COMPARES and compare != "number" and "tolerance" in indicator:
        out.add(
            where, N_("tolerance only goes with compare number, not {compare}"), compare=compare
        )
    if "tolerance" in indicator:
        twhere = join(where, "tolerance")
        if not isinstance(tolerance, Mapping) or not tolerance:
            out.add(
                twhere, N_("tolerance must be {{absolute: ..., relative: ...}} (either or both)")
            )
            return
        out.keys(twhere, tolerance, (), ("absolute", "relative"), N_("a tolerance"))
        for key in ("absolute", "relative"):
            if key in tolerance and not (is_number(tolerance[key]) and tolerance[key] >= 0):
                out.add(
                    twhere,
                    N_("{key} must be a number, 0 or more, not {tolerance!r}"),
                    key=key,
                    tolerance=tolerance[key],
                )
        relative = tolerance.get("relative")
        if is_number(relative) and relative > 1:
            out.add(
                twhere,
                N_("relative {relative} is a share: write 0.1 for 10 %"),
                relative=fmt(relative),
            )


def _per_severity_problems(out: Collector, where: str, per_severity: Any) -> None:
    if per_severity is None:
        return
    if not isinstance(per_severity, Mapping):
        out.add(where, N_("per_severity must be {{minor: ..., major: ..., critical: ...}}"))
        return
    out.keys(where, per_severity, SEVERITIES, (), "per_severity")
    for key in SEVERITIES:
        if key in per_severity and not (is_number(per_severity[key]) and per_severity[key] >= 0):
            out.add(
                where,
                N_("{key} must be a number of points, 0 or more, not {per_severity!r}"),
                key=key,
                per_severity=per_severity[key],
            )


def _findings_shape_problems(out: Collector, where: str, findings: Any) -> None:
    if not isinstance(findings, Mapping):
        out.add(where, N_("findings must be {{severity, dimension}} or {{severity, indicators}}"))
        return
    out.keys(where, findings, ("severity",), ("dimension", "indicators"), "findings")
    if "severity" in findings and findings["severity"] not in SEVERITIES:
        out.add(
            where,
            N_("severity must be one of {joins}, not {severity!r}"),
            joins=", ".join(SEVERITIES),
            severity=findings["severity"],
        )
    if ("dimension" in findings) == ("indicators" in findings):
        out.add(where, N_("findings needs either dimension or indicators (one of them)"))
