"""What a report is made from: the score sheet, the bundle and the rubric, checked to belong
together (``check_inputs``), the report's date from the data (``report_date_for``), and
``ReportInputs``, the lookups every report part shares."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from evaluator.privacy import Scrubber, mask_id_number
from evaluator.reports import ReportError
from evaluator.reports.formatting import Words, grade_word
from evaluator.reports.words import chinese_numeral
from evaluator.scoring.context import pass_share


def check_inputs(sheet: Any, bundle: Any, rubric: Any) -> None:
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


def parse_day(text: Any) -> date | None:
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
                day = parse_day(row.get(key))
                if day is not None:
                    days.add(day)
        for meta in getattr(source, "paradata", ()):
            for key in DATE_PARADATA:
                day = parse_day(meta.get(key))
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


class ReportInputs:
    """One report's score sheet, bundle and rubric, with what every part looks up in them: the
    results by code, the roster by household, the scrubbers, the words in the report's language.
    Built once by ``build_context``; the parts read it and never change it (``record`` keeps
    an index of each source's rows as it is first asked)."""

    def __init__(self, sheet: Any, bundle: Any, rubric: Any, w: Words,
                 surveys: Mapping[str, Any], software_version: str,
                 report_date: date | None):
        self.sheet = sheet
        self.bundle = bundle
        self.rubric = rubric
        self.meta = bundle.meta
        self.w = w
        self.lang = w.lang
        self.surveys = surveys
        self.software_version = software_version
        self.report_date = report_date or report_date_for(bundle)
        self.results = {r.code: r for r in sheet.indicators}
        self.dimension_results = {d.code: d for d in sheet.dimensions}
        self.allow_names = bool(getattr(self.meta, "allow_names", False))
        roster_by_id = getattr(bundle, "roster_by_id", None)
        if roster_by_id is None:
            roster_by_id = {r.get("household_id", ""): r for r in bundle.roster}
        self.roster = roster_by_id
        # Names of units and people (team, responsible person) are scrubbed of personal numbers
        # (evaluator.privacy); free text (findings, reasons, notes) also of the roster's names.
        self.scrub = Scrubber()
        self.scrub_text = Scrubber(() if self.allow_names else
                                   (r.get("head_name", "") for r in bundle.roster))
        self._records: dict[str, dict[str, Any]] = {}
        self.stratum_label = self._stratum_label()
        self.pass_share = pass_share(rubric)
        # summary, overview, one per dimension, findings, then the rectification list
        rect = 4 + len(rubric.dimensions)
        self.rect_chapter = chinese_numeral(rect) if self.lang == "zh" else str(rect)

    def _stratum_label(self) -> str:
        column = getattr(self.sheet, "stratum_column", "") or "stratum"
        if column in ("stratum", "township"):
            return self.w("stratum_default")
        return self.w.get(f"roster_{column}", column)

    def chapter(self, number: int, key: str, ident: str, title: str | None = None
                ) -> dict[str, str]:
        numeral = chinese_numeral(number) if self.lang == "zh" else str(number)
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

    def grade_word(self, grade: str) -> str:
        return grade_word(self.rubric, grade, self.lang)

    def sentences(self, *parts: str) -> str:
        """Sentences in a row: run together in Chinese, a space apart in English."""
        return ("" if self.lang == "zh" else " ").join(p for p in parts if p)

    def record(self, source: str, household_id: str) -> dict[str, Any] | None:
        index = self._records.get(source)
        if index is None:
            index = self._records[source] = {}
            for row in self.bundle.rows(source):
                index.setdefault(row.get("household_id", ""), row)
        return index.get(household_id)

    def survey(self, source: str) -> Any | None:
        ref = self.meta.surveys.get(source) if getattr(self.meta, "surveys", None) else None
        survey_id = ref.id if ref is not None else self.rubric.sources.get(source, source)
        return self.surveys.get(survey_id)
