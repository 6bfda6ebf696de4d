"""What both load benchmarks share (bench/loadtest.py over HTTP, bench/ingest.py in process):
an evaluation in fieldwork with one investigator per simulated tablet, their households drawn
and assigned, and each tablet's records as the JSON bodies the tablet sends."""

from __future__ import annotations

import base64
import io
import json
import random
import uuid
from pathlib import Path

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


def prepare(database_url: str, folder: Path, tablets: int, records: int, photo_kb: int,
            product_hash: bool = False) -> tuple[int, list[dict]]:
    """The evaluation, its sample, one investigator per tablet with their households
    assigned, and each tablet's records as JSON bodies. Passwords are cheap argon2 hashes
    unless ``product_hash``: then the product's own settings (one hash shared by everyone,
    made once; each sign-in still verifies it in full)."""
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
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(folder),
                      "SECRET_KEY": "bench"})
    bundle_dir = folder / "bundle"
    write_files(demo_files(max(2000, int(households_needed * 1.25)), 20261207), bundle_dir)
    bundle = load_bundle(bundle_dir)
    if product_hash:
        probe = User(username="probe")
        probe.set_password(PASSWORD)  # the product's own argon2 settings
        password_hash = probe.password_hash
    else:
        password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        lead = User(username="bench-lead", role="lead", display_name="组长",
                    password_hash=password_hash)
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
                        password_hash=password_hash)
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


def reset(database_url: str, instance: Path) -> None:
    """Empty what a run wrote (rows and photo files in the ``instance`` folder), keep the
    evaluation and its people."""
    import shutil

    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE attachments, review_events, rechecks, submissions "
                                    "CASCADE"))
        else:
            for table in ("attachments", "review_events", "rechecks", "submissions"):
                connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("DELETE FROM audit_entries WHERE action LIKE 'submission.%'"))
        connection.execute(text("UPDATE assignments SET status = 'assigned'"))
    engine.dispose()
    shutil.rmtree(instance / "attachments", ignore_errors=True)
