"""Hostile requests to the JSON API and the id routes: every one is a 4xx with a JSON message,
never a 500, and stores nothing."""

import json

import pytest
from sqlalchemy import func, select

from evaluator.fieldwork.collect.api import openapi_document
from evaluator.fieldwork.models import Submission
from evaluator.web.limits import MAX_ID, MAX_JSON_DEPTH


def stored(app) -> int:
    with app.extensions["evaluator.sessionmaker"]() as db:
        return db.scalar(select(func.count(Submission.id)))


@pytest.mark.parametrize("evaluation_id", [2**63, 2**64 + 1, MAX_ID + 1, 0, -1, -(2**63) - 1])
def test_an_evaluation_id_out_of_range_is_422(app, field, sign_in, api_post, household_record,
                                             evaluation_id):
    sign_in("evaluator")
    record = household_record(field.sample[0])
    record["evaluation_id"] = evaluation_id
    response = api_post(record)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"] == "invalid"
    assert "evaluation_id" in response.get_json()["message"]
    assert stored(app) == 0


def test_the_largest_id_is_still_a_plain_404(field, sign_in, api_post, household_record):
    sign_in("evaluator")
    record = household_record(field.sample[0])
    record["evaluation_id"] = MAX_ID
    assert api_post(record).status_code == 404


@pytest.mark.parametrize("path", ["/evaluations/99999999999999999999999",
                                  f"/evaluations/{2**63}/roster",
                                  f"/evaluations/{MAX_ID + 1}/scores",
                                  "/evaluations/1/recheck/9223372036854775808"])
def test_overflowing_ids_in_urls_are_not_found(client, field, sign_in, path):
    sign_in("lead")
    assert client.get(path).status_code in (404, 405)
    assert client.post(path).status_code in (404, 405)


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000, 50_000])
def test_deeply_nested_json_is_refused(app, field, sign_in, client, household_record, depth,
                                       english):
    sign_in("evaluator")
    record = household_record(field.sample[0])
    body = json.dumps(record)[:-1] + ', "gps": ' + "[" * depth + "]" * depth + "}"
    response = client.post("/api/v1/submissions", data=body, content_type="application/json")
    assert response.status_code == 422
    assert "nested deeper" in response.get_json()["message"]
    assert stored(app) == 0


@pytest.mark.parametrize("body, status, words", [
    ('{"evaluation_id": NaN}', 400, "NaN is not a JSON number"),
    ('{"evaluation_id": Infinity}', 400, "Infinity is not a JSON number"),
    ('{"evaluation_id": 1e999}', 422, "too large"),
    ('{"evaluation_id": ' + "9" * 5000 + "}", 422, "digits"),
    ('{"evaluation_id": 1', 400, "not valid JSON"),
    ('"\\ud800"', 400, "send one JSON object"),
    ("[]", 400, "send one JSON object"),
])
def test_json_that_is_not_a_submission(field, sign_in, client, body, status, words, english):
    sign_in("evaluator")
    response = client.post("/api/v1/submissions", data=body, content_type="application/json")
    assert response.status_code == status, response.get_json()
    assert words in response.get_json()["message"]


def test_a_body_over_the_limit_is_413_json(app, field, sign_in, client):
    sign_in("evaluator")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/api/v1/submissions", data="[" + "0," * 2000 + "0]",
                           content_type="application/json")
    assert response.status_code == 413 and response.is_json


@pytest.mark.parametrize("key, value", [("household_id", "H" * 81), ("device_id", "d" * 121),
                                        ("source", "s" * 41)])
def test_texts_longer_than_their_columns_are_422(app, field, sign_in, api_post,
                                                household_record, key, value):
    sign_in("evaluator")
    record = household_record(field.sample[0])
    record[key] = value
    response = api_post(record)
    assert response.status_code == 422 and key in response.get_json()["message"]
    assert stored(app) == 0


@pytest.mark.parametrize("key, value", [
    ("started_at", "9999-12-31T23:59:59-14:00"), ("ended_at", "0001-01-01T00:00:00+14:00"),
    ("gps", {"lat": 10**400, "lon": 1}), ("gps", {"lat": 1, "lon": 1, "accuracy": -5})])
def test_moments_and_places_out_of_range(app, field, sign_in, api_post, household_record,
                                         key, value):
    sign_in("evaluator")
    record = household_record(field.sample[0])
    record[key] = value
    response = api_post(record)
    assert 400 <= response.status_code < 500 and response.get_json()["message"]
    assert stored(app) == 0


@pytest.mark.parametrize("method, path", [
    ("post", "/api/v1/submissions"), ("get", "/api/v1/assignments"),
    ("get", "/api/v1/submissions/3f0b6a0e-8c4b-4a55-9d0e-1b2c3d4e5f60"),
    ("get", "/api/v1/submissions/not-a-uuid")])
def test_anonymous_api_calls_are_401_with_a_json_message(app, client, field, method, path):
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: 401 comes before the CSRF check
    response = getattr(client, method)(path, json={})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert "请重新登录" in response.get_json()["message"]  # the page's language (zh)


def test_a_wrong_method_says_which_are_allowed(client, field, sign_in):
    sign_in("evaluator")
    response = client.delete("/api/v1/submissions")
    assert response.status_code == 405 and response.headers["Allow"] == "OPTIONS, POST"
    assert "请使用 OPTIONS, POST" in response.get_json()["message"]
    page = client.put(f"/evaluations/{field.evaluation_id}/scores")
    assert page.status_code == 405 and "GET" in page.headers["Allow"]


def test_a_malformed_uuid_is_a_documented_400(client, field, sign_in, english):
    sign_in("evaluator")
    response = client.get("/api/v1/submissions/not-a-uuid")
    assert response.status_code == 400 and "not a UUID" in response.get_json()["message"]
    documented = openapi_document()["paths"]["/submissions/{instance_id}"]["get"]["responses"]
    assert "400" in documented
