"""The JSON form of the AST, read by the browser's evaluator for offline skip logic (离线跳题).

Shapes (documented in docs/expressions.md):
    {"op": "num", "value": 5}            {"op": "str", "value": "yes"}
    {"op": "ref", "name": "age"}         {"op": "current"}
    {"op": "neg", "args": [x]}           {"op": "+", "args": [a, b]}   (any binary operator)
    {"op": "call", "fn": "selected", "args": [...]}
    {"op": "lookup", "instance": "villages", "path": "/root/item", "filter": x | null,
     "column": "label"}                 {"op": "col", "name": "district"}  (inside a filter)
"""

from __future__ import annotations

import math
from typing import Any

from evaluator.definitions.expr_ast import (
    MAX_DEPTH,
    PRECEDENCE,
    Binary,
    Call,
    Column,
    Current,
    ExpressionError,
    Lookup,
    Negate,
    Node,
    Number,
    Ref,
    String,
)
from evaluator.definitions.expr_functions import check_call
from evaluator.definitions.expr_parse import COLUMN_RE, PATH_RE, valid_field_name


def to_json(node: Node) -> dict[str, Any]:
    if isinstance(node, Number):
        value = node.value
        return {"op": "num", "value": int(value) if value.is_integer() and abs(value) < 2**53
                else value}
    if isinstance(node, String):
        return {"op": "str", "value": node.value}
    if isinstance(node, Ref):
        return {"op": "ref", "name": node.name}
    if isinstance(node, Current):
        return {"op": "current"}
    if isinstance(node, Negate):
        return {"op": "neg", "args": [to_json(node.operand)]}
    if isinstance(node, Binary):
        return {"op": node.op, "args": [to_json(node.left), to_json(node.right)]}
    if isinstance(node, Column):
        return {"op": "col", "name": node.name}
    if isinstance(node, Lookup):
        return {"op": "lookup", "instance": node.instance, "path": node.path,
                "filter": None if node.filter is None else to_json(node.filter),
                "column": node.column}
    return {"op": "call", "fn": node.name, "args": [to_json(a) for a in node.args]}


def from_json(data: Any) -> Node:
    """Rebuild an AST from to_json() output, checking it as strictly as the parser would."""
    return _from_json(data, "$", 1)


def _bad(where: str, what: str) -> ExpressionError:
    return ExpressionError(f"bad expression JSON at {where}: {what}")


def _args(data: dict[str, Any], where: str, level: int, count: int | None) -> list[Node]:
    args = data.get("args")
    if not isinstance(args, list):
        raise _bad(where, "'args' must be a list")
    if count is not None and len(args) != count:
        raise _bad(where, f"'{data['op']}' needs {count} args, got {len(args)}")
    return [_from_json(a, f"{where}.args[{i}]", level + 1) for i, a in enumerate(args)]


def _lookup(data: dict[str, Any], where: str, level: int) -> Lookup:
    source, path, column = data.get("instance"), data.get("path"), data.get("column")
    if not (isinstance(source, str) and source and "'" not in source):
        raise _bad(where, "'lookup' needs the 'instance' name")
    if not (isinstance(path, str) and PATH_RE.fullmatch(path)):
        raise _bad(where, "'lookup' needs a 'path' like /root/item")
    if not (isinstance(column, str) and (column == "" or COLUMN_RE.fullmatch("/" + column))):
        raise _bad(where, "'lookup' needs a 'column' name or ''")
    raw = data.get("filter")
    where_node = None if raw is None else _from_json(raw, f"{where}.filter", level + 1)
    return Lookup(source, where_node, column, path)


def _from_json(data: Any, where: str, level: int) -> Node:
    if level > MAX_DEPTH:
        raise _bad(where, f"nested deeper than {MAX_DEPTH} levels")
    if not isinstance(data, dict) or not isinstance(data.get("op"), str):
        raise _bad(where, "expected an object with a string 'op'")
    op = data["op"]
    if op == "num":
        value = data.get("value")
        try:
            number = float(value) if isinstance(value, int | float) else math.nan
        except OverflowError:
            number = math.inf
        if isinstance(value, bool) or not math.isfinite(number) or number < 0:
            raise _bad(where, "'num' needs a finite, non-negative 'value' (minus is 'neg')")
        return Number(number)
    if op == "str":
        if not isinstance(data.get("value"), str):
            raise _bad(where, "'str' needs a string 'value'")
        return String(data["value"])
    if op == "ref":
        name = data.get("name")
        if not isinstance(name, str) or not valid_field_name(name):
            raise _bad(where, "'ref' needs a valid field 'name'")
        return Ref(name)
    if op == "current":
        return Current()
    if op == "col":
        name = data.get("name")
        if not isinstance(name, str) or not valid_field_name(name):
            raise _bad(where, "'col' needs a valid column 'name'")
        return Column(name)
    if op == "lookup":
        return _lookup(data, where, level)
    if op == "neg":
        return Negate(_args(data, where, level, 1)[0])
    if op in PRECEDENCE:
        left, right = _args(data, where, level, 2)
        return Binary(op, left, right)
    if op == "call":
        if not isinstance(data.get("fn"), str):
            raise _bad(where, "'call' needs a string 'fn'")
        node = Call(data["fn"], tuple(_args(data, where, level, None)))
        try:
            check_call(node)
        except ExpressionError as exc:
            raise _bad(where, exc.reason) from None
        return node
    raise _bad(where, f"unknown op {op!r}")
