"""Results: the exports (ODK Central's CSV/XLSX, the bundle.zip), the scores page and the
report (HTML preview and PDF), for the lead any time and for viewers once the evaluation is
finished."""

from __future__ import annotations

import io
import math
from collections import defaultdict
from datetime import date
from typing import Any

from flask import Response, abort, current_app, g, render_template, request, send_file, url_for
from flask_babel import gettext

from evaluator.bundle.writer import zip_bytes
from evaluator.extensions import db_session
from evaluator.feedback.report import appeals_for, appendix_bundle_files, lookback_for
from evaluator.fieldwork.exports.files import bundle_files as evaluation_bundle
from evaluator.fieldwork.exports.files import odk_csv, odk_xlsx
from evaluator.fieldwork.exports.report import pdf_key, report_html
from evaluator.fieldwork.exports.scores import score_evaluation
from evaluator.fieldwork.models import Evaluation
from evaluator.fieldwork.permissions import can_view_scores
from evaluator.fieldwork.queries import rubric_version
from evaluator.fieldwork.views_common import load_evaluation, summary
from evaluator.jobs import current_queue
from evaluator.reports import ReportError
from evaluator.storage import current_storage
from evaluator.web.headers import with_inline_styles
from evaluator.web.i18n import LANGUAGES, VOCABULARY, label
from evaluator.web.problems import problems_text


def export(evaluation_id: int, source: str, fmt: str):
    evaluation, _ = load_evaluation(evaluation_id)
    db = db_session()
    stamp = date.today().isoformat()
    if fmt == "csv":
        data = odk_csv(db, evaluation, source)
        mimetype = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        data = odk_xlsx(db, evaluation, source)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    if data is None:
        abort(404)
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{evaluation.key}-{source}-{stamp}.{fmt}"'})


def export_bundle(evaluation_id: int):
    """The bundle.zip, with the report appendices' files (appeals, look-back) when the report
    has them; ``?raw=1`` writes formula-like values verbatim for another tool's import
    (``evaluator score`` reads either: it reverses the neutralising apostrophe)."""
    evaluation, _ = load_evaluation(evaluation_id)
    raw = request.args.get("raw") == "1"
    files = evaluation_bundle(db_session(), evaluation, raw=raw)
    files.update(appendix_bundle_files(db_session(), evaluation, date.today()))
    data = zip_bytes(files)
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{evaluation.key}-bundle.zip"'})


def scores(evaluation_id: int):
    evaluation, role, scored = _scored(evaluation_id)
    sheet = scored.sheet.to_dict() if scored.sheet is not None else None
    view = _sheet_view(sheet) if sheet else None
    return render_template("fieldwork/scores.html", evaluation=summary(evaluation, role),
                           sheet=view, **_shown(scored_problems(scored)), data_hash=scored.data_hash)


