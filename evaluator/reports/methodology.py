"""Appendix 1, the methodology: how the sample was drawn (frame, allocation, seed, hashes), how
estimates and verdicts are made, the grade bands, and every indicator's rule in words."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from evaluator.reports.expression_words import ExpressionWords
from evaluator.reports.formatting import (
    ESTIMATED_METHODS,
    SHARE_METHODS,
    Counters,
    fixed,
    percent,
    percent_plain,
    plain,
)
from evaluator.reports.indicators import veto_limit
from evaluator.reports.inputs import ReportInputs
from evaluator.reports.summary import finish_note
from evaluator.reports.words import WORDS


def methodology(inputs: ReportInputs, counters: Counters) -> dict[str, Any]:
    w = inputs.w
    head = inputs.appendix(1, "app_method", "appendix-method")
    sections = [inputs.section(1, "sec_sampling", "method-sampling"),
                inputs.section(2, "sec_estimation", "method-estimation"),
                inputs.section(3, "sec_verdicts", "method-verdicts"),
                inputs.section(4, "sec_rubric", "method-rubric")]
    plan = inputs.meta.sampling
    sampling_paragraphs = []
    population = sum(p.population for p in inputs.sheet.strata.values())
    method = plan.method if plan is not None else ""
    method_text = w.get(f"m_method_{method}", w("m_method_unknown", method=method))
    parameters = (plan.data.get("parameters") if plan is not None and
                  isinstance(plan.data.get("parameters"), Mapping) else {}) or {}
    if parameters:
        method_text += w("m_parameters", parameters=w.list(
            _parameter(inputs, k, v) for k, v in parameters.items()))
    sampling_paragraphs.append(w("m_sampling_intro", unit=inputs.scrub(inputs.meta.evaluated_unit),
                                 population=population, strata=len(inputs.sheet.strata),
                                 stratum_label=inputs.stratum_label, method=method_text))
    if plan is not None and plan.seeded:
        sampling_paragraphs.append(w("m_allocation", min=plan.min_per_stratum,
                                     reserve=plan.reserve))
        sampling_paragraphs.append(w("m_draw", seed=plan.seed))
    elif plan is not None:
        sampling_paragraphs.append(w("m_draw_external"))
    hashes = []
    if plan is not None and plan.roster_hash:
        hashes.append(w("m_roster_hash", hash=plan.roster_hash))
    if plan is not None and plan.roster_sha256:
        hashes.append(w("m_roster_file", hash=plan.roster_sha256))
    frame_no = counters.next_table()
    frame_rows = []
    reserves = Counter(s.stratum for s in inputs.bundle.sample if s.role == "reserve")
    for stratum, p in inputs.sheet.strata.items():
        weight = p.population / p.sampled if p.sampled else None
        frame_rows.append([inputs.scrub(stratum), str(p.population), str(p.sampled),
                           str(reserves.get(stratum, 0)),
                           fixed(weight, 2) if weight is not None else w("no_value"),
                           percent(p.sampled / p.population) if p.population else w("no_value")])
    total_sampled = sum(p.sampled for p in inputs.sheet.strata.values())
    frame_total = [w("total_row"), str(population), str(total_sampled), str(sum(reserves.values())),
                   fixed(population / total_sampled, 2) if total_sampled else w("no_value"),
                   percent(total_sampled / population) if population else w("no_value")]
    response = response_table(inputs, counters)
    bands_no = counters.next_table()
    bands = []
    for k, band in enumerate(inputs.rubric.bands):
        upper = inputs.rubric.bands[k - 1].min if k > 0 else None
        text = (w("m_band_range", min=plain(band.min), upper=plain(upper)) if upper is not None
                else w("m_band_top", min=plain(band.min)))
        bands.append([inputs.grade_word(band.grade), text])
    rubric_tables = []
    for dimension in inputs.rubric.dimensions:
        no = counters.next_table()
        rubric_tables.append({
            "caption": w("m_rubric_caption", n=no, name=w.text(dimension.name),
                         points=plain(dimension.points)),
            "columns": [w("col_code"), w("col_name"), w("col_max"), w("col_method"),
                        w("col_rule")],
            "rows": [[ind.code, w.text(ind.name), plain(ind.points), w.method(ind.method),
                      rule_words(inputs, ind)] for ind in dimension.indicators],
        })
    pass_mark = percent_plain(inputs.pass_share)
    family = inputs.sheet.multiplicity.get("verdicts", 0)
    uncorrected = inputs.sheet.multiplicity.get("uncorrected", 0.0)
    return {
        "id": head["id"],
        "title": head["title"],
        "sections": sections,
        "sampling": sampling_paragraphs + finish_note(inputs),
        "hashes": hashes,
        "frame": {
            "caption": w("m_frame_caption", n=frame_no),
            "columns": [w("col_stratum", stratum_label=inputs.stratum_label), w("col_population"),
                        w("col_sampled"), w("col_reserve"), w("col_weight"), w("col_fraction")],
            "rows": frame_rows,
            "total": frame_total,
        },
        "estimation": [s.replace("{response_table}", response["number"] if response else "-")
                       for s in w.sentences("m_estimation")
                       if response or "{response_table}" not in s],
        "response": response,
        "verdicts": [s.replace("{pass}", pass_mark).replace("{family}", str(family))
                     .replace("{uncorrected}", percent(uncorrected))
                     for s in w.sentences("m_verdicts")],
        "bands": {"caption": w("m_bands_caption", n=bands_no),
                  "columns": [w("col_grade"), w("col_range")], "rows": bands},
        "rubric_intro": w("m_rubric_intro", title=w.text(inputs.rubric.title), id=inputs.rubric.id,
                          version=inputs.rubric.version,
                          stamp="三" if inputs.lang == "zh" else "C"),
        "rubric_tables": rubric_tables,
    }


def response_table(inputs: ReportInputs, counters: Counters) -> dict[str, Any] | None:
    """Household interview response per stratum (drawn, interviewed, refused, not reached, rate)."""
    table = inputs.sheet.response.get("household")
    if not table:
        return None
    w = inputs.w
    no = counters.next_table()

    def row(name: str, r: Mapping[str, Any]) -> list[str]:
        return [name, str(r["drawn"]), str(r["responded"]), str(r["refused"]), str(r["not_reached"]),
                str(r["reserves_used"]), percent(r["rate"]) if r["rate"] is not None else w("no_value")]

    return {
        "number": str(no),
        "caption": w("m_response_caption", n=no),
        "columns": [w("col_stratum", stratum_label=inputs.stratum_label), w("col_drawn"),
                    w("col_responded"), w("col_refused"), w("col_not_reached"), w("col_reserves_used"),
                    w("col_response_rate")],
        "rows": [row(inputs.scrub(k), r) for k, r in table["strata"].items()],
        "total": row(w("total_row"), table["total"]),
        "out_of_order": w("m_reserve_order", cases=w("list_sep").join(
            w("m_reserve_order_case", stratum=inputs.scrub(p["stratum"]), order=p["order"],
              household=p["household_id"], skipped=w("list_sep").join(p["skipped"]))
            for p in table["out_of_order"])) if table.get("out_of_order") else "",
    }


def _parameter(inputs: ReportInputs, key: str, value: Any) -> str:
    w = inputs.w
    if isinstance(value, float):
        value = plain(value)
    if f"m_param_{key}" not in WORDS:
        return w("m_param_other", key=inputs.scrub(key), value=inputs.scrub(value))
    return w(f"m_param_{key}", value=inputs.scrub(value))


def rule_words(inputs: ReportInputs, ind: Any) -> str:
    """An indicator's scoring rule, in words, with the rubric's expressions quoted."""
    w = inputs.w
    words = ExpressionWords(inputs.lang, inputs.survey(ind.source) if ind.source else None)
    parts: list[str] = []
    if ind.source and ind.method != "veto":
        parts.append(w("rule_source", source=w.capital(w.source(ind.source))))
    if ind.applies is not None and ind.method != "veto":
        parts.append(w("rule_applies", expr=words.say(ind.applies.node)))
    share = ind.method in SHARE_METHODS

    def value(x: float) -> str:
        return percent_plain(x) if share else plain(x)

    if ind.method == "rate":
        parts.append(w("rule_rate", expr=words.say(ind.condition.node) if ind.condition else ""))
    elif ind.method == "mean":
        parts.append(w("rule_mean", expr=words.say(ind.value.node) if ind.value else ""))
    elif ind.method == "checklist":
        first = ind.items[0] if ind.items else None
        parts.append(w("rule_checklist", items=w.list(words.label(i) for i in ind.items),
                       count=len(ind.items), na=_choice(words, first, ind.na_value),
                       pass_value=_choice(words, first, ind.pass_value)))
    elif ind.method == "completeness":
        parts.append(w("rule_completeness", fields=w.list(words.label(f) for f in ind.fields),
                       count=len(ind.fields)))
    elif ind.method == "consistency":
        right_words = ExpressionWords(inputs.lang, inputs.survey(ind.right.source) if ind.right else None)
        parts.append(w("rule_consistency", left=words.say(ind.value.node) if ind.value else "",
                       right=right_words.say(ind.right.value.node) if ind.right else "",
                       right_source=w.source(ind.right.source if ind.right else None),
                       compare=_compare_words(inputs, ind),
                       missing=w("rule_missing_disagree" if ind.missing == "disagree"
                                 else "rule_missing_skip")))
    elif ind.method == "deduction" and ind.per_severity is not None:
        parts.append(w("rule_deduction", minor=plain(ind.per_severity.minor),
                       major=plain(ind.per_severity.major),
                       critical=plain(ind.per_severity.critical)))
    elif ind.method == "judgement":
        parts.append(w("rule_judgement", scale=plain(ind.scale or 0),
                       max_spread=plain(ind.max_spread or 0), min_n=ind.min_n or 1))
    elif ind.method == "veto":
        cap = inputs.grade_word(ind.cap or "")
        if ind.findings is not None:
            if ind.findings.dimension:
                scope_dim = next((d for d in inputs.rubric.dimensions
                                  if d.code == ind.findings.dimension), None)
                scope = w("rule_scope_dimension",
                          name=w.text(scope_dim.name) if scope_dim else ind.findings.dimension)
            else:
                scope = w("rule_scope_indicators", codes=w.list(ind.findings.indicators))
            parts.append(w("rule_veto_findings", severity=w.severity(ind.findings.severity),
                           scope=scope, cap=cap))
        else:
            if ind.source:
                parts.append(w("rule_source", source=w.capital(w.source(ind.source))))
            if ind.applies is not None:
                parts.append(w("rule_applies", expr=words.say(ind.applies.node)))
            what = w(f"rule_veto_what_{ind.limit.kind}_{ind.trigger or 'bound'}") if ind.limit else ""
            parts.append(w("rule_veto_condition", expr=words.say(ind.condition.node) if ind.condition else "",
                           max_count=veto_limit(inputs, ind), what=what, cap=cap))
    if ind.method in ESTIMATED_METHODS and ind.direction in ("higher", "lower"):
        parts.append(w(f"rule_{ind.direction}"))
        if ind.steps:
            steps = w("rule_step_sep").join(
                w(f"rule_step_{ind.direction}", at=value(s.at), points=plain(s.points))
                for s in ind.steps)
            parts.append(w("rule_steps", steps=steps))
        elif ind.target is not None and ind.floor is not None:
            parts.append(w(f"rule_linear_{ind.direction}", target=value(ind.target),
                           floor=value(ind.floor)))
        if ind.verdict_at is not None:
            parts.append(w("rule_verdict_at", value=value(ind.verdict_at)))
        if ind.min_n:
            parts.append(w("rule_min_n", min_n=ind.min_n))
    joiner = "" if inputs.lang == "zh" else " "
    return joiner.join(parts)


def _choice(words: ExpressionWords, field: str | None, value: str | None) -> str:
    """A checklist answer (choice name) as its label, without quotes (the sentence has them)."""
    return words.choice(field, value or "").strip("“”'\"")


def _compare_words(inputs: ReportInputs, ind: Any) -> str:
    w = inputs.w
    if ind.compare == "number":
        tol = ind.tolerance
        pieces = []
        if tol is not None and tol.absolute is not None:
            pieces.append(w("rule_tolerance_abs", value=plain(tol.absolute)))
        if tol is not None and tol.relative is not None:
            pieces.append(w("rule_tolerance_rel", value=percent_plain(tol.relative)))
        tolerance = (w("rule_tolerance_or", a=pieces[0], b=pieces[1]) if len(pieces) == 2
                     else pieces[0] if pieces else "0")
        return w("rule_compare_number", tolerance=tolerance)
    if ind.compare == "text":
        return w("rule_compare_text")
    if ind.compare in ("set_overlap", "set"):
        return w("rule_compare_set")
    return w("rule_compare_other", compare=ind.compare or "")
