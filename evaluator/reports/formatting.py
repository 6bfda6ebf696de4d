"""How the report writes numbers, dates and words: rounding for presentation (points to two
decimals, shares to one decimal of a percent, means to two decimals), dates in Chinese or
English, ``Words`` (the report's words in one language, from reports/words.py), and the
numbering of tables and figures in document order (``Counters``)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from evaluator.catalogs import CatalogError, translations
from evaluator.reports import ReportError
from evaluator.reports.words import WORDS

LANGUAGES = ("zh", "en")
SHARE_METHODS = frozenset({"rate", "checklist", "consistency", "completeness", "veto"})
ESTIMATED_METHODS = frozenset({"rate", "mean", "checklist", "consistency", "completeness"})
SEVERITY_ORDER = ("critical", "major", "minor")


def fixed(value: float, places: int) -> str:
    """``value`` with exactly ``places`` decimals, never '-0.00'."""
    out = f"{value:.{places}f}"
    return out[1:] if out.startswith("-") and float(out) == 0 else out


def points_text(value: float) -> str:
    """Points as every report table prints them: two decimals."""
    return fixed(value, 2)


def plain(value: float) -> str:
    """A rubric parameter (a maximum, a target): as few decimals as it needs, up to two."""
    out = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if out in ("-0", "") else out


def percent(fraction: float, places: int = 1) -> str:
    return fixed(fraction * 100, places) + "%"


def percent_plain(fraction: float) -> str:
    return plain(fraction * 100) + "%"


def format_date(day: date | None, lang: str) -> str:
    if day is None:
        return Words(lang)("no_value")
    if lang == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {day.strftime('%B')} {day.year}"


def format_date_range(start: date | None, end: date | None, lang: str) -> str:
    if start is None or end is None:
        return format_date(start or end, lang)
    if start == end:
        return format_date(start, lang)
    if lang == "zh":
        tail = f"{end.month}月{end.day}日" if end.year == start.year else format_date(end, "zh")
        return Words("zh")("date_range", start=format_date(start, "zh"), end=tail)
    if end.year == start.year:
        head = f"{start.day} {start.strftime('%B')}"
        return Words("en")("date_range", start=head, end=format_date(end, "en"))
    return Words("en")("date_range", start=format_date(start, "en"), end=format_date(end, "en"))


def short_hash(value: str, length: int = 12) -> str:
    """``sha256:abcd...`` -> ``sha256:abcdef123456`` for covers; the stamp prints it whole."""
    if not value:
        return ""
    prefix, _, digest = value.rpartition(":")
    return (prefix + ":" if prefix else "") + digest[:length]



def number_text(raw: str) -> str:
    """A CSV number as a reader expects it: 16318.00 -> 16318, 0.50 -> 0.5."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return raw
    if not math.isfinite(value):
        return raw
    return plain(value) if abs(value) < 1e15 else raw


def estimate_text(method: str, value: float | None, empty: str = "—") -> str:
    """An estimate as tables print it: a share in percent (one decimal), anything else with
    two decimals."""
    if value is None or not math.isfinite(value):
        return empty
    return percent(value) if method in SHARE_METHODS else fixed(value, 2)


def grade_word(rubric: Any, grade: str, lang: str) -> str:
    """A grade band's name in the report's language (the rubric's ``en`` for English)."""
    if lang == "en":
        for band in rubric.bands:
            if band.grade == grade and band.en:
                return band.en
    return grade


class Words:
    """The report's words in one language: ``w("key", name=...)``, the English of
    ``evaluator.reports.words`` translated by the gettext catalog (Babel, no Flask)."""

    def __init__(self, lang: str):
        if lang not in LANGUAGES:
            raise ReportError(f"report language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
        self.lang = lang
        try:
            self.catalog = translations(lang)
        except CatalogError as exc:
            raise ReportError(str(exc)) from None

    def __call__(self, key: str, **values: Any) -> str:
        text = str(self.catalog.pgettext(key, WORDS[key]))
        return text.format(**values) if values else text

    def get(self, key: str, default: str) -> str:
        return self(key) if key in WORDS else default

    def sentences(self, key: str) -> list[str]:
        """A list entry (``key.1``, ``key.2``, ...) in order."""
        out, k = [], 1
        while f"{key}.{k}" in WORDS:
            out.append(self(f"{key}.{k}"))
            k += 1
        return out

    def list(self, items: Iterable[str]) -> str:
        return self("list_sep").join(items)

    def text(self, value: Any) -> str:
        """A bilingual label (rubric Text, {zh, en} dict, or str) in this language."""
        if isinstance(value, str):
            return value
        if isinstance(value, Mapping):
            zh, en = str(value.get("zh", "")), str(value.get("en", ""))
        else:
            zh, en = str(getattr(value, "zh", "")), str(getattr(value, "en", ""))
        return en if self.lang == "en" and en else zh

    def verdict(self, code: str) -> str:
        return self(f"verdict_{code}")

    def severity(self, code: str) -> str:
        return self.get(f"severity_{code}", code)

    def source(self, name: str | None) -> str:
        if not name:
            return self("no_value")
        return self.get(f"source_{name}", self("source_other", source=name))

    def unit(self, source: str | None) -> str:
        return self.get(f"unit_{source}", self("unit_other"))

    def method(self, name: str) -> str:
        return self.get(f"method_{name}", name)

    def value_word(self, column: str, value: str) -> str:
        """Roster vocabulary (category, status) in this language; other values as they are."""
        return self.get(f"{column}_{value}", value) if column in ("category", "status") else value

    def capital(self, text: str) -> str:
        """English words that start a table cell take a capital letter."""
        return text[:1].upper() + text[1:] if self.lang == "en" else text


class Counters:
    """Table and figure numbers in the order they appear in the document."""

    def __init__(self):
        self.table = 0
        self.figure = 0

    def next_table(self) -> int:
        self.table += 1
        return self.table

    def next_figure(self) -> int:
        self.figure += 1
        return self.figure
