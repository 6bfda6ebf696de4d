"""The scoring methods an indicator may use, and the parameters each one takes.

The method table (``METHODS``) is the single statement of which parameters each scoring method
takes; the validator, the loader and docs/rubric.md all follow it (a test keeps the docs honest).
It is data, not rules, so it stands apart: ``definition`` and the rule modules all read it here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SEVERITIES: tuple[str, ...] = ("minor", "major", "critical")  # findings.csv severity, mildest first
DIRECTIONS: tuple[str, ...] = ("higher", "lower")
COMPARES: tuple[str, ...] = ("number", "text", "set_overlap", "set_equal")
MISSING: tuple[str, ...] = ("skip", "disagree")

# Keys every indicator has, whatever its method.
INDICATOR_KEYS: tuple[str, ...] = ("code", "name", "why", "points", "method")

# The two ways an estimate becomes points; an indicator of a mapped method uses exactly one.
MAPPING: tuple[tuple[str, ...], ...] = (("target", "floor"), ("steps",))


@dataclass(frozen=True)
class MethodSpec:
    """What one scoring method needs.

    ``required`` keys must be present; ``optional`` keys may be, and the text says what happens
    without them; ``alternatives`` are key groups of which exactly one is given, complete.
    ``estimate`` says what the method estimates: ``share`` (0..1, so target/floor/steps lie in
    0..1), ``mean`` (in the unit of ``value``), ``judgement`` (mean evaluator score, 0..scale) or
    ``None`` (no estimate: points come from findings, or the method scores nothing).
    """

    summary: str
    required: tuple[str, ...]
    optional: Mapping[str, str] = field(default_factory=dict)
    alternatives: tuple[tuple[str, ...], ...] = ()
    estimate: str | None = None

    @property
    def allowed(self) -> frozenset[str]:
        keys = set(INDICATOR_KEYS) | set(self.required) | set(self.optional)
        for group in self.alternatives:
            keys.update(group)
        return frozenset(keys)


_APPLIES = "every unit of the source applies"
_VERDICT_AT = ("the target (or the first step's at); needed when the target is 100 % or 0 %, "
               "which no sample can show")
VETO_LIMITS: tuple[str, ...] = ("share", "households")
VETO_TRIGGERS: tuple[str, ...] = ("bound", "estimate")
INSUFFICIENT_RULES: tuple[str, ...] = ("zero", "pro_rata")

METHODS: dict[str, MethodSpec] = {
    "rate": MethodSpec(
        summary="design-weighted share of applicable units for which `condition` is true",
        required=("source", "condition", "direction", "min_n"),
        optional={"applies": _APPLIES, "verdict_at": _VERDICT_AT},
        alternatives=MAPPING,
        estimate="share",
    ),
    "mean": MethodSpec(
        summary="design-weighted mean of the numeric expression `value` over applicable units",
        required=("source", "value", "direction", "min_n"),
        optional={
            "applies": _APPLIES,
            "range": "no bounds: target, floor and steps are not range-checked",
            "verdict_at": _VERDICT_AT,
        },
        alternatives=MAPPING,
        estimate="mean",
    ),
    "checklist": MethodSpec(
        summary="per unit, the share of applicable `items` whose answer is `pass`; "
        "the design-weighted mean of those shares",
        required=("source", "items", "pass", "direction", "min_n"),
        optional={
            "applies": _APPLIES,
            "na": "only blank (not asked) items are not applicable",
            "verdict_at": _VERDICT_AT,
        },
        alternatives=MAPPING,
        estimate="share",
    ),
    "consistency": MethodSpec(
        summary="design-weighted share of units whose `value` agrees with `right.value` of "
        "the right source's row with the same household_id",
        required=("source", "value", "right", "compare", "direction", "min_n"),
        optional={
            "applies": _APPLIES,
            "tolerance": "exact equality (only compare: number takes a tolerance)",
            "missing": "skip: a unit without a right-hand row or with a blank side is left out",
            "verdict_at": _VERDICT_AT,
        },
        alternatives=MAPPING,
        estimate="share",
    ),
    "completeness": MethodSpec(
        summary="per unit, the share of `fields` that are not blank; "
        "the design-weighted mean of those shares",
        required=("source", "fields", "direction", "min_n"),
        optional={"applies": _APPLIES, "verdict_at": _VERDICT_AT},
        alternatives=MAPPING,
        estimate="share",
    ),
    "deduction": MethodSpec(
        summary="the indicator's points minus `per_severity` for each finding recorded against "
        "it in findings.csv, never below 0",
        required=("per_severity",),
    ),
    "judgement": MethodSpec(
        summary="mean of the evaluators' scores (0..scale) in judgements.csv times "
        "points / scale; a spread above `max_spread` is flagged",
        required=("scale", "max_spread", "min_n"),
        optional={"source": "no evidence source is named in the report"},
        estimate="judgement",
    ),
    "veto": MethodSpec(
        summary="scores no points; caps the grade at `cap` when the estimated share (or number) "
        "of households meeting `condition` exceeds `limit`, or when a finding of "
        "`findings.severity` or worse exists",
        required=("cap",),
        optional={
            "applies": "only with condition; " + _APPLIES,
            "trigger": "bound: only when even the one-sided lower bound exceeds the limit",
        },
        alternatives=(("source", "condition", "limit"), ("findings",)),
    ),
}

# Every parameter, in the order the docs present them, with its meaning.
PARAMETERS: dict[str, str] = {
    "source": "evidence source (a key of `sources`) whose rows are the units",
    "applies": "expression; units where it is false are not applicable (left out of n)",
    "condition": "expression; true for a unit that counts (rate) or that triggers (veto)",
    "value": "expression giving the unit's value (mean; left side of consistency)",
    "right": "{source, value}: the other side of a consistency check, matched on household_id",
    "compare": "number | text | set_overlap | set_equal",
    "tolerance": "{absolute, relative}: numbers agree when |left - right| <= absolute "
    "or <= relative * |right|",
    "missing": "skip | disagree: what a unit without a right-hand row or with a blank side counts as",
    "items": "list of survey fields, each one checklist item",
    "pass": "the answer (choice name) that passes an item, e.g. 'yes'",
    "na": "the answer that makes an item not applicable, e.g. 'na'",
    "fields": "list of survey fields that should not be blank",
    "range": "[low, high]: the possible values of a mean, so target/floor/steps can be checked",
    "direction": "higher | lower: which way the estimate is better",
    "target": "estimate at (or beyond) which full points are given",
    "floor": "estimate at (or short of) which zero points are given; linear in between",
    "steps": "[{at, points}, ...] best first: points of the first step the estimate reaches",
    "verdict_at": "the share (or mean) the verdict tests the estimate against; default: the "
    "target, or the first step's at",
    "min_n": "minimum number of applicable units (evaluators for judgement) to score",
    "per_severity": "{minor, major, critical}: points deducted per finding of each severity",
    "scale": "maximum evaluator score (scores run 0..scale)",
    "max_spread": "largest allowed difference between the highest and lowest evaluator score",
    "cap": "grade (a band's `grade`) that the final grade cannot exceed when the veto triggers",
    "limit": "{share: S} or {households: K}: the estimated share of applicable households, or "
    "number of roster households, meeting `condition` that is still tolerated",
    "trigger": "bound | estimate: fire when the one-sided lower bound (the data prove the limit "
    "is exceeded) or the point estimate exceeds `limit`",
    "findings": "{severity, dimension | indicators}: findings of this severity or worse, "
    "recorded against that dimension's indicators or the listed indicators",
}

EXPRESSION_KEYS: tuple[str, ...] = ("applies", "condition", "value")
