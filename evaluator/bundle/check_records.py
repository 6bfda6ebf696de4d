"""Check each source's records, and every answer in them, against the source's survey.

Answers are checked the way ODK Collect would have checked them at the door: type, choice list,
``required`` when ``relevant`` is true, ``constraint`` with ``.`` the value, and calculations
re-computed. Expressions see the record's own answers over the household's roster row, so a
survey (or rubric) can use ``${local_standard}`` or ``${status}`` from the roster. The checks on
which records there are (keys, duplicates, roster and sample membership, repeat rows without
their record) run even when the answers are not checked. The answers are checked a field at a
time over all records (``check_columns``).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from operator import attrgetter
from typing import Any

import numpy as np

from evaluator.bundle.check_columns import (
    METADATA_TYPES,
    CompiledField,
    FieldColumn,
    RecordAnswers,
    RepeatAnswers,
    field_problems,
    typed,
)
from evaluator.bundle.model import (
    HOUSEHOLD_KEY,
    UNSAMPLED_SOURCES,
    Bundle,
    RepeatData,
    SourceData,
    is_household_source,
    record_key,
)
from evaluator.bundle.parsing import where
from evaluator.bundle.rows import Rows
from evaluator.bundle.source_files import SourceSpec, instance_keys
from evaluator.definitions.expr_columns import Frame
from evaluator.definitions.problems import Problem, coded


def source_problems(
    bundle: Bundle, source: str, data: SourceData, spec: SourceSpec | None, today: date | None,
    check_answers: bool = True,
) -> list[Problem]:
    """Every problem of one source's records (and repeat rows), in no particular order."""
    problems: list[Problem] = []
    file = data.file
    key = record_key(source)
    header_of: dict[str, str] = {}
    for c in data.columns:
        if c.kind in ("field", "split", "geo") and c.name not in header_of:
            header_of[c.name] = c.header if c.kind == "field" else c.name
        if c.kind == "unknown":
            survey = f"survey {spec.survey_id} {spec.version}" if spec else "the survey"
            problems.append(Problem(file, f"row 1, column {c.header}", f"unknown column: not a field of {survey}"))
    for name in key:
        if name not in data.fields:
            problems.append(Problem(file, "row 1", f"missing column {name!r}"))
    checked: list[CompiledField] = []
    if spec is not None:
        for f in spec.fields.values():
            if f.name in data.fields or f.name in key:
                if f.name in data.fields:
                    checked.append(CompiledField(f, spec.file, problems))
                continue
            if f.type in METADATA_TYPES:
                continue
            if f.required is True or f.type == "calculate":
                why = "a required field" if f.required is True else "a calculated field scoring may read"
                problems.append(Problem(file, "row 1", f"missing column {f.name!r} ({why} of survey {spec.survey_id})"))

    instances = instance_keys(_column(data.paradata, "instance_id"))
    record_of = {instance: i for i, instance in enumerate(instances) if instance}  # the last one
    repeats = _repeat_parents(data, spec, record_of, problems)
    positions = _record_problems(bundle, source, data, key, header_of, instances, problems)
    if check_answers:
        member_columns = None
        if repeats is not None and spec is not None:
            member_columns = _member_columns(repeats, spec, [record_of.get(i, -1) for i in instances])
        answers = RecordAnswers(data.rows, data.fields, bundle, positions, member_columns)
        frame = Frame(answers.size, answers.column)
        numbers = data.row_numbers or range(2, answers.size + 2)
        columns = []
        for compiled in checked:
            values = answers.own(compiled.spec.name)
            header = header_of.get(compiled.spec.name, compiled.spec.name)
            columns.append(FieldColumn(compiled, values, typed(compiled.spec, values), file, numbers, header))
        invalid = {c.compiled.spec.name: c.typed.bad for c in columns}
        for field_column in columns:
            problems += field_problems(field_column, answers, frame, invalid, today)
        if repeats is not None and spec is not None:
            _repeat_row_problems(repeats, spec, answers, invalid, today, problems)
    elif repeats is not None and spec is not None:
        for name, repeat in data.repeats.items():  # only the fields' expressions are checked
            for f in spec.repeats.get(name, {}).values():
                if f.name in repeat.fields:
                    CompiledField(f, spec.file, problems)
    return problems


