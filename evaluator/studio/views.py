"""The studio's pages: the list of drafts and versions, the editor (saved as the author types,
checked by ``evaluator check``'s rules), the what-if comparison, publishing, a version's page,
the diff of two versions, YAML out and in, and moving an evaluation to a newer version.

Each handler loads, checks the role, acts through ``operations`` and hands the template plain
values. Saves name the lock version they started from (form field or ``If-Match``): a second
author's stale save is a 409 with their unsaved work shown, never an overwrite.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from evaluator.auth.models import User
from evaluator.definitions.problems import Problem
from evaluator.extensions import db_session, login_manager
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.views_common import load_evaluation, problem_lines
from evaluator.rubrics.method_table import SEVERITIES
from evaluator.rubrics.models import RubricVersion
from evaluator.rubrics.survey_references import ROSTER_COLUMNS
from evaluator.studio import editing, operations, whatif
from evaluator.studio.diff import diff
from evaluator.studio.forms import EditorForm, ImportForm, MoveForm, PublishForm, StartForm
from evaluator.studio.models import RubricDraft
from evaluator.studio.words import METHOD_WORDS, PARAM_WORDS, said
from evaluator.surveys.models import SurveyVersion
from evaluator.web.problems import problem_place, problems_text


def _author() -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    if not operations.can_author(current_user):
        abort(403)


def _draft(draft_id: int) -> RubricDraft:
    _author()
    draft = db_session().get(RubricDraft, draft_id)
    if draft is None:
        abort(404)
    return draft


def _version(version_id: int) -> RubricVersion:
    _author()
    version = db_session().get(RubricVersion, version_id)
    if version is None:
        abort(404)
    return version


def _names(ids: set[int | None]) -> dict[int, str]:
    ids.discard(None)
    if not ids:
        return {}
    return {u.id: u.display_name or u.username
            for u in db_session().scalars(select(User).where(User.id.in_(ids)))}


def _version_row(v: RubricVersion, names: dict[int, str]) -> dict[str, Any]:
    return {"id": v.id, "key": v.key, "version": v.version,
            "title": v.title_en if g.get("lang") == "en" and v.title_en else v.title_zh,
            "hash": v.content_hash, "published_at": v.created_at,
            "published_by": names.get(v.published_by_id or 0, ""),
            "note": v.change_note, "based_on_id": v.based_on_id}


# --------------------------------------------------------------------------- the list


@login_required
def index():
    _author()
    db = db_session()
    versions = list(db.scalars(select(RubricVersion).order_by(RubricVersion.key,
                                                              RubricVersion.id.desc())))
    drafts = list(db.scalars(select(RubricDraft).order_by(RubricDraft.status,
                                                          RubricDraft.updated_at.desc())))
    names = _names({v.published_by_id for v in versions} | {d.updated_by_id for d in drafts})
    by_id = {v.id: v for v in versions}
    return render_template(
        "studio/index.html",
        drafts=[{"id": d.id, "key": d.key, "version": str(d.content.get("version", "")),
                 "title": d.title_zh, "status": d.status, "updated_at": d.updated_at,
                 "updated_by": names.get(d.updated_by_id, ""),
                 "base": f"{by_id[d.base_version_id].key} {by_id[d.base_version_id].version}"
                 if d.base_version_id in by_id else "",
                 "published_version_id": d.published_version_id} for d in drafts],
        versions=[_version_row(v, names) for v in versions],
        shipped=[{"file": name, "id": data.get("id"), "version": data.get("version")}
                 for name, (_, data) in operations.shipped_rubrics().items()],
        start_form=StartForm(), import_form=ImportForm())


@login_required
def start():
    _author()
    form = StartForm()
    if not form.validate_on_submit():
        return _problems([f"{k}: {m}" for k, ms in form.errors.items() for m in ms])
    db = db_session()
    version = db.get(RubricVersion, form.version_id.data) if form.version_id.data else None
    try:
        draft = operations.start_draft(db, current_user, form.origin.data, version=version,
                                       shipped=form.shipped.data or None)
    except OperationError as error:
        return _problems(_lines(error), error.status)
    return redirect(url_for("studio.editor", draft_id=draft.id), 303)


@login_required
def import_rubric():
    _author()
    form = ImportForm()
    if not form.validate_on_submit():
        return _problems([f"{k}: {m}" for k, ms in form.errors.items() for m in ms])
    upload = form.file.data
    raw = upload.stream.read(operations.MAX_IMPORT_BYTES + 1)
    try:
        draft = operations.import_yaml(db_session(), current_user, upload.filename or "", raw)
    except OperationError as error:
        return _problems(_lines(error), error.status)
    return redirect(url_for("studio.editor", draft_id=draft.id), 303)


def _lines(error: OperationError) -> list[str]:
    """The refusal's problems as lines, each rule's problem in the page's language."""
    if error.problems and all(isinstance(p, Problem) for p in error.problems):
        lang = g.get("lang", "zh")
        return [": ".join(part for part in (p.file, problem_place(p, lang), said(p)) if part)
                for p in sorted(error.problems)]
    return problem_lines(error)


