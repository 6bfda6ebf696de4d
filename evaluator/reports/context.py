"""ScoreSheet + bundle + rubric -> the plain values a report template prints.

Pure (no WeasyPrint, no Flask, no files, no clock): the same inputs give the same context, so
the same bundle gives the same report text. Everything a reader sees is decided in this
package's parts, and only there — rounding for presentation, wording in Chinese or English,
verdict words, the sentence that says in words what the sample could not decide, and privacy:

- households are named by their code; the head of household's name only when the evaluation
  allows names (``allow_names``), and a national ID number never in full (first 6 + last 4);
- free text (findings, reasons, forum notes) is scrubbed of ID numbers, mobile and landline
  numbers and bank cards (``evaluator.privacy``, the app's one masking policy), and of the
  roster's head names unless names are allowed.

One module per part of the report, each a function from the inputs (``ReportInputs``: the
sheet, bundle and rubric with their lookups) to plain values: cover, summary, overview,
dimensions, findings, rectification, methodology, appendices (sample and stamp); the
sentences about one indicator are in ``indicators``, numbers and dates in ``formatting``,
masking in ``evaluator.privacy``, the words in ``words``. This module puts them together in document
order, which is also the order tables and figures are numbered in (``Counters``).

Templates receive only str, int, float, bool, lists and dicts; they escape every string.
Numbers are rounded from the sheet's unrounded values: points to two decimals, shares to
one decimal of a percent, means to two decimals.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from evaluator.reports.appendices import sample, stamp
from evaluator.reports.cover import cover, proof_footer
from evaluator.reports.dimensions import dimension_chapter
from evaluator.reports.findings import findings
from evaluator.reports.formatting import Counters, Words
from evaluator.reports.inputs import ReportInputs, check_inputs
from evaluator.reports.methodology import methodology
from evaluator.reports.overview import overview
from evaluator.reports.rectification import rectification
from evaluator.reports.summary import summary


def build_context(
    sheet: Any,
    bundle: Any,
    rubric: Any,
    *,
    lang: str = "zh",
    surveys: Mapping[str, Any] | None = None,
    software_version: str = "",
    report_date: date | None = None,
) -> dict[str, Any]:
    """The whole report as plain values (see templates/report/report.html).

    ``sheet`` is ``score(rubric, bundle)``; ``surveys`` (survey id -> Survey) gives field and
    choice labels for the evidence of findings (without them, field codes are printed).
    ``report_date`` defaults to ``report_date_for(bundle)``. Raises ReportError when the sheet,
    bundle and rubric do not belong together.
    """
    check_inputs(sheet, bundle, rubric)
    inputs = ReportInputs(sheet, bundle, rubric, Words(lang), surveys or {}, software_version,
                          report_date)
    w = inputs.w
    counters = Counters()
    # Chapters: summary, overview, one per dimension, findings, the rectification list.
    summary_ch = inputs.chapter(1, "ch_summary", "summary")
    summary_part = summary(inputs, counters)
    overview_ch = inputs.chapter(2, "ch_overview", "overview")
    overview_part = overview(inputs, counters)
    dimensions = [dimension_chapter(inputs, counters, k, d, chapter=2 + k)
                  for k, d in enumerate(rubric.dimensions, 1)]
    findings_ch = inputs.chapter(3 + len(dimensions), "ch_findings", "findings")
    findings_part = findings(inputs)
    rect_ch = inputs.chapter(4 + len(dimensions), "ch_rectification", "rectification")
    rectification_part = rectification(inputs, counters)
    method = methodology(inputs, counters)
    sample_part = sample(inputs, counters)
    stamp_part = stamp(inputs, counters)
    toc = [{"id": summary_ch["id"], "title": summary_ch["title"], "level": 1},
           {"id": overview_ch["id"], "title": overview_ch["title"], "level": 1}]
    toc += [{"id": d["id"], "title": d["title"], "level": 1} for d in dimensions]
    toc += [{"id": findings_ch["id"], "title": findings_ch["title"], "level": 1},
            {"id": rect_ch["id"], "title": rect_ch["title"], "level": 1},
            {"id": method["id"], "title": method["title"], "level": 1}]
    toc += [{"id": s["id"], "title": s["title"], "level": 2} for s in method["sections"]]
    toc += [{"id": sample_part["id"], "title": sample_part["title"], "level": 1},
            {"id": stamp_part["id"], "title": stamp_part["title"], "level": 1}]
    return {
        "lang": inputs.lang,
        "html_lang": "zh-CN" if inputs.lang == "zh" else "en",
        "labels": {k: w(k) for k in ("kicker", "evaluated_unit", "commissioning_body",
                                     "evaluator_org", "team", "fieldwork_dates",
                                     "report_date", "toc")},
        "words": {k: w(k) for k in ("col_no", "col_problem", "col_unit", "col_person",
                                    "col_deadline", "dim_indicators", "dim_forum_notes")},
        "report": cover(inputs),
        "toc": toc,
        "summary_chapter": summary_ch,
        "summary": summary_part,
        "overview_chapter": overview_ch,
        "overview": overview_part,
        "dimensions": dimensions,
        "findings_chapter": findings_ch,
        "findings": findings_part,
        "rectification_chapter": rect_ch,
        "rectification": rectification_part,
        "methodology": method,
        "sample": sample_part,
        "stamp": stamp_part,
        "created": inputs.report_date.isoformat() if inputs.report_date else "",
        "proof_footer": proof_footer(inputs),
        # numbered so far: a part added after (evaluator.reports.appeals) numbers on from here
        "counts": {"tables": counters.table, "figures": counters.figure},
    }
