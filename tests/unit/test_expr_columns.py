"""The column evaluator must give exactly what helper A's row evaluator gives, value for value."""

import json
import math
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluator.definitions.expr_columns import Frame, as_bool, as_number, as_values, evaluate_column
from evaluator.definitions.expressions import ExpressionError, compile_expression, parse

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "expressions.json"
TODAY = date(2026, 10, 31)


def _frame(rows):
    return Frame(len(rows), lambda name: ["" if r.get(name) is None else r.get(name, "") for r in rows])


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def _check(text, rows):
    """Column values equal row values; when the column path raises, a row must raise too."""
    node = parse(text)
    run = compile_expression(node)
    try:
        got = as_values(evaluate_column(node, _frame(rows), TODAY.isoformat()), len(rows))
    except (ExpressionError, TypeError, ValueError):
        with pytest.raises(ExpressionError):
            for row in rows:
                run(row, today=TODAY)
        return 0
    for value, row in zip(got, rows, strict=True):
        expected = run(row, today=TODAY)
        assert _same(value, expected), (text, row, value, expected)
    return 1


def _vectors():
    out = []
    for case in json.loads(VECTORS.read_text(encoding="utf-8")):
        if "error" in case or "current" in case or "today" in case or "instances" in case:
            continue  # lookups read a form's lists, which scoring rows do not have
        out.append(case)
    return out


def test_shared_vectors_give_the_same_values_by_column():
    checked = 0
    for case in _vectors():
        try:
            parse(case["expr"])
        except ExpressionError:
            continue
        answers = case.get("answers", {})
        # the case's answers, an empty row, and the case again: constants must broadcast
        checked += _check(case["expr"], [answers, {}, answers])
    assert checked > 300


ANSWERS = st.sampled_from(["", "yes", "no", "na", "0", "1", "4", "5", "12000", "12000.5", "-3", "abc",
                           "2026-01-05", "2025-12-31", "illness low_wage", "medical", "在档", "已脱困"])
EXPRESSIONS = [
    "${consent} = 'yes' and ${status} = '在档'",
    "${per_capita_income} >= ${local_standard}",
    "${per_capita_income} < ${local_standard} or ${exit_agrees} = 'no'",
    "${satisfaction} = '4' or ${satisfaction} = '5'",
    "${income_verified} != 'na'",
    "if(${aid_received} = 'yes', ${aid_amount_total}, 0)",
    "if(${file_status} = 'registered', '在档', if(${file_status} = 'exited', '已脱困', '注销'))",
    "${exit_told} != 'yes' and ${per_capita_income} < ${local_standard}",
    "selected(${hardship_cause}, 'illness') and count-selected(${hardship_cause}) > 1",
    "(${income_wage} + ${income_pension} - ${expense_medical}) div ${household_size}",
    "${income_wage} mod 7 = 1",
    "-${income_wage} < 0",
    "not(${consent} = 'yes')",
    "coalesce(${income_wage}, ${income_pension})",
    "string-length(${status}) > 2",
    "${exit_date} < ${registered_date}",
    "${exit_date} >= '2026-01-01'",
    "${consent} = true()",
    "${household_size} = 1",
    "number(${income_wage}) > 100 and ${status} != ''",
    "round(${income_wage} div 3, 1)",
    "concat(${status}, '-', ${consent})",
    "regex(${income_wage}, '[0-9]+')",
    "if(${consent} = 'yes', 1 = 1, 'x')",
]
NAMES = ["consent", "status", "per_capita_income", "local_standard", "exit_agrees", "satisfaction",
         "income_verified", "aid_received", "aid_amount_total", "file_status", "exit_told",
         "hardship_cause", "income_wage", "income_pension", "expense_medical", "household_size",
         "exit_date", "registered_date"]


@settings(max_examples=60)
@given(st.lists(st.fixed_dictionaries({name: ANSWERS for name in NAMES}), min_size=1, max_size=12))
def test_rubric_expressions_agree_on_random_rows(rows):
    for text in EXPRESSIONS:
        _check(text, rows)


def test_numbers_in_answers_take_the_generic_path():
    rows = [{"a": 3, "b": "3"}, {"a": 2.5, "b": ""}, {"a": None, "b": "x"}]
    for text in ("${a} = ${b}", "${a} + 1", "${a} > ${b}", "string(${a})", "${a} = ''"):
        _check(text, rows)


def test_repeat_lists_work_in_count_and_sum_and_fail_elsewhere():
    rows = [{"m": ["1", "2"]}, {"m": []}, {"m": ["5"]}]
    assert _check("count(${m}) + sum(${m})", rows) == 1
    assert _check("${m} = '1'", rows) == 0  # raises: the caller evaluates row by row


def test_booleans_and_numbers_of_a_column():
    rows = [{"x": "5"}, {"x": ""}, {"x": "abc"}]
    col = evaluate_column(parse("${x}"), _frame(rows), TODAY.isoformat())
    assert as_bool(col, 3).tolist() == [True, False, True]
    numbers = as_number(col, 3)
    assert numbers[0] == 5.0 and math.isnan(numbers[1]) and math.isnan(numbers[2])


def test_short_circuit_skips_a_failing_right_side():
    rows = [{"p": "("}]
    assert _check("false() and regex('a', ${p})", rows) == 1
    assert _check("true() or regex('a', ${p})", rows) == 1


PLAIN_NUMBERS = st.one_of(st.sampled_from(["", "", "0", "-0", "007", ".5", "5.", "-.25", "1" * 400, "12000.50"]),
                          st.integers(-10**12, 10**12).map(str),
                          st.floats(-1e9, 1e9).map(lambda x: f"{x:.4f}"))
SOMETIMES_NOT = st.one_of(PLAIN_NUMBERS, st.sampled_from([" 5", "5 ", "1e3", "+1", "-", ".", "2026-01-05", "1\n2", "x"]))


@settings(max_examples=150)
@given(st.lists(st.fixed_dictionaries({"a": PLAIN_NUMBERS, "b": SOMETIMES_NOT}), min_size=1, max_size=15))
def test_columns_of_plain_numbers_read_as_the_row_evaluator_reads_them(rows):
    """A column of '' and plain numbers is read in one match (expr_columns._plain_numbers);
    a column with anything else value by value: both as the row evaluator reads them."""
    for text in ("${a} + 1", "number(${a})", "number(${b})", "${a} > ${b}", "${a} = ${b}", "-${b}",
                 "${a} div ${b}", "int(${a})", "coalesce(${a}, 7) * 2", "string-length(${b}) >= 3",
                 "string-length(${a})"):
        _check(text, rows)
