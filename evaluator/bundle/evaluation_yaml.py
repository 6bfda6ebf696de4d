"""Check and convert evaluation.yaml (the evaluation's metadata and sampling plan) into an
``Evaluation``.

Every missing or mistyped key is a problem, named by its key path (``sampling.strata[2].sample``),
so that a team fixing a bundle by hand sees them all at once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from evaluator.bundle.model import (
    EVALUATION_FILE,
    EXTERNAL_METHOD,
    SEEDED_METHODS,
    Evaluation,
    Ref,
    SamplingPlan,
    TeamMember,
    Text,
)
from evaluator.bundle.parsing import parse_date
from evaluator.definitions.problems import Problem

EVALUATION_KEYS = (
    "id", "title", "evaluated_unit", "commissioning_body", "period", "team", "rubric", "surveys",
    "sampling", "synthetic", "allow_names", "finish_reason",
)
#: evaluator.sampling's plan keys (docs/sampling.md), plus the bundle's own: roster_hash, and
#: stratum_column for a plan without a ``roster`` block.
SAMPLING_KEYS = (
    "method", "parameters", "formula", "population", "required", "sample", "reserve",
    "min_per_stratum", "reserve_per_stratum", "seed", "draw", "strata", "roster", "roster_hash",
    "stratum_column",
)


def parse_evaluation(data: Any, file: str = EVALUATION_FILE) -> tuple[Evaluation | None, list[Problem]]:
    """Check and convert evaluation.yaml; every missing or mistyped key is a problem."""
    if not isinstance(data, dict):
        return None, [Problem(file, "", "expected a mapping of keys (id, title, period, ...)")]
    problems: list[Problem] = []
    for key in data:
        if key not in EVALUATION_KEYS:
            problems.append(Problem(file, str(key), f"unknown key; expected one of {', '.join(EVALUATION_KEYS)}"))

    def text(key: str, value: Any, required: bool = True) -> str:
        if value is None or value == "":
            if required:
                problems.append(Problem(file, key, "required"))
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            problems.append(Problem(file, key, f"expected text, got {type(value).__name__}"))
            return ""
        return str(value)

    def day(key: str, value: Any) -> date | None:
        if isinstance(value, date):
            return value
        if isinstance(value, str) and parse_date(value):
            return parse_date(value)
        problems.append(Problem(file, key, "required date YYYY-MM-DD" if value is None else f"{value!r} is not a date YYYY-MM-DD"))
        return None

    def flag(key: str, value: Any, required: bool) -> bool:
        if value is None and not required:
            return False
        if not isinstance(value, bool):
            problems.append(Problem(file, key, "required: true or false" if value is None else f"{value!r} is not true or false"))
            return False
        return value

    def ref(key: str, value: Any) -> Ref:
        if not isinstance(value, dict):
            problems.append(Problem(file, key, "expected {id: ..., version: ...}"))
            return Ref("", "")
        return Ref(text(f"{key}.id", value.get("id")), text(f"{key}.version", value.get("version")))

    evaluation_id = text("id", data.get("id"))
    title = _title(data.get("title"), file, problems)
    unit = text("evaluated_unit", data.get("evaluated_unit"))
    body = text("commissioning_body", data.get("commissioning_body"))

    period = data.get("period")
    start = end = None
    if isinstance(period, dict):
        start = day("period.start", period.get("start"))
        end = day("period.end", period.get("end"))
        if start and end and end < start:
            problems.append(Problem(file, "period.end", f"{end} is before period.start {start}"))
    else:
        problems.append(Problem(file, "period", "required: {start: YYYY-MM-DD, end: YYYY-MM-DD}"))

    team: list[TeamMember] = []
    raw_team = data.get("team", [])
    if raw_team is None:
        raw_team = []
    if not isinstance(raw_team, list):
        problems.append(Problem(file, "team", "expected a list of {name, role}"))
        raw_team = []
    for i, member in enumerate(raw_team):
        if isinstance(member, str) and member.strip():
            team.append(TeamMember(member.strip()))
        elif isinstance(member, dict):
            team.append(TeamMember(text(f"team[{i}].name", member.get("name")),
                                   text(f"team[{i}].role", member.get("role"), required=False)))
        else:
            problems.append(Problem(file, f"team[{i}]", "expected {name, role} or a name"))

    rubric = ref("rubric", data.get("rubric"))
    surveys: dict[str, Ref] = {}
    raw_surveys = data.get("surveys")
    if not isinstance(raw_surveys, dict) or not raw_surveys:
        problems.append(Problem(file, "surveys", "required: {source: {id, version}, ...}"))
    else:
        for source, value in raw_surveys.items():
            source = str(source)
            if not source.replace("_", "").isalnum() or not source.isascii():
                problems.append(Problem(file, f"surveys.{source}", "source names are letters, digits and _"))
                continue
            surveys[source] = ref(f"surveys.{source}", value)

    sampling = None
    if "sampling" not in data or data.get("sampling") is None:
        problems.append(Problem(file, "sampling", "required: how sample.csv was drawn (method, strata, sizes, seed)"))
    else:
        sampling = _sampling(data["sampling"], file, problems)

    synthetic = flag("synthetic", data.get("synthetic"), required=True)
    allow_names = flag("allow_names", data.get("allow_names"), required=False)
    finish_reason = text("finish_reason", data.get("finish_reason"), required=False).strip()
    meta = Evaluation(
        id=evaluation_id, title=title, evaluated_unit=unit, commissioning_body=body,
        period_start=start, period_end=end, team=tuple(team), rubric=rubric, surveys=surveys,
        sampling=sampling, synthetic=synthetic, allow_names=allow_names,
        finish_reason=finish_reason,
    )
    return meta, problems


def _title(value: Any, file: str, problems: list[Problem]) -> Text:
    if isinstance(value, str) and value.strip():
        return Text(value.strip())
    if isinstance(value, dict):
        zh, en = value.get("zh"), value.get("en")
        if isinstance(zh, str) and zh.strip():
            return Text(zh.strip(), en.strip() if isinstance(en, str) else "")
        problems.append(Problem(file, "title.zh", "required: the Chinese title"))
        return Text("", en if isinstance(en, str) else "")
    problems.append(Problem(file, "title", "required: a title, or {zh: ..., en: ...}"))
    return Text("")


def _sampling(value: Any, file: str, problems: list[Problem]) -> SamplingPlan | None:
    if not isinstance(value, dict):
        problems.append(Problem(file, "sampling", "expected the plan `evaluator sample --plan` writes"))
        return None
    for key in value:
        if key not in SAMPLING_KEYS:
            problems.append(Problem(file, f"sampling.{key}", f"unknown key; expected one of {', '.join(SAMPLING_KEYS)}"))

    def count(key: str, raw: Any, required: bool = True) -> int:
        if raw is None and not required:
            return 0
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            problems.append(Problem(file, key, "required whole number >= 0" if raw is None else f"{raw!r} is not a whole number >= 0"))
            return 0
        return raw

    method = value.get("method")
    methods = (*SEEDED_METHODS, EXTERNAL_METHOD)
    if method not in methods:
        problems.append(Problem(file, "sampling.method", f"{method!r} is not one of {', '.join(methods)}"))
        method = str(method or "")
    seed = value.get("seed")
    if method != EXTERNAL_METHOD or seed is not None:
        seed = count("sampling.seed", seed)

    frame: dict[str, int] = {}
    drawn: dict[str, int] = {}
    strata = value.get("strata")
    if not isinstance(strata, list) or not strata:
        problems.append(Problem(file, "sampling.strata", "required: [{stratum, population, sample, reserve}, ...]"))
        strata = []
    for i, entry in enumerate(strata):
        at = f"sampling.strata[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("stratum"), str | int) or entry.get("stratum") == "":
            problems.append(Problem(file, at, "expected {stratum: name, population: N_h, sample: n_h}"))
            continue
        name = str(entry["stratum"])
        if name in frame:
            problems.append(Problem(file, f"{at}.stratum", f"stratum {name!r} listed twice"))
        frame[name] = count(f"{at}.population", entry.get("population"))
        drawn[name] = count(f"{at}.sample", entry.get("sample"))
        if drawn[name] > frame[name]:
            problems.append(Problem(file, f"{at}.sample", f"{drawn[name]} households drawn from a stratum of {frame[name]}"))
    for key, total in (("population", sum(frame.values())), ("sample", sum(drawn.values()))):
        if value.get(key) is not None and value.get(key) != total:
            problems.append(Problem(file, f"sampling.{key}", f"{value.get(key)!r} but the strata add up to {total}"))

    roster = value.get("roster") or {}
    if not isinstance(roster, dict):
        problems.append(Problem(file, "sampling.roster", "expected {file, sha256, stratum_column, ...}"))
        roster = {}
    column = value.get("stratum_column") or roster.get("stratum_column") or "stratum"
    if not isinstance(column, str):
        problems.append(Problem(file, "sampling.stratum_column", "expected a roster column name"))
        column = "stratum"
    file_hash = roster.get("sha256") or ""
    if not isinstance(file_hash, str):
        problems.append(Problem(file, "sampling.roster.sha256", "expected the hex sha256 of the roster file"))
        file_hash = ""
    frame_hash = value.get("roster_hash") or ""
    if not isinstance(frame_hash, str) or (frame_hash and not frame_hash.startswith("sha256:")):
        problems.append(Problem(file, "sampling.roster_hash", "expected 'sha256:<hex>' (see docs/bundle.md)"))
        frame_hash = ""
    return SamplingPlan(
        method=method,
        stratum_column=column,
        frame_sizes=frame,
        sample_sizes=drawn,
        reserve=count("sampling.reserve_per_stratum", value.get("reserve_per_stratum"), required=False),
        seed=seed,
        roster_hash=frame_hash,
        roster_sha256=file_hash,
        min_per_stratum=count("sampling.min_per_stratum", value.get("min_per_stratum"), required=False),
        data=value,
    )
