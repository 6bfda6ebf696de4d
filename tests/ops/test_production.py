"""The production start refuses an unsafe configuration, naming the variable that fixes each
problem, unless that check is waived on purpose."""

import pytest
from click.testing import CliRunner

from evaluator.cli import main
from evaluator.ops.production import UnsafeConfig, production_problems

SAFE = {"SECRET_KEY": "k" * 64, "DATABASE_URL": "postgresql+psycopg://u@db/evaluator",
        "SESSION_COOKIE_SECURE": True, "QUEUE_URL": "redis://queue:6379/0"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("EVALUATOR_SECRET_KEY", "EVALUATOR_ALLOW", "EVALUATOR_DATABASE_URL",
                 "EVALUATOR_QUEUE_URL", "EVALUATOR_SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)


def test_a_safe_configuration_passes(monkeypatch):
    monkeypatch.setenv("EVALUATOR_SECRET_KEY", SAFE["SECRET_KEY"])
    assert production_problems(SAFE) == []


@pytest.mark.parametrize(("change", "named"), [
    ({"SECRET_KEY": "short"}, "shorter than 32"),
    ({"DATABASE_URL": "sqlite:////srv/evaluator.sqlite3"}, "EVALUATOR_DATABASE_URL"),
    ({"SESSION_COOKIE_SECURE": False}, "EVALUATOR_SESSION_COOKIE_SECURE=true"),
    ({"QUEUE_URL": ""}, "EVALUATOR_QUEUE_URL"),
])
def test_each_unsafe_setting_is_named(monkeypatch, change, named):
    monkeypatch.setenv("EVALUATOR_SECRET_KEY", "k" * 64)
    problems = production_problems({**SAFE, **change})
    assert len(problems) == 1 and named in problems[0]


def test_a_generated_secret_key_is_not_enough():
    problems = production_problems(SAFE)  # the key was not given by the operator
    assert len(problems) == 1 and "EVALUATOR_SECRET_KEY" in problems[0]


def test_checks_are_waived_only_by_name(monkeypatch):
    monkeypatch.setenv("EVALUATOR_SECRET_KEY", "k" * 64)
    unsafe = {**SAFE, "DATABASE_URL": "sqlite:///x", "SESSION_COOKIE_SECURE": False,
              "QUEUE_URL": ""}
    assert len(production_problems(unsafe)) == 3
    assert production_problems({**unsafe, "ALLOW": "plain-http,sqlite,no-queue"}) == []
    monkeypatch.setenv("EVALUATOR_ALLOW", "plain-http")
    assert len(production_problems(unsafe)) == 2
    with pytest.raises(UnsafeConfig, match="unknown everything"):
        production_problems({**unsafe, "ALLOW": "everything"})


def test_serve_production_lists_the_problems_and_exits_1(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALUATOR_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["serve", "--production"])
    assert result.exit_code == 1
    for named in ("EVALUATOR_SECRET_KEY", "EVALUATOR_DATABASE_URL",
                  "EVALUATOR_SESSION_COOKIE_SECURE", "EVALUATOR_QUEUE_URL"):
        assert named in result.output
    assert "Traceback" not in result.output


def test_gunicorn_itself_refuses_the_unsafe_app(tmp_path, monkeypatch):
    import importlib
    import sys

    monkeypatch.setenv("EVALUATOR_INSTANCE_PATH", str(tmp_path))
    sys.modules.pop("evaluator.wsgi", None)
    with pytest.raises(UnsafeConfig, match="EVALUATOR_SECRET_KEY"):
        importlib.import_module("evaluator.wsgi")
    sys.modules.pop("evaluator.wsgi", None)
