"""A programme's result as plain values: pooled estimates and the ranking of its units.

Pure (no Flask, no database): the web app builds the units from its rows, ``evaluator
programme score DIR`` from a folder of bundles with its ``programme.yaml``, and both call
``programme_result`` — so the web's JSON and the command line's are the same bytes for the
same data. ``programme.yaml`` says what the bundles cannot: the programme's own title, period
and commissioning body, and each unit's region::

    id: ah-2026
    title: {zh: 安徽省2026年城市困难职工解困脱困工作成效第三方评估, en: ...}
    commissioning_body: 安徽省总工会
    period: {start: 2026-01-01, end: 2026-10-31}
    synthetic: false
    units:
      - {evaluation: ah-2026-001, unit: 合肥市总工会, region: 合肥市}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from evaluator.definitions.problems import Problem
from evaluator.scoring.pooled import UnitScore, pool
from evaluator.scoring.ranking import REPLICATES, rank

PROGRAMME_FILE = "programme.yaml"
KEYS = ("id", "title", "commissioning_body", "period", "synthetic", "units", "rubric")


@dataclass(frozen=True)
class ProgrammeMeta:
    key: str
    title_zh: str
    title_en: str
    commissioning_body: str
    period_start: date | None
    period_end: date | None
    synthetic: bool = False
    regions: Mapping[str, str] = field(default_factory=dict)  # evaluation key -> region

    def to_dict(self, units: Sequence[UnitScore] = ()) -> dict[str, Any]:
        return {
            "id": self.key,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "commissioning_body": self.commissioning_body,
            "period": {"start": _iso(self.period_start), "end": _iso(self.period_end)},
            "synthetic": self.synthetic,
            "units": [{"evaluation": u.key, "unit": u.name, "region": u.region}
                      for u in sorted(units, key=lambda u: u.key)],
        }


def programme_yaml(meta: ProgrammeMeta, units: Sequence[UnitScore]) -> bytes:
    return yaml.safe_dump(meta.to_dict(units), allow_unicode=True, sort_keys=False).encode("utf-8")


def read_programme_yaml(data: bytes, name: str = PROGRAMME_FILE
                        ) -> tuple[ProgrammeMeta | None, list[Problem]]:
    """The programme's description, or the problems that stop it (file, key, why)."""
    try:
        raw = yaml.safe_load(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
        # (PyYAML raises ValueError for a date such as 2026-13-01)
        return None, [Problem(name, "", f"not readable YAML: {exc}")]
    if not isinstance(raw, dict):
        return None, [Problem(name, "", "expected a mapping of keys")]
    problems = [Problem(name, str(k), f"unknown key; expected one of {', '.join(KEYS)}")
                for k in raw if k not in KEYS]
    key = str(raw.get("id") or "").strip()
    if not key:
        problems.append(Problem(name, "id", "the programme's id is required"))
    title = raw.get("title")
    title_zh, title_en = (title.get("zh", ""), title.get("en", "")) if isinstance(title, dict) \
        else (str(title or ""), "")
    period = raw.get("period") or {}
    dates = []
    for part in ("start", "end"):
        value = period.get(part) if isinstance(period, dict) else None
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                problems.append(Problem(name, f"period.{part}", f"{value!r} is not YYYY-MM-DD"))
                value = None
        dates.append(value if isinstance(value, date) else None)
    regions = {}
    units = raw.get("units") or []
    if not isinstance(units, list):
        problems.append(Problem(name, "units", "expected a list of units"))
        units = []
    for i, unit in enumerate(units):
        if not isinstance(unit, dict) or not unit.get("evaluation"):
            problems.append(Problem(name, f"units[{i}]", "each unit names its evaluation"))
            continue
        regions[str(unit["evaluation"])] = str(unit.get("region") or "")
    if problems:
        return None, problems
    return ProgrammeMeta(key, str(title_zh), str(title_en),
                         str(raw.get("commissioning_body") or ""), dates[0], dates[1],
                         bool(raw.get("synthetic", False)), regions), []


def programme_result(rubric: Any, meta: ProgrammeMeta, units: Sequence[UnitScore],
                     replicates: int = REPLICATES) -> dict[str, Any]:
    """{programme, rubric, pooled, ranking}: what the web's JSON and the CLI print."""
    pooled = pool(rubric, units)
    ranking = rank(rubric, units, confidence=pooled.confidence, replicates=replicates)
    return {
        "programme": meta.to_dict(units),
        "rubric": {"id": rubric.id, "version": str(rubric.version),
                   "hash": getattr(rubric, "content_hash", "")},
        "pooled": pooled.to_dict(),
        "ranking": ranking.to_dict(),
    }


def result_json(result: Mapping[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""
