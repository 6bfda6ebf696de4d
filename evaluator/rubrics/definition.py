"""The rubric as frozen values: what scoring reads, built only from a rubric that passed every rule.

A published rubric version never changes (scores record the rubric id, version and content
hash they used), so everything here is immutable and expressions are parsed once, at load,
with the AST kept beside the text the author wrote.

Pure: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evaluator.definitions.expressions import parse, references
from evaluator.definitions.problems import DefinitionError
from evaluator.definitions.text import Text
from evaluator.rubrics.method_table import METHODS, PARAMETERS, SEVERITIES, MethodSpec
from evaluator.rubrics.survey_references import ROSTER_COLUMNS
from evaluator.rubrics.validation import rubric_problems
from evaluator.rubrics.yaml_reading import parse_yaml, read_yaml

__all__ = [
    "METHODS",
    "PARAMETERS",
    "ROSTER_COLUMNS",
    "SEVERITIES",
    "Band",
    "Deductions",
    "Dimension",
    "Expression",
    "FindingsScope",
    "Indicator",
    "MethodSpec",
    "Right",
    "Rubric",
    "Step",
    "Text",
    "Tolerance",
    "VetoLimit",
    "canonical_json",
    "content_hash",
    "load_rubric",
    "rubric_from_data",
]


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Expression:
    """An expression as written (``text``) and parsed once (``node``, helper A's AST)."""

    text: str
    node: Any = field(compare=False)

    @property
    def references(self) -> frozenset[str]:
        return frozenset(references(self.node))


@dataclass(frozen=True)
class Band:
    """A grade band: scores from ``min`` up to the next better band's min (or the total)."""

    grade: str
    en: str
    min: float


@dataclass(frozen=True)
class Step:
    """One row of a step table: an estimate at least as good as ``at`` earns ``points``."""

    at: float
    points: float


@dataclass(frozen=True)
class Tolerance:
    """Numbers agree when |left - right| <= absolute or <= relative * |right| (either given)."""

    absolute: float | None
    relative: float | None

    def agrees(self, left: float, right: float) -> bool:
        gap = abs(left - right)
        if self.absolute is not None and gap <= self.absolute:
            return True
        return self.relative is not None and gap <= self.relative * abs(right)


@dataclass(frozen=True)
class Right:
    """The other side of a consistency check: a source and a value, matched on household_id."""

    source: str
    value: Expression


@dataclass(frozen=True)
class Deductions:
    """Points taken off per finding, by severity (findings.csv ``severity``)."""

    minor: float
    major: float
    critical: float

    def of(self, severity: str) -> float:
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
        return float(getattr(self, severity))


@dataclass(frozen=True)
class FindingsScope:
    """Which findings trigger a veto: this severity or worse, on a dimension or on indicators."""

    severity: str
    dimension: str | None
    indicators: tuple[str, ...]

    def triggers(self, severity: str, indicator: str, dimension_of: Mapping[str, str]) -> bool:
        """Whether one finding (its severity and indicator code) falls under this veto."""
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
        if SEVERITIES.index(severity) < SEVERITIES.index(self.severity):
            return False
        if self.dimension is not None:
            return dimension_of.get(indicator) == self.dimension
        return indicator in self.indicators


@dataclass(frozen=True)
class VetoLimit:
    """What a condition veto tolerates: a share of the applicable households, or a number of
    roster households (both estimated from the sample, never a raw count of sampled cases)."""

    kind: str  # "share" | "households"
    value: float


@dataclass(frozen=True)
class Indicator:
    """One indicator; the parameters its method does not take are None (or empty).

    Which parameters each method takes is ``METHODS[method]``; ``where`` is its place in the
    rubric file (``dimensions[1].indicators[0]``) for messages.
    """

    code: str
    name: Text
    why: Text
    points: float
    method: str
    dimension: str
    where: str
    source: str | None = None
    applies: Expression | None = None
    condition: Expression | None = None
    value: Expression | None = None
    right: Right | None = None
    compare: str | None = None
    tolerance: Tolerance | None = None
    missing: str | None = None
    items: tuple[str, ...] = ()
    pass_value: str | None = None
    na_value: str | None = None
    fields: tuple[str, ...] = ()
    value_range: tuple[float, float] | None = None
    direction: str | None = None
    target: float | None = None
    floor: float | None = None
    steps: tuple[Step, ...] = ()
    min_n: int | None = None
    per_severity: Deductions | None = None
    scale: float | None = None
    max_spread: float | None = None
    cap: str | None = None
    limit: VetoLimit | None = None
    trigger: str | None = None
    findings: FindingsScope | None = None
    verdict_at: float | None = None

    @property
    def spec(self) -> MethodSpec:
        return METHODS[self.method]

    @property
    def is_veto(self) -> bool:
        return self.method == "veto"

    @property
    def expressions(self) -> dict[str, Expression]:
        """Every expression of the indicator by parameter ('right.value' for the right side)."""
        found = {
            key: getattr(self, key)
            for key in ("applies", "condition", "value")
            if getattr(self, key) is not None
        }
        if self.right is not None:
            found["right.value"] = self.right.value
        return found

    def points_for(self, estimate: float) -> float:
        """Points earned by ``estimate`` (a share, a mean, or a mean evaluator score).

        Target/floor: full points at or beyond the target, zero at or short of the floor,
        linear between; direction lower mirrors it. Steps: the points of the first (best) step
        the estimate reaches, zero when it reaches none. Judgement: points * estimate / scale.

        >>> i = Indicator("O1", Text("错退率"), Text(""), 8, "rate", "outcomes", "",
        ...               direction="lower", target=0.02, floor=0.10)
        >>> round(i.points_for(0.05), 6)
        5.0
        """
        if self.method == "judgement":
            if not self.scale:
                raise ValueError(f"judgement indicator {self.code} has no scale")
            share = estimate / self.scale
            return self.points * min(1.0, max(0.0, share))
        if self.direction not in ("higher", "lower"):
            raise ValueError(f"indicator {self.code} ({self.method}) maps no estimate to points")
        better = (lambda a, b: a >= b) if self.direction == "higher" else (lambda a, b: a <= b)
        if self.steps:
            for step in self.steps:
                if better(estimate, step.at):
                    return step.points
            return 0.0
        if self.target is None or self.floor is None:
            raise ValueError(f"indicator {self.code} has neither steps nor a target and floor")
        if better(estimate, self.target):
            return self.points
        if better(self.floor, estimate):
            return 0.0
        return self.points * (estimate - self.floor) / (self.target - self.floor)


@dataclass(frozen=True)
class Dimension:
    code: str
    name: Text
    points: float
    indicators: tuple[Indicator, ...]
    why: Text | None
    where: str


@dataclass(frozen=True)
class Rubric:
    """A whole rubric. ``content_hash`` identifies its content (see ``content_hash``)."""

    id: str
    version: str
    title: Text
    total: float
    bands: tuple[Band, ...]  # best first; the last starts at 0
    sources: Mapping[str, str] = field(hash=False)  # evidence source -> survey id
    dimensions: tuple[Dimension, ...] = ()
    description: Text | None = None
    file: str = ""
    content_hash: str = ""
    insufficient: str = "zero"  # zero | pro_rata: what an indicator without enough data earns
    response: Mapping[str, Expression] = field(default_factory=dict, hash=False)
    source: Any = field(default=None, compare=False, hash=False, repr=False)  # the parsed YAML

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for d in self.dimensions for i in d.indicators)

    @property
    def vetoes(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.is_veto)

    @property
    def dimension_of(self) -> dict[str, str]:
        """Indicator code -> dimension code (findings.csv names indicators)."""
        return {i.code: d.code for d in self.dimensions for i in d.indicators}

    def indicator(self, code: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(f"rubric {self.id} has no indicator {code!r}")

    def band(self, grade: str) -> Band:
        for band in self.bands:
            if band.grade == grade:
                return band
        raise KeyError(f"rubric {self.id} has no grade {grade!r}")

    def grade_for(self, score: float, caps: Iterable[str] = ()) -> Band:
        """The band of ``score``, no better than any capping grade (veto 一票否决) in ``caps``."""
        if score < 0:
            raise ValueError(f"a score cannot be negative: {score}")
        chosen = next(b for b in self.bands if score >= b.min)
        for cap in caps:
            capped = self.band(cap)
            if self.bands.index(capped) > self.bands.index(chosen):
                chosen = capped
        return chosen


# --------------------------------------------------------------------------- content hash


def _json_default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not allowed in a rubric")


def canonical_json(data: Any) -> str:
    """One text per content: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(
        data,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
        default=_json_default,
    )


def content_hash(content: bytes | str | Mapping) -> str:
    """sha256 (hex) of the canonical JSON of a rubric: its file bytes/text or its parsed dict.

    Comments, key order and layout do not change the hash; any change of meaning does. A
    published version (id + version) must always keep the same hash.
    """
    if isinstance(content, bytes | str):
        content = parse_yaml(content, "<rubric>")
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- building


def load_rubric(path: str | Path, surveys: Mapping[str, Any] | None = None) -> Rubric:
    """Read, check and build a rubric file; raise ``DefinitionError`` listing every problem.

    With ``surveys`` (survey id -> Survey, e.g. from ``load_surveys``) every source and field
    the rubric uses is checked against them too.
    """
    file = str(path)
    return rubric_from_data(read_yaml(path), file, surveys)


def rubric_from_data(data: Any, file: str, surveys: Mapping[str, Any] | None = None) -> Rubric:
    """Check and build a rubric from its parsed YAML ``data`` (``file`` names it in problems)."""
    problems = rubric_problems(data, file, surveys)
    if problems:
        raise DefinitionError(problems)
    return _build(data, file)


def _text(value: Any) -> Text:
    if isinstance(value, str):
        return Text(value.strip())
    return Text(str(value["zh"]).strip(), str(value.get("en", "")).strip())


def _expression(value: Any) -> Expression | None:
    return None if value is None else Expression(value, parse(value))


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _limit(value: Any) -> VetoLimit | None:
    if not value:
        return None
    (kind, amount), = value.items()
    return VetoLimit(kind, float(amount))


def _build(data: Mapping, file: str) -> Rubric:
    dimensions = []
    for d, raw in enumerate(data["dimensions"]):
        where = f"dimensions[{d}]"
        indicators = tuple(
            _indicator(item, raw["code"], f"{where}.indicators[{i}]")
            for i, item in enumerate(raw["indicators"])
        )
        dimensions.append(
            Dimension(
                code=raw["code"],
                name=_text(raw["name"]),
                points=float(raw["points"]),
                indicators=indicators,
                why=_text(raw["why"]) if "why" in raw else None,
                where=where,
            )
        )
    return Rubric(
        id=data["id"],
        version=data["version"],
        title=_text(data["title"]),
        total=float(data["total"]),
        bands=tuple(Band(b["grade"], b.get("en", ""), float(b["min"])) for b in data["bands"]),
        sources=MappingProxyType(dict(data["sources"])),
        dimensions=tuple(dimensions),
        description=_text(data["description"]) if "description" in data else None,
        file=file,
        content_hash=content_hash(data),
        insufficient=data.get("insufficient", "zero"),
        response=MappingProxyType({name: Expression(text, parse(text))
                                   for name, text in data.get("response", {}).items()}),
        source=data,
    )


def _indicator(raw: Mapping, dimension: str, where: str) -> Indicator:
    right = raw.get("right")
    tolerance = raw.get("tolerance")
    per_severity = raw.get("per_severity")
    findings = raw.get("findings")
    value_range = raw.get("range")
    method = raw["method"]
    return Indicator(
        code=raw["code"],
        name=_text(raw["name"]),
        why=_text(raw["why"]),
        points=float(raw["points"]),
        method=method,
        dimension=dimension,
        where=where,
        source=raw.get("source"),
        applies=_expression(raw.get("applies")),
        condition=_expression(raw.get("condition")),
        value=_expression(raw.get("value")),
        right=Right(right["source"], Expression(right["value"], parse(right["value"])))
        if right else None,
        compare=raw.get("compare"),
        tolerance=(
            Tolerance(_number(tolerance.get("absolute")), _number(tolerance.get("relative")))
            if tolerance
            else None
        ),
        missing=raw.get("missing", "skip") if method == "consistency" else None,
        items=tuple(raw.get("items", ())),
        pass_value=raw.get("pass"),
        na_value=raw.get("na"),
        fields=tuple(raw.get("fields", ())),
        value_range=(float(value_range[0]), float(value_range[1])) if value_range else None,
        direction=raw.get("direction"),
        target=_number(raw.get("target")),
        floor=_number(raw.get("floor")),
        steps=tuple(Step(float(s["at"]), float(s["points"])) for s in raw.get("steps", ())),
        min_n=raw.get("min_n"),
        per_severity=(
            Deductions(*(float(per_severity[s]) for s in SEVERITIES)) if per_severity else None
        ),
        scale=_number(raw.get("scale")),
        max_spread=_number(raw.get("max_spread")),
        cap=raw.get("cap"),
        limit=_limit(raw.get("limit")),
        trigger=raw.get("trigger", "bound") if raw.get("limit") else None,
        verdict_at=_number(raw.get("verdict_at")),
        findings=(
            FindingsScope(
                findings["severity"],
                findings.get("dimension"),
                tuple(findings.get("indicators", ())),
            )
            if findings
            else None
        ),
    )
