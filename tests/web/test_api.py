"""The submissions API: idempotent on instance_id, conflicts refused with what to do, edits by
deprecated_id, JSON errors a person can act on, photos checked and kept private, OpenAPI."""

import base64
import copy
import dataclasses
import uuid

import pytest
from sqlalchemy import func, select

from evaluator.fieldwork.models import Assignment, Attachment, AuditEntry, Household, Submission

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

#: The API answers in the session's language; these tests read its English messages
#: (test_refusals_are_in_chinese_by_default reads the Chinese).
pytestmark = pytest.mark.usefixtures("english")


def rows(app, *where):
    with app.extensions["evaluator.sessionmaker"]() as db:
        return list(db.scalars(select(Submission).where(*where).order_by(Submission.id)))


def test_the_same_record_twice_is_stored_once(app, field, sign_in, api_post, household_record):
    sign_in("evaluator")
    record = household_record(field.sample[0])
    first = api_post(record)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["status"] == "created" and body["review_state"] == "received"
    assert body["answers"]["household_size"] == "2"  # calculated on the server
    assert body["answers"]["per_capita_income"] == "14700"  # (32400 - 3000) / 2
    again = api_post(copy.deepcopy(record))
    assert again.status_code == 200
    assert again.get_json()["status"] == "already_stored"
    assert again.get_json()["instance_id"] == record["instance_id"]
    assert len(rows(app)) == 1
    with app.extensions["evaluator.sessionmaker"]() as db:
        assignment = db.scalar(select(Assignment.status).join(
            Household, Household.id == Assignment.household_pk).where(
            Household.household_id == field.sample[0], Assignment.source == "household"))
        assert assignment == "submitted"


def test_odk_style_instance_ids_are_the_same_record(app, field, sign_in, api_post,
                                                   household_record):
    sign_in("evaluator")
    record = household_record(field.sample[0])
    assert api_post(record).status_code == 201
    prefixed = dict(record, instance_id="uuid:" + record["instance_id"].upper())
    assert api_post(prefixed).status_code == 409  # same id, different body text: not a replay
    assert len(rows(app)) == 1


def test_a_different_record_under_a_stored_id_is_refused(app, field, sign_in, api_post,
                                                        household_record):
    sign_in("evaluator")
    record = household_record(field.sample[0])
    api_post(record)
    changed = copy.deepcopy(record)
    changed["answers"]["satisfaction"] = "1"
    changed["answers"]["satisfaction_reason"] = "没人来过"
    response = api_post(changed)
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "conflict"
    assert f"deprecated_id {record['instance_id']}" in body["message"]
    assert rows(app)[0].data["satisfaction"] == "4"


def test_an_edit_replaces_the_record_it_names(app, field, sign_in, api_post, household_record):
    sign_in("evaluator")
    original = household_record(field.sample[0])
    api_post(original)
    edit = household_record(field.sample[0], satisfaction="5")
    edit["deprecated_id"] = original["instance_id"]
    response = api_post(edit)
    assert response.status_code == 201
    assert response.get_json()["review_state"] == "edited"
    old, new = rows(app)
    assert (old.current, new.current) == (False, True)
    assert new.deprecated_id == old.instance_id
    twice = household_record(field.sample[0], satisfaction="3")
    twice["deprecated_id"] = original["instance_id"]
    late = api_post(twice)
    assert late.status_code == 409
    assert f"already replaced by {new.instance_id}" in late.get_json()["message"]
    with app.extensions["evaluator.sessionmaker"]() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "submission.edit"))
        assert entry.old_value["data"]["satisfaction"] == "4"
        assert entry.new_value["data"]["satisfaction"] == "5"


def test_a_second_record_for_a_household_must_be_an_edit(app, field, sign_in, api_post,
                                                        household_record):
    sign_in("evaluator")
    first = household_record(field.sample[0])
    assert api_post(first).status_code == 201
    second = api_post(household_record(field.sample[0]))
    assert second.status_code == 409
    assert f"deprecated_id {first['instance_id']}" in second.get_json()["message"]


def test_answers_that_need_attention_are_listed_by_field(app, field, sign_in, api_post,
                                                        household_record):
    sign_in("evaluator")
    record = household_record(field.sample[0], income_wage="三万", satisfaction="1")
    record["answers"]["members"][1]["member_age"] = "130"
    response = api_post(record)
    assert response.status_code == 422
    body = response.get_json()
    problems = {(p["field"], p.get("instance"), p["code"]) for p in body["problems"]}
    assert ("member_age", 2, "constraint") in problems
    assert ("income_wage", None, "type") in problems
    assert ("satisfaction_reason", None, "required") in problems  # required when dissatisfied
    age = next(p for p in body["problems"] if p["field"] == "member_age")
    assert age["message_zh"] == "年龄应在0至120之间"
    assert body["message"].startswith("3 answer(s) need attention")
    assert rows(app) == []


