"""The job interface and what both engines share: ids, states, running a task."""

from __future__ import annotations

import hashlib
import importlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

#: Tries after the first for an unexpected error or a crashed worker.
RETRIES = 2
#: Seconds a job may run before its worker kills it (then it is retried).
JOB_TIMEOUT = 900

#: Job kinds and their task functions: ``task(app, params, progress) -> result storage key``.
TASKS: dict[str, str] = {
    "report.pdf": "evaluator.jobs.tasks:evaluation_report",
    "report.bundle": "evaluator.jobs.tasks:bundle_report",
    "programme.score": "evaluator.programmes.tasks:score",
    "programme.report": "evaluator.programmes.tasks:report",
}

#: ``progress(fraction 0..1, message)``, called by a task as it goes.
Progress = Callable[[float, str], None]

STATES = ("queued", "running", "done", "failed")


class JobFailed(Exception):
    """A task's final refusal (bad data, no font): shown to the user, not retried."""


@dataclass(frozen=True)
class JobState:
    """What a progress display needs to know about one job."""

    id: str
    kind: str
    state: str  # one of STATES
    progress: float = 0.0
    message: str = ""
    result: str | None = None  # a key in the file storage, once done
    error: str | None = None  # why it failed, once failed
    params: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def job_id(kind: str, key: Mapping[str, Any]) -> str:
    """The same kind and key give the same id (letters, digits and dashes, as RQ wants)."""
    if kind not in TASKS:
        raise ValueError(f"unknown job kind {kind!r}; known: {', '.join(sorted(TASKS))}")
    text = json.dumps({"kind": kind, "key": dict(key)}, sort_keys=True, default=str)
    return f"{kind.replace('.', '-')}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:40]}"


class JobQueue(ABC):
    """Enqueue work once, ask how it goes."""

    #: Shown by ``/readyz`` and in logs.
    description: str = ""

    @abstractmethod
    def enqueue(self, kind: str, key: Mapping[str, Any], params: Mapping[str, Any]) -> str:
        """Start (or find) the job for ``kind`` + ``key``; returns its id at once."""

    @abstractmethod
    def status(self, job: str) -> JobState | None:
        """The job's state; None for an unknown (or long expired) id."""

    @abstractmethod
    def check(self) -> None:
        """Raise an exception when the queue cannot take jobs (for ``/readyz``)."""

    def wait(self, job: str, timeout: float, poll: float = 0.1) -> JobState | None:
        """The job's state once done or failed, or its latest state after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.status(job)
            if state is None or state.state in ("done", "failed") or time.monotonic() >= deadline:
                return state
            time.sleep(poll)


def task_function(kind: str) -> Callable[..., str]:
    module_name, attribute = TASKS[kind].split(":")
    return getattr(importlib.import_module(module_name), attribute)


def run_task(app, kind: str, params: Mapping[str, Any], progress: Progress) -> str:
    """Run one task inside the app's context; returns the result's storage key."""
    with app.app_context():
        return task_function(kind)(app, dict(params), progress)
