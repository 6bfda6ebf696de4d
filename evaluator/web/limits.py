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


def _refuse_constant(name: str) -> Any:
    raise JsonRefused(400, f"{name} is not a JSON number; send a finite number or null")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise JsonRefused(422, f"a number of {len(text)} digits; at most {MAX_NUMBER_DIGITS}")
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS + 10:
        raise JsonRefused(422, f"a number written with {len(text)} characters; at most "
                          f"{MAX_NUMBER_DIGITS + 10}")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JsonRefused(422, f"{text[:20]} is too large for a number")
    return value


def json_body() -> Any:
    """The request's JSON body within the bounds above, or ``JsonRefused``."""
    if not request.is_json:
        raise JsonRefused(400, "send one JSON object with Content-Type: application/json")
    data = request.get_data(cache=True)  # MAX_CONTENT_LENGTH already answered 413 if larger
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_int=_bounded_int,
                           parse_float=_bounded_float)
    except RecursionError:
        raise JsonRefused(422, f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels") from None
    except JsonRefused:
        raise
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise JsonRefused(400, f"not valid JSON ({exc})") from None
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
            raise JsonRefused(422, f"the JSON holds more than {MAX_JSON_NODES} values")
        if depth > MAX_JSON_DEPTH:
            raise JsonRefused(422, f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
