"""From indicator points to dimension scores, the total and the grade — and how sure it is.

An indicator without enough data (``insufficient``) earns no points, unless the rubric says
``insufficient: pro_rata``: then its dimension is scored from the indicators that have data,
scaled up to the dimension's points (the report says so). A grade is *provisional* (暂定) when
it rests on indicators the sample could not decide: with every ``insufficient`` indicator
anywhere from 0 to its full points, and every ``indeterminate`` one anywhere its 95 % interval
allows, the total could fall into another band. The sheet keeps the range of totals and grades
and names the indicators that make it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from evaluator.scoring.types import DimensionResult, IndicatorResult, VetoResult, text_dict

if TYPE_CHECKING:
    from evaluator.rubrics.definition import Band, Indicator, Rubric

UNDECIDED = ("insufficient", "indeterminate")


@dataclass(frozen=True)
class Grading:
    dimensions: tuple[DimensionResult, ...]
    total: float
    grade: Band  # veto caps applied
    uncapped: Band
    total_range: tuple[float, float]
    grade_range: tuple[str, str]  # (worst, best) grade the undecided indicators allow
    grade_range_en: tuple[str, str]
    provisional: bool
    because: tuple[str, ...]


def points_range(ind: Indicator, result: IndicatorResult) -> tuple[float, float]:
    """The points an indicator could have earned, given what the sample could not decide."""
    if result.verdict == "insufficient":
        return 0.0, result.max
    if result.verdict != "indeterminate" or result.method in ("veto", "deduction"):
        return result.points, result.points
    if result.method == "judgement":
        scores = result.judge_scores
        if scores:
            ends = [min(result.max, max(0.0, float(ind.points_for(s)))) for s in scores]
            return min(ends), max(ends)
        return result.points, result.points
    if result.ci_low is None or result.ci_high is None:
        return 0.0, result.max
    ends = [min(result.max, max(0.0, float(ind.points_for(v)))) for v in (result.ci_low, result.ci_high)]
    return min(ends), max(ends)


def grade(rubric: Rubric, results: Sequence[IndicatorResult], caps: Sequence[VetoResult]) -> Grading:
    """Dimension scores, total and grade under the rubric's insufficient rule, with its range."""
    pro_rata = getattr(rubric, "insufficient", "zero") == "pro_rata"
    by_code = {i.code: i for i in rubric.indicators}
    ranges = {r.code: points_range(by_code[r.code], r) for r in results}
    dimensions = []
    low_total: list[float] = []
    high_total: list[float] = []
    for d in rubric.dimensions:
        mine = [r for r in results if r.dimension == d.code]
        counted = [r for r in mine if r.verdict != "insufficient"] if pro_rata else mine
        earned = math.fsum(r.points for r in counted)
        possible = math.fsum(r.max for r in counted if r.method != "veto")
        scaled = pro_rata and len(counted) < len(mine)
        if scaled:
            earned = earned * float(d.points) / possible if possible > 0 else 0.0
        dimensions.append(DimensionResult(d.code, text_dict(d.name), earned, float(d.points), scaled))
        low_total.extend(ranges[r.code][0] for r in mine)
        high_total.extend(ranges[r.code][1] for r in mine)
    total = math.fsum(x.score for x in dimensions)
    capping = [c.cap for c in caps]
    band = rubric.grade_for(total, capping)
    low, high = math.fsum(low_total), math.fsum(high_total)
    worst = rubric.grade_for(min(low, total), capping)
    best = rubric.grade_for(max(high, total), capping)
    because = tuple(r.code for r in results if r.verdict in UNDECIDED and ranges[r.code][0] != ranges[r.code][1])
    return Grading(
        dimensions=tuple(dimensions), total=total, grade=band, uncapped=rubric.grade_for(total),
        total_range=(min(low, total), max(high, total)), grade_range=(worst.grade, best.grade),
        grade_range_en=(worst.en, best.en),
        provisional=worst.grade != best.grade, because=because if worst.grade != best.grade else (),
    )


def with_ranges(rubric: Rubric, results: Sequence[IndicatorResult]) -> list[IndicatorResult]:
    """The results with their points ranges filled in (for the report's drill-down)."""
    by_code = {i.code: i for i in rubric.indicators}
    return [replace(r, points_range=points_range(by_code[r.code], r)) for r in results]
