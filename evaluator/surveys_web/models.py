"""An uploaded XLSForm, imported and waiting to be published (上传的问卷).

An upload is not a survey version: no evaluation can use it, no record is collected on it. It
keeps what the importer made of the workbook (the YAML model, its warnings with sheet, row and
column, how languages were read) so the author can preview it and publish it without uploading
again. A workbook the importer refuses is never stored: its problems are shown and that is all.
Publishing copies the content into a new ``SurveyVersion`` and marks the upload published.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from evaluator.db import Base, utcnow

UPLOAD_STATUSES = ("imported", "published")


class SurveyUpload(Base):
    __tablename__ = "survey_uploads"
    __table_args__ = (
        CheckConstraint("status IN ('imported', 'published')", name="status_known"),
        CheckConstraint("status = 'imported' OR published_version_id IS NOT NULL",
                        name="published_has_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    title_zh: Mapped[str] = mapped_column(String(200), default="")
    filename: Mapped[str] = mapped_column(String(200))
    #: the import's YAML model (what ``evaluator xlsform import`` prints)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: [{"where": "sheet survey, row 7, column label", "message": "..."}]
    warnings: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    #: how the form was read: languages mapped, version taken from the workbook's date
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: names of the attached CSV/XML files sent with the workbook
    attached: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="imported")
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_versions.id"), default=None)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
