"""Broken rubrics, one per rule of ``evaluator check`` (rubric rules), for the studio's parity
test: each mutation breaks the shipped rubric in one way. ``test_studio_rules`` sends every one
through the studio and through ``evaluator check`` and requires the same problems, and requires
that together they reach every rule (every ``add`` call of the rubric rule modules). A new rule
needs a new mutation here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import yaml

from evaluator.paths import RUBRICS_DIR

SHIPPED = yaml.safe_load((RUBRICS_DIR / "union-hardship.yaml").read_text(encoding="utf-8"))


def ind(c: dict, code: str) -> dict:
    return next(i for d in c["dimensions"] for i in d["indicators"] if i.get("code") == code)


def dim(c: dict, code: str) -> dict:
    return next(d for d in c["dimensions"] if d.get("code") == code)


def _set(path: str, value: Any) -> Callable[[dict], Any]:
    """A mutation setting indicator CODE's key (``T1.target``) or a top-level key."""
    code, _, key = path.partition(".")

    def apply(c: dict) -> None:
        if key:
            ind(c, code)[key] = value
        else:
            c[code] = value
    return apply


def _drop(path: str) -> Callable[[dict], Any]:
    code, _, key = path.partition(".")

    def apply(c: dict) -> None:
        if key:
            del ind(c, code)[key]
        else:
            del c[code]
    return apply


def _all(*changes: Callable[[dict], Any]) -> Callable[[dict], Any]:
    def apply(c: dict) -> None:
        for change in changes:
            change(c)
    return apply


def _dim(code: str, key: str, value: Any) -> Callable[[dict], Any]:
    def apply(c: dict) -> None:
        dim(c, code)[key] = value
    return apply


def _band(i: int, key: str, value: Any) -> Callable[[dict], Any]:
    def apply(c: dict) -> None:
        c["bands"][i][key] = value
    return apply


def _replace_indicator(code: str, value: Any) -> Callable[[dict], Any]:
    def apply(c: dict) -> None:
        for d in c["dimensions"]:
            d["indicators"] = [value if i.get("code") == code else i for i in d["indicators"]]
    return apply


def _whole(value: Any) -> Callable[[dict], Any]:
    return lambda c: value


