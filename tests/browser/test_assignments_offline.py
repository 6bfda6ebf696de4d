"""My assignments is paged on the server (50 task cards a page); without a signal the tablet
still reaches every assigned household: a page of the list it has not kept is answered by a kept
copy, which then shows every task the service worker keeps (tasks.js), searched and filtered as
the address asks, and each card opens its questionnaire offline."""

import pytest

pytestmark = pytest.mark.browser

REFRESHED = """() => Promise.race([Sync.refreshed,
    new Promise(resolve => setTimeout(() => resolve({state: 'no answer'}), 120000))])"""


@pytest.fixture
def hundred(app, field):
    """100 more households for the evaluator: 112 tasks, 3 pages."""
    from evaluator.auth.models import User
    from evaluator.fieldwork.manage.scale import add_assigned_households
    from evaluator.fieldwork.models import Evaluation

    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        return add_assigned_households(db, db.get(Evaluation, field.evaluation_id),
                                       db.get(User, field.users["evaluator"]), 100)


def shown(page) -> list[str]:
    return page.eval_on_selector_all(
        "[data-server-list]:not([hidden]) .hh, [data-kept-list]:not([hidden]) .hh",
        "els => els.map(e => e.textContent)")


def test_offline_every_kept_household_is_reachable_from_any_page_of_the_list(
        field, network, tablet, fieldday, hundred, shots):
    page = tablet().new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    fieldday.sign_in(page, network.base)
    page.goto(network.base + "/assignments")
    assert page.evaluate(REFRESHED)["state"] == "complete"
    online = shown(page)
    assert len(online) == 50 and hundred[-1] not in online
    page.goto(network.base + "/assignments?page=3")  # online: the server's page 3
    assert len(shown(page)) == 12 and hundred[-1] in shown(page)
    assert page.is_hidden("[data-kept-list]")

    network.down()
    page.goto(network.base + "/assignments?page=2")  # never opened: a kept copy stands in
    page.wait_for_selector("[data-kept-list]:not([hidden])")
    kept = shown(page)
    assert len(kept) == 112 and set(hundred) <= set(kept)
    assert "112" in page.inner_text("[data-kept-list] p.muted")
    if shots:
        page.screenshot(path=f"{shots}/assignments-offline-zh-1024x768.png")
    page.goto(network.base + f"/assignments?q={hundred[-1]}")
    page.wait_for_selector("[data-kept-list]:not([hidden])")
    assert shown(page) == [hundred[-1]]
    assert page.input_value('.task-filter [name="q"]') == hundred[-1]
    page.goto(network.base + "/assignments?status=submitted&page=2")
    page.wait_for_selector("[data-kept-list]:not([hidden])")
    assert shown(page) == [] and "没有符合条件的户" in page.inner_text("[data-kept-list]")
    page.goto(network.base + f"/assignments?q={hundred[-1]}")
    page.wait_for_selector("[data-kept-list]:not([hidden])")
    with page.expect_navigation():
        page.tap(f'[data-kept-list] a.task[data-key$="/{hundred[-1]}"]')
    assert page.input_value('[name="household_id"]') == hundred[-1]  # the questionnaire, offline
    assert errors == []


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", [(1024, 768), (768, 1024)])
def test_the_paged_list_fits_a_tablet(field, live_server, tablet, fieldday, hundred, shots,
                                      lang, size):
    """Page 1, and page 2 of the to-do filter: the cards, counts and page links fit the screen."""
    page = tablet(*size).new_page()
    fieldday.sign_in(page, live_server)
    for name, path in (("page1", f"/assignments?lang={lang}"),
                       ("page2-todo", "/assignments?status=assigned&page=2")):
        page.goto(live_server + path)
        assert len(shown(page)) == 50, path
        assert page.evaluate("document.documentElement.scrollWidth") <= size[0], path
        links = page.eval_on_selector_all("nav.pager a", "els => els.map(e => "
                                          "[e.textContent, e.getBoundingClientRect().right])")
        assert [t for t, _ in links if t.strip() in "123"] == ["1", "2", "3"], links
        assert all(right <= size[0] for _, right in links), links
        if shots:
            page.screenshot(path=f"{shots}/assignments-{name}-{lang}-{size[0]}x{size[1]}.png")
            page.locator("nav.pager").screenshot(
                path=f"{shots}/assignments-{name}-pager-{lang}-{size[0]}x{size[1]}.png")
