"""What scoring takes in and gives back: plain, frozen values.

The engine's input (``ScoringData``) is built from plain rows, so the bundle reader, the web
app's database service and a test can all feed it without files; ``from_bundle`` and
``scoring_data`` are the two builders. The output (``ScoreSheet``) keeps every number unrounded
and serialises to one JSON text per content (``to_json``): the same data must give the same
bytes from the CLI, the web app and the report.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date
from functools import cache
from operator import itemgetter
from types import MappingProxyType
from typing import Any

from evaluator.bundle.rows import RowIndex, Rows

VERDICTS = ("meets", "fails", "indeterminate", "insufficient")
HOUSEHOLD_KEY = "household_id"


# -- input --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleUnit:
    """A drawn household (sample.csv): ``role`` is ``sample`` or ``reserve``, ``order`` its
    place in its stratum's list; ``outcome`` the non-response the team recorded (refused |
    unreached | ''), ``replaces`` for a reserve taken into the sample the household it replaces."""

    household_id: str
    stratum: str
    role: str = "sample"
    order: int = 0
    outcome: str = ""
    replaces: str = ""


@dataclass(frozen=True)
class FindingRecord:
    """A finding (findings.csv) as scoring needs it: which indicator, how bad, which household."""

    indicator: str
    severity: str
    household_id: str = ""
    description: str = ""


@dataclass(frozen=True)
class JudgementRecord:
    """One evaluator's score for a judgement indicator (judgements.csv); ``None`` = not given."""

    indicator: str
    evaluator: str
    score: float | None
    reason: str = ""


@dataclass(frozen=True)
class ScoringData:
    """Everything one evaluation's scoring reads, as plain values.

    ``roster``: the sampling frame's rows (建档立卡台账), one per household, each with
    ``household_id`` and the ``stratum_column``; every rubric expression sees its household's
    roster row. ``sources``: evidence source -> records (field -> value, strings as exported,
    '' = unanswered; a repeat's field is a list). ``frame_sizes`` (N_h) default to the roster's
    households per stratum. ``sample`` lists drawn households, so a sampled household without a
    record counts as missing. ``repeats`` (optional) carries repeat fields beside the records
    instead of inside them: source -> field -> one list per record, aligned with the records. Build with ``scoring_data`` (checks and freezes) or ``from_bundle``.
    """

    roster: Sequence[Mapping[str, Any]]
    sources: Mapping[str, Sequence[Mapping[str, Any]]]
    sample: tuple[SampleUnit, ...] = ()
    findings: tuple[FindingRecord, ...] = ()
    judgements: tuple[JudgementRecord, ...] = ()
    stratum_column: str = "stratum"
    frame_sizes: Mapping[str, int] = field(default_factory=dict)
    data_hash: str = ""
    confidence: float = 0.95
    today: date | None = None
    repeats: Mapping[str, Mapping[str, tuple[list[Any], ...]]] = field(default_factory=dict, repr=False)
    roster_index: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    roster_counts: Mapping[str, int] = field(default_factory=dict, repr=False)

    def index(self) -> tuple[Mapping[str, Mapping[str, Any]], Mapping[str, int]]:
        """household_id -> roster row, and roster households per stratum (built if not given)."""
        if self.roster_index or not self.roster:
            return self.roster_index, self.roster_counts
        index, counts, _ = _index_roster(self.roster, self.stratum_column)
        return index, counts


