"""The programme's database boundary: its units' rows become ``UnitScore``s and the result.

Each unit is scored exactly as its own scores page scores it (evaluator.fieldwork.exports.
scores: the same bundle, checks and sheet), keeping its designs; then the pure
``programme_result`` pools and ranks them — the function ``evaluator programme score`` calls on
the exported folder, so the web's JSON and the command line's are the same bytes. Scoring 120
units takes a while, so it runs as a job (``programme.score``) whose result is a JSON file in
the file storage; each unit's latest total and grade are also kept in ``evaluation_scores`` for
the dashboard. A unit that cannot be scored yet (no sample, data problems) is left out of the
pooled result and ranking, and listed with its problems.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from evaluator.db import utcnow
from evaluator.feedback.models import FeedbackRound, FindingResponse, RectificationUpdate
from evaluator.fieldwork.models import (
    AuditEntry,
    Evaluation,
    Finding,
    Membership,
    ReviewEvent,
    SampleDraw,
    Submission,
)
from evaluator.programmes.models import EvaluationScore, Programme
from evaluator.programmes.result import (
    PROGRAMME_FILE,
    ProgrammeMeta,
    programme_result,
    programme_yaml,
    result_json,
)
from evaluator.scoring.designs import designs_to_dict
from evaluator.scoring.pooled import UnitScore, score_with_designs

RESULT_PREFIX = "programme-results/"
REPORT_PREFIX = "programme-reports/"
#: Result files kept per programme (the newest).
KEEP_RESULTS = 3


def units_of(db: Session, programme: Programme) -> list[Evaluation]:
    return list(db.scalars(select(Evaluation).where(Evaluation.programme_id == programme.id)
                           .order_by(Evaluation.key)))


def meta_of(programme: Programme, units: list[Evaluation]) -> ProgrammeMeta:
    return ProgrammeMeta(programme.key, programme.title_zh, programme.title_en,
                         programme.commissioning_body, programme.period_start,
                         programme.period_end, programme.synthetic,
                         {e.key: e.region for e in units})


def change_stamp(db: Session, programme: Programme) -> str:
    """A cheap fingerprint of everything that could change a unit's score: the newest record,
    review, finding, appeal, rectification step and audit entry of the programme's units. The
    data hash would be exact but costs reading every row; every change the app makes moves one
    of these (an edit or review writes a new row), so an equal stamp means equal results."""
    ids = select(Evaluation.id).where(Evaluation.programme_id == programme.id).scalar_subquery()
    parts = [programme.id, programme.rubric_version_id]
    for column, where in ((Submission.id, Submission.evaluation_id),
                          (AuditEntry.id, AuditEntry.evaluation_id),
                          (Finding.id, Finding.evaluation_id),
                          (FindingResponse.id, FindingResponse.evaluation_id),
                          (RectificationUpdate.id, RectificationUpdate.evaluation_id)):
        parts.append(db.scalar(select(func.max(column)).where(where.in_(ids))) or 0)
    parts.append(db.scalar(select(func.max(ReviewEvent.id)).join(
        Submission, Submission.id == ReviewEvent.submission_id).where(
        Submission.evaluation_id.in_(ids))) or 0)
    parts.append(db.scalar(select(func.count(Evaluation.id)).where(
        Evaluation.programme_id == programme.id)) or 0)
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def result_key(programme: Programme, stamp: str) -> str:
    return f"{RESULT_PREFIX}{programme.id}/{stamp}.json"


def score_programme(db: Session, programme: Programme,
                    progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """Score every unit, keep each unit's sheet in ``evaluation_scores``, and return the
    programme's result (``programme_result``) with the units that could not be scored."""
    from evaluator.fieldwork.exports.scores import score_evaluation

    evaluations = units_of(db, programme)
    units: list[UnitScore] = []
    unscored: dict[str, list[str]] = {}
    rubric = None
    for k, evaluation in enumerate(evaluations):
        if progress is not None:
            progress(0.9 * k / max(1, len(evaluations)), f"{evaluation.key} ({k + 1}/{len(evaluations)})")
        scored = score_evaluation(db, evaluation)
        quality = _quality_counts(db, evaluation)
        kept = db.get(EvaluationScore, evaluation.id)
        if kept is None:
            kept = EvaluationScore(evaluation_id=evaluation.id)
            db.add(kept)
        kept.scored_at = utcnow()
        kept.data_hash = scored.data_hash
        kept.quality = quality
        if scored.sheet is None or scored.bundle is None:
            unscored[evaluation.key] = scored.problems[:20]
            kept.total, kept.grade, kept.sheet, kept.designs = None, "", None, None
            kept.problems = scored.problems[:20]
            continue
        rubric = scored.rubric
        # the same sheet as the unit's scores page, with its designs kept for pooling
        sheet, designs = score_with_designs(scored.rubric, scored.bundle)
        kept.total, kept.grade, kept.problems = sheet.total, sheet.grade, []
        kept.sheet = sheet.to_dict()
        kept.designs = designs_to_dict(designs)
        units.append(UnitScore(evaluation.key, evaluation.evaluated_unit, sheet, designs,
                               evaluation.region,
                               tuple((f.indicator, f.severity) for f in scored.bundle.findings)))
    db.flush()
    result: dict[str, Any] = {}
    if units and rubric is not None:
        result = programme_result(rubric, meta_of(programme, evaluations), units)
    result["unscored"] = dict(sorted(unscored.items()))
    return result


