"""``/healthz`` (the process answers: for a load balancer or a supervisor's liveness probe) and
``/readyz`` (it can do its work: the database, the job queue and the file storage answer; 503
naming what does not, so a load balancer sends no traffic to it meanwhile)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    return _plain({"status": "ok"}, 200)


@bp.get("/readyz")
def readyz():
    checks: dict[str, str] = {}
    engine = current_app.extensions["evaluator.engine"]
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    for name, extension in (("queue", "evaluator.jobs"), ("storage", "evaluator.storage")):
        try:
            current_app.extensions[extension].check()
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"error: {type(exc).__name__}: {str(exc)[:200]}"
    ready = all(value == "ok" for value in checks.values())
    return _plain({"status": "ready" if ready else "not ready", "checks": checks},
                  200 if ready else 503)


def _plain(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
