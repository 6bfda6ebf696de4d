"""The team's operations in the field: records (submissions, edits and replays of the same
record), findings and judgement scores. Each takes the acting user, checks, audits and only
flushes (fieldwork.audit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from evaluator.db import utcnow
from evaluator.fieldwork.attachments import (
    ACCEPTED,
    Photo,
    attachment_problem,
    new_token,
    photo_problem,
    sniff,
    write_photo,
)
from evaluator.fieldwork.audit import OperationError, audit
from evaluator.fieldwork.forms import build_form
from evaluator.fieldwork.logic import Problem as AnswerProblem
from evaluator.fieldwork.models import (
    SEVERITIES,
    Attachment,
    Evaluation,
    Finding,
    Judgement,
    ReviewEvent,
    Submission,
)
from evaluator.fieldwork.permissions import can_collect, member_role
from evaluator.fieldwork.queries import (
    RecordTarget,
    context_row,
    household,
    record_photos,
    record_target,
    rubric_for,
    survey_of_version,
)
from evaluator.storage import Storage

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
    #: who made the record on the tablet; it is stored only under that person's session
    author: str | None = None
    #: a refused upload the evaluator chose to keep next to the stored one, for the lead to decide
    keep_both: bool = False


class StoredRecord(NamedTuple):
    submission: Submission
    created: bool  # False: this very record was stored before (a replay)
    photos: list[Attachment]  # the record's attachment rows


def store_submission(db: Session, user, evaluation: Evaluation, record: SubmissionIn, *,
                     role: str | None, storage: Storage, today: date | None = None
                     ) -> StoredRecord:
    """Store a record once. The same record sent again gives the stored one back (created
    False); a different record under a stored instance id is refused (409).

    ``role`` is the user's role in the evaluation (``member_role``), which every caller has
    read already. What the record is checked against is read in one query (``record_target``)
    and written with two flushes: an evening's ingest is bound by round trips."""
    if record.author and record.author != user.username:
        raise OperationError(f"this record was made by {record.author}, not by {user.username} who "
                             f"is signed in; it waits on the tablet until {record.author} signs in",
                             409, reason="wrong_user")
    if record.source in ("forum", "system"):
        record.household_id = None
    target = record_target(db, evaluation.id, record.instance_id, record.source,
                           record.household_id or None)
    stored = db.get(Submission, target.stored_id) if target.stored_id is not None else None
    if stored is not None:
        return _stored_before(db, stored, record)
    if not can_collect(role):
        raise OperationError("you are not an evaluator of this evaluation", 403,
                             reason="not_collector")
    if evaluation.status == "finished":
        raise OperationError("this evaluation is finished and takes no more records; ask the "
                             "team lead to reopen it if a record is missing", 409,
                             reason="finished")
    if target.version is None:
        raise OperationError(f"this evaluation collects no {record.source!r} records", 422)
    survey = survey_of_version(db, target.version)
    context: dict[str, Any] = {}
    target_household = target.household
    if record.source == "system":
        raise OperationError("system data is uploaded by the team lead, not collected", 422)
    if record.source != "forum":
        if not record.household_id:
            raise OperationError("household_id is required for a household record", 422)
        if target_household is None:
            raise OperationError(f"household {record.household_id!r} is not in this evaluation's "
                                 "roster", 422)
        if role != "lead" and (target.assignment is None or target.assignment.user_id != user.id):
            raise OperationError(f"household {record.household_id} is not assigned to you for "
                                 f"{record.source}; ask your team lead", 403,
                                 reason="not_assigned")
        context = context_row(target_household.data)
        if not target.drawn:
            raise OperationError(f"household {record.household_id} was not drawn into the sample "
                                 "(neither sample nor reserve)", 422)
    replaced = None
    if record.keep_both and not record.deprecated_id:
        raise OperationError("keep_both needs deprecated_id: the stored record to keep beside", 422)
    if record.deprecated_id:
        replaced = _replaceable(db, user, role, evaluation, record)
    answers = _checked_answers(survey, record, context, today)
    if replaced is None:
        same = (_refuse_second_record(db, evaluation, record, answers)
                if record.source == "forum" else _refuse_second_household_record(record, target))
        if same is not None:  # stored by a racing request since our first read
            return _stored_before(db, same, record)
    if "household_id" in answers and record.household_id \
            and answers["household_id"] != record.household_id:
        raise OperationError(
            f"the answer household_id {answers['household_id']!r} does not match the household "
            f"{record.household_id!r} the record is sent for", 422,
            [{"field": "household_id", "code": "mismatch",
              "message": "户编号与所访问的户不一致 / household code does not match"}])
    _fill_meta(survey, answers, record, user)
    stored_types = _check_photos(survey, answers, record)
    if replaced is not None:
        # Out of the household's current records before the edit comes in (one current
        # record per household and source: ix_submissions_current_record).
        replaced.current = False
        db.flush()
    submission = Submission(
        instance_id=record.instance_id, evaluation_id=evaluation.id, source=record.source,
        survey_version_id=target.version.id, household_id=record.household_id,
        submitter_id=user.id, data=answers, body_hash=record.body_hash,
        deprecated_id=record.deprecated_id,
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
        # Another request stored the same instance id, edited the same record or stored the
        # household's record between our read and our insert. Nothing else was written yet,
        # so rolling back loses nothing.
        db.rollback()
        return _stored_before(db, _raced(db, evaluation, record), record)
    if record.keep_both:
        _flag_kept_pair(db, user, submission, replaced)
    photos = []
    for field_name, photo in record.photos.items():
        token = new_token()
        write_photo(db, storage, evaluation.id, token, photo, stored_types[field_name])
        photos.append(Attachment(
            token=token, evaluation_id=evaluation.id, submission_id=submission.id,
            field=field_name, filename=photo.filename[:200],
            content_type=stored_types[field_name], size_bytes=len(photo.data),
            sha256=photo.sha256, uploaded_by_id=user.id))
    db.add_all(photos)
    if target.assignment is not None:
        target.assignment.status = "submitted"
    action = ("submission.keep_both" if record.keep_both else
              "submission.edit" if replaced else "submission.create")
    audit(db, user, evaluation.id, action,
          "submission", record.instance_id,
          {"instance_id": replaced.instance_id, "data": replaced.data} if replaced else None,
          {"source": record.source, "household_id": record.household_id,
           "data": answers} if replaced else {"source": record.source,
                                              "household_id": record.household_id})
    db.flush()
    return StoredRecord(submission, True, photos)


def _household_has_record(record: SubmissionIn, found: str) -> OperationError:
    return OperationError(
        f"household {record.household_id} already has a {record.source} record "
        f"({found}); to change it, send an edit with deprecated_id {found}", 409,
        reason="household_has_record", stored_id=found)


def _refuse_second_household_record(record: SubmissionIn, target: RecordTarget
                                    ) -> Submission | None:
    """``_refuse_second_record`` for a household's record, from what ``record_target`` read
    (its instance id was not stored then, so the current record is another one)."""
    if target.current_instance:
        raise _household_has_record(record, target.current_instance)
    return None


def _raced(db: Session, evaluation: Evaluation, record: SubmissionIn) -> Submission:
    """After an insert refused by a unique index: the record a racing request stored (a replay
    of this one), or why this one cannot be stored now."""
    existing = db.scalar(select(Submission).where(Submission.instance_id == record.instance_id))
    if existing is not None:
        return _replayed(existing, record)
    if record.deprecated_id:
        raise OperationError(f"record {record.deprecated_id} has just been replaced by another "
                             "edit; reload it and edit the latest version", 409,
                             reason="edit_race")
    if record.household_id is not None:
        found = db.scalar(select(Submission.instance_id).where(
            Submission.evaluation_id == evaluation.id, Submission.source == record.source,
            Submission.household_id == record.household_id, Submission.current.is_(True)))
        if found:
            raise _household_has_record(record, found)
    raise OperationError("another record was stored at the same moment; send this one again",
                         409, reason="edit_race")


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
            raise _household_has_record(record, found)
        return None
    for instance_id, data in db.execute(query):
        if (data.get("forum_id"), data.get("dimension")) == (answers.get("forum_id"),
                                                             answers.get("dimension")):
            if instance_id == record.instance_id:
                return db.scalar(select(Submission).where(Submission.instance_id == instance_id))
            raise OperationError(
                f"forum {answers.get('forum_id')} already has a record on "
                f"{answers.get('dimension')} ({instance_id}); edit that one instead", 409,
                reason="forum_has_record", stored_id=instance_id)
    return None


def _stored_before(db: Session, existing: Submission, record: SubmissionIn) -> StoredRecord:
    return StoredRecord(_replayed(existing, record), False, record_photos(db, existing.id))


def _replayed(existing: Submission, record: SubmissionIn) -> Submission:
    if existing.body_hash == record.body_hash:
        return existing
    raise OperationError(
        f"a different record is already stored under instance_id {record.instance_id} "
        f"(received {existing.received_at:%Y-%m-%d %H:%M} UTC). A stored record is never "
        "overwritten: to change it, send the new version under a new instance_id with "
        f"deprecated_id {record.instance_id}.", 409, reason="instance_taken",
        stored_id=record.instance_id)


def _replaceable(db: Session, user, role: str | None, evaluation: Evaluation,
                 record: SubmissionIn) -> Submission:
    old = db.scalar(select(Submission).where(Submission.instance_id == record.deprecated_id))
    if old is None or old.evaluation_id != evaluation.id:
        raise OperationError(f"deprecated_id {record.deprecated_id} names no record of this "
                             "evaluation", 422, reason="unknown_deprecated")
    if old.source != record.source or old.household_id != record.household_id:
        raise OperationError("an edit must be for the same source and household as the record "
                             "it replaces", 422)
    if not old.current:
        newer = db.scalar(select(Submission.instance_id).where(
            Submission.deprecated_id == old.instance_id))
        raise OperationError(f"record {old.instance_id} was already replaced by {newer}; edit the "
                             "latest version", 409, reason="replaced", stored_id=newer)
    if record.keep_both:
        return old  # nothing is overwritten unseen: both stay, flagged for the lead
    if role != "lead" and old.submitter_id != user.id:
        raise OperationError("only the team lead or the person who sent a record can edit it", 403,
                             reason="not_editable", stored_id=old.instance_id)
    if role != "lead" and old.review_state in ("approved", "rejected"):
        raise OperationError(f"record {old.instance_id} has been {old.review_state} by the team "
                             "lead; ask them to edit it", 409, reason="reviewed",
                             stored_id=old.instance_id)
    return old


def _flag_kept_pair(db: Session, user, kept: Submission, beside: Submission | None) -> None:
    """A tablet's record kept next to a stored one it collided with: the newer is current and
    marked "has issues" with a comment naming the earlier, so the lead compares and decides."""
    comment = (f"两份记录冲突，平板选择两份都保留，请组长比较后决定（另一份：{beside.instance_id}） / "
               f"Two records collided; the tablet kept both for the lead to decide (the other: "
               f"{beside.instance_id})") if beside is not None else ""
    kept.review_state = "hasIssues"
    db.add(ReviewEvent(submission_id=kept.id, user_id=user.id, from_state="edited",
                       to_state="hasIssues", comment=comment))


def _checked_answers(survey, record: SubmissionIn, context: Mapping[str, Any],
                     today: date | None) -> dict[str, Any]:
    """The answers checked by the survey's rules (``FormModel.check``, the rules the tablet
    runs offline), cleaned and with calculations filled; ``OperationError`` (422) listing every
    problem otherwise. JSON answers go to the model directly: the WTForms class around it only
    turns posted form text into the same values (the no-JavaScript page uses it)."""
    model = build_form(survey).model
    shape = model.normalise(record.answers)[2]
    if shape:
        raise OperationError(_problem_summary(shape), 422, [p.as_dict() for p in shape])
    checked = model.check(record.answers, context, today)
    if not checked.ok:
        raise OperationError(_problem_summary(checked.problems), 422,
                             [p.as_dict() for p in checked.problems])
    return checked.answers


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
        if not f.is_meta or f.repeat:
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


def _check_photos(survey, answers: Mapping[str, Any], record: SubmissionIn) -> dict[str, str]:
    """The content type to store for each attachment (photo, audio, video, file question),
    checked against the question's type by the file's content."""
    problems = []
    stored: dict[str, str] = {}
    for name, photo in record.photos.items():
        f = survey.fields.get(name)
        if f is None or f.type not in ACCEPTED or f.repeat:
            problems.append(f"attachment for {name!r}: not a photo, audio, video or file "
                            "question of this survey")
            continue
        if answers.get(name) != photo.filename:
            problems.append(f"attachment for {name!r}: the answer names {answers.get(name)!r} "
                            f"but the file is {photo.filename!r}")
        stored[name], message = attachment_problem(photo.filename, photo.data,
                                                   photo.content_type, f.type)
        if message:
            problems.append(message)
    for name, f in survey.fields.items():
        if f.type in ACCEPTED and not f.repeat and answers.get(name) \
                and name not in record.photos:
            problems.append(f"{name}: the answer names the file {answers[name]!r} but no file "
                            "was sent with the record")
    if problems:
        raise OperationError("; ".join(problems), 422,
                             [{"field": "attachments", "code": "photo", "message": p}
                              for p in problems])
    return stored


# -- findings, judgements ---------------------------------------------------------------------

def add_finding(db: Session, user, evaluation: Evaluation, *, indicator: str, severity: str,
                description: str, household_id: str, responsible_unit: str,
                responsible_person: str, deadline: date, photos: Sequence[Photo],
                storage: Storage) -> Finding:
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
        kept_type = sniff(photo.data) or ""  # checked above: one of PHOTO_TYPES
        write_photo(db, storage, evaluation.id, token, photo, kept_type)
        db.add(Attachment(token=token, evaluation_id=evaluation.id, finding_id=finding.id,
                          field="evidence", filename=photo.filename[:200],
                          content_type=kept_type,
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
