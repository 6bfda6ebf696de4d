"""``evaluator xlsform``: move questionnaires between the YAML model and XLSForm workbooks.

Import takes every form pyxform converts and prints one line per form: imported (id, version,
rows), how many warnings with the first few, and how its languages were mapped. A form that
cannot be imported prints its problems (sheet, row, column) and the command goes on with the
next; the exit status is 1 if any form failed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from evaluator.definitions.problems import DefinitionError
from evaluator.surveys.definition import load_survey
from evaluator.surveys.subset import LANGUAGE_RE
from evaluator.surveys.xlsform import read_xlsform
from evaluator.surveys.xlsform_export import export_xlsform
from evaluator.surveys.yaml_io import dump_survey


@click.group()
def xlsform() -> None:
    """XLSForm (ODK/KoboToolbox) workbooks in and out (问卷导入导出)."""


@xlsform.command("import")
@click.argument("workbooks", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="The YAML file to write (one form), or a folder for <id>.yaml files "
                   "(several forms). Default: print the YAML of one form.")
@click.option("--language", help="Language code of labels without one (e.g. en, zh); default: "
                                 "the settings' default_language, else read from the labels.")
@click.option("--attach", "attachments", multiple=True,
              type=click.Path(exists=True, path_type=Path),
              help="A CSV/XML file (or a folder of them) the form reads, besides those next to "
                   "the workbook.")
@click.option("--verbose", is_flag=True, help="Print every warning, not just the first three.")
def import_command(workbooks: tuple[Path, ...], output: Path | None, language: str | None,
                   attachments: tuple[Path, ...], verbose: bool) -> None:
    """Convert XLSForm WORKBOOKS (.xlsx, .xls) to survey YAML."""
    if language is not None and not LANGUAGE_RE.fullmatch(language):
        raise click.BadParameter("a language code such as en or zh", param_hint="--language")
    if len(workbooks) > 1 and (output is None or output.suffix):
        raise click.BadParameter("several forms need a folder to write to", param_hint="-o")
    failed = 0
    for workbook in workbooks:
        try:
            imported = read_xlsform(workbook, language=language, attachments=list(attachments))
        except DefinitionError as error:
            failed += 1
            for problem in error.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{workbook}: not imported, {len(error.problems)} problem(s)", err=True)
            continue
        text = dump_survey(imported.data)
        click.echo(imported.summary(str(workbook)), err=True)
        if verbose:
            for warning in imported.warnings:
                click.echo(f"  warning: {warning}", err=True)
        if output is None:
            click.echo(text, nl=False)
            continue
        target = output / f"{imported.data['id']}.yaml" if len(workbooks) > 1 else output
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        click.echo(f"  wrote {target}", err=True)
    if failed:
        sys.exit(1)


@xlsform.command("export")
@click.argument("survey", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .xlsx workbook to write (attached files go beside it).")
def export_command(survey: Path, output: Path) -> None:
    """Convert a SURVEY YAML file to an XLSForm workbook."""
    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("the output must end in .xlsx", param_hint="-o")
    loaded = load_survey(survey)
    written = export_xlsform(loaded.content, output, source=str(survey))
    click.echo(f"Wrote {output}", err=True)
    for path in written:
        click.echo(f"Wrote {path}", err=True)
