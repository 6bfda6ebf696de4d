"""Issue 10, items 5 and 9: app updates never strand a cached page without its scripts; the app
shell (app.css, "/", "my assignments") works offline; signing out keeps the records and the
forms; the browser is asked to keep the data and its answer shown; a failed write to the
tablet's storage is shown at once and nothing is called saved that was not; no photo is taken
that there is no room for."""

import base64
import os

import pytest

pytestmark = pytest.mark.browser

BRAND = "rgb(179, 38, 30)"  # app.css: the header's red rule; unstyled pages have none


def shot(page, shots, name):
    if shots:
        page.screenshot(path=os.path.join(shots, name), full_page=False)


def kept_pages(page) -> list[str]:
    """Every page (not a static file) in the worker's caches, as a path with its query."""
    return page.evaluate("""() => caches.keys().then(names => Promise.all(names.map(n =>
        caches.open(n).then(c => c.keys())))).then(lists => [...new Set([].concat(...lists)
        .map(r => new URL(r.url)).filter(u => !u.pathname.startsWith('/static/'))
        .map(u => u.pathname + u.search))])""")


def assert_page_works_offline(page, base, path):
    response = page.goto(base + path)
    assert response.status == 200, (path, response.status)
    assert page.evaluate("getComputedStyle(document.querySelector('.bar')).borderBottomColor") == BRAND, path
    page.wait_for_function("!!(window.Store && window.Queue && window.Sync)")
    if "/collect/" in path or path.endswith("/forum"):
        page.wait_for_selector("#questionnaire[data-ready=owner]", state="attached")
        if page.get_attribute("#questionnaire", "class") == "locked":  # a completed record
            assert page.locator("[data-record] [data-record-state]").count() == 1
            return
        first_text = page.locator("#questionnaire input:not([type]):visible:not([readonly]), "
                                  "#questionnaire input[inputmode]:visible").first
        first_text.fill("7")  # the form code runs: the change is saved as a draft
        page.wait_for_function("document.querySelector('[data-save-state]').textContent.includes('草稿已保存')")


@pytest.mark.parametrize("online_for", [0.05, 0.3, 3.0], ids=["cut-at-once", "cut-0.3s", "installed"])
def test_an_app_update_never_strands_a_cached_page(online_for, app, field, network, tablet,
                                                   fieldday, monkeypatch):
    from evaluator.fieldwork.collect import tablet as offline

    page = tablet().new_page()
    fieldday.sign_in(page, network.base)
    page.goto(network.base + "/assignments")
    forms = [fieldday.form_url(h, s) for h in field.sample + field.reserve
             for s in ("household", "file_check")] + [f"/evaluations/{field.evaluation_id}/forum"]
    fieldday.wait_cached(page, ["/", "/assignments", *forms])
    old = offline.asset_version()
    household = field.reserve[0]  # a record waits in the queue across the update
    fieldday.open_form(page, network.base, household)
    fieldday.fill(page)
    network.down()
    fieldday.submit(page, outcome="queued")
    page.evaluate("Sync.stop()")
    network.up()

    monkeypatch.setattr(offline, "asset_version", lambda: "update000001")  # a new release
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    page.wait_for_timeout(online_for * 1000)
    network.down()
    fieldday.poll(page, """() => navigator.serviceWorker.getRegistration()
        .then(r => !r.installing && !r.waiting && r.active.state === 'activated')""",
                  timeout=60, what="the update settled")
    version = fieldday.poll(page, """() => navigator.serviceWorker.ready.then(r => new Promise(resolve => {
        const channel = new MessageChannel();
        channel.port1.onmessage = e => resolve(e.data.version);
        r.active.postMessage({type: 'status'}, [channel.port2]); }))""")
    caches = page.evaluate("() => caches.keys()")
    if version == "update000001":  # installed: the old cache went only once the new one was whole
        assert caches == ["evaluator-update000001"]
    else:  # the signal went first: the old version stays whole (a partial new one may wait)
        assert version == old and f"evaluator-{old}" in caches
    paths = kept_pages(page)
    assert {"/", "/assignments", *forms} <= set(paths)
    for path in paths:  # every cached page, whichever version it was written for, still works
        assert_page_works_offline(page, network.base, path)
    network.up()
    page.goto(network.base + fieldday.form_url(household))
    page.evaluate("Sync.run(true)")
    fieldday.wait_until(lambda: len(fieldday.rows()) == 1, what="the queued record sent")
    assert fieldday.rows()[0]["household_id"] == household  # 0 lost, 0 doubled
    fieldday.poll(page, "() => Store.waiting().then(w => w.length === 0)", what="the queue emptied")
    statuses = sorted(r["status"] for r in fieldday.local(page))
    assert statuses.count("sent") == 1 and set(statuses) <= {"sent", "draft"}  # drafts kept


