"""The migrated schema matches the models and enforces its CHECK constraints."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from evaluator.auth.models import User
from evaluator.db import Base
from evaluator.migrate import current_revision
from evaluator.rubrics.models import RubricVersion


def test_migrations_reach_head_and_match_the_models(app):
    engine = app.extensions["evaluator.engine"]
    assert current_revision(engine) == "0012"
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_unknown_role_is_refused_by_the_database(app):
    with app.extensions["evaluator.sessionmaker"]() as db:
        user = User(username="x", role="superuser", display_name="")
        user.set_password("pw")
        db.add(user)
        with pytest.raises(IntegrityError):
            db.commit()


def test_rubric_version_is_unique_per_key(app):
    make = app.extensions["evaluator.sessionmaker"]
    row = {"key": "r", "version": "1", "title_zh": "评估", "content_hash": "0" * 64, "content": {}}
    with make() as db, db.begin():
        db.add(RubricVersion(**row))
    with make() as db:
        db.add(RubricVersion(**row))
        with pytest.raises(IntegrityError):
            db.commit()
