"""``evaluator xlsform``: move questionnaires between the YAML model and XLSForm workbooks.

Both directions check the survey first; a problem becomes a ``DefinitionError``, which the CLI
group prints with its sheet, row and column and turns into exit status 1.
"""

from __future__ import annotations

from pathlib import Path

import click

from evaluator.surveys.definition import load_survey
from evaluator.surveys.xlsform import export_xlsform, import_xlsform
from evaluator.surveys.yaml_io import dump_survey


@click.group()
def xlsform() -> None:
    """XLSForm (ODK/KoboToolbox) workbooks in and out (问卷导入导出)."""


@xlsform.command("import")
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the YAML here (default: print it).")
def import_command(workbook: Path, output: Path | None) -> None:
    """Convert an XLSForm WORKBOOK (.xlsx) to the survey YAML."""
    text = dump_survey(import_xlsform(workbook))
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {output}", err=True)


@xlsform.command("export")
@click.argument("survey", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .xlsx workbook to write.")
def export_command(survey: Path, output: Path) -> None:
    """Convert a SURVEY YAML file to an XLSForm workbook."""
    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("the output must end in .xlsx", param_hint="-o")
    loaded = load_survey(survey)
    export_xlsform(loaded.content, output, source=str(survey))
    click.echo(f"Wrote {output}", err=True)
