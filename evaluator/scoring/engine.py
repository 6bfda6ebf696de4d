"""score(rubric, data) -> ScoreSheet: the pure scoring function.

No files, no database, no clock: the same rubric and data give the same sheet, bit for bit,
from the CLI, the web app (its service builds ``ScoringData`` from plain rows) and the report.
Units and expressions are in ``units``, each method in ``methods``, the statistics in ``stats``.
"""

from __future__ import annotations

import gc
import math
from collections import Counter
from typing import TYPE_CHECKING, Any

from evaluator.scoring import methods
from evaluator.scoring.context import Context
from evaluator.scoring.inputs import from_bundle
from evaluator.scoring.types import (
    DimensionResult,
    IndicatorResult,
    ScoreSheet,
    ScoringData,
    StratumPlan,
    VetoResult,
    text_dict,
)

if TYPE_CHECKING:
    from evaluator.bundle.model import Bundle
    from evaluator.rubrics.definition import Rubric

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


def score(rubric: Rubric, data: ScoringData | Bundle) -> ScoreSheet:
    """Score ``data`` (``ScoringData``, or a loaded ``Bundle``) against ``rubric`` (a ``Rubric``).

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
        return _score(rubric, data)
    finally:
        if paused:
            gc.enable()


def _score(rubric: Rubric, data: ScoringData) -> ScoreSheet:
    ctx = Context(rubric, data)
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
    dimensions = tuple(
        DimensionResult(
            d.code,
            text_dict(d.name),
            math.fsum(r.points for r in results if r.dimension == d.code),
            float(d.points),
        )
        for d in rubric.dimensions
    )
    total = math.fsum(d.score for d in dimensions)
    drawn = Counter(s.stratum for s in data.sample if s.role == "sample")
    uncapped = rubric.grade_for(total)
    band = rubric.grade_for(total, [c.cap for c in caps])
    return ScoreSheet(
        rubric_id=rubric.id,
        rubric_version=str(rubric.version),
        rubric_hash=getattr(rubric, "content_hash", ""),
        data_hash=data.data_hash,
        total=total,
        max=float(rubric.total),
        grade=band.grade,
        grade_en=band.en,
        uncapped_grade=uncapped.grade,
        veto=tuple(caps),
        dimensions=dimensions,
        indicators=tuple(results),
        strata={name: StratumPlan(ctx.population(name), drawn.get(name, 0)) for name in ctx.strata},
        stratum_column=data.stratum_column,
        confidence=data.confidence,
    )


def _check_rubric(rubric: Any) -> None:
    for name in ("id", "version", "total", "bands", "dimensions", "grade_for"):
        if not hasattr(rubric, name):
            raise ValueError(f"expected a Rubric (evaluator.rubrics.definition), got {type(rubric).__name__}")
    unknown = sorted({i.method for d in rubric.dimensions for i in d.indicators} - set(METHODS))
    if unknown:
        raise ValueError(f"rubric {rubric.id} uses method(s) this engine cannot score: {', '.join(unknown)}")
