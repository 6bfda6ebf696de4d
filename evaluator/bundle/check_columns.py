"""Check answers column by column: each field over all records of a source at once.

A 20,000-household bundle holds about a million answers; checking them one record at a time,
field by field, ran the expression interpreter 1.3 million times (issue 16: 80 % of
``evaluator score``). Here each field is checked over its whole column: its type and choice
list once per distinct value, and its ``relevant``, ``required``, ``constraint`` and
``calculation`` compiled once and evaluated over columns (evaluator.definitions.expr_columns, the
scoring engine's evaluator, held to the row evaluator by tests/unit/test_expr_columns.py).
Records are visited one by one only to name the failing ones, and when an expression cannot
be evaluated over a column (a repeat's list where one value is needed, in a row the row
evaluator would not even reach): then that expression runs row by row, as before, on the rows
that need it. The problems are the row checker's, word for word (tests/unit/test_check_columns.py
holds the two to the same problems on the demo bundles and on bundles with planted problems).
"""

from __future__ import annotations

import itertools
import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import numpy as np

from evaluator.bundle.model import Bundle
from evaluator.bundle.parsing import DECIMAL_RE, INTEGER_RE, parse_date, parse_number, where
from evaluator.bundle.rows import Rows
from evaluator.bundle.source_files import FieldSpec
from evaluator.definitions.expr_columns import (
    BOOL,
    NUM,
    OBJ,
    STR,
    Col,
    Frame,
    as_values,
    evaluate_column,
    text_column,
)
from evaluator.definitions.expr_functions import today_text
from evaluator.definitions.expressions import (
    ExpressionError,
    Node,
    compile_expression,
    parse,
    references,
)
from evaluator.definitions.problems import Problem, coded

#: XLSForm metadata types: the device fills them, they are never "missing".
METADATA_TYPES = frozenset({
    "start", "end", "today", "deviceid", "username", "simserial", "subscriberid", "phonenumber",
    "audit", "email", "start-geopoint",
})
#: A calculated value may be exported rounded to whole yuan; more than this is a real mismatch.
CALCULATION_TOLERANCE = 0.5
#: What the row evaluator raises for answers it cannot evaluate (the answer is then not judged).
EVALUATION_ERRORS = (ExpressionError, ZeroDivisionError, TypeError, ValueError)

Mask = np.ndarray  # one bool per record


@dataclass(frozen=True)
class Expression:
    """One of a field's expressions, parsed once: its text, tree, row function and references."""

    text: str
    node: Node
    run: Callable[..., Any]
    refs: frozenset[str]


class CompiledField:
    """A field's expressions parsed once (a parse error is a problem of the survey file)."""

    def __init__(self, spec: FieldSpec, survey_file: str, problems: list[Problem]):
        self.spec = spec
        self.relevant = _compile(spec, spec.relevant, "relevant", survey_file, problems)
        self.required = (_compile(spec, spec.required, "required", survey_file, problems)
                         if isinstance(spec.required, str) else None)
        self.constraint = _compile(spec, spec.constraint, "constraint", survey_file, problems)
        self.calculation = _compile(spec, spec.calculation, "calculation", survey_file, problems)


def _compile(spec: FieldSpec, text: str, what: str, survey_file: str,
             problems: list[Problem]) -> Expression | None:
    if not text:
        return None
    try:
        node = parse(text)
    except ExpressionError as exc:
        problems.append(Problem(survey_file, f"{spec.name}.{what}", f"cannot be parsed: {exc.message}"))
        return None
    return Expression(text, node, compile_expression(node), frozenset(references(node)))


class Answers(Protocol):
    """What each record's expressions see, as columns (one entry per record)."""

    size: int
    #: An expression's truth over every record, by its text, once the column evaluator gave it
    #: (forty fields share ``${consent} = 'yes'`` as their relevance).
    truths: dict[str, Mask]

    def column(self, name: str) -> Sequence[Any]:
        """``answers.get(name, '')`` of every record (None as '')."""

    def present(self, name: str) -> Mask:
        """Is ``name`` among each record's answers at all?"""

    def row(self, index: int) -> dict[str, Any]:
        """One record's answers as the row checker built them."""


