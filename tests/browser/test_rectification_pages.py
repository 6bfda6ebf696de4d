"""The rectification (整改跟踪) and look-back (回头看) pages in Chromium under the real
Content-Security-Policy, as the lead sees them: overdue items first and marked, the unit's
submitted evidence, each indicator's change against last year's evaluation of the same unit
with whether it is beyond sampling noise, and where last year's rectification items stand.
Two synthetic evaluations of one unit (the demo bundle, two seeds). Screenshots
(EVALUATOR_SHOTS) at 1024x768 and 768x1024 in Chinese and English."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from tablet_steps import sign_in_browser, watch

from evaluator.auth.models import User
from evaluator.feedback.operations import set_previous
from evaluator.fieldwork.models import Finding
from evaluator.programmes import operations as programmes
from evaluator.programmes.seed import seed_unit
from evaluator.rubrics.models import RubricVersion
from tests.browser.test_offline_fieldwork import shot

pytestmark = pytest.mark.browser


def test_the_rectification_and_look_back_pages(app, field, live_server, tablet, shots):
    from evaluator.bundle.demo import PERIOD_END, PERIOD_START

    storage = app.extensions["evaluator.storage"]
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        people = {role: db.get(User, field.users[role]) for role in ("lead", "evaluator", "viewer")}
        programme = programmes.create_programme(
            db, people["lead"], key="rect", title_zh="回头看演示（模拟）", title_en="Look-back (synthetic)",
            commissioning_body="市总工会（模拟）", period_start=PERIOD_START, period_end=PERIOD_END,
            rubric=db.scalar(select(RubricVersion)), stratum_column="stratum", synthetic=True)
        last, this = (seed_unit(db, programme, number, households=900, seed=seed,
                                lead=people["lead"], evaluator=people["evaluator"],
                                viewer=people["viewer"], storage=storage)
                      for number, seed in ((1, 51), (2, 52)))
        last.evaluated_unit = this.evaluated_unit
        last.period_start, last.period_end = (d - timedelta(days=365) for d in
                                              (PERIOD_START, PERIOD_END))
        for k, finding in enumerate(db.scalars(select(Finding).where(
                Finding.evaluation_id == last.id).order_by(Finding.id))):
            finding.rectification = "verified" if k % 3 else "open"
        for k, finding in enumerate(db.scalars(select(Finding).where(
                Finding.evaluation_id == this.id).order_by(Finding.id))):
            finding.deadline = date.today() + timedelta(days=30 if k % 4 else -5)
            finding.rectification = ("open", "in_progress", "submitted", "verified")[k % 4]
        set_previous(db, people["lead"], this, last)
        this_id = this.id
    base = f"{live_server}/evaluations/{this_id}"
    for width, height in ((1024, 768), (768, 1024)):
        for lang in ("zh", "en"):
            page = tablet(width=width, height=height, enforce_csp=True).new_page()
            problems = watch(page)
            sign_in_browser(page, live_server, "f-lead", field.password)
            page.goto(f"{base}/rectification?lang={lang}")
            items = page.locator(".card.finding")
            assert items.count() > 3
            assert "overdue" in items.first.get_attribute("class")  # the overdue items first
            main = page.locator("main").bounding_box()
            assert main["x"] >= 0 and main["x"] + main["width"] <= width
            shot(page, shots, f"rectification-{width}x{height}-{lang}.png")
            page.goto(f"{base}/lookback?lang={lang}")
            rows = page.locator("#changes tbody tr")
            assert rows.count() > 10
            numbers = [rows.nth(k).locator("td").nth(3).inner_text() for k in range(rows.count())]
            assert sum(n.strip() not in ("—", "") for n in numbers) > 5  # changes, not dashes
            assert page.locator("#previous-rectification tbody tr").count() > 2
            shot(page, shots, f"lookback-{width}x{height}-{lang}.png")
            page.locator("#changes").scroll_into_view_if_needed()
            shot(page, shots, f"lookback-changes-{width}x{height}-{lang}.png")
            page.locator("#previous-rectification").scroll_into_view_if_needed()
            shot(page, shots, f"lookback-rectification-{width}x{height}-{lang}.png")
            assert problems == []
            page.context.close()
