"""The tablet's offline contract (离线): asset version, service worker, forms kept offline.

- The asset version is one hash of the offline scripts and styles. Every page names its assets
  with ``?v=<version>`` and the service worker keeps pages and assets under that version, so an
  update never leaves a cached page without the scripts it was written for.
- A form page's version says what the page depends on: the app version, the survey version, the
  household's roster row, the language, the person, the assignment and the stored record. The
  page carries it (``X-Form-Version``) and /api/v1/assignments lists it, so the worker fetches a
  form again only when it changed.
- Only the forms of an evaluator's open assignments (and the forum page of their evaluations) are
  listed for prefetching; leads and viewers open pages online and never prefetch.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from flask import current_app, g, url_for
from flask_login import current_user
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from evaluator.fieldwork.collect.tablet_words import tablet_words
from evaluator.fieldwork.models import (
    Assignment,
    Evaluation,
    EvaluationSurvey,
    Household,
    Judgement,
    Membership,
    Submission,
)
from evaluator.paths import PACKAGE_DIR
from evaluator.web.i18n import label

#: The offline scripts, in the order pages load them.
STATIC_JS = ("js/expr.js", "js/store.js", "js/queue.js", "js/sync.js", "js/widgets.js",
             "js/columns.js", "js/form.js",
             "js/pages.js", "js/record.js", "js/tasks.js")
STYLES = ("app.css", "fieldwork.css")
#: Pages every signed-in tablet keeps offline besides its forms.
SHELL_PAGES = ("web.home", "fieldwork.assignments")


@lru_cache(maxsize=1)
def asset_version() -> str:
    digest = hashlib.sha256()
    for name in (*STATIC_JS, *STYLES, "js/sw.js"):
        path = PACKAGE_DIR / "static" / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def asset_urls() -> dict[str, str]:
    version = asset_version()
    found = {name: url_for("static", filename=name, v=version) for name in STATIC_JS}
    found["css"] = url_for("static", filename="fieldwork.css", v=version)
    found["app_css"] = url_for("static", filename="app.css", v=version)
    return found


def _digest(parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def form_version(*, evaluation: Evaluation, survey_version_id: int, household: Household,
                 source: str, user_id: int, lang: str, assignment_status: str,
                 stored_id: str) -> str:
    return _digest([asset_version(), evaluation.id, evaluation.status, evaluation.title_zh,
                    evaluation.title_en, survey_version_id, household.household_id,
                    household.data, source, user_id, lang, assignment_status, stored_id])


def forum_version(db: Session, evaluation: Evaluation, user_id: int, lang: str) -> str:
    """The forum page shows this person's judgement scores and forum records, so they count."""
    survey = db.scalar(select(EvaluationSurvey.survey_version_id).where(
        EvaluationSurvey.evaluation_id == evaluation.id, EvaluationSurvey.source == "forum"))
    judgements = sorted(db.execute(select(Judgement.indicator, Judgement.score, Judgement.reason)
                                   .where(Judgement.evaluation_id == evaluation.id,
                                          Judgement.user_id == user_id)).all())
    records = sorted(db.execute(select(Submission.instance_id, Submission.review_state).where(
        Submission.evaluation_id == evaluation.id, Submission.source == "forum",
        Submission.current.is_(True), Submission.submitter_id == user_id)).all())
    return _digest([asset_version(), evaluation.id, evaluation.status, evaluation.title_zh,
                    evaluation.title_en, survey, user_id, lang,
                    [list(j) for j in judgements], [list(r) for r in records]])


def collect_page_version(db: Session, evaluation: Evaluation, source: str,
                         target: Household | None, stored: Submission | None) -> str:
    """The version of the form page being rendered now (the same value the list gives)."""
    if target is None:
        return forum_version(db, evaluation, current_user.id, g.lang)
    survey_version_id = db.scalar(select(EvaluationSurvey.survey_version_id).where(
        EvaluationSurvey.evaluation_id == evaluation.id, EvaluationSurvey.source == source))
    status = db.scalar(select(Assignment.status).where(
        Assignment.household_pk == target.id, Assignment.source == source,
        Assignment.user_id == current_user.id)) or ""
    return form_version(evaluation=evaluation, survey_version_id=survey_version_id or 0,
                        household=target, source=source, user_id=current_user.id, lang=g.lang,
                        assignment_status=status,
                        stored_id=stored.instance_id if stored is not None else "")


