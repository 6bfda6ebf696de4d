"""Surveys in the browser, in Chromium under the real Content-Security-Policy: an author
uploads an XLSForm with a misspelt type (refused, the cell named), then the fixed workbook with
its CSV; the preview runs the tablet's skip logic in Chinese and in English (answering 不同意 /
No hides the household size question, 同意 / Yes shows it) and stores nothing; the author
publishes it and downloads it. Screenshots at 1024x768 and 768x1024 with EVALUATOR_SHOTS."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select
from survey_workbooks import SURVEY, TOWNS_CSV, workbook
from tablet_steps import sign_in_browser, watch

from evaluator.fieldwork.models import Submission
from evaluator.surveys.models import SurveyVersion
from evaluator.surveys_web.models import SurveyUpload

pytestmark = pytest.mark.browser


def stored(app) -> tuple[int, int, int]:
    with app.extensions["evaluator.sessionmaker"]() as db:
        return (db.scalar(select(func.count(SurveyVersion.id))),
                db.scalar(select(func.count(Submission.id))),
                db.scalar(select(func.count(SurveyUpload.id))))


def fits(page, width):
    scroll = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(WIDE, width) if scroll > width else []
    assert scroll <= width, f"{page.url} runs off the side ({scroll} px): {wide}"


WIDE = """(width) => Array.from(document.querySelectorAll('body *'))
  .filter((e) => e.getBoundingClientRect().right > width + 1)
  .slice(0, 8).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def upload(page, folder, name, data, attach=True):
    path = folder / name
    path.write_bytes(data)
    csv = folder / "towns.csv"
    csv.write_bytes(TOWNS_CSV)
    page.set_input_files("#workbook", str(path))
    if attach:
        page.set_input_files("#attachments", str(csv))
    with page.expect_navigation():
        page.click("[data-upload] button[type=submit]")


def members_shown(page) -> bool:
    return page.locator('.q[data-name="members"]').is_visible()


