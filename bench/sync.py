"""Benchmark: records per second through the submissions API, against a bare-insert floor.

    .venv/bin/python bench/sync.py                       # demo evaluation of 6,000 households
    .venv/bin/python bench/sync.py --households 12000    # more records
    .venv/bin/python bench/sync.py --database postgresql+psycopg://postgres@127.0.0.1:5433/postgres

One app instance, one HTTP server (Werkzeug, one thread, keep-alive client), one signed-in
session. The records are the synthetic demo's door questionnaires and file checks (real answers,
the members repeat included). Three runs over the same bodies:

* floor: ``POST /bench/bare`` — an endpoint that exists only in this benchmark's app: it parses
  the JSON and inserts the same submission row, one commit per request, no checks at all;
* API: ``POST /api/v1/submissions`` — idempotency lookup, permission and assignment checks, the
  survey's WTForms class (types, relevance, constraints, calculations), audit entry;
* replay: the same bodies again through the API (a queue that lost its acknowledgements),
  which must store nothing new.

It prints records per second for each and the ratio to the floor. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from sqlalchemy import delete, func, select, update
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator.app import create_app  # noqa: E402
from evaluator.auth.models import User  # noqa: E402
from evaluator.bundle import demo_files, load_bundle, write_files  # noqa: E402
from evaluator.bundle.source_files import instance_key  # noqa: E402
from evaluator.extensions import db_session  # noqa: E402
from evaluator.fieldwork.manage import operations  # noqa: E402
from evaluator.fieldwork.manage.uploads import check_roster  # noqa: E402
from evaluator.fieldwork.models import Assignment, AuditEntry, Evaluation, Submission  # noqa: E402
from evaluator.migrate import upgrade  # noqa: E402
from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR  # noqa: E402
from evaluator.rubrics.definition import content_hash  # noqa: E402
from evaluator.rubrics.models import RubricVersion  # noqa: E402
from evaluator.surveys.models import SurveyVersion  # noqa: E402

PASSWORD = "bench-password"


def build(folder: Path, database: str | None, households: int):
    import yaml

    app = create_app({"DATABASE_URL": database or f"sqlite:///{folder / 'bench.sqlite3'}",
                      "INSTANCE_PATH": str(folder / "instance"), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False})
    engine = app.extensions["evaluator.engine"]
    if database:
        from sqlalchemy import text

        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    bundle_dir = folder / "bundle"
    write_files(demo_files(households, 20261130), bundle_dir)
    bundle = load_bundle(bundle_dir)
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        for directory, model in ((RUBRICS_DIR, RubricVersion), (SURVEYS_DIR, SurveyVersion)):
            for path in sorted(directory.glob("*.yaml")):
                content = yaml.safe_load(path.read_text(encoding="utf-8"))
                fields = {"key": content["id"], "version": str(content["version"]),
                          "title_zh": content["title"]["zh"], "content_hash": content_hash(content),
                          "content": content}
                if model is SurveyVersion:
                    fields["source"] = content["source"]
                db.add(model(**fields))
        db.flush()
        lead = User(username="lead", role="lead", display_name="组长")
        lead.set_password(PASSWORD)
        db.add(lead)
        db.flush()
        plan = bundle.meta.sampling.data
        evaluation = operations.create_evaluation(
            db, lead, key="bench", title_zh="同步基准（模拟数据）", title_en="", evaluated_unit="演示",
            commissioning_body="演示", period_start=bundle.meta.period_start,
            period_end=bundle.meta.period_end, rubric=db.scalar(select(RubricVersion)),
            surveys={v.source: v for v in db.scalars(select(SurveyVersion))},
            roster=check_roster("roster.csv", (bundle_dir / "roster.csv").read_bytes(),
                                bundle.stratum_column),
            stratum_column=bundle.stratum_column, synthetic=True)
        operations.draw_sample(db, lead, evaluation, seed=plan["seed"],
                               min_per_stratum=plan.get("min_per_stratum", 0),
                               reserve=plan.get("reserve_per_stratum", 0), **plan["parameters"])
        evaluation.status = "fieldwork"
        for stratum in sorted({s.stratum for s in bundle.sample}):
            operations.assign_stratum(db, lead, evaluation, stratum=stratum, assignee=lead,
                                      sources=("household", "file_check"),
                                      roles=("sample", "reserve"))
        evaluation_id = evaluation.id
    return app, evaluation_id, payloads(bundle, evaluation_id)


def payloads(bundle, evaluation_id: int) -> list[bytes]:
    bodies = []
    for source in ("household", "file_check"):
        data = bundle.sources[source]
        members: dict[str, list[dict]] = {}
        for name, repeat in data.repeats.items():
            for row, parent in zip(repeat.rows, repeat.parent_keys, strict=True):
                members.setdefault(instance_key(parent), {}).setdefault(name, []).append(dict(row))
        for row, meta in zip(data.rows, data.paradata, strict=True):
            instance = instance_key(meta["instance_id"])
            answers = {**row, **members.get(instance, {})}
            bodies.append(json.dumps({
                "instance_id": instance, "evaluation_id": evaluation_id, "source": source,
                "household_id": row["household_id"], "started_at": row.get("start") or None,
                "ended_at": row.get("end") or None, "device_id": "bench", "answers": answers,
            }, ensure_ascii=False).encode("utf-8"))
    return bodies


def add_bare_endpoint(app, evaluation_id: int) -> None:
    """The floor: parse the JSON, insert the same row, commit once. Only in this app."""
    from flask import jsonify, request
    from flask_login import current_user

    versions = {}

    @app.post("/bench/bare")
    def bare():
        body = request.get_json()
        db = db_session()
        if not versions:
            versions.update({v.source: v.id for v in db.scalars(select(SurveyVersion))})
        submission = Submission(
            instance_id=body["instance_id"], evaluation_id=evaluation_id, source=body["source"],
            household_id=body["household_id"], survey_version_id=versions[body["source"]],
            submitter_id=current_user.id, data=body["answers"], body_hash="0" * 64)
        db.add(submission)
        db.flush()
        return jsonify({"instance_id": submission.instance_id}), 201


class Client:
    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.cookie = ""

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        headers = {"Content-Type": content_type}
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.connection.request("POST", path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, data


def timed(client: Client, path: str, bodies: list[bytes], expected: int) -> float:
    start = time.perf_counter()
    for body in bodies:
        status, data = client.post(path, body, "application/json")
        if status != expected:
            raise SystemExit(f"{path}: {status} (expected {expected}): {data[:300]!r}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=6000,
                        help="demo roster size; about 10%% are sampled (two records each)")
    parser.add_argument("--database", help="SQLAlchemy URL (default: SQLite in a temp folder); "
                                           "a PostgreSQL database is emptied first")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"building the demo evaluation ({args.households} households)...", flush=True)
        app, evaluation_id, bodies = build(Path(tmp), args.database, args.households)
        add_bare_endpoint(app, evaluation_id)
        server = make_server("127.0.0.1", 0, app, threaded=False)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        client = Client(server.server_port)
        status, _ = client.post("/auth/login", urllib.parse.urlencode(
            {"username": "lead", "password": PASSWORD}).encode(), "application/x-www-form-urlencoded")
        assert status == 302, status
        make = app.extensions["evaluator.sessionmaker"]

        floor = timed(client, "/bench/bare", bodies, 201)
        with make() as db, db.begin():  # the same rows again, through the real path
            db.execute(delete(Submission))
            db.execute(update(Assignment).values(status="assigned"))
        api = timed(client, "/api/v1/submissions", bodies, 201)
        replay = timed(client, "/api/v1/submissions", bodies, 200)
        with make() as db:
            stored = db.scalar(select(func.count(Submission.id)))
            audited = db.scalar(select(func.count(AuditEntry.id))
                                .where(AuditEntry.action == "submission.create"))
            evaluation = db.get(Evaluation, evaluation_id)
        server.shutdown()
        engine_name = app.extensions["evaluator.engine"].dialect.name
    n = len(bodies)
    print(f"\n{n} records ({n // 2} door questionnaires with members, {n // 2} file checks), "
          f"{engine_name}, one server thread, keep-alive HTTP; evaluation {evaluation.key}")
    print(f"{'path':<44}{'seconds':>9}{'records/s':>11}{'x floor':>9}")
    for name, seconds in (("floor: bare insert (/bench/bare)", floor),
                          ("API with validation (/api/v1/submissions)", api),
                          ("API replay, nothing stored (200)", replay)):
        print(f"{name:<44}{seconds:>9.2f}{n / seconds:>11.0f}{seconds / floor:>9.2f}")
    print(f"\nstored once: {stored} rows for {n} records sent twice; {audited} audit entries")
    if stored != n:
        raise SystemExit("a replay stored a record twice")


if __name__ == "__main__":
    main()
