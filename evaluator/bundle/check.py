"""Check a whole bundle against its surveys (and rubric) and report every problem at once.

Evaluation teams fix bundles in batches, in Excel, often far from the person who runs the
scoring; so each problem names the file, the spreadsheet row and the column, and says why.
Nothing here stops early: a missing file still lets the other files be checked.

This module holds the entry points and the checks of the files, the surveys and rubric they
name, and findings.csv and judgements.csv; ``check_roster`` checks roster.csv, sample.csv and
the sampling plan, ``check_records`` each source's records and answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from evaluator.bundle.check_records import source_problems
from evaluator.bundle.check_roster import roster_problems, sampling_problems
from evaluator.bundle.model import (
    APPENDIX_FILES,
    EVALUATION_FILE,
    FINDINGS_FILE,
    HOUSEHOLD_KEY,
    JUDGEMENTS_FILE,
    README_FILE,
    REQUIRED_FILES,
    ROSTER_FILE,
    SAMPLE_FILE,
    Bundle,
    source_file,
)
from evaluator.bundle.parsing import where
from evaluator.bundle.reader import build_bundle, read_files, shipped_surveys
from evaluator.bundle.source_files import SourceSpec, source_spec
from evaluator.definitions.expressions import ExpressionError, parse, references
from evaluator.definitions.problems import Problem, coded


def bundle_problems(
    bundle_path: str | Path,
    surveys: Mapping[str, Any] | None,
    rubric: Any | None = None,
    *,
    today: date | None = None,
) -> list[Problem]:
    """Every problem of the bundle at ``bundle_path``, in file then row order ([] when clean).

    ``surveys`` is ``load_surveys`` output (keyed by survey id; None: the shipped surveys);
    ``rubric`` an optional
    ``Rubric``, adding checks that findings and judgements name its indicators and that the
    columns its indicators read are present. ``today`` is for ``today()`` in constraints.
    """
    files, problems = read_files(bundle_path)
    if files is None:
        return problems
    return check_files(files, surveys, rubric, read_problems=problems, origin=str(bundle_path), today=today)


def check_files(
    files: Mapping[str, bytes],
    surveys: Mapping[str, Any] | None,
    rubric: Any | None = None,
    *,
    bundle: Bundle | None = None,
    read_problems: Iterable[Problem] = (),
    origin: str = "",
    today: date | None = None,
) -> list[Problem]:
    """``bundle_problems`` for files already read (the web app's upload); ``bundle`` and
    ``read_problems`` save building the bundle again when the caller has done it."""
    if surveys is None:
        surveys = shipped_surveys()
    problems = list(read_problems)
    if bundle is None:
        bundle, more = build_bundle(files, surveys, origin=origin)
        problems += more
    if bundle is not None:
        problems += check_bundle(bundle, surveys, rubric, files=files, today=today)
    return ordered(problems)


def ordered(problems: Iterable[Problem]) -> list[Problem]:
    """Unique problems by file (bundle order), then row number as a number, then column."""
    rank = {name: i for i, name in enumerate((EVALUATION_FILE, ROSTER_FILE, SAMPLE_FILE))}
    tail = {FINDINGS_FILE: 1, JUDGEMENTS_FILE: 2}

    def key(p: Problem) -> tuple:
        match = re.match(r"row (\d+)", p.where)
        row = int(match.group(1)) if match else 0
        return (rank.get(p.file, 3), tail.get(p.file, 0), p.file, row, p.where, p.message)

    return sorted(set(problems), key=key)


def check_bundle(
    bundle: Bundle,
    surveys: Mapping[str, Any],
    rubric: Any | None = None,
    *,
    files: Mapping[str, bytes] | None = None,
    today: date | None = None,
    answers: bool = True,
) -> list[Problem]:
    """The checks beyond reading: values, cross-file consistency, survey and rubric agreement.

    ``files`` (name -> bytes, as read) adds the checks on file names and the roster file hash.
    ``answers=False`` leaves out the checks of each answer of the records (and repeat rows) of
    every source against its survey (type, choice list, relevance, required, constraint,
    calculation): for records already checked that way as they were entered, as the web app's
    form and system upload do. Every other check stays, those on which records there are (keys,
    duplicates, roster and sample membership, repeat rows without their record) included.
    """
    problems: list[Problem] = []
    problems += _file_problems(bundle, list(files or ()))
    specs = _specs(bundle, surveys, problems)
    if rubric is not None:
        problems += _rubric_problems(bundle, rubric, specs)
    problems += roster_problems(bundle)
    problems += sampling_problems(bundle, files)
    for source, data in bundle.sources.items():
        problems += source_problems(bundle, source, data, specs.get(source), today, answers)
    problems += _finding_problems(bundle, rubric)
    problems += _judgement_problems(bundle, rubric)
    return problems


# -- files and definitions ----------------------------------------------------------------------


def _file_problems(bundle: Bundle, file_names: list[str]) -> list[Problem]:
    known = set(REQUIRED_FILES) | {README_FILE, *APPENDIX_FILES}
    sources = set(bundle.meta.surveys)
    known |= {source_file(s) for s in sources}
    problems = []
    for name in file_names:
        if name in known:
            continue
        if name.endswith(".csv") and any(name.startswith(f"{s}-") for s in sources):
            continue  # a repeat file, e.g. household-members.csv
        problems.append(Problem(name, "", "unknown file: not a bundle file nor a source listed in evaluation.yaml"))
    return problems


def _specs(bundle: Bundle, surveys: Mapping[str, Any], problems: list[Problem]) -> dict[str, SourceSpec]:
    specs: dict[str, SourceSpec] = {}
    for source, ref in bundle.meta.surveys.items():
        if not ref.id:
            continue  # evaluation.yaml was unreadable; already reported
        survey = surveys.get(ref.id)
        where_ = f"surveys.{source}"
        if survey is None:
            known = ", ".join(sorted(surveys)) or "none"
            problems.append(Problem(EVALUATION_FILE, where_,
                                    f"survey {ref.id!r} is not among the loaded surveys ({known}); its records cannot be checked"))
            continue
        version = str(getattr(survey, "version", ""))
        if ref.version and version != ref.version:
            problems.append(Problem(EVALUATION_FILE, f"{where_}.version",
                                    f"the bundle was made with {ref.id} version {ref.version} but version {version} is loaded"))
        declared = getattr(survey, "source", source)
        if declared and declared != source:
            problems.append(Problem(EVALUATION_FILE, where_, f"survey {ref.id!r} feeds source {declared!r}, not {source!r}"))
        spec = source_spec(source, ref, surveys)
        if spec is not None:
            specs[source] = spec
    return specs


def _rubric_problems(bundle: Bundle, rubric: Any, specs: Mapping[str, SourceSpec]) -> list[Problem]:
    problems = []
    meta = bundle.meta
    if meta.rubric.id and (meta.rubric.id != rubric.id or meta.rubric.version != str(rubric.version)):
        problems.append(Problem(EVALUATION_FILE, "rubric",
                                f"the bundle names rubric {meta.rubric.id} {meta.rubric.version} but {rubric.id} {rubric.version} is used"))
    for source, survey_id in dict(getattr(rubric, "sources", {}) or {}).items():
        ref = meta.surveys.get(source)
        if ref is None:
            problems.append(coded(EVALUATION_FILE, "surveys", "problem_source_not_listed", source=source))
        elif ref.id and ref.id != survey_id:
            problems.append(Problem(EVALUATION_FILE, f"surveys.{source}", f"the rubric expects survey {survey_id!r}, not {ref.id!r}"))
    # Every column an indicator reads must be in its source's file (or the roster).
    for indicator in getattr(rubric, "indicators", ()):
        needed: dict[str | None, set[str]] = {}
        source = getattr(indicator, "source", None)
        for key, expression in getattr(indicator, "expressions", {}).items():
            target = source
            if key == "right.value" and getattr(indicator, "right", None) is not None:
                target = indicator.right.source
            node = getattr(expression, "node", None) or getattr(expression, "ast", None)
            names = references(node) if node is not None else _refs_of(getattr(expression, "text", ""))
            needed.setdefault(target, set()).update(names)
        for name in tuple(getattr(indicator, "items", ())) + tuple(getattr(indicator, "fields", ())):
            needed.setdefault(source, set()).add(name)
        for target, names in needed.items():
            data = bundle.sources.get(target) if target else None
            if data is None:
                continue
            have = set(data.fields) | set(bundle.roster_columns)
            for name in sorted(names - have):
                problems.append(coded(data.file, "row 1", "problem_rubric_column_missing", name=name,
                                      indicator=indicator.code))
    return problems


def _refs_of(text: str) -> set[str]:
    try:
        return references(parse(text)) if text else set()
    except ExpressionError:
        return set()


# -- findings and judgements ------------------------------------------------------------------------


def _finding_problems(bundle: Bundle, rubric: Any | None) -> list[Problem]:
    problems = []
    codes = {i.code for i in rubric.indicators} if rubric is not None else None
    rubric_id = rubric.id if rubric is not None else ""
    for f in bundle.findings:
        if codes is not None and f.indicator and f.indicator not in codes:
            problems.append(coded(FINDINGS_FILE, where(f.row, "indicator"), "problem_not_an_indicator",
                                  indicator=f.indicator, rubric=rubric_id))
        if f.household_id and bundle.roster_columns and f.household_id not in bundle.roster_positions:
            problems.append(coded(FINDINGS_FILE, where(f.row, HOUSEHOLD_KEY), "problem_household_not_in_roster",
                                  household=f.household_id))
    return problems


def _judgement_problems(bundle: Bundle, rubric: Any | None) -> list[Problem]:
    problems = []
    indicators = {i.code: i for i in rubric.indicators} if rubric is not None else None
    rubric_id = rubric.id if rubric is not None else ""
    seen: dict[tuple[str, str], int] = {}
    for j in bundle.judgements:
        key = (j.indicator, j.evaluator)
        if j.indicator and j.evaluator:
            if key in seen:
                problems.append(Problem(JUDGEMENTS_FILE, where(j.row, "evaluator"),
                                        f"{j.evaluator} scored {j.indicator} twice (also row {seen[key]})"))
            else:
                seen[key] = j.row
        if j.score is not None and j.score < 0:
            problems.append(coded(JUDGEMENTS_FILE, where(j.row, "score"), "problem_score_negative",
                                  score=f"{j.score:g}"))
        if indicators is None or not j.indicator:
            continue
        indicator = indicators.get(j.indicator)
        if indicator is None:
            problems.append(coded(JUDGEMENTS_FILE, where(j.row, "indicator"), "problem_not_an_indicator",
                                  indicator=j.indicator, rubric=rubric_id))
        elif indicator.method != "judgement":
            problems.append(Problem(JUDGEMENTS_FILE, where(j.row, "indicator"),
                                    f"{j.indicator} is scored by method {indicator.method}, not by judgement"))
        elif j.score is not None and indicator.scale is not None and j.score > indicator.scale:
            problems.append(coded(JUDGEMENTS_FILE, where(j.row, "score"), "problem_score_above_scale",
                                  score=f"{j.score:g}", scale=f"{indicator.scale:g}"))
    return problems
