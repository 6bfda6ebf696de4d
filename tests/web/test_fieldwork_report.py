"""The report in the web app: an HTML preview and a PDF download per evaluation, with the
scores page's numbers, for whoever may see the scores; a draft until the evaluation is
finished; each PDF rendered once per data, rubric, language and version (a render takes
seconds: this file renders one real PDF, the rest use a stand-in)."""

import io
import json
import logging
import re
import subprocess
import uuid
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from evaluator.cli import main
from evaluator.fieldwork.exports import report
from evaluator.fieldwork.models import Evaluation, Submission
from evaluator.reports import ReportError
from evaluator.reports.formatting import points_text

SYSTEM = Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal" / "system.csv"
OLD_RUBRIC = Path(__file__).parents[1] / "fixtures" / "rubrics" / "union-hardship-2026.1.yaml"


def file_check_record(field, household_id):
    return {"instance_id": str(uuid.uuid4()), "evaluation_id": field.evaluation_id,
            "source": "file_check", "household_id": household_id,
            "started_at": "2026-11-04T10:00:00+08:00", "ended_at": "2026-11-04T10:20:00+08:00",
            "answers": {"household_id": household_id, "file_status": "registered",
                        "file_cause": "illness", "file_aid_total": "3000",
                        "has_application": "yes", "income_verified": "yes",
                        "public_notice": "yes", "approval_signed": "yes", "has_plan": "yes",
                        "helper_recorded": "yes", "visit_records": "yes",
                        "vouchers_complete": "yes"}}


@pytest.fixture
def approved(app, client, field, sign_in, api_post, household_record):
    """Every sampled household visited and its file checked, the system export uploaded, every
    record approved; the lead signed in. The evaluation is still in fieldwork."""
    sign_in("lead")
    assert client.post(f"/evaluations/{field.evaluation_id}/system", data={
        "file": (io.BytesIO(SYSTEM.read_bytes()), "system.csv")},
        content_type="multipart/form-data").status_code == 302
    sign_in("evaluator")
    for household in field.sample:
        assert api_post(household_record(household)).status_code == 201
        assert api_post(file_check_record(field, household)).status_code == 201
    set_states(app, "approved")
    sign_in("lead")
    return field


def set_states(app, state, limit=None):
    with app.extensions["evaluator.sessionmaker"]() as db:
        rows = db.scalars(select(Submission).where(Submission.current.is_(True))
                          .order_by(Submission.id)).all()
        for s in rows[:limit]:
            s.review_state = state
        db.commit()


def set_status(app, field, status):
    with app.extensions["evaluator.sessionmaker"]() as db:
        db.get(Evaluation, field.evaluation_id).status = status
        db.commit()


def scored_now(app, field):
    from evaluator.fieldwork.exports.scores import score_evaluation

    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
        scored = score_evaluation(db, db.get(Evaluation, field.evaluation_id))
    assert scored.problems == [] and scored.sheet is not None
    return scored


