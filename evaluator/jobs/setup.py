"""Choosing the job engine from configuration, once per app."""

from __future__ import annotations

from evaluator.jobs.base import JobQueue


def queue_from_config(app) -> JobQueue:
    """RQ when ``QUEUE_URL`` (``EVALUATOR_QUEUE_URL``) names a Redis; else worker threads."""
    url = app.config.get("QUEUE_URL")
    if url:
        from evaluator.jobs.rq_queue import RQQueue

        return RQQueue(url, storage=app.extensions["evaluator.storage"])
    from evaluator.jobs.local import ThreadQueue

    return ThreadQueue(app, threads=int(app.config.get("QUEUE_THREADS", 1)))


def current_queue() -> JobQueue:
    from flask import current_app

    return current_app.extensions["evaluator.jobs"]
