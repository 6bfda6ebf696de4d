"""The honest finish: an incomplete evaluation is refused, or finished by the lead with a
written reason that the report prints (summary and methodology) and the scores page shows."""

from sqlalchemy import select

from evaluator.fieldwork.manage.finish import FinishChecks, finish_evaluation
from evaluator.fieldwork.models import AuditEntry, Evaluation

REASON = "两户长期外出务工无法入户，已电话核实，委托方同意按现有样本结束评估。"


def evaluation_row(app, field):
    with app.extensions["evaluator.sessionmaker"]() as db:
        e = db.get(Evaluation, field.evaluation_id)
        return e.status, e.finish_reason


def test_the_finish_page_lists_what_is_missing(client, field, sign_in):
    sign_in("lead")
    page = client.get(f"/evaluations/{field.evaluation_id}/finish").get_data(as_text=True)
    total = len(field.sample)
    assert f"{total} 户样本户中有 {total} 户尚未入户调查" in page
    assert field.sample[0] in page  # the unvisited households are named


def test_an_incomplete_evaluation_is_refused_without_confirmation_and_reason(app, client, field,
                                                                              sign_in):
    sign_in("lead")
    url = f"/evaluations/{field.evaluation_id}/finish"
    refused = client.post(url, data={"reason": REASON})  # no confirmation
    assert refused.status_code == 409 and "确认并写明理由" in refused.get_data(as_text=True)
    short = client.post(url, data={"confirm": "y", "reason": "赶时间"})  # 3 characters
    assert short.status_code == 409 and "至少 10 个字" in short.get_data(as_text=True)
    exactly_too_short = client.post(url, data={"confirm": "y", "reason": "1234567 9"})  # 9 chars
    assert exactly_too_short.status_code == 409
    assert evaluation_row(app, field) == ("fieldwork", "")


def test_the_lead_finishes_with_a_reason_which_is_audited(app, client, field, sign_in):
    sign_in("lead")
    response = client.post(f"/evaluations/{field.evaluation_id}/finish",
                           data={"confirm": "y", "reason": "  1234567890  "})  # 10: enough
    assert response.status_code == 302
    assert evaluation_row(app, field) == ("finished", "1234567890")
    with app.extensions["evaluator.sessionmaker"]() as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "evaluation.finish"))
    assert entry.new_value["finish_reason"] == "1234567890"
    assert entry.new_value["unvisited"] == len(field.sample)


def test_the_settings_cannot_skip_the_finish_checks(app, client, field, sign_in):
    sign_in("lead")
    response = client.post(f"/evaluations/{field.evaluation_id}/settings", data={
        "status": "finished", "count_policy": "approved", "min_interview_minutes": "10",
        "aid_tolerance": "0.1"})
    assert response.status_code == 409
    assert evaluation_row(app, field)[0] == "fieldwork"


def test_only_the_lead_finishes(client, field, sign_in):
    sign_in("evaluator")
    assert client.post(f"/evaluations/{field.evaluation_id}/finish",
                       data={"confirm": "y", "reason": REASON}).status_code in (403, 404)


def test_a_complete_evaluation_finishes_without_a_reason(app, field):
    from evaluator.auth.models import User

    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
        lead = db.scalar(select(User).where(User.username == field.username("lead")))
        evaluation = db.get(Evaluation, field.evaluation_id)
        finish_evaluation(db, lead, evaluation, FinishChecks(sampled=4), confirmed=False,
                          reason="ignored when nothing is missing")
        db.commit()
    assert evaluation_row(app, field) == ("finished", "")


def test_reopening_drops_the_reason(app, client, field, sign_in):
    sign_in("lead")
    client.post(f"/evaluations/{field.evaluation_id}/finish", data={"confirm": "y",
                                                                    "reason": REASON})
    client.post(f"/evaluations/{field.evaluation_id}/settings", data={
        "status": "fieldwork", "count_policy": "approved", "min_interview_minutes": "10",
        "aid_tolerance": "0.1"})
    assert evaluation_row(app, field) == ("fieldwork", "")
