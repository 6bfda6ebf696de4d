"""The records list at provincial scale: filters, search, sort and paging done by the database.

One evaluation can hold thousands of records (a unit 600+, a province 13,000): the list never
loads them all. ``RecordQuery`` reads the page's query string (every filter is a plain value a
link can carry); ``record_page`` returns one page and the total; ``matching_ids`` gives the
records a bulk action covers. bench/records_list.py measures it on a provincial fixture.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from evaluator.auth.models import User
from evaluator.fieldwork.models import REVIEW_STATES, Household, Submission
from evaluator.fieldwork.review.quality import FLAGS

PAGE_SIZE = 50
#: The states still waiting for the lead (the "not reviewed" filter).
OPEN_STATES = ("received", "hasIssues", "edited")
SORTS = ("received", "household", "submitter", "state")
SOURCES = ("household", "file_check", "forum")


@dataclass(frozen=True)
class RecordQuery:
    q: str = ""
    source: str = ""
    state: str = ""  # a review state, or "open"
    submitter: int | None = None
    stratum: str = ""
    flag: str = ""  # a quality flag code, or "any"
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "received"
    desc: bool = True
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> RecordQuery:
        """Read the query string; anything unknown or malformed is ignored (a link never 500s)."""
        def day(key: str) -> date | None:
            try:
                return date.fromisoformat(args.get(key, "")) if args.get(key) else None
            except ValueError:
                return None

        state = args.get("state", "")
        flag = args.get("flag", "")
        submitter = args.get("submitter", "")
        page = args.get("page", "1")
        sort = args.get("sort", "received")
        return cls(
            q=args.get("q", "").strip()[:80],
            source=args.get("source", "") if args.get("source", "") in SOURCES else "",
            state=state if state in REVIEW_STATES or state == "open" else "",
            submitter=int(submitter) if submitter.isdigit() else None,
            stratum=args.get("stratum", "").strip()[:120],
            flag=flag if flag in FLAGS or flag == "any" else "",
            date_from=day("from"), date_to=day("to"),
            sort=sort if sort in SORTS else "received",
            desc=args.get("order", "desc" if sort in ("received", "") else "asc") != "asc",
            page=max(1, min(int(page), 100_000)) if page.isdigit() else 1,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this query (with ``changes``), defaults left out (``Any``: it
        is spread into ``url_for``'s keyword arguments)."""
        query = replace(self, **changes)
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(query, f.name)
            if f.name in ("date_from", "date_to"):
                if value:
                    out["from" if f.name == "date_from" else "to"] = value.isoformat()
            elif f.name == "desc":
                default = query.sort == "received"
                if value != default:
                    out["order"] = "desc" if value else "asc"
            elif f.name == "page":
                if value != 1:
                    out["page"] = str(value)
            elif f.name == "sort":
                if value != "received":
                    out["sort"] = value
            elif value not in ("", None):
                out[f.name] = str(value)
        return out

    @property
    def filtered(self) -> bool:
        return any((self.q, self.source, self.state, self.submitter, self.stratum, self.flag,
                    self.date_from, self.date_to))


def _day_start_utc(day: date, zone: str) -> datetime:
    """Midnight of ``day`` in the evaluation's time zone, as the naive UTC the database keeps."""
    local = datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))
    return local.astimezone(UTC).replace(tzinfo=None)


def _filtered(evaluation_id: int, query: RecordQuery, zone: str, columns: tuple,
              joined: bool = True) -> Select:
    """The matching records; ``joined=False`` (a count) joins users and households only when
    a filter needs them, so counting stays on the submissions index."""
    stmt = select(*columns).select_from(Submission)
    if joined or query.q:
        stmt = stmt.join(User, User.id == Submission.submitter_id)
    if joined or query.q or query.stratum:
        stmt = stmt.outerjoin(Household, and_(
            Household.evaluation_id == Submission.evaluation_id,
            Household.household_id == Submission.household_id))
    stmt = stmt.where(Submission.evaluation_id == evaluation_id, Submission.current.is_(True))
    if query.source:
        stmt = stmt.where(Submission.source == query.source)
    if query.state == "open":
        stmt = stmt.where(Submission.review_state.in_(OPEN_STATES))
    elif query.state:
        stmt = stmt.where(Submission.review_state == query.state)
    if query.submitter is not None:
        stmt = stmt.where(Submission.submitter_id == query.submitter)
    if query.stratum:
        stmt = stmt.where(Household.stratum == query.stratum)
    if query.flag == "any":
        stmt = stmt.where(Submission.flags.is_not(None), Submission.flags != " ")
    elif query.flag:
        stmt = stmt.where(Submission.flags.like(f"% {query.flag} %"))
    if query.date_from:
        stmt = stmt.where(Submission.received_at >= _day_start_utc(query.date_from, zone))
    if query.date_to:
        stmt = stmt.where(Submission.received_at
                          < _day_start_utc(query.date_to + timedelta(days=1), zone))
    if query.q:
        text = query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(or_(Submission.household_id.like(f"{text}%", escape="\\"),
                              Household.head_name.like(f"%{text}%", escape="\\"),
                              User.username.like(f"{text}%", escape="\\"),
                              User.display_name.like(f"%{text}%", escape="\\")))
    return stmt


