"""The executive summary (chapter 1): the result, the grade and any veto, the dimension table,
the key findings, and every verdict the sample could not decide, said in words."""

from __future__ import annotations

from collections import Counter
from typing import Any

from evaluator.reports.findings import sorted_findings
from evaluator.reports.formatting import (
    ESTIMATED_METHODS,
    LANGUAGES,
    Counters,
    fixed,
    format_date_range,
    percent,
    plain,
    points_text,
)
from evaluator.reports.indicators import (
    interval_text,
    judgement_scores,
    result_estimate,
    target_text,
    veto_reason,
)
from evaluator.reports.inputs import ReportInputs, fieldwork_dates

#: Failing indicators named in the executive summary.
KEY_FAILURES = 4


def summary(inputs: ReportInputs, counters: Counters) -> dict[str, Any]:
    w, sheet, meta = inputs.w, inputs.sheet, inputs.meta
    population = sum(p.population for p in sheet.strata.values())
    sampled = sum(p.sampled for p in sheet.strata.values())
    reserve = sum(1 for s in inputs.bundle.sample if s.role == "reserve")
    visited = len(inputs.bundle.rows("household"))
    roles = {s.household_id: s.role for s in inputs.bundle.sample}
    reserves_used = sum(1 for r in inputs.bundle.rows("household")
                        if roles.get(r.get("household_id", "")) == "reserve")
    files = len(inputs.bundle.rows("file_check"))
    start, end = fieldwork_dates(inputs.bundle)
    intro = w(
        "summary_intro", team_org=w("summary_team_org"),
        commissioning_body=inputs.scrub(meta.commissioning_body),
        unit=inputs.scrub(meta.evaluated_unit),
        fieldwork=format_date_range(start or meta.period_start, end or meta.period_end,
                                    inputs.lang),
        rubric_title=w.text(inputs.rubric.title), rubric_id=inputs.rubric.id,
        rubric_version=inputs.rubric.version, dimension_count=len(inputs.rubric.dimensions),
        indicator_count=len(sheet.indicators),
    )
    sample_text = w("summary_sample", population=population, sampled=sampled, reserve=reserve,
                    visited=visited, reserves_used=reserves_used, files=files,
                    stratum_label=inputs.stratum_label)
    grade = inputs.grade_word(sheet.grade)
    if sheet.provisional:
        grade = w("grade_provisional", grade=grade)
    if sheet.veto and sheet.uncapped_grade != sheet.grade:
        result = w("summary_result_capped", total=points_text(sheet.total), max=plain(sheet.max),
                   grade=grade, uncapped=inputs.grade_word(sheet.uncapped_grade))
    else:
        result = w("summary_result", total=points_text(sheet.total), max=plain(sheet.max),
                   grade=grade)
    vetoes = [w("key_veto", name=w.text(v.name), cap=inputs.grade_word(v.cap),
                reason=veto_reason(inputs, inputs.results[v.code], inputs.rubric.indicator(v.code)))
              for v in sheet.veto]
    figures = [
        {"label": w("fig_total"), "value": points_text(sheet.total),
         "note": w("fig_total_of", max=plain(sheet.max))},
        {"label": w("fig_grade"), "value": inputs.grade_word(sheet.grade),
         "note": w("fig_grade_provisional", worst=inputs.grade_word(sheet.grade_range[0]),
                   best=inputs.grade_word(sheet.grade_range[1])) if sheet.provisional else ""},
        {"label": w("fig_veto"),
         "value": w("fig_veto_some", count=len(sheet.veto)) if sheet.veto else w("fig_veto_none"),
         "note": ""},
        {"label": w("fig_sample"), "value": str(sampled),
         "note": w("fig_sample_of", population=population)},
    ]
    table_no = counters.next_table()
    six = len(inputs.rubric.dimensions) == 6 and inputs.lang in LANGUAGES
    caption = w("summary_dimensions_caption" if six else "summary_dimensions_caption_generic",
                n=table_no)
    provisional = ""
    if sheet.provisional:
        provisional = w("summary_provisional", codes=w.list(sheet.provisional_because),
                        low=points_text(sheet.total_range[0]), high=points_text(sheet.total_range[1]),
                        worst=inputs.grade_word(sheet.grade_range[0]),
                        best=inputs.grade_word(sheet.grade_range[1]))
    return {
        "figures": figures,
        "paragraphs": [intro, sample_text, *response_sentences(inputs), *finish_note(inputs)],
        "result": inputs.sentences(result, provisional, "" if sheet.veto else w("summary_veto_none")),
        "vetoes": vetoes,
        "dimension_table": dimension_table(inputs, caption),
        "key_findings_title": w("summary_key_findings"),
        "key_findings": key_findings(inputs),
        "decidability_title": w("summary_decidability"),
        "decidability": decidability(inputs),
    }


