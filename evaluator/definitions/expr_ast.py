"""The expression AST (表达式语法树): small immutable nodes, the error type, and walks over them.

Positions are kept on every node for error messages but take no part in equality, so an AST
parsed from ``to_text(ast)`` compares equal to the original.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal


class ExpressionError(ValueError):
    """A problem with an expression; ``kind`` is ``"parse"`` (bad text) or ``"eval"`` (bad data).

    ``message`` is the full human sentence, always ending "at position N" when the position is
    known; ``reason`` is the same without the optional ``hint`` and the position; ``position`` is
    the 0-based character offset into the text (or None).
    """

    def __init__(self, reason: str, position: int | None = None, *, kind: str = "parse",
                 hint: str = ""):
        self.reason = reason
        self.position = position
        self.kind = kind
        self.hint = hint
        message = f"{reason} ({hint})" if hint else reason
        self.message = message if position is None else f"{message} at position {position}"
        super().__init__(self.message)

    def located(self, context: str, position: int) -> ExpressionError:
        """The same error attached to the node that met it, if no inner node claimed it first."""
        if self.position is not None:
            return self
        return ExpressionError(f"{context}: {self.reason}", position, kind=self.kind,
                               hint=self.hint)


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class String:
    value: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Ref:
    """``${name}``: an answer by field name (a roster column counts as a field)."""

    name: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Current:
    """``.``: the value being checked, as in a constraint."""

    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Column:
    """A bare name inside an ``instance()`` predicate: a column of the item being tested."""

    name: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Lookup:
    """``instance('villages')/root/item[district = ${district}]/label``: the items of a choice
    list or attached file that pass the filter, as a node-set of one column's values (or of
    whole items when no column is named)."""

    instance: str
    filter: Node | None
    column: str
    path: str = "/root/item"
    pos: int = field(default=0, compare=False)


Node = Number | String | Ref | Current | Negate | Binary | Call | Column | Lookup

# XPath 1.0 precedence, loosest first; every binary operator is left-associative.
PRECEDENCE: dict[str, int] = {
    "or": 1,
    "and": 2,
    "=": 3, "!=": 3,
    "<": 4, "<=": 4, ">": 4, ">=": 4,
    "+": 5, "-": 5,
    "*": 6, "div": 6, "mod": 6,
}
UNARY_PRECEDENCE = 7
MAX_DEPTH = 120


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Negate):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Lookup) and node.filter is not None:
        return (node.filter,)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node, parents first; iterative so a long ``a + b + ...`` chain cannot overflow."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def start_position(node: Node) -> int:
    """Where a node's text begins (a binary node's own position is its operator's)."""
    while isinstance(node, Binary):
        node = node.left
    return node.pos


def depth(node: Node) -> int:
    best = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        best = max(best, level)
        stack.extend((child, level + 1) for child in children(current))
    return best


def references(node: Node) -> set[str]:
    """Field names used as ``${name}``, so validators can flag unknown fields before any data."""
    return {n.name for n in walk(node) if isinstance(n, Ref)}


def functions_used(node: Node) -> set[str]:
    return {n.name for n in walk(node) if isinstance(n, Call)}


def plain_decimal(value: float) -> str:
    """Shortest round-trip digits of ``value`` without an exponent (XPath has no ``1e5``)."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    if text.endswith(".0"):
        text = text[:-2]
    return text


def quote(text: str) -> str:
    """XPath string literals have no escapes: pick the quote the text does not contain."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise ExpressionError("a string holding both ' and \" cannot be written as an XPath literal")


def to_text(node: Node) -> str:
    """Expression text that parses back to an equal AST, with only the parentheses needed."""
    return _text(node, 0)


def _text(node: Node, outer: int) -> str:
    if isinstance(node, Number):
        if not math.isfinite(node.value) or node.value < 0:
            raise ExpressionError(f"number literal {node.value!r} cannot be written as text")
        return plain_decimal(node.value)
    if isinstance(node, String):
        return quote(node.value)
    if isinstance(node, Ref):
        return "${" + node.name + "}"
    if isinstance(node, Current):
        return "."
    if isinstance(node, Negate):
        text = "-" + _text(node.operand, UNARY_PRECEDENCE)
        return f"({text})" if outer > UNARY_PRECEDENCE else text
    if isinstance(node, Call):
        return node.name + "(" + ", ".join(_text(a, 0) for a in node.args) + ")"
    if isinstance(node, Column):
        return node.name
    if isinstance(node, Lookup):
        text = f"instance({quote(node.instance)}){node.path}"
        if node.filter is not None:
            text += "[" + _text(node.filter, 0) + "]"
        return text + (f"/{node.column}" if node.column else "")
    prec = PRECEDENCE[node.op]
    # Left-associative: the right operand needs parentheses at equal precedence.
    text = f"{_text(node.left, prec)} {node.op} {_text(node.right, prec + 1)}"
    return f"({text})" if outer > prec else text
