"""No English left on Chinese pages (issue 11): the API's JSON messages for a CSRF failure, a
signed-out request, a body too large, an unknown path or evaluation and a wrong method; the pure
core's problems on the finish and report-refused pages and in a refused upload; a report job's
failure. Each is asked for in Chinese (the default) and must hold none of the English sentences
it used to carry; in English it still says them. The command line keeps its English."""

from __future__ import annotations

import html
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


#: What the programme's units sheet, a rubric's YAML and a bundle's repeat files and
#: calculations said in English on Chinese pages, word for word.
UNIT_SHEET_ENGLISH = (
    "is not a user with role admin or lead", "is not an evaluator or lead",
    "the unit's name is required", "no roster file", "is not a user with role unit",
    "is in the programme already", "is not decimal degrees", "give both lat and lon",
    "unknown column(s)", "missing column",
)


def _programme(app, field) -> int:
    from datetime import date

    from sqlalchemy import select

    from evaluator.auth.models import User
    from evaluator.programmes import operations
    from evaluator.rubrics.models import RubricVersion

    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        return operations.create_programme(
            db, db.get(User, field.users["lead"]), key="ah-2026", title_zh="安徽省2026年评估",
            commissioning_body="省总工会", period_start=date(2026, 1, 1),
            period_end=date(2026, 10, 31), rubric=db.scalar(select(RubricVersion)),
            stratum_column="stratum").id


def _chinese_lines(page: str, english: tuple[str, ...]) -> list[str]:
    """The problem list items of a page; none may carry one of the ``english`` sentences."""
    items = [html.unescape(re.sub(r"<[^>]+>", "", item)).strip()
             for item in re.findall(r"<li[^>]*>(.*?)</li>", page, re.S)]
    for item in items:
        assert not any(e in item for e in english), item
    return items


