"""The function table (函数表): arity, the checks made at parse time, and each implementation.

One table serves the parser (unknown function / arity), from_json, both Python evaluators and
the docs, so the supported set cannot drift between them. ``if``, ``coalesce`` and ``today``
have no implementation here: they need laziness or the evaluation date, so the evaluators
handle them directly.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Context, Decimal
from functools import lru_cache
from typing import Any

from evaluator.definitions.expr_ast import (
    Call,
    ExpressionError,
    Lookup,
    Number,
    Ref,
    String,
    start_position,
)
from evaluator.definitions.expr_values import (
    ASCII_SPACE,
    NAN,
    date_part,
    days_to_date,
    is_list,
    normalize_space,
    selection,
    single,
    to_boolean,
    to_index,
    to_number,
    to_string,
    truncate,
)
from evaluator.definitions.expr_xlsform import XLSFORM_FUNCTIONS, XLSFORM_NEEDS_FIELD


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    min_args: int
    max_args: int | None  # None: any number
    impl: Callable[..., Any] | None
    summary: str

    def arity_text(self) -> str:
        if self.max_args == self.min_args:
            plural = "" if self.min_args == 1 else "s"
            return f"exactly {self.min_args} argument{plural}"
        if self.max_args is None:
            plural = "" if self.min_args == 1 else "s"
            return f"at least {self.min_args} argument{plural}"
        return f"{self.min_args} to {self.max_args} arguments"


def _items(value: Any) -> list[Any]:
    """A repeat's values; a single field counts as one node, as an XPath path to it would."""
    return list(value) if is_list(value) else [value]


def _selected(field: Any, choice: Any) -> bool:
    return to_string(single(choice)).strip(ASCII_SPACE) in selection(single(field))


def _count_selected(field: Any) -> float:
    return float(len(selection(single(field))))


def _count(field: Any) -> float:
    return float(len(_items(field)))


def _count_non_empty(field: Any) -> float:
    return float(sum(1 for item in _items(field) if to_string(single(item)) != ""))


def _sum(field: Any) -> float:
    """JavaRosa skips values that are not numbers (e.g. unanswered) instead of giving NaN."""
    total = 0.0
    for item in _items(field):
        number = to_number(single(item))
        if not math.isnan(number):
            total += number
    return total


def _extreme(pick: Callable[..., float]) -> Callable[..., float]:
    def extreme(*args: Any) -> float:
        numbers = [to_number(single(item)) for arg in args for item in _items(arg)]
        numbers = [n for n in numbers if not math.isnan(n)]
        return pick(numbers) if numbers else NAN

    return extreme


_ROUNDING = Context(prec=400)


def _round(value: Any, places: Any = 0) -> float:
    """Half away from zero for positives, toward +Infinity for negatives, on the decimal digits
    the number prints as (JavaRosa: round(2.675, 2) = 2.68, round(-2.5) = -2)."""
    number = to_number(single(value))
    digits = to_index(single(places))
    if not math.isfinite(number):
        return number
    if abs(digits) > 30:
        return NAN
    mode = ROUND_HALF_UP if number >= 0 else ROUND_HALF_DOWN
    exact = Decimal(repr(number))
    return float(exact.quantize(Decimal(1).scaleb(-digits), rounding=mode, context=_ROUNDING))


def _floor_or_ceiling(pick: Callable[[float], int]) -> Callable[[Any], float]:
    def apply(value: Any) -> float:
        number = to_number(single(value))
        return float(pick(number)) if math.isfinite(number) else number

    return apply


def _date(value: Any) -> Any:
    value = single(value)
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        day = date_part(value)
        if day is None:
            raise ExpressionError(f"cannot read {value!r} as a date (expected YYYY-MM-DD)",
                                  kind="eval")
        return day
    if isinstance(value, bool):
        raise ExpressionError("cannot turn true/false into a date", kind="eval")
    number = truncate(to_number(value))
    return number if math.isnan(number) else days_to_date(number)


def _substr(value: Any, start: Any, end: Any = None) -> str:
    """0-based start, exclusive end, negatives count from the end (JavaRosa substr)."""
    text = to_string(single(value))
    length = len(text)
    first = to_index(single(start))
    last = length if end is None else to_index(single(end))
    if first < 0:
        first += length
    if last < 0:
        last += length
    first = min(max(0, first), length)
    last = min(max(0, last), length)
    return text[first:last] if first <= last else ""


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """ASCII classes (\\d is 0-9) as in Java and JavaScript; the match must cover the whole text."""
    try:
        return re.compile(pattern, re.ASCII)
    except re.error as exc:
        raise ExpressionError(f"bad regular expression {pattern!r}: {exc.msg}",
                              kind="eval") from None


def _regex(value: Any, pattern: Any) -> bool:
    compiled = compile_pattern(to_string(single(pattern)))
    return compiled.fullmatch(to_string(single(value))) is not None


def _concat(*args: Any) -> str:
    return "".join(to_string(single(item)) for arg in args for item in _items(arg))


