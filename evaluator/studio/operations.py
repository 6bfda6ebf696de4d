"""What the studio changes: drafts started, saved and published, evaluations moved to a newer
rubric version. Each operation takes the acting user, checks, refuses with ``OperationError``
(a message and an HTTP status), audits what matters and only flushes: the request commits once.

Checking a draft is ``evaluator check``'s own rule set (``rubric_problems``) run against the
survey versions the draft names, so the studio and the command line cannot disagree.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from evaluator.db import utcnow
from evaluator.definitions.problems import DefinitionError, Problem
from evaluator.fieldwork.audit import OperationError, audit, require_lead
from evaluator.fieldwork.forms import survey_of
from evaluator.fieldwork.models import Evaluation, Finding, Judgement
from evaluator.fieldwork.queries import rubric_refusal, surveys_by_id
from evaluator.paths import RUBRICS_DIR
from evaluator.rubrics.definition import content_hash, rubric_from_data
from evaluator.rubrics.models import RubricVersion
from evaluator.rubrics.validation import rubric_problems
from evaluator.rubrics.yaml_reading import parse_yaml
from evaluator.studio.models import RubricDraft
from evaluator.surveys.definition import Survey
from evaluator.surveys.models import SurveyVersion

AUTHOR_ROLES = ("admin", "author")
#: The longest rubric YAML an import reads (the shipped rubric is 20 kB).
MAX_IMPORT_BYTES = 1024 * 1024
MAX_NOTE = 2000


class ConflictError(OperationError):
    """The draft was saved by someone else since this page loaded it."""

    def __init__(self, message: str, current: int | None):
        super().__init__(message, 409)
        self.current = current


def can_author(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in AUTHOR_ROLES


def require_author(user: Any) -> None:
    if not can_author(user):
        raise OperationError(gettext("only rubric authors and administrators can do this"), 403)


def checked_change_note(change_note: str | None) -> str:
    """The change note a published version carries (a rubric's or a survey's): required, and
    at most MAX_NOTE characters."""
    note = (change_note or "").strip()
    if not note:
        raise OperationError(gettext("change_note: say what changed and why (it is shown "
                                     "beside the version)"), 400)
    if len(note) > MAX_NOTE:
        raise OperationError(gettext("change_note: at most %(n)d characters", n=MAX_NOTE), 400)
    return note


# --------------------------------------------------------------------------- starting


def shipped_rubrics() -> dict[str, tuple[Path, dict[str, Any]]]:
    """The rubric files shipped with the product, by file name."""
    found = {}
    for path in sorted(RUBRICS_DIR.glob("*.yaml")):
        data = parse_yaml(path.read_bytes(), path.name)
        if isinstance(data, dict) and "dimensions" in data:
            found[path.name] = (path, data)
    return found


def next_version(db: Session, key: str, version: str) -> str:
    """A version not stored yet for ``key``: the last number of ``version`` raised by one
    (2026.1 -> 2026.2; 3 -> 4; v2-final -> v3-final), or ``version.1`` without a number."""
    taken = set(db.scalars(select(RubricVersion.version).where(RubricVersion.key == key)))
    candidate = version
    for _ in range(1000):
        numbers = list(re.finditer(r"\d+", candidate))
        if numbers:
            last = numbers[-1]
            candidate = f"{candidate[:last.start()]}{int(last.group()) + 1}{candidate[last.end():]}"
        else:
            candidate = f"{candidate}.1"
        if candidate not in taken:
            return candidate
    raise OperationError(gettext("no free version after %(version)s", version=version), 409)


def start_draft(db: Session, user: Any, origin: str, *, version: RubricVersion | None = None,
                shipped: str | None = None, content: Mapping[str, Any] | None = None
                ) -> RubricDraft:
    """A new draft from the shipped rubric file ``shipped``, from the stored ``version`` (as
    its next version), blank, or from imported ``content``."""
    require_author(user)
    base: RubricVersion | None = None
    if origin == "version":
        if version is None:
            raise OperationError(gettext("choose the stored version to start from"), 400)
        base, data = version, copy.deepcopy(version.content)
    elif origin == "shipped":
        files = shipped_rubrics()
        if shipped not in files:
            raise OperationError(gettext("no shipped rubric %(name)r", name=shipped), 404)
        data = files[shipped][1]
        base = _stored(db, data.get("id"), data.get("version"))
    elif origin == "blank":
        from evaluator.studio.editing import blank_rubric

        data = blank_rubric()
    elif origin == "import":
        if not isinstance(content, Mapping):  # the rules say what a rubric is
            raise OperationError(gettext("this is not a rubric"), 400,
                                 rubric_problems(content, "rubric.yaml"))
        data = copy.deepcopy(dict(content))
        key = data.get("id")
        if isinstance(key, str):
            base = db.scalar(select(RubricVersion).where(RubricVersion.key == key)
                             .order_by(RubricVersion.id.desc()).limit(1))
    else:
        raise OperationError(gettext("unknown start %(origin)r", origin=origin), 400)
    if origin in ("version", "shipped") and isinstance(data.get("id"), str):
        data["version"] = next_version(db, data["id"], str(data.get("version") or "1"))
    draft = RubricDraft(content=data, origin=origin, base_version_id=base.id if base else None,
                        created_by_id=user.id, updated_by_id=user.id,
                        survey_version_ids=_default_surveys(db, data))
    _mirror(draft, data)
    db.add(draft)
    db.flush()
    audit(db, user, None, "rubric_draft.create", "rubric_draft", draft.id, None,
          {"origin": origin, "key": draft.key, "version": str(data.get("version", "")),
           "base": f"{base.key} {base.version}" if base else None})
    return draft


def import_yaml(db: Session, user: Any, filename: str, raw: bytes) -> RubricDraft:
    """A draft from an uploaded rubric YAML; a file that is no YAML is refused with its line."""
    require_author(user)
    name = Path(filename or "rubric.yaml").name[-120:] or "rubric.yaml"
    if len(raw) > MAX_IMPORT_BYTES:
        raise OperationError(gettext("%(name)s: larger than %(kb)d kB; a rubric is a few dozen "
                                     "kB", name=name, kb=MAX_IMPORT_BYTES // 1024), 413)
    if not raw.strip():
        raise OperationError(gettext("%(name)s: the file is empty", name=name), 400)
    try:
        data = parse_yaml(raw, name)
    except DefinitionError as error:
        raise OperationError(gettext("%(name)s is not a rubric YAML file", name=name), 400,
                             error.problems) from None
    return start_draft(db, user, "import", content=data)


def _stored(db: Session, key: Any, version: Any) -> RubricVersion | None:
    if not isinstance(key, str):
        return None
    return db.scalar(select(RubricVersion).where(RubricVersion.key == key,
                                                 RubricVersion.version == str(version)))


def _default_surveys(db: Session, content: Mapping[str, Any]) -> dict[str, int]:
    """The newest stored version of every survey the rubric's sources name."""
    chosen: dict[str, int] = {}
    sources = content.get("sources")
    for survey_id in (sources.values() if isinstance(sources, Mapping) else ()):
        if isinstance(survey_id, str) and survey_id not in chosen:
            found = db.scalar(select(SurveyVersion.id).where(SurveyVersion.key == survey_id)
                              .order_by(SurveyVersion.id.desc()).limit(1))
            if found is not None:
                chosen[survey_id] = found
    return chosen


