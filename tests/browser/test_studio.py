"""The rubric studio and the people pages in Chromium at 1024x768, under the real
Content-Security-Policy: an author clones the shipped rubric, raises 错退率's (O1) target in the
form, sees the what-if grade change on the demo bundle, publishes; a lead creates an evaluation
with the new version. Then the pages a tablet shows, in both languages (screenshots with
EVALUATOR_SHOTS)."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import select
from tablet_steps import sign_in_browser, watch

from evaluator.fieldwork.models import Evaluation
from evaluator.rubrics.models import RubricVersion
from evaluator.studio.models import RubricDraft

pytestmark = pytest.mark.browser

O1 = "dimensions[5].indicators[0]"
ROSTER = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "bundles", "minimal",
                      "roster.csv")


def draft_content(app, draft_id):
    with app.extensions["evaluator.sessionmaker"]() as db:
        return db.get(RubricDraft, draft_id).content


def saved(app, draft_id, check, timeout=20.0):
    """Wait until the autosaved draft satisfies ``check`` (the page saves by itself)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check(draft_content(app, draft_id)):
            return
        time.sleep(0.2)
    raise AssertionError("the editor did not save the change")


def o1(content):
    return content["dimensions"][5]["indicators"][0]


def test_an_author_raises_a_target_sees_the_grade_change_publishes_and_a_lead_uses_it(
        app, field, live_server, tablet, shots):
    author = tablet(enforce_csp=True).new_page()
    problems = watch(author)
    sign_in_browser(author, live_server, field.username("author"), field.password)
    author.goto(live_server + "/studio")
    with author.expect_navigation():
        author.click("#start-shipped ~ button")
    draft_id = int(author.url.rstrip("/").rsplit("/", 1)[1])
    assert o1(draft_content(app, draft_id))["name"]["zh"] == "错退率"
    # 错退率 (lower is better): full points up to 6 % instead of 2 %, half up to 10 %
    author.fill(f'[name="{O1}.steps[0].at"]', "0.06")
    author.fill(f'[name="{O1}.steps[1].at"]', "0.10")
    saved(app, draft_id, lambda c: [s["at"] for s in o1(c)["steps"]] == [0.06, 0.1])
    assert author.locator("[data-problem-count]").get_attribute("class").endswith("none")
    # the what-if on the demo bundle beside the shipped version: 合格 -> 良好
    with author.expect_navigation():
        author.click("[data-whatif]")
    result = author.locator("[data-draft-result]")
    assert result.locator("[data-draft-grade]").inner_text() == "良好"
    assert "合格 → 良好" in result.inner_text()
    assert author.locator("[data-provisional]").count() == 2  # undecided verdicts, both sides
    o1_row = author.locator('tr[data-code="O1"]')
    assert "changed" in o1_row.get_attribute("class")
    assert o1_row.locator("[data-points]").inner_text().endswith("8.00/8.00")
    if shots:
        author.screenshot(path=os.path.join(shots, "studio-whatif-flow-zh-1024x768.png"))
    # publish with a change note
    author.go_back()
    author.fill("#change_note", "错退率目标放宽到6%（试算）")
    with author.expect_navigation():
        author.click("[data-publish-button]")
    with app.extensions["evaluator.sessionmaker"]() as db:
        version = db.scalar(select(RubricVersion).where(
            RubricVersion.change_note == "错退率目标放宽到6%（试算）"))
        assert version is not None and version.status == "published"
        label = f"{version.key} {version.version}"
        version_id, content_hash = version.id, version.content_hash
    assert content_hash in author.content()
    assert problems == []

    # a lead creates an evaluation with the new version
    lead = tablet(enforce_csp=True).new_page()
    problems = watch(lead)
    sign_in_browser(lead, live_server, field.username("lead"), field.password)
    lead.goto(live_server + "/evaluations/new")
    option = lead.locator("#rubric option", has_text=label)
    lead.select_option("#rubric", value=option.get_attribute("value"))
    lead.fill("#key", "studio-eval")
    lead.fill("#title_zh", "新版指标试评")
    lead.fill("#evaluated_unit", "某市总工会")
    lead.fill("#commissioning_body", "省总工会")
    lead.fill("#period_start", "2026-01-01")
    lead.fill("#period_end", "2026-12-31")
    lead.fill("#stratum_column", "stratum")
    lead.set_input_files("#roster", ROSTER)
    with lead.expect_navigation():
        lead.click("form button[type=submit]:not(.pill)")
    with app.extensions["evaluator.sessionmaker"]() as db:
        evaluation = db.scalar(select(Evaluation).where(Evaluation.key == "studio-eval"))
        assert evaluation is not None, lead.inner_text("body")[:2000]
        assert evaluation.rubric_version_id == version_id
    assert problems == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_studio_and_people_pages_fit_the_tablet(app, field, live_server, tablet, shots, lang):
    page = tablet(enforce_csp=True).new_page()
    problems = watch(page)
    sign_in_browser(page, live_server, field.username("admin"), field.password)
    page.goto(f"{live_server}/studio?lang={lang}")
    with page.expect_navigation():
        page.click("#start-shipped ~ button")
    editor = page.url
    page.fill(f'[name="{O1}.steps[0].at"]', "0.06")
    page.fill(f'[name="{O1}.steps[1].at"]', "0.10")
    draft_id = int(editor.rstrip("/").rsplit("/", 1)[1])
    saved(app, draft_id, lambda c: [s["at"] for s in o1(c)["steps"]] == [0.06, 0.1])
    pages = {"studio": editor, "whatif": editor + "/whatif?against=demo",
             "users": live_server + "/people"}
    page.goto(pages["users"])
    with page.expect_navigation():
        page.click(f'tr[data-user="{field.username("lead")}"] a')
    pages["user"] = page.url
    for name, url in pages.items():
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1024, f"{name} runs off the side of the tablet ({width} px)"
        assert page.evaluate("document.documentElement.lang").startswith(lang), name
        if name == "whatif":  # the grades by the names of the page's language
            assert page.inner_text("[data-draft-grade]") == {"zh": "良好", "en": "Good"}[lang]
        if shots:
            page.screenshot(path=os.path.join(shots, f"{name}-{lang}-1024x768.png"))
    assert problems == []
