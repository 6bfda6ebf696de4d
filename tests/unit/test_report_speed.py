"""What makes a report render faster, and must not change it: the PDF's HTML carries the charts
as images of the very SVG the preview inlines; each thread keeps its font configuration and the
parsed stylesheet; the garbage collector's thresholds are raised only while a render runs."""

from __future__ import annotations

import base64
import gc
import re
import threading

import pytest

from evaluator.bundle.demo import write_demo
from evaluator.reports import GC_THRESHOLDS, STYLESHEET_LINK
from evaluator.reports import pdf as pdf_module
from evaluator.reports.build import (
    batch_warm_up,
    batch_worker_init,
    chart_image,
    load_scored,
    render_report_html,
)
from evaluator.reports.pdf import render_pdf


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    bundle = write_demo(tmp_path_factory.mktemp("speed") / "bundle", households=600, seed=3)
    return load_scored(bundle)


def minimal(body: str) -> str:
    return ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'{STYLESHEET_LINK}</head><body>{body}</body></html>')


def test_the_pdf_html_has_the_charts_as_images_of_the_preview_svg(scored):
    args = (scored.sheet, scored.bundle, scored.rubric, "zh")
    preview = render_report_html(*args, surveys=scored.surveys)
    for_pdf = render_report_html(*args, surveys=scored.surveys, standalone=False)
    inline = re.findall(r"<svg .*?</svg>", preview, flags=re.S)
    images = re.findall(r'<img class="(chart chart-[a-z]+)" alt="" '
                        r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)">', for_pdf)
    assert len(inline) == len(images) == 3
    assert "<svg" not in for_pdf and STYLESHEET_LINK in for_pdf
    for svg, (classes, data) in zip(inline, images, strict=True):
        assert base64.b64decode(data).decode() == svg
        assert f'class="{classes}"' in svg


def test_chart_image_takes_only_our_charts():
    with pytest.raises(pdf_module.ReportError):
        chart_image("<p>not a chart</p>")


def test_the_stylesheet_is_fetched_once_per_thread_and_after_a_reset(monkeypatch):
    asked: list[str] = []
    original = pdf_module.RestrictedURLFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf_module.RestrictedURLFetcher, "fetch", spy)
    pdf_module.forget_cached_state()
    first = render_pdf(minimal("<h2>标题</h2><p>正文</p>"))
    second = render_pdf(minimal("<h2>标题</h2><p>正文</p>"))
    assert first == second
    assert len(asked) == 1 and asked[0].endswith("/templates/report/report.css")
    config = pdf_module.thread_font_config()

    other: list = []
    thread = threading.Thread(target=lambda: other.append(pdf_module.thread_font_config()))
    thread.start()
    thread.join()
    assert other[0] is not config  # Pango objects stay with their thread

    pdf_module.forget_cached_state()
    assert render_pdf(minimal("<h2>标题</h2><p>正文</p>")) == first
    assert len(asked) == 2


def test_a_page_without_the_stylesheet_link_is_rendered_as_given(monkeypatch):
    asked: list[str] = []
    monkeypatch.setattr(pdf_module, "report_stylesheet",
                        lambda config: asked.append("parsed") or None)
    html = '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p>正文</p></body></html>'
    assert render_pdf(html).startswith(b"%PDF-")
    assert asked == []


def test_gc_thresholds_are_raised_during_a_render_and_restored(monkeypatch):
    seen = []
    original = pdf_module.HTML.render

    def spy(self, *args, **kwargs):
        seen.append(gc.get_threshold())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pdf_module.HTML, "render", spy)
    before = gc.get_threshold()
    render_pdf(minimal("<p>正文</p>"))
    assert gc.get_threshold() == before
    assert seen[0] == GC_THRESHOLDS


def test_a_batch_warm_up_freezes_what_it_loaded():
    gc.unfreeze()
    try:
        batch_warm_up("zh", None, None, html=False)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_batch_worker_keeps_the_raised_thresholds():
    before = gc.get_threshold()
    try:
        batch_worker_init()
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.set_threshold(*before)
