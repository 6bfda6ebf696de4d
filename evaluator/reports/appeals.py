"""Appendix: feedback and appeals (反馈与申诉处理情况) — the findings the evaluated unit
contested or accepted before the report became final, each decision, and the score before the
feedback and after it. Its words are the report words prefixed ``appeal_``
(evaluator.reports.words_parts, Chinese in the catalog); the rows come from the web app
(evaluator.feedback.report), which alone holds the appeals: a report made from a bundle on the
command line has no feedback round and so no such appendix.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from evaluator.reports.formatting import Words
from evaluator.reports.words import chinese_numeral


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
    words = Words("en" if lang == "en" else "zh")

    def w(key: str, **values: Any) -> str:
        return words("appeal_" + key, **values)
    numeral = chinese_numeral(number) if lang != "en" else "ABCDEFGHIJ"[number - 1]
    title = (f"附录{numeral}　{w('title')}" if lang != "en" else f"Appendix {numeral}  {w('title')}")
    rows = appeals.rows
    counts = {k: sum(1 for r in rows if r.answer == k) for k in ("accepted", "contested")}
    counts.update({k: sum(1 for r in rows if r.outcome == k)
                   for k in ("upheld", "rejected", "pending")})
    counts.update({k: sum(1 for r in rows if r.change == k) for k in ("withdrawn", "changed")})

    def total(value: float | None) -> str:
        return w("unscored") if value is None else f"{value:.2f}"

    return {
        "id": "appendix-appeals",
        "title": title,
        "intro": w("intro", published=appeals.published, deadline=appeals.deadline,
                   count=appeals.published_findings, **counts),
        "scores": w("scores", before=total(appeals.total_before),
                    grade_before=appeals.grade_before or w("unscored"), after=total(total_after),
                    grade_after=grade_after or w("unscored")),
        "caption": w("caption", n=table),
        "columns": words.sentences("appeal_columns"),
        "rows": [[str(k), r.indicator, scrub(r.finding), w(r.answer), scrub(r.reason) or "—",
                  w(r.outcome) + (w(r.change) if r.change else ""),
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


__all__: Sequence[str] = ("AppealRow", "Appeals", "appeals_appendix", "with_appeals")
