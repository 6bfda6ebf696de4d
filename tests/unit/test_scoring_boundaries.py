"""Every comparison in the scoring methods and engine, tested exactly at its boundary.

Each test sits on the line where `<` and `<=` (or `>` and `>=`) part, so a flipped comparison
fails it: n == min_n, a judgement spread equal to max_spread, deduction points equal to the
pass bar, a gap equal to the absolute and to the relative tolerance (measured against the
right-hand side), a one-household stratum, None answers, the lower end of a share interval near
0, and observed units (applicable or not) against the frame size.
"""

from __future__ import annotations

import pytest

from evaluator.rubrics.definition import Tolerance
from evaluator.scoring import score, scoring_data

from .test_scoring import RATE, make_rubric, roster

JUDGED = {"code": "J1", "points": 10, "method": "judgement", "scale": 10, "max_spread": 3, "min_n": 2}
DEDUCTED = {"code": "D1", "points": 5, "method": "deduction", "per_severity": {"minor": 1, "major": 2, "critical": 5}}


def judged(*scores):
    rows = [{"indicator": "J1", "evaluator": f"E{k}", "score": s, "reason": "r"} for k, s in enumerate(scores)]
    return score(make_rubric(JUDGED), scoring_data(roster=roster(A=5), sources={}, judgements=rows)).indicator("J1")


def test_a_rate_with_exactly_min_n_units_is_judged_and_one_fewer_is_not():
    records = [{"household_id": f"A{i:02d}", "consent": "yes", "ok": "yes"} for i in range(1, 6)]
    at = score(make_rubric(RATE), scoring_data(roster=roster(A=500), sources={"household": records}))
    assert at.indicator("R1").n == 5 == RATE["min_n"]
    assert at.indicator("R1").verdict != "insufficient" and at.indicator("R1").points > 0
    below = score(make_rubric(RATE), scoring_data(roster=roster(A=500), sources={"household": records[:4]}))
    assert below.indicator("R1").verdict == "insufficient" and below.indicator("R1").points == 0.0


def test_judgement_with_exactly_min_n_evaluators_is_judged():
    assert judged(8, 8).verdict == "meets"  # 2 evaluators, min_n 2
    assert judged(8).verdict == "insufficient"


def test_judgement_spread_equal_to_max_spread_is_allowed():
    at = judged(6, 9)  # spread 3 == max_spread
    assert "spread" not in at.flags and at.verdict == "meets"
    over = judged(6, 9.5)
    assert "spread" in over.flags and over.verdict == "indeterminate"


def test_judgement_points_equal_to_the_pass_bar_meet_it():
    # pass share 60/100: 6 of 10 points is exactly the bar
    assert judged(6, 6).points == pytest.approx(6.0) and judged(6, 6).verdict == "meets"
    assert judged(5.5, 6).verdict == "fails"


def test_deduction_points_equal_to_the_pass_bar_meet_it():
    # 5 points, pass share 0.6: 3 points kept is exactly the bar (one major finding = 2 off)
    findings = [{"indicator": "D1", "severity": "major", "household_id": ""}]
    sheet = score(make_rubric(DEDUCTED), scoring_data(roster=roster(A=5), sources={}, findings=findings))
    assert sheet.indicator("D1").points == 3.0 and sheet.indicator("D1").verdict == "meets"
    findings.append({"indicator": "D1", "severity": "minor", "household_id": ""})
    sheet = score(make_rubric(DEDUCTED), scoring_data(roster=roster(A=5), sources={}, findings=findings))
    assert sheet.indicator("D1").points == 2.0 and sheet.indicator("D1").verdict == "fails"


AMOUNT = {"code": "F1", "points": 6, "source": "household", "method": "consistency", "value": "${amount}",
          "right": {"source": "system", "value": "${aid_total}"}, "compare": "number",
          "missing": "disagree", "direction": "higher", "target": 0.9, "floor": 0.6, "min_n": 1}


def agreement(tolerance, pairs):
    household = [{"household_id": f"A{i:02d}", "amount": str(a)} for i, (a, _) in enumerate(pairs, start=1)]
    system = [{"household_id": f"A{i:02d}", "aid_total": str(b)} for i, (_, b) in enumerate(pairs, start=1)]
    sheet = score(make_rubric(dict(AMOUNT, tolerance=tolerance)),
                  scoring_data(roster=roster(A=50), sources={"household": household, "system": system}))
    failed = set(sheet.indicator("F1").failed_units)
    return [f"A{i:02d}" not in failed for i in range(1, len(pairs) + 1)]


def test_a_gap_equal_to_the_absolute_tolerance_agrees():
    assert agreement({"absolute": 200}, [(1200, 1000), (800, 1000), (1201, 1000), (799, 1000)]) == [
        True, True, False, False]
    assert Tolerance(200.0, None).agrees(1200, 1000) and not Tolerance(200.0, None).agrees(1201, 1000)


