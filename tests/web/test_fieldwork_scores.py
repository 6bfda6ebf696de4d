"""The scoring service reads the rows straight into the bundle (no CSV written and parsed back),
checks them as the CLI does and keeps the sheet while nothing changes: its numbers, data hash
and problems must stay those of `evaluator score` / the bundle checker on the exported bundle."""

import csv
import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from evaluator.cli import main
from evaluator.fieldwork.models import Evaluation, Submission

SYSTEM = Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal" / "system.csv"
AWKWARD = ' 说是 "等一等",\r\n再等, 又等\n; 引号 "" 和逗号 , 结尾有空格 '


def file_check_record(field, household_id, **answers):
    base = {"household_id": household_id, "file_status": "registered", "file_cause": "illness",
            "file_aid_total": "3000", "has_application": "yes", "income_verified": "yes",
            "public_notice": "yes", "approval_signed": "yes", "has_plan": "yes",
            "helper_recorded": "yes", "visit_records": "yes", "vouchers_complete": "yes"}
    base.update(answers)
    return {"instance_id": str(uuid.uuid4()), "evaluation_id": field.evaluation_id,
            "source": "file_check", "household_id": household_id,
            "started_at": "2026-11-04T10:00:00+08:00", "ended_at": "2026-11-04T10:20:00+08:00",
            "answers": base}


def members(n):
    relations = ("self", "spouse", "child", "parent")
    return [{"member_relation": relations[i % 4], "member_age": str(40 - 9 * i),
             "member_work": "employed", "member_health": "healthy"} for i in range(n)]


@pytest.fixture
def varied(app, client, field, sign_in, api_post, household_record):
    """The fieldwork fixture with records of every shape: repeats of 1 to 3 members, blanks left
    by relevance (no aid, no helper known, no exit talk), free text with quotes, commas, line
    breaks and surrounding spaces, an edit replacing a record, a system export uploaded as GBK,
    a forum record, findings and judgements with awkward text; every record approved."""
    sign_in("lead")
    gbk = SYSTEM.read_bytes().decode("utf-8-sig").encode("gb18030")
    assert client.post(f"/evaluations/{field.evaluation_id}/system", data={
        "file": (io.BytesIO(gbk), "system-gbk.csv")},
        content_type="multipart/form-data").status_code == 302
    sign_in("evaluator")
    first = None
    for n, household in enumerate(field.sample):
        answers = {"members": members(1 + n % 3), "satisfaction": str(3 + n % 3),
                   "satisfaction_reason": "还行"}
        if n == 0:
            answers.update(satisfaction_reason=AWKWARD, hardship_cause="illness other",
                           hardship_cause_other="房屋 \"倒塌\", 无处居住")
        if n == 1:
            answers.update(aid_received="no", aid_types="", aid_amount_total="",
                           knows_helper="no", helper_visits_12m="", satisfaction="5",
                           satisfaction_reason="")
        if n == 2:
            answers.update(exit_told="yes", exit_agrees="no", exit_income_stable="no",
                           income_other="1234.5")
        record = household_record(household, **answers)
        if n == 1:
            record["gps"] = {"lat": 36.06, "lon": 103.83, "accuracy": 8}
        response = api_post(record)
        assert response.status_code == 201, response.get_data(as_text=True)
        if n == 0:
            first = record
        notes = {"file_notes": "档案齐全,\n但\"签字\"模糊 "} if n % 2 else {}
        assert api_post(file_check_record(field, household, **notes)).status_code == 201
    edit = household_record(field.sample[0], members=members(3), satisfaction="2",
                            satisfaction_reason=AWKWARD + "(已修改)")
    edit["deprecated_id"] = first["instance_id"]
    assert api_post(edit).status_code == 201
    forum = client.get(f"/evaluations/{field.evaluation_id}/forum").get_data(as_text=True)
    instance = forum.split('name="instance_id" value="', 1)[1].split('"', 1)[0]
    assert client.post(f"/evaluations/{field.evaluation_id}/forum", data={
        "instance_id": instance, "forum_id": "ZT-01", "forum_date": "2026-01-05",
        "township": "城关镇", "participant_types": ["cadres", "workers"],
        "participant_count": "9", "dimension": "mechanism",
        "notes": "走访记录有补记,\n\"台账\"齐全"}).status_code == 302
    for indicator, score, reason in (("M4", "7.5", "机制运转正常, 但\n\"记录\"偏少"),):
        assert client.post(f"/evaluations/{field.evaluation_id}/judgements", data={
            "indicator": indicator, "score": score, "reason": reason}).status_code == 302
    assert client.post(f"/evaluations/{field.evaluation_id}/findings", data={
        "indicator": "F3", "severity": "major", "description": "签领单缺签字,\r\n\"两户\"",
        "household_id": field.sample[1], "responsible_unit": "城关镇工会",
        "responsible_person": " 主席 ", "deadline": "2027-02-28"},
        content_type="multipart/form-data").status_code == 302
    sign_in("lead")
    with app.extensions["evaluator.sessionmaker"]() as db:
        for s in db.scalars(select(Submission).where(Submission.current.is_(True))):
            s.review_state = "approved"
        db.commit()
    return field


