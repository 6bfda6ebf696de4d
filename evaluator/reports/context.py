"""ScoreSheet + bundle + rubric -> the plain values a report template prints.

Pure (no WeasyPrint, no Flask, no files, no clock): the same inputs give the same context, so
the same bundle gives the same report text. Everything a reader sees is decided here, and only
here — rounding for presentation, wording in Chinese or English, verdict words, the sentence
that says in words what the sample could not decide, and privacy:

- households are named by their code; the head of household's name only when the evaluation
  allows names (``allow_names``), and a national ID number never in full (first 6 + last 4);
- free text (findings, reasons, forum notes) is scrubbed of ID-number-like digit runs, and of
  the roster's head names unless names are allowed.

Templates receive only str, int, float, bool, lists and dicts; they escape every string.
Numbers are rounded here from the sheet's unrounded values: points to two decimals, shares to
one decimal of a percent, means to two decimals.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from evaluator.reports import ReportError
from evaluator.reports.words import ROSTER_LABELS, WORDS, chinese_numeral

LANGUAGES = ("zh", "en")
SHARE_METHODS = frozenset({"rate", "checklist", "consistency", "completeness", "veto"})
ESTIMATED_METHODS = frozenset({"rate", "mean", "checklist", "consistency", "completeness"})
SEVERITY_ORDER = ("critical", "major", "minor")
PERSONAL_COLUMNS = frozenset({"head_name", "id_number"})
#: Failed households listed by code in a dimension chapter before "... and N more".
MAX_LISTED = 60
#: Failing indicators named in the executive summary.
KEY_FAILURES = 4
#: Values shown per source as a finding's evidence.
MAX_EVIDENCE_VALUES = 8
#: The roster's vocabularies (evaluator.bundle.model), in the order tables list them.
CATEGORIES = ("深度困难", "相对困难", "意外致困")
STATUSES = ("在档", "已脱困", "注销")

# An 18-digit (last may be X) or 15-digit run: the shapes of a mainland ID number.
_ID_LIKE = re.compile(r"(?<![0-9])(?:\d{17}[\dXx]|\d{15})(?![0-9Xx])")


# -- privacy ------------------------------------------------------------------------------------


def mask_id_number(value: str) -> str:
    """Show an ID number as its first 6 and last 4 characters, the rest as '*'.

    >>> mask_id_number("110101199003071234")
    '110101********1234'
    >>> mask_id_number("12345")
    '*****'
    """
    text = str(value or "").strip()
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


class Scrubber:
    """Masks ID-number-like digit runs and, unless names are allowed, the roster's head names.

    Names are found by looking up every substring of the lengths the names have (a set lookup
    per position), so the cost depends on the text, not on the size of the roster.
    """

    def __init__(self, names: Iterable[str] = ()):
        self.names = frozenset(n for n in (str(x).strip() for x in names) if len(n) >= 2)
        self.lengths = sorted({len(n) for n in self.names}, reverse=True)

    def __call__(self, text: Any) -> str:
        out = _ID_LIKE.sub(lambda m: mask_id_number(m.group(0)), str(text or ""))
        if not self.names or not out:
            return out
        hidden = [False] * len(out)
        for length in self.lengths:
            for i in range(len(out) - length + 1):
                if not hidden[i] and out[i:i + length] in self.names:
                    for k in range(i, i + length):
                        hidden[k] = True
        if not any(hidden):
            return out
        return "".join("＊" if h else ch for ch, h in zip(out, hidden, strict=True))


# -- formatting ---------------------------------------------------------------------------------


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
        return WORDS[lang]["no_value"]
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
        return WORDS["zh"]["date_range"].format(start=format_date(start, "zh"), end=tail)
    if end.year == start.year:
        head = f"{start.day} {start.strftime('%B')}"
        return WORDS["en"]["date_range"].format(start=head, end=format_date(end, "en"))
    return WORDS["en"]["date_range"].format(start=format_date(start, "en"),
                                             end=format_date(end, "en"))


def short_hash(value: str, length: int = 12) -> str:
    """``sha256:abcd...`` -> ``sha256:abcdef123456`` for covers; the stamp prints it whole."""
    if not value:
        return ""
    prefix, _, digest = value.rpartition(":")
    return (prefix + ":" if prefix else "") + digest[:length]


def _number_text(raw: str) -> str:
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
    """The report's words in one language: ``w("key", name=...)``."""

    def __init__(self, lang: str):
        if lang not in LANGUAGES:
            raise ReportError(f"report language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
        self.lang = lang
        self.table = WORDS[lang]

    def __call__(self, key: str, **values: Any) -> str:
        return self.table[key].format(**values) if values else self.table[key]

    def get(self, key: str, default: str) -> str:
        return self.table.get(key, default)

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


# -- inputs -------------------------------------------------------------------------------------


def _check_inputs(sheet: Any, bundle: Any, rubric: Any) -> None:
    for name in ("total", "dimensions", "indicators", "grade", "rubric_id"):
        if not hasattr(sheet, name):
            raise ReportError(f"expected a ScoreSheet (evaluator.scoring), got {type(sheet).__name__}")
    for name in ("meta", "findings", "judgements", "sample", "roster", "sources", "data_hash"):
        if not hasattr(bundle, name):
            raise ReportError(f"expected a Bundle (evaluator.bundle), got {type(bundle).__name__}")
    for name in ("id", "version", "dimensions", "bands"):
        if not hasattr(rubric, name):
            raise ReportError(f"expected a Rubric (evaluator.rubrics), got {type(rubric).__name__}")
    if (sheet.rubric_id, str(sheet.rubric_version)) != (rubric.id, str(rubric.version)):
        raise ReportError(
            f"the score sheet was made with rubric {sheet.rubric_id} {sheet.rubric_version}, "
            f"not with the rubric given ({rubric.id} {rubric.version})"
        )
    rubric_hash = getattr(rubric, "content_hash", "")
    if sheet.rubric_hash and rubric_hash and sheet.rubric_hash != rubric_hash:
        raise ReportError(
            f"the score sheet's rubric {rubric.id} {rubric.version} has different content "
            "(its hash differs) from the rubric given"
        )
    if sheet.data_hash and bundle.data_hash and sheet.data_hash != bundle.data_hash:
        raise ReportError("the score sheet was made from other data than this bundle (data hashes differ)")
    codes = {i.code for i in sheet.indicators}
    missing = [i.code for d in rubric.dimensions for i in d.indicators if i.code not in codes]
    if missing:
        raise ReportError(f"the score sheet has no result for indicator(s) {', '.join(missing)}")


def _parse_day(text: Any) -> date | None:
    raw = str(text or "").strip()[:10]
    if len(raw) != 10:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


DATE_FIELDS = ("start", "today", "forum_date")
DATE_PARADATA = ("start", "submission_date")


def fieldwork_dates(bundle: Any) -> tuple[date | None, date | None]:
    """First and last day a record was made (questionnaire start, forum date, submission)."""
    days: set[date] = set()
    for source in bundle.sources.values():
        for row in source.rows:
            for key in DATE_FIELDS:
                day = _parse_day(row.get(key))
                if day is not None:
                    days.add(day)
        for meta in getattr(source, "paradata", ()):
            for key in DATE_PARADATA:
                day = _parse_day(meta.get(key))
                if day is not None:
                    days.add(day)
    if not days:
        return None, None
    return min(days), max(days)


def report_date_for(bundle: Any) -> date | None:
    """The report's date, from the data (never the clock): the later of the period's end and
    the last fieldwork day. The PDF's creation date is set to it, so rebuilding a report from
    the same bundle gives the same file."""
    meta = bundle.meta
    _, last = fieldwork_dates(bundle)
    candidates = [d for d in (meta.period_end, last) if d is not None]
    return max(candidates) if candidates else None


# -- the report context -------------------------------------------------------------------------


def build_context(
    sheet: Any,
    bundle: Any,
    rubric: Any,
    *,
    lang: str = "zh",
    surveys: Mapping[str, Any] | None = None,
    software_version: str = "",
    report_date: date | None = None,
) -> dict[str, Any]:
    """The whole report as plain values (see templates/report/report.html).

    ``sheet`` is ``score(rubric, bundle)``; ``surveys`` (survey id -> Survey) gives field and
    choice labels for the evidence of findings (without them, field codes are printed).
    ``report_date`` defaults to ``report_date_for(bundle)``. Raises ReportError when the sheet,
    bundle and rubric do not belong together.
    """
    _check_inputs(sheet, bundle, rubric)
    return _ReportBuilder(sheet, bundle, rubric, Words(lang), surveys or {}, software_version,
                          report_date).build()


class _ReportBuilder:
    def __init__(self, sheet, bundle, rubric, w: Words, surveys, software_version, report_date):
        self.sheet = sheet
        self.bundle = bundle
        self.rubric = rubric
        self.meta = bundle.meta
        self.w = w
        self.lang = w.lang
        self.surveys = surveys
        self.software_version = software_version
        self.report_date = report_date or report_date_for(bundle)
        self.counters = Counters()
        self.results = {r.code: r for r in sheet.indicators}
        self.dimension_results = {d.code: d for d in sheet.dimensions}
        self.allow_names = bool(getattr(self.meta, "allow_names", False))
        roster_by_id = getattr(bundle, "roster_by_id", None)
        if roster_by_id is None:
            roster_by_id = {r.get("household_id", ""): r for r in bundle.roster}
        self.roster = roster_by_id
        # Names of units and people (team, responsible person) are scrubbed of ID numbers only;
        # free text (findings, reasons, notes) also of the roster's head names.
        self.scrub = Scrubber()
        self.scrub_text = Scrubber(() if self.allow_names else
                                   (r.get("head_name", "") for r in bundle.roster))
        self._records: dict[str, dict[str, Any]] = {}
        self.stratum_label = self._stratum_label()
        self.pass_share = _pass_share(rubric)
        self.chapter_no = 0
        # summary, overview, one per dimension, findings, then the rectification list
        rect = 4 + len(rubric.dimensions)
        self.rect_chapter = chinese_numeral(rect) if self.lang == "zh" else str(rect)

    # -- helpers ----------------------------------------------------------------------------

    def _stratum_label(self) -> str:
        column = getattr(self.sheet, "stratum_column", "") or "stratum"
        if column in ("stratum", "township"):
            return self.w("stratum_default")
        return ROSTER_LABELS[self.lang].get(column, column)

    def chapter(self, key: str, ident: str, title: str | None = None) -> dict[str, str]:
        self.chapter_no += 1
        numeral = chinese_numeral(self.chapter_no) if self.lang == "zh" else str(self.chapter_no)
        return {"id": ident, "title": self.w("chapter_number", numeral=numeral,
                                             title=title if title is not None else self.w(key))}

    def appendix(self, number: int, key: str, ident: str) -> dict[str, str]:
        numeral = chinese_numeral(number) if self.lang == "zh" else "ABCDEFGHIJ"[number - 1]
        return {"id": ident, "title": self.w("appendix_number", numeral=numeral, title=self.w(key))}

    def section(self, number: int, key: str, ident: str) -> dict[str, str]:
        numeral = chinese_numeral(number) if self.lang == "zh" else f"{number}."
        return {"id": ident, "title": self.w("section_number", numeral=numeral, title=self.w(key))}

    def household(self, code: str) -> str:
        """A household as the report names it: the code; with names allowed, also the name and
        the masked ID number."""
        if not self.allow_names:
            return code
        row = self.roster.get(code) or {}
        name = str(row.get("head_name", "") or "").strip()
        id_number = str(row.get("id_number", "") or "").strip()
        if name and id_number:
            return self.w("household_named_id", code=code, name=name, id=mask_id_number(id_number))
        if name:
            return self.w("household_named", code=code, name=name)
        return code

    def indicator_name(self, code: str) -> str:
        try:
            return self.w.text(self.rubric.indicator(code).name)
        except KeyError:
            return self.w("finding_unknown_indicator")

    def estimate_text(self, r: Any, value: float | None) -> str:
        return estimate_text(r.method, value, self.w("no_value"))

    def interval_text(self, r: Any) -> str:
        if r.ci_low is None or r.ci_high is None or r.method in ("judgement", "deduction"):
            return self.w("no_value")
        if r.interval == "exact":
            return self.w("no_value")
        if r.method in SHARE_METHODS:
            return self.w("interval", low=percent(r.ci_low), high=percent(r.ci_high))
        return self.w("interval", low=fixed(r.ci_low, 2), high=fixed(r.ci_high, 2))

    def target_text(self, r: Any) -> str:
        if r.target is None or r.direction not in ("higher", "lower"):
            return self.w("target_none")
        value = percent_plain(r.target) if r.method in SHARE_METHODS else plain(r.target)
        return self.w(f"target_{r.direction}", value=value)

    def estimate_cell(self, r: Any) -> str:
        if r.method == "judgement" and r.estimate is not None:
            ind = self.rubric.indicator(r.code)
            return self.w("judgement_estimate", value=fixed(r.estimate, 2), scale=plain(ind.scale or 0))
        if r.method == "deduction":
            return self.w("no_value")
        return self.estimate_text(r, r.estimate)

    def points_cell(self, r: Any) -> str:
        if r.method == "veto":
            return self.w("no_value")
        return self.w("points_of", points=points_text(r.points), max=plain(r.max))

    # -- sentences about one indicator ------------------------------------------------------

    def _extra(self, r: Any, unit: str) -> str:
        if r.not_applicable and r.missing:
            return self.w("res_extra", na=r.not_applicable, missing=r.missing, unit=unit)
        if r.not_applicable:
            return self.w("res_extra_na", na=r.not_applicable, unit=unit)
        if r.missing:
            return self.w("res_extra_missing", missing=r.missing, unit=unit)
        return ""

    def result_sentence(self, r: Any) -> str:
        """What the evidence says about one indicator, verdict included, in words."""
        w = self.w
        ind = self.rubric.indicator(r.code)
        unit = w.unit(r.source)
        pts = w("res_points", points=points_text(r.points), max=plain(r.max))
        if r.method == "deduction":
            counts = self._finding_counts(r.code)
            if not sum(counts.values()):
                return self.sentences(w("res_deduction_none"), pts, self._judged(r))
            deducted = plain(max(0.0, r.max - r.points))
            return self.sentences(w("res_deduction", n=sum(counts.values()), deducted=deducted,
                                    **counts), pts, self._judged(r))
        if r.method == "judgement":
            scores = self._judgement_scores(r.code)
            if not scores:
                return w("res_judgement_none")
            spread = max(scores.values()) - min(scores.values())
            text = w("res_judgement", n=len(scores), estimate=fixed(r.estimate or 0.0, 2),
                     scale=plain(ind.scale or 0), spread=plain(spread))
            text = self.sentences(text, pts)
            if r.verdict == "insufficient":
                return self.sentences(text, w("res_judgement_few", min_n=ind.min_n or 1))
            if r.verdict == "indeterminate":
                return self.sentences(text, w("res_judgement_spread",
                                              max_spread=plain(ind.max_spread or 0)))
            return self.sentences(text, self._judged(r))
        if r.method == "veto":
            return self.veto_sentence(r, ind)
        extra = self._extra(r, unit)
        if r.estimate is None:
            return self.sentences(w("res_none", extra=extra), w("res_verdict_insufficient_none"))
        share = r.method in SHARE_METHODS
        exact = r.interval == "exact"
        key = ("res_share" if share else "res_mean") + ("_exact" if exact else "")
        text = w(key, n=r.n, unit=unit, extra=extra, estimate=self.estimate_text(r, r.estimate),
                 interval=self.interval_text(r), target=self.target_text(r))
        if r.verdict == "insufficient":
            verdict = w("res_verdict_insufficient", min_n=r.min_n or 0, unit=unit)
        else:
            verdict = w(f"res_verdict_{r.verdict}")
        return self.sentences(text, verdict, pts)

    def sentences(self, *parts: str) -> str:
        """Sentences in a row: run together in Chinese, a space apart in English."""
        return ("" if self.lang == "zh" else " ").join(p for p in parts if p)

    def _judged(self, r: Any) -> str:
        key = "res_judged_meets" if r.verdict == "meets" else "res_judged_fails"
        return self.w(key, **{"pass": percent_plain(self.pass_share)})

    def veto_sentence(self, r: Any, ind: Any) -> str:
        w = self.w
        cap = ind.cap or ""
        if ind.findings is not None:
            severity = w.severity(ind.findings.severity)
            if r.verdict == "fails":
                return w("res_veto_findings_on", severity=severity, n=r.n, cap=cap)
            return w("res_veto_findings_off", severity=severity)
        unit = w.unit(r.source)
        count = len(r.failed_units)
        allowed = ind.max_count or 0
        key = "res_veto_condition_on" if r.verdict == "fails" else "res_veto_condition_off"
        return w(key, n=r.n, unit=unit, count=count, allowed=allowed, cap=cap)

    def veto_reason(self, r: Any, ind: Any) -> str:
        if ind.findings is not None:
            return self.w("veto_reason_findings", n=r.n, severity=self.w.severity(ind.findings.severity))
        return self.w("veto_reason_condition", count=len(r.failed_units), unit=self.w.unit(r.source),
                      allowed=ind.max_count or 0)

    def _finding_counts(self, code: str) -> dict[str, int]:
        counts = {s: 0 for s in SEVERITY_ORDER}
        for f in self.bundle.findings:
            if f.indicator == code and f.severity in counts:
                counts[f.severity] += 1
        return counts

    def _judgement_scores(self, code: str) -> dict[str, float]:
        """Each evaluator's score (their mean, if they scored twice), as scoring takes them."""
        by: dict[str, list[float]] = defaultdict(list)
        for j in self.bundle.judgements:
            if j.indicator == code and j.score is not None and math.isfinite(j.score):
                by[j.evaluator].append(float(j.score))
        return {k: math.fsum(v) / len(v) for k, v in sorted(by.items())}

    def flag_notes(self, r: Any) -> list[str]:
        shown = []
        for flag in r.flags:
            if flag == "spread":
                continue  # the result sentence says it
            shown.append(self.w.get(f"flag_{flag}", self.w("flag_other", flag=flag)))
        return shown

    def failed_label(self, r: Any) -> str:
        if r.method == "rate":
            return self.w("failed_rate_lower" if r.direction == "lower" else "failed_rate_higher")
        return self.w.get(f"failed_{r.method}", self.w("failed_generic"))

    def failed_list(self, r: Any) -> str:
        codes = sorted(r.failed_units)
        if not codes:
            return ""
        shown = [self.household(c) for c in codes[:MAX_LISTED]]
        text = self.w.list(shown)
        if len(codes) > MAX_LISTED:
            text = self.w("ind_failed_more", shown=text, count=len(codes))
        return self.w("ind_failed", label=self.failed_label(r), count=len(codes), list=text)

    # -- the document -----------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        w = self.w
        summary_ch = self.chapter("ch_summary", "summary")
        summary = self.summary()
        overview_ch = self.chapter("ch_overview", "overview")
        overview = self.overview()
        dimensions = [self.dimension_chapter(k, d) for k, d in enumerate(self.rubric.dimensions, 1)]
        findings_ch = self.chapter("ch_findings", "findings")
        findings = self.findings()
        rect_ch = self.chapter("ch_rectification", "rectification")
        rectification = self.rectification()
        method = self.methodology()
        sample = self.sample()
        stamp = self.stamp()
        toc = [{"id": summary_ch["id"], "title": summary_ch["title"], "level": 1},
               {"id": overview_ch["id"], "title": overview_ch["title"], "level": 1}]
        toc += [{"id": d["id"], "title": d["title"], "level": 1} for d in dimensions]
        toc += [{"id": findings_ch["id"], "title": findings_ch["title"], "level": 1},
                {"id": rect_ch["id"], "title": rect_ch["title"], "level": 1},
                {"id": method["id"], "title": method["title"], "level": 1}]
        toc += [{"id": s["id"], "title": s["title"], "level": 2} for s in method["sections"]]
        toc += [{"id": sample["id"], "title": sample["title"], "level": 1},
                {"id": stamp["id"], "title": stamp["title"], "level": 1}]
        return {
            "lang": self.lang,
            "html_lang": "zh-CN" if self.lang == "zh" else "en",
            "labels": {k: w(k) for k in ("kicker", "evaluated_unit", "commissioning_body",
                                         "evaluator_org", "team", "fieldwork_dates",
                                         "report_date", "toc")},
            "words": {k: w(k) for k in ("col_no", "col_problem", "col_unit", "col_person",
                                        "col_deadline", "dim_indicators", "dim_forum_notes")},
            "report": self.cover(),
            "toc": toc,
            "summary_chapter": summary_ch,
            "summary": summary,
            "overview_chapter": overview_ch,
            "overview": overview,
            "dimensions": dimensions,
            "findings_chapter": findings_ch,
            "findings": findings,
            "rectification_chapter": rect_ch,
            "rectification": rectification,
            "methodology": method,
            "sample": sample,
            "stamp": stamp,
            "created": self.report_date.isoformat() if self.report_date else "",
        }

    # -- cover ------------------------------------------------------------------------------

    def cover(self) -> dict[str, Any]:
        w, meta = self.w, self.meta
        title = report_title(meta.title, self.lang)
        start, end = fieldwork_dates(self.bundle)
        fieldwork = format_date_range(start, end, self.lang) if start else format_date_range(
            meta.period_start, meta.period_end, self.lang)
        team = [w("team_role", name=self.scrub(m.name), role=self.scrub(m.role)) if m.role
                else self.scrub(m.name) for m in meta.team]
        return {
            "title": title,
            "title_parts": title_parts(title) if self.lang == "zh" else [title],
            "running_title": running_title(title),
            "subtitle": "",
            "evaluated_unit": self.scrub(meta.evaluated_unit),
            "commissioning_body": self.scrub(meta.commissioning_body),
            "team": w.list(team) if team else w("no_value"),
            "fieldwork_dates": fieldwork,
            "report_date": format_date(self.report_date, self.lang),
            "facts_extra": [{"label": w("period"),
                             "value": format_date_range(meta.period_start, meta.period_end,
                                                        self.lang)}],
            "notice": w("synthetic_notice") if meta.synthetic else "",
            "synthetic": bool(meta.synthetic),
            "provenance": [
                w("provenance_rubric", id=self.rubric.id, version=self.rubric.version),
                w("provenance_data", hash=short_hash(self.bundle.data_hash)),
                w("provenance_software", version=self.software_version),
            ],
        }

    # -- executive summary ------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        w, sheet, meta = self.w, self.sheet, self.meta
        population = sum(p.population for p in sheet.strata.values())
        sampled = sum(p.sampled for p in sheet.strata.values())
        reserve = sum(1 for s in self.bundle.sample if s.role == "reserve")
        visited = len(self.bundle.rows("household"))
        roles = {s.household_id: s.role for s in self.bundle.sample}
        reserves_used = sum(1 for r in self.bundle.rows("household")
                            if roles.get(r.get("household_id", "")) == "reserve")
        files = len(self.bundle.rows("file_check"))
        start, end = fieldwork_dates(self.bundle)
        intro = w(
            "summary_intro", team_org=w("summary_team_org"),
            commissioning_body=self.scrub(meta.commissioning_body),
            unit=self.scrub(meta.evaluated_unit),
            fieldwork=format_date_range(start or meta.period_start, end or meta.period_end,
                                        self.lang),
            rubric_title=w.text(self.rubric.title), rubric_id=self.rubric.id,
            rubric_version=self.rubric.version, dimension_count=len(self.rubric.dimensions),
            indicator_count=len(sheet.indicators),
        )
        sample_text = w("summary_sample", population=population, sampled=sampled, reserve=reserve,
                        visited=visited, reserves_used=reserves_used, files=files,
                        stratum_label=self.stratum_label)
        grade = self.grade_word(sheet.grade)
        if sheet.veto and sheet.uncapped_grade != sheet.grade:
            result = w("summary_result_capped", total=points_text(sheet.total), max=plain(sheet.max),
                       grade=grade, uncapped=self.grade_word(sheet.uncapped_grade))
        else:
            result = w("summary_result", total=points_text(sheet.total), max=plain(sheet.max),
                       grade=grade)
        vetoes = [w("key_veto", name=w.text(v.name), cap=self.grade_word(v.cap),
                    reason=self.veto_reason(self.results[v.code], self.rubric.indicator(v.code)))
                  for v in sheet.veto]
        figures = [
            {"label": w("fig_total"), "value": points_text(sheet.total),
             "note": w("fig_total_of", max=plain(sheet.max))},
            {"label": w("fig_grade"), "value": grade, "note": ""},
            {"label": w("fig_veto"),
             "value": w("fig_veto_some", count=len(sheet.veto)) if sheet.veto else w("fig_veto_none"),
             "note": ""},
            {"label": w("fig_sample"), "value": str(sampled),
             "note": w("fig_sample_of", population=population)},
        ]
        table_no = self.counters.next_table()
        six = len(self.rubric.dimensions) == 6 and self.lang in LANGUAGES
        caption = w("summary_dimensions_caption" if six else "summary_dimensions_caption_generic",
                    n=table_no)
        return {
            "figures": figures,
            "paragraphs": [intro, sample_text],
            "result": self.sentences(result, "" if sheet.veto else w("summary_veto_none")),
            "vetoes": vetoes,
            "dimension_table": self.dimension_table(caption),
            "key_findings_title": w("summary_key_findings"),
            "key_findings": self.key_findings(),
            "decidability_title": w("summary_decidability"),
            "decidability": self.decidability(),
        }

    def grade_word(self, grade: str) -> str:
        return grade_word(self.rubric, grade, self.lang)

    def dimension_table(self, caption: str) -> dict[str, Any]:
        w = self.w
        rows = []
        for d in self.sheet.dimensions:
            verdicts = Counter(r.verdict for r in self.sheet.indicators if r.dimension == d.code)
            rows.append({
                "name": w.text(d.name), "score": points_text(d.score), "max": plain(d.max),
                "rate": percent(d.score / d.max) if d.max else w("no_value"),
                "counts": [str(verdicts.get(v, 0)) for v in
                           ("meets", "fails", "indeterminate", "insufficient")],
            })
        total_verdicts = Counter(r.verdict for r in self.sheet.indicators)
        rounded_sum = sum(round(d.score, 2) for d in self.sheet.dimensions)
        note = w("rounding_note") if fixed(rounded_sum, 2) != points_text(self.sheet.total) else ""
        return {
            "caption": caption,
            "columns": [w("col_dimension"), w("col_score"), w("col_max"), w("col_rate"),
                        w("col_meets"), w("col_fails"), w("col_indeterminate"),
                        w("col_insufficient")],
            "rows": rows,
            "total": {"name": w("col_total"), "score": points_text(self.sheet.total),
                      "max": plain(self.sheet.max),
                      "rate": percent(self.sheet.total / self.sheet.max) if self.sheet.max
                      else w("no_value"),
                      "counts": [str(total_verdicts.get(v, 0)) for v in
                                 ("meets", "fails", "indeterminate", "insufficient")]},
            "note": note,
        }

    def key_findings(self) -> list[str]:
        w = self.w
        items: list[str] = []
        for v in self.sheet.veto:
            ind = self.rubric.indicator(v.code)
            items.append(w("key_veto", name=w.text(v.name), cap=self.grade_word(v.cap),
                           reason=self.veto_reason(self.results[v.code], ind)))
        failing = [r for r in self.sheet.indicators if r.verdict == "fails" and r.method != "veto"]
        failing.sort(key=lambda r: (-(r.max - r.points), r.code))
        for r in failing[:KEY_FAILURES]:
            lost = points_text(r.max - r.points)
            if r.method in ESTIMATED_METHODS and r.estimate is not None:
                estimate = self.estimate_text(r, r.estimate)
                if r.interval != "exact" and r.ci_low is not None:
                    estimate = w("key_estimate_ci", estimate=estimate, interval=self.interval_text(r))
                target = w("key_target", target=self.target_text(r))
                items.append(w("key_failed", code=r.code, name=w.text(r.name),
                               estimate_text=estimate, target_text=target, lost=lost))
            else:
                items.append(w("key_failed_points", code=r.code, name=w.text(r.name),
                               points=points_text(r.points), max=plain(r.max), lost=lost))
        counts = Counter(f.severity for f in self.bundle.findings)
        total = len(self.bundle.findings)
        if total:
            items.append(w("key_findings_count", total=total, critical=counts.get("critical", 0),
                           major=counts.get("major", 0), minor=counts.get("minor", 0),
                           chapter=self.rect_chapter))
            for f in self._sorted_findings():
                if f.severity == "critical":
                    items.append(w("key_critical", description=self.scrub_text(f.description)))
        else:
            items.append(w("key_findings_none"))
        return items

    def decidability(self) -> dict[str, Any]:
        w = self.w
        results = list(self.sheet.indicators)
        verdicts = Counter(r.verdict for r in results)
        decided = verdicts.get("meets", 0) + verdicts.get("fails", 0)
        undecided = [r for r in results if r.verdict in ("indeterminate", "insufficient")]
        if not undecided:
            lead = w("decided_all", total=len(results))
        else:
            lead = w("decided", total=len(results), decided=decided, meets=verdicts.get("meets", 0),
                     fails=verdicts.get("fails", 0))
        return {
            "lead": lead,
            "intro": w("undecided_intro") if undecided else "",
            "items": [self.undecided_statement(r) for r in undecided],
        }

    def undecided_statement(self, r: Any) -> str:
        """Every indeterminate and insufficient verdict, said in words."""
        w = self.w
        ind = self.rubric.indicator(r.code)
        name = w.text(r.name)
        pts = points_text(r.points)
        if r.verdict == "indeterminate":
            if r.method == "judgement":
                scores = self._judgement_scores(r.code)
                spread = max(scores.values()) - min(scores.values()) if scores else 0.0
                return w("undecided_judgement", code=r.code, name=name, spread=plain(spread),
                         max_spread=plain(ind.max_spread or 0), points=pts)
            if r.estimate is not None and r.ci_low is not None:
                return w("undecided_rate", code=r.code, name=name,
                         estimate=self.estimate_text(r, r.estimate),
                         interval=self.interval_text(r), target=self.target_text(r), points=pts)
            return w("undecided_generic", code=r.code, name=name, points=pts)
        if r.method == "judgement":
            return w("insufficient_judgement", code=r.code, name=name, n=r.n, min_n=ind.min_n or 1,
                     points=pts)
        if r.estimate is None:
            return w("insufficient_none", code=r.code, name=name)
        return w("insufficient_rate", code=r.code, name=name, n=r.n, min_n=r.min_n or 0,
                 unit=w.unit(r.source), estimate=self.estimate_text(r, r.estimate), points=pts)

    # -- overview (charts) ------------------------------------------------------------------

    def overview(self) -> dict[str, Any]:
        w = self.w
        radar_no = self.counters.next_figure()
        radar = [(w.text(d.name), d.score, d.max) for d in self.sheet.dimensions]
        strata = self.strata_rates()
        strata_no = self.counters.next_figure() if strata else 0
        rows = self.interval_rows()
        intervals_no = self.counters.next_figure() if rows else 0
        return {
            "intro": w("overview_intro", table=1, radar=radar_no, strata=strata_no or "—",
                       intervals=intervals_no or "—", stratum_label=self.stratum_label),
            "radar": {"axes": radar, "caption": w("radar_caption", n=radar_no)},
            "strata": {"categories": strata,
                       "caption": w("strata_caption", n=strata_no, stratum_label=self.stratum_label),
                       "note": w("strata_note", stratum_label=self.stratum_label)} if strata else None,
            "intervals": {"rows": rows, "caption": w("intervals_caption", n=intervals_no),
                          "note": w("intervals_note")} if rows else None,
        }

    def strata_rates(self) -> list[tuple[str, float | None, float]]:
        """Each stratum's points on the sampled indicators over their maximum, in percent."""
        earned: dict[str, float] = defaultdict(float)
        possible: dict[str, float] = defaultdict(float)
        for r in self.sheet.indicators:
            if r.method not in ESTIMATED_METHODS or not r.max:
                continue
            for stratum, s in r.by_stratum.items():
                if s.points is not None and math.isfinite(s.points):
                    earned[stratum] += s.points
                    possible[stratum] += r.max
        rates = []
        for stratum in self.sheet.strata:
            if possible.get(stratum):
                rates.append((stratum, 100.0 * earned[stratum] / possible[stratum], 100.0))
            else:
                rates.append((stratum, None, 100.0))
        rates.sort(key=lambda item: (item[1] is None, -(item[1] or 0.0), item[0]))
        return rates

    def interval_rows(self) -> list[tuple[str, float | None, float | None, float | None,
                                          float | None, str]]:
        rows = []
        for r in self.sheet.indicators:
            if (r.method not in SHARE_METHODS or r.method == "veto" or r.target is None
                    or r.direction not in ("higher", "lower")):
                continue
            low, high = r.ci_low, r.ci_high
            if low is None or high is None:
                low = high = None
            rows.append((f"{r.code} {self.w.text(r.name)}", r.estimate, low, high, r.target,
                         r.direction))
        return rows

    # -- one chapter per dimension ------------------------------------------------------------

    def dimension_chapter(self, number: int, dimension: Any) -> dict[str, Any]:
        w = self.w
        result = self.dimension_results[dimension.code]
        name = w.text(dimension.name)
        heading = self.chapter("", f"dimension-{number}", title=name)
        results = [self.results[i.code] for i in dimension.indicators]
        verdicts = Counter(r.verdict for r in results)
        verdict_text = w.list(
            w("dim_verdict_count", verdict=w.verdict(v), count=verdicts[v])
            for v in ("meets", "fails", "indeterminate", "insufficient") if verdicts.get(v)
        )
        score = w("dim_score", score=points_text(result.score), max=plain(result.max),
                  rate=percent(result.score / result.max) if result.max else w("no_value"),
                  count=len(results), verdicts=verdict_text)
        table_no = self.counters.next_table()
        rows = []
        for r in results:
            rows.append({
                "code": r.code,
                "name": w.text(r.name),
                "estimate": self.estimate_cell(r),
                "interval": self.interval_text(r),
                "n": str(r.n) if (r.method in ESTIMATED_METHODS or r.method == "judgement"
                                  or (r.method == "veto" and r.source)) else w("no_value"),
                "target": self.target_text(r),
                "points": self.points_cell(r),
                "verdict": r.verdict,
                "verdict_label": w.verdict(r.verdict),
            })
        evidence_no = self.counters.next_table()
        indicators = []
        for ind, r in zip(dimension.indicators, results, strict=True):
            judgement_reasons = []
            if r.method == "judgement":
                for j in sorted(self.bundle.judgements, key=lambda j: j.evaluator):
                    if j.indicator != r.code or j.score is None:
                        continue
                    key = "ind_judgement_reason" if j.reason.strip() else "ind_judgement_noreason"
                    judgement_reasons.append(w(key, evaluator=self.scrub(j.evaluator),
                                               score=plain(j.score), reason=self.scrub_text(j.reason)))
            notes = self.flag_notes(r)
            indicators.append({
                "id": f"indicator-{number}-{r.code}",
                "heading": w("ind_heading", code=r.code, name=w.text(r.name)),
                "why": w("ind_why", why=w.text(ind.why)) if w.text(ind.why) else "",
                "result": self.result_sentence(r),
                "verdict": r.verdict,
                "verdict_label": w.verdict(r.verdict),
                "failed": self.failed_list(r),
                "reasons": judgement_reasons,
                "notes": w("ind_notes", notes=w.list(notes)) if notes else "",
            })
        return {
            "id": heading["id"],
            "title": heading["title"],
            "why": w.text(dimension.why) if dimension.why else "",
            "score": score,
            "table": {
                "caption": w("dim_table_caption", n=table_no, name=name),
                "columns": [w("col_indicator"), w("col_estimate"), w("col_interval"), w("col_n"),
                            w("col_target"), w("col_points"), w("col_verdict")],
                "rows": rows,
            },
            "evidence": {
                "caption": w("dim_evidence_caption", n=evidence_no, name=name),
                "columns": [w("col_source"), w("col_records"), w("col_used_by")],
                "rows": self.evidence_rows(dimension),
            },
            "indicators": indicators,
            "forum_notes": self.forum_notes(dimension.code),
        }

    def evidence_rows(self, dimension: Any) -> list[list[str]]:
        w = self.w
        used: dict[str, list[str]] = {}
        for ind in dimension.indicators:
            if ind.method == "deduction" or (ind.method == "veto" and ind.findings is not None):
                used.setdefault("__findings__", []).append(ind.code)
                continue
            if ind.method == "judgement":
                used.setdefault("__judgements__", []).append(ind.code)
                if ind.source:
                    used.setdefault(ind.source, []).append(ind.code)
                continue
            if ind.source:
                used.setdefault(ind.source, []).append(ind.code)
            if ind.right is not None:
                used.setdefault(ind.right.source, []).append(ind.code)
        rows = []
        for source, codes in used.items():
            codes = list(dict.fromkeys(codes))
            if source == "__findings__":
                count = sum(1 for f in self.bundle.findings if f.indicator in codes)
                rows.append([w("evidence_findings"), w("evidence_finding_records", count=count),
                             w.list(codes)])
            elif source == "__judgements__":
                judged = [j for j in self.bundle.judgements if j.indicator in codes]
                rows.append([w("evidence_judgements"),
                             w("evidence_judgement_records", count=len(judged),
                               evaluators=len({j.evaluator for j in judged})),
                             w.list(codes)])
            elif source == "forum":
                records = [r for r in self.bundle.rows("forum")
                           if r.get("dimension", "") in ("", dimension.code)]
                forums = len({r.get("forum_id", "") for r in records})
                rows.append([w.capital(w.source(source)),
                             w("evidence_forum_records", count=len(records), forums=forums),
                             w.list(codes)])
            else:
                count = len(self.bundle.rows(source))
                rows.append([w.capital(w.source(source)),
                             w("evidence_records", count=count, unit=w.unit(source)),
                             w.list(codes)])
        return rows

    def forum_notes(self, dimension_code: str) -> list[str]:
        notes = []
        for row in sorted(self.bundle.rows("forum"),
                          key=lambda r: (r.get("forum_date", ""), r.get("forum_id", ""))):
            if row.get("dimension", "") != dimension_code or not str(row.get("notes", "")).strip():
                continue
            day = _parse_day(row.get("forum_date"))
            place = self.scrub(row.get("township", ""))
            forum = self.scrub(row.get("forum_id", ""))
            text = self.scrub_text(row.get("notes", ""))
            if day is not None and place:
                notes.append(self.w("forum_note", forum=forum, date=format_date(day, self.lang),
                                    place=place, notes=text))
            else:
                notes.append(self.w("forum_note_nodate", forum=forum, notes=text))
        return notes

    # -- findings and the rectification list --------------------------------------------------

    def _indicator_order(self) -> dict[str, int]:
        return {i.code: k for k, i in enumerate(self.rubric.indicators)}

    def _finding_groups(self) -> list[tuple[str, list[Any]]]:
        """Findings by indicator: the indicator with the most severe finding first (then rubric
        order), and within one indicator the most severe first. The findings chapter and the
        rectification list number them in this one order."""
        order = self._indicator_order()
        rank = {s: k for k, s in enumerate(SEVERITY_ORDER)}
        groups: dict[str, list[Any]] = defaultdict(list)
        for f in self.bundle.findings:
            groups[f.indicator].append(f)
        for items in groups.values():
            items.sort(key=lambda f: (rank.get(f.severity, len(rank)), f.deadline or date.max,
                                      f.household_id, f.description, f.row))
        return sorted(groups.items(), key=lambda item: (
            min(rank.get(f.severity, len(rank)) for f in item[1]),
            order.get(item[0], len(order)), item[0]))

    def _sorted_findings(self) -> list[Any]:
        return [f for _, items in self._finding_groups() for f in items]

    def findings(self) -> dict[str, Any]:
        w = self.w
        groups = []
        no = 0
        for k, (code, items) in enumerate(self._finding_groups(), 1):
            r = self.results.get(code)
            counts = Counter(f.severity for f in items)
            numeral = f"（{chinese_numeral(k)}）" if self.lang == "zh" else f"{k}. "
            group = {
                "id": f"findings-{k}",
                "heading": w("finding_group", numeral=numeral, code=self.scrub(code),
                             name=self.indicator_name(code),
                             counts=w.list(w("finding_group_count", severity=w.severity(s),
                                             count=counts[s])
                                           for s in SEVERITY_ORDER if counts.get(s))),
                "result": w("finding_group_result", result=self.result_sentence(r))
                if r is not None else "",
                "items": [],
            }
            for f in items:
                no += 1
                severity = w.capital(w.severity(f.severity))
                heading = (w("finding_heading_household", no=no, severity=severity,
                             household=self.household(f.household_id)) if f.household_id
                           else w("finding_heading_general", no=no, severity=severity))
                group["items"].append({
                    "heading": heading,
                    "severity": f.severity,
                    "description": self.scrub_text(f.description),
                    "responsible": w("finding_responsible", unit=self.scrub(f.responsible_unit),
                                     person=self.scrub(f.responsible_person),
                                     deadline=format_date(f.deadline, self.lang)),
                    "evidence": self.finding_evidence(f),
                })
            groups.append(group)
        total = no
        return {"intro": w("findings_intro", total=total, chapter=self.rect_chapter) if total
                else w("findings_none"),
                "groups": groups}

    def finding_evidence(self, finding: Any) -> list[str]:
        """The household's own records as the rule reads them, and whether the indicator
        counted the household against it."""
        w = self.w
        out: list[str] = []
        r = self.results.get(finding.indicator)
        try:
            ind = self.rubric.indicator(finding.indicator)
        except KeyError:
            ind = None
        if finding.household_id and ind is not None:
            records = self.household_values(finding.household_id, ind)
            if records:
                out.append(w("finding_records", records=w("finding_source_sep").join(records)))
            elif ind.source:
                out.append(w("finding_no_records"))
        if r is not None and finding.household_id and finding.household_id in r.failed_units:
            out.append(w("finding_in_failed", label=self.failed_label(r)))
        return out

    def household_values(self, household_id: str, ind: Any) -> list[str]:
        """The values the indicator's rule reads, from this household's records (never personal
        columns), labelled from the surveys."""
        w = self.w
        sides: list[tuple[str, list[str]]] = []
        if ind.source:
            names: list[str] = []
            for key in ("applies", "condition", "value"):
                expr = getattr(ind, key, None)
                if expr is not None:
                    names += sorted(expr.references)
            names += list(ind.items) + list(ind.fields)
            sides.append((ind.source, names))
        if ind.right is not None:
            sides.append((ind.right.source, sorted(ind.right.value.references)))
        out = []
        roster_row = self.roster.get(household_id) or {}
        for source, names in sides:
            record = self._record(source, household_id)
            if record is None:
                continue
            values = []
            for name in dict.fromkeys(names):
                if name in PERSONAL_COLUMNS or name == "household_id":
                    continue
                if name in record:
                    raw = record.get(name, "")
                    label, value = self.field_text(source, name, raw)
                elif name in roster_row:
                    raw = roster_row.get(name, "")
                    label = ROSTER_LABELS[self.lang].get(name, name)
                    value = w.value_word(name, str(raw)) if raw != "" else w("no_value")
                    value = _number_text(value) if name not in ("category", "status") else value
                else:
                    continue
                label = label.rstrip("？?：: ")
                values.append(w("finding_value", label=label, value=self.scrub_text(value)))
                if len(values) >= MAX_EVIDENCE_VALUES:
                    break
            if values:
                out.append(w("finding_source_values", source=w.capital(w.source(source)),
                             values=w("finding_value_sep").join(values)))
        return out

    def _record(self, source: str, household_id: str) -> dict[str, Any] | None:
        index = self._records.get(source)
        if index is None:
            index = self._records[source] = {}
            for row in self.bundle.rows(source):
                index.setdefault(row.get("household_id", ""), row)
        return index.get(household_id)

    def field_text(self, source: str, name: str, raw: Any) -> tuple[str, str]:
        """(label, value) of a survey field, choices shown by their labels."""
        survey = self._survey(source)
        field = survey.fields.get(name) if survey is not None else None
        label = self.w.text(field.label) if field is not None and field.label else name
        if isinstance(raw, list):
            raw = " ".join(str(x) for x in raw)
        text = str(raw if raw is not None else "")
        if text == "":
            return label, self.w("no_value")
        if field is not None and field.list_name and survey is not None:
            choices = {c.name: self.w.text(c.label) for c in survey.choices.get(field.list_name, ())}
            if choices:
                return label, self.w.list(choices.get(token, token) for token in text.split())
        return label, _number_text(text)

    def _survey(self, source: str) -> Any | None:
        ref = self.meta.surveys.get(source) if getattr(self.meta, "surveys", None) else None
        survey_id = ref.id if ref is not None else self.rubric.sources.get(source, source)
        return self.surveys.get(survey_id)

    def rectification(self) -> dict[str, Any]:
        w = self.w
        rows = []
        for no, f in enumerate(self._sorted_findings(), 1):
            problem = w("rect_problem", severity=w.capital(w.severity(f.severity)),
                        code=self.scrub(f.indicator),
                        name=self.indicator_name(f.indicator),
                        description=self.scrub_text(f.description))
            if f.household_id:
                problem += w("rect_household", household=self.household(f.household_id))
            rows.append({"no": str(no), "problem": problem, "severity": f.severity,
                         "unit": self.scrub(f.responsible_unit),
                         "person": self.scrub(f.responsible_person),
                         "deadline": format_date(f.deadline, self.lang)})
        table_no = self.counters.next_table()
        return {
            "intro": w("rect_intro", commissioning_body=self.scrub(self.meta.commissioning_body))
            if rows else w("rect_none"),
            "caption": w("rect_caption", n=table_no),
            "columns": [w("col_no"), w("col_problem"), w("col_unit"), w("col_person"),
                        w("col_deadline")],
            "rows": rows,
        }

    # -- appendices -----------------------------------------------------------------------

    def methodology(self) -> dict[str, Any]:
        w = self.w
        head = self.appendix(1, "app_method", "appendix-method")
        sections = [self.section(1, "sec_sampling", "method-sampling"),
                    self.section(2, "sec_estimation", "method-estimation"),
                    self.section(3, "sec_verdicts", "method-verdicts"),
                    self.section(4, "sec_rubric", "method-rubric")]
        plan = self.meta.sampling
        sampling_paragraphs = []
        population = sum(p.population for p in self.sheet.strata.values())
        method = plan.method if plan is not None else ""
        method_text = w.get(f"m_method_{method}", w("m_method_unknown", method=method))
        parameters = (plan.data.get("parameters") if plan is not None and
                      isinstance(plan.data.get("parameters"), Mapping) else {}) or {}
        if parameters:
            method_text += w("m_parameters", parameters=w.list(
                self._parameter(k, v) for k, v in parameters.items()))
        sampling_paragraphs.append(w("m_sampling_intro", unit=self.scrub(self.meta.evaluated_unit),
                                     population=population, strata=len(self.sheet.strata),
                                     stratum_label=self.stratum_label, method=method_text))
        if plan is not None and plan.seeded:
            sampling_paragraphs.append(w("m_allocation", min=plan.min_per_stratum,
                                         reserve=plan.reserve))
            sampling_paragraphs.append(w("m_draw", seed=plan.seed))
        elif plan is not None:
            sampling_paragraphs.append(w("m_draw_external"))
        hashes = []
        if plan is not None and plan.roster_hash:
            hashes.append(w("m_roster_hash", hash=plan.roster_hash))
        if plan is not None and plan.roster_sha256:
            hashes.append(w("m_roster_file", hash=plan.roster_sha256))
        frame_no = self.counters.next_table()
        frame_rows = []
        reserves = Counter(s.stratum for s in self.bundle.sample if s.role == "reserve")
        for stratum, p in self.sheet.strata.items():
            weight = p.population / p.sampled if p.sampled else None
            frame_rows.append([self.scrub(stratum), str(p.population), str(p.sampled),
                               str(reserves.get(stratum, 0)),
                               fixed(weight, 2) if weight is not None else w("no_value"),
                               percent(p.sampled / p.population) if p.population else w("no_value")])
        total_sampled = sum(p.sampled for p in self.sheet.strata.values())
        frame_total = [w("total_row"), str(population), str(total_sampled), str(sum(reserves.values())),
                       fixed(population / total_sampled, 2) if total_sampled else w("no_value"),
                       percent(total_sampled / population) if population else w("no_value")]
        bands_no = self.counters.next_table()
        bands = []
        for k, band in enumerate(self.rubric.bands):
            upper = self.rubric.bands[k - 1].min if k > 0 else None
            text = (w("m_band_range", min=plain(band.min), upper=plain(upper)) if upper is not None
                    else w("m_band_top", min=plain(band.min)))
            bands.append([self.grade_word(band.grade), text])
        rubric_tables = []
        for dimension in self.rubric.dimensions:
            no = self.counters.next_table()
            rubric_tables.append({
                "caption": w("m_rubric_caption", n=no, name=w.text(dimension.name),
                             points=plain(dimension.points)),
                "columns": [w("col_code"), w("col_name"), w("col_max"), w("col_method"),
                            w("col_rule")],
                "rows": [[ind.code, w.text(ind.name), plain(ind.points), w.method(ind.method),
                          self.rule_words(ind)] for ind in dimension.indicators],
            })
        pass_mark = percent_plain(self.pass_share)
        return {
            "id": head["id"],
            "title": head["title"],
            "sections": sections,
            "sampling": sampling_paragraphs,
            "hashes": hashes,
            "frame": {
                "caption": w("m_frame_caption", n=frame_no),
                "columns": [w("col_stratum", stratum_label=self.stratum_label), w("col_population"),
                            w("col_sampled"), w("col_reserve"), w("col_weight"), w("col_fraction")],
                "rows": frame_rows,
                "total": frame_total,
            },
            "estimation": list(WORDS[self.lang]["m_estimation"]),
            "verdicts": [s.replace("{pass}", pass_mark) for s in WORDS[self.lang]["m_verdicts"]],
            "bands": {"caption": w("m_bands_caption", n=bands_no),
                      "columns": [w("col_grade"), w("col_range")], "rows": bands},
            "rubric_intro": w("m_rubric_intro", title=w.text(self.rubric.title), id=self.rubric.id,
                              version=self.rubric.version,
                              stamp="三" if self.lang == "zh" else "C"),
            "rubric_tables": rubric_tables,
        }

    def _parameter(self, key: str, value: Any) -> str:
        w = self.w
        if isinstance(value, float):
            value = plain(value)
        template = WORDS[self.lang].get(f"m_param_{key}")
        if template is None:
            return w("m_param_other", key=self.scrub(key), value=self.scrub(value))
        return template.format(value=self.scrub(value))

    def rule_words(self, ind: Any) -> str:
        """An indicator's scoring rule, in words, with the rubric's expressions quoted."""
        w = self.w
        parts: list[str] = []
        unit = w.unit(ind.source)
        if ind.source and ind.method != "veto":
            parts.append(w("rule_source", source=w.capital(w.source(ind.source))))
        if ind.applies is not None and ind.method != "veto":
            parts.append(w("rule_applies", expr=ind.applies.text))
        share = ind.method in SHARE_METHODS

        def value(x: float) -> str:
            return percent_plain(x) if share else plain(x)

        if ind.method == "rate":
            parts.append(w("rule_rate", expr=ind.condition.text if ind.condition else ""))
        elif ind.method == "mean":
            parts.append(w("rule_mean", expr=ind.value.text if ind.value else ""))
        elif ind.method == "checklist":
            parts.append(w("rule_checklist", items=w.list(ind.items), count=len(ind.items),
                           na=ind.na_value or "", pass_value=ind.pass_value or ""))
        elif ind.method == "completeness":
            parts.append(w("rule_completeness", fields=w.list(ind.fields), count=len(ind.fields)))
        elif ind.method == "consistency":
            parts.append(w("rule_consistency", left=ind.value.text if ind.value else "",
                           right=ind.right.value.text if ind.right else "",
                           right_source=w.source(ind.right.source if ind.right else None),
                           compare=self._compare_words(ind),
                           missing=w("rule_missing_disagree" if ind.missing == "disagree"
                                     else "rule_missing_skip")))
        elif ind.method == "deduction" and ind.per_severity is not None:
            parts.append(w("rule_deduction", minor=plain(ind.per_severity.minor),
                           major=plain(ind.per_severity.major),
                           critical=plain(ind.per_severity.critical)))
        elif ind.method == "judgement":
            parts.append(w("rule_judgement", scale=plain(ind.scale or 0),
                           max_spread=plain(ind.max_spread or 0), min_n=ind.min_n or 1))
        elif ind.method == "veto":
            cap = self.grade_word(ind.cap or "")
            if ind.findings is not None:
                if ind.findings.dimension:
                    scope_dim = next((d for d in self.rubric.dimensions
                                      if d.code == ind.findings.dimension), None)
                    scope = w("rule_scope_dimension",
                              name=w.text(scope_dim.name) if scope_dim else ind.findings.dimension)
                else:
                    scope = w("rule_scope_indicators", codes=w.list(ind.findings.indicators))
                parts.append(w("rule_veto_findings", severity=w.severity(ind.findings.severity),
                               scope=scope, cap=cap))
            else:
                if ind.source:
                    parts.append(w("rule_source", source=w.capital(w.source(ind.source))))
                if ind.applies is not None:
                    parts.append(w("rule_applies", expr=ind.applies.text))
                parts.append(w("rule_veto_condition", expr=ind.condition.text if ind.condition else "",
                               max_count=ind.max_count or 0, unit=unit, cap=cap))
        if ind.method in ESTIMATED_METHODS and ind.direction in ("higher", "lower"):
            parts.append(w(f"rule_{ind.direction}"))
            if ind.steps:
                steps = w("rule_step_sep").join(
                    w(f"rule_step_{ind.direction}", at=value(s.at), points=plain(s.points))
                    for s in ind.steps)
                parts.append(w("rule_steps", steps=steps))
            elif ind.target is not None and ind.floor is not None:
                parts.append(w(f"rule_linear_{ind.direction}", target=value(ind.target),
                               floor=value(ind.floor)))
            if ind.min_n:
                parts.append(w("rule_min_n", min_n=ind.min_n))
        joiner = "" if self.lang == "zh" else " "
        return joiner.join(parts)

    def _compare_words(self, ind: Any) -> str:
        w = self.w
        if ind.compare == "number":
            tol = ind.tolerance
            pieces = []
            if tol is not None and tol.absolute is not None:
                pieces.append(w("rule_tolerance_abs", value=plain(tol.absolute)))
            if tol is not None and tol.relative is not None:
                pieces.append(w("rule_tolerance_rel", value=percent_plain(tol.relative)))
            tolerance = (w("rule_tolerance_or", a=pieces[0], b=pieces[1]) if len(pieces) == 2
                         else pieces[0] if pieces else "0")
            return w("rule_compare_number", tolerance=tolerance)
        if ind.compare == "text":
            return w("rule_compare_text")
        if ind.compare in ("set_overlap", "set"):
            return w("rule_compare_set")
        return w("rule_compare_other", compare=ind.compare or "")

    def sample(self) -> dict[str, Any]:
        w = self.w
        head = self.appendix(2, "app_sample", "appendix-sample")
        sample = [s for s in self.bundle.sample]
        roles = {s.household_id: s.role for s in sample}
        household = {r.get("household_id", ""): r for r in self.bundle.rows("household")}
        files = {r.get("household_id", "") for r in self.bundle.rows("file_check")}
        consent = {h for h, r in household.items() if r.get("consent") == "yes"}
        reserves_used = {h for h in household if roles.get(h) == "reserve"}
        stratum_of = {}
        for s in sample:
            stratum_of[s.household_id] = s.stratum
        rows = []
        for stratum, p in self.sheet.strata.items():
            in_stratum = {h for h, s in stratum_of.items() if s == stratum}
            visited = in_stratum & household.keys()
            rows.append([self.scrub(stratum), str(p.population), str(p.sampled),
                         str(len(visited)), str(len(visited & consent)),
                         str(len(visited & reserves_used)), str(len(in_stratum & files))])
        total = [w("total_row"), str(sum(p.population for p in self.sheet.strata.values())),
                 str(sum(p.sampled for p in self.sheet.strata.values())), str(len(household)),
                 str(len(consent)), str(len(reserves_used)), str(len(files))]
        strata_no = self.counters.next_table()
        # Composition of the households that stand in the sample (drawn, or reserves visited).
        members = [h for h, role in roles.items() if role == "sample" or h in household]
        categories = _known_first({str((self.roster.get(h) or {}).get("category", ""))
                                   for h in members}, CATEGORIES)
        statuses = _known_first({str((self.roster.get(h) or {}).get("status", ""))
                                 for h in members}, STATUSES)
        grid = Counter((str((self.roster.get(h) or {}).get("category", "")),
                        str((self.roster.get(h) or {}).get("status", ""))) for h in members)
        composition_rows = []
        for c in categories:
            composition_rows.append([w.capital(w.value_word("category", c)) or w("no_value")]
                                    + [str(grid.get((c, s), 0)) for s in statuses]
                                    + [str(sum(grid.get((c, s), 0) for s in statuses))])
        composition_total = ([w("total_row")]
                             + [str(sum(grid.get((c, s), 0) for c in categories)) for s in statuses]
                             + [str(len(members))])
        composition_no = self.counters.next_table()
        forums = len({r.get("forum_id", "") for r in self.bundle.rows("forum")})
        intro = w("s_intro", population=total[1], strata=len(self.sheet.strata), sampled=total[2],
                  reserve=sum(1 for s in sample if s.role == "reserve"), visited=len(household),
                  consent=len(consent), reserves_used=len(reserves_used), files=len(files),
                  system=len(self.bundle.rows("system")), forums=forums,
                  judges=len(self.bundle.judgements), findings=len(self.bundle.findings))
        return {
            "id": head["id"],
            "title": head["title"],
            "intro": intro,
            "strata": {
                "caption": w("s_strata_caption", n=strata_no),
                "columns": [w("col_stratum", stratum_label=self.stratum_label), w("col_population"),
                            w("col_sampled"), w("col_visited"), w("col_consent"),
                            w("col_reserves_used"), w("col_files")],
                "rows": rows,
                "total": total,
            },
            "composition": {
                "caption": w("s_composition_caption", n=composition_no),
                "columns": [w("col_category")] + [w.capital(w.value_word("status", s)) or w("no_value")
                                                  for s in statuses] + [w("col_total")],
                "rows": composition_rows,
                "total": composition_total,
                "note": w("s_composition_note"),
            } if members else None,
        }

    def stamp(self) -> dict[str, Any]:
        w = self.w
        head = self.appendix(3, "app_stamp", "appendix-stamp")
        plan = self.meta.sampling
        rows = [
            [w("stamp_evaluation"), self.scrub(self.meta.id)],
            [w("stamp_data_hash"), self.bundle.data_hash or w("stamp_none")],
            [w("stamp_rubric"), f"{self.rubric.id} {self.rubric.version}"],
            [w("stamp_rubric_hash"), getattr(self.rubric, "content_hash", "") or w("stamp_none")],
            [w("stamp_software"), f"evaluator {self.software_version}".strip()],
            [w("stamp_roster_hash"), (plan.roster_hash if plan is not None and plan.roster_hash
                                      else w("stamp_none"))],
            [w("stamp_seed"), str(plan.seed) if plan is not None and plan.seed is not None
             else w("stamp_none")],
            [w("stamp_confidence"), percent_plain(self.sheet.confidence)],
            [w("stamp_reproduce"), w("stamp_reproduce_value")],
        ]
        return {"id": head["id"], "title": head["title"], "intro": w("stamp_intro"),
                "caption": w("stamp_caption", n=self.counters.next_table()),
                "columns": [w("col_item"), w("col_value")], "rows": rows}


def _known_first(values: set[str], known: Sequence[str]) -> list[str]:
    """The roster's vocabulary in its own order (深度困难, 相对困难, 意外致困), others after."""
    return [v for v in known if v in values] + sorted(values - set(known))


def _pass_share(rubric: Any) -> float:
    passing = [float(b.min) for b in rubric.bands if float(b.min) > 0]
    total = float(rubric.total)
    return min(passing) / total if passing and total > 0 else 0.0


_TRAILING_NOTE = re.compile(r"^(?P<head>.*?)(?P<tail>[（(][^（）()]*[）)])?$", re.S)


def report_title(title: Any, lang: str) -> str:
    """The cover title: the evaluation's title, ending in 评估报告 when it ends in 评估.

    "某县……第三方评估（演示数据）" -> "某县……第三方评估报告（演示数据）".
    """
    w = Words(lang)
    text = w.text(title).strip()
    if lang != "zh":
        return text
    match = _TRAILING_NOTE.match(text)
    head, tail = match.group("head"), match.group("tail") or ""
    if head.endswith("评估"):
        return head + "报告" + tail
    return text


#: Where a Chinese cover title may break: before these words (they stay together).
_TITLE_BREAKS = ("第三方评估报告", "第三方评估", "评估报告")


def title_parts(title: str) -> list[str]:
    """A Chinese cover title in the pieces a line break may fall between, e.g. "某县……工作成效",
    "第三方评估报告", "（演示数据）": the cover keeps each piece on one line when it fits, so
    the title never breaks inside 第三方. (English breaks between words anyway.)"""
    match = _TRAILING_NOTE.match(title)
    head, tail = match.group("head"), match.group("tail") or ""
    parts = [head]
    for word in _TITLE_BREAKS:
        at = head.find(word)
        if at >= 0:
            parts = [head[:at], head[at:]]
            break
    return [part for part in (*parts, tail) if part]


#: Room in the running head (72 % of the line at 8.5 pt), in em: a CJK character is 1 em.
RUNNING_HEAD_EMS = 38.0


def _ems(text: str) -> float:
    import unicodedata

    return sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.46 for ch in text)


