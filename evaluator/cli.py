"""The ``evaluator`` command.

Pure commands (check, xlsform, bundle, demo-data, sample, score) never build the web app;
commands that touch the database build it with ``create_app`` first. Feature packages keep
their own commands in ``commands.py`` and are registered here.
"""

from __future__ import annotations

import sys

import click

from evaluator import __version__
from evaluator.definitions.problems import DefinitionError


class Group(click.Group):
    """Turns a ``DefinitionError`` anywhere below into its problem list and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DefinitionError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{len(exc.problems)} problem(s) found.", err=True)
            sys.exit(1)


@click.group(cls=Group)
@click.version_option(__version__, prog_name="evaluator")
def main() -> None:
    """evaluator — third-party evaluation of aid programmes (第三方评估)."""


def _register() -> None:
    # One line per feature package; each module defines click commands and nothing else.
    from evaluator import app_commands

    for command in app_commands.COMMANDS:
        main.add_command(command)
    # -- feature commands below (one import + add_command each) --
    from evaluator.sampling.commands import sample
    main.add_command(sample)


_register()
