"""score(rubric, data) -> ScoreSheet: the pure scoring function.

No files, no database, no clock: the same rubric and data give the same sheet, bit for bit,
from the CLI, the web app (its service builds ``ScoringData`` from plain rows) and the report.
Units and expressions are in ``units``, each method in ``methods``, the statistics in ``stats``.
"""

from __future__ import annotations

import gc
import math
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np

from evaluator.scoring import methods
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
from evaluator.scoring.units import SourceUnits

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


class Context:
    """What every method needs: the data, units per source (built once), strata and N_h."""

    def __init__(self, rubric: Any, data: ScoringData):
        self.rubric = rubric
        self.data = data
        self.roster, counted = data.index()
        self._counted = counted
        self.strata = sorted(set(data.frame_sizes) | set(counted))
        self.sampled = {s.household_id for s in data.sample if s.role == "sample"}
        # today() in a rubric expression is the evaluation's end date; the clock only without one.
        self.today = (data.today or date.today()).isoformat()
        self.pass_share = pass_share(rubric)
        self._units: dict[str, SourceUnits] = {}
        self._masks: dict[str, list[tuple[str, np.ndarray]]] = {}
        self._unsampled: dict[str, int] = {}
        self._positions: dict[tuple[str, str], np.ndarray] = {}

    def units(self, source: str | None) -> SourceUnits:
        key = source or ""
        found = self._units.get(key)
        if found is None:
            found = self._units[key] = SourceUnits(key, self.data, self.roster, self.today)
        return found

    def positions(self, units: SourceUnits, other: SourceUnits) -> np.ndarray:
        """For each unit of ``units``, the index of the same household in ``other`` (-1: none)."""
        key = (units.source, other.source)
        found = self._positions.get(key)
        if found is None:
            get = other.index.get
            found = np.fromiter((get(h, -1) for h in units.ids), dtype=np.int64, count=units.size)
            self._positions[key] = found
        return found

    def population(self, stratum: str) -> int:
        """N_h: the frame size given for the stratum, else the roster's count."""
        return int(self.data.frame_sizes.get(stratum) or self._counted.get(stratum, 0))

    def strata_masks(self, units: SourceUnits) -> Iterator[tuple[str, np.ndarray]]:
        masks = self._masks.get(units.source)
        if masks is None:
            code = {name: k for k, name in enumerate(self.strata)}
            codes = np.fromiter(map(code.__getitem__, units.strata), dtype=np.int64, count=units.size)
            masks = [(name, codes == k) for k, name in enumerate(self.strata)]
            self._masks[units.source] = masks
        for name, mask in masks:
            if self.population(name) > 0:
                yield name, mask

    def unsampled(self, units: SourceUnits) -> int:
        """Drawn households (role sample) without a record in this source: missing."""
        found = self._unsampled.get(units.source)
        if found is None:
            found = self._unsampled[units.source] = len(self.sampled - units.index.keys())
        return found


def pass_share(rubric: Any) -> float:
    """The lowest passing band's min over the total (0.6 for 60/100): the bar for judged methods."""
    passing = [float(b.min) for b in rubric.bands if float(b.min) > 0]
    total = float(rubric.total)
    return min(passing) / total if passing and total > 0 else 0.0


def score(rubric: Any, data: ScoringData | Any) -> ScoreSheet:
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


def _score(rubric: Any, data: ScoringData) -> ScoreSheet:
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
