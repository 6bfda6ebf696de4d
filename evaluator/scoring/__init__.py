"""Scoring (评分): a pure function from a rubric and an evaluation's data to a score sheet.

    from evaluator.scoring import score, from_bundle
    sheet = score(rubric, bundle)            # or score(rubric, scoring_data(roster=..., sources=...))
    sheet.total, sheet.grade, sheet.indicator("T1").verdict
    sheet.to_json()                          # the same bytes for the same data

No Flask, no SQLAlchemy, no files: the CLI (``evaluator score``) and the web app's service build
the input and call the same function. Statistics are documented in docs/statistics.md.
"""

from evaluator.scoring.engine import score
from evaluator.scoring.inputs import from_bundle
from evaluator.scoring.types import (
    VERDICTS,
    DimensionResult,
    FindingRecord,
    IndicatorResult,
    JudgementRecord,
    SampleUnit,
    ScoreSheet,
    ScoringData,
    StratumPlan,
    StratumResult,
    VetoResult,
    scoring_data,
)

__all__ = [
    "VERDICTS",
    "DimensionResult",
    "FindingRecord",
    "IndicatorResult",
    "JudgementRecord",
    "SampleUnit",
    "ScoreSheet",
    "ScoringData",
    "StratumPlan",
    "StratumResult",
    "VetoResult",
    "from_bundle",
    "score",
    "scoring_data",
]
