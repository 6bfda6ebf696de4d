"""An evaluation bound to a rubric version today's rubric rules refuse (union-hardship 2026.1,
stored before issue 13: a veto on a raw sample count, 100 % targets without verdict_at): every
page answers without a 5xx — the pages that need the rubric with a 409 naming the version and
the rules, the evaluation page with a banner — and the lead re-binds it to 2026.2 (audited,
records kept), after which the scores compute on the new version."""

import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from evaluator.fieldwork.models import AuditEntry, Evaluation, Finding, Judgement, Submission
from evaluator.rubrics.models import RubricVersion
from tests.web.test_fieldwork_report import approved  # noqa: F401
from tests.web.test_role_matrix import MATRIX, ROLES, url_for_rule, world  # noqa: F401

OLD_RUBRIC = Path(__file__).parents[1] / "fixtures" / "rubrics" / "union-hardship-2026.1.yaml"
RULE = "max_count counted sampled households"  # one of the rules 2026.1 fails (the audit's words)
RULE_ZH = "max_count 统计的是样本户数"  # the same rule as the (Chinese) pages say it


def names_rule(text: str) -> bool:
    """The page names the rule: in Chinese where it says the rule's own problem (the studio's
    and evaluation pages'), in English where it quotes the scoring refusal's detail."""
    return RULE_ZH in text or RULE in text


def bind_to_old(app, evaluation_id: int) -> int:
    """Store 2026.1 beside 2026.2 and bind the evaluation to it, as a database from before
    issue 13 holds it (the ORM stores a version; only the binding is written directly)."""
    old = yaml.safe_load(OLD_RUBRIC.read_text(encoding="utf-8"))
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        row = RubricVersion(key=old["id"], version=str(old["version"]),
                            title_zh=old["title"]["zh"], content=old, content_hash="0" * 64)
        db.add(row)
        db.flush()
        table = Evaluation.__table__
        db.execute(table.update().where(table.c.id == evaluation_id)
                   .values(rubric_version_id=row.id))
        return row.id


def version_id(app, version: str) -> int:
    with app.extensions["evaluator.sessionmaker"]() as db:
        return db.scalar(select(RubricVersion.id).where(RubricVersion.version == version))


def test_every_get_route_of_such_an_evaluation_answers_without_a_server_error(
        app, world, field):  # noqa: F811
    """The role matrix's every GET route, as every role, on the evaluation bound to 2026.1."""
    bind_to_old(app, field.evaluation_id)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a failure answers 500 here instead of raising
    rules = {}
    for rule in app.url_map.iter_rules():
        rules.setdefault(rule.endpoint, rule)
    server_errors, refused = [], set()
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            client.post("/auth/login", data={"username": field.username(role),
                                             "password": field.password})
        for endpoint, (method, _expected) in sorted(MATRIX.items()):
            if method != "GET":
                continue
            url = url_for_rule(app, rules[endpoint], world)
            response = client.get(url)
            if response.status_code >= 500:
                server_errors.append(f"{role} {url}: {response.status_code}")
            if response.status_code == 409 and endpoint.startswith("fieldwork."):
                text = response.get_data(as_text=True)
                assert "union-hardship 2026.1" in text and names_rule(text), (role, url)
                refused.add(endpoint)
    assert server_errors == []
    # the pages that need the rubric say why (they answered 500 before)
    assert {"fieldwork.findings", "fieldwork.forum", "fieldwork.finding_edit"} <= refused


