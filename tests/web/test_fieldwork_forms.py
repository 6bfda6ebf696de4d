"""Questionnaires generated from survey definitions: one WTForms class per survey version, the
same rules on the server and in the browser, and the tablet pages built from them."""

import copy
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from evaluator.definitions.expressions import ExpressionError, parse, to_json
from evaluator.fieldwork.forms import build_form, formdata_from_answers, survey_of
from evaluator.fieldwork.logic import FormModel
from evaluator.fieldwork.models import Attachment, Finding, Judgement, Submission
from evaluator.paths import PACKAGE_DIR, SURVEYS_DIR
from evaluator.surveys.definition import load_survey

HOUSEHOLD = SURVEYS_DIR / "household.yaml"
VECTORS = Path(__file__).parents[1] / "vectors" / "expressions.json"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def test_one_form_class_per_survey_version(app):
    survey = load_survey(HOUSEHOLD)
    with app.test_request_context():
        first = build_form(survey)
        assert build_form(load_survey(HOUSEHOLD)) is first
        content = copy.deepcopy(survey.content)
        content["version"] = "2099.1"
        other = build_form(survey_of("household", "2099.1", content))
        assert other is not first
        entry_form = first.members.args[0].args[0]  # FieldList(FormField(entry form))
        assert hasattr(entry_form, "member_age") and not hasattr(entry_form, "consent")
        for name in ("consent", "income_wage", "members", "household_size"):
            assert hasattr(first, name), name
        assert not hasattr(first, "start")  # device metadata is never a form field


def test_the_form_validates_posted_data_with_the_survey_rules(app):
    survey = load_survey(HOUSEHOLD)
    with app.test_request_context():
        form_class = build_form(survey)
        answers = {"household_id": "CG1", "consent": "yes", "respondent_relation": "self",
                   "members": [{"member_relation": "self", "member_age": "200",
                                "member_work": "employed", "member_health": "healthy"}]}
        form = form_class(formdata=formdata_from_answers(answers), meta={"csrf": False})
        assert not form.validate()
        assert form.members.entries[0].form.member_age.errors[0]["en"] == \
            "Age must be between 0 and 120"
        assert form.income_wage.errors  # required once consent is yes
        assert form.checked.answers["household_size"] == "1"
        refused = form_class(formdata=formdata_from_answers({"household_id": "CG1",
                                                              "consent": "no"}),
                             meta={"csrf": False})
        assert refused.validate(), refused.checked.problems
        assert refused.checked.answers["income_wage"] == ""


def test_relevance_requirements_and_calculations_follow_the_definition():
    model = FormModel(load_survey(HOUSEHOLD))
    base = {"household_id": "AB1", "consent": "yes", "respondent_relation": "self",
            "members": [{"member_relation": "self", "member_age": "50", "member_work": "unable",
                         "member_health": "serious"}],
            "income_wage": "0", "income_pension": "12000", "income_benefit": "0",
            "income_other": "0", "expense_medical": "2000", "expense_education": "0",
            "hardship_cause": "illness other", "needs": "medical", "aid_received": "no",
            "knows_helper": "no", "plan_known": "no", "food_secure": "yes",
            "clothing_secure": "yes", "medical_insured": "yes", "education_secure": "na",
            "housing_secure": "yes", "exit_told": "yes", "exit_agrees": "no",
            "exit_income_stable": "no", "satisfaction": "3"}
    checked = model.check(base, {"local_standard": "9600"})
    assert [p.field for p in checked.problems] == ["hardship_cause_other"]
    assert checked.answers["per_capita_income"] == "10000"
    assert checked.relevant["helper_visits_12m"] is False
    fixed = model.check({**base, "hardship_cause_other": "车祸"})
    assert fixed.ok
    unknown = model.check({**base, "hardship_cause_other": "车祸", "colour": "red"})
    assert [(p.field, p.code) for p in unknown.problems] == [("colour", "unknown")]


def test_a_broken_rule_in_a_definition_is_reported_not_crashed(app):
    survey = load_survey(HOUSEHOLD)
    content = copy.deepcopy(survey.content)
    for row in content["survey"]:
        if row.get("name") == "income_total":
            row["calculation"] = "date('soon')"
    model = FormModel(survey_of("household", "broken", content))
    checked = model.check({"household_id": "AB1", "consent": "yes"})
    rules = [p for p in checked.problems if p.code == "rule"]
    assert rules and "could not be evaluated" in rules[0].message["en"]


