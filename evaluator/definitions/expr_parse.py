"""Tokenizer and precedence-climbing parser for the XLSForm expression subset (表达式解析).

Hand-written so every error names what went wrong and where, in words a rubric author or
questionnaire designer can act on; nothing is ever passed to eval().
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

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
    depth,
)
from evaluator.definitions.expr_functions import FUNCTIONS, check_call, unknown_function

_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_NUMBER_TAIL_RE = re.compile(r"[0-9A-Za-z_.]+")
_FUNCTION_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?::[A-Za-z_][A-Za-z0-9_-]*)?")
_KEYWORD_RE = re.compile(r"(and|or|div|mod)(?![A-Za-z0-9_])")
_KEYWORDS = {"and", "or", "div", "mod"}
_SYMBOLS = ("!=", "<=", ">=", "=", "<", ">", "+", "-", "*")
_SPACE = " \t\r\n"
# Characters people type by habit from other languages, with what to write instead.
_WRONG_OPERATORS = {
    "==": "use '=' to compare",
    "<>": "use '!=' for 'not equal'",
    "&&": "use 'and'",
    "||": "use 'or'",
    "/": "use 'div' to divide (paths like /data/x are not supported; write ${x})",
    "%": "use 'mod' for the remainder",
    "!": "use not(...) or '!='",
    "|": "node-set union '|' is not supported",
    "[": "predicates [...] are not supported",
    "]": "predicates [...] are not supported",
    "@": "attributes are not supported",
}
# Typographic quotes and spaces from Chinese input methods and word processors; other full-width
# characters (全角字符) such as （ ＝ ５ are found through their NFKC form.
_LOOKALIKES = {"‘": "'", "’": "'", "“": '"', "”": '"', "\u3000": " ", "\u00a0": " "}
_OPERAND_END = {"num", "str", "ref", "dot", ")", "name", "]", "column", "path"}
# instance('name')/root/item[...]/column: the only paths the language reads (ODK's lookups).
PATH_RE = re.compile(r"/[A-Za-z_][A-Za-z0-9_.-]*/[A-Za-z_][A-Za-z0-9_.-]*")
COLUMN_RE = re.compile(r"/([A-Za-z_][A-Za-z0-9_.:-]*)")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num str ref dot name op ( ) , end
    text: str
    pos: int


def _match(pattern: re.Pattern[str], text: str, start: int) -> str:
    found = pattern.match(text, start)
    return found.group() if found else ""


def _bad_character(char: str, position: int) -> ExpressionError:
    plain = _LOOKALIKES.get(char) or unicodedata.normalize("NFKC", char)
    if plain != char and plain.isascii() and len(plain) == 1:
        wanted = "an ordinary space" if plain == " " else f"'{plain}'"
        return ExpressionError(f"full-width or typographic character {char!r}; use {wanted}",
                               position)
    if char.isalpha():
        return ExpressionError(f"unexpected character {char!r} (field names go inside ${{...}}, "
                               "text inside quotes)", position)
    return ExpressionError(f"unexpected character {char!r}", position)


def _is_name_start(char: str) -> bool:
    return char == "_" or char.isalpha()


def valid_field_name(name: str) -> bool:
    """XML-name shape as XLSForm requires: a letter or _, then letters, digits, _ - or ."""
    return bool(name) and _is_name_start(name[0]) and all(
        c.isalnum() or c in "_-." for c in name[1:]
    )


def _after_instance(tokens: list[Token]) -> bool:
    """The tokens end with ``instance('name')``."""
    return (len(tokens) >= 4 and [t.kind for t in tokens[-4:]] == ["name", "(", "str", ")"]
            and tokens[-4].text == "instance")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    predicates = 0  # open [ of instance() lookups
    while i < n:
        char = text[i]
        if char in _SPACE:
            i += 1
            continue
        after_operand = bool(tokens) and tokens[-1].kind in _OPERAND_END
        if char == "/" and _after_instance(tokens) and (path := PATH_RE.match(text, i)):
            tokens.append(Token("path", path.group(), i))
            i = path.end()
            if text.startswith("[", i):
                tokens.append(Token("[", "[", i))
                predicates += 1
                i += 1
            elif column := COLUMN_RE.match(text, i):
                tokens.append(Token("column", column.group(1), i))
                i = column.end()
            continue
        if char == "]" and predicates:
            tokens.append(Token("]", "]", i))
            predicates -= 1
            i += 1
            if column := COLUMN_RE.match(text, i):
                tokens.append(Token("column", column.group(1), i))
                i = column.end()
            continue
        if char == "$":
            tokens.append(_field_ref(text, i))
            i += len(tokens[-1].text)
        elif char in "'\"":
            end = text.find(char, i + 1)
            if end < 0:
                raise ExpressionError(f"unterminated string (no closing {char})", i)
            tokens.append(Token("str", text[i:end + 1], i))
            i = end + 1
        elif number := _match(_NUMBER_RE, text, i):
            end = i + len(number)
            if end < n and (text[end].isalnum() or text[end] in "_."):
                bad = _match(_NUMBER_TAIL_RE, text, i)
                raise ExpressionError(f"bad number '{bad}' (write numbers like 12 or 3.5)", i)
            tokens.append(Token("num", number, i))
            i = end
        elif char == ".":
            if text[i + 1:i + 2] == ".":
                raise ExpressionError("'..' (parent node) is not supported; write ${name}", i)
            tokens.append(Token("dot", ".", i))
            i += 1
        elif char in "(),":
            tokens.append(Token(char, char, i))
            i += 1
        elif text[i:i + 2] in _WRONG_OPERATORS:
            raise ExpressionError(f"'{text[i:i + 2]}' is not supported", i,
                                  hint=_WRONG_OPERATORS[text[i:i + 2]])
        elif char in _WRONG_OPERATORS and not text.startswith("!=", i):
            raise ExpressionError(f"'{char}' is not supported", i, hint=_WRONG_OPERATORS[char])
        elif any(text.startswith(symbol, i) for symbol in _SYMBOLS):
            symbol = next(s for s in _SYMBOLS if text.startswith(s, i))
            tokens.append(Token("op", symbol, i))
            i += len(symbol)
        elif after_operand and (keyword := _KEYWORD_RE.match(text, i)):
            tokens.append(Token("op", keyword.group(), i))
            i = keyword.end()
        elif name := _match(_FUNCTION_NAME_RE, text, i):
            tokens.append(Token("name", name, i))
            i += len(name)
        else:
            raise _bad_character(char, i)
    tokens.append(Token("end", "", n))
    return tokens


def _field_ref(text: str, start: int) -> Token:
    if text[start + 1:start + 2] != "{":
        raise ExpressionError("'$' must start a field reference like ${name}", start)
    end = text.find("}", start + 2)
    if end < 0:
        raise ExpressionError("unterminated field reference (missing '}')", start)
    name = text[start + 2:end]
    if not name:
        raise ExpressionError("empty field reference '${}'", start)
    if not valid_field_name(name):
        raise ExpressionError(
            f"bad field name '${{{name}}}': a name starts with a letter or _ and has only"
            " letters, digits, _ - or .", start)
    return Token("ref", text[start:end + 1], start)


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "end of expression"
    if token.kind == "num":
        return f"number {token.text}"
    if token.kind == "str":
        return f"string {token.text}"
    if token.kind == "name":
        return f"name '{token.text}'"
    return f"'{token.text}'"


def _operator_hint(token: Token, default: str) -> str:
    """Upper-case AND/OR/DIV/MOD are a common slip from spreadsheet formulas."""
    if token.kind == "name" and token.text.lower() in _KEYWORDS:
        return f"operators are lower case: write '{token.text.lower()}'"
    return default


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.index = 0
        self.nesting = 0
        self.in_predicate = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise ExpressionError("empty expression", 0)
        node = self.expression(1)
        token = self.token
        if token.kind == ")":
            raise ExpressionError("unexpected ')' with no matching '('", token.pos)
        if token.kind != "end":
            raise ExpressionError(f"unexpected {_describe(token)}", token.pos,
                                  hint=_operator_hint(token, "expected an operator or the end"))
        return node

    def expression(self, min_precedence: int) -> Node:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise ExpressionError("expression is nested too deeply", self.token.pos)
        left = self.unary()
        while self.token.kind == "op" and PRECEDENCE.get(self.token.text, 0) >= min_precedence:
            op = self.advance()
            right = self.expression(PRECEDENCE[op.text] + 1)
            left = Binary(op.text, left, right, op.pos)
        self.nesting -= 1
        return left

    def unary(self) -> Node:
        if self.token.kind == "op" and self.token.text == "-":
            minus = self.advance()
            self.nesting += 1
            if self.nesting > MAX_DEPTH:
                raise ExpressionError("expression is nested too deeply", minus.pos)
            operand = self.unary()
            self.nesting -= 1
            return Negate(operand, minus.pos)
        return self.primary()

    def primary(self) -> Node:
        token = self.advance()
        if token.kind == "num":
            value = float(token.text)
            if not math.isfinite(value):
                raise ExpressionError(f"number {token.text[:20]}... is too large", token.pos)
            return Number(value, token.pos)
        if token.kind == "str":
            return String(token.text[1:-1], token.pos)
        if token.kind == "ref":
            return Ref(token.text[2:-1], token.pos)
        if token.kind == "dot":
            return Current(token.pos)
        if token.kind == "(":
            inner = self.expression(1)
            if self.token.kind != ")":
                raise ExpressionError(
                    "expected ')'", self.token.pos,
                    hint=_operator_hint(self.token, f"to close the '(' at position {token.pos}; "
                                        f"found {_describe(self.token)}"))
            self.advance()
            return inner
        if token.kind == "name":
            if self.token.kind == "(" and token.text == "instance":
                return self.lookup(token)
            if self.token.kind == "(":
                return self.call(token)
            if self.in_predicate and token.text not in _KEYWORDS:
                return Column(token.text, token.pos)
            if token.text in _KEYWORDS:
                raise ExpressionError(f"expected a value before '{token.text}'", token.pos)
            if token.text in FUNCTIONS:
                raise ExpressionError(f"write '{token.text}()' to call the function", token.pos)
            raise ExpressionError(
                f"unexpected name '{token.text}': write a field as ${{{token.text}}} and call "
                "functions with parentheses", token.pos)
        previous = self.tokens[self.index - 2] if self.index >= 2 else None
        if token.kind == "end" and previous is not None:
            raise ExpressionError(f"expected a value after {_describe(previous)}", token.pos)
        raise ExpressionError("expected a value", token.pos, hint=f"found {_describe(token)}")

    def lookup(self, name: Token) -> Node:
        """instance('name')/root/item[filter]/column, as ODK writes lookups in lists."""
        self.advance()  # '('
        source = self.advance()
        if source.kind != "str" or self.token.kind != ")":
            raise ExpressionError("instance() takes the list's name in quotes, e.g. "
                                  "instance('villages')", name.pos)
        self.advance()
        if self.token.kind != "path":
            raise ExpressionError("instance('...') is read as a lookup: write "
                                  "instance('list')/root/item[...]/column", name.pos)
        path = self.advance().text
        where: Node | None = None
        if self.token.kind == "[":
            self.advance()
            self.in_predicate += 1
            where = self.expression(1)
            self.in_predicate -= 1
            if self.token.kind != "]":
                raise ExpressionError("expected ']' to close the filter", self.token.pos)
            self.advance()
        column = self.advance().text if self.token.kind == "column" else ""
        return Lookup(source.text[1:-1], where, column, path, name.pos)

    def call(self, name: Token) -> Node:
        if name.text not in FUNCTIONS:
            raise unknown_function(name.text, name.pos)
        self.advance()  # '('
        args: list[Node] = []
        if self.token.kind == ")":
            self.advance()
        else:
            while True:
                args.append(self.expression(1))
                if self.token.kind == ",":
                    self.advance()
                    continue
                if self.token.kind == ")":
                    self.advance()
                    break
                raise ExpressionError(
                    "expected ',' or ')'", self.token.pos,
                    hint=_operator_hint(self.token, f"in the call to {name.text}(); "
                                        f"found {_describe(self.token)}"))
        node = Call(name.text, tuple(args), name.pos)
        check_call(node)
        return node


def parse(text: str) -> Node:
    """Parse expression text into an AST, or raise ExpressionError saying what and where."""
    if not isinstance(text, str):
        raise TypeError(f"expression text must be a string, not {type(text).__name__}")
    node = _Parser(text).parse()
    if depth(node) > MAX_DEPTH:
        raise ExpressionError(f"expression is too long or nested (over {MAX_DEPTH} levels)", 0)
    return node
