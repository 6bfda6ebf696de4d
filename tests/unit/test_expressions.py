"""The expression language: shared vectors through both evaluators, plus properties.

tests/vectors/expressions.json is also the truth for the browser evaluator, so every vector
runs through parse, evaluate, compile_expression, to_json/from_json and to_text/parse.
"""

from __future__ import annotations

import json
import math
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evaluator.definitions.expressions import (
    FUNCTIONS,
    Binary,
    Call,
    Current,
    ExpressionError,
    Negate,
    Number,
    Ref,
    String,
    compile_expression,
    evaluate,
    format_number,
    from_json,
    functions_used,
    parse,
    references,
    to_boolean,
    to_json,
    to_number,
    to_string,
    to_text,
)

VECTORS_PATH = Path(__file__).resolve().parents[1] / "vectors" / "expressions.json"
VECTORS = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
CASE_KEYS = {"expr", "answers", "today", "current", "expect", "error", "note", "instances"}


def _case_id(case: dict) -> str:
    return case["expr"][:60] or "<empty>"


def _today(case: dict) -> date | None:
    return date.fromisoformat(case["today"]) if "today" in case else None


def _matches(expect, actual) -> bool:
    """JSON expectation vs Python value: numbers within tolerance, NaN/Infinity encoded."""
    if isinstance(expect, dict):
        if not isinstance(actual, float):
            return False
        if expect == {"nan": True}:
            return math.isnan(actual)
        if set(expect) == {"inf"}:
            return math.isinf(actual) and math.copysign(1, actual) == expect["inf"]
        raise ValueError(f"unknown encoded value {expect}")
    if isinstance(expect, bool) or isinstance(actual, bool):
        return type(expect) is type(actual) and expect == actual
    if isinstance(expect, int | float):
        if not isinstance(actual, int | float) or math.isnan(actual):
            return False
        return abs(actual - expect) <= 1e-9 * max(1.0, abs(expect))
    if isinstance(expect, list):  # a repeat's list, or a lookup's node-set (a tuple)
        return isinstance(actual, list | tuple) and len(expect) == len(actual) and all(
            _matches(e, a) for e, a in zip(expect, actual, strict=True))
    return type(expect) is type(actual) and expect == actual


def test_vector_file_shape():
    assert len(VECTORS) >= 180
    for case in VECTORS:
        assert set(case) <= CASE_KEYS, case
        assert isinstance(case["expr"], str)
        assert ("expect" in case) != ("error" in case), case
        assert case.get("error", "parse") in {"parse", "eval"}
    exprs = [(c["expr"], json.dumps(c.get("answers"), sort_keys=True), c.get("current"))
             for c in VECTORS]
    assert len(exprs) == len(set(exprs)), "duplicate vectors"


def test_vectors_cover_every_operator_and_function():
    used_ops: set[str] = set()
    used_functions: set[str] = set()
    for case in VECTORS:
        try:
            node = parse(case["expr"])
        except ExpressionError:
            continue
        used_functions |= functions_used(node)
        used_ops |= set(_ops(to_json(node)))
    assert used_functions == set(FUNCTIONS)
    assert used_ops >= {"or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod",
                        "neg", "num", "str", "ref", "current", "call"}


def _ops(data: dict):
    yield data["op"]
    for arg in data.get("args", []):
        yield from _ops(arg)


@pytest.mark.parametrize("case", VECTORS, ids=_case_id)
def test_vector(case):
    answers = case.get("answers", {})
    kwargs = {"current": case.get("current"), "today": _today(case),
              "instances": case.get("instances")}
    if case.get("error") == "parse":
        with pytest.raises(ExpressionError) as caught:
            parse(case["expr"])
        assert caught.value.kind == "parse"
        assert caught.value.position is not None
        assert caught.value.message.endswith(f" at position {caught.value.position}")
        return
    node = parse(case["expr"])
    run = compile_expression(node)
    if case.get("error") == "eval":
        for evaluator in (lambda: evaluate(node, answers, **kwargs), lambda: run(answers, **kwargs)):
            with pytest.raises(ExpressionError) as caught:
                evaluator()
            assert caught.value.kind == "eval"
            assert caught.value.position is not None
        return
    walked = evaluate(node, answers, **kwargs)
    compiled = run(answers, **kwargs)
    assert _matches(case["expect"], walked), (case, walked)
    assert _matches(case["expect"], compiled), (case, compiled)


@pytest.mark.parametrize("case", [c for c in VECTORS if c.get("error") != "parse"], ids=_case_id)
def test_vector_round_trips(case):
    node = parse(case["expr"])
    data = to_json(node)
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    rebuilt = from_json(data)
    assert rebuilt == node
    assert parse(to_text(node)) == node
    if "expect" in case:
        again = evaluate(rebuilt, case.get("answers", {}), current=case.get("current"),
                         today=_today(case), instances=case.get("instances"))
        assert _matches(case["expect"], again)


