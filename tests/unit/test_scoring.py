"""The scoring engine: known answers computed by hand, every method, verdicts and drill-down."""

import json
import math

import pytest
from scipy.stats import beta, norm
from scipy.stats import t as student_t

from evaluator.rubrics.definition import rubric_from_data
from evaluator.scoring import SampleUnit, score, scoring_data
from evaluator.scoring import units as units_module
from evaluator.scoring.decision import first_verdict, holm

BANDS = [
    {"grade": "优秀", "en": "Excellent", "min": 90},
    {"grade": "良好", "en": "Good", "min": 80},
    {"grade": "合格", "en": "Pass", "min": 60},
    {"grade": "不合格", "en": "Fail", "min": 0},
]


def make_rubric(*indicators, bands=BANDS, scale_to=100, **top):
    """A valid rubric holding ``indicators`` in one dimension, padded with a deduction to 100."""
    items = [dict(i) for i in indicators]
    used = sum(i["points"] for i in items)
    if used < scale_to:
        items.append({"code": "PAD", "name": {"zh": "补足"}, "why": {"zh": "补足总分"}, "points": scale_to - used,
                      "method": "deduction", "per_severity": {"minor": 1, "major": 2, "critical": 5}})
    for item in items:
        item.setdefault("name", {"zh": item["code"]})
        item.setdefault("why", {"zh": "测试"})
    data = {
        "id": "test", "version": "1", "title": {"zh": "测试指标体系", "en": "Test rubric"}, "total": scale_to,
        "bands": bands,
        "sources": {"household": "household", "file_check": "file_check", "system": "system"},
        "dimensions": [{"code": "dim", "name": {"zh": "维度", "en": "Dimension"}, "points": scale_to,
                        "indicators": items}],
        **top,
    }
    return rubric_from_data(data, "test.yaml")


def roster(**strata):
    """roster(A=40, B=60): households A01.., B01.. in strata A and B."""
    return [{"household_id": f"{name}{i:02d}", "stratum": name, "local_standard": "10000"}
            for name, size in strata.items() for i in range(1, size + 1)]


RATE = {"code": "R1", "points": 10, "source": "household", "method": "rate",
        "applies": "${consent} = 'yes'", "condition": "${ok} = 'yes'",
        "direction": "higher", "target": 0.9, "floor": 0.5, "min_n": 5}


def korn_graubard(p, n_fpc, df, level=0.975):
    """Exact beta bounds at n* = n_fpc (z/t_df)^2, written out with scipy."""
    n = n_fpc * (norm.ppf(level) / student_t.ppf(level, df)) ** 2
    x = p * n
    return (0.0 if x == 0 else beta.ppf(1 - level, x, n - x + 1),
            1.0 if x == n else beta.ppf(level, x + 1, n - x))


def domain_variance(strata, estimate):
    """Linearised domain variance by hand: strata = {name: (N_h, domain values, units outside)}."""
    total_w = sum(big_n / (len(v) + out) * len(v) for big_n, v, out in strata.values())
    v = 0.0
    for big_n, values, out in strata.values():
        m = len(values) + out
        u = [y - estimate for y in values] + [0.0] * out
        mean_u = sum(u) / m
        s2 = sum((x - mean_u) ** 2 for x in u) / (m - 1)
        v += big_n**2 * (1 - m / big_n) * s2 / m
    return v / total_w**2


