"""The server's half of the tablet contract: the acknowledgement, refusals a tablet can explain
and resolve (reason, stored_id), records that wait for their author, keep-both for the lead,
the session the queue asks for, and the forms list the service worker prefetches from (only an
evaluator's assignments, versioned, conditional on an ETag)."""

import copy
import re

from sqlalchemy import func, select

from evaluator.fieldwork.models import AuditEntry, ReviewEvent, Submission


def rows(app):
    with app.extensions["evaluator.sessionmaker"]() as db:
        return list(db.scalars(select(Submission).order_by(Submission.id)))


def form_path(field, household, source="household"):
    return f"/evaluations/{field.evaluation_id}/collect/{source}/{household}"


def test_the_acknowledgement_names_this_record_field_by_field(field, sign_in, api_post,
                                                              household_record):
    sign_in("evaluator")
    record = household_record(field.sample[0])
    record["author"] = "f-evaluator"
    for expected_status, code in (("created", 201), ("already_stored", 200)):
        response = api_post(copy.deepcopy(record))
        assert response.status_code == code
        assert response.mimetype == "application/json"
        body = response.get_json()
        assert body["status"] == expected_status
        assert (body["instance_id"], body["evaluation_id"], body["source"], body["household_id"],
                body["deprecated_id"]) == (record["instance_id"], field.evaluation_id,
                                           "household", field.sample[0], None)


def test_refusals_carry_a_reason_and_the_stored_record_to_edit(app, field, sign_in, api_post,
                                                               household_record):
    sign_in("evaluator")
    first = household_record(field.sample[0])
    assert api_post(first).status_code == 201
    second = household_record(field.sample[0], satisfaction="5")  # another device, same household
    body = api_post(second).get_json()
    assert (body["reason"], body["stored_id"]) == ("household_has_record", first["instance_id"])
    changed = copy.deepcopy(first)
    changed["answers"]["satisfaction"] = "1"
    body = api_post(changed).get_json()
    assert (body["reason"], body["stored_id"]) == ("instance_taken", first["instance_id"])
    edit = dict(household_record(field.sample[0], satisfaction="5"), deprecated_id=first["instance_id"])
    assert api_post(edit).status_code == 201
    stale = dict(household_record(field.sample[0], satisfaction="4", income_other="100"),
                 deprecated_id=first["instance_id"])
    response = api_post(stale)
    assert response.status_code == 409
    assert response.get_json()["reason"] == "replaced"
    assert response.get_json()["stored_id"] == edit["instance_id"]  # edit the latest instead
    assert len(rows(app)) == 2


def test_a_record_waits_for_its_author(app, field, sign_in, api_post, household_record):
    """eva1's queued record must never be stored as the lead's when the lead signs in."""
    record = household_record(field.sample[0])
    record["author"] = "f-evaluator"
    sign_in("lead")
    response = api_post(record)
    assert response.status_code == 409
    assert response.get_json()["reason"] == "wrong_user"
    assert rows(app) == []
    sign_in("evaluator")
    assert api_post(record).status_code == 201
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.scalar(select(func.count(Submission.id))) == 1


def test_keep_both_leaves_both_records_for_the_lead(app, field, sign_in, api_post,
                                                   household_record):
    sign_in("lead")
    lead_record = household_record(field.sample[0])
    assert api_post(lead_record).status_code == 201
    sign_in("evaluator")
    mine = household_record(field.sample[0], satisfaction="5")
    refused = api_post(mine).get_json()
    assert refused["reason"] == "household_has_record"
    as_edit = dict(household_record(field.sample[0], satisfaction="5"),
                   deprecated_id=refused["stored_id"])
    response = api_post(as_edit)  # the evaluator may not overwrite the lead's record
    assert response.status_code == 403 and response.get_json()["reason"] == "not_editable"
    kept = dict(as_edit, keep_both=True)
    response = api_post(kept)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["review_state"] == "hasIssues"
    old, new = rows(app)
    assert (old.instance_id, old.current) == (lead_record["instance_id"], False)
    assert (new.current, new.deprecated_id, new.review_state) == (True, old.instance_id,
                                                                 "hasIssues")
    assert new.data["satisfaction"] == "5" and old.data["satisfaction"] == "4"  # both kept
    with app.extensions["evaluator.sessionmaker"]() as db:
        comment = db.scalar(select(ReviewEvent.comment).where(ReviewEvent.submission_id == new.id))
        assert old.instance_id in comment and "两份" in comment
        assert db.scalar(select(AuditEntry.action).where(
            AuditEntry.object_id == new.instance_id)) == "submission.keep_both"
    assert api_post(dict(mine, keep_both="yes")).status_code == 400