def squeeze(text: str) -> str:
    """pdftotext drops or adds spaces around CJK characters; compare without whitespace."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def renders(monkeypatch):
    """Count the PDF renders (still rendering for real)."""
    calls = []
    real = report.render_pdf

    def counted(*args, **kwargs):
        calls.append(kwargs.get("draft"))
        return real(*args, **kwargs)

    monkeypatch.setattr(report, "render_pdf", counted)
    return calls


def stand_in(monkeypatch):
    """Replace the PDF render by a cheap stand-in; the returned list counts its calls."""
    calls = []

    def fake(scored, lang, *, draft, day, **parts):
        calls.append((lang, draft))
        return b"%PDF-stand-in " + scored.data_hash.encode()

    monkeypatch.setattr(report, "render_pdf", fake)
    return calls


def test_the_preview_shows_the_scores_page_figures(app, client, approved):
    url = f"/evaluations/{approved.evaluation_id}"
    scores = client.get(f"{url}/scores").get_data(as_text=True)
    assert f"{url}/report" in scores and f"{url}/report.pdf" in scores
    assert f"{url}/report.pdf" in client.get(url).get_data(as_text=True)
    sheet = scored_now(app, approved).sheet
    page = client.get(f"{url}/report")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    # the scores page and the report print the same total, two decimals
    assert f"<b>{points_text(sheet.total)}</b>" in scores and points_text(sheet.total) in html
    assert sheet.grade in scores and sheet.grade in html
    for dimension in sheet.to_dict()["dimensions"]:
        assert dimension["name"]["zh"] in html
    assert "<style>" in html and "<svg" in html  # standalone: stylesheet and charts inline
    assert "初稿" in html  # a lead's preview before the evaluation is finished
    english = client.get(f"{url}/report?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english and "DRAFT" in english and "初稿" not in english


def test_the_scores_page_says_provisional_response_rate_and_multiplicity_in_both_languages(
        app, client, approved):
    url = f"/evaluations/{approved.evaluation_id}"
    data = scored_now(app, approved).sheet.to_dict()
    zh = client.get(f"{url}/scores").get_data(as_text=True)
    en = unescape(client.get(f"{url}/scores?lang=en").get_data(as_text=True))
    if data["provisional"]:
        worst, best = data["grade_range"]
        assert "暂定" in zh and f"等级可能为“{worst}”至“{best}”" in zh
        worst_en, best_en = data["grade_range_en"]
        assert "provisional" in en and f'a grade from "{worst_en}" to "{best_en}"' in en
    else:
        assert "暂定" not in zh and "provisional" not in en
    family = data["multiplicity"]["verdicts"]
    assert (f"共{family}项统计判定，按Holm法校正" in zh) == (family > 0)
    assert (f"{family} statistical verdicts, with Holm's correction" in en) == (family > 0)
    table = data["response"].get("household")
    if table and table["total"]["rate"] is not None:
        rate = f"{table['total']['rate'] * 100:.1f}%"
        assert f"入户调查应答率{rate}" in zh and f"Household response rate {rate}" in en
        # while fieldwork goes on, a drawn household without a record may just not be visited yet
        pending = table["total"]["not_reached"]
        assert f"未入户{pending}户（未能入户或尚未走访）" in zh
        assert f"{pending} without a visit (not reached or not yet visited)" in en


def test_the_downloaded_pdf_verifies_against_the_exported_bundle(app, client, approved, tmp_path):
    set_status(app, approved, "finished")
    url = f"/evaluations/{approved.evaluation_id}"
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(client.get(f"{url}/bundle.zip").data)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(client.get(f"{url}/report.pdf").data)
    result = CliRunner().invoke(main, ["verify", str(pdf), str(archive)])
    assert result.exit_code == 0, result.output
    assert "ok   data hash" in result.output and "verified:" in result.output


def test_a_finished_preview_is_the_command_line_report_of_the_bundle(app, client, approved,
                                                                     tmp_path):
    set_status(app, approved, "finished")
    url = f"/evaluations/{approved.evaluation_id}"
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(client.get(f"{url}/bundle.zip").data)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(archive), "--out", str(out), "--html"])
    assert result.exit_code == 0, result.output
    html = client.get(f"{url}/report").get_data(as_text=True)
    assert "初稿" not in html
    bar = re.search(r'\n<nav class="app-bar".*?</nav>\n', html, re.S)
    assert bar and f"{url}/report.pdf" in bar.group(0)  # the app's bar: back, scores, PDF
    assert html.replace(bar.group(0), "\n", 1) == out.read_text(encoding="utf-8")


def test_the_pdf_is_rendered_once_per_data(app, client, approved, renders, monkeypatch):
    url = f"/evaluations/{approved.evaluation_id}/report.pdf"
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    disposition = first.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "test-eval-report-zh-draft.pdf" in disposition
    assert first.data.startswith(b"%PDF-")
    text = squeeze(subprocess.run(["pdftotext", "-", "-"], input=first.data, capture_output=True,
                                  check=True).stdout.decode("utf-8"))
    sheet = scored_now(app, approved).sheet
    assert points_text(sheet.total) in text and sheet.grade in text and "初稿" in text
    assert renders == [True]
    again = client.get(url)
    assert again.data == first.data and renders == [True]  # served from the cache
    cache = Path(app.instance_path) / "report-cache" / str(approved.evaluation_id)
    assert len(list(cache.glob("*.pdf"))) == 1

    calls = stand_in(monkeypatch)
    set_status(app, approved, "finished")  # no longer a draft: another key
    finished = client.get(url)
    assert finished.data.startswith(b"%PDF-stand-in") and calls == [("zh", False)]
    assert "test-eval-report-zh.pdf" in finished.headers["Content-Disposition"]
    set_states(app, "rejected", limit=1)  # other data: another key
    changed = client.get(url)
    assert changed.data != finished.data and calls == [("zh", False)] * 2
    assert client.get(url).data == changed.data and len(calls) == 2
    assert client.get(url + "?lang=en").status_code == 200 and calls[-1] == ("en", False)
    assert len(list(cache.glob("*.pdf"))) == report.KEEP_PER_EVALUATION
    assert not list(cache.glob(".*"))  # no temporary file left


def test_the_cache_key_names_everything_the_pdf_is_made_from():
    from datetime import date

    base = ("sha256:a", "r", "zh", date(2026, 11, 4))
    key = report.cache_key(*base, draft=False)
    assert key == report.cache_key(*base, draft=False)
    others = {report.cache_key("sha256:b", *base[1:], draft=False),
              report.cache_key(base[0], "s", *base[2:], draft=False),
              report.cache_key(*base[:2], "en", base[3], draft=False),
              report.cache_key(*base[:3], date(2026, 11, 5), draft=False),
              report.cache_key(*base, draft=True)}
    assert len(others) == 5 and key not in others


def test_viewers_see_the_finished_report_only(app, client, approved, sign_in, monkeypatch):
    calls = stand_in(monkeypatch)
    url = f"/evaluations/{approved.evaluation_id}/report"
    for role, status in (("viewer", 403), ("evaluator", 403), ("author", 404)):
        sign_in(role)
        assert client.get(url).status_code == status, role
        assert client.get(url + ".pdf").status_code == status, role
    assert calls == []
    set_status(app, approved, "finished")
    sign_in("viewer")
    assert "report.pdf" in client.get(f"/evaluations/{approved.evaluation_id}").get_data(
        as_text=True)
    preview = client.get(url)
    assert preview.status_code == 200 and "初稿" not in preview.get_data(as_text=True)
    assert client.get(url + ".pdf").status_code == 200 and calls == [("zh", False)]
    sign_in("evaluator")
    assert client.get(url).status_code == 403


def test_data_that_cannot_be_scored_gets_its_problems(app, client, field, sign_in, monkeypatch):
    calls = stand_in(monkeypatch)
    with app.extensions["evaluator.sessionmaker"]() as db:
        db.get(Evaluation, field.evaluation_id).sampling_plan = None
        db.commit()
    sign_in("lead")
    for suffix in ("", ".pdf"):
        page = client.get(f"/evaluations/{field.evaluation_id}/report{suffix}")
        assert page.status_code == 409 and page.mimetype == "text/html"
        text = page.get_data(as_text=True)
        assert "数据尚不能评分" in text and "尚未抽取样本" in text  # the page's language
        assert "the sample has not been drawn yet" not in text
    assert calls == []


def test_a_report_error_is_a_clear_page_and_logged(app, client, approved, monkeypatch, caplog):
    from evaluator.fieldwork.exports import views as views_review

    def broken(*args, **kwargs):
        raise ReportError("no CJK font: install fonts-noto-cjk")

    monkeypatch.setattr(report, "render_pdf", broken)
    monkeypatch.setattr(views_review, "report_html", broken)
    for suffix in ("", ".pdf"):
        with caplog.at_level(logging.ERROR):
            page = client.get(f"/evaluations/{approved.evaluation_id}/report{suffix}")
        assert page.status_code == 500
        text = page.get_data(as_text=True)
        assert "报告生成失败" in text and "install fonts-noto-cjk" in text
        assert "install fonts-noto-cjk" in caplog.text
        caplog.clear()
    assert not list((Path(app.instance_path) / "report-cache").glob("*/*.pdf"))


def test_a_slow_render_answers_202_with_its_job_then_the_pdf(app, client, approved, monkeypatch):
    """A PDF not rendered within REPORT_WAIT seconds: 202, a page that refreshes itself and the
    job's state link; asking again while it renders starts no second render."""
    import threading

    gate = threading.Event()
    calls = []

    def slow(scored, lang, *, draft, day, **parts):
        calls.append(lang)
        gate.wait(10)
        return b"%PDF-slow"

    monkeypatch.setattr(report, "render_pdf", slow)
    app.config["REPORT_WAIT"] = 0.2
    url = f"/evaluations/{approved.evaluation_id}/report.pdf"
    first = client.get(url)
    assert first.status_code == 202 and first.headers["Refresh"] == "5"
    status_url = first.headers["Link"].split(">")[0].lstrip("<")
    page = first.get_data(as_text=True)  # the progress page follows the job's state
    assert "正在生成报告" in page and f'data-job="{status_url}"' in page
    state = client.get(status_url).get_json()
    assert state["kind"] == "report.pdf" and state["state"] in ("queued", "running")
    assert state["params"] == {"evaluation_id": approved.evaluation_id, "lang": "zh",
                               "draft": True}
    assert client.get(url).status_code == 202
    gate.set()
    app.extensions["evaluator.jobs"].wait(status_url.rsplit("/", 1)[1], 10)
    assert client.get(status_url).get_json()["state"] == "done"
    done = client.get(url)
    assert done.status_code == 200 and done.data == b"%PDF-slow" and calls == ["zh"]


