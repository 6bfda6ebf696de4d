"""Shared fixtures: ``app``, ``client``, ``runner`` and a ``login`` helper, as in Flask's tutorial.

The database is SQLite in a temporary folder unless ``EVALUATOR_TEST_DATABASE_URL`` names
another (``make test`` sets it to a throwaway PostgreSQL for its second run). PostgreSQL is
migrated once per session and emptied after each test.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from evaluator.app import create_app
from evaluator.db import Base
from evaluator.migrate import upgrade

SERVER_URL = os.environ.get("EVALUATOR_TEST_DATABASE_URL")

# Property tests check answers, not speed: hypothesis' 200 ms deadline per example failed a
# scipy comparison whose first example imported scipy on a loaded machine (395 ms). Speed is
# measured in bench/, not by timed tests.
settings.register_profile("evaluator", deadline=None)
settings.load_profile("evaluator")


@pytest.fixture(scope="session")
def server_database():
    """Migrate the server database once, from empty."""
    if not SERVER_URL:
        return None
    engine = create_engine(SERVER_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    engine.dispose()
    return SERVER_URL


@pytest.fixture
def app(tmp_path, server_database):
    url = server_database or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test",
        "WTF_CSRF_ENABLED": False,
    })
    engine = app.extensions["evaluator.engine"]
    if not server_database:
        upgrade(engine)
    yield app
    if server_database:
        with engine.begin() as conn:
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    from evaluator.auth.models import User

    def make(username="eva", role="evaluator", password="secret-pass"):
        with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
            user = User(username=username, role=role, display_name=username,
                        password_hash=password_hash(password))
            db.add(user)
        return username, password

    return make


@pytest.fixture
def login(client, make_user):
    def do(role="evaluator"):
        username, password = make_user(username=f"user-{role}", role=role)
        response = client.post("/auth/login", data={"username": username, "password": password})
        assert response.status_code == 302
        return username

    return do


# -- fieldwork fixtures -------------------------------------------------------------------------

FIELD_ROLES = ("admin", "author", "lead", "evaluator", "viewer", "unit")
FIXTURE_ROSTER = os.path.join(os.path.dirname(__file__), "fixtures", "bundles", "minimal",
                              "roster.csv")


@pytest.fixture
def definitions(app):
    """The shipped rubric and surveys stored as ``evaluator load-definitions`` stores them."""
    import yaml

    from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
    from evaluator.rubrics.definition import content_hash
    from evaluator.rubrics.models import RubricVersion
    from evaluator.surveys.models import SurveyVersion

    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        for folder, model in ((RUBRICS_DIR, RubricVersion), (SURVEYS_DIR, SurveyVersion)):
            for path in sorted(folder.glob("*.yaml")):
                content = yaml.safe_load(path.read_text(encoding="utf-8"))
                fields = {"key": content["id"], "version": str(content["version"]),
                          "title_zh": content["title"]["zh"],
                          "title_en": content["title"].get("en", ""),
                          "content_hash": content_hash(content), "content": content}
                if model is SurveyVersion:
                    fields["source"] = content["source"]
                db.add(model(**fields))
    return True


_HASHES: dict[str, str] = {}


def password_hash(password: str) -> str:
    """argon2 takes ~0.2 s per hash on purpose; the fixtures hash each password once."""
    if password not in _HASHES:
        from argon2 import PasswordHasher

        _HASHES[password] = PasswordHasher().hash(password)
    return _HASHES[password]


class Field:
    """Plain ids and names of the fieldwork fixture (no ORM objects outlive their session)."""

    password = "secret-pass"

    def __init__(self):
        self.users: dict[str, int] = {}
        self.evaluation_id = 0
        self.sample: list[str] = []
        self.reserve: list[str] = []
        self.strata: dict[str, list[str]] = {}

    def username(self, role: str) -> str:
        return f"f-{role}"


@pytest.fixture
def field(app, definitions):
    """A small evaluation ready for fieldwork: users of every role (f-admin, f-lead, ...), the
    minimal fixture roster (8 households in 2 strata), a seeded sample of 4 (+1 reserve per
    stratum), every drawn household assigned to f-evaluator for household and file check."""
    from datetime import date
    from pathlib import Path

    from sqlalchemy import select

    from evaluator.auth.models import User
    from evaluator.fieldwork.manage import operations
    from evaluator.fieldwork.manage.uploads import check_roster
    from evaluator.fieldwork.models import Household, SampleDraw
    from evaluator.rubrics.models import RubricVersion
    from evaluator.surveys.models import SurveyVersion

    info = Field()
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        people = {}
        for role in FIELD_ROLES:
            user = User(username=info.username(role), role=role, display_name=f"{role} 用户",
                        password_hash=password_hash(info.password))
            db.add(user)
            people[role] = user
        db.flush()
        info.users = {role: u.id for role, u in people.items()}
        rubric = db.scalar(select(RubricVersion))
        surveys = {v.source: v for v in db.scalars(select(SurveyVersion))}
        roster = check_roster("roster.csv", Path(FIXTURE_ROSTER).read_bytes(), "stratum")
        evaluation = operations.create_evaluation(
            db, people["lead"], key="test-eval", title_zh="测试评估", title_en="Test evaluation",
            evaluated_unit="演示县总工会", commissioning_body="演示市总工会",
            period_start=date(2025, 11, 1), period_end=date(2026, 10, 31), rubric=rubric,
            surveys=surveys, roster=roster, stratum_column="stratum")
        operations.add_member(db, people["lead"], evaluation, people["evaluator"], "evaluator")
        operations.add_member(db, people["lead"], evaluation, people["viewer"], "viewer")
        operations.add_member(db, people["lead"], evaluation, people["unit"], "unit")
        operations.draw_sample(db, people["lead"], evaluation, seed=7, size=4,
                               min_per_stratum=2, reserve=1)
        evaluation.status = "fieldwork"
        for stratum in sorted({h.stratum for h in db.scalars(select(Household))}):
            operations.assign_stratum(db, people["lead"], evaluation, stratum=stratum,
                                      assignee=people["evaluator"],
                                      sources=("household", "file_check"),
                                      roles=("sample", "reserve"))
        info.evaluation_id = evaluation.id
        for household_id, stratum, role in db.execute(
                select(Household.household_id, Household.stratum, SampleDraw.role)
                .join(SampleDraw, SampleDraw.household_pk == Household.id)
                .order_by(Household.stratum, SampleDraw.role.desc(), SampleDraw.draw_order)):
            (info.sample if role == "sample" else info.reserve).append(household_id)
            info.strata.setdefault(stratum, []).append(household_id)
    return info


@pytest.fixture
def english(client):
    """Pages and API messages in English for this test client (the language stays in the
    session across sign-in and sign-out)."""
    client.get("/?lang=en")


@pytest.fixture
def sign_in(client, field):
    """Sign the test client in as the fixture user of ``role`` (None: sign out)."""

    def do(role):
        client.post("/auth/logout")
        if role is None:
            return None
        response = client.post("/auth/login", data={"username": field.username(role),
                                                    "password": field.password})
        assert response.status_code == 302
        return field.username(role)

    return do


@pytest.fixture
def household_record(field):
    """A factory of complete, valid household records for the API (answers can be overridden)."""
    import uuid

    def make(household_id, instance_id=None, **answers):
        base = {
            "household_id": household_id, "consent": "yes", "respondent_relation": "self",
            "members": [{"member_relation": "self", "member_age": "45", "member_work": "employed",
                         "member_health": "healthy"},
                        {"member_relation": "spouse", "member_age": "44",
                         "member_work": "flexible", "member_health": "chronic"}],
            "income_wage": "30000", "income_pension": "0", "income_benefit": "2400",
            "income_other": "0", "expense_medical": "3000", "expense_education": "0",
            "hardship_cause": "illness", "needs": "medical employment", "aid_received": "yes",
            "aid_types": "medical festival", "aid_amount_total": "3000", "knows_helper": "yes",
            "helper_visits_12m": "4", "plan_known": "yes", "food_secure": "yes",
            "clothing_secure": "yes", "medical_insured": "yes", "education_secure": "na",
            "housing_secure": "yes", "exit_told": "no", "satisfaction": "4",
        }
        base.update(answers)
        return {"instance_id": instance_id or str(uuid.uuid4()),
                "evaluation_id": field.evaluation_id, "source": "household",
                "household_id": household_id, "started_at": "2026-11-03T09:00:00+08:00",
                "ended_at": "2026-11-03T09:40:00+08:00", "device_id": "tablet-test",
                "answers": base}

    return make


@pytest.fixture
def api_post(client):
    """POST a record to the submissions API as JSON."""
    return lambda payload: client.post("/api/v1/submissions", json=payload)


@pytest.fixture
def file_check_record(field):
    """A factory of complete, valid file-check records for the API."""
    import uuid

    def make(household_id, **answers):
        base = {"household_id": household_id, "file_status": "registered",
                "file_cause": "illness", "file_aid_total": "3000", "has_application": "yes",
                "income_verified": "yes", "public_notice": "yes", "approval_signed": "yes",
                "has_plan": "yes", "helper_recorded": "yes", "visit_records": "yes",
                "vouchers_complete": "yes"}
        base.update(answers)
        return {"instance_id": str(uuid.uuid4()), "evaluation_id": field.evaluation_id,
                "source": "file_check", "household_id": household_id,
                "started_at": "2026-11-04T10:00:00+08:00",
                "ended_at": "2026-11-04T10:20:00+08:00", "answers": base}

    return make


# -- the XLSForm widgets (time, range, rank, audio, ...) --------------------------------------

WIDGET_ROWS = [
    {"type": "begin group", "name": "visit", "label::zh": "访问信息", "label::en": "Visit",
     "relevant": "${consent} = 'yes'"},
    {"type": "time", "name": "visit_time", "label::zh": "入户时间", "label::en": "Time of the visit",
     "required": True},
    {"type": "datetime", "name": "next_visit", "label::zh": "下次回访", "label::en": "Next visit"},
    {"type": "range", "name": "living_score", "label::zh": "生活状况评分",
     "label::en": "Living conditions score", "parameters": "start=0 end=10 step=2"},
    {"type": "rank priority", "name": "priorities", "label::zh": "最需要的帮扶（排序）",
     "label::en": "Most needed help (ranked)"},
    {"type": "phonenumber", "name": "contact_phone", "label::zh": "联系电话",
     "label::en": "Contact phone"},
    {"type": "email", "name": "contact_email", "label::zh": "电子邮箱", "label::en": "Email"},
    {"type": "barcode", "name": "card_code", "label::zh": "帮扶卡条码", "label::en": "Aid card code"},
    {"type": "acknowledge", "name": "informed", "label::zh": "已告知受访户数据用途",
     "label::en": "The household was told how the data is used", "required": True},
    {"type": "audio", "name": "interview_audio", "label::zh": "访谈录音",
     "label::en": "Interview recording"},
    {"type": "select_one_from_file districts.csv", "name": "district", "label::zh": "所在社区",
     "label::en": "Community"},
    {"type": "calculate", "name": "district_label",
     "calculation": "instance('districts')/root/item[name = ${district}]/label"},
    {"type": "calculate", "name": "district_office",
     "calculation": "pulldata('districts', 'office', 'name', ${district})"},
    {"type": "note", "name": "district_note",
     "label::zh": "社区：${district_label}，办公室：${district_office}",
     "label::en": "Community: ${district_label}, office: ${district_office}"},
    {"type": "end group"},
]


def widget_content(content: dict) -> dict:
    import copy

    from evaluator.surveys.validation import survey_problems

    data = copy.deepcopy(content)
    data["version"] = "2026.1-widgets"
    end_of_basic = next(i for i, row in enumerate(data["survey"])
                        if row["type"] == "end group")
    data["survey"][end_of_basic + 1:end_of_basic + 1] = WIDGET_ROWS
    data["choices"]["priority"] = [
        {"name": "housing", "label::zh": "住房", "label::en": "Housing"},
        {"name": "medical", "label::zh": "医疗", "label::en": "Medical care"},
        {"name": "jobs", "label::zh": "就业", "label::en": "Jobs"},
    ]
    data["files"] = {"districts.csv": {"columns": ["name", "label", "office"],
                                       "rows": [["d1", "东风社区", "东风路1号"],
                                                ["d2", "红旗社区", "红旗街8号"]]}}
    assert survey_problems(data, "widgets") == []
    return data


def store_household_version(app, change) -> dict:
    """The shipped household survey changed by ``change(content) -> content`` and stored as a
    new version (the field fixture then builds its evaluation on it: store it first)."""
    from sqlalchemy import select

    from evaluator.rubrics.definition import content_hash
    from evaluator.surveys.models import SurveyVersion

    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        shipped = db.scalar(select(SurveyVersion).where(SurveyVersion.source == "household"))
        data = change(shipped.content)
        db.add(SurveyVersion(key=shipped.key, version=data["version"], source=shipped.source,
                             title_zh=shipped.title_zh, title_en=shipped.title_en,
                             content_hash=content_hash(data), content=data))
    return data


@pytest.fixture
def widget_survey(app, definitions):
    """The household survey with a group of the new question types, stored as a new version
    (the field fixture then builds its evaluation on it: request this fixture first)."""
    return store_household_version(app, widget_content)


def paged_content(content: dict) -> dict:
    """The household survey asked one group per page (settings ``style: pages``, Enketo's)."""
    import copy

    from evaluator.surveys.validation import survey_problems

    data = copy.deepcopy(content)
    data["version"] = "2026.2-pages"
    data["settings"] = {**data.get("settings", {}), "style": "pages"}
    assert survey_problems(data, "paged") == []
    return data


@pytest.fixture
def paged_survey(app, definitions):
    """The household survey with ``settings: {style: pages}``, stored as a new version
    (request it before ``field``)."""
    return store_household_version(app, paged_content)
