"""Properties that must hold for any data: bounds, monotonicity, additivity, order, vetoes."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.rubrics.definition import Indicator, Step, Text
from evaluator.scoring import score, scoring_data
from evaluator.scoring.methods import points_for

from .test_scoring import make_rubric

share = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def mapped_indicators(draw):
    """A rate indicator with a valid target/floor or step table, either direction."""
    direction = draw(st.sampled_from(["higher", "lower"]))
    points = draw(st.floats(min_value=0.5, max_value=20))
    if draw(st.booleans()):
        a, b = sorted(draw(st.lists(share, min_size=2, max_size=2, unique=True)))
        target, floor = (b, a) if direction == "higher" else (a, b)
        return Indicator("X", Text("x"), Text(""), points, "rate", "d", "", direction=direction,
                         target=target, floor=floor)
    ats = sorted(draw(st.lists(share, min_size=1, max_size=4, unique=True)), reverse=direction == "higher")
    cuts = sorted(draw(st.lists(st.floats(min_value=0, max_value=points), min_size=len(ats) - 1,
                                max_size=len(ats) - 1, unique=True)), reverse=True)
    pts = [points, *cuts]
    if any(pts[i] <= pts[i + 1] for i in range(len(pts) - 1)):
        pts = [points * (len(ats) - i) / len(ats) for i in range(len(ats))]
    steps = tuple(Step(at, p) for at, p in zip(ats, pts, strict=True))
    return Indicator("X", Text("x"), Text(""), points, "rate", "d", "", direction=direction, steps=steps)


@given(mapped_indicators(), share, share)
def test_points_stay_within_bounds_and_move_with_the_estimate(indicator, a, b):
    low, high = sorted((a, b))
    p_low, p_high = points_for(indicator, low), points_for(indicator, high)
    for p in (p_low, p_high):
        assert 0.0 <= p <= indicator.points
    if indicator.direction == "higher":
        assert p_low <= p_high
    else:
        assert p_low >= p_high


INDICATORS = [
    {"code": "R1", "points": 20, "source": "household", "method": "rate", "applies": "${consent} = 'yes'",
     "condition": "${ok} = 'yes'", "direction": "higher", "target": 0.9, "floor": 0.5, "min_n": 3},
    {"code": "R2", "points": 10, "source": "household", "method": "rate", "condition": "${income} < ${local_standard}",
     "direction": "lower", "steps": [{"at": 0.02, "points": 10}, {"at": 0.1, "points": 5}], "min_n": 3},
    {"code": "M1", "points": 10, "source": "household", "method": "mean", "value": "${visits}",
     "direction": "higher", "target": 4, "floor": 1, "min_n": 3},
    {"code": "C1", "points": 10, "source": "household", "method": "checklist", "items": ["i1", "i2"],
     "pass": "yes", "na": "na", "direction": "higher", "target": 0.95, "floor": 0.6, "min_n": 3},
    {"code": "K1", "points": 10, "source": "household", "method": "consistency", "value": "${income}",
     "right": {"source": "system", "value": "${sys_income}"}, "compare": "number",
     "tolerance": {"absolute": 100}, "missing": "disagree", "direction": "higher", "target": 0.9,
     "floor": 0.5, "min_n": 3},
    {"code": "D1", "points": 15, "method": "deduction", "per_severity": {"minor": 1, "major": 3, "critical": 8}},
    {"code": "J1", "points": 25, "method": "judgement", "scale": 10, "max_spread": 3, "min_n": 2},
    {"code": "V1", "points": 0, "method": "veto", "source": "household", "condition": "${ok} = 'fraud'",
     "limit": {"share": 0.0}, "trigger": "estimate", "cap": "合格"},
]
RUBRIC = make_rubric(*INDICATORS)
RANK = {band.grade: i for i, band in enumerate(RUBRIC.bands)}


@st.composite
def datasets(draw):
    sizes = draw(st.lists(st.integers(min_value=3, max_value=30), min_size=1, max_size=3))
    roster = [{"household_id": f"S{s}H{i:03d}", "stratum": f"S{s}", "local_standard": "10000"}
              for s, size in enumerate(sizes) for i in range(size)]
    visited = [r for r in roster if draw(st.booleans())]
    answers = st.fixed_dictionaries({
        "consent": st.sampled_from(["yes", "yes", "yes", "no"]),
        "ok": st.sampled_from(["yes", "yes", "no", "", "fraud"] if draw(st.booleans()) else ["yes", "no"]),
        "income": st.sampled_from(["", "5000", "9999", "10000", "25000"]),
        "visits": st.sampled_from(["", "0", "1", "3", "4", "12"]),
        "i1": st.sampled_from(["yes", "no", "na", ""]),
        "i2": st.sampled_from(["yes", "no", "na"]),
    })
    household = [{"household_id": r["household_id"], **draw(answers)} for r in visited]
    system = [{"household_id": r["household_id"], "sys_income": draw(st.sampled_from(["", "5000", "5050", "9000"]))}
              for r in visited if draw(st.booleans())]
    findings = draw(st.lists(st.fixed_dictionaries({
        "indicator": st.just("D1"), "severity": st.sampled_from(["minor", "major", "critical"]),
        "household_id": st.sampled_from([""] + [r["household_id"] for r in roster]),
    }), max_size=4))
    judgements = [{"indicator": "J1", "evaluator": f"E{k}", "score": draw(st.integers(0, 10)), "reason": "r"}
                  for k in range(draw(st.integers(0, 3)))]
    return {"roster": roster, "sources": {"household": household, "system": system},
            "findings": findings, "judgements": judgements}


@settings(max_examples=60)
@given(datasets())
def test_any_data_gives_bounded_points_that_add_up(raw):
    sheet = score(RUBRIC, scoring_data(**raw))
    for result in sheet.indicators:
        assert 0.0 <= result.points <= result.max
        assert result.verdict in ("meets", "fails", "indeterminate", "insufficient")
        if result.ci_low is not None:
            assert result.ci_low <= result.estimate + 1e-12 and result.estimate <= result.ci_high + 1e-12
        if result.verdict == "insufficient":
            assert result.points == 0.0
        if result.bound is not None and result.ci_low is not None:
            # the verdict's one-sided 95 % bound lies between the estimate and the two-sided end
            low, high = sorted((result.bound, result.estimate))
            assert result.ci_low - 1e-12 <= low and high <= result.ci_high + 1e-12
        low, high = result.points_range
        assert 0.0 <= low <= result.points <= high <= result.max
    for dimension in sheet.dimensions:
        parts = [r.points for r in sheet.indicators if r.dimension == dimension.code]
        assert dimension.score == pytest.approx(math.fsum(parts), abs=1e-12)
        assert 0.0 <= dimension.score <= dimension.max + 1e-9
    assert sheet.total == pytest.approx(math.fsum(d.score for d in sheet.dimensions), abs=1e-12)
    assert sheet.total <= sheet.max + 1e-9
    low, high = sheet.total_range
    assert low <= sheet.total <= high
    worst, best = sheet.grade_range
    assert RANK[best] <= RANK[sheet.grade] <= RANK[worst]
    assert sheet.provisional == (worst != best)


@settings(max_examples=40)
@given(datasets(), st.randoms(use_true_random=False))
def test_row_order_changes_nothing(raw, rng):
    before = score(RUBRIC, scoring_data(**raw)).to_json()
    shuffled = {
        "roster": rng.sample(raw["roster"], len(raw["roster"])),
        "sources": {k: rng.sample(v, len(v)) for k, v in raw["sources"].items()},
        "findings": rng.sample(raw["findings"], len(raw["findings"])),
        "judgements": rng.sample(raw["judgements"], len(raw["judgements"])),
    }
    assert score(RUBRIC, scoring_data(**shuffled)).to_json() == before


@settings(max_examples=60)
@given(datasets())
def test_a_veto_never_raises_a_grade(raw):
    sheet = score(RUBRIC, scoring_data(**raw))
    assert RANK[sheet.grade] >= RANK[sheet.uncapped_grade]
    if not sheet.veto:
        assert sheet.grade == sheet.uncapped_grade
    else:
        assert RANK[sheet.grade] >= max(RANK[v.cap] for v in sheet.veto)