def test_an_evaluation_bound_to_a_rubric_version_the_rules_now_refuse_gets_its_reasons(
        app, client, approved):
    """union-hardship 2026.1 (a veto on a raw sample count, 100 % targets without verdict_at)
    may be stored in a database from before issue 13: its evaluations say why they cannot be
    scored, on the scores page and for the report, instead of failing with a 500."""
    import yaml

    from evaluator.rubrics.models import RubricVersion

    old = yaml.safe_load(OLD_RUBRIC.read_text(encoding="utf-8"))
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
        evaluation = db.get(Evaluation, approved.evaluation_id)
        # Written below the ORM (which refuses to change a stored version), as a database from
        # before issue 13 would hold it.
        table = RubricVersion.__table__
        db.execute(table.update().where(table.c.id == evaluation.rubric_version_id)
                   .values(content=old, content_hash="0" * 64))
        db.commit()
    url = f"/evaluations/{approved.evaluation_id}"
    page = client.get(f"{url}/scores")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "数据尚不能评分" in text and "max_count 统计的是样本户数" in text  # the rule, in Chinese
    assert client.get(f"{url}/report.pdf").status_code == 409


FINISH_REASON = "两户长期外出务工无法入户，已电话核实，委托方同意按现有样本结束评估。"


def test_the_reason_is_in_the_pdf_and_on_the_viewers_scores_page(app, client, approved,
                                                                   sign_in):
    """Every household visited and approved, but 4 households decide few indicators: the lead
    finishes with a reason; the viewer's scores page and the PDF (summary and methodology)
    print it, and the scores page says the grade rests on insufficient indicators."""
    url = f"/evaluations/{approved.evaluation_id}"
    page = client.get(f"{url}/finish").get_data(as_text=True)
    assert "项指标现有数据无法判定" in page
    assert client.post(f"{url}/finish", data={"confirm": "y", "reason": FINISH_REASON}).status_code == 302
    sign_in("viewer")
    scores = client.get(f"{url}/scores").get_data(as_text=True)
    assert FINISH_REASON in scores and "样本不足" in scores and "所依据的" in scores
    pdf = client.get(f"{url}/report.pdf")
    assert pdf.status_code == 200
    text = squeeze(subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True,
                                  check=True).stdout.decode())
    assert text.count(squeeze(FINISH_REASON)) == 2  # the summary and the methodology
    assert squeeze("结束说明") in text


