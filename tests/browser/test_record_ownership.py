"""Issue 10, items 2, 4, 6, 7 and 8: who owns a record on the tablet.

- one window owns a household's form; a second window cannot overwrite the queued record;
- a refused record is explained on the household page and resolved there (send as an edit,
  keep both for the lead, discard after a confirmation);
- a record waits for its author when someone else signs in on the tablet;
- a sign-in banner (not a tooltip) when records wait for a session, and a sign-in that survives
  a restart of the tablet;
- a completed record reopened shows its answers and where it is.

Each counts the records entered against the rows on the server: none lost, none doubled, and
every record still waiting visible."""

import os

import pytest

pytestmark = pytest.mark.browser


def shot(page, shots, name):
    if shots:
        page.screenshot(path=os.path.join(shots, name), full_page=False)


def test_two_windows_never_both_own_a_record(app, field, network, tablet, fieldday):
    context = tablet()
    first = context.new_page()
    fieldday.sign_in(first, network.base)
    household = field.sample[0]
    fieldday.open_form(first, network.base, household)
    fieldday.answer(first, "radio", "consent", "yes")
    second = context.new_page()
    fieldday.open_form(second, network.base, household)
    # The second window sees the form is open elsewhere and cannot type into it.
    assert second.get_attribute("#questionnaire", "data-ready") == "elsewhere"
    assert "另一个窗口" in second.inner_text("[data-record]")
    assert second.is_disabled('input[name="consent"][value="no"]')

    first.bring_to_front()
    fieldday.fill(first)
    network.down()
    fieldday.submit(first, outcome="queued")
    queued = fieldday.local(first)
    assert [r["status"] for r in queued] == ["queued"]

    # Taking the form over in the second window shows the queued record, read-only; the first
    # window stops saving and says so.
    second.bring_to_front()
    fieldday.tap(second, "[data-take-over]", "queued")
    first.wait_for_selector("[data-record-state=elsewhere]")
    assert "本户已完成" in second.inner_text("[data-record]")
    assert second.input_value('[name="income_wage"]') == "30000"
    assert second.is_disabled('input[name="consent"][value="no"]')
    # What lost records before: a draft save under the queued record's id. The store refuses it.
    refused = second.evaluate("""id => Store.saveDraft({instance_id: id, key: 'x', payload: {},
        draft: {top: {}, reps: {}}}, 'another-tab').then(() => 'saved', e => e.name)""",
                              queued[0]["instance_id"])
    assert refused == "Immutable"
    # ... and a save of a draft another window owns is refused as well.
    second.tap("[data-edit-local]")  # a new draft in the second window
    second.wait_for_function("document.querySelector('[data-save-state]').textContent.includes('草稿已保存')")
    draft = next(r for r in fieldday.local(second) if r["status"] == "draft")
    stolen = first.evaluate("""d => Store.saveDraft(d, 'the-first-window').then(() => 'saved',
        e => e.name)""", draft)
    assert stolen == "TakenOver"
    second.evaluate("id => Store.update(id, r => { r.status = 'discarded'; return r; })",
                    draft["instance_id"])  # the test's draft, not the evaluator's

    network.up()
    second.evaluate("Sync.run(true)")
    fieldday.wait_until(lambda: len(fieldday.rows()) == 1, what="the queued record stored")
    fieldday.assert_zero_loss(second, {household: {"satisfaction": "4", "income_wage": "30000"}})


@pytest.fixture
def stored_by(app, field, household_record):
    """Store a record for a household as ``role`` (another tablet, or the lead), from a client of
    its own: signing out would end every session of that user, the tablet's too."""

    def store(role, household, **answers):
        other = app.test_client()
        response = other.post("/auth/login", data={"username": field.username(role),
                                                   "password": field.password})
        assert response.status_code == 302
        record = household_record(household, **answers)
        assert other.post("/api/v1/submissions", json=record).status_code == 201
        return record["instance_id"]

    return store


