"""The programme's job (evaluator.jobs kind ``programme.score``): every unit scored, its sheet
kept in ``evaluation_scores``, and the pooled result and ranking written to the file storage
(evaluator.programmes.service). 120 units take a minute or two, so it never runs in a request."""

from __future__ import annotations

from typing import Any

from evaluator.jobs.base import JobFailed, Progress


def score(app, params: dict[str, Any], progress: Progress) -> str:
    """params: programme_id, stamp (the change stamp the result is kept under)."""
    storage = app.extensions["evaluator.storage"]
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        return _scored(db, storage, _programme(db, params), str(params["stamp"]), progress)


def report(app, params: dict[str, Any], progress: Progress) -> str:
    """The programme report PDF of the data at ``stamp`` (scored first when it was not), kept
    in the file storage. params: programme_id, stamp, lang."""
    import json

    from evaluator.programmes import service
    from evaluator.programmes.report import programme_pdf
    from evaluator.reports import ReportError

    storage = app.extensions["evaluator.storage"]
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        programme = _programme(db, params)
        stamp, lang = str(params["stamp"]), str(params["lang"])
        key = service.report_key(programme, stamp, lang)
        if storage.exists(key):
            return key
        result = json.loads(storage.get(_scored(db, storage, programme, stamp,
                                                lambda f, m: progress(0.6 * f, m))))
        sheets = service.kept_sheets(db, programme)
    progress(0.65, "rendering")
    try:
        pdf = programme_pdf(service.public_result(result), sheets, lang)
    except ReportError as exc:
        raise JobFailed(exc.message) from exc
    service.write_report(storage, programme, key, pdf)
    return key


def _programme(db, params: dict[str, Any]):
    """The job's programme; gone, the job fails saying so in its language (``lang``: the
    language of the page that asked for it)."""
    from evaluator.catalogs import translations
    from evaluator.programmes.models import Programme

    programme = db.get(Programme, int(params["programme_id"]))
    if programme is None:
        words = translations("en" if params.get("lang") == "en" else "zh")
        raise JobFailed(words.gettext("programme %(id)s no longer exists")
                        % {"id": params["programme_id"]})
    return programme


def _scored(db, storage, programme, stamp: str, progress: Progress) -> str:
    """The key of the programme's result at ``stamp``, every unit scored first if needed."""
    from evaluator.programmes import service

    key = service.result_key(programme, stamp)
    if storage.exists(key):
        return key
    try:
        result = service.score_programme(db, programme, progress)
    except ValueError as exc:  # units scored with different rubrics, duplicate keys
        raise JobFailed(str(exc)) from exc
    progress(0.95, "writing")
    return service.write_result(storage, programme, stamp, result)
