"""Report charts as SVG strings: pure functions, no plotting library, no randomness.

Why hand-written SVG: the PDF stays vector (sharp when printed, searchable text), the output
is byte-for-byte reproducible, and WeasyPrint draws it natively. Three habits matter:
- WeasyPrint does not apply page CSS inside inline SVG, so ``font-family`` is set on the
  ``<svg>`` element itself, Simplified-Chinese face first (otherwise Han characters may come
  out in Japanese glyph shapes). WeasyPrint splits the list on commas without trimming
  spaces, hence no spaces after the commas.
- Labels are user-provided (unit, township and indicator names): they are XML-escaped and
  characters XML cannot carry are dropped, so a label can never become markup.
- A missing value (None or NaN) is never drawn as zero: it leaves a gap and is labelled
  无数据 (no data), and no coordinate in the output is ever NaN or infinite.

Colours are the Okabe-Ito palette, which stays distinguishable with colour-blindness, and
no chart relies on colour alone (values and labels are printed beside the marks).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from numbers import Real
from xml.sax.saxutils import escape

FONT_FAMILY = "Noto Sans CJK SC,Noto Sans SC,Source Han Sans SC,sans-serif"

# Okabe-Ito colour-blind-safe palette.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
VERMILLION = "#D55E00"
SKY = "#56B4E9"
INK = "#222222"
MUTED = "#6B6B6B"
GRID = "#CFCFCF"

MISSING_LABEL = "无数据"  # no data
NO_INTERVAL_LABEL = "无区间"  # no interval

#: The words a chart draws by itself (Chinese by default). Pass ``labels=`` with any of these
#: keys to print another language (the report takes them from the catalog: ``chart_*`` in
#: evaluator.reports.words); ``target`` is a format with ``{direction}`` and ``{value}``.
CHART_LABELS = {
    "radar": "雷达图",
    "bar": "条形图",
    "interval": "区间图",
    "missing": MISSING_LABEL,
    "no_interval": NO_INTERVAL_LABEL,
    "target": "目标 {direction} {value}",
    "no_target": "无目标",
    "estimate": "估计值",
    "ci": "95% 置信区间",
    "target_line": "目标值",
    "meets_zone": "达标区域",
}


def _labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    if labels is None:
        return CHART_LABELS
    unknown = sorted(set(labels) - set(CHART_LABELS))
    if unknown:
        raise ValueError(f"labels: unknown key(s) {', '.join(unknown)}")
    return {**CHART_LABELS, **labels}

_TOLERANCE = 1e-9
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# -- small helpers ---------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Text safe for XML content and attributes."""
    return escape(_XML_INVALID.sub("", text), {'"': "&quot;"})


def _n(x: float) -> str:
    """A coordinate: two decimals, no '-0.00'."""
    out = f"{x:.2f}"
    return "0.00" if out == "-0.00" else out


def _fmt(value: float, decimals: int) -> str:
    """A value as printed beside a mark: fixed decimals, as in the report's tables."""
    out = f"{value:.{decimals}f}"
    return out[1:] if out.startswith("-") and float(out) == 0 else out


def _tick(value: float) -> str:
    """An axis tick: as few decimals as the value needs (0, 2.5, 5, 7.5, 10)."""
    out = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if out == "-0" else out


def _pct(fraction: float, decimals: int) -> str:
    return _fmt(fraction * 100, decimals) + "%"


def _char_em(ch: str) -> float:
    """Estimated advance of one character in the Noto CJK sans face, in em."""
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch == " ":
        return 0.3
    if ch.isupper() or ch.isdigit():
        return 0.64
    if ch.isalpha():
        return 0.56
    return 0.45


def text_width(text: str, size: float) -> float:
    """Estimated width: CJK and full-width characters are 1 em, Latin letters a little over
    half an em (a generous estimate, so a fitted label never runs into the plot)."""
    return sum(_char_em(ch) for ch in text) * size


def _fit(text: str, size: float, max_width: float) -> str:
    """Shorten a label with an ellipsis so it fits its column (the tables carry the full name)."""
    if text_width(text, size) <= max_width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > max_width:
            break
        out += ch
    return out + "…"


def _svg_open(width: int, height: int, title: str, kind: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FONT_FAMILY}" font-size="12" fill="{INK}" '
        f'role="img" aria-label="{_clean(title)}">'
    ]


def _text(x: float, y: float, content: str, *, size: float = 12, anchor: str = "start",
          fill: str = INK, weight: str | None = None, cls: str | None = None) -> str:
    extra = f' font-weight="{weight}"' if weight else ""
    extra += f' class="{cls}"' if cls else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" text-anchor="{anchor}" '
        f'fill="{fill}"{extra}>{_clean(content)}</text>'
    )