def _strings(test: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: test(to_string(single(a)), to_string(single(b)))


_SPECS = [
    FunctionSpec("if", 3, 3, None, "if(condition, then, else): only the chosen branch is evaluated"),
    FunctionSpec("coalesce", 2, 2, None, "coalesce(a, b): a unless it is '' or NaN, else b"),
    FunctionSpec("today", 0, 0, None, "today(): the evaluation date as 'YYYY-MM-DD'"),
    FunctionSpec("pulldata", 4, 4, None,
                 "pulldata('list', 'column', 'key column', key): the column of the first item "
                 "of an attached file (or choice list) whose key column is key; '' if none"),
    FunctionSpec("selected", 2, 2, _selected,
                 "selected(field, 'choice'): the choice is among the space-separated answers"),
    FunctionSpec("count-selected", 1, 1, _count_selected,
                 "count-selected(field): number of space-separated answers"),
    FunctionSpec("not", 1, 1, lambda v: not to_boolean(single(v)), "not(x): boolean negation"),
    FunctionSpec("true", 0, 0, lambda: True, "true()"),
    FunctionSpec("false", 0, 0, lambda: False, "false()"),
    FunctionSpec("boolean", 1, 1, lambda v: to_boolean(single(v)), "boolean(x)"),
    FunctionSpec("number", 1, 1, lambda v: to_number(single(v)),
                 "number(x): NaN unless x reads as a number; a date gives days since 1970-01-01"),
    FunctionSpec("string", 1, 1, lambda v: to_string(single(v)), "string(x)"),
    FunctionSpec("int", 1, 1, lambda v: truncate(to_number(single(v))),
                 "int(x): drops the fraction toward zero"),
    FunctionSpec("round", 1, 2, _round, "round(x[, places]): decimal rounding, halves up"),
    FunctionSpec("floor", 1, 1, _floor_or_ceiling(math.floor), "floor(x)"),
    FunctionSpec("ceiling", 1, 1, _floor_or_ceiling(math.ceil), "ceiling(x)"),
    FunctionSpec("abs", 1, 1, lambda v: abs(to_number(single(v))), "abs(x)"),
    FunctionSpec("string-length", 1, 1, lambda v: float(len(to_string(single(v)))),
                 "string-length(s): number of characters (code points)"),
    FunctionSpec("normalize-space", 1, 1, lambda v: normalize_space(single(v)),
                 "normalize-space(s): trims and collapses runs of spaces"),
    FunctionSpec("contains", 2, 2, _strings(lambda a, b: b in a), "contains(s, part)"),
    FunctionSpec("starts-with", 2, 2, _strings(str.startswith), "starts-with(s, prefix)"),
    FunctionSpec("ends-with", 2, 2, _strings(str.endswith), "ends-with(s, suffix)"),
    FunctionSpec("substr", 2, 3, _substr, "substr(s, start[, end]): 0-based, end exclusive"),
    FunctionSpec("concat", 1, None, _concat,
                 "concat(a, ...): joins strings; a repeat field adds all its values"),
    FunctionSpec("regex", 2, 2, _regex, "regex(s, pattern): the pattern matches the whole of s"),
    FunctionSpec("date", 1, 1, _date,
                 "date(x): 'YYYY-MM-DD' from a date, date-time or day number"),
    FunctionSpec("count", 1, 1, _count, "count(repeat_field): number of repeat instances"),
    FunctionSpec("count-non-empty", 1, 1, _count_non_empty,
                 "count-non-empty(repeat_field): instances whose value is not ''"),
    FunctionSpec("sum", 1, 1, _sum, "sum(repeat_field): total, skipping values that are not numbers"),
    FunctionSpec("min", 1, None, _extreme(min),
                 "min(a, ...): smallest number among the values (repeat lists included)"),
    FunctionSpec("max", 1, None, _extreme(max),
                 "max(a, ...): largest number among the values (repeat lists included)"),
]
_SPECS += [FunctionSpec(*spec) for spec in XLSFORM_FUNCTIONS]
FUNCTIONS: dict[str, FunctionSpec] = {spec.name: spec for spec in _SPECS}
_NEEDS_FIELD = {"count", "count-non-empty", "sum", *XLSFORM_NEEDS_FIELD}


def today_text(today: date | None) -> str:
    if today is None:
        return date.today().isoformat()
    if not isinstance(today, date):
        raise TypeError(f"today must be a datetime.date, not {type(today).__name__}")
    return date(today.year, today.month, today.day).isoformat()


def unknown_function(name: str, position: int) -> ExpressionError:
    close = difflib.get_close_matches(name, FUNCTIONS, n=1, cutoff=0.8)
    hint = f"did you mean {close[0]}()?" if close else ""
    return ExpressionError(f"unknown function '{name}'", position, hint=hint)


def check_call(call: Call) -> None:
    """Parse-time checks: the function exists, takes this many arguments, and the arguments
    that must be fields or quoted names are so (ODK would reject these forms too)."""
    spec = FUNCTIONS.get(call.name)
    if spec is None:
        raise unknown_function(call.name, call.pos)
    count = len(call.args)
    if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
        raise ExpressionError(f"{call.name}() takes {spec.arity_text()}, got {count}", call.pos)
    if call.name in _NEEDS_FIELD and not isinstance(call.args[0], Ref | Lookup):
        raise ExpressionError(f"{call.name}() needs a field reference like ${{name}}",
                              start_position(call.args[0]))
    if call.name == "selected" and isinstance(call.args[1], Number):
        raise ExpressionError("selected() needs the choice name in quotes, like '1'",
                              call.args[1].pos)
    if call.name == "regex" and isinstance(call.args[1], String):
        try:
            compile_pattern(call.args[1].value)
        except ExpressionError as exc:
            raise ExpressionError(exc.reason, call.args[1].pos) from None
