"""The decision rule (判定规则), stated once: from an estimate to `meets`, `fails` or neither.

* **meets** (达标): the one-sided bound at the stated confidence (95 %) is at or beyond the
  indicator's threshold — the lower bound for direction ``higher``, the upper bound for
  ``lower``. The threshold is ``verdict_at`` when the rubric gives it, else the target (or the
  first step's ``at``). The sample-size planner (``evaluator sample --threshold``) computes n
  for exactly this bound (evaluator.sampling.bounds), so finding the planned number of errors
  in the planned sample gives ``meets``.
* **fails** (未达标): the data show the indicator misses its threshold, with Holm's (1979)
  step-down correction across every indicator the sheet judges: the chance that *any* `fails`
  in a report is false is at most 1 − confidence (5 %), however many indicators there are.
* **indeterminate** (无法判定): neither; the sample cannot decide. **insufficient** (样本不足):
  fewer than ``min_n`` units had a value; the indicator is not judged and earns no points.

Intervals printed beside the verdict are two-sided (95 %); the verdict's own bound is the
one-sided one, printed too, so a reader can check the verdict against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from evaluator.scoring.stats import Estimate

if TYPE_CHECKING:
    from evaluator.rubrics.definition import Indicator

TESTED = ("meets", "indeterminate")  # first verdicts whose indicator belongs to the Holm family


def target_of(ind: Indicator) -> float | None:
    """The estimate where full points begin: ``target``, or the first (best) step's ``at``."""
    if ind.target is not None:
        return float(ind.target)
    if ind.steps:
        return float(ind.steps[0].at)
    return None


def threshold_of(ind: Indicator) -> float | None:
    """What the verdict tests: ``verdict_at`` when given, else the target."""
    return float(ind.verdict_at) if ind.verdict_at is not None else target_of(ind)


def meets_side(direction: str | None) -> str:
    """Which one-sided bound must clear the threshold: the lower one when higher is better."""
    return "lower" if direction == "higher" else "upper"


def first_verdict(
    direction: str | None, threshold: float | None, bound: float | None, n: int,
    min_n: int | None, estimate: float | None,
) -> str:
    """insufficient / meets / indeterminate; `fails` is decided across the sheet by ``holm``.

    ``bound`` is the one-sided bound on the ``meets_side`` at the stated confidence. ``meets``
    when it is at or beyond the threshold (a bound exactly at the threshold meets it).
    """
    if estimate is None or n < (min_n or 1):
        return "insufficient"
    if threshold is None or bound is None or direction not in ("higher", "lower"):
        return "indeterminate"
    if direction == "higher":
        return "meets" if bound >= threshold else "indeterminate"
    return "meets" if bound <= threshold else "indeterminate"


def fails_p_value(estimate: Estimate, direction: str | None, threshold: float | None) -> float | None:
    """p-value of "the indicator is at or better than its threshold" (small: it misses it)."""
    if threshold is None or direction not in ("higher", "lower"):
        return None
    return estimate.tail(threshold, "upper" if direction == "higher" else "lower")


def holm(p_values: Mapping[str, float], alpha: float) -> frozenset[str]:
    """Holm's step-down: the hypotheses rejected at family-wise level ``alpha``.

    Sorted by p-value (ties by code), the k-th smallest (k from 0) is rejected while
    p < alpha / (m - k); the first that is not stops the procedure.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    order = sorted(p_values.items(), key=lambda item: (item[1], item[0]))
    m = len(order)
    rejected = []
    for k, (code, p) in enumerate(order):
        if not p < alpha / (m - k):
            break
        rejected.append(code)
    return frozenset(rejected)


def family_error(m: int, alpha: float) -> dict[str, float]:
    """What the report states about m verdicts: Holm's bound and the uncorrected chance.

    ``uncorrected`` is 1 - (1 - alpha)^m, the chance of at least one false `fails` if each
    verdict were tested alone at alpha with independent data and every indicator exactly at
    its threshold; ``holm`` is the bound the procedure guarantees, alpha, for any m.
    """
    return {"verdicts": m, "alpha": alpha, "holm": alpha if m else 0.0,
            "uncorrected": 1.0 - (1.0 - alpha) ** m if m else 0.0}
