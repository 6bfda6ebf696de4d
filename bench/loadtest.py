"""Load test: a national fieldwork evening against the local production stack.

    flock /work/notes/bench.lock .venv/bin/python bench/loadtest.py            # 1,400 x 10
    .venv/bin/python bench/loadtest.py --tablets 200 --records 10 --runs api   # a quick look

The stack (evaluator.ops.stack): a throwaway PostgreSQL 15, Redis, gunicorn with 4 workers
(threaded, evaluator/ops/gunicorn_conf.py) and 2 queue workers, files in the instance folder,
all on loopback. Simulated tablets (Locust, bench/load/tablets.py, in its own process) each
sign in, fetch their assignments, send their records in one burst (every household record
with one ~30 KB JPEG photo, every second record a file check), replay two, and finish; they
are ramped in at --spawn-rate per second, and a run stops after --time-limit seconds at most.

Runs, each on emptied tables:
- floor: the same bodies to ``POST /bench/bare`` (bench/load/bare_app.py: parse, store the
  photo, insert the row, commit; no checks) on the same stack;
- api: ``POST /api/v1/submissions``, the real path (idempotency, permissions, assignment,
  the survey's form checks, photo check, audit entry);
- kill: the api run again with one gunicorn worker killed (SIGKILL) a third of the way in;
  tablets re-send what was not acknowledged, as the real tablet queue does.

After each run the rows are counted in PostgreSQL: every acknowledged record must be stored
once (0 lost, 0 duplicated) and every photo row must have its file. Printed: records/s,
p50/p95/p99 latency of the record posts, errors, and the ratio of the API to the floor.
Password hashes of the simulated investigators use cheap argon2 settings (one per tablet, made
once), so the sign-in's deliberate CPU cost is not what this measures.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from evaluator.ops.stack import Stack  # noqa: E402

PASSWORD = "tablet-evening"
HOUSEHOLD_ANSWERS = {
    "consent": "yes", "respondent_relation": "self", "door_photo": "door.jpg",
    "members": [{"member_relation": "self", "member_age": "45", "member_work": "employed",
                 "member_health": "healthy"},
                {"member_relation": "spouse", "member_age": "44", "member_work": "flexible",
                 "member_health": "chronic"}],
    "income_wage": "30000", "income_pension": "0", "income_benefit": "2400",
    "income_other": "0", "expense_medical": "3000", "expense_education": "0",
    "hardship_cause": "illness", "needs": "medical employment", "aid_received": "yes",
    "aid_types": "medical festival", "aid_amount_total": "3000", "knows_helper": "yes",
    "helper_visits_12m": "4", "plan_known": "yes", "food_secure": "yes",
    "clothing_secure": "yes", "medical_insured": "yes", "education_secure": "na",
    "housing_secure": "yes", "exit_told": "no", "satisfaction": "4"}
FILE_CHECK_ANSWERS = {
    "file_status": "registered", "file_cause": "illness", "file_aid_total": "3000",
    "has_application": "yes", "income_verified": "yes", "public_notice": "yes",
    "approval_signed": "yes", "has_plan": "yes", "helper_recorded": "yes",
    "visit_records": "yes", "vouchers_complete": "yes"}


def photo(kb: int) -> bytes:
    """A JPEG of about ``kb`` kilobytes (noise compresses badly, like a real photo)."""
    from PIL import Image

    side = int((kb * 1024 / 1.6) ** 0.5)
    rng = random.Random(7)
    image = Image.frombytes("RGB", (side, side), bytes(rng.getrandbits(8)
                                                        for _ in range(side * side * 3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def prepare(stack: Stack, tablets: int, records: int, photo_kb: int) -> tuple[int, list[dict]]:
    """The evaluation, its sample, one investigator per tablet with their households
    assigned, and each tablet's records as JSON bodies."""
    from argon2 import PasswordHasher
    from sqlalchemy import select

    from evaluator.app import create_app
    from evaluator.auth.models import User
    from evaluator.bundle import demo_files, load_bundle, write_files
    from evaluator.fieldwork.manage import operations
    from evaluator.fieldwork.manage.uploads import check_roster
    from evaluator.fieldwork.models import Assignment, Household, SampleDraw
    from evaluator.rubrics.models import RubricVersion
    from evaluator.surveys.models import SurveyVersion

    households_needed = tablets * ((records + 1) // 2)
    app = create_app({"DATABASE_URL": stack.env["EVALUATOR_DATABASE_URL"],
                      "INSTANCE_PATH": str(stack.folder / "bench"), "SECRET_KEY": "bench"})
    bundle_dir = stack.folder / "bench" / "bundle"
    write_files(demo_files(max(2000, int(households_needed * 1.25)), 20261207), bundle_dir)
    bundle = load_bundle(bundle_dir)
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        lead = User(username="bench-lead", role="lead", display_name="组长", password_hash=cheap)
        db.add(lead)
        db.flush()
        evaluation = operations.create_evaluation(
            db, lead, key="evening", title_zh="全国评估之夜（模拟数据）", title_en="",
            evaluated_unit="演示", commissioning_body="演示",
            period_start=bundle.meta.period_start, period_end=bundle.meta.period_end,
            rubric=db.scalar(select(RubricVersion)),
            surveys={v.source: v for v in db.scalars(select(SurveyVersion))},
            roster=check_roster("roster.csv", (bundle_dir / "roster.csv").read_bytes(),
                                bundle.stratum_column),
            stratum_column=bundle.stratum_column, synthetic=True)
        operations.draw_sample(db, lead, evaluation, seed=11, size=households_needed)
        evaluation.status = "fieldwork"
        people = []
        for number in range(tablets):
            user = User(username=f"t{number:04d}", role="evaluator", display_name=f"调查员{number}",
                        password_hash=cheap)
            db.add(user)
            people.append(user)
        db.flush()
        for user in people:
            operations.add_member(db, lead, evaluation, user, "evaluator")
        for stratum in sorted(set(db.scalars(select(Household.stratum).where(
                Household.evaluation_id == evaluation.id)))):
            operations.assign_stratum(db, lead, evaluation, stratum=stratum, assignee=lead,
                                      sources=("household", "file_check"))
        drawn = list(db.execute(select(Household.id, Household.household_id)
                                .join(SampleDraw, SampleDraw.household_pk == Household.id)
                                .where(SampleDraw.role == "sample").order_by(Household.id)))
        owner = {pk: people[i % tablets] for i, (pk, _) in enumerate(drawn)}
        for assignment in db.scalars(select(Assignment)):
            if assignment.household_pk in owner:
                assignment.user_id = owner[assignment.household_pk].id
        evaluation_id = evaluation.id
        usernames = [u.username for u in people]
    image = base64.b64encode(photo(photo_kb)).decode()
    data = [{"username": name, "password": PASSWORD, "records": []} for name in usernames]
    for i, (_, household_id) in enumerate(drawn):
        tablet = data[i % tablets]
        for source, answers in (("household", HOUSEHOLD_ANSWERS), ("file_check", FILE_CHECK_ANSWERS)):
            if len(tablet["records"]) >= records:
                break
            instance = str(uuid.uuid4())
            body = {"instance_id": instance, "evaluation_id": evaluation_id, "source": source,
                    "household_id": household_id, "device_id": f"tablet-{tablet['username']}",
                    "started_at": "2026-11-03T19:00:00+08:00",
                    "ended_at": "2026-11-03T19:40:00+08:00",
                    "answers": {**answers, "household_id": household_id}}
            if source == "household":
                body["attachments"] = [{"field": "door_photo", "filename": "door.jpg",
                                        "content_type": "image/jpeg", "data": image}]
            tablet["records"].append((instance, json.dumps(body, ensure_ascii=False)))
    app.extensions["evaluator.engine"].dispose()
    return evaluation_id, data


def reset(stack: Stack) -> None:
    """Empty what a run wrote (rows and photo files), keep the evaluation and its people."""
    import shutil

    from sqlalchemy import create_engine, text

    engine = create_engine(stack.env["EVALUATOR_DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE attachments, review_events, submissions CASCADE"))
        connection.execute(text("DELETE FROM audit_entries WHERE action LIKE 'submission.%'"))
        connection.execute(text("UPDATE assignments SET status = 'assigned'"))
    engine.dispose()
    shutil.rmtree(stack.folder / "instance" / "attachments", ignore_errors=True)


def drain(stack: Stack, limit: float = 300) -> float:
    """Wait until the server has answered every request still queued when the tablets stopped
    (the row count holds still for 3 s), so counts are final and the next run starts clean."""
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.env["EVALUATOR_DATABASE_URL"])
    started = time.perf_counter()
    last, still = -1, 0.0
    with engine.connect() as connection:
        while time.perf_counter() - started < limit and still < 3:
            rows = connection.execute(text("SELECT count(*) FROM submissions")).scalar_one()
            busy = connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).scalar_one()
            still = still + 0.5 if rows == last and busy == 0 else 0.0
            last = rows
            connection.rollback()
            time.sleep(0.5)
    engine.dispose()
    return time.perf_counter() - started


