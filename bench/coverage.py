"""Coverage of the published 95 % intervals: how often they contain the truth.

A synthetic county (the demo generator's households, with planted error rates) is the
population; every household is "visited" once to know the truth of each indicator of the
shipped rubric (a census: the engine's exact estimate). Then stratified samples are drawn again
and again with the product's own planner and draw (proportional allocation, reserves replacing
refusals), scored with the product's engine, and each indicator's interval is checked against
the truth. Printed per indicator and scenario: the truth, the coverage with its Monte Carlo
standard error, and, as the peer, the coverage a user would get from the textbook Wald interval
p ± 1.96·√(p(1-p)/n) on the same estimates (computed here, not by the product). Also printed:
how often the O4 veto fires when its true rate is at or below its limit.

Goal (issue 13): every indicator at least 93 % at every n. Exit 1 when one is below.

    flock /work/notes/bench.lock .venv/bin/python bench/coverage.py [--reps 400] [--budget 900]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass

import numpy as np

from evaluator.bundle.demo_fieldwork import visit
from evaluator.bundle.demo_population import ErrorRates, population
from evaluator.bundle.reader import shipped_surveys
from evaluator.paths import RUBRICS_DIR
from evaluator.rubrics.definition import load_rubric
from evaluator.sampling import allocate, draw
from evaluator.scoring import SampleUnit, score, scoring_data

GOAL = 0.93
SEED = 20261130
RARE = ErrorRates(wrong_registration=0.01, wrong_exit=0.02, paper_exit=0.01, amount_mismatch=0.02,
                  file_amount_mismatch=0.01, system_missing=0.01, file_missing=0.01, cause_mismatch=0.02,
                  dissatisfied=0.02)


@dataclass(frozen=True)
class Scenario:
    name: str
    households: int
    sample: int
    rates: ErrorRates


SCENARIOS = (
    Scenario("60/600", 600, 60, ErrorRates()),
    Scenario("300/3000", 3000, 300, ErrorRates()),
    Scenario("rare 60/600", 600, 60, RARE),
    Scenario("rare 300/3000", 3000, 300, RARE),
)


class County:
    """One population: roster rows, every household's records, refused versions on demand."""

    def __init__(self, scenario: Scenario, surveys, system_optional):
        self.rates = scenario.rates
        self.people = population(scenario.households, SEED, scenario.rates)
        self.roster = [h.roster_row() for h in self.people]
        self.by_id = {h.household_id: h for h in self.people}
        self.visits = {h.household_id: visit(h, SEED, scenario.rates, False, system_optional) for h in self.people}
        self.system_optional = system_optional
        self.frame = [(h.household_id, h.township) for h in self.people]
        self.sizes: dict[str, int] = {}
        for _, town in self.frame:
            self.sizes[town] = self.sizes.get(town, 0) + 1

    def data(self, visited: list[tuple[str, bool]], sample: list[SampleUnit]):
        household, files, system = [], [], []
        for hid, refused in visited:
            v = visit(self.by_id[hid], SEED, self.rates, True, self.system_optional) if refused else self.visits[hid]
            household.append(v.household)
            files.append(v.file_check)
            system.append(v.system)
        return scoring_data(roster=self.roster, sources={"household": household, "file_check": files,
                                                         "system": system},
                            sample=sample, stratum_column="township")


def replicate(county: County, n: int, seed: int):
    """One fieldwork: proportional allocation, seeded draw, refusals replaced from the reserves."""
    allocation = allocate(county.sizes, n)
    draws = draw(county.frame, allocation, 3, seed=seed)
    rng = np.random.default_rng([seed, 99])
    reserves: dict[str, list[str]] = {}
    for d in draws:
        if d.role == "reserve":
            reserves.setdefault(d.stratum, []).append(d.household_id)
    visited: list[tuple[str, bool]] = []
    for d in draws:
        if d.role != "sample":
            continue
        hid = d.household_id
        while True:
            refused = bool(rng.random() < county.rates.refusal)
            visited.append((hid, refused))
            if not refused or not reserves.get(d.stratum):
                break
            hid = reserves[d.stratum].pop(0)
    sample = [SampleUnit(d.household_id, d.stratum, d.role) for d in draws]
    return county.data(visited, sample)


