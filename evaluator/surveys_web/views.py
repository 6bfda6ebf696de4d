"""The survey pages: the list (stored versions, uploads, the upload form), an upload's page
(every warning by sheet, row and column; publish), the preview (the tablet's own questionnaire
page and scripts, nothing stored), a version's page and its XLSForm and YAML downloads.

Each handler checks the role (authors and administrators), acts through ``operations`` and
hands the template plain values.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, g, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from evaluator.extensions import db_session
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.client_model import client_model
from evaluator.fieldwork.collect import tablet
from evaluator.fieldwork.forms import build_form, layout, paged, pages, survey_of
from evaluator.studio.views import _author, _names
from evaluator.surveys.models import SurveyVersion
from evaluator.surveys.tables import MAX_FILE_BYTES
from evaluator.surveys.xlsform import MAX_WORKBOOK_BYTES
from evaluator.surveys_web import operations
from evaluator.surveys_web.forms import PublishForm, UploadForm
from evaluator.surveys_web.models import SurveyUpload
from evaluator.surveys_web.words import note_in, problem_rows
from evaluator.web.problems import message_text

#: Uploads listed on the surveys page (the newest first).
UPLOADS_SHOWN = 30


def _upload(upload_id: int) -> SurveyUpload:
    _author()
    found = db_session().get(SurveyUpload, upload_id)
    if found is None:
        abort(404)
    return found


def _version(version_id: int) -> SurveyVersion:
    _author()
    found = db_session().get(SurveyVersion, version_id)
    if found is None:
        abort(404)
    return found


def _title(title_zh: str, content: dict[str, Any]) -> str:
    titles = content.get("title") or {}
    return str(titles.get(g.get("lang", "zh")) or title_zh or next(iter(titles.values()), ""))


def _version_row(v: SurveyVersion, names: dict[int, str]) -> dict[str, Any]:
    return {"id": v.id, "key": v.key, "version": v.version, "source": v.source,
            "title": v.title_en if g.get("lang") == "en" and v.title_en else v.title_zh,
            "hash": v.content_hash, "published_at": v.created_at,
            "published_by": names.get(v.published_by_id or 0, ""), "note": v.change_note,
            "rows": _question_count(v.content), "files": sorted(v.content.get("files") or {})}


def _question_count(content: dict[str, Any]) -> int:
    return sum(1 for row in content.get("survey") or []
               if not str(row.get("type", "")).startswith(("end", "begin")))


# --------------------------------------------------------------------------- the list


def _index_page(*, problems: list[dict[str, str]] | None = None, refused: str = "",
                form: UploadForm | None = None, status: int = 200):
    db = db_session()
    versions = list(db.scalars(select(SurveyVersion).order_by(SurveyVersion.key,
                                                              SurveyVersion.id.desc())))
    uploads = list(db.scalars(select(SurveyUpload).order_by(SurveyUpload.id.desc())
                              .limit(UPLOADS_SHOWN)))
    names = _names({v.published_by_id for v in versions} | {u.uploaded_by_id for u in uploads})
    body = render_template(
        "surveys/index.html", form=form or UploadForm(),
        versions=[_version_row(v, names) for v in versions],
        uploads=[{"id": u.id, "key": u.key, "version": u.version, "file": u.filename,
                  "title": _title(u.title_zh, u.content), "status": u.status,
                  "warnings": len(u.warnings or []), "at": u.created_at,
                  "by": names.get(u.uploaded_by_id, ""),
                  "version_id": u.published_version_id} for u in uploads],
        problems=problem_rows(problems or [], g.get("lang", "zh")), refused=refused,
        limits={"workbook_mb": MAX_WORKBOOK_BYTES // 2**20, "file_mb": MAX_FILE_BYTES // 2**20,
                "files": operations.MAX_ATTACHMENTS})
    return body, status


@login_required
def index():
    _author()
    return _index_page()


def _read(storage: Any, limit: int) -> operations.UploadedFile:
    """The uploaded file's bytes, never more than ``limit`` + 1 read."""
    data = storage.stream.read(limit + 1)
    return operations.UploadedFile(storage.filename or "", data[:limit], len(data) > limit)


def _problem_dicts(error: OperationError) -> list[dict[str, str]]:
    lang = g.get("lang", "zh")
    found = [{"file": getattr(p, "file", ""), "where": getattr(p, "where", ""),
              "message": getattr(p, "message", str(p)),
              "said": message_text(p, lang) if getattr(p, "code", "") else ""}
             for p in error.problems]
    return found or [{"file": "", "where": "", "message": error.message}]


@login_required
def upload():
    _author()
    form = UploadForm()
    if not form.validate_on_submit():
        problems = [{"file": "", "where": "", "message": f"{k}: {m}"}
                    for k, ms in form.errors.items() for m in ms]
        return _index_page(problems=problems, form=form,
                           refused=gettext("The upload was refused."), status=400)
    workbook = _read(form.workbook.data, operations.MAX_WORKBOOK_BYTES)
    files = [_read(f, MAX_FILE_BYTES) for f in (form.attachments.data or [])
             if getattr(f, "filename", "")][:operations.MAX_ATTACHMENTS + 1]
    try:
        stored = operations.import_upload(db_session(), current_user, workbook, files,
                                          form.language.data or None)
    except OperationError as error:
        return _index_page(problems=_problem_dicts(error), form=form, refused=error.message,
                           status=error.status)
    return redirect(url_for("surveys.upload_page", upload_id=stored.id), 303)


