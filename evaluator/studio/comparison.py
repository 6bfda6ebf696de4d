"""Two score sheets of the same data side by side: the stored version and the draft (pure).

Reads the sheets' plain form (``ScoreSheet.to_dict()``), so it follows whatever the sheet
carries. Numbers are not rounded here; the page rounds for reading. A difference is any
difference of the unrounded values, so "changed" is never hidden by rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: What the side-by-side table shows of each indicator.
INDICATOR_FIELDS = ("estimate", "ci_low", "ci_high", "n", "points", "max", "verdict", "target",
                    "floor")


def compare(base: Mapping[str, Any] | None, draft: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values for the what-if page. ``base`` is None when there is no stored version to
    compare with (a blank start): then every row is the draft's alone."""
    base = base or {}
    head = {
        key: {"base": base.get(key), "draft": draft.get(key),
              "changed": bool(base) and base.get(key) != draft.get(key)}
        for key in ("total", "max", "grade", "grade_en", "uncapped_grade", "provisional",
                    "grade_range", "grade_range_en")
    }
    vetoes: dict[str, Any] = {"base": [v.get("code") for v in base.get("veto", [])],
              "draft": [v.get("code") for v in draft.get("veto", [])]}
    vetoes["changed"] = bool(base) and vetoes["base"] != vetoes["draft"]
    dimensions = _rows(base.get("dimensions", []), draft.get("dimensions", []),
                       ("score", "max"), bool(base))
    indicators = _rows(base.get("indicators", []), draft.get("indicators", []), INDICATOR_FIELDS,
                       bool(base))
    changed = [r["code"] for r in indicators if r["changed"]]
    return {"head": head, "vetoes": vetoes, "dimensions": dimensions, "indicators": indicators,
            "changed_indicators": changed, "has_base": bool(base),
            "any_change": bool(changed) or any(v["changed"] for v in head.values())
            or vetoes["changed"]}


def _rows(base: list[Mapping[str, Any]], draft: list[Mapping[str, Any]],
          fields: tuple[str, ...], has_base: bool) -> list[dict[str, Any]]:
    before = {row.get("code"): row for row in base}
    after = {row.get("code"): row for row in draft}
    rows = []
    for code in dict.fromkeys([*after, *before]):
        a, b = before.get(code), after.get(code)
        status = "same"
        if has_base and a is None:
            status = "added"
        elif b is None:
            status = "removed"
        cells = {}
        for name in fields:
            old = a.get(name) if a else None
            new = b.get(name) if b else None
            cells[name] = {"base": old, "draft": new,
                           "changed": has_base and a is not None and b is not None and old != new}
        changed = status != "same" or any(c["changed"] for c in cells.values())
        if status == "same" and changed:
            status = "changed"
        source = b or a or {}
        rows.append({"code": code, "name": source.get("name", {}), "method": source.get("method"),
                     "dimension": source.get("dimension"), "status": status, "changed": changed,
                     "cells": cells})
    return rows