def wald_covers(estimate: float, n: int, truth: float, share: bool) -> bool:
    if not share or n < 1:
        return False
    half = 1.959963984540054 * math.sqrt(max(estimate * (1 - estimate), 0.0) / n)
    return estimate - half <= truth <= estimate + half


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=400, help="replicates per scenario (default 400)")
    parser.add_argument("--budget", type=float, default=900.0, help="seconds for the whole run (default 900)")
    args = parser.parse_args()

    surveys = shipped_surveys()
    rubric = load_rubric(RUBRICS_DIR / "union-hardship.yaml", surveys)
    system_optional = [name for name, f in surveys["system"].fields.items()
                       if not f.required and not getattr(f, "required_if", "") and not f.relevant
                       and f.type != "calculate" and name != "household_id"]
    started = time.perf_counter()
    per_scenario = args.budget / len(SCENARIOS)
    failures = []
    print(f"bench/coverage.py: {args.reps} replicates per scenario, budget {args.budget:.0f} s; "
          f"goal: every interval covers the truth in at least {GOAL:.0%} of samples")
    for scenario in SCENARIOS:
        t0 = time.perf_counter()
        county = County(scenario, surveys, system_optional)
        census = score(rubric, county.data([(h, False) for h, _ in county.frame],
                                           [SampleUnit(h, s) for h, s in county.frame]))
        truth = {r.code: r.estimate for r in census.indicators if r.estimate is not None and r.method != "judgement"}
        covered = dict.fromkeys(truth, 0)
        peer = dict.fromkeys(truth, 0)
        seen = dict.fromkeys(truth, 0)
        mean_n = dict.fromkeys(truth, 0.0)
        vetoes = 0
        reps = 0
        for r in range(args.reps):
            if time.perf_counter() - t0 > per_scenario:
                break
            sheet = score(rubric, replicate(county, scenario.sample, SEED + 1000 * r + 7))
            reps += 1
            vetoes += bool(sheet.veto)
            for result in sheet.indicators:
                if result.code not in truth or result.ci_low is None:
                    continue
                seen[result.code] += 1
                mean_n[result.code] += result.n
                t = truth[result.code]
                covered[result.code] += result.ci_low - 1e-12 <= t <= result.ci_high + 1e-12
                peer[result.code] += wald_covers(result.estimate, result.n, t, result.method != "mean")
        elapsed = time.perf_counter() - t0
        print(f"\n== {scenario.name}: N = {scenario.households}, n = {scenario.sample}, "
              f"{reps} replicates in {elapsed:.1f} s ({elapsed / max(reps, 1) * 1000:.0f} ms each) ==")
        print(f"{'code':<5}{'method':<13}{'truth':>9}{'mean n':>8}{'coverage':>10}{'± MC se':>9}"
              f"{'Wald peer':>11}  verdict")
        for code, t in truth.items():
            k = seen[code]
            if not k:
                print(f"{code:<5}{'':<13}{t:>9.4f}  no interval in any replicate")
                continue
            c = covered[code] / k
            se = math.sqrt(c * (1 - c) / k)
            method = next(i.method for i in rubric.indicators if i.code == code)
            share = method != "mean"
            wald = f"{peer[code] / k:>10.1%}" if share else f"{'-':>10}"
            ok = c >= GOAL
            if not ok:
                failures.append(f"{scenario.name} {code} {c:.1%}")
            shown = f"{t:.2%}" if share else f"{t:.3f}"
            error = f"{se:>9.1%}" if 0 < c < 1 else f"{'*':>9}"
            print(f"{code:<5}{method:<13}{shown:>9}{mean_n[code] / k:>8.0f}{c:>10.1%}{error}{wald} "
                  f" {'ok' if ok else 'BELOW GOAL'}")
        if reps:
            print(f"* covered in every replicate: a one-sided 95 % lower bound on the coverage is "
                  f"0.05^(1/{reps}) = {0.05 ** (1 / reps):.2%}")
        o4 = truth.get("O4")
        if o4 is not None and reps:
            print(f"O4 veto (limit 1 %, trigger bound): true rate {o4:.2%}, fired in {vetoes}/{reps} "
                  f"replicates ({vetoes / reps:.1%})")
    total = time.perf_counter() - started
    print(f"\ntotal {total:.0f} s; "
          + ("every indicator at or above the goal" if not failures else "BELOW GOAL: " + ", ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
