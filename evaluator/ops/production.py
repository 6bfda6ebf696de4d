"""The production start: what must be configured before evaluator serves real users.

``evaluator serve --production`` (and ``gunicorn evaluator.wsgi:app`` directly) refuse to start
while any of these is missing, each named with the variable that fixes it:

- a secret key given by the operator (``EVALUATOR_SECRET_KEY``, 32+ characters), the same on
  every app machine (a key generated into one machine's instance folder signs sessions no
  other machine accepts);
- a server database (``EVALUATOR_DATABASE_URL=postgresql+psycopg://...``): SQLite is one
  file on one machine;
- secure cookies (``EVALUATOR_SESSION_COOKIE_SECURE=true``, served over HTTPS);
- a job queue every process shares (``EVALUATOR_QUEUE_URL=redis://...``): the embedded queue
  lives in one process's memory.

Each can be waived on purpose (a trial on one machine, a test stack over loopback http) with
``EVALUATOR_ALLOW=plain-http,sqlite,no-queue`` (or ``--allow`` on ``serve``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

WAIVERS = ("plain-http", "sqlite", "no-queue")


class UnsafeConfig(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def allowed(config: Mapping[str, Any]) -> set[str]:
    text = str(config.get("ALLOW") or os.environ.get("EVALUATOR_ALLOW", ""))
    waived = {part.strip() for part in text.split(",") if part.strip()}
    unknown = waived - set(WAIVERS)
    if unknown:
        raise UnsafeConfig([f"EVALUATOR_ALLOW: unknown {', '.join(sorted(unknown))}; "
                            f"known: {', '.join(WAIVERS)}"])
    return waived


def production_problems(config: Mapping[str, Any]) -> list[str]:
    """What keeps this configuration from serving real users (empty: nothing)."""
    waived = allowed(config)
    problems = []
    if not os.environ.get("EVALUATOR_SECRET_KEY") and not config.get("SECRET_KEY_GIVEN"):
        problems.append("no secret key: set EVALUATOR_SECRET_KEY to 32 or more random "
                        "characters, the same on every app machine "
                        "(python3 -c 'import secrets; print(secrets.token_hex(32))')")
    elif len(str(config.get("SECRET_KEY", ""))) < 32:
        problems.append("EVALUATOR_SECRET_KEY is shorter than 32 characters")
    if str(config.get("DATABASE_URL", "")).startswith("sqlite") and "sqlite" not in waived:
        problems.append("the database is SQLite: set EVALUATOR_DATABASE_URL="
                        "postgresql+psycopg://USER:PASSWORD@HOST/DB (or EVALUATOR_ALLOW=sqlite "
                        "for one machine)")
    if not config.get("SESSION_COOKIE_SECURE") and "plain-http" not in waived:
        problems.append("cookies are not marked secure: serve over HTTPS and set "
                        "EVALUATOR_SESSION_COOKIE_SECURE=true (or EVALUATOR_ALLOW=plain-http)")
    if not config.get("QUEUE_URL") and "no-queue" not in waived:
        problems.append("no job queue: set EVALUATOR_QUEUE_URL=redis://HOST:6379/0 and run "
                        "`evaluator worker` processes (or EVALUATOR_ALLOW=no-queue)")
    return problems


def production_app():
    """The app for gunicorn: checked, with compressed static files."""
    from evaluator.app import create_app

    app = create_app({"STATIC_COMPRESS": True,
                      "REQUEST_LOG": os.environ.get("EVALUATOR_REQUEST_LOG", "true").lower()
                      not in ("0", "false", "no", "off")})
    problems = production_problems(app.config)
    if problems:
        raise UnsafeConfig(problems)
    return app


def exec_gunicorn(bind: str, workers: int | None, allow: str | None) -> None:
    """Check the configuration here (a clear list, exit 1), then become gunicorn."""
    import shutil
    import sys

    import click

    if allow is not None:
        os.environ["EVALUATOR_ALLOW"] = allow
    from evaluator.config import load_config

    try:
        problems = production_problems(load_config())
    except UnsafeConfig as exc:
        problems = exc.problems
    if problems:
        click.echo("evaluator will not serve production traffic like this:", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    os.environ["EVALUATOR_BIND"] = bind
    if workers is not None:
        os.environ["EVALUATOR_WORKERS"] = str(workers)
    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
    os.execv(gunicorn, [gunicorn, "-c", "python:evaluator.ops.gunicorn_conf",
                        "evaluator.wsgi:app"])
