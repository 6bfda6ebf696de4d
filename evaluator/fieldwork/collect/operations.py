"""What changes together, in one place. Every operation takes the acting user as an argument,
checks what it needs, writes an audit entry and only flushes: the request commits once.

Refusals are ``OperationError`` with a message a person can act on and an HTTP status.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evaluator.db import utcnow
from evaluator.fieldwork.attachments import Photo, new_token, photo_problem, write_photo
from evaluator.fieldwork.forms import build_form, formdata_from_answers
from evaluator.fieldwork.logic import Problem as AnswerProblem
from evaluator.fieldwork.models import (
    ASSIGNED_SOURCES,
    COUNT_POLICIES,
    EVALUATION_STATUSES,
    RECHECK_OUTCOMES,
    SEVERITIES,
    Assignment,
    Attachment,
    AuditEntry,
    Evaluation,
    EvaluationSurvey,
    Finding,
    Household,
    Judgement,
    Membership,
    Recheck,
    ReviewEvent,
    SampleDraw,
    Submission,
    SystemRecord,
)
from evaluator.fieldwork.permissions import ALLOWED_MEMBER_ROLES, can_collect, member_role
from evaluator.fieldwork.queries import (
    context_row,
    has_sample,
    household,
    roster_index,
    rubric_for,
    submission_count,
    survey_for,
)
from evaluator.fieldwork.uploads import Upload
from evaluator.rubrics.models import RubricVersion
from evaluator.surveys.models import SurveyVersion
from evaluator.surveys.subset import META_TYPES

#: Review decisions a lead can make; ``edited`` is set when a record is replaced by an edit.
REVIEW_DECISIONS = ("received", "hasIssues", "approved", "rejected")


class OperationError(ValueError):
    """A refused operation. ``status`` is the HTTP status the web layer answers with."""

    def __init__(self, message: str, status: int = 400, problems: Sequence[Any] = ()):
        super().__init__(message)
        self.message = message
        self.status = status
        self.problems = list(problems)


def audit(db: Session, user, evaluation_id: int | None, action: str, object_type: str,
          object_id: Any = "", old: Any = None, new: Any = None) -> None:
    db.add(AuditEntry(evaluation_id=evaluation_id, user_id=getattr(user, "id", None),
                      action=action, object_type=object_type, object_id=str(object_id),
                      old_value=old, new_value=new))


def _require_lead(db: Session, user, evaluation: Evaluation) -> None:
    if member_role(db, user, evaluation.id) != "lead":
        raise OperationError("only the evaluation's team lead can do this", 403)


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
        raise OperationError("only administrators and team leads can create evaluations", 403)
    problems = []
    if db.scalar(select(Evaluation.id).where(Evaluation.key == key)) is not None:
        problems.append(f"an evaluation with the code {key!r} exists already; choose another")
    if period_end < period_start:
        problems.append("the period ends before it starts")
    if count_policy not in COUNT_POLICIES:
        problems.append(f"unknown count policy {count_policy!r}")
    if rubric.status != "published":
        problems.append(f"rubric {rubric.key} {rubric.version} is not published")
    for source, survey_id in (rubric.content.get("sources") or {}).items():
        chosen = surveys.get(source)
        if chosen is None:
            problems.append(f"the rubric needs a survey for source {source!r}")
        elif chosen.key != survey_id:
            problems.append(f"source {source!r} needs survey {survey_id!r}, not {chosen.key!r}")
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
                         stratum=row[evaluation.stratum_column], row_number=n, data=row)
               for n, row in roster.rows)


def replace_roster(db: Session, user, evaluation: Evaluation, roster: Upload) -> None:
    """A corrected roster replaces the old one, only until the sample is drawn."""
    _require_lead(db, user, evaluation)
    if has_sample(db, evaluation.id):
        raise OperationError("the sample has been drawn from this roster; the roster can no "
                             "longer be replaced", 409)
    old = {"file": evaluation.roster_file, "sha256": evaluation.roster_sha256}
    db.execute(delete(Household).where(Household.evaluation_id == evaluation.id))
    _store_roster(db, evaluation, roster)
    audit(db, user, evaluation.id, "roster.replace", "evaluation", evaluation.key, old,
          {"file": roster.filename, "sha256": roster.sha256, "households": len(roster.rows)})
    db.flush()


def add_member(db: Session, user, evaluation: Evaluation, member, role: str) -> Membership:
    _require_lead(db, user, evaluation)
    allowed = ALLOWED_MEMBER_ROLES.get(member.role, ())
    if role not in allowed:
        raise OperationError(f"{member.username} is a {member.role}; in an evaluation they can be "
                             f"{' or '.join(allowed) or 'nothing'}, not {role}")
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
    _require_lead(db, user, evaluation)
    assigned = db.scalar(select(func.count(Assignment.id)).where(
        Assignment.evaluation_id == evaluation.id, Assignment.user_id == member.id))
    if assigned:
        raise OperationError(f"{member.username} still has {assigned} assignments; assign those "
                             "households to someone else first", 409)
    existing = db.scalar(select(Membership).where(Membership.evaluation_id == evaluation.id,
                                                  Membership.user_id == member.id))
    if existing is None:
        raise OperationError(f"{member.username} is not on this evaluation", 404)
    audit(db, user, evaluation.id, "member.remove", "user", member.username, existing.role, None)
    db.delete(existing)
    db.flush()


def update_settings(db: Session, user, evaluation: Evaluation, *, status: str,
                    count_policy: str, min_interview_minutes: int,
                    aid_tolerance: float) -> None:
    _require_lead(db, user, evaluation)
    if status not in EVALUATION_STATUSES or count_policy not in COUNT_POLICIES:
        raise OperationError("unknown status or count policy")
    if min_interview_minutes < 0 or aid_tolerance < 0:
        raise OperationError("minutes and tolerance cannot be negative")
    old = {"status": evaluation.status, "count_policy": evaluation.count_policy,
           "min_interview_minutes": evaluation.min_interview_minutes,
           "aid_tolerance": evaluation.aid_tolerance}
    new = {"status": status, "count_policy": count_policy,
           "min_interview_minutes": min_interview_minutes, "aid_tolerance": aid_tolerance}
    if old == new:
        return
    evaluation.status = status
    evaluation.count_policy = count_policy
    evaluation.min_interview_minutes = min_interview_minutes
    evaluation.aid_tolerance = aid_tolerance
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

    _require_lead(db, user, evaluation)
    if submission_count(db, evaluation.id):
        raise OperationError("records have been collected for this sample; it can no longer be "
                             "redrawn", 409)
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
        raise OperationError(f"the sample cannot be drawn: {exc}") from None
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
    _require_lead(db, user, evaluation)
    sources = list(sources)
    if not sources or any(s not in ASSIGNED_SOURCES for s in sources):
        raise OperationError(f"choose sources among {', '.join(ASSIGNED_SOURCES)}")
    role = member_role(db, assignee, evaluation.id)
    if not can_collect(role) or assignee.role == "admin":
        raise OperationError(f"{assignee.username} is not an evaluator or lead of this evaluation; "
                             "add them to the team first")
    pks = list(db.scalars(select(Household.id).join(SampleDraw,
                                                    SampleDraw.household_pk == Household.id)
                          .where(Household.evaluation_id == evaluation.id,
                                 Household.stratum == stratum, SampleDraw.role.in_(list(roles)))))
    if not pks:
        raise OperationError(f"no drawn households in stratum {stratum!r}", 404)
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
    audit(db, user, evaluation.id, "assign.stratum", "stratum", stratum, None,
          {"assignee": assignee.username, "sources": sources, "changed": changed})
    db.flush()
    return changed


def store_system_data(db: Session, user, evaluation: Evaluation, upload: Upload) -> int:
    """The system export replaces the previous one as a whole (all or nothing)."""
    _require_lead(db, user, evaluation)
    old = db.scalar(select(func.count(SystemRecord.id))
                    .where(SystemRecord.evaluation_id == evaluation.id))
    db.execute(delete(SystemRecord).where(SystemRecord.evaluation_id == evaluation.id))
    db.add_all(SystemRecord(evaluation_id=evaluation.id, household_id=row["household_id"],
                            row_number=n, data=row) for n, row in upload.rows)
    audit(db, user, evaluation.id, "system.upload", "evaluation", evaluation.key,
          {"rows": old}, {"rows": len(upload.rows), "file": upload.filename,
                          "sha256": upload.sha256, "encoding": upload.encoding})
    db.flush()
    return len(upload.rows)


# -- submissions -------------------------------------------------------------------------------

@dataclass
class SubmissionIn:
    """A record as the tablet sends it (already shape-checked by the API)."""

    instance_id: str
    source: str
    household_id: str | None
    answers: dict[str, Any]
    body_hash: str
    deprecated_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    device_id: str = ""
    gps: tuple[float, float, float | None] | None = None
    photos: dict[str, Photo] = field(default_factory=dict)


def store_submission(db: Session, user, evaluation: Evaluation, record: SubmissionIn, *,
                     attachment_dir: Path, today: date | None = None
                     ) -> tuple[Submission, bool]:
    """Store a record once. Returns (submission, created): the same record sent again gives
    the stored one back; a different record under a stored instance id is refused (409)."""
    existing = db.scalar(select(Submission).where(Submission.instance_id == record.instance_id))
    if existing is not None:
        return _replayed(existing, record), False
    role = member_role(db, user, evaluation.id)
    if not can_collect(role):
        raise OperationError("you are not an evaluator of this evaluation", 403)
    if evaluation.status == "finished":
        raise OperationError("this evaluation is finished and takes no more records; ask the "
                             "team lead to reopen it if a record is missing", 409)
    found = survey_for(db, evaluation.id, record.source)
    if found is None:
        raise OperationError(f"this evaluation collects no {record.source!r} records", 422)
    version, survey = found
    context: dict[str, Any] = {}
    target_household = None
    if record.source == "forum":
        record.household_id = None
    elif record.source == "system":
        raise OperationError("system data is uploaded by the team lead, not collected", 422)
    else:
        if not record.household_id:
            raise OperationError("household_id is required for a household record", 422)
        target_household = household(db, evaluation.id, record.household_id)
        if target_household is None:
            raise OperationError(f"household {record.household_id!r} is not in this evaluation's "
                                 "roster", 422)
        if role != "lead":
            assigned = db.scalar(select(Assignment).where(
                Assignment.household_pk == target_household.id,
                Assignment.source == record.source, Assignment.user_id == user.id))
            if assigned is None:
                raise OperationError(f"household {record.household_id} is not assigned to you for "
                                     f"{record.source}; ask your team lead", 403)
        context = context_row(target_household.data)
    if target_household is not None and db.scalar(select(SampleDraw.id).where(
            SampleDraw.household_pk == target_household.id)) is None:
        raise OperationError(f"household {record.household_id} was not drawn into the sample "
                             "(neither sample nor reserve)", 422)
    replaced = None
    if record.deprecated_id:
        replaced = _replaceable(db, user, role, evaluation, record)
    answers = _checked_answers(survey, record, context, today)
    if replaced is None:
        same = _refuse_second_record(db, evaluation, record, answers)
        if same is not None:  # stored by a racing request since our first read
            return _replayed(same, record), False
    if "household_id" in answers and record.household_id \
            and answers["household_id"] != record.household_id:
        raise OperationError(
            f"the answer household_id {answers['household_id']!r} does not match the household "
            f"{record.household_id!r} the record is sent for", 422,
            [{"field": "household_id", "code": "mismatch",
              "message": "户编号与所访问的户不一致 / household code does not match"}])
    _fill_meta(survey, answers, record, user)
    _check_photos(survey, answers, record)
    submission = Submission(
        instance_id=record.instance_id, evaluation_id=evaluation.id, source=record.source,
        survey_version_id=version.id, household_id=record.household_id, submitter_id=user.id,
        data=answers, body_hash=record.body_hash, deprecated_id=record.deprecated_id,
        review_state="edited" if replaced is not None else "received",
        started_at=record.started_at, ended_at=record.ended_at,
        device_id=record.device_id[:120],
        gps_lat=record.gps[0] if record.gps else None,
        gps_lon=record.gps[1] if record.gps else None,
        gps_accuracy=record.gps[2] if record.gps else None)
    db.add(submission)
    try:
        db.flush()
    except IntegrityError:
        # Another request stored the same instance id (or edited the same record) between our
        # read and our insert. Nothing else was written yet, so rolling back loses nothing.
        db.rollback()
        existing = db.scalar(select(Submission).where(
            Submission.instance_id == record.instance_id))
        if existing is None:
            raise OperationError(f"record {record.deprecated_id} has just been replaced by another "
                                 "edit; reload it and edit the latest version", 409) from None
        return _replayed(existing, record), False
    if replaced is not None:
        replaced.current = False
    for field_name, photo in record.photos.items():
        token = new_token()
        write_photo(attachment_dir, evaluation.id, token, photo.data)
        db.add(Attachment(token=token, evaluation_id=evaluation.id, submission_id=submission.id,
                          field=field_name, filename=photo.filename[:200],
                          content_type=photo.content_type, size_bytes=len(photo.data),
                          sha256=photo.sha256, uploaded_by_id=user.id))
    if target_household is not None:
        assignment = db.scalar(select(Assignment).where(
            Assignment.household_pk == target_household.id, Assignment.source == record.source))
        if assignment is not None:
            assignment.status = "submitted"
    audit(db, user, evaluation.id, "submission.edit" if replaced else "submission.create",
          "submission", record.instance_id,
          {"instance_id": replaced.instance_id, "data": replaced.data} if replaced else None,
          {"source": record.source, "household_id": record.household_id,
           "data": answers} if replaced else {"source": record.source,
                                              "household_id": record.household_id})
    db.flush()
    return submission, True


def _refuse_second_record(db: Session, evaluation: Evaluation, record: SubmissionIn,
                          answers: Mapping[str, Any]) -> Submission | None:
    """One current record per household and source (per forum and dimension for forums): a
    second one must be sent as an edit of the first, so no answer is silently doubled.
    Returns the stored record when it is this very record (a replay that raced the insert)."""
    query = select(Submission.instance_id, Submission.data).where(
        Submission.evaluation_id == evaluation.id, Submission.source == record.source,
        Submission.current.is_(True))
    if record.household_id is not None:
        found = db.scalar(query.where(Submission.household_id == record.household_id)
                          .with_only_columns(Submission.instance_id))
        if found == record.instance_id:
            return db.scalar(select(Submission).where(Submission.instance_id == found))
        if found:
            raise OperationError(
                f"household {record.household_id} already has a {record.source} record "
                f"({found}); to change it, send an edit with deprecated_id {found}", 409)
        return
    for instance_id, data in db.execute(query):
        if (data.get("forum_id"), data.get("dimension")) == (answers.get("forum_id"),
                                                             answers.get("dimension")):
            if instance_id == record.instance_id:
                return db.scalar(select(Submission).where(Submission.instance_id == instance_id))
            raise OperationError(
                f"forum {answers.get('forum_id')} already has a record on "
                f"{answers.get('dimension')} ({instance_id}); edit that one instead", 409)
    return None


def _replayed(existing: Submission, record: SubmissionIn) -> Submission:
    if existing.body_hash == record.body_hash:
        return existing
    raise OperationError(
        f"a different record is already stored under instance_id {record.instance_id} "
        f"(received {existing.received_at:%Y-%m-%d %H:%M} UTC). A stored record is never "
        "overwritten: to change it, send the new version under a new instance_id with "
        f"deprecated_id {record.instance_id}.", 409)


def _replaceable(db: Session, user, role: str | None, evaluation: Evaluation,
                 record: SubmissionIn) -> Submission:
    old = db.scalar(select(Submission).where(Submission.instance_id == record.deprecated_id))
    if old is None or old.evaluation_id != evaluation.id:
        raise OperationError(f"deprecated_id {record.deprecated_id} names no record of this "
                             "evaluation", 422)
    if old.source != record.source or old.household_id != record.household_id:
        raise OperationError("an edit must be for the same source and household as the record "
                             "it replaces", 422)
    if not old.current:
        newer = db.scalar(select(Submission.instance_id).where(
            Submission.deprecated_id == old.instance_id))
        raise OperationError(f"record {old.instance_id} was already replaced by {newer}; edit the "
                             "latest version", 409)
    if role != "lead" and old.submitter_id != user.id:
        raise OperationError("only the team lead or the person who sent a record can edit it", 403)
    if role != "lead" and old.review_state in ("approved", "rejected"):
        raise OperationError(f"record {old.instance_id} has been {old.review_state} by the team "
                             "lead; ask them to edit it", 409)
    return old


def _checked_answers(survey, record: SubmissionIn, context: Mapping[str, Any],
                     today: date | None) -> dict[str, Any]:
    form_class = build_form(survey)
    shape = form_class.model.normalise(record.answers)[2]
    if shape:
        raise OperationError(_problem_summary(shape), 422, [p.as_dict() for p in shape])
    form = form_class(formdata=formdata_from_answers(record.answers), meta={"csrf": False},
                      context=context, today=today)
    if not form.validate():
        problems = form.checked.problems if form.checked else []
        raise OperationError(_problem_summary(problems), 422, [p.as_dict() for p in problems])
    return form.checked.answers


def _problem_summary(problems: Sequence[AnswerProblem]) -> str:
    if not problems:
        return "the record is not valid"
    first = problems[0]
    where = first.field + (f" (entry {first.index + 1} of {first.repeat})"
                           if first.repeat is not None and first.index is not None else "")
    more = f", and {len(problems) - 1} more" if len(problems) > 1 else ""
    return f"{len(problems)} answer(s) need attention: {where}: {first.message['en']}{more}"


def _fill_meta(survey, answers: dict[str, Any], record: SubmissionIn, user) -> None:
    """The device-filled metadata fields come from the paradata, never from typed answers."""
    for name, f in survey.fields.items():
        if f.type not in META_TYPES or f.repeat:
            continue
        if f.type == "start":
            answers[name] = _iso(record.started_at)
        elif f.type == "end":
            answers[name] = _iso(record.ended_at)
        elif f.type == "today":
            answers[name] = record.started_at.date().isoformat() if record.started_at else ""
        elif f.type == "deviceid":
            answers[name] = record.device_id
        elif f.type == "username":
            answers[name] = user.username


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") + "Z" if moment else ""


def _check_photos(survey, answers: Mapping[str, Any], record: SubmissionIn) -> None:
    problems = []
    for name, photo in record.photos.items():
        f = survey.fields.get(name)
        if f is None or f.type != "image" or f.repeat:
            problems.append(f"attachment for {name!r}: not a photo question of this survey")
            continue
        if answers.get(name) != photo.filename:
            problems.append(f"attachment for {name!r}: the answer names {answers.get(name)!r} "
                            f"but the file is {photo.filename!r}")
        message = photo_problem(photo.filename, photo.data, photo.content_type)
        if message:
            problems.append(message)
    for name, f in survey.fields.items():
        if f.type == "image" and not f.repeat and answers.get(name) and name not in record.photos:
            problems.append(f"{name}: the answer names the photo {answers[name]!r} but no file "
                            "was sent with the record")
    if problems:
        raise OperationError("; ".join(problems), 422,
                             [{"field": "attachments", "code": "photo", "message": p}
                              for p in problems])


# -- review ------------------------------------------------------------------------------------

def review_submission(db: Session, user, submission: Submission, to_state: str,
                      comment: str) -> ReviewEvent:
    evaluation = db.get(Evaluation, submission.evaluation_id)
    _require_lead(db, user, evaluation)
    if to_state not in REVIEW_DECISIONS:
        raise OperationError(f"choose a review state among {', '.join(REVIEW_DECISIONS)}")
    if not submission.current:
        raise OperationError("this record was replaced by an edit; review the latest version", 409)
    comment = comment.strip()
    if to_state in ("hasIssues", "rejected") and not comment:
        raise OperationError("say what the issue is: a comment is required for "
                             f"{to_state}", 400)
    event = ReviewEvent(submission_id=submission.id, user_id=user.id,
                        from_state=submission.review_state, to_state=to_state, comment=comment)
    db.add(event)
    audit(db, user, evaluation.id, "submission.review", "submission", submission.instance_id,
          submission.review_state, {"state": to_state, "comment": comment})
    submission.review_state = to_state
    db.flush()
    return event


# -- findings, judgements, rechecks ------------------------------------------------------------

def add_finding(db: Session, user, evaluation: Evaluation, *, indicator: str, severity: str,
                description: str, household_id: str, responsible_unit: str,
                responsible_person: str, deadline: date, photos: Sequence[Photo],
                attachment_dir: Path) -> Finding:
    role = member_role(db, user, evaluation.id)
    if not can_collect(role):
        raise OperationError("only the evaluation team records findings", 403)
    problems = []
    codes = {i.code for i in rubric_for(db, evaluation).indicators}
    if indicator not in codes:
        problems.append(f"{indicator!r} is not an indicator of this evaluation's rubric")
    if severity not in SEVERITIES:
        problems.append(f"severity must be one of {', '.join(SEVERITIES)}")
    if household_id and household(db, evaluation.id, household_id) is None:
        problems.append(f"household {household_id!r} is not in the roster")
    for field_name, value in (("description", description), ("responsible_unit", responsible_unit),
                              ("responsible_person", responsible_person)):
        if not value.strip():
            problems.append(f"{field_name} is required")
    for photo in photos:
        message = photo_problem(photo.filename, photo.data, photo.content_type)
        if message:
            problems.append(message)
    if problems:
        raise OperationError("; ".join(problems), 400, problems)
    finding = Finding(evaluation_id=evaluation.id, indicator=indicator, severity=severity,
                      description=description.strip(), household_id=household_id.strip(),
                      responsible_unit=responsible_unit.strip(),
                      responsible_person=responsible_person.strip(), deadline=deadline,
                      created_by_id=user.id)
    db.add(finding)
    db.flush()
    for photo in photos:
        token = new_token()
        write_photo(attachment_dir, evaluation.id, token, photo.data)
        db.add(Attachment(token=token, evaluation_id=evaluation.id, finding_id=finding.id,
                          field="evidence", filename=photo.filename[:200],
                          content_type=photo.content_type.split(";")[0],
                          size_bytes=len(photo.data), sha256=photo.sha256,
                          uploaded_by_id=user.id))
    audit(db, user, evaluation.id, "finding.create", "finding", finding.id, None,
          {"indicator": indicator, "severity": severity, "description": description,
           "photos": len(photos)})
    db.flush()
    return finding


def save_judgement(db: Session, user, evaluation: Evaluation, *, indicator: str, score: float,
                   reason: str) -> Judgement:
    role = member_role(db, user, evaluation.id)
    if not can_collect(role):
        raise OperationError("only the evaluation team gives judgement scores", 403)
    rubric = rubric_for(db, evaluation)
    spec = next((i for i in rubric.indicators if i.code == indicator), None)
    if spec is None or spec.method != "judgement":
        raise OperationError(f"{indicator!r} is not a judgement indicator of this rubric")
    if not 0 <= score <= spec.scale:
        raise OperationError(f"the score of {indicator} is between 0 and {spec.scale:g}")
    if not reason.strip():
        raise OperationError("a judgement needs its written reason")
    existing = db.scalar(select(Judgement).where(
        Judgement.evaluation_id == evaluation.id, Judgement.indicator == indicator,
        Judgement.user_id == user.id))
    old = {"score": existing.score, "reason": existing.reason} if existing else None
    if existing is None:
        existing = Judgement(evaluation_id=evaluation.id, indicator=indicator, user_id=user.id,
                             score=score, reason=reason.strip())
        db.add(existing)
    else:
        existing.score = score
        existing.reason = reason.strip()
        existing.updated_at = utcnow()
    audit(db, user, evaluation.id, "judgement.save", "judgement", indicator, old,
          {"score": score, "reason": reason.strip()})
    db.flush()
    return existing


def draw_recheck(db: Session, user, evaluation: Evaluation, *, size: int,
                 seed: int) -> list[Submission]:
    """A seeded random call-back sample (回访复核) among current household records not yet drawn.

    ``random.Random(seed)`` over instance ids in sorted order: anyone can repeat the draw."""
    _require_lead(db, user, evaluation)
    if size < 1:
        raise OperationError("draw at least one record")
    drawn = set(db.scalars(select(Recheck.submission_id)
                           .where(Recheck.evaluation_id == evaluation.id)))
    pool = [s for s in db.scalars(select(Submission).where(
        Submission.evaluation_id == evaluation.id, Submission.source == "household",
        Submission.current.is_(True), Submission.review_state != "rejected")
        .order_by(Submission.instance_id)) if s.id not in drawn]
    if not pool:
        raise OperationError("no submitted household records left to draw for a call-back", 409)
    chosen = random.Random(seed).sample(pool, min(size, len(pool)))
    for submission in chosen:
        db.add(Recheck(evaluation_id=evaluation.id, submission_id=submission.id, seed=seed,
                       drawn_by_id=user.id))
    audit(db, user, evaluation.id, "recheck.draw", "evaluation", evaluation.key, None,
          {"seed": seed, "size": len(chosen), "pool": len(pool),
           "records": [s.instance_id for s in chosen]})
    db.flush()
    return chosen


def set_recheck_outcome(db: Session, user, recheck: Recheck, outcome: str, note: str) -> None:
    evaluation = db.get(Evaluation, recheck.evaluation_id)
    _require_lead(db, user, evaluation)
    if outcome not in RECHECK_OUTCOMES:
        raise OperationError(f"choose an outcome among {', '.join(RECHECK_OUTCOMES)}")
    if outcome == "differs" and not note.strip():
        raise OperationError("say what differed at the call-back")
    audit(db, user, evaluation.id, "recheck.outcome", "recheck", recheck.id,
          {"outcome": recheck.outcome, "note": recheck.note},
          {"outcome": outcome, "note": note.strip()})
    recheck.outcome = outcome
    recheck.note = note.strip()
    db.flush()


def roster_rows(db: Session, evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    return roster_index(db, evaluation.id)