def _is_number(x: object) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool)


def _optional_value(x: object, where: str) -> float | None:
    """None and NaN mean 'missing'; anything else must be a finite number."""
    if x is None:
        return None
    if not _is_number(x):
        raise ValueError(f"{where}: expected a number or None, got {type(x).__name__}")
    value = float(x)
    if math.isnan(value):
        return None
    if math.isinf(value):
        raise ValueError(f"{where}: must be finite, got {value}")
    return value


def _label(x: object, where: str) -> str:
    if not isinstance(x, str):
        raise ValueError(f"{where}: the label must be a string, got {type(x).__name__}")
    return x


def _scored_items(items: object, name: str, minimum: int) -> list[tuple[str, float | None, float]]:
    """Check (label, value, max) triples: max finite and > 0, value in [0, max] or missing."""
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise ValueError(f"{name}: expected a list of (label, value, max)")
    if len(items) < minimum:
        raise ValueError(f"{name}: needs at least {minimum} entries, got {len(items)}")
    out = []
    for i, item in enumerate(items):
        where = f"{name}[{i}]"
        if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 3:
            raise ValueError(f"{where}: expected (label, value, max)")
        label = _label(item[0], where)
        value = _optional_value(item[1], f"{where} value")
        maximum = _optional_value(item[2], f"{where} max")
        if maximum is None or maximum <= 0:
            raise ValueError(f"{where} max: must be a positive number, got {item[2]!r}")
        if value is not None and not (-_TOLERANCE <= value <= maximum * (1 + _TOLERANCE)):
            raise ValueError(f"{where} value: {value} is outside 0..{maximum}")
        if value is not None:
            value = min(max(value, 0.0), maximum)
        out.append((label, value, maximum))
    return out


# -- radar -----------------------------------------------------------------------------------

RADAR_WIDTH = 480
RADAR_HEIGHT = 400
RADAR_RADIUS = 125.0
RADAR_RINGS = (0.2, 0.4, 0.6, 0.8, 1.0)


def radar_chart(
    axes: Sequence[tuple[str, float | None, float]], *, title: str = "", decimals: int = 1,
    labels: Mapping[str, str] | None = None,
) -> str:
    """A radar (spider) chart of scores per dimension, each as a share of its own maximum.

    ``axes``: at least 3 ``(label, value, max)``; the first axis points up, the others follow
    clockwise. A value equal to its max lies on the outer ring. Rings mark 20 % steps of
    each axis' maximum. A missing value leaves a gap in the outline and reads 无数据.
    """
    items = _scored_items(axes, "axes", 3)
    words = _labels(labels)
    width, height, radius = RADAR_WIDTH, RADAR_HEIGHT, RADAR_RADIUS
    cx, cy = width / 2, height / 2 + (10 if title else 0)
    count = len(items)

    def point(i: int, fraction: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / count
        return cx + radius * fraction * math.cos(angle), cy + radius * fraction * math.sin(angle)

    parts = _svg_open(width, height, title or words["radar"], "radar")
    if title:
        parts.append(_text(width / 2, 20, title, size=14, anchor="middle", weight="bold"))
    for ring in RADAR_RINGS:
        ring_points = " ".join(f"{_n(x)},{_n(y)}" for x, y in (point(i, ring) for i in range(count)))
        parts.append(
            f'<polygon class="ring ring-{round(ring * 100)}" points="{ring_points}" '
            f'fill="none" stroke="{GRID}" stroke-width="{1.2 if ring == 1.0 else 0.8}"/>'
        )
    for i, (_label_text, value, _maximum) in enumerate(items):
        x, y = point(i, 1.0)
        dash = ' stroke-dasharray="3,3"' if value is None else ""
        parts.append(
            f'<line class="spoke" x1="{_n(cx)}" y1="{_n(cy)}" x2="{_n(x)}" y2="{_n(y)}" '
            f'stroke="{GRID}" stroke-width="0.8"{dash}/>'
        )
    for ring in (0.2, 0.6, 1.0):
        x, y = point(0, ring)
        parts.append(_text(x + 4, y + 3, f"{round(ring * 100)}%", size=9, fill=MUTED,
                           cls="ring-label"))

    vertices = [None if v is None else point(i, v / m) for i, (_, v, m) in enumerate(items)]
    present = [p for p in vertices if p is not None]
    if len(present) == count:
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in present)
        parts.append(
            f'<polygon class="series" points="{pts}" fill="{BLUE}" fill-opacity="0.18" '
            f'stroke="{BLUE}" stroke-width="2" stroke-linejoin="round"/>'
        )
    else:
        # Only neighbours that both have a value are joined: a missing axis is a visible gap.
        for i in range(count):
            a, b = vertices[i], vertices[(i + 1) % count]
            if a is not None and b is not None:
                parts.append(
                    f'<line class="series-segment" x1="{_n(a[0])}" y1="{_n(a[1])}" '
                    f'x2="{_n(b[0])}" y2="{_n(b[1])}" stroke="{BLUE}" stroke-width="2"/>'
                )
    for x, y in present:
        parts.append(f'<circle class="vertex" cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{BLUE}"/>')

    for i, (label_text, value, maximum) in enumerate(items):
        angle = -math.pi / 2 + 2 * math.pi * i / count
        cos, sin = math.cos(angle), math.sin(angle)
        lx, ly = cx + (radius + 14) * cos, cy + (radius + 14) * sin
        anchor = "start" if cos > 0.3 else "end" if cos < -0.3 else "middle"
        room = width - lx - 4 if anchor == "start" else lx - 4 if anchor == "end" else 150
        # Two lines (name, value): above the point at the top, below it at the bottom.
        top = ly - 18 if sin < -0.5 else ly + 4 if sin > 0.5 else ly - 5
        parts.append(_text(lx, top, _fit(label_text, 12, min(room, 130)), anchor=anchor,
                           cls="axis-label"))
        if value is None:
            parts.append(_text(lx, top + 15, words["missing"], size=11, anchor=anchor, fill=VERMILLION,
                               cls="missing"))
        else:
            shown = f"{_fmt(value, decimals)} / {_tick(maximum)}"
            parts.append(_text(lx, top + 15, shown, size=11, anchor=anchor, fill=MUTED,
                               cls="axis-value"))
    parts.append("</svg>")
    return "\n".join(parts)