def test_a_refused_record_is_resolved_on_the_tablet(app, field, network, tablet, fieldday,
                                                   stored_by, shots):
    page = tablet().new_page()
    fieldday.sign_in(page, network.base)
    # 1. The lead stored this household meanwhile: the evaluator may not overwrite it, so keeps
    #    both for the lead.
    household = field.sample[0]
    fieldday.open_form(page, network.base, household)
    fieldday.fill(page, {"satisfaction": "5"})
    lead_id = stored_by("lead", household)
    fieldday.submit(page, outcome="conflict")
    panel = page.inner_text("[data-record]")
    assert "上传被服务器拒绝" in panel and "服务器上本户已有一份记录" in panel
    page.wait_for_function("document.querySelector('[data-queue-badge]').classList.contains('has-refused')")
    assert fieldday.badge(page) == 1
    for lang, size in (("zh", (1024, 768)), ("zh", (768, 1024)), ("en", (1024, 768)),
                       ("en", (768, 1024))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.goto(network.base + fieldday.form_url(household) + f"?lang={lang}")
        page.wait_for_selector("[data-record-state=conflict]")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (lang, size, overflow)
        if lang == "en":
            assert "The server already has a record for this household" in page.inner_text("[data-record]")
        shot(page, shots, f"conflict-{lang}-{size[0]}x{size[1]}.png")
    page.goto(network.base + fieldday.form_url(household) + "?lang=zh")
    page.wait_for_selector("[data-record-state=conflict]")
    fieldday.tap(page, "[data-resolve-edit]", "conflict")  # refused again, with the new reason
    assert "只有评估组长或原提交人才能修改" in page.inner_text("[data-record]")
    fieldday.tap(page, "[data-resolve-keep]", "sent")
    assert fieldday.badge(page) == 0
    rows = {r["instance_id"]: r for r in fieldday.rows()}
    assert rows[lead_id]["current"] is False  # kept, not lost
    mine = next(r for r in rows.values() if r["current"])
    assert (mine["state"], mine["deprecated_id"], mine["data"]["satisfaction"]) == (
        "hasIssues", lead_id, "5")

    # 2. Another tablet of the same evaluator stored it first: send this one as an edit.
    household = field.sample[1]
    fieldday.open_form(page, network.base, household)
    fieldday.fill(page, {"satisfaction": "5"})
    other_id = stored_by("evaluator", household)
    fieldday.submit(page, outcome="conflict")
    fieldday.tap(page, "[data-resolve-edit]", "sent")
    edited = next(r for r in fieldday.rows() if r["household_id"] == household and r["current"])
    assert (edited["state"], edited["deprecated_id"], edited["data"]["satisfaction"]) == (
        "edited", other_id, "5")

    # 3. Discarding asks first, on the page; the record stays on the tablet, no longer waiting.
    household = field.sample[2]
    fieldday.open_form(page, network.base, household)
    fieldday.fill(page)
    stored_by("lead", household)
    fieldday.submit(page, outcome="conflict")
    page.tap("[data-discard]")
    assert "确定放弃" in page.inner_text("[data-record]")
    fieldday.tap(page, "[data-discard-no]", "conflict")  # changed my mind: nothing happened
    assert fieldday.badge(page) == 1
    page.tap("[data-discard]")
    page.tap("[data-discard-yes]")
    page.wait_for_function("document.querySelector('header [data-queue-count]').textContent === '0'")
    statuses = {r["key"].split("/")[-1]: r["status"] for r in fieldday.local(page)
                if r["status"] != "superseded"}
    assert statuses[household] == "discarded"
    entered = {field.sample[0]: {"satisfaction": "5"}, field.sample[1]: {"satisfaction": "5"},
               field.sample[2]: {"satisfaction": "4"}}  # the last is the lead's, kept as it was
    fieldday.assert_zero_loss(page, entered)


def test_a_record_waits_for_its_author_when_someone_else_signs_in(
        app, field, network, tablet, fieldday, shots):
    context = tablet()
    page = context.new_page()
    fieldday.sign_in(page, network.base)
    page.goto(network.base + "/assignments")
    households = field.sample[:2]
    fieldday.wait_cached(page, [fieldday.form_url(h) for h in households])
    network.down()
    for household in households:
        fieldday.open_form(page, network.base, household)
        fieldday.fill(page)
        fieldday.submit(page, outcome="queued")
    page.goto("about:blank")
    context.clear_cookies()  # the evaluator's session is gone (signed out elsewhere, expired)
    network.up()
    fieldday.sign_in(page, network.base, "lead")
    page.goto(network.base + "/assignments")
    page.wait_for_function("!document.querySelector('[data-sync-banner]').hidden")
    page.evaluate("Sync.run(true)")
    banner = page.inner_text("[data-sync-banner]")
    assert "2 条 f-evaluator 填写的记录" in banner and "f-evaluator 本人登录" in banner
    assert fieldday.badge(page) == 2  # visible to the lead too
    shot(page, shots, "other-author-banner-zh-1024x768.png")
    assert fieldday.rows() == []  # never uploaded as the lead's
    with page.expect_navigation():
        page.tap("form[data-logout] button")  # signing out keeps the records
    fieldday.sign_in(page, network.base, "evaluator")
    page.goto(network.base + "/assignments")
    fieldday.wait_until(lambda: len(fieldday.rows()) == 2, what="the evaluator's two records")
    assert {r["submitter"] for r in fieldday.rows()} == {"f-evaluator"}
    page.wait_for_function("document.querySelector('header [data-queue-count]').textContent === '0'")
    fieldday.assert_zero_loss(page, {h: {"satisfaction": "4"} for h in households})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_sign_in_banner_when_records_wait_for_a_session(lang, app, field, network,
                                                          persistent_tablet, fieldday, shots):
    context = persistent_tablet("banner", locale="zh-CN" if lang == "zh" else "en-US")
    page = context.pages[0] if context.pages else context.new_page()
    fieldday.sign_in(page, network.base)
    household = field.sample[0]
    page.goto(network.base + fieldday.form_url(household) + f"?lang={lang}")
    page.wait_for_selector("#questionnaire[data-ready]", state="attached")
    fieldday.fill(page) if lang == "zh" else fill_english(fieldday, page)
    network.down()
    fieldday.submit(page, outcome="queued")
    # Restart the tablet: the sign-in lasts (a persistent cookie), the queue goes up unasked.
    persistent_tablet.close(context)
    network.up()
    context = persistent_tablet("banner", locale="zh-CN" if lang == "zh" else "en-US")
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(network.base + "/assignments")
    fieldday.wait_until(lambda: len(fieldday.rows()) == 1, what="the record sent after the restart")

    # Now the session ends while a record waits: the page says so in a banner with a link.
    second = field.sample[1]
    page.goto(network.base + fieldday.form_url(second))
    page.wait_for_selector("#questionnaire[data-ready]", state="attached")
    fieldday.fill(page) if lang == "zh" else fill_english(fieldday, page)
    network.down()
    fieldday.submit(page, outcome="queued")
    context.clear_cookies()
    network.up()
    page.evaluate("window.dispatchEvent(new Event('online'))")
    banner = page.locator("[data-sync-banner]")
    banner.wait_for(state="visible")
    expected = "登录已过期，请重新登录" if lang == "zh" else "the session has ended, please sign in again"
    assert expected in banner.inner_text()
    assert banner.locator("a").get_attribute("href").startswith("/auth/login?next=")
    for size in ((1024, 768), (768, 1024)):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, shots, f"signin-banner-{lang}-{size[0]}x{size[1]}.png")
    assert len(fieldday.rows()) == 1
    with page.expect_navigation():
        banner.locator("a").tap()
    page.fill("#username", field.username("evaluator"))
    page.fill("#password", field.password)
    with page.expect_navigation():
        page.tap("button[type=submit]")
    fieldday.wait_until(lambda: len(fieldday.rows()) == 2, what="the record sent after signing in")
    assert page.url.endswith(fieldday.form_url(second))  # back where the person was
    page.wait_for_function("document.querySelector('header [data-queue-count]').textContent === '0'")
    fieldday.assert_zero_loss(page, {household: {"satisfaction": "4"}, second: {"satisfaction": "4"}})


