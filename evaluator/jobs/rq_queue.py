"""The scaled-out engine: RQ on Redis. Web processes enqueue; ``evaluator worker`` processes
(one per core, on any machine that reaches Redis, the database and the file storage) run.

A crashed job is retried: when a job's process dies (killed, out of memory) its worker records
the failure and RQ requeues it while tries are left; when the whole worker dies, the job's
heartbeat expires (``MONITORING_INTERVAL`` + 60 s) and the next maintenance pass of any other
worker (every ``MAINTENANCE_INTERVAL`` s) requeues it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import Any

from evaluator.jobs.base import (
    JOB_TIMEOUT,
    RETRIES,
    JobFailed,
    JobQueue,
    JobState,
    job_id,
    run_task,
)

QUEUE_NAME = "evaluator"
#: Seconds a finished job's state (and so its idempotency) is kept in Redis.
RESULT_TTL = 24 * 3600
FAILURE_TTL = 7 * 24 * 3600
MONITORING_INTERVAL = 5
MAINTENANCE_INTERVAL = 15

_STATES = {"queued": "queued", "deferred": "queued", "scheduled": "queued", "created": "queued",
           "started": "running", "finished": "done", "failed": "failed", "stopped": "failed",
           "canceled": "failed"}

_worker_app = None


def connect(url: str):
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)


class RQQueue(JobQueue):
    def __init__(self, url: str, storage=None):
        from rq import Queue

        self.url = url
        self.connection = connect(url)
        self.queue = Queue(QUEUE_NAME, connection=self.connection)
        self.storage = storage
        self.description = f"RQ on {self.connection.connection_pool.connection_kwargs.get('host')}" \
                           f":{self.connection.connection_pool.connection_kwargs.get('port')}"

    def enqueue(self, kind: str, key: Mapping[str, Any], params: Mapping[str, Any]) -> str:
        from rq import Retry
        from rq.exceptions import DuplicateJobError, NoSuchJobError
        from rq.job import Job

        ident = job_id(kind, key)
        for _ in range(3):
            try:
                self.queue.enqueue_call(
                    perform, args=(kind, dict(params)), job_id=ident, unique=True,
                    retry=Retry(max=RETRIES), timeout=JOB_TIMEOUT, result_ttl=RESULT_TTL,
                    failure_ttl=FAILURE_TTL, description=f"{kind} {dict(params)}",
                    meta={"kind": kind, "params": dict(params), "progress": 0.0, "message": ""})
                return ident
            except DuplicateJobError:
                known = self.status(ident)
                if known is not None and known.state != "failed" and not self._result_gone(known):
                    return ident
                with contextlib.suppress(NoSuchJobError):  # gone meanwhile: enqueue again
                    Job.fetch(ident, connection=self.connection).delete()
        return ident

    def _result_gone(self, state: JobState) -> bool:
        return (state.state == "done" and state.result is not None and self.storage is not None
                and not self.storage.exists(state.result))

    def status(self, job: str) -> JobState | None:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            found = Job.fetch(job, connection=self.connection)
        except NoSuchJobError:
            return None
        meta = found.get_meta(refresh=False) if hasattr(found, "get_meta") else found.meta
        state = _STATES.get(str(found.get_status(refresh=False).value), "queued")
        result = error = None
        if state == "done":
            value = found.return_value() or {}
            result, error = value.get("result"), value.get("error")
            if error:
                state = "failed"
        elif state == "failed":
            latest = found.latest_result()
            text = (latest.exc_string if latest is not None else "") or "the job failed"
            error = text.strip().splitlines()[-1]
        return JobState(found.id, meta.get("kind", ""), state,
                        progress=1.0 if state == "done" else float(meta.get("progress", 0.0)),
                        message=meta.get("message", ""), result=result, error=error,
                        params=meta.get("params", {}), attempts=_attempts(found, state))

    def check(self) -> None:
        self.connection.ping()


def _attempts(job, state: str) -> int:
    """Runs so far: RQ counts the retries left (a crashed run's own record is lost with it)."""
    retried = RETRIES - (job.retries_left if job.retries_left is not None else RETRIES)
    return retried + (0 if state == "queued" else 1)


def perform(kind: str, params: dict[str, Any]) -> dict[str, str]:
    """What an RQ worker runs: the task, with progress in the job's meta. A task's refusal
    (JobFailed) is the job's final answer; any other exception makes RQ retry it."""
    from rq import get_current_job

    job = get_current_job()
    app = worker_app()

    def progress(fraction: float, message: str) -> None:
        if job is not None:
            job.meta.update(progress=max(0.0, min(1.0, fraction)), message=message)
            job.save_meta()

    try:
        return {"result": run_task(app, kind, params, progress)}
    except JobFailed as exc:
        return {"error": str(exc)}


def worker_app():
    """The app a worker process runs tasks in (given once per worker by ``run_worker``, before
    it forks a process per job; the job's process drops the database connections it
    inherited)."""
    if _worker_app is None:
        raise RuntimeError("no app in this worker: start workers with `evaluator worker`")
    if _worker_app.extensions.get("evaluator.worker_pid") != os.getpid():
        _worker_app.extensions["evaluator.engine"].dispose(close=False)
        _worker_app.extensions["evaluator.worker_pid"] = os.getpid()
    return _worker_app


def run_worker(app, url: str, *, burst: bool = False, name: str | None = None) -> None:
    """Run one RQ worker on the evaluator queue for ``app`` until stopped (SIGTERM: finish
    the job first)."""
    from rq import Queue, Worker

    from evaluator.jobs.tasks import warm_up

    global _worker_app
    _worker_app = app
    app.extensions["evaluator.worker_pid"] = os.getpid()

    warm_up(app)
    connection = connect(url)
    worker = Worker([Queue(QUEUE_NAME, connection=connection)], connection=connection, name=name,
                    job_monitoring_interval=MONITORING_INTERVAL,
                    maintenance_interval=MAINTENANCE_INTERVAL)
    worker.work(burst=burst, logging_level="INFO", with_scheduler=False)