def test_the_session_answer_names_the_person_and_a_csrf_token(client, field, sign_in):
    assert client.get("/api/v1/session").status_code == 401
    sign_in("evaluator")
    response = client.get("/api/v1/session")
    body = response.get_json()
    assert body["user"]["username"] == "f-evaluator" and len(body["csrf_token"]) > 20
    assert response.headers["Cache-Control"] == "no-store"


def test_sign_in_lasts_beyond_the_browser_session(client, field):
    response = client.post("/auth/login", data={"username": "f-evaluator",
                                                "password": field.password})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Expires=" in cookie  # not a browser-session cookie: a restart keeps the sign-in


def test_only_an_evaluator_s_assignments_are_listed_for_prefetch(client, field, sign_in):
    sign_in("evaluator")
    body = client.get("/api/v1/assignments").get_json()
    assert body["user"] == "f-evaluator"
    households = [f for f in body["forms"] if "/collect/" in f["url"]]
    assert len(households) == 2 * (len(field.sample) + len(field.reserve))
    assert all(f["open"] and re.fullmatch(r"[0-9a-f]{16}", f["version"]) for f in body["forms"])
    assert [f["url"] for f in body["forms"] if "/collect/" not in f["url"]] == [
        f"/evaluations/{field.evaluation_id}/forum"]
    for role in ("lead", "viewer", "admin"):
        sign_in(role)
        assert client.get("/api/v1/assignments").get_json()["forms"] == [], role


def test_the_evaluated_unit_has_no_forms_and_sends_no_records(app, client, field, sign_in,
                                                              api_post, household_record):
    """The unit (被评估单位) of this very evaluation: refused, not an empty list, and a complete
    record of a sampled household is refused before anything is stored."""
    sign_in("unit")
    listed = client.get("/api/v1/assignments")
    assert listed.status_code == 403 and listed.get_json()["error"] == "forbidden"
    assert "整改跟踪" in listed.get_json()["message"]  # in the session's language
    sent = api_post(household_record(field.sample[0]))
    assert sent.status_code == 403 and sent.get_json()["error"] == "forbidden"
    assert rows(app) == []
    assert client.get("/api/v1/session").status_code == 200  # the page's queue still asks


def test_the_form_list_is_conditional_and_changes_only_for_changed_forms(
        client, field, sign_in, api_post, household_record):
    sign_in("evaluator")
    first = client.get("/api/v1/assignments")
    tag = first.headers["ETag"]
    again = client.get("/api/v1/assignments", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert api_post(household_record(field.sample[0])).status_code == 201
    later = client.get("/api/v1/assignments", headers={"If-None-Match": tag})
    assert later.status_code == 200 and later.headers["ETag"] != tag
    before = {f["url"]: f for f in first.get_json()["forms"]}
    after = {f["url"]: f for f in later.get_json()["forms"]}
    changed = sorted(url for url in after if after[url] != before[url])
    assert changed == [form_path(field, field.sample[0])]  # one record, one form changed
    assert after[form_path(field, field.sample[0])]["open"] is False


def test_a_form_page_carries_the_version_the_list_gives(client, field, sign_in):
    sign_in("evaluator")
    listed = {f["url"]: f["version"] for f in client.get("/api/v1/assignments").get_json()["forms"]}
    for path in (form_path(field, field.sample[1]), form_path(field, field.sample[1], "file_check"),
                 f"/evaluations/{field.evaluation_id}/forum"):
        page = client.get(path)
        assert page.headers["X-Form-Version"] == listed[path], path
    english = client.get(form_path(field, field.sample[1]) + "?lang=en")
    assert english.headers["X-Form-Version"] != listed[form_path(field, field.sample[1])]
    relisted = {f["url"]: f["version"] for f in
                client.get("/api/v1/assignments").get_json()["forms"]}
    assert relisted[form_path(field, field.sample[1])] == english.headers["X-Form-Version"]
