"""gunicorn settings for evaluator (``gunicorn -c python:evaluator.ops.gunicorn_conf
evaluator.wsgi:app``); each can be overridden on gunicorn's command line or by its
``GUNICORN_CMD_ARGS``.

Threaded workers (gthread): a request waiting on PostgreSQL or on a report job holds a thread,
not a process. The app is loaded once in the master and forked (``preload_app``), so workers
share its imported code; each worker then opens its own database connections.

Connections: each worker process holds at most ``EVALUATOR_DATABASE_POOL_SIZE`` (5) +
``EVALUATOR_DATABASE_MAX_OVERFLOW`` (5) PostgreSQL connections; with W workers on M machines
plus Q queue workers (1 each) that is up to M x W x 10 + Q, which must stay under PostgreSQL's
``max_connections`` (100 by default; README, Deploying).
"""

import os

bind = os.environ.get("EVALUATOR_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("EVALUATOR_WORKERS", str(max(2, os.cpu_count() or 1))))
worker_class = "gthread"
threads = int(os.environ.get("EVALUATOR_THREADS", "4"))
preload_app = True
# A report request may wait up to EVALUATOR_REPORT_WAIT (60 s) for its job.
timeout = int(os.environ.get("EVALUATOR_REPORT_WAIT", "60")) + 30
graceful_timeout = 30
keepalive = 5
max_requests = 5000  # recycle workers now and then: bounded memory over weeks
max_requests_jitter = 500
accesslog = None  # evaluator.ops.requests logs every request as JSON, with its request id
errorlog = "-"
loglevel = "info"
forwarded_allow_ips = "127.0.0.1"  # ProxyFix (EVALUATOR_PROXY_COUNT) reads the proxy headers


def post_fork(server, worker):
    """Connections opened in the master (none normally) are not shared with the worker."""
    from evaluator.wsgi import app

    app.extensions["evaluator.engine"].dispose(close=False)