# -- bars ------------------------------------------------------------------------------------

BAR_WIDTH = 600
BAR_LABEL_WIDTH = 140
BAR_ROW = 26
BAR_THICKNESS = 16


def bar_chart(
    categories: Sequence[tuple[str, float | None, float]], *, title: str = "", decimals: int = 1,
    labels: Mapping[str, str] | None = None,
) -> str:
    """Horizontal bars, one per category (e.g. each township's score), on a common scale.

    ``categories``: ``(label, value, max)``. Bar length is ``value / max`` of the plot
    width, so bars are proportional to the share of the maximum. When every max is the
    same the axis is in points (0..max), otherwise in percent of each category's max.
    Horizontal bars keep long township names legible; about 35 rows fit an A4 page.
    """
    items = _scored_items(categories, "categories", 1)
    words = _labels(labels)
    maxima = {m for _, _, m in items}
    common_max = maxima.pop() if len(maxima) == 1 else None
    width = BAR_WIDTH
    top = 34 if title else 12
    x0 = BAR_LABEL_WIDTH + 10
    x1 = width - 90
    plot = x1 - x0
    height = int(top + len(items) * BAR_ROW + 30)

    parts = _svg_open(width, height, title or words["bar"], "bar")
    if title:
        parts.append(_text(width / 2, 20, title, size=14, anchor="middle", weight="bold"))
    bottom = top + len(items) * BAR_ROW
    for k in range(5):
        fraction = k / 4
        x = x0 + plot * fraction
        parts.append(
            f'<line class="grid" x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(bottom)}" '
            f'stroke="{GRID}" stroke-width="{1 if k == 0 else 0.6}"/>'
        )
        tick = _tick(common_max * fraction) if common_max else _tick(fraction * 100) + "%"
        parts.append(_text(x, bottom + 16, tick, size=10, anchor="middle", fill=MUTED,
                           cls="tick"))

    for i, (label_text, value, maximum) in enumerate(items):
        row_top = top + i * BAR_ROW
        bar_y = row_top + (BAR_ROW - BAR_THICKNESS) / 2
        text_y = row_top + BAR_ROW / 2 + 4
        parts.append(_text(x0 - 8, text_y, _fit(label_text, 12, BAR_LABEL_WIDTH), anchor="end",
                           cls="category-label"))
        if value is None:
            parts.append(_text(x0 + 6, text_y, words["missing"], size=11, fill=VERMILLION,
                               cls="missing"))
            continue
        length = plot * value / maximum
        parts.append(
            f'<rect class="bar" x="{_n(x0)}" y="{_n(bar_y)}" width="{_n(length)}" '
            f'height="{_n(BAR_THICKNESS)}" fill="{BLUE}"/>'
        )
        shown = _fmt(value, decimals) if common_max else (
            f"{_fmt(value, decimals)} / {_tick(maximum)}"
        )
        parts.append(_text(x0 + length + 6, text_y, shown, size=11, cls="bar-value"))
    parts.append("</svg>")
    return "\n".join(parts)


