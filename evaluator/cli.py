"""The ``evaluator`` command.

Pure commands (check, xlsform, bundle, demo-data, sample, score) never build the web app;
commands that touch the database build it with ``create_app`` first. Feature packages keep
their own commands in ``commands.py`` and are registered here.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from evaluator import __version__
from evaluator.definitions.problems import DefinitionError

# One BLAS thread unless the environment says otherwise: NumPy's OpenBLAS starts a thread per
# core as it is imported (about 50 ms of CPU on every command that imports NumPy), and no command
# multiplies matrices large enough to use them; set before any command imports NumPy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


class Group(click.Group):
    """Loads each command's module only when that command runs, and turns a ``DefinitionError``
    anywhere below into its problem list and exit 1, never a traceback.

    Lazy loading keeps ``evaluator check`` from paying for SciPy, WeasyPrint or Flask, and
    ``evaluator --help`` from importing any command: the list is written from ``summaries``
    (tests/unit/test_cli_startup.py holds them to the commands' own help).
    """

    def __init__(self, *args, lazy: dict[str, str] | None = None,
                 summaries: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})
        self.summaries = dict(summaries or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str):
        if name in self.lazy and name not in self.commands:
            module_name, attribute = self.lazy[name].split(":")
            self.add_command(getattr(importlib.import_module(module_name), attribute), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list as click writes it, from ``summaries`` for commands not loaded."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is None and name in self.summaries:
                command = click.Command(name, help=self.summaries[name])
            command = command or self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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
    "demo-data": "evaluator.bundle.demo_command:demo_data",
    "sample": "evaluator.sampling.commands:sample",
    "score": "evaluator.scoring.commands:score",
    "report": "evaluator.reports.commands:report",
    "verify": "evaluator.reports.commands:verify",
    "programme": "evaluator.programmes.commands:programme",
    "db": "evaluator.app_commands:db",
    "load-definitions": "evaluator.app_commands:load_definitions",
    "users": "evaluator.app_commands:users",
    "setup-demo": "evaluator.app_commands:setup_demo",
    "serve": "evaluator.app_commands:serve",
    "worker": "evaluator.ops.commands:worker",
    "storage": "evaluator.ops.commands:storage",
    "backup": "evaluator.ops.commands:backup",
    "restore": "evaluator.ops.commands:restore",
    "stack": "evaluator.ops.commands:stack",
}

#: Command name -> the first paragraph of its help, for ``evaluator --help`` without imports.
SUMMARIES = {
    "check": "Check rubrics and surveys (files or folders) together.",
    "xlsform": "XLSForm (ODK/KoboToolbox) workbooks in and out (问卷导入导出).",
    "bundle": "Evaluation bundles (评估数据包): a folder or .zip of evaluation.yaml and CSV files.",
    "demo-data": "Write a SYNTHETIC demo bundle (演示数据) to OUT (a folder, or a file ending .zip).",
    "sample": "Draw a stratified random sample of households from ROSTER (.csv or .xlsx).",
    "score": "Score the evaluation bundle BUNDLE (folder or .zip): total, grade, every indicator.",
    "report": "Write the scored assessment report of BUNDLE (folder or .zip) to --out.",
    "verify": "Check that REPORT.pdf's numbers are reproduced (核验报告).",
    "programme": "Programmes (评估项目总体): many units scored, pooled and ranked together.",
    "db": "Database schema (数据库).",
    "load-definitions": "Validate and store rubrics and surveys (default: the shipped ones).",
    "users": "User accounts (用户).",
    "setup-demo": "Everything `make run` needs: schema, shipped definitions, demo bundle and demo logins.",
    "serve": "Serve the app: Werkzeug's server for one user (make run), gunicorn with --production.",
    "worker": "Run one queue worker (RQ) for report and batch jobs; start one per core.",
    "storage": "The file storage (photos, report PDFs).",
    "backup": "Write the database and the stored files to OUT (a .tar archive), while the app runs.",
    "restore": "Restore a backup made by `evaluator backup` into this instance's (empty) database "
               "and file storage.",
    "stack": "A throwaway local production stack on loopback (PostgreSQL, Redis, S3, gunicorn, "
             "queue workers) for trying the deployment; everything is removed when it stops "
             "(Ctrl-C).",
}


@click.group(cls=Group, lazy=COMMANDS, summaries=SUMMARIES)
@click.version_option(__version__, prog_name="evaluator")
def main() -> None:
    """evaluator — third-party evaluation of aid programmes (第三方评估)."""
