"""Fixtures of the unit tests: the shipped rubric as data and as a Rubric, and the shipped surveys (module-scoped;
a test module may define its own of the same name)."""

from __future__ import annotations

import pytest
from rubric_cases import SHIPPED

from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
from evaluator.rubrics.definition import load_rubric
from evaluator.rubrics.yaml_reading import read_yaml
from evaluator.surveys.definition import load_surveys


@pytest.fixture(scope="module")
def shipped() -> dict:
    return read_yaml(SHIPPED)


@pytest.fixture(scope="module")
def surveys():
    return load_surveys(SURVEYS_DIR)


@pytest.fixture(scope="module")
def rubric(surveys):
    return load_rubric(RUBRICS_DIR / "union-hardship.yaml", surveys)
