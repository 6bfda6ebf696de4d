"""The field day, in a real browser on a touch tablet: skip logic and a failing constraint, two
households completed with the server down, a reload that loses nothing, and a sync that stores
each record exactly once (a replay adds nothing).

Waiting on the page: Playwright's ``wait_for_function`` treats a returned Promise as truthy, so
a check written as ``Store.get(id).then(r => r.status === 'x')`` passes at once whatever it
resolves to. Asynchronous checks go through ``poll`` (``page.evaluate`` awaits the promise);
``wait_for_function`` is kept for synchronous DOM checks.
"""

import json
import os

import pytest
from sqlalchemy import func, select
from tablet_steps import HOUSEHOLD, poll, sign_in_browser

from evaluator.fieldwork.models import Submission

pytestmark = pytest.mark.browser


def answer(page, kind, name, value):
    if kind in ("radio", "check"):
        page.tap(f'input[name="{name}"][value="{value}"]')
    elif kind == "add":
        page.tap(f'section[data-repeat="{name}"] > [data-add]')
    else:
        page.fill(f'[name="{name}"]', value)


def queue_count(page) -> str:
    return page.inner_text("header [data-queue-count]")


def stored(app) -> list[tuple[str, str]]:
    with app.extensions["evaluator.sessionmaker"]() as db:
        return [(s.household_id, s.instance_id) for s in db.scalars(
            select(Submission).order_by(Submission.household_id))]


def shot(page, shots, name):
    if shots:
        page.screenshot(path=os.path.join(shots, name), full_page=False)


def form_url(field, household):
    return f"/evaluations/{field.evaluation_id}/collect/household/{household}"


def test_wait_for_function_takes_a_promise_for_true(tablet):
    """Why ``poll``: the old pattern passes on a promise of false, so it could never fail."""
    page = tablet().new_page()
    page.set_content("<p>x</p>")
    page.wait_for_function("() => Promise.resolve(false)", timeout=2000)  # passes at once
    with pytest.raises(AssertionError):
        poll(page, "() => Promise.resolve(false)", timeout=1.0)
    assert poll(page, "() => Promise.resolve(42)") == 42


def test_two_households_offline_then_synced_exactly_once(app, field, network, tablet, shots,
                                                        fieldday):
    live_server = network.base
    context = tablet()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_browser(page, live_server, field.username("evaluator"), field.password)
    page.goto(live_server + "/assignments")
    first, second, third = field.sample[0], field.sample[1], field.reserve[0]
    # The service worker keeps "my assignments" and every assigned form for the day offline.
    fieldday.wait_cached(page, [form_url(field, h) for h in (first, second, third)] + ["/assignments"])
    shot(page, shots, "assignments-1024x768.png")

    page.goto(live_server + form_url(field, first))
    assert page.input_value('[name="household_id"]') == first
    # Skip logic: nothing beyond consent until the household agrees.
    assert not page.is_visible('[name="income_wage"]')
    page.tap('input[name="consent"][value="yes"]')
    assert page.is_visible('[name="income_wage"]')
    assert not page.is_visible('input[name="exit_agrees"]')
    page.tap('input[name="exit_told"][value="yes"]')
    assert page.is_visible('input[name="exit_agrees"]')
    # A failing constraint shows its message as soon as the field is left.
    page.tap('section[data-repeat="members"] > [data-add]')
    page.fill('[name="members-0-member_age"]', "130")
    page.tap('input[name="members-0-member_relation"][value="self"]')
    message = page.locator('[data-err="members-0-member_age"]')
    assert message.inner_text() == "年龄应在0至120之间"
    shot(page, shots, "questionnaire-constraint-1024x768.png")
    page.fill('[name="members-0-member_age"]', "45")
    assert message.inner_text() == ""

    network.down()  # no signal, for the page and the service worker alike
    for kind, name, value in HOUSEHOLD:
        if (kind, name) not in (("add", "members"), ("radio", "consent")):
            answer(page, kind, name, value)
    assert page.inner_text('output[data-calc="per_capita_income"]') == "29400"
    page.tap("button.big[type=submit]")
    page.wait_for_function("document.querySelector('header [data-queue-count]').textContent === '1'")
    # The note is written once the upload attempt has ended (no signal: at once).
    page.wait_for_selector("[data-record-state=queued]")
    assert "等待网络" in page.inner_text("[data-record]")
    assert "没有网络" in page.inner_text("[data-record]")  # the reason, not a tooltip
    shot(page, shots, "questionnaire-queued-offline-1024x768.png")

    page.goto(live_server + form_url(field, second))  # from the service worker's cache
    for kind, name, value in HOUSEHOLD:
        answer(page, kind, name, value)
    page.tap("button.big[type=submit]")
    page.wait_for_function("document.querySelector('header [data-queue-count]').textContent === '2'")

    page.goto(live_server + form_url(field, third))
    answer(page, "radio", "consent", "yes")
    answer(page, "text", "income_wage", "18000")
    page.wait_for_function("document.querySelector('[data-save-state]').textContent.includes('草稿已保存')")
    page.reload()  # still offline: the page comes from the cache, the draft from IndexedDB
    page.wait_for_function("document.querySelector('[name=income_wage]').value === '18000'")
    assert page.is_checked('input[name="consent"][value="yes"]')
    assert queue_count(page) == "2"
    assert stored(app) == []  # nothing has reached the server yet

    network.up()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("document.querySelector('header [data-queue-count]').textContent === '0'")
    records = stored(app)
    assert sorted(h for h, _ in records) == sorted([first, second])
    assert len({i for _, i in records}) == 2

    # A replay of the same uploads (a lost acknowledgement) adds nothing.
    statuses = page.evaluate("""() => Store.all().then(records => Promise.all(records
        .filter(r => r.status === 'sent').map(r => fetch('/api/v1/submissions', {
            method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json',
                      'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content},
            body: JSON.stringify(r.payload)}).then(res => res.status))))""")
    assert statuses == [200, 200]
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.scalar(select(func.count(Submission.id))) == 2
    page.goto(live_server + form_url(field, first))  # stored: changed only through an edit
    # The page locks its inputs once it has read the tablet's records (IndexedDB, after load).
    page.wait_for_function("document.querySelector('#questionnaire').classList.contains('locked')")
    assert page.is_disabled('input[name="consent"][value="no"]')
    assert page.is_visible("[data-existing] a")
    page.goto(live_server + "/assignments")
    shot(page, shots, "assignments-after-sync-1024x768.png")
    assert errors == []