def running_title(title: str) -> str:
    """The title for the running head, on one line: without its trailing note in brackets if
    too long, and shortened with an ellipsis if still too long."""
    text = title.strip()
    if _ems(text) <= RUNNING_HEAD_EMS:
        return text
    match = _TRAILING_NOTE.match(text)
    head = match.group("head").strip() if match else text
    if _ems(head) <= RUNNING_HEAD_EMS:
        return head
    out = ""
    for ch in head:
        if _ems(out + ch + "…") > RUNNING_HEAD_EMS:
            break
        out += ch
    if " " in out and _ems(out) < len(out):  # mostly Latin: cut at a word boundary
        out = out.rsplit(" ", 1)[0]
    return out.rstrip(" ,:;") + "…"


# -- comparison of several evaluations ----------------------------------------------------------


def build_comparison_context(
    entries: Sequence[tuple[Any, Any]],
    rubric: Any,
    *,
    lang: str = "zh",
    software_version: str = "",
    report_date: date | None = None,
    chart_rows: int = 30,
) -> dict[str, Any]:
    """A comparison of several evaluations scored with the same rubric: ranking, dimensions,
    each unit's grade and verdicts. ``entries`` are (sheet, bundle) pairs."""
    w = Words(lang)
    if len(entries) < 2:
        raise ReportError("a comparison needs at least two evaluations")
    for sheet, bundle in entries:
        _check_inputs(sheet, bundle, rubric)
    ids = Counter(bundle.meta.id for _, bundle in entries)
    repeated = sorted(k for k, v in ids.items() if v > 1)
    if repeated:
        raise ReportError(f"the same evaluation appears more than once: {', '.join(repeated)}")
    return _Comparison(entries, rubric, w, software_version, report_date, chart_rows).build()


