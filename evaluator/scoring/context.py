"""What every scoring method needs from the rubric and the data (``Context``), in a module of
its own: the engine builds one per scoring run and hands it to the methods, and neither
imports the other for it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np

from evaluator.scoring.response import respondents
from evaluator.scoring.types import ScoringData
from evaluator.scoring.units import SourceUnits

if TYPE_CHECKING:
    from evaluator.rubrics.definition import Rubric
    from evaluator.scoring.designs import IndicatorDesign


class Context:
    """What every method needs: the data, units per source (built once), strata and N_h."""

    def __init__(self, rubric: Rubric, data: ScoringData, designs: dict[str, IndicatorDesign] | None = None):
        self.rubric = rubric
        self.data = data
        #: When a dict, each estimated indicator's design is kept in it (evaluator.scoring.designs).
        self.designs = designs
        self.roster, counted = data.index()
        self._counted = counted
        self.strata = sorted(set(data.frame_sizes) | set(counted))
        # attempted: every sampled household and each reserve taken into the sample or
        # recorded as a non-respondent (one with a record is counted by its record)
        self.sampled = {s.household_id for s in data.sample
                        if s.role == "sample" or s.outcome or s.replaces}
        # today() in a rubric expression is the evaluation's end date; the clock only without one.
        self.today = (data.today or date.today()).isoformat()
        self.pass_share = pass_share(rubric)
        self._units: dict[str, SourceUnits] = {}
        self._masks: dict[str, list[tuple[str, np.ndarray]]] = {}
        self._unsampled: dict[str, int] = {}
        self._positions: dict[tuple[str, str], np.ndarray] = {}
        self._responded: dict[str, np.ndarray] = {}

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
            found = np.fromiter(map(get, units.ids, repeat(-1)), dtype=np.int64, count=units.size)
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

    def has_response(self, units: SourceUnits) -> bool:
        """Whether the rubric says who responded in this source (non-response is then counted)."""
        return units.source in (getattr(self.rubric, "response", None) or {})

    def respondents(self, units: SourceUnits) -> np.ndarray:
        """Units that took part (all of them when the rubric names no response rule)."""
        found = self._responded.get(units.source)
        if found is None:
            rule = (getattr(self.rubric, "response", None) or {}).get(units.source)
            found = self._responded[units.source] = respondents(units, rule)
        return found

    def unsampled(self, units: SourceUnits) -> int:
        """Attempted households (sampled, or reserves taken) without a record in this source."""
        found = self._unsampled.get(units.source)
        if found is None:
            found = self._unsampled[units.source] = len(self.sampled - units.index.keys())
        return found


def pass_share(rubric: Rubric) -> float:
    """The lowest passing band's min over the total (0.6 for 60/100): the bar for judged methods."""
    passing = [float(b.min) for b in rubric.bands if float(b.min) > 0]
    total = float(rubric.total)
    return min(passing) / total if passing and total > 0 else 0.0
