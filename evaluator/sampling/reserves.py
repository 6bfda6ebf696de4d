"""Reserves (备选户) replace non-respondents in their stratum, strictly in the reserve list's order.

The draw (``draw.py``) orders each stratum's households at random: the first n_h are the sample,
the next r_h the reserve list. When a sampled household refuses or cannot be reached, the next
reserve of the same stratum takes its place. Taking them in order keeps the households visited
the first n_h + k of one random ordering — still a random sample of the stratum — whereas a team
that picks the reserve easiest to reach chooses its respondents (docs/sampling.md).

Pure functions over plain values: the web app asks ``next_reserve`` which reserve to take and
``refused_choice`` whether a reserve the lead named may be taken; scoring asks
``order_problems`` whether the reserves a bundle used form the head of their list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: What the team recorded for a drawn household it could not interview (无应答登记).
OUTCOMES = ("refused", "unreached")


@dataclass(frozen=True)
class Reserve:
    """One reserve of a stratum: its place in the list and whether it is used — taken to
    replace a non-respondent, or holding a record, or itself recorded as a non-respondent."""

    household_id: str
    order: int
    used: bool


@dataclass(frozen=True)
class OutOfOrder:
    """A reserve used while earlier reserves of its list were not."""

    stratum: str
    household_id: str
    order: int
    skipped: tuple[str, ...]  # the earlier reserves not used, in list order

    def as_dict(self) -> dict[str, object]:
        return {"stratum": self.stratum, "household_id": self.household_id,
                "order": self.order, "skipped": list(self.skipped)}


def _in_order(reserves: Iterable[Reserve]) -> list[Reserve]:
    return sorted(reserves, key=lambda r: r.order)


def next_reserve(reserves: Iterable[Reserve]) -> Reserve | None:
    """The reserve to take next: the first in list order not used; None when none is left."""
    return next((r for r in _in_order(reserves) if not r.used), None)


@dataclass(frozen=True)
class Refusal:
    """Why a named reserve may not be taken: ``not_reserve`` (not on this stratum's list),
    ``used`` (in the sample already) or ``out_of_order`` (``first`` comes before it)."""

    reason: str
    first: Reserve | None = None

    def __str__(self) -> str:
        if self.reason == "out_of_order" and self.first is not None:
            return f"reserve {self.first.order} ({self.first.household_id}) comes first"
        return {"not_reserve": "not a reserve of this stratum",
                "used": "already used"}.get(self.reason, self.reason)


def refused_choice(reserves: Iterable[Reserve], household_id: str) -> Refusal | None:
    """Why ``household_id`` may not be taken as the next reserve; None when it is the next."""
    ordered = _in_order(reserves)
    chosen = next((r for r in ordered if r.household_id == household_id), None)
    if chosen is None:
        return Refusal("not_reserve")
    if chosen.used:
        return Refusal("used")
    first = next_reserve(ordered)
    if first is not None and first.household_id != household_id:
        return Refusal("out_of_order", first)
    return None


def order_problems(stratum: str, reserves: Sequence[Reserve]) -> list[OutOfOrder]:
    """Every used reserve of ``stratum`` with an unused reserve before it in the list: the
    used reserves must be the head of the list (reserve 1, 2, ... k)."""
    found = []
    unused: list[str] = []
    for reserve in _in_order(reserves):
        if not reserve.used:
            unused.append(reserve.household_id)
        elif unused:
            found.append(OutOfOrder(stratum, reserve.household_id, reserve.order, tuple(unused)))
    return found