def test_the_shell_works_offline_and_signing_out_keeps_records_and_forms(
        app, field, network, tablet, fieldday, shots):
    page = tablet().new_page()
    fieldday.sign_in(page, network.base)
    for lang, word in (("en", "Storage:"), ("zh", "本机存储：")):
        page.goto(network.base + f"/assignments?lang={lang}")
        storage = page.locator("[data-storage]")
        storage.wait_for(state="visible")
        assert word in storage.inner_text()  # the browser's answer to persist(), shown
        for size in ((1024, 768), (768, 1024)):
            page.set_viewport_size({"width": size[0], "height": size[1]})
            shot(page, shots, f"storage-line-{lang}-{size[0]}x{size[1]}.png")
    page.set_viewport_size({"width": 1024, "height": 768})
    answer = fieldday.poll(page, "() => Store.getMeta('storage')", what="the storage answer kept")
    assert isinstance(answer["persisted"], bool)
    household = field.sample[0]
    fieldday.wait_cached(page, ["/", "/assignments", fieldday.form_url(household)])
    fieldday.open_form(page, network.base, household)
    fieldday.answer(page, "radio", "consent", "yes")
    fieldday.answer(page, "text", "income_wage", "18000")
    page.wait_for_function("document.querySelector('[data-save-state]').textContent.includes('草稿已保存')")
    with page.expect_navigation():
        page.tap("form[data-logout] button")
    network.down()
    for path in ("/", "/assignments"):
        response = page.goto(network.base + path)
        assert response.status == 200, path
        assert page.evaluate("getComputedStyle(document.querySelector('.bar')).borderBottomColor") == BRAND
    page.goto(network.base + fieldday.form_url(household))  # kept after signing out
    page.wait_for_selector("#questionnaire[data-ready=owner]", state="attached")
    assert page.input_value('[name="income_wage"]') == "18000"  # and so is the draft
    assert [r["status"] for r in fieldday.local(page)] == ["draft"]