def response_sentences(inputs: ReportInputs) -> list[str]:
    """The household response rate and the multiplicity statement, for the summary."""
    w, sheet = inputs.w, inputs.sheet
    out = []
    table = sheet.response.get("household")
    if table and table["total"]["rate"] is not None:
        total = table["total"]
        rates = [r["rate"] for r in table["strata"].values() if r["rate"] is not None]
        out.append(w("summary_response", rate=percent(total["rate"]), responded=total["responded"],
                     refused=total["refused"], not_reached=total["not_reached"],
                     reserves=total["reserves_used"], stratum_label=inputs.stratum_label,
                     lowest=percent(min(rates)), highest=percent(max(rates))))
    family = sheet.multiplicity.get("verdicts", 0)
    if family:
        out.append(w("summary_multiplicity", family=family))
    return out


def finish_note(inputs: ReportInputs) -> list[str]:
    """The lead's written reason for finishing with open checks, when there is one (the
    summary and the methodology print it)."""
    reason = inputs.scrub(inputs.bundle.meta.finish_reason)
    return [inputs.w("finish_reason", reason=reason)] if reason else []


def dimension_table(inputs: ReportInputs, caption: str) -> dict[str, Any]:
    w = inputs.w
    rows = []
    for d in inputs.sheet.dimensions:
        verdicts = Counter(r.verdict for r in inputs.sheet.indicators if r.dimension == d.code)
        rows.append({
            "name": w.text(d.name), "score": points_text(d.score), "max": plain(d.max),
            "rate": percent(d.score / d.max) if d.max else w("no_value"),
            "counts": [str(verdicts.get(v, 0)) for v in
                       ("meets", "fails", "indeterminate", "insufficient")],
        })
    total_verdicts = Counter(r.verdict for r in inputs.sheet.indicators)
    rounded_sum = sum(round(d.score, 2) for d in inputs.sheet.dimensions)
    note = w("rounding_note") if fixed(rounded_sum, 2) != points_text(inputs.sheet.total) else ""
    return {
        "caption": caption,
        "columns": [w("col_dimension"), w("col_score"), w("col_max"), w("col_rate"),
                    w("col_meets"), w("col_fails"), w("col_indeterminate"),
                    w("col_insufficient")],
        "rows": rows,
        "total": {"name": w("col_total"), "score": points_text(inputs.sheet.total),
                  "max": plain(inputs.sheet.max),
                  "rate": percent(inputs.sheet.total / inputs.sheet.max) if inputs.sheet.max
                  else w("no_value"),
                  "counts": [str(total_verdicts.get(v, 0)) for v in
                             ("meets", "fails", "indeterminate", "insufficient")]},
        "note": note,
    }


