"""The scoring engine: known answers computed by hand, every method, verdicts and drill-down."""

import json
import math

import pytest
from scipy.stats import t as student_t

from evaluator.rubrics.definition import rubric_from_data
from evaluator.scoring import SampleUnit, score, scoring_data
from evaluator.scoring import units as units_module
from evaluator.scoring.methods import verdict

Z = 1.959963984540054
BANDS = [
    {"grade": "优秀", "en": "Excellent", "min": 90},
    {"grade": "良好", "en": "Good", "min": 80},
    {"grade": "合格", "en": "Pass", "min": 60},
    {"grade": "不合格", "en": "Fail", "min": 0},
]


def make_rubric(*indicators, bands=BANDS, scale_to=100):
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
    }
    return rubric_from_data(data, "test.yaml")


def roster(**strata):
    """roster(A=40, B=60): households A01.., B01.. in strata A and B."""
    return [{"household_id": f"{name}{i:02d}", "stratum": name, "local_standard": "10000"}
            for name, size in strata.items() for i in range(1, size + 1)]


RATE = {"code": "R1", "points": 10, "source": "household", "method": "rate",
        "applies": "${consent} = 'yes'", "condition": "${ok} = 'yes'",
        "direction": "higher", "target": 0.9, "floor": 0.5, "min_n": 5}


def wilson(p, n):
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


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
    var = w_a**2 * (1 - 10 / 40) * p_a * (1 - p_a) / 8 + w_b**2 * (1 - 12 / 60) * p_b * (1 - p_b) / 9
    f = 19 / 86
    var_srs = (1 - f) * p * (1 - p) / 18
    deff = var / var_srs
    low, high = wilson(p, 19 / max(deff, 1) / (1 - f))

    assert r1.estimate == pytest.approx(p)
    assert (r1.ci_low, r1.ci_high) == pytest.approx((low, high))
    assert r1.deff == pytest.approx(deff)
    assert (r1.n, r1.not_applicable, r1.missing) == (19, 3, 1)  # A11 was drawn but has no record
    assert r1.points == pytest.approx(10 * (p - 0.5) / 0.4)
    assert r1.verdict == "fails"  # the interval lies below the 0.9 target
    assert r1.by_stratum["A"].estimate == pytest.approx(7 / 9)
    assert r1.by_stratum["B"].n == 10
    # drill-down: applicable households where the condition is false
    assert r1.failed_units == ("A08", "A09", "B06", "B07", "B08", "B09", "B10")


@pytest.mark.parametrize(
    ("direction", "target", "low", "high", "n", "expected"),
    [
        ("higher", 0.9, 0.91, 0.99, 50, "meets"),
        ("higher", 0.9, 0.9, 0.99, 50, "meets"),
        ("higher", 0.9, 0.80, 0.89, 50, "fails"),
        ("higher", 0.9, 0.85, 0.95, 50, "indeterminate"),
        ("lower", 0.02, 0.0, 0.019, 50, "meets"),
        ("lower", 0.02, 0.0, 0.02, 50, "indeterminate"),
        ("lower", 0.02, 0.03, 0.08, 50, "fails"),
        ("lower", 0.02, 0.01, 0.05, 50, "indeterminate"),
        ("higher", 0.9, 0.95, 0.99, 4, "insufficient"),
    ],
)
def test_verdict_against_target(direction, target, low, high, n, expected):
    assert verdict(direction, target, low, high, n, 5, (low + high) / 2) == expected


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
    assert (d3.estimate, d3.failed_units) == (2 / 3, ("A02",))


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


def test_condition_veto_caps_but_never_raises_the_grade():
    paper_exit = {"code": "V2", "points": 0, "method": "veto", "source": "household",
                  "condition": "${told} != 'yes'", "max_count": 1, "cap": "合格"}
    records = [{"household_id": f"A{i:02d}", "told": "no" if i <= 2 else "yes"} for i in range(1, 21)]
    rubric = make_rubric(paper_exit)
    high = score(rubric, scoring_data(roster=roster(A=20), sources={"household": records}))
    assert high.uncapped_grade == "优秀" and high.grade == "合格"
    assert high.veto[0].units == ("A01", "A02")
    low = score(rubric, scoring_data(roster=roster(A=20), sources={"household": records}, findings=[
        {"indicator": "PAD", "severity": "critical"} for _ in range(10)]))
    assert low.uncapped_grade == "不合格" and low.grade == "不合格"
    one = score(rubric, scoring_data(roster=roster(A=20), sources={"household": records[1:]}))
    assert one.veto == () and one.grade == "优秀"  # a single case is tolerated (max_count 1)


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
