"""What the demo's fieldwork records: door questionnaires with household members, file checks,
system rows and forum notes, with the fieldwork's planted errors.

Each visited household has its own Generators, seeded from (seed, purpose, household), so what
is recorded about one household does not depend on which others were drawn.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from evaluator.bundle.demo_population import (
    ALL_CAUSES,
    TOWNSHIPS,
    ErrorRates,
    Household,
    uniform,
    whole_number,
)

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
FIELDWORK_START = date(2026, 11, 2)  # fieldwork days: 2026-11-02 .. 2026-11-20
FIELDWORK_DAYS = 19
SYSTEM_SNAPSHOT = date(2026, 10, 31)


def _instance_id(rng: np.random.Generator) -> str:
    return f"uuid:{uuid.UUID(bytes=rng.bytes(16), version=4)}"


def _stamp(rng: np.random.Generator) -> tuple[str, str, str]:
    """(start, end, today) of a visit during fieldwork, China time, whole minutes."""
    day = FIELDWORK_START + timedelta(days=whole_number(rng, 0, FIELDWORK_DAYS - 1))
    start = datetime(day.year, day.month, day.day, 8, 30) + timedelta(minutes=whole_number(rng, 0, 480))
    end = start + timedelta(minutes=whole_number(rng, 15, 55))
    fmt = "%Y-%m-%dT%H:%M:00.000+08:00"
    return start.strftime(fmt), end.strftime(fmt), day.isoformat()


def _members(rng: np.random.Generator, h: Household) -> list[dict[str, str]]:
    age = whole_number(rng, 32, 62)
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
            spouse_age = max(20, age + whole_number(rng, -5, 5))
            spouse_work = "employed" if rng.random() < 0.5 else "flexible"
            members.append({"member_relation": "spouse", "member_age": str(spouse_age),
                            "member_work": spouse_work, "member_health": "healthy"})
        elif u < 0.85 or age < 45:
            child_age = max(0, min(age - 20, whole_number(rng, 0, 24)))
            child_work = "preschool" if child_age < 6 else "student" if child_age <= 21 else "flexible"
            if "education" in h.causes and child_age < 6:
                child_age, child_work = 12, "student"
            members.append({"member_relation": "child", "member_age": str(child_age),
                            "member_work": child_work, "member_health": "healthy"})
        else:
            parent_age = min(95, age + whole_number(rng, 22, 30))
            members.append({"member_relation": "parent", "member_age": str(parent_age), "member_work": "retired",
                            "member_health": "chronic" if rng.random() < 0.5 else "healthy"})
    return members


def _incomes(rng: np.random.Generator, h: Household, members: list[dict[str, str]]) -> dict[str, int]:
    size = len(members)
    students = sum(1 for m in members if m["member_work"] == "student")
    retired = sum(1 for m in members if m["member_work"] == "retired")
    medical = whole_number(rng, 3000, 15000) if {"illness", "disability"} & set(h.causes) else (whole_number(rng, 0, 800) if rng.random() < 0.5 else 0)
    education = sum(whole_number(rng, 1500, 6000) for _ in range(students))
    total = int(round(h.per_capita * size)) + medical + education
    pension = int(total * uniform(rng, 0.3, 0.6)) if retired else 0
    benefit_share = uniform(rng, 0.2, 0.4) if (h.status == "在档" and h.category == "深度困难") else uniform(rng, 0.0, 0.15)
    benefit = int(total * benefit_share)
    other = int(total * uniform(rng, 0.0, 0.08))
    wage = max(0, total - pension - benefit - other)
    return {"income_wage": wage, "income_pension": pension, "income_benefit": benefit, "income_other": other,
            "expense_medical": medical, "expense_education": education}


def _select(options: Iterable[str], order: Sequence[str]) -> str:
    return " ".join(o for o in order if o in set(options))


@dataclass
class Visit:
    """What the fieldwork found at one household (door, file, system)."""

    household: dict[str, str]
    members: list[dict[str, str]]
    file_check: dict[str, str]
    system: dict[str, str]
    door_amount: int | None  # None when the household refused


def visit(h: Household, seed: int, rates: ErrorRates, refused: bool, system_optional: Sequence[str]) -> Visit:
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
            "helper_visits_12m": str(whole_number(rng, 1, 8)) if knows else "",
            "plan_known": "yes" if u["plan"] < (0.85 if h.status == "在档" else 0.6) else "no",
            **secure,
            "exit_told": told,
            "exit_agrees": ("no" if h.wrong_exit == "disagree" else "yes") if told == "yes" else "",
            "exit_income_stable": ("yes" if per_capita >= h.standard * 1.2 or u["stable"] < 0.5 else "no") if told == "yes" else "",
            "satisfaction": satisfaction,
            "satisfaction_reason": reasons[satisfaction] if satisfaction in "12" or u["reason"] < 0.3 else "",
            "location": f"{36.0 + uniform(rng, -0.15, 0.15):.6f} {103.8 + uniform(rng, -0.15, 0.15):.6f} "
                        f"{1500 + uniform(rng, 0, 100):.1f} {uniform(rng, 3, 30):.1f}",
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
        file_aid = max(0, h.aid_total + (1 if file_rng.random() < 0.5 else -1) * whole_number(file_rng, 100, 800))
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
        system_income = min(h.per_capita, h.standard * 0.97) * uniform(sys_rng, 0.95, 1.0)
    elif h.status == "已脱困":
        system_income = h.standard * uniform(sys_rng, 1.05, 1.40)
    else:
        system_income = h.per_capita * uniform(sys_rng, 0.95, 1.05)
    visit_day = SYSTEM_SNAPSHOT - timedelta(days=whole_number(sys_rng, 5, 150))
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
    return Visit(door, members, file_row, system_row, door_amount)


def forums(seed: int, survey: Any) -> list[dict[str, str]]:
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
        count = whole_number(rng, 8, 20)
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
