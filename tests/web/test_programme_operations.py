"""Programmes: created by a lead or an administrator, units added one by one or from a sheet
(all or nothing, every problem by row and column), each unit an evaluation with its roster,
team and seeded sample."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evaluator.auth.models import User
from evaluator.definitions.problems import DefinitionError
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.models import Evaluation, Membership, SampleDraw
from evaluator.programmes import operations as programmes
from evaluator.programmes.models import Programme
from evaluator.rubrics.models import RubricVersion

ROSTER = (Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal" / "roster.csv").read_bytes()
RULE = {"seed": 11, "size": 4, "min_per_stratum": 2, "reserve": 1}


@pytest.fixture
def programme(app, field):
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        from tests.conftest import password_hash

        db.add(User(username="u-east", role="unit", display_name="东区工会",
                    password_hash=password_hash(field.password)))
        made = programmes.create_programme(
            db, db.get(User, field.users["lead"]), key="ah-2026", title_zh="安徽省2026年评估",
            title_en="Anhui 2026", commissioning_body="省总工会", period_start=date(2026, 1, 1),
            period_end=date(2026, 10, 31), rubric=db.scalar(select(RubricVersion)),
            stratum_column="stratum", sample_rule=RULE, synthetic=True)
        return made.id


def sheet(*rows: str) -> bytes:
    return ("unit,region,roster,lead,evaluators,unit_user\n" + "\n".join(rows) + "\n").encode()


def test_a_sheet_of_units_becomes_evaluations_with_teams_and_samples(app, field, programme):
    data = sheet("东区工会,合肥市,east.csv,f-lead,f-evaluator,u-east",
                 "西区工会,芜湖市,west.csv,,f-evaluator f-lead,")
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        lead = db.get(User, field.users["lead"])
        found = db.get(Programme, programme)
        units = programmes.read_units(db, found, "units.csv", data,
                                      {"east.csv": ROSTER, "west.csv": ROSTER})
        made = programmes.import_units(db, lead, found, units)
        assert [e.key for e in made] == ["ah-2026-001", "ah-2026-002"]
    with app.extensions["evaluator.sessionmaker"]() as db:
        rows = db.scalars(select(Evaluation).where(Evaluation.programme_id == programme)
                          .order_by(Evaluation.key)).all()
        assert [(e.evaluated_unit, e.region, e.status) for e in rows] == [
            ("东区工会", "合肥市", "fieldwork"), ("西区工会", "芜湖市", "fieldwork")]
        east, west = rows
        roles = {name: role for name, role in db.execute(
            select(User.username, Membership.role).join(Membership, Membership.user_id == User.id)
            .where(Membership.evaluation_id == east.id))}
        assert roles == {"f-lead": "lead", "f-evaluator": "evaluator", "u-east": "unit"}
        for e in rows:
            assert db.scalar(select(func.count(SampleDraw.id)).where(
                SampleDraw.evaluation_id == e.id, SampleDraw.role == "sample")) == 4
        # seeded per unit: same roster, different draws; the seed is the programme's + the key
        assert east.sampling_plan["seed"] == programmes.unit_seed(11, "ah-2026-001")
        assert east.sampling_plan["seed"] != west.sampling_plan["seed"]


def test_a_sheet_with_problems_creates_nothing_and_says_where(app, field, programme):
    data = sheet("东区工会,合肥市,east.csv,f-viewer,f-author,u-east",
                 ",芜湖市,west.csv,,,",
                 "北区工会,,missing.csv,,,f-lead",
                 "东区工会,合肥市,bad.csv,,,")
    bad = ROSTER.replace(b"\n", b"\nH-EXTRA,,,,,,,,\n", 1)
    with app.extensions["evaluator.sessionmaker"]() as db:
        with pytest.raises(DefinitionError) as error:
            programmes.read_units(db, db.get(Programme, programme), "units.csv", data,
                                  {"east.csv": ROSTER, "bad.csv": bad})
        problems = [str(p) for p in error.value.problems]
        text = "\n".join(problems)
        assert "units.csv: row 2, column lead: 'f-viewer' is not a user with role admin or lead" in text
        assert "units.csv: row 2, column evaluators: 'f-author' is not an evaluator or lead" in text
        assert "units.csv: row 3, column unit: the unit's name is required" in text
        assert "units.csv: row 4, column roster: no roster file 'missing.csv' was uploaded" in text
        assert "units.csv: row 4, column unit_user: 'f-lead' is not a user with role unit" in text
        assert "units.csv: row 5, column unit: '东区工会' is in the programme already" in text
        assert "bad.csv: row 2, column stratum: empty" in problems
        assert db.scalar(select(func.count(Evaluation.id)).where(
            Evaluation.programme_id == programme)) == 0


def test_a_units_location_comes_from_its_lat_and_lon_columns(app, field, programme):
    """Optional, both or neither, decimal degrees within range (the bounds themselves allowed)."""
    rosters = {"east.csv": ROSTER, "west.csv": ROSTER, "north.csv": ROSTER}
    bad = ("unit,roster,lat,lon\n"
           "甲,east.csv,31.82,\n"             # lat without lon
           "乙,east.csv,90.0001,117\n"        # just past the pole
           "丙,east.csv,31.8,117.2E\n"        # not a number
           "丁,east.csv,,-180.5\n"            # lon without lat, and out of range
           "戊,east.csv,-90,180\n").encode()  # the bounds: fine
    with app.extensions["evaluator.sessionmaker"]() as db:
        with pytest.raises(DefinitionError) as error:
            programmes.read_units(db, db.get(Programme, programme), "units.csv", bad, rosters)
        text = "\n".join(str(p) for p in error.value.problems)
    assert "units.csv: row 2, column lon: give both lat and lon, or neither (lat is given)" in text
    assert "row 3, column lat: '90.0001' is not decimal degrees between -90 and 90" in text
    assert "row 4, column lon: '117.2E' is not decimal degrees between -180 and 180" in text
    assert "row 5, column lat: give both lat and lon, or neither (lon is given)" in text
    assert "row 5, column lon: '-180.5' is not decimal degrees between -180 and 180" in text
    assert "row 6" not in text
    good = ("unit,region,roster,lat,lon\n东区工会,合肥市,east.csv,31.8206,117.2272\n"
            "西区工会,芜湖市,west.csv,,\n北区工会,淮北市,north.csv,-90,180\n").encode()
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        found = db.get(Programme, programme)
        made = programmes.import_units(db, db.get(User, field.users["lead"]), found,
                                       programmes.read_units(db, found, "units.csv", good, rosters))
        assert [(e.latitude, e.longitude) for e in made] == [
            (31.8206, 117.2272), (None, None), (-90.0, 180.0)]


def test_who_may_create_and_manage_a_programme(app, field, programme):
    with app.extensions["evaluator.sessionmaker"]() as db:
        rubric = db.scalar(select(RubricVersion))
        for role in ("evaluator", "viewer", "author"):
            with pytest.raises(OperationError, match="only administrators and team leads") as e:
                programmes.create_programme(
                    db, db.get(User, field.users[role]), key="x", title_zh="x",
                    commissioning_body="x", period_start=date(2026, 1, 1),
                    period_end=date(2026, 2, 1), rubric=rubric)
            assert e.value.status == 403
        with pytest.raises(OperationError) as e:
            programmes.create_programme(
                db, db.get(User, field.users["admin"]), key="ah-2026", title_zh="",
                commissioning_body="x", period_start=date(2026, 3, 1),
                period_end=date(2026, 2, 1), rubric=rubric, sample_rule={"size": 3, "margin": 0.1})
        assert e.value.problems == [
            "key: a programme 'ah-2026' exists already", "title_zh is required",
            "the period ends before it starts",
            "sample_rule: give exactly one of size, margin or threshold"]
        found = db.get(Programme, programme)
        assert programmes.can_manage(db, db.get(User, field.users["admin"]), found)
        assert programmes.can_manage(db, db.get(User, field.users["lead"]), found)
        another_lead = User(username="lead2", role="lead", display_name="", password_hash="x")
        db.add(another_lead)
        db.flush()
        assert not programmes.can_manage(db, another_lead, found)