def _problems(lines: list[str], status: int = 400):
    return render_template("studio/problems.html", problems=lines), status


# --------------------------------------------------------------------------- the editor


def _etag(draft: RubricDraft) -> str:
    return f"draft-{draft.id}-{draft.lock_version}"


def _survey_choices(db, draft: RubricDraft) -> list[dict[str, Any]]:
    sources = draft.content.get("sources")
    wanted = [s for s in dict.fromkeys(sources.values() if isinstance(sources, dict) else ())
              if isinstance(s, str)]
    rows = []
    for survey_id in wanted:
        versions = list(db.scalars(select(SurveyVersion).where(SurveyVersion.key == survey_id)
                                   .order_by(SurveyVersion.id.desc())))
        rows.append({"survey": survey_id, "chosen": (draft.survey_version_ids or {}).get(
            survey_id), "versions": [{"id": v.id, "version": v.version, "title": v.title_zh}
                                     for v in versions]})
    return rows


def check_result(db, draft: RubricDraft) -> dict[str, Any]:
    """Problems (where, ``message`` as ``evaluator check`` prints it, ``text`` in the page's
    language) and totals of the draft as saved."""
    problems = operations.check_draft(db, draft)
    return {"problems": [{"where": p.where, "message": p.message, "text": said(p)}
                         for p in problems],
            "totals": editing.totals(draft.content)}


def _editor_page(draft: RubricDraft, *, status: int = 200, conflict: str = "",
                 unsaved: str = "", field_errors: dict[str, str] | None = None):
    db = db_session()
    surveys = operations.draft_surveys(db, draft)
    fields = editing.field_options(surveys, draft.content.get("sources"), g.get("lang", "zh"),
                                   ROSTER_COLUMNS)
    view = editing.content_to_view(draft.content, fields)
    checked = check_result(db, draft)
    places = editing.view_places(view)
    placed = editing.placed_problems(
        checked["problems"] + [{"where": k, "message": v} for k, v in (field_errors or {}).items()],
        places)
    base = db.get(RubricVersion, draft.base_version_id) if draft.base_version_id else None
    published = db.get(RubricVersion, draft.published_version_id) \
        if draft.published_version_id else None
    body = render_template(
        "studio/editor.html", draft={
            "id": draft.id, "status": draft.status, "lock_version": draft.lock_version,
            "etag": _etag(draft), "origin": draft.origin, "updated_at": draft.updated_at,
            "base": {"id": base.id, "label": f"{base.key} {base.version}"} if base else None,
            "published": {"id": published.id, "label": f"{published.key} {published.version}"}
            if published else None},
        rubric=view, checked=checked, placed=placed,
        methods={m: {"allowed": sorted(spec.allowed), "estimate": spec.estimate}
                 for m, spec in editing.METHODS.items()},
        surveys=_survey_choices(db, draft), targets=whatif.targets(db, current_user),
        method_words={k: str(v) for k, v in METHOD_WORDS.items()},
        param_words={k: str(v) for k, v in PARAM_WORDS.items()}, severities=SEVERITIES,
        form=EditorForm(), publish_form=PublishForm(), conflict=conflict, unsaved=unsaved)
    response = make_response(body, status)
    response.headers["ETag"] = f'"{_etag(draft)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _posted_content(draft: RubricDraft) -> tuple[dict[str, Any], dict[str, str], dict[str, int]]:
    content, errors = editing.form_to_content(request.form.items(multi=True))
    chosen = {}
    for name, value in request.form.items():
        if name.startswith("survey_version.") and value.isdigit() and len(value) < 10:
            chosen[name.partition(".")[2][:80]] = int(value)
    return content, errors, chosen