def _mirror(draft: RubricDraft, content: Mapping[str, Any]) -> None:
    key, title = content.get("id"), content.get("title")
    draft.key = key[:80] if isinstance(key, str) else ""
    zh = title.get("zh") if isinstance(title, Mapping) else title
    draft.title_zh = zh[:200] if isinstance(zh, str) else ""


# --------------------------------------------------------------------------- saving


def require_editable(draft: RubricDraft) -> None:
    if draft.status != "editing":
        raise OperationError(gettext("this draft was published and never changes; start a new "
                                     "draft from its version to change it"), 409)


def save_draft(db: Session, user: Any, draft: RubricDraft, content: Mapping[str, Any],
               lock_version: int | None, surveys: Mapping[str, int] | None = None) -> None:
    """Store the author's content if nobody saved the draft since ``lock_version``."""
    require_author(user)
    require_editable(draft)
    if lock_version != draft.lock_version:
        raise ConflictError(gettext("someone else saved this draft since you opened it; reload "
                                    "to see their version (your changes were not saved)"),
                            draft.lock_version)
    chosen = dict(surveys) if surveys is not None else dict(draft.survey_version_ids or {})
    chosen.update({k: v for k, v in _default_surveys(db, content).items() if k not in chosen})
    # one UPDATE per save: the lock version moves by one
    draft.content = copy.deepcopy(dict(content))
    if chosen != draft.survey_version_ids:
        draft.survey_version_ids = chosen
    _mirror(draft, content)
    draft.updated_by_id = user.id
    draft.updated_at = utcnow()
    try:
        db.flush()
    except StaleDataError:
        raise ConflictError(gettext("someone else saved this draft at the same moment; reload "
                                    "to see their version"), None) from None


