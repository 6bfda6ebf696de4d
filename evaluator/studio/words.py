"""The studio's words for methods and parameters (the rubric format's own names stay beside
them on the page, as authors read them in the YAML and in docs/rubric.md), and the rules'
problems in the page's language."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

from evaluator.definitions.problems import Problem
from evaluator.web.problems import message_text

METHOD_WORDS = {
    "rate": _l("Share of applicable units for which the condition holds."),
    "mean": _l("Mean of a number over the applicable units."),
    "checklist": _l("Per unit, the share of checklist items passed; averaged over units."),
    "consistency": _l("Share of units whose value agrees with the other source's."),
    "completeness": _l("Per unit, the share of fields filled in; averaged over units."),
    "deduction": _l("The indicator's points minus a deduction per finding recorded against it."),
    "judgement": _l("Mean of the evaluators' scores, each with a written reason."),
    "veto": _l("Scores no points; caps the grade when it triggers."),
}

PARAM_WORDS = {
    "source": _l("evidence source"),
    "applies": _l("which units it applies to"),
    "condition": _l("counts when true"),
    "value": _l("the unit's value"),
    "right": _l("the other source, matched by household"),
    "compare": _l("how the two are compared"),
    "tolerance": _l("allowed difference"),
    "missing": _l("a unit without the other side"),
    "items": _l("checklist fields"),
    "pass": _l("the answer that passes"),
    "na": _l("the answer meaning not applicable"),
    "fields": _l("fields that must be filled in"),
    "range": _l("possible values"),
    "direction": _l("which way is better"),
    "target": _l("full points at"),
    "floor": _l("no points at"),
    "steps": _l("points by step, best first"),
    "min_n": _l("fewest units to score"),
    "per_severity": _l("points off per finding"),
    "scale": _l("highest score"),
    "max_spread": _l("largest allowed disagreement"),
    "cap": _l("highest grade when it triggers"),
    "verdict_at": _l("the verdict tests the estimate against"),
    "trigger": _l("fires on the lower bound or on the estimate"),
    "findings": _l("findings that trigger it"),
    "limit": _l("still tolerated: a share of the applicable households, or a number of "
                "roster households (fill one)"),
}


def said(problem: Problem) -> str:
    """The problem's message in the page's language (evaluator.web.problems: a rule's
    template from the catalog, filled with the same values; else the English message)."""
    return message_text(problem, g.get("lang", "zh"))
