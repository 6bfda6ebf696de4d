"""The pages under the real Content-Security-Policy in Chromium: a tablet's day (assignments,
the questionnaire with skip logic, a calculation and a repeat, the queue) and the lead's pages
run with no policy violation and no script error, so nothing the app needs was inline."""

import pytest
from tablet_steps import sign_in_browser, watch

pytestmark = pytest.mark.browser


def test_the_tablet_pages_run_under_the_policy(app, field, live_server, tablet):
    page = tablet(enforce_csp=True).new_page()
    problems = watch(page)
    sign_in_browser(page, live_server, field.username("evaluator"), field.password)
    response = page.goto(live_server + "/assignments")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.goto(f"{live_server}/evaluations/{field.evaluation_id}/collect/household/"
              f"{field.sample[0]}")
    page.tap('input[name="consent"][value="yes"]')
    assert page.is_visible('[name="income_wage"]')  # skip logic ran (form.js, expr.js)
    page.tap('section[data-repeat="members"] > [data-add]')
    page.fill('[name="members-0-member_age"]', "45")
    page.fill('[name="income_wage"]', "30000")
    page.wait_for_timeout(300)
    assert "草稿" in page.inner_text("[data-save-state]")  # the draft went to IndexedDB
    page.goto(f"{live_server}/evaluations/{field.evaluation_id}/findings")
    assert problems == []


def test_the_lead_pages_run_under_the_policy(app, field, live_server, tablet):
    page = tablet(enforce_csp=True).new_page()
    problems = watch(page)
    sign_in_browser(page, live_server, field.username("lead"), field.password)
    base = f"{live_server}/evaluations/{field.evaluation_id}"
    for path in ("", "/roster", "/members", "/sample", "/assign", "/submissions", "/quality",
                 "/findings", "/scores", "/report", "/audit"):
        page.goto(base + path)
    assert problems == []
