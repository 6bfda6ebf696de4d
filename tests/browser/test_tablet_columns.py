"""XLSForm's default, read_only, repeat_count and trigger columns, the common appearances and
start-geopoint on a tablet, in a real browser, offline: a household form with a group that uses
them all is filled, synced, and the stored record holds what the tablet showed."""

from __future__ import annotations

import copy
import os

import pytest
from sqlalchemy import select
from tablet_steps import HOUSEHOLD, form_url, open_precached_form, poll

from evaluator.fieldwork.models import Submission
from tests.browser.test_offline_fieldwork import answer

pytestmark = pytest.mark.browser

WHERE = {"latitude": 31.230416, "longitude": 121.473701, "accuracy": 12}

COLUMN_ROWS = [
    {"type": "begin group", "name": "home", "label::zh": "住房与同住人", "label::en": "Home and people",
     "relevant": "${consent} = 'yes'"},
    {"type": "start-geopoint", "name": "where_start", "label::zh": "开始位置", "label::en": "Start location"},
    {"type": "text", "name": "visit_code", "label::zh": "走访编号", "label::en": "Visit code",
     "default": "V-001", "read_only": "yes"},
    {"type": "integer", "name": "people", "label::zh": "同住人数", "label::en": "People living here",
     "default": "2", "appearance": "numbers", "required": True,
     "constraint": ". >= 0 and . <= 8"},
    {"type": "integer", "name": "others", "label::zh": "其他同住人", "label::en": "Others living here",
     "read_only": "yes", "calculation": "${people} - 1"},
    {"type": "begin repeat", "name": "housemates", "label::zh": "同住人", "label::en": "Person",
     "repeat_count": "${people}"},
    {"type": "text", "name": "housemate_name", "label::zh": "姓名", "label::en": "Name",
     "required": True},
    {"type": "integer", "name": "housemate_age", "label::zh": "年龄", "label::en": "Age",
     "default": "30"},
    {"type": "end repeat"},
    {"type": "select_one tenure", "name": "tenure", "label::zh": "住房类型", "label::en": "Housing",
     "appearance": "minimal", "required": True},
    {"type": "decimal", "name": "rent", "label::zh": "月租金（元）", "label::en": "Monthly rent (yuan)",
     "default": "0", "read_only": "${tenure} = 'owned'"},
    {"type": "calculate", "name": "tenure_changed", "calculation": "now()",
     "trigger": "${tenure}"},
    {"type": "select_one agree", "name": "home_safe", "label::zh": "住房安全", "label::en": "The home is safe",
     "appearance": "likert"},
    {"type": "select_one yes_no", "name": "heating", "label::zh": "冬季有取暖", "label::en": "Heating in winter",
     "appearance": "quick columns-2"},
    {"type": "end group"},
]
CHOICES = {
    "tenure": [{"name": "owned", "label::zh": "自有", "label::en": "Owned"},
               {"name": "rented", "label::zh": "租住", "label::en": "Rented"},
               {"name": "public", "label::zh": "公租房", "label::en": "Public housing"}],
    "agree": [{"name": str(i), "label::zh": zh, "label::en": en} for i, (zh, en) in enumerate(
        [("很不同意", "Strongly disagree"), ("不同意", "Disagree"), ("一般", "Neutral"),
         ("同意", "Agree"), ("很同意", "Strongly agree")], start=1)],
}


@pytest.fixture
def columns_survey(app, definitions):
    """The household survey with the group above, stored as a new version (request it before
    ``field``, which builds its evaluation on the newest version)."""
    from evaluator.rubrics.definition import content_hash
    from evaluator.surveys.models import SurveyVersion
    from evaluator.surveys.validation import check_survey

    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        shipped = db.scalar(select(SurveyVersion).where(SurveyVersion.source == "household"))
        data = copy.deepcopy(shipped.content)
        data["version"] = "2026.1-columns"
        end_of_basic = next(i for i, row in enumerate(data["survey"])
                            if row["type"] == "end group")
        data["survey"][end_of_basic + 1:end_of_basic + 1] = COLUMN_ROWS
        data["choices"].update(CHOICES)
        problems, warnings = check_survey(data, "columns")
        assert problems == []
        assert [w.message.split(":")[0] for w in warnings] == ["type 'start-geopoint'"]
        db.add(SurveyVersion(key=shipped.key, version=data["version"], source=shipped.source,
                             title_zh=shipped.title_zh, title_en=shipped.title_en,
                             content_hash=content_hash(data), content=data))
    return data


