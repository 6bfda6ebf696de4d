"""The report PDF: Chinese text in an embedded Simplified-Chinese font, page furniture, a fenced
URL fetcher, escaping, reproducible bytes, and loud failure instead of tofu.

The report content here is a TEST FIXTURE (a fake evaluation, made-up names and numbers):
the real report body is built from the scoring engine's results by a later step.
"""

from __future__ import annotations

import base64
import io
import logging
import re
import socket
import subprocess
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import jinja2
import pytest
from markupsafe import Markup
from PIL import Image
from weasyprint import HTML

from evaluator.reports import ReportError, charts, fonts
from evaluator.reports.pdf import (
    REPORT_TEMPLATES_DIR,
    STATIC_DIR,
    FetchRefused,
    RestrictedURLFetcher,
    render_pdf,
    report_environment,
)

TITLE = "某市总工会城市困难职工解困脱困工作成效第三方评估报告"

FIXTURE_PAGE = """{% extends "report/base.html" %}
{% import "report/macros.html" as m %}
{% block content %}
<section class="chapter" id="summary">
  <h2>一、评估结论</h2>
  <p>{{ summary }}</p>
  {{ m.figure(radar, "图1 六个方面得分率") }}
</section>
<section class="chapter" id="dimensions">
  <h2>二、分项评估</h2>
  <h3 id="indicators">（一）指标得分</h3>
  {{ m.data_table(columns, rows, caption="表1 指标得分与判定") }}
  {{ m.figure(intervals, "图2 比率类指标") }}
  {{ m.figure(bars, "图3 各街道得分") }}
</section>
{% endblock %}
"""

VERDICTS = ["meets", "fails", "indeterminate", "insufficient"]


def fixture_context() -> dict:
    """A fake evaluation: plain values only, as the report context builder will produce."""
    return {
        "report": {
            "title": TITLE,
            "subtitle": "（测试样例）",
            "evaluated_unit": "某市总工会 <script>alert(1)</script>",
            "commissioning_body": "某省总工会 {{ 7*7 }}",
            "evaluator_org": "某某评估研究中心",
            "team": ["张三", "李四", "王五"],
            "fieldwork_dates": "2026年3月2日至3月13日",
            "report_date": "2026年4月",
            "provenance": ["评估方案 union-hardship 2026.1", "数据快照 sha256:3f2a9c1d",
                           "evaluator 0.1.0"],
        },
        "toc": [
            {"id": "summary", "title": "一、评估结论", "level": 1},
            {"id": "dimensions", "title": "二、分项评估", "level": 1},
            {"id": "indicators", "title": "（一）指标得分", "level": 2},
        ],
        "summary": "评估组采用入户调查、查阅档案、查看系统数据和座谈会相结合的方式开展评估。",
        "radar": Markup(charts.radar_chart([
            ("对象准", 17.5, 20), ("需求清", 13, 15), ("机制实", 16, 20),
            ("资金准", 15, 15), ("数据全", 8.5, 10), ("成效真", None, 20)])),
        "bars": Markup(charts.bar_chart([
            ("城关街道", 86.5, 100), ("东城街道", 72, 100), ("西湖乡", None, 100)])),
        "intervals": Markup(charts.interval_plot([
            ("识别准确率", 0.92, 0.87, 0.95, 0.95, "higher"),
            ("错退率", 0.03, 0.01, 0.07, 0.05, "lower")])),
        "columns": [{"label": "指标"}, {"label": "估计值", "align": "num"},
                    {"label": "得分", "align": "num"}, {"label": "判定", "align": "center"}],
        # Long enough to run onto a second page, to see the header row repeat.
        "rows": [[f"指标{i:02d} 识别准确率", "92.0%", "6.4", {"verdict": VERDICTS[i % 4]}]
                 for i in range(48)],
    }


def fixture_html() -> str:
    return report_environment().from_string(FIXTURE_PAGE).render(fixture_context())


