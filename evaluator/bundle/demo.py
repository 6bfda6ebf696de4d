"""A synthetic evaluation bundle (演示数据) with planted, configurable errors.

Demonstrations, tests and benchmarks need a bundle that looks like a real county's evaluation:
eleven townships and streets of different sizes, the three hardship categories and three
statuses in plausible proportions, local income standards, households whose incomes, causes and
aid fit their category, a seeded stratified sample, door questionnaires with household members,
file checks, system rows, forum notes, judgements and findings. Errors are planted at stated
rates (wrongly registered 错评, wrongly exited 错退, aid amounts that disagree, missing system
fields, missing file items, causes that disagree, dissatisfied households) so that scores mean
something and tests can check them.

Everything is SYNTHETIC and says so: evaluation.yaml has ``synthetic: true`` and a title with
演示/模拟, README.txt explains it, names are 演示户0001, no ID numbers are generated, and the county,
units and people are placeholders. The same seed gives the same bytes: one numpy Generator per
purpose seeded from (seed, purpose[, household]), sorted output, whole-yuan amounts, fixed
number formats, no clocks.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.bundle.model import (
    EVALUATION_FILE,
    FINDING_COLUMNS,
    FINDINGS_FILE,
    JUDGEMENT_COLUMNS,
    JUDGEMENTS_FILE,
    README_FILE,
    ROSTER_FILE,
    SAMPLE_COLUMNS,
    SAMPLE_FILE,
)
from evaluator.bundle.reader import roster_hash, shipped_surveys
from evaluator.bundle.writer import csv_bytes, format_number, write_files, yaml_bytes
from evaluator.definitions.problems import DefinitionError, Problem

DEFAULT_HOUSEHOLDS = 3000
DEFAULT_SEED = 20261130
SAMPLE_SHARE = 0.10  # about 300 of 3000 households
MIN_PER_STRATUM = 10
RESERVE_PER_STRATUM = 3

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
NEEDS_OF_CAUSE = {
    "illness": ("medical",), "disability": ("medical", "living"), "unemployment": ("employment",),
    "education": ("education",), "accident": ("living", "medical"), "low_wage": ("employment", "living"),
    "other": ("living",),
}
NEED_ORDER = ("medical", "education", "employment", "living", "housing", "legal", "psychological")
AID_OF_NEED = {"medical": "medical", "education": "education", "employment": "employment", "living": "living"}
AID_ORDER = ("living", "medical", "education", "employment", "festival", "other")
FILE_ITEMS = (
    "has_application", "income_verified", "public_notice", "approval_signed", "has_plan",
    "helper_recorded", "visit_records", "vouchers_complete",
)
FILE_ITEM_NAMES = {
    "has_application": "建档申请书", "income_verified": "民政收入核对结果", "public_notice": "公示记录",
    "approval_signed": "审批表签字盖章", "has_plan": "一户一策帮扶计划", "helper_recorded": "结对帮扶责任人",
    "visit_records": "走访记录", "vouchers_complete": "资金发放凭证", "exit_assessment": "脱困评估认定材料",
}
STATUS_CODES = {"在档": "registered", "已脱困": "exited", "注销": "cancelled"}
EVALUATORS = ("演示评估员甲", "演示评估员乙", "演示评估员丙")
PERIOD_START = date(2025, 11, 1)
PERIOD_END = date(2026, 10, 31)
FIELDWORK_START = date(2026, 11, 2)  # fieldwork days: 2026-11-02 .. 2026-11-20
FIELDWORK_DAYS = 19
DEADLINE = date(2027, 1, 31)
SYSTEM_SNAPSHOT = date(2026, 10, 31)


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


def _uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return low + (high - low) * rng.random()


def _int(rng: np.random.Generator, low: int, high: int) -> int:
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
        registered = date(2019, 3, 1) + timedelta(days=_int(rng, 0, 2400))
        latest_exit = date(2026, 9, 30)
        span = max(1, (latest_exit - registered).days - 180)
        exit_offset = 180 + _int(rng, 0, span)
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


# -- the fieldwork -------------------------------------------------------------------------------


def _instance_id(rng: np.random.Generator) -> str:
    return f"uuid:{uuid.UUID(bytes=rng.bytes(16), version=4)}"


def _stamp(rng: np.random.Generator) -> tuple[str, str, str]:
    """(start, end, today) of a visit during fieldwork, China time, whole minutes."""
    day = FIELDWORK_START + timedelta(days=_int(rng, 0, FIELDWORK_DAYS - 1))
    start = datetime(day.year, day.month, day.day, 8, 30) + timedelta(minutes=_int(rng, 0, 480))
    end = start + timedelta(minutes=_int(rng, 15, 55))
    fmt = "%Y-%m-%dT%H:%M:00.000+08:00"
    return start.strftime(fmt), end.strftime(fmt), day.isoformat()


def _members(rng: np.random.Generator, h: Household) -> list[dict[str, str]]:
    age = _int(rng, 32, 62)
    members = []
    work = "employed"
    health = "healthy"
    if "unemployment" in h.causes:
        work = "unemployed"
    elif "low_wage" in h.causes:
        work = "employed" if rng.random() < 0.6 else "flexible"
    elif "illness" in h.causes or "disability" in h.causes or "accident" in h.causes:
        work = "unable" if rng.random() < 0.5 else "flexible"
    else:
        rng.random()
    if "illness" in h.causes:
        health = "serious" if rng.random() < 0.4 else "chronic"
    elif "disability" in h.causes:
        health = "disabled"
        rng.random()
    else:
        health = "chronic" if rng.random() < 0.15 else "healthy"
    members.append({"member_relation": "self", "member_age": str(age), "member_work": work, "member_health": health})
    for k in range(1, h.size):
        u = rng.random()
        if k == 1 and u < 0.8:
            spouse_age = max(20, age + _int(rng, -5, 5))
            spouse_work = "employed" if rng.random() < 0.5 else "flexible"
            members.append({"member_relation": "spouse", "member_age": str(spouse_age),
                            "member_work": spouse_work, "member_health": "healthy"})
        elif u < 0.85 or age < 45:
            child_age = max(0, min(age - 20, _int(rng, 0, 24)))
            child_work = "preschool" if child_age < 6 else "student" if child_age <= 21 else "flexible"
            if "education" in h.causes and child_age < 6:
                child_age, child_work = 12, "student"
            members.append({"member_relation": "child", "member_age": str(child_age),
                            "member_work": child_work, "member_health": "healthy"})
        else:
            parent_age = min(95, age + _int(rng, 22, 30))
            members.append({"member_relation": "parent", "member_age": str(parent_age), "member_work": "retired",
                            "member_health": "chronic" if rng.random() < 0.5 else "healthy"})
    return members


def _incomes(rng: np.random.Generator, h: Household, members: list[dict[str, str]]) -> dict[str, int]:
    size = len(members)
    students = sum(1 for m in members if m["member_work"] == "student")
    retired = sum(1 for m in members if m["member_work"] == "retired")
    medical = _int(rng, 3000, 15000) if {"illness", "disability"} & set(h.causes) else (_int(rng, 0, 800) if rng.random() < 0.5 else 0)
    education = sum(_int(rng, 1500, 6000) for _ in range(students))
    total = int(round(h.per_capita * size)) + medical + education
    pension = int(total * _uniform(rng, 0.3, 0.6)) if retired else 0
    benefit_share = _uniform(rng, 0.2, 0.4) if (h.status == "在档" and h.category == "深度困难") else _uniform(rng, 0.0, 0.15)
    benefit = int(total * benefit_share)
    other = int(total * _uniform(rng, 0.0, 0.08))
    wage = max(0, total - pension - benefit - other)
    return {"income_wage": wage, "income_pension": pension, "income_benefit": benefit, "income_other": other,
            "expense_medical": medical, "expense_education": education}


def _select(options: Sequence[str], order: Sequence[str]) -> str:
    return " ".join(o for o in order if o in set(options))


@dataclass
class _Visit:
    """What the fieldwork found at one household (door, file, system)."""

    household: dict[str, str]
    members: list[dict[str, str]]
    file_check: dict[str, str]
    system: dict[str, str]
    door_amount: int | None  # None when the household refused


def visit(h: Household, seed: int, rates: ErrorRates, refused: bool, system_optional: Sequence[str]) -> _Visit:
    """Everything recorded about household ``h``; its own Generator keeps it independent of
    which other households were drawn."""
    rng = np.random.default_rng([seed, 2, h.number])
    start, end, today = _stamp(rng)
    enumerator = 1 + (h.number % 4)
    instance = _instance_id(rng)
    u = {k: rng.random() for k in ("cause", "amount", "amount_kind", "file_amount", "sat", "sat_level", "reason",
                                   "helper", "visits", "plan", "told", "stable", "relation", "file_status")}
    door: dict[str, str] = {
        "start": start, "end": end, "today": today, "deviceid": f"collect:DEMO{enumerator:02d}",
        "username": f"demo_enumerator_{enumerator}", "household_id": h.household_id,
        "consent": "no" if refused else "yes", "instance_id": instance,
    }
    members: list[dict[str, str]] = []
    door_amount: int | None = None
    if not refused:
        members = _members(rng, h)
        amounts = _incomes(rng, h, members)
        size = len(members)
        total = amounts["income_wage"] + amounts["income_pension"] + amounts["income_benefit"] + amounts["income_other"]
        per_capita = (total - amounts["expense_medical"] - amounts["expense_education"]) / size
        needs = sorted({n for c in h.causes for n in NEEDS_OF_CAUSE[c]}, key=NEED_ORDER.index)

        system_amount = h.aid_total
        if u["amount"] < rates.amount_mismatch:
            if system_amount > 0 and u["amount_kind"] < 0.7:
                # Received clearly less than recorded: beyond the rubric's 200 yuan / 10 % tolerance.
                shortfall = max(300.0, system_amount * (0.3 + 0.4 * u["amount_kind"] / 0.7))
                door_amount = max(0, int(round((system_amount - shortfall) / 10) * 10))
            elif system_amount > 0:
                door_amount = 0  # says nothing was received
            else:
                door_amount = 300 + int(u["amount_kind"] * 1200)  # aid the system never recorded
        else:
            door_amount = int(round(system_amount / 100) * 100)
            if system_amount > 0 and door_amount == 0:
                door_amount = system_amount
        aid_types = {"festival"} | {AID_OF_NEED[n] for n in needs if n in AID_OF_NEED}
        told = "yes" if h.status == "已脱困" and h.wrong_exit != "paper" else ("unknown" if u["told"] < 0.05 else "no")
        knows = u["helper"] < {"在档": 0.90, "已脱困": 0.75, "注销": 0.50}[h.status]
        if u["sat"] < rates.dissatisfied:
            satisfaction = "1" if u["sat_level"] < 0.3 else "2"
        else:
            satisfaction = "3" if u["sat_level"] < 0.12 else "4" if u["sat_level"] < 0.57 else "5"
        reasons = {"1": "帮扶金额少，走访流于形式（演示）", "2": "反映的困难没有得到解决（演示）",
                   "3": "帮扶有一些作用（演示）", "4": "帮扶及时，解决了实际困难（演示）", "5": "工会经常上门，帮扶到位（演示）"}
        school_age = any(6 <= int(m["member_age"]) <= 15 for m in members)
        secure = {k: ("yes" if rng.random() >= 0.03 else "no") for k in
                  ("food_secure", "clothing_secure", "medical_insured", "education_secure", "housing_secure")}
        if not school_age:
            secure["education_secure"] = "na"
        door.update({
            "respondent_relation": "self" if u["relation"] < 0.7 else "spouse" if u["relation"] < 0.9 else "child",
            "household_size": str(size),
            **{k: str(v) for k, v in amounts.items()},
            "income_total": str(total),
            "per_capita_income": f"{per_capita:.2f}",
            "hardship_cause": _select(h.causes, ALL_CAUSES),
            "hardship_cause_other": "家庭变故（演示）" if "other" in h.causes else "",
            "needs": _select(needs, NEED_ORDER),
            "aid_received": "yes" if door_amount else "no",
            "aid_types": _select(aid_types, AID_ORDER) if door_amount else "",
            "aid_amount_total": str(door_amount) if door_amount else "",
            "knows_helper": "yes" if knows else "no",
            "helper_visits_12m": str(_int(rng, 1, 8)) if knows else "",
            "plan_known": "yes" if u["plan"] < (0.85 if h.status == "在档" else 0.6) else "no",
            **secure,
            "exit_told": told,
            "exit_agrees": ("no" if h.wrong_exit == "disagree" else "yes") if told == "yes" else "",
            "exit_income_stable": ("yes" if per_capita >= h.standard * 1.2 or u["stable"] < 0.5 else "no") if told == "yes" else "",
            "satisfaction": satisfaction,
            "satisfaction_reason": reasons[satisfaction] if satisfaction in "12" or u["reason"] < 0.3 else "",
            "location": f"{36.0 + _uniform(rng, -0.15, 0.15):.6f} {103.8 + _uniform(rng, -0.15, 0.15):.6f} "
                        f"{1500 + _uniform(rng, 0, 100):.1f} {_uniform(rng, 3, 30):.1f}",
        })
        for k, m in enumerate(members, start=1):
            m["PARENT_KEY"] = instance
            m["KEY"] = f"{instance}/members[{k}]"

    # The archived file (档案) and the system row (帮扶工作管理系统).
    file_rng = np.random.default_rng([seed, 3, h.number])
    f_start, f_end, f_today = _stamp(file_rng)
    file_cause = h.causes
    if u["cause"] < rates.cause_mismatch:
        others = [c for c in ALL_CAUSES if c not in h.causes and c != "other"]
        file_cause = (others[int(file_rng.random() * len(others)) % len(others)],)
    else:
        file_rng.random()
    file_aid = h.aid_total
    if u["file_amount"] < rates.file_amount_mismatch:
        file_aid = max(0, h.aid_total + (1 if file_rng.random() < 0.5 else -1) * _int(file_rng, 100, 800))
    else:
        file_rng.random()
        file_rng.random()
    items = {k: ("no" if file_rng.random() < rates.file_missing else "yes") for k in FILE_ITEMS}
    if h.aid_total == 0:
        items["vouchers_complete"] = "na"
    exit_item = "no" if file_rng.random() < rates.file_missing else "yes"
    missing = [FILE_ITEM_NAMES[k] for k, v in items.items() if v == "no"]
    if h.status == "已脱困":
        items["exit_assessment"] = exit_item
        if exit_item == "no":
            missing.append(FILE_ITEM_NAMES["exit_assessment"])
    file_row = {
        "start": f_start, "end": f_end, "today": f_today, "username": f"demo_checker_{1 + h.number % 2}",
        "household_id": h.household_id, "file_status": STATUS_CODES[h.status],
        "file_cause": _select(file_cause, ALL_CAUSES), "file_aid_total": str(file_aid), **items,
        "file_notes": ("缺少：" + "、".join(missing) + "（演示）") if missing else "",
        "instance_id": _instance_id(file_rng),
    }

    sys_rng = np.random.default_rng([seed, 4, h.number])
    if h.status == "在档":
        system_income = min(h.per_capita, h.standard * 0.97) * _uniform(sys_rng, 0.95, 1.0)
    elif h.status == "已脱困":
        system_income = h.standard * _uniform(sys_rng, 1.05, 1.40)
    else:
        system_income = h.per_capita * _uniform(sys_rng, 0.95, 1.05)
    visit_day = SYSTEM_SNAPSHOT - timedelta(days=_int(sys_rng, 5, 150))
    system_row = {
        "household_id": h.household_id, "township": h.township, "category": h.category, "status": h.status,
        "household_size": str(h.size), "per_capita_income": f"{system_income:.2f}",
        "sys_cause": _select(file_cause, ALL_CAUSES),
        "helper_assigned": "yes" if sys_rng.random() < 0.95 else "no",
        "plan_recorded": "yes" if sys_rng.random() < 0.92 else "no",
        "aid_total": str(h.aid_total), "aid_count": str(h.aid_count),
        "last_visit_date": visit_day.isoformat(),
        "exit_date": h.exited.isoformat() if h.exited else "",
        "exit_income": f"{system_income:.2f}" if h.status == "已脱困" else "",
    }
    for name in system_optional:
        if sys_rng.random() < rates.system_missing:
            system_row[name] = ""
    return _Visit(door, members, file_row, system_row, door_amount)


# -- the bundle ------------------------------------------------------------------------------------


def demo_files(
    households: int = DEFAULT_HOUSEHOLDS,
    seed: int = DEFAULT_SEED,
    rates: ErrorRates | None = None,
    *,
    surveys: Mapping[str, Any] | None = None,
    rubric: Any | None = None,
) -> dict[str, bytes]:
    """Every file of a synthetic bundle as ``{name: bytes}``; same arguments, same bytes.

    ``surveys`` and ``rubric`` default to the shipped definitions: records carry exactly the
    surveys' field names, judgements and findings name the rubric's indicators.
    """
    from evaluator.sampling import draw, plan_allocation, sample_plan

    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"--seed must be a whole number >= 0, got {seed!r}")
    rates = rates or ErrorRates()
    surveys = surveys if surveys is not None else shipped_surveys()
    rubric = rubric if rubric is not None else _shipped_rubric(surveys)
    for needed in ("household", "file_check", "system", "forum"):
        if needed not in surveys:
            raise ValueError(f"demo data needs the {needed!r} survey; loaded: {', '.join(sorted(surveys)) or 'none'}")

    people = population(households, seed, rates)
    roster_columns = ("household_id", "township", "stratum", "category", "status", "local_standard",
                      "household_size", "registered_date", "exit_date", "head_name")
    roster_bytes = csv_bytes(roster_columns, [h.roster_row() for h in people])
    pairs = [(h.household_id, h.township) for h in people]
    frame_sizes: dict[str, int] = {}
    for _, stratum in pairs:
        frame_sizes[stratum] = frame_sizes.get(stratum, 0) + 1
    n = max(len(TOWNSHIPS), int(round(households * SAMPLE_SHARE)))
    min_per = min(MIN_PER_STRATUM, n // len(TOWNSHIPS))
    plan = sample_plan(
        dict(sorted(frame_sizes.items())), seed=seed, size=n, min_per_stratum=min_per,
        reserve=RESERVE_PER_STRATUM,
        roster={"file": ROSTER_FILE, "sha256": hashlib.sha256(roster_bytes).hexdigest(), "encoding": "utf-8-sig",
                "households": households, "id_column": "household_id", "stratum_column": "stratum"},
    )
    plan["roster_hash"] = roster_hash(pairs)
    draws = draw(pairs, plan_allocation(plan), RESERVE_PER_STRATUM, seed=seed)

    # Who is visited: the sample, and for each refusal the next reserve of its stratum.
    by_id = {h.household_id: h for h in people}
    refusal_rng = np.random.default_rng([seed, 5])
    refusals = {d.household_id: refusal_rng.random() < rates.refusal for d in draws}
    visited: list[tuple[Household, bool]] = []
    reserves: dict[str, list[str]] = {}
    for d in draws:
        if d.role == "reserve":
            reserves.setdefault(d.stratum, []).append(d.household_id)
    for d in draws:
        if d.role != "sample":
            continue
        hid = d.household_id
        while True:
            refused = refusals[hid]
            visited.append((by_id[hid], refused))
            if not refused or not reserves.get(d.stratum):
                break
            hid = reserves[d.stratum].pop(0)

    system_survey = surveys["system"]
    system_optional = [
        name for name, f in system_survey.fields.items()
        if not f.required and not getattr(f, "required_if", "") and not f.relevant and f.type != "calculate"
        and name != "household_id"
    ]
    visits = [visit(h, seed, rates, refused, system_optional) for h, refused in visited]
    visits.sort(key=lambda v: v.household["household_id"])

    files: dict[str, bytes] = {ROSTER_FILE: roster_bytes}
    files[SAMPLE_FILE] = csv_bytes(SAMPLE_COLUMNS, [d.as_row() for d in draws])
    household_columns = _columns(surveys["household"], extra=("instance_id",))
    files["household.csv"] = csv_bytes(household_columns, [v.household for v in visits])
    member_columns = _columns(surveys["household"], repeat="members") + ["PARENT_KEY", "KEY"]
    files["household-members.csv"] = csv_bytes(member_columns, [m for v in visits for m in v.members])
    files["file_check.csv"] = csv_bytes(_columns(surveys["file_check"], extra=("instance_id",)), [v.file_check for v in visits])
    files["system.csv"] = csv_bytes(_columns(surveys["system"]), [v.system for v in visits])
    files["forum.csv"] = csv_bytes(_columns(surveys["forum"], extra=("instance_id",)), _forums(seed, surveys["forum"]))
    files[JUDGEMENTS_FILE] = csv_bytes(JUDGEMENT_COLUMNS, _judgements(seed, rubric))
    files[FINDINGS_FILE] = csv_bytes(FINDING_COLUMNS, _findings(seed, rates, people, visits))
    files[EVALUATION_FILE] = yaml_bytes(_evaluation(seed, households, surveys, rubric, plan))
    files[README_FILE] = _readme(households, seed, rates).encode("utf-8")
    return dict(sorted(files.items()))


def write_demo(
    out: str | Path,
    households: int = DEFAULT_HOUSEHOLDS,
    seed: int = DEFAULT_SEED,
    rates: ErrorRates | None = None,
    *,
    surveys: Mapping[str, Any] | None = None,
    rubric: Any | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the synthetic bundle to the folder (or .zip) ``out``."""
    files = demo_files(households, seed, rates, surveys=surveys, rubric=rubric)
    return write_files(files, out, overwrite=overwrite)


