"""Programme operations: create a programme, add its units one by one or from a spreadsheet.

Each unit is an evaluation (evaluator.fieldwork) made by the same operations a lead uses for
one: its roster checked and stored, its team named, and — when the programme says how samples
are drawn — its sample drawn, seeded per unit. A spreadsheet of units is all or nothing: every
problem of every row (unit, region, roster file, team) is listed with its row and column, and
nothing is created until all are clean, so 120 units never go half in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluator.auth.models import User
from evaluator.definitions.problems import DefinitionError, Problem, coded
from evaluator.fieldwork.audit import OperationError, audit
from evaluator.fieldwork.manage import operations as manage
from evaluator.fieldwork.manage.uploads import Upload, check_roster, read_upload
from evaluator.fieldwork.models import Evaluation
from evaluator.programmes.models import Programme
from evaluator.rubrics.models import RubricVersion
from evaluator.surveys.models import SurveyVersion

KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
#: Columns of a units spreadsheet (单位清单); ``unit`` and ``roster`` are required.
UNIT_COLUMNS = ("unit", "region", "roster", "lead", "evaluators", "unit_user", "key", "lat",
                "lon")
RULE_KEYS = ("seed", "size", "margin", "threshold", "confidence", "expected_errors",
             "min_per_stratum", "reserve")


def can_create(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.role in ("admin", "lead")


def can_manage(db: Session, user, programme: Programme) -> bool:
    """Administrators, and the lead who created the programme."""
    return getattr(user, "is_authenticated", False) and (
        user.role == "admin" or (user.role == "lead" and programme.created_by_id == user.id))


def require_manager(db: Session, user, programme: Programme) -> None:
    if not can_manage(db, user, programme):
        raise OperationError(gettext("only the programme's lead or an administrator can do "
                                     "this"), 403)


def create_programme(db: Session, user, *, key: str, title_zh: str, title_en: str = "",
                     commissioning_body: str, period_start: date, period_end: date,
                     rubric: RubricVersion, stratum_column: str = "township",
                     sample_rule: Mapping[str, Any] | None = None, synthetic: bool = False,
                     description: str = "") -> Programme:
    if not can_create(user):
        raise OperationError(gettext("only administrators and team leads can create programmes"),
                             403)
    problems = []
    if not KEY.match(key or ""):
        problems.append(gettext("key: letters, digits, '-' and '_', at most 40, e.g. ah-2026"))
    elif db.scalar(select(Programme.id).where(Programme.key == key)) is not None:
        problems.append(gettext("key: a programme %(key)r exists already", key=key))
    if not title_zh.strip():
        problems.append(gettext("%(field)s is required", field="title_zh"))
    if not commissioning_body.strip():
        problems.append(gettext("%(field)s is required", field="commissioning_body"))
    if period_end < period_start:
        problems.append(gettext("the period ends before it starts"))
    if rubric.status != "published":
        problems.append(gettext("rubric %(key)s %(version)s is not published", key=rubric.key,
                                version=rubric.version))
    rule = dict(sample_rule or {})
    unknown = sorted(set(rule) - set(RULE_KEYS))
    if unknown:
        problems.append(gettext("sample_rule: unknown keys %(keys)s", keys=", ".join(unknown)))
    if rule and sum(k in rule for k in ("size", "margin", "threshold")) != 1:
        problems.append(gettext("sample_rule: give exactly one of size, margin or threshold"))
    if problems:
        raise OperationError("; ".join(problems), 400, problems)
    programme = Programme(key=key, title_zh=title_zh.strip(), title_en=title_en.strip(),
                          commissioning_body=commissioning_body.strip(),
                          period_start=period_start, period_end=period_end,
                          rubric_version_id=rubric.id, stratum_column=stratum_column,
                          sample_rule=rule or None, synthetic=synthetic,
                          description=description.strip(), created_by_id=user.id)
    db.add(programme)
    db.flush()
    audit(db, user, None, "programme.create", "programme", key, None,
          {"title": title_zh, "rubric": f"{rubric.key} {rubric.version}", "sample_rule": rule})
    return programme


@dataclass(frozen=True)
class UnitRow:
    """One unit to create, checked: who is on its team and its roster, clean."""

    name: str
    region: str
    roster: Upload
    lead: User | None
    evaluators: tuple[User, ...]
    unit_user: User | None
    key: str
    #: (latitude, longitude) of the unit for the programme's map, when the sheet gives it.
    location: tuple[float, float] | None = None


def add_unit(db: Session, user, programme: Programme, unit: UnitRow) -> Evaluation:
    """One unit: an evaluation of the programme's rubric and period, its team, its sample."""
    require_manager(db, user, programme)
    rubric = db.get(RubricVersion, programme.rubric_version_id)
    if rubric is None:
        raise OperationError(gettext("the programme's rubric version no longer exists"), 409)
    evaluation = manage.create_evaluation(
        db, user, key=unit.key, title_zh=f"{programme.title_zh}：{unit.name}",
        title_en=f"{programme.title_en}: {unit.name}" if programme.title_en else "",
        evaluated_unit=unit.name, commissioning_body=programme.commissioning_body,
        period_start=programme.period_start, period_end=programme.period_end, rubric=rubric,
        surveys=surveys_for(db, rubric), roster=unit.roster,
        stratum_column=programme.stratum_column, synthetic=programme.synthetic)
    evaluation.programme_id = programme.id
    evaluation.region = unit.region
    if unit.location is not None:
        evaluation.latitude, evaluation.longitude = unit.location
    if unit.lead is not None and unit.lead.id != user.id:
        manage.add_member(db, user, evaluation, unit.lead, "lead")
    leads = {user.id} | ({unit.lead.id} if unit.lead is not None else set())
    for member in unit.evaluators:
        if member.id not in leads:  # a lead who also collects stays the lead
            manage.add_member(db, user, evaluation, member, "evaluator")
    if unit.unit_user is not None:
        manage.add_member(db, user, evaluation, unit.unit_user, "unit")
    if programme.sample_rule:
        rule = dict(programme.sample_rule)
        seed = unit_seed(int(rule.pop("seed", 0)), unit.key)
        manage.draw_sample(db, user, evaluation, seed=seed, **rule)
        evaluation.status = "fieldwork"
    audit(db, user, evaluation.id, "programme.unit", "programme", programme.key, None,
          {"unit": unit.name, "region": unit.region, "evaluation": unit.key})
    db.flush()
    return evaluation


