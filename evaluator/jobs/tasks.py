"""The tasks behind the job kinds (evaluator.jobs.base.TASKS): each takes the app, its params
and a progress callback, and returns the storage key of its result."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from evaluator.jobs.base import JobFailed, Progress


def evaluation_report(app, params: dict[str, Any], progress: Progress) -> str:
    """An evaluation's report PDF, scored from its rows now, kept in the report cache
    (evaluator.fieldwork.exports.report). params: evaluation_id, lang, draft."""
    from evaluator.catalogs import translations
    from evaluator.feedback.report import appeals_for, lookback_for
    from evaluator.fieldwork.exports.report import pdf_key, report_pdf
    from evaluator.fieldwork.exports.scores import score_evaluation
    from evaluator.fieldwork.models import Evaluation
    from evaluator.fieldwork.queries import rubric_version
    from evaluator.reports import ReportError
    from evaluator.web.problems import problems_text

    storage = app.extensions["evaluator.storage"]
    lang = "en" if params.get("lang") == "en" else "zh"
    words = translations(lang)  # failures are said in the job's language
    with app.extensions["evaluator.sessionmaker"]() as db:
        evaluation = db.get(Evaluation, int(params["evaluation_id"]))
        if evaluation is None:
            raise JobFailed(words.gettext("evaluation %(id)s no longer exists")
                            % {"id": params["evaluation_id"]})
        progress(0.05, "scoring")
        scored = score_evaluation(db, evaluation)
        if scored.sheet is None:
            shown = (problems_text(scored.found[:5], lang) if scored.found
                     else scored.problems[:5])
            raise JobFailed(words.gettext("the data cannot be scored: %(problems)s")
                            % {"problems": "; ".join(shown)})
        rubric_hash = rubric_version(db, evaluation).content_hash
        appeals = appeals_for(db, evaluation)
        lookback = lookback_for(db, evaluation, scored, date.today())
    lang, draft = params["lang"], bool(params["draft"])
    key = pdf_key(evaluation.id, scored, rubric_hash, lang, draft=draft, appeals=appeals,
                  lookback=lookback)
    if not storage.exists(key):
        progress(0.3, "rendering")
        try:
            report_pdf(storage, evaluation.id, scored, rubric_hash, lang, draft=draft,
                       appeals=appeals, lookback=lookback)
        except ReportError as exc:
            raise JobFailed(exc.message) from exc
    return key


def bundle_report(app, params: dict[str, Any], progress: Progress) -> str:
    """The report of a bundle on a shared disk, as ``evaluator report BUNDLE`` writes it, kept
    in the file storage under params["out"]. params: bundle (path), out (key), lang."""
    from evaluator.definitions.problems import DefinitionError
    from evaluator.reports import ReportError
    from evaluator.reports.build import build_report
    from evaluator.web.problems import problems_text

    storage = app.extensions["evaluator.storage"]
    key = params["out"]
    if storage.exists(key):
        return key
    progress(0.1, "rendering")
    with tempfile.TemporaryDirectory(prefix="evaluator-job-") as folder:
        target = Path(folder) / "report.pdf"
        try:
            build_report(params["bundle"], target, lang=params.get("lang", "zh"))
        except DefinitionError as exc:
            lang = "en" if params.get("lang") == "en" else "zh"
            raise JobFailed("; ".join(problems_text(exc.problems[:5], lang))) from exc
        except (ReportError, ValueError, OSError) as exc:
            raise JobFailed(str(exc)) from exc
        storage.put(key, target.read_bytes(), "application/pdf")
    return key


def warm_up(app) -> None:
    """What a worker loads once before forking a process per job, as the CLI's batch does:
    bundle reading, scoring, templates, WeasyPrint and the fonts (evaluator.reports.build)."""
    import gc

    from evaluator.reports import GC_THRESHOLDS
    from evaluator.reports.build import batch_warm_up

    with app.app_context():
        batch_warm_up("zh", None, None, html=False)
    gc.set_threshold(*GC_THRESHOLDS)  # as the CLI's batch workers: each job process inherits it
