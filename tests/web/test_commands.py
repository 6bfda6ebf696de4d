"""Database commands: migrations, loading definitions (immutable versions), users, the demo set-up."""

import shutil

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from evaluator.auth.models import User
from evaluator.cli import main
from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
from evaluator.rubrics.models import RubricVersion
from evaluator.surveys.models import SurveyVersion


@pytest.fixture
def cli(app, monkeypatch):
    """Run ``evaluator`` against the test app's database, as the console script would."""
    monkeypatch.setenv("EVALUATOR_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("EVALUATOR_INSTANCE_PATH", app.config["INSTANCE_PATH"])
    monkeypatch.setenv("EVALUATOR_SECRET_KEY", "test")

    def run(*args, input=None):
        return CliRunner().invoke(main, list(map(str, args)), input=input, catch_exceptions=False)

    return run


def count(app, model):
    with app.extensions["evaluator.sessionmaker"]() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_load_definitions_stores_each_version_once(app, cli):
    first = cli("load-definitions")
    assert first.exit_code == 0, first.output
    assert count(app, RubricVersion) == 1
    assert count(app, SurveyVersion) == 4
    again = cli("load-definitions")
    assert again.exit_code == 0
    assert "0 stored, 5 already stored" in again.output
    assert count(app, RubricVersion) == 1


def test_a_stored_version_cannot_change(app, cli, tmp_path):
    assert cli("load-definitions").exit_code == 0
    changed = tmp_path / "rubrics"
    shutil.copytree(RUBRICS_DIR, changed)
    path = changed / "union-hardship.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["title"]["zh"] += "（修订）"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = cli("load-definitions", changed, SURVEYS_DIR)
    assert result.exit_code == 1
    assert "is already stored with different content" in result.output
    assert "Traceback" not in result.output
    with app.extensions["evaluator.sessionmaker"]() as db:
        stored = db.scalar(select(RubricVersion))
        assert "修订" not in stored.title_zh


def test_invalid_definitions_are_not_stored(app, cli, tmp_path):
    broken = tmp_path / "rubrics"
    shutil.copytree(RUBRICS_DIR, broken)
    path = broken / "union-hardship.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("total: 100", "total: 90"), encoding="utf-8")
    result = cli("load-definitions", broken, SURVEYS_DIR)
    assert result.exit_code == 1
    assert "union-hardship.yaml" in result.output
    assert count(app, RubricVersion) == 0 and count(app, SurveyVersion) == 0


def test_users_add_refuses_duplicates(app, cli):
    created = cli("users", "add", "wang", "--role", "lead", input="pw-12345\npw-12345\n")
    assert created.exit_code == 0, created.output
    with app.extensions["evaluator.sessionmaker"]() as db:
        user = db.scalar(select(User).where(User.username == "wang"))
        assert user.role == "lead" and user.check_password("pw-12345")
    again = cli("users", "add", "wang", "--role", "lead", input="pw-12345\npw-12345\n")
    assert again.exit_code != 0 and "already exists" in again.output


def test_setup_demo_is_safe_to_run_twice(app, cli, tmp_path):
    out = tmp_path / "demo"
    first = cli("setup-demo", "--out", out)
    assert first.exit_code == 0, first.output
    assert "synthetic" in first.output and "demo-2026" in first.output
    written = {p.name: p.read_bytes() for p in out.iterdir()}
    replaced = demo_replacements(app)  # the demo's refusals took their reserves, in order
    assert replaced["refused"] > 0 and replaced["refused"] == replaced["taken"] + replaced["none_left"]
    assert f"{replaced['refused']} refusals replaced from the reserves" in first.output
    second = cli("setup-demo", "--out", out)
    assert second.exit_code == 0, second.output
    assert count(app, User) == 5
    assert {p.name: p.read_bytes() for p in out.iterdir()} == written


def test_the_commands_know_every_role():
    from evaluator.app_commands import USER_ROLES
    from evaluator.auth.models import ROLES

    assert USER_ROLES == ROLES


def demo_replacements(app) -> dict[str, int]:
    from sqlalchemy import select

    from evaluator.fieldwork.models import Household, SampleDraw
    from evaluator.sampling.reserves import Reserve, order_problems

    with app.extensions["evaluator.sessionmaker"]() as db:
        rows = db.execute(select(SampleDraw, Household.stratum).join(
            Household, Household.id == SampleDraw.household_pk)).all()
    refused = [d for d, _ in rows if d.outcome == "refused"]
    taken = {d.replaces_pk for d, _ in rows if d.replaces_pk is not None}
    strata: dict[str, list[Reserve]] = {}
    for d, stratum in rows:
        if d.role == "reserve":
            strata.setdefault(stratum, []).append(Reserve(str(d.household_pk), d.draw_order,
                                                          d.released))
    assert all(order_problems(s, r) == [] for s, r in strata.items())  # taken in list order
    left = {s: [r for r in rs if not r.used] for s, rs in strata.items()}
    stratum_of = {d.household_pk: s for d, s in rows}
    return {"refused": len(refused), "taken": sum(d.household_pk in taken for d in refused),
            "none_left": sum(d.household_pk not in taken and not left[stratum_of[d.household_pk]]
                             for d in refused)}
