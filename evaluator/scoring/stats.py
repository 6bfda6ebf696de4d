"""Design-based estimates and 95 % intervals for stratified household samples (no rounding).

An evaluation samples households per stratum (usually the township, 乡镇/街道) from the roster
(建档立卡台账), so every estimate is a stratified estimate: strata are weighted by their share of
the population, each stratum's variance carries a finite-population correction, and the interval
for a proportion is Wilson's score interval at the design's effective sample size. The formulas,
their sources and the choices made are in docs/statistics.md; this module is the single place
that implements them. Numbers are returned unrounded: rounding is the report's job.

Inputs are plain Python numbers and sequences; results are frozen dataclasses. Every function
checks its inputs first and raises ``ValueError`` with a clear message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Stratum:
    """One stratum's observed values and its population size.

    ``population`` is N_h, the number of population units the stratum's sample stands for (it may
    be fractional when it is an estimated domain size, see ``domain_stratum``). ``sampled`` is the
    number of units drawn and observed in the stratum, used for the sampling fraction
    f_h = sampled / N_h; it defaults to ``len(values)``.
    """

    population: float
    values: Sequence[float]
    sampled: int | None = None


@dataclass(frozen=True)
class Estimate:
    """A design-based estimate with its interval.

    ``interval`` names how (``wilson``: Wilson at n; ``wilson-deff``: Wilson at the effective n;
    ``t``: Student t on the stratified variance; ``exact``: a census, no sampling error).
    ``ci_low``/``ci_high``/``variance`` are ``None`` when the sample cannot give them (n = 0, or a
    mean from one unit). ``deff`` is the design effect against a simple random sample of the
    same size (``None`` when undefined) and ``n_effective`` the sample size the interval used.
    """

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    variance: float | None
    deff: float | None
    n_effective: float | None
    interval: str
    df: float | None = None


def z_value(confidence: float = DEFAULT_CONFIDENCE) -> float:
    """The two-sided standard normal quantile (1.959963984540054 for 95 %)."""
    _check_confidence(confidence)
    return normal_quantile(0.5 + confidence / 2.0)


def normal_quantile(q: float) -> float:
    """``scipy.stats.norm.ppf(q)``, bit for bit (it is ``scipy.special.ndtri``).

    SciPy's special functions are imported here, on first use, not with this module: importing
    ``scipy.stats`` costs half a second, which every CLI call would pay (tests/unit/test_stats.py
    holds these two functions to ``scipy.stats``).
    """
    from scipy.special import ndtri

    return float(ndtri(q))


def t_quantile(q: float, df: float) -> float:
    """``scipy.stats.t.ppf(q, df)``, bit for bit (it is ``scipy.special.stdtrit``)."""
    from scipy.special import stdtrit

    return float(stdtrit(df, q))


def fpc(n: float, population: float | None) -> float:
    """Finite-population correction 1 - n/N (1 when N is unknown, 0 for a census).

    >>> fpc(50, 200)
    0.75
    """
    if n < 0:
        raise ValueError(f"sample size must not be negative, got {n}")
    if population is None or math.isinf(population):
        return 1.0
    if population <= 0:
        raise ValueError(f"population size must be positive, got {population}")
    if n > population:
        raise ValueError(f"sample size {n} exceeds the population size {population}")
    return 1.0 - n / population


def wilson_interval(
    proportion: float, n: float, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[float, float]:
    """Wilson's score interval for ``proportion`` observed on ``n`` units (n may be fractional).

    Wilson (1927); the score interval without continuity correction, method 3 of Newcombe (1998).
    Newcombe's worked example 81/263 gives 0.2553 to 0.3662:

    >>> low, high = wilson_interval(81 / 263, 263)
    >>> round(low, 4), round(high, 4)
    (0.2553, 0.3662)
    """
    if not 0.0 <= proportion <= 1.0 or math.isnan(proportion):
        raise ValueError(f"proportion must be within [0, 1], got {proportion}")
    if not n > 0 or math.isinf(n):
        raise ValueError(f"sample size must be positive and finite, got {n}")
    z = z_value(confidence)
    z2n = z * z / n
    centre = (proportion + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(proportion * (1.0 - proportion) / n + z2n / (4.0 * n))
    # Clip rounding noise only: the exact interval always lies within [0, 1].
    low = 0.0 if proportion == 0.0 else max(0.0, centre - half)
    high = 1.0 if proportion == 1.0 else min(1.0, centre + half)
    return low, high


def domain_stratum(population: int, applicable: Sequence[float], not_applicable: int) -> Stratum:
    """A stratum restricted to the units an indicator applies to (a domain).

    When an indicator applies to some households only (exit checks apply to exited households),
    the stratum's applicable population is unknown; it is estimated as
    N_h * a_h / (a_h + b_h) from the a_h applicable and b_h not-applicable sampled units, so that
    strata are weighted by how many applicable households they hold. The sampling fraction stays
    (a_h + b_h) / N_h.
    """
    if population <= 0:
        raise ValueError(f"stratum population must be positive, got {population}")
    if not_applicable < 0:
        raise ValueError(f"not-applicable count must not be negative, got {not_applicable}")
    observed = len(applicable) + not_applicable
    if observed > population:
        raise ValueError(f"{observed} units observed in a stratum of {population}")
    if not applicable:
        return Stratum(float(population), (), 0)
    domain = population * len(applicable) / observed
    return Stratum(domain, applicable, len(applicable))


def stratified_mean(
    strata: Mapping[str, Stratum], confidence: float = DEFAULT_CONFIDENCE
) -> Estimate:
    """Stratified mean of per-unit values with a Student-t interval.

    ȳ = Σ W_h ȳ_h with W_h = N_h / Σ N_h over the strata that have data, and
    v(ȳ) = Σ W_h² (1 - f_h) s_h² / n_h (Cochran 1977, 5.9); df = n - H. A stratum with one unit
    borrows the pooled within-stratum variance (there is no s_h² from one unit).
    """
    _check_confidence(confidence)
    parts = _stratum_parts(strata)
    n = sum(p.n for p in parts)
    if n == 0:
        return Estimate(None, None, None, 0, None, None, None, "t")
    estimate, variance = _stratified_moments(parts)
    if variance is None:
        return Estimate(estimate, None, None, n, None, None, None, "t")
    df = max(n - len(parts), 1)
    if variance == 0.0:
        return Estimate(estimate, estimate, estimate, n, 0.0, None, None, "exact" if _census(parts) else "t", df)
    half = t_quantile(0.5 + confidence / 2.0, df) * math.sqrt(variance)
    srs = _srs_variance(parts, n)
    deff = variance / srs if srs else None
    n_eff = n / deff if deff else None
    return Estimate(estimate, estimate - half, estimate + half, n, variance, deff, n_eff, "t", df)


def stratified_share(
    strata: Mapping[str, Stratum], confidence: float = DEFAULT_CONFIDENCE
) -> Estimate:
    """Stratified mean of per-unit shares in [0, 1] (checklists, completeness): t interval clipped.

    A share averages several 0/1 items per unit, so Wilson (built on one Bernoulli per unit)
    does not apply; the stratified t interval is used and clipped to [0, 1].
    """
    for name, stratum in strata.items():
        for value in stratum.values:
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"stratum {name!r}: share {value} is outside [0, 1]")
    est = stratified_mean(strata, confidence)
    if est.ci_low is None or est.ci_high is None:
        return est
    return Estimate(est.estimate, max(0.0, est.ci_low), min(1.0, est.ci_high), est.n,
                    est.variance, est.deff, est.n_effective, est.interval, est.df)


def stratified_proportion(
    strata: Mapping[str, Stratum], confidence: float = DEFAULT_CONFIDENCE
) -> Estimate:
    """Stratified proportion of units meeting a condition (values 0/1), Wilson at the effective n.

    p̂ = Σ W_h p̂_h,  v(p̂) = Σ W_h² (1 - f_h) p̂_h (1 - p̂_h) / (n_h - 1),
    deff = v(p̂) / v_srs(p̂) with v_srs = (1 - f) p̂ (1 - p̂) / (n - 1) and f = n / N,
    n* = n / deff (Kish 1965), truncated so that n* ≤ n (deff ≥ 1), and the interval is
    Wilson's at n* / (1 - f) — the Wilson interval with finite-population correction at the
    effective sample size (Korn & Graubard 1998). One stratum gives deff = 1: Wilson with FPC;
    an infinite population then gives plain Wilson, identical to
    ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``.
    """
    _check_confidence(confidence)
    for name, stratum in strata.items():
        for value in stratum.values:
            if value not in (0, 1):
                raise ValueError(f"stratum {name!r}: a proportion needs 0/1 values, got {value!r}")
    parts = _stratum_parts(strata)
    n = sum(p.n for p in parts)
    if n == 0:
        return Estimate(None, None, None, 0, None, None, None, "wilson")
    estimate, variance = _stratified_moments(parts)
    estimate = min(1.0, max(0.0, estimate))
    f = _overall_fraction(parts)
    if f >= 1.0:  # a census of every stratum: the estimate is the value
        return Estimate(estimate, estimate, estimate, n, 0.0, None, float(n), "exact")
    srs = (1.0 - f) * estimate * (1.0 - estimate) / (n - 1) if n > 1 else None
    deff = variance / srs if (variance is not None and srs) else None
    used = 1.0 if deff is None else max(deff, 1.0)
    n_eff = n / used
    low, high = wilson_interval(estimate, n_eff / (1.0 - f), confidence)
    kind = "wilson" if len(parts) == 1 else "wilson-deff"
    return Estimate(estimate, low, high, n, variance, deff, n_eff, kind)


# -- internals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    population: float
    n: int
    sampled: int
    mean: float
    var: float | None  # s_h² with ddof 1; None for one unit


def _stratum_parts(strata: Mapping[str, Stratum]) -> list[_Part]:
    if not isinstance(strata, Mapping):
        raise ValueError("strata must be a mapping of stratum name -> Stratum")
    parts = []
    for name in sorted(strata):
        stratum = strata[name]
        values = np.asarray(stratum.values, dtype=float)
        if values.ndim != 1:
            raise ValueError(f"stratum {name!r}: values must be a flat sequence")
        if not np.all(np.isfinite(values)):
            raise ValueError(f"stratum {name!r}: values must be finite numbers")
        n = int(values.size)
        sampled = n if stratum.sampled is None else int(stratum.sampled)
        if sampled < n:
            raise ValueError(f"stratum {name!r}: sampled ({sampled}) is less than the {n} values")
        population = float(stratum.population)
        if not population > 0 or math.isnan(population):
            raise ValueError(f"stratum {name!r}: population must be positive, got {population}")
        if sampled > population + 1e-9:
            raise ValueError(f"stratum {name!r}: {sampled} units sampled from a population of {population}")
        if n == 0:
            continue  # a stratum without data adds nothing (its weight is redistributed)
        mean = float(math.fsum(values)) / n
        var = float(np.var(values, ddof=1)) if n > 1 else None
        parts.append(_Part(population, n, sampled, mean, var))
    return parts


def _weights(parts: list[_Part]) -> list[float]:
    """W_h = N_h / Σ N_h; an infinite population (no FPC) is allowed for a single stratum only."""
    if len(parts) == 1:
        return [1.0]
    if any(math.isinf(p.population) for p in parts):
        raise ValueError("an infinite population size is only allowed with a single stratum")
    total = math.fsum(p.population for p in parts)
    return [p.population / total for p in parts]


def _fraction(part: _Part) -> float:
    return min(1.0, part.sampled / part.population) if math.isfinite(part.population) else 0.0


def _stratified_moments(parts: list[_Part]) -> tuple[float, float | None]:
    """(Σ W_h ȳ_h, Σ W_h² (1 - f_h) s_h² / n_h); a one-unit stratum borrows the pooled s²."""
    weights = _weights(parts)
    estimate = math.fsum(w * p.mean for w, p in zip(weights, parts, strict=True))
    pooled_num = math.fsum((p.n - 1) * p.var for p in parts if p.var is not None)
    pooled_df = sum(p.n - 1 for p in parts if p.var is not None)
    pooled = pooled_num / pooled_df if pooled_df else None
    terms = []
    for w, p in zip(weights, parts, strict=True):
        f = _fraction(p)
        var = p.var if p.var is not None else pooled
        if var is None:
            if f >= 1.0:
                terms.append(0.0)
                continue
            return estimate, None
        terms.append(w * w * (1.0 - f) * var / p.n)
    return estimate, math.fsum(terms)


def _srs_variance(parts: list[_Part], n: int) -> float | None:
    """Variance of the mean of a simple random sample of n from the same population (for deff)."""
    if n < 2:
        return None
    weights = _weights(parts)
    mean = math.fsum(w * p.mean for w, p in zip(weights, parts, strict=True))
    # Population-weighted total variance: within plus between strata.
    within = math.fsum(w * (p.var or 0.0) for w, p in zip(weights, parts, strict=True))
    between = math.fsum(w * (p.mean - mean) ** 2 for w, p in zip(weights, parts, strict=True))
    return (1.0 - _overall_fraction(parts)) * (within + between) / n


def _overall_fraction(parts: list[_Part]) -> float:
    total = math.fsum(p.population for p in parts)
    if not math.isfinite(total):
        return 0.0
    return min(1.0, sum(p.sampled for p in parts) / total)


def _census(parts: list[_Part]) -> bool:
    return all(math.isfinite(p.population) and p.sampled >= p.population for p in parts)


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
