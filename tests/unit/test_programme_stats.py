"""Programme statistics against independent computations: pooled estimates by hand (Cochran's
stratified formulas in numpy) and samplics, the bootstrap's variance against the analytic one,
Holm, the pairwise and look-back z tests against scipy; every comparison at its boundary.
Nothing here calls the product to compute an expected value."""

from __future__ import annotations

import math
import warnings
from functools import cache

import numpy as np
import pytest
from scipy.stats import norm

from evaluator.scoring.designs import IndicatorDesign, StratumDesign
from evaluator.scoring.lookback import change_test, look_back
from evaluator.scoring.pooled import UnitScore, pool, pooled_estimate, pooled_json
from evaluator.scoring.ranking import (
    bootstrap_factors,
    holm,
    pair_p_value,
    rank,
    replicate_estimates,
)


def design(code, kind, strata):
    """strata: name -> (N_h, values, outside count); ids made up per unit and stratum."""
    return IndicatorDesign(code, kind, {
        name: StratumDesign(float(n), tuple(f"{name}-{i}" for i in range(len(values))),
                            tuple(float(v) for v in values),
                            tuple(f"{name}-o{i}" for i in range(outside)))
        for name, (n, values, outside) in strata.items()})


UNIT_A = {"a1": (400, [1, 1, 0, 1, 1, 1, 0, 1, 1, 1], 0), "a2": (100, [1, 0, 0, 1, 1, 0], 0)}
UNIT_B = {"b1": (2500, [1, 1, 1, 1, 0, 1, 1, 1], 0), "b2": (900, [0, 1, 1, 1, 1], 0),
          "b3": (60, [1, 1, 0, 1], 0)}


def cochran(strata):
    """Σ W_h ȳ_h and Σ W_h² (1 - f_h) s_h² / n_h over every unit's strata (Cochran 5.1, 5.6)."""
    total = sum(n for n, _, _ in strata)
    estimate = sum(n / total * np.mean(v) for n, v, _ in strata)
    variance = sum((n / total) ** 2 * (1 - len(v) / n) * np.var(v, ddof=1) / len(v)
                   for n, v, _ in strata)
    return estimate, variance


def test_pooled_proportion_is_the_stratified_estimate_over_every_units_strata():
    est = pooled_estimate([("A", design("X", "proportion", UNIT_A)),
                           ("B", design("X", "proportion", UNIT_B))])
    expected, variance = cochran([*UNIT_A.values(), *UNIT_B.values()])
    assert est.estimate == pytest.approx(expected, abs=1e-12)
    assert est.variance == pytest.approx(variance, rel=1e-12)
    assert est.n == 33
    # Units weigh by their frames, not by their samples: B's 3,460 households outweigh A's 500.
    mean_a = (400 * 0.8 + 100 * 0.5) / 500
    mean_b = (2500 * 7 / 8 + 900 * 0.8 + 60 * 0.75) / 3460
    assert expected == pytest.approx((500 * mean_a + 3460 * mean_b) / 3960)
    assert abs(est.estimate - (mean_a + mean_b) / 2) > 0.01


def test_pooled_mean_by_hand():
    a = {"a1": (300, [3.0, 4.5, 5.0, 2.0], 0), "a2": (150, [4.0, 4.0, 3.5], 0)}
    b = {"b1": (800, [2.5, 3.0, 5.0, 4.0, 4.5], 0)}
    est = pooled_estimate([("A", design("M", "mean", a)), ("B", design("M", "mean", b))])
    expected, variance = cochran([*a.values(), *b.values()])
    assert est.estimate == pytest.approx(expected, abs=1e-12)
    assert est.variance == pytest.approx(variance, rel=1e-12)


def test_units_estimated_differently_cannot_be_pooled():
    with pytest.raises(ValueError, match="proportion, share"):
        pooled_estimate([("A", design("X", "proportion", UNIT_A)),
                         ("B", design("X", "share", UNIT_B))])