def key_findings(inputs: ReportInputs) -> list[str]:
    w = inputs.w
    items: list[str] = []
    for v in inputs.sheet.veto:
        ind = inputs.rubric.indicator(v.code)
        items.append(w("key_veto", name=w.text(v.name), cap=inputs.grade_word(v.cap),
                       reason=veto_reason(inputs, inputs.results[v.code], ind)))
    failing = [r for r in inputs.sheet.indicators if r.verdict == "fails" and r.method != "veto"]
    failing.sort(key=lambda r: (-(r.max - r.points), r.code))
    for r in failing[:KEY_FAILURES]:
        lost = points_text(r.max - r.points)
        if r.method in ESTIMATED_METHODS and r.estimate is not None:
            estimate = result_estimate(inputs, r, r.estimate)
            if r.interval != "exact" and r.ci_low is not None:
                estimate = w("key_estimate_ci", estimate=estimate, interval=interval_text(inputs, r))
            target = w("key_target", target=target_text(inputs, r))
            items.append(w("key_failed", code=r.code, name=w.text(r.name),
                           estimate_text=estimate, target_text=target, lost=lost))
        else:
            items.append(w("key_failed_points", code=r.code, name=w.text(r.name),
                           points=points_text(r.points), max=plain(r.max), lost=lost))
    counts = Counter(f.severity for f in inputs.bundle.findings)
    total = len(inputs.bundle.findings)
    if total:
        items.append(w("key_findings_count", total=total, critical=counts.get("critical", 0),
                       major=counts.get("major", 0), minor=counts.get("minor", 0),
                       chapter=inputs.rect_chapter))
        for f in sorted_findings(inputs):
            if f.severity == "critical":
                items.append(w("key_critical", description=inputs.scrub_text(f.description)))
    else:
        items.append(w("key_findings_none"))
    return items


def decidability(inputs: ReportInputs) -> dict[str, Any]:
    w = inputs.w
    results = list(inputs.sheet.indicators)
    verdicts = Counter(r.verdict for r in results)
    decided = verdicts.get("meets", 0) + verdicts.get("fails", 0)
    undecided = [r for r in results if r.verdict in ("indeterminate", "insufficient")]
    if not undecided:
        lead = w("decided_all", total=len(results))
    else:
        lead = w("decided", total=len(results), decided=decided, meets=verdicts.get("meets", 0),
                 fails=verdicts.get("fails", 0))
    return {
        "lead": lead,
        "intro": w("undecided_intro") if undecided else "",
        "items": [undecided_statement(inputs, r) for r in undecided],
    }


def undecided_statement(inputs: ReportInputs, r: Any) -> str:
    """Every indeterminate and insufficient verdict, said in words."""
    w = inputs.w
    ind = inputs.rubric.indicator(r.code)
    name = w.text(r.name)
    pts = points_text(r.points)
    if r.verdict == "indeterminate":
        if r.method == "judgement":
            scores = judgement_scores(inputs, r.code)
            spread = max(scores.values()) - min(scores.values()) if scores else 0.0
            return w("undecided_judgement", code=r.code, name=name, spread=plain(spread),
                     max_spread=plain(ind.max_spread or 0), points=pts)
        if r.estimate is not None and r.ci_low is not None:
            bound = result_estimate(inputs, r, r.bound) if r.bound is not None else w("no_value")
            threshold = (result_estimate(inputs, r, r.verdict_at) if r.verdict_at is not None
                         else target_text(inputs, r))
            return w("undecided_rate", code=r.code, name=name,
                     estimate=result_estimate(inputs, r, r.estimate),
                     interval=interval_text(inputs, r), target=threshold, bound=bound, points=pts)
        return w("undecided_generic", code=r.code, name=name, points=pts)
    points_rule = w(f"points_rule_{inputs.sheet.insufficient_rule}")
    if r.method == "judgement":
        return w("insufficient_judgement", code=r.code, name=name, n=r.n, min_n=ind.min_n or 1,
                 points_rule=points_rule)
    if r.estimate is None:
        return w("insufficient_none", code=r.code, name=name)
    return w("insufficient_rate", code=r.code, name=name, n=r.n, min_n=r.min_n or 0,
             unit=w.unit(r.source), estimate=result_estimate(inputs, r, r.estimate),
             points_rule=points_rule)
