"""XPath 1.0 value rules as ODK Collect (JavaRosa) applies them to form answers (取值与类型转换).

Answers arrive as strings ('' = unanswered), numbers, booleans or, for a field inside a repeat,
a list with one value per repeat instance. Type mix-ups never raise, they give NaN / false as
XPath does; a list where a single value is needed is a genuine mistake and raises.
"""

from __future__ import annotations

import math
import numbers
import re
from datetime import date, timedelta
from typing import Any, NoReturn

from evaluator.definitions.expr_ast import ExpressionError, plain_decimal

NAN = float("nan")
INF = float("inf")
EPOCH = date(1970, 1, 1)
# Equality of numbers tolerates float noise, as JavaRosa does: 0.1 + 0.2 = 0.3 is true.
EQUALITY_TOLERANCE = 1e-12
ASCII_SPACE = " \t\n\r"

_NUMBER_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_LIKE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T|$)")
# A time answer (XLSForm ``time``): HH:MM, HH:MM:SS or HH:MM:SS.sss with an optional offset.
_TIME_LIKE_RE = re.compile(r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?$")
_SPACES_RE = re.compile(r"[ \t\n\r]+")


#: The types answers have: tested by identity first, as the abstract numbers.Real check is slow
#: and a bundle check evaluates these tens of thousands of times.
_PLAIN = frozenset({str, bool, int, float, type(None)})


def is_number(value: Any) -> bool:
    kind = type(value)
    if kind in _PLAIN:
        return kind is int or kind is float
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


class NodeSet(tuple):
    """The values an ``instance()`` lookup selects. Unlike a repeat's list, it reads as its
    first value where one value is needed ('' when empty), as an XPath node-set does, so
    ``instance('v')/root/item[name = ${v}]/label`` is the label."""

    __slots__ = ()


def single(value: Any) -> Any:
    """Refuse a repeat's list where XPath would silently take the first node's value."""
    if type(value) in _PLAIN or isinstance(value, str | bool) or is_number(value):
        return value
    if isinstance(value, NodeSet):
        return value[0] if value else ""
    refuse(value)


def refuse(value: Any) -> NoReturn:
    if is_list(value):
        raise ExpressionError(
            f"a repeat field (a list of {len(value)} value{'' if len(value) == 1 else 's'})"
            " was used where a single value is needed",
            kind="eval", hint="use count(), sum(), min(), max() or concat() on a repeat field",
        )
    raise ExpressionError(f"unsupported answer type {type(value).__name__}", kind="eval")


def to_number(value: Any) -> float:
    """XPath number(): digits with an optional '-' and '.', or an ISO date as days since 1970.

    Like JavaRosa, no exponent, no '+', no thousands separators; unlike JavaRosa, a ','
    is not read as a decimal point (in this data it is a thousands separator).
    """
    if isinstance(value, str):
        text = value.strip(ASCII_SPACE)
        if _NUMBER_RE.fullmatch(text):
            return float(text)
        if _DATE_RE.fullmatch(text):
            return date_to_days(text)
        return NAN
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if is_number(value):
        try:
            return float(value)
        except OverflowError:
            return INF if value > 0 else -INF
    if value is None:
        return NAN
    if isinstance(value, NodeSet):
        return to_number(single(value))
    refuse(value)


def to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return format_number(to_number(value))
    if value is None:
        return ""
    if isinstance(value, NodeSet):
        return to_string(single(value))
    refuse(value)


def to_boolean(value: Any) -> bool:
    if isinstance(value, str):
        return value != ""
    if isinstance(value, bool):
        return value
    if is_number(value):
        number = to_number(value)
        return number != 0 and not math.isnan(number)
    if value is None:
        return False
    if isinstance(value, NodeSet):
        return len(value) > 0  # XPath: a node-set is true when it is not empty
    refuse(value)


def format_number(number: float) -> str:
    """string() of a number, as JavaRosa writes it: integers without '.0', never an exponent."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if abs(number) < EQUALITY_TOLERANCE:
        return "0"
    whole = math.trunc(number)
    if abs(number - whole) < EQUALITY_TOLERANCE:
        return str(whole)
    return plain_decimal(number)


def is_null(value: Any) -> bool:
    """JavaRosa's 'null' for coalesce(): an empty string or NaN."""
    value = single(value)
    if value is None or value == "":
        return True
    return is_number(value) and math.isnan(to_number(value))


def equals(left: Any, right: Any) -> bool:
    """XPath '=': booleans win, then numbers, else string equality (no trimming)."""
    left, right = single(left), single(right)
    if isinstance(left, bool) or isinstance(right, bool):
        return to_boolean(left) == to_boolean(right)
    if is_number(left) or is_number(right):
        a, b = to_number(left), to_number(right)
        return a == b or abs(a - b) < EQUALITY_TOLERANCE
    return to_string(left) == to_string(right)


def compare(op: str, left: Any, right: Any) -> bool:
    """XPath '<' etc.: numbers (NaN makes it false), but two ISO dates (or date-times), or two
    times of day ('08:30', '17:05:00'), compare as text, which orders them in time."""
    left, right = single(left), single(right)
    a: Any
    b: Any
    if isinstance(left, str) and isinstance(right, str) and (
            (_DATE_LIKE_RE.match(left) and _DATE_LIKE_RE.match(right))
            or (_TIME_LIKE_RE.match(left) and _TIME_LIKE_RE.match(right))):
        a, b = left, right
    else:
        a, b = to_number(left), to_number(right)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def divide(a: float, b: float) -> float:
    """IEEE division as XPath has it: x div 0 is ±Infinity, 0 div 0 is NaN."""
    if b == 0:
        if a == 0 or math.isnan(a):
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)
    return a / b


def modulo(a: float, b: float) -> float:
    """XPath mod keeps the sign of the dividend (like Java/JS %, unlike Python %)."""
    try:
        return math.fmod(a, b)
    except ValueError:
        return NAN


def arithmetic(op: str, left: Any, right: Any) -> float:
    a, b = to_number(left), to_number(right)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "div":
        return divide(a, b)
    return modulo(a, b)


def truncate(number: float) -> float:
    """int(): drop the fraction toward zero; NaN and infinities pass through."""
    if not math.isfinite(number):
        return number
    return float(math.trunc(number))


def to_index(value: Any) -> int:
    """A Java ``(int)`` cast of a number, used for substr() positions and round() places."""
    number = to_number(value)
    if math.isnan(number):
        return 0
    if math.isinf(number):
        return 2**31 - 1 if number > 0 else -(2**31)
    return max(-(2**31), min(2**31 - 1, math.trunc(number)))


def date_to_days(text: str) -> float:
    try:
        return float((date.fromisoformat(text) - EPOCH).days)
    except ValueError:
        return NAN


def days_to_date(number: float) -> str:
    try:
        return (EPOCH + timedelta(days=math.trunc(number))).isoformat()
    except (OverflowError, ValueError):
        raise ExpressionError(f"{format_number(number)} days is outside the dates this tool handles",
                              kind="eval") from None


def selection(value: Any) -> list[str]:
    """The choice names of a select_multiple answer: space-separated tokens."""
    return [token for token in _SPACES_RE.split(to_string(value)) if token]


def normalize_space(value: Any) -> str:
    return " ".join(selection(value))


def date_part(text: str) -> str | None:
    """'YYYY-MM-DD' of a date or ISO date-time string, or None if it is not a real date."""
    if not _DATE_LIKE_RE.match(text):
        return None
    day = text[:10]
    try:
        date.fromisoformat(day)
    except ValueError:
        return None
    return day