def scoring_data(
    *,
    roster: Iterable[Mapping[str, Any]],
    sources: Mapping[str, Iterable[Mapping[str, Any]]],
    sample: Iterable[SampleUnit | Mapping[str, Any]] = (),
    findings: Iterable[FindingRecord | Mapping[str, Any]] = (),
    judgements: Iterable[JudgementRecord | Mapping[str, Any]] = (),
    stratum_column: str = "stratum",
    frame_sizes: Mapping[str, int] | None = None,
    data_hash: str = "",
    confidence: float = 0.95,
    today: date | None = None,
    repeats: Mapping[str, Mapping[str, Iterable[list[Any]]]] | None = None,
    roster_index: RowIndex | None = None,
) -> ScoringData:
    """Check plain rows and freeze them into ``ScoringData`` (raise ``ValueError`` on bad input).

    Sample, finding and judgement rows may be dicts with the fields of ``SampleUnit``,
    ``FindingRecord`` and ``JudgementRecord``: a database service can pass query rows as they are.
    ``frame_sizes`` default to counting the roster per stratum. ``today`` is the date the
    expression function today() gives (the evaluation's end date), so scores do not change
    with the day they are computed. ``roster_index``: an index of ``roster`` (held as columns)
    by household_id that the caller already has (a Bundle's ``roster_by_id``), used instead of
    indexing the roster again.
    """
    if not isinstance(stratum_column, str) or not stratum_column:
        raise ValueError("stratum_column must be a column name")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    # Rows held as columns (evaluator.bundle.rows) are kept as they are, not copied row by row.
    roster_rows: Sequence[Mapping[str, Any]] = roster if isinstance(roster, Rows) else tuple(roster)
    index, counted, problems = _index_roster(roster_rows, stratum_column, roster_index)
    if problems:
        raise ValueError("; ".join(problems[:10]))
    if not isinstance(sources, Mapping):
        raise ValueError("sources must map a source name to its records")
    frozen_sources: dict[str, Sequence[Mapping[str, Any]]] = {}
    for name in sorted(sources):
        given = sources[name]
        if isinstance(given, Rows):
            frozen_sources[name] = given  # every row a mapping, and read-only
            continue
        rows = tuple(given)
        for i, row in enumerate(rows):
            if type(row) is not dict and not isinstance(row, Mapping):
                raise ValueError(f"source {name!r} record {i} is not a mapping")
        frozen_sources[name] = rows
    frozen_repeats = {}
    for name, fields in sorted((repeats or {}).items()):
        if name not in frozen_sources:
            raise ValueError(f"repeats given for source {name!r}, which has no records")
        frozen_fields = {}
        for field_name, lists in sorted(fields.items()):
            lists = tuple(lists)
            if len(lists) != len(frozen_sources[name]):
                raise ValueError(f"repeat field {name}.{field_name}: {len(lists)} lists for "
                                 f"{len(frozen_sources[name])} records")
            frozen_fields[field_name] = lists
        frozen_repeats[name] = MappingProxyType(frozen_fields)
    sizes = dict(frame_sizes) if frame_sizes is not None else counted
    for stratum, size in sizes.items():
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(f"frame size of stratum {stratum!r} must be a whole number >= 1, got {size!r}")
    return ScoringData(
        roster=roster_rows,
        sources=MappingProxyType(frozen_sources),
        sample=tuple(_record(SampleUnit, s) for s in sample),
        findings=tuple(_record(FindingRecord, f) for f in findings),
        judgements=tuple(_judgement(j) for j in judgements),
        stratum_column=stratum_column,
        frame_sizes=MappingProxyType(dict(sorted(sizes.items()))),
        data_hash=data_hash,
        confidence=confidence,
        today=today,
        repeats=MappingProxyType(frozen_repeats),
        roster_index=index if isinstance(index, RowIndex) else MappingProxyType(index),  # read-only
        roster_counts=MappingProxyType(dict(sorted(counted.items()))),
    )


