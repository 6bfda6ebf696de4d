"""Every route, as every role: the expected status, from the URL map itself (no route forgotten).

Roles: anonymous, and the fixture users f-admin, f-author, f-lead, f-evaluator, f-viewer and
f-unit. The evaluation is in fieldwork (not finished); f-author is on no evaluation, so its pages
do not exist for them (404); an evaluator may open the households assigned to them and nothing
of the lead's; a viewer waits for the finished report; the evaluated unit (f-unit, role
``unit``, 被评估单位) sees none of the team's work, only its own feedback and rectification
pages. POSTs are sent empty: a permitted user then gets the form's 400, everyone else the
refusal.
"""

import base64
import hashlib
import re
from datetime import date
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from evaluator.auth.models import User
from evaluator.fieldwork.models import Attachment, Finding, Recheck, Submission
from evaluator.programmes.operations import create_programme
from evaluator.rubrics.models import RubricVersion
from evaluator.studio import operations as studio
from evaluator.surveys.models import SurveyVersion
from evaluator.surveys_web.models import SurveyUpload

ROLES = ("anonymous", "admin", "author", "lead", "evaluator", "viewer", "unit")
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def row(anonymous, admin, author, lead, evaluator, viewer, unit):
    return dict(zip(ROLES, (anonymous, admin, author, lead, evaluator, viewer, unit), strict=True))


PUBLIC = row(200, 200, 200, 200, 200, 200, 200)
SIGNED_IN = row(302, 200, 200, 200, 200, 200, 200)
LEAD_PAGE = row(302, 200, 404, 200, 403, 403, 403)
LEAD_POST = row(302, 400, 404, 400, 403, 403, 403)
TEAM_PAGE = row(302, 200, 404, 200, 200, 403, 403)
TEAM_POST = row(302, 400, 404, 400, 400, 403, 403)
AUTHOR_PAGE = row(302, 200, 200, 403, 403, 403, 403)
AUTHOR_POST = row(302, 400, 400, 403, 403, 403, 403)
ADMIN_PAGE = row(302, 200, 403, 403, 403, 403, 403)
ADMIN_POST = row(302, 400, 403, 403, 403, 403, 403)

