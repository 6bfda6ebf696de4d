"""Benchmark: what a page view costs a tablet — requests and bytes, the service worker included.

    .venv/bin/python bench/tablet.py                   # an evaluator with 600 assignments
    .venv/bin/python bench/tablet.py --assignments 300 --port 5103

Debian's Chromium (Playwright) signs in as an evaluator with N assigned forms and opens 10 pages
online, then as the team lead (who collects 50 households too) and opens 10 pages. Between the
evaluator's first and second view the office changes 5 forms (3 new assignments, 2 corrected
roster rows). Every request that reaches the server is counted by a WSGI wrapper in this file
(method, path, status, body bytes, and the body's gzip size), so the worker's own fetches count.

* floor: the page the person opened (its HTML document) — the bytes that cannot be avoided;
* the app: everything the view caused — page, the assignment list (conditional: 304 when
  unchanged), the session check, and the forms the worker fetched ahead (marked X-Prefetch);
* before: the worker this replaces fetched every assigned form on every page view; its cost is
  the measured average form size times the number of forms, per view.

Goals (issue 11): at most one fetch per changed form; at most 100 KB per ordinary page view after
the first. A benchmark, not a test: it prints the figures and says which goals are met.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator.app import create_app  # noqa: E402
from evaluator.auth.models import User  # noqa: E402
from evaluator.bundle import demo_files, load_bundle, write_files  # noqa: E402
from evaluator.fieldwork.manage import operations  # noqa: E402
from evaluator.fieldwork.manage.scale import add_assigned_households  # noqa: E402
from evaluator.fieldwork.manage.uploads import check_roster  # noqa: E402
from evaluator.fieldwork.models import Assignment, Evaluation, Household  # noqa: E402
from evaluator.migrate import upgrade  # noqa: E402

PASSWORD = "bench-password"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
WAIT_FOR_WORKER = """() => Promise.race([Sync.refreshed,
    new Promise(resolve => setTimeout(() => resolve({state: 'no answer'}), 600000))])"""


class Counter:
    """Counts every request that reaches the app: (method, path, status, bytes, gzip, prefetch)."""

    def __init__(self, app):
        self.app = app
        self.log: list[tuple[str, str, int, int, int, bool]] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        seen = {}

        def start(status, headers, exc_info=None):
            seen["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        body = b"".join(self.app(environ, start))
        with self.lock:
            self.log.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""),
                             seen.get("status", 0), len(body), len(gzip.compress(body, 6)),
                             bool(environ.get("HTTP_X_PREFETCH"))))
        return [body]


class OneRequestPerConnection(WSGIRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_request(self, *args, **kwargs):
        pass


def build(folder: Path, assignments: int):
    import yaml

    from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
    from evaluator.rubrics.definition import content_hash
    from evaluator.rubrics.models import RubricVersion
    from evaluator.surveys.models import SurveyVersion

    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
                      "INSTANCE_PATH": str(folder / "instance"), "SECRET_KEY": "bench"})
    upgrade(app.extensions["evaluator.engine"])
    bundle_dir = folder / "bundle"
    write_files(demo_files(300, 20261130), bundle_dir)
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
        people = {}
        for name, role in (("lead", "lead"), ("eva", "evaluator")):
            people[name] = User(username=name, role=role, display_name=name)
            people[name].set_password(PASSWORD)
            db.add(people[name])
        db.flush()
        evaluation = operations.create_evaluation(
            db, people["lead"], key="tablet-bench", title_zh="平板基准（模拟数据）", title_en="",
            evaluated_unit="演示", commissioning_body="演示",
            period_start=bundle.meta.period_start, period_end=bundle.meta.period_end,
            rubric=db.scalar(select(RubricVersion)),
            surveys={v.source: v for v in db.scalars(select(SurveyVersion))},
            roster=check_roster("roster.csv", (bundle_dir / "roster.csv").read_bytes(),
                                bundle.stratum_column),
            stratum_column=bundle.stratum_column, synthetic=True)
        operations.add_member(db, people["lead"], evaluation, people["eva"], "evaluator")
        plan = bundle.meta.sampling.data
        operations.draw_sample(db, people["lead"], evaluation, seed=plan["seed"],
                               min_per_stratum=plan.get("min_per_stratum", 0),
                               reserve=plan.get("reserve_per_stratum", 0), **plan["parameters"])
        evaluation.status = "fieldwork"
        for stratum in sorted({h.stratum for h in db.scalars(select(Household))}):
            operations.assign_stratum(db, people["lead"], evaluation, stratum=stratum,
                                      assignee=people["eva"], sources=("household", "file_check"),
                                      roles=("sample", "reserve"))
        have = len(list(db.scalars(select(Assignment.id))))
        if have < assignments:
            add_assigned_households(db, evaluation, people["eva"], assignments - have)
        add_assigned_households(db, evaluation, people["lead"], 50, prefix="LEAD")
        return app, evaluation.id, max(have, assignments)


def change_five_forms(app, evaluation_id: int) -> None:
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        evaluation = db.get(Evaluation, evaluation_id)
        eva = db.scalar(select(User).where(User.username == "eva"))
        add_assigned_households(db, evaluation, eva, 3, prefix="NEW")
        for household in db.scalars(select(Household).join(
                Assignment, Assignment.household_pk == Household.id)
                .where(Assignment.user_id == eva.id).limit(2)):
            household.data = {**household.data, "household_size": "7"}


def sign_in(page, base, username):
    """The first page view: the sign-in form posted, landing on the home page."""
    page.goto(base + "/auth/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def run_views(page, base, counter, who, paths, between=None, verbose=False):
    rows = []
    for i, path in enumerate(paths):
        if between and i == 1:
            between()
        mark = len(counter.log)
        started = time.perf_counter()
        if i == 0:
            sign_in(page, base, who)
        else:
            page.goto(base + path)
        answer = page.evaluate(WAIT_FOR_WORKER) or {}
        seconds = time.perf_counter() - started
        with counter.lock:
            seen = counter.log[mark:]
        if verbose:
            for r in seen:
                print(f"   view {i + 1}: {r[0]} {r[1]} {r[2]} {r[3]} B{' (prefetch)' if r[5] else ''}")
        landing = "/" if i == 0 else path.split("?")[0]
        document = next((r for r in seen if r[1] == landing and r[0] == "GET" and not r[5]), None)
        forms = [r for r in seen if r[5] and ("/collect/" in r[1] or r[1].endswith("/forum"))]
        rows.append({"view": i + 1, "path": path, "requests": len(seen),
                     "bytes": sum(r[3] for r in seen), "gzip": sum(r[4] for r in seen),
                     "floor": document[3] if document else 0,
                     "floor_gzip": document[4] if document else 0,
                     "form_fetches": len(forms), "form_bytes": sum(r[3] for r in forms),
                     "worker": answer.get("state", "-"), "seconds": seconds})
    return rows


def kb(n: int) -> str:
    return f"{n / 1024:8.1f}"


def table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    print(f"{'view':>4}  {'path':<44} {'reqs':>5} {'KB':>8} {'KB gz':>8} {'floor KB':>8} "
          f"{'x floor':>7} {'form fetches':>12} {'s (worker done)':>15}")
    for r in rows:
        ratio = r["bytes"] / r["floor"] if r["floor"] else float("nan")
        print(f"{r['view']:>4}  {r['path'][:44]:<44} {r['requests']:>5} {kb(r['bytes'])} "
              f"{kb(r['gzip'])} {kb(r['floor'])} {ratio:7.2f} {r['form_fetches']:>12} "
              f"{r['seconds']:15.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignments", type=int, default=600)
    parser.add_argument("--port", type=int, default=5103)
    parser.add_argument("--verbose", action="store_true", help="print every request")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        app, evaluation_id, forms_assigned = build(Path(tmp), args.assignments)
        counter = Counter(app)
        server = make_server("127.0.0.1", args.port, counter, threaded=True,
                             request_handler=OneRequestPerConnection)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{args.port}"
        e = f"/evaluations/{evaluation_id}"
        with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
            eva = db.scalar(select(User).where(User.username == "eva"))
            own = [h for h, in db.execute(select(Household.household_id).join(
                Assignment, Assignment.household_pk == Household.id)
                .where(Assignment.user_id == eva.id, Assignment.source == "household")
                .order_by(Household.household_id).limit(3))]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                results = {}
                for who, paths, between in (
                        ("eva", ["(sign in) /", f"{e}/collect/household/{own[0]}", "/assignments",
                                 "/", f"{e}/forum", f"{e}/collect/household/{own[1]}",
                                 "/assignments", f"{e}/collect/file_check/{own[2]}", "/", e],
                         lambda: change_five_forms(app, evaluation_id)),
                        ("lead", ["(sign in) /", f"{e}/submissions", "/assignments", f"{e}/quality",
                                  f"{e}/sample", "/", f"{e}/forum",
                                  f"{e}/collect/household/{own[0]}", "/assignments",
                                  f"{e}/audit"], None)):
                    context = browser.new_context(viewport={"width": 1024, "height": 768},
                                                  service_workers="allow", locale="zh-CN")
                    page = context.new_page()
                    results[who] = run_views(page, base, counter, who, paths, between,
                                             args.verbose)
                    context.close()
                browser.close()
        finally:
            server.shutdown()

    eva, lead = results["eva"], results["lead"]
    forms = eva[0]["form_fetches"]
    average_form = eva[0]["form_bytes"] / forms if forms else 0
    table(f"evaluator with {forms_assigned} assigned forms (+ the forum), 10 page views; "
          "5 forms change after view 1", eva)
    table("team lead (50 households assigned to them too), 10 page views", lead)
    later = eva[1:]
    fetched_later = sum(r["form_fetches"] for r in later)
    print(f"\nfirst view: {forms} forms fetched once, {eva[0]['bytes'] / 1e6:.1f} MB "
          f"({eva[0]['gzip'] / 1e6:.1f} MB gzip); average form page {average_form / 1024:.1f} KB")
    print(f"views 2-10: {fetched_later} form fetches for 5 changed forms "
          f"({fetched_later / 5:.1f} per changed form)")
    ordinary = [r["bytes"] for r in later]
    print(f"views 2-10: median {statistics.median(ordinary) / 1024:.1f} KB, max "
          f"{max(ordinary) / 1024:.1f} KB per view (gzip: median "
          f"{statistics.median([r['gzip'] for r in later]) / 1024:.1f} KB, max "
          f"{max(r['gzip'] for r in later) / 1024:.1f} KB); beyond the page itself: max "
          f"{max(r['bytes'] - r['floor'] for r in later) / 1024:.1f} KB")
    before = (forms_assigned + 1) * average_form
    print(f"before (every form on every view): {before / 1e6:.1f} MB per view; now "
          f"{statistics.mean(ordinary) / 1e6:.3f} MB: {before / statistics.mean(ordinary):.0f}x less")
    print(f"lead: {sum(r['form_fetches'] for r in lead)} form fetches in 10 views, median "
          f"{statistics.median([r['bytes'] for r in lead]) / 1024:.1f} KB per view")
    # An ordinary view: nothing changed at the office, so the worker has no form to fetch. A
    # view that fetched the changed forms is shown apart, with what the forms themselves cost.
    plain = [r for r in later if not r["form_fetches"]]
    changed = [r for r in later if r["form_fetches"]]
    heavy = [r["path"] for r in plain if r["bytes"] > 100 * 1024]
    print(f"goal <= 1 fetch per changed form: {'met' if fetched_later <= 5 else 'NOT met'}")
    print(f"goal <= 100 KB per ordinary page view (views 2-10 with no changed form to fetch, "
          f"max {max(r['bytes'] for r in plain) / 1024:.1f} KB): "
          f"{'met' if not heavy else 'NOT met by ' + ', '.join(sorted(set(heavy)))}")
    for r in changed:
        print(f"  view {r['view']} {r['path']} fetched {r['form_fetches']} changed forms: "
              f"{r['bytes'] / 1024:.1f} KB raw ({r['gzip'] / 1024:.1f} KB if gzipped), of which "
              f"the forms {r['form_bytes'] / 1024:.1f} KB and the rest "
              f"{(r['bytes'] - r['form_bytes']) / 1024:.1f} KB")
    print(f"goal: the lead fetches no forms: "
          f"{'met' if not sum(r['form_fetches'] for r in lead) else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
