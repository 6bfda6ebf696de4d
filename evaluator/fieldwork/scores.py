"""The scoring service: the one place where database rows become a score sheet.

It exports the evaluation as bundle files (exports.bundle_files), reads and checks them with
the bundle package exactly as ``evaluator score`` does, and scores them with the pure engine.
So the web page and the command line score the same files with the same code: the same
numbers, bit for bit. (It lives here rather than in evaluator.scoring, which must stay free of
the database.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from evaluator.fieldwork.exports import bundle_files
from evaluator.fieldwork.models import Evaluation
from evaluator.fieldwork.queries import rubric_for, surveys_by_id


@dataclass(frozen=True)
class Scored:
    sheet: Any | None  # evaluator.scoring.ScoreSheet, or None when the data cannot be scored
    problems: list[str]
    data_hash: str


def score_evaluation(db: Session, evaluation: Evaluation) -> Scored:
    from evaluator.bundle.check import check_files
    from evaluator.bundle.reader import build_bundle
    from evaluator.scoring import score

    if not evaluation.sampling_plan:
        return Scored(None, ["the sample has not been drawn yet"], "")
    files = bundle_files(db, evaluation)
    surveys = surveys_by_id(db, evaluation.id)
    rubric = rubric_for(db, evaluation)
    bundle, read_problems = build_bundle(files, surveys, origin=evaluation.key)
    problems = check_files(files, surveys, rubric, bundle=bundle, read_problems=read_problems)
    if problems or bundle is None:
        return Scored(None, [str(p) for p in problems], bundle.data_hash if bundle else "")
    return Scored(score(rubric, bundle), [], bundle.data_hash)