class RecordAnswers:
    """Records' answers: the record's own fields over its household's roster row
    (``positions[i]``: the index of record i's roster row, -1 for none), and the fields of its
    repeats as lists (``members``: field -> one list per record)."""

    def __init__(self, rows: Sequence[Mapping[str, str]], fields: Sequence[str], bundle: Bundle,
                 positions: Sequence[int], members: Mapping[str, Sequence[list[str]]] | None):
        self.size = len(rows)
        self._rows = rows
        self._fields = frozenset(fields)
        self._bundle = bundle
        self._positions = positions
        self._roster_columns = frozenset(bundle.roster_columns)
        self._members = members or {}
        self._columns: dict[str, Sequence[Any]] = {}
        self.truths: dict[str, Mask] = {}

    def own(self, name: str) -> Sequence[str]:
        """The records' own values of field ``name`` (not their repeat's list of that name)."""
        if isinstance(self._rows, Rows) and self._rows.has(name):
            return self._rows.column(name)
        return [row.get(name, "") for row in self._rows]

    def column(self, name: str) -> Sequence[Any]:
        found = self._columns.get(name)
        if found is None:
            if name in self._members:
                found = self._members[name]
            elif name in self._fields:
                found = self.own(name)
            elif name in self._roster_columns:
                roster = self._bundle.roster_column(name)
                found = [roster[k] if k >= 0 else "" for k in self._positions]
            else:
                found = [""] * self.size
            self._columns[name] = found
        return found

    def present(self, name: str) -> Mask:
        if name in self._members or name in self._fields:
            return np.ones(self.size, dtype=bool)
        if name in self._roster_columns:
            return np.asarray(self._positions, dtype=np.int64) >= 0
        return np.zeros(self.size, dtype=bool)

    def row(self, index: int) -> dict[str, Any]:
        position = self._positions[index]
        answers: dict[str, Any] = {**(self._bundle.roster[position] if position >= 0 else {}),
                                   **self._rows[index]}
        for name, lists in self._members.items():
            answers[name] = lists[index]
        return answers


class RepeatAnswers:
    """Repeat rows' answers: the row's own fields over its record's answers (``parents[i]``:
    the record index of row i)."""

    def __init__(self, rows: Sequence[Mapping[str, str]], fields: Sequence[str],
                 record: RecordAnswers, parents: Sequence[int] | np.ndarray):
        self.size = len(rows)
        self._rows = rows
        self._fields = frozenset(fields)
        self._record = record
        self._parents = np.asarray(parents, dtype=np.int64)
        self.truths: dict[str, Mask] = {}

    def column(self, name: str) -> Sequence[Any]:
        if name in self._fields:
            if isinstance(self._rows, Rows) and self._rows.has(name):
                return self._rows.column(name)
            return [row.get(name, "") for row in self._rows]
        values = self._record.column(name)
        return [values[k] for k in self._parents.tolist()]

    def present(self, name: str) -> Mask:
        if name in self._fields:
            return np.ones(self.size, dtype=bool)
        return self._record.present(name)[self._parents]

    def row(self, index: int) -> dict[str, Any]:
        return {**self._record.row(int(self._parents[index])), **self._rows[index]}


#: Why a value is not an answer of its type: a code of evaluator.definitions.problem_words and
#: its params (the message is said from them, in English or in a page's language).
TypeProblem = tuple[str, dict[str, str]]


def type_problem(spec: FieldSpec, value: str) -> TypeProblem | None:
    """Why ``value`` is not a valid answer of ``spec``'s type and choice list, or None."""
    kind = spec.type
    if kind == "integer" and not INTEGER_RE.fullmatch(value):
        return "problem_not_integer", {"value": value}
    if kind == "decimal" and not DECIMAL_RE.fullmatch(value):
        return "problem_not_decimal", {"value": value}
    if kind == "date" and parse_date(value) is None:
        return "problem_not_date", {"value": value}
    if kind == "select_one" and spec.choices and value not in spec.choices:
        return "problem_not_a_choice", {"value": value, "list": str(spec.list_name),
                                        "choices": " ".join(spec.choices)}
    if kind == "select_multiple" and spec.choices:
        chosen = value.split()
        bad = [v for v in chosen if v not in spec.choices]
        if bad:
            return "problem_not_choices", {"values": " ".join(repr(b) for b in bad),
                                           "list": str(spec.list_name),
                                           "choices": " ".join(spec.choices)}
        if len(set(chosen)) != len(chosen):
            return "problem_choice_twice", {"value": value}
    if kind == "geopoint":
        parts = value.split()
        numbers = [parse_number(p) for p in parts]
        if not 2 <= len(parts) <= 4 or any(x is None for x in numbers):
            return "problem_not_geopoint", {"value": value}
        if not (-90 <= numbers[0] <= 90 and -180 <= numbers[1] <= 180):  # type: ignore[operator]
            return "problem_bad_latlon", {"value": value}
    return None