def report_preview(evaluation_id: int):
    """The report as its readers get it, as one HTML page (stylesheet and charts inline), in
    the page's language (``?lang=zh|en`` switches it, as on every page). Who may see the scores
    may see the report; until the evaluation is finished (leads only) it is marked as a draft
    on its cover. The report date comes from the data (evaluator.fieldwork.exports.report)."""
    evaluation, role, scored = _scored(evaluation_id)
    if scored.sheet is None:
        return _report_refused(evaluation, role, gettext("The data cannot be scored yet:"),
                               scored_problems(scored), 409)
    try:
        html = report_html(scored, _report_lang(), draft=evaluation.status != "finished",
                           appeals=appeals_for(db_session(), evaluation),
                           lookback=lookback_for(db_session(), evaluation, scored, date.today()))
    except ReportError as error:
        return _report_failed(evaluation, role, error)
    bar = render_template("fieldwork/report_bar.html", evaluation=summary(evaluation, role))
    html = html.replace("<body>", "<body>\n" + bar.strip(), 1)  # the app's navigation, web only
    response = with_inline_styles(Response(html, mimetype="text/html"), html)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def report_download(evaluation_id: int):
    """The report as PDF, as report_preview says. Rendering takes seconds, so each PDF is kept
    in the file storage under ``report-cache/<evaluation id>/`` by a key of the data hash, the
    rubric's content hash, the language, the software version, the report date (the later of
    the period's end and the last fieldwork day: from the data, so the key is stable; the model
    records no finishing date) and the draft mark: the same data is rendered once, and a
    finished evaluation's PDF is the one ``evaluator report`` makes from its bundle.zip. The
    newest few PDFs of each evaluation are kept, older ones deleted.

    A PDF not yet kept is rendered by a job (evaluator.jobs: a queue worker, or a thread of
    this process without Redis), keyed by the same key, so many requests for it make one
    render. The request waits for it up to ``REPORT_WAIT`` seconds; past that it answers 202
    with the job's state (``/jobs/<id>``) and asks the browser to come back."""
    evaluation, role, scored = _scored(evaluation_id)
    if scored.sheet is None:
        return _report_refused(evaluation, role, gettext("The data cannot be scored yet:"),
                               scored_problems(scored), 409)
    lang = _report_lang()
    draft = evaluation.status != "finished"
    storage = current_storage()
    key = pdf_key(evaluation.id, scored, rubric_version(db_session(), evaluation).content_hash,
                  lang, draft=draft, appeals=appeals_for(db_session(), evaluation),
                  lookback=lookback_for(db_session(), evaluation, scored, date.today()))
    pdf = storage.get_or_none(key)
    if pdf is None:
        queue = current_queue()
        job = queue.enqueue("report.pdf", {"pdf": key},
                            {"evaluation_id": evaluation.id, "lang": lang, "draft": draft})
        state = queue.wait(job, current_app.config["REPORT_WAIT"])
        if state is not None and state.state == "failed":
            return _report_failed(evaluation, role, ReportError(state.error or "failed"))
        if state is None or state.state != "done" or state.result is None:
            return report_progress_page(evaluation, role, url_for("jobs.status", job=job), state)
        pdf = storage.get(state.result)
    name = f"{evaluation.key}-report-{lang}{'-draft' if draft else ''}.pdf"
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


#: Problems listed on a page; the rest are counted.
PROBLEMS_SHOWN = 200


def scored_problems(scored: Any) -> list[str]:
    """Why ``scored`` has no sheet, in the page's language."""
    return problems_text(scored.found, _report_lang()) if scored.found else list(scored.problems)


def _shown(problems: list[str]) -> dict:
    return {"problems": problems[:PROBLEMS_SHOWN], "more": max(0, len(problems) - PROBLEMS_SHOWN)}


def _scored(evaluation_id: int):
    """(evaluation, role, Scored) for the scores page and the report: leads any time, viewers
    once the evaluation is finished."""
    evaluation, role = load_evaluation(evaluation_id, allow=("lead", "viewer"))
    if not can_view_scores(role, evaluation):
        abort(403)
    return evaluation, role, score_evaluation(db_session(), evaluation)


def _report_lang() -> str:
    lang = g.get("lang", "zh")
    return lang if lang in LANGUAGES else "zh"


def report_progress_page(evaluation: Evaluation, role: str, job_url: str, state: Any):
    """202 while a report job runs: the page follows ``job_url`` (the job queue's JSON state:
    state, progress 0..1, message, error, done) and then downloads the PDF, which the cache
    answers at once. ``state`` is the job's latest state (None before it started)."""
    percent = round(100 * (getattr(state, "progress", 0.0) or 0.0))
    page = render_template("fieldwork/report_progress.html", evaluation=summary(evaluation, role),
                           job_url=job_url, percent=percent,
                           step=getattr(state, "message", "") or "queued",
                           steps={code: label("job_step", code)
                                  for code in VOCABULARY["job_step"]},
                           pdf_url=url_for("fieldwork.report_pdf", evaluation_id=evaluation.id))
    return page, 202, {"Refresh": "5", "Cache-Control": "no-store",
                       "Link": f'<{job_url}>; rel="status"'}


def _report_failed(evaluation: Evaluation, role: str, error: ReportError):
    current_app.logger.error("report of evaluation %s failed: %s", evaluation.key, error)
    return _report_refused(evaluation, role, gettext("The report could not be made:"),
                           [str(error)], 500)


