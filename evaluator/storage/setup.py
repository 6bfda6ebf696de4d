"""Choosing the storage from configuration, once per app."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from evaluator.storage.base import Storage
from evaluator.storage.local import LocalStorage


def storage_from_url(url: str | None, instance_path: str | Path) -> Storage:
    """``None``/empty: the instance folder; ``file:///path`` or a plain path: that folder;
    ``s3://bucket/prefix``: an S3-compatible bucket (see evaluator.storage.s3)."""
    if not url:
        return LocalStorage(instance_path)
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        from evaluator.storage.s3 import S3Storage

        if not parsed.netloc:
            raise ValueError(f"EVALUATOR_STORAGE_URL {url!r}: name the bucket, s3://BUCKET/prefix")
        return S3Storage(parsed.netloc, parsed.path)
    if parsed.scheme in ("", "file"):
        return LocalStorage(parsed.path or url)
    raise ValueError(f"EVALUATOR_STORAGE_URL {url!r}: use a folder, file:///folder or "
                     "s3://bucket/prefix")


def current_storage() -> Storage:
    """The storage of the running app (made by create_app)."""
    from flask import current_app

    return current_app.extensions["evaluator.storage"]
