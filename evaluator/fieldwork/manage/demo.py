"""The demo evaluation in the database, built from the synthetic demo bundle (演示数据).

``make run`` should open on a usable app: an evaluation with its roster, the same seeded sample
as the bundle, the system export, a team, and most households already collected and approved,
so the scores page has numbers (the team lead collected those); the smallest stratum is left to
the demo evaluator (eva1), who finds those households under "my assignments". Every record goes through the same operations
(and checks) as records from a tablet.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluator.auth.models import User
from evaluator.bundle.reader import read_files
from evaluator.bundle.source_files import instance_key
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.collect.api import canonical_hash, parse_moment
from evaluator.fieldwork.collect.operations import SubmissionIn, save_judgement, store_submission
from evaluator.fieldwork.forms import survey_of
from evaluator.fieldwork.logic import FormModel
from evaluator.fieldwork.manage import operations
from evaluator.fieldwork.manage.uploads import check_roster, check_system_rows
from evaluator.fieldwork.models import Evaluation, Finding, Household, SampleDraw, Submission
from evaluator.fieldwork.permissions import member_role
from evaluator.fieldwork.review.operations import review_submission
from evaluator.rubrics.models import RubricVersion
from evaluator.storage import Storage
from evaluator.surveys.models import SurveyVersion


def create_demo_evaluation(db: Session, bundle_path: Path, *, lead: User, evaluator: User,
                           viewer: User, storage: Storage) -> str:
    """Create the demo evaluation unless it exists; returns a one-line summary."""
    from evaluator.bundle import load_bundle

    bundle = load_bundle(bundle_path)
    files, _ = read_files(bundle_path)
    meta = bundle.meta
    existing = db.scalar(select(Evaluation).where(Evaluation.key == meta.id))
    if existing is not None:
        return f"demo evaluation {meta.id} already in the database"
    rubric = db.scalar(select(RubricVersion).where(RubricVersion.key == meta.rubric.id,
                                                   RubricVersion.version == meta.rubric.version))
    surveys = {}
    for source, ref in meta.surveys.items():
        surveys[source] = db.scalar(select(SurveyVersion).where(
            SurveyVersion.key == ref.id, SurveyVersion.version == ref.version))
    if rubric is None or any(v is None for v in surveys.values()):
        raise OperationError("load the shipped definitions first (load-definitions)")
    plan = meta.sampling.data
    roster = check_roster("roster.csv", files["roster.csv"], bundle.stratum_column)
    evaluation = operations.create_evaluation(
        db, lead, key=meta.id, title_zh=meta.title.zh, title_en=meta.title.en,
        evaluated_unit=meta.evaluated_unit, commissioning_body=meta.commissioning_body,
        period_start=meta.period_start, period_end=meta.period_end, rubric=rubric,
        surveys=surveys, roster=roster, stratum_column=bundle.stratum_column,
        count_policy="approved", synthetic=meta.synthetic)
    for member, role in ((evaluator, "evaluator"), (viewer, "viewer")):
        operations.add_member(db, lead, evaluation, member, role)
    parameters = dict(plan["parameters"])
    operations.draw_sample(db, lead, evaluation, seed=plan["seed"],
                           min_per_stratum=plan.get("min_per_stratum", 0),
                           reserve=plan.get("reserve_per_stratum", 0), **parameters)
    check_same_draw(db, evaluation, bundle)
    system_version = surveys["system"]
    model = FormModel(survey_of(system_version.key, system_version.version,
                                system_version.content))
    known = {h.household_id: h.data for h in db.scalars(
        select(Household).where(Household.evaluation_id == evaluation.id))}
    operations.store_system_data(db, lead, evaluation, check_system_rows(
        "system.csv", files["system.csv"], model, known))
    sizes = plan_sizes(evaluation)
    newcomers_stratum = min(sizes, key=lambda s: (sizes[s], s))
    for stratum in sizes:
        operations.assign_stratum(db, lead, evaluation, stratum=stratum,
                                  assignee=evaluator if stratum == newcomers_stratum else lead,
                                  sources=("household", "file_check"), roles=("sample", "reserve"))
    left = {h for (h,) in db.execute(select(Household.household_id).where(
        Household.evaluation_id == evaluation.id, Household.stratum == newcomers_stratum))}
    stored = 0
    lead_role = member_role(db, lead, evaluation.id)
    for source in ("household", "file_check", "forum"):
        data = bundle.sources.get(source)
        if data is None:
            continue
        for record in bundle_records(bundle, source, data):
            if record.household_id in left:
                continue
            store_submission(db, lead, evaluation, record, role=lead_role, storage=storage)
            stored += 1
    for submission in db.scalars(select(Submission).where(
            Submission.evaluation_id == evaluation.id)):
        review_submission(db, lead, submission, "approved", "")
    names = sorted({j.evaluator for j in bundle.judgements})
    judges = dict(zip(names, (lead, evaluator), strict=False))
    for j in bundle.judgements:
        if j.evaluator in judges and j.score is not None:
            save_judgement(db, judges[j.evaluator], evaluation, indicator=j.indicator,
                           score=j.score, reason=j.reason)
    for f in bundle.findings:
        db.add(Finding(evaluation_id=evaluation.id, indicator=f.indicator, severity=f.severity,
                       description=f.description, household_id=f.household_id,
                       responsible_unit=f.responsible_unit,
                       responsible_person=f.responsible_person,
                       deadline=f.deadline or meta.period_end, created_by_id=lead.id))
    evaluation.status = "fieldwork"
    db.flush()
    replaced = replace_refusals(db, lead, evaluation)
    return (f"demo evaluation {meta.id}: {len(roster.rows)} households, "
            f"{sum(sizes.values())} sampled, {stored} records approved; "
            f"{len(left & set(_drawn(db, evaluation)))} households of {newcomers_stratum} "
            f"left for {evaluator.username}; {replaced} refusals replaced from the reserves")


def replace_refusals(db: Session, lead, evaluation: Evaluation) -> int:
    """Record the demo's refusals (questionnaires without consent) as the team would, each
    taking the reserve that the demo visited for it — the next of its stratum, in list order —
    so the Reserves page shows the demo's replacements (fieldwork/manage/reserves.py)."""
    from evaluator.fieldwork.manage.reserves import (
        evaluation_draws,
        record_nonresponse,
        refused_in_record,
    )

    refused = refused_in_record(db, evaluation)
    count = 0
    for draws in evaluation_draws(db, evaluation.id).values():
        for d in draws:  # sampled households in draw order; a refusing reserve right after
            if d.draw.role != "sample" or d.household.household_id not in refused:
                continue
            taken: str | None = d.household.household_id
            while taken in refused:
                taken = record_nonresponse(db, lead, evaluation, taken, "refused").reserve
                count += 1
    return count