def _lock_from_request(form_value: int | None) -> int | None:
    match = request.headers.get("If-Match", "").strip('"').rpartition("-")[2]
    if match.isdigit() and len(match) < 10:
        return int(match)
    return form_value


@login_required
def editor(draft_id: int):
    draft = _draft(draft_id)
    if request.method == "GET":
        return _editor_page(draft)
    form = EditorForm()
    if not form.validate_on_submit():
        abort(400)
    content, errors, chosen = _posted_content(draft)
    action = request.form.get("do", "")[:200]
    if action:
        content = editing.apply_action(content, action)
    unsaved = editing.to_yaml(content)
    try:
        operations.save_draft(db_session(), current_user, draft, content, form.lock_version.data,
                              chosen)
    except operations.ConflictError as error:
        db_session().rollback()
        draft = db_session().get_one(RubricDraft, draft_id)
        return _editor_page(draft, status=409, conflict=error.message, unsaved=unsaved)
    except OperationError as error:
        return _problems(_lines(error), error.status)
    if errors:  # the rest is saved; the box that is no YAML says why beside it
        return _editor_page(draft, field_errors=errors)
    anchor = action.partition(":")[2] if action else ""
    return redirect(url_for("studio.editor", draft_id=draft.id) + (f"#{anchor}" if anchor else ""),
                    303)


@login_required
def autosave(draft_id: int):
    """The editor's live save: the form as it is now; answers the problems and totals."""
    draft = _draft(draft_id)
    form = EditorForm()
    lock = _lock_from_request(form.lock_version.data)
    content, errors, chosen = _posted_content(draft)
    try:
        operations.save_draft(db_session(), current_user, draft, content, lock, chosen)
    except operations.ConflictError as error:
        return jsonify({"message": error.message, "current": error.current,
                        "unsaved": editing.to_yaml(content)}), 409
    except OperationError as error:
        return jsonify({"message": error.message}), error.status
    result = check_result(db_session(), draft)
    result["problems"] += [{"where": k, "message": v} for k, v in errors.items()]
    result.update({"lock_version": draft.lock_version, "etag": _etag(draft),
                   "saved_at": draft.updated_at.isoformat(timespec="seconds") + "Z"})
    response = jsonify(result)
    response.headers["ETag"] = f'"{_etag(draft)}"'
    return response


@login_required
def check(draft_id: int):
    """The draft's problems and points as saved (what the editor shows beside its inputs)."""
    draft = _draft(draft_id)
    result = check_result(db_session(), draft)
    result.update({"lock_version": draft.lock_version, "etag": _etag(draft)})
    return jsonify(result)


@login_required
def publish(draft_id: int):
    draft = _draft(draft_id)
    form = PublishForm()
    if not form.validate_on_submit():
        return _problems([gettext("Say what changed and why in the change note.")]
                         if "change_note" in form.errors else
                         [f"{k}: {m}" for k, ms in form.errors.items() for m in ms])
    try:
        version = operations.publish_draft(db_session(), current_user, draft,
                                           form.change_note.data, form.lock_version.data)
    except OperationError as error:
        return _problems(_lines(error), error.status)
    return redirect(url_for("studio.version", version_id=version.id), 303)


def _yaml_response(content: dict[str, Any], name: str) -> Response:
    response = make_response(editing.to_yaml(content))
    response.headers["Content-Type"] = "application/yaml; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@login_required
def draft_yaml(draft_id: int):
    draft = _draft(draft_id)
    return _yaml_response(draft.content, _file_name(draft.key, draft.content.get("version")))


def _file_name(key: Any, version: Any) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{key}-{version}")
    return f"{safe[:100] or 'rubric'}.yaml"


# --------------------------------------------------------------------------- what-if


def _what_if(draft: RubricDraft):
    db = db_session()
    against = request.args.get("against", whatif.DEMO)[:40]
    try:
        evaluation = whatif.resolve(db, current_user, against)
    except LookupError:
        abort(404)
    base = db.get(RubricVersion, draft.base_version_id) if draft.base_version_id else None
    return whatif.run(db, draft.content, base, evaluation, current_app.instance_path)


