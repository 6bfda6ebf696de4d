"""Commands that need the web app and its database: schema, definitions, users, demo, serve.

Flask and SQLAlchemy are imported inside the commands so that the pure commands (check, score,
sample...) start without loading the web stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
import yaml

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.orm import Session

#: evaluator.auth.models.ROLES, spelled out so that this module loads without SQLAlchemy
#: (tests/web/test_commands.py holds the two equal).
USER_ROLES = ("admin", "author", "lead", "evaluator", "viewer", "unit")


def _app() -> Flask:
    from evaluator.app import create_app

    return create_app()


def _session(app: Flask) -> Session:
    return app.extensions["evaluator.sessionmaker"]()


@click.group()
def db() -> None:
    """Database schema (数据库)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from evaluator.migrate import current_revision, upgrade

    app = _app()
    engine = app.extensions["evaluator.engine"]
    upgrade(engine, revision)
    click.echo(f"database at revision {current_revision(engine)}: {engine.url.render_as_string()}")


@click.command("load-definitions")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def load_definitions(paths: tuple[Path, ...]) -> None:
    """Validate and store rubrics and surveys (default: the shipped ones).

    A stored version never changes: loading different content under an existing id+version is
    refused, so a published rubric cannot be edited behind a report's back.
    """
    from sqlalchemy import select

    from evaluator.definitions.problems import DefinitionError
    from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
    from evaluator.rubrics.commands import check_paths, definition_files
    from evaluator.rubrics.definition import content_hash
    from evaluator.rubrics.models import RubricVersion
    from evaluator.surveys.definition import load_survey
    from evaluator.surveys.models import SurveyVersion

    paths = paths or (RUBRICS_DIR, SURVEYS_DIR)
    result = check_paths(list(paths))
    if result.problems:
        raise DefinitionError(result.problems)
    files, _ = definition_files(paths)
    app = _app()
    added = unchanged = 0
    with _session(app) as db_session, db_session.begin():
        for file in files:
            if file.suffix.lower() == ".xlsx":
                content = load_survey(file).content
            else:
                content = yaml.safe_load(file.read_text(encoding="utf-8"))
            kind = "rubric" if "dimensions" in content else "survey"
            model = RubricVersion if kind == "rubric" else SurveyVersion
            digest = content_hash(content)
            existing = db_session.scalar(
                select(model).where(model.key == content["id"], model.version == str(content["version"]))
            )
            if existing is not None:
                if existing.content_hash != digest:
                    raise DefinitionError([_changed_problem(file, content)])
                unchanged += 1
                continue
            title = content.get("title") or {}
            fields = {"key": content["id"], "version": str(content["version"]),
                      "title_zh": title.get("zh", ""), "title_en": title.get("en", ""),
                      "content_hash": digest, "content": content}
            if kind == "survey":
                fields["source"] = content.get("source", content["id"])
            db_session.add(model(**fields))
            added += 1
    click.echo(f"definitions: {added} stored, {unchanged} already stored")


def _changed_problem(file: Path, content: dict):
    from evaluator.definitions.problems import Problem

    return Problem(str(file), "version",
                   f"{content['id']} version {content['version']} is already stored with different "
                   "content; published versions are immutable, give this one a new version")


@click.group()
def users() -> None:
    """User accounts (用户)."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(list(USER_ROLES)), required=True)
@click.option("--name", "display_name", default="")
@click.password_option()
def users_add(username: str, role: str, display_name: str, password: str) -> None:
    """Create a user."""
    from sqlalchemy import select

    from evaluator.auth.models import User

    app = _app()
    with _session(app) as db_session, db_session.begin():
        if db_session.scalar(select(User).where(User.username == username)) is not None:
            raise click.ClickException(f"user {username!r} already exists")
        user = User(username=username, role=role, display_name=display_name)
        user.set_password(password)
        db_session.add(user)
    click.echo(f"user {username} ({role}) created")


@users.command("passwd")
@click.argument("username")
@click.password_option()
def users_passwd(username: str, password: str) -> None:
    """Set a user's password."""
    from evaluator.auth.models import User

    app = _app()
    with _session(app) as db_session, db_session.begin():
        user = _user(db_session, User, username)
        user.set_password(password)
    click.echo(f"password of {username} changed")


@users.command("unlock")
@click.argument("username", required=False)
@click.option("--address", help="also clear this client address's own count (and only its "
              "pairs when no user name is given)")
def users_unlock(username: str | None, address: str | None) -> None:
    """Lift the sign-in delay of a user name (every address) or of an address."""
    from evaluator.auth import throttle

    if not username and not address:
        raise click.UsageError("name a user, an --address, or both")
    app = _app()
    with _session(app) as db_session, db_session.begin():
        cleared = throttle.unlock(db_session, username, address)
    click.echo(f"sign-in delays cleared: {cleared}")


