"""``evaluator check``: rubrics and surveys are checked together, as they will be used together.

A rubric is only as good as the survey fields it reads, so the command takes every file and
folder it is given, tells rubrics from surveys by their content, and reports every problem of
all of them at once (one per line, exit 1) or a one-line summary (exit 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from evaluator.definitions.problems import DefinitionError, Problem
from evaluator.rubrics.validation import check_together
from evaluator.rubrics.yaml_reading import read_yaml
from evaluator.surveys.definition import build_survey, load_survey
from evaluator.surveys.validation import check_survey

YAML_SUFFIXES = (".yaml", ".yml")
SURVEY_SUFFIXES = (".xlsx", ".xlsm", ".xls")  # XLSForm workbooks are always surveys


@dataclass
class CheckResult:
    """What ``check_paths`` found: the problems, or what was checked for the summary."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # what the tablet does differently
    rubrics: int = 0
    indicators: int = 0
    surveys: int = 0
    fields: int = 0

    @property
    def summary(self) -> str:
        text = (
            f"ok: {_count(self.rubrics, 'rubric')} ({_count(self.indicators, 'indicator')}), "
            f"{_count(self.surveys, 'survey')} ({_count(self.fields, 'field')})"
        )
        return text + (f", {_count(len(self.warnings), 'warning')}" if self.warnings else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def definition_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Files named, and the YAML/XLSX files directly inside folders named, in a stable order."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and p.suffix.lower() in YAML_SUFFIXES + SURVEY_SUFFIXES
                and not p.name.startswith((".", "~$"))
            )
            if not found:
                problems.append(
                    Problem(str(path), "", "no .yaml, .yml or .xlsx files in this folder")
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), "", "no such file or folder"))
    unique = list(dict.fromkeys(files))
    return unique, problems


def check_paths(paths: Sequence[str | Path]) -> CheckResult:
    """Read, sort out and check every rubric and survey under ``paths``."""
    result = CheckResult()
    files, result.problems = definition_files(paths)
    rubric_docs: list[tuple[str, Any]] = []
    surveys: dict[str, Any] = {}
    survey_files: dict[str, str] = {}
    unchecked: set[str] = set()

    for path in files:
        name = str(path)
        if path.suffix.lower() in SURVEY_SUFFIXES:
            _add_survey(path, name, None, surveys, survey_files, unchecked, result)
            continue
        try:
            data = read_yaml(path)
        except DefinitionError as exc:
            result.problems.extend(exc.problems)
            continue
        is_survey = isinstance(data, dict) and "survey" in data
        is_rubric = isinstance(data, dict) and "dimensions" in data
        if is_survey and is_rubric:
            result.problems.append(
                Problem(
                    name, "", "has both `survey:` and `dimensions:`; a file is one or the other"
                )
            )
        elif is_survey:
            _add_survey(path, name, data, surveys, survey_files, unchecked, result)
        elif is_rubric:
            rubric_docs.append((name, data))
        else:
            result.problems.append(
                Problem(
                    name,
                    "",
                    "neither a survey (no `survey:` key) nor a rubric (no `dimensions:` key)",
                )
            )

    result.problems.extend(check_together(rubric_docs, surveys, unchecked_surveys=unchecked))
    result.rubrics = len(rubric_docs)
    result.indicators = sum(_indicator_count(data) for _, data in rubric_docs)
    result.surveys = len(surveys)
    result.fields = sum(len(s.fields) for s in surveys.values())
    if not files and not result.problems:
        result.problems.append(Problem(", ".join(map(str, paths)), "", "nothing to check"))
    return result


def _indicator_count(data: dict) -> int:
    dimensions = data.get("dimensions")
    if not isinstance(dimensions, list):
        return 0
    return sum(
        len(d["indicators"])
        for d in dimensions
        if isinstance(d, dict) and isinstance(d.get("indicators"), list)
    )


def _add_survey(
    path: Path,
    name: str,
    data: Any,
    surveys: dict[str, Any],
    survey_files: dict[str, str],
    unchecked: set[str],
    result: CheckResult,
) -> None:
    """Check one survey; keep it for the rubrics' field checks when it is sound."""
    declared_id = data.get("id") if isinstance(data, dict) else None
    survey = None
    if data is None:  # an XLSForm workbook: the surveys module reads and checks it
        try:
            survey = load_survey(path)
            problems = []
            result.warnings.extend(survey.warnings)
        except DefinitionError as exc:
            problems = list(exc.problems)
    else:
        problems, warnings = check_survey(data, name)
        result.warnings.extend(warnings)
        if not problems:
            survey = build_survey(data, name, tuple(warnings))
    if problems or survey is None:
        result.problems.extend(problems)
        if isinstance(declared_id, str):
            unchecked.add(declared_id)
        return
    if survey.id in survey_files:
        result.problems.append(
            Problem(
                name, "id", f"survey id '{survey.id}' is also used by {survey_files[survey.id]}"
            )
        )
        return
    surveys[survey.id] = survey
    survey_files[survey.id] = name


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check rubrics and surveys (files or folders) together.

    Prints every problem, one per line, and exits 1; or prints a one-line summary and exits 0.

    \b
    Example:  evaluator check rubrics surveys
    """
    result = check_paths(paths)
    for warning in dict.fromkeys(result.warnings):
        click.echo(f"warning: {warning}", err=True)
    if result.problems:
        problems = list(dict.fromkeys(result.problems))  # file order, each problem once
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        ctx.exit(1)
    click.echo(result.summary)
