"""The programme's job (evaluator.jobs kind ``programme.score``): every unit scored, its sheet
kept in ``evaluation_scores``, and the pooled result and ranking written to the file storage
(evaluator.programmes.service). 120 units take a minute or two, so it never runs in a request."""

from __future__ import annotations

from typing import Any

from evaluator.jobs.base import JobFailed, Progress


def score(app, params: dict[str, Any], progress: Progress) -> str:
    """params: programme_id, stamp (the change stamp the result is kept under)."""
    from evaluator.programmes import service
    from evaluator.programmes.models import Programme

    storage = app.extensions["evaluator.storage"]
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        programme = db.get(Programme, int(params["programme_id"]))
        if programme is None:
            raise JobFailed(f"programme {params['programme_id']} no longer exists")
        stamp = str(params["stamp"])
        key = service.result_key(programme, stamp)
        if storage.exists(key):
            return key
        try:
            result = service.score_programme(db, programme, progress)
        except ValueError as exc:  # units scored with different rubrics, duplicate keys
            raise JobFailed(str(exc)) from exc
        progress(0.95, "writing")
        return service.write_result(storage, programme, stamp, result)
