"""The comparison report: several evaluations scored with the same rubric, side by side —
ranking, dimension scores (with charts), verdicts by indicator, and each unit's data
fingerprint. Its own words are in ``COMPARISON_WORDS``; the rest are the report's."""

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


COMPARISON_WORDS = {
    "zh": {
        "title": "{rubric}结果比较报告",
        "units_many": "共{count}个单位（见表1）",
        "teams_many": "各评估组（见附录）",
        "ch_ranking": "综合排名",
        "ch_dimensions": "各方面比较",
        "ch_indicators": "指标达标情况",
        "app_data": "数据与可复现信息",
        "ranking_intro": "{count}个单位按同一评估方案《{rubric}》（{id} {version}）评分。综合得分相同（保留两位小数后）"
                         "的单位并列同一名次。",
        "ranking_caption": "表{n}　综合得分排名",
        "col_rank": "名次",
        "col_unit": "被评估单位",
        "col_total": "综合得分",
        "col_grade": "等级",
        "col_veto": "一票否决",
        "col_meets": "达标",
        "col_fails": "未达标",
        "col_undecided": "无法判定",
        "col_insufficient": "样本不足",
        "veto_none": "无",
        "dimensions_intro": "表{table}列出各单位六个方面的得分；图{first}起为各方面得分的比较。",
        "dimensions_caption": "表{n}　各单位分方面得分",
        "total_chart": "图{n}　综合得分{part}",
        "dimension_chart": "图{n}　{name}得分（满分{max}分）{part}",
        "part": "（{k}/{count}）",
        "indicators_intro": "下表列出每项指标判定为达标、未达标、无法判定和样本不足的单位数，以及各单位估计值的范围。",
        "indicators_caption": "表{n}　各指标判定情况（单位数）",
        "col_indicator": "指标",
        "col_range": "估计值范围",
        "data_caption": "表{n}　各单位数据指纹",
        "col_evaluation": "评估编号",
        "col_data_hash": "数据包指纹",
        "col_report_date": "报告日期",
        "data_intro": "各单位的报告数字都可由对应数据包和评估方案《{rubric}》（{id} {version}）"
                      "用 evaluator {version_software} 重新计算。",
        "rubric_hash": "评估方案内容指纹（SHA-256）：{hash}",
        "synthetic_notice": "演示/模拟数据：参与比较的评估含有模拟生成的演示数据，单位、人员和家庭均为虚构。",
        "range": "{low}–{high}",
    },
    "en": {
        "title": "{rubric}: comparison of results",
        "units_many": "{count} units (see table 1)",
        "teams_many": "the evaluation teams (see the appendix)",
        "ch_ranking": "Ranking",
        "ch_dimensions": "Dimensions compared",
        "ch_indicators": "Verdicts by indicator",
        "app_data": "Data and reproducibility",
        "ranking_intro": "{count} units were scored with the same rubric \"{rubric}\" ({id} {version}). Units "
                         "with the same total (to two decimals) share a rank.",
        "ranking_caption": "Table {n}  Ranking by total score",
        "col_rank": "Rank",
        "col_unit": "Evaluated unit",
        "col_total": "Total",
        "col_grade": "Grade",
        "col_veto": "Veto",
        "col_meets": "Meets",
        "col_fails": "Fails",
        "col_undecided": "Undecided",
        "col_insufficient": "Too few",
        "veto_none": "none",
        "dimensions_intro": "Table {table} gives each unit's dimension scores; figures from {first} on compare "
                            "them.",
        "dimensions_caption": "Table {n}  Dimension scores by unit",
        "total_chart": "Figure {n}  Total score{part}",
        "dimension_chart": "Figure {n}  {name} (out of {max}){part}",
        "part": " ({k}/{count})",
        "indicators_intro": "For each indicator, the number of units meeting, failing, undecided and with too "
                            "few data, and the range of the units' estimates.",
        "indicators_caption": "Table {n}  Verdicts by indicator (number of units)",
        "col_indicator": "Indicator",
        "col_range": "Estimates",
        "data_caption": "Table {n}  Data fingerprints",
        "col_evaluation": "Evaluation",
        "col_data_hash": "Bundle fingerprint",
        "col_report_date": "Report date",
        "data_intro": "Each unit's figures can be recomputed from its bundle and the rubric \"{rubric}\" ({id} "
                      "{version}) with evaluator {version_software}.",
        "rubric_hash": "Rubric content fingerprint (SHA-256): {hash}",
        "synthetic_notice": "SYNTHETIC DEMO DATA: the compared evaluations include generated demonstration "
                            "data; units, people and households are invented.",
        "range": "{low}–{high}",
    },
}


class _Comparison:
    def __init__(self, entries, rubric, w: Words, software_version, report_date, chart_rows):
        self.entries = list(entries)
        self.rubric = rubric
        self.w = w
        self.lang = w.lang
        self.c = COMPARISON_WORDS[w.lang]
        self.software_version = software_version
        dates = [d for d in (report_date_for(b) for _, b in self.entries) if d is not None]
        self.report_date = report_date or (max(dates) if dates else None)
        self.counters = Counters()
        self.chart_rows = max(5, int(chart_rows))
        self.scrub = Scrubber()  # names of units and people: personal numbers masked

    def cw(self, key: str, **values: Any) -> str:
        return self.c[key].format(**values) if values else self.c[key]

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
