"""Appendices 2 and 3: the sample as drawn and visited (by stratum, and the households'
composition), and the reproducibility stamp (hashes, seed, software)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from evaluator.reports.formatting import Counters, percent_plain
from evaluator.reports.inputs import ReportInputs

#: The roster's vocabularies (evaluator.bundle.model), in the order tables list them.
CATEGORIES = ("深度困难", "相对困难", "意外致困")
STATUSES = ("在档", "已脱困", "注销")


def sample(inputs: ReportInputs, counters: Counters) -> dict[str, Any]:
    w = inputs.w
    head = inputs.appendix(2, "app_sample", "appendix-sample")
    sample = [s for s in inputs.bundle.sample]
    roles = {s.household_id: s.role for s in sample}
    household = {r.get("household_id", ""): r for r in inputs.bundle.rows("household")}
    files = {r.get("household_id", "") for r in inputs.bundle.rows("file_check")}
    consent = {h for h, r in household.items() if r.get("consent") == "yes"}
    reserves_used = {h for h in household if roles.get(h) == "reserve"}
    stratum_of = {}
    for s in sample:
        stratum_of[s.household_id] = s.stratum
    rows = []
    for stratum, p in inputs.sheet.strata.items():
        in_stratum = {h for h, s in stratum_of.items() if s == stratum}
        visited = in_stratum & household.keys()
        rows.append([inputs.scrub(stratum), str(p.population), str(p.sampled),
                     str(len(visited)), str(len(visited & consent)),
                     str(len(visited & reserves_used)), str(len(in_stratum & files))])
    total = [w("total_row"), str(sum(p.population for p in inputs.sheet.strata.values())),
             str(sum(p.sampled for p in inputs.sheet.strata.values())), str(len(household)),
             str(len(consent)), str(len(reserves_used)), str(len(files))]
    strata_no = counters.next_table()
    # Composition of the households that stand in the sample (drawn, or reserves visited).
    members = [h for h, role in roles.items() if role == "sample" or h in household]
    categories = _known_first({str((inputs.roster.get(h) or {}).get("category", ""))
                               for h in members}, CATEGORIES)
    statuses = _known_first({str((inputs.roster.get(h) or {}).get("status", ""))
                             for h in members}, STATUSES)
    grid = Counter((str((inputs.roster.get(h) or {}).get("category", "")),
                    str((inputs.roster.get(h) or {}).get("status", ""))) for h in members)
    composition_rows = []
    for c in categories:
        composition_rows.append([w.capital(w.value_word("category", c)) or w("no_value")]
                                + [str(grid.get((c, s), 0)) for s in statuses]
                                + [str(sum(grid.get((c, s), 0) for s in statuses))])
    composition_total = ([w("total_row")]
                         + [str(sum(grid.get((c, s), 0) for c in categories)) for s in statuses]
                         + [str(len(members))])
    composition_no = counters.next_table()
    forums = len({r.get("forum_id", "") for r in inputs.bundle.rows("forum")})
    intro = w("s_intro", population=total[1], strata=len(inputs.sheet.strata), sampled=total[2],
              reserve=sum(1 for s in sample if s.role == "reserve"), visited=len(household),
              consent=len(consent), reserves_used=len(reserves_used), files=len(files),
              system=len(inputs.bundle.rows("system")), forums=forums,
              judges=len(inputs.bundle.judgements), findings=len(inputs.bundle.findings))
    return {
        "id": head["id"],
        "title": head["title"],
        "intro": intro,
        "strata": {
            "caption": w("s_strata_caption", n=strata_no),
            "columns": [w("col_stratum", stratum_label=inputs.stratum_label), w("col_population"),
                        w("col_sampled"), w("col_visited"), w("col_consent"),
                        w("col_reserves_used"), w("col_files")],
            "rows": rows,
            "total": total,
        },
        "composition": {
            "caption": w("s_composition_caption", n=composition_no),
            "columns": [w("col_category")] + [w.capital(w.value_word("status", s)) or w("no_value")
                                              for s in statuses] + [w("col_total")],
            "rows": composition_rows,
            "total": composition_total,
            "note": w("s_composition_note"),
        } if members else None,
    }


def stamp(inputs: ReportInputs, counters: Counters) -> dict[str, Any]:
    w = inputs.w
    head = inputs.appendix(3, "app_stamp", "appendix-stamp")
    plan = inputs.meta.sampling
    rows = [
        [w("stamp_evaluation"), inputs.scrub(inputs.meta.id)],
        [w("stamp_data_hash"), inputs.bundle.data_hash or w("stamp_none")],
        [w("stamp_rubric"), f"{inputs.rubric.id} {inputs.rubric.version}"],
        [w("stamp_rubric_hash"), getattr(inputs.rubric, "content_hash", "") or w("stamp_none")],
        [w("stamp_software"), f"evaluator {inputs.software_version}".strip()],
        [w("stamp_roster_hash"), (plan.roster_hash if plan is not None and plan.roster_hash
                                  else w("stamp_none"))],
        [w("stamp_seed"), str(plan.seed) if plan is not None and plan.seed is not None
         else w("stamp_none")],
        [w("stamp_confidence"), percent_plain(inputs.sheet.confidence)],
        [w("stamp_reproduce"), w("stamp_reproduce_value")],
    ]
    return {"id": head["id"], "title": head["title"], "intro": w("stamp_intro"),
            "caption": w("stamp_caption", n=counters.next_table()),
            "columns": [w("col_item"), w("col_value")], "rows": rows}


def _known_first(values: set[str], known: Sequence[str]) -> list[str]:
    """The roster's vocabulary in its own order (深度困难, 相对困难, 意外致困), others after."""
    return [v for v in known if v in values] + sorted(values - set(known))
