"""Shared by the rubric tests (test_rubrics, test_rubric_references, test_rubric_files): where
the shipped rubric lives, and the helpers that find an indicator and assert exactly one problem
at one place."""

from __future__ import annotations

from pathlib import Path

from evaluator.paths import RUBRICS_DIR
from evaluator.rubrics.validation import rubric_problems

SHIPPED = RUBRICS_DIR / "union-hardship.yaml"
FILE = "rubrics/union-hardship.yaml"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rubrics"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "rubric.md"


def indicator(data: dict, code: str) -> dict:
    for dimension in data["dimensions"]:
        for item in dimension["indicators"]:
            if item["code"] == code:
                return item
    raise KeyError(code)


def problems(data, surveys=None) -> list[tuple[str, str]]:
    return [(p.where, p.message) for p in rubric_problems(data, FILE, surveys)]


def only(found: list[tuple[str, str]], where: str, fragment: str) -> None:
    """Exactly one problem, at ``where``, whose message contains ``fragment``."""
    assert len(found) == 1, found
    assert found[0][0] == where, found
    assert fragment in found[0][1], found
