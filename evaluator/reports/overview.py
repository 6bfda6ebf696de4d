"""The overview chapter's charts as plain values: the dimensions radar, points by stratum, and
the estimates with their intervals against their targets."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from evaluator.reports.formatting import ESTIMATED_METHODS, SHARE_METHODS, Counters
from evaluator.reports.inputs import ReportInputs


def overview(inputs: ReportInputs, counters: Counters) -> dict[str, Any]:
    w = inputs.w
    radar_no = counters.next_figure()
    radar = [(w.text(d.name), d.score, d.max) for d in inputs.sheet.dimensions]
    strata = strata_rates(inputs)
    strata_no = counters.next_figure() if strata else 0
    rows = interval_rows(inputs)
    intervals_no = counters.next_figure() if rows else 0
    return {
        "intro": w("overview_intro", table=1, radar=radar_no, strata=strata_no or "—",
                   intervals=intervals_no or "—", stratum_label=inputs.stratum_label),
        "radar": {"axes": radar, "caption": w("radar_caption", n=radar_no)},
        "strata": {"categories": strata,
                   "caption": w("strata_caption", n=strata_no, stratum_label=inputs.stratum_label),
                   "note": w("strata_note", stratum_label=inputs.stratum_label)} if strata else None,
        "intervals": {"rows": rows, "caption": w("intervals_caption", n=intervals_no),
                      "note": w("intervals_note")} if rows else None,
    }


def strata_rates(inputs: ReportInputs) -> list[tuple[str, float | None, float]]:
    """Each stratum's points on the sampled indicators over their maximum, in percent."""
    earned: dict[str, float] = defaultdict(float)
    possible: dict[str, float] = defaultdict(float)
    for r in inputs.sheet.indicators:
        if r.method not in ESTIMATED_METHODS or not r.max:
            continue
        for stratum, s in r.by_stratum.items():
            if s.points is not None and math.isfinite(s.points):
                earned[stratum] += s.points
                possible[stratum] += r.max
    rates: list[tuple[str, float | None, float]] = []
    for stratum, plan in inputs.sheet.strata.items():
        # each bar says how many households it rests on: a small stratum's rate is rough
        label = inputs.w("strata_label", stratum=stratum, n=plan.sampled)
        if possible.get(stratum):
            rates.append((label, 100.0 * earned[stratum] / possible[stratum], 100.0))
        else:
            rates.append((label, None, 100.0))
    rates.sort(key=lambda item: (item[1] is None, -(item[1] or 0.0), item[0]))
    return rates


def interval_rows(inputs: ReportInputs) -> list[tuple[str, float | None, float | None, float | None,
                                                      float | None, str]]:
    rows = []
    for r in inputs.sheet.indicators:
        if (r.method not in SHARE_METHODS or r.method == "veto" or r.target is None
                or r.direction not in ("higher", "lower")):
            continue
        low, high = r.ci_low, r.ci_high
        if low is None or high is None:
            low = high = None
        rows.append((f"{r.code} {inputs.w.text(r.name)}", r.estimate, low, high, r.target,
                     r.direction))
    return rows