COMPARISON_WORDS = {
    "zh": {
        "title": "{rubric}结果比较报告",
        "units_many": "共{count}个单位（见表1）",
        "teams_many": "各评估组（见附录）",
        "ch_ranking": "综合排名",
        "ch_dimensions": "各方面比较",
        "ch_indicators": "指标达标情况",
        "app_data": "数据与可复现信息",
        "ranking_intro": "{count}个单位按同一评估方案《{rubric}》（{id} {version}）评分。综合得分相同（保留两位小数后）"
                         "的单位并列同一名次。",
        "ranking_caption": "表{n}　综合得分排名",
        "col_rank": "名次",
        "col_unit": "被评估单位",
        "col_total": "综合得分",
        "col_grade": "等级",
        "col_veto": "一票否决",
        "col_meets": "达标",
        "col_fails": "未达标",
        "col_undecided": "无法判定",
        "col_insufficient": "样本不足",
        "veto_none": "无",
        "dimensions_intro": "表{table}列出各单位六个方面的得分；图{first}起为各方面得分的比较。",
        "dimensions_caption": "表{n}　各单位分方面得分",
        "total_chart": "图{n}　综合得分{part}",
        "dimension_chart": "图{n}　{name}得分（满分{max}分）{part}",
        "part": "（{k}/{count}）",
        "indicators_intro": "下表列出每项指标判定为达标、未达标、无法判定和样本不足的单位数，以及各单位估计值的范围。",
        "indicators_caption": "表{n}　各指标判定情况（单位数）",
        "col_indicator": "指标",
        "col_range": "估计值范围",
        "data_caption": "表{n}　各单位数据指纹",
        "col_evaluation": "评估编号",
        "col_data_hash": "数据包指纹",
        "col_report_date": "报告日期",
        "data_intro": "各单位的报告数字都可由对应数据包和评估方案《{rubric}》（{id} {version}）"
                      "用 evaluator {version_software} 重新计算。",
        "rubric_hash": "评估方案内容指纹（SHA-256）：{hash}",
        "synthetic_notice": "演示/模拟数据：参与比较的评估含有模拟生成的演示数据，单位、人员和家庭均为虚构。",
        "range": "{low}–{high}",
    },
    "en": {
        "title": "{rubric}: comparison of results",
        "units_many": "{count} units (see table 1)",
        "teams_many": "the evaluation teams (see the appendix)",
        "ch_ranking": "Ranking",
        "ch_dimensions": "Dimensions compared",
        "ch_indicators": "Verdicts by indicator",
        "app_data": "Data and reproducibility",
        "ranking_intro": "{count} units were scored with the same rubric \"{rubric}\" ({id} {version}). Units "
                         "with the same total (to two decimals) share a rank.",
        "ranking_caption": "Table {n}  Ranking by total score",
        "col_rank": "Rank",
        "col_unit": "Evaluated unit",
        "col_total": "Total",
        "col_grade": "Grade",
        "col_veto": "Veto",
        "col_meets": "Meets",
        "col_fails": "Fails",
        "col_undecided": "Undecided",
        "col_insufficient": "Too few",
        "veto_none": "none",
        "dimensions_intro": "Table {table} gives each unit's dimension scores; figures from {first} on compare "
                            "them.",
        "dimensions_caption": "Table {n}  Dimension scores by unit",
        "total_chart": "Figure {n}  Total score{part}",
        "dimension_chart": "Figure {n}  {name} (out of {max}){part}",
        "part": " ({k}/{count})",
        "indicators_intro": "For each indicator, the number of units meeting, failing, undecided and with too "
                            "few data, and the range of the units' estimates.",
        "indicators_caption": "Table {n}  Verdicts by indicator (number of units)",
        "col_indicator": "Indicator",
        "col_range": "Estimates",
        "data_caption": "Table {n}  Data fingerprints",
        "col_evaluation": "Evaluation",
        "col_data_hash": "Bundle fingerprint",
        "col_report_date": "Report date",
        "data_intro": "Each unit's figures can be recomputed from its bundle and the rubric \"{rubric}\" ({id} "
                      "{version}) with evaluator {version_software}.",
        "rubric_hash": "Rubric content fingerprint (SHA-256): {hash}",
        "synthetic_notice": "SYNTHETIC DEMO DATA: the compared evaluations include generated demonstration "
                            "data; units, people and households are invented.",
        "range": "{low}–{high}",
    },
}


