"""Appendix: feedback and appeals (反馈与申诉处理情况) — the findings the evaluated unit
contested or accepted before the report became final, each decision, and the score before the
feedback and after it. Its words are in ``APPEAL_WORDS``; the rows come from the web app
(evaluator.feedback.report), which alone holds the appeals: a report made from a bundle on the
command line has no feedback round and so no such appendix.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from evaluator.reports.words import chinese_numeral

APPEAL_WORDS: dict[str, dict[str, Any]] = {
    "zh": {
        "title": "反馈与申诉处理情况",
        "intro": "评估组于{published}向被评估单位反馈初步发现的{count}个问题，答复截止日期为{deadline}。"
                 "被评估单位认可{accepted}个，申诉{contested}个；经评估组逐条裁定，申诉成立{upheld}个"
                 "（撤销{withdrawn}个、修改{changed}个），不成立{rejected}个，待裁定{pending}个。",
        "scores": "反馈时综合得分{before}（{grade_before}），申诉处理后综合得分{after}（{grade_after}）。",
        "caption": "表{n}　申诉处理情况",
        "columns": ["序号", "指标", "问题", "答复", "申诉理由", "裁定", "裁定理由"],
        "accepted": "认可", "contested": "申诉",
        "upheld": "申诉成立", "rejected": "申诉不成立", "pending": "待裁定", "none": "—",
        "withdrawn": "（问题撤销）", "changed": "（问题修改）",
        "unscored": "—",
    },
    "en": {
        "title": "Feedback and appeals",
        "intro": "On {published} the team showed the evaluated unit its {count} preliminary "
                 "findings, to be answered by {deadline}. The unit accepted {accepted} and "
                 "contested {contested}; deciding each, the team upheld {upheld} ({withdrawn} "
                 "withdrawn, {changed} changed), rejected {rejected}, and {pending} await a "
                 "decision.",
        "scores": "Total score when the findings were published: {before} ({grade_before}); "
                  "after the appeals: {after} ({grade_after}).",
        "caption": "Table {n}  Appeals and decisions",
        "columns": ["No.", "Indicator", "Finding", "Answer", "Reason", "Decision",
                    "Reason for the decision"],
        "accepted": "accepted", "contested": "contested",
        "upheld": "upheld", "rejected": "rejected", "pending": "pending", "none": "—",
        "withdrawn": " (finding withdrawn)", "changed": " (finding changed)",
        "unscored": "—",
    },
}


@dataclass(frozen=True)
class AppealRow:
    indicator: str
    finding: str  # the finding as published (before any change)
    answer: str  # accepted | contested
    reason: str
    outcome: str  # none | pending | upheld | rejected
    change: str  # "" | withdrawn | changed
    outcome_reason: str


@dataclass(frozen=True)
class Appeals:
    """The feedback round of one evaluation, as its report's appendix needs it."""

    published: str  # YYYY-MM-DD
    deadline: str
    published_findings: int
    total_before: float | None
    grade_before: str
    rows: tuple[AppealRow, ...] = field(default_factory=tuple)

    def digest(self) -> str:
        """What the PDF cache key needs: any decision or answer changes the report."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
                              .encode("utf-8")).hexdigest()


def appeals_appendix(appeals: Appeals, *, total_after: float | None, grade_after: str,
                     lang: str, number: int, table: int,
                     scrub: Callable[[Any], str] = str) -> dict[str, Any]:
    """The appendix's plain values (numbered ``number``; its table ``table``)."""
    w = APPEAL_WORDS["en" if lang == "en" else "zh"]
    numeral = chinese_numeral(number) if lang != "en" else "ABCDEFGHIJ"[number - 1]
    title = (f"附录{numeral}　{w['title']}" if lang != "en" else f"Appendix {numeral}  {w['title']}")
    rows = appeals.rows
    counts = {k: sum(1 for r in rows if r.answer == k) for k in ("accepted", "contested")}
    counts.update({k: sum(1 for r in rows if r.outcome == k)
                   for k in ("upheld", "rejected", "pending")})
    counts.update({k: sum(1 for r in rows if r.change == k) for k in ("withdrawn", "changed")})

    def total(value: float | None) -> str:
        return w["unscored"] if value is None else f"{value:.2f}"

    return {
        "id": "appendix-appeals",
        "title": title,
        "intro": w["intro"].format(published=appeals.published, deadline=appeals.deadline,
                                   count=appeals.published_findings, **counts),
        "scores": w["scores"].format(before=total(appeals.total_before),
                                     grade_before=appeals.grade_before or w["unscored"],
                                     after=total(total_after),
                                     grade_after=grade_after or w["unscored"]),
        "caption": w["caption"].format(n=table),
        "columns": w["columns"],
        "rows": [[str(k), r.indicator, scrub(r.finding), w[r.answer], scrub(r.reason) or "—",
                  w[r.outcome] + (w[r.change] if r.change else ""),
                  scrub(r.outcome_reason) or "—"] for k, r in enumerate(rows, 1)],
    }


def with_appeals(context: dict[str, Any], appeals: Appeals | None, sheet: Any,
                 scrub: Callable[[Any], str]) -> dict[str, Any]:
    """The report context with the appeals appendix after the others (and in the contents)."""
    if appeals is None:
        return context
    appendices = sum(1 for entry in context.get("toc", ()) if entry.get("level") == 1
                     and str(entry.get("id", "")).startswith("appendix-"))
    lang = context.get("lang", "zh")
    grade_after = sheet.grade
    if lang == "en" and getattr(sheet, "grade_en", ""):
        if appeals.grade_before == sheet.grade:  # the same band: its English name
            appeals = replace(appeals, grade_before=sheet.grade_en)
        grade_after = sheet.grade_en
    part = appeals_appendix(appeals, total_after=sheet.total, grade_after=grade_after,
                            lang=lang, number=appendices + 1,
                            table=context.get("counts", {}).get("tables", 0) + 1, scrub=scrub)
    counts = context.setdefault("counts", {"tables": 0, "figures": 0})
    counts["tables"] = counts.get("tables", 0) + 1
    context["appeals"] = part
    context["toc"] = [*context.get("toc", []), {"id": part["id"], "title": part["title"],
                                                "level": 1}]
    return context


__all__: Sequence[str] = ("APPEAL_WORDS", "AppealRow", "Appeals", "appeals_appendix",
                          "with_appeals")
