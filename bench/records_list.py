"""Benchmark: the records list at provincial scale (goal: p95 <= 300 ms per page view).

    flock /work/notes/bench.lock .venv/bin/python bench/records_list.py          # SQLite
    flock /work/notes/bench.lock bash .ci/with-postgres .venv/bin/python bench/records_list.py
        # SQLite, then PostgreSQL 15 (EVALUATOR_TEST_DATABASE_URL, set by .ci/with-postgres)

Builds the provincial fixture (bench/province.py: 12 units, 13,640 records; the large unit holds
6,600) and signs in as the lead. Each case is the full request (view, queries, template) of the
large unit's records list, run ``--runs`` times after two warm-up views; it prints p50 and p95.

* floor: the same page's two queries (count, then 50 rows) written by hand in SQL and run with
  the database driver alone (sqlite3 / psycopg) — no product code;
* peer: what the list did before (and what a hand-written view would do): load every current
  record of the unit and filter, sort and cut a page in Python.

Also printed once: the first view after the flags went stale for the whole unit (a settings
change or a system upload), which computes them again. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.province import PASSWORD, build  # noqa: E402
from evaluator.fieldwork.models import Household, Submission  # noqa: E402
from evaluator.fieldwork.review.quality import invalidate_flags  # noqa: E402

GOAL_MS = 300.0


def cases(stratum: str, submitter: int) -> list[tuple[str, dict[str, str]]]:
    return [
        ("page 1", {}),
        ("page 60 (deep)", {"page": "60"}),
        ("search household code", {"q": "BT0"}),
        ("search head of household", {"q": "演示户12"}),
        ("search evaluator", {"q": "u01-eva3"}),
        ("filter source", {"source": "file_check"}),
        ("filter review state", {"state": "hasIssues"}),
        ("filter not reviewed", {"state": "open"}),
        ("filter evaluator", {"submitter": str(submitter)}),
        ("filter stratum", {"stratum": stratum}),
        ("filter flag: short", {"flag": "short"}),
        ("filter flag: any", {"flag": "any"}),
        ("filter date range", {"from": "2026-10-20", "to": "2026-10-27"}),
        ("sort by household", {"sort": "household", "order": "asc"}),
        ("all filters at once", {"source": "household", "state": "approved",
                                 "submitter": str(submitter), "stratum": stratum,
                                 "from": "2026-10-12", "to": "2026-11-30"}),
    ]


def timed(fn, runs: int) -> tuple[float, float]:
    for _ in range(2):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = statistics.quantiles(samples, n=20, method="inclusive")[18]
    return statistics.median(samples), p95


def floor_query(database: str, evaluation_id: int):
    """The default page (count + 50 newest rows with the submitter's name), by hand."""
    sql_count = ("SELECT count(*) FROM submissions WHERE evaluation_id = %s AND current")
    sql_page = ("SELECT s.instance_id, s.source, s.household_id, s.review_state, s.received_at, "
                "s.flags, u.username, h.stratum, h.head_name FROM submissions s "
                "JOIN users u ON u.id = s.submitter_id LEFT JOIN households h "
                "ON h.evaluation_id = s.evaluation_id AND h.household_id = s.household_id "
                "WHERE s.evaluation_id = %s AND s.current ORDER BY s.received_at DESC LIMIT 50")
    if database.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(database.split("///", 1)[1])

        def run():
            conn.execute(sql_count.replace("%s", "?"), (evaluation_id,)).fetchall()
            conn.execute(sql_page.replace("%s", "?"), (evaluation_id,)).fetchall()
        return run
    import psycopg

    conn = psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://"))

    def run_pg():
        with conn.cursor() as cur:
            cur.execute(sql_count, (evaluation_id,))
            cur.fetchall()
            cur.execute(sql_page, (evaluation_id,))
            cur.fetchall()
    return run_pg


def peer(app, evaluation_id: int, stratum: str):
    """Load every current record of the unit, filter by stratum and state, sort, cut a page."""
    from sqlalchemy import select

    def run():
        with app.extensions["evaluator.sessionmaker"]() as db:
            strata = dict(db.execute(select(Household.household_id, Household.stratum).where(
                Household.evaluation_id == evaluation_id)).all())
            rows = [s for s in db.scalars(select(Submission).where(
                Submission.evaluation_id == evaluation_id, Submission.current.is_(True)))
                if strata.get(s.household_id) == stratum and s.review_state == "approved"]
            rows.sort(key=lambda s: s.received_at, reverse=True)
            return rows[:50]
    return run


def measure(database: str, label: str, runs: int) -> bool:
    from sqlalchemy import func, select

    with tempfile.TemporaryDirectory() as folder:
        province = build(database, Path(folder))
        app = province.app
        big = province.units[0]
        with app.extensions["evaluator.sessionmaker"]() as db:
            records = db.scalar(select(func.count(Submission.id)).where(
                Submission.evaluation_id == big))
            stratum = db.scalar(select(Household.stratum).where(Household.evaluation_id == big)
                                .group_by(Household.stratum)
                                .order_by(func.count(Household.id).desc()).limit(1))
            submitter = db.scalar(select(Submission.submitter_id)
                                  .where(Submission.evaluation_id == big).limit(1))
        client = app.test_client()
        assert client.post("/auth/login", data={"username": "lead",
                                                "password": PASSWORD}).status_code == 302
        url = f"/evaluations/{big}/submissions"
        print(f"\n== {label}: {len(province.units)} units, {province.records:,} records "
              f"(built in {province.seconds:.0f} s); the list of unit 1: {records:,} records")
        print(f"{'case':32} {'matches':>8} {'p50 ms':>8} {'p95 ms':>8}")
        worst = 0.0
        for name, args in cases(stratum, submitter):
            response = client.get(url, query_string=args)
            assert response.status_code == 200, (name, response.status_code)
            body = response.get_data(as_text=True)
            matches = body.split('<small class="muted">', 1)[1].split("<", 1)[0]
            p50, p95 = timed(lambda args=args: client.get(url, query_string=args), runs)
            worst = max(worst, p95)
            print(f"{name:32} {matches:>8} {p50:8.1f} {p95:8.1f}")
        f50, f95 = timed(floor_query(database, big), runs)
        q50, q95 = timed(peer(app, big, stratum), max(5, runs // 3))
        page50, page95 = timed(lambda: client.get(url), runs)
        print(f"{'floor: hand SQL, driver only':32} {'':>8} {f50:8.1f} {f95:8.1f}")
        print(f"{'peer: load all, filter in Python':32} {'':>8} {q50:8.1f} {q95:8.1f}")
        print(f"page 1 / floor: {page95 / f95:.1f}x at p95; peer / page 1: {q95 / page95:.1f}x "
              f"(the peer cuts one filtered page; the list does it in the database)")
        with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
            invalidate_flags(db, big)
            db.commit()
        start = time.perf_counter()
        client.get(url)
        stale = (time.perf_counter() - start) * 1000
        print(f"first view after all {records:,} flags went stale (recomputed): {stale:.0f} ms")
        verdict = "meets" if worst <= GOAL_MS else "MISSES"
        print(f"worst p95 {worst:.1f} ms: {verdict} the goal of {GOAL_MS:.0f} ms")
        app.extensions["evaluator.engine"].dispose()
        return worst <= GOAL_MS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        ok = measure(f"sqlite:///{folder}/province.sqlite3", "SQLite", args.runs)
    server = os.environ.get("EVALUATOR_TEST_DATABASE_URL")
    if server:
        ok = measure(server, "PostgreSQL", args.runs) and ok
    else:
        print("\n(PostgreSQL skipped: run under .ci/with-postgres to include it)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
