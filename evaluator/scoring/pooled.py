"""Programme-level estimates (评估项目总体): the units' samples pooled into one stratified design.

Each evaluation unit (a county union, 评估单位) drew its own stratified sample from its own
roster. Together they are one stratified sample of the programme's population, whose strata are
the units' strata (``unit/stratum``), each weighted by its own frame size N_h. So a pooled
estimate is the estimator every unit's indicator used (evaluator.scoring.stats), applied to the
union of the units' strata: a unit with a large frame weighs more than one with a small frame,
whatever their sample sizes, and the interval carries every unit's sampling error. No unit's
estimate is averaged with another's: the pooled number is a design-based estimate of the whole.

Indicators without a sample design (``judgement`` of evaluators, ``deduction`` per finding,
``veto``) cannot be pooled that way: for them the programme figure is the frame-weighted mean
of the units' estimates (judgement) or counts over units, with no interval, and says so.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from evaluator.scoring import decision, methods
from evaluator.scoring.designs import IndicatorDesign, estimator
from evaluator.scoring.engine import score
from evaluator.scoring.types import VERDICTS, ScoreSheet, text_dict

#: How a programme figure was obtained, per indicator.
POOLING = ("design", "weighted_mean", "counts")


@dataclass(frozen=True)
class UnitScore:
    """One evaluation unit of a programme: its key (the evaluation's code), the unit's name,
    its region, its score sheet and the designs kept while scoring it."""

    key: str
    name: str
    sheet: ScoreSheet
    designs: Mapping[str, IndicatorDesign]
    region: str = ""
    #: (indicator, severity) of each of the unit's findings (问题), for deduction indicators.
    findings: tuple[tuple[str, str], ...] = ()

    @property
    def frame(self) -> int:
        """The unit's registered households (Σ N_h): its weight in the programme."""
        return sum(p.population for p in self.sheet.strata.values())

    @property
    def sampled(self) -> int:
        return sum(p.sampled for p in self.sheet.strata.values())


@dataclass(frozen=True)
class PooledIndicator:
    code: str
    dimension: str
    name: Mapping[str, str]
    method: str
    pooling: str  # one of POOLING
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    units: int  # units contributing a value
    strata: int
    variance: float | None
    deff: float | None
    interval: str | None
    verdict: str  # a VERDICT for design-pooled indicators, "" otherwise
    target: float | None
    direction: str | None
    unit_verdicts: Mapping[str, int] = field(default_factory=dict)
    findings: Mapping[str, int] = field(default_factory=dict)  # deduction: findings by severity


@dataclass(frozen=True)
class PooledSheet:
    """The programme's pooled indicators, in rubric order, with what they rest on."""

    rubric_id: str
    rubric_version: str
    confidence: float
    units: int
    frame: int
    sampled: int
    indicators: tuple[PooledIndicator, ...]
    unit_keys: tuple[str, ...]
    data_hashes: tuple[str, ...]

    def indicator(self, code: str) -> PooledIndicator:
        for found in self.indicators:
            if found.code == code:
                return found
        raise KeyError(f"no indicator {code!r} in the pooled sheet")

    def to_dict(self) -> dict[str, Any]:
        return _clean({
            "rubric": {"id": self.rubric_id, "version": self.rubric_version},
            "confidence": self.confidence,
            "units": self.units,
            "frame": self.frame,
            "sampled": self.sampled,
            "unit_keys": list(self.unit_keys),
            "data_hashes": list(self.data_hashes),
            "indicators": [{
                "code": i.code, "dimension": i.dimension, "name": dict(i.name),
                "method": i.method, "pooling": i.pooling, "estimate": i.estimate,
                "ci_low": i.ci_low, "ci_high": i.ci_high, "n": i.n, "units": i.units,
                "strata": i.strata, "variance": i.variance, "deff": i.deff,
                "interval": i.interval, "verdict": i.verdict, "target": i.target,
                "direction": i.direction, "unit_verdicts": dict(i.unit_verdicts),
                "findings": dict(i.findings),
            } for i in self.indicators],
        })


def pool(rubric: Any, units: Sequence[UnitScore], confidence: float = 0.95) -> PooledSheet:
    """Pool the units' designs, indicator by indicator (see the module's docstring).

    Every unit must have been scored with ``rubric`` (same id and version); unit keys must be
    unique. Raises ``ValueError`` otherwise.
    """
    _check_units(rubric, units)
    ordered = sorted(units, key=lambda u: u.key)
    indicators = []
    for dimension in rubric.dimensions:
        for ind in dimension.indicators:
            results = [u.sheet.indicator(ind.code) for u in ordered]
            counts = Counter(r.verdict for r in results)
            unit_verdicts = {v: counts.get(v, 0) for v in VERDICTS}
            base = dict(code=ind.code, dimension=dimension.code, name=text_dict(ind.name),
                        method=ind.method, target=decision.target_of(ind),
                        direction=ind.direction, unit_verdicts=unit_verdicts)
            designs = [(u, u.designs.get(ind.code)) for u in ordered]
            if ind.method in ("veto", "deduction", "judgement") or not any(d for _, d in designs):
                indicators.append((ind, _unpooled(ind, ordered, results, base), None))
            else:
                indicators.append((ind, *_pooled(ind, designs, confidence, base)))
    return PooledSheet(
        rubric_id=rubric.id, rubric_version=str(rubric.version), confidence=confidence,
        units=len(ordered), frame=sum(u.frame for u in ordered),
        sampled=sum(u.sampled for u in ordered),
        indicators=tuple(_with_verdicts(rubric, indicators, confidence)),
        unit_keys=tuple(u.key for u in ordered),
        data_hashes=tuple(u.sheet.data_hash for u in ordered))


def score_with_designs(rubric: Any, data: Any) -> tuple[ScoreSheet, dict[str, IndicatorDesign]]:
    """(score sheet, designs by indicator code) of one evaluation: ``score`` keeping designs."""
    designs: dict[str, IndicatorDesign] = {}
    sheet = score(rubric, data, designs=designs)
    return sheet, designs


def pooled_json(sheet: PooledSheet) -> str:
    """The pooled sheet as JSON text: the same units give the same bytes (web and CLI)."""
    return json.dumps(sheet.to_dict(), ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def pooled_estimate(designs: Sequence[tuple[str, IndicatorDesign]],
                    confidence: float = 0.95) -> Any:
    """The estimate of one indicator over the units' designs together: (unit key, design)
    pairs whose strata become ``key/stratum`` strata of one design (an ``Estimate`` of
    evaluator.scoring.stats). Raises ``ValueError`` when the units estimated it differently."""
    kinds = {d.kind for _, d in designs}
    if len(kinds) != 1:
        raise ValueError(f"the units estimated this indicator as {', '.join(sorted(kinds)) or 'nothing'}")
    strata = {}
    for key, design in designs:
        # The separator cannot occur in a unit key (an evaluation code), so names never clash.
        strata.update(design.stats_strata(prefix=f"{key}\x1f"))
    return estimator(kinds.pop())(strata, confidence)


def _pooled(ind: Any, designs: list[tuple[UnitScore, IndicatorDesign | None]], confidence: float,
            base: dict[str, Any]) -> tuple[PooledIndicator, Any]:
    present = [(u.key, d) for u, d in designs if d is not None]
    try:
        est = pooled_estimate(present, confidence)
    except ValueError as exc:
        raise ValueError(f"indicator {ind.code}: {exc}") from None
    contributing = sum(1 for _, d in present if any(s.values for s in d.strata.values()))
    holding = sum(1 for _, d in present for s in d.strata.values() if s.values)
    return PooledIndicator(
        **base, pooling="design", estimate=est.estimate, ci_low=est.ci_low, ci_high=est.ci_high,
        n=est.n, units=contributing, strata=holding, variance=est.variance, deff=est.deff,
        interval=est.interval, verdict=""), est


def _with_verdicts(rubric: Any, pooled: list[tuple[Any, PooledIndicator, Any]],
                   confidence: float) -> list[PooledIndicator]:
    """Verdicts of the design-pooled indicators, by the rule every sheet uses
    (evaluator.scoring.decision: one-sided bounds against the threshold, Holm over the
    indicators whose failure is tested)."""
    first, tails = {}, {}
    for ind, p, est in pooled:
        if p.pooling != "design":
            continue
        threshold = decision.threshold_of(ind)
        bound = est.bound(decision.meets_side(ind.direction)) if est.estimate is not None else None
        first[p.code] = decision.first_verdict(ind.direction, threshold, bound, est.n, ind.min_n,
                                               est.estimate)
        if first[p.code] in decision.TESTED:
            tail = decision.fails_p_value(est, ind.direction, threshold)
            if tail is not None:
                tails[p.code] = tail
    failing = decision.holm(tails, 1.0 - confidence)
    return [replace(p, verdict="fails" if p.code in failing else first[p.code])
            if p.pooling == "design" else p for _, p, _ in pooled]


def _unpooled(ind: Any, units: list[UnitScore], results: list[Any],
              base: dict[str, Any]) -> PooledIndicator:
    """Judgement: the frame-weighted mean of the units' mean scores; deduction: findings
    by severity over all units; veto: the units' verdicts only (in ``unit_verdicts``)."""
    estimate = None
    contributing = [(u.frame, r.estimate) for u, r in zip(units, results, strict=True)
                    if r.estimate is not None and math.isfinite(r.estimate)]
    if ind.method == "judgement" and contributing:
        weight = math.fsum(f for f, _ in contributing)
        estimate = math.fsum(f * e for f, e in contributing) / weight if weight else None
    findings: dict[str, int] = {}
    if ind.method == "deduction":
        counted = Counter(severity for u in units for code, severity in u.findings
                          if code == ind.code)
        findings = {s: counted.get(s, 0) for s in methods.SEVERITIES}
    return PooledIndicator(
        **base, pooling="weighted_mean" if ind.method == "judgement" else "counts",
        estimate=estimate, ci_low=None, ci_high=None, n=sum(r.n for r in results),
        units=len(contributing), strata=0, variance=None, deff=None, interval=None, verdict="",
        findings=findings)


def _check_units(rubric: Any, units: Sequence[UnitScore]) -> None:
    if not units:
        raise ValueError("a programme needs at least one scored unit")
    keys = Counter(u.key for u in units)
    repeated = sorted(k for k, n in keys.items() if n > 1)
    if repeated:
        raise ValueError(f"unit keys appear more than once: {', '.join(repeated)}")
    for u in units:
        if "\x1f" in u.key or not u.key:
            raise ValueError(f"unit key {u.key!r} is empty or holds a control character")
        if (u.sheet.rubric_id, u.sheet.rubric_version) != (rubric.id, str(rubric.version)):
            raise ValueError(f"unit {u.key} was scored with rubric {u.sheet.rubric_id} "
                             f"{u.sheet.rubric_version}, not {rubric.id} {rubric.version}")


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