def test_pooled_domain_estimate_against_samplics():
    """An indicator that applies to some households only (a domain): samplics' Taylor
    linearisation of the domain mean with FPC, units' strata as strata."""
    samplics = pytest.importorskip("samplics")
    if not hasattr(__import__("evaluator.scoring.stats", fromlist=["x"]), "linearised"):
        pytest.skip("the linearised domain variance arrives with issue 13's estimators")
    del samplics
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam
    a = {"a1": (400, [1, 1, 0, 1, 1], 3), "a2": (120, [1, 0, 1], 2)}
    b = {"b1": (2000, [1, 1, 1, 0, 1, 1], 4), "b2": (700, [0, 1, 1, 1], 1)}
    est = pooled_estimate([("A", design("D", "proportion", a)), ("B", design("D", "proportion", b))])
    y, w, h, dom, fpc = [], [], [], [], {}
    for name, (n, values, outside) in {**a, **b}.items():
        m = len(values) + outside
        y += [v + 1.0 for v in values] + [1.0] * outside
        w += [n / m] * m
        h += [name] * m
        dom += ["d"] * len(values) + ["o"] * outside
        fpc[name] = 1 - m / n
    taylor = TaylorEstimator(PopParam.mean)
    taylor.estimate(y=np.array(y), samp_weight=np.array(w), stratum=np.array(h),
                    domain=np.array(dom), fpc=dict(sorted(fpc.items())), remove_nan=True)
    assert est.estimate == pytest.approx(float(taylor.point_est["d"]) - 1.0, abs=1e-12)
    assert est.variance == pytest.approx(float(taylor.variance["d"]), rel=1e-9)


def test_bootstrap_variance_matches_the_analytic_variance():
    """The rescaled bootstrap (Rao-Wu-Yue) reproduces Cochran's stratified variance with FPC
    within its Monte Carlo error (4,000 replicates: about ±5 %)."""
    rng = np.random.default_rng(3)
    strata = {f"s{k}": (int(n), list(rng.integers(0, 2, size=m)), 0)
              for k, (n, m) in enumerate([(500, 30), (200, 25), (80, 40), (1500, 20)])}
    d = design("X", "proportion", strata)
    factors = bootstrap_factors("unit", [d], 4000, 11)
    replicated = replicate_estimates(d, factors)
    _, analytic = cochran(list(strata.values()))
    assert np.var(replicated, ddof=1) == pytest.approx(analytic, rel=0.08)
    assert np.mean(replicated) == pytest.approx(d.estimate().estimate, abs=3 * math.sqrt(analytic / 4000) + 1e-9)


def test_a_census_stratum_adds_no_bootstrap_variance():
    d = design("X", "proportion", {"all": (6, [1, 0, 1, 1, 0, 1], 0)})
    replicated = replicate_estimates(d, bootstrap_factors("u", [d], 500, 1))
    assert np.all(replicated == pytest.approx(4 / 6))


def test_holm_at_its_boundaries():
    # m = 3, alpha = 0.05: thresholds 0.05/3, 0.05/2, 0.05
    assert holm([0.01, 0.02, 0.04], 0.05) == [True, True, True]
    assert holm([0.05 / 3, 0.5, 0.6], 0.05) == [False, False, False]  # at the bound: kept
    assert holm([0.05 / 3 * (1 - 1e-12), 0.5, 0.6], 0.05) == [True, False, False]
    assert holm([0.001, 0.026, 0.04], 0.05) == [True, False, False]  # stops at the first kept
    assert holm([0.001, 0.2, 0.01], 0.05) == [True, False, True]
    assert holm([], 0.05) == []


def test_pair_p_value_against_scipy():
    for a, va, b, vb in ((80.0, 4.0, 74.0, 5.0), (61.2, 0.7, 61.9, 2.2), (70.0, 1.0, 70.0, 1.0)):
        z = abs(a - b) / math.sqrt(va + vb)
        assert pair_p_value(a, va, b, vb) == pytest.approx(2 * norm.sf(z), rel=1e-12)
    assert pair_p_value(70.0, 0.0, 69.0, 0.0) == 0.0  # two censuses differ for certain
    assert pair_p_value(70.0, 0.0, 70.0, 0.0) == 1.0


def test_change_test_against_scipy_and_at_the_boundary():
    d, low, high, p = change_test(0.80, 0.0004, 0.86, 0.0005)
    se = math.sqrt(0.0009)
    assert d == pytest.approx(0.06)
    assert p == pytest.approx(2 * norm.sf(0.06 / se), rel=1e-12)
    assert (low, high) == pytest.approx((0.06 - norm.ppf(0.975) * se, 0.06 + norm.ppf(0.975) * se))
    # exactly at the two-sided 5 % boundary: |z| = 1.959963984540054
    z = norm.ppf(0.975)
    _, low, _, p = change_test(0.5, 0.0001, 0.5 + z * math.sqrt(0.0002), 0.0001)
    assert p == pytest.approx(0.05, rel=1e-9)
    assert low == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        change_test(0.5, -1.0, 0.6, 0.1)


# -- whole units, from synthetic bundles -----------------------------------------------------------