def test_the_pages_name_the_version_and_rule_and_posts_are_refused_without_change(
        app, client, field, sign_in):
    bind_to_old(app, field.evaluation_id)
    url = f"/evaluations/{field.evaluation_id}"
    sign_in("evaluator")
    overview = client.get(url)
    assert overview.status_code == 200
    assert "union-hardship 2026.1" in overview.text and RULE_ZH in overview.text
    assert 'name="version_id"' not in overview.text  # the evaluator cannot re-bind
    findings = client.get(f"{url}/findings")
    assert findings.status_code == 409 and "现行指标体系规则" in findings.text
    judged = client.post(f"{url}/judgements", data={"indicator": "M4", "score": "8",
                                                    "reason": "座谈评议"})
    assert judged.status_code == 409 and RULE_ZH in judged.text
    english = client.get(f"{url}/forum?lang=en")
    assert english.status_code == 409 and "which the current rubric rules refuse" in english.text
    assert RULE in english.text  # the rules in the page's language
    sign_in("lead")
    page = client.get(f"{url}/findings")
    assert page.status_code == 409 and 'name="version_id"' in page.text
    assert f'value="{version_id(app, "2026.2")}"' in page.text  # the version that passes
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.scalar(select(Judgement.id)) is None


def test_the_lead_re_binds_it_to_the_current_version_and_the_scores_compute(
        app, client, approved, sign_in):  # noqa: F811
    """In fieldwork, with every record approved, a finding and a judgement: re-bound to 2026.2,
    audited with both versions and the rules that refused the old one; nothing is lost."""
    from datetime import date

    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        db.add(Finding(evaluation_id=approved.evaluation_id, indicator="T1", severity="minor",
                       description="台账信息不全", responsible_unit="演示县总工会",
                       responsible_person="张三", deadline=date(2026, 12, 31),
                       created_by_id=approved.users["lead"]))
        records_before = db.scalar(select(Submission.id).order_by(Submission.id.desc()))
    old_id = bind_to_old(app, approved.evaluation_id)
    url = f"/evaluations/{approved.evaluation_id}"
    scores = client.get(f"{url}/scores")
    assert scores.status_code == 200 and RULE_ZH in scores.text
    assert not re.search(r'<p class="total"><b>', scores.text)
    new_id = version_id(app, "2026.2")
    assert client.post(f"{url}/rubric", data={"version_id": old_id}).status_code == 400
    sign_in("evaluator")
    assert client.post(f"{url}/rubric", data={"version_id": new_id}).status_code == 403
    sign_in("lead")
    moved = client.post(f"{url}/rubric", data={"version_id": new_id})
    assert moved.status_code == 303
    with app.extensions["evaluator.sessionmaker"]() as db:
        evaluation = db.get(Evaluation, approved.evaluation_id)
        assert evaluation.rubric_version_id == new_id and evaluation.status == "fieldwork"
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "evaluation.rubric"))
        assert entry.old_value["rubric"] == "union-hardship 2026.1"
        assert any(RULE in rule for rule in entry.old_value["refused_by"])
        assert entry.new_value == {"rubric": "union-hardship 2026.2", "status": "fieldwork"}
        assert db.scalar(select(Submission.id).order_by(Submission.id.desc())) == records_before
        assert db.scalar(select(Finding.indicator)) == "T1"
    overview = client.get(url)
    assert not names_rule(overview.text) and 'name="version_id"' not in overview.text
    scores = client.get(f"{url}/scores")
    assert scores.status_code == 200 and not names_rule(scores.text)
    total = re.search(r'<p class="total"><b>([\d.]+)</b> / 100', scores.text)
    assert total and 0 < float(total.group(1)) <= 100
    assert client.get(f"{url}/findings").status_code == 200
    # a version that passes is not re-bound once fieldwork started (the setup-only rule holds)
    assert client.post(f"{url}/rubric", data={"version_id": old_id}).status_code == 409


@pytest.mark.parametrize("state", ["finished"])
def test_a_finished_evaluation_is_re_bound_too(app, client, field, sign_in, state):
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        db.get(Evaluation, field.evaluation_id).status = state
    bind_to_old(app, field.evaluation_id)
    sign_in("lead")
    url = f"/evaluations/{field.evaluation_id}"
    assert client.post(f"{url}/rubric",
                       data={"version_id": version_id(app, "2026.2")}).status_code == 303
    with app.extensions["evaluator.sessionmaker"]() as db:
        assert db.get(Evaluation, field.evaluation_id).status == state
