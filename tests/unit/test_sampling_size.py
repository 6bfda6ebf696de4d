"""Sample-size formulas against published reference values and brute force."""

from __future__ import annotations

import math

import pytest
from scipy.stats import beta, hypergeom, norm

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


def test_threshold_zero_errors_two_percent_is_149():
    assert size_for_threshold(0.02, 0, 0.95) == 149
    assert upper_bound(0, 149) < 0.02 <= upper_bound(0, 148)


def _brute_force(threshold, errors, confidence):
    n = errors + 1
    while beta.ppf(confidence, errors + 1, n - errors) >= threshold:
        n += 1
    return n


@pytest.mark.parametrize("errors", [0, 1, 2, 5])
@pytest.mark.parametrize(("threshold", "confidence"), [(0.02, 0.95), (0.05, 0.90), (0.10, 0.99)])
def test_threshold_matches_brute_force(errors, threshold, confidence):
    assert size_for_threshold(threshold, errors, confidence) == _brute_force(threshold, errors, confidence)


def test_threshold_k1_k2_values():
    assert size_for_threshold(0.02, 1) == _brute_force(0.02, 1, 0.95) == 236
    assert size_for_threshold(0.02, 2) == _brute_force(0.02, 2, 0.95) == 313


def _brute_force_finite(threshold, errors, confidence, population):
    count = math.ceil(threshold * population - 1e-9)
    for n in range(errors, population + 1):
        if hypergeom.cdf(errors, population, count, n) <= 1 - confidence:
            return n
    raise AssertionError("unreachable: a census always decides")


@pytest.mark.parametrize("population", [50, 100, 200, 1000, 5000])
@pytest.mark.parametrize("errors", [0, 1, 2])
def test_threshold_finite_frame_is_hypergeometric(population, errors):
    if math.ceil(0.05 * population) <= errors:
        pytest.skip("impossible combination, tested separately")
    n = size_for_threshold(0.05, errors, 0.95, population=population)
    assert n == _brute_force_finite(0.05, errors, 0.95, population)
    assert n <= population
    # Sampling without replacement needs no more than the infinite-frame answer.
    assert n <= size_for_threshold(0.05, errors, 0.95)


def test_threshold_finite_known_value():
    # 2 % of 100 = 2 bad files; P(no bad file in n) = (100-n)(99-n)/9900 <= 0.05 first at n = 78.
    assert size_for_threshold(0.02, 0, 0.95, population=100) == 78
    # A large frame approaches the Clopper-Pearson answer.
    assert size_for_threshold(0.02, 0, 0.95, population=10**6) == 149


def test_threshold_impossible_when_errors_already_reach_it():
    with pytest.raises(ValueError, match="no sample can show"):
        size_for_threshold(0.02, 2, 0.95, population=100)


def test_threshold_rejects_bad_inputs():
    with pytest.raises(ValueError):
        size_for_threshold(0)
    with pytest.raises(ValueError):
        size_for_threshold(0.02, -1)
    with pytest.raises(ValueError):
        size_for_threshold(0.02, 0, 1.0)
    with pytest.raises(ValueError):
        upper_bound(3, 2)