# --- messages, positions and the smaller API -------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("1 + foo(2)", "unknown function 'foo' at position 4"),
    ("(1 + 2", "expected ')' (to close the '(' at position 0; found end of expression) at position 6"),
    ("if(1, 2)", "if() takes exactly 3 arguments, got 2 at position 0"),
    ("1 +", "expected a value after '+' at position 3"),
    ("'abc", "unterminated string (no closing ') at position 0"),
    ("${a b} = 1", "bad field name '${a b}'"),
    ("1 == 2", "'==' is not supported (use '=' to compare) at position 2"),
    ("（1）", "full-width or typographic character '（'; use '(' at position 0"),
    ("cuont(${a})", "unknown function 'cuont' (did you mean count()?) at position 0"),
    ("1 AND 2", "unexpected name 'AND' (operators are lower case: write 'and') at position 2"),
    ("if(1, 2, 3", "expected ',' or ')' (in the call to if(); found end of expression) at position 10"),
    ("count(${a} + 1)", "count() needs a field reference like ${name} at position 6"),
    ("1 2", "unexpected number 2 (expected an operator or the end) at position 2"),
    ("selected(${a}, 1)", "selected() needs the choice name in quotes, like '1' at position 15"),
    ("", "empty expression at position 0"),
])
def test_parse_error_messages(text, message):
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert message in caught.value.message
    assert caught.value.message.endswith(f" at position {caught.value.position}")
    assert str(caught.value) == caught.value.message


def test_eval_error_names_the_function_and_position():
    node = parse("1 + regex('a', ${p})")
    with pytest.raises(ExpressionError) as caught:
        evaluate(node, {"p": "("})
    assert caught.value.kind == "eval"
    assert caught.value.position == 4
    assert caught.value.message.startswith("in regex(): bad regular expression '('")
    with pytest.raises(ExpressionError, match="a repeat field"):
        compile_expression(parse("${m} > 1"))({"m": ["1", "2"]})


def test_references_and_functions_used():
    node = parse("if(selected(${needs}, 'medical'), ${expense_medical} div ${household_size}, "
                 "coalesce(${x}, today()))")
    assert references(node) == {"needs", "expense_medical", "household_size", "x"}
    assert functions_used(node) == {"if", "selected", "coalesce", "today"}
    assert references(parse(". > 1")) == set()
    assert functions_used(parse("1 + 2")) == set()


def test_positions_are_recorded_but_not_compared():
    node = parse("  ${a} = 1")
    assert isinstance(node, Binary) and node.pos == 7 and node.left.pos == 2
    assert node == parse("${a}=1")


def test_today_defaults_to_the_real_date_and_rejects_strings():
    assert evaluate(parse("today()"), {}) == date.today().isoformat()
    with pytest.raises(TypeError):
        evaluate(parse("today()"), {}, today="2024-01-01")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        evaluate(parse("1"), ["not", "a", "mapping"])  # type: ignore[arg-type]


def test_from_json_rejects_bad_shapes():
    for bad in [None, {}, {"op": "num", "value": -1}, {"op": "num", "value": True},
                {"op": "num", "value": 10**400}, {"op": "num", "value": "1"},
                {"op": "ref", "name": "1a"}, {"op": "+", "args": [{"op": "num", "value": 1}]},
                {"op": "call", "fn": "nope", "args": []}, {"op": "call", "fn": "if", "args": []},
                {"op": "pow", "args": []}, {"op": "str", "value": 3}]:
        with pytest.raises(ExpressionError, match="bad expression JSON"):
            from_json(bad)


def test_deep_nesting_is_refused_not_crashed():
    with pytest.raises(ExpressionError, match="nested"):
        parse("(" * 500 + "1" + ")" * 500)
    with pytest.raises(ExpressionError, match="too long or nested"):
        parse(" + ".join(["1"] * 500))
    assert evaluate(parse(" + ".join(["1"] * 100)), {}) == 100


def test_compiled_expression_is_fast_over_many_rows():
    run = compile_expression(parse(
        "${consent} = 'yes' and (${income_wage} + ${income_pension}) div ${household_size}"
        " < ${local_standard} and selected(${hardship_cause}, 'illness')"))
    rows = [{"consent": "yes", "income_wage": str(3000 * (i % 17)), "income_pension": "",
             "household_size": str(1 + i % 5), "local_standard": "9600",
             "hardship_cause": "illness other" if i % 2 else "unemployment"}
            for i in range(20_000)]
    started = time.perf_counter()
    results = [run(row) for row in rows]
    elapsed = time.perf_counter() - started
    assert results.count(True) == 0  # pension '' makes every income NaN, so never below
    assert elapsed < 2.0
    rows_ok = [dict(row, income_pension="0") for row in rows[:10]]
    assert [run(r) for r in rows_ok] == [False, True, False, True, False,
                                          False, False, True, False, True]


# --- properties -------------------------------------------------------------------------------

_names = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True)
_texts = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="'"), max_size=8)
_leaves = st.one_of(
    st.floats(min_value=0, max_value=1e12, allow_nan=False).map(Number),
    st.integers(min_value=0, max_value=10**6).map(lambda n: Number(float(n))),
    _texts.map(String),
    _names.map(Ref),
    st.just(Current()),
)
_binary_ops = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]
_simple_functions = ["not", "string", "number", "boolean", "int", "round", "string-length",
                     "concat", "contains", "starts-with", "substr", "if", "coalesce", "min", "max",
                     "selected", "count-selected", "normalize-space", "abs", "floor", "true"]