def test_the_progress_page_follows_the_job_and_offers_the_pdf(app, field, sign_in):
    """The page a report job's 202 shows (evaluator.jobs: /jobs/<id>): progress, the message,
    the job's status URL for the poller and the PDF link; it refreshes itself without script."""
    from types import SimpleNamespace

    from evaluator.fieldwork.exports.views import report_progress_page

    with app.test_request_context(f"/evaluations/{field.evaluation_id}/report.pdf"):
        from flask import g

        g.lang = "zh"
        with app.extensions["evaluator.sessionmaker"]() as db:
            evaluation = db.get(Evaluation, field.evaluation_id)
            page, status, headers = report_progress_page(
                evaluation, "lead", "/jobs/abc123",
                SimpleNamespace(state="running", progress=0.42, message="rendering"))
    assert status == 202 and headers["Refresh"] == "5"
    # the job's step code in words, and every step's words for the poller (a JSON island)
    assert 'data-job="/jobs/abc123"' in page and 'value="42"' in page
    assert "<span data-message>正在生成 PDF</span>" in page
    steps = json.loads(unescape(page.split('id="job-steps">', 1)[1].split("</script>", 1)[0]))
    assert steps == {"queued": "排队等待中", "scoring": "正在计算评分", "rendering": "正在生成 PDF",
                     "done": "已完成"}
    assert f'data-pdf="/evaluations/{field.evaluation_id}/report.pdf"' in page
    assert "正在生成报告" in page