def exported(client, field, tmp_path) -> Path:
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(client.get(f"/evaluations/{field.evaluation_id}/bundle.zip").data)
    return archive


def slow_path(db, evaluation):
    """What the service did before: write the bundle files, read them, run check_files."""
    from evaluator.bundle.check import check_files
    from evaluator.bundle.reader import build_bundle
    from evaluator.fieldwork.exports.files import bundle_files
    from evaluator.fieldwork.queries import rubric_for, surveys_by_id

    files = bundle_files(db, evaluation)
    surveys = surveys_by_id(db, evaluation.id)
    bundle, read_problems = build_bundle(files, surveys, origin=evaluation.key)
    problems = check_files(files, surveys, rubric_for(db, evaluation), bundle=bundle,
                           read_problems=read_problems)
    return bundle, [str(p) for p in problems]


def test_the_service_scores_to_the_exported_bundle_byte_for_byte(app, client, varied, sign_in,
                                                                  tmp_path):
    from evaluator.fieldwork.exports.files import bundle_content
    from evaluator.fieldwork.exports.scores import read_content, score_evaluation
    from evaluator.fieldwork.queries import surveys_by_id

    archive = exported(client, varied, tmp_path)
    with zipfile.ZipFile(archive) as z:
        household, members_csv = (
            list(csv.DictReader(io.StringIO(z.read(name).decode("utf-8-sig"), newline="")))
            for name in ("household.csv", "household-members.csv"))
    reasons = [r["satisfaction_reason"] for r in household]
    assert len(household) == len(varied.sample)  # the edit replaced the first record
    assert any("\n" in r and '"等一等"' in r and r.endswith("(已修改)") for r in reasons), reasons
    assert len(members_csv) == 3 + sum(1 + n % 3 for n in range(1, len(varied.sample)))
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
        evaluation = db.get(Evaluation, varied.evaluation_id)
        scored = score_evaluation(db, evaluation)
        slow, slow_problems = slow_path(db, evaluation)
        fast, fast_problems = read_content(bundle_content(db, evaluation),
                                           surveys_by_id(db, evaluation.id), origin=evaluation.key)
    assert scored.problems == [] == slow_problems and fast_problems == []
    assert fast == slow and fast.data_hash == slow.data_hash == scored.data_hash
    assert fast.roster_row_numbers == slow.roster_row_numbers
    for name, data in slow.sources.items():
        assert fast.sources[name].row_numbers == data.row_numbers
        assert fast.sources[name].encoding == data.encoding
        for repeat, rows in data.repeats.items():
            assert fast.sources[name].repeats[repeat].row_numbers == rows.row_numbers
    result = CliRunner().invoke(main, ["score", str(archive), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert result.output == scored.sheet.to_json()
    assert json.loads(result.output)["data_hash"] == scored.data_hash


def test_problems_on_which_records_count_are_still_found(app, client, varied, sign_in, tmp_path):
    """A record of an unsampled household (a row the app refuses, written here behind its
    back) stops the scoring as it stops the CLI. A second current record for a household cannot
    be written even behind the app's back: the database refuses it (ix_submissions_current_record);
    the checker's "second record" problem is tested on bundles (tests/unit/test_bundle_check.py)."""
    from sqlalchemy.exc import IntegrityError

    from evaluator.fieldwork.exports.scores import score_evaluation

    def behind_the_back(db, original, household_id):
        db.add(Submission(instance_id=str(uuid.uuid4()), evaluation_id=original.evaluation_id,
                          source="household", survey_version_id=original.survey_version_id,
                          household_id=household_id, submitter_id=original.submitter_id,
                          data=dict(original.data, household_id=household_id),
                          body_hash="0" * 64, review_state="approved"))
        db.commit()

    with app.extensions["evaluator.sessionmaker"]() as db:
        original = db.scalar(select(Submission).where(Submission.source == "household",
                                                      Submission.current.is_(True))
                             .order_by(Submission.id))
        with pytest.raises(IntegrityError):
            behind_the_back(db, original, original.household_id)
        db.rollback()
        unsampled = next(h for h in ("CG001", "CG002", "CG003", "CG004", "CG005", "QS001",
                                     "QS002", "QS003")
                         if h not in varied.sample and h not in varied.reserve)
        behind_the_back(db, original, unsampled)
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
        evaluation = db.get(Evaluation, varied.evaluation_id)
        scored = score_evaluation(db, evaluation)
        slow, slow_problems = slow_path(db, evaluation)
    assert scored.sheet is None and scored.problems == slow_problems
    assert any(f"household {unsampled!r} is not in sample.csv" in p for p in scored.problems)
    assert scored.data_hash == slow.data_hash
    result = CliRunner().invoke(main, ["score", str(exported(client, varied, tmp_path))])
    assert result.exit_code != 0 and f"household {unsampled!r} is not in sample.csv" in (
        result.output)


@pytest.fixture
def small_field_limit():
    """The csv module's field size limit at 40 characters for one test."""
    previous = csv.field_size_limit(40)
    yield 40
    csv.field_size_limit(previous)


def test_cells_the_csv_reader_might_not_give_back_take_the_written_files(app, varied,
                                                                          small_field_limit):
    """A cell at the csv module's field size limit is not read from the cells: the service
    writes and reads the files, and finds what the CLI finds (here: the cell is too large)."""
    from evaluator.fieldwork.exports.scores import score_evaluation

    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
        evaluation = db.get(Evaluation, varied.evaluation_id)
        scored = score_evaluation(db, evaluation)
        slow, slow_problems = slow_path(db, evaluation)
    assert scored.sheet is None and scored.problems == slow_problems
    assert any("field larger than field limit" in p for p in scored.problems)
    assert scored.data_hash == slow.data_hash


def test_a_field_named_like_paradata_is_written_as_the_dict_row_was():
    from evaluator.bundle.writer import row_cells
    from evaluator.fieldwork.exports.files import PARADATA, clashing_columns, with_extra_cells

    fields = ["household_id", "device_id", "note", "submitter"]
    answers = ["CG001", "from the form", "x", "someone"]
    paradata = ["uuid:1", "2026-11-03T01:00:00Z", "tablet", "approved", "f-evaluator"]
    row = dict(zip(fields, answers, strict=True))
    row.update(zip(PARADATA, paradata, strict=True))
    assert with_extra_cells(list(answers), paradata, clashing_columns(fields, PARADATA)) == \
        row_cells(fields + list(PARADATA), row)
    assert with_extra_cells(["a"], ["k"], clashing_columns(["v"], ("KEY",))) == ["a", "k"]


def test_a_plan_without_roster_hash_has_the_roster_file_compared(app, varied):
    """The roster's bytes are written only for this check, and it finds what the CLI finds."""
    from evaluator.fieldwork.exports.scores import score_evaluation

    with app.extensions["evaluator.sessionmaker"]() as db:
        evaluation = db.get(Evaluation, varied.evaluation_id)
        plan = {k: v for k, v in evaluation.sampling_plan.items() if k != "roster_hash"}
        evaluation.sampling_plan = plan
        db.commit()
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
        evaluation = db.get(Evaluation, varied.evaluation_id)
        scored = score_evaluation(db, evaluation)
        slow, slow_problems = slow_path(db, evaluation)
    assert scored.sheet is None and scored.problems == slow_problems
    assert any("roster.csv is not byte for byte" in p for p in scored.problems)
    assert scored.data_hash == slow.data_hash


def test_the_garbage_collector_is_left_as_it_was_found(app, varied, monkeypatch):
    import gc

    from evaluator.fieldwork.exports import scores

    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
        evaluation = db.get(Evaluation, varied.evaluation_id)
        assert gc.isenabled()
        assert scores.score_evaluation(db, evaluation).sheet is not None
        assert gc.isenabled()
        gc.disable()
        try:
            scores.score_evaluation(db, evaluation)
            assert not gc.isenabled()
        finally:
            gc.enable()

        def broken(*args, **kwargs):
            assert not gc.isenabled()
            raise RuntimeError("broken")

        monkeypatch.setattr(scores, "read_tables", broken)
        with pytest.raises(RuntimeError):
            scores.score_evaluation(db, evaluation)
        assert gc.isenabled()


def test_answers_written_behind_the_apps_back_are_checked_as_the_cli_checks_them(app, client, varied,
                                                                                 tmp_path):
    """An answer the tablet form would refuse (a negative amount, a choice not in its list),
    written straight into the database, stops the scoring with the CLI's own problems."""
    from evaluator.fieldwork.exports.scores import score_evaluation

    with app.extensions["evaluator.sessionmaker"]() as db:
        records = db.scalars(select(Submission).where(Submission.source == "household",
                                                      Submission.current.is_(True))
                             .order_by(Submission.id)).all()
        records[0].data = dict(records[0].data, income_wage="-5")
        records[1].data = dict(records[1].data, consent="maybe")
        db.commit()
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
        evaluation = db.get(Evaluation, varied.evaluation_id)
        scored = score_evaluation(db, evaluation)
        slow, slow_problems = slow_path(db, evaluation)
    assert scored.sheet is None and scored.problems == slow_problems
    assert any("'-5' violates the constraint . >= 0" in p for p in scored.problems)
    assert any("'maybe' is not in choice list" in p for p in scored.problems)
    result = CliRunner().invoke(main, ["score", str(exported(client, varied, tmp_path))])
    assert result.exit_code != 0 and "'-5' violates the constraint" in result.output


def test_a_sheet_is_kept_until_a_record_or_a_review_changes(app, varied):
    from evaluator.fieldwork.exports.scores import score_evaluation

    def scored():
        with app.app_context(), app.extensions["evaluator.sessionmaker"]() as db:
            return score_evaluation(db, db.get(Evaluation, varied.evaluation_id))

    first = scored()
    assert first.sheet is not None and scored() is first  # kept: not scored again
    with app.extensions["evaluator.sessionmaker"]() as db:  # a record's answer changes
        record = db.scalar(select(Submission).where(Submission.source == "household",
                                                    Submission.current.is_(True)).order_by(Submission.id))
        record.data = dict(record.data, satisfaction="4" if record.data["satisfaction"] != "4" else "5")
        db.commit()
    second = scored()
    assert second is not first and second.data_hash != first.data_hash
    assert second.sheet.to_json() != first.sheet.to_json() and scored() is second
    with app.extensions["evaluator.sessionmaker"]() as db:  # a review takes a record out
        record = db.scalar(select(Submission).where(Submission.source == "file_check",
                                                    Submission.current.is_(True)).order_by(Submission.id))
        record.review_state = "rejected"
        db.commit()
    third = scored()
    assert third is not second and third.data_hash not in (first.data_hash, second.data_hash)
