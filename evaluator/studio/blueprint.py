"""The studio's URLs in one table; the views are in views.py (rubrics) and surveys.py."""

from __future__ import annotations

from flask import Blueprint

from evaluator.studio import views

bp = Blueprint("studio", __name__)

D = "/studio/drafts/<int:draft_id>"
V = "/studio/versions/<int:version_id>"
RULES = (
    ("/studio", "index", views.index, ("GET",)),
    ("/studio/drafts", "start", views.start, ("POST",)),
    ("/studio/import", "import_rubric", views.import_rubric, ("POST",)),
    (D, "editor", views.editor, ("GET", "POST")),
    (D + "/autosave", "autosave", views.autosave, ("POST",)),
    (D + "/check.json", "check", views.check, ("GET",)),
    (D + "/publish", "publish", views.publish, ("POST",)),
    (D + "/whatif", "what_if", views.what_if_page, ("GET",)),
    (D + "/whatif.json", "what_if_json", views.what_if_json, ("GET",)),
    (D + "/rubric.yaml", "draft_yaml", views.draft_yaml, ("GET",)),
    (V, "version", views.version, ("GET",)),
    (V + "/rubric.yaml", "version_yaml", views.version_yaml, ("GET",)),
    ("/studio/diff", "diff", views.compare_versions, ("GET",)),
    ("/evaluations/<int:evaluation_id>/rubric", "move_evaluation", views.move_evaluation,
     ("POST",)),
)

for rule, endpoint, view, methods in RULES:
    bp.add_url_rule(rule, endpoint, view, methods=list(methods))

bp.add_app_template_global(views.rubric_updates, "rubric_updates")