MUTATIONS: dict[str, Callable[[dict], Any]] = {
    # the rubric's shape
    "not a mapping": _whole(["a", "list"]),
    "missing total": _drop("total"),
    "unknown top key": _set("weights", 3),
    "bad id": _set("id", "1-union"),
    "version a number": _set("version", 2026.3),
    "title a number": _set("title", 5),
    "title language": _set("title", {"zh": "评估", "fr": "évaluation"}),
    "title without zh": _set("title", {"en": "Evaluation"}),
    "title empty zh": _set("title", {"zh": " ", "en": "x"}),
    "why two lines": _set("T1.why", {"zh": "第一行\n第二行"}),
    "total negative": _set("total", -100),
    # grade bands
    "bands empty": _set("bands", []),
    "band not a mapping": lambda c: c["bands"].__setitem__(1, "良好"),
    "band unknown key": _band(0, "max", 100),
    "band grade empty": _band(0, "grade", ""),
    "band grade twice": _band(1, "grade", "优秀"),
    "band en not text": _band(0, "en", 5),
    "band min bad": _band(1, "min", "eighty"),
    "band min above total": _all(_band(0, "min", 120)),
    "band min not below": _band(2, "min", 85),
    "lowest band not 0": _band(3, "min", 10),
    # sources
    "sources not a mapping": _set("sources", ["household"]),
    "source bad code": lambda c: c["sources"].__setitem__("1house", "household"),
    "source survey not text": lambda c: c["sources"].__setitem__("system", 5),
    "survey not found": lambda c: c["sources"].__setitem__("system", "no_such_survey"),
    "survey feeds another source": lambda c: c["sources"].__setitem__("system", "household"),
    # dimensions
    "dimensions empty": _set("dimensions", []),
    "dimension not a mapping": lambda c: c["dimensions"].append("extra"),
    "dimension code twice": _dim("needs", "code", "targeting"),
    "dimension name not text": _dim("needs", "name", 12),
    "dimension points bad": _dim("needs", "points", 0),
    "dimension indicators empty": _dim("data", "indicators", []),
    "indicator points do not add up": _set("T1.points", 9),
    "dimension points do not add up": _all(_dim("needs", "points", 16)),
    # indicators
    "indicator not a mapping": lambda c: dim(c, "needs")["indicators"].append("N9"),
    "indicator without why": _drop("T2.why"),
    "indicator code twice": _set("T2.code", "T1"),
    "unknown method": _set("T2.method", "median"),
    "veto with points": _set("F4.points", 2),
    "points not positive": _set("T2.points", -5),
    "points above the dimension": _all(_set("T1.points", 25)),
    "source not declared": _set("T2.source", "archive"),
    "right source not declared": lambda c: ind(c, "N1")["right"].__setitem__("source", "archive"),
    # a veto's references
    "cap not a band": _set("O4.cap", "差"),
    "cap best band": _set("O4.cap", "优秀"),
    "findings dimension unknown": lambda c: ind(c, "F4")["findings"].__setitem__("dimension", "money"),
    "findings indicators empty": _set("F4.findings", {"severity": "critical", "indicators": []}),
    "findings indicator unknown": _set("F4.findings", {"severity": "critical", "indicators": ["X1"]}),
    # parameters by method
    "needs a parameter": _drop("T1.condition"),
    "not a parameter": _set("T1.per_severity", {"minor": 1}),
    "needs target or steps": _all(_drop("T1.target"), _drop("T1.floor")),
    "target and steps both": _set("T1.steps", [{"at": 0.03, "points": 10}]),
    "target without floor": _drop("T1.floor"),
    "expression not text": _set("T1.condition", 5),
    "expression does not parse": _set("T1.condition", "${per_capita_income} >= "),
    "direction bad": _set("T1.direction", "up"),
    "min_n bad": _set("T1.min_n", 2.5),
    "range bad": _set("M2.range", [10, 5]),
    "target not a number": _set("T1.target", "3%"),
    "target outside the share": _set("T1.target", 3),
    "higher target below floor": _all(_set("T2.target", 0.7)),
    "lower target above floor": _set("T1.target", 0.2),
    "steps not a list": _set("O1.steps", {"at": 0.02}),
    "step not a mapping": _set("O1.steps", [{"at": 0.02, "points": 8}, 5]),
    "step points bad": _set("O1.steps", [{"at": 0.02, "points": 8}, {"at": 0.05, "points": -1}]),
    "step points above the indicator": _set("O1.steps", [{"at": 0.02, "points": 9}]),
    "first step not full points": _set("O1.steps", [{"at": 0.02, "points": 7}]),
    "higher steps not best first": _all(
        _drop("T2.target"), _drop("T2.floor"),
        _set("T2.steps", [{"at": 0.8, "points": 5}, {"at": 0.9, "points": 2}])),
    "lower steps not best first": _set("O1.steps", [{"at": 0.05, "points": 8},
                                                    {"at": 0.02, "points": 4}]),
    "steps points not decreasing": _set("O1.steps", [{"at": 0.02, "points": 8},
                                                     {"at": 0.05, "points": 8}]),
    "step unknown key": _set("O1.steps", [{"at": 0.02, "points": 8, "note": "x"}]),
    "items empty": _set("M3.items", []),
    "items twice": lambda c: ind(c, "M3")["items"].append(ind(c, "M3")["items"][0]),
    "pass unquoted yes": _set("M3.pass", True),
    "pass equals na": lambda c: ind(c, "M3").__setitem__("na", ind(c, "M3")["pass"]),
    "fields empty": _set("D1.fields", []),
    "scale bad": _set("M4.scale", 0),
    "max_spread bad": _set("M4.max_spread", -1),
    "max_spread above scale": _set("M4.max_spread", 50),
    "max_count bad": _set("O4.max_count", -1),
    "trigger bad": _set("O4.trigger", "always"),
    "limit two kinds": _set("O4.limit", {"share": 0.01, "households": 3}),
    "limit share bad": _set("O4.limit", {"share": 1.5}),
    "limit households bad": _set("O4.limit", {"households": 2.5}),
    "target 100 % without verdict_at": _drop("T2.verdict_at"),
    "verdict_at a share of 1": _set("T2.verdict_at", 1.0),
    "higher verdict_at above target": _set("N3.verdict_at", 0.95),
    "lower verdict_at below target": _set("T1.verdict_at", 0.01),
    "insufficient bad": _set("insufficient", "skip"),
    "response not a mapping": _set("response", "yes"),
    "response source not declared": _set("response", {"archive": "${consent} = 'yes'"}),
    "applies without condition": _all(_set("F4.applies", "${consent} = 'yes'")),
    "right not a mapping": _set("N1.right", "file_check"),
    "right unknown key": lambda c: ind(c, "N1")["right"].__setitem__("weight", 1),
    "compare bad": _set("N1.compare", "fuzzy"),
    "missing bad": _set("N1.missing", "ignore"),
    "compare number without tolerance": _all(_set("N1.compare", "number")),
    "tolerance with text compare": _set("N1.tolerance", {"absolute": 1}),
    "tolerance not a mapping": _set("F1.tolerance", 5),
    "tolerance bad value": _set("F1.tolerance", {"absolute": -1}),
    "tolerance relative above 1": _set("F1.tolerance", {"relative": 10}),
    "per_severity not a mapping": _set("T3.per_severity", 1),
    "per_severity bad value": _set("T3.per_severity", {"minor": 1, "major": "two",
                                                       "critical": 5}),
    "findings not a mapping": _set("F4.findings", "critical"),
    "findings severity bad": _set("F4.findings", {"severity": "fatal", "dimension": "funds"}),
    "findings dimension and indicators": _set("F4.findings", {"severity": "critical",
                                                              "dimension": "funds",
                                                              "indicators": ["F1"]}),
    # against the surveys
    "field not in survey": _set("T1.condition", "${no_such_field} = 'yes'"),
    "item not in survey": lambda c: ind(c, "M3")["items"].append("no_such_item"),
    "not a choice": _set("T2.condition", "${income_verified} = 'maybe'"),
    "pass not a choice": _set("M3.pass", "perhaps"),
    "not a date": _set("D1.applies", "${exit_date} > '2026'"),
}


def broken(name: str) -> Any:
    """The shipped rubric with mutation ``name`` applied (a new object)."""
    content = copy.deepcopy(SHIPPED)
    content["version"] = "9.9"
    result = MUTATIONS[name](content)
    return content if result is None else result
