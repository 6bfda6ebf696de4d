"""Non-response (无应答): who took part, per source and stratum, and the response rates.

A household that refused (its record says so through the rubric's ``response`` expression for
the source, e.g. ``${consent} = 'yes'``) or that was drawn for the sample and never reached (no
record: not at home, moved) is a non-respondent, not "not applicable": it leaves the estimate
entirely, and the stratum's respondents stand for the stratum (the weighting-class adjustment,
classes = strata). Reserves (备选户) replace non-respondents in their stratum, in the list's
order; a reserve counts as used when it has a record, replaces a household (sample.csv's
``replaces``) or was itself recorded as a non-respondent (``outcome``), and used reserves that
skip an earlier one of their list are reported (``out_of_order``), not refused. The response
rate is respondents over households attempted (respondents + refusals + not reached), AAPOR's
RR1 with substitutes counted as attempts, per stratum and over the whole sample.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from evaluator.sampling.reserves import Reserve, order_problems


def response_table(ctx: Any) -> dict[str, dict[str, Any]]:
    """``{source: {"strata": {name: counts}, "total": counts}}`` for sources with ``response``,
    plus ``"out_of_order"`` when a stratum used a reserve before an earlier one of its list."""
    out: dict[str, dict[str, Any]] = {}
    drawn = {s.household_id: s for s in ctx.data.sample}
    # The sampled households once for every source (their strata counted a column at a time);
    # the reserves, fewer, one by one.
    sampled = [unit for unit in drawn.values() if unit.role == "sample"]
    others = [unit for unit in drawn.values() if unit.role != "sample"]
    drawn_per_stratum = Counter(unit.stratum for unit in sampled)
    sampled_ids = {unit.household_id for unit in sampled}
    for source in sorted(getattr(ctx.rubric, "response", {}) or {}):
        units = ctx.units(source)
        responded = ctx.respondents(units)
        strata: dict[str, Counter[str]] = {name: Counter() for name in ctx.strata}
        # The units counted a column at a time: (stratum, took part), and the reserves among them.
        names = list(map(str, units.strata.tolist()))
        for (stratum, took_part), count in Counter(zip(names, responded.tolist(), strict=True)).items():
            strata.setdefault(stratum, Counter())["responded" if took_part else "refused"] += count
        index = units.index
        for unit in others:
            at = index.get(unit.household_id)
            if at is not None and unit.role == "reserve":
                strata.setdefault(names[at], Counter())["reserves_used"] += 1
        for stratum, count in drawn_per_stratum.items():
            strata.setdefault(stratum, Counter())["drawn"] += count
        # every sampled household is attempted: one without a record is a recorded refusal
        # or was not reached (the team's record of why there is no interview)
        for household in sampled_ids - index.keys():
            unit = drawn[household]
            strata[unit.stratum]["refused" if unit.outcome == "refused" else "not_reached"] += 1
        reserves: dict[str, list[Reserve]] = {}
        for unit in others:
            recorded = unit.household_id in index
            # a reserve is used once it has a record, replaces a household or was itself
            # recorded as a non-respondent
            used = recorded or bool(unit.outcome or unit.replaces)
            counts = strata.setdefault(unit.stratum, Counter())
            reserves.setdefault(unit.stratum, []).append(Reserve(unit.household_id, unit.order, used))
            if used and not recorded:
                counts["reserves_used"] += 1
                counts["refused" if unit.outcome == "refused" else "not_reached"] += 1
        rows = {name: _row(c) for name, c in sorted(strata.items()) if sum(c.values())}
        total: Counter[str] = Counter()
        for c in strata.values():
            total.update(c)
        out[source] = {"strata": rows, "total": _row(total)}
        skipped = [p.as_dict() for name in sorted(reserves)
                   for p in order_problems(name, reserves[name])]
        if skipped:
            out[source]["out_of_order"] = skipped
    return out


def _row(counts: Counter[str]) -> dict[str, Any]:
    keys = ("drawn", "reserves_used", "responded", "refused", "not_reached")
    row: dict[str, Any] = {k: int(counts.get(k, 0)) for k in keys}
    attempted = row["responded"] + row["refused"] + row["not_reached"]
    row["rate"] = row["responded"] / attempted if attempted else None
    return row


def respondents(units: Any, expression: Any | None) -> np.ndarray:
    """Which units responded: the expression's truth (a unit where it fails did not)."""
    if expression is None:
        return np.ones(units.size, dtype=bool)
    truth, errors = units.truth(expression)
    if errors:
        truth = truth.copy()
        truth[list(errors)] = False
    return truth
