"""An evaluation's report in the web app: the scored data of the scores page rendered by
evaluator.reports (HTML preview, PDF download), marked as a draft until the evaluation is
finished, and each PDF kept on disk so an unchanged evaluation is rendered once (~4 s).

The report date comes from the data, as for ``evaluator report``: the later of the evaluation
period's end and the last fieldwork day (evaluator.reports.inputs.report_date_for). The
model records no date an evaluation was finished (only the audit trail does, and a status
set back and forth would move it), the period's end alone would date a report before its own
fieldwork, and today would change the file every day. So a finished evaluation's PDF is the
one ``evaluator report`` makes from its exported bundle.zip, and its cache key is stable.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from evaluator import __version__
from evaluator.fieldwork.exports.scores import Scored
from evaluator.reports import ReportError
from evaluator.reports.appeals import Appeals
from evaluator.reports.lookback import LookBackInputs
from evaluator.storage import Storage

#: PDFs kept per evaluation in the cache (the newest; older ones are deleted on each write).
KEEP_PER_EVALUATION = 4
#: Where the PDFs are kept in the file storage (the instance folder's report-cache/ by default).
CACHE_PREFIX = "report-cache/"


def report_date(scored: Scored) -> date:
    """The report's date: the later of the period's end and the last fieldwork day."""
    from evaluator.reports.inputs import report_date_for

    return report_date_for(scored.bundle) or scored.bundle.meta.period_end


def report_context(scored: Scored, lang: str, *, draft: bool, day: date | None = None,
                   appeals: Appeals | None = None, lookback: LookBackInputs | None = None
                   ) -> dict[str, Any]:
    """The report's plain values; a draft says so on its cover and in every page's running
    head (the place the report template gives a notice, as for synthetic data). With
    ``appeals`` and ``lookback`` (evaluator.feedback.report), the appendices of the feedback
    round and of the look-back at the previous evaluation are added, as ``evaluator report``
    adds them from the bundle's appendix files (evaluator.reports.appendix_files)."""
    from evaluator.reports.appendix_files import with_appendices
    from evaluator.reports.build import report_context as build_context
    from evaluator.reports.cover import running_title
    from evaluator.reports.formatting import Words

    context = build_context(scored.sheet, scored.bundle, scored.rubric, lang,
                            surveys=scored.surveys, report_date=day or report_date(scored))
    if scored.bundle is not None:
        context = with_appendices(context, scored.bundle, scored.sheet, appeals, lookback)
    if draft:
        w = Words(lang)
        cover = context["report"]
        cover["notice"] = " ".join(filter(None, (w("draft_notice"), cover.get("notice", ""))))
        cover["running_title"] = running_title(w("draft_mark") + cover["running_title"])
    return context


def report_html(scored: Scored, lang: str, *, draft: bool, appeals: Appeals | None = None,
                lookback: LookBackInputs | None = None) -> str:
    """The standalone HTML preview (stylesheet and charts inline). Raises ReportError."""
    from evaluator.reports.build import render_report_html

    return render_report_html(scored.sheet, scored.bundle, scored.rubric, lang,
                              context=report_context(scored, lang, draft=draft, appeals=appeals,
                                                     lookback=lookback))


def render_pdf(scored: Scored, lang: str, *, draft: bool, day: date,
               appeals: Appeals | None = None, lookback: LookBackInputs | None = None) -> bytes:
    """The PDF, rendered, with the draft marks of report_context. Raises ReportError."""
    from evaluator.reports.build import render_report_pdf
    from evaluator.reports.proof import proof_files, rubric_source

    # The PDF carries its score sheet, rubric and manifest (evaluator verify PDF BUNDLE.zip).
    if scored.sheet is None:
        raise ReportError("the evaluation's data cannot be scored, so there is no report")
    proof = proof_files(scored.sheet.to_json(), rubric_source(scored.rubric), software=__version__)
    return render_report_pdf(scored.sheet, scored.bundle, scored.rubric, lang,
                             context=report_context(scored, lang, draft=draft, day=day,
                                                    appeals=appeals, lookback=lookback),
                             proof=proof)


def cache_key(data_hash: str, rubric_hash: str, lang: str, day: date, *, draft: bool,
              appeals: str = "") -> str:
    """sha256 of everything the PDF is made from: the data (its hash covers evaluation.yaml:
    title, units, team, period, survey versions), the rubric's content, the language, the
    software version, the report date, whether it is a draft, and the appeals appendix (its
    digest; a rejected appeal changes the appendix, not the data)."""
    parts: dict[str, Any] = {"data": data_hash, "rubric": rubric_hash, "lang": lang,
                             "software": __version__, "date": day.isoformat(), "draft": draft}
    if appeals:
        parts["appeals"] = appeals
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


def pdf_key(evaluation_id: int, scored: Scored, rubric_hash: str, lang: str, *,
            draft: bool, appeals: Appeals | None = None,
            lookback: LookBackInputs | None = None) -> str:
    """Where this PDF is kept in the file storage: ``report-cache/<evaluation>/<key>.pdf``."""
    day = report_date(scored)
    digest = "".join(part.digest() for part in (appeals, lookback) if part is not None)
    return (f"{CACHE_PREFIX}{evaluation_id}/"
            f"{cache_key(scored.data_hash, rubric_hash, lang, day, draft=draft, appeals=digest)}.pdf")


def report_pdf(storage: Storage, evaluation_id: int, scored: Scored, rubric_hash: str,
               lang: str, *, draft: bool, appeals: Appeals | None = None,
               lookback: LookBackInputs | None = None) -> bytes:
    """The PDF kept under ``pdf_key``, rendered and stored first when it is not there (a whole
    object at once: a reader never sees half a file, and two workers rendering at once both
    write the same bytes). Raises ReportError."""
    key = pdf_key(evaluation_id, scored, rubric_hash, lang, draft=draft, appeals=appeals,
                  lookback=lookback)
    pdf = storage.get_or_none(key)
    if pdf is None:
        pdf = render_pdf(scored, lang, draft=draft, day=report_date(scored), appeals=appeals,
                         lookback=lookback)
        storage.put(key, pdf, "application/pdf")
        keep_newest(storage, f"{CACHE_PREFIX}{evaluation_id}/", KEEP_PER_EVALUATION)
    return pdf


def keep_newest(storage: Storage, prefix: str, keep: int) -> None:
    """Delete all but the ``keep`` newest PDFs of one evaluation (older data, other options)."""
    files = sorted(storage.list(prefix), key=lambda f: (f.modified, f.key), reverse=True)
    for old in files[keep:]:
        storage.delete(old.key)