def unit_seed(seed: int, key: str) -> int:
    """Each unit's own draw seed, from the programme's seed and the unit's key (reproducible,
    and different units never share a draw)."""
    digest = hashlib.sha256(f"{seed}/{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2_000_000_000


def surveys_for(db: Session, rubric: RubricVersion) -> dict[str, SurveyVersion]:
    """The newest stored version of each survey the rubric's sources name."""
    chosen: dict[str, SurveyVersion] = {}
    for source, survey_id in (rubric.content.get("sources") or {}).items():
        found = db.scalar(select(SurveyVersion).where(SurveyVersion.key == survey_id)
                          .order_by(SurveyVersion.id.desc()).limit(1))
        if found is None:
            raise OperationError(gettext("no stored survey %(survey)r for source %(source)r; "
                                         "load the definitions first (evaluator "
                                         "load-definitions)", survey=survey_id, source=source),
                                 409)
        chosen[source] = found
    return chosen


def read_units(db: Session, programme: Programme, filename: str, data: bytes,
               rosters: Mapping[str, bytes]) -> list[UnitRow]:
    """Check a units spreadsheet and the roster files it names; ``DefinitionError`` lists
    every problem (file, row, column) when anything is wrong."""
    table = read_upload(filename, data)
    name = table.path
    problems: list[Problem] = [coded(name, "row 1", "problem_missing_column", column=c)
                               for c in ("unit", "roster") if c not in table.header]
    unknown = [c for c in table.header if c not in UNIT_COLUMNS]
    if unknown:
        problems.append(coded(name, "row 1", "problem_units_unknown_columns",
                              unknown=", ".join(unknown), columns=", ".join(UNIT_COLUMNS)))
    if problems:
        raise DefinitionError(problems)
    users = {u.username: u for u in db.scalars(select(User))}
    taken = set(db.scalars(select(Evaluation.key)))
    names = set(db.scalars(select(Evaluation.evaluated_unit)
                           .where(Evaluation.programme_id == programme.id)))
    units: list[UnitRow] = []
    seen_keys: set[str] = set()
    existing = len(names)
    for row_number, row in enumerate(table.rows, 2):
        where = f"row {row_number}"
        unit = row.get("unit", "").strip()
        if not unit:
            problems.append(coded(name, f"{where}, column unit", "problem_unit_name_required"))
            continue
        if unit in names:
            problems.append(coded(name, f"{where}, column unit", "problem_unit_twice", unit=unit))
        names.add(unit)
        key = row.get("key", "").strip() or f"{programme.key}-{existing + row_number - 1:03d}"
        if not KEY.match(key):
            problems.append(coded(name, f"{where}, column key", "problem_unit_key"))
        elif key in taken or key in seen_keys:
            problems.append(coded(name, f"{where}, column key", "problem_unit_key_taken", key=key))
        seen_keys.add(key)
        team: dict[str, User | None] = {}
        for column, wanted, code in (("lead", ("admin", "lead"), "problem_unit_not_lead"),
                                     ("unit_user", ("unit",), "problem_unit_not_unit_user")):
            username = row.get(column, "").strip()
            member = team[column] = users.get(username) if username else None
            if username and (member is None or member.role not in wanted):
                problems.append(coded(name, f"{where}, column {column}", code, username=username))
        evaluators = []
        for username in filter(None, re.split(r"[\s,，、;；]+", row.get("evaluators", ""))):
            member = users.get(username)
            if member is None or member.role not in ("lead", "evaluator"):
                problems.append(coded(name, f"{where}, column evaluators",
                                      "problem_unit_not_evaluator", username=username))
            else:
                evaluators.append(member)
        roster_name = row.get("roster", "").strip()
        roster = None
        if roster_name not in rosters:
            problems.append(coded(name, f"{where}, column roster",
                                  "problem_unit_roster_not_uploaded", roster=roster_name)
                            if roster_name else
                            coded(name, f"{where}, column roster", "problem_unit_roster_required"))
        else:
            try:
                roster = check_roster(roster_name, rosters[roster_name], programme.stratum_column)
            except DefinitionError as error:
                problems += error.problems
        location = _location(row, name, where, problems)
        if roster is not None:
            units.append(UnitRow(unit, row.get("region", "").strip(), roster, team["lead"],
                                 tuple(evaluators), team["unit_user"], key, location))
    if not table.rows:
        problems.append(coded(name, "", "problem_unit_no_units"))
    if problems:
        raise DefinitionError(problems)
    return units


def _location(row: Mapping[str, str], name: str, where: str, problems: list[Problem]
              ) -> tuple[float, float] | None:
    """The unit's (lat, lon) from its optional columns: both or neither, decimal degrees
    (WGS84, as a tablet's GPS gives them), within range; a problem names the column."""
    cells = {c: (row.get(c) or "").strip() for c in ("lat", "lon")}
    if not any(cells.values()):
        return None
    values: dict[str, float] = {}
    for column, limit in (("lat", 90.0), ("lon", 180.0)):
        text = cells[column]
        if not text:
            other = "lon" if column == "lat" else "lat"
            problems.append(coded(name, f"{where}, column {column}", "problem_unit_both_lat_lon",
                                  other=other))
            continue
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not re.fullmatch(r"-?\d{1,3}(\.\d+)?", text) or not -limit <= value <= limit:
            problems.append(coded(name, f"{where}, column {column}", "problem_unit_not_degrees",
                                  value=text, low=f"{-limit:g}", high=f"{limit:g}"))
            continue
        values[column] = value
    return (values["lat"], values["lon"]) if len(values) == 2 else None


def import_units(db: Session, user, programme: Programme, units: Sequence[UnitRow]
                 ) -> list[Evaluation]:
    """Create every unit of a checked sheet (``read_units``), in one transaction."""
    require_manager(db, user, programme)
    made = [add_unit(db, user, programme, unit) for unit in units]
    audit(db, user, None, "programme.import", "programme", programme.key, None,
          {"units": len(made)})
    return made
