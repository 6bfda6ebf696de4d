"""Shared by the survey tests (test_surveys, test_survey_rules): a small valid survey that each
rule test breaks in exactly one place, and its problems."""

from __future__ import annotations

import copy

from evaluator.surveys.validation import survey_problems


def minimal() -> dict:
    """A small valid survey; each rule test breaks exactly one thing in a copy of it."""
    return copy.deepcopy({
        "id": "mini",
        "version": "2026.1",
        "source": "household",
        "title": {"zh": "小问卷", "en": "Mini"},
        "default_language": "zh",
        "survey": [
            {"type": "text", "name": "household_id", "label::zh": "户编号",
             "label::en": "Household code", "required": True},
            {"type": "select_one yes_no", "name": "consent", "label::zh": "是否同意",
             "label::en": "Consent"},
            {"type": "begin group", "name": "visit", "label::zh": "走访",
             "relevant": "${consent} = 'yes'"},
            {"type": "integer", "name": "age", "label::zh": "年龄",
             "constraint": ". >= 0 and . <= 120"},
            {"type": "end group"},
            {"type": "calculate", "name": "double_age", "calculation": "${age} * 2"},
        ],
        "choices": {
            "yes_no": [{"name": "yes", "label::zh": "是", "label::en": "Yes"},
                       {"name": "no", "label::zh": "否", "label::en": "No"}],
        },
    })


def problems_of(data) -> list:
    return survey_problems(data, "mini.yaml")


def only_problem(data):
    problems = problems_of(data)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]
