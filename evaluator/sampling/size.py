"""How many households to visit (样本量): for a margin of error, or to show a rate is below a threshold.

Two questions an evaluation team asks before fieldwork:

* "How many households do we need to estimate a proportion within ±E at confidence C?"
  Cochran (1977, Sampling Techniques, 3rd ed., ch. 4): n0 = z² p(1-p) / E², then the finite-
  population correction n = n0 / (1 + (n0 - 1) / N). Both this form and the simpler
  n0 / (1 + n0 / N) give the reference values 132/218/278/341 for N = 200/500/1,000/3,000; we use
  Cochran's (n0 - 1) form because it is the exact one for proportions (variance N/(N-1)·PQ).
* "How many files must we check to show the error rate is at most T if we find K errors?"
  The answer is computed for exactly the bound the verdict uses (evaluator.sampling.bounds):
  the one-sided exact (Clopper & Pearson 1934) upper bound at n / (1 - n/N) with Korn and
  Graubard's degrees-of-freedom factor, so a team that finds K errors in the planned sample
  gets the verdict `meets` it planned for.

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
    from evaluator.sampling.bounds import normal_quantile

    _check_fraction(confidence, "confidence")
    return normal_quantile(1 - (1 - confidence) / 2)


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


def upper_bound(
    errors: int, n: int, confidence: float = 0.95, population: int | None = None, strata: int = 1
) -> float:
    """The verdict's one-sided upper bound after ``errors`` found in a sample of ``n``.

    Exactly the bound the scoring verdict uses (evaluator.sampling.bounds): exact beta
    (Clopper–Pearson) at n / (1 - n/N), with Korn–Graubard's degrees-of-freedom factor for
    df = n - strata, assuming a self-weighting sample (proportional allocation, design effect
    1 when errors are spread). A census (n = N) has no sampling error: the bound is K / N.
    """
    errors = whole_number(errors, "errors")
    n = whole_number(n, "n")
    _check_fraction(confidence, "confidence")
    strata = whole_number(strata, "strata")
    if errors > n or n == 0:
        raise ValueError(f"errors ({errors}) cannot exceed the sample size ({n}), which must be positive")
    fraction = 0.0
    if population is not None:
        population = whole_number(population, "population")
        if n > population:
            raise ValueError(f"the sample ({n}) cannot exceed the frame ({population})")
        if n == population:
            return errors / n
        fraction = n / population
    from evaluator.sampling.bounds import proportion_bound

    return proportion_bound(errors / n, n / (1.0 - fraction), confidence, "upper", max(n - strata, 1))


def size_for_threshold(
    threshold: float,
    expected_errors: int = 0,
    confidence: float = 0.95,
    population: int | None = None,
    strata: int = 1,
) -> int:
    """Smallest n for which finding ``expected_errors`` gives the verdict `meets` at threshold T.

    The verdict (evaluator.scoring.decision) says `meets` for an error rate when its one-sided
    upper bound at ``confidence`` is at or below T; this is the smallest n whose ``upper_bound``
    with K errors found is at or below T, for a frame of ``population`` households in
    ``strata`` strata (K = 0, T = 2 %, C = 95 %, infinite frame, one stratum: 150). It never
    exceeds N: a census finding K ≤ T·N errors settles it. Raises ``ValueError`` when no
    sample can do it (K errors in the whole frame already exceed T).
    """
    _check_fraction(threshold, "threshold")
    _check_fraction(confidence, "confidence")
    errors = whole_number(expected_errors, "expected_errors")

    def meets(n: int) -> bool:
        return upper_bound(errors, n, confidence, population, strata) <= threshold

    low = errors + 1  # n = K gives a bound of 1
    if population is None:
        if meets(low):
            return low
        high = max(2 * low, 16)
        while not meets(high):
            low, high = high, high * 2
        return _first_true(meets, low, high)

    population = whole_number(population, "population")
    if errors > threshold * population or population == 0:
        raise ValueError(
            f"{errors} error(s) in a frame of {population} is already a rate above "
            f"{threshold:g}; no sample can show the rate is at most that"
        )
    if low >= population or meets(low):
        return min(low, population)
    return _first_true(meets, low, population)  # meets(population) is True: a census


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