def test_skipped_questions_are_cleared_not_refused(app, field, sign_in, api_post,
                                                  household_record):
    sign_in("evaluator")
    record = household_record(field.sample[0], aid_received="no", aid_amount_total="999")
    del record["answers"]["aid_types"]
    response = api_post(record)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["answers"]["aid_amount_total"] == ""


def test_shape_errors_say_what_to_send(app, field, sign_in, api_post, household_record, client):
    sign_in("evaluator")
    cases = [
        (dict(household_record(field.sample[0]), instance_id="not-a-uuid"), 400, "not a UUID"),
        (dict(household_record(field.sample[0]), colour="red"), 400, "unknown keys colour"),
        ({k: v for k, v in household_record(field.sample[0]).items() if k != "answers"}, 400,
         "answers is required"),
        (dict(household_record(field.sample[0]), ended_at="2026-11-03T08:00:00+08:00"), 400,
         "ended_at is before started_at"),
        (dict(household_record(field.sample[0]), answers={"household_id": field.sample[0],
                                                          "favourite_food": "noodles"}), 422,
         "favourite_food is not a question"),
        (dict(household_record(field.sample[0]), answers={"members": "two"}), 422,
         "must be a list of objects"),
        (dict(household_record(field.sample[0]), source="gossip"), 422, "no 'gossip' records"),
        (dict(household_record(field.sample[0]), evaluation_id=999), 404, "no evaluation 999"),
    ]
    for payload, status, words in cases:
        response = api_post(payload)
        assert response.status_code == status, (payload, response.get_json())
        assert words in response.get_json()["message"], response.get_json()
    not_json = client.post("/api/v1/submissions", data="instance_id=1")
    assert not_json.status_code == 400 and "JSON" in not_json.get_json()["message"]
    assert rows(app) == []


def test_households_not_assigned_are_refused(app, field, sign_in, api_post, household_record):
    sign_in("evaluator")
    with app.extensions["evaluator.sessionmaker"]() as db:
        db.execute(Assignment.__table__.delete().where(Assignment.source == "household"))
        db.commit()
    response = api_post(household_record(field.sample[0]))
    assert response.status_code == 403
    assert "not assigned to you" in response.get_json()["message"]
    outside = sorted({"CG001", "CG002", "CG003", "CG004", "CG005", "QS001", "QS002", "QS003"}
                     - set(field.sample) - set(field.reserve))
    sign_in("lead")
    if outside:
        refused = api_post(household_record(outside[0]))
        assert refused.status_code == 422 and "not drawn" in refused.get_json()["message"]
    assert api_post(household_record(field.sample[0])).status_code == 201  # leads collect too


def test_viewers_and_strangers_cannot_send(field, sign_in, api_post, household_record, client):
    sign_in(None)
    anonymous = api_post(household_record(field.sample[0]))
    assert anonymous.status_code == 401 and "sign in" in anonymous.get_json()["message"]
    sign_in("viewer")
    assert api_post(household_record(field.sample[0])).status_code == 403
    sign_in("author")
    assert api_post(household_record(field.sample[0])).status_code == 404


def test_a_stranger_replaying_a_stored_record_hears_404_not_the_record(
        field, sign_in, api_post, household_record):
    """The evaluation, the sender's role and the stored record are read in one query: the
    role is still checked before a replay is answered with the stored record."""
    record = household_record(field.sample[0])
    sign_in("evaluator")
    assert api_post(record).status_code == 201
    sign_in("author")  # on no team of this evaluation
    replay = api_post(record)
    assert replay.status_code == 404 and replay.get_json()["error"] == "not_found"
    assert "answers" not in replay.get_json() and record["instance_id"] not in replay.get_data(
        as_text=True)
    sign_in("evaluator")
    assert api_post(record).status_code == 200


def test_signed_out_is_401_first_and_a_missing_csrf_token_a_json_400(app, field,
                                                                    household_record):
    import re

    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    client.post("/auth/login", data={"username": "f-evaluator", "password": field.password})
    assert client.get("/assignments").status_code == 302  # the login needed the token
    anonymous = client.post("/api/v1/submissions", json=household_record(field.sample[0]))
    assert anonymous.status_code == 401  # not 400 csrf: the tablet must hear "sign in"
    assert anonymous.get_json()["error"] == "unauthorized"
    assert "请重新登录" in anonymous.get_json()["message"]  # the page's language (zh)
    login = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post("/auth/login", data={"username": "f-evaluator", "password": field.password,
                                     "csrf_token": token})
    response = client.post("/api/v1/submissions", json=household_record(field.sample[0]))
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf"


