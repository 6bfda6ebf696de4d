"""The XLSForm question widgets on a tablet, in a real browser: time, datetime, range, rank,
phone, email, barcode, acknowledge, an audio recording and a select_one_from_file list, filled
offline, checked as the server checks them, and synced; the stored record holds every answer and
the recording is kept by its content."""

from __future__ import annotations

import io
import os
import struct
import wave

import pytest
from sqlalchemy import select
from tablet_steps import form_url, open_precached_form, sign_in_browser

from evaluator.fieldwork.models import Attachment, Submission

pytestmark = pytest.mark.browser

def wav_bytes() -> bytes:
    """A real (tiny) WAV recording, as a phone's recorder would hand it over."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"".join(struct.pack("<h", (i * 37) % 2000) for i in range(800)))
    return out.getvalue()


def shot(page, shots, name):
    if shots:
        page.locator('section[data-group="visit"]').screenshot(path=os.path.join(shots, name))


def test_new_widgets_filled_offline_then_synced(app, widget_survey, field, live_server, tablet,
                                                shots):
    context = tablet()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    household = field.sample[0]
    open_precached_form(page, live_server, field, household)
    page.tap('input[name="consent"][value="yes"]')
    context.set_offline(True)

    # Checked on the tablet as on the server: a phone number needs digits, a range its steps.
    page.fill('[name="contact_phone"]', "12")
    page.fill('[name="living_score"]', "7")
    page.tap('[name="card_code"]')
    assert page.inner_text('[data-err="contact_phone"]') == "不是电话号码"
    assert "每 2 一档" in page.inner_text('[data-err="living_score"]')
    shot(page, shots, "widgets-errors-zh-1024x768.png")

    page.fill('[name="visit_time"]', "09:30")
    page.fill('[name="next_visit"]', "2026-12-20T14:00")
    slider = page.locator('[data-range-for="living_score"]')  # the slider writes the box
    slider.focus()
    for key in ("Home", "ArrowRight", "ArrowRight", "ArrowRight"):
        page.keyboard.press(key)
    assert page.input_value('[name="living_score"]') == "6"
    page.tap('[data-rank="priorities"] li[data-choice="jobs"] [data-rank-move="-1"]')
    page.tap('[data-rank="priorities"] li[data-choice="jobs"] [data-rank-move="-1"]')
    assert page.input_value('[name="priorities"]') == "jobs housing medical"
    page.fill('[name="contact_phone"]', "+86 138 0013 8000")
    page.fill('[name="contact_email"]', "worker@example.cn")
    page.fill('[name="card_code"]', "6901234567892")
    page.tap('[data-ack="informed"]')
    assert page.input_value('[name="informed"]') == "OK"
    page.set_input_files('[data-media="interview_audio"]', files=[
        {"name": "visit.wav", "mimeType": "audio/wav", "buffer": wav_bytes()}])
    page.wait_for_function("document.querySelector('[name=interview_audio]').value !== ''")
    assert page.inner_text('[data-media-name="interview_audio"]').endswith(".wav")
    page.tap('input[name="district"][value="d2"]')
    # instance() and pulldata() read the attached file on the tablet, offline.
    assert page.inner_text('p.note[data-name="district_note"]') == "社区：红旗社区，办公室：红旗街8号"
    assert page.inner_text('[data-err="contact_phone"]') == ""
    assert page.inner_text('[data-err="living_score"]') == ""
    shot(page, shots, "widgets-filled-zh-1024x768.png")

    # The rest of the household questionnaire, as in the offline field day.
    from tests.browser.test_offline_fieldwork import HOUSEHOLD, answer
    for kind, name, value in HOUSEHOLD:
        if (kind, name) != ("radio", "consent"):
            answer(page, kind, name, value)
    page.tap("button.big[type=submit]")
    page.wait_for_function(
        "document.querySelector('header [data-queue-count]').textContent === '1'")
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.scalars(select(Submission)).all() == []

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function(
        "document.querySelector('header [data-queue-count]').textContent === '0'")
    with app.extensions["evaluator.sessionmaker"]() as db:
        (record,) = db.scalars(select(Submission)).all()
        answers = record.data
        attachment = db.scalar(select(Attachment).where(Attachment.field == "interview_audio"))
        assert attachment is not None and attachment.content_type == "audio/wav"
    assert {k: answers[k] for k in ("visit_time", "next_visit", "living_score", "priorities",
                                    "contact_phone", "contact_email", "card_code", "informed",
                                    "district")} == {
        "visit_time": "09:30", "next_visit": "2026-12-20T14:00", "living_score": "6",
        "priorities": "jobs housing medical", "contact_phone": "+86 138 0013 8000",
        "contact_email": "worker@example.cn", "card_code": "6901234567892", "informed": "OK",
        "district": "d2"}
    assert answers["interview_audio"].endswith(".wav")
    assert (answers["district_label"], answers["district_office"]) == ("红旗社区", "红旗街8号")
    assert errors == []


@pytest.mark.parametrize(("size", "lang"), [((1024, 768), "zh"), ((768, 1024), "zh"),
                                             ((1024, 768), "en"), ((768, 1024), "en")])
def test_new_widgets_fit_the_tablet(app, widget_survey, field, live_server, tablet, shots, size,
                                    lang):
    context = tablet(*size)
    page = context.new_page()
    sign_in_browser(page, live_server, field.username("evaluator"), field.password)
    page.goto(live_server + form_url(field, field.sample[0]) + f"?lang={lang}")
    page.tap('input[name="consent"][value="yes"]')
    page.fill('[name="visit_time"]', "09:30")
    page.locator('[data-range-for="living_score"]').focus()
    page.keyboard.press("End")
    page.tap('[data-rank-accept="priorities"]')
    section = page.locator('section[data-group="visit"]')
    box = section.bounding_box()
    assert box["width"] <= size[0]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= size[0]  # nothing runs off the side of the tablet
    for selector in ('[data-rank-move]', '[data-ack="informed"]', '[data-range-for]'):
        target = page.locator(selector).first.bounding_box()
        assert target["height"] >= 24, selector
    if shots:
        section.screenshot(path=os.path.join(shots, f"widgets-{lang}-{size[0]}x{size[1]}.png"))
