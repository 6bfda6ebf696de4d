"""Evidence files (photos, recordings, documents): checked by content (not by name or by what the
device says), kept in the file storage (evaluator.storage: the instance folder by default, an
S3-compatible bucket by configuration).

Photos and recordings of households are personal data: they never go to the static folder, and
their stored names are random tokens unrelated to households or users. The files are served only
by a view that checks the reader's role in the evaluation (review/views.py: attachment).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy.orm import Session

from evaluator.fieldwork.models import (
    MAX_ATTACHMENT_BYTES,
    MAX_PHOTO_BYTES,
    MEDIA_TYPES,
    PHOTO_TYPES,
)
from evaluator.storage import Storage, stage

# What each question type takes, by content type; the container formats MP4 (ftyp), WebM and
# 3GP hold audio or video alike, so the question type decides which of the two it is.
ACCEPTED = {
    "image": PHOTO_TYPES,
    "audio": tuple(t for t in MEDIA_TYPES if t.startswith("audio/")),
    "video": tuple(t for t in MEDIA_TYPES if t.startswith("video/")),
    "file": PHOTO_TYPES + MEDIA_TYPES,
}
_DEFAULT_OF = {("audio", "mp4"): "audio/mp4", ("video", "mp4"): "video/mp4",
               ("audio", "webm"): "audio/webm", ("video", "webm"): "video/webm",
               ("audio", "3gpp"): "audio/3gpp", ("video", "3gpp"): "video/3gpp",
               ("file", "mp4"): "video/mp4", ("file", "webm"): "video/webm",
               ("file", "3gpp"): "video/3gpp"}
_CONTAINER_TYPES = {"mp4": ("audio/mp4", "video/mp4", "video/quicktime"),
                    "webm": ("audio/webm", "video/webm"), "3gpp": ("audio/3gpp", "video/3gpp")}


@dataclass(frozen=True)
class Photo:
    """An attachment as received: a photo, a recording or a document."""

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


def sniff_media(data: bytes) -> str | None:
    """A content type, or a container (``mp4``, ``webm``, ``3gpp``) holding audio or video."""
    if len(data) >= 12 and data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand.startswith(b"3g"):
            return "3gpp"
        return "video/quicktime" if brand == b"qt  " else "mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data.startswith(b"#!AMR"):
        return "audio/amr"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def photo_problem(filename: str, data: bytes, declared: str | None = None) -> str | None:
    """Why this file cannot be kept as a photo (a sentence the user can act on), or None."""
    return attachment_problem(filename, data, declared, "image")[1]


def attachment_problem(filename: str, data: bytes, declared: str | None, kind: str
                       ) -> tuple[str, str | None]:
    """(content type to store, why the file cannot be kept for a ``kind`` question or None)."""
    limit = MAX_PHOTO_BYTES if kind == "image" else MAX_ATTACHMENT_BYTES
    declared_type = (declared or "").split(";")[0].strip()
    if not data:
        return "", gettext("%(file)s: the file is empty", file=filename)
    if len(data) > limit:
        size, most = f"{len(data) / 1048576:.1f}", limit // 1048576
        if kind == "image":
            return "", gettext("%(file)s: %(size)s MB is larger than the %(max)s MB allowed; take "
                               "the photo at a lower resolution", file=filename, size=size,
                               max=most)
        return "", gettext("%(file)s: %(size)s MB is larger than the %(max)s MB allowed; record a "
                           "shorter clip", file=filename, size=size, max=most)
    found = sniff(data) or sniff_media(data)
    accepted = ACCEPTED.get(kind, ())
    if found in _CONTAINER_TYPES:
        options = [t for t in _CONTAINER_TYPES[found] if t in accepted]
        found = declared_type if declared_type in options else _DEFAULT_OF.get((kind, found))
    if found is None or found not in accepted:
        types = ", ".join(accepted)
        if kind == "image":
            return "", gettext("%(file)s: not a JPEG, PNG or WebP photo (%(types)s)",
                               file=filename, types=types)
        if kind == "audio":
            return "", gettext("%(file)s: not an audio recording (%(types)s)", file=filename,
                               types=types)
        if kind == "video":
            return "", gettext("%(file)s: not a video recording (%(types)s)", file=filename,
                               types=types)
        return "", gettext("%(file)s: not a photo, recording or PDF (%(types)s)", file=filename,
                           types=types)
    if declared_type not in (found, "application/octet-stream", "") and not (
            found in MEDIA_TYPES and declared_type.split("/")[0] in ("audio", "video")):
        return "", gettext("%(file)s: says it is %(declared)s but the content is %(kind)s",
                           file=filename, declared=declared_type, kind=found)
    return found, None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def photo_key(evaluation_id: int, token: str) -> str:
    """The photo's key in the file storage (evaluator.storage)."""
    if not token.replace("-", "").replace("_", "").isalnum():
        raise ValueError("bad attachment token")
    return f"attachments/{evaluation_id}/{token}"


def write_photo(db: Session, storage: Storage, evaluation_id: int, token: str,
                photo: Photo, content_type: str) -> None:
    """Store the file now, under the content type its bytes showed (never what the device
    declared), and remove it again if ``db``'s transaction rolls back."""
    stage(db, storage, photo_key(evaluation_id, token), photo.data, content_type)
