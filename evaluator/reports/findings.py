"""The findings chapter: findings grouped by indicator (most severe first), each with the
household's own records as the indicator's rule reads them. The one order of findings is here
(``finding_groups``); the summary and the rectification list number them the same way."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from evaluator.privacy import column_kind, mask_value
from evaluator.reports.formatting import SEVERITY_ORDER, format_date, number_text
from evaluator.reports.indicators import failed_label, result_sentence
from evaluator.reports.inputs import ReportInputs
from evaluator.reports.words import chinese_numeral

PERSONAL_COLUMNS = frozenset({"head_name", "id_number"})

#: Values shown per source as a finding's evidence.
MAX_EVIDENCE_VALUES = 8


def _indicator_order(inputs: ReportInputs) -> dict[str, int]:
    return {i.code: k for k, i in enumerate(inputs.rubric.indicators)}


def finding_groups(inputs: ReportInputs) -> list[tuple[str, list[Any]]]:
    """Findings by indicator: the indicator with the most severe finding first (then rubric
    order), and within one indicator the most severe first. The findings chapter and the
    rectification list number them in this one order."""
    order = _indicator_order(inputs)
    rank = {s: k for k, s in enumerate(SEVERITY_ORDER)}
    groups: dict[str, list[Any]] = defaultdict(list)
    for f in inputs.bundle.findings:
        groups[f.indicator].append(f)
    for items in groups.values():
        items.sort(key=lambda f: (rank.get(f.severity, len(rank)), f.deadline or date.max,
                                  f.household_id, f.description, f.row))
    return sorted(groups.items(), key=lambda item: (
        min(rank.get(f.severity, len(rank)) for f in item[1]),
        order.get(item[0], len(order)), item[0]))


def sorted_findings(inputs: ReportInputs) -> list[Any]:
    return [f for _, items in finding_groups(inputs) for f in items]


def findings(inputs: ReportInputs) -> dict[str, Any]:
    w = inputs.w
    groups = []
    no = 0
    for k, (code, items) in enumerate(finding_groups(inputs), 1):
        r = inputs.results.get(code)
        counts = Counter(f.severity for f in items)
        numeral = f"（{chinese_numeral(k)}）" if inputs.lang == "zh" else f"{k}. "
        group = {
            "id": f"findings-{k}",
            "heading": w("finding_group", numeral=numeral, code=inputs.scrub(code),
                         name=inputs.indicator_name(code),
                         counts=w.list(w("finding_group_count", severity=w.severity(s),
                                         count=counts[s])
                                       for s in SEVERITY_ORDER if counts.get(s))),
            "result": w("finding_group_result", result=result_sentence(inputs, r))
            if r is not None else "",
            "items": [],
        }
        for f in items:
            no += 1
            severity = w.capital(w.severity(f.severity))
            heading = (w("finding_heading_household", no=no, severity=severity,
                         household=inputs.household(f.household_id)) if f.household_id
                       else w("finding_heading_general", no=no, severity=severity))
            group["items"].append({
                "heading": heading,
                "severity": f.severity,
                "description": inputs.scrub_text(f.description),
                "responsible": w("finding_responsible", unit=inputs.scrub(f.responsible_unit),
                                 person=inputs.scrub(f.responsible_person),
                                 deadline=format_date(f.deadline, inputs.lang)),
                "evidence": finding_evidence(inputs, f),
            })
        groups.append(group)
    total = no
    return {"intro": w("findings_intro", total=total, chapter=inputs.rect_chapter) if total
            else w("findings_none"),
            "groups": groups}


def finding_evidence(inputs: ReportInputs, finding: Any) -> list[str]:
    """The household's own records as the rule reads them, and whether the indicator
    counted the household against it."""
    w = inputs.w
    out: list[str] = []
    r = inputs.results.get(finding.indicator)
    try:
        ind = inputs.rubric.indicator(finding.indicator)
    except KeyError:
        ind = None
    if finding.household_id and ind is not None:
        records = household_values(inputs, finding.household_id, ind)
        if records:
            out.append(w("finding_records", records=w("finding_source_sep").join(records)))
        elif ind.source:
            out.append(w("finding_no_records"))
    if r is not None and finding.household_id and finding.household_id in r.failed_units:
        out.append(w("finding_in_failed", label=failed_label(inputs, r)))
    return out


def household_values(inputs: ReportInputs, household_id: str, ind: Any) -> list[str]:
    """The values the indicator's rule reads, from this household's records (never personal
    columns), labelled from the surveys."""
    w = inputs.w
    sides: list[tuple[str, list[str]]] = []
    if ind.source:
        names: list[str] = []
        for key in ("applies", "condition", "value"):
            expr = getattr(ind, key, None)
            if expr is not None:
                names += sorted(expr.references)
        names += list(ind.items) + list(ind.fields)
        sides.append((ind.source, names))
    if ind.right is not None:
        sides.append((ind.right.source, sorted(ind.right.value.references)))
    out = []
    roster_row = inputs.roster.get(household_id) or {}
    for source, names in sides:
        record = inputs.record(source, household_id)
        if record is None:
            continue
        values = []
        for name in dict.fromkeys(names):
            if name in PERSONAL_COLUMNS or name == "household_id":
                continue
            if name in record:
                raw = record.get(name, "")
                label, value = field_text(inputs, source, name, raw)
            elif name in roster_row:
                raw = roster_row.get(name, "")
                label = inputs.w.get(f"roster_{name}", name)
                value = w.value_word(name, str(raw)) if raw != "" else w("no_value")
                value = number_text(value) if name not in ("category", "status") else value
                if column_kind(name):  # a contact or card column: masked whatever it looks like
                    value = mask_value(column_kind(name), str(raw))
            else:
                continue
            label = label.rstrip("？?：: ")
            values.append(w("finding_value", label=label, value=inputs.scrub_text(value)))
            if len(values) >= MAX_EVIDENCE_VALUES:
                break
        if values:
            out.append(w("finding_source_values", source=w.capital(w.source(source)),
                         values=w("finding_value_sep").join(values)))
    return out


def field_text(inputs: ReportInputs, source: str, name: str, raw: Any) -> tuple[str, str]:
    """(label, value) of a survey field, choices shown by their labels."""
    survey = inputs.survey(source)
    field = survey.fields.get(name) if survey is not None else None
    label = inputs.w.text(field.label) if field is not None and field.label else name
    if isinstance(raw, list):
        raw = " ".join(str(x) for x in raw)
    text = str(raw if raw is not None else "")
    if text == "":
        return label, inputs.w("no_value")
    if field is not None and field.list_name and survey is not None:
        choices = {c.name: inputs.w.text(c.label) for c in survey.choices.get(field.list_name, ())}
        if choices:
            return label, inputs.w.list(choices.get(token, token) for token in text.split())
    return label, number_text(text)