# (method, expected statuses by role) per endpoint.
MATRIX = {
    "static": ("GET", PUBLIC),
    "web.home": ("GET", PUBLIC),
    "ops.healthz": ("GET", PUBLIC),
    "ops.readyz": ("GET", PUBLIC),
    "jobs.status": ("GET", row(302, 200, 404, 200, 404, 404, 404)),
    "auth.login": ("GET", PUBLIC),
    "auth.logout": ("POST", row(302, 302, 302, 302, 302, 302, 302)),
    "fieldwork.evaluations": ("GET", SIGNED_IN),
    "fieldwork.evaluation_new": ("GET", row(302, 200, 403, 200, 403, 403, 403)),
    "fieldwork.evaluation": ("GET", row(302, 200, 404, 200, 200, 200, 302)),
    "fieldwork.settings": ("POST", LEAD_POST),
    "fieldwork.finish": ("GET", LEAD_PAGE),
    "fieldwork.roster": ("GET", LEAD_PAGE),
    "fieldwork.members": ("GET", LEAD_PAGE),
    "fieldwork.member_remove": ("POST", LEAD_POST),
    "fieldwork.sample": ("GET", LEAD_PAGE),
    "fieldwork.assign": ("GET", LEAD_PAGE),
    "fieldwork.assign_households": ("POST", LEAD_POST),
    "fieldwork.system_data": ("GET", LEAD_PAGE),
    "fieldwork.reserves": ("GET", LEAD_PAGE),
    "fieldwork.reserves_undo": ("POST", LEAD_POST),
    "fieldwork.nonresponse": ("GET", TEAM_PAGE),
    "fieldwork.assignments": ("GET", SIGNED_IN),
    "fieldwork.collect": ("GET", TEAM_PAGE),
    "fieldwork.forum": ("GET", TEAM_PAGE),
    "fieldwork.judgement": ("POST", TEAM_POST),
    "fieldwork.findings": ("GET", TEAM_PAGE),
    "fieldwork.finding_edit": ("GET", LEAD_PAGE),
    "fieldwork.finding_delete": ("POST", LEAD_POST),
    "fieldwork.service_worker": ("GET", PUBLIC),
    "fieldwork.submissions": ("GET", LEAD_PAGE),
    "fieldwork.submissions_bulk": ("POST", LEAD_POST),
    "fieldwork.submission": ("GET", LEAD_PAGE),
    "fieldwork.quality": ("GET", LEAD_PAGE),
    "fieldwork.record_map": ("GET", LEAD_PAGE),
    "fieldwork.recheck": ("POST", LEAD_POST),
    "fieldwork.recheck_outcome": ("POST", LEAD_POST),
    "fieldwork.audit": ("GET", LEAD_PAGE),
    "fieldwork.export": ("GET", LEAD_PAGE),
    "fieldwork.export_bundle": ("GET", LEAD_PAGE),
    "fieldwork.scores": ("GET", row(302, 200, 404, 200, 403, 403, 403)),
    "fieldwork.report": ("GET", row(302, 200, 404, 200, 403, 403, 403)),
    "fieldwork.report_pdf": ("GET", row(302, 200, 404, 200, 403, 403, 403)),
    "fieldwork.attachment": ("GET", row(302, 200, 404, 200, 200, 404, 404)),
    "fieldwork.problem_list": ("GET", row(302, 404, 404, 404, 404, 404, 404)),
    # the evaluated unit collects nothing: no records to send, no forms to keep offline
    "api.create_submission": ("POST", row(401, 400, 400, 400, 400, 400, 403)),
    "api.get_submission": ("GET", row(401, 200, 404, 200, 200, 404, 404)),
    "api.assignments": ("GET", row(401, 200, 200, 200, 200, 200, 403)),
    "api.session_info": ("GET", row(401, 200, 200, 200, 200, 200, 200)),
    "api.openapi": ("GET", PUBLIC),
    # feedback and rectification: the lead and the evaluated unit, each its own steps
    "feedback.appeals": ("GET", row(302, 200, 404, 200, 403, 403, 200)),
    "feedback.publish": ("POST", LEAD_POST),
    "feedback.answer": ("POST", row(302, 403, 404, 403, 403, 403, 400)),
    "feedback.decide": ("POST", LEAD_POST),
    "feedback.rectification": ("GET", row(302, 200, 404, 200, 403, 403, 200)),
    "feedback.rectify": ("POST", row(302, 400, 404, 400, 403, 403, 400)),
    "feedback.rectification_csv": ("GET", row(302, 200, 404, 200, 403, 403, 200)),
    "feedback.lookback": ("GET", LEAD_PAGE),
    "feedback.rectification_pdf": ("GET", row(302, 200, 404, 200, 403, 403, 200)),
    # programmes: the programme's lead (f-lead made it) and administrators, nobody else
    "programmes.programmes": ("GET", SIGNED_IN),
    "programmes.programme_new": ("GET", row(302, 200, 403, 200, 403, 403, 403)),
    "programmes.dashboard": ("GET", row(302, 200, 404, 200, 404, 404, 404)),
    "programmes.units": ("POST", row(302, 400, 404, 400, 404, 404, 404)),
    "programmes.score": ("POST", row(302, 302, 404, 302, 404, 404, 404)),
    "programmes.result": ("GET", row(302, 200, 404, 200, 404, 404, 404)),
    "programmes.programme_zip": ("GET", row(302, 200, 404, 200, 404, 404, 404)),
    # no unit is scored yet: the page says so (409)
    "programmes.report_pdf": ("GET", row(302, 409, 404, 409, 404, 404, 404)),
    "studio.index": ("GET", AUTHOR_PAGE),
    "studio.start": ("POST", AUTHOR_POST),
    "studio.import_rubric": ("POST", AUTHOR_POST),
    "studio.editor": ("GET", AUTHOR_PAGE),
    "studio.autosave": ("POST", row(302, 409, 409, 403, 403, 403, 403)),  # no lock version: stale
    "studio.check": ("GET", AUTHOR_PAGE),
    "studio.publish": ("POST", AUTHOR_POST),
    "studio.what_if": ("GET", AUTHOR_PAGE),
    "studio.what_if_json": ("GET", AUTHOR_PAGE),
    "studio.draft_yaml": ("GET", AUTHOR_PAGE),
    "studio.version": ("GET", AUTHOR_PAGE),
    "studio.version_yaml": ("GET", AUTHOR_PAGE),
    "studio.diff": ("GET", AUTHOR_PAGE),
    "studio.move_evaluation": ("POST", LEAD_POST),
    "surveys.index": ("GET", AUTHOR_PAGE),
    "surveys.upload": ("POST", AUTHOR_POST),
    "surveys.upload_page": ("GET", AUTHOR_PAGE),
    "surveys.upload_preview": ("GET", AUTHOR_PAGE),
    "surveys.publish": ("POST", AUTHOR_POST),
    "surveys.version_page": ("GET", AUTHOR_PAGE),
    "surveys.version_preview": ("GET", AUTHOR_PAGE),
    "surveys.version_xlsform": ("GET", AUTHOR_PAGE),
    "surveys.version_yaml": ("GET", AUTHOR_PAGE),
    "people.users": ("GET", ADMIN_PAGE),
    "people.user_page": ("GET", ADMIN_PAGE),
    "people.set_role": ("POST", ADMIN_POST),
    "people.set_active": ("POST", ADMIN_POST),
    "people.reset": ("POST", ADMIN_POST),
    "people.unlock": ("POST", row(302, 303, 403, 403, 403, 403, 403)),  # nothing to fill in
    "people.own_password": ("GET", SIGNED_IN),
    "people.welcome": ("GET", row(404, 404, 404, 404, 404, 404, 404)),  # no such link
    "people.team_search": ("GET", LEAD_PAGE),
    "people.invite": ("POST", LEAD_POST),
}


