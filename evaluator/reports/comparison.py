"""The comparison report: several evaluations scored with the same rubric, side by side —
ranking, dimension scores (with charts), verdicts by indicator, and each unit's data
fingerprint. Its own words are the ``cmp_*`` entries of reports/words.py; the rest are the report's."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from evaluator.privacy import Scrubber
from evaluator.reports import ReportError
from evaluator.reports.cover import running_title, title_parts
from evaluator.reports.formatting import (
    ESTIMATED_METHODS,
    Counters,
    Words,
    estimate_text,
    format_date,
    format_date_range,
    grade_word,
    plain,
    points_text,
    short_hash,
)
from evaluator.reports.inputs import check_inputs, fieldwork_dates, report_date_for
from evaluator.reports.words import chinese_numeral


def build_comparison_context(
    entries: Sequence[tuple[Any, Any]],
    rubric: Any,
    *,
    lang: str = "zh",
    software_version: str = "",
    report_date: date | None = None,
    chart_rows: int = 30,
) -> dict[str, Any]:
    """A comparison of several evaluations scored with the same rubric: ranking, dimensions,
    each unit's grade and verdicts. ``entries`` are (sheet, bundle) pairs."""
    w = Words(lang)
    if len(entries) < 2:
        raise ReportError("a comparison needs at least two evaluations")
    for sheet, bundle in entries:
        check_inputs(sheet, bundle, rubric)
    ids = Counter(bundle.meta.id for _, bundle in entries)
    repeated = sorted(k for k, v in ids.items() if v > 1)
    if repeated:
        raise ReportError(f"the same evaluation appears more than once: {', '.join(repeated)}")
    return _Comparison(entries, rubric, w, software_version, report_date, chart_rows).build()


