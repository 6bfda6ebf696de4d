"""score(rubric, data) -> ScoreSheet: the pure scoring function.

No files, no database, no clock: the same rubric and data give the same sheet, bit for bit,
from the CLI, the web app (its service builds ``ScoringData`` from plain rows) and the report.
Units and expressions are in ``units``, each method in ``methods``, the statistics in ``stats``.
"""

from __future__ import annotations

import gc
from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from evaluator.scoring import decision, grading, methods
from evaluator.scoring.context import Context
from evaluator.scoring.inputs import from_bundle
from evaluator.scoring.response import response_table
from evaluator.scoring.types import (
    IndicatorResult,
    ScoreSheet,
    ScoringData,
    StratumPlan,
    VetoResult,
)

if TYPE_CHECKING:
    from evaluator.bundle.model import Bundle
    from evaluator.rubrics.definition import Rubric
    from evaluator.scoring.designs import IndicatorDesign

ESTIMATED = {
    "rate": methods.rate,
    "mean": methods.mean,
    "checklist": methods.checklist,
    "consistency": methods.consistency,
    "completeness": methods.completeness,
}
UNSAMPLED = {
    "deduction": methods.deduction,
    "judgement": methods.judgement,
}
METHODS = (*ESTIMATED, *UNSAMPLED, "veto")


def score(rubric: Rubric, data: ScoringData | Bundle, *, designs: dict[str, IndicatorDesign] | None = None
          ) -> ScoreSheet:
    """Score ``data`` (``ScoringData``, or a loaded ``Bundle``) against ``rubric`` (a ``Rubric``).

    ``designs``, when given a dict, receives each estimated indicator's design (its units'
    values by stratum: evaluator.scoring.designs), for pooling and comparing evaluations.

    Raises ``ValueError`` for input that cannot be scored at all (a rubric method this engine
    does not know); problems in the data are reported per indicator (flags, notes, verdicts).
    """
    _check_rubric(rubric)
    # Scoring allocates hundreds of thousands of small objects and frees none of them until
    # it returns; the cyclic collector would rescan them all again and again (3x slower).
    paused = gc.isenabled()
    gc.disable()
    try:
        if not isinstance(data, ScoringData):
            data = from_bundle(data)
        return _score(rubric, data, designs)
    finally:
        if paused:
            gc.enable()


def _score(rubric: Rubric, data: ScoringData, designs: dict[str, IndicatorDesign] | None = None) -> ScoreSheet:
    ctx = Context(rubric, data, designs)
    results: list[IndicatorResult] = []
    caps: list[VetoResult] = []
    for dimension in rubric.dimensions:
        for ind in dimension.indicators:
            if ind.method == "veto":
                result, cap = methods.veto(ind, ctx)
                if cap is not None:
                    caps.append(cap)
            elif ind.method in ESTIMATED:
                result = ESTIMATED[ind.method](ind, ctx)
            else:
                result = UNSAMPLED[ind.method](ind, ctx)
            results.append(result)
    results = _holm(results, 1.0 - data.confidence)
    graded = grading.grade(rubric, results, caps)
    results = grading.with_ranges(rubric, results)
    drawn = Counter(s.stratum for s in data.sample if s.role == "sample")
    family = [r.code for r in results if r.p_value is not None]
    return ScoreSheet(
        rubric_id=rubric.id,
        rubric_version=str(rubric.version),
        rubric_hash=getattr(rubric, "content_hash", ""),
        data_hash=data.data_hash,
        total=graded.total,
        max=float(rubric.total),
        grade=graded.grade.grade,
        grade_en=graded.grade.en,
        uncapped_grade=graded.uncapped.grade,
        veto=tuple(caps),
        dimensions=graded.dimensions,
        indicators=tuple(results),
        strata={name: StratumPlan(ctx.population(name), drawn.get(name, 0)) for name in ctx.strata},
        stratum_column=data.stratum_column,
        confidence=data.confidence,
        provisional=graded.provisional,
        total_range=graded.total_range,
        grade_range=graded.grade_range,
        grade_range_en=graded.grade_range_en,
        provisional_because=graded.because,
        insufficient_rule=getattr(rubric, "insufficient", "zero"),
        multiplicity={"method": "holm", "family": family,
                      **decision.family_error(len(family), 1.0 - data.confidence)},
        response=response_table(ctx),
    )


def _holm(results: list[IndicatorResult], alpha: float) -> list[IndicatorResult]:
    """Settle `fails` across the sheet: Holm's step-down over every tested indicator."""
    tested = {r.code: r.p_value for r in results if r.p_value is not None}
    failing = decision.holm(tested, alpha)
    return [replace(r, verdict="fails") if r.code in failing else r for r in results]


def _check_rubric(rubric: Any) -> None:
    for name in ("id", "version", "total", "bands", "dimensions", "grade_for"):
        if not hasattr(rubric, name):
            raise ValueError(f"expected a Rubric (evaluator.rubrics.definition), got {type(rubric).__name__}")
    unknown = sorted({i.method for d in rubric.dimensions for i in d.indicators} - set(METHODS))
    if unknown:
        raise ValueError(f"rubric {rubric.id} uses method(s) this engine cannot score: {', '.join(unknown)}")
