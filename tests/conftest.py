"""Shared fixtures: ``app``, ``client``, ``runner`` and a ``login`` helper, as in Flask's tutorial.

The database is SQLite in a temporary folder unless ``EVALUATOR_TEST_DATABASE_URL`` names
another (``make test`` sets it to a throwaway PostgreSQL for its second run). PostgreSQL is
migrated once per session and emptied after each test.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from evaluator.app import create_app
from evaluator.db import Base
from evaluator.migrate import upgrade

SERVER_URL = os.environ.get("EVALUATOR_TEST_DATABASE_URL")


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
            user = User(username=username, role=role, display_name=username)
            user.set_password(password)
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
