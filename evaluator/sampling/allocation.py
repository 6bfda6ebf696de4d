"""Share a sample size among strata (分层抽样的样本分配).

Proportional allocation keeps every household's inclusion probability close to n / N, so the
design weights N_h / n_h stay nearly equal and the estimates stay efficient. A minimum per
stratum (e.g. at least 5 households in every township 乡镇/街道) guarantees each stratum can be
reported on; the strata that reach the minimum take their share away from the others.

Arithmetic is exact (``fractions.Fraction``) so the result never depends on floating-point
rounding, and ties are broken by stratum name, so the same inputs always give the same sizes.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from fractions import Fraction


def allocate(frame_sizes: Mapping[str, int], n: int, min_per_stratum: int = 0) -> dict[str, int]:
    """Return ``{stratum: n_h}`` summing to ``min(n, N)``; proportional, with a floor per stratum.

    Rules, in order:

    * If ``n`` is at least the frame size N, every household is taken (a census): ``n_h = N_h``.
    * Each stratum gets at least ``min(min_per_stratum, N_h)`` and never more than ``N_h``.
    * Strata whose proportional share falls below their minimum are fixed at the minimum and the
      rest of ``n`` is shared proportionally among the others (repeated until none falls below).
    * Shares are rounded by largest remainder (Hamilton's method) so they sum exactly to ``n``;
      equal remainders go to the stratum whose name sorts first.

    When the minimums alone need more than ``n`` households the allocation is impossible and a
    ``ValueError`` says how many households the minimum needs: we raise rather than silently
    sample more than was asked, because the sample size is usually a budgeted number.
    """
    sizes = _checked_sizes(frame_sizes)
    n = whole_number(n, "sample size n")
    min_per_stratum = whole_number(min_per_stratum, "min_per_stratum")

    total = sum(sizes.values())
    if n >= total:
        return dict(sorted(sizes.items()))

    floors = {name: min(min_per_stratum, size) for name, size in sizes.items()}
    needed = sum(floors.values())
    if needed > n:
        short = [name for name, size in sorted(sizes.items()) if size * n < floors[name] * total]
        raise ValueError(
            f"a minimum of {min_per_stratum} per stratum needs {needed} households over "
            f"{len(sizes)} strata but the sample size is {n}; strata below the minimum under "
            f"proportional allocation: {', '.join(short)}. Raise the sample size to at least "
            f"{needed} or lower --min-per-stratum."
        )

    fixed: dict[str, int] = {}
    while True:
        free = {name: size for name, size in sizes.items() if name not in fixed}
        remaining = n - sum(fixed.values())
        free_total = sum(free.values())
        quotas = {
            name: (Fraction(remaining * size, free_total) if free_total else Fraction(0))
            for name, size in free.items()
        }
        below = [name for name, quota in quotas.items() if quota < floors[name]]
        if not below:
            break
        for name in below:
            fixed[name] = floors[name]

    result = dict(fixed)
    for name, quota in quotas.items():
        result[name] = quota.numerator // quota.denominator
    leftover = n - sum(result.values())
    # Largest remainder first; ties by stratum name. A stratum with a fractional quota has
    # quota < N_h, so adding one never exceeds the stratum.
    order = sorted(quotas, key=lambda name: (-(quotas[name] - result[name]), name))
    for name in order[:leftover]:
        result[name] += 1
    return dict(sorted(result.items()))


def _checked_sizes(frame_sizes: Mapping[str, int]) -> dict[str, int]:
    if not isinstance(frame_sizes, Mapping):
        raise ValueError("frame_sizes must map stratum name -> number of households")
    if not frame_sizes:
        raise ValueError("frame_sizes is empty: the sampling frame has no strata")
    problems = []
    checked: dict[str, int] = {}
    for name, size in frame_sizes.items():
        if not isinstance(name, str) or not name:
            problems.append(f"stratum name {name!r} is not a non-empty string")
        try:
            checked[name] = whole_number(size, f"stratum {name!r} size")
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError("; ".join(problems))
    return checked


def whole_number(value: object, what: str) -> int:
    """``value`` as an int >= 0 (numpy integers accepted; bools, floats and negatives refused)."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number >= 0, got {value!r}")
    try:
        number = operator.index(value)  # type: ignore[arg-type]  # a non-index is refused below
    except TypeError:
        raise ValueError(f"{what} must be a whole number >= 0, got {value!r}") from None
    if number < 0:
        raise ValueError(f"{what} must be a whole number >= 0, got {value!r}")
    return number