@users.command("deactivate")
@click.argument("username")
def users_deactivate(username: str) -> None:
    """Stop a user from signing in; every session they have ends now."""
    from evaluator.auth.models import User
    from evaluator.people.operations import set_active

    app = _app()
    with _session(app) as db_session, db_session.begin(), _refusals():
        set_active(db_session, None, _user(db_session, User, username), False)
    click.echo(f"{username} deactivated; their sessions are ended")


@users.command("activate")
@click.argument("username")
def users_activate(username: str) -> None:
    """Let a deactivated user sign in again."""
    from evaluator.auth.models import User
    from evaluator.people.operations import set_active

    app = _app()
    with _session(app) as db_session, db_session.begin(), _refusals():
        set_active(db_session, None, _user(db_session, User, username), True)
    click.echo(f"{username} may sign in again")


@users.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(list(USER_ROLES)))
def users_role(username: str, role: str) -> None:
    """Change a user's role (their places in evaluations must still fit it)."""
    from evaluator.auth.models import User
    from evaluator.people.operations import change_role

    app = _app()
    with _session(app) as db_session, db_session.begin(), _refusals():
        old = change_role(db_session, None, _user(db_session, User, username), role)
    click.echo(f"role of {username}: {old} -> {role}")


@contextmanager
def _refusals() -> Iterator[None]:
    """An operation's refusal as the command's error message (exit 1), never a traceback."""
    from evaluator.fieldwork.audit import OperationError

    try:
        yield
    except OperationError as error:
        raise click.ClickException(error.message) from None


def _user(db_session, model, username: str):
    from sqlalchemy import select

    user = db_session.scalar(select(model).where(model.username == username))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    return user


@click.command("setup-demo")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Where to write the demo bundle (default: instance/demo-bundle).")
def setup_demo(out: Path | None) -> None:
    """Everything `make run` needs: schema, shipped definitions, demo bundle and demo logins."""
    from sqlalchemy import select

    from evaluator.auth.models import User
    from evaluator.bundle import load_bundle, write_demo
    from evaluator.migrate import current_revision, upgrade

    app = _app()
    engine = app.extensions["evaluator.engine"]
    upgrade(engine)
    click.echo(f"database: {engine.url.render_as_string()} at revision {current_revision(engine)}")
    ctx = click.get_current_context()
    ctx.invoke(load_definitions, paths=())
    out = out or Path(app.instance_path) / "demo-bundle"
    write_demo(out, overwrite=True)
    bundle = load_bundle(out)
    counts = ", ".join(f"{source} {len(data.rows)}" for source, data in sorted(bundle.sources.items()))
    click.echo(f"demo bundle (synthetic 模拟数据): {out} — roster {len(bundle.roster)}, "
               f"sample {len(bundle.sample)}, {counts}")
    with _session(app) as db_session, db_session.begin():
        for username, role, name in DEMO_USERS:
            if db_session.scalar(select(User).where(User.username == username)) is None:
                user = User(username=username, role=role, display_name=name)
                user.set_password(DEMO_PASSWORD)
                db_session.add(user)
    from evaluator.fieldwork.manage.demo import create_demo_evaluation

    with app.app_context(), _session(app) as db_session, db_session.begin():
        people = {u.username: u for u in db_session.scalars(select(User))}
        click.echo(create_demo_evaluation(
            db_session, out, lead=people["lead"], evaluator=people["eva1"],
            viewer=people["viewer"],
            storage=app.extensions["evaluator.storage"]))
    click.echo(f"demo logins (password for all: {DEMO_PASSWORD}):")
    for username, role, name in DEMO_USERS:
        click.echo(f"  {username:<10} {role:<10} {name}")


DEMO_PASSWORD = "demo-2026"
DEMO_USERS = (
    ("admin", "admin", "系统管理员"),
    ("author", "author", "方案设计"),
    ("lead", "lead", "评估组长"),
    ("eva1", "evaluator", "调查员一"),
    ("viewer", "viewer", "委托方"),
)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--production", is_flag=True,
              help="Serve with gunicorn (evaluator/ops/gunicorn_conf.py); refuses an unsafe "
                   "configuration (README, Deploying).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="gunicorn worker processes with --production (default: the cores, min 2).")
@click.option("--allow", default=None,
              help="With --production, waive checks on purpose: plain-http, sqlite, no-queue.")
def serve(host: str, port: int, production: bool, workers: int | None,
          allow: str | None) -> None:
    """Serve the app: Werkzeug's server for one user (make run), gunicorn with --production."""
    if production:
        from evaluator.ops.production import exec_gunicorn

        exec_gunicorn(f"{host}:{port}", workers, allow)
        return
    app = _app()
    click.echo(f"serving on http://{host}:{port}/ (Ctrl-C stops)")
    app.run(host=host, port=port, debug=False, use_reloader=False)


COMMANDS = (db, load_definitions, users, setup_demo, serve)
