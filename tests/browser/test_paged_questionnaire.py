"""The paged questionnaire on a tablet (a survey with ``settings: {style: pages}``): one group
per screen, "第 n/m 页" counting only the pages skip logic leaves, Next refused while a page
holds a constraint or required problem, Back keeping every answer, a reload that reopens the
draft on its page — all with the server down — then the record sent and stored once.
Screenshots (EVALUATOR_SHOTS) at 1024x768 and 768x1024, Chinese and English."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tablet_steps import HOUSEHOLD

from evaluator.fieldwork.models import Submission

pytestmark = pytest.mark.browser

SIZES = pytest.mark.parametrize("size", [(1024, 768), (768, 1024)], ids=["landscape", "portrait"])


def page_count(page) -> str:
    return page.inner_text("[data-page-count]")


def on_page(page, text: str):
    page.wait_for_function("t => document.querySelector('[data-page-count]').textContent === t",
                           arg=text)


def visible_groups(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('[data-page]')]
        .filter(p => !p.hidden).map(p => p.querySelector('[data-group], [data-repeat]')
        .getAttribute('data-group') || '')""")


def shot(page, shots, name):
    if shots:
        page.screenshot(path=f"{shots}/{name}", full_page=False)


@SIZES
def test_a_paged_survey_filled_offline_then_synced(app, paged_survey, field, network, tablet,
                                                   fieldday, shots, size):
    width, height = size
    page = tablet(width, height).new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    fieldday.sign_in(page, network.base)
    page.goto(network.base + "/assignments")
    household = field.sample[0]
    fieldday.wait_cached(page, [fieldday.form_url(household), "/assignments"])
    page.goto(network.base + fieldday.form_url(household))
    page.wait_for_selector("[data-pager]:not([hidden])")
    # Before consent, every later group is irrelevant: one page, and it is the last.
    on_page(page, "第 1/1 页")
    assert page.is_visible("button.big[type=submit]") and not page.is_visible("[data-page-next]")
    network.down()  # from here on the tablet has no signal
    fieldday.answer(page, "radio", "consent", "yes")
    on_page(page, "第 1/8 页")
    assert visible_groups(page) == ["basic"] and not page.is_visible("button.big[type=submit]")
    assert page.is_disabled("[data-page-back]")
    # Next refuses a page with an unanswered required question, and says so.
    page.tap("[data-page-next]")
    assert page_count(page) == "第 1/8 页"
    assert page.inner_text('[data-err="respondent_relation"]') != ""
    assert page.inner_text("[data-page-summary]").startswith("还有题目需要修改")
    fieldday.answer(page, "radio", "respondent_relation", "self")
    page.tap("[data-page-next]")
    on_page(page, "第 2/8 页")
    assert visible_groups(page) == ["household"]

    # A constraint error on the page blocks Next until it is fixed.
    for kind, name, value in HOUSEHOLD[2:7]:
        fieldday.answer(page, kind, name, value)
    page.fill('[name="members-0-member_age"]', "130")
    page.tap("[data-page-next]")
    assert page_count(page) == "第 2/8 页"
    assert page.inner_text('[data-err="members-0-member_age"]') == "年龄应在0至120之间"
    shot(page, shots, f"paged-constraint-zh-{width}x{height}.png")
    page.fill('[name="members-0-member_age"]', "45")
    assert page.inner_text('[data-err="members-0-member_age"]') == ""
    page.tap("[data-page-next]")
    on_page(page, "第 3/8 页")
    for kind, name, value in HOUSEHOLD[7:13]:
        fieldday.answer(page, kind, name, value)
    assert page.inner_text('output[data-calc="per_capita_income"]') == "29400"
    page.locator("[data-pager]").scroll_into_view_if_needed()
    shot(page, shots, f"paged-income-zh-{width}x{height}.png")

    # Back keeps every answer, and Next goes forward again.
    page.tap("[data-page-back]")
    on_page(page, "第 2/8 页")
    assert page.input_value('[name="members-0-member_age"]') == "45"
    page.tap("[data-page-next]")
    on_page(page, "第 3/8 页")
    assert page.input_value('[name="income_wage"]') == "30000"
    page.tap("[data-page-next]")
    on_page(page, "第 4/8 页")

    # A reload (still offline: the page from the worker's cache, the draft from IndexedDB)
    # reopens the draft on the page it was on.
    page.wait_for_function("document.querySelector('[data-save-state]').textContent.includes('草稿已保存')")
    page.reload()
    on_page(page, "第 4/8 页")
    assert page.input_value('[name="income_wage"]', timeout=5000) == "30000"

    for kind, name, value in HOUSEHOLD[13:]:
        if not page.is_visible(f'[name="{name}"]'):
            page.tap("[data-page-next]")
        fieldday.answer(page, kind, name, value)
    on_page(page, "第 8/8 页")
    assert not page.is_visible("[data-page-next]") and page.is_visible("button.big[type=submit]")
    shot(page, shots, f"paged-last-zh-{width}x{height}.png")
    page.tap("button.big[type=submit]")
    page.wait_for_function("document.querySelector('header [data-queue-count]').textContent === '1'")
    page.wait_for_selector("[data-record-state=queued]")

    network.up()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("document.querySelector('header [data-queue-count]').textContent === '0'")
    with app.extensions["evaluator.sessionmaker"]() as db:
        stored = db.scalars(select(Submission).where(Submission.household_id == household)).all()
    assert len(stored) == 1
    answers = stored[0].data
    assert str(answers["members"][0]["member_age"]) == "45" and str(answers["satisfaction"]) == "4"
    assert float(answers["income_wage"]) == 30000
    # The sent record is locked, but its pages can still be turned.
    page.tap("[data-page-back]")
    on_page(page, "第 7/8 页")
    assert errors == []


@SIZES
def test_the_paged_survey_in_english(app, paged_survey, field, live_server, tablet, fieldday, shots,
                                     size):
    width, height = size
    page = tablet(width, height).new_page()
    fieldday.sign_in(page, live_server)
    page.goto(live_server + fieldday.form_url(field.sample[1]) + "?lang=en")
    page.wait_for_selector("[data-pager]:not([hidden])")
    on_page(page, "Page 1/1")
    fieldday.answer(page, "radio", "consent", "yes")
    fieldday.answer(page, "radio", "respondent_relation", "self")
    on_page(page, "Page 1/8")
    page.tap("[data-page-next]")
    on_page(page, "Page 2/8")
    fieldday.answer(page, "add", "members", None)
    page.fill('[name="members-0-member_age"]', "130")
    page.tap("[data-page-next]")
    assert page_count(page) == "Page 2/8"
    assert page.inner_text("[data-page-summary]").startswith("Some answers need attention")
    assert page.inner_text('[data-page-back]').strip() == "← Previous"
    shot(page, shots, f"paged-constraint-en-{width}x{height}.png")
