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

This module assembles and writes the bundle, with the evaluation team's own files (judgements,
findings, evaluation.yaml, README.txt); ``demo_population`` draws the county's households and
``demo_fieldwork`` what the visits and forums record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.bundle.demo_fieldwork import Visit, forums, visit
from evaluator.bundle.demo_population import TOWNSHIPS, ErrorRates, Household, population, uniform
from evaluator.bundle.hashing import roster_hash
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
from evaluator.bundle.reader import shipped_surveys
from evaluator.bundle.writer import csv_bytes, format_number, write_files, yaml_bytes
from evaluator.definitions.problems import DefinitionError, Problem

DEFAULT_HOUSEHOLDS = 3000
DEFAULT_SEED = 20261130
SAMPLE_SHARE = 0.10  # about 300 of 3000 households
MIN_PER_STRATUM = 10
RESERVE_PER_STRATUM = 3
EVALUATORS = ("演示评估员甲", "演示评估员乙", "演示评估员丙")
PERIOD_START = date(2025, 11, 1)
PERIOD_END = date(2026, 10, 31)
DEADLINE = date(2027, 1, 31)


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
    files["forum.csv"] = csv_bytes(_columns(surveys["forum"], extra=("instance_id",)), forums(seed, surveys["forum"]))
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
        centre = scale * uniform(rng, 0.62, 0.85)
        for k, evaluator in enumerate(EVALUATORS):
            score = min(scale, max(0.0, round((centre + scale * uniform(rng, -0.08, 0.08)) * 2) / 2))
            rows.append({"indicator": indicator.code, "evaluator": evaluator, "score": format_number(score),
                         "reason": reasons[k % len(reasons)]})
    return rows


def _findings(seed: int, rates: ErrorRates, people: list[Household], visits: list[Visit]) -> list[dict[str, str]]:
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
            # amounts as the record holds them (the report's evidence line prints the same number)
            add("T1", "major", f"入户核算人均可支配收入{format_number(per_capita)}元，高于当地标准{h.standard}元，疑似错评，应重新核对家庭经济状况（演示）", h, h.township)
        if h.status == "已脱困" and (per_capita < h.standard or v.household.get("exit_agrees") == "no"):
            add("O1", "major", f"已脱困户入户核算人均可支配收入{format_number(per_capita)}元（标准{h.standard}元）或本人不认可脱困，疑似错退（演示）", h, h.township)
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
        "rubric": {"id": getattr(rubric, "id", "union-hardship"), "version": str(getattr(rubric, "version", "2026.2"))},
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
