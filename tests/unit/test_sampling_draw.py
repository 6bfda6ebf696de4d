"""The seeded draw: repeatable from roster and seed alone, whatever the row order."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.sampling import Draw, allocate, draw
from evaluator.sampling.plan import DRAW_ALGORITHM, draw_sample, plan_allocation, sample_plan

TOWNS = ["城关镇", "东城街道", "西河乡", "南山镇"]


def make_frame(households=300, seed=7):
    rng = random.Random(seed)
    return [(f"H{i:05d}", rng.choice(TOWNS)) for i in range(1, households + 1)]


def sizes_of(frame):
    return dict(Counter(stratum for _, stratum in frame))


def test_draw_respects_allocation_and_reserve():
    frame = make_frame()
    allocation = allocate(sizes_of(frame), 40, min_per_stratum=5)
    draws = draw(frame, allocation, reserve=3, seed=2026)
    ids = [d.household_id for d in draws]
    assert len(ids) == len(set(ids)), "a household is drawn at most once"
    strata_of = dict(frame)
    for stratum, n_h in allocation.items():
        sample = [d for d in draws if d.stratum == stratum and d.role == "sample"]
        reserve = [d for d in draws if d.stratum == stratum and d.role == "reserve"]
        assert [d.order for d in sample] == list(range(1, n_h + 1))
        assert [d.order for d in reserve] == [1, 2, 3]
        assert all(strata_of[d.household_id] == stratum for d in sample + reserve)
    assert [d.stratum for d in draws] == sorted(d.stratum for d in draws)


def test_same_seed_same_draw_and_shuffled_roster_same_draw():
    frame = make_frame()
    allocation = allocate(sizes_of(frame), 50)
    first = draw(frame, allocation, reserve=2, seed=99)
    shuffled = list(frame)
    random.Random(3).shuffle(shuffled)
    assert draw(frame, allocation, reserve=2, seed=99) == first
    assert draw(shuffled, allocation, reserve=2, seed=99) == first
    assert draw(tuple(reversed(frame)), allocation, reserve=2, seed=99) == first


def test_different_seed_differs():
    frame = make_frame()
    allocation = allocate(sizes_of(frame), 50)
    assert draw(frame, allocation, seed=1) != draw(frame, allocation, seed=2)


def test_draw_follows_the_documented_algorithm():
    # Re-implement the algorithm from its description to pin it down for outside reviewers.
    frame = make_frame(120)
    allocation = allocate(sizes_of(frame), 20)
    rng = np.random.default_rng(5)
    expected = []
    for stratum in sorted(allocation):
        ids = sorted(h for h, s in frame if s == stratum)
        keys = rng.random(len(ids))
        ranked = [h for _, h in sorted(zip(keys, ids, strict=True))]
        n_h = allocation[stratum]
        expected += [Draw(h, stratum, "sample", i) for i, h in enumerate(ranked[:n_h], 1)]
        expected += [Draw(h, stratum, "reserve", i) for i, h in enumerate(ranked[n_h:n_h + 1], 1)]
    assert draw(frame, allocation, reserve=1, seed=5) == expected
    assert "default_rng" in DRAW_ALGORITHM


def test_reserve_is_limited_by_what_the_stratum_has_left():
    frame = [("a1", "A"), ("a2", "A"), ("a3", "A"), ("b1", "B")]
    draws = draw(frame, {"A": 2, "B": 1}, reserve=5, seed=0)
    assert Counter((d.stratum, d.role) for d in draws) == {("A", "sample"): 2, ("A", "reserve"): 1,
                                                           ("B", "sample"): 1}


def test_strata_absent_from_the_allocation_give_reserves_only():
    frame = [("a1", "A"), ("a2", "A"), ("b1", "B")]
    draws = draw(frame, {"A": 1}, reserve=1, seed=0)
    assert {(d.stratum, d.role) for d in draws} == {("A", "sample"), ("A", "reserve"), ("B", "reserve")}


@settings(max_examples=50)
@given(st.integers(min_value=0, max_value=2**32), st.randoms(use_true_random=False))
def test_draw_property_order_independent(seed, shuffler):
    frame = make_frame(60, seed=seed % 1000)
    allocation = allocate(sizes_of(frame), 15, min_per_stratum=2)
    shuffled = list(frame)
    shuffler.shuffle(shuffled)
    assert draw(shuffled, allocation, reserve=2, seed=seed) == draw(frame, allocation, reserve=2, seed=seed)


def test_duplicates_are_named():
    frame = [("H1", "A"), ("H2", "A"), ("H1", "B"), ("H3", "B"), ("H3", "B")]
    with pytest.raises(ValueError, match="duplicate household ids: H1, H3"):
        draw(frame, {"A": 1}, seed=1)


@pytest.mark.parametrize(
    ("frame", "allocation", "kwargs", "match"),
    [
        ([("H1", "A")], {"A": 1}, {"seed": None}, "seed is required"),
        ([("H1", "A")], {"A": 1}, {"seed": -1}, "seed"),
        ([("H1", "A")], {"A": 1}, {"seed": 1, "reserve": -1}, "reserve"),
        ([("H1", "A")], {"A": 2}, {"seed": 1}, "holds 1 households but 2"),
        ([("H1", "A")], {"B": 1}, {"seed": 1}, "'B' is in the allocation but not in the frame"),
        ([("", "A")], {"A": 0}, {"seed": 1}, "empty or non-text household id"),
        ([("H1", " ")], {}, {"seed": 1}, "empty or non-text stratum"),
        ([("H1",)], {}, {"seed": 1}, "expected \\(household_id, stratum\\)"),
    ],
)
def test_bad_inputs(frame, allocation, kwargs, match):
    with pytest.raises(ValueError, match=match):
        draw(frame, allocation, **kwargs)


def test_sample_plan_margin():
    frame = make_frame(1000)
    plan, draws = draw_sample(frame, seed=11, margin=0.05, confidence=0.95, reserve=2,
                              min_per_stratum=5)
    assert plan["method"] == "margin"
    assert plan["population"] == 1000
    assert plan["required"] == 278 == plan["sample"]
    assert plan["seed"] == 11
    sizes = sizes_of(frame)
    for row in plan["strata"]:
        assert row["population"] == sizes[row["stratum"]]
        assert row["weight"] == pytest.approx(row["population"] / row["sample"])
        assert row["reserve"] == 2
    assert plan_allocation(plan) == allocate(sizes, 278, 5)
    assert sum(d.role == "sample" for d in draws) == 278
    assert sum(d.role == "reserve" for d in draws) == plan["reserve"] == 8


def test_sample_plan_threshold_and_size():
    sizes = {"A": 700, "B": 300}
    plan = sample_plan(sizes, seed=1, threshold=0.02, expected_errors=0)
    assert plan["parameters"] == {"threshold": 0.02, "expected_errors": 0, "confidence": 0.95}
    assert plan["sample"] == plan["required"] <= 149
    plan = sample_plan(sizes, seed=1, size=2000, roster={"file": "r.csv", "sha256": "ab"})
    assert plan["sample"] == 1000 and plan["required"] == 1000
    assert [s["weight"] for s in plan["strata"]] == [1.0, 1.0]
    assert plan["roster"] == {"file": "r.csv", "sha256": "ab"}


def test_sample_plan_zero_sample_stratum_has_no_weight():
    plan = sample_plan({"A": 1000, "B": 1}, seed=1, size=10)
    assert [(s["stratum"], s["sample"], s["weight"]) for s in plan["strata"]] == [
        ("A", 10, 100.0), ("B", 0, None)]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"size": 5, "margin": 0.05}, {"size": 5, "seed": None}, {"size": 5, "reserve": -1}],
)
def test_sample_plan_rejects_bad_rules(kwargs):
    kwargs = {"seed": 1, **kwargs}
    with pytest.raises(ValueError):
        sample_plan({"A": 10}, **kwargs)


_FRAME_TEXT = st.sampled_from(["H1", "H2", "H10", "h2", "", " ", "A", "B", "甲", "乙", "\t", "b "])
_ENTRY = st.one_of(st.tuples(_FRAME_TEXT, _FRAME_TEXT), st.lists(_FRAME_TEXT, min_size=2, max_size=2),
                   st.tuples(_FRAME_TEXT), st.tuples(st.integers(0, 3), _FRAME_TEXT))


def _grouped_or_refusal(group, frame):
    try:
        return list(group(frame).items())  # the strata's order counts too
    except ValueError as exc:
        return str(exc)


@settings(max_examples=400)
@given(st.lists(_ENTRY, max_size=12), st.booleans())
def test_the_frame_is_grouped_as_entry_by_entry(frame, as_tuple):
    """group_frame's one-sort path gives what the entry-by-entry loop gives (the same groups,
    strata in the same order, or the same refusal), on clean frames and frames with blank,
    repeated, non-text or ill-shaped entries."""
    from evaluator.sampling.draw import group_checked, group_frame

    given_frame = tuple(frame) if as_tuple else iter(frame)
    assert _grouped_or_refusal(group_frame, given_frame) == _grouped_or_refusal(group_checked, list(frame))


def test_a_large_clean_frame_takes_the_one_sort_path():
    from evaluator.sampling.draw import group_checked, group_clean

    rng = random.Random(5)
    frame = [(f"H{i:06d}", rng.choice(["北塔街道", "南关", "东城", "西郊"])) for i in rng.sample(range(10**6), 5000)]
    grouped = group_clean(frame)
    assert grouped is not None and list(grouped.items()) == list(group_checked(frame).items())


@settings(max_examples=300)
@given(st.lists(_ENTRY, max_size=12))
def test_a_frame_as_two_columns_is_grouped_and_drawn_as_its_pairs(frame):
    """FrameColumns (a roster's id and stratum columns) gives what the same pairs give: the
    same groups, the same draw, or the same refusal."""
    from evaluator.sampling.draw import FrameColumns, drawn_ids, group_frame

    pairs = [p for p in frame if isinstance(p, tuple) and len(p) == 2]
    columns = FrameColumns([p[0] for p in pairs], [p[1] for p in pairs])
    assert _grouped_or_refusal(group_frame, columns) == _grouped_or_refusal(group_frame, pairs)
    try:
        expected = drawn_ids(pairs, {}, 2, seed=7)
    except (ValueError, TypeError) as exc:
        expected = repr(exc)
    try:
        got = drawn_ids(columns, {}, 2, seed=7)
    except (ValueError, TypeError) as exc:
        got = repr(exc)
    assert got == expected