@dataclass(frozen=True)
class Typed:
    """A field's values checked against its type: ``bad`` marks answered values with a type
    problem, ``messages`` says why, per distinct value; ``empty`` marks the blank values.
    ``numbers``: of an integer or decimal column whose every value is '' or a plain number,
    each value's number (NaN for ''), as expressions read it; else None."""

    bad: Mask
    messages: Mapping[str, TypeProblem]
    empty: Mask
    numbers: np.ndarray | None = None


def typed(spec: FieldSpec, values: Sequence[str]) -> Typed:
    """Type and choice-list check of a column, once per distinct value (and not at all for the
    values ``_suspects`` clears)."""
    size = len(values)
    if spec.type not in CHECKED_TYPES:  # (no value of it is wrong)
        return Typed(np.zeros(size, dtype=bool), {}, np.fromiter(map(operator.not_, values), bool, size))
    distinct = set(values)
    blank = "" in distinct
    distinct.discard("")
    if distinct and spec.type in _ALL_NUMBERS and _all_numbers(spec.type, distinct):
        # No type problem; and expr_values reads each value as float does (INTEGER_RE and
        # DECIMAL_RE match no text its _NUMBER_RE does not).
        parsed = dict(zip(distinct, map(float, distinct), strict=True))
        parsed[""] = math.nan
        numbers = np.fromiter(map(parsed.__getitem__, values), float, size)
        empty = np.isnan(numbers) if blank else np.zeros(size, dtype=bool)  # (floats of digits are never NaN)
        return Typed(np.zeros(size, dtype=bool), {}, empty, numbers)
    empty = (np.fromiter(map(operator.not_, values), bool, size) if blank  # a str is false when ""
             else np.zeros(size, dtype=bool))
    messages = {}
    for value in _suspects(spec, distinct):
        message = type_problem(spec, value)
        if message:
            messages[value] = message
    if not messages:
        return Typed(np.zeros(size, dtype=bool), messages, empty)
    return Typed(np.fromiter(map(messages.__contains__, values), bool, size), messages, empty)


#: The types ``type_problem`` checks; it finds nothing wrong with any value of another type.
CHECKED_TYPES = frozenset({"integer", "decimal", "date", "select_one", "select_multiple", "geopoint"})
#: INTEGER_RE and DECIMAL_RE over distinct values joined by line breaks, in one match.
_ALL_NUMBERS = {"integer": re.compile(rf"(?:(?:{INTEGER_RE.pattern})\n)*(?:{INTEGER_RE.pattern})"),
                "decimal": re.compile(rf"(?:(?:{DECIMAL_RE.pattern})\n)*(?:{DECIMAL_RE.pattern})")}


def _suspects(spec: FieldSpec, distinct: set[str]) -> Iterable[str]:
    """The distinct non-empty values ``type_problem`` may find wrong; the others it surely
    clears: any value of a type it does not check, every value of a number column that one
    match finds all well-formed, a choice of a select_one's list."""
    kind = spec.type
    if kind not in CHECKED_TYPES or not distinct:
        return ()
    if kind in _ALL_NUMBERS:
        return () if _all_numbers(kind, distinct) else distinct
    if kind == "select_one":
        return distinct.difference(spec.choices) if spec.choices else ()
    if kind == "geopoint":
        return _geopoint_suspects(distinct)
    return distinct


def _all_numbers(kind: str, distinct: set[str]) -> bool:
    """Does one match find every value well-formed for ``kind`` (integer or decimal)? (The
    count makes sure no value held a line break of its own.)"""
    joined = "\n".join(distinct)
    return joined.count("\n") == len(distinct) - 1 and bool(_ALL_NUMBERS[kind].fullmatch(joined))


def _geopoint_suspects(distinct: set[str]) -> Iterable[str]:
    """The geopoints ``type_problem`` may find wrong. When every value is as many (2 to 4)
    numbers, one space apart, that ``float`` reads (as ``parse_number`` reads each of
    ``value.split()``: ``float`` fails on a part with a space inside or none at all), those
    whose numbers are not finite or whose latitude or longitude is out of range, found by one
    array comparison; else every value."""
    values = list(distinct)
    split = [value.split(" ") for value in values]
    counts = set(map(len, split))
    parts = counts.pop()
    if counts or not 2 <= parts <= 4:
        return distinct
    try:
        numbers = np.fromiter(map(float, itertools.chain.from_iterable(split)), float, parts * len(values))
    except ValueError:
        return distinct
    numbers = numbers.reshape(len(values), parts)
    good = (np.isfinite(numbers).all(axis=1) & (np.abs(numbers[:, 0]) <= 90)  # latitude
            & (np.abs(numbers[:, 1]) <= 180))  # longitude
    return [value for value, ok in zip(values, good.tolist(), strict=True) if not ok]


