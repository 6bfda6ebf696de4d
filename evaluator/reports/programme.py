"""The programme report (评估项目总体报告): the comparison report grown into a programme's own
PDF — summary, the ranking with intervals and tiers, the pooled (programme-level) indicators,
cross-unit findings, a one-page profile of every unit, and the data fingerprints.

Made from plain values only: the programme's result (evaluator.programmes.result: the JSON of
``/programmes/N/result.json`` and ``evaluator programme score``) and each unit's score sheet as
a dict (``ScoreSheet.to_dict()``) — so the web app (sheets kept in the database) and the
command line (``evaluator report --programme DIR``) give the same PDF for the same data. Its
words are in ``PROGRAMME_WORDS``; the shared ones (chapter and appendix numbering) are the
report's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from evaluator.privacy import Scrubber
from evaluator.reports.formatting import Counters, Words, format_date, format_date_range
from evaluator.reports.words import chinese_numeral

PROGRAMME_TEMPLATE = "report/programme.html"
SHARE_METHODS = ("rate", "checklist", "consistency", "completeness")
VERDICTS = ("meets", "fails", "indeterminate", "insufficient")

PROGRAMME_WORDS: dict[str, dict[str, Any]] = {
    "zh": {
        "kicker": "评估项目总体报告",
        "period": "评估期",
        "units": "{count}个被评估单位",
        "teams": "各单位评估组",
        "ch_summary": "总体情况",
        "ch_ranking": "排名与梯队",
        "ch_pooled": "全省（项目总体）指标估计",
        "ch_cross": "跨单位问题",
        "app_profiles": "各单位概况",
        "app_data": "数据与可复现信息",
        "summary": "本项目按同一评估方案（{id} {version}）评估{units}个单位，台账共{frame}户，"
                   "抽样调查{sampled}户。{pairs}对单位中，数据能够区分高低的有{distinguished}对"
                   "（Holm 校正，总体错误率{alpha}%），据此分为{tiers}个梯队。",
        "summary_pooled": "全省层面{estimated}项可估计指标中，达标{meets}项、未达标{fails}项、"
                          "无法判定{indeterminate}项、样本不足{insufficient}项（见第三章）。",
        "ranking_intro": "总分相近的单位样本无法区分，本报告不给出确切名次：每个单位给出总分的95%置信区间"
                         "（各单位样本的重标度自助法），两两比较经 Holm 校正；名次区间是数据支持的最好和最差名次；"
                         "同一梯队内的单位与该梯队第一个单位无显著差异。",
        "ranking_caption": "表{n}　排名与梯队",
        "ranking_columns": ["梯队", "名次区间", "被评估单位", "地区", "总分", "95%置信区间", "等级"],
        "pooled_intro": "各单位的样本合并为一个分层抽样设计：各单位的层作为全省的层，按台账户数加权，"
                        "因此全省估计值是对全省总体的设计估计，区间包含每个单位的抽样误差。"
                        "评议、扣分和否决类指标无法这样合并，表中注明其合并方式。",
        "pooled_caption": "表{n}　全省指标估计",
        "pooled_columns": ["指标", "估计值", "95%置信区间", "样本量", "单位数", "结论"],
        "pooling_weighted_mean": "各单位按户数加权平均",
        "pooling_counts": "各单位计数",
        "cross_intro": "下表按未达标单位数从多到少列出各项指标在各单位的判定，以及扣分类指标的问题数（按严重程度）。",
        "cross_caption": "表{n}　各指标在各单位的判定（单位数）",
        "cross_columns": ["指标", "达标", "未达标", "无法判定", "样本不足", "问题（一般/较重/严重）"],
        "profile_facts": "总分{total}（95%置信区间{interval}），等级{grade}，第{tier}梯队，名次区间{ranks}。",
        "profile_unscored": "未能评分。",
        "profile_caption": "表{n}　{unit}分方面得分",
        "profile_columns": ["评估方面", "得分", "满分"],
        "profile_indicators_caption": "表{n}　{unit}各指标",
        "profile_indicator_columns": ["指标", "估计值", "95%置信区间", "结论"],
        "profile_fails": "未达标指标：{codes}。",
        "profile_no_fails": "无未达标指标。",
        "data_intro": "每个单位的数字都可由其数据包和评估方案重新计算（evaluator programme score 目录）。",
        "data_caption": "表{n}　各单位数据指纹",
        "data_columns": ["评估编号", "被评估单位", "数据包指纹"],
        "rubric_hash": "评估方案内容指纹：{hash}",
        "synthetic_notice": "模拟数据：本项目的单位、人员和家庭均为模拟生成，仅用于演示和测试。",
        "verdict_meets": "达标", "verdict_fails": "未达标", "verdict_indeterminate": "无法判定",
        "verdict_insufficient": "样本不足",
    },
    "en": {
        "kicker": "Programme report",
        "period": "Evaluation period",
        "units": "{count} evaluated units",
        "teams": "the units' evaluation teams",
        "ch_summary": "Summary",
        "ch_ranking": "Ranking and tiers",
        "ch_pooled": "Programme-level indicators",
        "ch_cross": "Findings across units",
        "app_profiles": "The units",
        "app_data": "Data and reproducibility",
        "summary": "{units} units were evaluated with the same rubric ({id} {version}); their "
                   "rosters hold {frame} households, of which {sampled} were sampled. Of {pairs} pairs of "
                   "units, the data tell {distinguished} apart (Holm-corrected, {alpha} % familywise), "
                   "which gives {tiers} tiers.",
        "summary_pooled": "Of {estimated} indicators estimated for the whole programme, {meets} meet their "
                          "target, {fails} fail, {indeterminate} are undecided and {insufficient} have too "
                          "few data (chapter 3).",
        "ranking_intro": "Units whose samples cannot tell them apart get no exact place: each unit's total "
                         "has a 95 % interval (a rescaled bootstrap of its sample), every pair is tested "
                         "under Holm's correction, the possible ranks are the best and worst the data "
                         "allow, and units in one tier are not shown to differ from the tier's first.",
        "ranking_caption": "Table {n}  Ranking and tiers",
        "ranking_columns": ["Tier", "Ranks", "Unit", "Region", "Total", "95 % interval", "Grade"],
        "pooled_intro": "The units' samples are pooled into one stratified design: each unit's strata are "
                        "strata of the programme, weighted by their rosters, so a programme figure is a "
                        "design-based estimate of the whole and its interval carries every unit's "
                        "sampling error. Judgement, deduction and veto indicators cannot be pooled so; "
                        "the table says how they are combined.",
        "pooled_caption": "Table {n}  Programme-level indicators",
        "pooled_columns": ["Indicator", "Estimate", "95 % interval", "n", "Units", "Verdict"],
        "pooling_weighted_mean": "frame-weighted mean of units",
        "pooling_counts": "counts over units",
        "cross_intro": "For each indicator, the number of units by verdict (most failing first), and for "
                       "deduction indicators the findings by severity.",
        "cross_caption": "Table {n}  Verdicts by indicator across units",
        "cross_columns": ["Indicator", "Meets", "Fails", "Undecided", "Too few",
                          "Findings (minor/major/critical)"],
        "profile_facts": "Total {total} (95 % interval {interval}), grade {grade}, tier {tier}, possible "
                         "ranks {ranks}.",
        "profile_unscored": "Not scored.",
        "profile_caption": "Table {n}  {unit}: dimension scores",
        "profile_columns": ["Dimension", "Score", "Out of"],
        "profile_indicators_caption": "Table {n}  {unit}: indicators",
        "profile_indicator_columns": ["Indicator", "Estimate", "95 % interval", "Verdict"],
        "profile_fails": "Indicators failing: {codes}.",
        "profile_no_fails": "No indicator fails.",
        "data_intro": "Every unit's figures can be recomputed from its bundle and the rubric "
                      "(evaluator programme score FOLDER).",
        "data_caption": "Table {n}  Data fingerprints",
        "data_columns": ["Evaluation", "Unit", "Bundle fingerprint"],
        "rubric_hash": "Rubric content fingerprint: {hash}",
        "synthetic_notice": "SYNTHETIC DATA: the programme's units, people and households are generated "
                            "for demonstration and testing.",
        "verdict_meets": "meets", "verdict_fails": "fails", "verdict_indeterminate": "undecided",
        "verdict_insufficient": "too few data",
    },
}


def build_programme_context(result: Mapping[str, Any], sheets: Mapping[str, Mapping[str, Any]],
                            *, lang: str = "zh", software_version: str = "",
                            report_date: date | None = None) -> dict[str, Any]:
    """The programme report as plain values (templates/report/programme.html)."""
    return _Programme(result, sheets, lang, software_version, report_date).build()


class _Programme:
    def __init__(self, result: Mapping[str, Any], sheets: Mapping[str, Mapping[str, Any]],
                 lang: str, software_version: str, report_date: date | None):
        self.result = result
        self.sheets = sheets
        self.lang = "en" if lang == "en" else "zh"
        self.w = Words(self.lang)
        self.p = PROGRAMME_WORDS[self.lang]
        self.version = software_version
        self.meta = result["programme"]
        period = self.meta.get("period") or {}
        self.start = date.fromisoformat(period["start"]) if period.get("start") else None
        self.end = date.fromisoformat(period["end"]) if period.get("end") else None
        self.report_date = report_date or self.end
        self.counters = Counters()
        self.scrub = Scrubber()
        self.units = {u["evaluation"]: u for u in self.meta.get("units", [])}

    def pw(self, key: str, **values: Any) -> Any:
        text = self.p[key]
        return text.format(**values) if values else text

    def text(self, mapping: Mapping[str, str] | None) -> str:
        mapping = mapping or {}
        return mapping.get(self.lang) or mapping.get("zh", "")

    def chapter(self, number: int, key: str) -> dict[str, str]:
        numeral = chinese_numeral(number) if self.lang == "zh" else str(number)
        return {"id": key.split("_", 1)[1], "title": self.w("chapter_number", numeral=numeral,
                                                              title=self.pw(key))}

    def appendix(self, number: int, key: str) -> dict[str, str]:
        numeral = chinese_numeral(number) if self.lang == "zh" else "ABCDEFGHIJ"[number - 1]
        return {"id": "appendix-" + key.split("_", 1)[1],
                "title": self.w("appendix_number", numeral=numeral, title=self.pw(key))}

    def build(self) -> dict[str, Any]:
        title = self.text(self.meta.get("title")) or self.meta.get("id", "")
        chapters = [self.chapter(k, key) for k, key in enumerate(
            ("ch_summary", "ch_ranking", "ch_pooled", "ch_cross"), 1)]
        appendices = [self.appendix(k, key) for k, key in enumerate(("app_profiles", "app_data"), 1)]
        summary = self.summary()
        ranking = self.ranking()
        pooled = self.pooled()
        cross = self.cross()
        profiles = self.profiles()
        data = self.data()
        rubric = self.result["rubric"]
        toc = [{"id": c["id"], "title": c["title"], "level": 1} for c in (*chapters, *appendices)]
        return {
            "lang": self.lang,
            "html_lang": "zh-CN" if self.lang == "zh" else "en",
            "labels": {**{k: self.w(k) for k in ("evaluated_unit", "commissioning_body",
                                                 "evaluator_org", "team", "fieldwork_dates",
                                                 "report_date", "toc")},
                       "kicker": self.pw("kicker"), "fieldwork_dates": self.pw("period")},
            "report": {
                "title": self.scrub(title),
                "running_title": self.scrub(title),
                "evaluated_unit": self.pw("units", count=len(self.result["ranking"]["units"])),
                "commissioning_body": self.scrub(self.meta.get("commissioning_body", "")),
                "team": self.pw("teams"),
                "fieldwork_dates": format_date_range(self.start, self.end, self.lang)
                if self.start and self.end else "",
                "report_date": format_date(self.report_date, self.lang) if self.report_date else "",
                "notice": self.pw("synthetic_notice") if self.meta.get("synthetic") else "",
                "provenance": [f"{rubric['id']} {rubric['version']}",
                               f"evaluator {self.version}" if self.version else ""],
            },
            "toc": toc,
            "chapters": chapters,
            "appendices": appendices,
            "summary": summary,
            "ranking": ranking,
            "pooled": pooled,
            "cross": cross,
            "profiles": profiles,
            "data": data,
            "created": self.report_date.isoformat() if self.report_date else "",
        }

    def summary(self) -> dict[str, Any]:
        ranking = self.result["ranking"]
        pooled = self.result["pooled"]
        estimated = [i for i in pooled["indicators"] if i["pooling"] == "design"]
        counts = {v: sum(1 for i in estimated if i["verdict"] == v) for v in VERDICTS}
        rubric = self.result["rubric"]
        return {"paragraphs": [
            self.pw("summary", id=rubric["id"], version=rubric["version"],
                    units=pooled["units"], frame=pooled["frame"], sampled=pooled["sampled"],
                    pairs=ranking["pairs"], distinguished=ranking["distinguished"],
                    alpha=f"{(1 - ranking['confidence']) * 100:g}",
                    tiers=max((u["tier"] for u in ranking["units"]), default=0)),
            self.pw("summary_pooled", estimated=len(estimated), **counts)]}

    def ranking(self) -> dict[str, Any]:
        rows = [[str(u["tier"]), f"{u['best_rank']}–{u['worst_rank']}", self.scrub(u["name"]),
                 self.scrub(u["region"]), f"{u['total']:.2f}",
                 f"{u['ci_low']:.2f}–{u['ci_high']:.2f}", self.grade(u)]
                for u in self.result["ranking"]["units"]]
        return {"intro": self.pw("ranking_intro"),
                "caption": self.pw("ranking_caption", n=self.counters.next_table()),
                "columns": self.pw("ranking_columns"), "rows": rows}

    def grade(self, unit: Mapping[str, Any]) -> str:
        sheet = self.sheets.get(unit["key"]) or {}
        return (sheet.get("grade_en") or unit["grade"]) if self.lang == "en" else unit["grade"]

    def shown(self, indicator: Mapping[str, Any], value: float | None) -> str:
        if value is None:
            return "–"
        if indicator["method"] in SHARE_METHODS:
            return f"{value * 100:.1f}%"
        return f"{value:.2f}"

    def pooled(self) -> dict[str, Any]:
        rows = []
        for i in self.result["pooled"]["indicators"]:
            interval = (f"{self.shown(i, i['ci_low'])}–{self.shown(i, i['ci_high'])}"
                        if i["ci_low"] is not None and i["ci_high"] is not None else "")
            verdict = (self.pw("verdict_" + i["verdict"]) if i["verdict"]
                       else self.pw("pooling_" + i["pooling"]) if i["pooling"] != "design" else "")
            rows.append([f"{i['code']} {self.text(i['name'])}", self.shown(i, i["estimate"]),
                         interval, str(i["n"]), str(i["units"]), verdict])
        return {"intro": self.pw("pooled_intro"),
                "caption": self.pw("pooled_caption", n=self.counters.next_table()),
                "columns": self.pw("pooled_columns"), "rows": rows}

    def cross(self) -> dict[str, Any]:
        indicators = sorted(self.result["pooled"]["indicators"],
                            key=lambda i: (-i["unit_verdicts"].get("fails", 0), i["code"]))
        rows = []
        for i in indicators:
            found = i.get("findings") or {}
            findings = "/".join(str(found.get(s, 0)) for s in ("minor", "major", "critical")) \
                if found else ""
            rows.append([f"{i['code']} {self.text(i['name'])}",
                         *(str(i["unit_verdicts"].get(v, 0)) for v in VERDICTS), findings])
        return {"intro": self.pw("cross_intro"),
                "caption": self.pw("cross_caption", n=self.counters.next_table()),
                "columns": self.pw("cross_columns"), "rows": rows}

    def profiles(self) -> list[dict[str, Any]]:
        ranked = {u["key"]: u for u in self.result["ranking"]["units"]}
        out = []
        for key in sorted(ranked, key=lambda k: ranked[k]["order"]):
            u = ranked[key]
            sheet = self.sheets.get(key) or {}
            dims = [[self.text(d["name"]), f"{d['score']:.2f}", f"{d['max']:g}"]
                    for d in sheet.get("dimensions", [])]
            fails = [i["code"] for i in sheet.get("indicators", []) if i.get("verdict") == "fails"]
            indicators = [[f"{i['code']} {self.text(i.get('name'))}", self.shown(i, i.get("estimate")),
                           f"{self.shown(i, i.get('ci_low'))}–{self.shown(i, i.get('ci_high'))}"
                           if i.get("ci_low") is not None and i.get("ci_high") is not None else "",
                           self.pw("verdict_" + i["verdict"]) if i.get("verdict") in VERDICTS else ""]
                          for i in sheet.get("indicators", [])]
            out.append({
                "id": f"unit-{key}", "title": self.scrub(u["name"]),
                "subtitle": " · ".join(filter(None, (key, self.scrub(u["region"])))),
                "facts": self.pw("profile_facts", total=f"{u['total']:.2f}",
                                 interval=f"{u['ci_low']:.2f}–{u['ci_high']:.2f}", grade=self.grade(u),
                                 tier=u["tier"], ranks=f"{u['best_rank']}–{u['worst_rank']}"),
                "caption": self.pw("profile_caption", n=self.counters.next_table(),
                                   unit=self.scrub(u["name"])),
                "columns": self.pw("profile_columns"), "rows": dims,
                "indicators": {"caption": self.pw("profile_indicators_caption",
                                                  n=self.counters.next_table(),
                                                  unit=self.scrub(u["name"])),
                               "columns": self.pw("profile_indicator_columns"),
                               "rows": indicators},
                "fails": self.pw("profile_fails", codes="、".join(fails) if self.lang == "zh"
                                 else ", ".join(fails)) if fails else self.pw("profile_no_fails"),
            })
        return out

    def data(self) -> dict[str, Any]:
        pooled = self.result["pooled"]
        names = {u["key"]: u["name"] for u in self.result["ranking"]["units"]}
        rows = [[key, self.scrub(names.get(key, "")), digest]
                for key, digest in zip(pooled["unit_keys"], pooled["data_hashes"], strict=True)]
        return {"intro": self.pw("data_intro"),
                "rubric": self.pw("rubric_hash", hash=self.result["rubric"].get("hash", "")),
                "caption": self.pw("data_caption", n=self.counters.next_table()),
                "columns": self.pw("data_columns"), "rows": rows}


def render_programme_html(context: dict[str, Any], *, standalone: bool = True) -> str:
    """The programme report as HTML (standalone: the stylesheet inline, for a browser)."""
    from evaluator.reports.build import _environment, _finish

    html = _environment().get_template(PROGRAMME_TEMPLATE).render(**context)
    return _finish(html, standalone)


def render_programme_pdf(context: dict[str, Any], out_path: Any = None) -> bytes:
    """The programme report as PDF bytes (and written to ``out_path`` when given)."""
    from evaluator.reports.pdf import render_pdf

    created = date.fromisoformat(context["created"]) if context.get("created") else None
    return render_pdf(render_programme_html(context, standalone=False), out_path, created=created)
