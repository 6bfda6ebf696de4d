"""A migration that adds a rule refuses a database that already breaks it, naming the rows,
instead of failing half-way on the index or silently keeping the bad rows."""

import os

import pytest
from sqlalchemy import inspect, text

from evaluator.migrate import current_revision, downgrade, upgrade

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("EVALUATOR_TEST_DATABASE_URL")),
    reason="downgrades the database: only on the per-test SQLite file, never the shared server")


def test_0008_refuses_two_current_records_of_one_household_and_source(
        app, field, sign_in, api_post, household_record):
    sign_in("evaluator")
    household = field.sample[0]
    assert api_post(household_record(household)).status_code == 201
    engine = app.extensions["evaluator.engine"]
    downgrade(engine, "0007")
    assert current_revision(engine) == "0007"
    assert count(engine, "submissions") == 1  # rebuilding households kept its record
    columns = [c["name"] for c in inspect(engine).get_columns("submissions")]
    copied = ", ".join("'00000000-0000-4000-8000-000000000001'" if c == "instance_id" else c
                       for c in columns if c != "id")
    with engine.begin() as connection:  # what racing devices could leave before the index
        connection.execute(text(f"INSERT INTO submissions ({', '.join(c for c in columns if c != 'id')}) "
                                f"SELECT {copied} FROM submissions"))

    with pytest.raises(RuntimeError, match=f"household {household} has two current household"):
        upgrade(engine)
    assert current_revision(engine) == "0007"  # nothing half-done

    with engine.begin() as connection:
        connection.execute(text(
            "UPDATE submissions SET current = false WHERE instance_id = '00000000-0000-4000-8000-000000000001'"))
    upgrade(engine)
    assert current_revision(engine) == "0012"


def count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_an_upgrade_through_every_rebuilt_table_keeps_every_row(
        app, field, sign_in, api_post, household_record):
    """0005-0010 rebuild users, rubric versions, evaluations, findings, attachments and sample draws on
    SQLite (copy, drop, rename). With foreign keys on, dropping a parent either failed the
    upgrade ("FOREIGN KEY constraint failed" on DROP TABLE users) or emptied its children by
    cascade; an existing instance upgrades with every row kept."""
    sign_in("evaluator")
    assert api_post(household_record(field.sample[0])).status_code == 201
    engine = app.extensions["evaluator.engine"]
    with engine.begin() as connection:  # 0007 brought the unit role; older schemas refuse it
        connection.execute(text("DELETE FROM memberships WHERE role = 'unit'"))
        connection.execute(text("DELETE FROM users WHERE role = 'unit'"))
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    before = {table: count(engine, table) for table in tables}
    downgrade(engine, "0004")
    upgrade(engine)
    assert current_revision(engine) == "0012"
    assert {table: count(engine, table) for table in tables} == before
    assert before["submissions"] == 1 and before["households"] == 8 and before["users"] >= 4
