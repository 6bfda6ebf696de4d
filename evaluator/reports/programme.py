"""The programme report (评估项目总体报告): the comparison report grown into a programme's own
PDF — summary, the ranking with intervals and tiers, the pooled (programme-level) indicators,
cross-unit findings, a one-page profile of every unit, and the data fingerprints.

Made from plain values only: the programme's result (evaluator.programmes.result: the JSON of
``/programmes/N/result.json`` and ``evaluator programme score``) and each unit's score sheet as
a dict (``ScoreSheet.to_dict()``) — so the web app (sheets kept in the database) and the
command line (``evaluator report --programme DIR``) give the same PDF for the same data. Its
words are the report words prefixed ``prog_`` (evaluator.reports.words_parts, Chinese in the
catalog); the shared ones (chapter and appendix numbering) are the report's.
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
        """A ``prog_`` word; a list entry (``*_columns``) as its list."""
        if key.endswith("_columns"):
            return self.w.sentences("prog_" + key)
        return self.w("prog_" + key, **values)

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
