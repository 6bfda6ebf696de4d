"""Ranking units honestly: totals with intervals, pairwise tests under Holm, tiers, rank ranges.

A league table of totals says unit 7 beat unit 8 even when their samples cannot tell them
apart. Here every unit's total gets a 95 % interval and every pair of units is tested; the
ranking then says only what the data support:

* **The total's sampling distribution** comes from a rescaled bootstrap of each unit's sample
  (Rao, Wu & Yue 1992): within every stratum the sampled households are resampled together
  (M_h - 1 draws with replacement), each household's weight is rescaled by
  1 - λ_h + λ_h · M_h / (M_h - 1) · r_hk with λ_h = √(1 - f_h) (r_hk: times drawn, f_h the
  sampling fraction), and every estimated indicator is re-estimated from the same resampled
  households — so indicators that share households move together — then turned into points by
  the rubric's own mapping (kinks at target and floor included). Indicators without a sample
  design (judgement, deduction, vetoes) and indicators with too few units keep their points.
  ``REPLICATES`` replicates per unit, from a seed derived from the unit's key: the same data
  give the same ranking, in any order.
* **Pairwise tests.** Units are independent samples, so the difference of two totals has
  variance v_A + v_B (each the variance of the unit's bootstrap totals); the two-sided z test
  of "equal totals" gives its p-value. (Bootstrap tail counts cannot give the p-values below
  2 / (B + 1) that a correction over thousands of pairs needs; the normal approximation of a
  sum of many indicators' points can.) Holm's (1979) step-down procedure over all K(K-1)/2
  pairs keeps the chance of *any* false "A scores higher than B" in the ranking at most
  1 - confidence (5 %).
* **What the ranking says.** Each unit's *rank range*: the best rank is 1 + the units shown
  to score higher, the worst is K - the units shown to score lower. *Tiers* (梯队) in the order
  of the totals: a tier begins with the first unit shown to score lower than the first unit of
  the tier before; units in one tier cannot be told apart from its first unit.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluator.scoring import methods
from evaluator.scoring.designs import IndicatorDesign
from evaluator.scoring.pooled import UnitScore

REPLICATES = 2000
SEED = 20260419


@dataclass(frozen=True)
class RankedUnit:
    key: str
    name: str
    region: str
    total: float
    se: float  # the bootstrap standard error of the total
    ci_low: float
    ci_high: float
    grade: str
    order: int  # position by total (1 = highest), ties broken by name then key
    tier: int
    best_rank: int
    worst_rank: int
    higher: tuple[str, ...]  # keys of units shown to score higher
    lower: tuple[str, ...]  # keys of units shown to score lower


@dataclass(frozen=True)
class Ranking:
    units: tuple[RankedUnit, ...]
    pairs: int
    distinguished: int  # pairs the data tell apart, after Holm
    confidence: float
    replicates: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "confidence": self.confidence, "replicates": self.replicates, "pairs": self.pairs,
            "distinguished": self.distinguished, "method": "rescaled-bootstrap z tests, Holm",
            "units": [{"key": u.key, "name": u.name, "region": u.region, "total": u.total, "se": u.se,
                       "ci_low": u.ci_low, "ci_high": u.ci_high, "grade": u.grade,
                       "order": u.order, "tier": u.tier, "best_rank": u.best_rank,
                       "worst_rank": u.worst_rank, "higher": list(u.higher),
                       "lower": list(u.lower)} for u in self.units],
        }


def rank(rubric: Any, units: Sequence[UnitScore], confidence: float = 0.95,
         replicates: int = REPLICATES, seed: int = SEED) -> Ranking:
    """Rank ``units`` (see the module docstring). Raises ``ValueError`` on bad input."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if replicates < 100:
        raise ValueError(f"at least 100 replicates are needed, got {replicates}")
    keys = [u.key for u in units]
    if len(set(keys)) != len(keys):
        raise ValueError("unit keys must be unique")
    draws = {u.key: total_replicates(rubric, u, replicates, seed) for u in units}
    spread = {key: float(np.var(d, ddof=1)) for key, d in draws.items()}
    ordered = sorted(units, key=lambda u: (-u.sheet.total, u.name, u.key))
    k = len(ordered)
    alpha = 1.0 - confidence
    tests = []
    for i in range(k):
        for j in range(i + 1, k):
            a, b = ordered[i], ordered[j]
            p = pair_p_value(a.sheet.total, spread[a.key], b.sheet.total, spread[b.key])
            tests.append((p, a.key, b.key, a.sheet.total >= b.sheet.total))
    shown = holm([p for p, *_ in tests], alpha)
    higher: dict[str, list[str]] = {u.key: [] for u in ordered}
    lower: dict[str, list[str]] = {u.key: [] for u in ordered}
    for (_, key_a, key_b, a_first), significant in zip(tests, shown, strict=True):
        if not significant:
            continue
        top, bottom = (key_a, key_b) if a_first else (key_b, key_a)
        lower[top].append(bottom)
        higher[bottom].append(top)
    tiers = {}
    tier, leader = 0, None
    for u in ordered:
        if leader is None or leader in higher[u.key]:
            tier += 1
            leader = u.key
        tiers[u.key] = tier
    low_q, high_q = alpha / 2.0, 1.0 - alpha / 2.0
    ranked = []
    for position, u in enumerate(ordered, 1):
        low, high = np.quantile(draws[u.key], [low_q, high_q])
        ranked.append(RankedUnit(
            key=u.key, name=u.name, region=u.region, total=u.sheet.total,
            se=math.sqrt(spread[u.key]),
            ci_low=min(float(low), u.sheet.total), ci_high=max(float(high), u.sheet.total),
            grade=u.sheet.grade, order=position, tier=tiers[u.key],
            best_rank=1 + len(higher[u.key]), worst_rank=k - len(lower[u.key]),
            higher=tuple(higher[u.key]), lower=tuple(lower[u.key])))
    return Ranking(tuple(ranked), len(tests), sum(shown), confidence, replicates)