def _record_problems(
    bundle: Bundle, source: str, data: SourceData, key: tuple[str, ...], header_of: Mapping[str, str],
    instances: Sequence[str], problems: list[Problem],
) -> list[int]:
    """Which records there are: keys, duplicates, submissions, roster and sample membership.
    Returns each record's roster row index (-1 when it has none: not a household source, no
    or an unknown household id). Column by column; rows are visited only to name problems."""
    file = data.file
    size = len(data.rows)
    numbers = data.row_numbers or range(2, size + 2)
    key_columns = [_column(data.rows, k) for k in key]
    for k, column in zip(key, key_columns, strict=True):
        if k in data.fields:
            at = where_of(header_of.get(k, k))
            problems.extend(Problem(file, at(numbers[i]), f"empty {k}") for i in _empty(column))
    if all(k in data.fields for k in key):
        keys: Sequence[Any] = key_columns[0] if len(key) == 1 else list(zip(*key_columns, strict=True))
        label, at = " + ".join(key), where_of(header_of.get(key[0], key[0]))
        for i, first in _repeats(keys, numbers, key_columns):
            values = (keys[i],) if len(key) == 1 else keys[i]
            problems.append(Problem(file, at(numbers[i]), f"second record for {label} {'/'.join(values)} "
                                                         f"(also row {first}); one is allowed"))
    for i, first in _repeats(instances, numbers, [instances]):
        problems.append(Problem(file, f"row {numbers[i]}", f"submission {instances[i]} appears twice (also row {first})"))
    if not is_household_source(source):
        return [-1] * size
    ids = _column(data.rows, HOUSEHOLD_KEY)
    positions = list(map(bundle.roster_positions.get, ids, itertools.repeat(-1, size)))
    at = where_of(header_of.get(HOUSEHOLD_KEY, HOUSEHOLD_KEY))
    if bundle.roster_columns:
        problems.extend(coded(file, at(numbers[i]), "problem_household_not_in_roster", household=ids[i])
                        for i in np.flatnonzero(np.asarray(positions) < 0).tolist() if ids[i])
    if source not in UNSAMPLED_SOURCES and bundle.sample:
        sampled = set(map(attrgetter("household_id"), bundle.sample))
        outside = (np.asarray(positions) >= 0) & ~np.fromiter(map(sampled.__contains__, ids), bool, size)
        problems.extend(coded(file, at(numbers[i]), "problem_household_not_in_sample", household=ids[i])
                        for i in np.flatnonzero(outside).tolist())
    return positions


def where_of(column: str) -> Callable[[int], str]:
    """``where(row, column)`` for one column."""
    return lambda row: where(row, column)


def _empty(column: Sequence[str]) -> list[int]:
    """Indices of the empty values."""
    return np.flatnonzero(np.fromiter(map(operator.not_, column), bool, len(column))).tolist()


def _repeats(values: Sequence[Any], numbers: Sequence[int], parts: Sequence[Sequence[str]]
             ) -> list[tuple[int, int]]:
    """(index, first row) of each value met again, among the values whose parts are all
    non-empty: the first row holding it is the one kept."""
    complete = np.ones(len(values), dtype=bool)
    for part in parts:
        complete &= np.fromiter(map(bool, part), bool, len(part))
    kept = np.flatnonzero(complete).tolist()
    if len(kept) == len(values):
        first = dict(zip(reversed(values), reversed(numbers), strict=True))
        if len(first) == len(values):
            return []
        return [(i, first[v]) for i, (v, n) in enumerate(zip(values, numbers, strict=True)) if first[v] != n]
    first = {}
    for i in reversed(kept):
        first[values[i]] = numbers[i]
    return [(i, first[values[i]]) for i in kept if first[values[i]] != numbers[i]]


def _subset(rows: Sequence[Mapping[str, str]], kept: Sequence[int]) -> Sequence[Mapping[str, str]]:
    """``rows[i] for i in kept``, as columns when the rows are."""
    if len(kept) == len(rows):
        return rows
    if isinstance(rows, Rows):
        return Rows({name: [rows.column(name)[i] for i in kept] for name in rows.names}, size=len(kept))
    return [rows[i] for i in kept]


def _column(rows: Sequence[Mapping[str, str]], name: str) -> Sequence[str]:
    """Every row's value of ``name`` ('' where a row has none)."""
    if isinstance(rows, Rows):
        return rows.column(name) if rows.has(name) else [""] * len(rows)
    return [row.get(name, "") for row in rows]