# -- intervals against targets ---------------------------------------------------------------

INTERVAL_WIDTH = 620
INTERVAL_LABEL_WIDTH = 150
INTERVAL_ROW = 40
DIRECTIONS = {"higher": "≥", "lower": "≤"}


def _interval_rows(rows: object) -> list[tuple[str, float | None, float | None, float | None,
                                                float | None, str]]:
    if isinstance(rows, str | bytes) or not isinstance(rows, Sequence):
        raise ValueError("rows: expected a list of (label, estimate, low, high, target, direction)")
    if not rows:
        raise ValueError("rows: needs at least 1 entry")
    out = []
    for i, row in enumerate(rows):
        where = f"rows[{i}]"
        if isinstance(row, str | bytes) or not isinstance(row, Sequence) or len(row) != 6:
            raise ValueError(f"{where}: expected (label, estimate, low, high, target, direction)")
        label = _label(row[0], where)
        estimate, low, high, target = (
            _optional_value(row[k], f"{where} {name}")
            for k, name in ((1, "estimate"), (2, "low"), (3, "high"), (4, "target"))
        )
        direction = row[5]
        if direction not in DIRECTIONS:
            raise ValueError(f"{where} direction: must be 'higher' or 'lower', got {direction!r}")
        for name, value in (("estimate", estimate), ("low", low), ("high", high),
                            ("target", target)):
            if value is not None and not (-_TOLERANCE <= value <= 1 + _TOLERANCE):
                raise ValueError(f"{where} {name}: {value} is not a rate between 0 and 1")
        if (low is None) != (high is None):
            raise ValueError(f"{where}: give both ends of the interval or neither")
        if low is not None and high is not None:
            if low > high + _TOLERANCE:
                raise ValueError(f"{where}: low {low} is above high {high}")
            if estimate is not None and not (low - _TOLERANCE <= estimate <= high + _TOLERANCE):
                raise ValueError(f"{where}: estimate {estimate} lies outside [{low}, {high}]")

        def clamp(v: float | None) -> float | None:
            return None if v is None else min(max(v, 0.0), 1.0)

        out.append((label, clamp(estimate), clamp(low), clamp(high), clamp(target), direction))
    return out