@cache
def scored(seed: int, households: int, **rates):
    from evaluator.bundle.commands import shipped_rubric
    from evaluator.bundle.demo import demo_files
    from evaluator.bundle.demo_population import ErrorRates
    from evaluator.bundle.reader import build_bundle, shipped_surveys
    from evaluator.scoring import from_bundle
    from evaluator.scoring.pooled import score_with_designs

    surveys = shipped_surveys()
    files = demo_files(households, seed, ErrorRates(**rates), surveys=surveys)
    bundle, problems = build_bundle(files, surveys)
    assert bundle is not None, problems
    rubric = shipped_rubric(bundle.meta.rubric, surveys)
    sheet, designs = score_with_designs(rubric, from_bundle(bundle))
    return rubric, sheet, designs


def unit(key, seed, households=600, **rates):
    rubric, sheet, designs = scored(seed, households, **rates)
    return rubric, UnitScore(key, f"单位{key}", sheet, designs)


def test_designs_give_back_every_estimate_of_the_sheet():
    _, sheet, designs = scored(5, 600)
    assert designs  # every estimated indicator kept its design
    for code, d in designs.items():
        again = d.estimate(sheet.confidence)
        result = sheet.indicator(code)
        assert (again.estimate, again.ci_low, again.ci_high) == (result.estimate, result.ci_low,
                                                                 result.ci_high), code
        assert IndicatorDesign.from_dict(d.to_dict()) == d


def test_pooled_sheet_of_units_and_its_json():
    rubric, a = unit("A", 5)
    _, b = unit("B", 6, households=1500)
    sheet = pool(rubric, [b, a])
    assert sheet.units == 2 and sheet.unit_keys == ("A", "B")
    assert sheet.frame == 2100
    for ind in sheet.indicators:
        if ind.pooling == "design":
            expected = pooled_estimate([("A", a.designs[ind.code]), ("B", b.designs[ind.code])])
            assert ind.estimate == expected.estimate
            assert ind.verdict in ("meets", "fails", "indeterminate", "insufficient")
        assert sum(ind.unit_verdicts.values()) == 2
    assert pooled_json(sheet) == pooled_json(pool(rubric, [a, b]))  # order does not matter
    with pytest.raises(ValueError, match="more than once"):
        pool(rubric, [a, a])


def test_ranking_tells_apart_only_what_the_data_can():
    rubric, good = unit("good", 5)
    _, twin = unit("twin", 5)  # the same data under another name: never told apart
    _, bad = unit("bad", 7, wrong_exit=0.4, paper_exit=0.2, wrong_registration=0.3,
                  amount_mismatch=0.4, dissatisfied=0.4, cause_mismatch=0.5)
    ranking = rank(rubric, [bad, twin, good], replicates=800)
    by_key = {u.key: u for u in ranking.units}
    assert by_key["good"].total == by_key["twin"].total
    assert "twin" not in by_key["good"].lower and "good" not in by_key["twin"].lower
    assert by_key["bad"].total < by_key["good"].total
    assert set(by_key["bad"].higher) == {"good", "twin"}
    assert by_key["bad"].tier == 2 and by_key["good"].tier == by_key["twin"].tier == 1
    assert (by_key["bad"].best_rank, by_key["bad"].worst_rank) == (3, 3)
    assert (by_key["good"].best_rank, by_key["good"].worst_rank) == (1, 2)
    for u in ranking.units:
        assert u.ci_low <= u.total <= u.ci_high
    assert ranking.pairs == 3 and ranking.distinguished == 2
    again = rank(rubric, [good, twin, bad], replicates=800)
    assert again.to_dict() == ranking.to_dict()


def test_look_back_marks_only_changes_beyond_noise():
    _, before = unit("last", 5)
    _, after = unit("this", 7, wrong_exit=0.4, paper_exit=0.2, dissatisfied=0.4, amount_mismatch=0.4)
    change = look_back((after.sheet, after.designs), (before.sheet, before.designs), "last")
    same = look_back((before.sheet, before.designs), (before.sheet, before.designs), "last")
    assert same.beyond_noise == 0 and same.tested > 0
    assert all(c.difference in (None, 0.0) for c in same.changes)
    outcome = {c.code: c for c in change.changes}
    assert any(c.beyond_noise for c in change.changes)
    for c in change.changes:
        if c.beyond_noise:
            assert c.ci_low > 0 or c.ci_high < 0
        if c.p_value is not None and c.p_value >= 0.05:
            assert not c.beyond_noise
    assert outcome  # every current indicator is listed
