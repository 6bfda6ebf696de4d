"""What-if scoring: a draft scored on real data before it is published, beside the stored
version it came from.

The data is the demo bundle (``instance/demo-bundle``, written by ``make run``; written here
when missing) or an evaluation the author may read the scores of. Either way the bundle is
read, checked and scored by the command line's own path (``evaluator.scoring.commands``
``load_checked`` with ``what_if``; for an evaluation, the scores page's rows and checker), so
the draft's sheet is byte for byte ``evaluator score BUNDLE --rubric draft.yaml --what-if
--format json``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from evaluator.definitions.problems import DefinitionError
from evaluator.fieldwork.models import Evaluation
from evaluator.fieldwork.permissions import can_view_scores, visible_evaluations
from evaluator.rubrics.definition import rubric_from_data
from evaluator.rubrics.models import RubricVersion
from evaluator.studio.comparison import compare

DEMO = "demo"
_demo_lock = threading.Lock()


@dataclass
class WhatIf:
    """The two sheets (plain dicts) and their comparison; problems when one cannot be made."""

    against: str
    draft: dict[str, Any] | None = None
    draft_json: str = ""
    base: dict[str, Any] | None = None
    base_label: str = ""
    problems: list[str] = field(default_factory=list)
    base_problems: list[str] = field(default_factory=list)
    comparison: dict[str, Any] | None = None


def targets(db: Session, user: Any) -> list[tuple[str, str, str]]:
    """(value, key, title) of the data a user may try a draft on: the demo bundle and every
    evaluation whose scores they may read."""
    found = [(DEMO, "demo", "")]
    for evaluation, role in visible_evaluations(db, user):
        if can_view_scores(role, evaluation):
            found.append((f"evaluation:{evaluation.id}", evaluation.key, evaluation.title_zh))
    return found


def resolve(db: Session, user: Any, against: str) -> Evaluation | None:
    """The evaluation ``against`` names (None for the demo); ``LookupError`` when the user
    may not read its scores or it does not exist."""
    if against == DEMO:
        return None
    allowed = {value for value, _, _ in targets(db, user)}
    kind, _, number = against.partition(":")
    if kind != "evaluation" or against not in allowed or not number.isdigit():
        raise LookupError(against)
    return db.get(Evaluation, int(number))


def demo_bundle(instance_path: str | Path) -> Path:
    """The demo bundle of this installation, written on first use when ``make run`` has not."""
    from evaluator.bundle import write_demo

    path = Path(instance_path) / "demo-bundle"
    with _demo_lock:
        if not (path / "evaluation.yaml").is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_demo(path, overwrite=True)
    return path


def run(db: Session, content: Mapping[str, Any], base: RubricVersion | None,
        evaluation: Evaluation | None, instance_path: str | Path) -> WhatIf:
    """Score the draft ``content`` (and ``base``) on the demo bundle or ``evaluation``."""
    against = DEMO if evaluation is None else f"evaluation:{evaluation.id}"
    result = WhatIf(against=against)
    score = _scorer(db, evaluation, instance_path)
    surveys = score.surveys
    try:
        rubric = rubric_from_data(content, "draft", surveys)
    except DefinitionError as error:
        result.problems = [str(p) for p in error.problems]
        return result
    sheet, result.problems = score(rubric)
    if sheet is None:
        return result
    result.draft, result.draft_json = sheet.to_dict(), sheet.to_json()
    if base is not None:
        result.base_label = f"{base.key} {base.version}"
        try:
            base_rubric = rubric_from_data(base.content, result.base_label, surveys)
        except DefinitionError as error:
            result.base_problems = [str(p) for p in error.problems]
        else:
            base_sheet, result.base_problems = score(base_rubric)
            result.base = base_sheet.to_dict() if base_sheet is not None else None
    result.comparison = compare(result.base, result.draft)
    return result


class _Scorer:
    """Scores one rubric after another on the same data, read once."""

    def __init__(self, surveys: Mapping[str, Any]):
        self.surveys = surveys

    def __call__(self, rubric: Any) -> tuple[Any, list[str]]:
        raise NotImplementedError


class _DemoScorer(_Scorer):
    def __init__(self, path: Path):
        from evaluator.paths import SURVEYS_DIR
        from evaluator.surveys.definition import load_surveys

        super().__init__(load_surveys(SURVEYS_DIR))
        self.path = path

    def __call__(self, rubric: Any) -> tuple[Any, list[str]]:
        from evaluator.scoring import score
        from evaluator.scoring.commands import load_checked

        try:
            rubric, bundle = load_checked(self.path, None, None, rubric=rubric,
                                          surveys=self.surveys, what_if=True)
        except DefinitionError as error:
            return None, [str(p) for p in error.problems]
        return score(rubric, bundle), []


class _EvaluationScorer(_Scorer):
    """The scores page's rows, reader and checker (``fieldwork.exports.scores``), with the
    bundle pointed at the rubric being tried."""

    def __init__(self, db: Session, evaluation: Evaluation):
        from evaluator.fieldwork.exports.files import bundle_content
        from evaluator.fieldwork.exports.scores import read_content
        from evaluator.fieldwork.queries import surveys_by_id

        super().__init__(surveys_by_id(db, evaluation.id))
        self.ready = bool(evaluation.sampling_plan)
        if self.ready:
            self.content = bundle_content(db, evaluation)
            self.bundle, self.read_problems = read_content(self.content, self.surveys,
                                                           origin=evaluation.key)

    def __call__(self, rubric: Any) -> tuple[Any, list[str]]:
        from evaluator.bundle.check import check_bundle, ordered
        from evaluator.fieldwork.exports.scores import BundleFiles
        from evaluator.scoring import score
        from evaluator.scoring.commands import what_if_bundle

        if not self.ready:
            return None, ["the sample has not been drawn yet"]
        problems = list(self.read_problems)
        if self.bundle is None:
            return None, [str(p) for p in ordered(problems)]
        bundle = what_if_bundle(self.bundle, rubric)
        problems += check_bundle(bundle, self.surveys, rubric, files=BundleFiles(self.content))
        if problems:
            return None, [str(p) for p in ordered(problems)]
        return score(rubric, bundle), []


def _scorer(db: Session, evaluation: Evaluation | None, instance_path: str | Path) -> _Scorer:
    if evaluation is None:
        return _DemoScorer(demo_bundle(instance_path))
    return _EvaluationScorer(db, evaluation)
