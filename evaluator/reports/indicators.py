"""What the report says about one indicator's result, wherever it says it (summary, dimension
chapters, findings): the estimate, its interval and target, the points, the verdict in a
sentence, the households counted against it."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from evaluator.reports.formatting import (
    SEVERITY_ORDER,
    SHARE_METHODS,
    estimate_text,
    fixed,
    percent,
    percent_plain,
    plain,
    points_text,
)
from evaluator.reports.inputs import ReportInputs

#: Failed households listed by code in a dimension chapter before "... and N more".
MAX_LISTED = 60


def result_estimate(inputs: ReportInputs, r: Any, value: float | None) -> str:
    return estimate_text(r.method, value, inputs.w("no_value"))


def interval_text(inputs: ReportInputs, r: Any) -> str:
    if r.ci_low is None or r.ci_high is None or r.method in ("judgement", "deduction"):
        return inputs.w("no_value")
    if r.interval == "exact":
        return inputs.w("no_value")
    if r.method in SHARE_METHODS:
        return inputs.w("interval", low=percent(r.ci_low), high=percent(r.ci_high))
    return inputs.w("interval", low=fixed(r.ci_low, 2), high=fixed(r.ci_high, 2))


def target_text(inputs: ReportInputs, r: Any) -> str:
    if r.target is None or r.direction not in ("higher", "lower"):
        return inputs.w("target_none")
    value = percent_plain(r.target) if r.method in SHARE_METHODS else plain(r.target)
    return inputs.w(f"target_{r.direction}", value=value)


def estimate_cell(inputs: ReportInputs, r: Any) -> str:
    if r.method == "judgement" and r.estimate is not None:
        ind = inputs.rubric.indicator(r.code)
        return inputs.w("judgement_estimate", value=fixed(r.estimate, 2), scale=plain(ind.scale or 0))
    if r.method == "deduction":
        return inputs.w("no_value")
    return result_estimate(inputs, r, r.estimate)


def points_cell(inputs: ReportInputs, r: Any) -> str:
    if r.method == "veto":
        return inputs.w("no_value")
    return inputs.w("points_of", points=points_text(r.points), max=plain(r.max))


def _extra(inputs: ReportInputs, r: Any, unit: str) -> str:
    if r.not_applicable and r.missing:
        return inputs.w("res_extra", na=r.not_applicable, missing=r.missing, unit=unit)
    if r.not_applicable:
        return inputs.w("res_extra_na", na=r.not_applicable, unit=unit)
    if r.missing:
        return inputs.w("res_extra_missing", missing=r.missing, unit=unit)
    return ""


def result_sentence(inputs: ReportInputs, r: Any) -> str:
    """What the evidence says about one indicator, verdict included, in words."""
    w = inputs.w
    ind = inputs.rubric.indicator(r.code)
    unit = w.unit(r.source)
    pts = w("res_points", points=points_text(r.points), max=plain(r.max))
    if r.method == "deduction":
        counts = finding_counts(inputs, r.code)
        if not sum(counts.values()):
            return inputs.sentences(w("res_deduction_none"), pts, _judged(inputs, r))
        deducted = plain(max(0.0, r.max - r.points))
        return inputs.sentences(w("res_deduction", n=sum(counts.values()), deducted=deducted,
                                  **counts), pts, _judged(inputs, r))
    if r.method == "judgement":
        scores = judgement_scores(inputs, r.code)
        if not scores:
            return w("res_judgement_none")
        spread = max(scores.values()) - min(scores.values())
        text = w("res_judgement", n=len(scores), estimate=fixed(r.estimate or 0.0, 2),
                 scale=plain(ind.scale or 0), spread=plain(spread))
        text = inputs.sentences(text, pts)
        if r.verdict == "insufficient":
            return inputs.sentences(text, w("res_judgement_few", min_n=ind.min_n or 1))
        if r.verdict == "indeterminate":
            return inputs.sentences(text, w("res_judgement_spread",
                                            max_spread=plain(ind.max_spread or 0)))
        return inputs.sentences(text, _judged(inputs, r))
    if r.method == "veto":
        return veto_sentence(inputs, r, ind)
    extra = _extra(inputs, r, unit)
    if r.estimate is None:
        return inputs.sentences(w("res_none", extra=extra), w("res_verdict_insufficient_none"))
    share = r.method in SHARE_METHODS
    exact = r.interval == "exact"
    key = ("res_share" if share else "res_mean") + ("_exact" if exact else "")
    text = w(key, n=r.n, unit=unit, extra=extra, estimate=result_estimate(inputs, r, r.estimate),
             interval=interval_text(inputs, r), target=target_text(inputs, r))
    if r.verdict == "insufficient":
        verdict = w("res_verdict_insufficient", min_n=r.min_n or 0, unit=unit)
    else:
        verdict = w(f"res_verdict_{r.verdict}")
    return inputs.sentences(text, verdict, pts)


def _judged(inputs: ReportInputs, r: Any) -> str:
    key = "res_judged_meets" if r.verdict == "meets" else "res_judged_fails"
    return inputs.w(key, **{"pass": percent_plain(inputs.pass_share)})


def veto_sentence(inputs: ReportInputs, r: Any, ind: Any) -> str:
    w = inputs.w
    cap = ind.cap or ""
    if ind.findings is not None:
        severity = w.severity(ind.findings.severity)
        if r.verdict == "fails":
            return w("res_veto_findings_on", severity=severity, n=r.n, cap=cap)
        return w("res_veto_findings_off", severity=severity)
    unit = w.unit(r.source)
    count = len(r.failed_units)
    key = "res_veto_condition_on" if r.verdict == "fails" else "res_veto_condition_off"
    return w(key, n=r.n, unit=unit, count=count, allowed=veto_limit(inputs, ind), cap=cap,
             measure=veto_measure(inputs, r, ind))


def veto_limit(inputs: ReportInputs, ind: Any) -> str:
    """A condition veto's limit as printed: a percentage, or a number of households."""
    if ind.limit is None:
        return ""
    value = percent(ind.limit.value, 1) if ind.limit.kind == "share" else plain(ind.limit.value)
    return inputs.w(f"veto_limit_{ind.limit.kind}", value=value)


