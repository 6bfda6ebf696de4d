"""How many households to visit (样本量): for a margin of error, or to show a rate is below a threshold.

Two questions an evaluation team asks before fieldwork:

* "How many households do we need to estimate a proportion within ±E at confidence C?"
  Cochran (1977, Sampling Techniques, 3rd ed., ch. 4): n0 = z² p(1-p) / E², then the finite-
  population correction n = n0 / (1 + (n0 - 1) / N). Both this form and the simpler
  n0 / (1 + n0 / N) give the reference values 132/218/278/341 for N = 200/500/1,000/3,000; we use
  Cochran's (n0 - 1) form because it is the exact one for proportions (variance N/(N-1)·PQ).
* "How many files must we check to show the error rate is below T if we find at most K errors?"
  The one-sided exact (Clopper & Pearson 1934) upper bound must stay below T. For a finite frame
  the exact bound is hypergeometric (the sample is drawn without replacement), which needs fewer
  households and never more than the frame.

Sizes are rounded up, after removing float noise (384.0000000001 is 384, not 385).
"""

from __future__ import annotations

import math

from evaluator.sampling.allocation import whole_number

# Relative tolerance for "this float is really an integer" before rounding up.
_EPSILON = 1e-9


def ceil_guarded(value: float) -> int:
    """Round up, but treat values within float noise of an integer as that integer."""
    nearest = round(value)
    if abs(value - nearest) <= _EPSILON * max(1.0, abs(value)):
        return int(nearest)
    return math.ceil(value)


def z_value(confidence: float) -> float:
    """Two-sided normal quantile z = Φ⁻¹(1 - (1 - C)/2); 1.959964 for C = 0.95."""
    from scipy.stats import norm  # here: importing scipy.stats costs ~2 s at CLI start-up

    _check_fraction(confidence, "confidence")
    return float(norm.ppf(1 - (1 - confidence) / 2))


def size_for_margin(
    margin: float, confidence: float = 0.95, p: float = 0.5, population: int | None = None
) -> int:
    """Sample size to estimate a proportion within ±``margin`` at ``confidence``.

    ``p`` is the anticipated proportion (0.5 is the safe, largest-sample choice). With
    ``population`` N the finite-population correction n0 / (1 + (n0 - 1)/N) is applied and the
    result never exceeds N.
    """
    _check_fraction(margin, "margin")
    _check_fraction(p, "p")
    z = z_value(confidence)
    n0 = z * z * p * (1 - p) / (margin * margin)
    if population is None:
        return ceil_guarded(n0)
    population = whole_number(population, "population")
    if population == 0:
        return 0
    n = n0 / (1 + (n0 - 1) / population)
    return min(ceil_guarded(n), population)


def upper_bound(errors: int, n: int, confidence: float = 0.95) -> float:
    """One-sided Clopper–Pearson upper bound on a rate after ``errors`` in ``n`` (infinite frame)."""
    errors = whole_number(errors, "errors")
    n = whole_number(n, "n")
    _check_fraction(confidence, "confidence")
    if errors > n:
        raise ValueError(f"errors ({errors}) cannot exceed the sample size ({n})")
    if errors == n:
        return 1.0
    from scipy.stats import beta

    return float(beta.ppf(confidence, errors + 1, n - errors))


def size_for_threshold(
    threshold: float,
    expected_errors: int = 0,
    confidence: float = 0.95,
    population: int | None = None,
) -> int:
    """Smallest n whose exact one-sided upper bound, with ``expected_errors`` found, is below T.

    Without ``population`` the bound is Clopper–Pearson's beta quantile
    ``beta.ppf(C, K + 1, n - K)`` (K = 0, T = 2 %, C = 95 % gives 149, the "rule of three"
    territory). With ``population`` N the bound is hypergeometric: the frame is taken to hold D
    errors, D = ⌈T·N⌉ is the smallest count whose rate reaches T, and n is the smallest sample
    for which finding at most K errors would happen with probability ≤ 1 - C if there were D
    (or more) errors, i.e. the exact test rejects "rate ≥ T". The answer never exceeds N: a census
    with K < D errors settles the question. Raises ``ValueError`` when no sample can do it
    (K errors in the frame already reach the threshold).
    """
    _check_fraction(threshold, "threshold")
    _check_fraction(confidence, "confidence")
    errors = whole_number(expected_errors, "expected_errors")
    alpha = 1 - confidence

    if population is None:
        def below(n: int) -> bool:
            return upper_bound(errors, n, confidence) < threshold

        low = errors + 1  # n = K gives a bound of 1
        if below(low):
            return low
        high = max(2 * low, 16)
        while not below(high):
            low, high = high, high * 2
        return _first_true(below, low, high)

    population = whole_number(population, "population")
    threshold_count = ceil_guarded(threshold * population)
    if threshold_count <= errors:
        raise ValueError(
            f"{errors} error(s) in a frame of {population} is already a rate of at least "
            f"{threshold:g}; no sample can show the rate is below it"
        )

    from scipy.stats import hypergeom

    def rejects(n: int) -> bool:
        return float(hypergeom.cdf(errors, population, threshold_count, n)) <= alpha

    low = max(errors, 1)
    if rejects(low):
        return low
    return _first_true(rejects, low, population)  # rejects(population) is True: a census


def _first_true(predicate, low: int, high: int) -> int:
    """Smallest n in (low, high] with predicate(n), given predicate(low) false, predicate(high) true."""
    while high - low > 1:
        middle = (low + high) // 2
        if predicate(middle):
            high = middle
        else:
            low = middle
    return high


def _check_fraction(value: float, what: str) -> None:
    """Proportions, margins and confidence levels must lie strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number between 0 and 1, got {value!r}")
    if not 0 < value < 1 or math.isnan(value):
        raise ValueError(f"{what} must be strictly between 0 and 1, got {value!r}")
