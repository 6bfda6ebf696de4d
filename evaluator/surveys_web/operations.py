"""What the survey pages change: an XLSForm upload imported, an upload published as a survey
version, a stored version written back out. Each operation takes the acting user, checks,
refuses with ``OperationError`` (a message, an HTTP status and the problems, each naming the
file, sheet, row and column), audits what matters and only flushes: the request commits once.

The workbook and its attached files are bounded before anything parses them, written to a
private temporary folder and read by ``read_xlsform`` with that folder as ``--attach``: the
same call ``evaluator xlsform import WORKBOOK --attach FOLDER`` makes, so the browser and the
command line cannot import a form differently.
"""

from __future__ import annotations

import copy
import io
import re
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluator.definitions.problems import DefinitionError, Problem, relocated
from evaluator.fieldwork.audit import OperationError, audit
from evaluator.rubrics.definition import content_hash
from evaluator.studio.operations import checked_change_note, require_author
from evaluator.surveys.models import SurveyVersion
from evaluator.surveys.subset import LANGUAGE_RE
from evaluator.surveys.tables import FILE_SUFFIXES, MAX_FILE_BYTES
from evaluator.surveys.validation import survey_problems
from evaluator.surveys.xlsform import MAX_WORKBOOK_BYTES, WORKBOOK_SUFFIXES, read_xlsform
from evaluator.surveys.xlsform_export import export_xlsform
from evaluator.surveys.yaml_io import dump_survey
from evaluator.surveys_web.models import SurveyUpload

#: At most this many CSV/XML files with one workbook (a form with more lists is rare).
MAX_ATTACHMENTS = 20
_SAFE_NAME = re.compile(r"[^\w.\-]+")


@dataclass(frozen=True)
class UploadedFile:
    """A file as the browser sent it: its name (as the author's computer called it) and bytes
    (read with a bound: ``too_large`` when the stream had more than the bound)."""

    name: str
    data: bytes
    too_large: bool = False


def _plain_name(name: str, fallback: str) -> str:
    """The file's own name, without folders, in characters safe on any disk."""
    base = Path((name or "").replace("\\", "/")).name.strip()
    return (_SAFE_NAME.sub("_", base).strip("._") or fallback)[-120:]


def _refuse(file: str, message: str, status: int = 400, where: str = "") -> OperationError:
    return OperationError(f"{file}: {message}", status, [Problem(file, where, message)])


