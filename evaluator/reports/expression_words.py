"""A rubric expression said in words, from the survey's own labels (表达式的文字表述).

The methodology appendix is read by union and finance officials, not programmers, so a rule
such as ``${status} = '在档' and ${per_capita_income} >= ${local_standard}`` is printed as
「档案状态」为“在档”且「家庭人均可支配收入（元/人·年）」不低于「当地标准（元/人·年）」: each
``${field}`` becomes the question's label (or the roster column's), each choice name the
choice's label, and each operator a word. Every node of the expression language has a wording,
so no raw expression, field code or choice code reaches the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evaluator.definitions.expressions import Binary, Call, Current, Negate, Number, Ref, String
from evaluator.reports.formatting import LANGUAGES, Words, plain

#: Operators by the name of their word (``expr_cmp_<name>``, ``expr_arith_<name>`` in
#: evaluator.reports.words_extra); ``mod`` is the phrase ``expr_mod`` ({left} modulo {right}).
COMPARE = {"=": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
ARITHMETIC = {"+": "plus", "-": "minus", "*": "times", "div": "div"}
JOIN = ("and", "or")
PHRASES = ("not", "if", "selected", "count-selected", "count", "sum", "string-length", "today",
           "current", "blank", "call", "negate", "group", "quote", "literal", "args")


class ExpressionWords:
    """Say expressions of one source in one language, with that source's survey for labels."""

    def __init__(self, lang: str, survey: Any | None = None, others: Mapping[str, Any] | None = None):
        self.lang = lang if lang in LANGUAGES else "zh"
        self.survey = survey
        self.w = Words(self.lang)
        self.p = {name: self.w("expr_" + name.replace("-", "_")) for name in PHRASES}
        self.compare = {op: self.w(f"expr_cmp_{name}") for op, name in COMPARE.items()}
        self.arithmetic = {op: self.w(f"expr_arith_{name}") for op, name in ARITHMETIC.items()}
        self.join = {op: self.w(f"expr_join_{op}") for op in JOIN}

    def say(self, node: Any) -> str:
        return self._say(node, None)

    def label(self, name: str) -> str:
        """A field's label (the survey's, else the roster column's), in quotes."""
        field = self._field(name)
        if field is not None:
            text = field.label_in(self.lang, "zh")
        else:
            text = self.w.get(f"roster_{name}", name)
        return self.p["quote"].format(x=text.rstrip("？?").strip())

    def choice(self, field_name: str | None, value: str) -> str:
        if value == "":
            return self.p["blank"]
        field = self._field(field_name) if field_name else None
        if field is not None and getattr(field, "list_name", None) and self.survey is not None:
            for choice in self.survey.choices.get(field.list_name, ()):
                if str(getattr(choice, "name", "")) == value:
                    label = choice.label.get(self.lang) or choice.label.get("zh") or value
                    return self.p["literal"].format(x=label)
        return self.p["literal"].format(x=value)

    def _field(self, name: str | None) -> Any | None:
        if self.survey is None or name is None:
            return None
        return self.survey.fields.get(name)

    def _say(self, node: Any, context: str | None) -> str:
        p = self.p
        if isinstance(node, Ref):
            return self.label(node.name)
        if isinstance(node, String):
            return self.choice(None, node.value)
        if isinstance(node, Number):
            return plain(node.value)
        if isinstance(node, Current):
            return p["current"]
        if isinstance(node, Negate):
            return p["negate"].format(x=self._say(node.operand, "unary"))
        if isinstance(node, Binary):
            return self._binary(node, context)
        if isinstance(node, Call):
            return self._call(node)
        return str(node)

    def _side(self, node: Any, other: Any) -> str:
        """A comparison's side; a text compared with a select field is said as its choice label."""
        if isinstance(node, String) and isinstance(other, Ref):
            return self.choice(other.name, node.value)
        return self._say(node, "compare")

    def _binary(self, node: Binary, context: str | None) -> str:
        op = node.op
        if op in self.compare:
            left, right = self._side(node.left, node.right), self._side(node.right, node.left)
            glue = self.compare[op]
            return f"{left}{glue}{right}" if self.lang == "zh" else f"{left} {glue} {right}"
        if op in self.join:
            left, right = self._say(node.left, op), self._say(node.right, op)
            glue = self.join[op]
            text = f"{left}{glue}{right}" if self.lang == "zh" else f"{left} {glue} {right}"
            # "a or b" inside an "and" (or under a not) needs its brackets back
            return self.p["group"].format(x=text) if context not in (None, op, "if") else text
        left, right = self._say(node.left, "arith"), self._say(node.right, "arith")
        if op == "mod":
            text = self.w("expr_mod", left=left, right=right)
        else:
            glue = self.arithmetic[op]
            text = f"{left}{glue}{right}" if self.lang == "zh" else f"{left} {glue} {right}"
        return self.p["group"].format(x=text) if context == "arith" else text

    def _call(self, node: Call) -> str:
        p = self.p
        name, args = node.name, node.args
        if name == "not" and len(args) == 1:
            return p["not"].format(x=self._say(args[0], "not"))
        if name == "if" and len(args) == 3:
            return p["if"].format(c=self._say(args[0], "if"), a=self._say(args[1], "if"),
                                  b=self._say(args[2], "if"))
        if name == "selected" and len(args) == 2:
            field = args[0].name if isinstance(args[0], Ref) else None
            choice = (self.choice(field, args[1].value) if isinstance(args[1], String)
                      else self._say(args[1], "call"))
            return p["selected"].format(field=self._say(args[0], "call"), choice=choice)
        if name in ("count-selected", "count", "sum", "string-length") and len(args) == 1:
            return p[name].format(x=self._say(args[0], "call"))
        if name == "today" and not args:
            return p["today"]
        return p["call"].format(name=name, args=p["args"].join(self._say(a, "call") for a in args))