# --------------------------------------------------------------------------- checking


def draft_surveys(db: Session, draft: RubricDraft) -> dict[str, Survey]:
    """survey id -> the Survey the draft is checked against: the version the draft chose for
    each survey it names, the newest stored version of every other one (as ``evaluator
    check rubrics surveys`` checks against every survey in the folder)."""
    newest = db.execute(select(SurveyVersion.key, func.max(SurveyVersion.id))
                        .group_by(SurveyVersion.key)).all()
    ids = {key: version_id for key, version_id in newest}
    ids.update(draft.survey_version_ids or {})
    surveys = {}
    for survey_id, version_id in ids.items():
        version = db.get(SurveyVersion, version_id)
        if version is not None and version.key == survey_id:
            surveys[survey_id] = survey_of(version.key, version.version, version.content,
                                           version.content_hash)
    return surveys


def check_content(content: Any, surveys: Mapping[str, Any], file: str = "draft"
                  ) -> list[Problem]:
    """``evaluator check``'s problems of this content against these surveys (the command's
    own function, so the same problems in the same words)."""
    return rubric_problems(content, file, surveys)


def check_draft(db: Session, draft: RubricDraft) -> list[Problem]:
    return check_content(draft.content, draft_surveys(db, draft), draft_file(draft))


def draft_file(draft: RubricDraft) -> str:
    return f"{draft.key or 'rubric'}.yaml"


# --------------------------------------------------------------------------- publishing


def publish_draft(db: Session, user: Any, draft: RubricDraft, change_note: str,
                  lock_version: int | None) -> RubricVersion:
    """Freeze the draft into a stored version: refused while any rule fails, when the note
    is missing, or when the version exists already."""
    require_author(user)
    require_editable(draft)
    if lock_version != draft.lock_version:
        raise ConflictError(gettext("someone else saved this draft since you opened it; reload "
                                    "and check their version before publishing"),
                            draft.lock_version)
    note = checked_change_note(change_note)
    problems = check_draft(db, draft)
    if problems:
        raise OperationError(gettext("%(n)d problem(s): a rubric with problems cannot be "
                                     "published", n=len(problems)), 400, problems)
    content = copy.deepcopy(draft.content)
    key, version = content["id"], str(content["version"])
    if _stored(db, key, version) is not None:
        raise OperationError("version: " + gettext(
            "%(key)s version %(version)s is published already; published versions never "
            "change, so give this one a new version", key=key, version=version), 409)
    title = content.get("title")
    title = title if isinstance(title, Mapping) else {"zh": title}
    stored = RubricVersion(key=key, version=version, title_zh=str(title.get("zh", ""))[:200],
                           title_en=str(title.get("en", ""))[:200], status="published",
                           content_hash=content_hash(content), content=content,
                           published_by_id=user.id, based_on_id=draft.base_version_id,
                           change_note=note)
    db.add(stored)
    db.flush()
    draft.status = "published"
    draft.published_version_id = stored.id
    draft.updated_by_id = user.id
    draft.updated_at = utcnow()
    db.flush()
    audit(db, user, None, "rubric.publish", "rubric", f"{key} {version}", None,
          {"hash": stored.content_hash, "based_on": draft.base_version_id, "note": note})
    return stored


