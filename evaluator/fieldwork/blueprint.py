"""The fieldwork URLs, in one table (indico's blueprint.py habit); the views live in each
room's views.py (collect, review, manage, exports)."""

from __future__ import annotations

from flask import Blueprint, g

from evaluator.fieldwork import views_common
from evaluator.fieldwork.collect import tablet
from evaluator.fieldwork.collect import views as views_collect
from evaluator.fieldwork.exports import views as views_exports
from evaluator.fieldwork.manage import reserve_views
from evaluator.fieldwork.manage import views as views_manage
from evaluator.fieldwork.review import views as views_review

bp = Blueprint("fieldwork", __name__)

E = "/evaluations/<int:evaluation_id>"
RULES = (
    ("/evaluations", "evaluations", views_manage.evaluations, ("GET",)),
    ("/evaluations/new", "evaluation_new", views_manage.evaluation_new, ("GET", "POST")),
    (E, "evaluation", views_manage.evaluation, ("GET",)),
    (E + "/settings", "settings", views_manage.settings, ("POST",)),
    (E + "/finish", "finish", views_manage.finish, ("GET", "POST")),
    (E + "/roster", "roster", views_manage.roster, ("GET", "POST")),
    (E + "/members", "members", views_manage.members, ("GET", "POST")),
    (E + "/members/remove", "member_remove", views_manage.member_remove, ("POST",)),
    (E + "/sample", "sample", views_manage.sample, ("GET", "POST")),
    (E + "/assign", "assign", views_manage.assign, ("GET", "POST")),
    (E + "/assign/households", "assign_households", views_manage.assign_households, ("POST",)),
    (E + "/system", "system_data", views_manage.system_data, ("GET", "POST")),
    (E + "/reserves", "reserves", reserve_views.reserves, ("GET", "POST")),
    (E + "/reserves/undo", "reserves_undo", reserve_views.reserves_undo, ("POST",)),
    (E + "/households/<household_id>/nonresponse", "nonresponse", reserve_views.nonresponse,
     ("GET", "POST")),
    ("/assignments", "assignments", views_collect.assignments, ("GET",)),
    (E + "/collect/<source>/<household_id>", "collect", views_collect.collect, ("GET", "POST")),
    (E + "/forum", "forum", views_collect.forum, ("GET", "POST")),
    (E + "/judgements", "judgement", views_collect.judgement, ("POST",)),
    (E + "/findings", "findings", views_collect.findings, ("GET", "POST")),
    (E + "/findings/<int:finding_id>", "finding_edit", views_collect.finding_edit,
     ("GET", "POST")),
    (E + "/findings/<int:finding_id>/delete", "finding_delete", views_collect.finding_delete,
     ("POST",)),
    ("/sw.js", "service_worker", views_collect.service_worker, ("GET",)),
    (E + "/submissions", "submissions", views_review.submissions, ("GET",)),
    (E + "/submissions/bulk", "submissions_bulk", views_review.submissions_bulk, ("POST",)),
    (E + "/submissions/<instance_id>", "submission", views_review.submission, ("GET", "POST")),
    (E + "/quality", "quality", views_review.quality, ("GET",)),
    (E + "/map", "record_map", views_review.record_map, ("GET",)),
    (E + "/recheck", "recheck", views_review.recheck, ("POST",)),
    (E + "/recheck/<int:recheck_id>", "recheck_outcome", views_review.recheck_outcome, ("POST",)),
    (E + "/audit", "audit", views_review.audit, ("GET",)),
    (E + "/export/<source>.<fmt>", "export", views_exports.export, ("GET",)),
    (E + "/bundle.zip", "export_bundle", views_exports.export_bundle, ("GET",)),
    (E + "/scores", "scores", views_exports.scores, ("GET",)),
    (E + "/report", "report", views_exports.report_preview, ("GET",)),
    (E + "/report.pdf", "report_pdf", views_exports.report_download, ("GET",)),
    ("/attachments/<token>", "attachment", views_review.attachment, ("GET",)),
    ("/problems/<token>.csv", "problem_list", views_common.problem_list, ("GET",)),
)

for rule, endpoint, view, methods in RULES:
    bp.add_url_rule(rule, endpoint, view, methods=list(methods))


@bp.app_errorhandler(views_common.RefusedRubric)
def refused_rubric(refused: views_common.RefusedRubric):
    return views_common.refused_rubric_page(refused)


@bp.app_context_processor
def fieldwork_assets():
    """Versioned URLs of the offline scripts and styles, for every page (the queue badge), and
    the tablet's settings and words for the upload queue."""
    return {"fieldwork_assets": tablet.asset_urls(), "tablet": tablet.tablet_settings(),
            "tablet_words": lambda: tablet.client_words(g.get("lang", "zh"))}


@bp.after_app_request
def tablet_headers(response):
    tablet.page_headers(response)
    return response
