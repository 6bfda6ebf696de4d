"""An estimated indicator's sample design, kept for pooling and comparing evaluations.

A score sheet says what one evaluation's sample shows. Comparing units of a programme
(评估项目总体) and pooling them needs more: the values of the sampled units behind each
estimate, by stratum, with the stratum's frame size N_h. ``score(rubric, data, designs={})``
fills that dict as it scores (one ``IndicatorDesign`` per estimated indicator), so the designs
are exactly what the sheet's estimates were computed from.

Designs are plain values (JSON in and out), so a web worker can keep them beside a stored
sheet and the command line can rebuild them from a bundle: the same data give the same designs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evaluator.scoring import stats

KINDS = ("proportion", "share", "mean")


@dataclass(frozen=True)
class StratumDesign:
    """One stratum of one indicator: N_h, the domain's units (ids and values, aligned) and the
    observed units the indicator does not apply to (``outside``)."""

    population: float
    ids: tuple[str, ...]
    values: tuple[float, ...]
    outside: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.values):
            raise ValueError(f"{len(self.ids)} ids for {len(self.values)} values")
        if not self.population > 0 or math.isnan(self.population):
            raise ValueError(f"stratum population must be positive, got {self.population}")

    @property
    def observed(self) -> int:
        return len(self.values) + len(self.outside)


@dataclass(frozen=True)
class IndicatorDesign:
    """What an estimated indicator was computed from: its kind (``proportion``, ``share`` or
    ``mean``, which says which estimator of evaluator.scoring.stats applies) and its strata."""

    code: str
    kind: str
    strata: Mapping[str, StratumDesign]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"indicator {self.code}: kind must be one of {', '.join(KINDS)}, "
                             f"got {self.kind!r}")

    def stats_strata(self, prefix: str = "") -> dict[str, stats.Stratum]:
        """The strata as the estimators take them, named ``prefix + stratum``."""
        return {prefix + name: stratum_for(s) for name, s in self.strata.items()}

    def estimate(self, confidence: float = stats.DEFAULT_CONFIDENCE) -> stats.Estimate:
        """The estimate the sheet printed, again (from the kept values)."""
        return estimator(self.kind)(self.stats_strata(), confidence)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "kind": self.kind, "strata": {
            name: {"population": s.population, "ids": list(s.ids), "values": list(s.values),
                   "outside": list(s.outside)} for name, s in self.strata.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IndicatorDesign:
        try:
            strata = {str(name): StratumDesign(float(s["population"]), tuple(map(str, s["ids"])),
                                               tuple(float(v) for v in s["values"]),
                                               tuple(map(str, s.get("outside", ()))))
                      for name, s in data["strata"].items()}
            return cls(str(data["code"]), str(data["kind"]), strata)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not an indicator design: {exc}") from None


def estimator(kind: str) -> Any:
    """The estimator of evaluator.scoring.stats for an indicator kind."""
    return {"proportion": stats.stratified_proportion, "share": stats.stratified_share,
            "mean": stats.stratified_mean}[kind]


def stratum_for(s: StratumDesign) -> stats.Stratum:
    """A kept stratum as the estimators take it: N_h, the domain's values and the count of
    observed units outside the domain."""
    return stats.Stratum(s.population, list(s.values), len(s.outside))


def designs_to_dict(designs: Mapping[str, IndicatorDesign]) -> dict[str, Any]:
    return {code: d.to_dict() for code, d in sorted(designs.items())}


def designs_from_dict(data: Mapping[str, Any]) -> dict[str, IndicatorDesign]:
    if not isinstance(data, Mapping):
        raise ValueError("designs must map indicator codes to designs")
    return {str(code): IndicatorDesign.from_dict(d) for code, d in data.items()}