def pair_p_value(total_a: float, variance_a: float, total_b: float, variance_b: float) -> float:
    """Two-sided p-value of "the two units' totals are equal": z = (T_a - T_b) / √(v_a + v_b)
    with each unit's bootstrap variance (units are independent samples).

    >>> round(pair_p_value(80.0, 4.0, 74.0, 5.0), 4)
    0.0455
    """
    spread = variance_a + variance_b
    if spread < 0 or not math.isfinite(spread):
        raise ValueError(f"variances must be finite and >= 0, got {variance_a}, {variance_b}")
    difference = abs(total_a - total_b)
    if spread == 0.0:
        return 0.0 if difference > 0 else 1.0
    return math.erfc(difference / math.sqrt(spread) / math.sqrt(2.0))


def holm(p_values: Sequence[float], alpha: float) -> list[bool]:
    """Holm's step-down procedure: which hypotheses are rejected at family-wise level alpha.

    The i-th smallest p-value (i from 0) is compared with alpha / (m - i); testing stops at
    the first that is not below it (a p-value exactly at the bound is not rejected).
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    rejected = [False] * m
    for step, i in enumerate(order):
        if p_values[i] < alpha / (m - step):
            rejected[i] = True
        else:
            break
    return rejected


def total_replicates(rubric: Any, unit: UnitScore, replicates: int = REPLICATES,
                     seed: int = SEED) -> np.ndarray:
    """The unit's total in each bootstrap replicate (module docstring)."""
    by_code = {i.code: i for i in rubric.indicators}
    varying = []
    for result in unit.sheet.indicators:
        design = unit.designs.get(result.code)
        ind = by_code.get(result.code)
        if design is None or ind is None or ind.method in ("veto", "deduction", "judgement"):
            continue
        if result.estimate is None or result.verdict == "insufficient":
            continue
        if not math.isclose(result.points, methods.points_for(ind, result.estimate),
                            rel_tol=0.0, abs_tol=1e-9):
            continue  # points not made from the estimate (a rule gave them): they stay
        varying.append((ind, result, design))
    fixed = unit.sheet.total - math.fsum(r.points for _, r, _ in varying)
    factors = bootstrap_factors(unit.key, [d for _, _, d in varying], replicates, seed)
    totals = np.full(replicates, fixed)
    for ind, _result, design in varying:
        estimates = replicate_estimates(design, factors)
        points = np.fromiter((methods.points_for(ind, float(e)) for e in estimates),
                             dtype=float, count=replicates)
        totals += points
    return totals


def replicate_estimates(design: IndicatorDesign,
                        factors: Mapping[str, Mapping[str, np.ndarray]]) -> np.ndarray:
    """The indicator's ratio estimate Σ w a y / Σ w a in every replicate (w = N_h / m_h)."""
    numerator = 0.0
    denominator = 0.0
    for name, stratum in design.strata.items():
        if not stratum.values:
            continue
        weight = stratum.population / stratum.observed
        by_id = factors[name]
        a = np.stack([by_id[h] for h in stratum.ids], axis=1)  # replicates x units
        numerator = numerator + weight * (a @ np.asarray(stratum.values, dtype=float))
        denominator = denominator + weight * a.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimates = np.asarray(numerator / denominator, dtype=float)
    point = design.estimate().estimate
    return np.where(np.isfinite(estimates), estimates, point if point is not None else np.nan)


def bootstrap_factors(key: str, designs: Sequence[IndicatorDesign], replicates: int, seed: int
             ) -> dict[str, dict[str, np.ndarray]]:
    """stratum -> household -> its rescaled weight factor in each replicate (Rao-Wu-Yue)."""
    members: dict[str, set[str]] = {}
    population: dict[str, float] = {}
    for design in designs:
        for name, s in design.strata.items():
            members.setdefault(name, set()).update(s.ids, s.outside)
            population[name] = max(population.get(name, 0.0), s.population)
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    rng = np.random.default_rng([seed, int.from_bytes(digest[:8], "big")])
    out: dict[str, dict[str, np.ndarray]] = {}
    for name in sorted(members):
        ids = sorted(members[name])
        m = len(ids)
        if m < 2:  # one household: no variance to resample (its weight stays)
            out[name] = {h: np.ones(replicates) for h in ids}
            continue
        fraction = min(1.0, m / population[name])
        lam = math.sqrt(1.0 - fraction)
        counts = rng.multinomial(m - 1, np.full(m, 1.0 / m), size=replicates)
        a = 1.0 - lam + lam * (m / (m - 1)) * counts
        out[name] = {h: a[:, i] for i, h in enumerate(ids)}
    return out