def test_stratified_rate_by_hand():
    records = (
        [{"household_id": f"A{i:02d}", "consent": "yes", "ok": "yes" if i <= 7 else "no"} for i in range(1, 10)]
        + [{"household_id": "A10", "consent": "no", "ok": ""}]
        + [{"household_id": f"B{i:02d}", "consent": "yes", "ok": "yes" if i <= 5 else "no"} for i in range(1, 11)]
        + [{"household_id": f"B{i:02d}", "consent": "no", "ok": "yes"} for i in (11, 12)]
    )
    sample = [SampleUnit(r["household_id"], r["household_id"][0]) for r in records] + [SampleUnit("A11", "A")]
    sheet = score(make_rubric(RATE), scoring_data(roster=roster(A=40, B=60), sources={"household": records}, sample=sample))
    r1 = sheet.indicator("R1")

    # Domain sizes: A has 9 of 10 sampled applicable -> 36 of 40; B 10 of 12 -> 50 of 60.
    w_a, w_b = 36 / 86, 50 / 86
    p_a, p_b = 7 / 9, 5 / 10
    p = w_a * p_a + w_b * p_b
    assert p == pytest.approx(53 / 86)
    var = domain_variance({"A": (40, [1] * 7 + [0] * 2, 1), "B": (60, [1] * 5 + [0] * 5, 2)}, p)
    f = 19 / 86
    var_srs = (1 - f) * p * (1 - p) / 18
    deff = var / var_srs
    low, high = korn_graubard(p, 19 / max(deff, 1) / (1 - f), 17)

    assert r1.estimate == pytest.approx(p)
    assert (r1.ci_low, r1.ci_high) == pytest.approx((low, high))
    assert r1.deff == pytest.approx(deff)
    assert (r1.n, r1.not_applicable, r1.missing) == (19, 3, 1)  # A11 was drawn but has no record
    assert r1.points == pytest.approx(10 * (p - 0.5) / 0.4)
    assert r1.verdict == "fails"  # the interval lies below the 0.9 target
    upper = korn_graubard(p, 19 / max(deff, 1) / (1 - f), 17, level=0.95)[1]
    assert r1.bound == pytest.approx(korn_graubard(p, 19 / max(deff, 1) / (1 - f), 17, level=0.95)[0])
    assert upper < 0.9 and r1.p_value < 0.05
    assert r1.by_stratum["A"].estimate == pytest.approx(7 / 9)
    assert r1.by_stratum["B"].n == 10
    # drill-down: applicable households where the condition is false
    assert r1.failed_units == ("A08", "A09", "B06", "B07", "B08", "B09", "B10")


@pytest.mark.parametrize(
    ("direction", "threshold", "bound", "n", "expected"),
    [
        ("higher", 0.9, 0.91, 50, "meets"),
        ("higher", 0.9, 0.9, 50, "meets"),  # a bound exactly at the threshold meets it
        ("higher", 0.9, 0.8999999, 50, "indeterminate"),
        ("lower", 0.02, 0.019, 50, "meets"),
        ("lower", 0.02, 0.02, 50, "meets"),
        ("lower", 0.02, 0.0200001, 50, "indeterminate"),
        ("higher", 0.9, 0.99, 5, "meets"),  # n == min_n is enough
        ("higher", 0.9, 0.99, 4, "insufficient"),  # one fewer is not
        ("higher", None, 0.99, 50, "indeterminate"),
    ],
)
def test_first_verdict_against_threshold(direction, threshold, bound, n, expected):
    assert first_verdict(direction, threshold, bound, n, 5, 0.5) == expected


def test_holm_step_down_at_its_boundaries():
    # m = 3: the smallest p must be below 0.05/3, the next below 0.05/2, the last below 0.05.
    assert holm({"A": 0.01, "B": 0.02, "C": 0.04}, 0.05) == {"A", "B", "C"}
    assert holm({"A": 0.05 / 3, "B": 0.5, "C": 0.5}, 0.05) == frozenset()  # equal to the bar: kept
    assert holm({"A": 0.05 / 3 * 0.999, "B": 0.5, "C": 0.5}, 0.05) == {"A"}
    assert holm({"A": 0.03, "B": 0.04, "C": 0.001}, 0.05) == {"C"}  # 0.03 is not below 0.05/2
    assert holm({"A": 0.001, "B": 0.051, "C": 0.001}, 0.05) == {"A", "C"}
    assert holm({}, 0.05) == frozenset()


