"""Benchmark: ``evaluator score`` against the read+parse floor and an analyst's pandas script.

    .venv/bin/python bench/scoring.py                       # 1k, 5k, 20k, 100k sampled households
    .venv/bin/python bench/scoring.py --sizes 1000,5000     # fewer sizes
    .venv/bin/python bench/scoring.py --keep /tmp/sb        # keep (and reuse) the bundles
    .venv/bin/python bench/scoring.py --database --sizes 20000   # ... and the web app's path

Run it under ``flock /work/notes/bench.lock`` (the machine is shared). For each size the
synthetic demo bundle (evaluator.bundle.demo; the roster is ten times the sample) is built
once (not measured), then three processes are run ``--repeat`` times each, start-up included,
and the best run of each is printed with its CPU time (user + system), wall time and peak
resident memory (``wait4``'s rusage of the child):

* floor: bench/baselines/floor_csv.py — read every CSV file's bytes and parse them with the csv
  module, keeping the rows; no product code;
* peer: bench/baselines/peer_pandas.py — what an analyst writes instead: pandas reads the
  files, joins the roster and computes ten of the rubric's indicators with stratified weights,
  Wilson and t intervals; it checks nothing (pandas is a bench-only extra: ``.[bench]``);
* product: ``python -m evaluator score BUNDLE --format json``: read, check every answer, score.

Then the product's stages in one process (read the files, build the bundle, check it, score,
JSON), as the command runs them: its imports first, the cyclic garbage collector paused while
the bundle is read, checked and scored. Ratios use CPU time (the wall time of a shared machine measures the neighbours too).
The growth lines give the cost per 1,000 sampled households between consecutive sizes.
Targets (issue 16): product <= 1.0x peer at 5k and 20k, <= 3x floor, peak RSS <= 10 MB per
1,000 sampled households. A benchmark, not a test: it never fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = (1_000, 5_000, 20_000, 100_000)
TARGET_PEER = 1.0
TARGET_FLOOR = 3.0
TARGET_MB_PER_1000 = 10.0


#: GNU time reports a child's peak RSS from a process of its own size. A child's peak RSS as
#: wait4 gives it counts the image it was forked from (Linux keeps the larger across exec), so
#: measured straight from this driver it would include the driver's own memory.
GNU_TIME = "/usr/bin/time"


def run(command: list[str], repeat: int) -> dict[str, float]:
    """Best CPU and wall seconds of ``repeat`` runs of ``command`` and its peak RSS (MB)."""
    cpu, wall, rss = [], [], []
    timed_by = [GNU_TIME, "-f", "%M"] if os.access(GNU_TIME, os.X_OK) else []
    for _ in range(repeat):
        with tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            child = subprocess.Popen(timed_by + command, stdout=subprocess.DEVNULL, stderr=err)
            _, status, usage = os.wait4(child.pid, 0)
            wall.append(time.perf_counter() - start)
            err.seek(0)
            text = err.read().decode(errors="replace")
            if status != 0:
                raise SystemExit(f"{' '.join(command)} failed:\n{text[-2000:]}")
        cpu.append(usage.ru_utime + usage.ru_stime)
        last = text.strip().splitlines()[-1] if timed_by and text.strip() else ""
        rss.append(int(last) / 1024 if last.isdigit() else usage.ru_maxrss / 1024)
    return {"cpu": min(cpu), "wall": min(wall), "median": statistics.median(wall), "rss": min(rss)}


def stages(bundle: str) -> None:
    """(child process) The product's stages in one process, printed as JSON."""
    import resource

    clock = time.process_time
    out: dict[str, float] = {}
    start = clock()
    import evaluator.cli  # noqa: F401 - what `evaluator score` imports first (and its settings)
    from evaluator.bundle.check import check_files
    from evaluator.bundle.commands import shipped_rubric
    from evaluator.bundle.reader import build_bundle, cyclic_gc_paused, read_files
    from evaluator.paths import SURVEYS_DIR
    from evaluator.scoring import score
    from evaluator.surveys.definition import load_surveys

    surveys = load_surveys(SURVEYS_DIR)
    out["imports + definitions"] = clock() - start
    with cyclic_gc_paused():  # as `evaluator score` reads, checks and scores
        start = clock()
        files, _ = read_files(bundle)
        out["read files"] = clock() - start
        start = clock()
        data, problems = build_bundle(files, surveys, origin=bundle)
        out["build bundle"] = clock() - start
        rubric = shipped_rubric(data.meta.rubric, surveys)
        start = clock()
        problems = check_files(files, surveys, rubric, bundle=data, read_problems=problems)
        out["check"] = clock() - start
        assert not problems, problems[:3]
        start = clock()
        sheet = score(rubric, data)
        out["score"] = clock() - start
    start = clock()
    sheet.to_json()
    out["JSON"] = clock() - start
    out["peak RSS MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # see GNU_TIME
    print(json.dumps(out))


def bundle_for(sampled: int, keep: Path) -> Path:
    """The demo bundle with ``sampled`` households drawn (built once, kept under ``keep``)."""
    from evaluator.bundle.demo import SAMPLE_SHARE

    households = math.ceil(sampled / SAMPLE_SHARE)
    path = keep / f"demo-{households}"
    if not (path / "evaluation.yaml").is_file():
        print(f"  building the demo bundle: {households:,} households on the roster ...", flush=True)
        start = time.perf_counter()
        # In a process of its own: this driver stays small (its children inherit its peak RSS).
        subprocess.run([sys.executable, "-m", "evaluator", "demo-data", str(path),
                        "--households", str(households), "--force"], check=True,
                       stdout=subprocess.DEVNULL)
        print(f"  built in {time.perf_counter() - start:.1f} s (not measured)", flush=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="sampled households per bundle, comma-separated (default 1000,5000,20000,100000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each process (default 3; 1 above 50k)")
    parser.add_argument("--keep", type=Path, help="build the bundles here and reuse them")
    parser.add_argument("--database", action="store_true",
                        help="also the web app's scoring path on a SQLite database of the largest bundle")
    parser.add_argument("--db-repeat", type=int, default=3, help="database runs (default 3)")
    parser.add_argument("--stages", metavar="BUNDLE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stages:
        stages(args.stages)
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory() as scratch:
        keep = args.keep or Path(scratch)
        keep.mkdir(parents=True, exist_ok=True)
        results = []
        for sampled in sizes:
            print(f"== {sampled:,} sampled households", flush=True)
            path = bundle_for(sampled, keep)
            repeat = args.repeat if sampled <= 50_000 else 1
            python = sys.executable
            row = {
                "sampled": sampled,
                "floor": run([python, str(HERE / "baselines" / "floor_csv.py"), str(path)], repeat),
                "peer": run([python, str(HERE / "baselines" / "peer_pandas.py"), str(path)], repeat),
                "product": run([python, "-m", "evaluator", "score", str(path), "--format", "json"], repeat),
            }
            staged = subprocess.run([python, __file__, "--stages", str(path)], capture_output=True,
                                    text=True, check=True)  # its RSS: the product's above
            row["stages"] = json.loads(staged.stdout.strip().splitlines()[-1])
            results.append(row)
            print_size(row, repeat)
        print_summary(results)
        if args.database:
            database(bundle_for(max(sizes), keep), args, Path(scratch))
    return 0


def print_size(row: dict, repeat: int) -> None:
    print(f"  {'':8} {'CPU s':>8} {'wall s':>8} {'peak RSS MB':>12}   (best of {repeat})")
    for name in ("floor", "peer", "product"):
        r = row[name]
        print(f"  {name:8} {r['cpu']:8.3f} {r['wall']:8.3f} {r['rss']:12.1f}")
    stage_text = ", ".join(f"{k} {v:.3f}" for k, v in row["stages"].items() if k != "peak RSS MB")
    print(f"  product stages (CPU s, one process): {stage_text}")
    p, peer, floor = row["product"], row["peer"], row["floor"]
    print(f"  ratios   product/peer {p['cpu'] / peer['cpu']:.2f}x   product/floor {p['cpu'] / floor['cpu']:.2f}x   "
          f"peak RSS {p['rss'] / (row['sampled'] / 1000):.1f} MB per 1,000 sampled", flush=True)


def print_summary(results: list[dict]) -> None:
    print("== summary (CPU seconds; ratios from this run)")
    print(f"  {'sampled':>8} {'floor':>8} {'peer':>8} {'product':>8} {'/peer':>7} {'/floor':>7} "
          f"{'RSS MB':>8} {'MB/1k':>7}")
    for r in results:
        p = r["product"]
        print(f"  {r['sampled']:8,} {r['floor']['cpu']:8.3f} {r['peer']['cpu']:8.3f} {p['cpu']:8.3f} "
              f"{p['cpu'] / r['peer']['cpu']:6.2f}x {p['cpu'] / r['floor']['cpu']:6.2f}x "
              f"{p['rss']:8.1f} {p['rss'] / (r['sampled'] / 1000):7.1f}")
    print("  growth per 1,000 more sampled households (between consecutive sizes):")
    for a, b in zip(results, results[1:], strict=False):
        k = (b["sampled"] - a["sampled"]) / 1000
        parts = []
        for name in ("floor", "peer", "product"):
            parts.append(f"{name} {(b[name]['cpu'] - a[name]['cpu']) / k * 1000:.0f} ms, "
                         f"{(b[name]['rss'] - a[name]['rss']) / k:.1f} MB")
        print(f"  {a['sampled']:,} -> {b['sampled']:,}: " + "; ".join(parts))
    for r in results:
        if r["sampled"] not in (5_000, 20_000):
            continue
        p = r["product"]["cpu"]
        print(f"  target at {r['sampled']:,}: product <= {TARGET_PEER:.1f}x peer: "
              f"{'yes' if p <= TARGET_PEER * r['peer']['cpu'] else 'NO'}; <= {TARGET_FLOOR:.0f}x floor: "
              f"{'yes' if p <= TARGET_FLOOR * r['floor']['cpu'] else 'NO'}; <= {TARGET_MB_PER_1000:.0f} MB "
              f"per 1,000: {'yes' if r['product']['rss'] <= TARGET_MB_PER_1000 * r['sampled'] / 1000 else 'NO'}")


def database(path: Path, args, scratch: Path) -> None:
    """The web app's scoring path (score_evaluation) on a SQLite database of ``path``."""
    from evaluator.bundle.reader import load_bundle
    from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
    from evaluator.rubrics.definition import load_rubric
    from evaluator.scoring import score
    from evaluator.surveys.definition import load_surveys

    surveys = load_surveys(SURVEYS_DIR)
    rubric = load_rubric(RUBRICS_DIR / "union-hardship.yaml", surveys)
    bundle = load_bundle(path, surveys)
    sheet = score(rubric, bundle)
    print("== the web app's path: building the database (not measured) ...", flush=True)
    start = time.perf_counter()
    app, evaluation_id = build_database(scratch / "database", path, bundle)
    print(f"  built in {time.perf_counter() - start:.1f} s", flush=True)
    with app.app_context():
        report_database(app, evaluation_id, args, sheet=sheet)
    app.extensions["evaluator.engine"].dispose()


def timed(fn, repeat: int, clock=time.perf_counter) -> tuple[float, float, object]:
    """(best, median) seconds of ``repeat`` calls (wall time, or ``clock``), and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        start = clock()
        result = fn()
        times.append(clock() - start)
    return min(times), statistics.median(times), result


# -- the database ------------------------------------------------------------------------------

def build_database(folder: Path, path: Path, bundle):
    """A fresh SQLite database holding the bundle's rows; returns (app, evaluation id).

    As ``create_demo_evaluation`` builds the demo evaluation, through the same operations, but
    with every row of the bundle: all records (the demo leaves one stratum to its evaluator),
    bulk inserted as approved (instead of one ``store_submission`` and one review each, which
    would make the set-up take minutes), and one team member per evaluator of judgements.csv
    (the demo keeps two), so the database scores to the bundle's numbers."""
    import yaml
    from sqlalchemy import insert, select

    from evaluator.app import create_app
    from evaluator.auth.models import User
    from evaluator.bundle.reader import read_files
    from evaluator.fieldwork.collect.operations import save_judgement
    from evaluator.fieldwork.forms import survey_of
    from evaluator.fieldwork.logic import FormModel
    from evaluator.fieldwork.manage import operations
    from evaluator.fieldwork.manage.demo import bundle_records, check_same_draw
    from evaluator.fieldwork.manage.uploads import check_roster, check_system_rows
    from evaluator.fieldwork.models import Finding, Household, Submission
    from evaluator.fieldwork.queries import survey_versions
    from evaluator.migrate import upgrade
    from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
    from evaluator.rubrics.definition import content_hash
    from evaluator.rubrics.models import RubricVersion
    from evaluator.surveys.models import SurveyVersion

    folder.mkdir(parents=True, exist_ok=True)
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
                      "INSTANCE_PATH": str(folder / "instance"), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False})
    upgrade(app.extensions["evaluator.engine"])
    files, _ = read_files(path)
    meta = bundle.meta
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        for directory, model in ((RUBRICS_DIR, RubricVersion), (SURVEYS_DIR, SurveyVersion)):
            for definition in sorted(directory.glob("*.yaml")):
                content = yaml.safe_load(definition.read_text(encoding="utf-8"))
                fields = {"key": content["id"], "version": str(content["version"]),
                          "title_zh": content["title"]["zh"], "content_hash": content_hash(content),
                          "content": content}
                if model is SurveyVersion:
                    fields["source"] = content["source"]
                db.add(model(**fields))
        names = sorted({j.evaluator for j in bundle.judgements})
        people = [User(username=name, role=role, display_name=name, password_hash="!")
                  for name, role in (("lead", "lead"), ("viewer", "viewer"),
                                     *((f"eva{n}", "evaluator") for n in range(1, len(names))))]
        db.add_all(people)
        db.flush()
        lead, viewer, *evaluators = people
        rubric = db.scalar(select(RubricVersion).where(RubricVersion.key == meta.rubric.id,
                                                       RubricVersion.version == meta.rubric.version))
        versions = {source: db.scalar(select(SurveyVersion).where(
            SurveyVersion.key == ref.id, SurveyVersion.version == ref.version))
            for source, ref in meta.surveys.items()}
        evaluation = operations.create_evaluation(
            db, lead, key=meta.id, title_zh=meta.title.zh, title_en=meta.title.en,
            evaluated_unit=meta.evaluated_unit, commissioning_body=meta.commissioning_body,
            period_start=meta.period_start, period_end=meta.period_end, rubric=rubric,
            surveys=versions, roster=check_roster("roster.csv", files["roster.csv"],
                                                  bundle.stratum_column),
            stratum_column=bundle.stratum_column, count_policy="approved",
            synthetic=meta.synthetic)
        for member in (*evaluators, viewer):
            operations.add_member(db, lead, evaluation, member, member.role)
        plan = meta.sampling.data
        operations.draw_sample(db, lead, evaluation, seed=plan["seed"],
                               min_per_stratum=plan.get("min_per_stratum", 0),
                               reserve=plan.get("reserve_per_stratum", 0), **plan["parameters"])
        check_same_draw(db, evaluation, bundle)
        system = versions["system"]
        model = FormModel(survey_of(system.key, system.version, system.content))
        known = dict(db.execute(select(Household.household_id, Household.data)
                                .where(Household.evaluation_id == evaluation.id)).all())
        operations.store_system_data(db, lead, evaluation, check_system_rows(
            "system.csv", files["system.csv"], model, known))
        version_ids = {source: v.id for source, v in survey_versions(db, evaluation.id).items()}
        for source in ("household", "file_check", "forum"):
            data = bundle.sources.get(source)
            if data is None or source not in version_ids:
                continue
            rows = [{"instance_id": r.instance_id, "evaluation_id": evaluation.id,
                     "source": r.source, "survey_version_id": version_ids[source],
                     "household_id": r.household_id, "submitter_id": lead.id,
                     "data": r.answers, "body_hash": r.body_hash, "review_state": "approved",
                     "started_at": r.started_at, "ended_at": r.ended_at,
                     "device_id": r.device_id[:120]}
                    for r in bundle_records(bundle, source, data)]
            for first in range(0, len(rows), 5000):
                db.execute(insert(Submission), rows[first:first + 5000])
        judges = dict(zip(names, (lead, *evaluators), strict=True))
        for j in bundle.judgements:
            if j.evaluator in judges and j.score is not None:
                save_judgement(db, judges[j.evaluator], evaluation,
                               indicator=j.indicator, score=j.score, reason=j.reason)
        for f in bundle.findings:
            db.add(Finding(evaluation_id=evaluation.id, indicator=f.indicator,
                           severity=f.severity, description=f.description,
                           household_id=f.household_id, responsible_unit=f.responsible_unit,
                           responsible_person=f.responsible_person,
                           deadline=f.deadline or meta.period_end, created_by_id=lead.id))
        evaluation.status = "fieldwork"
        db.flush()
        evaluation_id = evaluation.id
    return app, evaluation_id


