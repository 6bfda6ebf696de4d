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
Password hashes of the simulated investigators use cheap argon2 settings, so the sign-in's
deliberate CPU cost is not what this measures: a tablet signs in for a 12-hour session
(EVALUATOR_SESSION_HOURS) and its evening sync rides on it, while here every tablet signs in
during the burst. What the product's settings cost is printed first (one verification, timed
here) with what 1,400 sign-ins would add; ``--product-hash`` gives every investigator a hash
with the product's settings, so each sign-in pays it in full.

Server CPU per request kind comes from the stack's request log (evaluator.ops.requests:
``cpu_ms``, the CPU of the request's own thread inside the app); what the gunicorn processes used
beyond the sum of those is HTTP parsing, threads and logging outside the app, and threads a
request starts (with --product-hash, most of a sign-in's argon2 check).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "load"))

from evening import prepare, reset  # noqa: E402

from evaluator.ops.stack import Stack  # noqa: E402


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
    parser.add_argument("--time-limit", type=float, default=150, help="seconds per run, at most")
    parser.add_argument("--photo-kb", type=int, default=30)
    parser.add_argument("--runs", default="floor,api,kill")
    parser.add_argument("--product-hash", action="store_true",
                        help="the product's argon2 settings for every investigator's password")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the stack on the way out
    with Stack(web_workers=args.workers, queue_workers=args.queue_workers, s3=False,
               wsgi_app="bare_app:app", pythonpath=str(HERE / "load")) as stack:
        started = time.perf_counter()
        evaluation_id, data = prepare(stack.env["EVALUATOR_DATABASE_URL"], stack.folder / "bench",
                                      args.tablets, args.records, args.photo_kb,
                                      product_hash=args.product_hash)
        records = sum(len(t["records"]) for t in data)
        data_file = stack.folder / "tablets.json"
        data_file.write_text(json.dumps(data), encoding="utf-8")
        print(f"stack: PostgreSQL 15, Redis, gunicorn {args.workers} workers x "
              f"{stack.threads} threads, {args.queue_workers} queue workers, on loopback; "
              f"set up in {time.perf_counter() - started:.0f} s")
        print(f"{args.tablets} tablets x {args.records} records = {records} records "
              f"({records // 2} with a {args.photo_kb} KB photo), ramped at {args.spawn_rate} "
              f"tablets/s, at most {args.time_limit:.0f} s per run", flush=True)
        verify = sign_in_cost()
        print(f"a sign-in's password check with the product's argon2 settings: {verify:.0f} ms "
              f"CPU here; {args.tablets} sign-ins would add {verify * args.tablets / 1000:.0f} s "
              f"of server CPU ({verify / args.records:.1f} ms per record); "
              + ("included (--product-hash)" if args.product_hash else
                 "left out (cheap hashes; --product-hash includes it)") + "\n", flush=True)
        results = {}
        for name in args.runs.split(","):
            reset(stack.env["EVALUATOR_DATABASE_URL"], stack.folder / "instance")
            path = "/bench/bare" if name == "floor" else "/api/v1/submissions"
            server_before, tablets_before = stack.cpu_seconds(), children_cpu()
            log_start = web_log(stack).stat().st_size
            loads = LoadSampler()
            result = run(stack, name, path, data_file, args,
                         args.time_limit / 3 if name == "kill" else None)
            result["drained"] = drain(stack)
            result["load"] = loads.stop()
            server_after = stack.cpu_seconds()
            result["cpu"] = {part: used - server_before.get(part, 0.0)
                             for part, used in server_after.items()}
            result["tablets_cpu"] = children_cpu() - tablets_before
            result["kinds"] = request_kinds(web_log(stack), log_start)
            result["counts"] = counted(stack, result["acked"])
            if result["counts"]["orphan_files"] or name == "kill":
                # What a killed worker left between a photo's write and its commit: the
                # operator's sweep (no request is running now, so no grace period is needed).
                swept = stack.evaluator("storage", "sweep", "--older-than", "0")
                result["swept"] = len(swept.stdout.split())
                result["after_sweep"] = counted(stack, result["acked"])
            results[name] = result
            report(name, result, records)
        if "floor" in results and "api" in results:
            floor = rate(results["floor"]) or float("nan")
            api = rate(results["api"]) or float("nan")
            cpu_ratio = server_cpu(results["api"]) / (server_cpu(results["floor"]) or float("nan"))
            print(f"\nAPI vs floor on the same stack: {floor / api:.2f}x the floor's time per "
                  f"record ({api:.0f} vs {floor:.0f} records/s; goal <= 2); {cpu_ratio:.2f}x its "
                  f"server CPU per record")


class LoadSampler:
    """The machine's 1-minute load average every 5 s while a run lasts (the machine is shared:
    a run's wall-clock figures only mean something next to it)."""

    def __init__(self):
        self.samples = [os.getloadavg()[0]]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.done.wait(5):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> list[float]:
        self.done.set()
        self.thread.join()
        return self.samples + [os.getloadavg()[0]]


def sign_in_cost(tries: int = 5) -> float:
    """CPU milliseconds of one password check with the product's settings (User.set_password
    and verify_password, as a sign-in runs them)."""
    from evaluator.auth.models import User, verify_password

    user = User(username="probe", active=True)
    user.set_password("tablet-evening")
    started = time.process_time()
    for _ in range(tries):
        verify_password(user, "tablet-evening")
    return (time.process_time() - started) / tries * 1000


def web_log(stack: Stack) -> Path:
    return stack.folder / "logs" / "web.log"


KINDS = {("GET", "/auth/login"): "sign in: page", ("POST", "/auth/login"): "sign in: post",
         ("GET", "/assignments"): "assignments page",
         ("GET", "/api/v1/assignments"): "assignments API"}


def request_kinds(log: Path, start: int) -> dict[str, list[float]]:
    """CPU milliseconds of each request the run made, by kind, from the request log lines
    written since byte ``start`` of the stack's web log."""
    kinds: dict[str, list[float]] = {}
    with open(log, "rb") as lines:
        lines.seek(start)
        for line in lines:
            if not line.startswith(b"{"):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event") != "request" or "cpu_ms" not in entry:
                continue
            kind = KINDS.get((entry["method"], entry["path"]))
            if kind is None and entry["path"] in ("/api/v1/submissions", "/bench/bare"):
                kind = {201: "record post", 200: "replay"}.get(entry["status"],
                                                               f"record post {entry['status']}")
            kinds.setdefault(kind or f"{entry['method']} {entry['path']}", []).append(
                entry["cpu_ms"])
    return kinds


def children_cpu() -> float:
    """CPU seconds of this process's finished children (the Locust tablets of a run)."""
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def server_cpu(result: dict) -> float:
    """Server CPU seconds (gunicorn and PostgreSQL) per stored record."""
    stored = result["counts"]["rows"] or 1
    return (result["cpu"].get("web", 0.0) + result["cpu"].get("database", 0.0)) / stored


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
    if "swept" in result:
        after = result["after_sweep"]
        print(f"   evaluator storage sweep --older-than 0: {result['swept']} orphan file(s) "
              f"removed; then rows {after['rows']}, lost {after['lost']}, duplicated "
              f"{after['duplicated']}, photos {after['photos']}, without file "
              f"{after['missing_files']}, files without row {after['orphan_files']}")
    cpu, load = result["cpu"], result["load"]
    per_record = server_cpu(result)
    print(f"   server CPU {cpu.get('web', 0):.1f} s gunicorn + {cpu.get('database', 0):.1f} s "
          f"PostgreSQL = {per_record * 1000:.1f} ms per stored record (a ceiling of "
          f"{(os.cpu_count() or 1) / per_record:.0f} records/s on {os.cpu_count()} idle cores); "
          f"the tablets (Locust) {result['tablets_cpu']:.1f} s; load average during the run "
          f"{min(load):.1f}-{max(load):.1f} (mean {sum(load) / len(load):.1f})", flush=True)
    stored = counts["rows"] or 1
    inside = sum(sum(times) for times in result["kinds"].values()) / 1000
    print(f"   server CPU inside the app, per request kind (request log cpu_ms; per stored "
          f"record = the kind's total / {stored}):")
    for kind, times in sorted(result["kinds"].items(), key=lambda item: -sum(item[1])):
        print(f"     {kind:<20} {len(times):6d} x {sum(times) / len(times):6.2f} ms = "
              f"{sum(times) / stored:5.2f} ms per record")
    print(f"     inside the app {inside:.1f} s of gunicorn's {cpu.get('web', 0):.1f} s; the rest "
          f"({cpu.get('web', 0) - inside:.1f} s) is HTTP, threads and logging around it, and "
          "threads a request starts (argon2's lanes in a sign-in)", flush=True)


if __name__ == "__main__":
    main()
