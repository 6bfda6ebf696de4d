"""Reading an evaluation's definitions and rows, shared by views, operations, exports and the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, String, and_, bindparam, func, select
from sqlalchemy.orm import Session

from evaluator.definitions.problems import Problem
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.forms import cached_survey, survey_of
from evaluator.fieldwork.models import (
    Assignment,
    Attachment,
    Evaluation,
    EvaluationSurvey,
    Household,
    Membership,
    SampleDraw,
    Submission,
)
from evaluator.rubrics.models import RubricVersion
from evaluator.surveys.definition import Survey
from evaluator.surveys.models import SurveyVersion


def survey_versions(db: Session, evaluation_id: int) -> dict[str, SurveyVersion]:
    """source -> the stored survey version the evaluation uses."""
    rows = db.execute(select(EvaluationSurvey.source, SurveyVersion)
                      .join(SurveyVersion, SurveyVersion.id == EvaluationSurvey.survey_version_id)
                      .where(EvaluationSurvey.evaluation_id == evaluation_id)
                      .order_by(EvaluationSurvey.id))
    return {source: version for source, version in rows}


@dataclass(frozen=True)
class VersionRef:
    """A stored survey version without its (large) content."""

    id: int
    key: str
    version: str
    content_hash: str


def survey_for(db: Session, evaluation_id: int, source: str) -> tuple[VersionRef, Survey] | None:
    """The survey an evaluation uses for ``source``; the content is read only the first time
    (stored versions are immutable, so the parsed survey is cached by its content hash)."""
    row = db.execute(select(SurveyVersion.id, SurveyVersion.key, SurveyVersion.version,
                            SurveyVersion.content_hash)
                     .join(EvaluationSurvey,
                           EvaluationSurvey.survey_version_id == SurveyVersion.id)
                     .where(EvaluationSurvey.evaluation_id == evaluation_id,
                            EvaluationSurvey.source == source)).first()
    if row is None:
        return None
    ref = VersionRef(*row)
    return ref, survey_of_version(db, ref)


def survey_of_version(db: Session, ref: VersionRef) -> Survey:
    """The parsed survey of a stored version; its content is read only the first time
    (stored versions are immutable, so the parsed survey is cached by its content hash)."""
    survey = cached_survey(ref.key, ref.version, ref.content_hash)
    if survey is None:
        content = db.scalar(select(SurveyVersion.content).where(SurveyVersion.id == ref.id))
        survey = survey_of(ref.key, ref.version, content, ref.content_hash)
    return survey


@dataclass(frozen=True)
class RecordTarget:
    """What a record sent for one evaluation, source and household meets in the database."""

    stored_id: int | None  # the submission already stored under the record's instance id
    version: VersionRef | None  # the survey the evaluation uses for the source
    household: Household | None  # the roster row (None for forum records, or not in the roster)
    drawn: bool  # drawn into the sample or onto the reserve list
    assignment: Assignment | None  # who collects this source for this household
    current_instance: str | None  # the household's current record of this source
    #: the evaluation's status and the user's membership role in it (None: not a member);
    #: both None when there is no such evaluation
    evaluation_status: str | None = None
    member_role: str | None = None


def record_target(db: Session, evaluation_id: int, instance_id: str, source: str,
                  household_id: str | None, user_id: int | None = None) -> RecordTarget:
    """Everything ``store_submission`` checks a record against, in one query (the ingest of
    an evening's records is bound by round trips to the database, not by the checks), with
    the evaluation's status and ``user_id``'s membership role in it."""
    values = {"evaluation_id": evaluation_id, "instance_id": instance_id, "source": source,
              "user_id": user_id}
    if household_id is not None:
        values["household_id"] = household_id
    row = db.execute(_target_query(household_id is not None), values).first()
    if row is None:  # no such evaluation
        return RecordTarget(None, None, None, False, None, None)
    version = VersionRef(*row[3:7]) if row[3] is not None else None
    if household_id is None:
        return RecordTarget(row[0], version, None, False, None, None, row[1], row[2])
    return RecordTarget(row[0], version, row[7], row[8] is not None, row[9], row[10], row[1],
                        row[2])


@cache
def _target_query(of_household: bool) -> Select:
    """``record_target``'s statement, built once per process (building a statement of five
    joins costs as much as the rest of a record's reads)."""
    evaluation_id = bindparam("evaluation_id", type_=Integer)
    source = bindparam("source", type_=String)
    stored = select(Submission.id).where(Submission.instance_id == bindparam("instance_id"))
    query = (select(stored.scalar_subquery(), Evaluation.status, Membership.role,
                    SurveyVersion.id, SurveyVersion.key, SurveyVersion.version,
                    SurveyVersion.content_hash)
             .select_from(Evaluation)
             .outerjoin(Membership, and_(Membership.evaluation_id == Evaluation.id,
                                         Membership.user_id == bindparam("user_id",
                                                                         type_=Integer)))
             .outerjoin(EvaluationSurvey, and_(EvaluationSurvey.evaluation_id == Evaluation.id,
                                               EvaluationSurvey.source == source))
             .outerjoin(SurveyVersion, SurveyVersion.id == EvaluationSurvey.survey_version_id)
             .where(Evaluation.id == evaluation_id))
    if not of_household:
        return query
    household_id = bindparam("household_id", type_=String)
    current = (select(Submission.instance_id)
               .where(Submission.evaluation_id == evaluation_id, Submission.source == source,
                      Submission.household_id == household_id, Submission.current.is_(True))
               .limit(1))
    return (query.add_columns(Household, SampleDraw.id, Assignment, current.scalar_subquery())
            .outerjoin(Household, and_(Household.evaluation_id == Evaluation.id,
                                       Household.household_id == household_id))
            .outerjoin(SampleDraw, SampleDraw.household_pk == Household.id)
            .outerjoin(Assignment, and_(Assignment.household_pk == Household.id,
                                        Assignment.source == source)))


def record_photos(db: Session, submission_id: int) -> list[Attachment]:
    return list(db.scalars(select(Attachment).where(Attachment.submission_id == submission_id)
                           .order_by(Attachment.id)))


def surveys_by_id(db: Session, evaluation_id: int) -> dict[str, Survey]:
    """survey id -> Survey, as ``load_surveys`` gives them (for the bundle reader and checker)."""
    return {v.key: survey_of(v.key, v.version, v.content, v.content_hash)
            for v in survey_versions(db, evaluation_id).values()}


def rubric_version(db: Session, evaluation: Evaluation) -> RubricVersion:
    return db.get(RubricVersion, evaluation.rubric_version_id)


class RefusedRubric(OperationError):
    """The evaluation's stored rubric version fails today's rubric rules (union-hardship 2026.1,
    stored before issue 13, has a veto on a raw sample count): nothing that needs the rubric
    can run until the lead re-binds the evaluation to a version that passes (its records
    stay). Every page answers it with a 409 naming the version and the rules, never a 500."""

    def __init__(self, evaluation_id: int, label: str, found: Sequence[Problem]):
        super().__init__(f"rubric {label} is refused by today's rubric rules", 409,
                         [str(p) for p in found], reason="rubric_refused")
        self.evaluation_id = evaluation_id
        self.label = label
        #: The rules' problems, for a page to say in its language (evaluator.web.problems).
        self.found = tuple(found)


def rubric_for(db: Session, evaluation: Evaluation):
    """The evaluation's rubric as ``evaluator.rubrics.definition.Rubric``; ``RefusedRubric``
    when its stored version no longer passes the rubric rules."""
    from evaluator.definitions.problems import DefinitionError
    from evaluator.rubrics.definition import rubric_from_data

    version = rubric_version(db, evaluation)
    label = f"{version.key} {version.version}"
    try:
        return rubric_from_data(version.content, label, surveys_by_id(db, evaluation.id))
    except DefinitionError as error:
        raise RefusedRubric(evaluation.id, label, error.problems) from None


def rubric_refusal(db: Session, evaluation: Evaluation) -> RefusedRubric | None:
    """Why the evaluation's rubric version is refused, or None when it passes."""
    try:
        rubric_for(db, evaluation)
    except RefusedRubric as refused:
        return refused
    return None


def household(db: Session, evaluation_id: int, household_id: str) -> Household | None:
    return db.scalar(select(Household).where(Household.evaluation_id == evaluation_id,
                                             Household.household_id == household_id))


def roster_index(db: Session, evaluation_id: int) -> dict[str, dict[str, Any]]:
    """household_id -> roster row, in roster order."""
    rows = db.scalars(select(Household).where(Household.evaluation_id == evaluation_id)
                      .order_by(Household.row_number))
    return {h.household_id: dict(h.data) for h in rows}


def has_sample(db: Session, evaluation_id: int) -> bool:
    return db.scalar(select(func.count(SampleDraw.id))
                     .where(SampleDraw.evaluation_id == evaluation_id)) > 0


def submission_count(db: Session, evaluation_id: int) -> int:
    return db.scalar(select(func.count(Submission.id))
                     .where(Submission.evaluation_id == evaluation_id))


def context_row(data: dict[str, Any]) -> dict[str, Any]:
    """A roster row as expression context: personal columns left out (never needed by rules)."""
    return {k: v for k, v in data.items() if k not in ("head_name", "id_number")}