def test_the_questionnaire_page_carries_the_rules_as_ast(client, field, sign_in):
    sign_in("evaluator")
    household = field.sample[0]
    page = client.get(f"/evaluations/{field.evaluation_id}/collect/household/{household}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    model = json.loads(re.search(r'<script type="application/json" id="form-model">(.*?)</script>',
                                 html, re.S).group(1))
    assert model["fields"]["exit_agrees"]["relevant"][-1] == to_json(parse("${exit_told} = 'yes'"))
    assert model["calculations"] == ["household_size", "income_total", "per_capita_income"]
    context = json.loads(re.search(r'id="form-context">(.*?)</script>', html, re.S).group(1))
    assert context["household_id"] == household and "head_name" not in context
    assert f'value="{household}"' in html  # the household code is filled in
    assert 'name="members-__i__-member_age"' in html  # the repeat's template
    assert 'inputmode="decimal"' in html and 'type="radio"' in html
    assert "受访户是否同意接受调查？" in html


def test_the_household_members_section_is_named_once(client, field, sign_in):
    """Household survey 2026.2: the section is 家庭成员 and each entry 成员 (2026.1 showed
    家庭成员 twice, as the group's and the repeat's label)."""
    sign_in("evaluator")
    page = client.get(f"/evaluations/{field.evaluation_id}/collect/household/{field.sample[0]}")
    html = page.get_data(as_text=True)
    headings = re.findall(r"<h[234][^>]*>([^<]*)", html)
    assert headings.count("家庭成员") == 1
    assert "成员" in headings and "+ 添加成员" in html
    assert re.search(r'<section class="repeat" data-repeat="members">\s*<h3>成员</h3>', html)


