"""Proportional allocation with minimums: exact sums, caps, floors and determinism."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from evaluator.sampling import allocate

frames = st.dictionaries(
    st.text(alphabet="ABCDEFGH城关镇东西南北乡街道", min_size=1, max_size=4),
    st.integers(min_value=0, max_value=400),
    min_size=1,
    max_size=12,
)


@given(frames, st.integers(min_value=0, max_value=2500), st.integers(min_value=0, max_value=30))
def test_allocation_properties(frame_sizes, n, minimum):
    total = sum(frame_sizes.values())
    floors = {name: min(minimum, size) for name, size in frame_sizes.items()}
    assume(n >= total or sum(floors.values()) <= n)
    result = allocate(frame_sizes, n, minimum)
    assert set(result) == set(frame_sizes)
    assert sum(result.values()) == min(n, total)
    for name, size in frame_sizes.items():
        assert floors[name] <= result[name] <= size
    assert allocate(dict(reversed(list(frame_sizes.items()))), n, minimum) == result


@given(frames, st.integers(min_value=0, max_value=2500))
def test_without_minimum_each_share_is_within_one_of_its_quota(frame_sizes, n):
    total = sum(frame_sizes.values())
    assume(0 < n < total)
    result = allocate(frame_sizes, n)
    for name, size in frame_sizes.items():
        quota = Fraction(n * size, total)
        assert quota - 1 < result[name] < quota + 1


@given(frames, st.integers(min_value=1, max_value=30))
def test_impossible_minimum_raises(frame_sizes, minimum):
    floors = sum(min(minimum, size) for size in frame_sizes.values())
    total = sum(frame_sizes.values())
    assume(floors >= 1)
    n = floors - 1
    assume(n < total)
    with pytest.raises(ValueError, match=f"needs {floors} households"):
        allocate(frame_sizes, n, minimum)


def test_proportional_example():
    assert allocate({"A": 500, "B": 300, "C": 200}, 100) == {"A": 50, "B": 30, "C": 20}


def test_largest_remainder_and_name_tie_break():
    # Quotas 3.333 each: one extra goes to the name that sorts first.
    assert allocate({"C": 10, "B": 10, "A": 10}, 10) == {"A": 4, "B": 3, "C": 3}
    # Quotas 4.5 / 2.7 / 1.8: floors 4, 2, 1 and the two leftovers go to .8 then .7.
    assert allocate({"x": 50, "y": 30, "z": 20}, 9) == {"x": 4, "y": 3, "z": 2}


def test_minimum_takes_from_the_larger_strata():
    result = allocate({"big": 1000, "mid": 300, "tiny": 4, "small": 40}, 60, min_per_stratum=5)
    assert result["tiny"] == 4  # a stratum smaller than the minimum is taken whole
    assert result["small"] == 5
    assert result == {"big": 39, "mid": 12, "small": 5, "tiny": 4}
    assert sum(result.values()) == 60


def test_census_when_n_exceeds_the_frame():
    assert allocate({"A": 3, "B": 0, "C": 2}, 10, min_per_stratum=4) == {"A": 3, "B": 0, "C": 2}


def test_numpy_integers_are_accepted():
    assert allocate({"A": np.int64(6), "B": np.int64(4)}, np.int64(5)) == {"A": 3, "B": 2}


def test_impossible_minimum_names_the_strata():
    with pytest.raises(ValueError) as info:
        allocate({"城关镇": 900, "西河乡": 50, "南山镇": 50}, 12, min_per_stratum=5)
    message = str(info.value)
    assert "needs 15 households" in message
    assert "西河乡" in message and "南山镇" in message and "城关镇" not in message.split(":")[-1]


@pytest.mark.parametrize(
    ("frame_sizes", "n", "minimum", "match"),
    [
        ({}, 5, 0, "no strata"),
        ({"A": -1}, 5, 0, "'A' size"),
        ({"A": 2.5}, 5, 0, "'A' size"),
        ({"": 3}, 1, 0, "stratum name"),
        ({"A": 3}, -1, 0, "sample size n"),
        ({"A": 3}, 1.0, 0, "sample size n"),
        ({"A": 3}, True, 0, "sample size n"),
        ({"A": 3}, 1, -2, "min_per_stratum"),
        ([("A", 3)], 1, 0, "frame_sizes"),
    ],
)
def test_bad_inputs(frame_sizes, n, minimum, match):
    with pytest.raises(ValueError, match=match):
        allocate(frame_sizes, n, minimum)
