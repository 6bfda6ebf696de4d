"""The XLSForm functions real forms use beyond XPath 1.0 (ODK's XForms spec): math, text,
select, date and checklist functions (XLSForm 函数). Same value rules as ``expr_functions``;
static/js/expr.js mirrors every one, and the shared vectors hold both to the same results.

Functions with no meaning offline or that need the form's instance data (``pulldata``,
``instance()``, ``jr:choice-name``, ``position``) are not here: a form using them imports with a
warning (surveys/validation) and the expression does not run.
"""

from __future__ import annotations

import math
import random
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from evaluator.definitions.expr_ast import ExpressionError
from evaluator.definitions.expr_values import (
    NAN,
    date_part,
    is_list,
    selection,
    single,
    to_boolean,
    to_index,
    to_number,
    to_string,
)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _number(function: Callable[..., float]) -> Callable[..., float]:
    """A math function on numbers: NaN in, or outside its domain, gives NaN (as in Java)."""
    def apply(*values: Any) -> float:
        numbers = [to_number(single(v)) for v in values]
        if any(math.isnan(n) for n in numbers):
            return NAN
        try:
            return float(function(*numbers))
        except (ValueError, ZeroDivisionError):
            return NAN
        except OverflowError:
            return math.inf

    return apply


def _pow(base: float, exponent: float) -> float:
    """Java's Math.pow, as JavaScript's: 0 to a negative power is Infinity, not an error."""
    try:
        return math.pow(base, exponent)
    except ValueError:
        if base == 0 and exponent < 0:
            odd = exponent.is_integer() and exponent % 2 == 1
            return math.copysign(math.inf, base) if odd else math.inf
        return NAN


def _log(number: float) -> float:
    return -math.inf if number == 0 else math.log(number)


def _log10(number: float) -> float:
    return -math.inf if number == 0 else math.log10(number)


def _substring_before(text: Any, part: Any) -> str:
    whole, piece = to_string(single(text)), to_string(single(part))
    found = whole.find(piece)
    return whole[:found] if found >= 0 and piece else ""


def _substring_after(text: Any, part: Any) -> str:
    whole, piece = to_string(single(text)), to_string(single(part))
    found = whole.find(piece)
    return whole[found + len(piece):] if found >= 0 else ""


def _translate(text: Any, source: Any, target: Any) -> str:
    """XPath translate(): each character of ``source`` becomes the one at its place in
    ``target``, or is dropped when ``target`` is shorter; the first occurrence counts."""
    table: dict[str, str | None] = {}
    replacement = to_string(single(target))
    for index, char in enumerate(to_string(single(source))):
        table.setdefault(char, replacement[index] if index < len(replacement) else None)
    return "".join(table.get(c, c) or "" for c in to_string(single(text)))


def _join(separator: Any, *values: Any) -> str:
    items = [item for value in values for item in (value if is_list(value) else [value])]
    return to_string(single(separator)).join(to_string(single(item)) for item in items)


def _selected_at(field: Any, index: Any) -> str:
    chosen = selection(single(field))
    position = to_index(single(index))
    return chosen[position] if 0 <= position < len(chosen) else ""


def _boolean_from_string(value: Any) -> bool:
    return to_string(single(value)) in ("true", "1")


def _checklist(low: Any, high: Any, *values: Any) -> bool:
    """True when the number of true values is within [low, high]; -1 means no bound."""
    count = sum(1 for value in _flat(values) if to_boolean(single(value)))
    return _within(count, low, high)


def _weighted_checklist(low: Any, high: Any, *pairs: Any) -> bool:
    if len(pairs) % 2:
        raise ExpressionError("weighted-checklist() takes values and weights in pairs",
                              kind="eval")
    total = sum(to_number(single(pairs[i + 1])) for i in range(0, len(pairs), 2)
                if to_boolean(single(pairs[i])))
    return _within(total, low, high)


def _within(value: float, low: Any, high: Any) -> bool:
    lower, upper = to_number(single(low)), to_number(single(high))
    return (lower == -1 or value >= lower) and (upper == -1 or value <= upper)


def _flat(values: tuple[Any, ...]) -> list[Any]:
    return [item for value in values for item in (value if is_list(value) else [value])]


def _indexed_repeat(field: Any, repeat: Any, index: Any) -> Any:
    """The value of a repeat field in its n-th instance (1-based), '' past the end."""
    values = field if is_list(field) else [field]
    position = to_index(single(index))
    return values[position - 1] if 1 <= position <= len(values) else ""


def _once(value: Any) -> Any:
    """The tablet keeps the first non-empty value; evaluated alone it is the value."""
    return value


_MOMENT_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})"
                        r"(?::([0-9]{2})(?:\.([0-9]+))?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?")


def _moment(value: Any) -> tuple[datetime, int] | None:
    """A date or ISO date-time (or a day number) as (the time as written, its UTC offset in
    minutes), None if it is neither. Read with one pattern so expr.js reads it identically."""
    value = single(value)
    if isinstance(value, str):
        found = _MOMENT_RE.fullmatch(value.strip())
        if not found or date_part(value.strip()) is None:
            return None
        y, mo, d, h, mi, sec, frac, zone = found.groups()
        millis = int((frac or "0")[:3].ljust(3, "0"))
        try:
            moment = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0),
                              millis * 1000)
        except ValueError:
            return None
        offset = 0
        if zone and zone != "Z":
            digits = zone[1:].replace(":", "")
            offset = (int(digits[:2]) * 60 + int(digits[2:])) * (1 if zone[0] == "+" else -1)
        return moment, offset
    number = to_number(value)
    if math.isnan(number) or not -719_162 <= number < 2_932_897:  # years 1 to 9999
        return None
    return datetime(1970, 1, 1) + timedelta(milliseconds=math.floor(number * 86_400_000 + 0.5)), 0


