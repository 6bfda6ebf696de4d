"""Check a whole bundle against its surveys (and rubric) and report every problem at once.

Evaluation teams fix bundles in batches, in Excel, often far from the person who runs the
scoring; so each problem names the file, the spreadsheet row and the column, and says why.
Nothing here stops early: a missing file still lets the other files be checked.

Answers are checked the way ODK Collect would have checked them at the door: type, choice list,
``required`` when ``relevant`` is true, ``constraint`` with ``.`` the value, and calculations
re-computed. Expressions see the record's own answers over the household's roster row, so a
survey (or rubric) can use ``${local_standard}`` or ``${status}`` from the roster.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from evaluator.bundle.model import (
    CATEGORIES,
    EVALUATION_FILE,
    EXITED,
    FINDINGS_FILE,
    HOUSEHOLD_KEY,
    JUDGEMENTS_FILE,
    README_FILE,
    REQUIRED_FILES,
    ROSTER_FILE,
    ROSTER_PERSONAL,
    SAMPLE_FILE,
    STATUSES,
    UNSAMPLED_SOURCES,
    Bundle,
    SourceData,
    is_household_source,
    record_key,
    source_file,
)
from evaluator.bundle.reader import (
    FieldSpec,
    SourceSpec,
    build_bundle,
    instance_key,
    parse_date,
    parse_number,
    read_files,
    roster_hash,
    shipped_surveys,
    source_spec,
    where,
)
from evaluator.definitions.expressions import ExpressionError, compile_expression, parse, references
from evaluator.definitions.problems import Problem
from evaluator.rubrics.definition import ROSTER_COLUMNS

ROSTER_REQUIRED = tuple(c for c in ROSTER_COLUMNS if c not in ROSTER_PERSONAL)
#: XLSForm metadata types: the device fills them, they are never "missing".
METADATA_TYPES = frozenset({
    "start", "end", "today", "deviceid", "username", "simserial", "subscriberid", "phonenumber",
    "audit", "email", "start-geopoint",
})
INTEGER_RE = re.compile(r"-?[0-9]+")
DECIMAL_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
#: A calculated value may be exported rounded to whole yuan; more than this is a real mismatch.
CALCULATION_TOLERANCE = 0.5
_INVALID = "\x00invalid"  # key under which a record's badly typed fields travel to its repeat rows


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
    problems += _roster_problems(bundle)
    problems += _sampling_problems(bundle, files)
    for source, data in bundle.sources.items():
        problems += _source_problems(bundle, source, data, specs.get(source), today, answers)
    problems += _finding_problems(bundle, rubric)
    problems += _judgement_problems(bundle, rubric)
    return problems


# -- files and definitions ----------------------------------------------------------------------


def _file_problems(bundle: Bundle, file_names: list[str]) -> list[Problem]:
    known = set(REQUIRED_FILES) | {README_FILE}
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
            problems.append(Problem(EVALUATION_FILE, "surveys", f"the rubric reads source {source!r}, which evaluation.yaml does not list"))
        elif ref.id and ref.id != survey_id:
            problems.append(Problem(EVALUATION_FILE, f"surveys.{source}", f"the rubric expects survey {survey_id!r}, not {ref.id!r}"))
    # Every column an indicator reads must be in its source's file (or the roster).
    for indicator in getattr(rubric, "indicators", ()):
        needed: dict[str, set[str]] = {}
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
                problems.append(Problem(data.file, "row 1",
                                        f"missing column {name!r}, which rubric indicator {indicator.code} reads"))
    return problems


def _refs_of(text: str) -> set[str]:
    try:
        return references(parse(text)) if text else set()
    except ExpressionError:
        return set()


# -- roster ---------------------------------------------------------------------------------------


def _roster_problems(bundle: Bundle) -> list[Problem]:
    if not bundle.roster_columns:
        return []
    file = ROSTER_FILE
    columns = set(bundle.roster_columns)
    problems = [Problem(file, "row 1", f"missing column {c!r}") for c in ROSTER_REQUIRED if c not in columns]
    stratum_column = bundle.stratum_column
    if stratum_column not in columns and stratum_column not in ROSTER_REQUIRED:
        problems.append(Problem(file, "row 1", f"missing column {stratum_column!r} (sampling.stratum_column)"))
    first_row: dict[str, int] = {}
    for i, row in enumerate(bundle.roster):
        n = bundle.roster_row_number(i)
        hid = row.get(HOUSEHOLD_KEY, "")
        if not hid:
            problems.append(Problem(file, where(n, HOUSEHOLD_KEY), "empty household_id"))
        elif hid in first_row:
            problems.append(Problem(file, where(n, HOUSEHOLD_KEY), f"duplicate household_id {hid!r} (also row {first_row[hid]})"))
        else:
            first_row[hid] = n
        for column in ("township", stratum_column):
            if column in columns and not row.get(column):
                problems.append(Problem(file, where(n, column), "empty"))
        if "category" in columns and row["category"] not in CATEGORIES:
            problems.append(Problem(file, where(n, "category"), f"{row['category']!r} is not one of {', '.join(CATEGORIES)}"))
        status = row.get("status", "")
        if "status" in columns and status not in STATUSES:
            problems.append(Problem(file, where(n, "status"), f"{status!r} is not one of {', '.join(STATUSES)}"))
        if "local_standard" in columns:
            standard = parse_number(row["local_standard"]) if DECIMAL_RE.fullmatch(row["local_standard"]) else None
            if standard is None or standard <= 0:
                problems.append(Problem(file, where(n, "local_standard"),
                                        f"{row['local_standard']!r} is not a positive amount (yuan per person per year)"))
        if "household_size" in columns:
            size = row["household_size"]
            if not INTEGER_RE.fullmatch(size) or int(size) < 1:
                problems.append(Problem(file, where(n, "household_size"), f"{size!r} is not a whole number >= 1"))
        registered = exited = None
        if "registered_date" in columns:
            registered = parse_date(row["registered_date"])
            if registered is None:
                problems.append(Problem(file, where(n, "registered_date"), f"{row['registered_date']!r} is not a date YYYY-MM-DD"))
        if "exit_date" in columns:
            text = row["exit_date"]
            exited = parse_date(text)
            if text and exited is None:
                problems.append(Problem(file, where(n, "exit_date"), f"{text!r} is not a date YYYY-MM-DD"))
            elif status == EXITED and not text:
                problems.append(Problem(file, where(n, "exit_date"), f"required: the status is {EXITED}"))
            elif text and status in STATUSES and status != EXITED:
                problems.append(Problem(file, where(n, "exit_date"), f"an exit date but the status is {status}, not {EXITED}"))
            if registered and exited and exited < registered:
                problems.append(Problem(file, where(n, "exit_date"), f"{exited} is before registered_date {registered}"))
        if bundle.meta.synthetic and _real_looking_id(row.get("id_number", "")):
            problems.append(Problem(file, where(n, "id_number"),
                                    "a synthetic bundle must not hold a valid-looking ID number; use 000000... or leave it out"))
    return problems


def _real_looking_id(text: str) -> bool:
    """An 18-character resident ID number with a valid GB 11643 check digit."""
    if len(text) != 18 or not text[:17].isdigit() or text[:6] == "000000":
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(text[:17], weights, strict=True)) % 11]
    return text[17].upper() == check


# -- sample and sampling plan ---------------------------------------------------------------------


def _sampling_problems(bundle: Bundle, files: Mapping[str, bytes] | None = None) -> list[Problem]:
    """``files`` gives the roster file's bytes, read only to compare them with the plan's roster
    sha256 (when the plan has no roster_hash)."""
    problems = []
    file = SAMPLE_FILE
    roster = bundle.roster_by_id
    column = bundle.stratum_column
    seen: dict[str, int] = {}
    orders: dict[tuple[str, str, int], int] = {}
    for s in bundle.sample:
        if s.household_id in seen:
            problems.append(Problem(file, where(s.row, HOUSEHOLD_KEY),
                                    f"household {s.household_id!r} drawn twice (also row {seen[s.household_id]})"))
        elif s.household_id:
            seen[s.household_id] = s.row
        roster_row = roster.get(s.household_id)
        if s.household_id and roster_row is None and bundle.roster_columns:
            problems.append(Problem(file, where(s.row, HOUSEHOLD_KEY), f"household {s.household_id!r} is not in roster.csv"))
        elif roster_row is not None and column in roster_row and roster_row[column] != s.stratum:
            problems.append(Problem(file, where(s.row, "stratum"),
                                    f"{s.stratum!r} but roster.csv puts household {s.household_id} in stratum {roster_row[column]!r}"))
        key = (s.stratum, s.role, s.order)
        if s.order and key in orders:
            problems.append(Problem(file, where(s.row, "order"),
                                    f"order {s.order} used twice for {s.role} in stratum {s.stratum} (also row {orders[key]})"))
        else:
            orders[key] = s.row

    plan = bundle.meta.sampling
    if plan is None or not bundle.roster_columns:
        return problems
    index = {
        str(entry.get("stratum")): i
        for i, entry in enumerate(plan.data.get("strata") or [])
        if isinstance(entry, dict)
    }

    def at(stratum: str, key: str) -> str:
        return f"sampling.strata[{index[stratum]}].{key}" if stratum in index else "sampling.strata"

    frame = bundle.frame_sizes()
    drawn = Counter(s.stratum for s in bundle.sample if s.role == "sample")
    reserves = Counter(s.stratum for s in bundle.sample if s.role == "reserve")
    consistent = True
    for stratum in sorted(set(frame) | set(plan.frame_sizes)):
        if plan.frame_sizes.get(stratum, 0) != frame.get(stratum, 0):
            consistent = False
            problems.append(Problem(EVALUATION_FILE, at(stratum, "population"),
                                    f"stratum {stratum}: {plan.frame_sizes.get(stratum, 0)} households but roster.csv has {frame.get(stratum, 0)}"))
    for stratum in sorted(set(drawn) | set(plan.sample_sizes)):
        if plan.sample_sizes.get(stratum, 0) != drawn.get(stratum, 0):
            consistent = False
            problems.append(Problem(EVALUATION_FILE, at(stratum, "sample"),
                                    f"stratum {stratum}: {plan.sample_sizes.get(stratum, 0)} drawn but sample.csv has {drawn.get(stratum, 0)} with role sample"))
    for stratum, count in sorted(reserves.items()):
        if count > plan.reserve:
            consistent = False
            problems.append(Problem(SAMPLE_FILE, "",
                                    f"{count} reserve households in stratum {stratum} but sampling.reserve_per_stratum is {plan.reserve}"))
    pairs = [(row.get(HOUSEHOLD_KEY, ""), row.get(column, "")) for row in bundle.roster]
    if plan.roster_hash:
        if plan.roster_hash != roster_hash(pairs):
            consistent = False
            problems.append(Problem(EVALUATION_FILE, "sampling.roster_hash",
                                    "does not match roster.csv: households or strata changed after the sample was drawn"))
    elif plan.roster_sha256 and files and ROSTER_FILE in files and plan.roster_sha256 != hashlib.sha256(files[ROSTER_FILE]).hexdigest():
        problems.append(Problem(EVALUATION_FILE, "sampling.roster.sha256",
                                "roster.csv is not byte for byte the file the sample was drawn from; "
                                "if it was only re-saved, add roster_hash (docs/bundle.md)"))
    if plan.seeded and consistent and not problems:
        problems += _redraw_problems(bundle, pairs)
    return problems


def _redraw_problems(bundle: Bundle, pairs: list[tuple[str, str]]) -> list[Problem]:
    """Repeat evaluator.sampling's seeded draw and compare it with sample.csv, row by row."""
    from evaluator.sampling import draw

    plan = bundle.meta.sampling
    if plan is None or plan.seed is None:
        return []
    try:
        expected = draw(pairs, dict(plan.sample_sizes), plan.reserve, seed=plan.seed)
    except ValueError as exc:
        return [Problem(EVALUATION_FILE, "sampling", f"the draw cannot be repeated: {exc}")]
    want = {(d.household_id, d.stratum, d.role, d.order) for d in expected}
    have = {(s.household_id, s.stratum, s.role, s.order): s.row for s in bundle.sample}
    problems = []
    for key, row in sorted(have.items(), key=lambda kv: kv[1]):
        if key not in want:
            problems.append(Problem(SAMPLE_FILE, f"row {row}",
                                    f"{key[0]} as {key[2]} {key[3]} is not what seed {plan.seed} draws from roster.csv"))
    missing = sorted(want - set(have))
    if missing:
        shown = ", ".join(f"{h} ({r} {o})" for h, _, r, o in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        problems.append(Problem(SAMPLE_FILE, "", f"seed {plan.seed} also draws {shown}{more}, absent from sample.csv"))
    return problems


# -- records ----------------------------------------------------------------------------------------


class _Compiled:
    """A field's expressions parsed once; ``refs`` tells which answers they need."""

    def __init__(self, spec: FieldSpec, survey_file: str, problems: list[Problem]):
        self.spec = spec
        self.relevant = self._compile(spec.relevant, "relevant", survey_file, problems)
        self.required = (
            self._compile(spec.required, "required", survey_file, problems)
            if isinstance(spec.required, str) else None
        )
        self.constraint = self._compile(spec.constraint, "constraint", survey_file, problems)
        self.calculation = self._compile(spec.calculation, "calculation", survey_file, problems)

    def _compile(self, text: str, what: str, survey_file: str, problems: list[Problem]):
        if not text:
            return None
        try:
            node = parse(text)
        except ExpressionError as exc:
            problems.append(Problem(survey_file, f"{self.spec.name}.{what}", f"cannot be parsed: {exc.message}"))
            return None
        return compile_expression(node), references(node), text


def _run(compiled, answers: Mapping[str, Any], today: date | None, current: Any = None) -> tuple[bool, Any]:
    """(ok, value): ok False when the expression cannot be evaluated on these answers."""
    run, _, _ = compiled
    try:
        return True, run(answers, current=current, today=today)
    except (ExpressionError, ZeroDivisionError, TypeError, ValueError):
        return False, None


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return bool(value)


def _source_problems(
    bundle: Bundle, source: str, data: SourceData, spec: SourceSpec | None, today: date | None,
    check_answers: bool = True,
) -> list[Problem]:
    problems: list[Problem] = []
    file = data.file
    key = record_key(source)
    household = is_household_source(source)
    header_of = {}
    for c in data.columns:
        if c.kind in ("field", "split", "geo") and c.name not in header_of:
            header_of[c.name] = c.header if c.kind == "field" else c.name
        if c.kind == "unknown":
            survey = f"survey {spec.survey_id} {spec.version}" if spec else "the survey"
            problems.append(Problem(file, f"row 1, column {c.header}", f"unknown column: not a field of {survey}"))
    for name in key:
        if name not in data.fields:
            problems.append(Problem(file, "row 1", f"missing column {name!r}"))
    checked = []
    if spec is not None:
        for f in spec.fields.values():
            if f.name in data.fields or f.name in key:
                if f.name in data.fields:
                    checked.append(_Compiled(f, spec.file, problems))
                continue
            if f.type in METADATA_TYPES:
                continue
            if f.required is True or f.type == "calculate":
                why = "a required field" if f.required is True else "a calculated field scoring may read"
                problems.append(Problem(file, "row 1", f"missing column {f.name!r} ({why} of survey {spec.survey_id})"))

    members = _repeat_answers(data, spec, problems, gather=check_answers)
    parents: dict[str, dict[str, Any]] = {}
    seen_keys: dict[tuple[str, ...], int] = {}
    seen_instances: dict[str, int] = {}
    sampled = {s.household_id for s in bundle.sample}
    for i, row in enumerate(data.rows):
        n = data.row_number(i)
        values = tuple(row.get(k, "") for k in key)
        for k, value in zip(key, values, strict=True):
            if k in data.fields and not value:
                problems.append(Problem(file, where(n, header_of.get(k, k)), f"empty {k}"))
        if all(values) and all(k in data.fields for k in key):
            if values in seen_keys:
                label = " + ".join(key)
                problems.append(Problem(file, where(n, header_of.get(key[0], key[0])),
                                        f"second record for {label} {'/'.join(values)} (also row {seen_keys[values]}); one is allowed"))
            else:
                seen_keys[values] = n
        instance = instance_key(data.paradata[i].get("instance_id", ""))
        if instance:
            if instance in seen_instances:
                problems.append(Problem(file, f"row {n}", f"submission {instance} appears twice (also row {seen_instances[instance]})"))
            else:
                seen_instances[instance] = n
        roster_row: Mapping[str, str] = {}
        hid = row.get(HOUSEHOLD_KEY, "")
        if household and hid:
            found = bundle.roster_by_id.get(hid)
            if found is None:
                if bundle.roster_columns:
                    problems.append(Problem(file, where(n, header_of.get(HOUSEHOLD_KEY, HOUSEHOLD_KEY)),
                                            f"household {hid!r} is not in roster.csv"))
            else:
                roster_row = found
                if source not in UNSAMPLED_SOURCES and bundle.sample and hid not in sampled:
                    problems.append(Problem(file, where(n, header_of.get(HOUSEHOLD_KEY, HOUSEHOLD_KEY)),
                                            f"household {hid!r} is not in sample.csv (neither sample nor reserve)"))
        if not check_answers:
            continue
        answers: dict[str, Any] = {**roster_row, **row}
        if members is not None:
            answers.update(members.get(instance) or members[""])
            if instance:
                parents[instance] = answers
        invalid = {c.spec.name for c in checked if row.get(c.spec.name) and type_problem(c.spec, row[c.spec.name])}
        if invalid and instance:
            parents[instance] = {**answers, _INVALID: invalid}
        for compiled in checked:
            problems += _field_problems(compiled, row.get(compiled.spec.name, ""), answers, file, n,
                                        header_of.get(compiled.spec.name, compiled.spec.name), today, invalid)
    if members is not None and spec is not None:
        _repeat_row_problems(data, spec, parents, today, problems, check_answers)
    return problems


def _repeat_answers(
    data: SourceData, spec: SourceSpec | None, problems: list[Problem], gather: bool = True
) -> dict[str, dict[str, list[str]]] | None:
    """instance id -> {repeat field: [one value per repeat row]} from the repeat files.

    None when the survey has repeats but the bundle lacks a repeat file: calculations over the
    repeat (``count(${member_relation})``) are then not re-computed. The "" entry holds empty
    lists, for records without any repeat row. With ``gather`` false, only the problems of the
    repeat files are found (and only the "" entry returned).
    """
    if spec is None or not spec.repeats:
        return None
    if not all(name in data.repeats for name in spec.repeats):
        return None
    instances = {instance_key(p.get("instance_id", "")) for p in data.paradata} - {""}
    empty = {f: [] for fields in spec.repeats.values() for f in fields}
    out: dict[str, dict[str, list[str]]] = {"": empty}
    for name, repeat in data.repeats.items():
        for c in repeat.columns:
            if c.kind == "unknown":
                problems.append(Problem(repeat.file, f"row 1, column {c.header}", f"unknown column: not a field of repeat {name!r}"))
        fields = spec.repeats.get(name, {})
        for i, (row, parent) in enumerate(zip(repeat.rows, repeat.parent_keys, strict=True)):
            key = instance_key(parent)
            if key not in instances:
                problems.append(Problem(repeat.file, where(repeat.row_number(i), "PARENT_KEY"), f"{parent!r} matches no record in {data.file}"))
                continue
            if not gather:
                continue
            bucket = out.setdefault(key, {f: [] for f in empty})
            for field_name in fields:
                bucket[field_name].append(row.get(field_name, ""))
    return out


def _repeat_row_problems(
    data: SourceData, spec: SourceSpec, parents: Mapping[str, Mapping[str, Any]], today: date | None,
    problems: list[Problem], check_answers: bool = True,
) -> None:
    """Check each repeat row's answers in the context of its record (group relevance, roster);
    without ``check_answers``, only that the fields' expressions parse."""
    for name, repeat in data.repeats.items():
        fields = spec.repeats.get(name, {})
        compiled = [_Compiled(f, spec.file, problems) for f in fields.values() if f.name in repeat.fields]
        if not check_answers:
            continue
        for i, (row, parent) in enumerate(zip(repeat.rows, repeat.parent_keys, strict=True)):
            context = parents.get(instance_key(parent))
            if context is None:
                continue  # reported: matches no record
            answers = {**context, **row}
            invalid = set(answers.pop(_INVALID, ()))
            for c in compiled:
                problems += _field_problems(c, row.get(c.spec.name, ""), answers, repeat.file, repeat.row_number(i), c.spec.name,
                                            today, invalid)


def _field_problems(
    compiled: _Compiled, value: str, answers: Mapping[str, Any], file: str, n: int, column: str,
    today: date | None,
    invalid: set[str] = frozenset(),
) -> list[Problem]:
    """Problems of one answer; ``invalid`` names answers of this record with a type problem,
    whose dependants are not judged (one wrong consent value must not make forty problems)."""
    spec = compiled.spec
    at = where(n, column)
    relevant = True
    if compiled.relevant is not None:
        if invalid & compiled.relevant[1]:
            return []
        ok, result = _run(compiled.relevant, answers, today)
        relevant = _truthy(result) if ok else True
        if not ok:
            return []  # relevance unknown (e.g. it reads a repeat whose file is absent)
    if value == "":
        if not relevant or spec.type in METADATA_TYPES or spec.type == "calculate":
            return []
        required = spec.required is True
        if compiled.required is not None:
            ok, result = _run(compiled.required, answers, today)
            required = ok and _truthy(result)
        if required:
            because = f" (relevant: {spec.relevant})" if spec.relevant else ""
            return [Problem(file, at, f"required answer missing{because}")]
        return []
    if not relevant:
        return [Problem(file, at, f"answered ({value!r}) although not relevant: {spec.relevant} is false")]
    message = type_problem(spec, value)
    if message:
        return [Problem(file, at, message)]
    problems = []
    if compiled.constraint is not None:
        ok, result = _run(compiled.constraint, answers, today, current=value)
        if ok and not _truthy(result):
            problems.append(Problem(file, at, f"{value!r} violates the constraint {spec.constraint}"))
    if compiled.calculation is not None:
        message = _calculation_problem(compiled, value, answers, today)
        if message:
            problems.append(Problem(file, at, message))
    return problems


def type_problem(spec: FieldSpec, value: str) -> str | None:
    """Why ``value`` is not a valid answer of ``spec``'s type and choice list, or None."""
    kind = spec.type
    if kind == "integer" and not INTEGER_RE.fullmatch(value):
        return f"{value!r} is not a whole number"
    if kind == "decimal" and not DECIMAL_RE.fullmatch(value):
        return f"{value!r} is not a number (digits and '.', no thousands separators)"
    if kind == "date" and parse_date(value) is None:
        return f"{value!r} is not a date YYYY-MM-DD"
    if kind == "select_one" and spec.choices and value not in spec.choices:
        return f"{value!r} is not in choice list {spec.list_name} ({' '.join(spec.choices)})"
    if kind == "select_multiple" and spec.choices:
        chosen = value.split()
        bad = [v for v in chosen if v not in spec.choices]
        if bad:
            return f"{' '.join(repr(b) for b in bad)} not in choice list {spec.list_name} ({' '.join(spec.choices)})"
        if len(set(chosen)) != len(chosen):
            return f"{value!r} names a choice twice"
    if kind == "geopoint":
        parts = value.split()
        numbers = [parse_number(p) for p in parts]
        if not 2 <= len(parts) <= 4 or any(x is None for x in numbers):
            return f"{value!r} is not a geopoint 'latitude longitude [altitude accuracy]'"
        if not (-90 <= numbers[0] <= 90 and -180 <= numbers[1] <= 180):
            return f"{value!r} is not a valid latitude/longitude"
    return None


def _calculation_problem(compiled: _Compiled, value: str, answers: Mapping[str, Any], today: date | None) -> str | None:
    """Re-compute a calculate field when every answer it reads is present; compare numbers."""
    _, refs, text = compiled.calculation
    if any(name not in answers for name in refs):
        return None
    ok, result = _run(compiled.calculation, answers, today)
    if not ok or result is None:
        return None
    stated = parse_number(value)
    if isinstance(result, bool) or not isinstance(result, int | float):
        return None if str(result) == value else f"{value!r} but {text} gives {result!r}"
    if math.isnan(result) or math.isinf(result):
        return None
    if stated is None:
        return f"{value!r} is not a number but {text} gives {result:.2f}"
    if abs(stated - result) > CALCULATION_TOLERANCE + 1e-9 * abs(result):
        return f"{value} but {text} gives {result:.2f} from this record's answers"
    return None


# -- findings and judgements ------------------------------------------------------------------------


def _finding_problems(bundle: Bundle, rubric: Any | None) -> list[Problem]:
    problems = []
    codes = {i.code for i in rubric.indicators} if rubric is not None else None
    for f in bundle.findings:
        if codes is not None and f.indicator and f.indicator not in codes:
            problems.append(Problem(FINDINGS_FILE, where(f.row, "indicator"), f"{f.indicator!r} is not an indicator of rubric {rubric.id}"))
        if f.household_id and bundle.roster_columns and f.household_id not in bundle.roster_by_id:
            problems.append(Problem(FINDINGS_FILE, where(f.row, HOUSEHOLD_KEY), f"household {f.household_id!r} is not in roster.csv"))
    return problems


def _judgement_problems(bundle: Bundle, rubric: Any | None) -> list[Problem]:
    problems = []
    indicators = {i.code: i for i in rubric.indicators} if rubric is not None else None
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
            problems.append(Problem(JUDGEMENTS_FILE, where(j.row, "score"), f"{j.score:g} is negative"))
        if indicators is None or not j.indicator:
            continue
        indicator = indicators.get(j.indicator)
        if indicator is None:
            problems.append(Problem(JUDGEMENTS_FILE, where(j.row, "indicator"), f"{j.indicator!r} is not an indicator of rubric {rubric.id}"))
        elif indicator.method != "judgement":
            problems.append(Problem(JUDGEMENTS_FILE, where(j.row, "indicator"),
                                    f"{j.indicator} is scored by method {indicator.method}, not by judgement"))
        elif j.score is not None and indicator.scale is not None and j.score > indicator.scale:
            problems.append(Problem(JUDGEMENTS_FILE, where(j.row, "score"), f"{j.score:g} is above the scale maximum {indicator.scale:g}"))
    return problems
