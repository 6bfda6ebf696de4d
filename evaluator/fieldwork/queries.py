"""Reading an evaluation's definitions and rows, shared by views, operations, exports and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evaluator.fieldwork.forms import cached_survey, survey_of
from evaluator.fieldwork.models import (
    Evaluation,
    EvaluationSurvey,
    Household,
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
    survey = cached_survey(ref.key, ref.version, ref.content_hash)
    if survey is None:
        content = db.scalar(select(SurveyVersion.content).where(SurveyVersion.id == ref.id))
        survey = survey_of(ref.key, ref.version, content, ref.content_hash)
    return ref, survey


def surveys_by_id(db: Session, evaluation_id: int) -> dict[str, Survey]:
    """survey id -> Survey, as ``load_surveys`` gives them (for the bundle reader and checker)."""
    return {v.key: survey_of(v.key, v.version, v.content, v.content_hash)
            for v in survey_versions(db, evaluation_id).values()}


def rubric_version(db: Session, evaluation: Evaluation) -> RubricVersion:
    return db.get(RubricVersion, evaluation.rubric_version_id)


def rubric_for(db: Session, evaluation: Evaluation):
    """The evaluation's rubric as ``evaluator.rubrics.definition.Rubric``."""
    from evaluator.rubrics.definition import rubric_from_data

    version = rubric_version(db, evaluation)
    return rubric_from_data(version.content, f"{version.key} {version.version}",
                            surveys_by_id(db, evaluation.id))


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