def _format_date(value: Any, pattern: Any) -> str:
    """ODK's format-date(): %Y %y %m %n %b %d %e %H %h %M %S %3 %a; '' for no date."""
    found = _moment(value)
    if found is None:
        return ""
    moment = found[0]
    codes = {"Y": f"{moment.year:04d}", "y": f"{moment.year % 100:02d}",
             "m": f"{moment.month:02d}", "n": str(moment.month),
             "b": _MONTHS[moment.month - 1], "d": f"{moment.day:02d}", "e": str(moment.day),
             "H": f"{moment.hour:02d}", "h": str(moment.hour), "M": f"{moment.minute:02d}",
             "S": f"{moment.second:02d}", "3": f"{moment.microsecond // 1000:03d}",
             "a": _DAYS[moment.weekday()]}
    text, out, index = to_string(single(pattern)), [], 0
    while index < len(text):
        if text[index] == "%" and index + 1 < len(text) and text[index + 1] in codes:
            out.append(codes[text[index + 1]])
            index += 2
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def _decimal_date_time(value: Any) -> float:
    """Days since 1970-01-01 UTC with the time as a fraction (a date is its midnight UTC)."""
    found = _moment(value)
    if found is None:
        return NAN
    moment, offset = found
    return ((moment - datetime(1970, 1, 1)).total_seconds() / 60 - offset) / 1440


def _now() -> str:
    moment = datetime.now().astimezone()
    return moment.isoformat(timespec="milliseconds")


XLSFORM_FUNCTIONS: list[tuple[str, int, int | None, Callable[..., Any], str]] = [
    ("pow", 2, 2, _number(_pow), "pow(x, y): x to the power y"),
    ("sqrt", 1, 1, _number(math.sqrt), "sqrt(x): square root (NaN below 0)"),
    ("exp", 1, 1, _number(math.exp), "exp(x): e to the power x"),
    ("exp10", 1, 1, _number(lambda x: _pow(10, x)), "exp10(x): 10 to the power x"),
    ("log", 1, 1, _number(_log), "log(x): natural logarithm"),
    ("log10", 1, 1, _number(_log10), "log10(x): base-10 logarithm"),
    ("sin", 1, 1, _number(math.sin), "sin(x), x in radians"),
    ("cos", 1, 1, _number(math.cos), "cos(x), x in radians"),
    ("tan", 1, 1, _number(math.tan), "tan(x), x in radians"),
    ("asin", 1, 1, _number(math.asin), "asin(x) in radians"),
    ("acos", 1, 1, _number(math.acos), "acos(x) in radians"),
    ("atan", 1, 1, _number(math.atan), "atan(x) in radians"),
    ("atan2", 2, 2, _number(math.atan2), "atan2(y, x) in radians"),
    ("pi", 0, 0, lambda: math.pi, "pi()"),
    ("substring-before", 2, 2, _substring_before,
     "substring-before(s, t): s before the first t ('' if none)"),
    ("substring-after", 2, 2, _substring_after,
     "substring-after(s, t): s after the first t ('' if none)"),
    ("translate", 3, 3, _translate, "translate(s, from, to): replaces or drops characters"),
    ("join", 2, None, _join, "join(separator, a, ...): joins values, a repeat field's all"),
    ("selected-at", 2, 2, _selected_at,
     "selected-at(field, n): the n-th chosen name (0-based) of a select_multiple"),
    ("boolean-from-string", 1, 1, _boolean_from_string,
     "boolean-from-string(s): true for 'true' or '1'"),
    ("checklist", 2, None, _checklist,
     "checklist(min, max, v, ...): the number of true values is within min..max (-1: none)"),
    ("weighted-checklist", 2, None, _weighted_checklist,
     "weighted-checklist(min, max, v, w, ...): the sum of weights of true values is within"),
    ("indexed-repeat", 3, 3, _indexed_repeat,
     "indexed-repeat(${field}, ${repeat}, n): the field in the repeat's n-th instance"),
    ("once", 1, 1, _once, "once(x): x, kept once set (the tablet does not recompute it)"),
    ("format-date", 2, 2, _format_date,
     "format-date(d, '%Y-%m-%d'): %Y %y %m %n %b %d %e %H %h %M %S %3 %a"),
    ("format-date-time", 2, 2, _format_date, "format-date-time(d, pattern): as format-date"),
    ("decimal-date-time", 1, 1, _decimal_date_time,
     "decimal-date-time(d): days since 1970-01-01 UTC, the time as a fraction"),
    ("uuid", 0, 0, lambda: str(uuid.uuid4()), "uuid(): a random RFC 4122 identifier"),
    ("random", 0, 0, random.random, "random(): a number in [0, 1)"),
    ("now", 0, 0, _now, "now(): the current date and time with its offset"),
]
# Functions whose first argument must be a ${field} (a repeat's values).
XLSFORM_NEEDS_FIELD = {"indexed-repeat"}