# The tablet's storage is full: every write fails as Chromium fails it (QuotaExceededError).
# (CDP's Storage.overrideQuotaForOrigin does not reach an IndexedDB already open here, so the
# failure is raised where the browser raises it, on the object store's put.)
STORAGE_FULL = """() => {
    window.storageFull = true;
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (...args) {
        if (window.storageFull) { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); }
        return put.apply(this, args);
    };
}"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_failed_save_is_shown_at_once_and_nothing_is_called_saved(lang, app, field, network,
                                                                   tablet, fieldday, shots):
    words = {"zh": ("保存失败", "刚才的修改没有保存到本机", "记录未能放入上传队列", "草稿已保存"),
             "en": ("Not saved", "was NOT saved on this tablet", "could not be queued", "Draft saved")}[lang]
    context = tablet()
    page = context.new_page()
    fieldday.sign_in(page, network.base)
    household = field.sample[0]
    page.goto(network.base + fieldday.form_url(household) + f"?lang={lang}")
    page.wait_for_selector("#questionnaire[data-ready=owner]", state="attached")
    page.evaluate(STORAGE_FULL)
    fieldday.answer(page, "radio", "consent", "yes")
    page.wait_for_selector("[data-save-failed]", state="visible")
    assert words[0] in page.inner_text("[data-save-state]")
    assert words[1] in page.inner_text("[data-save-failed]")
    assert "failed" in page.get_attribute(".savebar", "class")
    for kind, name, value in fieldday.HOUSEHOLD[1:]:
        fieldday.answer(page, kind, name, value)
    assert words[3] not in page.inner_text(".savebar")  # never claimed
    page.evaluate("window.scrollTo(0, 0)")
    for size in ((1024, 768), (768, 1024)):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        shot(page, shots, f"save-failed-{lang}-{size[0]}x{size[1]}.png")
    page.set_viewport_size({"width": 1024, "height": 768})
    before = fieldday.seq(page)
    page.tap("button.big[type=submit]")
    fieldday.outcome(page, "failed", before)
    assert words[2] in page.inner_text("[data-record]")
    assert not page.is_disabled('input[name="satisfaction"][value="5"]')  # still editable
    assert fieldday.rows() == [] and fieldday.local(page) == []

    page.evaluate("window.storageFull = false")  # room again
    fieldday.answer(page, "radio", "satisfaction", "5")
    page.wait_for_function(f"document.querySelector('[data-save-state]').textContent.includes('{words[3]}')")
    assert page.is_hidden("[data-save-failed]")
    fieldday.submit(page, outcome="sent")
    fieldday.assert_zero_loss(page, {household: {"satisfaction": "5"}})


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_photo_is_taken_without_room_for_it(lang, app, field, network, tablet, fieldday,
                                              shots, tmp_path):
    page = tablet().new_page()
    fieldday.sign_in(page, network.base)
    page.goto(network.base + fieldday.form_url(field.sample[0]) + f"?lang={lang}")
    page.wait_for_selector("#questionnaire[data-ready=owner]", state="attached")
    fieldday.answer(page, "radio", "consent", "yes")
    # The browser reports 1 MB left: no photo is kept rather than a draft that fails later.
    page.evaluate("navigator.storage.estimate = () => Promise.resolve({quota: 50e6, usage: 49e6})")
    photo = tmp_path / "door.png"
    photo.write_bytes(PNG)
    page.set_input_files("[data-photo=door_photo]", str(photo))
    message = page.locator('[data-err="door_photo"]')
    message.wait_for(state="visible")
    assert ("本机存储空间不足" if lang == "zh" else "Not enough storage") in message.inner_text()
    assert page.input_value('[name="door_photo"]') == ""
    message.scroll_into_view_if_needed()
    for size in ((1024, 768), (768, 1024)):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        message.scroll_into_view_if_needed()
        shot(page, shots, f"photo-no-room-{lang}-{size[0]}x{size[1]}.png")
    page.evaluate("navigator.storage.estimate = () => Promise.resolve({quota: 5e9, usage: 1e6})")
    page.set_input_files("[data-photo=door_photo]", str(photo))
    page.wait_for_function("document.querySelector('[name=door_photo]').value.endsWith('.jpg')")
    assert message.inner_text() == ""
    if lang == "zh":  # the photo travels with the record, once
        fieldday.fill(page)
        fieldday.submit(page, outcome="sent")
        from evaluator.fieldwork.models import Attachment

        with app.extensions["evaluator.sessionmaker"]() as db:
            photos = db.query(Attachment).all()
            assert [(p.field, p.content_type) for p in photos] == [("door_photo", "image/jpeg")]
        fieldday.assert_zero_loss(page, {field.sample[0]: {"satisfaction": "4"}})
        sent = fieldday.local(page)[0]
        assert sent["payload"]["attachments"][0]["data"] == ""  # the tablet no longer holds it
