"""Two evaluators over one set of value rules: a plain tree walk and a closure compiler.

The walk is the reference (and the model for the browser's interpreter of the JSON AST);
the compiler builds nested closures once so scoring 20,000 rows does no AST dispatch per row.
Both share expr_values / expr_functions, and the test vectors hold them to identical results.
``instances`` are the lists ``instance('name')/root/item[...]`` reads (a survey's choice lists
and attached files), each a list of items {column: text}.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from evaluator.definitions.expr_ast import (
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
    functions_used,
)
from evaluator.definitions.expr_functions import FUNCTIONS, today_text
from evaluator.definitions.expr_values import (
    NodeSet,
    arithmetic,
    compare,
    equals,
    is_null,
    single,
    to_boolean,
    to_number,
    to_string,
)

_COMPARISONS = {"<", "<=", ">", ">="}
Instances = Mapping[str, Sequence[Mapping[str, str]]]


@dataclass(frozen=True, slots=True)
class Env:
    """What an evaluation sees besides the answers: the date, the lists and, inside a lookup's
    filter, the item being tested."""

    today: str = ""
    instances: Instances = field(default_factory=dict)
    item: Mapping[str, str] = field(default_factory=dict)


def _check_answers(answers: Mapping[str, Any]) -> None:
    if type(answers) is not dict and not isinstance(answers, Mapping):  # dict: no ABC check
        raise TypeError(f"answers must be a mapping of field name to value, "
                        f"not {type(answers).__name__}")


def _lookup(answers: Mapping[str, Any], name: str) -> Any:
    value = answers.get(name, "")
    return "" if value is None else value


def _binary(op: str, left: Any, right: Any) -> Any:
    if op == "=":
        return equals(left, right)
    if op == "!=":
        return not equals(left, right)
    if op in _COMPARISONS:
        return compare(op, left, right)
    return arithmetic(op, left, right)


def _env(node: Node, today: date | None, instances: Instances | None) -> Env:
    day = today_text(today) if "today" in functions_used(node) else ""
    return Env(day, instances or {})


def evaluate(node: Node, answers: Mapping[str, Any], *, current: Any = None,
             today: date | None = None, instances: Instances | None = None) -> Any:
    """Evaluate by walking the tree: a number, string, boolean, or a list (a repeat's values,
    a lookup's node-set) for ${x} and instance() paths."""
    _check_answers(answers)
    return _walk(node, answers, "" if current is None else current, _env(node, today, instances))


def _walk(node: Node, answers: Mapping[str, Any], current: Any, env: Env) -> Any:
    if isinstance(node, Number | String):
        return node.value
    if isinstance(node, Ref):
        return _lookup(answers, node.name)
    if isinstance(node, Current):
        return current
    if isinstance(node, Column):
        return env.item.get(node.name, "")
    try:
        if isinstance(node, Negate):
            return -to_number(_walk(node.operand, answers, current, env))
        if isinstance(node, Binary):
            left = _walk(node.left, answers, current, env)
            if node.op == "and":
                return to_boolean(left) and to_boolean(_walk(node.right, answers, current, env))
            if node.op == "or":
                return to_boolean(left) or to_boolean(_walk(node.right, answers, current, env))
            return _binary(node.op, left, _walk(node.right, answers, current, env))
        if isinstance(node, Lookup):
            condition = node.filter
            test = None if condition is None else (
                lambda item: to_boolean(_walk(condition, answers, current,
                                              Env(env.today, env.instances, item))))
            return _select(node, env.instances, test)
        return _walk_call(node, answers, current, env)
    except ExpressionError as exc:
        raise exc.located(_context(node), node.pos) from None


def _select(node: Lookup, instances: Instances, test: Callable[[Mapping[str, str]], bool] | None
            ) -> NodeSet:
    """The node-set of a lookup: each passing item's column (or the whole item's name)."""
    items = instances.get(node.instance, ())
    column = node.column or "name"
    return NodeSet(item.get(column, "") for item in items if test is None or test(item))


def _walk_call(node: Call, answers: Mapping[str, Any], current: Any, env: Env) -> Any:
    args = node.args
    if node.name == "if":
        chosen = args[1] if to_boolean(_walk(args[0], answers, current, env)) else args[2]
        return _walk(chosen, answers, current, env)
    if node.name == "coalesce":
        first = _walk(args[0], answers, current, env)
        return _walk(args[1], answers, current, env) if is_null(first) else first
    if node.name == "today":
        return env.today
    values = [_walk(a, answers, current, env) for a in args]
    if node.name == "pulldata":
        return pulldata(env.instances, *values)
    impl = FUNCTIONS[node.name].impl
    if impl is None:  # pragma: no cover - every function without impl is handled above
        raise ExpressionError(f"{node.name}() has no implementation", node.pos, kind="eval")
    return impl(*values)


def pulldata(instances: Instances, source: Any, column: Any, key_column: Any, key: Any) -> str:
    """ODK's pulldata(): a value from an attached CSV by key, '' when nothing matches."""
    wanted = to_string(single(key))
    key_name = to_string(single(key_column))
    for item in instances.get(to_string(single(source)), ()):
        if item.get(key_name, "") == wanted:
            return item.get(to_string(single(column)), "")
    return ""


def _context(node: Node) -> str:
    if isinstance(node, Call):
        return f"in {node.name}()"
    if isinstance(node, Binary):
        return f"in '{node.op}'"
    if isinstance(node, Lookup):
        return f"in instance('{node.instance}')"
    return "in unary '-'"


Compiled = Callable[[Mapping[str, Any], Any, Env], Any]


def compile_expression(node: Node) -> Callable[..., Any]:
    """A function ``run(answers, *, current=None, today=None, instances=None)`` giving
    evaluate()'s results."""
    compiled = _compile(node)
    uses_today = "today" in functions_used(node)
    plain = Env()

    def run(answers: Mapping[str, Any], *, current: Any = None, today: date | None = None,
            instances: Instances | None = None) -> Any:
        _check_answers(answers)
        env = plain if not uses_today and not instances else Env(
            today_text(today) if uses_today else "", instances or {})
        return compiled(answers, "" if current is None else current, env)

    return run


def _compile(node: Node) -> Compiled:
    if isinstance(node, Number | String):
        constant = node.value
        return lambda answers, current, env: constant
    if isinstance(node, Ref):
        name = node.name
        return lambda answers, current, env: _lookup(answers, name)
    if isinstance(node, Current):
        return lambda answers, current, env: current
    if isinstance(node, Column):
        column = node.name
        return lambda answers, current, env: env.item.get(column, "")
    if isinstance(node, Negate):
        return _guard(node, _compile_negate(_compile(node.operand)))
    if isinstance(node, Binary):
        return _guard(node, _compile_binary(node))
    if isinstance(node, Lookup):
        return _guard(node, _compile_lookup(node))
    return _guard(node, _compile_call(node))


def _compile_lookup(node: Lookup) -> Compiled:
    test = None if node.filter is None else _compile(node.filter)

    def select(answers: Mapping[str, Any], current: Any, env: Env) -> NodeSet:
        if test is None:
            return _select(node, env.instances, None)
        return _select(node, env.instances, lambda item: to_boolean(
            test(answers, current, Env(env.today, env.instances, item))))

    return select


def _guard(node: Node, inner: Compiled) -> Compiled:
    context, position = _context(node), node.pos

    def guarded(answers: Mapping[str, Any], current: Any, env: Env) -> Any:
        try:
            return inner(answers, current, env)
        except ExpressionError as exc:
            raise exc.located(context, position) from None

    return guarded


def _compile_negate(operand: Compiled) -> Compiled:
    return lambda answers, current, env: -to_number(operand(answers, current, env))


def _compile_binary(node: Binary) -> Compiled:
    left, right, op = _compile(node.left), _compile(node.right), node.op
    if op == "and":
        return lambda a, c, d: to_boolean(left(a, c, d)) and to_boolean(right(a, c, d))
    if op == "or":
        return lambda a, c, d: to_boolean(left(a, c, d)) or to_boolean(right(a, c, d))
    if op == "=":
        return lambda a, c, d: equals(left(a, c, d), right(a, c, d))
    if op == "!=":
        return lambda a, c, d: not equals(left(a, c, d), right(a, c, d))
    if op in _COMPARISONS:
        return lambda a, c, d: compare(op, left(a, c, d), right(a, c, d))
    return lambda a, c, d: arithmetic(op, left(a, c, d), right(a, c, d))


def _compile_call(node: Call) -> Compiled:
    args = [_compile(a) for a in node.args]
    if node.name == "if":
        test, then, otherwise = args
        return lambda a, c, d: then(a, c, d) if to_boolean(test(a, c, d)) else otherwise(a, c, d)
    if node.name == "coalesce":
        first, second = args

        def coalesce(a: Mapping[str, Any], c: Any, d: Env) -> Any:
            value = first(a, c, d)
            return second(a, c, d) if is_null(value) else value

        return coalesce
    if node.name == "today":
        return lambda a, c, d: d.today
    if node.name == "pulldata":
        return lambda a, c, d: pulldata(d.instances, *[arg(a, c, d) for arg in args])
    impl = FUNCTIONS[node.name].impl
    if impl is None:  # pragma: no cover - every function without impl is handled above
        raise ExpressionError(f"{node.name}() has no implementation", node.pos)
    if len(args) == 0:
        return lambda a, c, d: impl()
    if len(args) == 1:
        (only,) = args
        return lambda a, c, d: impl(only(a, c, d))
    if len(args) == 2:
        one, two = args
        return lambda a, c, d: impl(one(a, c, d), two(a, c, d))
    return lambda a, c, d: impl(*[arg(a, c, d) for arg in args])
