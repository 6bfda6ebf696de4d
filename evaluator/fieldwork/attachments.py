"""Photo evidence: checked by content (not by name), kept in the file storage (evaluator.storage:
the instance folder by default, an S3-compatible bucket by configuration).

Photos of households are personal data: they never go to the static folder, and their stored
names are random tokens unrelated to households or users. The files are served only by a view
that checks the reader's role in the evaluation (review/views.py: attachment).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from evaluator.fieldwork.models import ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES
from evaluator.storage import Storage, stage


@dataclass(frozen=True)
class Photo:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sniff(data: bytes) -> str | None:
    """The image type from the first bytes; None for anything that is not JPEG, PNG or WebP."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def photo_problem(filename: str, data: bytes, declared: str | None = None) -> str | None:
    """Why this file cannot be kept as a photo (a sentence the user can act on), or None.

    The type kept is the one the bytes say (``sniff``), one of ATTACHMENT_TYPES, the list the
    database's CHECK constraint holds too; what the device declared (often
    ``application/octet-stream``, or with parameters) is never stored."""
    if not data:
        return f"{filename}: the file is empty"
    if len(data) > MAX_ATTACHMENT_BYTES:
        return (f"{filename}: {len(data) / 1048576:.1f} MB is larger than the "
                f"{MAX_ATTACHMENT_BYTES // 1048576} MB allowed; take the photo at a lower resolution")
    kind = sniff(data)
    if kind is None:
        return f"{filename}: not a JPEG, PNG or WebP photo ({', '.join(ATTACHMENT_TYPES)})"
    if declared and declared.split(";")[0].strip() not in (kind, "application/octet-stream", ""):
        return f"{filename}: says it is {declared} but the content is {kind}"
    return None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def photo_key(evaluation_id: int, token: str) -> str:
    """The photo's key in the file storage (evaluator.storage)."""
    if not token.replace("-", "").replace("_", "").isalnum():
        raise ValueError("bad attachment token")
    return f"attachments/{evaluation_id}/{token}"


def write_photo(db: Session, storage: Storage, evaluation_id: int, token: str,
                photo: Photo) -> None:
    """Store the photo now, and remove it again if ``db``'s transaction rolls back."""
    stage(db, storage, photo_key(evaluation_id, token), photo.data,
          photo.content_type.split(";")[0])
