"""The embedded engine: jobs in worker threads of the app process (no Redis needed).

Meant for one process (``make run``, tests, a single small server): the job states live in
this process's memory, so with several gunicorn workers use RQ (evaluator.jobs.rq_queue).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from evaluator.jobs.base import RETRIES, JobFailed, JobQueue, JobState, job_id, run_task

log = logging.getLogger(__name__)


class ThreadQueue(JobQueue):
    def __init__(self, app, threads: int = 1):
        self.app = app
        self.description = f"in-process worker threads ({threads})"
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="evaluator-job")
        self._lock = threading.Lock()
        self._jobs: dict[str, JobState] = {}

    def enqueue(self, kind: str, key: Mapping[str, Any], params: Mapping[str, Any]) -> str:
        ident = job_id(kind, key)
        with self._lock:
            known = self._jobs.get(ident)
            if known is not None and known.state != "failed" and not self._result_gone(known):
                return ident
            self._jobs[ident] = JobState(ident, kind, "queued", params=dict(params))
        self._pool.submit(self._run, ident, kind, dict(params))
        return ident

    def _result_gone(self, state: JobState) -> bool:
        return state.state == "done" and state.result is not None and \
            not self.app.extensions["evaluator.storage"].exists(state.result)

    def status(self, job: str) -> JobState | None:
        with self._lock:
            return self._jobs.get(job)

    def check(self) -> None:
        if self._pool._shutdown:  # noqa: SLF001 - no public flag for it
            raise RuntimeError("the job threads have stopped")

    def _update(self, ident: str, **changes) -> None:
        with self._lock:
            self._jobs[ident] = replace(self._jobs[ident], **changes)

    def _run(self, ident: str, kind: str, params: dict[str, Any]) -> None:
        def progress(fraction: float, message: str) -> None:
            self._update(ident, progress=max(0.0, min(1.0, fraction)), message=message)

        for attempt in range(1, RETRIES + 2):
            self._update(ident, state="running", attempts=attempt)
            try:
                result = run_task(self.app, kind, params, progress)
            except JobFailed as exc:
                self._update(ident, state="failed", error=str(exc))
                return
            except Exception as exc:
                log.exception("job %s failed (attempt %d)", ident, attempt)
                if attempt > RETRIES:
                    self._update(ident, state="failed", error=f"{type(exc).__name__}: {exc}")
                    return
                continue
            self._update(ident, state="done", progress=1.0, result=result, error=None)
            return
