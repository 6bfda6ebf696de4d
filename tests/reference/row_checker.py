"""Check each source's records, and every answer in them, against the source's survey.

Answers are checked the way ODK Collect would have checked them at the door: type, choice list,
``required`` when ``relevant`` is true, ``constraint`` with ``.`` the value, and calculations
re-computed. Expressions see the record's own answers over the household's roster row, so a
survey (or rubric) can use ``${local_standard}`` or ``${status}`` from the roster. The checks on
which records there are (keys, duplicates, roster and sample membership, repeat rows without
their record) run even when the answers are not checked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from evaluator.bundle.model import (
    HOUSEHOLD_KEY,
    UNSAMPLED_SOURCES,
    Bundle,
    SourceData,
    is_household_source,
    record_key,
)
from evaluator.bundle.parsing import DECIMAL_RE, INTEGER_RE, parse_date, parse_number, where
from evaluator.bundle.source_files import FieldSpec, SourceSpec, instance_key
from evaluator.definitions.expressions import ExpressionError, compile_expression, parse, references
from evaluator.definitions.problems import Problem

#: XLSForm metadata types: the device fills them, they are never "missing".
METADATA_TYPES = frozenset({
    "start", "end", "today", "deviceid", "username", "simserial", "subscriberid", "phonenumber",
    "audit", "email", "start-geopoint",
})
#: A calculated value may be exported rounded to whole yuan; more than this is a real mismatch.
CALCULATION_TOLERANCE = 0.5
_INVALID = "\x00invalid"  # key under which a record's badly typed fields travel to its repeat rows


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


def source_problems(
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
