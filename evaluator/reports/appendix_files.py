"""The report appendices a bundle carries (docs/bundle.md, "Report appendices"): the feedback
round (``appeals.yaml``: evaluator.reports.appeals) and the look-back at the previous evaluation
(``lookback.yaml``: evaluator.reports.lookback).

Only the web app knows them (the unit's answers and the lead's decisions, which evaluation came
before), so its bundle.zip writes them, and ``evaluator report`` of that bundle adds the same
appendices: the web's PDF and the command line's are the same bytes. They are not data: nothing
is scored from them and they are not in the data hash (an appeal decided does not change which
data the scores come from). Their texts are masked as findings.csv's (evaluator.privacy.scrub);
the report masks them again with the roster's names, on both sides alike.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml

from evaluator.bundle.model import APPEALS_FILE, LOOKBACK_FILE
from evaluator.bundle.writer import yaml_bytes
from evaluator.privacy import Scrubber, scrub
from evaluator.reports import ReportError
from evaluator.reports.appeals import AppealRow, Appeals, with_appeals
from evaluator.reports.lookback import LookBackInputs, RectificationItem, with_lookback

ANSWERS = ("accepted", "contested")
OUTCOMES = ("none", "pending", "upheld", "rejected")
CHANGES = ("", "withdrawn", "changed")
STATES = ("open", "in_progress", "submitted", "verified")
#: What the look-back appendix reads of the comparison (scoring.lookback.LookBack.to_dict()).
CHANGE_KEYS = ("code", "name", "method", "before", "after", "difference", "ci_low", "ci_high",
               "beyond_noise")


def appendix_files(appeals: Appeals | None, lookback: LookBackInputs | None
                   ) -> dict[str, bytes]:
    """The files of the appendices there are (none, one or both), texts masked."""
    files: dict[str, bytes] = {}
    if appeals is not None:
        files[APPEALS_FILE] = yaml_bytes({
            "published": appeals.published, "deadline": appeals.deadline,
            "published_findings": appeals.published_findings,
            "total_before": appeals.total_before, "grade_before": appeals.grade_before,
            "appeals": [{"indicator": r.indicator, "finding": scrub(r.finding),
                         "answer": r.answer, "reason": scrub(r.reason), "outcome": r.outcome,
                         "change": r.change, "outcome_reason": scrub(r.outcome_reason)}
                        for r in appeals.rows]})
    if lookback is not None:
        files[LOOKBACK_FILE] = yaml_bytes({
            "previous": scrub(lookback.previous), "comparison": dict(lookback.comparison),
            "rectification": [{"indicator": i.indicator, "problem": scrub(i.problem),
                               "deadline": i.deadline, "state": i.state, "overdue": i.overdue}
                              for i in lookback.rectification]})
    return files


class _Reader:
    """Typed reads of one appendix file, each refusal naming the file and the key."""

    def __init__(self, name: str):
        self.name = name

    def fail(self, where: str, why: str) -> ReportError:
        return ReportError(f"{self.name}: {where}: {why}")

    def load(self, raw: bytes) -> dict[str, Any]:
        try:
            value = yaml.safe_load(raw.decode("utf-8-sig"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ReportError(f"{self.name}: not readable YAML ({exc})") from exc
        if not isinstance(value, dict):
            raise ReportError(f"{self.name}: expected a mapping of keys")
        return value

    def text(self, data: Mapping[str, Any], key: str, where: str, *,
             allowed: Sequence[str] | None = None) -> str:
        value = data.get(key, "")
        if isinstance(value, datetime.date):
            value = value.isoformat()
        if value is None:
            value = ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.fail(f"{where}{key}", f"expected text, found {value!r}")
        value = str(value)
        if allowed is not None and value not in allowed:
            raise self.fail(f"{where}{key}", f"{value!r} is not one of {', '.join(map(repr, allowed))}")
        return value

    def number(self, data: Mapping[str, Any], key: str, where: str = "", *,
               optional: bool = False, integer: bool = False) -> Any:
        value = data.get(key)
        if value is None and optional:
            return None
        kinds = (int,) if integer else (int, float)
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise self.fail(f"{where}{key}", f"expected {'a whole number' if integer else 'a number'}"
                                             f", found {value!r}")
        return value

    def items(self, data: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "expected a list of mappings")
        return value


def _appeals(raw: bytes) -> Appeals:
    r = _Reader(APPEALS_FILE)
    data = r.load(raw)
    rows = tuple(AppealRow(
        r.text(row, "indicator", f"appeals[{k}]."), r.text(row, "finding", f"appeals[{k}]."),
        r.text(row, "answer", f"appeals[{k}].", allowed=ANSWERS),
        r.text(row, "reason", f"appeals[{k}]."),
        r.text(row, "outcome", f"appeals[{k}].", allowed=OUTCOMES),
        r.text(row, "change", f"appeals[{k}].", allowed=CHANGES),
        r.text(row, "outcome_reason", f"appeals[{k}]."))
        for k, row in enumerate(r.items(data, "appeals"), 1))
    return Appeals(published=r.text(data, "published", ""), deadline=r.text(data, "deadline", ""),
                   published_findings=r.number(data, "published_findings", integer=True),
                   total_before=r.number(data, "total_before", optional=True),
                   grade_before=r.text(data, "grade_before", ""), rows=rows)


def _lookback(raw: bytes) -> LookBackInputs:
    r = _Reader(LOOKBACK_FILE)
    data = r.load(raw)
    comparison = data.get("comparison")
    if not isinstance(comparison, dict):
        raise r.fail("comparison", "expected a mapping (the comparison of the two evaluations)")
    for key in ("total", "grade"):
        part = comparison.get(key)
        if not isinstance(part, dict) or not {"before", "after"} <= set(part):
            raise r.fail(f"comparison.{key}", "expected before and after")
    for key in ("before", "after"):
        r.number(comparison["total"], key, "comparison.total.")
    for key in ("tested", "beyond_noise"):
        r.number(comparison, key, "comparison.", integer=True)
    r.number(comparison, "confidence", "comparison.")
    for k, change in enumerate(r.items(comparison, "changes"), 1):
        missing = [key for key in CHANGE_KEYS if key not in change]
        if missing:
            raise r.fail(f"comparison.changes[{k}]", f"missing {', '.join(missing)}")
    items = tuple(RectificationItem(
        r.text(item, "indicator", f"rectification[{k}]."),
        r.text(item, "problem", f"rectification[{k}]."),
        r.text(item, "deadline", f"rectification[{k}]."),
        r.text(item, "state", f"rectification[{k}].", allowed=STATES),
        item.get("overdue") is True)
        for k, item in enumerate(r.items(data, "rectification"), 1))
    return LookBackInputs(r.text(data, "previous", ""), comparison, items)


def read_appendices(files: Mapping[str, bytes]) -> tuple[Appeals | None, LookBackInputs | None]:
    """The appendices a bundle's files carry (None for a file that is not there). Raises
    ReportError naming the file and the key of anything malformed."""
    appeals = _appeals(files[APPEALS_FILE]) if APPEALS_FILE in files else None
    lookback = _lookback(files[LOOKBACK_FILE]) if LOOKBACK_FILE in files else None
    return appeals, lookback


def report_scrubber(bundle: Any) -> Callable[[Any], str]:
    """What the appendices' texts are masked with in a report: personal numbers, and the
    roster's head names unless evaluation.yaml allows names."""
    names = () if getattr(bundle.meta, "allow_names", False) else tuple(
        r.get("head_name", "") for r in bundle.roster)
    return Scrubber(names)


def with_appendices(context: dict[str, Any], bundle: Any, sheet: Any,
                    appeals: Appeals | None, lookback: LookBackInputs | None) -> dict[str, Any]:
    """The report context with the look-back and then the appeals appendix (those given),
    numbered after the report's own appendices: the web and the command line both call this."""
    if appeals is None and lookback is None:
        return context
    scrubber = report_scrubber(bundle)
    context = with_lookback(context, lookback, scrubber)
    return with_appeals(context, appeals, sheet, scrubber)


__all__: Sequence[str] = ("APPEALS_FILE", "LOOKBACK_FILE", "appendix_files", "read_appendices",
                          "report_scrubber", "with_appendices")
