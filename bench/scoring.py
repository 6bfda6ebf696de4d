"""Benchmark: scoring a 20,000-household bundle with the default rubric, against its read floor.

    .venv/bin/python bench/scoring.py                    # builds the demo bundle (about a minute)
    .venv/bin/python bench/scoring.py --households 2000  # a tenth of the size, quickly
    .venv/bin/python bench/scoring.py --keep /tmp/b      # ... and keeps the bundle for the next run
    .venv/bin/python bench/scoring.py --bundle /tmp/b    # reuses a bundle

The bundle is the synthetic demo (evaluator.bundle.demo) sized so that about 20,000 households
are sampled: 20,000 door questionnaires (~40 fields plus the members repeat), 20,000 file
checks and 20,000 system rows, from a 200,000-household roster. It prints

* the floor: ``load_bundle`` (reading, decoding and normalising every file of the bundle), and
  for comparison the parse of the three source files alone;
* the scoring time: ``score(rubric, bundle)`` including the conversion to ScoringData;
* the ratio, against the target of the issue: scoring <= 1.0 s and <= 3x the floor.

Then the same rows go into a fresh SQLite database in a temporary folder, through the app's
models and operations as the demo evaluation is built (evaluator.fieldwork.manage.demo): the
roster, the same seeded draw (checked against sample.csv), the system export, every record
stored as approved (bulk inserts of the demo's own ``SubmissionIn`` records, without the
per-record form checks: set-up, not measured), findings and judgements. It prints

* the database floor: the queries the scoring service sends for those rows (the current
  counted records of the two collected sources, the system rows), each row read back as plain
  values with its JSON decoded: no ORM objects, nothing else; and the same with the roster and
  the drawn sample, which the service reads too (the analogue of ``load_bundle``);
* the database scoring time: ``score_evaluation(db, evaluation)``, what the scores page calls
  (export to bundle files, read, check and score), each run in a fresh session as a request is;
* the ratios, next to the bundle's.

Times are the best of ``--repeat`` runs (the median is printed too): this machine is shared, and
the best run is the one least disturbed. A benchmark, not a test: it never fails.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml
from sqlalchemy import insert, select

from evaluator.auth.models import User
from evaluator.bundle.demo import SAMPLE_SHARE, write_demo
from evaluator.bundle.reader import load_bundle, read_files
from evaluator.bundle.source_files import normalise_source, source_spec
from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
from evaluator.rubrics.definition import content_hash, load_rubric
from evaluator.rubrics.models import RubricVersion
from evaluator.scoring import score
from evaluator.surveys.definition import load_surveys
from evaluator.surveys.models import SurveyVersion
from evaluator.tables import read_table

SAMPLED = 20_000
SOURCES = ("household", "file_check", "system")
TARGET_SECONDS = 1.0
TARGET_RATIO = 3.0


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """(best, median) seconds of ``repeat`` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, help="score this bundle instead of building one")
    parser.add_argument("--keep", type=Path, help="build the bundle here and keep it")
    parser.add_argument("--households", "--sampled", dest="households", type=int, default=SAMPLED,
                        help="sampled households (default 20000; the roster is ten times larger)")
    parser.add_argument("--repeat", type=int, default=5, help="scoring runs (default 5)")
    parser.add_argument("--floor-repeat", type=int, default=2, help="load_bundle runs (default 2)")
    parser.add_argument("--db-repeat", type=int, default=3,
                        help="database floor and score_evaluation runs (default 3)")
    args = parser.parse_args(argv)

    surveys = load_surveys(SURVEYS_DIR)
    rubric = load_rubric(RUBRICS_DIR / "union-hardship.yaml", surveys)
    with tempfile.TemporaryDirectory() as scratch:
        path = args.bundle
        if path is None:
            path = args.keep or Path(scratch) / "bench-bundle"
            households = math.ceil(args.households / SAMPLE_SHARE)
            print(f"building the demo bundle: {households:,} households on the roster ...", flush=True)
            start = time.perf_counter()
            write_demo(path, households=households, overwrite=True)
            print(f"  built in {time.perf_counter() - start:.1f} s (not measured)")
        return run(path, surveys, rubric, args, Path(scratch))