def _index_roster(
    rows: Sequence[Mapping[str, Any]], stratum_column: str, known: RowIndex | None = None
) -> tuple[Mapping[str, Mapping[str, Any]], dict[str, int], list[str]]:
    """One pass over the roster: the id index, households per stratum, and problems.
    ``known``: the rows' index by household_id, when the caller has it (one entry per row
    unless an id repeats: then it is not used)."""
    if isinstance(rows, Rows) and rows.has(HOUSEHOLD_KEY) and rows.has(stratum_column):
        ids, strata = rows.column(HOUSEHOLD_KEY), rows.column(stratum_column)
        if known is not None and (len(known) != len(ids) or "" in known):
            known = None
        unique = known is not None or (len(set(ids)) == len(ids) and "" not in ids)
        if unique and set(map(type, ids)) | set(map(type, strata)) <= {str}:
            return known or RowIndex(rows, HOUSEHOLD_KEY), dict(Counter(strata)), []
    if rows and all(type(r) is dict for r in rows):
        # Fast path for the usual roster (dicts of strings, as read from CSV): C-level loops.
        try:
            ids = list(map(itemgetter(HOUSEHOLD_KEY), rows))
            strata = list(map(itemgetter(stratum_column), rows))
        except KeyError:
            pass
        else:
            by_id = dict(zip(ids, rows, strict=True))
            if len(by_id) == len(rows) and set(map(type, ids)) | set(map(type, strata)) <= {str} and "" not in by_id:
                return by_id, dict(Counter(strata)), []
    index: dict[str, Mapping[str, Any]] = {}
    counted: dict[str, int] = {}
    problems: list[str] = []
    for i, row in enumerate(rows):
        if type(row) is not dict and not isinstance(row, Mapping):
            problems.append(f"roster row {i} is not a mapping")
            continue
        hid = str(row.get(HOUSEHOLD_KEY, "") or "")
        if not hid:
            problems.append(f"roster row {i}: no household_id")
        elif hid in index:
            problems.append(f"roster row {i}: household_id {hid!r} appears twice")
        else:
            index[hid] = row
        stratum = row.get(stratum_column)
        if stratum is None:
            problems.append(f"roster row {i}: no {stratum_column!r} column (the stratum)")
            continue
        stratum = str(stratum)
        counted[stratum] = counted.get(stratum, 0) + 1
    return index, counted, problems


@cache
def _field_names(kind: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclass_fields(kind))


def _record(kind: type, value: Any) -> Any:
    if isinstance(value, kind):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a {kind.__name__} or a mapping, got {type(value).__name__}")
    names = _field_names(kind)
    try:
        return kind(**{k: str(v if v is not None else "").strip() for k, v in value.items() if k in names})
    except TypeError as exc:
        raise ValueError(f"{kind.__name__}: {exc}") from None


def _judgement(value: Any) -> JudgementRecord:
    if isinstance(value, JudgementRecord):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a JudgementRecord or a mapping, got {type(value).__name__}")
    raw = value.get("score")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        score = None
    else:
        try:
            score = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"judgement score {raw!r} is not a number") from None
        if not math.isfinite(score):
            raise ValueError(f"judgement score {raw!r} is not a finite number")
    return JudgementRecord(
        str(value.get("indicator", "")), str(value.get("evaluator", "")), score, str(value.get("reason", ""))
    )


# -- output -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StratumResult:
    """One stratum's own estimate (unweighted within the stratum) and the points it would earn."""

    estimate: float | None
    n: int
    points: float | None = None


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator's result. ``estimate``/``ci_*`` are ``None`` when there is none to give.

    ``n`` counts applicable units with a value; ``missing`` drawn units without a record or a
    value; ``not_applicable`` units the indicator does not apply to (out of the denominator).
    ``failed_units`` are the households that count against the indicator (drill-down).
    """

    code: str
    dimension: str
    name: Mapping[str, str]
    method: str
    source: str | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    missing: int
    not_applicable: int
    points: float
    max: float
    verdict: str
    target: float | None
    floor: float | None
    direction: str | None
    min_n: int | None = None
    interval: str | None = None
    deff: float | None = None
    n_effective: float | None = None
    by_stratum: Mapping[str, StratumResult] = field(default_factory=dict)
    failed_units: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    verdict_at: float | None = None
    bound: float | None = None
    p_value: float | None = None
    nonresponse: int = 0
    points_range: tuple[float, float] | None = None
    judge_scores: tuple[float, ...] = ()
    veto_rule: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class DimensionResult:
    """A dimension's score; ``scaled`` when insufficient indicators were left out pro rata."""

    code: str
    name: Mapping[str, str]
    score: float
    max: float
    scaled: bool = False


@dataclass(frozen=True)
class VetoResult:
    """A veto (一票否决) that triggered: the grade is capped at ``cap``."""

    code: str
    name: Mapping[str, str]
    cap: str
    reason: str
    units: tuple[str, ...] = ()


@dataclass(frozen=True)
class StratumPlan:
    """N_h (roster households) and the drawn sample size n_h (role sample) of one stratum."""

    population: int
    sampled: int


