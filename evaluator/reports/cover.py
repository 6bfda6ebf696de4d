"""The cover: title, evaluated unit, commissioning body, team, fieldwork dates, report date and
provenance; and how a title is shaped for the cover (breaks) and the running head (length)."""

from __future__ import annotations

import re
from typing import Any

from evaluator.reports.formatting import Words, format_date, format_date_range, short_hash
from evaluator.reports.inputs import ReportInputs, fieldwork_dates


def cover(inputs: ReportInputs) -> dict[str, Any]:
    w, meta = inputs.w, inputs.meta
    title = report_title(meta.title, inputs.lang)
    start, end = fieldwork_dates(inputs.bundle)
    fieldwork = format_date_range(start, end, inputs.lang) if start else format_date_range(
        meta.period_start, meta.period_end, inputs.lang)
    team = [w("team_role", name=inputs.scrub(m.name), role=inputs.scrub(m.role)) if m.role
            else inputs.scrub(m.name) for m in meta.team]
    return {
        "title": title,
        "title_parts": title_parts(title) if inputs.lang == "zh" else [title],
        "running_title": running_title(title),
        "subtitle": "",
        "evaluated_unit": inputs.scrub(meta.evaluated_unit),
        "commissioning_body": inputs.scrub(meta.commissioning_body),
        "team": w.list(team) if team else w("no_value"),
        "fieldwork_dates": fieldwork,
        "report_date": format_date(inputs.report_date, inputs.lang),
        "facts_extra": [{"label": w("period"),
                         "value": format_date_range(meta.period_start, meta.period_end,
                                                    inputs.lang)},
                        {"label": w("report_number"), "value": report_number(inputs)}],
        "seal": {"label": w("seal_label"), "date": w("seal_date")},
        "notice": w("synthetic_notice") if meta.synthetic else "",
        "synthetic": bool(meta.synthetic),
        "provenance": [
            w("provenance_rubric", id=inputs.rubric.id, version=inputs.rubric.version),
            w("provenance_data", hash=short_hash(inputs.bundle.data_hash)),
            w("provenance_software", version=inputs.software_version),
        ],
    }


def report_number(inputs: ReportInputs) -> str:
    """报告编号: the evaluation's id and the first 8 hex digits of its data hash, so a report's
    number changes exactly when its data does (the same data, the same number)."""
    digest = inputs.bundle.data_hash.split(":")[-1][:8].upper()
    return f"{inputs.scrub(inputs.meta.id)}-{digest}" if digest else inputs.scrub(inputs.meta.id)


def proof_footer(inputs: ReportInputs) -> str:
    """The page footer's line: the data hash and how to verify the report."""
    return inputs.w("proof_footer", hash=inputs.bundle.data_hash.split(":")[-1][:16])


_TRAILING_NOTE = re.compile(r"^(?P<head>.*?)(?P<tail>[（(][^（）()]*[）)])?$", re.S)


def report_title(title: Any, lang: str) -> str:
    """The cover title: the evaluation's title, ending in 评估报告 when it ends in 评估.

    "某县……第三方评估（演示数据）" -> "某县……第三方评估报告（演示数据）".
    """
    w = Words(lang)
    text = w.text(title).strip()
    if lang != "zh":
        return text
    match = _TRAILING_NOTE.match(text)
    head, tail = match.group("head"), match.group("tail") or ""
    if head.endswith("评估"):
        return head + "报告" + tail
    return text


#: Where a Chinese cover title may break: before these words (they stay together).
_TITLE_BREAKS = ("第三方评估报告", "第三方评估", "评估报告")


def title_parts(title: str) -> list[str]:
    """A Chinese cover title in the pieces a line break may fall between, e.g. "某县……工作成效",
    "第三方评估报告", "（演示数据）": the cover keeps each piece on one line when it fits, so
    the title never breaks inside 第三方. (English breaks between words anyway.)"""
    match = _TRAILING_NOTE.match(title)
    head, tail = match.group("head"), match.group("tail") or ""
    parts = [head]
    for word in _TITLE_BREAKS:
        at = head.find(word)
        if at >= 0:
            parts = [head[:at], head[at:]]
            break
    return [part for part in (*parts, tail) if part]


#: Room in the running head (72 % of the line at 8.5 pt), in em: a CJK character is 1 em.
RUNNING_HEAD_EMS = 38.0


def _ems(text: str) -> float:
    import unicodedata

    return sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.46 for ch in text)


def running_title(title: str) -> str:
    """The title for the running head, on one line: without its trailing note in brackets if
    too long, and shortened with an ellipsis if still too long."""
    text = title.strip()
    if _ems(text) <= RUNNING_HEAD_EMS:
        return text
    match = _TRAILING_NOTE.match(text)
    head = match.group("head").strip() if match else text
    if _ems(head) <= RUNNING_HEAD_EMS:
        return head
    out = ""
    for ch in head:
        if _ems(out + ch + "…") > RUNNING_HEAD_EMS:
            break
        out += ch
    if " " in out and _ems(out) < len(out):  # mostly Latin: cut at a word boundary
        out = out.rsplit(" ", 1)[0]
    return out.rstrip(" ,:;") + "…"


# -- comparison of several evaluations ----------------------------------------------------------
