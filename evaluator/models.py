"""Every mapped class, imported in one place so metadata and migrations see them all."""

from evaluator.auth.models import User
from evaluator.db import Base
from evaluator.rubrics.models import RubricVersion
from evaluator.surveys.models import SurveyVersion

__all__ = ["Base", "RubricVersion", "SurveyVersion", "User"]