def _columns(survey: Any, *, repeat: str | None = None, extra: Sequence[str] = ()) -> list[str]:
    """The survey's data fields in form order (notes have no column), as ODK exports them."""
    names = [name for name, f in survey.fields.items() if (f.repeat or None) == repeat and f.type != "note"]
    return names + [e for e in extra if e not in names]


def _forums(seed: int, survey: Any) -> list[dict[str, str]]:
    rng = np.random.default_rng([seed, 6])
    dimensions = [c.name for c in survey.choices.get("dimension", [])]
    notes = {
        "targeting": "与会人员认为建档对象总体准确，个别户收入已明显提高仍在档（演示）",
        "needs": "困难职工反映致困原因登记基本准确，部分户帮扶计划未与本人商定（演示）",
        "mechanism": "结对帮扶人能说出联系户情况，走访记录存在补记现象（演示）",
        "funds": "资金按季度发放，慰问品签领手续有待规范（演示）",
        "data": "系统数据与纸质档案存在不同步情况（演示）",
        "outcomes": "多数脱困户收入稳定，个别户对脱困认定有不同意见（演示）",
    }
    order = sorted(range(len(TOWNSHIPS)), key=lambda _: rng.random())[:4]
    rows = []
    for j, t in enumerate(sorted(order), start=1):
        township = TOWNSHIPS[t][0]
        day = FIELDWORK_START + timedelta(days=3 + 4 * (j - 1))
        types = "cadres workers helpers enterprise" if rng.random() < 0.5 else "cadres workers helpers"
        count = _int(rng, 8, 20)
        for dimension in dimensions:
            rows.append({
                "start": f"{day.isoformat()}T09:00:00.000+08:00", "end": f"{day.isoformat()}T11:30:00.000+08:00",
                "username": "demo_recorder", "forum_id": f"ZT-{j:02d}", "forum_date": day.isoformat(),
                "township": township, "participant_types": types, "participant_count": str(count),
                "dimension": dimension, "notes": notes.get(dimension, "座谈记录（演示）"),
                "problems_raised": "建议加强动态管理（演示）" if rng.random() < 0.5 else "",
                "instance_id": _instance_id(rng),
            })
    return rows


