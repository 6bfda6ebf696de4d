"""The file storage: local folder behaviour, key safety, and no orphan files — a file written
for a row that is not committed is removed (rollback), and one left by a killed process is
swept after the grace period, while every file a committed row names stays."""

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select

from evaluator.db import utcnow
from evaluator.fieldwork.collect import operations
from evaluator.fieldwork.models import Attachment
from evaluator.storage import LocalStorage, check_key, stage, storage_from_url
from evaluator.storage.sweep import sweep_orphans

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def test_local_storage_round_trip(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.put("a/b/one.pdf", b"1")
    storage.put("a/two", b"22")
    storage.put("other/x", b"x")
    assert storage.get("a/b/one.pdf") == b"1" and storage.exists("a/two")
    assert [(f.key, f.size) for f in storage.list("a/")] == [("a/b/one.pdf", 1), ("a/two", 2)]
    storage.put("a/two", b"333")  # replaced whole
    assert storage.get("a/two") == b"333"
    assert not [p for p in tmp_path.rglob(".*")]  # no temporary file left
    storage.delete("a/two")
    storage.delete("a/two")  # no error the second time
    assert not storage.exists("a/two") and storage.get_or_none("a/two") is None
    with pytest.raises(FileNotFoundError):
        storage.get("a/two")


@pytest.mark.parametrize("key", ["../secret", "a/../../b", "/etc/passwd", "a//b", "a/./b", "",
                                 "a\\b", "a/b/"])
def test_keys_cannot_leave_the_storage(key):
    with pytest.raises(ValueError):
        check_key(key)


def test_storage_url_picks_the_backend(tmp_path):
    assert LocalStorage is type(storage_from_url("", tmp_path))
    assert storage_from_url(f"file://{tmp_path}/files", "/elsewhere").root == tmp_path / "files"
    with pytest.raises(ValueError, match="s3://BUCKET"):
        storage_from_url("s3:///prefix", tmp_path)
    with pytest.raises(ValueError, match="EVALUATOR_STORAGE_URL"):
        storage_from_url("ftp://host/x", tmp_path)


def test_a_staged_file_goes_with_a_rollback_and_stays_with_a_commit(app):
    storage = app.extensions["evaluator.storage"]
    factory = app.extensions["evaluator.sessionmaker"]
    with factory() as db:
        stage(db, storage, "attachments/1/rolled", b"x", "image/png")
        assert storage.exists("attachments/1/rolled")
        db.rollback()
    assert not storage.exists("attachments/1/rolled")
    with pytest.raises(RuntimeError), factory() as db, db.begin():
        stage(db, storage, "attachments/1/raised", b"x", "image/png")
        raise RuntimeError("the request failed after the write")
    assert not storage.exists("attachments/1/raised")
    with factory() as db, db.begin():
        stage(db, storage, "attachments/1/kept", b"x", "image/png")
    assert storage.exists("attachments/1/kept")


def _record_with_photo(field, household_record):
    record = household_record(field.sample[0], door_photo="door.png")
    record["attachments"] = [{"field": "door_photo", "filename": "door.png",
                              "content_type": "image/png", "data": base64.b64encode(PNG).decode()}]
    return record


def test_a_failed_request_leaves_no_photo(app, field, sign_in, api_post, household_record,
                                          monkeypatch):
    """The photo is written before the record's audit entry; when that step fails the request
    answers an error, rolls back, and the photo it wrote is gone."""
    sign_in("evaluator")

    def refuse(*args, **kwargs):
        raise operations.OperationError("audit refused", 409)

    monkeypatch.setattr(operations, "audit", refuse)
    refused = api_post(_record_with_photo(field, household_record))
    assert refused.status_code == 409
    files = list((app.extensions["evaluator.storage"].root / "attachments").rglob("*"))
    assert [f for f in files if f.is_file()] == []
    monkeypatch.undo()
    stored = api_post(_record_with_photo(field, household_record))
    assert stored.status_code == 201
    with app.extensions["evaluator.sessionmaker"]() as db:
        token = db.scalar(select(Attachment.token))
    key = f"attachments/{field.evaluation_id}/{token}"
    assert app.extensions["evaluator.storage"].get(key) == PNG


def test_the_sweep_removes_only_old_files_no_row_names(app, field, sign_in, api_post,
                                                       household_record):
    sign_in("evaluator")
    assert api_post(_record_with_photo(field, household_record)).status_code == 201
    storage = app.extensions["evaluator.storage"]
    storage.put(f"attachments/{field.evaluation_id}/orphan-from-a-killed-process", b"x")
    with app.extensions["evaluator.sessionmaker"]() as db:
        young = sweep_orphans(db, storage, grace=timedelta(hours=1))
        assert young == [] and storage.exists(
            f"attachments/{field.evaluation_id}/orphan-from-a-killed-process")
        swept = sweep_orphans(db, storage, grace=timedelta(0), now=utcnow() + timedelta(seconds=1))
        token = db.scalar(select(Attachment.token))
    assert swept == [f"attachments/{field.evaluation_id}/orphan-from-a-killed-process"]
    assert storage.exists(f"attachments/{field.evaluation_id}/{token}")


def test_s3_storage_errors_are_storage_errors_on_every_call(s3):
    """A missing bucket (or any other S3 failure) reaches callers as StorageError naming the
    bucket, so the sweep and the pages handle it as they handle a local disk's failure; a file
    that is not there is FileNotFoundError / False / no error, as for the local folder."""
    from evaluator.storage import StorageError
    from evaluator.storage.s3 import S3Storage

    there = S3Storage("evaluator-test", "files")
    there.put("a/b.txt", b"x", "text/plain")
    assert [f.key for f in there.list("a/")] == ["a/b.txt"]
    there.delete("a/b.txt")
    there.delete("a/b.txt")  # deleting what is gone is no error
    assert not there.exists("a/b.txt")
    with pytest.raises(FileNotFoundError):
        there.get("a/b.txt")

    missing = S3Storage("no-such-bucket")
    calls = {"put": lambda: missing.put("a", b"x"), "get": lambda: missing.get("a"),
             "exists": lambda: missing.exists("a"), "delete": lambda: missing.delete("a"),
             "list": lambda: list(missing.list("")), "check": missing.check}
    for call in calls.values():
        with pytest.raises(StorageError, match="no-such-bucket"):
            call()