def test_the_file_check_page_is_the_checklist(client, field, sign_in):
    sign_in("evaluator")
    page = client.get(f"/evaluations/{field.evaluation_id}/collect/file_check/{field.sample[1]}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "有民政部门家庭经济状况核对结果" in html
    assert html.count(' name="income_verified"') == 3  # yes, no, not applicable


def test_the_page_posts_without_javascript_too(app, client, field, sign_in):
    sign_in("evaluator")
    household = field.sample[0]
    url = f"/evaluations/{field.evaluation_id}/collect/household/{household}"
    html = client.get(url).get_data(as_text=True)
    instance_id = re.search(r'name="instance_id" value="([^"]+)"', html).group(1)
    data = {"instance_id": instance_id, "started_at": "2026-11-03T09:00:00+08:00",
            "household_id": household, "consent": "yes", "respondent_relation": "self",
            "members-0-member_relation": "self", "members-0-member_age": "130",
            "members-0-member_work": "employed", "members-0-member_health": "healthy"}
    refused = client.post(url, data=data)
    assert refused.status_code == 422
    assert "年龄应在0至120之间" in refused.get_data(as_text=True)
    data.update({"members-0-member_age": "61", "income_wage": "0", "income_pension": "20000",
                 "income_benefit": "0", "income_other": "0", "expense_medical": "0",
                 "expense_education": "0", "hardship_cause": ["illness", "low_wage"],
                 "needs": "medical", "aid_received": "no", "knows_helper": "no",
                 "plan_known": "no", "food_secure": "yes", "clothing_secure": "yes",
                 "medical_insured": "yes", "education_secure": "na", "housing_secure": "yes",
                 "exit_told": "unknown", "satisfaction": "3"})
    stored = client.post(url, data=data)
    assert stored.status_code == 302, stored.get_data(as_text=True)
    with app.extensions["evaluator.sessionmaker"]() as db:
        record = db.scalar(select(Submission))
        assert record.instance_id == instance_id and record.device_id == "web-form"
        assert record.data["hardship_cause"] == "illness low_wage"
        assert record.data["per_capita_income"] == "20000"
        assert record.data["username"] == "f-evaluator"
    page = client.get(url).get_data(as_text=True)
    assert "本户记录已提交" in page and f"edit={instance_id}" in page


def test_evaluators_open_only_their_households(client, field, sign_in, app):
    from evaluator.fieldwork.models import Assignment

    with app.extensions["evaluator.sessionmaker"]() as db:
        db.execute(Assignment.__table__.delete())
        db.commit()
    sign_in("evaluator")
    url = f"/evaluations/{field.evaluation_id}/collect/household/{field.sample[0]}"
    assert client.get(url).status_code == 403
    assert client.get(f"/evaluations/{field.evaluation_id}/collect/household/NOPE").status_code == 404
    assert client.get(f"/evaluations/{field.evaluation_id}/collect/system/{field.sample[0]}"
                      ).status_code == 404
    sign_in("lead")
    assert client.get(url).status_code == 200


def test_forum_records_and_judgements(app, client, field, sign_in):
    sign_in("evaluator")
    url = f"/evaluations/{field.evaluation_id}/forum"
    html = client.get(url).get_data(as_text=True)
    assert "M4" in html and "座谈会评议" in html
    form_html = re.search(r'name="instance_id" value="([^"]+)"', html).group(1)
    record = {"instance_id": form_html, "forum_id": "ZT-01", "forum_date": "2026-01-05",
              "township": "城关镇", "participant_types": ["cadres", "workers"],
              "participant_count": "9", "dimension": "mechanism", "notes": "走访记录有补记"}
    assert client.post(url, data=record).status_code == 302
    duplicate = dict(record, instance_id="4c1c8d6e-4f5e-4c8b-9a33-7d2b0f1e2a3b")
    refused = client.post(url, data=duplicate)
    assert refused.status_code == 409 and "已有关于" in refused.get_data(as_text=True)
    saved = client.post(f"/evaluations/{field.evaluation_id}/judgements",
                        data={"indicator": "M4", "score": "7.5", "reason": "机制运转正常"})
    assert saved.status_code == 302
    too_high = client.post(f"/evaluations/{field.evaluation_id}/judgements",
                           data={"indicator": "M4", "score": "11", "reason": "很好"})
    assert too_high.status_code == 400 and "应在 0 至 10 之间" in too_high.get_data(as_text=True)
    not_judgement = client.post(f"/evaluations/{field.evaluation_id}/judgements",
                                data={"indicator": "T1", "score": "5", "reason": "x"})
    assert not_judgement.status_code == 400
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.scalar(select(Judgement.score)) == 7.5
        forum = db.scalar(select(Submission).where(Submission.source == "forum"))
        assert forum.household_id is None and forum.data["participant_types"] == "cadres workers"
    page = client.get(url).get_data(as_text=True)
    assert "ZT-01" in page and "机制运转正常" in page


def test_findings_keep_photo_evidence_private(app, client, field, sign_in):
    sign_in("evaluator")
    url = f"/evaluations/{field.evaluation_id}/findings"
    assert client.get(url).status_code == 200
    data = {"indicator": "F3", "severity": "major", "description": "签领单缺签字",
            "household_id": field.sample[0], "responsible_unit": "城关镇工会",
            "responsible_person": "主席", "deadline": "2027-02-28",
            "photos": [(io.BytesIO(JPEG), "voucher.jpg", "image/jpeg")]}
    assert client.post(url, data=data, content_type="multipart/form-data").status_code == 302
    fake = dict(data, photos=[(io.BytesIO(b"MZ\x90\x00 not an image"), "virus.jpg", "image/jpeg")])
    refused = client.post(url, data=fake, content_type="multipart/form-data")
    assert refused.status_code == 400 and "不是 JPEG" in refused.get_data(as_text=True)
    with app.extensions["evaluator.sessionmaker"]() as db:
        finding = db.scalar(select(Finding))
        photo = db.scalar(select(Attachment))
        assert finding.severity == "major" and photo.finding_id == finding.id
        stored = Path(app.instance_path) / "attachments" / str(field.evaluation_id) / photo.token
        assert stored.read_bytes() == JPEG
        assert not str(stored).startswith(str(PACKAGE_DIR / "static"))
    page = client.get(url).get_data(as_text=True)
    assert f"/attachments/{photo.token}" in page and "签领单缺签字" in page
    assert client.get(f"/attachments/{photo.token}").data == JPEG
    sign_in("viewer")
    assert client.get(f"/attachments/{photo.token}").status_code == 404  # not finished yet


def js_cases():
    """The vectors with the server's AST; parse errors never reach the browser (no AST)."""
    cases = []
    for case in json.loads(VECTORS.read_text(encoding="utf-8")):
        try:
            ast = to_json(parse(case["expr"]))
        except ExpressionError:
            assert case.get("error") == "parse", case
            continue
        assert case.get("error") != "parse", case
        cases.append({**case, "ast": ast})
    return cases


NODE_RUNNER = r"""
const Expr = require(process.argv[1]);
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
function same(got, want) {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    if (want.nan) return typeof got === 'number' && isNaN(got);
    if ('inf' in want) return got === (want.inf > 0 ? Infinity : -Infinity);
  }
  if (typeof want === 'number') {
    if (typeof got !== 'number') return false;
    return got === want || Math.abs(got - want) <= 1e-9 * Math.max(Math.abs(want), Math.abs(got));
  }
  if (Array.isArray(want)) return Array.isArray(got) && got.length === want.length && want.every((w, i) => same(got[i], w));
  return got === want;
}
const failures = [];
for (const c of cases) {
  let got, err = null;
  try { got = Expr.evaluate(c.ast, c.answers || {}, {current: c.current, today: c.today || '2026-01-15', instances: c.instances}); }
  catch (e) { err = e; }
  const ok = c.error ? (err && err.kind === c.error) : (!err && same(got, c.expect));
  if (!ok) failures.push({expr: c.expr, got: err ? 'error: ' + err.message : String(got)});
}
console.log(JSON.stringify({count: cases.length, failures}));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_javascript_evaluator_passes_every_vector():
    cases = js_cases()
    result = subprocess.run(["node", "-e", NODE_RUNNER, str(PACKAGE_DIR / "static" / "js" /
                                                             "expr.js")],
                            input=json.dumps(cases), capture_output=True, text=True, check=True)
    outcome = json.loads(result.stdout)
    assert outcome["count"] == len(cases) > 300
    assert outcome["failures"] == []


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_vector_runner_notices_a_wrong_evaluator(tmp_path):
    """The runner above is not vacuous: an evaluator off by one is caught."""
    broken = tmp_path / "broken.js"
    source = (PACKAGE_DIR / "static" / "js" / "expr.js").read_text(encoding="utf-8")
    broken.write_text(source.replace("if (op === '+') { return a + b; }",
                                     "if (op === '+') { return a + b + 1; }"), encoding="utf-8")
    result = subprocess.run(["node", "-e", NODE_RUNNER, str(broken)], input=json.dumps(js_cases()),
                            capture_output=True, text=True, check=True)
    assert len(json.loads(result.stdout)["failures"]) > 5


def test_the_shipped_surveys_all_build_forms(app):
    with app.test_request_context():
        for path in sorted(SURVEYS_DIR.glob("*.yaml")):
            survey = load_survey(path)
            form_class = build_form(survey)
            assert form_class.model.survey.id == yaml.safe_load(path.read_text("utf-8"))["id"]


def test_the_questionnaire_page_with_its_scripts_and_styles_is_light(client, field, sign_in):
    import gzip

    sign_in("evaluator")
    page = client.get(f"/evaluations/{field.evaluation_id}/collect/household/{field.sample[0]}")
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("form.js" in a for a in assets) and any("expr.js" in a for a in assets)
    assert any("fieldwork.css" in a for a in assets)
    total = len(gzip.compress(page.data))
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
        total += len(gzip.compress(response.data))
        response.close()
    assert total < 100 * 1024, total


def test_the_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    text = response.get_data(as_text=True)
    version = json.loads(re.search(r"const VERSION = (.*?);\n", text).group(1))
    shell = json.loads(re.search(r"const SHELL = (\{.*?\});\n", text).group(1))
    config = json.loads(re.search(r"const CONFIG = (\{.*?\});\n", text).group(1))
    # The shell: "/" and "my assignments" offline, and every asset under this one version,
    # app.css included (the header is styled offline too).
    assert shell["pages"] == ["/", "/assignments"]
    for name in ("app.css", "fieldwork.css", "js/store.js", "js/queue.js", "js/sync.js",
                 "js/form.js", "js/record.js", "js/expr.js"):
        assert f"/static/{name}?v={version}" in shell["assets"], name
    assert all(u.endswith(f"?v={version}") for u in shell["assets"] + config["scripts"])
    assert config["assignments"] == "/api/v1/assignments"
    assert "self.addEventListener('fetch'" in text


def test_every_page_names_its_styles_under_the_app_version(client, field, sign_in):
    """app.css was once unversioned and outside the shell: the header lost its styles offline."""
    from evaluator.fieldwork.collect.tablet import asset_version

    sign_in("evaluator")
    for path in ("/", "/assignments", "/auth/login"):
        html = client.get(path).get_data(as_text=True)
        assert f'href="/static/app.css?v={asset_version()}"' in html, path
    page = client.get("/assignments")
    assert page.headers["X-App-Version"] == asset_version()
    assert page.headers["X-Evaluator-User"] == "f-evaluator"