def run(path: Path, surveys, rubric, args, scratch: Path) -> int:
    floor, floor_median, bundle = timed(lambda: load_bundle(path, surveys), args.floor_repeat)
    rows = {s: len(bundle.rows(s)) for s in SOURCES}
    fields = {s: len(bundle.sources[s].fields) for s in SOURCES if s in bundle.sources}
    members = sum(len(r.rows) for r in bundle.sources["household"].repeats.values())

    def parse_sources():
        for source in SOURCES:
            table = read_table(Path(path) / f"{source}.csv")
            normalise_source(source, table, source_spec(source, bundle.meta.surveys.get(source), surveys))

    rows_floor, _, _ = timed(parse_sources, args.floor_repeat)
    best, median, sheet = timed(lambda: score(rubric, bundle), args.repeat)

    print(f"bundle: {path}")
    print(f"  roster {len(bundle.roster):,} households; sample {sum(1 for s in bundle.sample if s.role == 'sample'):,}")
    for source in SOURCES:
        print(f"  {source}.csv {rows[source]:,} rows x {fields.get(source, 0)} fields")
    print(f"  household-members.csv {members:,} rows")
    print(f"rubric: {rubric.id} {rubric.version}, {len(rubric.indicators)} indicators")
    print(f"floor    load_bundle            {floor:7.3f} s (median {floor_median:.3f})")
    print(f"         source rows only       {rows_floor:7.3f} s (read + normalise the 3 source CSVs)")
    print(f"scoring  score(rubric, bundle)  {best:7.3f} s (median {median:.3f}, best of {args.repeat})")
    print(f"ratio    scoring / floor        {best / floor:7.3f} x   (scoring / source rows only: {best / rows_floor:.3f} x)")
    print(f"result   total {sheet.total:.2f} / {sheet.max:.0f}, grade {sheet.grade}")
    ok_time = best <= TARGET_SECONDS
    ok_ratio = best <= TARGET_RATIO * floor
    print(f"target   scoring <= {TARGET_SECONDS:.1f} s: {'yes' if ok_time else 'NO'}; "
          f"<= {TARGET_RATIO:.0f}x floor: {'yes' if ok_ratio else 'NO'}", flush=True)

    print("building the database: the same rows through the app's models ...", flush=True)
    start = time.perf_counter()
    app, evaluation_id = build_database(scratch / "database", path, bundle)
    print(f"  built in {time.perf_counter() - start:.1f} s (not measured)", flush=True)
    with app.app_context():
        report_database(app, evaluation_id, args, floor=floor, rows_floor=rows_floor,
                        bundle_best=best, sheet=sheet)
    app.extensions["evaluator.engine"].dispose()
    return 0


# -- the database ------------------------------------------------------------------------------

def build_database(folder: Path, path: Path, bundle):
    """A fresh SQLite database holding the bundle's rows; returns (app, evaluation id).

    As ``create_demo_evaluation`` builds the demo evaluation, through the same operations, but
    with every row of the bundle: all records (the demo leaves one stratum to its evaluator),
    bulk inserted as approved (instead of one ``store_submission`` and one review each, which
    would make the set-up take minutes), and one team member per evaluator of judgements.csv
    (the demo keeps two), so the database scores to the bundle's numbers."""
    from evaluator.app import create_app
    from evaluator.fieldwork.collect.operations import save_judgement
    from evaluator.fieldwork.forms import survey_of
    from evaluator.fieldwork.logic import FormModel
    from evaluator.fieldwork.manage import operations
    from evaluator.fieldwork.manage.demo import _records, _same_draw
    from evaluator.fieldwork.manage.uploads import check_roster, check_system_rows
    from evaluator.fieldwork.models import Finding, Household, Submission
    from evaluator.fieldwork.queries import survey_versions
    from evaluator.migrate import upgrade

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
        _same_draw(db, evaluation, bundle)
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
                    for r in _records(bundle, source, data)]
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


def report_database(app, evaluation_id: int, args, *, floor: float, rows_floor: float,
                    bundle_best: float, sheet) -> None:
    from evaluator.fieldwork.exports.scores import score_evaluation
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
    db_best, db_median, scored = timed(in_session(score_evaluation), args.db_repeat)

    print("database: SQLite, " + ", ".join(f"{name} {n:,} rows" for name, n in all_counts.items()))
    print(f"floor    database source rows   {db_rows:7.3f} s (median {db_rows_median:.3f}; "
          f"query + JSON decode of the 3 sources' rows; "
          f"{db_rows / rows_floor:.2f} x the bundle's source rows)")
    print(f"         database all rows      {db_all:7.3f} s (the same with roster and sample; "
          f"{db_all / floor:.2f} x load_bundle)")
    print(f"scoring  score_evaluation(db)   {db_best:7.3f} s (median {db_median:.3f}, best of "
          f"{args.db_repeat}; export, read, check, score; {db_best / bundle_best:.2f} x "
          f"score(rubric, bundle))")
    print(f"ratio    db scoring / db floor  {db_best / db_rows:7.3f} x   "
          f"(/ database all rows: {db_best / db_all:.3f} x; / load_bundle: {db_best / floor:.3f} x)")
    if scored.sheet is None:
        print(f"result   database: not scored: {'; '.join(scored.problems[:5])}")
    else:
        same = "same as the bundle" if scored.sheet.total == sheet.total else "DIFFERS from the bundle"
        print(f"result   database total {scored.sheet.total:.2f} / {scored.sheet.max:.0f}, "
              f"grade {scored.sheet.grade} ({same})")


if __name__ == "__main__":
    sys.exit(main())