def plan_sizes(evaluation: Evaluation) -> dict[str, int]:
    return {s["stratum"]: int(s["sample"]) for s in evaluation.sampling_plan["strata"]}


def _drawn(db: Session, evaluation: Evaluation) -> list[str]:
    return list(db.scalars(select(Household.household_id).join(
        SampleDraw, SampleDraw.household_pk == Household.id).where(
        Household.evaluation_id == evaluation.id, SampleDraw.role == "sample")))


def check_same_draw(db: Session, evaluation: Evaluation, bundle) -> None:
    """The database's draw must be the bundle's sample.csv (same roster, same seed)."""
    drawn = {(h, r, o) for h, r, o in db.execute(
        select(Household.household_id, SampleDraw.role, SampleDraw.draw_order)
        .join(SampleDraw, SampleDraw.household_pk == Household.id)
        .where(Household.evaluation_id == evaluation.id))}
    expected = {(s.household_id, s.role, s.order) for s in bundle.sample}
    if drawn != expected:
        raise OperationError("the redrawn demo sample differs from sample.csv")


def bundle_records(bundle, source: str, data) -> list[SubmissionIn]:
    repeats: dict[str, dict[str, list[dict[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for name, repeat in data.repeats.items():
        for row, parent in zip(repeat.rows, repeat.parent_keys, strict=True):
            repeats[instance_key(parent)][name].append(dict(row))
    records = []
    for row, paradata in zip(data.rows, data.paradata, strict=True):
        instance = instance_key(paradata.get("instance_id", ""))
        answers: dict[str, Any] = dict(row)
        answers.update(repeats.get(instance, {}))
        started = _moment(row.get("start"))
        ended = _moment(row.get("end"))
        household_id = row.get("household_id") if source != "forum" else None
        payload = {"instance_id": instance, "source": source, "answers": answers}
        records.append(SubmissionIn(
            instance_id=instance, source=source, household_id=household_id, answers=answers,
            body_hash=canonical_hash(payload), started_at=started, ended_at=ended,
            device_id=row.get("deviceid", "") or paradata.get("device_id", "") or "demo"))
    return records


def _moment(text: str | None) -> datetime | None:
    try:
        return parse_moment(text, "start") if text else None
    except ValueError:
        return None