def counted(stack: Stack, acked: dict[str, int]) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.env["EVALUATOR_DATABASE_URL"])
    with engine.connect() as connection:
        stored = set(connection.execute(text("SELECT instance_id FROM submissions")).scalars())
        rows = connection.execute(text("SELECT count(*) FROM submissions")).scalar_one()
        doubled = connection.execute(text(
            "SELECT count(*) FROM (SELECT household_id, source FROM submissions WHERE current "
            "GROUP BY household_id, source HAVING count(*) > 1) AS d")).scalar_one()
        photos = list(connection.execute(text(
            "SELECT evaluation_id, token FROM attachments")))
    engine.dispose()
    folder = stack.folder / "instance" / "attachments"
    missing_files = sum(1 for eid, token in photos if not (folder / str(eid) / token).is_file())
    files = sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0
    return {"rows": rows, "lost": len(set(acked) - stored), "duplicated": rows - len(stored)
            + doubled, "photos": len(photos), "missing_files": missing_files,
            "orphan_files": files - len(photos)}


def run(stack: Stack, name: str, path: str, data_file: Path, args, kill_at: float | None):
    out = stack.folder / f"result-{name}.json"
    command = [sys.executable, str(HERE / "load" / "tablets.py"), "--host", stack.url,
               "--data", str(data_file), "--path", path, "--spawn-rate", str(args.spawn_rate),
               "--time-limit", str(args.time_limit), "--out", str(out)]
    killed = []
    with open(stack.folder / f"locust-{name}.log", "w") as log:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    if kill_at is not None:
        def kill():
            time.sleep(kill_at)
            if process.poll() is None:
                victim = stack.web_worker_pids()[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
        threading.Thread(target=kill, daemon=True).start()
    process.wait(args.time_limit + 120)
    result = json.loads(out.read_text())
    result["killed"] = killed
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tablets", type=int, default=1400)
    parser.add_argument("--records", type=int, default=10, help="records per tablet")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--queue-workers", type=int, default=2)
    parser.add_argument("--spawn-rate", type=float, default=10, help="tablets joining per second")
    parser.add_argument("--time-limit", type=float, default=180, help="seconds per run, at most")
    parser.add_argument("--photo-kb", type=int, default=30)
    parser.add_argument("--runs", default="floor,api,kill")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the stack on the way out
    with Stack(web_workers=args.workers, queue_workers=args.queue_workers, s3=False,
               wsgi_app="bare_app:app", pythonpath=str(HERE / "load")) as stack:
        started = time.perf_counter()
        evaluation_id, data = prepare(stack, args.tablets, args.records, args.photo_kb)
        records = sum(len(t["records"]) for t in data)
        data_file = stack.folder / "tablets.json"
        data_file.write_text(json.dumps(data), encoding="utf-8")
        print(f"stack: PostgreSQL 15, Redis, gunicorn {args.workers} workers x "
              f"{stack.threads} threads, {args.queue_workers} queue workers, on loopback; "
              f"set up in {time.perf_counter() - started:.0f} s")
        print(f"{args.tablets} tablets x {args.records} records = {records} records "
              f"({records // 2} with a {args.photo_kb} KB photo), ramped at {args.spawn_rate} "
              f"tablets/s, at most {args.time_limit:.0f} s per run\n", flush=True)
        results = {}
        for name in args.runs.split(","):
            reset(stack)
            path = "/bench/bare" if name == "floor" else "/api/v1/submissions"
            result = run(stack, name, path, data_file, args,
                         args.time_limit / 3 if name == "kill" else None)
            result["drained"] = drain(stack)
            result["counts"] = counted(stack, result["acked"])
            results[name] = result
            report(name, result, records)
        if "floor" in results and "api" in results:
            floor = rate(results["floor"]) or float("nan")
            api = rate(results["api"]) or float("nan")
            print(f"\nAPI vs floor on the same stack: {floor / api:.2f}x the floor's time per "
                  f"record ({api:.0f} vs {floor:.0f} records/s; goal <= 2)")


def rate(result: dict) -> float:
    acked = sum(1 for status in result["acked"].values() if status == 201)
    return acked / result["wall"] if result["wall"] else 0.0


def report(name: str, result: dict, records: int) -> None:
    burst = result["rows"].get("records (burst)", {})
    replay = result["rows"].get("replay", {})
    counts = result["counts"]
    print(f"== {name}: {result['finished']}/{result['tablets']} tablets finished in "
          f"{result['wall']:.1f} s" + (" (TIME LIMIT)" if result["timed_out"] else "")
          + (f"; gunicorn worker {result['killed'][0]} killed (SIGKILL) at a third of the "
             "time limit" if result["killed"] else "")
          + f"; server drained {result['drained']:.0f} s after")
    print(f"   records/s {rate(result):7.1f}   record posts: {burst.get('requests', 0)} "
          f"(p50 {burst.get('p50', 0):.0f} ms, p95 {burst.get('p95', 0):.0f} ms, "
          f"p99 {burst.get('p99', 0):.0f} ms, max {burst.get('max', 0):.0f} ms), "
          f"failed posts {burst.get('failures', 0)}; replays {replay.get('requests', 0)} "
          f"(p95 {replay.get('p95', 0):.0f} ms, failed {replay.get('failures', 0)})")
    for row, entry in sorted(result["rows"].items()):
        if row not in ("records (burst)", "replay"):
            print(f"   {row:<18} {entry['requests']:6d} requests, p95 {entry['p95']:.0f} ms, "
                  f"failed {entry['failures']}")
    for error, times in sorted(result["errors"].items())[:8]:
        print(f"   error x{times}: {error[:160]}")
    print(f"   rows: {counts['rows']} stored of {records} queued on tablets, acknowledged "
          f"{len(result['acked'])}, never acknowledged {len(result['unacked'])}; "
          f"lost {counts['lost']}, duplicated {counts['duplicated']}; photos "
          f"{counts['photos']}, without file {counts['missing_files']}, files without row "
          f"{counts['orphan_files']}", flush=True)


if __name__ == "__main__":
    main()