# --------------------------------------------------------------------------- an upload


def _upload_page(found: SurveyUpload, *, form: PublishForm | None = None,
                 problems: list[dict[str, str]] | None = None, status: int = 200):
    db = db_session()
    if problems is not None:
        blocking = problems
    elif found.status == "imported":
        blocking = [{"file": p.file, "where": p.where, "message": p.message}
                    for p in operations.upload_problems(db, found)]
    else:
        blocking = []
    names = _names({found.uploaded_by_id})
    lang = g.get("lang", "zh")
    body = render_template(
        "surveys/upload.html", upload={
            "id": found.id, "key": found.key, "version": found.version,
            "file": found.filename, "title": _title(found.title_zh, found.content),
            "status": found.status, "at": found.created_at,
            "by": names.get(found.uploaded_by_id, ""),
            "notes": [note_in(n, lang) for n in found.notes or []],
            "attached": found.attached or [], "files": sorted(found.content.get("files") or {}),
            "rows": _question_count(found.content),
            "languages": sorted({*(found.content.get("title") or {})}),
            "version_id": found.published_version_id},
        warnings=problem_rows(found.warnings or [], lang),
        blocking=problem_rows(blocking, lang), form=form or PublishForm())
    return body, status


@login_required
def upload_page(upload_id: int):
    return _upload_page(_upload(upload_id))


@login_required
def publish(upload_id: int):
    found = _upload(upload_id)
    form = PublishForm()
    if not form.validate_on_submit():
        problems = [{"file": "", "where": "", "message": f"{k}: {m}"}
                    for k, ms in form.errors.items() for m in ms]
        return _upload_page(found, form=form, problems=problems, status=400)
    try:
        version = operations.publish_upload(db_session(), current_user, found,
                                            form.change_note.data or "")
    except OperationError as error:
        return _upload_page(found, form=form, problems=_problem_dicts(error),
                            status=error.status)
    return redirect(url_for("surveys.version_page", version_id=version.id), 303)


# --------------------------------------------------------------------------- preview


def _preview(content: dict[str, Any], key: str, version: str, back: str, digest: str = ""):
    """The tablet's questionnaire for ``content``: its renderer and its scripts (one page at a
    time for a ``style: pages`` survey), without the script that stores drafts and queues
    records (record.js); nothing is sent or kept."""
    # cached by key, version and content hash, as the tablet's pages are (a new Survey per
    # request would add a form class to build_form's cache on every preview)
    survey = survey_of(key, version, content, digest)
    form = build_form(survey)(formdata=None, meta={"csrf": False}, context={})
    items = layout(form, g.get("lang", "zh"))
    return render_template(
        "surveys/preview.html", items=items, pages=pages(items) if paged(survey) else None,
        model=client_model(form.model), context={}, assets=tablet.asset_urls(),
        page={"title": survey.title_in(g.get("lang", "zh")), "key": key, "version": version,
              "back": back, "languages": list(survey.languages)})


@login_required
def upload_preview(upload_id: int):
    found = _upload(upload_id)
    return _preview(found.content, found.key, found.version,
                    url_for("surveys.upload_page", upload_id=found.id))


@login_required
def version_preview(version_id: int):
    found = _version(version_id)
    return _preview(found.content, found.key, found.version,
                    url_for("surveys.version_page", version_id=found.id), found.content_hash)


# --------------------------------------------------------------------------- a version


@login_required
def version_page(version_id: int):
    found = _version(version_id)
    db = db_session()
    others = list(db.scalars(select(SurveyVersion).where(SurveyVersion.key == found.key)
                             .order_by(SurveyVersion.id.desc())))
    names = _names({v.published_by_id for v in others})
    return render_template("surveys/version.html", version=_version_row(found, names),
                           others=[_version_row(v, names) for v in others if v.id != found.id])


def _download(data: bytes, name: str, media_type: str) -> Response:
    response = Response(data, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@login_required
def version_xlsform(version_id: int):
    found = _version(version_id)
    name, data, media_type = operations.survey_workbook(
        found.content, operations.file_stem(found.key, found.version))
    return _download(data, name, media_type)


@login_required
def version_yaml(version_id: int):
    found = _version(version_id)
    return _download(operations.survey_yaml(found.content).encode("utf-8"),
                     operations.file_stem(found.key, found.version) + ".yaml",
                     "application/yaml; charset=utf-8")


# --------------------------------------------------------------------------- the URLs

RULES = (
    ("/studio/surveys", "index", index, ("GET",)),
    ("/studio/surveys/upload", "upload", upload, ("POST",)),
    ("/studio/surveys/uploads/<int:upload_id>", "upload_page", upload_page, ("GET",)),
    ("/studio/surveys/uploads/<int:upload_id>/preview", "upload_preview", upload_preview,
     ("GET",)),
    ("/studio/surveys/uploads/<int:upload_id>/publish", "publish", publish, ("POST",)),
    ("/studio/surveys/versions/<int:version_id>", "version_page", version_page, ("GET",)),
    ("/studio/surveys/versions/<int:version_id>/preview", "version_preview", version_preview,
     ("GET",)),
    ("/studio/surveys/versions/<int:version_id>/xlsform", "version_xlsform", version_xlsform,
     ("GET",)),
    ("/studio/surveys/versions/<int:version_id>/survey.yaml", "version_yaml", version_yaml,
     ("GET",)),
)