class _Comparison:
    def __init__(self, entries, rubric, w: Words, software_version, report_date, chart_rows):
        self.entries = list(entries)
        self.rubric = rubric
        self.w = w
        self.lang = w.lang
        self.c = COMPARISON_WORDS[w.lang]
        self.software_version = software_version
        dates = [d for d in (report_date_for(b) for _, b in self.entries) if d is not None]
        self.report_date = report_date or (max(dates) if dates else None)
        self.counters = Counters()
        self.chart_rows = max(5, int(chart_rows))
        self.scrub = Scrubber()  # names of units and people: ID numbers masked

    def cw(self, key: str, **values: Any) -> str:
        return self.c[key].format(**values) if values else self.c[key]

    def unit_name(self, k: int) -> str:
        return self.scrub(self.entries[k][1].meta.evaluated_unit)

    def build(self) -> dict[str, Any]:
        w = self.w
        rubric_title = w.text(self.rubric.title)
        if self.lang == "zh" and rubric_title.endswith("指标体系"):
            rubric_title = rubric_title[:-len("指标体系")]  # 《…评估指标体系》 -> …评估结果比较报告
        units = [self.unit_name(k) for k in range(len(self.entries))]
        bodies = list(dict.fromkeys(self.scrub(b.meta.commissioning_body)
                                    for _, b in self.entries))
        teams = list(dict.fromkeys(self.scrub(m.name) for _, b in self.entries
                                   for m in b.meta.team))
        starts, ends = [], []
        for _, b in self.entries:
            s, e = fieldwork_dates(b)
            starts.append(s or b.meta.period_start)
            ends.append(e or b.meta.period_end)
        starts = [d for d in starts if d]
        ends = [d for d in ends if d]
        synthetic = any(b.meta.synthetic for _, b in self.entries)
        chapters = []
        numeral = (lambda n: chinese_numeral(n)) if self.lang == "zh" else str
        for k, key in enumerate(("ch_ranking", "ch_dimensions", "ch_indicators"), 1):
            chapters.append({"id": key.replace("ch_", ""),
                             "title": w("chapter_number", numeral=numeral(k), title=self.cw(key))})
        appendix = {"id": "data", "title": w("appendix_number",
                                              numeral="一" if self.lang == "zh" else "A",
                                              title=self.cw("app_data"))}
        ranking = self.ranking()
        dimensions = self.dimensions()
        indicators = self.indicators()
        data = self.data()
        title = self.cw("title", rubric=rubric_title)
        return {
            "lang": self.lang,
            "html_lang": "zh-CN" if self.lang == "zh" else "en",
            "labels": {k: w(k) for k in ("kicker", "evaluated_unit", "commissioning_body",
                                         "evaluator_org", "team", "fieldwork_dates",
                                         "report_date", "toc")},
            "report": {
                "title": title,
                "title_parts": title_parts(title) if self.lang == "zh" else [title],
                "running_title": running_title(title),
                "subtitle": "",
                "evaluated_unit": (w.list(units) if len(units) <= 4
                                   else self.cw("units_many", count=len(units))),
                "commissioning_body": w.list(bodies),
                "team": w.list(teams) if len(teams) <= 6 else self.cw("teams_many"),
                "fieldwork_dates": format_date_range(min(starts) if starts else None,
                                                     max(ends) if ends else None, self.lang),
                "report_date": format_date(self.report_date, self.lang),
                "facts_extra": [],
                "notice": self.cw("synthetic_notice") if synthetic else "",
                "synthetic": synthetic,
                "provenance": [w("provenance_rubric", id=self.rubric.id, version=self.rubric.version),
                               w("provenance_software", version=self.software_version)],
            },
            "toc": [{"id": c["id"], "title": c["title"], "level": 1} for c in chapters]
            + [{"id": appendix["id"], "title": appendix["title"], "level": 1}],
            "chapters": chapters,
            "appendix": appendix,
            "ranking": ranking,
            "dimensions": dimensions,
            "indicators": indicators,
            "data": data,
            "created": self.report_date.isoformat() if self.report_date else "",
        }

    def ranking(self) -> dict[str, Any]:
        w = self.w
        order = sorted(range(len(self.entries)),
                       key=lambda k: (-round(self.entries[k][0].total, 2), self.unit_name(k)))
        rows = []
        rank = 0
        previous = None
        for position, k in enumerate(order, 1):
            sheet = self.entries[k][0]
            shown = points_text(sheet.total)
            if shown != previous:
                rank = position
                previous = shown
            verdicts = Counter(r.verdict for r in sheet.indicators)
            rows.append({
                "rank": str(rank), "unit": self.unit_name(k), "total": shown,
                "grade": grade_word(self.rubric, sheet.grade, self.lang),
                "veto": (w.list(w.text(v.name) for v in sheet.veto) if sheet.veto
                         else self.cw("veto_none")),
                "counts": [str(verdicts.get(v, 0)) for v in
                           ("meets", "fails", "indeterminate", "insufficient")],
            })
        self.order = order
        return {
            "intro": self.cw("ranking_intro", count=len(self.entries), rubric=w.text(self.rubric.title),
                             id=self.rubric.id, version=self.rubric.version),
            "caption": self.cw("ranking_caption", n=self.counters.next_table()),
            "columns": [self.cw("col_rank"), self.cw("col_unit"), self.cw("col_total"),
                        self.cw("col_grade"), self.cw("col_veto"), self.cw("col_meets"),
                        self.cw("col_fails"), self.cw("col_undecided"), self.cw("col_insufficient")],
            "rows": rows,
        }

    def _chunks(self, items: list) -> list[list]:
        size = self.chart_rows
        return [items[i:i + size] for i in range(0, len(items), size)] or [[]]

    def dimensions(self) -> dict[str, Any]:
        w = self.w
        table_no = self.counters.next_table()
        rows = []
        for k in self.order:
            sheet = self.entries[k][0]
            rows.append([self.unit_name(k)] + [points_text(d.score) for d in sheet.dimensions]
                        + [points_text(sheet.total)])
        charts = []
        first = None
        totals = [(self.unit_name(k), self.entries[k][0].total, self.entries[k][0].max)
                  for k in self.order]
        chunks = self._chunks(totals)
        for i, chunk in enumerate(chunks, 1):
            n = self.counters.next_figure()
            first = first or n
            part = self.cw("part", k=i, count=len(chunks)) if len(chunks) > 1 else ""
            charts.append({"categories": chunk, "caption": self.cw("total_chart", n=n, part=part)})
        for index, dimension in enumerate(self.rubric.dimensions):
            values = []
            for k in self.order:
                d = self.entries[k][0].dimensions[index]
                values.append((self.unit_name(k), d.score, d.max))
            chunks = self._chunks(values)
            for i, chunk in enumerate(chunks, 1):
                n = self.counters.next_figure()
                part = self.cw("part", k=i, count=len(chunks)) if len(chunks) > 1 else ""
                charts.append({"categories": chunk,
                               "caption": self.cw("dimension_chart", n=n, name=w.text(dimension.name),
                                                  max=plain(dimension.points), part=part)})
        return {
            "intro": self.cw("dimensions_intro", table=table_no, first=first),
            "caption": self.cw("dimensions_caption", n=table_no),
            "columns": [self.cw("col_unit")] + [w.text(d.name) for d in self.rubric.dimensions]
            + [self.cw("col_total")],
            "rows": rows,
            "charts": charts,
        }

    def indicators(self) -> dict[str, Any]:
        w = self.w
        rows = []
        for ind in self.rubric.indicators:
            results = [next(r for r in sheet.indicators if r.code == ind.code)
                       for sheet, _ in self.entries]
            verdicts = Counter(r.verdict for r in results)
            estimates = [r.estimate for r in results
                         if r.estimate is not None and math.isfinite(r.estimate)
                         and r.method in ESTIMATED_METHODS | {"judgement"}]
            if estimates:
                low = estimate_text(ind.method, min(estimates))
                high = estimate_text(ind.method, max(estimates))
                spread = low if low == high else self.cw("range", low=low, high=high)
            else:
                spread = w("no_value")
            rows.append([f"{ind.code} {w.text(ind.name)}"]
                        + [str(verdicts.get(v, 0)) for v in
                           ("meets", "fails", "indeterminate", "insufficient")] + [spread])
        return {
            "intro": self.cw("indicators_intro"),
            "caption": self.cw("indicators_caption", n=self.counters.next_table()),
            "columns": [self.cw("col_indicator"), self.cw("col_meets"), self.cw("col_fails"),
                        self.cw("col_undecided"), self.cw("col_insufficient"), self.cw("col_range")],
            "rows": rows,
        }

    def data(self) -> dict[str, Any]:
        w = self.w
        rows = []
        for k in self.order:
            _, bundle = self.entries[k]
            rows.append([self.unit_name(k), self.scrub(bundle.meta.id),
                         short_hash(bundle.data_hash, 16),
                         format_date(report_date_for(bundle), self.lang)])
        return {
            "intro": self.cw("data_intro", rubric=w.text(self.rubric.title), id=self.rubric.id,
                             version=self.rubric.version, version_software=self.software_version),
            "hash": self.cw("rubric_hash",
                            hash=getattr(self.rubric, "content_hash", "") or w("stamp_none")),
            "caption": self.cw("data_caption", n=self.counters.next_table()),
            "columns": [self.cw("col_unit"), self.cw("col_evaluation"), self.cw("col_data_hash"),
                        self.cw("col_report_date")],
            "rows": rows,
        }
