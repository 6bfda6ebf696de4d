"""No English left on Chinese pages (issue 11): the API's JSON messages for a CSRF failure, a
signed-out request, a body too large, an unknown path or evaluation and a wrong method; the pure
core's problems on the finish and report-refused pages and in a refused upload; a report job's
failure. Each is asked for in Chinese (the default) and must hold none of the English sentences
it used to carry; in English it still says them. The command line keeps its English."""

from __future__ import annotations

import io
import re

import pytest

from evaluator.definitions.problem_words import PROBLEM_WORDS
from evaluator.definitions.problems import coded
from evaluator.fieldwork.manage import uploads
from evaluator.fieldwork.models import Evaluation
from evaluator.web.problems import problem_text

#: The English sentences these answers used to carry, word for word.
CSRF = "the page's security token is missing or expired"
SIGN_IN = "sign in again: the session has ended"
TOO_LARGE = "the record with its photos is too large"
NO_API = "no API at"
NO_EVALUATION = "that you work on"
NOT_ALLOWED = "is not allowed here"
NOT_DRAWN = "the sample has not been drawn yet"
CANNOT_SCORE = "the data cannot be scored"
TOO_MANY_ROWS = "rows; split the file"
#: A run of three English words: what a sentence left in English looks like inside Chinese text.
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}\b")


def _json_message(response) -> str:
    assert response.is_json, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert body["error"]  # the stable code the tablet reads stays
    return body["message"]


def test_api_messages_are_in_the_requests_language(app, client, field, sign_in, household_record):
    anonymous = client.post("/api/v1/submissions", json=household_record(field.sample[0]))
    assert anonymous.status_code == 401
    message = _json_message(anonymous)
    assert "请重新登录" in message and SIGN_IN not in message

    sign_in("evaluator")
    cases = {
        NO_API: client.get("/api/v1/nothing-here"),
        NO_EVALUATION: client.post("/api/v1/submissions",
                                   json=dict(household_record(field.sample[0]), evaluation_id=999)),
        NOT_ALLOWED: client.delete("/api/v1/submissions"),
    }
    app.config["MAX_CONTENT_LENGTH"] = 1024
    cases[TOO_LARGE] = client.post("/api/v1/submissions", data="[" + "0," * 2000 + "0]",
                                   content_type="application/json")
    app.config["MAX_CONTENT_LENGTH"] = None
    statuses = {NO_API: 404, NO_EVALUATION: 404, NOT_ALLOWED: 405, TOO_LARGE: 413}
    for english, response in cases.items():
        assert response.status_code == statuses[english], english
        message = _json_message(response)
        assert english not in message and not ENGLISH_RUN.search(message), message
        assert re.search(r"[\u4e00-\u9fff]", message), message

    client.get("/?lang=en")  # the same answers in English for an English page
    assert NO_API in _json_message(client.get("/api/v1/nothing-here"))
    assert NOT_ALLOWED in _json_message(client.delete("/api/v1/submissions"))


def test_a_csrf_failure_is_said_in_chinese(app, field, household_record):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    login = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post("/auth/login", data={"username": "f-evaluator", "password": field.password,
                                     "csrf_token": token})
    response = client.post("/api/v1/submissions", json=household_record(field.sample[0]))
    assert response.status_code == 400 and response.get_json()["error"] == "csrf"
    message = response.get_json()["message"]
    assert CSRF not in message and "安全令牌" in message


def _undraw(app, field):
    with app.extensions["evaluator.sessionmaker"]() as db:
        db.get(Evaluation, field.evaluation_id).sampling_plan = None
        db.commit()


def test_the_finish_and_report_pages_say_why_in_chinese(app, client, field, sign_in):
    _undraw(app, field)
    sign_in("lead")
    base = f"/evaluations/{field.evaluation_id}"
    for url in (f"{base}/finish", f"{base}/report", f"{base}/report.pdf", f"{base}/scores"):
        page = client.get(url).get_data(as_text=True)
        assert "尚未抽取样本" in page and NOT_DRAWN not in page, url
    client.get("/?lang=en")
    assert NOT_DRAWN in client.get(f"{base}/finish").get_data(as_text=True)


def test_a_report_job_fails_in_its_language(app, field):
    from evaluator.jobs import JobFailed
    from evaluator.jobs.tasks import evaluation_report

    _undraw(app, field)
    said = {}
    for lang in ("zh", "en"):
        with pytest.raises(JobFailed) as failed:
            evaluation_report(app, {"evaluation_id": field.evaluation_id, "lang": lang,
                                    "draft": True}, lambda *_: None)
        said[lang] = str(failed.value)
    assert "数据尚不能评分" in said["zh"] and "尚未抽取样本" in said["zh"]
    assert CANNOT_SCORE not in said["zh"] and NOT_DRAWN not in said["zh"]
    assert said["en"] == f"{CANNOT_SCORE}: {NOT_DRAWN}"
    with pytest.raises(JobFailed) as gone:
        evaluation_report(app, {"evaluation_id": 9999, "lang": "zh", "draft": True},
                          lambda *_: None)
    assert "已不存在" in str(gone.value)


def test_an_upload_over_the_row_limit_is_refused_in_chinese(client, field, sign_in, monkeypatch):
    monkeypatch.setattr(uploads, "UPLOAD_LIMITS", uploads.Limits(rows=5, columns=10))
    sign_in("lead")
    body = "household_id\n" + "".join(f"H{i}\n" for i in range(8))
    response = client.post(f"/evaluations/{field.evaluation_id}/system",
                           data={"file": (io.BytesIO(body.encode()), "system.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "超过 5 行" in page and TOO_MANY_ROWS not in page


def test_every_coded_problem_has_its_chinese_and_keeps_its_english_for_the_command_line():
    for code, english in PROBLEM_WORDS.items():
        names = set(re.findall(r"\{(\w+)", english))
        problem = coded("roster.csv", "row 3, column income", code,
                        **{name: f"v{k}" for k, name in enumerate(sorted(names))})
        assert str(problem) == f"roster.csv: row 3, column income: {problem.message}"
        zh = problem_text(problem, "zh")
        assert zh.startswith("roster.csv: 第 3 行，income 列: "), zh
        said = zh.split(": ", 2)[2]
        assert re.search(r"[\u4e00-\u9fff]", said) and not ENGLISH_RUN.search(said), (code, zh)
        assert problem_text(problem, "en") == str(problem)
