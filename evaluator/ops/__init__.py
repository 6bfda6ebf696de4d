"""Running evaluator for real: health checks, request logs, static files, proxy headers, the
production start (gunicorn), backups, and the local production stack used by tests and
benchmarks."""
