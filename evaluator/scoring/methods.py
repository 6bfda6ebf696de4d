"""One function per scoring method: rubric indicator + context -> IndicatorResult.

Each estimate-based method reduces its units to three arrays (applicable, has a value, the
value: 0/1, a number or a share) and hands them to ``_estimated``, which weights strata, computes
the interval (evaluator.scoring.stats), points and verdict the same way for all of them. The
rules are documented in docs/statistics.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from evaluator.definitions import expr_values as xv
from evaluator.scoring import stats
from evaluator.scoring.types import IndicatorResult, StratumResult, VetoResult, text_dict

if TYPE_CHECKING:
    from evaluator.scoring.context import Context
    from evaluator.scoring.units import SourceUnits

SEVERITIES = ("minor", "major", "critical")
SHOWN_ERRORS = 3  # expression errors quoted in a result's notes


def target_of(ind: Any) -> float | None:
    """The estimate where full points begin: ``target``, or the first (best) step's ``at``."""
    if ind.target is not None:
        return float(ind.target)
    if ind.steps:
        return float(ind.steps[0].at)
    return None


def points_for(ind: Any, estimate: float | None) -> float:
    """The rubric's mapping (Indicator.points_for), kept within [0, points]; no estimate: 0."""
    if estimate is None or not math.isfinite(estimate) or ind.method in ("veto", "deduction"):
        return 0.0
    return min(float(ind.points), max(0.0, float(ind.points_for(estimate))))


def verdict(
    direction: str | None, target: float | None, ci_low: float | None, ci_high: float | None,
    n: int, min_n: int | None, estimate: float | None,
) -> str:
    """meets / fails / indeterminate (the interval straddles the target) / insufficient."""
    if estimate is None or n < (min_n or 1):
        return "insufficient"
    if target is None or ci_low is None or ci_high is None or direction not in ("higher", "lower"):
        return "indeterminate"
    if direction == "higher":
        if ci_low >= target:
            return "meets"
        return "fails" if ci_high < target else "indeterminate"
    if ci_high < target:
        return "meets"
    return "fails" if ci_low > target else "indeterminate"


# -- methods over units -----------------------------------------------------------------------


def rate(ind: Any, ctx: Context) -> IndicatorResult:
    units = ctx.units(ind.source)
    applicable, errors = _applies(ind, units)
    condition, cond_errors = units.truth(ind.condition)
    errors = {**errors, **cond_errors}
    valid = _without(np.ones(units.size, dtype=bool), errors)
    values = condition.astype(float)
    bad = condition if ind.direction == "lower" else ~condition
    return _estimated(ind, ctx, units, applicable, valid, values, bad, "proportion", errors)


def mean(ind: Any, ctx: Context) -> IndicatorResult:
    units = ctx.units(ind.source)
    applicable, errors = _applies(ind, units)
    values, value_errors = units.numbers(ind.value)
    errors = {**errors, **value_errors}
    valid = _without(np.isfinite(values), errors)
    target = target_of(ind)
    with np.errstate(invalid="ignore"):
        bad = values < target if ind.direction == "higher" else values > target
    return _estimated(ind, ctx, units, applicable, valid, np.where(valid, values, 0.0), bad, "mean", errors)


def checklist(ind: Any, ctx: Context) -> IndicatorResult:
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


def completeness(ind: Any, ctx: Context) -> IndicatorResult:
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