def test_a_refused_record_stays_on_the_tablet_and_says_why(app, field, live_server, tablet):
    """A record the server refuses is kept, counted and explained; never dropped silently."""
    context = tablet()
    page = context.new_page()
    sign_in_browser(page, live_server, field.username("evaluator"), field.password)
    page.goto(live_server + form_url(field, field.sample[0]))
    page.wait_for_function("window.Store && window.Sync")
    record = {"instance_id": "3f0b6a0e-8c4b-4a55-9d0e-1b2c3d4e5f60", "key": "x/household/y",
              "status": "queued", "completed": 1,
              "payload": {"instance_id": "3f0b6a0e-8c4b-4a55-9d0e-1b2c3d4e5f60",
                          "evaluation_id": field.evaluation_id, "source": "household",
                          "household_id": field.sample[0],
                          "answers": {"household_id": field.sample[0], "consent": "maybe"}}}
    page.evaluate("r => Store.enqueue(r).then(() => Sync.run(true))", record)
    poll(page, """() => Store.get('3f0b6a0e-8c4b-4a55-9d0e-1b2c3d4e5f60')
        .then(r => r.status === 'invalid')""", what="the record marked invalid")
    kept = page.evaluate("() => Store.get('3f0b6a0e-8c4b-4a55-9d0e-1b2c3d4e5f60')")
    # the reason code, and the server's message in the page's language (Chinese first)
    assert kept["last_error"] == "invalid" and "需要修改" in kept["message"]
    assert json.dumps(kept["problems"], ensure_ascii=False).count("consent") >= 1
    assert queue_count(page) == "1"
    assert stored(app) == []


@pytest.mark.parametrize("size", [(1024, 768), (768, 1024)], ids=["landscape", "portrait"])
def test_pages_fit_the_tablet_with_large_targets(app, field, live_server, tablet, shots, size,
                                                 client, sign_in, api_post, household_record):
    sign_in("evaluator")
    assert api_post(household_record(field.sample[1])).status_code == 201
    width, height = size
    context = tablet(width, height)
    page = context.new_page()
    page.goto(live_server + "/auth/login")
    shot(page, shots, f"login-{width}x{height}.png")
    sign_in_browser(page, live_server, field.username("lead"), field.password)
    pages = {"evaluation": f"/evaluations/{field.evaluation_id}",
             "sample": f"/evaluations/{field.evaluation_id}/sample",
             "quality": f"/evaluations/{field.evaluation_id}/quality",
             "questionnaire": form_url(field, field.sample[0]),
             "file-check": f"/evaluations/{field.evaluation_id}/collect/file_check/{field.sample[0]}",
             "forum": f"/evaluations/{field.evaluation_id}/forum",
             "findings": f"/evaluations/{field.evaluation_id}/findings"}
    for name, path in pages.items():
        page.goto(live_server + path)
        if name == "questionnaire":
            page.tap('input[name="consent"][value="yes"]')
        # Nothing wider than the screen, and every control a finger can hit.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (name, overflow)
        small = page.evaluate("""() => [...document.querySelectorAll(
              'main button, main .button, main .pill, main label.choice, main input:not([type=hidden]):not([type=radio]):not([type=checkbox]), main select')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44)""")
        assert small == [], (name, small)
        shot(page, shots, f"{name}-{width}x{height}.png")
