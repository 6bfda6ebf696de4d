"""What changed between two rubric versions, in the author's terms (pure).

Indicators are matched by code across the whole rubric (an indicator moved to another dimension
is one indicator that moved, not one removed and one added); dimensions by code; everything
else by key. The result is plain values for a page: what was added, removed and changed, and
how the points moved between dimensions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evaluator.studio.editing import BAND_KEYS, INDICATOR_HEAD, PARAMETERS, TOP_KEYS


@dataclass
class Change:
    """One key whose value differs: ``old`` or ``new`` is None when the key was added or
    removed."""

    key: str
    old: Any
    new: Any


@dataclass
class IndicatorDiff:
    code: str
    name: Any
    dimension_old: str | None
    dimension_new: str | None
    points_old: Any
    points_new: Any
    changes: list[Change] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.dimension_old is None:
            return "added"
        if self.dimension_new is None:
            return "removed"
        return "changed"


@dataclass
class RubricDiff:
    top: list[Change]
    bands: list[Change]
    dimensions: list[dict[str, Any]]
    indicators: list[IndicatorDiff]

    @property
    def empty(self) -> bool:
        return not (self.top or self.bands or self.indicators or
                    any(d["status"] != "same" for d in self.dimensions))


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> RubricDiff:
    """The differences from ``old`` to ``new`` (two rubrics' content)."""
    top = _changes(old, new, [k for k in _keys(old, new) if k not in ("bands", "dimensions")],
                   TOP_KEYS)
    return RubricDiff(top=top, bands=_band_changes(old.get("bands"), new.get("bands")),
                      dimensions=_dimension_rows(old, new),
                      indicators=_indicator_diffs(old, new))


def _keys(old: Mapping, new: Mapping) -> list[str]:
    return list(dict.fromkeys([*old, *new]))


def _changes(old: Mapping, new: Mapping, keys: list[str], order: tuple[str, ...] = ()
             ) -> list[Change]:
    keys = sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), k))
    return [Change(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def _band_changes(old: Any, new: Any) -> list[Change]:
    def table(bands: Any) -> dict[str, Any]:
        if not isinstance(bands, list):
            return {}
        return {str(b.get("grade")): {k: b.get(k) for k in BAND_KEYS if k in b}
                for b in bands if isinstance(b, Mapping)}

    before, after = table(old), table(new)
    return [Change(grade, before.get(grade), after.get(grade))
            for grade in _keys(before, after) if before.get(grade) != after.get(grade)]


def _dimensions(content: Mapping) -> list[Mapping]:
    dims = content.get("dimensions")
    return [d for d in dims if isinstance(d, Mapping)] if isinstance(dims, list) else []


def _dimension_rows(old: Mapping, new: Mapping) -> list[dict[str, Any]]:
    before = {str(d.get("code")): d for d in _dimensions(old)}
    after = {str(d.get("code")): d for d in _dimensions(new)}
    rows = []
    for code in _keys(before, after):
        a, b = before.get(code), after.get(code)
        status = "added" if a is None else "removed" if b is None else "same"
        changes: list[Change] = []
        if a is not None and b is not None:
            changes = _changes(a, b, [k for k in _keys(a, b) if k != "indicators"],
                               ("code", "name", "why", "points"))
            order_a = [i.get("code") for i in a.get("indicators") or [] if isinstance(i, Mapping)]
            order_b = [i.get("code") for i in b.get("indicators") or [] if isinstance(i, Mapping)]
            if order_a != order_b and set(order_a) == set(order_b):
                changes.append(Change("order", order_a, order_b))
            status = "changed" if changes else "same"
        source = b if b is not None else a
        rows.append({"code": code, "name": source.get("name") if source else None,
                     "status": status, "points_old": a.get("points") if a else None,
                     "points_new": b.get("points") if b else None, "changes": changes})
    return rows


def _indicators(content: Mapping) -> dict[str, tuple[str, Mapping]]:
    found: dict[str, tuple[str, Mapping]] = {}
    for dimension in _dimensions(content):
        for indicator in dimension.get("indicators") or []:
            if isinstance(indicator, Mapping):
                found.setdefault(str(indicator.get("code")), (str(dimension.get("code")),
                                                              indicator))
    return found


def _indicator_diffs(old: Mapping, new: Mapping) -> list[IndicatorDiff]:
    before, after = _indicators(old), _indicators(new)
    order = (*INDICATOR_HEAD, *PARAMETERS)
    out = []
    for code in _keys(before, after):
        a, b = before.get(code), after.get(code)
        if a is not None and b is not None and a == b:
            continue
        ia, ib = (a[1] if a else {}), (b[1] if b else {})
        changes = _changes(ia, ib, _keys(ia, ib), order) if a and b else []
        if a and b and a[0] != b[0]:
            changes.insert(0, Change("dimension", a[0], b[0]))
        out.append(IndicatorDiff(
            code=code, name=(ib or ia).get("name"), dimension_old=a[0] if a else None,
            dimension_new=b[0] if b else None, points_old=ia.get("points") if a else None,
            points_new=ib.get("points") if b else None, changes=changes))
    return out
