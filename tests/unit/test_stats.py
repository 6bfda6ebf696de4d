"""Known answers for evaluator.scoring.stats: published worked examples, scipy, and hand sums."""

import doctest
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest
from scipy.stats import t as student_t

from evaluator.scoring import stats
from evaluator.scoring.stats import (
    Stratum,
    domain_stratum,
    fpc,
    stratified_mean,
    stratified_proportion,
    stratified_share,
    wilson_interval,
    z_value,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "statistics.md"

# Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (score, no correction).
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("k", "n", "low", "high"), NEWCOMBE)
def test_wilson_reproduces_newcombe_worked_examples(k, n, low, high):
    got_low, got_high = wilson_interval(k / n, n)
    assert round(got_low, 4) == low
    assert round(got_high, 4) == high


@given(st.integers(min_value=1, max_value=2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_matches_scipy(kn):
    k, n = kn
    expected = binomtest(k, n).proportion_ci(method="wilson")
    low, high = wilson_interval(k / n, n)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


def test_single_stratum_without_fpc_is_plain_wilson_as_scipy():
    values = [1] * 27 + [0] * 3
    est = stratified_proportion({"all": Stratum(math.inf, values)})
    expected = binomtest(27, 30).proportion_ci(method="wilson")
    assert est.estimate == pytest.approx(0.9)
    assert (est.ci_low, est.ci_high) == pytest.approx((expected.low, expected.high), abs=1e-12)
    assert est.interval == "wilson"
    assert est.deff == pytest.approx(1.0)


def test_single_stratum_with_fpc_is_wilson_at_n_over_one_minus_f():
    # 30 of 120 households sampled: f = 0.25, Wilson at n / (1 - f) = 40.
    values = [1] * 27 + [0] * 3
    est = stratified_proportion({"all": Stratum(120, values)})
    low, high = wilson_interval(0.9, 30 / 0.75)
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high), abs=1e-12)
    # the FPC narrows the interval compared with an infinite population
    plain = binomtest(27, 30).proportion_ci(method="wilson")
    assert est.ci_high - est.ci_low < plain.high - plain.low
    # variance (1 - f) p (1 - p) / (n - 1), by hand
    assert est.variance == pytest.approx(0.75 * 0.9 * 0.1 / 29)


def test_stratified_proportion_by_hand():
    # Township A: N=400, 20 sampled, 18 meet; township B: N=600, 30 sampled, 21 meet.
    strata = {
        "A": Stratum(400, [1] * 18 + [0] * 2),
        "B": Stratum(600, [1] * 21 + [0] * 9),
    }
    est = stratified_proportion(strata)
    w_a, w_b = 0.4, 0.6
    p_a, p_b = 0.9, 0.7
    p = w_a * p_a + w_b * p_b  # 0.78
    var = (
        w_a**2 * (1 - 20 / 400) * p_a * (1 - p_a) / 19
        + w_b**2 * (1 - 30 / 600) * p_b * (1 - p_b) / 29
    )
    f = 50 / 1000
    var_srs = (1 - f) * p * (1 - p) / 49
    deff = var / var_srs
    n_eff = 50 / max(deff, 1.0)
    low, high = wilson_interval(p, n_eff / (1 - f))
    assert est.estimate == pytest.approx(0.78)
    assert est.variance == pytest.approx(var)
    assert est.deff == pytest.approx(deff)
    assert est.n_effective == pytest.approx(n_eff)
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high))
    assert est.n == 50
    assert est.interval == "wilson-deff"


def test_design_effect_above_one_widens_the_interval():
    # Disproportionate allocation: the small stratum is oversampled, so weights differ and deff > 1.
    strata = {
        "A": Stratum(100, [1] * 10 + [0] * 40),
        "B": Stratum(5000, [1] * 40 + [0] * 10),
    }
    est = stratified_proportion(strata)
    assert est.deff > 1
    assert est.n_effective == pytest.approx(100 / est.deff)
    srs_low, srs_high = wilson_interval(est.estimate, 100 / (1 - 100 / 5100))
    assert est.ci_high - est.ci_low > srs_high - srs_low


def test_design_effect_below_one_is_truncated_at_one():
    # Homogeneous strata that differ from each other: stratification removes the variance.
    strata = {"A": Stratum(500, [1] * 40), "B": Stratum(1500, [0] * 60)}
    est = stratified_proportion(strata)
    assert est.estimate == pytest.approx(0.25)
    assert est.deff == pytest.approx(0.0)
    assert est.n_effective == pytest.approx(100)
    f = 100 / 2000
    assert (est.ci_low, est.ci_high) == pytest.approx(wilson_interval(0.25, 100 / (1 - f)))