# --------------------------------------------------------------------------- evaluations


def newer_versions(db: Session, evaluation: Evaluation) -> list[RubricVersion]:
    """Published versions of the evaluation's rubric stored after the one it uses."""
    current = db.get(RubricVersion, evaluation.rubric_version_id)
    if current is None:
        return []
    return list(db.scalars(select(RubricVersion).where(
        RubricVersion.key == current.key, RubricVersion.status == "published",
        RubricVersion.id > current.id).order_by(RubricVersion.id.desc())))


def rebind_targets(db: Session, evaluation: Evaluation) -> list[RubricVersion]:
    """For an evaluation whose version today's rubric rules refuse: the other published
    versions of its rubric that pass those rules with the evaluation's surveys, newest first."""
    current = db.get(RubricVersion, evaluation.rubric_version_id)
    if current is None:
        return []
    surveys = surveys_by_id(db, evaluation.id)
    found = []
    for version in db.scalars(select(RubricVersion).where(
            RubricVersion.key == current.key, RubricVersion.status == "published",
            RubricVersion.id != current.id).order_by(RubricVersion.id.desc())):
        try:
            rubric_from_data(version.content, f"{version.key} {version.version}", surveys)
        except DefinitionError:
            continue
        found.append(version)
    return found


def move_evaluation(db: Session, user: Any, evaluation: Evaluation,
                    version: RubricVersion) -> None:
    """Move an evaluation still being set up to a newer version of its rubric; the new
    version must fit the evaluation's surveys. An evaluation whose version the rubric rules
    now refuse is re-bound in any state (fieldwork, finished) to a version that passes: its
    records, findings and judgements stay as they are and are scored on the new version.
    Audited with both versions (and, for a re-bind, the rules that refused the old one)."""
    require_lead(db, user, evaluation)
    current = db.get(RubricVersion, evaluation.rubric_version_id)
    refused = rubric_refusal(db, evaluation)
    if refused is not None:
        if version.id not in {v.id for v in rebind_targets(db, evaluation)}:
            raise OperationError(gettext(
                "rubric: %(version)s is not a published version of %(current)s that passes "
                "today's rubric rules with this evaluation's surveys",
                version=f"{version.key} {version.version}",
                current=current.key if current else "–"), 400)
    elif evaluation.status != "setup":
        raise OperationError(gettext("only an evaluation being set up may change its rubric "
                                     "version; once fieldwork starts, the version it was "
                                     "created with stays"), 409)
    elif version.id not in {v.id for v in newer_versions(db, evaluation)}:
        raise OperationError(gettext("rubric: %(version)s is not a newer published version of "
                                     "%(current)s", version=f"{version.key} {version.version}",
                                     current=current.key if current else "–"), 400)
    try:
        new_rubric = rubric_from_data(version.content, f"{version.key} {version.version}",
                                      surveys_by_id(db, evaluation.id))
    except DefinitionError as error:
        raise OperationError(gettext("%(version)s does not fit this evaluation's surveys",
                                     version=f"{version.key} {version.version}"), 400,
                             error.problems) from None
    old: dict[str, Any] = {"rubric": f"{current.key} {current.version}" if current else None}
    new: dict[str, Any] = {"rubric": f"{version.key} {version.version}"}
    if refused is not None:
        old["refused_by"] = refused.problems
        new["status"] = evaluation.status
        codes = {i.code for i in new_rubric.indicators}
        named = set(db.scalars(select(Finding.indicator).where(
            Finding.evaluation_id == evaluation.id))) | set(db.scalars(select(
                Judgement.indicator).where(Judgement.evaluation_id == evaluation.id)))
        if named - codes:  # kept, and named by the bundle check until the lead edits them
            new["indicators_not_in_version"] = sorted(named - codes)
    evaluation.rubric_version_id = version.id
    db.flush()
    audit(db, user, evaluation.id, "evaluation.rubric", "evaluation", evaluation.id, old, new)
