"""One function per scoring method: rubric indicator + context -> IndicatorResult.

Each estimate-based method reduces its units to three arrays (applicable, has a value, the
value: 0/1, a number or a share) and hands them to ``_estimated``, which weights strata, computes
the interval (evaluator.scoring.stats), points and verdict the same way for all of them. The
rules are documented in docs/statistics.md.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import replace
from itertools import repeat
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from evaluator.definitions import expr_values as xv
from evaluator.scoring import decision, stats
from evaluator.scoring.decision import target_of
from evaluator.scoring.designs import IndicatorDesign, StratumDesign
from evaluator.scoring.types import IndicatorResult, StratumResult, VetoResult, text_dict

if TYPE_CHECKING:
    from evaluator.rubrics.definition import Indicator, Tolerance
    from evaluator.scoring.context import Context
    from evaluator.scoring.units import SourceUnits

T = TypeVar("T")

SEVERITIES = ("minor", "major", "critical")
SHOWN_ERRORS = 3  # expression errors quoted in a result's notes


def points_for(ind: Indicator, estimate: float | None) -> float:
    """The rubric's mapping (Indicator.points_for), kept within [0, points]; no estimate: 0."""
    if estimate is None or not math.isfinite(estimate) or ind.method in ("veto", "deduction"):
        return 0.0
    return min(float(ind.points), max(0.0, float(ind.points_for(estimate))))


# -- methods over units -----------------------------------------------------------------------


def rate(ind: Indicator, ctx: Context) -> IndicatorResult:
    units = ctx.units(ind.source)
    applicable, errors = _applies(ind, units)
    condition, cond_errors = units.truth(ind.condition)
    errors = {**errors, **cond_errors}
    valid = _without(np.ones(units.size, dtype=bool), errors)
    values = condition.astype(float)
    bad = condition if ind.direction == "lower" else ~condition
    return _estimated(ind, ctx, units, applicable, valid, values, bad, "proportion", errors)


def mean(ind: Indicator, ctx: Context) -> IndicatorResult:
    units = ctx.units(ind.source)
    applicable, errors = _applies(ind, units)
    values, value_errors = units.numbers(ind.value)
    errors = {**errors, **value_errors}
    valid = _without(np.isfinite(values), errors)
    target = target_of(ind)
    with np.errstate(invalid="ignore"):
        bad = values < target if ind.direction == "higher" else values > target
    return _estimated(ind, ctx, units, applicable, valid, np.where(valid, values, 0.0), bad, "mean", errors)


def checklist(ind: Indicator, ctx: Context) -> IndicatorResult:
    units = ctx.units(ind.source)
    applicable, errors = _applies(ind, units)
    asked = np.zeros(units.size)
    passed = np.zeros(units.size)
    for item in ind.items:
        col = units.frame.column(item)
        answers = col.data if col.kind == "str" else _strings(col.data.tolist())
        counts = (answers != "") if ind.na_value is None else (answers != "") & (answers != ind.na_value)
        asked += counts
        passed += counts & (answers == ind.pass_value)
    has_items = asked > 0
    applicable = applicable & has_items  # a file where every item is n/a has nothing to check
    shares = np.divide(passed, asked, out=np.zeros(units.size), where=has_items)
    bad = shares > 0 if ind.direction == "lower" else shares < 1
    valid = _without(np.ones(units.size, dtype=bool), errors)
    return _estimated(ind, ctx, units, applicable, valid, shares, bad, "share", errors)


def completeness(ind: Indicator, ctx: Context) -> IndicatorResult:
    units = ctx.units(ind.source)
    applicable, errors = _applies(ind, units)
    filled = np.zeros(units.size)
    for name in ind.fields:
        col = units.frame.column(name)
        if col.kind == "str":
            filled += col.data != ""
        else:
            filled += np.array([not _blank(v) for v in col.data.tolist()], dtype=bool)
    shares = filled / len(ind.fields)
    bad = shares > 0 if ind.direction == "lower" else shares < 1
    valid = _without(np.ones(units.size, dtype=bool), errors)
    return _estimated(ind, ctx, units, applicable, valid, shares, bad, "share", errors)


