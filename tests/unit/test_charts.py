"""SVG charts: valid XML, escaped labels, honest geometry, gaps for missing values."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from evaluator.reports import charts

SVG = "{http://www.w3.org/2000/svg}"
NUMERIC_ATTRS = ("x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height")


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [el for el in root.iter() if cls in (el.get("class") or "").split()]


def texts(root: ET.Element) -> list[str]:
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def points(polygon: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in polygon.get("points").split()]


def assert_all_coordinates_finite(root: ET.Element) -> None:
    """No NaN or infinity may reach the SVG, whatever the input."""
    for el in root.iter():
        for name in NUMERIC_ATTRS:
            if name in el.attrib:
                assert math.isfinite(float(el.get(name))), (el.tag, name, el.get(name))
        if "points" in el.attrib:
            for x, y in points(el):
                assert math.isfinite(x) and math.isfinite(y)


DIMENSIONS = [("对象准", 20, 20), ("需求清", 7.5, 15), ("机制实", 0, 20),
              ("资金准", 15, 15), ("数据全", 5, 10), ("成效真", 12, 20)]


# -- all charts ------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda label: charts.radar_chart([(label, 1, 2), ("b", 1, 2), ("c", 1, 2)], title=label),
    lambda label: charts.bar_chart([(label, 1, 2)], title=label),
    lambda label: charts.interval_plot([(label, 0.5, 0.4, 0.6, 0.8, "higher")], title=label),
])
def test_labels_are_escaped_and_the_font_is_set_on_the_svg(make):
    hostile = '<script>&"x'
    svg = make(hostile)
    assert "<script>" not in svg
    assert "&lt;script&gt;&amp;" in svg
    root = parse(svg)
    assert hostile in texts(root)
    assert root.get("aria-label") == hostile
    family = root.get("font-family")
    assert family.startswith("Noto Sans CJK SC,")
    assert ", " not in family  # WeasyPrint does not trim spaces after commas


@pytest.mark.parametrize("make", [
    lambda label: charts.radar_chart([(label, 1, 2), ("b", 1, 2), ("c", 1, 2)]),
    lambda label: charts.bar_chart([(label, 1, 2)]),
    lambda label: charts.interval_plot([(label, 0.5, 0.4, 0.6, 0.8, "higher")]),
])
def test_characters_xml_cannot_carry_are_dropped(make):
    root = parse(make("乡\x00镇\x1b"))
    assert "乡镇" in texts(root)


def test_charts_are_deterministic():
    assert charts.radar_chart(DIMENSIONS) == charts.radar_chart(list(DIMENSIONS))
    rows = [("识别准确率", 0.9, 0.85, 0.94, 0.95, "higher")]
    assert charts.interval_plot(rows) == charts.interval_plot(rows)


def test_long_labels_are_shortened_with_an_ellipsis():
    name = "某某县某某镇某某社区居民委员会第一网格"
    root = parse(charts.bar_chart([(name, 50, 100)]))
    (label,) = (t for t in texts(root) if t.startswith("某某"))
    assert label.endswith("…") and len(label) < len(name)


# -- radar -----------------------------------------------------------------------------------


def test_radar_value_at_max_reaches_the_outer_ring_and_half_reaches_half():
    root = parse(charts.radar_chart(DIMENSIONS, title="六个方面"))
    assert_all_coordinates_finite(root)
    (outer,) = by_class(root, "ring-100")
    (series,) = by_class(root, "series")
    ring, data = points(outer), points(series)
    assert len(ring) == len(data) == 6
    cx, cy = sum(x for x, _ in ring) / 6, sum(y for _, y in ring) / 6
    for (label, value, maximum), vertex, ring_vertex in zip(DIMENSIONS, data, ring, strict=True):
        # On the axis' own spoke, at value / max of the way from the centre to the outer ring.
        share = value / maximum
        expected = (cx + (ring_vertex[0] - cx) * share, cy + (ring_vertex[1] - cy) * share)
        assert vertex == pytest.approx(expected, abs=0.02), label
    assert data[0] == pytest.approx(ring[0], abs=0.01)  # 20 / 20: on the outer ring
    assert data[3] == pytest.approx(ring[3], abs=0.01)  # 15 / 15
    assert data[0][1] < cy  # the first axis points up
    assert "20.0 / 20" in texts(root)


def test_radar_missing_value_leaves_a_gap_and_is_labelled():
    axes = [("对象准", 18, 20), ("需求清", None, 15), ("机制实", 10, 20), ("资金准", float("nan"), 15),
            ("数据全", 5, 10)]
    svg = charts.radar_chart(axes)
    root = parse(svg)
    assert_all_coordinates_finite(root)
    assert "nan" not in svg.lower()
    assert by_class(root, "series") == []  # no closed outline across the gaps
    # Only neighbours that both have values are joined: 数据全-对象准 (wrapping round).
    assert len(by_class(root, "series-segment")) == 1
    assert len(by_class(root, "vertex")) == 3
    assert texts(root).count(charts.MISSING_LABEL) == 2


@pytest.mark.parametrize("axes, message", [
    ([("a", 1, 2), ("b", 1, 2)], "at least 3"),
    ([("a", 3, 2), ("b", 1, 2), ("c", 1, 2)], "outside 0..2"),
    ([("a", -1, 2), ("b", 1, 2), ("c", 1, 2)], "outside 0..2"),
    ([("a", 1, 0), ("b", 1, 2), ("c", 1, 2)], "positive"),
    ([("a", 1, None), ("b", 1, 2), ("c", 1, 2)], "positive"),
    ([("a", math.inf, 2), ("b", 1, 2), ("c", 1, 2)], "finite"),
    ([("a", "1", 2), ("b", 1, 2), ("c", 1, 2)], "number"),
    ([(3, 1, 2), ("b", 1, 2), ("c", 1, 2)], "label"),
    ([("a", 1), ("b", 1, 2), ("c", 1, 2)], "label, value, max"),
    ("abc", "list"),
])
def test_radar_rejects_bad_input_with_the_position_named(axes, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        charts.radar_chart(axes)


# -- bars ------------------------------------------------------------------------------------


def test_bar_lengths_are_proportional_to_the_values():
    townships = [("城关街道", 80, 100), ("东城街道", 40, 100), ("南山镇", 100, 100), ("西湖乡", 0, 100)]
    root = parse(charts.bar_chart(townships, title="各街道得分"))
    assert_all_coordinates_finite(root)
    bars = by_class(root, "bar")
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert widths[3] == 0
    grid = sorted(float(line.get("x1")) for line in by_class(root, "grid"))
    assert widths[2] == pytest.approx(grid[-1] - grid[0])  # the maximum fills the axis
    assert {float(b.get("x")) for b in bars} == {grid[0]}
    assert "100" in texts(root)  # common maximum: the axis is in points
    assert [t.text for t in by_class(root, "bar-value")] == ["80.0", "40.0", "100.0", "0.0"]


def test_bars_with_different_maxima_are_shares_and_the_axis_is_in_percent():
    root = parse(charts.bar_chart([("甲", 10, 20), ("乙", 30, 40)]))
    widths = [float(b.get("width")) for b in by_class(root, "bar")]
    assert widths[0] / widths[1] == pytest.approx(0.5 / 0.75)
    assert "100%" in texts(root)
    assert "10.0 / 20" in texts(root)


def test_bar_missing_value_draws_no_bar_and_says_so():
    root = parse(charts.bar_chart([("甲", 10, 20), ("乙", None, 20), ("丙", float("nan"), 20)]))
    assert len(by_class(root, "bar")) == 1
    assert texts(root).count(charts.MISSING_LABEL) == 2


def test_bar_chart_needs_categories():
    with pytest.raises(ValueError, match="at least 1"):
        charts.bar_chart([])


# -- intervals -------------------------------------------------------------------------------


def test_interval_geometry_is_on_the_percent_scale():
    rows = [("识别准确率", 0.5, 0.25, 0.75, 0.95, "higher"), ("错退率", 0.1, 0.0, 1.0, 0.05, "lower")]
    root = parse(charts.interval_plot(rows, title="比率类指标"))
    assert_all_coordinates_finite(root)
    grid = sorted({float(line.get("x1")) for line in by_class(root, "grid")})
    assert len(grid) == 11
    x0, x100 = grid[0], grid[-1]

    def at(fraction):
        return x0 + (x100 - x0) * fraction

    est = [float(c.get("cx")) for c in by_class(root, "estimate")]
    assert est == pytest.approx([at(0.5), at(0.1)])
    first = by_class(root, "interval")[0]
    assert (float(first.get("x1")), float(first.get("x2"))) == pytest.approx((at(0.25), at(0.75)))
    targets = [float(t.get("x1")) for t in by_class(root, "target")]
    assert targets == pytest.approx([at(0.95), at(0.05)])
    # The side that meets the target is shaded: above it for 'higher', below it for 'lower'.
    higher, lower = by_class(root, "meets-zone")
    assert float(higher.get("x")) == pytest.approx(at(0.95))
    assert float(higher.get("x")) + float(higher.get("width")) == pytest.approx(x100)
    assert float(lower.get("x")) == pytest.approx(x0)
    assert float(lower.get("width")) == pytest.approx(at(0.05) - x0)
    assert "目标 ≥ 95%" in texts(root) and "目标 ≤ 5%" in texts(root)
    assert "50.0%（25.0–75.0）" in texts(root)


def test_interval_missing_estimate_and_missing_interval_are_labelled():
    rows = [("一户一策覆盖率", None, None, None, 0.9, "higher"),
            ("帮扶人知晓率", 0.81, None, None, 0.8, "higher"),
            ("满意度", float("nan"), None, None, None, "higher")]
    svg = charts.interval_plot(rows)
    root = parse(svg)
    assert_all_coordinates_finite(root)
    assert "nan" not in svg.lower()
    assert len(by_class(root, "estimate")) == 1
    assert by_class(root, "interval") == []
    assert texts(root).count(charts.MISSING_LABEL) == 2
    assert "81.0% " + charts.NO_INTERVAL_LABEL in texts(root)
    assert "无目标" in texts(root)


@pytest.mark.parametrize("row, message", [
    (("a", 0.5, 0.6, 0.7, 0.9, "higher"), "outside"),
    (("a", 0.5, 0.7, 0.6, 0.9, "higher"), "above high"),
    (("a", 0.5, 0.4, None, 0.9, "higher"), "both ends"),
    (("a", 50, 40, 60, 90, "higher"), "between 0 and 1"),
    (("a", 0.5, 0.4, 0.6, 0.9, "up"), "direction"),
    (("a", 0.5, 0.4, 0.6, 0.9), "label, estimate"),
])
def test_interval_rejects_bad_rows(row, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        charts.interval_plot([row])