def write_result(storage: Any, programme: Programme, stamp: str, result: dict[str, Any]) -> str:
    key = result_key(programme, stamp)
    storage.put(key, result_json(result).encode("utf-8"), "application/json")
    files = sorted(storage.list(f"{RESULT_PREFIX}{programme.id}/"),
                   key=lambda f: (f.modified, f.key), reverse=True)
    for old in files[KEEP_RESULTS:]:
        storage.delete(old.key)
    return key


def report_key(programme: Programme, stamp: str, lang: str) -> str:
    """Where the programme report of the data at ``stamp`` is kept (with the software version:
    a new version may print it differently)."""
    from evaluator import __version__

    version = hashlib.sha256(__version__.encode()).hexdigest()[:8]
    return f"{REPORT_PREFIX}{programme.id}/{stamp}-{lang}-{version}.pdf"


def write_report(storage: Any, programme: Programme, key: str, pdf: bytes) -> None:
    storage.put(key, pdf, "application/pdf")
    files = sorted(storage.list(f"{REPORT_PREFIX}{programme.id}/"),
                   key=lambda f: (f.modified, f.key), reverse=True)
    for old in files[2 * KEEP_RESULTS:]:
        storage.delete(old.key)


def kept_sheets(db: Session, programme: Programme) -> dict[str, Any]:
    """Each scored unit's sheet as kept by the last scoring (plain values, by evaluation key)."""
    return {key: sheet for key, sheet in db.execute(
        select(Evaluation.key, EvaluationScore.sheet)
        .join(EvaluationScore, EvaluationScore.evaluation_id == Evaluation.id)
        .where(Evaluation.programme_id == programme.id, EvaluationScore.sheet.is_not(None)))}


def public_result(result: dict[str, Any]) -> dict[str, Any]:
    """What ``/programmes/N/result.json`` answers: the CLI's JSON (the units that could not be
    scored are said in a header of the page, not in the JSON that must match the CLI's)."""
    return {k: v for k, v in result.items() if k != "unscored"}


def programme_zip(db: Session, programme: Programme) -> bytes:
    """programme.yaml and one bundle folder per unit: what ``evaluator programme score`` reads."""
    from evaluator.fieldwork.exports.files import bundle_files

    evaluations = units_of(db, programme)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        meta = meta_of(programme, evaluations)
        units = [UnitScore(e.key, e.evaluated_unit, None, {}, e.region)  # type: ignore[arg-type]
                 for e in evaluations]
        archive.writestr(f"{programme.key}/{PROGRAMME_FILE}", programme_yaml(meta, units))
        for evaluation in evaluations:
            for name, data in bundle_files(db, evaluation).items():
                archive.writestr(f"{programme.key}/{evaluation.key}/{name}", data)
    return buffer.getvalue()


def _quality_counts(db: Session, evaluation: Evaluation) -> dict[str, int]:
    from evaluator.fieldwork.review.quality import quality_rows

    counts: Counter[str] = Counter()
    for row in quality_rows(db, evaluation):
        counts.update(flag["code"] for flag in row["flags"])
    return dict(sorted(counts.items()))


def latest_result(storage: Any, programme: Programme) -> tuple[str, dict[str, Any]] | None:
    """(stamp, result) of the newest result file kept for the programme, if any."""
    files = sorted(storage.list(f"{RESULT_PREFIX}{programme.id}/"),
                   key=lambda f: (f.modified, f.key), reverse=True)
    for found in files:
        data = storage.get_or_none(found.key)
        if data is not None:
            return found.key.rsplit("/", 1)[-1].removesuffix(".json"), json.loads(data)
    return None


def _grouped(db: Session, statement: Any) -> dict[int, Any]:
    return {row[0]: row[1] for row in db.execute(statement)}


