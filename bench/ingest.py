"""In-process cost of one record: the submissions API against the bare-insert floor.

    .venv/bin/python bench/ingest.py                          # SQLite in a temporary folder
    .venv/bin/python bench/ingest.py --database postgresql+psycopg://postgres@127.0.0.1:5452/postgres
    .venv/bin/python bench/ingest.py --profile api            # where the API's time goes

The load test (bench/loadtest.py) measures the whole stack, but on a shared 2-core machine its
absolute figures move with everyone else's load. This runs the same records (bench/load/
evening.py: household records with a ~30 KB photo, file checks) through Flask's test client in
this one process, signed in as each tablet's investigator, first to ``POST /bench/bare``
(bench/load/bare.py: parse, store the photo, insert the rows, commit) and then to
``POST /api/v1/submissions`` (every check), each on emptied tables, and prints both as CPU
milliseconds per record of this process (on SQLite that includes the database's work; on
PostgreSQL the server's CPU is elsewhere and the wall time shows it) and their ratio. Runs
alternate ``--rounds`` times and the best round of each counts, which is what a busy machine
lets one compare. Every answer is checked (201 for a record, 200 for its replay) and the rows
counted: a faster path that stores less is a failure, not a result.

``--database`` is emptied first (its schema dropped): give it a throwaway database.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "load"))

from bare import add_bare_endpoint  # noqa: E402
from evening import prepare, reset  # noqa: E402

PATHS = {"floor": "/bench/bare", "api": "/api/v1/submissions"}


def fresh_database(url: str, folder: Path) -> None:
    """Drop what ``url`` holds, migrate it and store the shipped definitions, as the
    production stack does (``evaluator db upgrade``, ``evaluator load-definitions``)."""
    from sqlalchemy import create_engine, text

    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALUATOR_")}
    env.update({"EVALUATOR_DATABASE_URL": url, "EVALUATOR_INSTANCE_PATH": str(folder)})
    for command in (("db", "upgrade"), ("load-definitions",)):
        subprocess.run([sys.executable, "-m", "evaluator", *command], env=env, check=True,
                       capture_output=True)


def signed_in(app, tablet: dict):
    """A test client signed in as the tablet's investigator, and its CSRF token."""
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"username": tablet["username"],
                                                "password": tablet["password"],
                                                "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"sign-in of {tablet['username']} failed: {response.status_code}")
    page = client.get("/assignments").get_data(as_text=True)
    return client, re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


class StatementCounter:
    """SQL statements sent to the database while ``on`` (a count no machine load changes)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.on, self.count, self.texts = False, 0, {}
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_args) -> None:
        if self.on:
            self.count += 1
            key = " ".join(statement.split())[:90]
            self.texts[key] = self.texts.get(key, 0) + 1


def one_run(app, name: str, data: list[dict], profiler: cProfile.Profile | None,
            statements: StatementCounter) -> dict:
    """Every tablet's records, then two replays each; CPU and wall time of the posts only."""
    cpu = wall = 0.0
    statements.count, statements.texts = 0, {}
    stored = replayed = 0
    for tablet in data:
        client, csrf = signed_in(app, tablet)
        headers = {"Content-Type": "application/json", "X-CSRFToken": csrf}
        bodies = [body for _, body in tablet["records"]]
        for expected, batch in ((201, bodies), (200, bodies[:2])):
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            if profiler is not None and expected == 201:
                profiler.enable()
            statements.on = expected == 201
            statuses = [client.post(PATHS[name], data=body, headers=headers).status_code
                        for body in batch]
            statements.on = False
            if profiler is not None:
                profiler.disable()
            if expected == 201:
                cpu += time.process_time() - cpu_start
                wall += time.perf_counter() - wall_start
            wrong = [s for s in statuses if s != expected]
            if wrong:
                raise SystemExit(f"{name}: {tablet['username']} got {wrong[:5]}, not {expected}")
            stored += len(batch) if expected == 201 else 0
            replayed += len(batch) if expected == 200 else 0
    return {"cpu": cpu, "wall": wall, "records": stored, "replays": replayed,
            "statements": statements.count, "texts": dict(statements.texts)}


def count_rows(url: str) -> tuple[int, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT count(*) FROM submissions")).scalar_one()
        photos = connection.execute(text("SELECT count(*) FROM attachments")).scalar_one()
    engine.dispose()
    return rows, photos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tablets", type=int, default=20)
    parser.add_argument("--records", type=int, default=10, help="records per tablet")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--photo-kb", type=int, default=30)
    parser.add_argument("--database", default="", help="a throwaway database URL (emptied)")
    parser.add_argument("--profile", choices=("api", "floor"), default=None,
                        help="print cProfile's top functions of that run's record posts")
    args = parser.parse_args()

    from evaluator.app import create_app

    folder = Path(tempfile.mkdtemp(prefix="evaluator-ingest-"))
    url = args.database or f"sqlite:///{folder / 'ingest.sqlite3'}"
    fresh_database(url, folder / "instance")
    _, data = prepare(url, folder / "setup", args.tablets, args.records, args.photo_kb)
    records = sum(len(t["records"]) for t in data)
    app = add_bare_endpoint(create_app({"DATABASE_URL": url, "SECRET_KEY": "ingest-bench",
                                        "INSTANCE_PATH": str(folder / "instance")}))
    print(f"{args.tablets} tablets x {args.records} records = {records} records "
          f"({records // 2} with a {args.photo_kb} KB photo) on "
          f"{'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}, in process; "
          f"load average {os.getloadavg()[0]:.1f} at start")
    best: dict[str, dict] = {}
    # CPU time, not wall time: on a loaded machine the wall clock mostly measures the others.
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    statements = StatementCounter(app.extensions["evaluator.engine"])
    for round_ in range(args.rounds):
        for name in ("floor", "api"):
            reset(url, folder / "instance")
            result = one_run(app, name, data, profiler if name == args.profile else None,
                             statements)
            rows, photos = count_rows(url)
            if (rows, photos) != (records, records // 2 + records % 2):
                raise SystemExit(f"{name}: {rows} rows and {photos} photos stored for "
                                 f"{records} records")
            per = {k: result[k] / records * 1000 for k in ("cpu", "wall")}
            per["statements"] = result["statements"] / records
            per["texts"] = result["texts"]
            print(f"  round {round_ + 1} {name:<5} CPU {per['cpu']:6.2f} ms/record, wall "
                  f"{per['wall']:6.2f} ms/record, {per['statements']:.1f} SQL statements/record "
                  f"({result['records']} stored, {result['replays']} replays answered 200)",
                  flush=True)
            if name not in best or per["cpu"] < best[name]["cpu"]:
                best[name] = per
    ratio_cpu = best["api"]["cpu"] / best["floor"]["cpu"]
    ratio_wall = best["api"]["wall"] / best["floor"]["wall"]
    print(f"best of {args.rounds}: floor {best['floor']['cpu']:.2f} ms CPU / "
          f"{best['floor']['wall']:.2f} ms wall per record, API {best['api']['cpu']:.2f} ms CPU "
          f"/ {best['api']['wall']:.2f} ms wall per record")
    print(f"API vs floor: {ratio_cpu:.2f}x CPU, {ratio_wall:.2f}x wall per record "
          f"(load average {os.getloadavg()[0]:.1f} at the end)")
    if profiler is not None:
        print(f"\nSQL statements of the {args.profile} run's record posts, per record:")
        for text, times in sorted(best[args.profile]["texts"].items(), key=lambda t: -t[1]):
            print(f"  {times / records:5.2f}  {text}")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(40)
        print(out.getvalue())
    app.extensions["evaluator.engine"].dispose()
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