def test_a_fails_that_one_test_alone_would_give_is_not_given_among_many():
    # R2 is just below its target: alone, p is between 0.025 and 0.05, so it fails at 5 %.
    # Beside R1 (which clearly meets, large p), Holm asks R2's p to be below 0.05 / 2.
    fine = dict(RATE, code="R1", condition="${ok} = 'yes'", target=0.5, floor=0.2)
    near = dict(RATE, code="R2", condition="${near} = 'yes'", target=0.8, floor=0.3)
    records = [{"household_id": f"A{i:02d}", "consent": "yes", "ok": "yes",
                "near": "yes" if i <= 72 else "no"} for i in range(1, 101)]
    data = scoring_data(roster=roster(A=100000), sources={"household": records})
    alone = score(make_rubric(near), data).indicator("R2")
    both = score(make_rubric(fine, near), data)
    assert 0.025 < alone.p_value < 0.05 and alone.verdict == "fails"
    assert both.indicator("R1").verdict == "meets" and both.indicator("R1").p_value > 0.5
    assert both.indicator("R2").verdict == "indeterminate"
    assert both.multiplicity["verdicts"] == 2 and both.multiplicity["holm"] == pytest.approx(0.05)
    assert both.multiplicity["uncorrected"] == pytest.approx(1 - 0.95**2)
    assert both.multiplicity["family"] == ["R1", "R2"]


def test_lower_direction_error_rate_with_steps():
    wrong = {"code": "O1", "points": 8, "source": "household", "method": "rate",
             "condition": "${income} < ${local_standard}", "direction": "lower",
             "steps": [{"at": 0.02, "points": 8}, {"at": 0.05, "points": 4}], "min_n": 10}
    records = [{"household_id": f"A{i:02d}", "income": "5000" if i <= 3 else "20000"} for i in range(1, 51)]
    sheet = score(make_rubric(wrong), scoring_data(roster=roster(A=50), sources={"household": records}))
    o1 = sheet.indicator("O1")
    assert o1.estimate == pytest.approx(0.06)
    assert o1.ci_low == o1.ci_high == pytest.approx(0.06)  # all 50 households visited: a census
    assert o1.points == 0.0  # 6 % is worse than the last step (5 %)
    assert o1.verdict == "fails"
    assert o1.target == 0.02
    assert o1.failed_units == ("A01", "A02", "A03")  # the 错退 cases


def test_mean_with_t_interval():
    visits = {"code": "M2", "points": 4, "source": "household", "method": "mean", "value": "${visits}",
              "direction": "higher", "target": 4, "floor": 1, "min_n": 3}
    values = [2, 4, 6, 4, "", 3]
    records = [{"household_id": f"A{i:02d}", "visits": str(v)} for i, v in enumerate(values, start=1)]
    sheet = score(make_rubric(visits), scoring_data(roster=roster(A=1000), sources={"household": records}))
    m2 = sheet.indicator("M2")
    got = [2, 4, 6, 4, 3]
    mean = sum(got) / 5
    s2 = sum((v - mean) ** 2 for v in got) / 4
    assert m2.estimate == pytest.approx(mean)
    assert m2.missing == 1 and m2.n == 5
    # the blank unit is missing, not observed: f = 5 / 1000
    half = student_t.ppf(0.975, 4) * math.sqrt((1 - 5 / 1000) * s2 / 5)
    assert (m2.ci_low, m2.ci_high) == pytest.approx((mean - half, mean + half))
    assert m2.points == pytest.approx(4 * (mean - 1) / 3)
    assert m2.failed_units == ("A01", "A06")  # below the target of 4 visits


def test_checklist_and_completeness_average_per_unit_shares():
    files = {"code": "C1", "points": 6, "source": "file_check", "method": "checklist",
             "items": ["a", "b", "c"], "pass": "yes", "na": "na",
             "direction": "higher", "target": 0.95, "floor": 0.7, "min_n": 1}
    filled = {"code": "C2", "points": 4, "source": "system", "method": "completeness", "fields": ["x", "y"],
              "direction": "higher", "target": 0.98, "floor": 0.8, "min_n": 1}
    checks = [
        {"household_id": "A01", "a": "yes", "b": "yes", "c": "yes"},  # 1
        {"household_id": "A02", "a": "yes", "b": "no", "c": "na"},  # 1/2
        {"household_id": "A03", "a": "na", "b": "na", "c": ""},  # nothing applies
        {"household_id": "A04", "a": "no", "b": "yes", "c": "yes"},  # 2/3
    ]
    system = [{"household_id": "A01", "x": "1", "y": ""}, {"household_id": "A02", "x": "1", "y": "2"}]
    sheet = score(make_rubric(files, filled),
                  scoring_data(roster=roster(A=100), sources={"file_check": checks, "system": system}))
    c1, c2 = sheet.indicator("C1"), sheet.indicator("C2")
    assert c1.estimate == pytest.approx((1 + 0.5 + 2 / 3) / 3)
    assert (c1.n, c1.not_applicable) == (3, 1)
    assert c1.failed_units == ("A02", "A04")
    assert c2.estimate == pytest.approx(0.75)
    assert c2.failed_units == ("A01",)
    assert 0.0 <= c1.ci_low <= c1.estimate <= c1.ci_high <= 1.0