def veto_measure(inputs: ReportInputs, r: Any, ind: Any) -> str:
    """What the veto compared with its limit (the estimate or its lower bound), as printed."""
    measure = (r.veto_rule or {}).get("measure")
    if ind.limit is None or measure is None:
        return ""
    value = percent(measure, 1) if ind.limit.kind == "share" else plain(round(measure, 1))
    return inputs.w(f"veto_measure_{ind.limit.kind}_{ind.trigger or 'bound'}", value=value)


def veto_reason(inputs: ReportInputs, r: Any, ind: Any) -> str:
    if ind.findings is not None:
        return inputs.w("veto_reason_findings", n=r.n, severity=inputs.w.severity(ind.findings.severity))
    return inputs.w("veto_reason_condition", measure=veto_measure(inputs, r, ind),
                    allowed=veto_limit(inputs, ind))


def finding_counts(inputs: ReportInputs, code: str) -> dict[str, int]:
    counts = {s: 0 for s in SEVERITY_ORDER}
    for f in inputs.bundle.findings:
        if f.indicator == code and f.severity in counts:
            counts[f.severity] += 1
    return counts


def judgement_scores(inputs: ReportInputs, code: str) -> dict[str, float]:
    """Each evaluator's score (their mean, if they scored twice), as scoring takes them."""
    by: dict[str, list[float]] = defaultdict(list)
    for j in inputs.bundle.judgements:
        if j.indicator == code and j.score is not None and math.isfinite(j.score):
            by[j.evaluator].append(float(j.score))
    return {k: math.fsum(v) / len(v) for k, v in sorted(by.items())}


def flag_notes(inputs: ReportInputs, r: Any) -> list[str]:
    shown = []
    for flag in r.flags:
        if flag == "spread":
            continue  # the result sentence says it
        shown.append(inputs.w.get(f"flag_{flag}", inputs.w("flag_other", flag=flag)))
    return shown


def failed_label(inputs: ReportInputs, r: Any) -> str:
    if r.method == "rate":
        return inputs.w("failed_rate_lower" if r.direction == "lower" else "failed_rate_higher")
    return inputs.w.get(f"failed_{r.method}", inputs.w("failed_generic"))


def failed_list(inputs: ReportInputs, r: Any) -> str:
    codes = sorted(r.failed_units)
    if not codes:
        return ""
    shown = [inputs.household(c) for c in codes[:MAX_LISTED]]
    text = inputs.w.list(shown)
    if len(codes) > MAX_LISTED:
        text = inputs.w("ind_failed_more", shown=text, count=len(codes))
    return inputs.w("ind_failed", label=failed_label(inputs, r), count=len(codes), list=text)
