"""The expression language of questionnaires and rubrics (表达式语言): the XLSForm/ODK XPath subset.

One language serves relevant / constraint / calculation / choice_filter / default in surveys and
the conditions of rubric indicators. Text is parsed once into an immutable AST (never eval()),
then evaluated here in Python (validation, scoring) or in the browser from ``to_json(ast)``;
tests/vectors/expressions.json is the shared truth both evaluators must pass.
See docs/expressions.md for the grammar, functions and coercion rules.

Typical use::

    node = parse("${per_capita_income} < ${local_standard}")
    references(node)                      # {'per_capita_income', 'local_standard'}
    check = compile_expression(node)      # once per expression
    to_boolean(check(row))                # per row
"""

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
    references,
    to_text,
)
from evaluator.definitions.expr_eval import compile_expression, evaluate
from evaluator.definitions.expr_functions import FUNCTIONS, FunctionSpec
from evaluator.definitions.expr_json import from_json, to_json
from evaluator.definitions.expr_parse import parse, valid_field_name
from evaluator.definitions.expr_values import format_number, to_boolean, to_number, to_string

__all__ = [
    "FUNCTIONS",
    "Binary",
    "Call",
    "Column",
    "Current",
    "ExpressionError",
    "Lookup",
    "FunctionSpec",
    "Negate",
    "Node",
    "Number",
    "Ref",
    "String",
    "compile_expression",
    "evaluate",
    "format_number",
    "from_json",
    "functions_used",
    "parse",
    "references",
    "to_boolean",
    "to_json",
    "to_number",
    "to_string",
    "to_text",
    "valid_field_name",
]