def consistency(ind: Indicator, ctx: Context) -> IndicatorResult:
    right_side = _given(ind, "right", ind.right)
    units = ctx.units(ind.source)
    other = ctx.units(right_side.source)
    applicable, errors = _applies(ind, units)
    position = ctx.positions(units, other)
    matched = position >= 0
    take = np.where(matched, position, 0)
    if ind.compare == "number":
        left, left_errors = units.numbers(ind.value)
        right, right_errors = other.numbers(right_side.value)
        right = _without_values(right, right_errors, np.nan)
        paired = np.where(matched, right[take] if other.size else np.nan, np.nan)
        blank = np.isnan(left) | np.isnan(paired)
        with np.errstate(invalid="ignore"):
            agree = _numbers_agree(ind.tolerance, left, paired) & ~blank
    else:
        key = _comparable(_given(ind, "compare", ind.compare))
        raw_left, left_errors = units.values(ind.value)
        raw_right, right_errors = other.values(right_side.value)
        lk = _memo(key, raw_left)
        rk = _memo(key, raw_right)
        for j in right_errors:
            rk[j] = None
        right_keys = [rk[p] if p >= 0 else None for p in position.tolist()]
        blank = (np.fromiter(map(operator.is_, lk, repeat(None)), bool, units.size)
                 | np.fromiter(map(operator.is_, right_keys, repeat(None)), bool, units.size))
        if ind.compare == "set_overlap":
            agree = np.fromiter((False if a is None or b is None else bool(a & b)
                                 for a, b in zip(lk, right_keys, strict=True)), bool, units.size)
        else:  # (a blank pair's comparison is dropped: blank pairs do not agree)
            agree = np.fromiter(map(operator.eq, lk, right_keys), bool, units.size) & ~blank
    errors = {**errors, **left_errors}
    skip = (ind.missing or "skip") == "skip"
    valid = _without(~blank if skip else np.ones(units.size, dtype=bool), errors)
    values = agree.astype(float)
    bad = agree if ind.direction == "lower" else ~agree
    result = _estimated(ind, ctx, units, applicable, valid, values, bad, "proportion", errors)
    if right_errors:
        result = _replace(result, flags=(*result.flags, "expression_errors"),
                          notes=(*result.notes, f"right.value failed for {len(right_errors)} {right_side.source} records"))
    return result


