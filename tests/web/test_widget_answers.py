"""The new XLSForm question types through the submissions API: the server checks each answer's
shape as the tablet does (bilingual messages naming the field), recordings by their content,
and stores a valid record with every answer and its recording."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from evaluator.fieldwork.attachments import attachment_problem
from evaluator.fieldwork.models import Attachment

WAV = (b"RIFF" + (36).to_bytes(4, "little") + b"WAVEfmt " + bytes(24) + b"data" + bytes(4))
MP4 = bytes(4) + b"ftypisom" + bytes(20)
GOOD = {"visit_time": "09:30", "next_visit": "2026-12-20T14:00", "living_score": "6",
        "priorities": "jobs housing medical", "contact_phone": "+86 138 0013 8000",
        "contact_email": "worker@example.cn", "card_code": "6901234567892", "informed": "OK",
        "district": "d2", "interview_audio": "visit.wav"}


def recording(data: bytes = WAV, content_type: str = "audio/wav") -> list[dict]:
    return [{"field": "interview_audio", "filename": "visit.wav", "content_type": content_type,
             "data": base64.b64encode(data).decode()}]


@pytest.fixture
def widget_record(widget_survey, field, household_record):
    def make(**answers):
        record = household_record(field.sample[0], **{**GOOD, **answers})
        record["attachments"] = recording()
        return record
    return make


def test_a_record_with_every_new_type_is_stored_with_its_recording(app, widget_record,
                                                                    sign_in, api_post):
    sign_in("evaluator")
    response = api_post(widget_record())
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()["answers"]
    assert {k: stored[k] for k in GOOD} == GOOD
    # calculated on the server from the attached file: an instance() lookup and pulldata()
    assert (stored["district_label"], stored["district_office"]) == ("红旗社区", "红旗街8号")
    with app.extensions["evaluator.sessionmaker"]() as db:
        attachment = db.scalar(select(Attachment).where(Attachment.field == "interview_audio"))
        assert attachment.content_type == "audio/wav"


@pytest.mark.parametrize(("field_name", "value", "message"), [
    ("visit_time", "9.30", "is not a time HH:MM"),
    ("visit_time", "24:00", "is not a time HH:MM"),
    ("next_visit", "2026-02-30T10:00", "is not a date and time"),
    ("living_score", "7", "must be 0 plus a multiple of 2"),
    ("living_score", "12", "must be between 0 and 10"),
    ("priorities", "jobs housing", "a ranking lists every choice exactly once"),
    ("priorities", "jobs jobs medical", "a ranking lists every choice exactly once"),
    ("contact_phone", "1234", "is not a phone number"),
    ("contact_email", "worker@example", "is not an email address"),
    ("informed", "yes", "an acknowledgement is 'OK'"),
    ("district", "d9", "is not one of the choices"),
])
def test_each_new_type_is_checked_on_the_server(widget_record, sign_in, api_post, field_name,
                                                value, message):
    sign_in("evaluator")
    response = api_post(widget_record(**{field_name: value}))
    assert response.status_code == 422
    problems = [p for p in response.get_json()["problems"] if p["field"] == field_name]
    assert problems and message in problems[0]["message_en"], response.get_json()
    assert problems[0]["message_zh"]


def test_a_recording_is_checked_by_its_content(widget_record, sign_in, api_post, english):
    sign_in("evaluator")
    record = widget_record()
    record["attachments"] = recording(b"\xff\xd8\xff" + bytes(20), "audio/wav")  # a JPEG
    response = api_post(record)
    assert response.status_code == 422
    assert "not an audio recording" in response.get_json()["message"]


@pytest.mark.parametrize(("data", "declared", "kind", "stored"), [
    (WAV, "audio/wav", "audio", "audio/wav"),
    (MP4, "audio/mp4", "audio", "audio/mp4"),
    (MP4, "video/mp4", "video", "video/mp4"),
    (MP4, "", "audio", "audio/mp4"),  # the container holds either: the question decides
    (b"OggS" + bytes(20), "audio/ogg", "audio", "audio/ogg"),
    (b"\x1a\x45\xdf\xa3" + bytes(20), "video/webm", "video", "video/webm"),
    (b"%PDF-1.7" + bytes(20), "application/pdf", "file", "application/pdf"),
])
def test_recordings_and_documents_are_recognised(data, declared, kind, stored):
    assert attachment_problem("x", data, declared, kind) == (stored, None)


@pytest.mark.parametrize(("data", "declared", "kind", "message"), [
    (WAV, "audio/wav", "video", "not a video recording"),
    (b"%PDF-1.7", "application/pdf", "audio", "not an audio recording"),
    (b"", "audio/wav", "audio", "the file is empty"),
    (WAV + bytes(16 * 1024 * 1024), "audio/wav", "audio", "record a shorter clip"),
    (b"\x89PNG\r\n\x1a\n" + bytes(8), "image/jpeg", "image", "says it is image/jpeg"),
])
def test_wrong_files_are_refused_with_the_reason(data, declared, kind, message):
    assert message in (attachment_problem("x", data, declared, kind)[1] or "")
