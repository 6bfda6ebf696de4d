"""Looking back (回头看): each indicator this year against the same unit's previous evaluation.

Two evaluations of one unit in different years draw independent samples, so the change of an
estimate, d = ŷ₁ - ŷ₀, has variance v(ŷ₁) + v(ŷ₀) (each the design-based variance its own
estimate used, evaluator.scoring.stats). A change is *beyond sampling noise* when the two-sided
z test of d = 0 rejects, with Holm's step-down correction across the indicators compared, so
that the chance of calling *any* change real when nothing changed is at most 1 - confidence.
The interval printed with a change is d ± z √(v₁ + v₀). Indicators without a sampling design
(judgement, deduction, veto) are listed with both values and no test: their change is not a
sampling question. (Samples of two years may share households; treating them as independent
overstates the variance of d when households repeat, so the test errs on the side of "noise".)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evaluator.scoring.designs import IndicatorDesign
from evaluator.scoring.ranking import holm
from evaluator.scoring.stats import z_value
from evaluator.scoring.types import ScoreSheet, text_dict


@dataclass(frozen=True)
class Change:
    code: str
    name: Mapping[str, str]
    method: str
    before: float | None
    after: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    beyond_noise: bool | None  # None: not tested (no design, or no estimate in a year)
    points_before: float
    points_after: float
    verdict_before: str
    verdict_after: str


@dataclass(frozen=True)
class LookBack:
    previous_key: str
    changes: tuple[Change, ...]
    tested: int
    beyond_noise: int
    same_rubric: bool
    total_before: float
    total_after: float
    grade_before: str
    grade_after: str
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {"previous": self.previous_key, "same_rubric": self.same_rubric,
                "confidence": self.confidence, "tested": self.tested,
                "beyond_noise": self.beyond_noise,
                "total": {"before": self.total_before, "after": self.total_after},
                "grade": {"before": self.grade_before, "after": self.grade_after},
                "changes": [{"code": c.code, "name": dict(c.name), "method": c.method,
                             "before": c.before, "after": c.after, "difference": c.difference,
                             "ci_low": c.ci_low, "ci_high": c.ci_high, "p_value": c.p_value,
                             "beyond_noise": c.beyond_noise, "points_before": c.points_before,
                             "points_after": c.points_after, "verdict_before": c.verdict_before,
                             "verdict_after": c.verdict_after} for c in self.changes]}


def change_test(before: float, v_before: float, after: float, v_after: float,
                confidence: float = 0.95) -> tuple[float, float, float, float]:
    """(difference, ci_low, ci_high, two-sided p) of after - before for independent estimates.

    >>> d, low, high, p = change_test(0.80, 0.0004, 0.86, 0.0005)
    >>> round(d, 2), round(p, 4)
    (0.06, 0.0455)
    """
    for name, v in (("v_before", v_before), ("v_after", v_after)):
        if v < 0 or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite variance >= 0, got {v}")
    d = after - before
    se = math.sqrt(v_before + v_after)
    if se == 0.0:  # two censuses: the change is what it is
        return d, d, d, (0.0 if d != 0 else 1.0)
    half = z_value(confidence) * se
    p = math.erfc(abs(d) / se / math.sqrt(2.0))
    return d, d - half, d + half, p


def look_back(current: tuple[ScoreSheet, Mapping[str, IndicatorDesign]],
              previous: tuple[ScoreSheet, Mapping[str, IndicatorDesign]], previous_key: str,
              confidence: float = 0.95) -> LookBack:
    """The changes from ``previous`` (sheet, designs) to ``current``, in current's order."""
    sheet, designs = current
    old_sheet, old_designs = previous
    old = {r.code: r for r in old_sheet.indicators}
    rows: list[dict[str, Any]] = []
    p_values: list[float] = []
    for r in sheet.indicators:
        o = old.get(r.code)
        row: dict[str, Any] = dict(
            code=r.code, name=text_dict(r.name), method=r.method,
            before=o.estimate if o else None, after=r.estimate, difference=None, ci_low=None,
            ci_high=None, p_value=None, beyond_noise=None,
            points_before=o.points if o else 0.0, points_after=r.points,
            verdict_before=o.verdict if o else "", verdict_after=r.verdict)
        if o is not None and r.estimate is not None and o.estimate is not None:
            row["difference"] = r.estimate - o.estimate
            now, then = designs.get(r.code), old_designs.get(r.code)
            if now is not None and then is not None and o.method == r.method:
                v_now, v_then = now.estimate(confidence).variance, then.estimate(confidence).variance
                if v_now is not None and v_then is not None:
                    d, low, high, p = change_test(o.estimate, v_then, r.estimate, v_now, confidence)
                    row.update(difference=d, ci_low=low, ci_high=high, p_value=p)
                    p_values.append(p)
        rows.append(row)
    rejected = iter(holm(p_values, 1.0 - confidence))
    changes = []
    for row in rows:
        if row["p_value"] is not None:
            row["beyond_noise"] = next(rejected)
        changes.append(Change(**row))
    return LookBack(
        previous_key=previous_key, changes=tuple(changes), tested=len(p_values),
        beyond_noise=sum(1 for c in changes if c.beyond_noise),
        same_rubric=(sheet.rubric_id, sheet.rubric_version) == (old_sheet.rubric_id,
                                                                old_sheet.rubric_version),
        total_before=old_sheet.total, total_after=sheet.total, grade_before=old_sheet.grade,
        grade_after=sheet.grade, confidence=confidence)
