"""Design-based estimates, 95 % intervals and one-sided bounds for stratified household samples.

An evaluation samples households per stratum (usually the township, 乡镇/街道) from the roster
(建档立卡台账), so every estimate is a stratified estimate, usually of a *domain* (the households
an indicator applies to, e.g. exited households). The estimator is the weighted ratio
ȳ = Σ w y / Σ w with w = N_h / m_h; its variance is the standard linearised (Taylor) variance
with finite-population correction that survey software reports (R survey, samplics, Stata svy),
which accounts for the domain size being estimated too. Proportions and per-unit shares get the
Korn–Graubard interval (exact beta bounds at the effective sample size, degrees-of-freedom
adjusted), which holds at 0 %, 100 % and small n; means get Student's t. The same functions
give the one-sided bounds and p-values the verdicts use (evaluator.sampling.bounds holds the
shared arithmetic). Formulas, sources and choices: docs/statistics.md. Numbers are unrounded.

Inputs are plain numbers; results are frozen dataclasses. Strata are named, so several
evaluation units can be pooled by passing their strata together (names such as "县A/城关镇").
Every function checks its inputs first and raises ``ValueError`` with a clear message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from evaluator.sampling.bounds import (
    normal_quantile,
    proportion_bound,
    proportion_tail,
    t_cdf,
    t_quantile,
)

DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Stratum:
    """One stratum: its population size, the values of its units in the domain, and the rest.

    ``population`` is N_h, the households of the stratum on the frame (``math.inf`` for "no
    finite-population correction", allowed with one stratum only). ``values`` are the observed
    units the estimate is about (the indicator applies to them and they have a value);
    ``outside`` counts the observed units it does not apply to. Both kinds of unit were drawn
    and responded: m_h = len(values) + outside is the stratum's observed sample, f_h = m_h / N_h
    its sampling fraction, and each unit stands for w_h = N_h / m_h households.
    """

    population: float
    values: Sequence[float]
    outside: int = 0


@dataclass(frozen=True)
class Estimate:
    """A design-based estimate with its two-sided interval and what its one-sided bounds need.

    ``interval`` names the method: ``korn-graubard`` (exact beta bounds at the effective n),
    ``t`` (Student t on the linearised variance), ``exact`` (every stratum observed completely:
    no sampling error). ``ci_low``/``ci_high``/``variance`` are ``None`` when the sample cannot
    give them (n = 0; a mean from one unit). ``deff`` is the design effect against a simple
    random sample of the same size (``None`` when undefined), ``n_effective`` Kish's effective
    sample size n / max(deff, 1), ``df`` the degrees of freedom (units minus strata), and
    ``fraction`` the domain's overall sampling fraction f.
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
    fraction: float = 0.0
    confidence: float = DEFAULT_CONFIDENCE

    def bound(self, side: str, level: float | None = None) -> float | None:
        """The one-sided bound (``lower`` or ``upper``) at ``level`` (default: the confidence)."""
        level = self.confidence if level is None else level
        _check_confidence(level)
        if side not in ("lower", "upper"):
            raise ValueError(f"side must be 'lower' or 'upper', got {side!r}")
        if self.estimate is None:
            return None
        if self.interval == "exact":
            return self.estimate
        if self.interval == "korn-graubard":
            return proportion_bound(self.estimate, self._n_fpc(), level, side, self.df)
        if self.variance is None or self.df is None:
            return None
        half = t_quantile(level, self.df) * math.sqrt(self.variance)
        return self.estimate - half if side == "lower" else self.estimate + half

    def tail(self, value: float, side: str) -> float | None:
        """One-sided p-value against ``value``, consistent with ``bound`` at the confidence.

        ``side = "upper"``: p-value of "the truth is at least ``value``"; it is below
        1 - confidence exactly when ``bound("upper")`` is below ``value``. ``side = "lower"``:
        of "the truth is at most ``value``", below 1 - confidence when ``bound("lower")`` is
        above it. ``None`` when there is no interval.
        """
        if side not in ("lower", "upper"):
            raise ValueError(f"side must be 'lower' or 'upper', got {side!r}")
        if self.estimate is None:
            return None
        if self.interval == "korn-graubard":
            return proportion_tail(self.estimate, self._n_fpc(), value, side, self.confidence, self.df)
        if self.interval == "exact" or self.variance == 0.0:
            beyond = self.estimate < value if side == "upper" else self.estimate > value
            return 0.0 if beyond else 1.0
        if self.variance is None or self.df is None:
            return None
        score = (self.estimate - value) / math.sqrt(self.variance)
        # the t distribution is symmetric: sf(score) = cdf(-score)
        return t_cdf(score, self.df) if side == "upper" else t_cdf(-score, self.df)

    def _n_fpc(self) -> float:
        n_eff = self.n_effective if self.n_effective else float(self.n)
        return n_eff / (1.0 - self.fraction)


def z_value(confidence: float = DEFAULT_CONFIDENCE) -> float:
    """The two-sided standard normal quantile (1.959963984540054 for 95 %)."""
    _check_confidence(confidence)
    return normal_quantile(0.5 + confidence / 2.0)


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


def clopper_pearson(
    successes: int, n: int, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[float, float]:
    """The exact two-sided interval of Clopper & Pearson (1934) for ``successes`` out of ``n``.

    The simple-random-sample, infinite-population case of every proportion interval here.
    Their worked example, 0 of 10, gives 0 to 0.3085:

    >>> low, high = clopper_pearson(0, 10)
    >>> round(low, 4), round(high, 4)
    (0.0, 0.3085)
    """
    if not 0 <= successes <= n or n < 1:
        raise ValueError(f"need 0 <= successes <= n and n >= 1, got {successes} of {n}")
    _check_confidence(confidence)
    level = 0.5 + confidence / 2.0
    p = successes / n
    return (proportion_bound(p, n, level, "lower"), proportion_bound(p, n, level, "upper"))


def stratified_proportion(
    strata: Mapping[str, Stratum], confidence: float = DEFAULT_CONFIDENCE
) -> Estimate:
    """Share of the domain's units meeting a condition (values 0/1), Korn–Graubard interval.

    p̂ = Σ w y / Σ w over the domain; v(p̂) linearised (see ``linearised``); deff = v / v_srs with
    v_srs = (1 - f) p̂ (1 - p̂) / (n - 1); n* = n / max(deff, 1); the interval is the exact beta
    (Clopper–Pearson) interval at n* / (1 - f) units, scaled by (z / t_df)², df = n - H
    (Korn & Graubard 1998). At p̂ = 0 or 1 deff is undefined and n* = n. A census is exact.
    """
    for name, stratum in strata.items():
        try:  # one set per stratum; the values one by one only to name a wrong one
            if set(stratum.values) <= _ZERO_ONE:
                continue
        except TypeError:  # an unhashable value
            pass
        for value in stratum.values:
            if value not in (0, 1):
                raise ValueError(f"stratum {name!r}: a proportion needs 0/1 values, got {value!r}")
    return _estimate(strata, confidence, "proportion")


_ZERO_ONE = frozenset((0, 1))


def stratified_share(
    strata: Mapping[str, Stratum], confidence: float = DEFAULT_CONFIDENCE
) -> Estimate:
    """Mean of per-unit shares in [0, 1] (checklists, completeness), Korn–Graubard interval.

    A unit's share is never counted as more information than one yes/no answer: the design
    effect is taken against the binomial variance p̂ (1 - p̂) / n and truncated at 1, so the
    interval is never narrower than a proportion's on the same units. It does not collapse to a
    point when every unit passes (the stratified t interval did: [1, 1]).
    """
    for name, stratum in strata.items():
        for value in stratum.values:
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"stratum {name!r}: share {value} is outside [0, 1]")
    return _estimate(strata, confidence, "share")


def stratified_mean(
    strata: Mapping[str, Stratum], confidence: float = DEFAULT_CONFIDENCE
) -> Estimate:
    """Domain mean of per-unit values with a Student-t interval on the linearised variance.

    ȳ ± t(df) √v(ȳ), df = n - H (domain units minus strata holding them). A stratum with one
    unit borrows the pooled within-stratum variance (there is no s_h² from one unit).
    """
    return _estimate(strata, confidence, "mean")


def linearised(strata: Mapping[str, Stratum]) -> tuple[float | None, float | None, int]:
    """(ȳ, v(ȳ), n): the domain ratio estimate, its linearised variance and the domain's n.

    With w_h = N_h / m_h, N̂ = Σ_h w_h a_h and ȳ = Σ_h w_h Σ_i y_hi / N̂, the linearised values
    are u_hi = y_hi - ȳ for domain units and 0 for the others, and

        v(ȳ) = Σ_h N_h² (1 - f_h) s²_u,h / m_h / N̂²,   s²_u,h = Σ_i (u_hi - ū_h)² / (m_h - 1),

    which is what R's survey package and samplics compute for a domain mean with FPC. When the
    domain is everything it is Cochran's Σ W_h² (1 - f_h) s_h² / n_h. A one-unit stratum borrows
    the pooled within-stratum s²_u of the strata with data; a stratum observed whole adds 0.
    """
    parts = _parts(strata)
    if not parts:
        return None, None, 0
    estimate, variance, n, _ = _moments(parts)
    return estimate, variance, n


# -- internals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    population: float
    weight: float  # w_h = N_h / m_h (1 for an infinite population)
    observed: int  # m_h
    values: np.ndarray  # the domain units' values (a_h of them)

    @property
    def fraction(self) -> float:
        return min(1.0, self.observed / self.population) if math.isfinite(self.population) else 0.0


def _parts(strata: Mapping[str, Stratum]) -> list[_Part]:
    if not isinstance(strata, Mapping):
        raise ValueError("strata must be a mapping of stratum name -> Stratum")
    if len(strata) > 1 and any(math.isinf(float(s.population)) for s in strata.values()):
        raise ValueError("an infinite population size is only allowed with a single stratum")
    parts = []
    for name in sorted(strata):
        stratum = strata[name]
        values = np.asarray(stratum.values, dtype=float)
        if values.ndim != 1:
            raise ValueError(f"stratum {name!r}: values must be a flat sequence")
        if not np.all(np.isfinite(values)):
            raise ValueError(f"stratum {name!r}: values must be finite numbers")
        outside = stratum.outside
        if isinstance(outside, bool) or not isinstance(outside, int) or outside < 0:
            raise ValueError(f"stratum {name!r}: units outside the domain must be a count >= 0, got {outside!r}")
        population = float(stratum.population)
        if not population > 0 or math.isnan(population):
            raise ValueError(f"stratum {name!r}: population must be positive, got {population}")
        observed = int(values.size) + outside
        if observed > population:
            raise ValueError(f"stratum {name!r}: {observed} units observed in a population of {population:g}")
        if values.size == 0:
            continue  # no domain unit: every u is 0, the stratum adds nothing to ȳ or v(ȳ)
        weight = population / observed if math.isfinite(population) else 1.0
        parts.append(_Part(population, weight, observed, values))
    return parts


def _moments(parts: list[_Part]) -> tuple[float, float | None, int, float]:
    """(ȳ, linearised v(ȳ) or None, n, N̂) over strata that hold domain units."""
    n = sum(int(p.values.size) for p in parts)
    domain = math.fsum(p.weight * p.values.size for p in parts)
    estimate = math.fsum(p.weight * math.fsum(p.values.tolist()) for p in parts) / domain
    spreads: list[float | None] = []
    for p in parts:
        if p.observed < 2:
            spreads.append(None)
            continue
        u = np.zeros(p.observed)
        u[: p.values.size] = p.values - estimate
        spreads.append(float(np.var(u, ddof=1)))
    df_sum = sum(p.observed - 1 for p, s in zip(parts, spreads, strict=True) if s is not None)
    pooled = (math.fsum((p.observed - 1) * s for p, s in zip(parts, spreads, strict=True) if s is not None)
              / df_sum) if df_sum else None
    terms = []
    for p, spread in zip(parts, spreads, strict=True):
        f = p.fraction
        if f >= 1.0:
            terms.append(0.0)
            continue
        s2 = spread if spread is not None else pooled
        if s2 is None:
            return estimate, None, n, domain
        terms.append(p.weight * p.weight * p.observed * (1.0 - f) * s2)
    return estimate, math.fsum(terms) / (domain * domain), n, domain


def _estimate(strata: Mapping[str, Stratum], confidence: float, kind: str) -> Estimate:
    _check_confidence(confidence)
    parts = _parts(strata)
    default_interval = "t" if kind == "mean" else "korn-graubard"
    if not parts:
        return Estimate(None, None, None, 0, None, None, None, default_interval, None, 0.0, confidence)
    estimate, variance, n, domain = _moments(parts)
    if kind != "mean":
        estimate = min(1.0, max(0.0, estimate))
    df = float(max(n - len(parts), 1))
    if all(p.fraction >= 1.0 for p in parts):  # every stratum observed whole: no sampling error
        return Estimate(estimate, estimate, estimate, n, 0.0, None, float(n), "exact", None, 1.0, confidence)
    f = min(1.0, n / domain) if all(math.isfinite(p.population) for p in parts) else 0.0
    if kind == "mean":
        srs = _srs_variance(parts, estimate, n, f, binary=False)
    else:
        srs = (1.0 - f) * estimate * (1.0 - estimate) / (n - 1) if n > 1 else None
    deff = variance / srs if (variance is not None and srs) else None
    if kind == "mean":
        if variance is None:
            return Estimate(estimate, None, None, n, None, None, None, "t", df, f, confidence)
        half = t_quantile(0.5 + confidence / 2.0, df) * math.sqrt(variance)
        n_eff = n / deff if deff else None
        return Estimate(estimate, estimate - half, estimate + half, n, variance, deff, n_eff, "t", df, f,
                        confidence)
    n_eff = n / max(deff, 1.0) if deff is not None else float(n)
    level = 0.5 + confidence / 2.0
    n_fpc = n_eff / (1.0 - f)
    low = proportion_bound(estimate, n_fpc, level, "lower", df)
    high = proportion_bound(estimate, n_fpc, level, "upper", df)
    return Estimate(estimate, low, high, n, variance, deff, n_eff, "korn-graubard", df, f, confidence)


def _srs_variance(parts: list[_Part], estimate: float, n: int, f: float, binary: bool) -> float | None:
    """Variance of the mean of a simple random sample of n domain units (for the design effect)."""
    if n < 2:
        return None
    domain = math.fsum(p.weight * p.values.size for p in parts)
    spread = math.fsum(p.weight * float(np.sum((p.values - estimate) ** 2)) for p in parts) / domain
    return (1.0 - f) * spread * n / (n - 1) / n


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