def pdftotext(path: Path, page: int | None = None) -> str:
    args = ["pdftotext", "-layout"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run([*args, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def squeeze(text: str) -> str:
    """pdftotext drops or adds spaces around CJK characters; compare without whitespace."""
    return re.sub(r"\s+", "", text)


def page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    html = fixture_html()
    out = tmp_path_factory.mktemp("report") / "report.pdf"
    timings: dict[str, float] = {}
    pdf = render_pdf(html, out, created=date(2026, 4, 1), timings=timings)
    return {"html": html, "pdf": pdf, "path": out, "timings": timings}


def minimal(body: str) -> str:
    return ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<link rel="stylesheet" href="report.css"></head><body>{body}</body></html>')


# -- the example report ----------------------------------------------------------------------


def test_example_renders_to_a_pdf_file_and_reports_its_timings(example):
    assert example["pdf"].startswith(b"%PDF-")
    assert example["path"].read_bytes() == example["pdf"]
    t = example["timings"]
    assert set(t) == {"fonts", "parse", "layout", "write", "collect", "weasyprint", "total",
                      "overhead", "pages"}
    assert t["layout"] > 0 and t["write"] > 0 and t["collect"] >= 0
    assert t["weasyprint"] == pytest.approx(t["parse"] + t["layout"] + t["write"] + t["collect"])
    assert t["total"] == pytest.approx(t["weasyprint"] + t["overhead"])
    assert t["pages"] == page_count(example["path"])


def test_text_layer_has_the_title_and_every_page_after_the_cover_is_numbered(example):
    path = example["path"]
    pages = page_count(path)
    assert pages >= 4
    assert TITLE in squeeze(pdftotext(path))
    cover = squeeze(pdftotext(path, 1))
    assert TITLE in cover and "页/共" not in cover  # the cover counts but shows no number
    for n in range(2, pages + 1):
        assert f"第{n}页/共{pages}页" in squeeze(pdftotext(path, n)), n


def test_running_head_carries_title_and_chapter(example):
    page3 = squeeze(pdftotext(example["path"], 3))
    assert TITLE in page3 and page3.count("一、评估结论") >= 2  # running head + heading


def test_table_of_contents_gives_the_pages_the_chapters_are_on(example):
    path = example["path"]
    toc = pdftotext(path, 2)
    for title in ("一、评估结论", "二、分项评估", "（一）指标得分"):
        line = next(line for line in toc.splitlines() if title in line)
        target = int(line.split()[-1])
        body = pdftotext(path, target)
        assert title in body, (title, target)


def test_table_header_row_repeats_on_the_next_page(example):
    path = example["path"]
    first = next(n for n in range(1, page_count(path) + 1) if "指标00" in pdftotext(path, n))
    following = pdftotext(path, first + 1)
    assert "指标47" in following or "指标30" in following
    assert "估计值" in following and "判定" in following


def test_verdict_badges_print_their_chinese_labels(example):
    text = squeeze(pdftotext(example["path"]))
    for label in ("达标", "未达标", "无法判定", "样本不足"):
        assert label in text


def test_cjk_fonts_are_embedded_and_simplified_chinese(example):
    listing = subprocess.run(["pdffonts", str(example["path"])], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    assert listing
    cjk = [line for line in listing if "CJK" in line]
    assert cjk, listing
    for line in listing:
        # columns: name type encoding emb sub uni object-id; 'emb' is 'yes' for every font
        assert re.search(r"\s(yes)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line), line
    assert all("CJK-SC" in line for line in cjk), cjk  # no JP/TC/KR glyph shapes


def test_user_strings_print_literally(example):
    assert "&lt;script&gt;" in example["html"] and "<script>" not in example["html"]
    text = squeeze(pdftotext(example["path"]))
    assert "某市总工会<script>alert(1)</script>" in text
    assert "某省总工会{{7*7}}" in text


def test_pdf_metadata_is_fixed_and_the_same_input_gives_the_same_bytes(example):
    info = subprocess.run(["pdfinfo", "-isodates", str(example["path"])], capture_output=True,
                          text=True, check=True).stdout
    assert re.search(r"^CreationDate:\s+2026-04-01", info, re.M)
    assert re.search(r"^Creator:\s+evaluator ", info, re.M)
    again = render_pdf(example["html"], created=date(2026, 4, 1))
    assert again == example["pdf"]


def test_page_one_is_not_blank(example, tmp_path):
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", str(example["path"]),
                    str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    image = Image.open(png).convert("L")
    assert image.size[0] > 400 and image.size[1] > 600  # A4 at 60 dpi
    dark = sum(image.histogram()[:160])  # pixels darker than light grey
    assert dark > 0.005 * image.size[0] * image.size[1]


def test_bookmarks_are_the_chapters_not_the_cover_or_contents(example):
    fetcher = RestrictedURLFetcher()
    document = HTML(string=example["html"], base_url=REPORT_TEMPLATES_DIR.as_uri() + "/",
                    url_fetcher=fetcher).render()
    tree = document.make_bookmark_tree()  # subtrees: (label, target, children, state)
    assert [label for label, _, _, _ in tree] == ["一、评估结论", "二、分项评估"]
    assert [label for label, _, _, _ in tree[1][2]] == ["（一）指标得分"]
    assert any(url.endswith("report.css") for url in fetcher.fetched)


# -- templates -------------------------------------------------------------------------------


def test_environment_autoescapes_and_refuses_undefined_values():
    env = report_environment()
    assert env.from_string("{{ x }}").render(x="<b>&") == "&lt;b&gt;&amp;"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()
    badge = env.from_string('{% import "report/macros.html" as m %}{{ m.verdict_badge(v) }}')
    assert "无法判定" in badge.render(v="indeterminate")
    with pytest.raises(jinja2.UndefinedError):
        badge.render(v="excellent")


def test_base_template_needs_its_cover_values():
    context = fixture_context()
    del context["report"]["commissioning_body"]
    with pytest.raises(jinja2.UndefinedError):
        report_environment().from_string(FIXTURE_PAGE).render(context)


# -- the fenced URL fetcher ------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test: refusals must happen before that."""
    def refuse(*args, **kwargs):
        raise AssertionError("the report renderer tried to use the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("markup, url", [
    ('<img src="file:///etc/passwd">', "file:///etc/passwd"),
    ('<img src="http://example.com/logo.png">', "http://example.com/logo.png"),
    ('<link rel="stylesheet" href="https://example.com/x.css">', "https://example.com/x.css"),
    ('<div style="background: url(file:///etc/hostname)">x</div>', "file:///etc/hostname"),
    ('<img src="../../evaluator/reports/pdf.py">', "pdf.py"),
    ('<img src="data:text/html,<b>x</b>">', "data:text/html"),
])
def test_a_forbidden_resource_fails_the_render_naming_it(markup, url, no_network, tmp_path):
    out = tmp_path / "refused.pdf"
    with pytest.raises(ReportError) as raised:
        render_pdf(minimal(f"<p>正文</p>{markup}"), out)
    assert url in str(raised.value)
    assert not out.exists()  # nothing half-made is left behind


def test_a_forbidden_resource_inside_inline_svg_fails_too():
    """WeasyPrint swallows errors while drawing SVG; the fetcher's own record still counts."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="50" height="50">'
           '<image href="file:///etc/passwd" width="50" height="50"/></svg>')
    with pytest.raises(ReportError, match="/etc/passwd"):
        render_pdf(minimal(f"<p>图</p>{svg}"))


def test_an_error_weasyprint_logs_fails_the_render():
    with pytest.raises(ReportError, match="WeasyPrint reported errors"):
        render_pdf(minimal('<p>标志</p><img src="data:image/png;base64,AAAA">'))


def test_a_missing_own_file_fails_the_render(tmp_path):
    with pytest.raises(ReportError, match="no such file"):
        render_pdf(minimal('<img src="no-such-logo.png">'))


def test_inline_data_image_is_allowed():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 114, 178)).save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode()
    pdf = render_pdf(minimal(f'<p>标志</p><img src="data:image/png;base64,{data}">'))
    assert pdf.startswith(b"%PDF-")


def test_fetcher_serves_files_under_its_roots_only(tmp_path):
    root = tmp_path / "static"
    root.mkdir()
    (root / "style.css").write_text("p { color: red }", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret", encoding="utf-8")
    (root / "link.css").symlink_to(secret)
    fetcher = RestrictedURLFetcher([root])

    response = fetcher.fetch((root / "style.css").as_uri())
    assert response.read() == b"p { color: red }"
    assert response.content_type == "text/css"

    for url, reason in [
        ((root / "link.css").as_uri(), "outside"),                 # symlink escape
        (root.as_uri() + "/../secret.txt", "outside"),              # dot-dot escape
        (root.as_uri() + "/%2e%2e/secret.txt", "outside"),          # encoded dot-dot
        (root.as_uri(), "not a regular file"),
        (root.as_uri() + "/missing.css", "no such file"),
        ("file://otherhost" + str(root / "style.css"), "another host"),
        ("ftp://example.com/x", "only the report's own files"),
        ("data:image/png;base64,!!!", "invalid base64"),
    ]:
        with pytest.raises(FetchRefused, match=reason):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 8
    assert len(fetcher.fetched) == 1


def test_default_roots_are_the_static_and_report_template_folders():
    assert RestrictedURLFetcher().roots == (STATIC_DIR.resolve(), REPORT_TEMPLATES_DIR.resolve())
    assert (REPORT_TEMPLATES_DIR / "report.css").is_file()


# -- glyphs and fonts ------------------------------------------------------------------------


def test_a_character_no_font_has_fails_the_render_even_with_weasyprint_quietened():
    logger = logging.getLogger("weasyprint")
    before = logger.level
    logger.setLevel(logging.ERROR)  # an application that silenced WeasyPrint's warnings
    try:
        with pytest.raises(ReportError, match="U\\+E000") as raised:
            render_pdf(minimal("<p>困难职工\ue000</p>"))
        assert "fonts-noto-cjk" in str(raised.value)
        assert logger.level == logging.ERROR
    finally:
        logger.setLevel(before)
    assert render_pdf(minimal("<p>困难职工</p>")).startswith(b"%PDF-")


def test_missing_cjk_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(fonts, "found_family", None)
    monkeypatch.setattr(fonts, "fc_list_chinese", lambda: "")
    with pytest.raises(ReportError, match="apt-get install fonts-noto-cjk"):
        fonts.check_cjk_font()
    with pytest.raises(ReportError, match="apt-get install fonts-noto-cjk"):
        render_pdf(minimal("<p>困难职工</p>"))


def test_missing_fc_list_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(fonts, "found_family", None)
    monkeypatch.setattr(fonts.shutil, "which", lambda name: None)
    with pytest.raises(ReportError, match="fc-list.*fonts-noto-cjk"):
        fonts.check_cjk_font()


def test_simplified_chinese_family_is_preferred(monkeypatch):
    monkeypatch.setattr(fonts, "found_family", None)
    listing = "Noto Sans CJK JP,Noto Sans CJK JP Regular\nNoto Serif CJK SC\nNoto Sans CJK SC\n"
    monkeypatch.setattr(fonts, "fc_list_chinese", lambda: listing)
    assert fonts.check_cjk_font() == "Noto Sans CJK SC"
    monkeypatch.setattr(fonts, "fc_list_chinese", lambda: "WenQuanYi Zen Hei\n")
    assert fonts.check_cjk_font() == "Noto Sans CJK SC"  # cached until refreshed
    assert fonts.check_cjk_font(refresh=True) == "WenQuanYi Zen Hei"


def test_this_machine_has_a_simplified_chinese_font():
    family = fonts.check_cjk_font(refresh=True)
    assert family in fonts.cjk_families()
    assert family in fonts.PREFERRED_FAMILIES


# -- arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, message", [
    ({"html": ""}, "non-empty"),
    ({"html": minimal("x"), "created": datetime(2026, 4, 1, 9, 0)}, "timezone-aware"),
    ({"html": minimal("x"), "created": "2026-04-01"}, "date or datetime"),
    ({"html": minimal("x"), "out_path": "/no/such/folder/r.pdf"}, "does not exist"),
])
def test_bad_arguments_are_refused_before_rendering(kwargs, message):
    with pytest.raises(ValueError, match=message):
        render_pdf(**kwargs)


def test_an_aware_datetime_is_kept_with_its_offset(tmp_path):
    out = tmp_path / "r.pdf"
    render_pdf(minimal("<p>正文</p>"), out,
               created=datetime(2026, 4, 1, 9, 30, tzinfo=timezone(timedelta(hours=8))))
    info = subprocess.run(["pdfinfo", "-isodates", str(out)], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"^CreationDate:\s+2026-04-01T09:30:00\+08", info, re.M)
