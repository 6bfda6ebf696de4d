"""Questionnaire logic (问卷逻辑): relevance, requirements, types, constraints and calculations.

One ``FormModel`` per survey version checks a record exactly as the tablet does offline: the
browser runtime (static/js/form.js) runs the same rules from the JSON AST that
``client_model.client_model()`` hands it, and the server re-runs them here on every submission. Pure code:
no Flask, no database.

A record is ``{field: text}`` for the main part and ``{repeat_name: [{field: text}, ...]}`` for
each repeat (the household's members). select_multiple answers are space-separated choice names
and geopoints "lat lon [alt [accuracy]]", as in ODK. Expressions see the household's roster row
underneath the answers (``${local_standard}``), a repeat's fields as lists from outside the repeat
(``count(${member_age})``) and as the instance's own value inside it.

Values of questions that are not relevant are cleared, as ODK does; calculations are recomputed
by the server, whatever the client sent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from evaluator.definitions.expressions import (
    ExpressionError,
    Node,
    compile_expression,
    format_number,
    parse,
    to_boolean,
    to_number,
    to_string,
)
from evaluator.fieldwork.answer_types import answer_message
from evaluator.surveys.definition import Survey
from evaluator.surveys.subset import (
    ASKED_TYPES,
    looks_like_expression,
    split_column,
    value_type,
)
from evaluator.surveys.validation import bare_words_as_references, instances_used

INTEGER_RE = re.compile(r"-?[0-9]+")
DECIMAL_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_TEXT = 4000
MAX_REPEATS = 60

Text = dict[str, str]  # {"zh": ..., "en": ...}


def bilingual(zh: str, en: str) -> Text:
    return {"zh": zh, "en": en}


@dataclass(frozen=True)
class Problem:
    """One answer that needs attention. ``index`` is the repeat instance (0-based) or None."""

    field: str
    code: str  # required | type | choice | constraint | unknown | shape | rule
    message: Text
    repeat: str | None = None
    index: int | None = None
    value: str = ""

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"field": self.field, "code": self.code,
                                 "message": self.message["zh"] + " / " + self.message["en"],
                                 "message_zh": self.message["zh"],
                                 "message_en": self.message["en"]}
        if self.repeat is not None:
            found["repeat"] = self.repeat
            found["instance"] = (self.index or 0) + 1
        return found

    def html_name(self) -> str:
        """The form input name this problem belongs to (``members-0-member_age``)."""
        if self.repeat is not None and self.index is not None:
            return f"{self.repeat}-{self.index}-{self.field}"
        return self.field


@dataclass(frozen=True)
class Rule:
    """The compiled rules of one field."""

    name: str
    type: str
    list_name: str | None
    choices: tuple[str, ...]
    repeat: str | None
    required: bool
    required_if: Node | None
    relevant: tuple[Node, ...]  # every enclosing group's, then the field's own
    constraint: Node | None
    calculation: Node | None
    choice_filter: Node | None
    constraint_message: Text
    required_message: Text
    label: Text
    meta: bool = False  # filled in by the device, never asked
    parameters: str = ""
    # The tablet's side of XLSForm's default, read_only and trigger columns (client_model):
    # an answer filled in beforehand, shown but not editable, or set only when a field changes.
    default: str = ""
    default_expr: Node | None = None
    read_only: Node | bool = False
    trigger: tuple[str, ...] = ()

    @property
    def is_question(self) -> bool:
        return not self.meta and self.type in ASKED_TYPES

    @property
    def sent_by_tablet(self) -> bool:
        """A value the tablet sends for a row it fills itself: a triggered calculation (set when
        its trigger changed, which the record alone cannot tell) or the location at the form's
        start. Other calculations and device values are the server's."""
        return bool(self.trigger) or self.type == "start-geopoint"


@dataclass
class Checked:
    """The outcome of ``FormModel.check``: cleaned answers (calculations filled, answers of
    irrelevant questions cleared) and every problem."""

    answers: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    relevant: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _text(mapping: Mapping[str, str], fallback: Text) -> Text:
    return {"zh": mapping.get("zh") or fallback["zh"], "en": mapping.get("en") or fallback["en"]}


def _choice_filter_node(text: str) -> Node:
    """XLSForm names choices-sheet columns bare; rewrite them as ${name} (surveys/validation)."""
    return parse(bare_words_as_references(text)[0])