@dataclass
class FieldColumn:
    """One field's column to check: where its problems are reported and how its values typed."""

    compiled: CompiledField
    values: Sequence[str]
    typed: Typed
    file: str
    numbers: Sequence[int]  # spreadsheet row of each value
    column: str  # the column name problems give


def field_problems(field: FieldColumn, answers: Answers, frame: Frame,
                   invalid: Mapping[str, Mask], today: date | None) -> list[Problem]:
    """The problems of one field's answers in every record, as the row checker words them.

    ``invalid`` marks, per field name, the records whose answer to it has a type problem:
    a field whose relevance reads such an answer is not judged in that record (one wrong
    consent value must not make forty problems)."""
    compiled, spec, values = field.compiled, field.compiled.spec, field.values
    size = answers.size
    empty = field.typed.empty
    relevant = np.ones(size, dtype=bool)
    judged = np.ones(size, dtype=bool)
    if compiled.relevant is not None:
        blocked = np.zeros(size, dtype=bool)
        for name in compiled.relevant.refs:
            if name in invalid:
                blocked |= invalid[name]
        ok, relevant = _truth_over(compiled.relevant, answers, frame, ~blocked, today)
        judged = ~blocked & ok
    problems: list[Problem] = []

    def report_coded(mask: Mask, code: str, **params: Any) -> None:
        for i in np.flatnonzero(mask).tolist():  # (a pattern without {value} ignores it)
            problems.append(coded(field.file, where(field.numbers[i], field.column), code,
                                  value=values[i], **params))

    if spec.type not in METADATA_TYPES and spec.type != "calculate":
        missing = judged & empty & relevant
        if spec.required is not True and missing.any():
            if compiled.required is None:
                missing[:] = False
            else:
                ok, required = _truth_over(compiled.required, answers, frame, missing, today)
                missing &= ok & required
        if spec.relevant:
            report_coded(missing, "problem_required_missing_relevant", relevant=spec.relevant)
        else:
            report_coded(missing, "problem_required_missing")
    answered = judged & ~empty
    report_coded(answered & ~relevant, "problem_answered_not_relevant",
                 relevant=spec.relevant)
    answered &= relevant
    for i in np.flatnonzero(answered & field.typed.bad).tolist():
        code, params = field.typed.messages[values[i]]
        problems.append(coded(field.file, where(field.numbers[i], field.column), code, **params))
    answered &= ~field.typed.bad
    if compiled.constraint is not None and answered.any():
        ok, result = _evaluate(compiled.constraint, answers, frame.with_current(_current(field, answers, frame)),
                               answered, today, values)
        report_coded(answered & ok & ~_truth(result, size), "problem_constraint",
                     constraint=spec.constraint)
    if compiled.calculation is not None and answered.any():
        for name in compiled.calculation.refs:
            answered &= answers.present(name)
        problems += _calculation_problems(field, answers, frame, answered, today)
    return problems


def _current(field: FieldColumn, answers: Answers, frame: Frame) -> Col:
    """'.' of the field's constraint: the frame's own column of the field when the frame reads
    these very values (its numbers, once parsed, serve both), with the numbers ``typed`` read."""
    name = field.compiled.spec.name
    if answers.column(name) is field.values:
        col = frame.column(name)
        if field.typed.numbers is not None and col.kind == STR:
            col.cache.setdefault("number", field.typed.numbers)
        return col
    return text_column(field.values, field.typed.numbers)


def _calculation_problems(field: FieldColumn, answers: Answers, frame: Frame, rows: Mask,
                          today: date | None) -> list[Problem]:
    """Re-compute a calculate field where every answer it reads is present; compare numbers."""
    expression = field.compiled.calculation
    assert expression is not None
    ok, result = _evaluate(expression, answers, frame, rows, today)
    computed = as_values(result, answers.size) if isinstance(result, Col) else result
    problems = []
    rows = rows & ok
    if isinstance(result, Col) and result.kind == NUM and not result.constant:
        rows &= ~agreeing(field.values, result.data)
    for i in np.flatnonzero(rows).tolist():
        found = calculation_message(field.values[i], computed[i], expression.text)
        if found:
            problems.append(coded(field.file, where(field.numbers[i], field.column), found[0],
                                  **found[1]))
    return problems