def _judgements(seed: int, rubric: Any | None) -> list[dict[str, str]]:
    rng = np.random.default_rng([seed, 7])
    indicators = [i for i in getattr(rubric, "indicators", ()) if i.method == "judgement"] if rubric else []
    if not indicators:
        return []
    reasons = ("座谈中干部职工对机制运转评价较好，但走访记录有补记（演示）",
               "结对帮扶总体落实，动态管理随进随出执行不够及时（演示）",
               "机制健全，个别乡镇执行偏弱（演示）")
    rows = []
    for indicator in indicators:
        scale = float(indicator.scale or 10)
        centre = scale * _uniform(rng, 0.62, 0.85)
        for k, evaluator in enumerate(EVALUATORS):
            score = min(scale, max(0.0, round((centre + scale * _uniform(rng, -0.08, 0.08)) * 2) / 2))
            rows.append({"indicator": indicator.code, "evaluator": evaluator, "score": format_number(score),
                         "reason": reasons[k % len(reasons)]})
    return rows


def _findings(seed: int, rates: ErrorRates, people: list[Household], visits: list[_Visit]) -> list[dict[str, str]]:
    rng = np.random.default_rng([seed, 8])
    by_id = {h.household_id: h for h in people}
    rows = []

    def add(indicator: str, severity: str, description: str, household: Household | None, township: str) -> None:
        rows.append({
            "indicator": indicator, "severity": severity, "description": description,
            "household_id": household.household_id if household else "",
            "responsible_unit": f"{township}工会（演示）", "responsible_person": f"{township}工会主席（演示）",
            "deadline": DEADLINE.isoformat(),
        })

    for v in visits:
        if v.household.get("consent") != "yes":
            continue
        h = by_id[v.household["household_id"]]
        per_capita = float(v.household["per_capita_income"])
        if h.status == "在档" and per_capita >= h.standard:
            add("T1", "major", f"入户核算人均可支配收入{per_capita:.0f}元，高于当地标准{h.standard}元，疑似错评，应重新核对家庭经济状况（演示）", h, h.township)
        if h.status == "已脱困" and (per_capita < h.standard or v.household.get("exit_agrees") == "no"):
            add("O1", "major", f"已脱困户入户核算人均可支配收入{per_capita:.0f}元（标准{h.standard}元）或本人不认可脱困，疑似错退（演示）", h, h.township)
    for _ in range(1 + int(rng.random() * 3)):
        township = TOWNSHIPS[int(rng.random() * len(TOWNSHIPS))][0]
        add("T3", "minor" if rng.random() < 0.6 else "major", f"座谈中反映{township}有符合条件的困难职工未建档（演示）", None, township)
    township = TOWNSHIPS[int(rng.random() * len(TOWNSHIPS))][0]
    add("F3", "minor", "部分慰问品签领单缺少经办人签字（演示）", None, township)
    if rng.random() < rates.fund_misuse:
        add("F3", "critical", f"{township}存在虚报冒领帮扶资金问题（演示）", None, township)
    return sorted(rows, key=lambda r: (r["indicator"], r["household_id"], r["description"]))