def read_rows(db, evaluation, *, everything: bool = False) -> dict[str, int]:
    """The database floor: the queries the scoring service sends for the rows it scores, the
    rows read back as plain tuples (JSON decoded by the column type), nothing else. With
    ``everything``, the roster and the drawn sample too. Returns the row count per table."""
    from sqlalchemy import select

    from evaluator.fieldwork.exports.files import counted_states
    from evaluator.fieldwork.models import Household, SampleDraw, Submission, SystemRecord

    states = list(counted_states(evaluation))
    counts = {}
    for source in ("household", "file_check"):
        counts[source] = len(db.execute(
            select(*Submission.__table__.c)
            .where(Submission.evaluation_id == evaluation.id, Submission.source == source,
                   Submission.current.is_(True), Submission.review_state.in_(states))
            .order_by(Submission.household_id, Submission.received_at, Submission.instance_id)
        ).all())
    counts["system"] = len(db.execute(
        select(*SystemRecord.__table__.c).where(SystemRecord.evaluation_id == evaluation.id)
        .order_by(SystemRecord.row_number)).all())
    if everything:
        counts["roster"] = len(db.execute(
            select(*Household.__table__.c).where(Household.evaluation_id == evaluation.id)
            .order_by(Household.row_number)).all())
        counts["sample"] = len(db.execute(
            select(Household.household_id, Household.stratum, SampleDraw.role,
                   SampleDraw.draw_order)
            .join(SampleDraw, SampleDraw.household_pk == Household.id)
            .where(Household.evaluation_id == evaluation.id)
            .order_by(Household.stratum, SampleDraw.role.desc(), SampleDraw.draw_order)).all())
    return counts