class _Comparison:
    def __init__(self, entries, rubric, w: Words, software_version, report_date, chart_rows):
        self.entries = list(entries)
        self.rubric = rubric
        self.w = w
        self.lang = w.lang
        self.software_version = software_version
        dates = [d for d in (report_date_for(b) for _, b in self.entries) if d is not None]
        self.report_date = report_date or (max(dates) if dates else None)
        self.counters = Counters()
        self.chart_rows = max(5, int(chart_rows))
        self.scrub = Scrubber()  # names of units and people: personal numbers masked

    def cw(self, key: str, **values: Any) -> str:
        return self.w(f"cmp_{key}", **values)

    def unit_name(self, k: int) -> str:
        return self.scrub(self.entries[k][1].meta.evaluated_unit)

    def build(self) -> dict[str, Any]:
        w = self.w
        rubric_title = w.text(self.rubric.title)
        if self.lang == "zh" and rubric_title.endswith("指标体系"):
            rubric_title = rubric_title[:-len("指标体系")]  # 《…评估指标体系》 -> …评估结果比较报告
        units = [self.unit_name(k) for k in range(len(self.entries))]
        bodies = list(dict.fromkeys(self.scrub(b.meta.commissioning_body)
                                    for _, b in self.entries))
        teams = list(dict.fromkeys(self.scrub(m.name) for _, b in self.entries
                                   for m in b.meta.team))
        starts, ends = [], []
        for _, b in self.entries:
            s, e = fieldwork_dates(b)
            starts.append(s or b.meta.period_start)
            ends.append(e or b.meta.period_end)
        starts = [d for d in starts if d]
        ends = [d for d in ends if d]
        synthetic = any(b.meta.synthetic for _, b in self.entries)
        chapters = []
        numeral = (lambda n: chinese_numeral(n)) if self.lang == "zh" else str
        for k, key in enumerate(("ch_ranking", "ch_dimensions", "ch_indicators"), 1):
            chapters.append({"id": key.replace("ch_", ""),
                             "title": w("chapter_number", numeral=numeral(k), title=self.cw(key))})
        appendix = {"id": "data", "title": w("appendix_number",
                                              numeral="一" if self.lang == "zh" else "A",
                                              title=self.cw("app_data"))}
        ranking = self.ranking()
        dimensions = self.dimensions()
        indicators = self.indicators()
        data = self.data()
        title = self.cw("title", rubric=rubric_title)
        return {
            "lang": self.lang,
            "html_lang": "zh-CN" if self.lang == "zh" else "en",
            "labels": {k: w(k) for k in ("kicker", "evaluated_unit", "commissioning_body",
                                         "evaluator_org", "team", "fieldwork_dates",
                                         "report_date", "toc")},
            "report": {
                "title": title,
                "title_parts": title_parts(title) if self.lang == "zh" else [title],
                "running_title": running_title(title),
                "subtitle": "",
                "evaluated_unit": (w.list(units) if len(units) <= 4
                                   else self.cw("units_many", count=len(units))),
                "commissioning_body": w.list(bodies),
                "team": w.list(teams) if len(teams) <= 6 else self.cw("teams_many"),
                "fieldwork_dates": format_date_range(min(starts) if starts else None,
                                                     max(ends) if ends else None, self.lang),
                "report_date": format_date(self.report_date, self.lang),
                "facts_extra": [],
                "notice": self.cw("synthetic_notice") if synthetic else "",
                "synthetic": synthetic,
                "provenance": [w("provenance_rubric", id=self.rubric.id, version=self.rubric.version),
                               w("provenance_software", version=self.software_version)],
            },
            "toc": [{"id": c["id"], "title": c["title"], "level": 1} for c in chapters]
            + [{"id": appendix["id"], "title": appendix["title"], "level": 1}],
            "chapters": chapters,
            "appendix": appendix,
            "ranking": ranking,
            "dimensions": dimensions,
            "indicators": indicators,
            "data": data,
            "created": self.report_date.isoformat() if self.report_date else "",
        }

    def ranking(self) -> dict[str, Any]:
        w = self.w
        order = sorted(range(len(self.entries)),
                       key=lambda k: (-round(self.entries[k][0].total, 2), self.unit_name(k)))
        rows = []
        rank = 0
        previous = None
        for position, k in enumerate(order, 1):
            sheet = self.entries[k][0]
            shown = points_text(sheet.total)
            if shown != previous:
                rank = position
                previous = shown
            verdicts = Counter(r.verdict for r in sheet.indicators)
            rows.append({
                "rank": str(rank), "unit": self.unit_name(k), "total": shown,
                "grade": grade_word(self.rubric, sheet.grade, self.lang),
                "veto": (w.list(w.text(v.name) for v in sheet.veto) if sheet.veto
                         else self.cw("veto_none")),
                "counts": [str(verdicts.get(v, 0)) for v in
                           ("meets", "fails", "indeterminate", "insufficient")],
            })
        self.order = order
        return {
            "intro": self.cw("ranking_intro", count=len(self.entries), rubric=w.text(self.rubric.title),
                             id=self.rubric.id, version=self.rubric.version),
            "caption": self.cw("ranking_caption", n=self.counters.next_table()),
            "columns": [self.cw("col_rank"), self.cw("col_unit"), self.cw("col_total"),
                        self.cw("col_grade"), self.cw("col_veto"), self.cw("col_meets"),
                        self.cw("col_fails"), self.cw("col_undecided"), self.cw("col_insufficient")],
            "rows": rows,
        }

    def _chunks(self, items: list) -> list[list]:
        size = self.chart_rows
        return [items[i:i + size] for i in range(0, len(items), size)] or [[]]

    def dimensions(self) -> dict[str, Any]:
        w = self.w
        table_no = self.counters.next_table()
        rows = []
        for k in self.order:
            sheet = self.entries[k][0]
            rows.append([self.unit_name(k)] + [points_text(d.score) for d in sheet.dimensions]
                        + [points_text(sheet.total)])
        charts = []
        first = None
        totals = [(self.unit_name(k), self.entries[k][0].total, self.entries[k][0].max)
                  for k in self.order]
        chunks = self._chunks(totals)
        for i, chunk in enumerate(chunks, 1):
            n = self.counters.next_figure()
            first = first or n
            part = self.cw("part", k=i, count=len(chunks)) if len(chunks) > 1 else ""
            charts.append({"categories": chunk, "caption": self.cw("total_chart", n=n, part=part)})
        for index, dimension in enumerate(self.rubric.dimensions):
            values = []
            for k in self.order:
                d = self.entries[k][0].dimensions[index]
                values.append((self.unit_name(k), d.score, d.max))
            chunks = self._chunks(values)
            for i, chunk in enumerate(chunks, 1):
                n = self.counters.next_figure()
                part = self.cw("part", k=i, count=len(chunks)) if len(chunks) > 1 else ""
                charts.append({"categories": chunk,
                               "caption": self.cw("dimension_chart", n=n, name=w.text(dimension.name),
                                                  max=plain(dimension.points), part=part)})
        return {
            "intro": self.cw("dimensions_intro", table=table_no, first=first),
            "caption": self.cw("dimensions_caption", n=table_no),
            "columns": [self.cw("col_unit")] + [w.text(d.name) for d in self.rubric.dimensions]
            + [self.cw("col_total")],
            "rows": rows,
            "charts": charts,
        }

    def indicators(self) -> dict[str, Any]:
        w = self.w
        rows = []
        for ind in self.rubric.indicators:
            results = [next(r for r in sheet.indicators if r.code == ind.code)
                       for sheet, _ in self.entries]
            verdicts = Counter(r.verdict for r in results)
            estimates = [r.estimate for r in results
                         if r.estimate is not None and math.isfinite(r.estimate)
                         and r.method in ESTIMATED_METHODS | {"judgement"}]
            if estimates:
                low = estimate_text(ind.method, min(estimates))
                high = estimate_text(ind.method, max(estimates))
                spread = low if low == high else self.cw("range", low=low, high=high)
            else:
                spread = w("no_value")
            rows.append([f"{ind.code} {w.text(ind.name)}"]
                        + [str(verdicts.get(v, 0)) for v in
                           ("meets", "fails", "indeterminate", "insufficient")] + [spread])
        return {
            "intro": self.cw("indicators_intro"),
            "caption": self.cw("indicators_caption", n=self.counters.next_table()),
            "columns": [self.cw("col_indicator"), self.cw("col_meets"), self.cw("col_fails"),
                        self.cw("col_undecided"), self.cw("col_insufficient"), self.cw("col_range")],
            "rows": rows,
        }

    def data(self) -> dict[str, Any]:
        w = self.w
        rows = []
        for k in self.order:
            _, bundle = self.entries[k]
            rows.append([self.unit_name(k), self.scrub(bundle.meta.id),
                         short_hash(bundle.data_hash, 16),
                         format_date(report_date_for(bundle), self.lang)])
        return {
            "intro": self.cw("data_intro", rubric=w.text(self.rubric.title), id=self.rubric.id,
                             version=self.rubric.version, version_software=self.software_version),
            "hash": self.cw("rubric_hash",
                            hash=getattr(self.rubric, "content_hash", "") or w("stamp_none")),
            "caption": self.cw("data_caption", n=self.counters.next_table()),
            "columns": [self.cw("col_unit"), self.cw("col_evaluation"), self.cw("col_data_hash"),
                        self.cw("col_report_date")],
            "rows": rows,
        }
