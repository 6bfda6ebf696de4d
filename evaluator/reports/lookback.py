"""Appendix: looking back (回头看) — this evaluation against the same unit's previous one:
each indicator's change with its interval and whether it is beyond sampling noise (Holm over
the indicators tested: evaluator.scoring.lookback), and where the previous rectification list
stands. Its words are in ``LOOKBACK_WORDS``; the values come from the web app
(evaluator.feedback.report), which alone knows which evaluation came before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from evaluator.reports.words import chinese_numeral

SHARE_METHODS = ("rate", "checklist", "consistency", "completeness", "veto")

LOOKBACK_WORDS: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "回头看：与上一轮评估比较",
        "intro": "本轮评估与同一单位上一轮评估（{previous}）比较。综合得分由{before}（{grade_before}）变为"
                 "{after}（{grade_after}）。{tested}项指标的变化作了检验（两轮样本独立，Holm 校正，"
                 "总体错误率{alpha}%），其中{beyond}项的变化超出抽样误差；其余变化不能与抽样误差区分。",
        "caption": "表{n}　各指标变化",
        "columns": ["指标", "上一轮", "本轮", "变化", "变化的95%置信区间", "超出抽样误差"],
        "yes": "是", "no": "否", "untested": "—",
        "rect_intro": "上一轮整改清单共{count}项：已核验销号{verified}项，逾期未销号{overdue}项。",
        "rect_caption": "表{n}　上一轮整改事项状态",
        "rect_columns": ["指标", "问题", "完成时限", "状态"],
        "rect_open": "未整改", "rect_in_progress": "整改中", "rect_submitted": "已提交待核验",
        "rect_verified": "已核验销号", "overdue": "（逾期）",
    },
    "en": {
        "title": "Looking back: the previous evaluation",
        "intro": "This evaluation is compared with the same unit's previous one ({previous}). The total "
                 "went from {before} ({grade_before}) to {after} ({grade_after}). The changes of "
                 "{tested} indicators were tested (independent samples, Holm-corrected, {alpha} % "
                 "familywise); {beyond} of them are beyond sampling noise, the others cannot be told "
                 "from it.",
        "caption": "Table {n}  Changes by indicator",
        "columns": ["Indicator", "Previous", "Now", "Change", "95 % interval of the change",
                    "Beyond noise"],
        "yes": "yes", "no": "no", "untested": "—",
        "rect_intro": "The previous rectification list had {count} items: {verified} verified and "
                      "closed, {overdue} overdue.",
        "rect_caption": "Table {n}  The previous rectification items",
        "rect_columns": ["Indicator", "Problem", "Deadline", "State"],
        "rect_open": "open", "rect_in_progress": "in progress", "rect_submitted": "submitted",
        "rect_verified": "verified closed", "overdue": " (overdue)",
    },
}


@dataclass(frozen=True)
class RectificationItem:
    indicator: str
    problem: str
    deadline: str
    state: str
    overdue: bool


@dataclass(frozen=True)
class LookBackInputs:
    """What the appendix needs: the previous evaluation's key, the pure core's comparison as
    plain values (``LookBack.to_dict()``) and the previous rectification items."""

    previous: str
    comparison: Mapping[str, Any]
    rectification: tuple[RectificationItem, ...] = field(default_factory=tuple)

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, ensure_ascii=False,
                                         default=str).encode("utf-8")).hexdigest()


def _value(method: str, value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    sign = "+" if signed and value > 0 else ""
    if method in SHARE_METHODS:
        return f"{sign}{value * 100:.1f}%"
    return f"{sign}{value:.2f}"


def lookback_appendix(inputs: LookBackInputs, *, lang: str, number: int, table: int,
                      scrub: Callable[[Any], str] = str) -> dict[str, Any]:
    w = LOOKBACK_WORDS["en" if lang == "en" else "zh"]
    c = inputs.comparison
    numeral = chinese_numeral(number) if lang != "en" else "ABCDEFGHIJ"[number - 1]
    title = (f"附录{numeral}　{w['title']}" if lang != "en" else f"Appendix {numeral}  {w['title']}")
    rows = []
    for ch in c["changes"]:
        name = (ch["name"] or {}).get(lang) or (ch["name"] or {}).get("zh", "")
        interval = (f"{_value(ch['method'], ch['ci_low'], True)} – {_value(ch['method'], ch['ci_high'], True)}"
                    if ch["ci_low"] is not None else "")
        noise = w["untested"] if ch["beyond_noise"] is None else w["yes" if ch["beyond_noise"] else "no"]
        rows.append([f"{ch['code']} {name}", _value(ch["method"], ch["before"]),
                     _value(ch["method"], ch["after"]),
                     _value(ch["method"], ch["difference"], True), interval, noise])
    items = inputs.rectification
    return {
        "id": "appendix-lookback", "title": title,
        "intro": w["intro"].format(previous=scrub(inputs.previous),
                                   before=f"{c['total']['before']:.2f}",
                                   grade_before=c["grade"]["before"],
                                   after=f"{c['total']['after']:.2f}",
                                   grade_after=c["grade"]["after"], tested=c["tested"],
                                   beyond=c["beyond_noise"],
                                   alpha=f"{(1 - c['confidence']) * 100:g}"),
        "caption": w["caption"].format(n=table), "columns": w["columns"], "rows": rows,
        "rect_intro": w["rect_intro"].format(count=len(items),
                                             verified=sum(i.state == "verified" for i in items),
                                             overdue=sum(i.overdue for i in items)),
        "rect_caption": w["rect_caption"].format(n=table + 1), "rect_columns": w["rect_columns"],
        "rect_rows": [[i.indicator, scrub(i.problem), i.deadline,
                       w["rect_" + i.state] + (w["overdue"] if i.overdue else "")] for i in items],
    }


def with_lookback(context: dict[str, Any], inputs: LookBackInputs | None,
                  scrub: Callable[[Any], str]) -> dict[str, Any]:
    """The report context with the look-back appendix after the others."""
    if inputs is None:
        return context
    appendices = sum(1 for e in context.get("toc", ()) if e.get("level") == 1
                     and str(e.get("id", "")).startswith("appendix-"))
    counts = context.setdefault("counts", {"tables": 0, "figures": 0})
    part = lookback_appendix(inputs, lang=context.get("lang", "zh"), number=appendices + 1,
                             table=counts.get("tables", 0) + 1, scrub=scrub)
    counts["tables"] = counts.get("tables", 0) + 2
    context["lookback"] = part
    context["toc"] = [*context.get("toc", []), {"id": part["id"], "title": part["title"],
                                                "level": 1}]
    return context
