"""Feedback and appeal in a real browser (issue 19): the lead publishes the preliminary
findings, the evaluated unit contests one with a photo from its tablet, the lead upholds it,
the score changes on the page, and the final report's PDF lists the appeal in its appendix.
Screenshots (EVALUATOR_SHOTS) of each step at 1024x768, in Chinese and English."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta

import pytest
from tablet_steps import sign_in_browser

from evaluator.auth.models import User
from evaluator.fieldwork.collect.operations import add_finding
from evaluator.fieldwork.models import Evaluation, Finding
from tests.browser.test_offline_fieldwork import shot

pytestmark = pytest.mark.browser



def photo(path) -> None:
    """A photo the tablet might take of a document: a page with lines of text on it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), (236, 230, 214))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 30, 420, 330), fill=(252, 252, 248), outline=(120, 120, 120))
    for y in range(60, 310, 22):
        draw.line((80, y, 400 - (y * 7) % 90, y), fill=(90, 90, 110), width=3)
    image.save(path, "PNG")


def score_now(page) -> float:
    return float(page.inner_text("#score-now"))


def test_the_unit_contests_a_finding_with_a_photo_and_the_upheld_appeal_reaches_the_report(
        app, field, live_server, tablet, shots, tmp_path):
    storage = app.extensions["evaluator.storage"]
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        lead = db.get(User, field.users["lead"])
        evaluation = db.get(Evaluation, field.evaluation_id)
        ids = [add_finding(db, lead, evaluation, indicator="T3", severity=severity,
                           description=text, household_id="", responsible_unit="县总工会",
                           responsible_person="张三", deadline=date.today() + timedelta(30),
                           photos=[], storage=storage).id
               for severity, text in (("major", "漏评一户（城关镇），联系电话13812345678"),
                                      ("minor", "入户记录缺少签字"))]
    base = f"{live_server}/evaluations/{field.evaluation_id}"
    photo(tmp_path / "proof.png")

    lead_page = tablet().new_page()
    sign_in_browser(lead_page, live_server, "f-lead", field.password)
    lead_page.goto(base + "/feedback")
    before = float(re.search(r"[\d.]+", lead_page.inner_text(".scoreline b")).group())
    lead_page.fill("#deadline", (date.today() + timedelta(7)).isoformat())
    shot(lead_page, shots, "feedback-1-lead-publishes-zh.png")
    with lead_page.expect_navigation():
        lead_page.tap("text=反馈初步问题")
    assert "初步问题已反馈给被评估单位" in lead_page.inner_text(".flash")

    unit = tablet().new_page()
    sign_in_browser(unit, live_server, "f-unit", field.password)
    unit.goto(base)  # the unit's evaluation opens on its feedback page
    assert unit.url.endswith("/feedback")
    first = unit.locator(f"#finding-{ids[0]}")
    assert "138****5678" in first.inner_text() and "13812345678" not in unit.content()
    first.locator('input[name="answer"][value="contested"]').tap()
    first.locator('textarea[name="reason"]').fill("该户已于10月补录，见照片")
    first.locator('input[name="photos"]').set_input_files(str(tmp_path / "proof.png"))
    shot(unit, shots, "feedback-2-unit-contests-zh.png")
    with unit.expect_navigation():
        first.locator("button[type=submit]").tap()
    assert "答复已提交" in unit.inner_text(".flash")
    second = unit.locator(f"#finding-{ids[1]}")
    second.locator('input[name="answer"][value="accepted"]').tap()
    with unit.expect_navigation():
        second.locator("button[type=submit]").tap()
    unit.goto(base + "/feedback?lang=en")
    shot(unit, shots, "feedback-3-unit-answered-en.png")

    lead_page.goto(base + "/feedback")
    appeal = lead_page.locator(f"#finding-{ids[0]}")
    assert "该户已于10月补录" in appeal.inner_text()
    assert appeal.locator("img").count() == 1  # the unit's photo, shown to the lead
    appeal.locator('input[name="outcome"][value="upheld"]').tap()
    appeal.locator('input[name="change"][value="withdrawn"]').tap()
    appeal.locator('textarea[name="reason"]').fill("属实")
    shot(lead_page, shots, "feedback-4-lead-decides-zh.png")
    with lead_page.expect_navigation():
        appeal.locator("button[type=submit]").tap()
    after = score_now(lead_page)
    assert after > before, (before, after)  # one deduction finding fewer
    shot(lead_page, shots, "feedback-5-score-changed-zh.png")
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.get(Finding, ids[0]).status == "withdrawn"

    # the final report: finished, then the PDF (a job) with the appendix
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        db.get(Evaluation, field.evaluation_id).status = "finished"
    response = lead_page.request.get(base + "/report.pdf", timeout=120000)
    assert response.status == 200, response.status
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          check=True, text=True).stdout
    appendix = text[text.rindex("反馈与申诉处理情况"):]
    assert "申诉成立" in appendix and "属实" in appendix and "认可" in appendix
    assert f"反馈时综合得分{before:.2f}" in appendix.replace(" ", "")
    assert f"申诉处理后综合得分{after:.2f}" in appendix.replace(" ", "")
    if shots:
        pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
            ["pdfinfo", str(pdf)], capture_output=True, text=True).stdout).group(1))
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", str(pages), "-l", str(pages),
                        str(pdf), f"{shots}/feedback-6-report-appendix"], check=True)
