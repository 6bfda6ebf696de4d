"""Evaluate an expression over all units at once, as numpy columns.

Used by scoring (rubric expressions over the sampled households) and by the bundle checker
(each survey field's relevant, required, constraint and calculation over all records).

Scoring 20,000 households with ~30 indicators is ~700,000 expression evaluations; walking
helper A's closures per household costs ~5 µs each (3-4 s in all). Here each AST node is
evaluated once per indicator over whole columns, with the *same* value rules: the fast paths
below cover the common shapes (a field compared with a literal, arithmetic on numbers,
``and``/``or``, ``selected()``), and every other operation is applied element by element with
helper A's own functions (``expr_values``, ``FUNCTIONS``), so results cannot drift from
``compile_expression``. tests/unit/test_expr_columns.py holds the two to identical results.

If anything raises (a repeat's list used where one value is needed, say), ``evaluate_column``
gives up and the caller evaluates row by row with ``compile_expression``, which says which
household failed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evaluator.definitions import expr_values as xv
from evaluator.definitions.expressions import (
    FUNCTIONS,
    Binary,
    Call,
    Column,
    Current,
    Lookup,
    Negate,
    Node,
    Number,
    Ref,
    String,
)

STR, NUM, BOOL, OBJ = "str", "num", "bool", "obj"
# Text that may compare as text (expr_values.compare decides): ISO dates, date-times, times of day.
_DATE_LIKE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T|$)|[0-9]{2}:[0-9]{2}")
#: What any text _DATE_LIKE matches holds (with a ':'): four digits and a '-'.
_DATE_START = re.compile(r"[0-9]{4}-")
_COMPARISONS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


@dataclass(frozen=True)
class Col:
    """A column of values (``data`` has one entry per unit) or a constant (``data`` a scalar).

    ``kind``: ``str`` (object array of Python str), ``num`` (float64), ``bool`` (bool array) or
    ``obj`` (object array of any answer values: mixed, lists, None).
    """

    kind: str
    data: Any
    constant: bool = False
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


class Frame:
    """Units of one source as columns: ``column(name)`` reads a field across all units.

    ``lookup(i, name)`` says how unit i's value of ``name`` is found (record first, then roster),
    so a frame never builds 20,000 merged dicts unless a row-by-row fallback needs them.
    """

    def __init__(self, size: int, lookup_column: Callable[[str], Sequence[Any]],
                 current: Sequence[str] | Col | None = None):
        self.size = size
        self._lookup_column = lookup_column
        self._columns: dict[str, Col] = {}
        # '.' in a constraint: the value being checked, one per unit ('' in scoring).
        self.current = (Col(STR, "", True) if current is None
                        else current if isinstance(current, Col) else _column(current))

    def with_current(self, current: Sequence[str] | Col) -> Frame:
        """The same units and columns (computed once for both) with ``current`` as '.'
        (values, or a column already made: a field's own, to share its converted numbers)."""
        other = Frame(self.size, self._lookup_column, current)
        other._columns = self._columns
        return other

    def column(self, name: str) -> Col:
        col = self._columns.get(name)
        if col is None:
            col = self._columns[name] = _column(self._lookup_column(name))
        return col


def text_column(values: Sequence[str], numbers: np.ndarray | None = None) -> Col:
    """The column of ``values`` as a frame reads a field. ``numbers``, when the caller has
    them, are ``to_number`` of each value (so every value is '' or a plain number, as
    ``_plain_numbers`` reads them): the column's numbers are then not parsed again."""
    col = _column(values)
    if numbers is not None and col.kind == STR:
        col.cache.setdefault("number", numbers)
    return col


def _column(values: Sequence[Any]) -> Col:
    plain = set(map(type, values)) <= {str}
    data = np.empty(len(values), dtype=object)
    data[:] = values if plain else [("" if v is None else v) for v in values]
    return Col(STR if plain else OBJ, data)


def evaluate_column(node: Node, frame: Frame, today: str) -> Col:
    """The value of ``node`` for every unit of ``frame`` (raises what the value rules raise)."""
    with np.errstate(all="ignore"):
        return _eval(node, frame, today)


def as_bool(col: Col, size: int) -> np.ndarray:
    """XPath boolean() of each value, as a bool array."""
    return _broadcast(_to_boolean(col, size), size, bool)


def as_number(col: Col, size: int) -> np.ndarray:
    """XPath number() of each value, as a new float64 array (NaN where not a number)."""
    value = _to_number(col, size)
    if np.ndim(value) == 0:
        return np.full(size, value, dtype=float)
    return np.array(value, dtype=float)  # a copy: the column's cached numbers stay intact


def as_values(col: Col, size: int) -> list[Any]:
    """The values as Python objects, exactly as ``compile_expression`` would return them."""
    if col.constant:
        return [col.data] * size
    return col.data.tolist()


# -- evaluation ---------------------------------------------------------------------------------


def _eval(node: Node, frame: Frame, today: str) -> Col:
    if isinstance(node, Number):
        return Col(NUM, node.value, True)
    if isinstance(node, String):
        return Col(STR, node.value, True)
    if isinstance(node, Ref):
        return frame.column(node.name)
    if isinstance(node, Current):
        return frame.current
    if isinstance(node, Negate):
        operand = _eval(node.operand, frame, today)
        return Col(NUM, -_to_number(operand, frame.size), operand.constant)
    if isinstance(node, Binary):
        return _binary(node, frame, today)
    if isinstance(node, Column):
        return Col(STR, "", True)
    if isinstance(node, Lookup):  # a form's lists are not in a bundle: the lookup selects nothing
        return Col(OBJ, xv.NodeSet(), True)
    return _call(node, frame, today)


def _binary(node: Binary, frame: Frame, today: str) -> Col:
    left = _eval(node.left, frame, today)
    size = frame.size
    if node.op in ("and", "or") and left.constant:
        # Short-circuit as the row evaluator does: the right side is then never evaluated.
        decided = xv.to_boolean(left.data)
        if decided == (node.op == "or"):
            return Col(BOOL, decided, True)
        right = _eval(node.right, frame, today)
        value = _to_boolean(right, size)
        return Col(BOOL, bool(value) if right.constant else value, right.constant)
    right = _eval(node.right, frame, today)
    both = left.constant and right.constant
    if node.op in ("and", "or"):
        a, b = _to_boolean(left, size), _to_boolean(right, size)
        value = (a & b) if node.op == "and" else (a | b)
        return Col(BOOL, bool(value) if both else value, both)
    if node.op in ("=", "!="):
        value = _equals(left, right, size)
        if node.op == "!=":
            value = ~value if not both else not value
        return Col(BOOL, bool(value) if both else value, both)
    if node.op in _COMPARISONS:
        return _compare(node.op, left, right, size)
    a, b = _to_number(left, size), _to_number(right, size)
    if node.op == "+":
        value = a + b
    elif node.op == "-":
        value = a - b
    elif node.op == "*":
        value = a * b
    elif node.op == "div":
        value = np.divide(a, b) if not both else xv.divide(a, b)
    else:
        value = np.fmod(a, b) if not both else xv.modulo(a, b)
    return Col(NUM, float(value) if both else value, both)


def _call(node: Call, frame: Frame, today: str) -> Col:
    size = frame.size
    name = node.name
    if name == "today":
        return Col(STR, today, True)
    if name == "pulldata":  # as a lookup: no attached files in a bundle
        return Col(STR, "", True)
    if name == "if":
        test = _to_boolean(_eval(node.args[0], frame, today), size)
        if np.ndim(test) == 0:
            return _eval(node.args[1] if test else node.args[2], frame, today)
        return _where(test, _eval(node.args[1], frame, today), _eval(node.args[2], frame, today), size)
    if name == "coalesce":
        first = _eval(node.args[0], frame, today)
        second = _eval(node.args[1], frame, today)
        null = _is_null(first, size)
        if np.ndim(null) == 0:
            return second if null else first
        return _where(null, second, first, size)
    args = [_eval(a, frame, today) for a in node.args]
    if name == "not" and args[0].kind != OBJ:
        value = _to_boolean(args[0], size)
        return Col(BOOL, (not value) if args[0].constant else ~value, args[0].constant)
    if len(args) == 1 and args[0].kind == STR and not args[0].constant:
        if name == "number":  # number(text) is to_number(text)
            return Col(NUM, _to_number(args[0], size))
        if name == "string-length":  # of text, the number of its characters
            return Col(NUM, np.fromiter(map(len, args[0].data.tolist()), float, size))
    impl = FUNCTIONS[name].impl
    if impl is None:  # a lazy function has no column form: the caller evaluates row by row
        raise TypeError(f"{name}() has no column form")
    columns = [i for i, a in enumerate(args) if not a.constant]
    if not columns:
        return _narrow_scalar(impl(*(a.data for a in args)))
    if len(columns) == 1 and args[columns[0]].kind in (STR, OBJ):
        # One varying argument: apply to each distinct value once (answers repeat a lot).
        index = columns[0]
        fixed = [a.data for a in args]

        def one(value: Any) -> Any:
            fixed[index] = value
            return impl(*fixed)

        return _narrow(_memo_map(one, args[index].data))
    lists = [_as_list(a, size) for a in args]
    return _narrow([impl(*row) for row in zip(*lists, strict=True)])


# -- value rules over columns (mirroring expr_values) --------------------------------------------


def _to_number(col: Col, size: int) -> Any:
    if col.constant:
        return xv.to_number(col.data)
    if col.kind == NUM:
        return col.data
    if col.kind == BOOL:
        return col.data.astype(float)
    numbers = col.cache.get("number")
    if numbers is None:  # a field used as a number by several indicators is converted once
        plain = _plain_numbers(col.data) if col.kind == STR else None
        numbers = col.cache["number"] = (
            plain if plain is not None else np.asarray(_memo_map(xv.to_number, col.data), dtype=float))
    return numbers


#: expr_values' plain number (no spaces, no exponent) over distinct values joined by line breaks.
_ALL_PLAIN_NUMBERS = re.compile(rf"(?:(?:{xv._NUMBER_RE.pattern})\n)*(?:{xv._NUMBER_RE.pattern})")


def _plain_numbers(texts: np.ndarray) -> np.ndarray | None:
    """``to_number`` of a column of text whose every value is '' or a plain number (what a
    number field exports), without a Python step per value: '' is NaN, a number ``float`` of its
    text, as ``to_number`` reads both. None for any other column (it is read value by value)."""
    distinct = dict.fromkeys(texts.tolist())
    distinct.pop("", None)
    joined = "\n".join(distinct)
    if not distinct or joined.count("\n") != len(distinct) - 1 or not _ALL_PLAIN_NUMBERS.fullmatch(joined):
        return None
    numbers = dict(zip(distinct, map(float, distinct), strict=True))
    numbers[""] = math.nan
    return np.fromiter(map(numbers.__getitem__, texts.tolist()), float, len(texts))


def _to_boolean(col: Col, size: int) -> Any:
    if col.constant:
        return xv.to_boolean(col.data)
    if col.kind == BOOL:
        return col.data
    if col.kind == NUM:
        return (col.data != 0) & ~np.isnan(col.data)
    if col.kind == STR:
        return col.data != ""
    return np.asarray(_memo_map(xv.to_boolean, col.data), dtype=bool)


def _to_string(col: Col, size: int) -> Any:
    if col.constant:
        return xv.to_string(col.data)
    if col.kind == STR:
        return col.data
    return _object(_memo_map(xv.to_string, col.data.tolist() if col.kind != OBJ else col.data))


def _equals(left: Col, right: Col, size: int) -> Any:
    if OBJ in (left.kind, right.kind):
        return _elementwise(xv.equals, left, right, size, bool)
    if BOOL in (left.kind, right.kind):
        a, b = _to_boolean(left, size), _to_boolean(right, size)
        return a == b
    if NUM in (left.kind, right.kind):
        a, b = _to_number(left, size), _to_number(right, size)
        if left.constant and right.constant:
            return a == b or abs(a - b) < xv.EQUALITY_TOLERANCE
        return (a == b) | (np.abs(a - b) < xv.EQUALITY_TOLERANCE)
    a, b = _to_string(left, size), _to_string(right, size)
    if left.constant and right.constant:
        return a == b
    return np.asarray(a == b, dtype=bool)


def _compare(op: str, left: Col, right: Col, size: int) -> Col:
    both = left.constant and right.constant
    if both:
        return Col(BOOL, xv.compare(op, left.data, right.data), True)
    if OBJ in (left.kind, right.kind):
        value = _elementwise(lambda a, b: xv.compare(op, a, b), left, right, size, bool)
        return Col(BOOL, value)
    a, b = _to_number(left, size), _to_number(right, size)
    value = np.asarray(_COMPARISONS[op](a, b), dtype=bool)
    if left.kind == STR and right.kind == STR:
        # Two ISO dates, or two times of day, compare as text (date-times keep their time).
        dated = _date_like(left, size) & _date_like(right, size)
        if dated.any():
            la, lb = _as_list(left, size), _as_list(right, size)
            for i in np.flatnonzero(dated):
                value[i] = xv.compare(op, la[i], lb[i])
    return Col(BOOL, value)


def _date_like(col: Col, size: int) -> np.ndarray:
    if col.constant:
        return np.full(size, bool(_DATE_LIKE.match(col.data)))
    joined = "\n".join(dict.fromkeys(col.data.tolist()))
    if ":" not in joined and not _DATE_START.search(joined):
        return np.zeros(size, dtype=bool)  # no value can match: numbers, choices, names
    return np.asarray(_memo_map(lambda s: bool(_DATE_LIKE.match(s)), col.data), dtype=bool)


def _is_null(col: Col, size: int) -> Any:
    if col.constant:
        return xv.is_null(col.data)
    if col.kind == STR:
        return col.data == ""
    if col.kind == NUM:
        return np.isnan(col.data)
    if col.kind == BOOL:
        return np.zeros(size, dtype=bool)
    return np.asarray([xv.is_null(v) for v in col.data], dtype=bool)


def _where(mask: np.ndarray, then: Col, otherwise: Col, size: int) -> Col:
    if then.kind == otherwise.kind and then.kind in (NUM, BOOL):
        return Col(then.kind, np.where(mask, then.data, otherwise.data))
    a = _object_column(then, size)
    b = _object_column(otherwise, size)
    kind = then.kind if then.kind == otherwise.kind else OBJ
    return Col(kind, np.where(mask, a, b))


# -- helpers ------------------------------------------------------------------------------------


def _memo_map(fn: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    """fn over values, computed once per distinct value (answers repeat a lot)."""
    try:
        distinct = dict.fromkeys(values)
    except TypeError:  # unhashable values (a repeat's list): one call each
        return [fn(value) for value in values]
    for value in distinct:
        distinct[value] = fn(value)
    return list(map(distinct.__getitem__, values))


def _elementwise(fn: Callable[[Any, Any], Any], left: Col, right: Col, size: int, dtype: type) -> np.ndarray:
    a, b = _as_list(left, size), _as_list(right, size)
    return np.asarray([fn(x, y) for x, y in zip(a, b, strict=True)], dtype=dtype)


def _as_list(col: Col, size: int) -> list[Any]:
    if col.constant:
        return [col.data] * size
    return col.data.tolist()


def _object(values: Sequence[Any]) -> np.ndarray:
    data = np.empty(len(values), dtype=object)
    data[:] = values
    return data


def _object_column(col: Col, size: int) -> np.ndarray:
    if col.constant:
        return _object([col.data] * size)
    if col.kind in (STR, OBJ):
        return col.data
    return col.data.astype(object)


def _narrow_scalar(value: Any) -> Col:
    if isinstance(value, bool):
        return Col(BOOL, value, True)
    if isinstance(value, str):
        return Col(STR, value, True)
    if xv.is_number(value):
        return Col(NUM, float(value), True)
    return Col(OBJ, value, True)


def _narrow(values: list[Any]) -> Col:
    kinds = set(map(type, values))
    if kinds <= {bool}:
        return Col(BOOL, np.asarray(values, dtype=bool))
    if kinds <= {float, int}:
        return Col(NUM, np.asarray(values, dtype=float))
    if kinds <= {str}:
        return Col(STR, _object(values))
    return Col(OBJ, _object(values))


def _broadcast(value: Any, size: int, dtype: type) -> np.ndarray:
    if np.ndim(value) == 0:
        return np.full(size, value, dtype=dtype)
    return np.asarray(value, dtype=dtype)


def is_blank(value: Any) -> bool:
    """'' / None / NaN: no value to score (a blank answer or a number that is not one)."""
    if value is None or value == "":
        return True
    return isinstance(value, float) and math.isnan(value)