def test_consistency_number_text_sets_and_missing_policy():
    amount = {"code": "F1", "points": 6, "source": "household", "method": "consistency",
              "value": "${amount}", "right": {"source": "system", "value": "${aid_total}"},
              "compare": "number", "tolerance": {"absolute": 200, "relative": 0.1}, "missing": "disagree",
              "direction": "higher", "target": 0.9, "floor": 0.6, "min_n": 1}
    causes = {"code": "N1", "points": 6, "source": "household", "method": "consistency",
              "value": "${cause}", "right": {"source": "file_check", "value": "${file_cause}"},
              "compare": "set_overlap", "missing": "skip",
              "direction": "higher", "target": 0.9, "floor": 0.6, "min_n": 1}
    status = {"code": "D3", "points": 3, "source": "file_check", "method": "consistency",
              "value": "${s}", "right": {"source": "system", "value": "${status}"},
              "compare": "text", "missing": "skip", "direction": "higher", "target": 0.9, "floor": 0.6, "min_n": 1}
    household = [
        {"household_id": "A01", "amount": "1000", "cause": "illness low_wage"},
        {"household_id": "A02", "amount": "1150", "cause": "accident"},  # within 200 of 1000
        {"household_id": "A03", "amount": "5000", "cause": ""},  # 10 % of 4000 is 400: disagrees
        {"household_id": "A04", "amount": "100", "cause": "illness"},  # no system row: disagrees
    ]
    system = [
        {"household_id": "A01", "aid_total": "1000", "status": "在档"},
        {"household_id": "A02", "aid_total": "1000", "status": "已脱困"},
        {"household_id": "A03", "aid_total": "4000", "status": "在档"},
    ]
    file_check = [
        {"household_id": "A01", "file_cause": "low_wage", "s": "在档"},
        {"household_id": "A02", "file_cause": "illness", "s": "在档"},
        {"household_id": "A03", "file_cause": "illness", "s": "在档"},
    ]
    sheet = score(make_rubric(amount, causes, status),
                  scoring_data(roster=roster(A=50), sources={"household": household, "system": system,
                                                             "file_check": file_check}))
    f1, n1, d3 = sheet.indicator("F1"), sheet.indicator("N1"), sheet.indicator("D3")
    assert (f1.estimate, f1.n, f1.missing) == (0.5, 4, 0)
    assert f1.failed_units == ("A03", "A04")
    # A03 has no cause (skipped), A04 has no file: two compared, one overlaps
    assert (n1.estimate, n1.n, n1.missing) == (0.5, 2, 2)
    assert n1.failed_units == ("A02",)
    assert d3.estimate == pytest.approx(2 / 3) and d3.failed_units == ("A02",)