@pytest.fixture
def world(app, client, field, sign_in, api_post, household_record):
    """A stored record with a photo and a call-back check, for the routes that name them."""
    sign_in("evaluator")
    record = household_record(field.sample[0], door_photo="door.png")
    record["attachments"] = [{"field": "door_photo", "filename": "door.png",
                              "content_type": "image/png", "data": base64.b64encode(PNG).decode()}]
    assert api_post(record).status_code == 201
    sign_in("lead")
    assert client.post(f"/evaluations/{field.evaluation_id}/recheck",
                       data={"size": "1", "seed": "5"}).status_code == 302
    sign_in(None)
    queue = app.extensions["evaluator.jobs"]  # a job about the evaluation: its lead sees it
    job = queue.enqueue("report.pdf", {"pdf": "matrix"},
                        {"evaluation_id": field.evaluation_id, "lang": "zh", "draft": True})
    assert queue.wait(job, 60).state in ("done", "failed")
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        programme = create_programme(
            db, db.get(User, field.users["lead"]), key="matrix", title_zh="矩阵测试",
            commissioning_body="省总工会", period_start=date(2026, 1, 1),
            period_end=date(2026, 10, 31), rubric=db.scalar(select(RubricVersion)))
        programme_id = programme.id
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        token = db.scalar(select(Attachment.token))
        recheck = db.scalar(select(Recheck.id))
        instance_id = db.scalar(select(Submission.instance_id))
        finding = Finding(evaluation_id=field.evaluation_id, indicator="T1", severity="minor",
                          description="台账信息不全", responsible_unit="演示县总工会",
                          responsible_person="张三", deadline=date(2026, 12, 31),
                          created_by_id=field.users["lead"])
        db.add(finding)
        author = db.scalar(select(User).where(User.username == field.username("author")))
        draft = studio.start_draft(db, author, "shipped", shipped="union-hardship.yaml")
        version_id = draft.base_version_id
        survey = db.scalar(select(SurveyVersion).where(SurveyVersion.key == "household"))
        upload = SurveyUpload(key="household", version="matrix", filename="household.xlsx",
                              content={**survey.content, "version": "matrix"},
                              uploaded_by_id=author.id)
        db.add(upload)
        extra = User(username="f-extra", role="evaluator", display_name="", password_hash="x")
        db.add(extra)
        db.flush()
        draft_id, user_id, finding_id, upload_id = draft.id, extra.id, finding.id, upload.id
    return {
        "evaluation_id": field.evaluation_id, "source": "household",
        "household_id": field.sample[0], "instance_id": instance_id, "recheck_id": recheck,
        "token": token, "fmt": "csv", "filename": "app.css", "job": job,
        "programme_id": programme_id, "finding_id": finding_id, "response_id": 1,
        "draft_id": draft_id, "version_id": version_id, "user_id": user_id,
        "upload_id": upload_id,
    }