def _order(query: RecordQuery) -> list:
    column = {"received": Submission.received_at, "household": Submission.household_id,
              "submitter": User.username, "state": Submission.review_state}[query.sort]
    first = column.desc() if query.desc else column.asc()
    tie = Submission.id.desc() if query.desc else Submission.id.asc()
    return [first, tie]


def record_page(db: Session, evaluation_id: int, query: RecordQuery, zone: str
                ) -> tuple[list[dict[str, Any]], int]:
    """One page of the records matching ``query`` (plain values) and how many match."""
    total = db.scalar(_filtered(evaluation_id, query, zone, (func.count(),), joined=False)) or 0
    columns = (Submission.instance_id, Submission.source, Submission.household_id,
               Submission.review_state, Submission.received_at, Submission.deprecated_id,
               Submission.flags, User.username, User.display_name, Household.stratum,
               Household.head_name)
    stmt = (_filtered(evaluation_id, query, zone, columns).order_by(*_order(query))
            .limit(PAGE_SIZE).offset((query.page - 1) * PAGE_SIZE))
    rows = [{"instance_id": r.instance_id, "source": r.source,
             "household_id": r.household_id or "", "state": r.review_state,
             "received_at": r.received_at, "edited": bool(r.deprecated_id),
             "flags": (r.flags or "").split(), "submitter": r.username,
             "submitter_name": r.display_name or r.username, "stratum": r.stratum or "",
             "head_name": r.head_name or ""}
            for r in db.execute(stmt)]
    return rows, total


def matching_ids(db: Session, evaluation_id: int, query: RecordQuery, zone: str) -> list[int]:
    """Every record (submission id) the query matches, for a bulk action."""
    stmt = _filtered(evaluation_id, query, zone, (Submission.id,), joined=False) \
        .order_by(Submission.id)
    return list(db.scalars(stmt))


#: Points drawn at most on one map (a unit has hundreds; a province-wide filter might not).
MAX_POINTS = 20_000


def coordinates(lat: float | None, lon: float | None, location: str | None
                 ) -> tuple[float, float] | None:
    """The device's GPS, else the questionnaire's geopoint answer ("lat lon [alt acc]")."""
    if lat is not None and lon is not None:
        return lat, lon
    parts = (location or "").split()
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except (IndexError, ValueError):
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def map_points(db: Session, evaluation_id: int, query: RecordQuery, zone: str
               ) -> tuple[list[dict[str, Any]], int]:
    """The located records the query matches (household visits unless a source is chosen), as
    plain values for the map, and how many matching records have no location."""
    if not query.source:
        query = replace(query, source="household")
    columns = (Submission.instance_id, Submission.household_id, Submission.review_state,
               Submission.flags, Submission.gps_lat, Submission.gps_lon,
               Submission.data["location"].as_string().label("location"),
               Household.data["township"].as_string().label("township"), Household.stratum)
    points, missing = [], 0
    stmt = _filtered(evaluation_id, query, zone, columns).order_by(Submission.id).limit(MAX_POINTS)
    for r in db.execute(stmt):
        at = coordinates(r.gps_lat, r.gps_lon, r.location)
        if at is None:
            missing += 1
            continue
        points.append({"id": r.instance_id, "household": r.household_id or "",
                       "township": r.township or r.stratum or "", "state": r.review_state,
                       "flags": (r.flags or "").split(), "lat": round(at[0], 6),
                       "lon": round(at[1], 6)})
    return points, missing