def test_deduction_judgement_and_vetoes():
    judged = {"code": "J1", "points": 10, "method": "judgement", "scale": 10, "max_spread": 3, "min_n": 2}
    deducted = {"code": "D1", "points": 5, "method": "deduction", "per_severity": {"minor": 1, "major": 2, "critical": 5}}
    findings_veto = {"code": "V1", "points": 0, "method": "veto", "findings": {"severity": "critical", "indicators": ["D1"]},
                     "cap": "不合格"}
    rubric = make_rubric(judged, deducted, findings_veto)
    base = dict(roster=roster(A=10), sources={})
    clean = score(rubric, scoring_data(**base, judgements=[
        {"indicator": "J1", "evaluator": "甲", "score": 8, "reason": "好"},
        {"indicator": "J1", "evaluator": "乙", "score": "9", "reason": "好"},
    ], findings=[{"indicator": "D1", "severity": "minor", "household_id": "A02"}]))
    j1, d1 = clean.indicator("J1"), clean.indicator("D1")
    assert j1.estimate == 8.5 and j1.points == pytest.approx(8.5) and j1.verdict == "meets"
    assert j1.ci_low is None and j1.ci_high is None
    assert d1.points == 4.0 and d1.failed_units == ("A02",) and d1.verdict == "meets"
    assert clean.veto == () and clean.total == pytest.approx(8.5 + 4 + 85)

    messy = score(rubric, scoring_data(**base, judgements=[
        {"indicator": "J1", "evaluator": "甲", "score": 9, "reason": "好"},
        {"indicator": "J1", "evaluator": "乙", "score": 4, "reason": "差"},
    ], findings=[{"indicator": "D1", "severity": "critical", "household_id": "A03"},
                 {"indicator": "D1", "severity": "major"}]))
    j1, d1 = messy.indicator("J1"), messy.indicator("D1")
    assert "spread" in j1.flags and j1.verdict == "indeterminate"
    assert d1.points == 0.0 and d1.verdict == "fails"  # 5 + 2 deducted from 5: never below 0
    assert [v.code for v in messy.veto] == ["V1"]
    assert messy.total == pytest.approx(6.5 + 0 + 85)
    assert messy.uncapped_grade == "优秀" and messy.grade == "不合格"

    alone = score(rubric, scoring_data(**base, judgements=[{"indicator": "J1", "evaluator": "甲", "score": 9, "reason": "x"}]))
    assert alone.indicator("J1").verdict == "insufficient"


PAPER_EXIT = {"code": "V2", "points": 0, "method": "veto", "source": "household",
              "condition": "${told} != 'yes'", "limit": {"share": 0.05}, "cap": "合格"}


def test_condition_veto_caps_but_never_raises_the_grade():
    records = [{"household_id": f"A{i:02d}", "told": "no" if i <= 2 else "yes"} for i in range(1, 21)]
    rubric = make_rubric(PAPER_EXIT)
    # Every household visited (a census): the share is 10 %, above the 5 % limit, no sampling error.
    high = score(rubric, scoring_data(roster=roster(A=20), sources={"household": records}))
    assert high.uncapped_grade == "优秀" and high.grade == "合格"
    assert high.veto[0].units == ("A01", "A02")
    assert high.indicator("V2").veto_rule["measure"] == pytest.approx(0.1)
    low = score(rubric, scoring_data(roster=roster(A=20), sources={"household": records}, findings=[
        {"indicator": "PAD", "severity": "critical"} for _ in range(10)]))
    assert low.uncapped_grade == "不合格" and low.grade == "不合格"
    one = score(rubric, scoring_data(roster=roster(A=20), sources={"household": records[1:]}))
    assert one.veto == () and one.grade == "优秀"
    # 1 of 19 visited (5.3 %) is a sample of 19 of 20: its lower bound is below 5 %, so no veto.
    assert one.indicator("V2").veto_rule["measure"] < 0.05


def test_a_veto_fires_on_the_estimate_or_its_bound_never_on_a_sample_count():
    records = [{"household_id": f"A{i:02d}", "told": "no" if i <= 3 else "yes"} for i in range(1, 101)]
    data = scoring_data(roster=roster(A=1000), sources={"household": records})
    # 3 of 100 from 1000: share 3 %; one-sided 95 % lower bound by hand (KG, df 99, FPC).
    n_fpc = 100 / 0.9
    lower = korn_graubard(0.03, n_fpc, 99, level=0.95)[0]
    bound = score(make_rubric(dict(PAPER_EXIT, limit={"share": 0.01})), data)
    assert bound.indicator("V2").veto_rule["measure"] == pytest.approx(lower)
    assert (bound.veto != ()) == (lower > 0.01)
    estimate = score(make_rubric(dict(PAPER_EXIT, limit={"share": 0.01}, trigger="estimate")), data)
    assert estimate.indicator("V2").veto_rule["measure"] == pytest.approx(0.03)
    assert [v.code for v in estimate.veto] == ["V2"]  # 3 % > 1 %
    at_limit = score(make_rubric(dict(PAPER_EXIT, limit={"share": 0.03}, trigger="estimate")), data)
    assert at_limit.veto == ()  # equal to the limit does not exceed it
    # households: N x share of all households; 1000 x 3 % = 30 estimated on the roster
    count = score(make_rubric(dict(PAPER_EXIT, limit={"households": 30}, trigger="estimate")), data)
    assert count.indicator("V2").veto_rule["measure"] == pytest.approx(30.0) and count.veto == ()
    count_bound = score(make_rubric(dict(PAPER_EXIT, limit={"households": 5})), data)
    assert count_bound.indicator("V2").veto_rule["measure"] == pytest.approx(1000 * lower)


