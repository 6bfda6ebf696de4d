"""Bounds on what a request may carry, checked before the work starts (OWASP ASVS V13).

- Ids in URLs are integers the database can hold: ``<int:...>`` accepts 1 .. 2**31 - 1 (the
  PostgreSQL ``integer`` primary keys); a larger number matches no route (404) instead of
  overflowing in the database driver (a 500).
- JSON bodies are parsed here, not by ``request.get_json``: at most ``MAX_JSON_DEPTH`` levels
  and ``MAX_JSON_NODES`` values, no ``NaN``/``Infinity`` (not JSON; PostgreSQL's JSON refuses
  them), numbers of at most 40 digits. What breaks a bound is a ``JsonRefused`` with the status
  to answer (400 not JSON, 413 too large, 422 too deep / too many values) and a sentence.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

#: The largest id: PostgreSQL ``integer`` (SQLite would take 2**63 - 1, but ids are portable).
MAX_ID = 2**31 - 1
#: A submission nests answers -> repeat -> entry -> nested repeat -> ...; 32 is far beyond
#: any form and far below the parser's recursion limit.
MAX_JSON_DEPTH = 32
MAX_JSON_NODES = 200_000
MAX_NUMBER_DIGITS = 40


class BoundedId(IntegerConverter):
    """``<int:name>`` for ids: 1 .. MAX_ID unless the rule says otherwise."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's signature)
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def register_limits(app: Flask) -> None:
    """Before the blueprints add their rules: every ``<int:...>`` is a bounded id."""
    app.url_map.converters["int"] = BoundedId


class JsonRefused(ValueError):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


#: The reasons Python's JSON parser gives (json.decoder), said in the request's language.
_JSON_REASONS = {
    "Expecting value": _l("Expecting value"),
    "Expecting property name enclosed in double quotes":
        _l("Expecting property name enclosed in double quotes"),
    "Expecting ',' delimiter": _l("Expecting ',' delimiter"),
    "Expecting ':' delimiter": _l("Expecting ':' delimiter"),
    "Extra data": _l("Extra data"),
    "Unterminated string starting at": _l("Unterminated string starting at"),
    "Invalid control character at": _l("Invalid control character at"),
    "Invalid \\escape": _l("Invalid \\escape"),
    "Invalid \\uXXXX escape": _l("Invalid \\uXXXX escape"),
    "Illegal trailing comma before end of object": _l("Illegal trailing comma before end of "
                                                      "object"),
    "Illegal trailing comma before end of array": _l("Illegal trailing comma before end of "
                                                     "array"),
}


def _json_reason(exc: ValueError) -> str:
    """Why the body is not JSON: a parser's reason with its place (in English as
    ``str(exc)`` says it), a decoding error by its byte."""
    if isinstance(exc, json.JSONDecodeError) and exc.msg in _JSON_REASONS:
        return gettext("%(reason)s: line %(line)s column %(column)s (char %(pos)s)",
                       reason=_JSON_REASONS[exc.msg], line=exc.lineno, column=exc.colno,
                       pos=exc.pos)
    if isinstance(exc, UnicodeDecodeError):
        return gettext("not UTF-8 text at byte %(n)s", n=exc.start)
    return str(exc)


def _too_deep() -> str:
    return gettext("the JSON is nested deeper than %(most)s levels", most=MAX_JSON_DEPTH)


def _refuse_constant(name: str) -> Any:
    raise JsonRefused(400, gettext("%(name)s is not a JSON number; send a finite number or null",
                                   name=name))


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise JsonRefused(422, gettext("a number of %(n)s digits; at most %(most)s", n=len(text),
                                       most=MAX_NUMBER_DIGITS))
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS + 10:
        raise JsonRefused(422, gettext("a number written with %(n)s characters; at most "
                                       "%(most)s", n=len(text), most=MAX_NUMBER_DIGITS + 10))
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JsonRefused(422, gettext("%(text)s is too large for a number", text=text[:20]))
    return value


def json_body() -> Any:
    """The request's JSON body within the bounds above, or ``JsonRefused``."""
    if not request.is_json:
        raise JsonRefused(400, gettext("send one JSON object with Content-Type: "
                                       "application/json"))
    data = request.get_data(cache=True)  # MAX_CONTENT_LENGTH already answered 413 if larger
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_int=_bounded_int,
                           parse_float=_bounded_float)
    except RecursionError:
        raise JsonRefused(422, _too_deep()) from None
    except JsonRefused:
        raise
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise JsonRefused(400, gettext("not valid JSON (%(detail)s)", detail=_json_reason(exc))
                          ) from None
    check_shape(value)
    return value


def check_shape(value: Any) -> None:
    """``JsonRefused`` (422) when ``value`` nests deeper than MAX_JSON_DEPTH or holds more than
    MAX_JSON_NODES values. Iterative: a hostile document cannot exhaust the stack here."""
    stack = [(value, 1)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > MAX_JSON_NODES:
            raise JsonRefused(422, gettext("the JSON holds more than %(most)s values",
                                           most=MAX_JSON_NODES))
        if depth > MAX_JSON_DEPTH:
            raise JsonRefused(422, _too_deep())
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
