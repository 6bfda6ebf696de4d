"""Operations on the web app: health checks, request ids and logs, SQLite settings, static
files with far-future caching and compression, proxy headers, the report through a job."""

import gzip
import json
import logging

from sqlalchemy import text

from evaluator.app import create_app


def make(tmp_path, **config):
    return create_app({"TESTING": True, "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path / "i"),
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **config})


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "queue": "ok", "storage": "ok"}


def test_readyz_names_what_is_down(tmp_path):
    app = make(tmp_path, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none",
               QUEUE_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"].startswith("error: OperationalError")
    assert checks["queue"].startswith("error: ConnectionError") and checks["storage"] == "ok"
    assert app.test_client().get("/healthz").status_code == 200  # alive, just not ready


def test_each_request_has_an_id_and_a_json_log_line(tmp_path, caplog):
    app = make(tmp_path, REQUEST_LOG=True)
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="evaluator.request"):
        logger = logging.getLogger("evaluator.request")
        logger.addHandler(caplog.handler)
        try:
            given = client.get("/healthz", headers={"X-Request-ID": "proxy-made-id-123"})
            made = client.get("/healthz", headers={"X-Request-ID": "bad id <x>"})
        finally:
            logger.removeHandler(caplog.handler)
    assert given.headers["X-Request-ID"] == "proxy-made-id-123"
    assert len(made.headers["X-Request-ID"]) == 32 and made.headers["X-Request-ID"] != "bad id <x>"
    lines = [r.msg for r in caplog.records if r.name == "evaluator.request"]
    assert [line["request_id"] for line in lines] == ["proxy-made-id-123",
                                                     made.headers["X-Request-ID"]]
    assert lines[0]["method"] == "GET" and lines[0]["path"] == "/healthz"
    assert lines[0]["status"] == 200 and lines[0]["ms"] >= 0 and lines[0]["cpu_ms"] >= 0
    from evaluator.ops.requests import JsonLines

    assert json.loads(JsonLines().format(caplog.records[0]))["request_id"] == "proxy-made-id-123"



def test_request_log_gives_cpu_time_apart_from_wall_time(tmp_path, caplog):
    """cpu_ms is the request's own CPU: a request that waits 80 ms (as on the database or a
    busy machine) costs little of it, one that computes for 40 ms of CPU costs that."""
    import time

    app = make(tmp_path, REQUEST_LOG=True)

    def waiting():
        time.sleep(0.08)
        return "waited"

    def computing():
        started = time.thread_time()
        while time.thread_time() - started < 0.04:
            pass
        return "computed"

    app.add_url_rule("/waiting", "waiting", waiting)
    app.add_url_rule("/computing", "computing", computing)
    client = app.test_client()
    logger = logging.getLogger("evaluator.request")
    with caplog.at_level(logging.INFO, logger="evaluator.request"):
        logger.addHandler(caplog.handler)
        try:
            client.get("/waiting")
            client.get("/computing")
        finally:
            logger.removeHandler(caplog.handler)
    waited, computed = [r.msg for r in caplog.records if r.name == "evaluator.request"]
    assert waited["ms"] >= 80 and 0 <= waited["cpu_ms"] < 40
    assert computed["cpu_ms"] >= 40 and computed["ms"] >= computed["cpu_ms"] - 1


def test_sqlite_runs_in_wal_with_a_busy_timeout(tmp_path):
    app = make(tmp_path, SQLITE_BUSY_TIMEOUT=12)
    with app.extensions["evaluator.engine"].connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 12000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_static_urls_carry_their_content_hash(app):
    import hashlib

    from flask import url_for

    from evaluator.paths import PACKAGE_DIR

    with app.test_request_context():
        url = url_for("static", filename="app.css")
    digest = hashlib.sha256((PACKAGE_DIR / "static" / "app.css").read_bytes()).hexdigest()[:12]
    assert url == f"/static/app.css?v={digest}"


def test_production_static_files_are_compressed_and_cached_for_good(tmp_path):
    client = make(tmp_path, STATIC_COMPRESS=True).test_client()
    plain = client.get("/static/app.css")
    assert plain.status_code == 200
    assert plain.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    zipped = client.get("/static/app.css", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data)
    brotli = client.get("/static/js/form.js", headers={"Accept-Encoding": "br, gzip"})
    assert brotli.headers["Content-Encoding"] == "br"
    assert client.get("/healthz").get_json() == {"status": "ok"}  # the app behind it


def test_proxy_headers_are_trusted_only_when_configured(tmp_path):
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    for count, remote, scheme in ((0, "127.0.0.1", "http"), (1, "203.0.113.9", "https")):
        app = make(tmp_path, PROXY_COUNT=count)
        seen = {}

        @app.get("/whoami")
        def whoami(seen=seen):
            from flask import request

            seen.update(remote=request.remote_addr, scheme=request.scheme)
            return "ok"

        app.test_client().get("/whoami", headers=headers)
        assert seen == {"remote": remote, "scheme": scheme}, count