def _call(name: str, children: st.SearchStrategy) -> st.SearchStrategy:
    spec = FUNCTIONS[name]
    high = spec.min_args + 2 if spec.max_args is None else spec.max_args
    return st.lists(children, min_size=spec.min_args, max_size=high).map(
        lambda args: Call(name, tuple(args)))


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        children.map(Negate),
        st.tuples(st.sampled_from(_binary_ops), children, children).map(lambda t: Binary(*t)),
        st.sampled_from(_simple_functions).flatmap(lambda name: _call(name, children)),
    )


_asts = st.recursive(_leaves, _extend, max_leaves=12).filter(
    lambda n: not (isinstance(n, Call) and n.name == "selected" and isinstance(n.args[1], Number))
)


def _valid(node) -> bool:
    try:
        from_json(to_json(node))
    except ExpressionError:
        return False
    return True


@settings(max_examples=300)
@given(_asts)
def test_text_and_json_round_trip(node):
    assume(_valid(node))
    assert parse(to_text(node)) == node
    assert from_json(json.loads(json.dumps(to_json(node)))) == node


_answer_values = st.one_of(st.sampled_from(["", "0", "1", "-2.5", "007", "abc", "a b", "2024-01-31"]),
                           st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=300)
@given(_asts, st.dictionaries(_names, _answer_values, max_size=4), _answer_values)
def test_walk_and_compiled_agree(node, answers, current):
    assume(_valid(node))

    def outcome(thunk):
        try:
            return ("ok", thunk())
        except ExpressionError as exc:
            return ("error", exc.kind, exc.message)

    walked = outcome(lambda: evaluate(node, answers, current=current, today=date(2024, 5, 1)))
    compiled = outcome(lambda: compile_expression(node)(answers, current=current,
                                                        today=date(2024, 5, 1)))
    if walked[0] == "ok" and isinstance(walked[1], float) and math.isnan(walked[1]):
        assert compiled[0] == "ok" and math.isnan(compiled[1])
    else:
        assert walked == compiled


_arith = st.recursive(
    st.integers(min_value=0, max_value=1000).map(lambda n: Number(float(n))),
    lambda children: st.one_of(
        children.map(Negate),
        st.tuples(st.sampled_from(["+", "-", "*"]), children, children).map(lambda t: Binary(*t)),
    ),
    max_leaves=8,
)


def _python_value(node) -> int:
    if isinstance(node, Number):
        return int(node.value)
    if isinstance(node, Negate):
        return -_python_value(node.operand)
    left, right = _python_value(node.left), _python_value(node.right)
    return {"+": left + right, "-": left - right, "*": left * right}[node.op]


@settings(max_examples=300)
@given(_arith)
def test_integer_arithmetic_agrees_with_python(node):
    assert evaluate(parse(to_text(node)), {}) == float(_python_value(node))


@settings(max_examples=300)
@given(st.floats(min_value=-1e6, max_value=1e6), st.floats(min_value=-1e6, max_value=1e6))
def test_division_and_mod_follow_ieee(a, b):
    answers = {"a": format_number(a), "b": format_number(b)}
    a, b = to_number(answers["a"]), to_number(answers["b"])
    quotient = evaluate(parse("${a} div ${b}"), answers)
    remainder = evaluate(parse("${a} mod ${b}"), answers)
    if b == 0:
        assert math.isnan(quotient) if a == 0 else math.isinf(quotient)
        assert math.isnan(remainder)
    else:
        assert quotient == a / b
        assert remainder == math.fmod(a, b)


@settings(max_examples=300)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_strings_round_trip(x):
    text = format_number(x)
    assert "e" not in text.lower()
    assert abs(to_number(text) - x) <= 1e-12


@given(st.text(max_size=40))
def test_parse_only_raises_expression_errors(text):
    try:
        node = parse(text)
    except ExpressionError as exc:
        assert exc.kind == "parse" and exc.position is not None
        assert 0 <= exc.position <= len(text)
    else:
        assert parse(to_text(node)) == node


@given(st.lists(st.sampled_from(["a", "b", "illness", "other", "1", "10"]), max_size=6,
                unique=True), st.sampled_from(["a", "b", "illness", "other", "1", "10"]))
def test_selected_is_membership(chosen, choice):
    answers = {"x": " ".join(chosen)}
    assert evaluate(parse(f"selected(${{x}}, '{choice}')"), answers) is (choice in chosen)
    assert evaluate(parse("count-selected(${x})"), answers) == len(chosen)


def test_public_coercions():
    assert to_boolean("") is False and to_boolean("false") is True and to_boolean(0.0) is False
    assert to_string(2.0) == "2" and to_string(None) == "" and to_string(True) == "true"
    assert math.isnan(to_number("")) and to_number("2024-01-02") == 19724.0


def test_docs_list_every_function():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "expressions.md").read_text("utf-8")
    missing = [name for name in FUNCTIONS if f"`{name}(" not in docs]
    assert missing == []