class FormModel:
    """The checked, compiled rules of one survey version."""

    def __init__(self, survey: Survey):
        self.survey = survey
        self.rules: dict[str, Rule] = {}
        self.repeats: dict[str, list[str]] = {}
        self.repeat_relevant: dict[str, tuple[Node, ...]] = {}
        self.repeat_count: dict[str, Node] = {}  # repeat_count: the entries a repeat must have
        self.top: list[str] = []
        for name, group in survey.groups.items():
            if group.kind == "repeat":
                if any(survey.groups[p].kind == "repeat" for p in group.path):
                    raise ValueError(f"survey {survey.id}: nested repeat {name!r} is not "
                                     "supported in fieldwork forms")
                chain = [*group.path, name]
                self.repeat_relevant[name] = tuple(
                    parse(survey.groups[g].relevant) for g in chain if survey.groups[g].relevant)
                self.repeats[name] = []
                if group.count:
                    self.repeat_count[name] = parse(group.count)
        for name, f in survey.fields.items():
            choices = tuple(survey.choice_names(f.list_name)) if f.list_name else ()
            relevant = tuple(parse(text) for text in (*f.group_relevant, f.relevant) if text)
            rule = Rule(
                name=name, type=value_type(f.type), list_name=f.list_name, choices=choices,
                repeat=f.repeat, meta=f.is_meta, parameters=f.parameters,
                required=f.required,
                required_if=parse(f.required_if) if f.required_if else None,
                relevant=relevant,
                constraint=parse(f.constraint) if f.constraint else None,
                calculation=parse(f.calculation) if f.calculation else None,
                choice_filter=_choice_filter_node(f.choice_filter) if f.choice_filter else None,
                constraint_message=_text(f.constraint_message, bilingual(
                    "答案不符合要求", "This answer is not allowed")),
                required_message=_text(f.required_message, bilingual("此题必答", "An answer is required")),
                label=_text(f.label, bilingual(name, name)),
                default="" if looks_like_expression(f.default) else f.default,
                default_expr=parse(f.default) if looks_like_expression(f.default) else None,
                read_only=True if f.read_only == "true" else (
                    parse(f.read_only) if f.read_only else False),
                trigger=f.trigger,
            )
            self.rules[name] = rule
            if f.repeat:
                self.repeats[f.repeat].append(name)
            else:
                self.top.append(name)
        self.calculations = [n for n in survey.calculations
                             if n in self.rules and not self.rules[n].trigger]
        self._compiled: dict[int, Any] = {}
        # The lists instance() lookups and pulldata() read, only those the rules use.
        every = survey.instances()
        used = set().union(*(instances_used(n) for rule in self.rules.values()
                             for n in (*rule.relevant, rule.required_if, rule.constraint,
                                       rule.calculation, rule.choice_filter) if n is not None))
        self.instances = {name: every[name] for name in sorted(used) if name in every}

    # -- shape -------------------------------------------------------------------------------

    @property
    def meta_fields(self) -> list[str]:
        return [n for n, r in self.rules.items() if r.meta]

    def normalise(self, raw: Any) -> tuple[dict[str, str], dict[str, list[dict[str, str]]],
                                            list[Problem]]:
        """Plain text values from a JSON-like mapping; unknown names and wrong shapes are
        problems. Meta fields and calculations sent by the client are dropped (the server
        fills and recomputes them)."""
        problems: list[Problem] = []
        top: dict[str, str] = {n: "" for n in self.top}
        reps: dict[str, list[dict[str, str]]] = {r: [] for r in self.repeats}
        if not isinstance(raw, Mapping):
            problems.append(Problem("answers", "shape", bilingual(
                "answers 必须是以题目名称为键的对象", "answers must be an object keyed by field name")))
            return top, reps, problems
        for key, value in raw.items():
            if key in self.repeats:
                if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
                    problems.append(Problem(key, "shape", bilingual(
                        f"重复组 {key} 应为对象列表", f"repeat {key} must be a list of objects")))
                    continue
                if len(value) > MAX_REPEATS:
                    problems.append(Problem(key, "shape", bilingual(
                        f"重复组 {key} 最多 {MAX_REPEATS} 条", f"repeat {key} holds at most {MAX_REPEATS} entries")))
                    continue
                for index, instance in enumerate(value):
                    entry = {n: "" for n in self.repeats[key]}
                    for sub, sub_value in instance.items():
                        rule = self.rules.get(sub)
                        if rule is None or rule.repeat != key:
                            problems.append(self._unknown(sub, key, index))
                            continue
                        text, problem = self._value(rule, sub_value, key, index)
                        if problem:
                            problems.append(problem)
                        entry[sub] = text
                    reps[key].append(entry)
                continue
            rule = self.rules.get(key)
            if rule is None or rule.repeat is not None:
                problems.append(self._unknown(key, None, None))
                continue
            if (rule.meta or rule.type in ("calculate", "hidden")) and not rule.sent_by_tablet:
                continue
            text, problem = self._value(rule, value, None, None)
            if not problem and text and rule.type == "start-geopoint":
                problem = self._location_problem(rule, text)
            if problem:
                problems.append(problem)
            top[key] = text
        return top, reps, problems

    @staticmethod
    def _location_problem(rule: Rule, text: str) -> Problem | None:
        message = type_message(replace(rule, type="geopoint"), text)
        return Problem(rule.name, "type", message) if message else None

    def _unknown(self, name: Any, repeat: str | None, index: int | None) -> Problem:
        where = f"{repeat}[{(index or 0) + 1}]." if repeat else ""
        return Problem(str(name), "unknown", bilingual(
            f"{where}{name} 不是问卷 {self.survey.id} {self.survey.version} 的题目",
            f"{where}{name} is not a question of survey {self.survey.id} {self.survey.version}"),
            repeat, index)

    @staticmethod
    def _value(rule: Rule, value: Any, repeat: str | None, index: int | None
               ) -> tuple[str, Problem | None]:
        if value is None:
            return "", None
        if isinstance(value, bool):
            return "", Problem(rule.name, "shape", bilingual(
                "答案应为文字或数字，不能是 true/false", "an answer is text or a number, not true/false"),
                repeat, index)
        if isinstance(value, int | float):
            if not math.isfinite(value):
                return "", Problem(rule.name, "type", bilingual("不是有效数字", "not a finite number"),
                                   repeat, index)
            return format_number(float(value)), None
        if isinstance(value, list) and rule.type in ("select_multiple", "rank") \
                and all(isinstance(v, str) for v in value):
            return " ".join(v.strip() for v in value if v.strip()), None
        if isinstance(value, str):
            return value.strip(), None
        return "", Problem(rule.name, "shape", bilingual("答案应为文字", "an answer must be text"),
                           repeat, index)

    # -- evaluation --------------------------------------------------------------------------

    def _run(self, node: Node, ctx: Mapping[str, Any], today: date | None, current: Any = None):
        compiled = self._compiled.get(id(node))
        if compiled is None:
            compiled = self._compiled[id(node)] = compile_expression(node)
        return compiled(ctx, current=current, today=today, instances=self.instances)

    def _holds(self, nodes: tuple[Node, ...], ctx: Mapping[str, Any], today: date | None) -> bool:
        return all(to_boolean(self._run(n, ctx, today)) for n in nodes)

    def _context(self, base: Mapping[str, Any], top: Mapping[str, str],
                 reps: Mapping[str, list[dict[str, str]]]) -> dict[str, Any]:
        ctx: dict[str, Any] = dict(base)
        ctx.update(top)
        for name, fields in self.repeats.items():
            for f in fields:
                ctx[f] = [instance.get(f, "") for instance in reps.get(name, [])]
        return ctx

    def _settle(self, top: dict[str, str], reps: dict[str, list[dict[str, str]]],
                base: Mapping[str, Any], today: date | None, problems: list[Problem]
                ) -> dict[str, Any]:
        """Calculate, then clear what is not relevant, until nothing changes (ODK recomputes
        the same way); returns relevance per field (lists per instance for repeat fields)."""
        relevance: dict[str, Any] = {}
        for _ in range(6):
            before = (dict(top), {k: [dict(i) for i in v] for k, v in reps.items()})
            self._calculate(top, reps, base, today, problems)
            relevance = self._relevance(top, reps, base, today, problems)
            if (top, reps) == before:
                break
        return relevance

    def _calculate(self, top, reps, base, today, problems) -> None:
        for name in self.calculations:
            rule = self.rules[name]
            if rule.repeat is None:
                ctx = self._context(base, top, reps)
                top[name] = self._calc_value(rule, ctx, today, problems, None)
            else:
                for index, instance in enumerate(reps.get(rule.repeat, [])):
                    ctx = self._context(base, top, reps)
                    ctx.update(instance)
                    instance[name] = self._calc_value(rule, ctx, today, problems, index)

    def _calc_value(self, rule: Rule, ctx, today, problems, index) -> str:
        if rule.calculation is None:  # self.calculations names only fields that have one
            return ""
        try:
            value = self._run(rule.calculation, ctx, today)
        except ExpressionError as exc:
            problems.append(self._rule_problem(rule, "calculation", exc, index))
            return ""
        if isinstance(value, list):
            return ""
        if isinstance(value, float) and not math.isfinite(value):
            return ""
        return to_string(value)

    def _rule_problem(self, rule: Rule, what: str, exc: ExpressionError, index) -> Problem:
        return Problem(rule.name, "rule", bilingual(
            f"问卷规则（{what}）无法计算：{exc.message}",
            f"the form's {what} rule could not be evaluated: {exc.message}"), rule.repeat, index)

    def _relevance(self, top, reps, base, today, problems) -> dict[str, Any]:
        relevance: dict[str, Any] = {}
        ctx = self._context(base, top, reps)
        for name, nodes in self.repeat_relevant.items():
            try:
                keep = self._holds(nodes, ctx, today)
            except ExpressionError:
                keep = True
            if not keep and reps.get(name):
                reps[name] = []
                ctx = self._context(base, top, reps)
        for name in self.top:
            relevant = self._relevant(self.rules[name], ctx, today, problems, None)
            relevance[name] = relevant
            if not relevant:
                top[name] = ""
                ctx[name] = ""
        for repeat, fields in self.repeats.items():
            for name in fields:
                relevance[name] = []
            for index, instance in enumerate(reps.get(repeat, [])):
                scope = dict(ctx)
                scope.update(instance)
                for name in fields:
                    relevant = self._relevant(self.rules[name], scope, today, problems, index)
                    relevance[name].append(relevant)
                    if not relevant:
                        instance[name] = ""
                        scope[name] = ""
        return relevance

    def _relevant(self, rule: Rule, ctx, today, problems, index) -> bool:
        try:
            return self._holds(rule.relevant, ctx, today)
        except ExpressionError as exc:
            problems.append(self._rule_problem(rule, "relevant", exc, index))
            return True

    # -- checking ----------------------------------------------------------------------------

    def check(self, raw: Any, context: Mapping[str, Any] | None = None,
              today: date | None = None) -> Checked:
        """Check one record's answers. ``context`` is the household's roster row."""
        top, reps, problems = self.normalise(raw)
        if any(p.code == "shape" for p in problems):
            return Checked({**top, **reps}, problems)
        base = dict(context or {})
        rule_problems: list[Problem] = []
        relevance = self._settle(top, reps, base, today, rule_problems)
        problems += _unique(rule_problems)
        ctx = self._context(base, top, reps)
        for name in self.top:
            rule = self.rules[name]
            if rule.is_question and relevance.get(name, True):
                problems += self._answer_problems(rule, top[name], ctx, today, None)
        for repeat, fields in self.repeats.items():
            for index, instance in enumerate(reps.get(repeat, [])):
                scope = dict(ctx)
                scope.update(instance)
                for name in fields:
                    rule = self.rules[name]
                    if rule.is_question and relevance[name][index]:
                        problems += self._answer_problems(rule, instance[name], scope, today,
                                                          index)
        problems += self._count_problems(reps, ctx, today)
        answers: dict[str, Any] = dict(top)
        answers.update(reps)
        order = {name: f.index for name, f in self.survey.fields.items()}

        def position(p: Problem) -> tuple[int, int, int]:
            at = order.get(p.field, -1)
            if p.repeat is not None:
                return (order.get(self.repeats[p.repeat][0], at), p.index or 0, at)
            return (at, 0, at)

        problems.sort(key=position)
        return Checked(answers, problems, relevance)

    def _count_problems(self, reps: Mapping[str, list[dict[str, str]]],
                        ctx: Mapping[str, Any], today: date | None) -> list[Problem]:
        """A repeat with a repeat_count holds that many entries (the tablet adds and removes
        them, as ODK Collect does); an uncountable count is left to the evaluator."""
        problems = []
        for name, node in self.repeat_count.items():
            try:
                if not self._holds(self.repeat_relevant[name], ctx, today):
                    continue
                wanted = to_number(self._run(node, ctx, today))
            except ExpressionError:
                continue
            if not math.isfinite(wanted):
                continue
            wanted_count = min(max(int(wanted), 0), MAX_REPEATS)
            found = len(reps.get(name, []))
            if found != wanted_count:
                problems.append(Problem(name, "count", bilingual(
                    f"{name} 应有 {wanted_count} 条（repeat_count），现有 {found} 条",
                    f"{name} must have {wanted_count} entries (repeat_count), has {found}")))
        return problems

    def _answer_problems(self, rule: Rule, value: str, ctx: Mapping[str, Any],
                         today: date | None, index: int | None) -> list[Problem]:
        def problem(code: str, message: Text) -> list[Problem]:
            return [Problem(rule.name, code, message, rule.repeat, index, value)]

        if value == "":
            required = rule.required
            if not required and rule.required_if is not None:
                try:
                    required = to_boolean(self._run(rule.required_if, ctx, today))
                except ExpressionError as exc:
                    return [self._rule_problem(rule, "required", exc, index)]
            return problem("required", rule.required_message) if required else []
        message = type_message(rule, value)
        if message:
            return problem("type", message)
        if rule.choice_filter is not None and rule.type in ("select_one", "select_multiple"):
            allowed = set(self.allowed_choices(rule, ctx, today))
            bad = [v for v in value.split() if v not in allowed]
            if bad:
                return problem("choice", bilingual(
                    f"选项 {' '.join(bad)} 在当前条件下不可选", f"choice {' '.join(bad)} is not available here"))
        if rule.constraint is not None:
            try:
                ok = to_boolean(self._run(rule.constraint, ctx, today, current=value))
            except ExpressionError as exc:
                return [self._rule_problem(rule, "constraint", exc, index)]
            if not ok:
                return problem("constraint", rule.constraint_message)
        return []

    def allowed_choices(self, rule: Rule, ctx: Mapping[str, Any], today: date | None) -> list[str]:
        if rule.choice_filter is None or not rule.list_name:
            return list(rule.choices)
        allowed = []
        for choice in self.survey.choices.get(rule.list_name, []):
            scope = dict(ctx)
            scope.update(choice.extra)
            scope["name"] = choice.name
            try:
                if to_boolean(self._run(rule.choice_filter, scope, today)):
                    allowed.append(choice.name)
            except ExpressionError:
                allowed.append(choice.name)
        return allowed

