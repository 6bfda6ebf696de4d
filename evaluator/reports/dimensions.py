"""One chapter per dimension of the rubric: its score, its indicators' table, the evidence used,
each indicator's result in words, and the forum notes recorded for the dimension."""

from __future__ import annotations

from collections import Counter
from typing import Any

from evaluator.reports.formatting import (
    ESTIMATED_METHODS,
    Counters,
    format_date,
    percent,
    plain,
    points_text,
)
from evaluator.reports.indicators import (
    estimate_cell,
    failed_list,
    flag_notes,
    interval_text,
    points_cell,
    result_sentence,
    target_text,
)
from evaluator.reports.inputs import ReportInputs, parse_day


def dimension_chapter(inputs: ReportInputs, counters: Counters, number: int, dimension: Any,
                      chapter: int) -> dict[str, Any]:
    w = inputs.w
    result = inputs.dimension_results[dimension.code]
    name = w.text(dimension.name)
    heading = inputs.chapter(chapter, "", f"dimension-{number}", title=name)
    results = [inputs.results[i.code] for i in dimension.indicators]
    verdicts = Counter(r.verdict for r in results)
    verdict_text = w.list(
        w("dim_verdict_count", verdict=w.verdict(v), count=verdicts[v])
        for v in ("meets", "fails", "indeterminate", "insufficient") if verdicts.get(v)
    )
    score = w("dim_score", score=points_text(result.score), max=plain(result.max),
              rate=percent(result.score / result.max) if result.max else w("no_value"),
              count=len(results), verdicts=verdict_text)
    table_no = counters.next_table()
    rows = []
    for r in results:
        rows.append({
            "code": r.code,
            "name": w.text(r.name),
            "estimate": estimate_cell(inputs, r),
            "interval": interval_text(inputs, r),
            "n": str(r.n) if (r.method in ESTIMATED_METHODS or r.method == "judgement"
                              or (r.method == "veto" and r.source)) else w("no_value"),
            "target": target_text(inputs, r),
            "points": points_cell(inputs, r),
            "verdict": r.verdict,
            "verdict_label": w.verdict(r.verdict),
        })
    evidence_no = counters.next_table()
    indicators = []
    for ind, r in zip(dimension.indicators, results, strict=True):
        judgement_reasons = []
        if r.method == "judgement":
            for j in sorted(inputs.bundle.judgements, key=lambda j: j.evaluator):
                if j.indicator != r.code or j.score is None:
                    continue
                key = "ind_judgement_reason" if j.reason.strip() else "ind_judgement_noreason"
                judgement_reasons.append(w(key, evaluator=inputs.scrub(j.evaluator),
                                           score=plain(j.score), reason=inputs.scrub_text(j.reason)))
        notes = flag_notes(inputs, r)
        indicators.append({
            "id": f"indicator-{number}-{r.code}",
            "heading": w("ind_heading", code=r.code, name=w.text(r.name)),
            "why": w("ind_why", why=w.text(ind.why)) if w.text(ind.why) else "",
            "result": result_sentence(inputs, r),
            "verdict": r.verdict,
            "verdict_label": w.verdict(r.verdict),
            "failed": failed_list(inputs, r),
            "reasons": judgement_reasons,
            "notes": w("ind_notes", notes=w.list(notes)) if notes else "",
        })
    return {
        "id": heading["id"],
        "title": heading["title"],
        "why": w.text(dimension.why) if dimension.why else "",
        "score": score,
        "table": {
            "caption": w("dim_table_caption", n=table_no, name=name),
            "columns": [w("col_indicator"), w("col_estimate"), w("col_interval"), w("col_n"),
                        w("col_target"), w("col_points"), w("col_verdict")],
            "rows": rows,
        },
        "evidence": {
            "caption": w("dim_evidence_caption", n=evidence_no, name=name),
            "columns": [w("col_source"), w("col_records"), w("col_used_by")],
            "rows": evidence_rows(inputs, dimension),
        },
        "indicators": indicators,
        "forum_notes": forum_notes(inputs, dimension.code),
    }


def evidence_rows(inputs: ReportInputs, dimension: Any) -> list[list[str]]:
    w = inputs.w
    used: dict[str, list[str]] = {}
    for ind in dimension.indicators:
        if ind.method == "deduction" or (ind.method == "veto" and ind.findings is not None):
            used.setdefault("__findings__", []).append(ind.code)
            continue
        if ind.method == "judgement":
            used.setdefault("__judgements__", []).append(ind.code)
            if ind.source:
                used.setdefault(ind.source, []).append(ind.code)
            continue
        if ind.source:
            used.setdefault(ind.source, []).append(ind.code)
        if ind.right is not None:
            used.setdefault(ind.right.source, []).append(ind.code)
    rows = []
    for source, codes in used.items():
        codes = list(dict.fromkeys(codes))
        if source == "__findings__":
            count = sum(1 for f in inputs.bundle.findings if f.indicator in codes)
            rows.append([w("evidence_findings"), w("evidence_finding_records", count=count),
                         w.list(codes)])
        elif source == "__judgements__":
            judged = [j for j in inputs.bundle.judgements if j.indicator in codes]
            rows.append([w("evidence_judgements"),
                         w("evidence_judgement_records", count=len(judged),
                           evaluators=len({j.evaluator for j in judged})),
                         w.list(codes)])
        elif source == "forum":
            records = [r for r in inputs.bundle.rows("forum")
                       if r.get("dimension", "") in ("", dimension.code)]
            forums = len({r.get("forum_id", "") for r in records})
            rows.append([w.capital(w.source(source)),
                         w("evidence_forum_records", count=len(records), forums=forums),
                         w.list(codes)])
        else:
            count = len(inputs.bundle.rows(source))
            rows.append([w.capital(w.source(source)),
                         w("evidence_records", count=count, unit=w.unit(source)),
                         w.list(codes)])
    return rows


def forum_notes(inputs: ReportInputs, dimension_code: str) -> list[str]:
    notes = []
    for row in sorted(inputs.bundle.rows("forum"),
                      key=lambda r: (r.get("forum_date", ""), r.get("forum_id", ""))):
        if row.get("dimension", "") != dimension_code or not str(row.get("notes", "")).strip():
            continue
        day = parse_day(row.get("forum_date"))
        place = inputs.scrub(row.get("township", ""))
        forum = inputs.scrub(row.get("forum_id", ""))
        text = inputs.scrub_text(row.get("notes", ""))
        if day is not None and place:
            notes.append(inputs.w("forum_note", forum=forum, date=format_date(day, inputs.lang),
                                  place=place, notes=text))
        else:
            notes.append(inputs.w("forum_note_nodate", forum=forum, notes=text))
    return notes