def test_the_csrf_token_of_the_page_lets_the_queue_send(app, field, household_record):
    import re

    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    login = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post("/auth/login", data={"username": "f-evaluator", "password": field.password,
                                     "csrf_token": token})
    page = client.get("/assignments").get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post("/api/v1/submissions", json=household_record(field.sample[0]),
                           headers={"X-CSRFToken": meta})
    assert response.status_code == 201


def test_photos_are_checked_and_kept_private(app, client, field, sign_in, api_post,
                                            household_record, make_user):
    sign_in("evaluator")
    bad = household_record(field.sample[0], door_photo="door.png")
    bad["attachments"] = [{"field": "door_photo", "filename": "door.png",
                           "content_type": "image/png",
                           "data": base64.b64encode(b"<script>alert(1)</script>").decode()}]
    refused = api_post(bad)
    assert refused.status_code == 422 and "not a JPEG, PNG or WebP" in refused.get_json()["message"]
    record = household_record(field.sample[0], door_photo="door.png")
    record["attachments"] = [{"field": "door_photo", "filename": "door.png",
                              "content_type": "image/png", "data": base64.b64encode(PNG).decode()}]
    stored = api_post(record)
    assert stored.status_code == 201, stored.get_json()
    url = stored.get_json()["attachments"][0]["url"]
    with app.extensions["evaluator.sessionmaker"]() as db:
        attachment = db.scalar(select(Attachment))
        assert url == f"/attachments/{attachment.token}" and len(attachment.token) >= 40
        assert field.sample[0] not in url and "door" not in url
    served = client.get(url)
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["Cache-Control"] == "private, no-store"
    assert "/static/" not in url
    sign_in("lead")
    assert client.get(url).status_code == 200
    sign_in("viewer")
    assert client.get(url).status_code == 404
    sign_in(None)
    assert client.get(url).status_code == 302
    assert client.get("/attachments/" + "x" * 43).status_code == 302


def test_a_photo_named_in_the_answers_must_come_with_the_record(field, sign_in, api_post,
                                                               household_record):
    sign_in("evaluator")
    response = api_post(household_record(field.sample[0], door_photo="door.jpg"))
    assert response.status_code == 422
    assert "no file was sent" in response.get_json()["message"]


def test_a_stored_record_can_be_read_back_by_its_sender_and_the_lead(client, field, sign_in,
                                                                    api_post, household_record):
    sign_in("evaluator")
    record = household_record(field.sample[0])
    api_post(record)
    mine = client.get(f"/api/v1/submissions/{record['instance_id']}")
    assert mine.status_code == 200 and mine.get_json()["submitter"] == "f-evaluator"
    sign_in("lead")
    assert client.get(f"/api/v1/submissions/{record['instance_id']}").status_code == 200
    sign_in("viewer")
    assert client.get(f"/api/v1/submissions/{record['instance_id']}").status_code == 404
    assert client.get("/api/v1/submissions/nope").status_code == 400


def test_the_assignment_list_names_the_form_pages(client, field, sign_in):
    sign_in("evaluator")
    body = client.get("/api/v1/assignments").get_json()
    urls = {a["url"] for a in body["forms"]}
    assert f"/evaluations/{field.evaluation_id}/collect/household/{field.sample[0]}" in urls
    assert len(body["forms"]) == 2 * (len(field.sample) + len(field.reserve)) + 1  # + the forum
    sign_in("lead")
    assert client.get("/api/v1/assignments").get_json()["forms"] == []


def test_a_finished_evaluation_takes_no_more_records(app, field, sign_in, api_post,
                                                    household_record):
    from evaluator.fieldwork.models import Evaluation

    with app.extensions["evaluator.sessionmaker"]() as db:
        db.get(Evaluation, field.evaluation_id).status = "finished"
        db.commit()
    sign_in("evaluator")
    response = api_post(household_record(field.sample[0]))
    assert response.status_code == 409 and "finished" in response.get_json()["message"]