def url_for_rule(app, rule, values):
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments})


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(MATRIX), (endpoints - set(MATRIX), set(MATRIX) - endpoints)


def test_every_route_as_every_role(app, world, field):
    rules = {}
    for rule in app.url_map.iter_rules():
        rules.setdefault(rule.endpoint, rule)
    failures = []
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            signed = client.post("/auth/login", data={"username": field.username(role),
                                                      "password": field.password})
            assert signed.status_code == 302
        for endpoint, (method, expected) in sorted(MATRIX.items(), key=lambda kv: kv[0] ==
                                                   "auth.logout"):
            rule = rules[endpoint]
            assert method in rule.methods, (endpoint, method)
            url = url_for_rule(app, rule, world)
            if method == "GET":
                response = client.get(url)
            elif endpoint.startswith("api."):
                response = client.post(url, json={})
            else:
                response = client.post(url, data={})
            if response.status_code != expected[role]:
                failures.append(f"{role:<9} {method} {url}: {response.status_code}, "
                                f"expected {expected[role]}")
            if endpoint.startswith("api.") and response.status_code >= 400:
                assert response.is_json and response.get_json()["message"], url
    assert failures == []


class _InlineCode(HTMLParser):
    """What a Content-Security-Policy without 'unsafe-inline' would block in a page: inline
    scripts (JSON data islands are not scripts), event-handler attributes, javascript: URLs,
    style attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            kind = (attributes.get("type") or "").lower()
            if not attributes.get("src") and kind != "application/json":
                self.found.append(f"inline <script type={kind!r}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style={value!r}>")
            if name in ("href", "src", "action", "formaction") and \
                    (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")


def test_every_response_has_the_security_headers_and_no_page_inline_code(app, world, field):
    """Every route as every role: the CSP (no inline script, no framing) and the other headers
    on every response, and nothing in any HTML page that the CSP would block."""
    rules = {}
    for rule in app.url_map.iter_rules():
        rules.setdefault(rule.endpoint, rule)
    problems, pages = [], 0
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            client.post("/auth/login", data={"username": field.username(role),
                                             "password": field.password})
        for endpoint, (method, _expected) in sorted(MATRIX.items()):
            if endpoint == "auth.logout":
                continue
            url = url_for_rule(app, rules[endpoint], world)
            response = client.get(url) if method == "GET" else client.post(url, data={})
            csp = response.headers.get("Content-Security-Policy", "")
            directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
            if directives.get("frame-ancestors") != "'none'" or \
                    directives.get("script-src") != "'self'" or \
                    "unsafe" in csp or directives.get("object-src") != "'none'":
                problems.append(f"{role} {url}: CSP {csp!r}")
            for header, value in (("X-Frame-Options", "DENY"),
                                  ("X-Content-Type-Options", "nosniff"),
                                  ("Referrer-Policy", "same-origin")):
                if response.headers.get(header) != value:
                    problems.append(f"{role} {url}: {header} {response.headers.get(header)!r}")
            if "geolocation=(self)" not in response.headers.get("Permissions-Policy", ""):
                problems.append(f"{role} {url}: Permissions-Policy missing")
            if "Strict-Transport-Security" in response.headers:
                problems.append(f"{role} {url}: HSTS on plain HTTP")
            if response.mimetype == "text/html":
                pages += 1
                parser = _InlineCode()
                parser.feed(response.get_data(as_text=True))
                problems += [f"{role} {url}: {found}" for found in parser.found]
    assert problems == []
    assert pages > 40  # the pages were really looked at (each role sees some)


def test_hsts_only_when_cookies_are_secure(app, client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers
    app.config["SESSION_COOKIE_SECURE"] = True
    hsts = client.get("/auth/login").headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=31536000")


def test_the_report_preview_allows_only_its_own_style_blocks(app, world, field):
    client = app.test_client()
    client.post("/auth/login", data={"username": field.username("lead"),
                                     "password": field.password})
    response = client.get(f"/evaluations/{field.evaluation_id}/report")
    assert response.status_code == 200
    styles = re.findall(r"<style[^>]*>(.*?)</style>", response.get_data(as_text=True), re.S)
    assert styles
    allowed = dict(d.strip().split(" ", 1) for d in response.headers[
        "Content-Security-Policy"].split(";"))["style-src"].split()
    expected = {"'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
                + "'" for css in styles}
    assert set(allowed) == {"'self'"} | expected
