"""One structured log line per request, with a request id.

The id comes from the ``X-Request-ID`` header when a proxy in front set a sensible one, else
a new one; it is returned in the response's ``X-Request-ID`` and is on every line logged while
the request runs (``g.request_id``), so a user's error report, the proxy's log and ours meet.
Lines are JSON on the ``evaluator.request`` logger (stderr), one object per line, when
``REQUEST_LOG`` is on (``EVALUATOR_REQUEST_LOG``; on in the production start, off for the
development server, which logs its own lines):

    {"event": "request", "request_id": "...", "method": "POST", "path": "/api/v1/submissions",
     "status": 201, "ms": 41.2, "cpu_ms": 6.3, "bytes": 1022, "user": 7, "remote": "10.0.0.5",
     "pid": 123}

``ms`` is the wall time inside the app, ``cpu_ms`` the CPU time its thread spent on the request
(the thread's own clock, so other threads and processes waiting for the CPU do not count): on a
busy machine the first grows with everyone's load, the second says what the request costs.
Threads a request starts are not in it: a sign-in's argon2 check runs its 4 lanes in threads of
its own (~150 ms of CPU on this kind of machine, of which ``cpu_ms`` shows ~10).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid

from flask import Flask, g, request

log = logging.getLogger("evaluator.request")
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body = record.msg if isinstance(record.msg, dict) else {"message": record.getMessage()}
        body = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                **body}
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False, default=str)


def log_requests(app: Flask) -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLines())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    enabled = bool(app.config.get("REQUEST_LOG"))

    @app.before_request
    def start():
        asked = request.headers.get("X-Request-ID", "")
        g.request_id = asked if _GOOD_ID.fullmatch(asked) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        g.request_cpu = time.thread_time()

    @app.after_request
    def finish(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        g.request_answer = (request_id, response.status_code, response.calculate_content_length())
        return response

    if not enabled:
        return

    @app.teardown_request
    def write(_exc):
        """The line is written after every after_request function (the database commit
        among them), so ``ms`` and ``cpu_ms`` count it."""
        request_id, status, size = g.get("request_answer") or (
            g.get("request_id") or uuid.uuid4().hex, 500, None)
        started = g.get("request_started", time.perf_counter())
        cpu_started = g.get("request_cpu", time.thread_time())
        user = getattr(g, "_login_user", None)
        log.info({"event": "request", "request_id": request_id, "method": request.method,
                  "path": request.path, "status": status,
                  "ms": round((time.perf_counter() - started) * 1000, 1),
                  "cpu_ms": round((time.thread_time() - cpu_started) * 1000, 2),
                  "bytes": size, "user": getattr(user, "id", None),
                  "remote": request.remote_addr, "pid": os.getpid()})
