"""Every mapped class, imported in one place so metadata and migrations see them all."""

from evaluator.auth.models import LoginFailure, User
from evaluator.db import Base
from evaluator.feedback.models import FeedbackRound, FindingResponse, RectificationUpdate
from evaluator.fieldwork.models import (
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
from evaluator.people.models import SignInLink
from evaluator.programmes.models import EvaluationScore, Programme
from evaluator.rubrics.models import RubricVersion
from evaluator.studio.models import RubricDraft
from evaluator.surveys.models import SurveyVersion
from evaluator.surveys_web.models import SurveyUpload

__all__ = [
    "Assignment",
    "Attachment",
    "AuditEntry",
    "Base",
    "Evaluation",
    "EvaluationScore",
    "EvaluationSurvey",
    "FeedbackRound",
    "Finding",
    "FindingResponse",
    "Household",
    "Judgement",
    "LoginFailure",
    "Membership",
    "Programme",
    "Recheck",
    "RectificationUpdate",
    "ReviewEvent",
    "RubricDraft",
    "RubricVersion",
    "SampleDraw",
    "SignInLink",
    "Submission",
    "SurveyUpload",
    "SurveyVersion",
    "SystemRecord",
    "User",
]
