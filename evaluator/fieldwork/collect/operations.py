"""The team's operations in the field: records (submissions, edits and replays of the same
record), findings and judgement scores. Each takes the acting user, checks, audits and only
flushes (fieldwork.audit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from flask_babel import gettext
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
from evaluator.fieldwork.audit import OperationError, audit, require_lead
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
from evaluator.fieldwork.review.quality import invalidate_flags
from evaluator.storage import Storage
from evaluator.web.i18n import label, request_lang

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
    target = record_target(db, evaluation.id, record.instance_id, record.source,
                           _household_of(record), user.id)
    return _store(db, user, evaluation.id, evaluation.status, role, target, record, storage,
                  today)


def submit_record(db: Session, user, evaluation_id: int, record: SubmissionIn, *,
                  storage: Storage, today: date | None = None) -> StoredRecord:
    """``store_submission`` for the API, which has only the evaluation's number: the
    evaluation, the user's role in it and everything the record is checked against come from
    one query. 404 when there is no such evaluation or the user is not on it (before anything
    is said about stored records)."""
    target = record_target(db, evaluation_id, record.instance_id, record.source,
                           _household_of(record), user.id)
    role = "lead" if user.role == "admin" else target.member_role  # member_role's rule
    if target.evaluation_status is None or role is None:
        raise OperationError(gettext("no evaluation %(id)s that you work on", id=evaluation_id),
                             404)
    return _store(db, user, evaluation_id, target.evaluation_status, role, target, record,
                  storage, today)


def _household_of(record: SubmissionIn) -> str | None:
    if record.source in ("forum", "system"):
        record.household_id = None
    return record.household_id or None


def _store(db: Session, user, evaluation_id: int, status: str, role: str | None,
           target: RecordTarget, record: SubmissionIn, storage: Storage, today: date | None
           ) -> StoredRecord:
    if record.author and record.author != user.username:
        raise OperationError(gettext(
            "this record was made by %(author)s, not by %(user)s who is signed in; it waits on "
            "the tablet until %(author)s signs in", author=record.author, user=user.username),
            409, reason="wrong_user")
    stored = db.get(Submission, target.stored_id) if target.stored_id is not None else None
    if stored is not None:
        return _stored_before(db, stored, record)
    if not can_collect(role):
        raise OperationError(gettext("you are not an evaluator of this evaluation"), 403,
                             reason="not_collector")
    if status == "finished":
        raise OperationError(gettext("this evaluation is finished and takes no more records; ask "
                                     "the team lead to reopen it if a record is missing"), 409,
                             reason="finished")
    if target.version is None:
        raise OperationError(gettext("this evaluation collects no %(source)r records",
                                     source=record.source), 422)
    survey = survey_of_version(db, target.version)
    context: dict[str, Any] = {}
    target_household = target.household
    if record.source == "system":
        raise OperationError(gettext("system data is uploaded by the team lead, not collected"),
                             422)
    if record.source != "forum":
        if not record.household_id:
            raise OperationError(gettext("household_id is required for a household record"), 422)
        if target_household is None:
            raise OperationError(gettext("household %(household)r is not in this evaluation's "
                                         "roster", household=record.household_id), 422)
        if role != "lead" and (target.assignment is None or target.assignment.user_id != user.id):
            raise OperationError(gettext(
                "household %(household)s is not assigned to you for %(source)s; ask your team "
                "lead", household=record.household_id, source=label("source", record.source)),
                403, reason="not_assigned")
        context = context_row(target_household.data)
        if not target.drawn:
            raise OperationError(gettext("household %(household)s was not drawn into the sample "
                                         "(neither sample nor reserve)",
                                         household=record.household_id), 422)
    replaced = None
    if record.keep_both and not record.deprecated_id:
        raise OperationError(gettext("keep_both needs deprecated_id: the stored record to keep "
                                     "beside"), 422)
    if record.deprecated_id:
        replaced = _replaceable(db, user, role, evaluation_id, record)
    answers = _checked_answers(survey, record, context, today)
    if replaced is None:
        same = (_refuse_second_record(db, evaluation_id, record, answers)
                if record.source == "forum" else _refuse_second_household_record(record, target))
        if same is not None:  # stored by a racing request since our first read
            return _stored_before(db, same, record)
    if "household_id" in answers and record.household_id \
            and answers["household_id"] != record.household_id:
        raise OperationError(
            gettext("the answer household_id %(answered)r does not match the household "
                    "%(household)r the record is sent for", answered=answers["household_id"],
                    household=record.household_id), 422,
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
        instance_id=record.instance_id, evaluation_id=evaluation_id, source=record.source,
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
        return _stored_before(db, _raced(db, evaluation_id, record), record)
    if record.keep_both:
        _flag_kept_pair(db, user, submission, replaced)
    if record.keep_both and submission.household_id:  # two current records: both "duplicate"
        invalidate_flags(db, evaluation_id, submission.source, submission.household_id)
    photos = []
    for field_name, photo in record.photos.items():
        token = new_token()
        write_photo(db, storage, evaluation_id, token, photo, stored_types[field_name])
        photos.append(Attachment(
            token=token, evaluation_id=evaluation_id, submission_id=submission.id,
            field=field_name, filename=photo.filename[:200],
            content_type=stored_types[field_name], size_bytes=len(photo.data),
            sha256=photo.sha256, uploaded_by_id=user.id))
    db.add_all(photos)
    if target.assignment is not None:
        target.assignment.status = "submitted"
    action = ("submission.keep_both" if record.keep_both else
              "submission.edit" if replaced else "submission.create")
    audit(db, user, evaluation_id, action,
          "submission", record.instance_id,
          {"instance_id": replaced.instance_id, "data": replaced.data} if replaced else None,
          {"source": record.source, "household_id": record.household_id,
           "data": answers} if replaced else {"source": record.source,
                                              "household_id": record.household_id})
    db.flush()
    return StoredRecord(submission, True, photos)


def _household_has_record(record: SubmissionIn, found: str) -> OperationError:
    return OperationError(
        gettext("household %(household)s already has a %(source)s record (%(found)s); to "
                "change it, send an edit with deprecated_id %(found)s",
                household=record.household_id, source=record.source, found=found), 409,
        reason="household_has_record", stored_id=found)


def _refuse_second_household_record(record: SubmissionIn, target: RecordTarget
                                    ) -> Submission | None:
    """``_refuse_second_record`` for a household's record, from what ``record_target`` read
    (its instance id was not stored then, so the current record is another one)."""
    if target.current_instance:
        raise _household_has_record(record, target.current_instance)
    return None


def _raced(db: Session, evaluation_id: int, record: SubmissionIn) -> Submission:
    """After an insert refused by a unique index: the record a racing request stored (a replay
    of this one), or why this one cannot be stored now."""
    existing = db.scalar(select(Submission).where(Submission.instance_id == record.instance_id))
    if existing is not None:
        return _replayed(existing, record)
    if record.deprecated_id:
        raise OperationError(gettext("record %(record)s has just been replaced by another "
                                     "edit; reload it and edit the latest version",
                                     record=record.deprecated_id), 409, reason="edit_race")
    if record.household_id is not None:
        found = db.scalar(select(Submission.instance_id).where(
            Submission.evaluation_id == evaluation_id, Submission.source == record.source,
            Submission.household_id == record.household_id, Submission.current.is_(True)))
        if found:
            raise _household_has_record(record, found)
    raise OperationError(gettext("another record was stored at the same moment; send this one "
                                 "again"), 409, reason="edit_race")


def _refuse_second_record(db: Session, evaluation_id: int, record: SubmissionIn,
                          answers: Mapping[str, Any]) -> Submission | None:
    """One current record per household and source (per forum and dimension for forums): a
    second one must be sent as an edit of the first, so no answer is silently doubled.
    Returns the stored record when it is this very record (a replay that raced the insert)."""
    query = select(Submission.instance_id, Submission.data).where(
        Submission.evaluation_id == evaluation_id, Submission.source == record.source,
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
                gettext("forum %(forum)s already has a record on %(dimension)s (%(record)s); edit "
                        "that one instead", forum=answers.get("forum_id"),
                        dimension=answers.get("dimension"), record=instance_id), 409,
                reason="forum_has_record", stored_id=instance_id)
    return None


def _stored_before(db: Session, existing: Submission, record: SubmissionIn) -> StoredRecord:
    return StoredRecord(_replayed(existing, record), False, record_photos(db, existing.id))


def _replayed(existing: Submission, record: SubmissionIn) -> Submission:
    if existing.body_hash == record.body_hash:
        return existing
    raise OperationError(gettext(
        "a different record is already stored under instance_id %(record)s (received %(when)s "
        "UTC). A stored record is never overwritten: to change it, send the new version under a "
        "new instance_id with deprecated_id %(record)s.", record=record.instance_id,
        when=f"{existing.received_at:%Y-%m-%d %H:%M}"), 409,
        reason="instance_taken", stored_id=record.instance_id)


def _replaceable(db: Session, user, role: str | None, evaluation_id: int,
                 record: SubmissionIn) -> Submission:
    old = db.scalar(select(Submission).where(Submission.instance_id == record.deprecated_id))
    if old is None or old.evaluation_id != evaluation_id:
        raise OperationError(gettext("deprecated_id %(record)s names no record of this "
                                     "evaluation", record=record.deprecated_id), 422,
                             reason="unknown_deprecated")
    if old.source != record.source or old.household_id != record.household_id:
        raise OperationError(gettext("an edit must be for the same source and household as the "
                                     "record it replaces"), 422)
    if not old.current:
        newer = db.scalar(select(Submission.instance_id).where(
            Submission.deprecated_id == old.instance_id))
        raise OperationError(gettext("record %(record)s was already replaced by %(newer)s; edit "
                                     "the latest version", record=old.instance_id, newer=newer),
                             409, reason="replaced", stored_id=newer)
    if record.keep_both:
        return old  # nothing is overwritten unseen: both stay, flagged for the lead
    if role != "lead" and old.submitter_id != user.id:
        raise OperationError(gettext("only the team lead or the person who sent a record can edit "
                                     "it"), 403, reason="not_editable", stored_id=old.instance_id)
    if role != "lead" and old.review_state in ("approved", "rejected"):
        raise OperationError(gettext("record %(record)s has been marked “%(state)s” by the team "
                                     "lead; ask them to edit it", record=old.instance_id,
                                     state=label("state", old.review_state)), 409,
                             reason="reviewed", stored_id=old.instance_id)
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
        return gettext("the record is not valid")
    first = problems[0]
    where = first.field
    if first.repeat is not None and first.index is not None:
        where += gettext(" (entry %(n)s of %(repeat)s)", n=first.index + 1, repeat=first.repeat)
    message = first.message["en" if request_lang() == "en" else "zh"]
    if len(problems) > 1:
        return gettext("%(n)s answer(s) need attention: %(where)s: %(message)s, and %(more)s more",
                       n=len(problems), where=where, message=message, more=len(problems) - 1)
    return gettext("%(n)s answer(s) need attention: %(where)s: %(message)s", n=len(problems),
                   where=where, message=message)


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
            problems.append(gettext("attachment for %(name)r: not a photo, audio, video or file "
                                    "question of this survey", name=name))
            continue
        if answers.get(name) != photo.filename:
            problems.append(gettext("attachment for %(name)r: the answer names %(answer)r but the "
                                    "file is %(file)r", name=name, answer=answers.get(name),
                                    file=photo.filename))
        stored[name], message = attachment_problem(photo.filename, photo.data,
                                                   photo.content_type, f.type)
        if message:
            problems.append(message)
    for name, f in survey.fields.items():
        if f.type in ACCEPTED and not f.repeat and answers.get(name) \
                and name not in record.photos:
            problems.append(gettext("%(name)s: the answer names the file %(file)r but no file "
                                    "was sent with the record", name=name, file=answers[name]))
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
        raise OperationError(gettext("only the evaluation team records findings"), 403)
    problems = _finding_problems(db, evaluation, indicator, severity, description, household_id,
                                 responsible_unit, responsible_person)
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


def _finding_fields(finding: Finding) -> dict[str, Any]:
    return {"indicator": finding.indicator, "severity": finding.severity,
            "description": finding.description, "household_id": finding.household_id,
            "responsible_unit": finding.responsible_unit,
            "responsible_person": finding.responsible_person,
            "deadline": finding.deadline.isoformat()}


def edit_finding(db: Session, user, evaluation: Evaluation, finding: Finding, *, indicator: str,
                 severity: str, description: str, household_id: str, responsible_unit: str,
                 responsible_person: str, deadline: date) -> None:
    """The lead corrects a finding (its photos stay); the audit keeps the old and new values."""
    require_lead(db, user, evaluation)
    problems = _finding_problems(db, evaluation, indicator, severity, description, household_id,
                                 responsible_unit, responsible_person)
    if problems:
        raise OperationError("; ".join(problems), 400, problems)
    old = _finding_fields(finding)
    finding.indicator, finding.severity = indicator, severity
    finding.description, finding.household_id = description.strip(), household_id.strip()
    finding.responsible_unit = responsible_unit.strip()
    finding.responsible_person = responsible_person.strip()
    finding.deadline = deadline
    new = _finding_fields(finding)
    if new != old:
        audit(db, user, evaluation.id, "finding.edit", "finding", finding.id, old, new)
    db.flush()


def delete_finding(db: Session, user, evaluation: Evaluation, finding: Finding) -> None:
    """The lead deletes a finding; the audit entry keeps everything it said. Its photo files
    stay on disk (under the evaluation's attachments), only unlinked."""
    require_lead(db, user, evaluation)
    audit(db, user, evaluation.id, "finding.delete", "finding", finding.id,
          _finding_fields(finding), None)
    db.delete(finding)
    db.flush()


def _finding_problems(db: Session, evaluation: Evaluation, indicator: str, severity: str,
                      description: str, household_id: str, responsible_unit: str,
                      responsible_person: str) -> list[str]:
    problems = []
    codes = {i.code for i in rubric_for(db, evaluation).indicators}
    if indicator not in codes:
        problems.append(gettext("%(indicator)r is not an indicator of this evaluation's rubric",
                                indicator=indicator))
    if severity not in SEVERITIES:
        problems.append(gettext("severity must be one of %(severities)s", severities=" / ".join(
            label("sev", s) for s in SEVERITIES)))
    if household_id and household(db, evaluation.id, household_id) is None:
        problems.append(gettext("household %(household)r is not in the roster",
                                household=household_id))
    for field_label, value in ((gettext("Description"), description),
                               (gettext("Responsible unit"), responsible_unit),
                               (gettext("Responsible person"), responsible_person)):
        if not value.strip():
            problems.append(gettext("%(field)s is required", field=field_label))
    return problems


def save_judgement(db: Session, user, evaluation: Evaluation, *, indicator: str, score: float,
                   reason: str) -> Judgement:
    role = member_role(db, user, evaluation.id)
    if not can_collect(role):
        raise OperationError(gettext("only the evaluation team gives judgement scores"), 403)
    rubric = rubric_for(db, evaluation)
    spec = next((i for i in rubric.indicators if i.code == indicator), None)
    if spec is None or spec.method != "judgement":
        raise OperationError(gettext("%(indicator)r is not a judgement indicator of this rubric",
                                     indicator=indicator))
    if not 0 <= score <= spec.scale:
        raise OperationError(gettext("the score of %(indicator)s is between 0 and %(scale)s",
                                     indicator=indicator, scale=f"{spec.scale:g}"))
    if not reason.strip():
        raise OperationError(gettext("a judgement needs its written reason"))
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