def _repeat_parents(
    data: SourceData, spec: SourceSpec | None, record_of: Mapping[str, int], problems: list[Problem]
) -> dict[str, tuple[RepeatData, np.ndarray]] | None:
    """Each repeat file with the record index of each of its rows (the last record of the
    row's instance id; -1 for a row that matches no record, reported here).

    None when the survey has no repeats, or has them but the bundle lacks a repeat file:
    calculations over the repeat (``count(${member_relation})``) are then not re-computed,
    nor the repeat files checked.
    """
    if spec is None or not spec.repeats:
        return None
    if not all(name in data.repeats for name in spec.repeats):
        return None
    out = {}
    for name, repeat in data.repeats.items():
        for c in repeat.columns:
            if c.kind == "unknown":
                problems.append(coded(repeat.file, f"row 1, column {c.header}",
                                      "problem_repeat_unknown_column", repeat=name))
        keys = instance_keys(repeat.parent_keys)
        parents = np.fromiter(map(record_of.get, keys, itertools.repeat(-1)), np.intp, len(keys))
        problems.extend(coded(repeat.file, where(repeat.row_number(i), "PARENT_KEY"),
                              "problem_parent_key_unknown",
                              parent=repeat.parent_keys[i], records=data.file)
                        for i in np.flatnonzero(parents < 0).tolist())
        out[name] = (repeat, parents)
    return out


def _member_columns(repeats: Mapping[str, tuple[RepeatData, np.ndarray]], spec: SourceSpec,
                    owners: Sequence[int]) -> dict[str, list[list[str]]]:
    """repeat field -> for each record, its values in the rows of its repeat (in file order).

    ``owners[i]`` is the record whose repeat rows record i has (the last record of its
    instance id; -1 for none: no rows). The rows are put in record order by one stable sort,
    and each record's values are a slice of the sorted column."""
    size = len(owners)
    alone = list(owners) == list(range(size))  # no instance id repeated or missing: each record its own
    out: dict[str, list[list[str]]] = {}
    none: list[str] = []
    filled: set[str] = set()
    for f in dict.fromkeys(f for fields in spec.repeats.values() for f in fields):
        out[f] = [none] * size
    for name, (repeat, parents) in repeats.items():
        fields = spec.repeats.get(name, {})
        if not fields:
            continue
        kept = np.flatnonzero(parents >= 0)
        order = kept[np.argsort(parents[kept], kind="stable")].tolist()
        ends = np.cumsum(np.bincount(parents[kept], minlength=size)).tolist()
        starts = [0, *ends[:-1]] if ends else []  # (no records: no slices)
        for f in fields:
            column = _column(repeat.rows, f)
            ordered_values = list(map(column.__getitem__, order))
            of_record = [ordered_values[a:b] for a, b in zip(starts, ends, strict=True)]
            values = of_record if alone else [of_record[j] if j >= 0 else none for j in owners]
            # (a field name two repeats share: each record's values of both, file after file)
            out[f] = [a + b for a, b in zip(out[f], values, strict=True)] if f in filled else values
            filled.add(f)
    return out


def _repeat_row_problems(
    repeats: Mapping[str, tuple[RepeatData, np.ndarray]], spec: SourceSpec, answers: RecordAnswers,
    invalid: Mapping[str, np.ndarray], today: date | None, problems: list[Problem],
) -> None:
    """Check each repeat row's answers in the context of its record (group relevance, roster,
    the record's answers with a type problem); the last record of an instance id is the one."""
    for name, (repeat, all_parents) in repeats.items():
        fields = spec.repeats.get(name, {})
        compiled = [CompiledField(f, spec.file, problems) for f in fields.values() if f.name in repeat.fields]
        kept_at = np.flatnonzero(all_parents >= 0)
        if not compiled or not len(kept_at):
            continue
        kept = kept_at.tolist()
        parents = all_parents[kept_at]
        rows = _subset(repeat.rows, kept)
        numbers = (list(map(repeat.row_numbers.__getitem__, kept)) if repeat.row_numbers
                   else [i + 2 for i in kept])
        repeat_answers = RepeatAnswers(rows, repeat.fields, answers, parents)
        frame = Frame(repeat_answers.size, repeat_answers.column)
        of_record = _RecordMasks(invalid, parents)
        for c in compiled:
            values = _column(rows, c.spec.name)
            column = FieldColumn(c, values, typed(c.spec, values), repeat.file, numbers, c.spec.name)
            problems += field_problems(column, repeat_answers, frame, of_record, today)


class _RecordMasks(Mapping[str, np.ndarray]):
    """``{field: mask[parents]}`` of the record masks, each made when a relevance reads it."""

    def __init__(self, masks: Mapping[str, np.ndarray], parents: np.ndarray):
        self._masks = masks
        self._parents = parents
        self._made: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        made = self._made.get(name)
        if made is None:
            made = self._made[name] = self._masks[name][self._parents]
        return made

    def __contains__(self, name: object) -> bool:
        return name in self._masks

    def __iter__(self) -> Iterator[str]:
        return iter(self._masks)

    def __len__(self) -> int:
        return len(self._masks)
