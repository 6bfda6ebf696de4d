"""A programme's report PDF (评估项目总体报告) from its result and its units' sheets: the web's
job (``programme.report``) and ``evaluator report --programme DIR`` both call ``programme_pdf``
with the same plain values, so the same data give the same bytes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evaluator import __version__


def programme_context(result: Mapping[str, Any], sheets: Mapping[str, Mapping[str, Any]],
                      lang: str) -> dict[str, Any]:
    from evaluator.reports import ReportError
    from evaluator.reports.programme import build_programme_context

    if not result.get("ranking") or not result["ranking"].get("units"):
        raise ReportError("the programme has no scored unit yet, so there is no report")
    return build_programme_context(result, sheets, lang=lang, software_version=__version__)


def programme_pdf(result: Mapping[str, Any], sheets: Mapping[str, Mapping[str, Any]], lang: str,
                  out_path: Path | None = None) -> bytes:
    from evaluator.reports.programme import render_programme_pdf

    return render_programme_pdf(programme_context(result, sheets, lang), out_path)


def programme_html(result: Mapping[str, Any], sheets: Mapping[str, Mapping[str, Any]],
                   lang: str) -> str:
    from evaluator.reports.programme import render_programme_html

    return render_programme_html(programme_context(result, sheets, lang))