def _evaluation(seed: int, households: int, surveys: Mapping[str, Any], rubric: Any | None, plan: dict) -> dict[str, Any]:
    return {
        "id": f"demo-{seed}",
        "title": {"zh": "演示县城市困难职工解困脱困工作成效第三方评估（演示数据，模拟生成）",
                  "en": "Demo county: third-party evaluation of lifting urban workers out of hardship (SYNTHETIC demo data)"},
        "evaluated_unit": "演示县总工会（模拟单位）",
        "commissioning_body": "演示市总工会（模拟单位）",
        "period": {"start": PERIOD_START, "end": PERIOD_END},
        "team": [{"name": name, "role": role} for name, role in zip(EVALUATORS, ("组长", "调查员", "调查员"), strict=True)],
        "rubric": {"id": getattr(rubric, "id", "union-hardship"), "version": str(getattr(rubric, "version", "2026.1"))},
        "surveys": {s: {"id": surveys[s].id, "version": str(surveys[s].version)}
                    for s in ("household", "file_check", "system", "forum")},
        "sampling": plan,
        "synthetic": True,
        "allow_names": False,
    }


def _readme(households: int, seed: int, rates: ErrorRates) -> str:
    planted = "\n".join(f"  {k} = {format_number(v)}" for k, v in asdict(rates).items())
    return (
        "演示数据（模拟生成，SYNTHETIC）\n"
        "================================\n\n"
        "本数据包由 `evaluator demo-data` 随机生成，仅用于演示和测试。县、乡镇、单位、人员和家庭均为虚构，\n"
        "户主姓名为“演示户0001”式占位符，不含身份证号码。数据中按下列比例故意植入了错误（错评、错退、\n"
        "金额不一致、数据缺失、档案缺项、致困原因不一致、群众不满意），使评分结果有意义。\n\n"
        "This bundle is SYNTHETIC demo data generated by `evaluator demo-data` for demonstrations and\n"
        "tests. The county, townships, units, people and households are invented; head names are\n"
        "placeholders (演示户0001) and there are no ID numbers. Errors are planted at these rates:\n\n"
        f"{planted}\n\n"
        f"households = {households}\nseed = {seed}\n"
        f"Regenerate: evaluator demo-data OUT --households {households} --seed {seed}\n"
    )


def _shipped_rubric(surveys: Mapping[str, Any]) -> Any | None:
    """The shipped default rubric, or None when there is none to read (then no judgements)."""
    from evaluator.paths import RUBRICS_DIR
    from evaluator.rubrics.definition import load_rubric

    path = RUBRICS_DIR / "union-hardship.yaml"
    if not path.is_file():
        return None
    try:
        return load_rubric(path, surveys)
    except DefinitionError as exc:
        raise DefinitionError([*exc.problems, Problem(str(path), "", "the shipped rubric is needed for demo data")]) from None