def interval_plot(
    rows: Sequence[tuple[str, float | None, float | None, float | None, float | None, str]],
    *,
    title: str = "",
    decimals: int = 1,
    labels: Mapping[str, str] | None = None,
    label_width: float = INTERVAL_LABEL_WIDTH,
) -> str:
    """Rate indicators as a point with its confidence interval, against the target.

    ``rows``: ``(label, estimate, low, high, target, direction)`` with rates as fractions
    (0..1, drawn as 0-100 %); ``direction`` is 'higher' (the target is a minimum) or 'lower'
    (a maximum, e.g. an error rate). The side of the target that meets it is shaded, so the
    reader sees whether the interval lies inside, outside or across it; the verdict itself
    is the scoring engine's, printed in the tables, not recomputed here. A missing estimate
    reads 无数据; an estimate without an interval is drawn as a point and reads 无区间.
    ``label_width`` (px) is the room for the row labels, wider for longer (English) names.
    """
    items = _interval_rows(rows)
    words = _labels(labels)
    if not 60 <= label_width <= INTERVAL_WIDTH / 2:
        raise ValueError(f"label_width: {label_width} is outside 60..{INTERVAL_WIDTH // 2}")
    width = INTERVAL_WIDTH
    top = 34 if title else 12
    x0 = label_width + 12
    x1 = width - 132
    plot = x1 - x0
    bottom = top + len(items) * INTERVAL_ROW
    height = int(bottom + 52)

    def x_at(fraction: float) -> float:
        return x0 + plot * fraction

    parts = _svg_open(width, height, title or words["interval"], "interval")
    if title:
        parts.append(_text(width / 2, 20, title, size=14, anchor="middle", weight="bold"))
    for k in range(11):
        x = x_at(k / 10)
        parts.append(
            f'<line class="grid" x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(bottom)}" '
            f'stroke="{GRID}" stroke-width="{1 if k in (0, 10) else 0.5}"/>'
        )
        if k % 2 == 0:
            parts.append(_text(x, bottom + 15, f"{k * 10}%", size=10, anchor="middle",
                               fill=MUTED, cls="tick"))

    for i, (label_text, estimate, low, high, target, direction) in enumerate(items):
        row_top = top + i * INTERVAL_ROW
        mid = row_top + INTERVAL_ROW / 2
        if target is not None:
            start, end = (target, 1.0) if direction == "higher" else (0.0, target)
            parts.append(
                f'<rect class="meets-zone" x="{_n(x_at(start))}" y="{_n(row_top + 4)}" '
                f'width="{_n(plot * (end - start))}" height="{_n(INTERVAL_ROW - 8)}" '
                f'fill="{GREEN}" fill-opacity="0.13"/>'
            )
            parts.append(
                f'<line class="target" x1="{_n(x_at(target))}" y1="{_n(row_top + 3)}" '
                f'x2="{_n(x_at(target))}" y2="{_n(row_top + INTERVAL_ROW - 3)}" '
                f'stroke="{INK}" stroke-width="2"/>'
            )
        parts.append(_text(x0 - 8, mid - 3, _fit(label_text, 12, label_width),
                           anchor="end", cls="row-label"))
        goal = (words["target"].format(direction=DIRECTIONS[direction],
                                       value=f"{_tick(target * 100)}%")
                if target is not None else words["no_target"])
        parts.append(_text(x0 - 8, mid + 10, goal, size=10, anchor="end", fill=MUTED,
                           cls="row-target"))
        if estimate is None:
            parts.append(_text(x0 + 6, mid + 4, words["missing"], size=11, fill=VERMILLION,
                               cls="missing"))
            continue
        if low is not None and high is not None:
            xl, xh = x_at(low), x_at(high)
            parts.append(
                f'<line class="interval" x1="{_n(xl)}" y1="{_n(mid)}" x2="{_n(xh)}" '
                f'y2="{_n(mid)}" stroke="{BLUE}" stroke-width="2.5"/>'
            )
            for xe in (xl, xh):
                parts.append(
                    f'<line class="interval-cap" x1="{_n(xe)}" y1="{_n(mid - 5)}" x2="{_n(xe)}" '
                    f'y2="{_n(mid + 5)}" stroke="{BLUE}" stroke-width="1.5"/>'
                )
            shown = (f"{_pct(estimate, decimals)}"
                     f"（{_fmt(low * 100, decimals)}–{_fmt(high * 100, decimals)}）")
        else:
            shown = f"{_pct(estimate, decimals)} {words['no_interval']}"
        parts.append(
            f'<circle class="estimate" cx="{_n(x_at(estimate))}" cy="{_n(mid)}" r="4.5" '
            f'fill="{BLUE}" stroke="#FFFFFF" stroke-width="1"/>'
        )
        parts.append(_text(x1 + 8, mid + 4, shown, size=11, cls="row-value"))

    # Legend: what the marks mean, in words (not colour alone).
    ly = bottom + 38
    legend_width = (14 + text_width(words["estimate"], 10) + 16 + 28 + text_width(words["ci"], 10)
                    + 16 + 12 + text_width(words["target_line"], 10) + 16 + 24
                    + text_width(words["meets_zone"], 10))
    lx = max(8.0, min(x0, width - 8 - legend_width))
    parts.append(f'<circle cx="{_n(lx + 5)}" cy="{_n(ly - 4)}" r="4.5" fill="{BLUE}"/>')
    parts.append(_text(lx + 14, ly, words["estimate"], size=10, fill=MUTED))
    lx += 14 + text_width(words["estimate"], 10) + 16
    parts.append(f'<line x1="{_n(lx)}" y1="{_n(ly - 4)}" x2="{_n(lx + 22)}" y2="{_n(ly - 4)}" '
                 f'stroke="{BLUE}" stroke-width="2.5"/>')
    parts.append(_text(lx + 28, ly, words["ci"], size=10, fill=MUTED))
    lx += 28 + text_width(words["ci"], 10) + 16
    parts.append(f'<line x1="{_n(lx + 4)}" y1="{_n(ly - 11)}" x2="{_n(lx + 4)}" y2="{_n(ly + 3)}" '
                 f'stroke="{INK}" stroke-width="2"/>')
    parts.append(_text(lx + 12, ly, words["target_line"], size=10, fill=MUTED))
    lx += 12 + text_width(words["target_line"], 10) + 16
    parts.append(f'<rect x="{_n(lx)}" y="{_n(ly - 10)}" width="18" height="12" fill="{GREEN}" '
                 f'fill-opacity="0.13" stroke="{GRID}" stroke-width="0.5"/>')
    parts.append(_text(lx + 24, ly, words["meets_zone"], size=10, fill=MUTED))
    parts.append("</svg>")
    return "\n".join(parts)
