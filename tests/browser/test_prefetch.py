"""Issue 11, item 1: the service worker keeps an evaluator's forms offline without re-downloading
them on every page view. An evaluator with 600 assignments opens 10 pages online: the forms are
fetched once, then only those that changed; the lead's page views fetch no forms at all.

Form fetches are counted at the server: requests for form pages the worker made ahead of a
visit (it marks them X-Prefetch), as opposed to pages the person opened."""

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser

REFRESHED = """() => Promise.race([Sync.refreshed,
    new Promise(resolve => setTimeout(() => resolve({state: 'no answer in 5 min'}), 300000))])"""


def form_fetches(network, since):
    return [r for r in network.requests(since) if r[4] and ("/collect/" in r[1] or r[1].endswith("/forum"))]


def view(page, network, path):
    """One page view, online: the page, then whatever the worker does because of it."""
    page.goto(network.base + path)
    return page.evaluate(REFRESHED)


@pytest.fixture
def six_hundred(app, field):
    """600 more households assigned to the evaluator (612 forms + the forum in all)."""
    from evaluator.auth.models import User
    from evaluator.fieldwork.manage.scale import add_assigned_households
    from evaluator.fieldwork.models import Evaluation

    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        evaluation = db.get(Evaluation, field.evaluation_id)
        evaluator = db.get(User, field.users["evaluator"])
        return add_assigned_households(db, evaluation, evaluator, 600)


def test_an_evaluator_s_page_views_fetch_only_the_forms_that_changed(
        app, field, network, tablet, fieldday, six_hundred):
    from evaluator.auth.models import User
    from evaluator.fieldwork.manage.scale import add_assigned_households
    from evaluator.fieldwork.models import Evaluation, Household

    page = tablet().new_page()
    fieldday.sign_in(page, network.base)
    mark = len(network.log)
    first = view(page, network, "/assignments")  # the first view: every form, once
    total_forms = 2 * (len(field.sample) + len(field.reserve)) + 600 + 1
    assert first["state"] == "complete", first
    assert first["forms"] == total_forms
    assert len(form_fetches(network, mark)) == total_forms  # none twice
    assert len({r[1] for r in form_fetches(network, mark)}) == total_forms

    # Meanwhile at the office: 3 more households assigned, 2 roster rows corrected.
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        evaluation = db.get(Evaluation, field.evaluation_id)
        evaluator = db.get(User, field.users["evaluator"])
        add_assigned_households(db, evaluation, evaluator, 3, prefix="NEW")
        for household in db.scalars(select(Household).where(
                Household.household_id.in_(six_hundred[:2]))):
            household.data = {**household.data, "household_size": "5"}
    changed = 5

    mark = len(network.log)
    paths = [fieldday.form_url(six_hundred[10]), "/assignments", "/",
             f"/evaluations/{field.evaluation_id}/forum", "/assignments",
             fieldday.form_url(six_hundred[20]), fieldday.form_url(field.sample[0], "file_check"),
             "/assignments", f"/evaluations/{field.evaluation_id}"]
    for path in paths:
        view(page, network, path)
    fetched = form_fetches(network, mark)
    assert len(fetched) <= changed, fetched  # at most one fetch per changed form
    assert sorted(r[1] for r in fetched) == sorted(
        [fieldday.form_url(h) for h in ("NEW00001", "NEW00002", "NEW00003", *six_hundred[:2])])
    lists = [r for r in network.requests(mark, "/api/v1/assignments")]
    assert [r[2] for r in lists].count(200) == 1  # changed once; otherwise 304 (or not asked)
    assert all(r[2] in (200, 304) for r in lists)


def test_the_lead_s_page_views_fetch_no_forms(app, field, network, tablet, fieldday,
                                              sign_in, api_post, household_record):
    from evaluator.auth.models import User
    from evaluator.fieldwork.manage.scale import add_assigned_households
    from evaluator.fieldwork.models import Evaluation

    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():  # the lead collects too
        evaluation = db.get(Evaluation, field.evaluation_id)
        add_assigned_households(db, evaluation, db.get(User, field.users["lead"]), 50)
    page = tablet().new_page()
    fieldday.sign_in(page, network.base, "lead")
    mark = len(network.log)
    e = f"/evaluations/{field.evaluation_id}"
    for path in ("/assignments", e, e + "/submissions", e + "/quality", e + "/sample", "/",
                 e + "/forum", fieldday.form_url(field.sample[0]), "/assignments", e + "/audit"):
        result = view(page, network, path)
        assert result is None or result.get("fetched", 0) == 0, (path, result)
    assert form_fetches(network, mark) == []
    answers = [r for r in network.requests(mark, "/api/v1/assignments") if r[2] == 200]
    assert answers  # it asked, and was told there is nothing to keep