def consistency(ind: Any, ctx: Context) -> IndicatorResult:
    units = ctx.units(ind.source)
    other = ctx.units(ind.right.source)
    applicable, errors = _applies(ind, units)
    position = ctx.positions(units, other)
    matched = position >= 0
    take = np.where(matched, position, 0)
    if ind.compare == "number":
        left, left_errors = units.numbers(ind.value)
        right, right_errors = other.numbers(ind.right.value)
        right = _without_values(right, right_errors, np.nan)
        paired = np.where(matched, right[take] if other.size else np.nan, np.nan)
        blank = np.isnan(left) | np.isnan(paired)
        with np.errstate(invalid="ignore"):
            agree = _numbers_agree(ind.tolerance, left, paired) & ~blank
    else:
        key = _comparable(ind.compare)
        raw_left, left_errors = units.values(ind.value)
        raw_right, right_errors = other.values(ind.right.value)
        lk = _memo(key, raw_left)
        rk = _memo(key, raw_right)
        for j in right_errors:
            rk[j] = None
        blank = np.zeros(units.size, dtype=bool)
        agree = np.zeros(units.size, dtype=bool)
        for i in range(units.size):
            a = lk[i]
            b = rk[position[i]] if matched[i] else None
            if a is None or b is None:
                blank[i] = True
            else:
                agree[i] = bool(a & b) if ind.compare == "set_overlap" else a == b
    errors = {**errors, **left_errors}
    skip = (ind.missing or "skip") == "skip"
    valid = _without(~blank if skip else np.ones(units.size, dtype=bool), errors)
    values = agree.astype(float)
    bad = agree if ind.direction == "lower" else ~agree
    result = _estimated(ind, ctx, units, applicable, valid, values, bad, "proportion", errors)
    if right_errors:
        result = _replace(result, flags=(*result.flags, "expression_errors"),
                          notes=(*result.notes, f"right.value failed for {len(right_errors)} {ind.right.source} records"))
    return result


def _numbers_agree(tolerance: Any, left: np.ndarray, right: np.ndarray) -> np.ndarray:
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


def deduction(ind: Any, ctx: Context) -> IndicatorResult:
    findings = [f for f in ctx.data.findings if f.indicator == ind.code]
    counts = {s: 0 for s in SEVERITIES}
    unknown = 0
    for f in findings:
        if f.severity in counts:
            counts[f.severity] += 1
        else:
            unknown += 1
    deducted = math.fsum(ind.per_severity.of(s) * counts[s] for s in SEVERITIES)
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


def judgement(ind: Any, ctx: Context) -> IndicatorResult:
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
    if any(s < 0 or s > ind.scale for s in scores):
        flags.append("score_out_of_scale")
        notes.append(f"a score lies outside 0..{_number(ind.scale)}; points are kept within 0..max")
    estimate = math.fsum(scores) / n if n else None
    spread = (max(scores) - min(scores)) if n else None
    points = points_for(ind, estimate)
    if estimate is None or n < (ind.min_n or 1):
        verdict_ = "insufficient"
    elif spread is not None and spread > ind.max_spread:
        verdict_ = "indeterminate"
    else:
        verdict_ = "meets" if points >= ctx.pass_share * float(ind.points) else "fails"
    if spread is not None and spread > ind.max_spread:
        flags.append("spread")
        notes.append(f"evaluators' scores spread {_number(spread)} (more than the {_number(ind.max_spread)} allowed)")
    if n:
        notes.append(f"{n} evaluator(s), scores {', '.join(_number(s) for s in scores)} of {_number(ind.scale)}")
    return _result(ind, ctx, estimate=estimate, n=n, missing=blank, points=points, verdict=verdict_,
                   flags=tuple(flags), notes=tuple(notes))


def veto(ind: Any, ctx: Context) -> tuple[IndicatorResult, VetoResult | None]:
    """A veto scores nothing; it returns its result and, when it triggers, the cap."""
    if ind.findings is not None:
        return _findings_veto(ind, ctx)
    allowed = ind.max_count or 0
    units = ctx.units(ind.source)
    applicable, errors = _applies(ind, units)
    condition, cond_errors = units.truth(ind.condition)
    errors = {**errors, **cond_errors}
    valid = _without(np.ones(units.size, dtype=bool), errors)
    hits = applicable & valid & condition
    count = int(hits.sum())
    result = _estimated(ind, ctx, units, applicable, valid, condition.astype(float), condition,
                        "proportion", errors)
    triggered = count > allowed
    reason = f"{count} unit(s) meet the veto condition; {allowed} tolerated"
    result = _replace(result, points=0.0, max=0.0, verdict="fails" if triggered else "meets",
                      notes=(*result.notes, reason))
    cap = VetoResult(ind.code, text_dict(ind.name), ind.cap, reason, result.failed_units) if triggered else None
    return result, cap


