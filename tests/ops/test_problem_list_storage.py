"""The downloadable problem list of a refused upload lives in the file storage, as photos and
report PDFs do: in the local folder by default, in an S3-compatible bucket when configured
(moto's in-process S3 here), where another app machine serves it; only to the user who
uploaded, and for PROBLEM_LIST_HOURS."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from evaluator.db import utcnow
from evaluator.fieldwork import views_common

BUCKET = "evaluator-test"  # made by the s3 fixture (tests/ops/conftest.py)


def refused_upload(client, field, bad_rows: int = 300) -> str:
    """A system export whose every row names a household not on the roster: refused, with more
    problems than a page shows; the download's token."""
    body = "household_id\n" + "".join(f"X{i:05d}\n" for i in range(bad_rows))
    response = client.post(f"/evaluations/{field.evaluation_id}/system",
                           data={"file": (io.BytesIO(body.encode()), "system.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    return response.get_data(as_text=True).split('href="/problems/', 1)[1].split(".csv", 1)[0]


def downloaded_rows(client, token: str) -> list[list[str]]:
    response = client.get(f"/problems/{token}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "private, no-store"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_a_problem_list_is_kept_in_the_storage_for_its_user_and_a_day(
        app, client, field, sign_in, monkeypatch):
    storage = app.extensions["evaluator.storage"]
    sign_in("lead")
    token = refused_upload(client, field)
    key = f"problem-lists/{field.users['lead']}/{token}.csv"
    assert [f.key for f in storage.list("problem-lists/")] == [key]
    rows = downloaded_rows(client, token)
    assert rows[0] == ["文件", "位置", "问题"] and len(rows) == 1 + 4 * 300  # the page's language
    assert storage.get(key).decode("utf-8-sig").count("\n") == len(rows)
    for bad in ("..%2Fx", "a.b", "é" * 3, "x" * 65, "nosuch"):
        assert client.get(f"/problems/{bad}.csv").status_code == 404, bad
    sign_in("evaluator")  # someone else's list does not exist for them
    assert client.get(f"/problems/{token}.csv").status_code == 404

    sign_in("lead")
    just_kept = utcnow() + timedelta(hours=views_common.PROBLEM_LIST_HOURS) - timedelta(minutes=1)
    monkeypatch.setattr(views_common, "utcnow", lambda: just_kept)
    assert client.get(f"/problems/{token}.csv").status_code == 200
    expired = utcnow() + timedelta(hours=views_common.PROBLEM_LIST_HOURS, minutes=1)
    monkeypatch.setattr(views_common, "utcnow", lambda: expired)
    assert client.get(f"/problems/{token}.csv").status_code == 404
    newer = refused_upload(client, field)  # storing a list deletes the expired ones
    assert [f.key for f in storage.list("problem-lists/")] == [
        f"problem-lists/{field.users['lead']}/{newer}.csv"]


def test_a_problem_list_in_s3_is_served_by_another_app_machine(
        app, client, field, sign_in, s3, tmp_path):
    from evaluator.app import create_app
    from evaluator.storage.s3 import S3Storage

    app.extensions["evaluator.storage"] = S3Storage(BUCKET, "files")
    sign_in("lead")
    token = refused_upload(client, field)
    names = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert names == [f"files/problem-lists/{field.users['lead']}/{token}.csv"]
    assert not (tmp_path / "instance" / "problem-lists").exists()  # nothing on this machine

    other = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"],
                        "INSTANCE_PATH": str(tmp_path / "other-machine"),
                        "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                        "STORAGE_URL": f"s3://{BUCKET}/files"})
    try:
        browser = other.test_client()
        assert browser.post("/auth/login", data={"username": field.username("lead"),
                                                 "password": field.password}).status_code == 302
        rows = downloaded_rows(browser, token)
        assert len(rows) == 1 + 4 * 300 and rows[1][0] == "system.csv"
        assert downloaded_rows(client, token) == rows
    finally:
        other.extensions["evaluator.engine"].dispose()