def agreeing(values: Sequence[str], computed: np.ndarray) -> Mask:
    """Where ``calculation_message`` surely finds nothing to say about a number computed for
    a stated value (the computed number is not finite, or both are numbers within the
    tolerance), by the same float arithmetic over whole columns; every other row is left to it."""
    distinct = dict.fromkeys(values)
    distinct.pop("", None)
    try:  # float reads what parse_number reads (it strips the same white space)
        parsed = dict(zip(distinct, map(float, distinct), strict=True))
    except ValueError:
        parsed = {value: math.nan if (number := parse_number(value)) is None else number
                  for value in distinct}
    parsed[""] = math.nan
    stated = np.fromiter(map(parsed.__getitem__, values), float, len(values))
    with np.errstate(invalid="ignore"):
        close = np.abs(stated - computed) <= CALCULATION_TOLERANCE + 1e-9 * np.abs(computed)
    return ~np.isfinite(computed) | (np.isfinite(stated) & close)


def calculation_message(value: str, result: Any, text: str) -> TypeProblem | None:
    """Why the recorded ``value`` of a calculation is not what its expression ``text`` gives
    (``result``), as a problem code and its parameters (problem_words), or None."""
    if result is None:
        return None
    if isinstance(result, bool) or not isinstance(result, int | float):
        return None if str(result) == value else (
            "problem_calculation_differs", {"value": value, "expression": text,
                                            "result": repr(result)})
    if math.isnan(result) or math.isinf(result):
        return None
    stated = parse_number(value)
    if stated is None:
        return "problem_calculation_not_number", {"value": value, "expression": text,
                                                  "result": f"{result:.2f}"}
    if abs(stated - result) > CALCULATION_TOLERANCE + 1e-9 * abs(result):
        return "problem_calculation_mismatch", {"value": value, "expression": text,
                                                "result": f"{result:.2f}"}
    return None


# -- evaluating an expression over a column -------------------------------------------------------


def _evaluate(expression: Expression, answers: Answers, frame: Frame, rows: Mask,
              today: date | None, current: Sequence[str] | None = None) -> tuple[Mask, Col | list[Any]]:
    """(evaluated, values): the expression over every record at once; where the column
    evaluator gives up, row by row on ``rows`` only, ``evaluated`` false where a row raised."""
    size = answers.size
    if not rows.any():
        return np.zeros(size, dtype=bool), [None] * size
    try:
        return np.ones(size, dtype=bool), evaluate_column(expression.node, frame, today_text(today))
    except Exception:  # noqa: BLE001 - any failure: the row evaluator decides, row by row
        pass
    ok = np.zeros(size, dtype=bool)
    values: list[Any] = [None] * size
    for i in np.flatnonzero(rows).tolist():
        try:
            values[i] = expression.run(answers.row(i), current=None if current is None else current[i],
                                       today=today)
        except EVALUATION_ERRORS:
            continue
        ok[i] = True
    return ok, values


def _truth_over(expression: Expression, answers: Answers, frame: Frame, rows: Mask,
                today: date | None) -> tuple[Mask, Mask]:
    """(evaluated, true): ``_evaluate`` of a relevance or required expression read as truth;
    a column result is the same for every field that states the expression, so it is kept."""
    kept = answers.truths.get(expression.text)
    if kept is not None:
        return np.ones(answers.size, dtype=bool), kept
    ok, result = _evaluate(expression, answers, frame, rows, today)
    truth = _truth(result, answers.size)
    if isinstance(result, Col):
        answers.truths[expression.text] = truth
    return ok, truth


def truthy(value: Any) -> bool:
    """Is an expression's result true, as the checker reads ``relevant`` and ``constraint``?"""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return bool(value)


def _truth(result: Col | list[Any], size: int) -> Mask:
    if not isinstance(result, Col):
        return np.fromiter((truthy(v) for v in result), bool, size)
    if result.constant:
        return np.full(size, truthy(result.data), dtype=bool)
    if result.kind == BOOL:
        return np.asarray(result.data, dtype=bool)
    if result.kind == NUM:
        return (result.data != 0) & ~np.isnan(result.data)
    if result.kind == STR:
        return result.data != ""
    assert result.kind == OBJ
    return np.fromiter(map(truthy, result.data), bool, size)