def _numbers_agree(tolerance: Tolerance | None, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Vectorised ``Tolerance.agrees`` (|l - r| <= absolute or <= relative * |r|), or equality."""
    gap = np.abs(left - right)
    agree = (left == right) | (gap < xv.EQUALITY_TOLERANCE)
    if tolerance is not None:
        if tolerance.absolute is not None:
            agree |= gap <= tolerance.absolute
        if tolerance.relative is not None:
            agree |= gap <= tolerance.relative * np.abs(right)
    return agree


# -- methods without a sampling interval --------------------------------------------------------


def deduction(ind: Indicator, ctx: Context) -> IndicatorResult:
    findings = [f for f in ctx.data.findings if f.indicator == ind.code]
    counts = {s: 0 for s in SEVERITIES}
    unknown = 0
    for f in findings:
        if f.severity in counts:
            counts[f.severity] += 1
        else:
            unknown += 1
    per_severity = _given(ind, "per_severity", ind.per_severity)
    deducted = math.fsum(per_severity.of(s) * counts[s] for s in SEVERITIES)
    points = max(0.0, float(ind.points) - deducted)
    verdict_ = "meets" if points >= ctx.pass_share * float(ind.points) else "fails"
    notes = [f"{len(findings)} finding(s): " + ", ".join(f"{counts[s]} {s}" for s in SEVERITIES)
             + f"; {_number(deducted)} point(s) deducted"]
    flags = []
    if unknown:
        flags.append("unknown_severity")
        notes.append(f"{unknown} finding(s) with an unknown severity deduct nothing")
    return _result(ind, ctx, estimate=None, n=len(findings), points=points, verdict=verdict_,
                   failed_units=_households(findings), flags=tuple(flags), notes=tuple(notes))


def judgement(ind: Indicator, ctx: Context) -> IndicatorResult:
    scale = _given(ind, "scale", ind.scale)
    max_spread = _given(ind, "max_spread", ind.max_spread)
    by_evaluator: dict[str, list[float]] = {}
    blank = 0
    for j in ctx.data.judgements:
        if j.indicator != ind.code:
            continue
        if j.score is None or not math.isfinite(j.score):
            blank += 1
            continue
        by_evaluator.setdefault(j.evaluator, []).append(float(j.score))
    scores = [math.fsum(v) / len(v) for _, v in sorted(by_evaluator.items())]
    n = len(scores)
    flags: list[str] = []
    notes: list[str] = []
    if any(len(v) > 1 for v in by_evaluator.values()):
        flags.append("repeated_evaluator")
        notes.append("an evaluator scored more than once; their scores are averaged first")
    if any(s < 0 or s > scale for s in scores):
        flags.append("score_out_of_scale")
        notes.append(f"a score lies outside 0..{_number(scale)}; points are kept within 0..max")
    estimate = math.fsum(scores) / n if n else None
    spread = (max(scores) - min(scores)) if n else None
    points = points_for(ind, estimate)
    if estimate is None or n < (ind.min_n or 1):
        verdict_ = "insufficient"
        points = 0.0
    elif spread is not None and spread > max_spread:
        verdict_ = "indeterminate"
    else:
        verdict_ = "meets" if points >= ctx.pass_share * float(ind.points) else "fails"
    if spread is not None and spread > max_spread:
        flags.append("spread")
        notes.append(f"evaluators' scores spread {_number(spread)} (more than the {_number(max_spread)} allowed)")
    if n:
        notes.append(f"{n} evaluator(s), scores {', '.join(_number(s) for s in scores)} of {_number(scale)}")
    return _result(ind, ctx, estimate=estimate, n=n, missing=blank, points=points, verdict=verdict_,
                   flags=tuple(flags), notes=tuple(notes), judge_scores=tuple(scores))


def veto(ind: Indicator, ctx: Context) -> tuple[IndicatorResult, VetoResult | None]:
    """A veto scores nothing; it returns its result and, when it triggers, the cap.

    A condition veto fires on the estimate, never on a raw count of sampled cases (which grows
    with the sample): the estimated share of applicable households meeting the condition
    (``limit: {share}``), or the estimated number of roster households (``limit: {households}``,
    N times the share of all households), compared with the limit either by its one-sided lower
    bound (``trigger: bound``: the data prove the limit is exceeded; a veto at its limit fires
    in at most 5 % of samples, at any n) or by the point estimate (``trigger: estimate``).
    """
    if ind.findings is not None:
        return _findings_veto(ind, ctx)
    units = ctx.units(ind.source)
    applicable, errors = _applies(ind, units)
    condition, cond_errors = units.truth(ind.condition)
    errors = {**errors, **cond_errors}
    valid = _without(np.ones(units.size, dtype=bool), errors)
    result = _estimated(ind, ctx, units, applicable, valid, condition.astype(float), condition,
                        "proportion", errors)
    limit, trigger = _given(ind, "limit", ind.limit), ind.trigger or "bound"
    if limit.kind == "households":
        everyone = np.ones(units.size, dtype=bool)
        est = _design(ctx, units, everyone, valid, (applicable & condition).astype(float), "proportion")[0]
        scale = float(sum(ctx.population(name) for name, _ in ctx.strata_masks(units)))
    else:
        est = _design(ctx, units, applicable, valid, condition.astype(float), "proportion")[0]
        scale = 1.0
    if est.estimate is None:
        measure = None
    else:
        raw = est.bound("lower") if trigger == "bound" else est.estimate
        measure = None if raw is None else raw * scale
    triggered = measure is not None and measure > limit.value
    shown = "households" if limit.kind == "households" else "share"
    what = "lower bound" if trigger == "bound" else "estimate"
    reason = (f"{shown} {what} {_number(measure) if measure is not None else 'n/a'} "
              f"{'exceeds' if triggered else 'does not exceed'} the limit {_number(limit.value)}")
    rule = {"limit": limit.kind, "value": limit.value, "trigger": trigger, "measure": measure,
            "estimate": None if est.estimate is None else est.estimate * scale, "fired": triggered}
    result = _replace(result, points=0.0, max=0.0, verdict="fails" if triggered else "meets",
                      notes=(*result.notes, reason), veto_rule=rule, bound=None, p_value=None)
    cap = (VetoResult(ind.code, text_dict(ind.name), _given(ind, "cap", ind.cap), reason, result.failed_units)
           if triggered else None)
    return result, cap


def _findings_veto(ind: Indicator, ctx: Context) -> tuple[IndicatorResult, VetoResult | None]:
    scope = _given(ind, "findings", ind.findings)
    dimension_of = ctx.rubric.dimension_of
    hits = [f for f in ctx.data.findings
            if f.severity in SEVERITIES and scope.triggers(f.severity, f.indicator, dimension_of)]
    triggered = bool(hits)
    where = (f"dimension {scope.dimension}" if scope.dimension
             else "indicators " + ", ".join(scope.indicators))
    reason = f"{len(hits)} finding(s) of severity {scope.severity} or worse on {where}"
    units = _households(hits)
    result = _result(ind, ctx, estimate=None, n=len(hits), points=0.0, verdict="fails" if triggered else "meets",
                     failed_units=units, notes=(reason,))
    result = _replace(result, max=0.0)
    cap = VetoResult(ind.code, text_dict(ind.name), _given(ind, "cap", ind.cap), reason, units) if triggered else None
    return result, cap


# -- shared -------------------------------------------------------------------------------------


def _design(
    ctx: Context, units: SourceUnits, applicable: np.ndarray, valid: np.ndarray, values: np.ndarray,
    kind: str, keep: str = "",
) -> tuple[stats.Estimate, dict[str, StratumResult], list[str], np.ndarray]:
    """The stratified estimate over responding units: (estimate, per stratum, flags, used mask).

    Non-respondents (the rubric's ``response`` for the source is false) leave the design
    entirely: the stratum's respondents stand for all its N_h households (a weighting-class
    adjustment within strata). Units outside ``applicable`` are observed but outside the domain.
    With ``keep`` (an indicator code) and ``ctx.designs`` a dict, the design is kept in it
    (evaluator.scoring.designs: the same values, by stratum, for pooling and comparing).
    """
    kept: dict[str, StratumDesign] | None = {} if keep and ctx.designs is not None else None
    responded = ctx.respondents(units)
    inside = applicable & responded
    used = inside & valid
    outside_mask = responded & ~applicable
    strata: dict[str, stats.Stratum] = {}
    by_stratum: dict[str, StratumResult] = {}
    flags: list[str] = []
    for name, mask in ctx.strata_masks(units):
        population = ctx.population(name)
        outside = int((mask & outside_mask).sum())
        chosen = values[mask & used]
        observed = int(chosen.size) + outside
        if observed > population:
            flags.append("frame_too_small")
            population = observed
        strata[name] = stats.Stratum(population, chosen.tolist(), outside)
        if kept is not None:
            kept[name] = StratumDesign(float(population), _ids(units, mask & used),
                                       tuple(chosen.tolist()), _ids(units, mask & outside_mask))
        own = float(chosen.mean()) if chosen.size else None
        by_stratum[name] = StratumResult(own, int(chosen.size), None)
    compute = {"proportion": stats.stratified_proportion, "share": stats.stratified_share,
               "mean": stats.stratified_mean}[kind]
    if kept is not None and ctx.designs is not None:
        ctx.designs[keep] = IndicatorDesign(keep, kind, kept)
    return compute(strata, ctx.data.confidence), by_stratum, flags, used


def _ids(units: SourceUnits, mask: np.ndarray) -> tuple[str, ...]:
    return tuple(units.ids[i] for i in np.flatnonzero(mask))


def _estimated(
    ind: Indicator, ctx: Context, units: SourceUnits, applicable: np.ndarray, valid: np.ndarray,
    values: np.ndarray, bad: np.ndarray, kind: str, errors: Mapping[int, str],
) -> IndicatorResult:
    """Weight strata, estimate with an interval, and turn it into points and a first verdict."""
    est, by_stratum, flags, used = _design(ctx, units, applicable, valid, values, kind, ind.code)
    by_stratum = {name: replace(s, points=points_for(ind, s.estimate) if s.estimate is not None else None)
                  for name, s in by_stratum.items()}
    responded = ctx.respondents(units)
    n = est.n
    missing = int((applicable & responded & ~valid).sum())
    nonresponse = 0
    if ctx.has_response(units):
        nonresponse = int((~responded).sum()) + ctx.unsampled(units)
    else:
        missing += ctx.unsampled(units)
    failed = [units.ids[i] for i in np.flatnonzero(used & bad)]
    notes: list[str] = []
    if errors:
        flags.append("expression_errors")
        shown = sorted(errors.items())[:SHOWN_ERRORS]
        notes.append(f"{len(errors)} unit(s) could not be evaluated, e.g. "
                     + "; ".join(f"{units.ids[i]}: {message}" for i, message in shown))
    if not units.present:
        flags.append("no_source")
        notes.append(f"the data have no {ind.source} records")
    if units.duplicates:
        flags.append("duplicate_records")
        notes.append(f"{len(units.duplicates)} household(s) have more than one {ind.source} record")
    if units.unknown:
        flags.append("unknown_households")
        notes.append(f"{len(units.unknown)} {ind.source} record(s) name no roster household")
    threshold = decision.threshold_of(ind)
    bound = est.bound(decision.meets_side(ind.direction)) if est.estimate is not None else None
    verdict = decision.first_verdict(ind.direction, threshold, bound, n, ind.min_n, est.estimate)
    p_value = decision.fails_p_value(est, ind.direction, threshold) if verdict in decision.TESTED else None
    points = 0.0 if verdict == "insufficient" else points_for(ind, est.estimate)
    return _result(
        ind, ctx, estimate=est.estimate, ci_low=est.ci_low, ci_high=est.ci_high, n=n, missing=missing,
        not_applicable=int((responded & ~applicable).sum()), points=points, verdict=verdict,
        interval=est.interval, deff=est.deff, n_effective=est.n_effective, by_stratum=by_stratum,
        failed_units=tuple(failed), flags=tuple(dict.fromkeys(flags)), notes=tuple(notes),
        verdict_at=threshold, bound=bound, p_value=p_value, nonresponse=nonresponse,
    )


def _result(ind: Indicator, ctx: Context, **values: Any) -> IndicatorResult:
    base: dict[str, Any] = dict(
        code=ind.code, dimension=ind.dimension, name=text_dict(ind.name), method=ind.method,
        source=ind.source, estimate=None, ci_low=None, ci_high=None, n=0, missing=0,
        not_applicable=0, points=0.0, max=float(ind.points), verdict="insufficient",
        target=target_of(ind), floor=ind.floor, direction=ind.direction, min_n=ind.min_n,
    )
    base.update(values)
    return IndicatorResult(**base)


def _given(ind: Indicator, parameter: str, value: T | None) -> T:
    """A parameter the rubric's validation requires for this method (METHODS); None is a bug."""
    if value is None:
        raise ValueError(f"indicator {ind.code} ({ind.method}) has no {parameter}; the rubric was not validated")
    return value


def _replace(result: IndicatorResult, **changes: Any) -> IndicatorResult:
    return replace(result, **changes)


def _applies(ind: Indicator, units: SourceUnits) -> tuple[np.ndarray, dict[int, str]]:
    if ind.applies is None:
        return np.ones(units.size, dtype=bool), {}
    applicable, errors = units.truth(ind.applies)
    if errors:  # a unit whose applies failed is missing, not out of scope
        applicable = applicable.copy()
        applicable[list(errors)] = True
    return applicable, errors


def _without(mask: np.ndarray, errors: Mapping[int, str]) -> np.ndarray:
    if errors:
        mask = mask.copy()
        mask[list(errors)] = False
    return mask


def _strings(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = [v if type(v) is str else ("" if isinstance(v, list) else xv.to_string(v)) for v in values]
    return out


def _without_values(values: np.ndarray, errors: Mapping[int, str], fill: float) -> np.ndarray:
    if errors:
        values = values.copy()
        values[list(errors)] = fill
    return values


def _memo(fn: Any, values: list[Any]) -> list[Any]:
    """``fn`` of each value, computed once per distinct value."""
    try:
        distinct = dict.fromkeys(values)
    except TypeError:  # a list (repeat) is not hashable: value by value
        return _memo_each(fn, values)
    for value in distinct:
        distinct[value] = fn(value)
    return list(map(distinct.__getitem__, values))


def _memo_each(fn: Any, values: list[Any]) -> list[Any]:
    cache: dict[Any, Any] = {}
    out = []
    for value in values:
        try:
            out.append(cache[value] if value in cache else cache.setdefault(value, fn(value)))
        except TypeError:  # a list (repeat) is not hashable
            out.append(fn(value))
    return out


def _blank(value: Any) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, list | tuple):
        return not any(not _blank(v) for v in value)
    return isinstance(value, float) and math.isnan(value)


def _comparable(compare: str) -> Any:
    """For text and set compares: one side's value as compared, or None when blank."""

    def text(value: Any) -> str | None:
        if isinstance(value, list):
            return None
        got = xv.to_string(value).strip()
        return got or None

    def choices(value: Any) -> frozenset[str] | None:
        if isinstance(value, list):
            return None
        got = frozenset(xv.selection(value))
        return got or None

    return text if compare == "text" else choices


def _households(findings: list[Any]) -> tuple[str, ...]:
    return tuple(sorted({f.household_id for f in findings if f.household_id}))


def _number(value: float) -> str:
    return xv.format_number(float(value))