@dataclass(frozen=True)
class ScoreSheet:
    """The scored evaluation: numbers unrounded; ``to_json`` gives the stable JSON form."""

    rubric_id: str
    rubric_version: str
    rubric_hash: str
    data_hash: str
    total: float
    max: float
    grade: str
    grade_en: str
    uncapped_grade: str
    veto: tuple[VetoResult, ...]
    dimensions: tuple[DimensionResult, ...]
    indicators: tuple[IndicatorResult, ...]
    strata: Mapping[str, StratumPlan]
    stratum_column: str
    confidence: float
    provisional: bool = False
    total_range: tuple[float, float] = (0.0, 0.0)
    grade_range: tuple[str, str] = ("", "")
    grade_range_en: tuple[str, str] = ("", "")
    provisional_because: tuple[str, ...] = ()
    insufficient_rule: str = "zero"
    multiplicity: Mapping[str, Any] = field(default_factory=dict)
    response: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def indicator(self, code: str) -> IndicatorResult:
        for result in self.indicators:
            if result.code == code:
                return result
        raise KeyError(f"no indicator {code!r} in this score sheet")

    def to_dict(self) -> dict[str, Any]:
        """Plain values in a fixed key order; NaN and infinities become ``None``."""
        return _clean({
            "rubric": {"id": self.rubric_id, "version": self.rubric_version, "hash": self.rubric_hash},
            "data_hash": self.data_hash,
            "total": self.total,
            "max": self.max,
            "grade": self.grade,
            "grade_en": self.grade_en,
            "uncapped_grade": self.uncapped_grade,
            "veto": [
                {"code": v.code, "name": dict(v.name), "cap": v.cap, "reason": v.reason, "units": list(v.units)}
                for v in self.veto
            ],
            "provisional": self.provisional,
            "grade_range": list(self.grade_range),
            "grade_range_en": list(self.grade_range_en),
            "total_range": list(self.total_range),
            "provisional_because": list(self.provisional_because),
            "insufficient_rule": self.insufficient_rule,
            "dimensions": [
                {"code": d.code, "name": dict(d.name), "score": d.score, "max": d.max, "scaled": d.scaled}
                for d in self.dimensions
            ],
            "indicators": [_indicator_dict(i) for i in self.indicators],
            "strata": {
                "column": self.stratum_column,
                "plan": {k: {"population": p.population, "sampled": p.sampled} for k, p in self.strata.items()},
            },
            "response": {k: dict(v) for k, v in self.response.items()},
            "multiplicity": dict(self.multiplicity),
            "confidence": self.confidence,
        })

    def to_json(self) -> str:
        """The JSON text: same sheet, same bytes (floats in full, shortest round-trip form)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def _indicator_dict(i: IndicatorResult) -> dict[str, Any]:
    return {
        "code": i.code,
        "dimension": i.dimension,
        "name": dict(i.name),
        "method": i.method,
        "source": i.source,
        "estimate": i.estimate,
        "ci_low": i.ci_low,
        "ci_high": i.ci_high,
        "n": i.n,
        "missing": i.missing,
        "not_applicable": i.not_applicable,
        "points": i.points,
        "max": i.max,
        "verdict": i.verdict,
        "target": i.target,
        "floor": i.floor,
        "direction": i.direction,
        "min_n": i.min_n,
        "interval": i.interval,
        "deff": i.deff,
        "n_effective": i.n_effective,
        "by_stratum": {
            k: {"estimate": s.estimate, "n": s.n, "points": s.points} for k, s in i.by_stratum.items()
        },
        "verdict_at": i.verdict_at,
        "bound": i.bound,
        "p_value": i.p_value,
        "nonresponse": i.nonresponse,
        "points_range": list(i.points_range) if i.points_range is not None else None,
        "veto_rule": dict(i.veto_rule) if i.veto_rule is not None else None,
        "failed_units": list(i.failed_units),
        "flags": list(i.flags),
        "notes": list(i.notes),
    }


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def text_dict(text: Any) -> dict[str, str]:
    """A bilingual label (anything with ``zh``/``en``, or a plain string) as ``{zh, en}``."""
    if isinstance(text, str):
        return {"zh": text, "en": ""}
    if isinstance(text, Mapping):
        return {"zh": str(text.get("zh", "")), "en": str(text.get("en", ""))}
    return {"zh": str(getattr(text, "zh", "")), "en": str(getattr(text, "en", ""))}
