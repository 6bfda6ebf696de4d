"""The home page: what this installation holds, in plain values."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from evaluator.extensions import db_session
from evaluator.rubrics.models import RubricVersion
from evaluator.surveys.models import SurveyVersion

bp = Blueprint("web", __name__)


@bp.get("/")
def home():
    rubrics: list[dict] = []
    surveys: list[dict] = []
    if current_user.is_authenticated:
        db = db_session()
        rubrics = [
            {"key": r.key, "version": r.version, "title_zh": r.title_zh, "title_en": r.title_en,
             "dimensions": len(r.content.get("dimensions", [])),
             "indicators": sum(len(d.get("indicators", [])) for d in r.content.get("dimensions", []))}
            for r in db.scalars(select(RubricVersion).order_by(RubricVersion.key, RubricVersion.version))
        ]
        surveys = [
            {"key": s.key, "version": s.version, "source": s.source, "title_zh": s.title_zh,
             "title_en": s.title_en, "rows": len(s.content.get("survey", []))}
            for s in db.scalars(select(SurveyVersion).order_by(SurveyVersion.key, SurveyVersion.version))
        ]
    return render_template("home.html", rubrics=rubrics, surveys=surveys)
