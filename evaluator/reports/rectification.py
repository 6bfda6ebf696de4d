"""The rectification list (整改清单): every finding with its responsible unit, person and
deadline, in the findings chapter's order."""

from __future__ import annotations

from typing import Any

from evaluator.reports.findings import sorted_findings
from evaluator.reports.formatting import Counters, format_date
from evaluator.reports.inputs import ReportInputs


def rectification(inputs: ReportInputs, counters: Counters) -> dict[str, Any]:
    w = inputs.w
    rows = []
    for no, f in enumerate(sorted_findings(inputs), 1):
        problem = w("rect_problem", severity=w.capital(w.severity(f.severity)),
                    code=inputs.scrub(f.indicator),
                    name=inputs.indicator_name(f.indicator),
                    description=inputs.scrub_text(f.description))
        if f.household_id:
            problem += w("rect_household", household=inputs.household(f.household_id))
        rows.append({"no": str(no), "problem": problem, "severity": f.severity,
                     "unit": inputs.scrub(f.responsible_unit),
                     "person": inputs.scrub(f.responsible_person),
                     "deadline": format_date(f.deadline, inputs.lang)})
    table_no = counters.next_table()
    return {
        "intro": w("rect_intro", commissioning_body=inputs.scrub(inputs.meta.commissioning_body))
        if rows else w("rect_none"),
        "caption": w("rect_caption", n=table_no),
        "columns": [w("col_no"), w("col_problem"), w("col_unit"), w("col_person"),
                    w("col_deadline")],
        "rows": rows,
    }