def _findings_veto(ind: Any, ctx: Context) -> tuple[IndicatorResult, VetoResult | None]:
    dimension_of = ctx.rubric.dimension_of
    hits = [f for f in ctx.data.findings
            if f.severity in SEVERITIES and ind.findings.triggers(f.severity, f.indicator, dimension_of)]
    triggered = bool(hits)
    where = (f"dimension {ind.findings.dimension}" if ind.findings.dimension
             else "indicators " + ", ".join(ind.findings.indicators))
    reason = f"{len(hits)} finding(s) of severity {ind.findings.severity} or worse on {where}"
    units = _households(hits)
    result = _result(ind, ctx, estimate=None, n=len(hits), points=0.0, verdict="fails" if triggered else "meets",
                     failed_units=units, notes=(reason,))
    result = _replace(result, max=0.0)
    cap = VetoResult(ind.code, text_dict(ind.name), ind.cap, reason, units) if triggered else None
    return result, cap


# -- shared -------------------------------------------------------------------------------------


def _estimated(
    ind: Any, ctx: Context, units: SourceUnits, applicable: np.ndarray, valid: np.ndarray,
    values: np.ndarray, bad: np.ndarray, kind: str, errors: Mapping[int, str],
) -> IndicatorResult:
    """Weight strata, estimate with an interval, and turn it into points and a verdict."""
    used = applicable & valid
    strata: dict[str, stats.Stratum] = {}
    by_stratum: dict[str, StratumResult] = {}
    flags: list[str] = []
    for name, mask in ctx.strata_masks(units):
        population = ctx.population(name)
        observed = int((mask & used).sum()) + int((mask & ~applicable).sum())
        if observed > population:
            flags.append("frame_too_small")
            population = observed
        chosen = values[mask & used]
        strata[name] = stats.domain_stratum(population, chosen.tolist(), int((mask & ~applicable).sum()))
        own = float(chosen.mean()) if chosen.size else None
        by_stratum[name] = StratumResult(own, int(chosen.size), points_for(ind, own) if own is not None else None)
    compute = {"proportion": stats.stratified_proportion, "share": stats.stratified_share,
               "mean": stats.stratified_mean}[kind]
    est = compute(strata, ctx.data.confidence)
    n = est.n
    missing = int((applicable & ~valid).sum()) + ctx.unsampled(units)
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
    target = target_of(ind)
    return _result(
        ind, ctx, estimate=est.estimate, ci_low=est.ci_low, ci_high=est.ci_high, n=n, missing=missing,
        not_applicable=int((~applicable).sum()), points=points_for(ind, est.estimate),
        verdict=verdict(ind.direction, target, est.ci_low, est.ci_high, n, ind.min_n, est.estimate),
        interval=est.interval, deff=est.deff, n_effective=est.n_effective, by_stratum=by_stratum,
        failed_units=tuple(failed), flags=tuple(dict.fromkeys(flags)), notes=tuple(notes),
    )


def _result(ind: Any, ctx: Context, **values: Any) -> IndicatorResult:
    base = dict(
        code=ind.code, dimension=ind.dimension, name=text_dict(ind.name), method=ind.method,
        source=ind.source, estimate=None, ci_low=None, ci_high=None, n=0, missing=0,
        not_applicable=0, points=0.0, max=float(ind.points), verdict="insufficient",
        target=target_of(ind), floor=ind.floor, direction=ind.direction, min_n=ind.min_n,
    )
    base.update(values)
    return IndicatorResult(**base)


def _replace(result: IndicatorResult, **changes: Any) -> IndicatorResult:
    return replace(result, **changes)


def _applies(ind: Any, units: SourceUnits) -> tuple[np.ndarray, dict[int, str]]:
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