def report_database(app, evaluation_id: int, args, *, sheet) -> None:
    from sqlalchemy import select

    from evaluator.auth.models import User
    from evaluator.auth.views import SESSION_VERSION_KEY
    from evaluator.fieldwork.exports.scores import forget_sheets, score_evaluation
    from evaluator.fieldwork.models import Evaluation

    sessions = app.extensions["evaluator.sessionmaker"]

    def in_session(fn):
        def call():
            with sessions() as db:
                return fn(db, db.get(Evaluation, evaluation_id))
        return call

    db_rows, db_rows_median, counts = timed(in_session(read_rows), args.db_repeat)
    db_all, _, all_counts = timed(in_session(lambda db, e: read_rows(db, e, everything=True)),
                                  args.db_repeat)
    def cold(db, evaluation):
        forget_sheets()
        return score_evaluation(db, evaluation)

    db_best, db_median, scored = timed(in_session(cold), args.db_repeat)
    kept_best, kept_median, _ = timed(in_session(score_evaluation), max(args.db_repeat, 5))
    client = app.test_client()
    with sessions() as db:
        lead = db.scalar(select(User.id).where(User.username == "lead"))
    with client.session_transaction() as session:  # signed in as the lead, as the login view does
        session["_user_id"] = str(lead)
        session["_fresh"] = True
        session[SESSION_VERSION_KEY] = 1
    page = f"/evaluations/{evaluation_id}/scores"
    status = client.get(page).status_code
    if status != 200:  # a redirect to the sign-in page is not the scores page
        raise SystemExit(f"GET {page} answered {status}, not the scores page")
    page_best, page_median, _ = timed(lambda: client.get(page), max(args.db_repeat, 5))
    kept_cpu, _, _ = timed(in_session(score_evaluation), 5, time.process_time)
    page_cpu, _, _ = timed(lambda: client.get(page), 5, time.process_time)

    print("  database: SQLite, " + ", ".join(f"{name} {n:,} rows" for name, n in all_counts.items()))
    print(f"  floor    database source rows   {db_rows:7.3f} s (median {db_rows_median:.3f}; "
          "query + JSON decode of the 3 sources' rows)")
    print(f"           database all rows      {db_all:7.3f} s (the same with roster and sample)")
    print(f"  scoring  score_evaluation(db)   {db_best:7.3f} s (median {db_median:.3f}, best of "
          f"{args.db_repeat}; export, read, check every answer, score)")
    print(f"  kept     score_evaluation again {kept_best * 1000:5.0f} ms (median {kept_median * 1000:.0f}; "
          f"CPU {kept_cpu * 1000:.0f} ms; rows read and hashed, the kept sheet returned)")
    print(f"  page     GET {page}  {page_best * 1000:5.0f} ms (median {page_median * 1000:.0f}; "
          f"CPU {page_cpu * 1000:.0f} ms; status {status}; target <= 100 ms with the sheet kept: "
          f"{'met' if page_best <= 0.1 else 'MISSED'})")
    print(f"  ratio    db scoring / db floor  {db_best / db_rows:7.3f} x   "
          f"(/ database all rows: {db_best / db_all:.3f} x)")
    if scored.sheet is None:
        print(f"  result   database: not scored: {'; '.join(scored.problems[:5])}")
    else:
        same = "same as the bundle" if scored.sheet.total == sheet.total else "DIFFERS from the bundle"
        print(f"  result   database total {scored.sheet.total:.2f} / {scored.sheet.max:.0f}, "
              f"grade {scored.sheet.grade} ({same})")


if __name__ == "__main__":
    sys.exit(main())