def test_a_units_sheet_is_refused_in_chinese(app, client, field, sign_in):
    from pathlib import Path

    roster = (Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal" / "roster.csv")
    programme = _programme(app, field)
    sign_in("lead")
    sheet = ("unit,region,roster,lead,evaluators,unit_user,lat,lon\n"
             "东区工会,合肥市,east.csv,f-viewer,f-author,,31.8,\n"
             ",芜湖市,west.csv,,,,,\n"
             "北区工会,,missing.csv,,,f-lead,,\n"
             "东区工会,合肥市,east.csv,,,,91,117\n")
    url = f"/programmes/{programme}/units"
    files = {"sheet": (io.BytesIO(sheet.encode()), "units.csv"),
             "rosters": [(io.BytesIO(roster.read_bytes()), "east.csv")]}
    response = client.post(url, data=files, content_type="multipart/form-data")
    assert response.status_code == 400
    lines = _chinese_lines(response.get_data(as_text=True), UNIT_SHEET_ENGLISH)
    said = "\n".join(lines)
    for chinese in ("units.csv: 第 2 行，lead 列: 'f-viewer' 不是角色为管理员或评估组长的用户",
                    "第 2 行，evaluators 列: 'f-author' 不是调查员或评估组长",
                    "第 2 行，lon 列: 纬度（lat）与经度（lon）须同时填写或都不填（已填 lat）",
                    "第 3 行，unit 列: 必须填写单位名称",
                    "第 4 行，roster 列: 未上传台账文件 'missing.csv'",
                    "第 4 行，unit_user 列: 'f-lead' 不是角色为被评估单位的用户",
                    "第 5 行，unit 列: '东区工会' 已在该评估项目中",
                    "第 5 行，lat 列: '91' 不是 -90 至 90 之间的十进制度数"):
        assert chinese in said, (chinese, said)
    header = {"sheet": (io.BytesIO(b"unit,town\nx,y\n"), "units.csv")}
    page = client.post(url, data=header, content_type="multipart/form-data").get_data(as_text=True)
    said = "\n".join(_chinese_lines(page, UNIT_SHEET_ENGLISH))
    assert "第 1 行: 缺少列 'roster'" in said and "未知列 town；可用的列为 unit, region" in said
    client.get("/?lang=en")
    files = {"sheet": (io.BytesIO(sheet.encode()), "units.csv")}
    english = client.post(url, data=files, content_type="multipart/form-data")
    assert "row 3, column unit: the unit&#39;s name is required" in english.get_data(as_text=True)


def test_a_broken_rubric_yaml_is_refused_in_chinese(client, field, sign_in):
    sign_in("author")
    cases = {b"id: x\ntitle: a\nid: y\n": "第 3 行: 键“id”在同一映射中出现了两次",
             b"id: [x\n": "第 2 行第 1 列: 不是有效的 YAML：方括号“[”没有闭合，文件就结束了",
             b"id: \xff\xfe\n": "第 4 字节: 不是 UTF-8 文本，请另存为 UTF-8 编码",
             # PyYAML's commonest refusals of a hand-edited file, said in Chinese
             b"id:x\ntitle: a\n": "第 2 行第 6 列: 不是有效的 YAML：此处不能出现“键: 值”",
             b"id: x\n\ttitle: a\n": "不是有效的 YAML：字符 '\\t' 不能出现在这里",
             b"id: x\ntitle:\n    zh: a\n  en: b\n": "缩进不一致，这一行的键与同级的键没有对齐",
             b"id: 'x\n": "引号没有闭合",
             b"id: x\ntitle\nversion: 1\n": "找不到应有的冒号",
             b"id: {a: 1\nb: 2\n": "花括号内的各项之间应有逗号"}
    for raw, chinese in cases.items():
        response = client.post("/studio/import", data={"file": (io.BytesIO(raw), "r.yaml")},
                               content_type="multipart/form-data")
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 400 and chinese in page, (raw, page[-1500:])
        for english in ("appears twice in the same mapping", "not valid YAML",
                        "save it as UTF-8", "line 3"):
            assert english not in page, (english, raw)
        for line in _chinese_lines(page, ()):
            assert not ENGLISH_RUN.search(line), line
    client.get("/?lang=en")
    page = client.post("/studio/import", data={"file": (io.BytesIO(b"a: 1\na: 2\n"), "r.yaml")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "line 2: key &#39;a&#39; appears twice in the same mapping" in page


def test_calculations_and_repeat_rows_are_said_in_chinese(tmp_path):
    """A bundle check's calculation mismatch and repeat rows (PARENT_KEY) as the scores and
    report-refused pages say them (problem_text), the command line's English unchanged."""
    import csv
    import shutil
    from pathlib import Path

    from evaluator.bundle import bundle_problems
    from evaluator.paths import SURVEYS_DIR
    from evaluator.surveys.definition import load_surveys

    bundle = tmp_path / "bundle"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal", bundle)

    def edit(name: str, column: str, value: str | None) -> None:
        path = bundle / name
        rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
        if value is None:  # drop the column
            keep = [i for i, h in enumerate(rows[0]) if h != column]
            rows = [[r[i] for i in keep] for r in rows]
        else:
            rows[1][rows[0].index(column)] = value
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)

    edit("household.csv", "income_total", "1")
    edit("household-members.csv", "PARENT_KEY", "uuid:nobody")
    found = bundle_problems(bundle, load_surveys(SURVEYS_DIR), None)
    english = {str(p): p for p in found}
    calculation = next(p for s, p in english.items() if "column income_total: 1 but " in s)
    assert str(calculation).endswith("from this record's answers")
    zh = problem_text(calculation, "zh")
    assert zh.startswith("household.csv: 第 2 行，income_total 列: 记录为 1，但按本条记录的回答以 "
                         "${income_wage} + ${income_pension}"), zh
    parent = english["household-members.csv: row 2, column PARENT_KEY: 'uuid:nobody' matches no "
                     "record in household.csv"]
    assert problem_text(parent, "zh") == ("household-members.csv: 第 2 行，PARENT_KEY 列: "
                                          "'uuid:nobody' 在 household.csv 中找不到对应的记录")
    edit("household-members.csv", "PARENT_KEY", None)
    missing = [p for p in bundle_problems(bundle, load_surveys(SURVEYS_DIR), None)
               if "PARENT_KEY" in p.message]
    assert [str(p) for p in missing] == [
        "household-members.csv: row 1: missing column 'PARENT_KEY' linking each row to its record"]
    assert problem_text(missing[0], "zh") == (
        "household-members.csv: 第 1 行: 缺少将每一行关联到其记录的列“PARENT_KEY”")


def test_a_programme_job_says_its_programme_is_gone_in_its_language(app):
    from evaluator.jobs import JobFailed
    from evaluator.programmes import tasks

    said = {}
    for lang in ("zh", "en"):
        with pytest.raises(JobFailed) as gone:
            tasks.score(app, {"programme_id": 9999, "stamp": "x", "lang": lang}, lambda *_: None)
        said[lang] = str(gone.value)
    assert said == {"zh": "评估项目 9999 已不存在", "en": "programme 9999 no longer exists"}


def test_api_payload_problems_are_in_the_requests_language(app, client, field, sign_in,
                                                            household_record):
    """Every 400/422 the submission API gives for a body of the wrong shape: the message in the
    request's language, the machine code unchanged; in English the sentence it always said."""
    sign_in("evaluator")
    good = household_record(field.sample[0])
    uuid = "0b7a8bd5-7bb2-4d7e-9f0a-3c1d2e4f5a6b"

    def record(**change):
        body = dict(good, **change)
        return {k: v for k, v in body.items() if v is not None or k == "gps"}

    #: (body or raw text, status, code, the English it said)
    cases = [
        ("x", 400, "bad_request", "send one JSON object with Content-Type: application/json"),
        ('{"a": 1,', 400, "bad_request",
         "not valid JSON (Expecting property name enclosed in double quotes: line 1 column 9 "
         "(char 8))"),
        ('{"a": NaN}', 400, "bad_request", "NaN is not a JSON number"),
        ('{"a": ' + "9" * 50 + "}", 422, "invalid", "a number of 50 digits; at most 40"),
        ("[" * 40 + "]" * 40, 422, "invalid", "the JSON is nested deeper than 32 levels"),
        ([1], 400, "bad_request", "send one JSON object with Content-Type: application/json"),
        (record(colour="red"), 400, "bad_request", "unknown keys colour; a submission has"),
        ({k: v for k, v in good.items() if k != "answers"}, 400, "bad_request",
         "answers is required"),
        (record(evaluation_id="1"), 400, "bad_request",
         "evaluation_id must be the evaluation's number"),
        (record(evaluation_id=2**40), 422, "invalid", "is out of range: evaluations are numbered"),
        (record(source=""), 400, "bad_request", "source must name the evidence source"),
        (record(household_id=5), 400, "bad_request", "household_id must be text"),
        (record(answers=[]), 400, "bad_request", "answers must be an object keyed by field name"),
        (record(device_id="d" * 121), 422, "invalid", "device_id is 121 characters long"),
        (record(author=3), 400, "bad_request", "author must be the user name"),
        (record(keep_both="yes"), 400, "bad_request", "keep_both must be true or false"),
        (record(started_at=5), 400, "bad_request", "started_at must be an ISO 8601 date-time"),
        (record(ended_at="yesterday"), 400, "bad_request", "is not an ISO 8601 date-time"),
        (record(started_at="2026-11-03T10:00:00+08:00", ended_at="2026-11-03T09:00:00+08:00"),
         400, "bad_request", "ended_at is before started_at; check the tablet's clock"),
        (record(instance_id=7), 400, "bad_request", "instance_id must be a UUID string"),
        (record(instance_id="abc"), 400, "bad_request", "instance_id 'abc' is not a UUID"),
        (record(instance_id=uuid, deprecated_id=uuid), 400, "bad_request",
         "an edit needs a new instance_id"),
        (record(gps=[1, 2]), 400, "bad_request", "gps must be {lat, lon, accuracy} or null"),
        (record(gps={"lat": "x", "lon": 1}), 400, "bad_request", "with numbers"),
        (record(gps={"lat": 91, "lon": 1}), 422, "invalid", "gps latitude/longitude out of range"),
        (record(gps={"lat": 1, "lon": 1, "accuracy": -1}), 422, "invalid",
         "gps accuracy must be metres"),
        (record(attachments={}), 400, "bad_request", "attachments must be a list of"),
        (record(attachments=[{"field": "photo"}]), 400, "bad_request", "each attachment is"),
        (record(attachments=[{"field": "p", "filename": "a.jpg", "content_type": "image/jpeg",
                              "data": "%%%"}]), 400, "bad_request", "data is not base64"),
    ]

    def send(body):
        if isinstance(body, str):
            kind = "text/plain" if body == "x" else "application/json"
            return client.post("/api/v1/submissions", data=body, content_type=kind)
        return client.post("/api/v1/submissions", json=body)

    for body, status, code, english in cases:
        response = send(body)
        assert response.status_code == status, (english, response.get_json())
        said = response.get_json()
        assert said["error"] == code, (english, said)
        message = said["message"]
        assert english not in message and re.search(r"[\u4e00-\u9fff]", message), message
        assert not ENGLISH_RUN.search(message), message
    client.get("/?lang=en")
    for body, _status, code, english in cases:
        said = send(body).get_json()
        assert said["error"] == code and english in said["message"], (english, said)
    with app.extensions["evaluator.sessionmaker"]() as db:
        from sqlalchemy import func, select

        from evaluator.fieldwork.models import Submission
        assert db.scalar(select(func.count(Submission.id))) == 0


def test_the_sample_page_says_its_size_rule_in_chinese(app, client, field, sign_in):
    """The plan's formula is kept in English (evaluation.yaml, the command line); the sample
    page says each of the three rules in the page's language with the same numbers."""
    from evaluator.sampling.plan import sample_plan

    frame = {"城关镇": 600, "东城区": 400}
    plans = {"size": sample_plan(frame, seed=1, size=40),
             "margin": sample_plan(frame, seed=1, margin=0.05),
             "threshold": sample_plan(frame, seed=1, threshold=0.05, expected_errors=1)}
    chinese = {"size": "固定样本量",
               "margin": "科克伦公式：n0 = z^2 p(1-p) / E^2 = 384.15（z = 1.9600）；"
                         "n = n0 / (1 + (n0 - 1) / N)，N = 1000，向上取整",
               "threshold": "发现 1 个错误时判定的单侧置信上限不超过 0.05 的最小 n"}
    sign_in("lead")
    url = f"/evaluations/{field.evaluation_id}/sample"
    for rule, plan in plans.items():
        with app.extensions["evaluator.sessionmaker"]() as db:
            evaluation = db.get(Evaluation, field.evaluation_id)
            evaluation.sampling_plan = dict(evaluation.sampling_plan, formula=plan["formula"])
            db.commit()
        page = html.unescape(client.get(url).get_data(as_text=True))
        assert chinese[rule] in page and plan["formula"] not in page, rule
        english = html.unescape(client.get(url + "?lang=en").get_data(as_text=True))
        assert plan["formula"] in english, rule
        client.get(url + "?lang=zh")


def test_a_new_programme_and_a_renamed_workbook_are_refused_in_chinese(app, client, field,
                                                                       sign_in):
    from sqlalchemy import select

    from evaluator.rubrics.models import RubricVersion

    sign_in("lead")
    _programme(app, field)
    with app.extensions["evaluator.sessionmaker"]() as db:
        rubric = db.scalar(select(RubricVersion.id))
    form = {"key": "ah-2026", "title_zh": "x", "commissioning_body": "y",
            "period_start": "2026-11-01", "period_end": "2026-01-01", "rubric": str(rubric),
            "stratum_column": "stratum", "seed": "1"}
    said = "\n".join(_chinese_lines(client.post("/programmes/new", data=form).get_data(
        as_text=True), ("exists already", "the period ends before it starts")))
    assert "代码：评估项目 'ah-2026' 已存在" in said and "评估期止早于评估期起" in said
    bad_key = client.post("/programmes/new", data=dict(form, key="安徽 2026")).get_data(
        as_text=True)
    assert "1 至 40 个字母" in bad_key and "letters, digits" not in bad_key
    renamed = client.post(f"/evaluations/{field.evaluation_id}/system",
                          data={"file": (io.BytesIO(b"household_id\nH1\n"), "system.xlsx")},
                          content_type="multipart/form-data")
    page = html.unescape(renamed.get_data(as_text=True))
    assert renamed.status_code == 400 and "该文件不是 zip 格式" in page
    assert "File is not a zip file" not in page


def test_a_sample_that_disagrees_with_its_roster_and_plan_is_said_in_chinese(tmp_path):
    """sample.csv checked against roster.csv and the plan, as the scores page says it."""
    import shutil
    from pathlib import Path

    from evaluator.bundle import bundle_problems
    from evaluator.paths import SURVEYS_DIR
    from evaluator.surveys.definition import load_surveys

    bundle = tmp_path / "bundle"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal", bundle)
    sample = bundle / "sample.csv"
    lines = sample.read_text(encoding="utf-8-sig").splitlines()
    assert lines[2].startswith("CG005,城关镇,sample,2") and lines[4].startswith("QS002,清水河镇")
    lines[2] = lines[2].replace("CG005", "CG004")
    lines[4] = lines[4].replace("清水河镇", "城关镇")
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = [p for p in bundle_problems(bundle, load_surveys(SURVEYS_DIR), None)
             if p.file in ("sample.csv", "evaluation.yaml")]
    english = {str(p): problem_text(p, "zh") for p in found}
    assert english["sample.csv: row 3, column household_id: household 'CG004' drawn twice "
                   "(also row 2)"] == ("sample.csv: 第 3 行，household_id 列: 家庭 'CG004' 被抽中两次"
                                       "（另见第 2 行）")
    assert english["sample.csv: row 5, column stratum: '城关镇' but roster.csv puts household "
                   "QS002 in stratum '清水河镇'"].endswith(
        "分层为 '城关镇'，但台账（roster.csv）把家庭 QS002 列在层 '清水河镇'")
    assert english["evaluation.yaml: sampling.strata[1].sample: stratum 清水河镇: 2 drawn but "
                   "sample.csv has 1 with role sample"].endswith(
        "层 清水河镇：抽样方案抽取 2 户，但样本（sample.csv）中角色为 sample 的有 1 户")
    for said in english.values():
        assert not ENGLISH_RUN.search(said.split(": ", 2)[-1]), said


def _xlsform(survey: list[list], choices: list[list] | None = None) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for title, rows in (("survey", survey), ("choices", choices)):
        if rows is None:
            continue
        sheet = book.active if title == "survey" else book.create_sheet(title)
        sheet.title = title
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_pyxforms_commonest_refusals_are_said_in_chinese(client, field, sign_in):
    head = ["type", "name", "label"]
    yes_no = [["list_name", "name", "label"], ["yn", "yes", "是"], ["yn", "no", "否"]]
    cases = {  # a workbook pyxform refuses -> (its words in Chinese, pyxform's English)
        _xlsform([head, ["select_one yn", "q1", "问1"]]):
            ("pyxform 拒绝此表单：表单中有选择题，但没有可用的 choices 工作表",
             "There should be a choices sheet"),
        _xlsform([head, ["select_one yesno", "q1", "问1"]], yes_no):
            ("choices 工作表中没有选项列表“yesno”", "List name not in choices sheet"),
        _xlsform([head, ["integr", "q1", "问1"]], yes_no):
            ("未知的题型“integr”", "Unknown question type"),
        _xlsform([head, ["integer", "q1", "问1"], ["text", "q1", "问2"]], yes_no):
            ("名称（name）“q1”重复", "must be unique within their nearest parent"),
        _xlsform([head + ["relevant"], ["integer", "q1", "问1", None],
                  ["text", "q2", "问2", "${q9} > 1"]], yes_no):
            ("“survey”工作表中“relevant”列的值无效：引用的名称“q9”在 survey 工作表中不存在",
             "Could not find the name"),
        _xlsform([["type", "label"], ["integer", "问1"]], yes_no):
            ("有题目或分组没有名称", "Question or group with no name"),
        _xlsform([["name", "label"], ["q1", "问1"]], yes_no):
            ("“survey”工作表缺少必需的列标题：'type'", "required column headers were not found"),
        _xlsform([head, ["begin group", "g", "组"], ["integer", "q1", "问1"]], yes_no):
            ("“begin_group”（名称“g”）没有对应的“end_group”", "No matching 'end_group'"),
        _xlsform([head, ["select_one yn", "q1", "问1"]], yes_no + [["yn", "yes", "再是"]]):
            ("同一选项列表内的选项名称（name）重复", "Choice names must be unique"),
    }
    sign_in("author")
    for data, (chinese, english) in cases.items():
        response = client.post("/studio/surveys/upload", content_type="multipart/form-data",
                               data={"workbook": (io.BytesIO(data), "form.xlsx")})
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 400 and chinese in page, (chinese, page[-2000:])
        shown = re.sub(r"<details class=\"english\">.*?</details>", "", page, flags=re.S)
        assert english not in shown and "pyxform refuses" not in shown, english
        assert english in page  # the English original stays one click away
    client.get("/?lang=en")
    data = _xlsform([head, ["integr", "q1", "Q1"]], yes_no)
    page = html.unescape(client.post("/studio/surveys/upload", content_type="multipart/form-data",
                                     data={"workbook": (io.BytesIO(data), "form.xlsx")}
                                     ).get_data(as_text=True))
    assert "pyxform refuses the form: Unknown question type 'integr'." in page


def test_a_broken_evaluation_yaml_is_said_in_chinese(tmp_path):
    """evaluation.yaml refused by PyYAML, as the scores and report-refused pages say it
    (problem_text): the rubric's Chinese for the same mistake; the command line's English is
    PyYAML's problem alone, as before."""
    import shutil
    from pathlib import Path

    from evaluator.bundle import bundle_problems
    from evaluator.paths import SURVEYS_DIR
    from evaluator.surveys.definition import load_surveys

    bundle = tmp_path / "bundle"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal", bundle)
    cases = {
        b"id:x\ntitle: a\n": ("line 2, column 6: not valid YAML: mapping values are not allowed "
                              "here", "第 2 行第 6 列: 不是有效的 YAML：此处不能出现“键: 值”"),
        b"id: x\n\ttitle: a\n": ("line 2, column 1: not valid YAML: found character '\\t' that "
                                 "cannot start any token", "字符 '\\t' 不能出现在这里"),
        b"id: x\ntitle:\n    zh: a\n  en: b\n": (
            "line 4, column 3: not valid YAML: expected <block end>, but found "
            "'<block mapping start>'", "缩进不一致，这一行的键与同级的键没有对齐"),
        b"id: 'x\n": ("line 2, column 1: not valid YAML: found unexpected end of stream",
                      "引号没有闭合"),
        b"id: [x\n": ("line 2, column 1: not valid YAML: expected ',' or ']', but got "
                      "'<stream end>'", "方括号“[”没有闭合，文件就结束了"),
        b"id: x\ntitle\nversion: 1\n": ("line 3, column 1: not valid YAML: could not find "
                                        "expected ':'", "找不到应有的冒号"),
    }
    for raw, (english, chinese) in cases.items():
        (bundle / "evaluation.yaml").write_bytes(raw)
        found = [p for p in bundle_problems(bundle, load_surveys(SURVEYS_DIR), None)
                 if p.file == "evaluation.yaml"]
        assert [str(p) for p in found] == [f"evaluation.yaml: {english}"]
        zh = problem_text(found[0], "zh")
        assert chinese in zh and "not valid YAML" not in zh and not ENGLISH_RUN.search(zh), zh
        assert problem_text(found[0], "en") == str(found[0])


def test_an_encrypted_workbook_a_zip_and_a_runaway_cell_are_named_in_chinese(client, field,
                                                                            sign_in):
    """The library's reason in brackets, for the common cases a person can act on: a Compound
    File (a password-protected workbook, or an .xls renamed), a zip that is no workbook, a CSV
    cell past the csv module's limit (an unclosed quote). English as before, in English."""
    import zipfile

    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as book:
        book.writestr("word/document.xml", "<w/>")
    cases = {
        ("system.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600):
            ("加密（设有打开密码）的工作簿或旧版 .xls 文件", "File is not a zip file"),
        ("system.xlsx", docx.getvalue()):
            ("压缩包中没有 [Content_Types].xml", "There is no item named"),
        ("system.csv", b'household_id,note\nH1,"' + b"x" * 140000 + b"\n"):
            ("有一个单元格超过 131072 个字符", "field larger than field limit"),
    }
    sign_in("lead")
    url = f"/evaluations/{field.evaluation_id}/system"
    for (name, data), (chinese, english) in cases.items():
        response = client.post(url, data={"file": (io.BytesIO(data), name)},
                               content_type="multipart/form-data")
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 400 and chinese in page, (name, page[-1500:])
        assert english not in page, english
    client.get("/?lang=en")
    name, data = next(iter(cases))  # the encrypted workbook
    page = html.unescape(client.post(url, data={"file": (io.BytesIO(data), name)},
                                     content_type="multipart/form-data").get_data(as_text=True))
    assert "not a readable .xlsx workbook (File is not a zip file)" in page
