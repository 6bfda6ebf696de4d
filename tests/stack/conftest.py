"""The local production stack (evaluator.ops.stack), started once for these tests: PostgreSQL,
Redis, an S3-compatible server, gunicorn with 2 workers and 2 queue workers.

They run when asked for by marker (``pytest -m stack``, as ``make test-stack`` and so
``make test`` do); a plain ``pytest`` run (the SQLite suite) skips them, saying how to run them.
"""

from __future__ import annotations

import os

import pytest

from evaluator.ops.stack import Stack


def pytest_collection_modifyitems(config, items):
    asked = "stack" in (config.getoption("markexpr") or "").replace("not stack", "")
    for item in items:
        if "tests/stack/" in str(item.fspath):
            item.add_marker(pytest.mark.stack)
            if not asked:
                item.add_marker(pytest.mark.skip(reason="the production stack: make test-stack"))


@pytest.fixture(scope="session")
def stack():
    with Stack(web_workers=2, queue_workers=2, s3=True) as running:
        saved = {k: os.environ.get(k) for k in running.env if k.startswith("AWS_")}
        os.environ.update({k: v for k, v in running.env.items() if k.startswith("AWS_")})
        try:
            yield running
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(scope="session")
def stack_app(stack, tmp_path_factory):
    """An app in this process configured like the stack's (its database, queue, storage)."""
    from evaluator.app import create_app

    app = create_app({
        "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path_factory.mktemp("stack-app")),
        "DATABASE_URL": stack.env["EVALUATOR_DATABASE_URL"],
        "QUEUE_URL": stack.env["EVALUATOR_QUEUE_URL"],
        "STORAGE_URL": stack.env["EVALUATOR_STORAGE_URL"]})
    yield app
    app.extensions["evaluator.engine"].dispose()
