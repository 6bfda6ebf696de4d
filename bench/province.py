"""A seeded provincial fixture: several evaluation units, 13,000+ records (synthetic, 模拟数据).

    .venv/bin/python bench/province.py --out /tmp/province.sqlite3      # build it, print a summary
    (bench/records_list.py builds it itself; screenshots and manual tours can reuse a build)

Each unit is the synthetic demo county (evaluator.bundle.demo_files, seeded per unit) stored as
the web app stores it — evaluation, roster, a fixed-size seeded sample, a team of evaluators —
and its records are the demo's real door questionnaires and file checks, spread over the sampled
households and the team, with review states, GPS points around each township and received
times over five weeks. Records are inserted in bulk (not through the API: the API's own speed is
bench/sync.py's business), then the quality flags are computed as the app computes them.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator.app import create_app  # noqa: E402
from evaluator.auth.models import User  # noqa: E402
from evaluator.bundle import demo_files  # noqa: E402
from evaluator.fieldwork.manage import operations  # noqa: E402
from evaluator.fieldwork.manage.uploads import check_roster  # noqa: E402
from evaluator.fieldwork.models import Evaluation, Household, SampleDraw, Submission  # noqa: E402
from evaluator.fieldwork.review.quality import ensure_flags  # noqa: E402
from evaluator.migrate import upgrade  # noqa: E402
from evaluator.rubrics.definition import content_hash  # noqa: E402
from evaluator.rubrics.models import RubricVersion  # noqa: E402
from evaluator.surveys.models import SurveyVersion  # noqa: E402

PASSWORD = "bench-pass"
#: (roster households, sampled households) per unit: one large unit and eleven of the usual size
#: (300-600 sampled): 2 records per sampled household, 13,640 records in all.
UNITS = [(12000, 3300)] + [(3000, 320)] * 11
STATES = ("approved",) * 12 + ("received",) * 5 + ("hasIssues",) * 2 + ("rejected",)


@dataclass
class Province:
    app: object
    units: list[int]  # evaluation ids, the large one first
    records: int
    seconds: float


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def build(database: str, folder: Path, *, units=UNITS, seed: int = 2026) -> Province:
    import yaml

    from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR

    started = time.perf_counter()
    app = create_app({"DATABASE_URL": database, "INSTANCE_PATH": str(folder / "instance"),
                      "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    engine = app.extensions["evaluator.engine"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    rng = random.Random(seed)
    ids: list[int] = []
    total = 0
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        for directory, model in ((RUBRICS_DIR, RubricVersion), (SURVEYS_DIR, SurveyVersion)):
            for path in sorted(directory.glob("*.yaml")):
                content = yaml.safe_load(path.read_text(encoding="utf-8"))
                fields = {"key": content["id"], "version": str(content["version"]),
                          "title_zh": content["title"]["zh"],
                          "content_hash": content_hash(content), "content": content}
                if model is SurveyVersion:
                    fields["source"] = content["source"]
                db.add(model(**fields))
        lead = User(username="lead", role="lead", display_name="省评估组长")
        lead.set_password(PASSWORD)
        db.add(lead)
        db.flush()
        rubric = db.scalar(select(RubricVersion))
        surveys = {v.source: v for v in db.scalars(select(SurveyVersion))}
        for k, (roster_size, sampled) in enumerate(units, start=1):
            files = demo_files(roster_size, seed + k)
            team = []
            for j in range(1, 7):
                user = User(username=f"u{k:02d}-eva{j}", role="evaluator",
                            display_name=f"调查员{k:02d}-{j}", password_hash=lead.password_hash)
                db.add(user)
                team.append(user)
            db.flush()
            evaluation = operations.create_evaluation(
                db, lead, key=f"province-{k:02d}", title_zh=f"第{k}评估单位（模拟数据）",
                title_en=f"Unit {k} (synthetic)", evaluated_unit=f"演示县{k}总工会",
                commissioning_body="演示省总工会", period_start=date(2025, 11, 1),
                period_end=date(2026, 10, 31), rubric=rubric, surveys=surveys,
                roster=check_roster("roster.csv", files["roster.csv"], "stratum"),
                stratum_column="stratum", synthetic=True)
            for user in team:
                operations.add_member(db, lead, evaluation, user, "evaluator")
            operations.draw_sample(db, lead, evaluation, seed=seed + k, size=sampled,
                                   min_per_stratum=2, reserve=2)
            evaluation.status = "fieldwork"
            total += _records(db, evaluation, files, team, surveys, rng)
            ids.append(evaluation.id)
        for evaluation_id in ids:
            ensure_flags(db, db.get(Evaluation, evaluation_id))
    with engine.begin() as conn:  # planner statistics, as a database in service has them
        conn.execute(text("ANALYZE"))
    return Province(app, ids, total, time.perf_counter() - started)


def _records(db, evaluation: Evaluation, files, team, surveys, rng: random.Random) -> int:
    doors = _csv(files["household.csv"])
    checks = _csv(files["file_check.csv"])
    drawn = db.execute(select(Household.household_id, Household.data["township"].as_string())
                       .join(SampleDraw, SampleDraw.household_pk == Household.id)
                       .where(SampleDraw.evaluation_id == evaluation.id,
                              SampleDraw.role == "sample")
                       .order_by(Household.household_id)).all()
    centres: dict[str, tuple[float, float]] = {}
    day0 = datetime(2026, 10, 12, 1, 0)  # 09:00 in Shanghai
    rows = []
    for i, (household, township) in enumerate(drawn):
        lat0, lon0 = centres.setdefault(township, (35.8 + rng.random() * 0.5,
                                                   103.5 + rng.random() * 0.6))
        who = team[i % len(team)]
        received = day0 + timedelta(days=rng.randrange(35), minutes=rng.randrange(600))
        door = dict(doors[i % len(doors)], household_id=household)
        minutes = rng.choice((8, 25, 30, 35, 40, 45)) if i % 7 else 6
        no_gps = rng.random() < 0.03
        lat, lon = lat0 + rng.gauss(0, 0.01), lon0 + rng.gauss(0, 0.01)
        door["location"] = "" if no_gps else f"{lat:.6f} {lon:.6f} 1560 20"
        for source, answers in (("household", door),
                                ("file_check", dict(checks[i % len(checks)],
                                                    household_id=household))):
            rows.append({
                "instance_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "evaluation_id": evaluation.id, "source": source,
                "survey_version_id": surveys[source].id, "household_id": household,
                "submitter_id": who.id, "data": answers, "body_hash": "0" * 64,
                "current": True, "review_state": rng.choice(STATES),
                "started_at": received - timedelta(minutes=minutes), "ended_at": received,
                "device_id": f"tablet-{who.username}",
                "gps_lat": None if no_gps or source != "household" else lat,
                "gps_lon": None if no_gps or source != "household" else lon,
                "gps_accuracy": None if no_gps or source != "household" else 20.0,
                "received_at": received})
    for start in range(0, len(rows), 2000):
        db.execute(insert(Submission), rows[start:start + 2000])
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="SQLite file to write (default: a temporary "
                        "one, removed after the summary)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = (args.out or Path(folder) / "province.sqlite3").resolve()
        if out.exists():
            out.unlink()
        province = build(f"sqlite:///{out}", out.parent)
        print(f"{len(province.units)} units, {province.records} records in "
              f"{province.seconds:.1f} s -> {out} (users lead / u01-eva1, password {PASSWORD})")


if __name__ == "__main__":
    main()