def _report_refused(evaluation: Evaluation, role: str, heading: str, problems: list[str],
                    status: int):
    return render_template("fieldwork/report_problems.html", evaluation=summary(evaluation, role),
                           heading=heading, **_shown(problems)), status


def _fmt(value, places: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{places}f}"


SHARE_METHODS = {"rate", "checklist", "consistency", "completeness", "veto"}


def _sheet_view(sheet: dict) -> dict:
    """Rounded, language-picked plain values for the page (the sheet itself stays unrounded)."""
    lang = g.get("lang", "zh")

    def name(mapping):
        return (mapping or {}).get(lang) or (mapping or {}).get("zh", "")

    by_dimension = defaultdict(list)
    for i in sheet["indicators"]:
        share = i["method"] in SHARE_METHODS

        def est(value, share=share):
            if value is None:
                return "–"
            return f"{value * 100:.1f}%" if share else _fmt(value)

        by_dimension[i["dimension"]].append({
            "code": i["code"], "name": name(i["name"]), "method": i["method"],
            "estimate": est(i.get("estimate")),
            "interval": (f"[{est(i.get('ci_low'))}, {est(i.get('ci_high'))}]"
                         if i.get("ci_low") is not None and i.get("ci_high") is not None else ""),
            "n": i.get("n"), "points": _fmt(i.get("points")), "max": _fmt(i.get("max"), 0),
            "verdict": i.get("verdict", ""), "flags": " ".join(i.get("flags") or [])})
    dimensions = [{"code": d["code"], "name": name(d["name"]), "score": _fmt(d["score"]),
                   "max": _fmt(d["max"], 0), "share": (d["score"] / d["max"] * 100)
                   if d["max"] else 0, "indicators": by_dimension.get(d["code"], [])}
                  for d in sheet["dimensions"]]
    return {"total": _fmt(sheet["total"]), "max": _fmt(sheet["max"], 0),  # as the report prints it
            "grade": sheet["grade"] if lang != "en" else sheet.get("grade_en") or sheet["grade"],
            "uncapped": sheet.get("uncapped_grade"),
            "veto": [{"code": v["code"], "name": name(v["name"]), "cap": v["cap"],
                      "reason": v["reason"]} for v in sheet.get("veto", [])],
            "dimensions": dimensions,
            "insufficient": [i["code"] for i in sheet["indicators"]
                             if i.get("verdict") == "insufficient"],
            "indicator_count": len(sheet["indicators"]),
            "rubric": f"{sheet['rubric']['id']} {sheet['rubric']['version']}",
            "data_hash": sheet.get("data_hash", ""),
            "provisional": sheet.get("provisional", False),
            "grade_range": (sheet.get("grade_range_en") if lang == "en" else sheet.get("grade_range")) or [],
            "total_range": [_fmt(v) for v in sheet.get("total_range") or []],
            "because": ", ".join(sheet.get("provisional_because") or []),
            "response": _response_view(sheet.get("response", {}).get("household")),
            "verdicts": (sheet.get("multiplicity") or {}).get("verdicts", 0)}


def _response_view(table: dict | None) -> dict | None:
    """The household response rate overall and its range over strata, as percentages."""
    if not table or table["total"]["rate"] is None:
        return None
    rates = [r["rate"] for r in table["strata"].values() if r["rate"] is not None]
    total = table["total"]
    return {"rate": f"{total['rate'] * 100:.1f}%", "responded": total["responded"],
            "refused": total["refused"], "not_reached": total["not_reached"],
            "reserves": total["reserves_used"], "lowest": f"{min(rates) * 100:.1f}%",
            "highest": f"{max(rates) * 100:.1f}%",
            "out_of_order": [gettext("%(stratum)s: reserve %(order)s (%(household)s) before "
                                     "%(skipped)s", stratum=p["stratum"], order=p["order"],
                                     household=p["household_id"],
                                     skipped=", ".join(p["skipped"]))
                             for p in table.get("out_of_order", [])]}
