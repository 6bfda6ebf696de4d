"""Backup and restore (SQLite's online backup API; pg_dump/pg_restore on PostgreSQL, when
``make test`` runs this file on its throwaway cluster): a restore into an empty instance gives
the same row counts, the same photos and the same scores — compared by scoring the restored
database anew, against the sheet scored before the backup."""

import base64
import io
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from evaluator.app import create_app
from evaluator.fieldwork.exports.scores import score_evaluation
from evaluator.fieldwork.models import Attachment, Evaluation, Submission
from evaluator.migrate import upgrade
from evaluator.ops.backup import BackupError, read_backup, row_counts, write_backup

SYSTEM = Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal" / "system.csv"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture
def collected(app, client, field, sign_in, api_post, household_record, file_check_record):
    """Every sampled household visited (one with a door photo) and its file checked, the
    system export uploaded, every record approved."""
    sign_in("lead")
    assert client.post(f"/evaluations/{field.evaluation_id}/system", data={
        "file": (io.BytesIO(SYSTEM.read_bytes()), "system.csv")},
        content_type="multipart/form-data").status_code == 302
    sign_in("evaluator")
    for number, household in enumerate(field.sample):
        record = household_record(household)
        if number == 0:
            record["answers"]["door_photo"] = "door.png"
            record["attachments"] = [{"field": "door_photo", "filename": "door.png",
                                      "content_type": "image/png",
                                      "data": base64.b64encode(PNG).decode()}]
        assert api_post(record).status_code == 201
        assert api_post(file_check_record(household)).status_code == 201
    with app.extensions["evaluator.sessionmaker"]() as db:
        for submission in db.scalars(select(Submission)):
            submission.review_state = "approved"
        db.commit()
    return field


def scored_sheet(app, evaluation_id):
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
        scored = score_evaluation(db, db.get(Evaluation, evaluation_id))
    assert scored.sheet is not None, scored.problems
    return scored.data_hash, scored.sheet.to_dict()


@pytest.fixture
def empty_target(tmp_path, app):
    """The configuration of an empty instance of the same kind of database."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        yield {"DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}"}
        return
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS evaluator_restore_test"))
        connection.execute(text("CREATE DATABASE evaluator_restore_test"))
    target = make_url(url).set(database="evaluator_restore_test")
    yield {"DATABASE_URL": target.render_as_string(hide_password=False)}
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS evaluator_restore_test (FORCE)"))
    admin.dispose()


def test_a_restore_gives_the_same_rows_photos_and_scores(app, collected, tmp_path, empty_target):
    before_hash, before_sheet = scored_sheet(app, collected.evaluation_id)
    before_counts = row_counts(app.extensions["evaluator.engine"])
    assert before_counts["submissions"] == 2 * len(collected.sample)
    assert before_counts["attachments"] == 1
    archive = tmp_path / "backup.tar"
    summary = write_backup(app, archive)
    assert "1 files" in summary and archive.is_file()

    restored = create_app({"TESTING": True, "SECRET_KEY": "t", **empty_target,
                           "INSTANCE_PATH": str(tmp_path / "restored-instance")})
    if empty_target["DATABASE_URL"].startswith("postgresql"):
        upgrade(restored.extensions["evaluator.engine"])  # an instance set up, still empty
    read_backup(restored, archive)
    assert row_counts(restored.extensions["evaluator.engine"]) == before_counts
    assert scored_sheet(restored, collected.evaluation_id) == (before_hash, before_sheet)
    with restored.extensions["evaluator.sessionmaker"]() as db:
        photo = db.scalar(select(Attachment))
    key = f"attachments/{photo.evaluation_id}/{photo.token}"
    assert restored.extensions["evaluator.storage"].get(key) == PNG
    with pytest.raises(BackupError, match="already has data"):
        read_backup(restored, archive)
    restored.extensions["evaluator.engine"].dispose()


def test_a_damaged_archive_restores_nothing(app, collected, tmp_path, empty_target):
    import tarfile

    archive = tmp_path / "backup.tar"
    write_backup(app, archive)
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("files/"):
                data = data[:-1] + b"!"
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    restored = create_app({"TESTING": True, "SECRET_KEY": "t", **empty_target,
                           "INSTANCE_PATH": str(tmp_path / "restored-instance")})
    with pytest.raises(BackupError, match="missing or damaged"):
        read_backup(restored, damaged)
    with pytest.raises(BackupError, match="not a backup archive"):
        read_backup(restored, SYSTEM)
    assert not (tmp_path / "restored-instance" / "attachments").exists()
    restored.extensions["evaluator.engine"].dispose()
