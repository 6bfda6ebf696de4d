"""The survey pages' blueprint (``surveys``); the URLs are listed in views.RULES."""

from __future__ import annotations

from flask import Blueprint

from evaluator.surveys_web import views

bp = Blueprint("surveys", __name__)

for rule, endpoint, view, methods in views.RULES:
    bp.add_url_rule(rule, endpoint, view, methods=list(methods))