def test_the_relative_tolerance_is_measured_against_the_right_hand_side():
    # (left, right) with 10 %: each pair decides differently against the left side.
    # 900 vs 1000: gap 100 == 10 % of 1000 (agrees), > 10 % of 900 = 90.
    # 1101 vs 1000: gap 101 > 100 (disagrees), <= 10 % of 1101 = 110.1.
    # 1000 vs 1111: gap 111 <= 111.1 (agrees), > 10 % of 1000 = 100.
    assert agreement({"relative": 0.1}, [(1100, 1000), (900, 1000), (1101, 1000), (1000, 1111)]) == [
        True, True, False, True]
    assert Tolerance(None, 0.1).agrees(900, 1000) and Tolerance(None, 0.1).agrees(1000, 1111)
    assert not Tolerance(None, 0.1).agrees(1101, 1000)


def test_a_one_household_stratum_keeps_its_weight():
    # A: one household of 100 sampled (value 0); B: 10 of 100 (all 1). The estimate is 0.5,
    # not 1.0: the lone household stands for its 100.
    records = ([{"household_id": "A01", "consent": "yes", "ok": "no"}]
               + [{"household_id": f"B{i:02d}", "consent": "yes", "ok": "yes"} for i in range(1, 11)])
    sheet = score(make_rubric(dict(RATE, min_n=1)), scoring_data(roster=roster(A=100, B=100),
                                                                 sources={"household": records}))
    r1 = sheet.indicator("R1")
    assert r1.estimate == pytest.approx(0.5) and r1.n == 11
    assert r1.by_stratum["A"].n == 1 and r1.by_stratum["A"].estimate == 0.0
    assert r1.ci_low is not None and r1.ci_low < 0.5 < r1.ci_high


def test_none_answers_are_blank():
    filled = {"code": "C2", "points": 4, "source": "system", "method": "completeness", "fields": ["x", "y"],
              "direction": "higher", "target": 0.98, "floor": 0.8, "min_n": 1}
    items = {"code": "C1", "points": 6, "source": "file_check", "method": "checklist", "items": ["a", "b"],
             "pass": "yes", "na": "na", "direction": "higher", "target": 0.95, "floor": 0.7, "min_n": 1}
    system = [{"household_id": "A01", "x": None, "y": 2}, {"household_id": "A02", "x": 1, "y": 2}]
    files = [{"household_id": "A01", "a": "yes", "b": None}, {"household_id": "A02", "a": "no", "b": "yes"}]
    sheet = score(make_rubric(filled, items), scoring_data(roster=roster(A=10),
                                                           sources={"system": system, "file_check": files}))
    assert sheet.indicator("C2").estimate == pytest.approx(0.75)  # A01 has one field of two
    assert sheet.indicator("C2").failed_units == ("A01",)
    assert sheet.indicator("C1").estimate == pytest.approx(0.75)  # A01: b not asked, 1/1; A02 1/2


def test_a_share_interval_near_zero_never_goes_below_zero():
    items = {"code": "C1", "points": 6, "source": "file_check", "method": "checklist",
             "items": ["a", "b", "c", "d", "e"], "pass": "yes", "direction": "higher", "target": 0.95,
             "floor": 0.0, "min_n": 1}
    files = ([{"household_id": "A01", "a": "yes", "b": "no", "c": "no", "d": "no", "e": "no"}]
             + [{"household_id": f"A{i:02d}", **dict.fromkeys("abcde", "no")} for i in range(2, 5)])
    c1 = score(make_rubric(items), scoring_data(roster=roster(A=1000), sources={"file_check": files})).indicator("C1")
    assert c1.estimate == pytest.approx(0.05)
    assert c1.ci_low == 0.0 or c1.ci_low > 0.0  # a bound, not a clipped number
    assert 0.0 <= c1.ci_low <= c1.estimate <= c1.ci_high <= 1.0
    assert c1.ci_low < 0.01  # the t interval was 0.05 - 0.16 = -0.11 before it was clipped


@pytest.mark.parametrize(("applicable", "outside", "flagged"), [(6, 4, False), (6, 5, True), (11, 0, True)])
def test_observed_units_applicable_or_not_are_checked_against_the_frame(applicable, outside, flagged):
    # The frame says 10 households; a record for an 11th unit (applicable or not) means the frame
    # is wrong, whichever kind of unit it is.
    records = ([{"household_id": f"A{i:02d}", "consent": "yes", "ok": "yes"} for i in range(1, applicable + 1)]
               + [{"household_id": f"A{i:02d}", "consent": "no", "ok": ""}
                  for i in range(applicable + 1, applicable + outside + 1)])
    data = scoring_data(roster=roster(A=applicable + outside), sources={"household": records},
                        frame_sizes={"A": 10})
    r1 = score(make_rubric(RATE), data).indicator("R1")
    assert ("frame_too_small" in r1.flags) == flagged