def test_the_openapi_document_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {"/api/v1" + path for path in document["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = rule.rule.replace("<", "{").replace(">", "}")
            assert path in documented, path
    post = document["paths"]["/submissions"]["post"]
    assert {"200", "201", "400", "401", "403", "404", "409", "422"} <= set(post["responses"])
    schema = document["components"]["schemas"]["Submission"]
    assert set(schema["required"]) == {"instance_id", "evaluation_id", "source", "answers"}
    from evaluator.fieldwork.collect.api import PAYLOAD_KEYS

    assert set(schema["properties"]) == set(PAYLOAD_KEYS)


def test_a_replay_racing_the_first_insert_gets_the_stored_record(app, field, household_record,
                                                                 monkeypatch):
    """Two queues send one record at once: both miss it on the first read, one insert wins and
    the other, refused by the unique instance id, answers with the stored record."""
    from evaluator.auth.models import User
    from evaluator.fieldwork.collect import operations
    from evaluator.fieldwork.collect.api import parse_payload
    from evaluator.fieldwork.models import Evaluation

    payload = household_record(field.sample[0])
    make = app.extensions["evaluator.sessionmaker"]
    outcomes = []
    real = operations.record_target
    with app.app_context():
        for racing in (False, True):
            if racing:  # the read saw neither the record nor the household's current record
                monkeypatch.setattr(operations, "record_target", lambda *args: dataclasses.replace(
                    real(*args), stored_id=None, current_instance=None))
            db = make()
            _, record = parse_payload(copy.deepcopy(payload))
            submission, created, _ = operations.store_submission(
                db, db.get(User, field.users["evaluator"]), db.get(Evaluation, field.evaluation_id),
                record, role="evaluator", storage=app.extensions["evaluator.storage"])
            outcomes.append((created, submission.instance_id))
            db.commit()
            db.close()
    assert outcomes == [(True, payload["instance_id"]), (False, payload["instance_id"])]
    with make() as db:
        assert db.scalar(select(func.count(Submission.id))) == 1
    assert uuid.UUID(payload["instance_id"])


def test_a_second_record_racing_the_first_is_refused_by_the_database(
        app, field, household_record, monkeypatch):
    """Two devices send different records of one household at once: both pass the read, the
    unique index on current records refuses the second insert, and it is told to send an edit
    (409) — never two current records of one household and source."""
    from evaluator.auth.models import User
    from evaluator.fieldwork.audit import OperationError
    from evaluator.fieldwork.collect import operations
    from evaluator.fieldwork.collect.api import parse_payload
    from evaluator.fieldwork.models import Evaluation

    first = household_record(field.sample[0])
    second = household_record(field.sample[0], door_photo="door.png")
    second["attachments"] = [{"field": "door_photo", "filename": "door.png",
                              "content_type": "image/png", "data": base64.b64encode(PNG).decode()}]
    make = app.extensions["evaluator.sessionmaker"]
    storage = app.extensions["evaluator.storage"]
    real = operations.record_target
    with app.app_context():
        with make() as db:
            _, record = parse_payload(copy.deepcopy(first))
            operations.store_submission(
                db, db.get(User, field.users["evaluator"]), db.get(Evaluation, field.evaluation_id),
                record, role="evaluator", storage=storage)
            db.commit()
        monkeypatch.setattr(operations, "record_target", lambda *args: dataclasses.replace(
            real(*args), current_instance=None))
        with make() as db:
            _, record = parse_payload(copy.deepcopy(second))
            with pytest.raises(OperationError) as refused:
                operations.store_submission(
                    db, db.get(User, field.users["evaluator"]),
                    db.get(Evaluation, field.evaluation_id), record, role="evaluator",
                    storage=storage)
    assert refused.value.status == 409
    assert f"deprecated_id {first['instance_id']}" in refused.value.message  # either language
    with make() as db:
        assert db.scalars(select(Submission.instance_id)).all() == [first["instance_id"]]
        assert db.scalar(select(func.count(AuditEntry.id))
                         .where(AuditEntry.action == "submission.create")) == 1
    assert list(storage.list("attachments/")) == []  # the refused record's photo is not kept


def test_unknown_api_paths_and_methods_answer_in_json(client):
    wrong_method = client.get("/api/v1/submissions")
    assert wrong_method.status_code == 405
    assert "use OPTIONS, POST" in wrong_method.get_json()["message"]
    missing = client.get("/api/v1/records")
    assert missing.status_code == 404 and "openapi.json" in missing.get_json()["message"]
    page = client.get("/no-such-page")
    assert page.status_code == 404 and not page.is_json


def test_refusals_are_in_chinese_by_default(app, field, sign_in, api_post, household_record,
                                             client):
    client.get("/?lang=zh")
    sign_in("evaluator")
    response = api_post(household_record("NOT-IN-ROSTER"))
    assert response.status_code == 422
    assert "不在本评估的台账中" in response.get_json()["message"]