def fill_english(fieldday, page):
    """The same answers on an English page (only the draft-saved words differ)."""
    for kind, name, value in fieldday.HOUSEHOLD:
        fieldday.answer(page, kind, name, value)
    page.wait_for_function("document.querySelector('[data-save-state]').textContent.includes('Draft saved')")


def test_a_completed_record_reopened_shows_its_answers_and_where_it_is(
        app, field, network, tablet, fieldday):
    page = tablet().new_page()
    fieldday.sign_in(page, network.base)
    household = field.sample[3]
    fieldday.open_form(page, network.base, household)
    fieldday.fill(page)
    network.down()
    fieldday.submit(page, outcome="queued")
    page.reload()  # from the worker's cache
    page.wait_for_selector("#questionnaire[data-ready=owner]", state="attached")
    page.wait_for_selector("[data-record-state=queued]")
    assert page.input_value('[name="income_wage"]') == "30000"
    assert page.is_checked('input[name="satisfaction"][value="4"]')
    save_state = page.inner_text("[data-save-state]")
    assert save_state == "已完成，待上传" and "尚未保存" not in page.inner_text(".savebar")
    assert "等待网络上传" in page.inner_text("[data-record]")
    network.up()
    fieldday.tap(page, "[data-send-now]", "sent")
    page.reload()
    page.wait_for_selector("[data-record-state=sent]")
    assert "本户已完成并上传" in page.inner_text("[data-record]")
    assert page.input_value('[name="income_wage"]') == "30000"
    fieldday.assert_zero_loss(page, {household: {"income_wage": "30000"}})
