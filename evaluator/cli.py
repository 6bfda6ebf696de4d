"""The ``evaluator`` command.

Pure commands (check, xlsform, bundle, demo-data, sample, score) never build the web app;
commands that touch the database build it with ``create_app`` first. Feature packages keep
their own commands in ``commands.py`` and are registered here.
"""

from __future__ import annotations

import importlib
import sys

import click

from evaluator import __version__
from evaluator.definitions.problems import DefinitionError


class Group(click.Group):
    """Loads each command's module only when that command runs, and turns a ``DefinitionError``
    anywhere below into its problem list and exit 1, never a traceback.

    Lazy loading keeps ``evaluator check`` from paying for SciPy, WeasyPrint or Flask.
    """

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str):
        if name in self.lazy and name not in self.commands:
            module_name, attribute = self.lazy[name].split(":")
            self.add_command(getattr(importlib.import_module(module_name), attribute), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DefinitionError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{len(exc.problems)} problem(s) found.", err=True)
            sys.exit(1)


# Command name -> "module:attribute". Feature packages keep their commands in commands.py.
COMMANDS = {
    "check": "evaluator.rubrics.commands:check",
    "xlsform": "evaluator.surveys.commands:xlsform",
    "bundle": "evaluator.bundle.commands:bundle",
    "demo-data": "evaluator.bundle.commands:demo_data",
    "sample": "evaluator.sampling.commands:sample",
    "score": "evaluator.scoring.commands:score",
    "report": "evaluator.reports.commands:report",
    "db": "evaluator.app_commands:db",
    "load-definitions": "evaluator.app_commands:load_definitions",
    "users": "evaluator.app_commands:users",
    "setup-demo": "evaluator.app_commands:setup_demo",
    "serve": "evaluator.app_commands:serve",
}


@click.group(cls=Group, lazy=COMMANDS)
@click.version_option(__version__, prog_name="evaluator")
def main() -> None:
    """evaluator — third-party evaluation of aid programmes (第三方评估)."""
