"""The drawn households as the assign page lists them: searched, filtered and paged in the
database, with who holds each source, so a lead can assign or reassign hundreds in one submit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from evaluator.auth.models import User
from evaluator.fieldwork.models import Assignment, Household, SampleDraw

PAGE_SIZE = 100


@dataclass(frozen=True)
class HouseholdQuery:
    q: str = ""
    strata: tuple[str, ...] = ()
    holder: str = ""  # a user id, "none" (not assigned) or "" (anyone)
    role: str = ""  # "sample", "reserve" or "" (both)
    page: int = 1

    @classmethod
    def from_args(cls, args) -> HouseholdQuery:
        holder = args.get("holder", "")
        page = args.get("page", "1")
        return cls(q=args.get("q", "").strip()[:80],
                   strata=tuple(s for s in args.getlist("stratum") if s)[:50],
                   holder=holder if holder == "none" or holder.isdigit() else "",
                   role=args.get("role", "") if args.get("role") in ("sample", "reserve") else "",
                   page=max(1, min(int(page), 10_000)) if page.isdigit() else 1)

    def args(self, **changes: Any) -> dict[str, Any]:
        query = replace(self, **changes)
        out: dict[str, Any] = {}
        if query.q:
            out["q"] = query.q
        if query.strata:
            out["stratum"] = list(query.strata)
        if query.holder:
            out["holder"] = query.holder
        if query.role:
            out["role"] = query.role
        if query.page != 1:
            out["page"] = query.page
        return out


def _filtered(evaluation_id: int, query: HouseholdQuery, columns: tuple) -> Select:
    stmt = (select(*columns).select_from(Household)
            .join(SampleDraw, SampleDraw.household_pk == Household.id)
            .where(Household.evaluation_id == evaluation_id))
    if query.strata:
        stmt = stmt.where(Household.stratum.in_(query.strata))
    if query.role:
        stmt = stmt.where(SampleDraw.role == query.role)
    held = exists().where(Assignment.household_pk == Household.id)
    if query.holder == "none":
        stmt = stmt.where(~held)
    elif query.holder:
        stmt = stmt.where(exists().where(Assignment.household_pk == Household.id,
                                         Assignment.user_id == int(query.holder)))
    if query.q:
        text = query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(or_(Household.household_id.like(f"{text}%", escape="\\"),
                              Household.head_name.like(f"%{text}%", escape="\\")))
    return stmt


def household_page(db: Session, evaluation_id: int, query: HouseholdQuery
                   ) -> tuple[list[dict[str, Any]], int]:
    total = db.scalar(_filtered(evaluation_id, query, (func.count(Household.id),))) or 0
    rows = db.execute(_filtered(evaluation_id, query, (
        Household.id, Household.household_id, Household.stratum, Household.head_name,
        Household.data["township"].as_string().label("township"), SampleDraw.role))
        .order_by(Household.stratum, SampleDraw.role.desc(), Household.household_id)
        .limit(PAGE_SIZE).offset((query.page - 1) * PAGE_SIZE)).all()
    holders: dict[int, list[dict[str, str]]] = defaultdict(list)
    if rows:
        for pk, source, status, name in db.execute(
                select(Assignment.household_pk, Assignment.source, Assignment.status,
                       func.coalesce(func.nullif(User.display_name, ""), User.username))
                .join(User, User.id == Assignment.user_id)
                .where(Assignment.household_pk.in_([r.id for r in rows]))
                .order_by(Assignment.source)):
            holders[pk].append({"source": source, "status": status, "who": name})
    return [{"pk": r.id, "household_id": r.household_id, "stratum": r.stratum,
             "head_name": r.head_name, "township": r.township or "", "role": r.role,
             "holders": holders.get(r.id, [])} for r in rows], total


def matching_pks(db: Session, evaluation_id: int, query: HouseholdQuery) -> list[int]:
    return list(db.scalars(_filtered(evaluation_id, query, (Household.id,))
                           .order_by(Household.household_id)))
