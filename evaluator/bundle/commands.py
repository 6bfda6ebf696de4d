"""``evaluator bundle check`` (``evaluator demo-data`` is in ``demo_command``, so that checking
and scoring a bundle never import the demo generator).

A pure command: they read definitions and files, never the database. ``bundle check``
prints every problem (file, row, column, why) and exits 1, or one summary line and exits 0, so a
team can run it after every export from ODK Central / KoboToolbox before handing the bundle over.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from evaluator.bundle.check import check_files
from evaluator.bundle.model import Ref
from evaluator.bundle.reader import build_bundle, read_files, shipped_surveys
from evaluator.definitions.problems import DefinitionError

if TYPE_CHECKING:
    from evaluator.rubrics.definition import Rubric


def _surveys(surveys_dir: str | None) -> dict[str, Any]:
    if surveys_dir is None:
        return shipped_surveys()
    from evaluator.surveys.definition import load_surveys

    return load_surveys(surveys_dir)


def shipped_rubric(ref: Ref, surveys: Any, rubrics_dir: str | Path | None = None) -> Rubric | None:
    """The rubric with the bundle's id and version among the shipped (or given) rubrics."""
    from evaluator.paths import RUBRICS_DIR
    from evaluator.rubrics.definition import load_rubric

    folder = Path(rubrics_dir or RUBRICS_DIR)
    if not ref.id or not folder.is_dir():
        return None
    for path in sorted(folder.glob("*.yaml")):
        try:
            rubric = load_rubric(path, surveys)
        except DefinitionError:
            continue
        if rubric.id == ref.id and str(rubric.version) == ref.version:
            return rubric
    return None


@click.group("bundle")
def bundle() -> None:
    """Evaluation bundles (评估数据包): a folder or .zip of evaluation.yaml and CSV files."""


@bundle.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--surveys", "surveys_dir", type=click.Path(exists=True),
              help="Survey definitions (folder or file); default: the shipped surveys.")
@click.option("--rubric", "rubric_path", type=click.Path(exists=True, dir_okay=False),
              help="Rubric to check findings, judgements and columns against; default: the "
                   "shipped rubric the bundle names, if there is one.")
def check(path: Path, surveys_dir: str | None, rubric_path: str | None) -> None:
    """Check the bundle at PATH (folder or .zip): every problem, with file, row and column."""
    surveys = _surveys(surveys_dir)
    files, problems = read_files(path)
    if files is None:
        _fail(problems)
    bundle_, read_problems = build_bundle(files, surveys, origin=str(path), release=True)
    rubric = None
    note = ""
    if rubric_path:
        from evaluator.rubrics.definition import load_rubric

        rubric = load_rubric(rubric_path, surveys)
    elif bundle_ is not None:
        rubric = shipped_rubric(bundle_.meta.rubric, surveys)
        if rubric is None and bundle_.meta.rubric.id:
            note = f"rubric {bundle_.meta.rubric.id} {bundle_.meta.rubric.version} not found; rubric checks skipped"
    problems = check_files(files, surveys, rubric, bundle=bundle_, read_problems=problems + read_problems)
    if note:
        click.echo(f"note: {note}", err=True)
    if problems or bundle_ is None:  # no bundle comes with its problems
        _fail(problems)
    counts = [f"roster.csv {len(bundle_.roster)}", f"sample.csv {len(bundle_.sample)}"]
    for source, data in bundle_.sources.items():
        counts.append(f"{source}.csv {len(data.rows)}")
        counts += [f"{source}-{name}.csv {len(r.rows)}" for name, r in data.repeats.items()]
    counts += [f"findings.csv {len(bundle_.findings)}", f"judgements.csv {len(bundle_.judgements)}"]
    synthetic = " SYNTHETIC" if bundle_.meta.synthetic else ""
    click.echo(f"OK{synthetic} {path}: " + ", ".join(counts) + f"; data {bundle_.data_hash}")


def _fail(problems: list) -> NoReturn:
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"{len(problems)} problem(s) found.", err=True)
    sys.exit(1)
