"""Helpers every fieldwork view uses: load the evaluation, check the role, plain values out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, current_app, g
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from evaluator.definitions.problems import DefinitionError
from evaluator.extensions import db_session
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.models import Evaluation
from evaluator.fieldwork.permissions import member_role


def load_evaluation(evaluation_id: int, allow=("lead",)) -> tuple[Evaluation, str]:
    """The evaluation and the user's role in it: 404 when it does not exist or the user is not
    on it (no hint that it exists), 403 when their role may not open this page."""
    if not current_user.is_authenticated:
        abort(current_app.login_manager.unauthorized())
    db = db_session()
    evaluation = db.get(Evaluation, evaluation_id)
    if evaluation is None:
        abort(404)
    role = member_role(db, current_user, evaluation.id)
    if role is None:
        abort(404)
    if role not in allow:
        abort(403)
    return evaluation, role


def summary(evaluation: Evaluation, role: str) -> dict[str, Any]:
    lang = g.get("lang", "zh")
    return {
        "id": evaluation.id,
        "key": evaluation.key,
        "title": evaluation.title_en if lang == "en" and evaluation.title_en else evaluation.title_zh,
        "title_zh": evaluation.title_zh,
        "evaluated_unit": evaluation.evaluated_unit,
        "commissioning_body": evaluation.commissioning_body,
        "period": f"{evaluation.period_start} – {evaluation.period_end}",
        "status": evaluation.status,
        "count_policy": evaluation.count_policy,
        "stratum_column": evaluation.stratum_column,
        "synthetic": evaluation.synthetic,
        "role": role,
        "min_interview_minutes": evaluation.min_interview_minutes,
        "aid_tolerance": evaluation.aid_tolerance,
    }


def problem_lines(error: Exception) -> list[str]:
    if isinstance(error, DefinitionError):
        return [str(p) for p in error.problems]
    if isinstance(error, OperationError):
        return [str(p) for p in error.problems] or [error.message]
    return [str(error)]


def attachment_dir() -> Path:
    return Path(current_app.instance_path) / "attachments"


def report_cache_dir() -> Path:
    """Where rendered report PDFs are kept (evaluator.fieldwork.exports.report)."""
    return Path(current_app.instance_path) / "report-cache"


def text_of(mapping: dict[str, str] | None, fallback: str = "") -> str:
    lang = g.get("lang", "zh")
    mapping = mapping or {}
    return mapping.get(lang) or mapping.get("zh") or fallback


def value_choices(values) -> list[SelectChoice]:
    """Choices of a page form whose labels are their values (the templates translate them)."""
    return [SelectChoice(v, v) for v in values]
