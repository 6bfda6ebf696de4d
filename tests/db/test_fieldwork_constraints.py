"""The fieldwork tables refuse impossible rows themselves (CHECK and UNIQUE constraints), on
SQLite and on PostgreSQL, whatever code writes to them."""

import uuid
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from evaluator.fieldwork.models import (
    Attachment,
    Evaluation,
    Judgement,
    Membership,
    Submission,
)
from evaluator.surveys.models import SurveyVersion


def refused(app, make_row):
    with app.extensions["evaluator.sessionmaker"]() as db:
        db.add(make_row(db))
        with pytest.raises(IntegrityError):
            db.commit()


def accepted(app, make_row):
    with app.extensions["evaluator.sessionmaker"]() as db:
        db.add(make_row(db))
        db.commit()


def submission(db, field, **changes):
    values = {"instance_id": str(uuid.uuid4()), "evaluation_id": field.evaluation_id,
              "source": "household", "household_id": field.sample[0],
              "survey_version_id": db.scalar(select(SurveyVersion.id)),
              "submitter_id": field.users["evaluator"], "data": {}, "body_hash": "0" * 64}
    values.update(changes)
    return Submission(**values)


def test_a_valid_submission_row_is_accepted(app, field):
    accepted(app, lambda db: submission(db, field))


@pytest.mark.parametrize("changes", [
    {"review_state": "maybe"},
    {"instance_id": "short"},
    {"started_at": datetime(2026, 11, 3, 10), "ended_at": datetime(2026, 11, 3, 9)},
    {"gps_lat": 91.0, "gps_lon": 10.0},
    {"gps_lat": 10.0, "gps_lon": -181.0},
    {"household_id": None},
], ids=["state", "instance-id", "ended-before-start", "latitude", "longitude", "no-household"])
def test_impossible_submissions_are_refused(app, field, changes):
    refused(app, lambda db: submission(db, field, **changes))


def test_instance_ids_are_unique_and_an_edit_cannot_replace_itself(app, field):
    fixed = str(uuid.uuid4())
    accepted(app, lambda db: submission(db, field, instance_id=fixed))
    refused(app, lambda db: submission(db, field, instance_id=fixed,
                                       household_id=field.sample[1]))
    other = str(uuid.uuid4())
    refused(app, lambda db: submission(db, field, instance_id=other, deprecated_id=other,
                                       household_id=field.sample[1]))
    with app.extensions["evaluator.sessionmaker"]() as db:  # replaced, as an edit does first
        db.scalar(select(Submission).where(Submission.instance_id == fixed)).current = False
        db.commit()
    accepted(app, lambda db: submission(db, field, deprecated_id=fixed))
    refused(app, lambda db: submission(db, field, deprecated_id=fixed,  # replaced only once
                                       current=False))


def test_a_household_has_one_current_record_per_source(app, field):
    """A second current record of a household and source is refused whoever writes it (two
    devices racing, a script); replaced records, other sources and forum records are not."""
    accepted(app, lambda db: submission(db, field))
    refused(app, lambda db: submission(db, field))
    accepted(app, lambda db: submission(db, field, current=False))
    accepted(app, lambda db: submission(db, field, source="file_check"))
    accepted(app, lambda db: submission(db, field, household_id=field.sample[1]))
    for _ in range(2):
        accepted(app, lambda db: submission(db, field, source="forum", household_id=None))


def test_forum_records_need_no_household(app, field):
    accepted(app, lambda db: submission(db, field, source="forum", household_id=None))


def test_attachments_are_photos_of_a_bounded_size_with_an_owner(app, field):
    def photo(db, **changes):
        owner = submission(db, field, source="forum", household_id=None)
        db.add(owner)
        db.flush()
        values = {"token": uuid.uuid4().hex, "evaluation_id": field.evaluation_id,
                  "submission_id": owner.id, "filename": "door.jpg",
                  "content_type": "image/jpeg", "size_bytes": 1000, "sha256": "0" * 64,
                  "uploaded_by_id": field.users["evaluator"]}
        values.update(changes)
        return Attachment(**values)

    accepted(app, photo)
    refused(app, lambda db: photo(db, content_type="application/x-msdownload"))
    refused(app, lambda db: photo(db, size_bytes=50 * 1024 * 1024))
    refused(app, lambda db: photo(db, size_bytes=0))
    refused(app, lambda db: photo(db, submission_id=None))


def test_judgements_need_a_reason_and_one_per_evaluator(app, field):
    def judgement(db, **changes):
        values = {"evaluation_id": field.evaluation_id, "indicator": "M4",
                  "user_id": field.users["lead"], "score": 7.0, "reason": "座谈反映良好"}
        values.update(changes)
        return Judgement(**values)

    refused(app, lambda db: judgement(db, reason=""))
    refused(app, lambda db: judgement(db, score=-1.0))
    accepted(app, judgement)
    refused(app, judgement)


def test_memberships_and_evaluations_hold_known_values(app, field):
    refused(app, lambda db: Membership(evaluation_id=field.evaluation_id,
                                       user_id=field.users["author"], role="owner"))
    refused(app, lambda db: Membership(evaluation_id=field.evaluation_id,
                                       user_id=field.users["evaluator"], role="viewer"))

    def evaluation(db, **changes):
        original = db.get(Evaluation, field.evaluation_id)
        values = {"key": "second", "title_zh": "第二次", "evaluated_unit": "甲",
                  "commissioning_body": "乙", "period_start": original.period_start,
                  "period_end": original.period_end,
                  "rubric_version_id": original.rubric_version_id}
        values.update(changes)
        return Evaluation(**values)

    refused(app, lambda db: evaluation(db, status="abandoned"))
    refused(app, lambda db: evaluation(db, period_end=datetime(2020, 1, 1).date()))
    refused(app, lambda db: evaluation(db, count_policy="everything"))
    accepted(app, evaluation)