def sign_in_browser(page, base, username, password):
    page.goto(base + "/auth/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.tap("button[type=submit]")


def open_form(page, live_server, field, lang="zh"):
    open_precached_form(page, live_server, field, field.sample[0], f"?lang={lang}")
    page.tap('input[name="consent"][value="yes"]')


def entries(page) -> int:
    return page.locator('section[data-repeat="housemates"] > .instances > .instance').count()


def shot(page, shots, name):
    if shots:
        page.locator('section[data-group="home"]').screenshot(path=os.path.join(shots, name))


def test_default_read_only_repeat_count_and_trigger_filled_offline_then_synced(
        app, columns_survey, field, live_server, tablet, shots):
    context = tablet()
    context.grant_permissions(["geolocation"])
    context.set_geolocation(WHERE)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_form(page, live_server, field)
    context.set_offline(True)
    # start-geopoint: where the tablet is as the form opens (the browser may say so here)
    start = poll(page, "Questionnaire.check().answers.where_start", what="the start location")

    # default: a new record starts with the defaults; read_only: shown, not editable
    assert page.input_value('[name="people"]') == "2"
    assert page.get_attribute('[name="people"]', "inputmode") == "numeric"
    assert page.input_value('[name="visit_code"]') == "V-001"
    assert page.is_disabled('[name="visit_code"]')
    assert page.input_value('[name="rent"]') == "0" and page.is_enabled('[name="rent"]')
    # repeat_count: as many entries as the count, each with its own defaults, no add/remove
    assert entries(page) == 2
    assert page.input_value('[name="housemates-1-housemate_age"]') == "30"
    assert not page.locator('section[data-repeat="housemates"] > [data-add]').is_visible()
    assert page.input_value('[name="others"]') == "1" and page.is_disabled('[name="others"]')
    page.fill('[name="people"]', "3")
    assert entries(page) == 3
    assert page.input_value('[name="others"]') == "2"  # a read-only calculated answer
    page.fill('[name="people"]', "1")
    assert entries(page) == 1
    page.fill('[name="people"]', "2")
    assert entries(page) == 2
    page.fill('[name="housemates-0-housemate_name"]', "王芳")
    page.fill('[name="housemates-1-housemate_name"]', "李明")
    page.fill('[name="housemates-1-housemate_age"]', "12")

    # trigger: set when the housing answer changes (through the minimal drop-down), not again
    # when anything else changes; read_only by expression: rent is fixed for an owned home
    assert page.input_value('[name="tenure_changed"]') == ""
    page.select_option('select[data-minimal="tenure"]', "owned")
    assert page.is_checked('input[name="tenure"][value="owned"]')
    first = page.input_value('[name="tenure_changed"]')
    assert first.startswith("20")
    assert page.is_disabled('[name="rent"]')
    page.fill('[name="housemates-0-housemate_age"]', "41")
    page.wait_for_timeout(20)
    assert page.input_value('[name="tenure_changed"]') == first
    page.select_option('select[data-minimal="tenure"]', "rented")
    assert page.is_enabled('[name="rent"]')
    changed = page.input_value('[name="tenure_changed"]')
    assert changed != "" and changed != first
    page.fill('[name="rent"]', "800")
    page.tap('[name="home_safe"][value="4"]')
    page.tap('[name="heating"][value="yes"]')
    # quick: once a choice is made, the next question to answer comes into view, focused
    focused = poll(page, "(document.activeElement.closest && document.activeElement.closest('.q')"
                   " || {getAttribute: () => ''}).getAttribute('data-name')",
                   what="the next question focused")
    assert focused == "income_wage"  # the members' repeat is empty yet, the size is computed
    shot(page, shots, "columns-filled-zh-1024x768.png")

    # A reload offline loses nothing: the draft brings back the counted entries, the triggered
    # value (not recomputed: the housing answer did not change) and the start location.
    page.wait_for_function(
        "document.querySelector('[data-save-state]').textContent.includes('草稿已保存')")
    page.reload()
    page.wait_for_function("document.querySelector('[name=rent]').value === '800'")
    assert entries(page) == 2
    assert page.input_value('[name="housemates-1-housemate_name"]') == "李明"
    assert page.input_value('[name="tenure_changed"]') == changed
    assert page.evaluate("Questionnaire.check().answers.where_start") == start
    assert page.input_value('select[data-minimal="tenure"]') == "rented"

    for kind, name, value in HOUSEHOLD:
        if (kind, name) != ("radio", "consent"):
            answer(page, kind, name, value)
    page.tap("button.big[type=submit]")
    page.wait_for_function(
        "document.querySelector('header [data-queue-count]').textContent === '1'")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function(
        "document.querySelector('header [data-queue-count]').textContent === '0'")
    with app.extensions["evaluator.sessionmaker"]() as db:
        (record,) = db.scalars(select(Submission)).all()
        answers = record.data
    assert {k: answers[k] for k in ("visit_code", "people", "others", "tenure", "rent",
                                    "tenure_changed", "home_safe", "heating")} == {
        "visit_code": "V-001", "people": "2", "others": "1", "tenure": "rented", "rent": "800",
        "tenure_changed": changed, "home_safe": "4", "heating": "yes"}
    assert answers["housemates"] == [{"housemate_name": "王芳", "housemate_age": "41"},
                                     {"housemate_name": "李明", "housemate_age": "12"}]
    assert answers["where_start"] == start
    assert start.split()[:2] == ["31.230416", "121.473701"]
    assert errors == []


def test_without_location_the_start_location_stays_empty(app, columns_survey, field,
                                                         live_server, tablet):
    page = tablet().new_page()  # geolocation not granted
    open_form(page, live_server, field)
    assert page.evaluate("Questionnaire.check().answers.where_start") == ""
    assert page.input_value('[name="people"]') == "2"


@pytest.mark.parametrize(("size", "lang"), [((1024, 768), "zh"), ((1024, 768), "en"),
                                             ((768, 1024), "zh"), ((768, 1024), "en")])
def test_the_columns_fit_the_tablet(app, columns_survey, field, live_server, tablet, shots,
                                    size, lang):
    page = tablet(*size).new_page()
    open_form(page, live_server, field, lang)
    page.select_option('select[data-minimal="tenure"]', "owned")
    page.tap('[name="home_safe"][value="5"]')
    section = page.locator('section[data-group="home"]')
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    for value in ("1", "5"):  # the likert row: every choice on one line, each one tappable
        box = page.locator(f'label.choice:has([name="home_safe"][value="{value}"])').bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
    assert page.locator('select[data-minimal="tenure"]').bounding_box()["height"] >= 44
    if shots:
        section.screenshot(path=os.path.join(shots, f"columns-{lang}-{size[0]}x{size[1]}.png"))


def test_without_storage_the_plain_post_keeps_the_read_only_answers(app, columns_survey, field,
                                                                   live_server, tablet):
    """A tablet with no usable storage posts the form to the server as a plain page does; the
    browser leaves disabled inputs out of such a post, so read-only answers are enabled again
    for it and arrive."""
    context = tablet()
    context.add_init_script("Object.defineProperty(window, 'indexedDB', {get() {"
                            " throw new DOMException('no storage', 'SecurityError'); }});")
    page = context.new_page()
    sign_in_browser(page, live_server, field.username("evaluator"), field.password)
    page.goto(live_server + form_url(field, field.sample[0]))
    page.wait_for_selector("form[data-ready=broken]")
    assert page.is_disabled('[name="visit_code"]')
    for kind, name, value in HOUSEHOLD:
        answer(page, kind, name, value)
    page.fill('[name="housemates-0-housemate_name"]', "王芳")
    page.fill('[name="housemates-1-housemate_name"]', "李明")
    page.select_option('select[data-minimal="tenure"]', "owned")
    with page.expect_navigation():
        page.tap("button.big[type=submit]")
    with app.extensions["evaluator.sessionmaker"]() as db:
        (record,) = db.scalars(select(Submission)).all()
        answers = record.data
    assert (answers["visit_code"], answers["rent"], answers["others"]) == ("V-001", "0", "1")
    assert [h["housemate_name"] for h in answers["housemates"]] == ["王芳", "李明"]
    assert answers["tenure_changed"].startswith("20")
