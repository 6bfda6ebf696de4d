"""The map of units on the programme dashboard (单位分布图): one marker per unit at its location,
coloured by its tier (once ranked) or else its kept grade, a popup linking to the unit.

A unit's location is the one its row of the units sheet gave (``lat``, ``lon``), else the centre
of its located household visits (the tablet's GPS, else the questionnaire's geopoint answer, as
the sample map reads them: evaluator.fieldwork.review.records.coordinates). The page draws it
with the sample map's code (static/js/map.js, the vendored Leaflet): no tiles are needed.
Plain values only; the words come from the catalog.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluator.fieldwork.models import Evaluation, Submission
from evaluator.fieldwork.review.records import coordinates
from evaluator.programmes.models import Programme

#: Marker colours are levels 1 (best) to LEVELS; worse tiers or grades share the last.
LEVELS = 6


#: Centres already computed, by (database, programme, change stamp, units): reading every visit's
#: geopoint out of its answers costs ~0.8 s at 120 units and 13,000 visits (PostgreSQL,
#: bench/programme_dashboard.py), so a process does it once per change of the data.
_CENTRES: dict[tuple[str, int, str, tuple[int, ...]], dict[int, tuple[float, float, str]]] = {}
KEEP_CENTRES = 8


def unit_locations(db: Session, programme: Programme, stamp: str = ""
                   ) -> dict[int, tuple[float, float, str]]:
    """(lat, lon, "sheet" | "records") of every unit that has a location. The centres are
    computed only for units the sheet placed nowhere, from their current household visits;
    with the programme's change ``stamp`` (service.change_stamp) they are kept per process
    until the data change."""
    units = db.execute(select(Evaluation.id, Evaluation.latitude, Evaluation.longitude)
                       .where(Evaluation.programme_id == programme.id)).all()
    found = {u.id: (u.latitude, u.longitude, "sheet") for u in units
             if u.latitude is not None and u.longitude is not None}
    unplaced = tuple(sorted(u.id for u in units if u.id not in found))
    if not unplaced:
        return found
    key = (str(db.get_bind().engine.url), programme.id, stamp, unplaced)
    centres = _CENTRES.get(key) if stamp else None
    if centres is None:
        centres = _centres(db, unplaced)
        if stamp:
            while len(_CENTRES) >= KEEP_CENTRES:
                _CENTRES.pop(next(iter(_CENTRES)))
            _CENTRES[key] = centres
    return {**found, **centres}


def _centres(db: Session, units: Sequence[int]) -> dict[int, tuple[float, float, str]]:
    """The centre of each unit's located current household visits."""
    found: dict[int, tuple[float, float, str]] = {}
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for row in db.execute(select(Submission.evaluation_id, Submission.gps_lat, Submission.gps_lon,
                                 Submission.data["location"].as_string().label("location"))
                          .where(Submission.evaluation_id.in_(units),
                                 Submission.current.is_(True),
                                 Submission.source == "household")):
        at = coordinates(row.gps_lat, row.gps_lon, row.location)
        if at is not None:
            total = sums[row.evaluation_id]
            total[0] += at[0]
            total[1] += at[1]
            total[2] += 1
    for unit, (lat, lon, n) in sums.items():
        found[unit] = (lat / n, lon / n, "records")
    return found


def unit_points(rows: Sequence[dict[str, Any]], locations: dict[int, tuple[float, float, str]],
                bands: Sequence[tuple[str, str]], link: Callable[[int], str],
                words: Callable[..., str]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The markers (for static/js/map.js) and the legend of the dashboard's units. ``rows`` are
    service.unit_progress's rows with their ``rank`` (the ranking's entry, or None); ``bands``
    the rubric's grades, best first, each with its name in the page's language;
    ``words(key, **values)`` the page's words."""
    grades = {grade: (k, shown) for k, (grade, shown) in enumerate(bands, 1)}
    ranked = any(row.get("rank") for row in rows)
    points: list[dict[str, Any]] = []
    used: dict[str, set[str]] = {}
    for row in rows:
        at = locations.get(row["id"])
        if at is None:
            continue
        rank = row.get("rank")
        lines = []
        if ranked and rank:
            level = min(int(rank["tier"]), LEVELS)
            name = words("tier", tier=level) if level < LEVELS else words("tier_on", tier=LEVELS)
            lines.append(words("tier_ranks", tier=rank["tier"], ranks=rank["ranks"]))
        elif not ranked and row["grade"] in grades:
            level, name = min(grades[row["grade"]][0], LEVELS), grades[row["grade"]][1]
        else:
            level, name = 0, words("unscored")
        if row["total"] is not None:
            grade = grades.get(row["grade"], (0, row["grade"]))[1]
            lines.append(words("total", total=f"{row['total']:.2f}", grade=grade))
        lines.append(words("progress", visited=row["visited"], sampled=row["sampled"]))
        if at[2] == "records":
            lines.append(words("centre"))
        kind = f"level-{level}" if level else "level-none"
        used.setdefault(kind, set()).add(name)
        points.append({"lat": round(at[0], 6), "lon": round(at[1], 6), "url": link(row["id"]),
                       "title": row["unit"], "subtitle": row["region"], "lines": lines,
                       "alert": words("overdue", n=row["overdue"]) if row["overdue"] else "",
                       "kind": kind, "area": row["region"], "key": row["key"]})
    order = sorted(used, key=lambda k: (k == "level-none", k))  # level-1 ... level-6, none
    legend = [{"kind": kind, "label": " / ".join(sorted(used[kind]))} for kind in order]
    return points, legend


__all__: Sequence[str] = ("LEVELS", "unit_locations", "unit_points")