def test_insufficient_indicators_earn_nothing_or_their_dimension_is_scored_pro_rata():
    few = dict(RATE, code="R1", min_n=50)
    enough = dict(RATE, code="R2", min_n=5, condition="${ok} = 'yes'")
    records = [{"household_id": f"A{i:02d}", "consent": "yes", "ok": "yes"} for i in range(1, 41)]
    data = scoring_data(roster=roster(A=400), sources={"household": records})
    bands = [{"grade": "优秀", "min": 18}, {"grade": "合格", "min": 12}, {"grade": "不合格", "min": 0}]
    zero = score(make_rubric(few, enough, scale_to=20, bands=bands), data)
    assert zero.indicator("R1").verdict == "insufficient" and zero.indicator("R1").points == 0.0
    assert zero.indicator("R2").points == 10.0
    assert zero.total == 10.0 and zero.insufficient_rule == "zero"
    pro = score(make_rubric(few, enough, scale_to=20, bands=bands, insufficient="pro_rata"), data)
    assert pro.total == pytest.approx(20.0)  # 10 of the 10 points that had data, scaled to 20
    assert pro.dimensions[0].scaled is True and pro.insufficient_rule == "pro_rata"
    # Either way the grade rests on R1: anywhere from 0 to 10 points
    assert zero.provisional and zero.grade_range == ("不合格", "优秀") and zero.provisional_because == ("R1",)
    assert zero.total_range == (10.0, 20.0)


def test_a_grade_that_no_undecided_indicator_could_change_is_not_provisional():
    decided = dict(RATE, code="R1", points=50, condition="${ok} = 'yes'", target=0.5, floor=0.2)
    small = dict(RATE, code="R2", points=2, min_n=500)
    records = [{"household_id": f"A{i:02d}", "consent": "yes", "ok": "yes"} for i in range(1, 81)]
    sheet = score(make_rubric(decided, small), scoring_data(roster=roster(A=200), sources={"household": records}))
    # 50 + 48 (PAD) + R2 anywhere in 0..2: 98..100, always 优秀
    assert sheet.indicator("R2").verdict == "insufficient"
    assert not sheet.provisional and sheet.provisional_because == ()
    assert sheet.grade_range == ("优秀", "优秀") and sheet.total_range == (98.0, 100.0)


def test_refusals_are_non_response_not_not_applicable():
    records = ([{"household_id": f"A{i:02d}", "consent": "yes", "ok": "yes" if i <= 15 else "no"} for i in range(1, 19)]
               + [{"household_id": f"A{i:02d}", "consent": "no", "ok": ""} for i in (19, 20)]
               + [{"household_id": f"B{i:02d}", "consent": "yes", "ok": "yes"} for i in range(1, 11)])
    sample = ([SampleUnit(f"A{i:02d}", "A") for i in range(1, 21)] + [SampleUnit("A21", "A")]
              + [SampleUnit(f"A{i:02d}", "A", "reserve") for i in (22, 23)]
              + [SampleUnit(f"B{i:02d}", "B") for i in range(1, 11)])
    # The two refusals were replaced by A22, A23 from the reserve list.
    records += [{"household_id": f"A{i:02d}", "consent": "yes", "ok": "yes"} for i in (22, 23)]
    rate = {k: v for k, v in RATE.items() if k != "applies"}
    rubric = make_rubric(rate, response={"household": "${consent} = 'yes'"})
    sheet = score(rubric, scoring_data(roster=roster(A=100, B=50), sources={"household": records}, sample=sample))
    r1 = sheet.indicator("R1")
    assert (r1.n, r1.not_applicable, r1.nonresponse) == (30, 0, 3)  # 2 refused + A21 never reached
    # A: 17 of 20 respondents, standing for all 100 households; B: 10 of 10 for 50
    assert r1.estimate == pytest.approx((100 * 17 / 20 + 50 * 1.0) / 150)
    table = sheet.response["household"]
    assert table["strata"]["A"] == {"drawn": 21, "reserves_used": 2, "responded": 20, "refused": 2,
                                    "not_reached": 1, "rate": pytest.approx(20 / 23)}
    assert table["strata"]["B"]["rate"] == 1.0
    assert table["total"]["rate"] == pytest.approx(30 / 33)


