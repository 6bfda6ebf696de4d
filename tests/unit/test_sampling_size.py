"""Sample-size formulas against published reference values and brute force."""

from __future__ import annotations

import math

import pytest
from scipy.stats import beta, norm
from scipy.stats import t as student_t

from evaluator.sampling import size_for_margin, size_for_threshold, upper_bound
from evaluator.sampling.size import ceil_guarded


def test_margin_infinite_frame_is_385():
    # 1.96^2 * 0.25 / 0.05^2 = 384.15, rounded up.
    assert size_for_margin(0.05, 0.95, 0.5) == 385
    assert size_for_margin(0.05) == 385


@pytest.mark.parametrize(("population", "expected"), [(200, 132), (500, 218), (1000, 278), (3000, 341)])
def test_margin_finite_population_correction(population, expected):
    assert size_for_margin(0.05, 0.95, 0.5, population=population) == expected


@pytest.mark.parametrize(("population", "expected"), [(200, 132), (500, 218), (1000, 278), (3000, 341)])
def test_both_fpc_variants_agree_on_the_reference_values(population, expected):
    # Documented choice: Cochran's n0/(1+(n0-1)/N); the simpler n0/(1+n0/N) matches here too.
    z = norm.ppf(0.975)
    n0 = z * z * 0.25 / 0.05**2
    assert math.ceil(n0 / (1 + (n0 - 1) / population)) == expected
    assert math.ceil(n0 / (1 + n0 / population)) == expected


def test_margin_other_parameters():
    # 99 %: z = 2.5758, n0 = 663.49 -> 664; p = 0.2 at 95 %, ±3 %: 682.93 -> 683.
    assert size_for_margin(0.05, 0.99) == 664
    assert size_for_margin(0.03, 0.95, 0.2) == 683


def test_margin_never_exceeds_a_small_frame():
    for population in range(1, 60):
        n = size_for_margin(0.01, 0.99, population=population)
        assert 1 <= n <= population
    assert size_for_margin(0.05, population=0) == 0


def test_ceil_guards_float_noise():
    assert ceil_guarded(384.0000000001) == 384
    assert ceil_guarded(384.0) == 384
    assert ceil_guarded(384.15) == 385
    assert ceil_guarded(383.9999999999) == 384
    assert ceil_guarded(384.001) == 385


@pytest.mark.parametrize("bad", [0, 1, -0.1, 1.5, float("nan"), "0.05", True, None])
def test_margin_rejects_bad_fractions(bad):
    with pytest.raises(ValueError):
        size_for_margin(bad)
    with pytest.raises(ValueError):
        size_for_margin(0.05, confidence=bad)
    with pytest.raises(ValueError):
        size_for_margin(0.05, p=bad)


def test_margin_rejects_bad_population():
    for bad in (-1, 2.5, "100", True):
        with pytest.raises(ValueError, match="population"):
            size_for_margin(0.05, population=bad)


def _verdict_bound(errors, n, confidence, population=None, strata=1):
    """The verdict's upper bound written out with scipy: Clopper–Pearson at n/(1 - f), KG df factor."""
    if population is not None and n == population:
        return errors / n
    f = 0.0 if population is None else n / population
    df = max(n - strata, 1)
    factor = (norm.ppf(confidence) / student_t.ppf(confidence, df)) ** 2
    n_star = n / (1 - f) * factor
    x = errors / n * n_star
    return 1.0 if x >= n_star else beta.ppf(confidence, x + 1, n_star - x)


def _brute_force(threshold, errors, confidence, population=None, strata=1):
    n = errors + 1
    while _verdict_bound(errors, n, confidence, population, strata) > threshold:
        n += 1
    return n


def test_threshold_zero_errors_two_percent():
    # Clopper-Pearson alone gives 149 (1 - 0.05^(1/149) < 2 %); the df factor of the verdict's
    # Korn-Graubard bound (df = n - 1) makes it 151.
    assert size_for_threshold(0.02, 0, 0.95) == 151
    assert upper_bound(0, 151) <= 0.02 < upper_bound(0, 150)
    assert beta.ppf(0.95, 1, 149) < 0.02 <= beta.ppf(0.95, 1, 148)


@pytest.mark.parametrize("errors", [0, 1, 2, 5])
@pytest.mark.parametrize(("threshold", "confidence"), [(0.02, 0.95), (0.05, 0.90), (0.10, 0.99)])
def test_threshold_matches_brute_force(errors, threshold, confidence):
    assert size_for_threshold(threshold, errors, confidence) == _brute_force(threshold, errors, confidence)


def test_threshold_k1_k2_values():
    assert size_for_threshold(0.02, 1) == _brute_force(0.02, 1, 0.95) == 237
    assert size_for_threshold(0.02, 2) == _brute_force(0.02, 2, 0.95) == 314


@pytest.mark.parametrize("population", [50, 100, 200, 1000, 5000])
@pytest.mark.parametrize("errors", [0, 1, 2])
@pytest.mark.parametrize("strata", [1, 11])
def test_threshold_finite_frame_is_the_verdicts_bound_with_fpc(population, errors, strata):
    if errors > 0.05 * population:
        pytest.skip("impossible combination, tested separately")
    n = size_for_threshold(0.05, errors, 0.95, population=population, strata=strata)
    assert n == min(_brute_force(0.05, errors, 0.95, population, strata), population)
    assert n <= population
    assert n <= size_for_threshold(0.05, errors, 0.95, strata=strata)


def test_threshold_finite_known_values():
    # N = 1000: 0 errors in n shows <= 2 % once 1 - 0.05^(1/n*) <= 0.02 with n* = n/(1 - n/1000) (z/t)^2.
    assert size_for_threshold(0.02, 0, 0.95, population=1000) == 131
    assert size_for_threshold(0.02, 0, 0.95, population=10**6) == 151


def test_threshold_impossible_when_errors_already_exceed_it():
    with pytest.raises(ValueError, match="no sample can show"):
        size_for_threshold(0.02, 3, 0.95, population=100)
    # 2 errors in 100 is exactly 2 %: a census finding them shows "at most 2 %".
    assert size_for_threshold(0.02, 2, 0.95, population=100) <= 100


def test_threshold_rejects_bad_inputs():
    with pytest.raises(ValueError):
        size_for_threshold(0)
    with pytest.raises(ValueError):
        size_for_threshold(0.02, -1)
    with pytest.raises(ValueError):
        size_for_threshold(0.02, 0, 1.0)
    with pytest.raises(ValueError):
        upper_bound(3, 2)
