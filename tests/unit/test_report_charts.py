"""The charts in another language: their own words replaced, wider row labels, legend inside."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from evaluator.reports import charts
from evaluator.reports.build import chart_labels

EN_LABELS = chart_labels("en")

CJK = re.compile(r"[\u4e00-\u9fff]")
ROWS = [("T1 Wrongly registered households", 0.06, 0.03, 0.11, 0.03, "lower"),
        ("O2 Households satisfied", None, None, None, 0.9, "higher"),
        ("D3 File and system status agree", 1.0, None, None, None, "higher")]


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_english_labels_leave_no_chinese_word():
    svgs = [
        charts.radar_chart([("Targeting", 10, 20), ("Needs", None, 15), ("Funds", 15, 15)],
                           labels=EN_LABELS),
        charts.bar_chart([("North", 80.5, 100), ("South", None, 100)],
                         labels=EN_LABELS),
        charts.interval_plot(ROWS, labels=EN_LABELS, label_width=215),
    ]
    for svg in svgs:
        assert not CJK.search(svg), svg
    words = " ".join(texts(svgs[2]))
    for word in ("target ≤ 3%", "no data", "no interval", "no target", "95% confidence interval"):
        assert word in words


def test_default_labels_are_chinese():
    words = " ".join(texts(charts.interval_plot(ROWS)))
    assert "目标 ≤ 3%" in words and "无数据" in words and "达标区域" in words


def test_unknown_label_keys_and_bad_widths_are_refused():
    with pytest.raises(ValueError, match="unknown key"):
        charts.bar_chart([("a", 1, 2)], labels={"nonsense": "x"})
    with pytest.raises(ValueError, match="label_width"):
        charts.interval_plot(ROWS, label_width=20)


def test_wider_labels_fit_and_the_legend_stays_inside_the_chart():
    svg = charts.interval_plot(ROWS, labels=EN_LABELS, label_width=215)
    assert "T1 Wrongly registered households" in texts(svg)  # not shortened
    width = float(ET.fromstring(svg).get("width"))
    for text in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text"):
        x = float(text.get("x"))
        if text.get("text-anchor", "start") == "start":
            estimate = charts.text_width("".join(text.itertext()), float(text.get("font-size")))
            assert x + estimate <= width + 1, "".join(text.itertext())
