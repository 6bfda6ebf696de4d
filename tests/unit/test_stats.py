"""Known answers for evaluator.scoring.stats: scipy, samplics, published examples and hand sums.

Nothing here computes an expected value with the product's own functions: intervals come from
scipy's beta and binomial distributions, variances from samplics (an independent survey
library) or from the formulas written out in the test.
"""

import doctest
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta, binomtest, norm
from scipy.stats import t as student_t

from evaluator.sampling import bounds
from evaluator.scoring import stats
from evaluator.scoring.stats import (
    Stratum,
    clopper_pearson,
    fpc,
    linearised,
    stratified_mean,
    stratified_proportion,
    stratified_share,
    z_value,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # samplics announces it is archived; its estimators still serve
    from samplics.estimation import TaylorEstimator
    from samplics.utils.types import PopParam

DOCS = Path(__file__).resolve().parents[2] / "docs" / "statistics.md"


def kg_by_hand(p, n_fpc, df, level):
    """Korn & Graubard (1998): Clopper–Pearson at n* = n_fpc (z/t_df)², written out with scipy."""
    factor = (norm.ppf(level) / student_t.ppf(level, df)) ** 2 if df else 1.0
    n = n_fpc * factor
    x = p * n
    low = 0.0 if x == 0 else beta.ppf(1 - level, x, n - x + 1)
    high = 1.0 if x == n else beta.ppf(level, x + 1, n - x)
    return low, high


def samplics_variance(strata):
    """The linearised domain variance as samplics computes it (each household its own PSU).

    Values are shifted by +1 for samplics (it divides by the estimate for a coefficient of
    variation, so an estimate of 0 would stop it); the variance does not change.
    """
    y, w, h, dom, fpcs = [], [], [], [], {}
    for name, (population, values, outside) in strata.items():
        m = len(values) + outside
        y += [v + 1.0 for v in values] + [1.0] * outside
        w += [population / m] * m
        h += [name] * m
        dom += ["d"] * len(values) + ["o"] * outside
        fpcs[name] = 1 - m / population
    est = TaylorEstimator(PopParam.mean)
    est.estimate(y=np.array(y, dtype=float), samp_weight=np.array(w), stratum=np.array(h),
                 domain=np.array(dom), fpc=dict(sorted(fpcs.items())), remove_nan=True)
    return float(est.point_est["d"]) - 1.0, float(est.variance["d"])


# -- exact bounds ---------------------------------------------------------------------------------


@given(st.integers(min_value=1, max_value=2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_clopper_pearson_matches_scipy(kn):
    k, n = kn
    expected = binomtest(k, n).proportion_ci(method="exact")
    low, high = clopper_pearson(k, n)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


def test_clopper_pearson_published_example():
    # Clopper & Pearson (1934) / Newcombe (1998) method 5: 0 of 20 -> 0 to 0.1684; 1 of 29 -> 0.0009 to 0.1776.
    assert tuple(round(v, 4) for v in clopper_pearson(0, 20)) == (0.0, 0.1684)
    assert tuple(round(v, 4) for v in clopper_pearson(1, 29)) == (0.0009, 0.1776)


def test_zero_successes_give_the_rule_of_three_bound():
    # One-sided 95 % upper bound at 0 of n is 1 - 0.05^(1/n) (about 3/n).
    for n in (24, 60, 149):
        assert bounds.proportion_bound(0.0, n, 0.95, "upper") == pytest.approx(1 - 0.05 ** (1 / n))
        assert bounds.proportion_bound(0.0, n, 0.95, "lower") == 0.0
        assert bounds.proportion_bound(1.0, n, 0.95, "lower") == pytest.approx(0.05 ** (1 / n))


@settings(max_examples=60)
@given(st.floats(0, 1), st.floats(2, 500), st.sampled_from([None, 3.0, 40.0]), st.floats(0.001, 0.999))
def test_tail_and_bound_agree_at_the_stated_level(p, n, df, value):
    for side in ("upper", "lower"):
        bound = bounds.proportion_bound(p, n, 0.95, side, df)
        tail = bounds.proportion_tail(p, n, value, side, 0.95, df)
        if abs(bound - value) < 1e-9:
            continue
        beyond = bound < value if side == "upper" else bound > value
        assert (tail < 0.05) == beyond



def same_float(a, b):
    """Equal to the last bit, nan equal to nan."""
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_beta_helpers_answer_as_scipy_stats_at_and_beyond_the_support_ends():
    """The helpers call scipy.special themselves; scipy.stats' own answers at q or x = 0 and 1,
    outside [0, 1], at nan and for shapes it refuses (<= 0) are theirs too."""
    edges = (-0.5, 0.0, 1e-300, 0.5, 1 - 1e-16, 1.0, 1.5, math.nan, math.inf, -math.inf)
    for a, b in ((2.0, 3.0), (1.0, 149.0), (0.0, 3.0), (2.0, -1.0), (math.nan, 2.0)):
        for v in edges:
            assert same_float(bounds.beta_quantile(v, a, b), float(beta.ppf(v, a, b))), (v, a, b)
            assert same_float(bounds.beta_cdf(v, a, b), float(beta.cdf(v, a, b))), (v, a, b)
            assert same_float(bounds.beta_sf(v, a, b), float(beta.sf(v, a, b))), (v, a, b)


@settings(max_examples=300)
@given(st.floats(0, 1), st.floats(0.5, 100_000), st.sampled_from([None, 1.0, 3.0, 40.0, 997.0, math.inf]),
       st.sampled_from([0.8, 0.9, 0.95, 0.975, 0.99]), st.floats(0, 1))
def test_bound_and_tail_are_scipy_stats_beta_bit_for_bit(p, n, df, level, value):
    """proportion_bound and proportion_tail no longer import scipy.stats (0.5 s of every score):
    the same numbers as its beta distribution, written out here as they were computed before."""
    factor = 1.0 if df is None or math.isinf(df) else (
        (float(norm.ppf(level)) / float(student_t.ppf(level, df))) ** 2)
    m = n * factor
    x = p * m
    x = 0.0 if x < 1e-12 * m else m if m - x < 1e-12 * m else x
    low = 0.0 if x <= 0.0 else float(beta.ppf(1.0 - level, x, m - x + 1.0))
    high = 1.0 if x >= m else float(beta.ppf(level, x + 1.0, m - x))
    assert bounds.proportion_bound(p, n, level, "lower", df) == low
    assert bounds.proportion_bound(p, n, level, "upper", df) == high
    upper_tail = 1.0 if x >= m else float(beta.sf(value, x + 1.0, m - x))
    lower_tail = 1.0 if x <= 0.0 else float(beta.cdf(value, x, m - x + 1.0))
    assert bounds.proportion_tail(p, n, value, "upper", level, df) == upper_tail
    assert bounds.proportion_tail(p, n, value, "lower", level, df) == lower_tail


# -- one stratum ----------------------------------------------------------------------------------


def test_a_share_within_float_noise_of_0_or_1_is_0_or_1():
    # scipy's beta overflows on a subnormal shape parameter; such a share is 0 (or n) errors
    assert bounds.proportion_bound(5e-324, 5, 0.95, "lower") == 0.0
    assert bounds.proportion_bound(1 - 1e-17, 5, 0.95, "upper") == 1.0
    assert bounds.proportion_tail(5e-324, 5, 0.5, "lower", 0.95) == 1.0


def test_one_stratum_without_fpc_is_korn_graubard_with_n_minus_one_df():
    values = [1] * 27 + [0] * 3
    est = stratified_proportion({"all": Stratum(math.inf, values)})
    assert est.estimate == pytest.approx(0.9)
    assert (est.ci_low, est.ci_high) == pytest.approx(kg_by_hand(0.9, 30, 29, 0.975), abs=1e-12)
    assert est.interval == "korn-graubard" and est.df == 29
    assert est.deff == pytest.approx(1.0)
    # The df adjustment only widens the exact interval.
    cp = binomtest(27, 30).proportion_ci(method="exact")
    assert est.ci_low < cp.low and est.ci_high > cp.high


def test_one_stratum_with_fpc_is_exact_at_n_over_one_minus_f():
    # 30 of 120 households sampled: f = 0.25, the interval is taken at n / (1 - f) = 40.
    values = [1] * 27 + [0] * 3
    est = stratified_proportion({"all": Stratum(120, values)})
    assert (est.ci_low, est.ci_high) == pytest.approx(kg_by_hand(0.9, 40, 29, 0.975), abs=1e-12)
    assert est.variance == pytest.approx(0.75 * 0.9 * 0.1 / 29)
    assert est.fraction == pytest.approx(0.25)


@pytest.mark.parametrize(("k", "n"), [(0, 60), (60, 60), (0, 1), (1, 1), (1, 24)])
def test_intervals_hold_at_zero_one_and_small_n(k, n):
    est = stratified_proportion({"all": Stratum(600, [1] * k + [0] * (n - k))})
    p = k / n
    assert (est.ci_low, est.ci_high) == pytest.approx(
        kg_by_hand(p, n / (1 - n / 600), max(n - 1, 1), 0.975), abs=1e-12)
    assert est.ci_low < est.ci_high  # never a point
    assert est.n_effective == pytest.approx(n)


def test_one_sided_bound_and_p_value():
    est = stratified_proportion({"all": Stratum(1000, [0] * 150)})
    n_fpc = 150 / (1 - 0.15)
    expected = kg_by_hand(0.0, n_fpc, 149, 0.95)[1]
    assert est.bound("upper") == pytest.approx(expected)
    assert est.bound("lower") == 0.0
    # H0 "the share is at least 2 %": rejected at 5 % exactly when the upper bound is below 2 %.
    assert (est.tail(0.02, "upper") < 0.05) == (expected < 0.02)


def test_census_has_no_sampling_error():
    est = stratified_proportion({"A": Stratum(4, [1, 1, 0, 1])})
    assert (est.estimate, est.ci_low, est.ci_high) == (0.75, 0.75, 0.75)
    assert est.interval == "exact"
    assert est.bound("lower") == 0.75 and est.tail(0.8, "upper") == 0.0 and est.tail(0.7, "upper") == 1.0


# -- strata and domains ---------------------------------------------------------------------------


def test_stratified_proportion_by_hand():
    # Township A: N=400, 20 sampled, 18 meet; township B: N=600, 30 sampled, 21 meet.
    strata = {"A": Stratum(400, [1] * 18 + [0] * 2), "B": Stratum(600, [1] * 21 + [0] * 9)}
    est = stratified_proportion(strata)
    p = 0.4 * 0.9 + 0.6 * 0.7
    var = 0.4**2 * (1 - 20 / 400) * 0.9 * 0.1 / 19 + 0.6**2 * (1 - 30 / 600) * 0.7 * 0.3 / 29
    f = 50 / 1000
    deff = var / ((1 - f) * p * (1 - p) / 49)
    n_eff = 50 / max(deff, 1.0)
    assert est.estimate == pytest.approx(0.78)
    assert est.variance == pytest.approx(var)
    assert est.deff == pytest.approx(deff)
    assert est.n_effective == pytest.approx(n_eff)
    assert (est.ci_low, est.ci_high) == pytest.approx(kg_by_hand(p, n_eff / (1 - f), 48, 0.975))
    assert est.df == 48


def test_domain_variance_is_the_linearised_one_samplics_reports():
    # Exit checks apply to some households only: the domain's size per stratum is estimated too.
    strata = {"A": (400, [1] * 5 + [0] * 3, 12), "B": (600, [1] * 14 + [0] * 2, 14), "C": (90, [0, 1], 6)}
    expected_p, expected_v = samplics_variance(strata)
    p, v, n = linearised({k: Stratum(*s) for k, s in strata.items()})
    assert p == pytest.approx(expected_p, rel=1e-12)
    assert v == pytest.approx(expected_v, rel=1e-10)
    assert n == 26
    est = stratified_proportion({k: Stratum(*s) for k, s in strata.items()})
    assert est.variance == pytest.approx(expected_v, rel=1e-10)


@settings(max_examples=40)
@given(st.lists(st.tuples(st.integers(2, 12), st.integers(0, 6), st.integers(0, 1_000)), min_size=1, max_size=4),
       st.randoms(use_true_random=False))
def test_linearised_variance_agrees_with_samplics_on_any_design(shapes, rng):
    strata = {}
    for k, (a, outside, extra) in enumerate(shapes):
        values = [float(rng.random() < 0.6) for _ in range(a)]
        strata[f"S{k}"] = (a + outside + 1 + extra, values, outside)
    expected_p, expected_v = samplics_variance(strata)
    p, v, _ = linearised({k: Stratum(*s) for k, s in strata.items()})
    assert p == pytest.approx(expected_p, rel=1e-9, abs=1e-12)
    assert v == pytest.approx(expected_v, rel=1e-8, abs=1e-15)


def test_domain_weights_strata_by_their_estimated_domain_size():
    # A: 100 households, 10 observed, 2 in the domain; B: 100 households, 10 observed, 8 in it.
    est = stratified_proportion({"A": Stratum(100, [1, 0], 8), "B": Stratum(100, [1] * 8, 2)})
    assert est.estimate == pytest.approx((20 * 0.5 + 80 * 1.0) / 100)
    assert est.fraction == pytest.approx(10 / 100)  # 10 domain units of an estimated 100


def test_design_effect_above_one_widens_the_interval():
    strata = {"A": Stratum(100, [1] * 10 + [0] * 40), "B": Stratum(5000, [1] * 40 + [0] * 10)}
    est = stratified_proportion(strata)
    assert est.deff > 1
    assert est.n_effective == pytest.approx(100 / est.deff)
    srs_low, srs_high = kg_by_hand(est.estimate, 100 / (1 - 100 / 5100), 98, 0.975)
    assert est.ci_high - est.ci_low > srs_high - srs_low


def test_design_effect_below_one_is_truncated_at_one():
    strata = {"A": Stratum(500, [1] * 40), "B": Stratum(1500, [0] * 60)}
    est = stratified_proportion(strata)
    assert est.deff == pytest.approx(0.0)
    assert est.n_effective == pytest.approx(100)
    assert (est.ci_low, est.ci_high) == pytest.approx(kg_by_hand(0.25, 100 / 0.95, 98, 0.975))


def test_a_one_household_stratum_keeps_its_weight_and_borrows_the_pooled_variance():
    strata = {"A": Stratum(50, [3.0]), "B": Stratum(50, [1.0, 3.0, 5.0])}
    est = stratified_mean(strata)
    assert est.estimate == pytest.approx(0.5 * 3.0 + 0.5 * 3.0)
    pooled = 4.0  # s² of B, the only stratum with a variance
    expected = 0.25 * (1 - 1 / 50) * pooled / 1 + 0.25 * (1 - 3 / 50) * pooled / 3
    assert est.variance == pytest.approx(expected)
    # a lone stratum whose value differs moves the estimate by its full weight
    moved = stratified_mean({"A": Stratum(50, [9.0]), "B": Stratum(50, [1.0, 3.0, 5.0])})
    assert moved.estimate == pytest.approx(0.5 * 9.0 + 0.5 * 3.0)


def test_stratified_mean_by_hand():
    strata = {"A": Stratum(200, [4, 5, 3, 4]), "B": Stratum(300, [2, 3, 4, 3, 3])}
    est = stratified_mean(strata)
    s2_a = sum((v - 4.0) ** 2 for v in [4, 5, 3, 4]) / 3
    s2_b = sum((v - 3.0) ** 2 for v in [2, 3, 4, 3, 3]) / 4
    var = 0.4**2 * (1 - 4 / 200) * s2_a / 4 + 0.6**2 * (1 - 5 / 300) * s2_b / 5
    half = student_t.ppf(0.975, 7) * math.sqrt(var)
    assert est.estimate == pytest.approx(3.4)
    assert est.variance == pytest.approx(var)
    assert est.df == 7
    assert (est.ci_low, est.ci_high) == pytest.approx((3.4 - half, 3.4 + half))
    assert est.bound("upper") == pytest.approx(3.4 + student_t.ppf(0.95, 7) * math.sqrt(var))
    assert est.tail(3.0, "lower") == pytest.approx(student_t.sf((3.4 - 3.0) / math.sqrt(var), 7))


def test_mean_of_one_unit_has_no_interval():
    est = stratified_mean({"A": Stratum(50, [3.0])})
    assert est.estimate == 3.0
    assert est.ci_low is None and est.ci_high is None and est.bound("lower") is None


# -- shares (checklists, completeness) ------------------------------------------------------------


def test_a_share_where_every_unit_passes_gets_a_real_interval_not_a_point():
    est = stratified_share({"A": Stratum(600, [1.0] * 60)})
    assert est.estimate == 1.0 and est.ci_high == 1.0
    # each file counts as one yes/no trial at most: the exact lower bound on 60 of 60 (FPC, df)
    assert est.ci_low == pytest.approx(kg_by_hand(1.0, 60 / 0.9, 59, 0.975)[0])
    assert est.ci_low < 0.96


def test_share_lower_clip_is_never_needed_and_never_below_zero():
    est = stratified_share({"A": Stratum(1000, [0.0, 0.0, 0.1, 0.0])})
    assert 0.0 <= est.ci_low <= est.estimate <= est.ci_high <= 1.0


def test_share_interval_is_never_narrower_than_a_proportions_on_the_same_units():
    shares = [1.0, 0.9, 0.95, 1.0, 0.8] * 10
    est = stratified_share({"A": Stratum(500, shares)})
    assert est.n_effective == pytest.approx(50)  # deff against p(1-p) is below 1: truncated
    assert (est.ci_low, est.ci_high) == pytest.approx(kg_by_hand(est.estimate, 50 / 0.9, 49, 0.975))


def test_no_data_gives_no_estimate():
    est = stratified_proportion({"A": Stratum(10, [], 3)})
    assert est.estimate is None and est.n == 0 and est.bound("upper") is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: clopper_pearson(3, 2), "successes"),
        (lambda: fpc(11, 10), "exceeds"),
        (lambda: z_value(1.5), "confidence"),
        (lambda: stratified_proportion({"A": Stratum(10, [0.5])}), "0/1"),
        (lambda: stratified_proportion({"A": Stratum(0, [1])}), "positive"),
        (lambda: stratified_proportion({"A": Stratum(2, [1, 1], 1)}), "observed"),
        (lambda: stratified_proportion({"A": Stratum(2, [1], -1)}), "count"),
        (lambda: stratified_proportion({"A": Stratum(math.inf, [1]), "B": Stratum(5, [1])}), "infinite"),
        (lambda: stratified_mean({"A": Stratum(10, [float("nan")])}), "finite"),
        (lambda: stratified_share({"A": Stratum(10, [2.0])}), "outside"),
        (lambda: bounds.proportion_bound(0.5, 10, 0.95, "middle"), "side"),
        (lambda: bounds.proportion_bound(0.5, 0, 0.95, "upper"), "positive"),
    ],
)
def test_bad_input_is_refused_with_a_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_z_value_is_the_normal_quantile():
    assert z_value(0.95) == pytest.approx(1.959963984540054)