def offline_forms(db: Session, user, lang: str) -> dict[str, Any]:
    """What /api/v1/assignments answers: every form assigned to this evaluator (``open`` when
    still to collect), with its URL and version. An evaluation where the person is the lead or
    a viewer contributes nothing, and neither does a finished one."""
    evaluations = {e.id: e for e in db.scalars(
        select(Evaluation).join(Membership, Membership.evaluation_id == Evaluation.id)
        .where(Membership.user_id == user.id, Membership.role == "evaluator",
               Evaluation.status != "finished"))}
    if not evaluations or user.role == "admin":
        return {"user": user.username, "forms": []}
    surveys = {(e, s): v for e, s, v in db.execute(
        select(EvaluationSurvey.evaluation_id, EvaluationSurvey.source,
               EvaluationSurvey.survey_version_id)
        .where(EvaluationSurvey.evaluation_id.in_(evaluations)))}
    forms = []
    # Each assignment with its household's current record of that source, if any (the unique
    # ix_submissions_current_record finds it): the rows read are this person's assignments,
    # never the evaluation's stored records, which grow to 14,000 over an evening.
    stored_record = and_(Submission.evaluation_id == Assignment.evaluation_id,
                         Submission.source == Assignment.source,
                         Submission.household_id == Household.household_id,
                         Submission.current.is_(True))
    for assignment, household, stored_id in db.execute(
            select(Assignment, Household, Submission.instance_id)
            .join(Household, Household.id == Assignment.household_pk)
            .outerjoin(Submission, stored_record)
            .where(Assignment.user_id == user.id, Assignment.evaluation_id.in_(evaluations))
            .order_by(Assignment.evaluation_id, Household.household_id, Assignment.source)):
        evaluation = evaluations[assignment.evaluation_id]
        survey = surveys.get((evaluation.id, assignment.source))
        if survey is None:
            continue
        forms.append({
            "url": url_for("fieldwork.collect", evaluation_id=evaluation.id,
                           source=assignment.source, household_id=household.household_id),
            # What a task card shows, for the list of kept households offline (tasks.js).
            "evaluation": evaluation.id, "source": assignment.source,
            "household": household.household_id, "name": household.head_name or "",
            "place": " · ".join(str(household.data.get(k) or "") for k in
                                ("township", "category")),
            "version": form_version(
                evaluation=evaluation, survey_version_id=survey, household=household,
                source=assignment.source, user_id=user.id, lang=lang,
                assignment_status=assignment.status,
                stored_id=stored_id or ""),
            "open": assignment.status != "submitted"})
    for evaluation in evaluations.values():
        if (evaluation.id, "forum") in surveys:
            forms.append({"url": url_for("fieldwork.forum", evaluation_id=evaluation.id),
                          "version": forum_version(db, evaluation, user.id, lang), "open": True})
    return {"user": user.username, "forms": forms,
            "evaluations": {e.id: e.title_en if lang == "en" and e.title_en else e.title_zh
                            for e in evaluations.values()},
            "sources": {s: label("source", s) for s in sorted({s for _, s in surveys})}}


def page_headers(response) -> None:
    """Every HTML page says which app version and which person it was made for: the worker
    keeps pages of other versions with their own assets, and forms per person."""
    if response.mimetype == "text/html" and current_user.is_authenticated:
        response.headers["X-App-Version"] = asset_version()
        response.headers["X-Evaluator-User"] = current_user.username


@lru_cache(maxsize=2)
def client_words(lang: str) -> dict[str, str]:
    """The words the tablet's scripts show, by their names (``tablet_words``)."""
    return tablet_words(lang)


def tablet_settings() -> dict[str, int]:
    config = current_app.config
    return {"upload_timeout": int(config.get("UPLOAD_TIMEOUT_SECONDS", 30)),
            "page_timeout": int(config.get("PAGE_TIMEOUT_SECONDS", 8)),
            "refresh_seconds": int(config.get("FORMS_REFRESH_SECONDS", 300))}


def service_worker_script() -> str:
    """/sw.js: the worker's source with its version, shell and settings in front."""
    source = (PACKAGE_DIR / "static" / "js" / "sw.js").read_text(encoding="utf-8")
    urls = asset_urls()
    settings = tablet_settings()
    shell = {"assets": [urls["app_css"], urls["css"], *(urls[name] for name in STATIC_JS)],
             "pages": [url_for(endpoint) for endpoint in SHELL_PAGES]}
    config = {"scripts": [urls["js/store.js"], urls["js/queue.js"]],
              "assignments": url_for("api.assignments"),
              "session": url_for("api.session_info"),
              "submissions": url_for("api.create_submission"),
              "uploadTimeout": settings["upload_timeout"],
              "pageTimeout": settings["page_timeout"],
              "refreshSeconds": settings["refresh_seconds"]}
    return (f"const VERSION = {json.dumps(asset_version())};\n"
            f"const SHELL = {json.dumps(shell)};\n"
            f"const CONFIG = {json.dumps(config)};\n" + source)
