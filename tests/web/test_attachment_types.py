"""Attachment types come from the bytes only (the allow-list of the database's CHECK): a photo
declared as application/octet-stream, with no type or with parameters is stored as what it
is; something that is not a photo is refused (422) with nothing written to disk."""

import base64
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from evaluator.fieldwork.models import ATTACHMENT_TYPES, Attachment

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def stored_files(app) -> list[Path]:
    folder = Path(app.instance_path) / "attachments"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def with_photo(record, data, declared):
    record["answers"]["door_photo"] = "door.png"
    record["attachments"] = [{"field": "door_photo", "filename": "door.png",
                              "content_type": declared, "data": base64.b64encode(data).decode()}]
    return record


@pytest.mark.parametrize("declared", ["application/octet-stream", "", "image/png; charset=x"])
def test_a_photo_is_stored_as_its_bytes_say(app, field, sign_in, api_post, household_record,
                                           declared):
    sign_in("evaluator")
    response = api_post(with_photo(household_record(field.sample[0]), PNG, declared))
    assert response.status_code == 201, response.get_json()
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.scalar(select(Attachment.content_type)) == "image/png"
    assert len(stored_files(app)) == 1


@pytest.mark.parametrize("declared", ["application/octet-stream", "image/png", ""])
def test_bytes_that_are_no_photo_are_422_with_nothing_on_disk(app, field, sign_in, api_post,
                                                             household_record, declared,
                                                             english):
    sign_in("evaluator")
    data = b"MZ\x90\x00" + bytes(range(256)) * 4  # an executable's first bytes, then noise
    response = api_post(with_photo(household_record(field.sample[0]), data, declared))
    assert response.status_code == 422 and "not a JPEG, PNG or WebP" in response.get_json()[
        "message"]
    assert stored_files(app) == []
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.scalar(select(Attachment)) is None


def test_a_finding_photo_declared_octet_stream_is_kept_as_an_image(app, client, field, sign_in):
    sign_in("evaluator")
    response = client.post(f"/evaluations/{field.evaluation_id}/findings", data={
        "indicator": "F3", "severity": "major", "description": "签领单缺签字",
        "household_id": field.sample[0], "responsible_unit": "城关镇工会",
        "responsible_person": "主席", "deadline": "2027-02-28",
        "photos": [(io.BytesIO(PNG), "x.bin", "application/octet-stream")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    with app.extensions["evaluator.sessionmaker"]() as db:
        kept = db.scalar(select(Attachment.content_type))
    assert kept == "image/png" and kept in ATTACHMENT_TYPES