def unit_progress(db: Session, programme: Programme, today: date) -> list[dict[str, Any]]:
    """One plain row per unit for the dashboard: fieldwork progress (sampled, visited,
    records, reviewed), the kept score, feedback and rectification counts. A fixed handful
    of grouped queries whatever the number of units (120 units, 13,000 households)."""
    ids = select(Evaluation.id).where(Evaluation.programme_id == programme.id).scalar_subquery()
    sampled = _grouped(db, select(SampleDraw.evaluation_id, func.count(SampleDraw.id))
                       .where(SampleDraw.evaluation_id.in_(ids), SampleDraw.role == "sample")
                       .group_by(SampleDraw.evaluation_id))
    current = (Submission.evaluation_id.in_(ids), Submission.current.is_(True))
    visited = _grouped(db, select(Submission.evaluation_id, func.count(distinct(
        Submission.household_id))).where(*current, Submission.source == "household")
        .group_by(Submission.evaluation_id))
    records = {row[0]: (row[1], row[2] or 0) for row in db.execute(
        select(Submission.evaluation_id, func.count(Submission.id),
               func.sum(case((Submission.review_state == "approved", 1), else_=0)))
        .where(*current).group_by(Submission.evaluation_id))}
    team = _grouped(db, select(Membership.evaluation_id, func.count(Membership.id))
                    .where(Membership.evaluation_id.in_(ids),
                           Membership.role.in_(("lead", "evaluator")))
                    .group_by(Membership.evaluation_id))
    active = (Finding.evaluation_id.in_(ids), Finding.status == "active")
    findings = {row[0]: (row[1], row[2] or 0, row[3] or 0) for row in db.execute(
        select(Finding.evaluation_id, func.count(Finding.id),
               func.sum(case((Finding.rectification == "verified", 1), else_=0)),
               func.sum(case(((Finding.rectification != "verified") & (Finding.deadline < today),
                              1), else_=0)))
        .where(*active).group_by(Finding.evaluation_id))}
    pending = _grouped(db, select(FindingResponse.evaluation_id, func.count(FindingResponse.id))
                       .where(FindingResponse.evaluation_id.in_(ids),
                              FindingResponse.outcome == "pending")
                       .group_by(FindingResponse.evaluation_id))
    published = {row[0]: row[1] for row in db.execute(
        select(FeedbackRound.evaluation_id, FeedbackRound.deadline)
        .where(FeedbackRound.evaluation_id.in_(ids)))}
    # the kept columns the page shows, not the sheets and designs (~50 kB of JSON per unit)
    kept = {row.evaluation_id: row for row in db.execute(
        select(EvaluationScore.evaluation_id, EvaluationScore.total, EvaluationScore.grade,
               EvaluationScore.problems, EvaluationScore.quality)
        .where(EvaluationScore.evaluation_id.in_(ids)))}
    rows = []
    for e in units_of(db, programme):
        score = kept.get(e.id)
        count, verified, overdue = findings.get(e.id, (0, 0, 0))
        recorded, approved = records.get(e.id, (0, 0))
        rows.append({
            "id": e.id, "key": e.key, "unit": e.evaluated_unit, "region": e.region,
            "status": e.status, "team": team.get(e.id, 0), "sampled": sampled.get(e.id, 0),
            "visited": visited.get(e.id, 0), "records": recorded, "reviewed": approved,
            "total": score.total if score else None, "grade": score.grade if score else "",
            "scored": score is not None and score.total is not None,
            "problems": len(score.problems) if score else 0,
            "quality": dict(score.quality or {}) if score else {},
            "flags": sum((score.quality or {}).values()) if score else 0,
            "findings": count, "verified": verified, "overdue": overdue,
            "appeals_pending": pending.get(e.id, 0),
            "feedback_deadline": published[e.id].isoformat() if e.id in published else "",
        })
    return rows


def region_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The units' progress summed by region (地区), in region order."""
    regions: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = regions.setdefault(row["region"] or "", {
            "region": row["region"] or "", "units": 0, "sampled": 0, "visited": 0,
            "reviewed": 0, "scored": 0, "totals": [], "overdue": 0})
        entry["units"] += 1
        for name in ("sampled", "visited", "reviewed", "overdue"):
            entry[name] += row[name]
        if row["scored"]:
            entry["scored"] += 1
            entry["totals"].append(row["total"])
    out = []
    for name in sorted(regions):
        entry = regions[name]
        totals = entry.pop("totals")
        entry["lowest"] = min(totals) if totals else None
        entry["highest"] = max(totals) if totals else None
        out.append(entry)
    return out
