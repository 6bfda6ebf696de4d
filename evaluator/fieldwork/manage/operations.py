"""The team lead's operations: evaluations, rosters, members, the sample, assignments and
system data. Each takes the acting user, checks, audits and only flushes (fieldwork.audit)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from zoneinfo import available_timezones

from flask_babel import gettext
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from evaluator.db import utcnow
from evaluator.fieldwork.audit import OperationError, audit, require_lead
from evaluator.fieldwork.manage.uploads import Upload
from evaluator.fieldwork.models import (
    ASSIGNED_SOURCES,
    COUNT_POLICIES,
    EVALUATION_STATUSES,
    Assignment,
    Evaluation,
    EvaluationSurvey,
    Household,
    Membership,
    SampleDraw,
    SystemRecord,
)
from evaluator.fieldwork.permissions import ALLOWED_MEMBER_ROLES, can_collect, member_role
from evaluator.fieldwork.queries import has_sample, submission_count
from evaluator.fieldwork.review.quality import invalidate_flags
from evaluator.rubrics.models import RubricVersion
from evaluator.surveys.models import SurveyVersion
from evaluator.web.i18n import label

# -- evaluations, rosters, members ------------------------------------------------------------

def create_evaluation(db: Session, user, *, key: str, title_zh: str, title_en: str,
                      evaluated_unit: str, commissioning_body: str, period_start: date,
                      period_end: date, rubric: RubricVersion,
                      surveys: Mapping[str, SurveyVersion], roster: Upload,
                      stratum_column: str, count_policy: str = "approved",
                      synthetic: bool = False, min_interview_minutes: int = 10,
                      aid_tolerance: float = 0.1) -> Evaluation:
    """A new evaluation with its roster, in one piece; the creator becomes its team lead."""
    if user.role not in ("admin", "lead"):
        raise OperationError(gettext("only administrators and team leads can create evaluations"),
                             403)
    problems = []
    if db.scalar(select(Evaluation.id).where(Evaluation.key == key)) is not None:
        problems.append(gettext("an evaluation with the code %(key)r exists already; choose "
                                "another", key=key))
    if period_end < period_start:
        problems.append(gettext("the period ends before it starts"))
    if count_policy not in COUNT_POLICIES:
        problems.append(gettext("unknown count policy %(policy)r", policy=count_policy))
    if rubric.status != "published":
        problems.append(gettext("rubric %(key)s %(version)s is not published", key=rubric.key,
                                version=rubric.version))
    for source, survey_id in (rubric.content.get("sources") or {}).items():
        chosen = surveys.get(source)
        if chosen is None:
            problems.append(gettext("the rubric needs a survey for source %(source)r",
                                    source=source))
        elif chosen.key != survey_id:
            problems.append(gettext("source %(source)r needs survey %(needed)r, not %(chosen)r",
                                    source=source, needed=survey_id, chosen=chosen.key))
    if problems:
        raise OperationError("; ".join(problems), 400, problems)
    evaluation = Evaluation(
        key=key, title_zh=title_zh, title_en=title_en, evaluated_unit=evaluated_unit,
        commissioning_body=commissioning_body, period_start=period_start,
        period_end=period_end, rubric_version_id=rubric.id, count_policy=count_policy,
        stratum_column=stratum_column, synthetic=synthetic,
        min_interview_minutes=min_interview_minutes, aid_tolerance=aid_tolerance,
        created_by_id=user.id)
    db.add(evaluation)
    db.flush()
    for source, version in surveys.items():
        db.add(EvaluationSurvey(evaluation_id=evaluation.id, source=source,
                                survey_version_id=version.id))
    db.add(Membership(evaluation_id=evaluation.id, user_id=user.id, role="lead"))
    _store_roster(db, evaluation, roster)
    audit(db, user, evaluation.id, "evaluation.create", "evaluation", evaluation.key, None,
          {"title": title_zh, "rubric": f"{rubric.key} {rubric.version}",
           "surveys": {s: f"{v.key} {v.version}" for s, v in surveys.items()},
           "roster": {"file": roster.filename, "households": len(roster.rows),
                      "sha256": roster.sha256}})
    db.flush()
    return evaluation


def _store_roster(db: Session, evaluation: Evaluation, roster: Upload) -> None:
    evaluation.roster_columns = list(roster.columns)
    evaluation.roster_file = roster.filename
    evaluation.roster_sha256 = roster.sha256
    evaluation.roster_encoding = roster.encoding
    db.add_all(Household(evaluation_id=evaluation.id, household_id=row["household_id"],
                         stratum=row[evaluation.stratum_column], row_number=n, data=row,
                         head_name=str(row.get("head_name") or "")[:120])
               for n, row in roster.rows)


def replace_roster(db: Session, user, evaluation: Evaluation, roster: Upload) -> None:
    """A corrected roster replaces the old one, only until the sample is drawn."""
    require_lead(db, user, evaluation)
    if has_sample(db, evaluation.id):
        raise OperationError(gettext("the sample has been drawn from this roster; the roster can "
                                     "no longer be replaced"), 409)
    old = {"file": evaluation.roster_file, "sha256": evaluation.roster_sha256}
    db.execute(delete(Household).where(Household.evaluation_id == evaluation.id))
    _store_roster(db, evaluation, roster)
    audit(db, user, evaluation.id, "roster.replace", "evaluation", evaluation.key, old,
          {"file": roster.filename, "sha256": roster.sha256, "households": len(roster.rows)})
    db.flush()


def add_member(db: Session, user, evaluation: Evaluation, member, role: str) -> Membership:
    require_lead(db, user, evaluation)
    allowed = ALLOWED_MEMBER_ROLES.get(member.role, ())
    if role not in allowed:
        raise OperationError(gettext(
            "%(user)s is a %(global_role)s; in an evaluation they can be %(allowed)s, not %(role)s",
            user=member.username, global_role=label("role", member.role),
            allowed=" / ".join(label("role", r) for r in allowed) or "–", role=label("role", role)))
    existing = db.scalar(select(Membership).where(Membership.evaluation_id == evaluation.id,
                                                  Membership.user_id == member.id))
    old = existing.role if existing else None
    if existing is None:
        existing = Membership(evaluation_id=evaluation.id, user_id=member.id, role=role)
        db.add(existing)
    else:
        existing.role = role
    audit(db, user, evaluation.id, "member.set", "user", member.username, old, role)
    db.flush()
    return existing


def remove_member(db: Session, user, evaluation: Evaluation, member) -> None:
    require_lead(db, user, evaluation)
    assigned = db.scalar(select(func.count(Assignment.id)).where(
        Assignment.evaluation_id == evaluation.id, Assignment.user_id == member.id))
    if assigned:
        raise OperationError(gettext("%(user)s still has %(n)s assignments; assign those "
                                     "households to someone else first",
                                     user=member.username, n=assigned), 409)
    existing = db.scalar(select(Membership).where(Membership.evaluation_id == evaluation.id,
                                                  Membership.user_id == member.id))
    if existing is None:
        raise OperationError(gettext("%(user)s is not on this evaluation", user=member.username),
                             404)
    audit(db, user, evaluation.id, "member.remove", "user", member.username, existing.role, None)
    db.delete(existing)
    db.flush()


def update_settings(db: Session, user, evaluation: Evaluation, *, status: str,
                    count_policy: str, min_interview_minutes: int,
                    aid_tolerance: float, time_zone: str | None = None) -> None:
    require_lead(db, user, evaluation)
    if status not in EVALUATION_STATUSES or count_policy not in COUNT_POLICIES:
        raise OperationError(gettext("unknown status or count policy"))
    if min_interview_minutes < 0 or aid_tolerance < 0:
        raise OperationError(gettext("minutes and tolerance cannot be negative"))
    time_zone = time_zone or evaluation.time_zone
    if time_zone not in available_timezones():
        raise OperationError(gettext("%(zone)r is not a time zone name such as Asia/Shanghai",
                                     zone=time_zone))
    old = {"status": evaluation.status, "count_policy": evaluation.count_policy,
           "min_interview_minutes": evaluation.min_interview_minutes,
           "aid_tolerance": evaluation.aid_tolerance, "time_zone": evaluation.time_zone}
    new = {"status": status, "count_policy": count_policy,
           "min_interview_minutes": min_interview_minutes, "aid_tolerance": aid_tolerance,
           "time_zone": time_zone}
    if old == new:
        return
    if status == "finished" and evaluation.status != "finished":
        raise OperationError(gettext("an evaluation is finished on its Finish page, which checks "
                                     "what it still lacks"), 409)
    if evaluation.status == "finished" and status != "finished" and evaluation.finish_reason:
        old["finish_reason"] = evaluation.finish_reason  # reopened: the reason no longer holds
        new["finish_reason"] = ""
        evaluation.finish_reason = ""
    evaluation.status = status
    evaluation.count_policy = count_policy
    evaluation.min_interview_minutes = min_interview_minutes
    evaluation.aid_tolerance = aid_tolerance
    evaluation.time_zone = time_zone
    invalidate_flags(db, evaluation.id)  # minutes and tolerance decide two of the flags
    audit(db, user, evaluation.id, "evaluation.settings", "evaluation", evaluation.key, old, new)
    db.flush()


# -- sample and assignments ------------------------------------------------------------------

def draw_sample(db: Session, user, evaluation: Evaluation, *, seed: int,
                size: int | None = None, margin: float | None = None,
                threshold: float | None = None, confidence: float = 0.95,
                expected_errors: int = 0, min_per_stratum: int = 0,
                reserve: int = 0) -> dict:
    """Draw (or redraw, while nothing has been collected) the stratified sample."""
    from evaluator.bundle.hashing import roster_hash
    from evaluator.sampling import draw_sample as sample_households

    require_lead(db, user, evaluation)
    if submission_count(db, evaluation.id):
        raise OperationError(gettext("records have been collected for this sample; it can no "
                                     "longer be redrawn"), 409)
    households = list(db.scalars(select(Household).where(Household.evaluation_id == evaluation.id)
                                 .order_by(Household.row_number)))
    frame = [(h.household_id, h.stratum) for h in households]
    rule: dict[str, Any] = {"confidence": confidence, "min_per_stratum": min_per_stratum,
                            "reserve": reserve}
    if size is not None:
        rule["size"] = size
    if margin is not None:
        rule["margin"] = margin
    if threshold is not None:
        rule["threshold"] = threshold
        rule["expected_errors"] = expected_errors
    roster_meta = {"file": evaluation.roster_file, "sha256": evaluation.roster_sha256,
                   "encoding": evaluation.roster_encoding, "households": len(frame),
                   "id_column": "household_id", "stratum_column": evaluation.stratum_column}
    try:
        plan, draws = sample_households(frame, seed=seed, roster=roster_meta, **rule)
    except ValueError as exc:
        raise OperationError(gettext("the sample cannot be drawn: %(why)s", why=exc)) from None
    plan["roster_hash"] = roster_hash(frame)
    plan["stratum_column"] = evaluation.stratum_column
    old = evaluation.sampling_plan
    db.execute(delete(Assignment).where(Assignment.evaluation_id == evaluation.id))
    db.execute(delete(SampleDraw).where(SampleDraw.evaluation_id == evaluation.id))
    by_id = {h.household_id: h.id for h in households}
    db.add_all(SampleDraw(evaluation_id=evaluation.id, household_pk=by_id[d.household_id],
                          role=d.role, draw_order=d.order) for d in draws)
    evaluation.sampling_plan = plan
    audit(db, user, evaluation.id, "sample.draw", "evaluation", evaluation.key,
          _plan_summary(old), _plan_summary(plan))
    db.flush()
    return plan


def _plan_summary(plan: dict | None) -> dict | None:
    if not plan:
        return None
    return {"method": plan["method"], "parameters": plan["parameters"], "seed": plan["seed"],
            "sample": plan["sample"], "reserve": plan["reserve"]}


def assign_stratum(db: Session, user, evaluation: Evaluation, *, stratum: str, assignee,
                   sources: Iterable[str], roles: Iterable[str] = ("sample",),
                   replace: bool = False) -> int:
    """Give every drawn household of ``stratum`` to ``assignee`` for each source; returns how
    many assignments were made or moved. Records already submitted are never moved."""
    require_lead(db, user, evaluation)
    pks = list(db.scalars(select(Household.id).join(SampleDraw,
                                                    SampleDraw.household_pk == Household.id)
                          .where(Household.evaluation_id == evaluation.id,
                                 Household.stratum == stratum, SampleDraw.role.in_(list(roles)))
                          .order_by(Household.household_id)))
    if not pks:
        raise OperationError(gettext("no drawn households in stratum %(stratum)r", stratum=stratum),
                             404)
    changed = _assign(db, user, evaluation, pks, assignee, list(sources), replace)
    audit(db, user, evaluation.id, "assign.stratum", "stratum", stratum, None,
          {"assignee": assignee.username, "sources": list(sources), "changed": changed})
    db.flush()
    return changed


def assign_households(db: Session, user, evaluation: Evaluation, household_pks: list[int],
                      assignees: list, sources: Iterable[str], *, replace: bool = False
                      ) -> dict[str, int]:
    """Give many drawn households (several strata, a selection, or all the lead's filter
    matched) to one evaluator, or evenly across several: each assignee gets about the same
    number of households, in household order, each household one evaluator for all its
    sources. ``replace`` moves households not yet submitted (reassignment); submitted ones are
    never moved. One audit entry per submit. Returns the assignments made or moved per user."""
    require_lead(db, user, evaluation)
    if not assignees:
        raise OperationError(gettext("choose at least one evaluator"))
    drawn = set(db.scalars(select(SampleDraw.household_pk).where(
        SampleDraw.evaluation_id == evaluation.id, SampleDraw.household_pk.in_(household_pks))))
    pks = sorted(pk for pk in set(household_pks) if pk in drawn)
    if not pks:
        raise OperationError(gettext("choose drawn households to assign"), 400)
    counts = {}
    ordered = sorted(assignees, key=lambda u: u.username)
    share = [pks[k::len(ordered)] for k in range(len(ordered))]
    for assignee, mine in zip(ordered, share, strict=True):
        counts[assignee.username] = _assign(db, user, evaluation, mine, assignee, list(sources),
                                            replace)
    audit(db, user, evaluation.id, "assign.households", "evaluation", evaluation.key, None,
          {"households": len(pks), "sources": list(sources), "replace": replace,
           "changed": counts})
    db.flush()
    return counts


def _assign(db: Session, user, evaluation: Evaluation, pks: list[int], assignee,
            sources: list[str], replace: bool) -> int:
    if not sources or any(s not in ASSIGNED_SOURCES for s in sources):
        raise OperationError(gettext("choose sources among %(sources)s", sources=" / ".join(
            label("source", s) for s in ASSIGNED_SOURCES)))
    role = member_role(db, assignee, evaluation.id)
    if not can_collect(role) or assignee.role == "admin":
        raise OperationError(gettext("%(user)s is not an evaluator or lead of this evaluation; "
                                     "add them to the team first", user=assignee.username))
    existing = {(a.household_pk, a.source): a for a in db.scalars(
        select(Assignment).where(Assignment.household_pk.in_(pks)))}
    changed = 0
    for pk in pks:
        for source in sources:
            current = existing.get((pk, source))
            if current is None:
                db.add(Assignment(household_pk=pk, evaluation_id=evaluation.id, source=source,
                                  user_id=assignee.id, assigned_by_id=user.id))
                changed += 1
            elif replace and current.status == "assigned" and current.user_id != assignee.id:
                current.user_id = assignee.id
                current.assigned_by_id = user.id
                current.assigned_at = utcnow()
                changed += 1
    return changed


def store_system_data(db: Session, user, evaluation: Evaluation, upload: Upload) -> int:
    """The system export replaces the previous one as a whole (all or nothing)."""
    require_lead(db, user, evaluation)
    old = db.scalar(select(func.count(SystemRecord.id))
                    .where(SystemRecord.evaluation_id == evaluation.id))
    db.execute(delete(SystemRecord).where(SystemRecord.evaluation_id == evaluation.id))
    db.add_all(SystemRecord(evaluation_id=evaluation.id, household_id=row["household_id"],
                            row_number=n, data=row) for n, row in upload.rows)
    invalidate_flags(db, evaluation.id)  # the aid comparison reads the system rows
    audit(db, user, evaluation.id, "system.upload", "evaluation", evaluation.key,
          {"rows": old}, {"rows": len(upload.rows), "file": upload.filename,
                          "sha256": upload.sha256, "encoding": upload.encoding})
    db.flush()
    return len(upload.rows)
