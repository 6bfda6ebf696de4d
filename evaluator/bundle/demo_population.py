"""The demo county (演示县) and its registered households, with the planted error rates.

``population`` draws every household (township, category, status, size, income, causes, aid)
from the county's shares, and plants ``ErrorRates``' wrongly registered and wrongly exited
households among them. The random helpers (``_pick``, ``uniform``, ``whole_number``) use a fixed
number of draws each, so that changing a rate never changes which household is which; the
fieldwork uses them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

# (name, code, share of the county's registered households, local standard yuan/person/year).
# Generic names of a county seat's streets and outlying towns; no real county is meant.
TOWNSHIPS: tuple[tuple[str, str, float, int], ...] = (
    ("城关镇", "CG", 0.16, 9600),
    ("东城街道", "DC", 0.13, 9600),
    ("西城街道", "XC", 0.12, 9600),
    ("南关街道", "NG", 0.10, 9300),
    ("北塔街道", "BT", 0.09, 9300),
    ("清水河镇", "QSH", 0.08, 8400),
    ("芦草沟镇", "LCG", 0.07, 8100),
    ("红星镇", "HX", 0.07, 8100),
    ("石桥镇", "SQ", 0.07, 7800),
    ("柳树湾镇", "LSW", 0.06, 7800),
    ("新华街道", "XH", 0.05, 9000),
)
CATEGORY_SHARES = (("深度困难", 0.25), ("相对困难", 0.60), ("意外致困", 0.15))
STATUS_SHARES = (("在档", 0.55), ("已脱困", 0.38), ("注销", 0.07))
SIZE_SHARES = ((1, 0.12), (2, 0.25), (3, 0.33), (4, 0.20), (5, 0.07), (6, 0.03))
CAUSE_SHARES = {
    "深度困难": (("illness", 0.45), ("disability", 0.25), ("unemployment", 0.10), ("education", 0.10), ("low_wage", 0.10)),
    "相对困难": (("low_wage", 0.35), ("unemployment", 0.25), ("education", 0.20), ("illness", 0.15), ("other", 0.05)),
    "意外致困": (("accident", 0.70), ("illness", 0.20), ("other", 0.10)),
}
ALL_CAUSES = ("illness", "disability", "unemployment", "education", "accident", "low_wage", "other")


@dataclass(frozen=True)
class ErrorRates:
    """Planted error rates (shares 0..1). See docs/bundle.md for what each one does.

    ``wrong_registration`` of 在档 households have incomes at or above the standard (错评);
    ``wrong_exit`` of 已脱困 households are below the standard or do not agree they exited (错退),
    ``paper_exit`` of them (a part of ``wrong_exit``) were never told and are still poor (数字脱困);
    ``amount_mismatch`` of households report aid at the door that the system does not match;
    ``file_amount_mismatch`` of files total a different amount than the system; ``system_missing``
    of the system's optional fields are blank; ``file_missing`` of file items are missing;
    ``cause_mismatch`` of files record causes the household does not name; ``dissatisfied`` of
    households answer 1 or 2 of 5; ``refusal`` of households refuse (a reserve replaces them);
    ``fund_misuse`` is the chance of one critical funds finding (a veto).
    """

    wrong_registration: float = 0.05
    wrong_exit: float = 0.06
    paper_exit: float = 0.01
    amount_mismatch: float = 0.08
    file_amount_mismatch: float = 0.04
    system_missing: float = 0.03
    file_missing: float = 0.04
    cause_mismatch: float = 0.10
    dissatisfied: float = 0.06
    refusal: float = 0.03
    fund_misuse: float = 0.0

    def __post_init__(self) -> None:
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                problems.append(f"{f.name} must be a share between 0 and 1, got {value!r}")
        if not problems and self.paper_exit > self.wrong_exit:
            problems.append(f"paper_exit ({self.paper_exit}) is a part of wrong_exit ({self.wrong_exit}); it cannot be larger")
        if problems:
            raise ValueError("; ".join(problems))


def parse_error_rates(text: str | None, base: ErrorRates | None = None) -> ErrorRates:
    """``"wrong_exit=0.1,dissatisfied=15%"`` -> ErrorRates (unnamed rates keep their defaults)."""
    base = base or ErrorRates()
    if not text or not text.strip():
        return base
    known = {f.name for f in fields(ErrorRates)}
    changes: dict[str, float] = {}
    problems = []
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in known:
            problems.append(f"{part.strip()!r}: expected name=share with name one of {', '.join(sorted(known))}")
            continue
        try:
            number = float(value[:-1]) / 100 if value.endswith("%") else float(value)
        except ValueError:
            problems.append(f"{key}: {value!r} is not a share like 0.05 or 5%")
            continue
        changes[key] = number
    if problems:
        raise ValueError("; ".join(problems))
    return replace(base, **changes)


# -- the population ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Household:
    """One registered household: its roster row plus the truth the fieldwork will find."""

    number: int
    household_id: str
    township: str
    category: str
    status: str
    standard: int
    size: int
    registered: date
    exited: date | None
    head_name: str
    per_capita: float  # true disposable income per person, yuan/year
    causes: tuple[str, ...]
    wrong_registration: bool
    wrong_exit: str  # '' | 'below' | 'disagree' | 'paper'
    aid_total: int  # what the system says was paid in the last 12 months
    aid_count: int

    def roster_row(self) -> dict[str, str]:
        return {
            "household_id": self.household_id, "township": self.township, "stratum": self.township,
            "category": self.category, "status": self.status, "local_standard": str(self.standard),
            "household_size": str(self.size), "registered_date": self.registered.isoformat(),
            "exit_date": self.exited.isoformat() if self.exited else "", "head_name": self.head_name,
        }


def _pick(rng: np.random.Generator, shares: Sequence[tuple[Any, float]]) -> Any:
    u = rng.random()
    total = 0.0
    for value, share in shares:
        total += share
        if u < total:
            return value
    return shares[-1][0]


def uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return low + (high - low) * rng.random()


def whole_number(rng: np.random.Generator, low: int, high: int) -> int:
    """A whole number in [low, high], from one uniform draw (fixed consumption)."""
    return low + min(int(rng.random() * (high - low + 1)), high - low)


def population(households: int, seed: int, rates: ErrorRates) -> list[Household]:
    """The county's registered households (建档立卡), every one drawn with the same number of
    random numbers so that changing a rate changes outcomes, never which household is which."""
    if isinstance(households, bool) or not isinstance(households, int) or households < 11:
        raise ValueError(f"--households must be a whole number of at least 11 (one per township), got {households!r}")
    rng = np.random.default_rng([seed, 1])
    out = []
    township_shares = [(t, t[2]) for t in TOWNSHIPS]
    for i in range(households):
        # The first eleven households seed every township, so no stratum is ever empty.
        township = TOWNSHIPS[i] if i < len(TOWNSHIPS) else None
        drawn_township = _pick(rng, township_shares)
        name, code, _, standard = township or drawn_township
        category = _pick(rng, CATEGORY_SHARES)
        status = _pick(rng, STATUS_SHARES)
        size = _pick(rng, SIZE_SHARES)
        registered = date(2019, 3, 1) + timedelta(days=whole_number(rng, 0, 2400))
        latest_exit = date(2026, 9, 30)
        span = max(1, (latest_exit - registered).days - 180)
        exit_offset = 180 + whole_number(rng, 0, span)
        u_error, u_kind, u_income = rng.random(), rng.random(), rng.random()
        cause_1 = _pick(rng, CAUSE_SHARES[category])
        cause_2 = _pick(rng, CAUSE_SHARES[category])
        second = rng.random() < 0.3
        u_aid, u_amount, u_count = rng.random(), rng.random(), rng.random()

        wrong_registration = False
        wrong_exit = ""
        if status == "在档":
            wrong_registration = u_error < rates.wrong_registration
            low, high = (1.03, 1.45) if wrong_registration else (0.45, 0.95)
        elif status == "已脱困":
            if u_error < rates.paper_exit:
                wrong_exit = "paper"
            elif u_error < rates.wrong_exit:
                wrong_exit = "below" if u_kind < 0.5 else "disagree"
            low, high = (0.60, 0.95) if wrong_exit in ("paper", "below") else (1.08, 1.80)
        else:
            low, high = (0.90, 2.00)
        per_capita = standard * (low + (high - low) * u_income)
        causes = (cause_1,) if not second or cause_2 == cause_1 else tuple(c for c in ALL_CAUSES if c in (cause_1, cause_2))

        aid_share = {"在档": 0.92, "已脱困": 0.50, "注销": 0.20}[status]
        if u_aid < aid_share:
            low_amount, high_amount = {"深度困难": (3000, 8000), "相对困难": (1000, 4000), "意外致困": (2000, 10000)}[category]
            if status != "在档":
                low_amount, high_amount = 500, 2000
            aid_total = int(round((low_amount + (high_amount - low_amount) * u_amount) / 50) * 50)
            aid_count = 1 + min(int(u_count * 6), 5)
        else:
            aid_total, aid_count = 0, 0
        number = i + 1
        out.append(Household(
            number=number, household_id=f"{code}{number:05d}", township=name, category=category,
            status=status, standard=standard, size=size, registered=registered,
            exited=min(registered + timedelta(days=exit_offset), latest_exit) if status == "已脱困" else None,
            head_name=f"演示户{number:04d}", per_capita=per_capita, causes=causes,
            wrong_registration=wrong_registration, wrong_exit=wrong_exit, aid_total=aid_total,
            aid_count=aid_count,
        ))
    return sorted(out, key=lambda h: h.household_id)