def test_module_doctests_pass():
    for module in (stats, bounds):
        result = doctest.testmod(module, raise_on_error=False)
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


def test_beta_and_t_helpers_are_scipy_stats_bit_for_bit():
    for a, b in ((1.0, 149.0), (0.37, 60.2), (3.5, 110.4), (59.9, 1.0), (150.0, 2.5)):
        for q in (0.025, 0.05, 0.5, 0.95, 0.975):
            assert bounds.beta_quantile(q, a, b) == float(beta.ppf(q, a, b)), (q, a, b)
        for x in (0.001, 0.02, 0.5, 0.98):
            assert bounds.beta_cdf(x, a, b) == float(beta.cdf(x, a, b)), (x, a, b)
            assert bounds.beta_sf(x, a, b) == float(beta.sf(x, a, b)), (x, a, b)
    for df in (1, 4, 29, 398):
        for x in (-3.0, -0.5, 0.0, 1.7):
            assert bounds.t_cdf(x, df) == float(student_t.cdf(x, df))


def test_the_ufuncs_loaded_before_scipy_special_are_scipy_specials_own():
    """In a fresh process (as ``evaluator score`` runs), bounds loads scipy.special's compiled
    ufuncs without the package's 0.3 s __init__; scipy.special and scipy.stats imported after
    it work, export those very ufunc objects, and give the same numbers to the last bit."""
    import subprocess
    import sys

    program = """
import sys
from evaluator.sampling import bounds
before = (bounds.normal_quantile(0.975), bounds.t_quantile(0.95, 7), bounds.t_cdf(1.7, 29),
          bounds.beta_quantile(0.05, 3.5, 110.4), bounds.beta_cdf(0.02, 0.37, 60.2),
          bounds.beta_sf(0.5, 59.9, 1.0))
assert "scipy.special" not in sys.modules and "scipy.special._ufuncs" in sys.modules
assert "scipy.special._support_alternative_backends" not in sys.modules
import scipy.special
from scipy.stats import beta, norm, t
for name in ("ndtri", "stdtrit", "stdtr", "betaincinv", "betainc", "betaincc"):
    assert getattr(scipy.special, name) is getattr(bounds._ufuncs(), name), name
after = (float(norm.ppf(0.975)), float(t.ppf(0.95, 7)), float(t.cdf(1.7, 29)),
         float(beta.ppf(0.05, 3.5, 110.4)), float(beta.cdf(0.02, 0.37, 60.2)),
         float(beta.sf(0.5, 59.9, 1.0)))
assert before == after, (before, after)
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