def _check_files(workbook: UploadedFile, attachments: Sequence[UploadedFile]
                 ) -> tuple[str, list[tuple[str, bytes]]]:
    """The workbook's name and the attachments (name, bytes), every bound checked first."""
    name = _plain_name(workbook.name, "form.xlsx")
    if Path(name).suffix.lower() not in WORKBOOK_SUFFIXES:
        raise _refuse(name, gettext("an XLSForm is an .xlsx, .xlsm or .xls workbook"), 415)
    if workbook.too_large or len(workbook.data) > MAX_WORKBOOK_BYTES:
        raise _refuse(name, gettext("larger than %(mb)d MB; a questionnaire workbook is rarely "
                                    "above 1 MB", mb=MAX_WORKBOOK_BYTES // 2**20), 413)
    if not workbook.data:
        raise _refuse(name, gettext("the file is empty"))
    files = [a for a in attachments if a.name or a.data]
    if len(files) > MAX_ATTACHMENTS:
        raise _refuse(name, gettext("at most %(n)d attached files with one form", n=MAX_ATTACHMENTS),
                      413)
    kept: list[tuple[str, bytes]] = []
    for attachment in files:
        file = _plain_name(attachment.name, "file.csv")
        if Path(file).suffix.lower() not in FILE_SUFFIXES:
            raise _refuse(file, gettext("an attached file is a .csv or .xml file the form reads"),
                          415)
        if attachment.too_large or len(attachment.data) > MAX_FILE_BYTES:
            raise _refuse(file, gettext("larger than %(mb)d MB; an attached file holds at most "
                                        "%(mb)d MB", mb=MAX_FILE_BYTES // 2**20), 413)
        if file in {k for k, _ in kept}:
            raise _refuse(file, gettext("sent twice; send each attached file once"))
        kept.append((file, attachment.data))
    return name, kept


def import_upload(db: Session, user: Any, workbook: UploadedFile,
                  attachments: Sequence[UploadedFile] = (), language: str | None = None
                  ) -> SurveyUpload:
    """Import an uploaded XLSForm with its attached files and keep the result for preview and
    publishing. A form the importer refuses raises with every problem (nothing is stored)."""
    require_author(user)
    if language and not LANGUAGE_RE.fullmatch(language):
        raise OperationError(gettext("language: a language code such as zh or en"), 400)
    name, files = _check_files(workbook, attachments)
    with tempfile.TemporaryDirectory(prefix="evaluator-xlsform-") as folder:
        root = Path(folder)
        (root / "form").mkdir()
        (root / "files").mkdir()
        path = root / "form" / name
        path.write_bytes(workbook.data)
        for file, body in files:
            (root / "files" / file).write_bytes(body)
        try:
            imported = read_xlsform(path, language=language or None,
                                    attachments=[root / "files"])
        except DefinitionError as error:
            problems = [_named(p, name, root) for p in error.problems]
            raise OperationError(gettext("%(file)s: not imported, %(n)d problem(s)", file=name,
                                         n=len(problems)), 400, problems) from None
        warnings = [_named(w, name, root) for w in imported.warnings]
    data = imported.data
    unused = sorted(f for f, _ in files if f not in (data.get("files") or {}))
    warnings += [Problem(f, "", "the form does not read this file: not kept") for f in unused]
    title = data.get("title") or {}
    upload = SurveyUpload(
        key=str(data["id"])[:80], version=str(data["version"])[:40],
        title_zh=str(title.get("zh") or title.get(data.get("default_language"), ""))[:200],
        filename=name, content=data,
        warnings=[{"file": w.file, "where": w.where, "message": w.message} for w in warnings],
        notes=list(imported.notes), attached=[f for f, _ in files], uploaded_by_id=user.id)
    db.add(upload)
    db.flush()
    audit(db, user, None, "survey_upload.create", "survey_upload", upload.id, None,
          {"file": name, "key": upload.key, "version": upload.version,
           "attached": upload.attached, "warnings": len(warnings)})
    return upload


def _named(problem: Problem, name: str, root: Path) -> Problem:
    """The problem as the author sees it: the uploaded file's name, not the temporary path."""
    def plain(text: str) -> str:
        for folder in (root / "files", root / "form", root):
            text = text.replace(str(folder) + "/", "").replace(str(folder), "")
        return text

    file = name if problem.file.startswith(str(root)) else plain(problem.file)
    if plain(problem.message) == problem.message:  # its code (if any) still says it
        return relocated(problem, file, plain(problem.where))
    return Problem(file, plain(problem.where), plain(problem.message))


# --------------------------------------------------------------------------- publishing


def stored_version(db: Session, key: str, version: str) -> SurveyVersion | None:
    return db.scalar(select(SurveyVersion).where(SurveyVersion.key == key,
                                                 SurveyVersion.version == version))


def upload_problems(db: Session, upload: SurveyUpload) -> list[Problem]:
    """What keeps the upload from being published: the survey rules (``evaluator check``'s)
    and a version already stored under its id."""
    problems = survey_problems(upload.content, upload.filename)
    if stored_version(db, upload.key, upload.version) is not None:
        problems.append(Problem(upload.filename, "sheet settings, column version", gettext(
            "%(key)s version %(version)s is published already; published versions never "
            "change, so give this one a new version", key=upload.key, version=upload.version)))
    return problems


def publish_upload(db: Session, user: Any, upload: SurveyUpload, change_note: str
                   ) -> SurveyVersion:
    """Freeze the upload into a stored survey version (who, when, why), refused while it has
    problems, without a note, or once published."""
    require_author(user)
    if upload.status != "imported":
        raise OperationError(gettext("this upload was published already; upload the workbook "
                                     "again with a new version to change it"), 409)
    note = checked_change_note(change_note)
    problems = upload_problems(db, upload)
    if problems:
        status = 409 if stored_version(db, upload.key, upload.version) is not None else 400
        raise OperationError(gettext("%(n)d problem(s): a survey with problems cannot be "
                                     "published", n=len(problems)), status, problems)
    content = copy.deepcopy(upload.content)
    title = content.get("title") or {}
    version = SurveyVersion(
        key=upload.key, version=upload.version, source=str(content.get("source") or upload.key),
        title_zh=str(title.get("zh") or title.get(content.get("default_language"), ""))[:200],
        title_en=str(title.get("en", ""))[:200], content_hash=content_hash(content),
        content=content, published_by_id=user.id, change_note=note)
    db.add(version)
    db.flush()
    upload.status = "published"
    upload.published_version_id = version.id
    db.flush()
    audit(db, user, None, "survey.publish", "survey", f"{version.key} {version.version}", None,
          {"hash": version.content_hash, "upload": upload.id, "file": upload.filename,
           "note": note})
    return version


# --------------------------------------------------------------------------- out


def survey_yaml(content: Mapping[str, Any]) -> str:
    """The YAML ``evaluator xlsform import`` prints for this model."""
    return dump_survey(content)


def survey_workbook(content: Mapping[str, Any], name: str) -> tuple[str, bytes, str]:
    """(file name, bytes, media type): the workbook ``evaluator xlsform export`` writes; with
    attached files, a zip of the workbook and the files beside it (as ODK Central takes them)."""
    with tempfile.TemporaryDirectory(prefix="evaluator-export-") as folder:
        path = Path(folder) / f"{name}.xlsx"
        written = export_xlsform(content, path, source=name)
        if not written:
            return (path.name, path.read_bytes(),
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(path, path.name)
            for file in written:
                archive.write(file, file.name)
        return f"{name}.zip", buffer.getvalue(), "application/zip"


def file_stem(key: str, version: str) -> str:
    return _plain_name(f"{key}-{version}", "survey")[:100]