def test_census_has_no_sampling_error():
    est = stratified_proportion({"A": Stratum(4, [1, 1, 0, 1])})
    assert (est.estimate, est.ci_low, est.ci_high) == (0.75, 0.75, 0.75)
    assert est.interval == "exact"


def test_stratified_mean_by_hand():
    strata = {"A": Stratum(200, [4, 5, 3, 4]), "B": Stratum(300, [2, 3, 4, 3, 3])}
    est = stratified_mean(strata)
    w_a, w_b = 0.4, 0.6
    mean_a, mean_b = 4.0, 3.0
    s2_a = sum((v - mean_a) ** 2 for v in [4, 5, 3, 4]) / 3
    s2_b = sum((v - mean_b) ** 2 for v in [2, 3, 4, 3, 3]) / 4
    var = w_a**2 * (1 - 4 / 200) * s2_a / 4 + w_b**2 * (1 - 5 / 300) * s2_b / 5
    half = student_t.ppf(0.975, 9 - 2) * math.sqrt(var)
    assert est.estimate == pytest.approx(w_a * mean_a + w_b * mean_b)
    assert est.variance == pytest.approx(var)
    assert est.df == 7
    assert (est.ci_low, est.ci_high) == pytest.approx((3.4 - half, 3.4 + half))


def test_single_unit_stratum_borrows_the_pooled_variance():
    strata = {"A": Stratum(50, [3.0]), "B": Stratum(50, [1.0, 3.0, 5.0])}
    est = stratified_mean(strata)
    pooled = 4.0  # s² of B, the only stratum with a variance
    expected = 0.25 * (1 - 1 / 50) * pooled / 1 + 0.25 * (1 - 3 / 50) * pooled / 3
    assert est.variance == pytest.approx(expected)


def test_mean_of_one_unit_has_no_interval():
    est = stratified_mean({"A": Stratum(50, [3.0])})
    assert est.estimate == 3.0
    assert est.ci_low is None and est.ci_high is None


def test_shares_are_clipped_to_the_unit_interval():
    est = stratified_share({"A": Stratum(1000, [1.0, 1.0, 1.0, 0.5])})
    assert est.ci_high == 1.0
    assert est.ci_low < est.estimate


def test_domain_stratum_weights_strata_by_their_applicable_share():
    # A: 100 households, 10 sampled, 2 applicable; B: 100 households, 10 sampled, 8 applicable.
    a = domain_stratum(100, [1, 0], not_applicable=8)
    b = domain_stratum(100, [1] * 8, not_applicable=2)
    assert a.population == pytest.approx(20) and b.population == pytest.approx(80)
    est = stratified_proportion({"A": a, "B": b})
    assert est.estimate == pytest.approx((20 * 0.5 + 80 * 1.0) / 100)


def test_no_data_gives_no_estimate():
    est = stratified_proportion({"A": Stratum(10, [])})
    assert est.estimate is None and est.n == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: wilson_interval(1.5, 10), "within"),
        (lambda: wilson_interval(0.5, 0), "positive"),
        (lambda: fpc(11, 10), "exceeds"),
        (lambda: z_value(1.5), "confidence"),
        (lambda: stratified_proportion({"A": Stratum(10, [0.5])}), "0/1"),
        (lambda: stratified_proportion({"A": Stratum(0, [1])}), "positive"),
        (lambda: stratified_proportion({"A": Stratum(2, [1, 1, 1])}), "sampled"),
        (lambda: stratified_mean({"A": Stratum(10, [float("nan")])}), "finite"),
        (lambda: stratified_share({"A": Stratum(10, [2.0])}), "outside"),
    ],
)
def test_bad_input_is_refused_with_a_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_z_value_is_the_normal_quantile():
    assert z_value(0.95) == pytest.approx(1.959963984540054)


def test_module_doctests_pass():
    result = doctest.testmod(stats, raise_on_error=False)
    assert result.attempted > 0
    assert result.failed == 0


def test_statistics_doc_examples_run():
    result = doctest.testfile(str(DOCS), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_quantiles_are_scipy_stats_bit_for_bit():
    """stats imports scipy.special lazily instead of scipy.stats: the same numbers, every bit."""
    from scipy.stats import norm

    for q in (0.5, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.6180339887, 1 - 1e-9):
        assert stats.normal_quantile(q) == float(norm.ppf(q))
        for df in (1, 2, 3, 4, 5, 7, 19, 20, 29, 30, 31, 97, 398, 4993, 19_993, 99_991, 2.5):
            assert stats.t_quantile(q, df) == float(student_t.ppf(q, df)), (q, df)