def _unique(problems: list[Problem]) -> list[Problem]:
    seen = set()
    out = []
    for p in problems:
        key = (p.field, p.repeat, p.index, p.code)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def type_message(rule: Rule, value: str) -> Text | None:
    """Why ``value`` is not an answer of the rule's type (bilingual), or None."""
    kind = rule.type
    if kind == "integer" and not INTEGER_RE.fullmatch(value):
        return bilingual(f"“{value}”不是整数", f"'{value}' is not a whole number")
    if kind == "decimal" and not DECIMAL_RE.fullmatch(value):
        return bilingual(f"“{value}”不是数字（只用数字和小数点，不用千位分隔符）",
                         f"'{value}' is not a number (digits and '.', no thousands separators)")
    if kind == "date":
        if not DATE_RE.fullmatch(value):
            return bilingual(f"“{value}”不是日期（年-月-日）", f"'{value}' is not a date YYYY-MM-DD")
        try:
            date.fromisoformat(value)
        except ValueError:
            return bilingual(f"“{value}”不是有效日期", f"'{value}' is not a real date")
    if kind == "select_one" and value not in rule.choices:
        return bilingual(f"“{value}”不是可选项（{' '.join(rule.choices)}）",
                         f"'{value}' is not one of the choices ({' '.join(rule.choices)})")
    if kind == "select_multiple":
        chosen = value.split()
        bad = [v for v in chosen if v not in rule.choices]
        if bad:
            return bilingual(f"“{' '.join(bad)}”不是可选项（{' '.join(rule.choices)}）",
                             f"'{' '.join(bad)}' not among the choices ({' '.join(rule.choices)})")
        if len(set(chosen)) != len(chosen):
            return bilingual("同一选项选了两次", "a choice is named twice")
    if kind == "geopoint":
        parts = value.split()
        if not 2 <= len(parts) <= 4 or not all(DECIMAL_RE.fullmatch(p) for p in parts):
            return bilingual("定位应为“纬度 经度 [海拔 精度]”",
                             "a location is 'latitude longitude [altitude accuracy]'")
        lat, lon = float(parts[0]), float(parts[1])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return bilingual("纬度或经度超出范围", "latitude or longitude out of range")
    if kind == "text" and len(value) > MAX_TEXT:
        return bilingual(f"文字太长（最多 {MAX_TEXT} 字）", f"text too long (at most {MAX_TEXT} characters)")
    if kind == "image" and (len(value) > 200 or "/" in value or "\\" in value):
        return bilingual("照片文件名无效", "not a valid photo file name")
    return answer_message(kind, value, choices=rule.choices, parameters=rule.parameters)


def note_references(survey: Survey) -> dict[str, list[str]]:
    """Names used as ${name} in each note's and field's label (filled live by the browser)."""
    found: dict[str, list[str]] = {}
    for row in survey.rows:
        name = row.get("name")
        if not name:
            continue
        refs: list[str] = []
        for column, value in row.items():
            if split_column(column)[0] == "label" and isinstance(value, str):
                refs += re.findall(r"\$\{([^}]*)\}", value)
        if refs:
            found[name] = sorted(set(refs))
    return found