@login_required
def what_if_page(draft_id: int):
    draft = _draft(draft_id)
    result = _what_if(draft)
    return render_template("studio/whatif.html", draft={"id": draft.id, "key": draft.key,
                                                        "version": draft.content.get("version")},
                           result=result, targets=whatif.targets(db_session(), current_user))


@login_required
def what_if_json(draft_id: int):
    """The draft's score sheet, as ``evaluator score --what-if --format json`` prints it."""
    draft = _draft(draft_id)
    result = _what_if(draft)
    if result.draft is None:
        return jsonify({"message": gettext("The draft cannot be scored on this data."),
                        "problems": result.problems}), 409
    response = make_response(result.draft_json)
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


# --------------------------------------------------------------------------- versions


@login_required
def version(version_id: int):
    stored = _version(version_id)
    db = db_session()
    names = _names({stored.published_by_id})
    base = db.get(RubricVersion, stored.based_on_id) if stored.based_on_id else None
    drafts = list(db.scalars(select(RubricDraft).where(
        RubricDraft.published_version_id == stored.id)))
    return render_template(
        "studio/version.html", version=_version_row(stored, names),
        base={"id": base.id, "label": f"{base.key} {base.version}"} if base else None,
        draft_id=drafts[0].id if drafts else None,
        changes=diff(base.content, stored.content) if base else None,
        totals=editing.totals(stored.content), start_form=StartForm())


@login_required
def version_yaml(version_id: int):
    stored = _version(version_id)
    return _yaml_response(stored.content, _file_name(stored.key, stored.version))


@login_required
def compare_versions():
    _author()
    db = db_session()
    versions = list(db.scalars(select(RubricVersion).order_by(RubricVersion.key,
                                                              RubricVersion.id)))
    by_id = {v.id: v for v in versions}

    def pick(name: str) -> RubricVersion | None:
        value = request.args.get(name, "")
        return by_id.get(int(value)) if value.isdigit() and len(value) < 10 else None

    a, b = pick("a"), pick("b")
    if (request.args.get("a") and a is None) or (request.args.get("b") and b is None):
        abort(404)
    return render_template(
        "studio/diff.html", versions=[_version_row(v, {}) for v in versions],
        a={"id": a.id, "label": f"{a.key} {a.version}"} if a else None,
        b={"id": b.id, "label": f"{b.key} {b.version}"} if b else None,
        changes=diff(a.content, b.content) if a and b else None)


# --------------------------------------------------------------------------- evaluations


def move_evaluation(evaluation_id: int):
    evaluation, _ = load_evaluation(evaluation_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    db = db_session()
    version = db.get(RubricVersion, form.version_id.data)
    if version is None:
        abort(404)
    try:
        operations.move_evaluation(db, current_user, evaluation, version)
    except OperationError as error:
        return _problems(_lines(error), error.status)
    flash(gettext("The evaluation now uses rubric %(version)s.",
                  version=f"{version.key} {version.version}"))
    return redirect(url_for("fieldwork.evaluation", evaluation_id=evaluation.id), 303)


def rubric_updates(evaluation_id: int) -> dict[str, Any] | None:
    """For the evaluation page (a template global) and the refused-rubric page: why the
    evaluation's rubric version is refused (for everyone on the evaluation), and the versions
    a lead may move it to — newer ones while it is being set up, or, when its version is
    refused, any published version that passes, in any state. None: nothing to say."""
    from evaluator.fieldwork.models import Evaluation
    from evaluator.fieldwork.permissions import member_role
    from evaluator.fieldwork.queries import rubric_refusal

    db = db_session()
    evaluation = db.get(Evaluation, evaluation_id)
    if evaluation is None:
        return None
    role = member_role(db, current_user, evaluation.id)
    refused = rubric_refusal(db, evaluation) if role else None
    if refused is None and (evaluation.status != "setup" or role != "lead"):
        return None
    if role != "lead":
        targets = []
    elif refused is not None:
        targets = operations.rebind_targets(db, evaluation)
    else:
        targets = operations.newer_versions(db, evaluation)
    if refused is None and not targets:
        return None
    current = db.get_one(RubricVersion, evaluation.rubric_version_id)
    return {"current": f"{current.key} {current.version}",
            "refused": problems_text(refused.found, g.get("lang", "zh")) if refused else [],
            "lead": role == "lead",
            "newer": [{"id": v.id, "label": f"{v.key} {v.version}", "note": v.change_note}
                      for v in targets], "form": MoveForm()}