def test_upload_problems_preview_in_both_languages_publish_download(
        app, field, live_server, tablet, shots, tmp_path):
    page = tablet(enforce_csp=True).new_page()
    problems = watch(page, expected_errors=("/studio/surveys/upload",))
    sign_in_browser(page, live_server, field.username("author"), field.password)
    page.goto(live_server + "/studio/surveys?lang=zh")
    fits(page, 1024)
    # a misspelt type: refused, the cell named, nothing stored
    before = stored(app)
    broken = [list(r) for r in SURVEY]
    broken[2][0] = "integr"
    upload(page, tmp_path, "visit.xlsx", workbook(survey=broken))
    row = page.locator("[data-refused] tr[data-sheet]")
    assert row.count() == 1
    assert (row.get_attribute("data-sheet"), row.get_attribute("data-row"),
            row.get_attribute("data-column")) == ("survey", "3", "type")
    assert "pyxform 拒绝此表单" in row.inner_text()
    assert stored(app) == before
    fits(page, 1024)
    if shots:
        page.screenshot(path=os.path.join(shots, "surveys-upload-problems-zh-1024x768.png"),
                        full_page=True)
    # the fixed workbook with its CSV
    upload(page, tmp_path, "visit.xlsx", workbook())
    assert "/studio/surveys/uploads/" in page.url
    upload_url = page.url
    before = stored(app)
    with page.expect_navigation():
        page.click("[data-preview-link]")
    preview_url = page.url.split("?")[0]
    for lang, yes, no, label in (("zh", "同意", "不同意", "家庭人口数"),
                                 ("en", "Yes", "No", "Household members")):
        page.goto(f"{preview_url}?lang={lang}")
        assert page.evaluate("document.documentElement.lang").startswith(lang)
        assert not members_shown(page)  # relevant: ${consent} = 'yes', not answered yet
        page.locator(".choice", has_text=no).first.click()
        assert not members_shown(page)
        page.locator(".choice", has_text=yes).first.click()
        assert members_shown(page)
        assert label in page.locator('.q[data-name="members"]').inner_text()
        page.fill("#f-members", "3")
        assert page.locator('.q[data-name="town"] .choice').count() == 2  # from towns.csv
        page.click("#questionnaire button[type=submit]")
        assert page.locator("[data-preview-done]").is_visible()
        fits(page, 1024)
        if shots:
            page.screenshot(path=os.path.join(shots, f"surveys-preview-{lang}-1024x768.png"))
        page.locator(".choice", has_text=no).first.click()
        assert not members_shown(page)
    assert stored(app) == before  # no version, no record, no upload: the preview keeps nothing
    assert page.evaluate("localStorage.length") == 0
    # publish, then download
    page.goto(upload_url)
    page.fill("#change_note", "入户核查问卷首版")
    with page.expect_navigation():
        page.click("[data-publish]")
    assert "/studio/surveys/versions/" in page.url
    with app.extensions["evaluator.sessionmaker"]() as db:
        version = db.scalar(select(SurveyVersion).where(SurveyVersion.key == "visit_check"))
        assert version.change_note == "入户核查问卷首版"
        assert version.published_by_id == field.users["author"]
    with page.expect_download() as download:
        page.click("[data-download-xlsform]")
    assert download.value.suggested_filename == "visit_check-2026.12.zip"
    assert problems == []


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("width", "height"), [(1024, 768), (768, 1024)])
def test_the_survey_pages_fit_the_tablet(app, field, live_server, tablet, shots, tmp_path, lang,
                                         width, height):
    page = tablet(width=width, height=height, enforce_csp=True).new_page()
    problems = watch(page, expected_errors=("/studio/surveys/upload",))
    sign_in_browser(page, live_server, field.username("admin"), field.password)
    page.goto(f"{live_server}/studio/surveys?lang={lang}")
    broken = [list(r) for r in SURVEY]
    broken[2][0] = "integr"
    upload(page, tmp_path, "visit.xlsx", workbook(survey=broken))
    fits(page, width)
    size = f"{width}x{height}"
    if shots:
        page.screenshot(path=os.path.join(shots, f"surveys-problems-{lang}-{size}.png"))
    upload(page, tmp_path, "visit.xlsx", workbook(), attach=False)  # a warning: no towns.csv
    assert page.locator("[data-warnings] tr[data-sheet]").count() == 1
    fits(page, width)
    if shots:
        page.screenshot(path=os.path.join(shots, f"surveys-upload-{lang}-{size}.png"))
    with page.expect_navigation():
        page.click("[data-preview-link]")
    page.locator(".choice").first.click()
    fits(page, width)
    if shots:
        page.screenshot(path=os.path.join(shots, f"surveys-preview-{lang}-{size}.png"))
    assert problems == []


def test_a_paged_survey_turns_its_pages_in_the_preview(app, field, live_server, tablet, tmp_path):
    """style: pages (h11's paged questionnaire) in the preview as on the tablet: one page at a
    time, Next turns it, and nothing is stored."""
    page = tablet(enforce_csp=True).new_page()
    problems = watch(page)
    sign_in_browser(page, live_server, field.username("author"), field.password)
    page.goto(live_server + "/studio/surveys?lang=zh")
    paged = [SURVEY[0], SURVEY[1], ["begin group", "family", "家庭", "Family", "", ""],
             SURVEY[2], ["end group", "", "", "", "", ""],
             ["begin group", "place", "地点", "Place", "", ""], SURVEY[3], SURVEY[4],
             ["end group", "", "", "", "", ""]]
    upload(page, tmp_path, "paged.xlsx", workbook(survey=paged, style="pages"))
    before = stored(app)
    with page.expect_navigation():
        page.click("[data-preview-link]")
    assert page.locator('[data-page="1"]').is_visible()
    assert not page.locator('[data-page="3"]').is_visible()
    page.locator(".choice", has_text="同意").first.click()
    page.click("[data-page-next]")
    assert page.locator('[data-page="2"]').is_visible()
    assert page.locator('.q[data-name="members"]').is_visible()
    assert stored(app) == before
    assert problems == []
