"""Where files live: household photos, finding evidence, rendered report PDFs and the
downloadable problem lists of refused uploads.

A small interface with two implementations, so several app machines can share the files:

- ``LocalStorage``: a folder (default: the instance folder, so the keys ``attachments/...``,
  ``report-cache/...`` and ``problem-lists/...`` are the paths they always were);
- ``S3Storage``: a bucket of any S3-compatible object store (AWS S3, MinIO, Ceph...), through
  boto3, configured with ``EVALUATOR_STORAGE_URL=s3://bucket/prefix`` and boto3's own
  variables (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
  ``AWS_DEFAULT_REGION``).

Keys are relative, '/'-separated paths made by the code (never by a user). Files written
inside a database transaction are removed again when it rolls back (``stage``), and
``sweep_orphans`` removes what a killed process left between writing and committing.
"""

from __future__ import annotations

from evaluator.storage.base import Storage, StorageError, StoredFile, check_key
from evaluator.storage.local import LocalStorage
from evaluator.storage.setup import current_storage, storage_from_url
from evaluator.storage.staging import stage, track_rollbacks

__all__ = ["LocalStorage", "Storage", "StorageError", "StoredFile", "check_key",
           "current_storage", "stage", "storage_from_url", "track_rollbacks"]