def test_not_applicable_and_insufficient():
    records = [{"household_id": f"A{i:02d}", "consent": "no", "ok": "yes"} for i in range(1, 6)]
    sheet = score(make_rubric(RATE), scoring_data(roster=roster(A=10), sources={"household": records}))
    r1 = sheet.indicator("R1")
    assert (r1.n, r1.not_applicable, r1.estimate, r1.points, r1.verdict) == (0, 5, None, 0.0, "insufficient")
    missing_source = score(make_rubric(RATE), scoring_data(roster=roster(A=10), sources={}))
    assert "no_source" in missing_source.indicator("R1").flags


def test_expression_errors_are_reported_per_unit_not_raised():
    repeat_misuse = dict(RATE, condition="${member_age} > 60")
    records = [{"household_id": "A01", "consent": "yes", "member_age": ["70", "30"]},
               {"household_id": "A02", "consent": "yes", "member_age": "70"}]
    sheet = score(make_rubric(repeat_misuse), scoring_data(roster=roster(A=10), sources={"household": records}))
    r1 = sheet.indicator("R1")
    assert "expression_errors" in r1.flags
    assert r1.missing == 1 and r1.n == 1
    assert "A01" in r1.notes[0]


def test_column_and_row_evaluation_give_the_same_sheet(monkeypatch):
    records = [{"household_id": f"A{i:02d}", "consent": "yes" if i % 7 else "no", "ok": "yes" if i % 3 else "no"}
               for i in range(1, 31)]
    data = scoring_data(roster=roster(A=40), sources={"household": records})
    rubric = make_rubric(RATE)
    fast = score(rubric, data).to_json()

    def refuse(*args, **kwargs):
        raise ValueError("column path disabled")

    monkeypatch.setattr(units_module, "evaluate_column", refuse)
    assert score(rubric, data).to_json() == fast


def test_json_has_the_documented_shape_and_no_nan():
    records = [{"household_id": "A01", "consent": "yes", "ok": "yes"}]
    sheet = score(make_rubric(RATE), scoring_data(roster=roster(A=3), sources={"household": records}, data_hash="sha256:x"))
    text = sheet.to_json()

    def refuse_constant(name):
        raise AssertionError(f"{name} in JSON")

    data = json.loads(text, parse_constant=refuse_constant)
    assert list(data)[:8] == ["rubric", "data_hash", "total", "max", "grade", "grade_en", "uncapped_grade", "veto"]
    assert {"id", "version"} <= set(data["rubric"])
    assert {"code", "name", "score", "max"} <= set(data["dimensions"][0])
    wanted = {"code", "dimension", "name", "method", "estimate", "ci_low", "ci_high", "n", "points", "max", "verdict"}
    for indicator in data["indicators"]:
        assert wanted <= set(indicator)
    assert data["data_hash"] == "sha256:x"
    assert text == sheet.to_json()


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="appears twice"):
        scoring_data(roster=roster(A=2) + roster(A=1), sources={})
    with pytest.raises(ValueError, match="stratum"):
        scoring_data(roster=[{"household_id": "X"}], sources={})
    with pytest.raises(ValueError, match="Rubric"):
        score({"id": "x"}, scoring_data(roster=roster(A=1), sources={}))
    with pytest.raises(ValueError, match="not a number"):
        scoring_data(roster=roster(A=1), sources={}, judgements=[{"indicator": "J", "evaluator": "e", "score": "x"}])
