"""Studio operations on the database: start, save (with conflicts), check, publish, diff, and
moving an evaluation in setup to a newer version. The pages are tested in test_studio_pages."""

from __future__ import annotations

import copy

import pytest
import yaml
from sqlalchemy import select

from evaluator.auth.models import User
from evaluator.fieldwork.audit import OperationError
from evaluator.fieldwork.models import AuditEntry, Evaluation
from evaluator.paths import RUBRICS_DIR
from evaluator.rubrics.definition import content_hash
from evaluator.rubrics.models import ImmutableVersionError, RubricVersion
from evaluator.studio import operations as ops
from evaluator.studio.diff import diff
from evaluator.studio.models import RubricDraft

SHIPPED = RUBRICS_DIR / "union-hardship.yaml"


@pytest.fixture
def db(app, definitions, make_user):
    make_user("author1", "author")
    make_user("author2", "author")
    make_user("lead1", "lead")
    with app.app_context(), app.extensions["evaluator.sessionmaker"]() as session:
        yield session
        session.rollback()


def user(db, name):
    return db.scalar(select(User).where(User.username == name))


def shipped_content():
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def test_start_from_shipped_is_the_next_version_of_the_stored_one(db):
    draft = ops.start_draft(db, user(db, "author1"), "shipped", shipped=SHIPPED.name)
    original = shipped_content()
    stored = db.scalar(select(RubricVersion).where(RubricVersion.key == original["id"]))
    assert draft.base_version_id == stored.id
    assert draft.content["version"] != original["version"]
    assert {**draft.content, "version": original["version"]} == original
    assert ops.next_version(db, original["id"], original["version"]) == draft.content["version"]
    assert set(draft.survey_version_ids) == set(original["sources"].values())
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "rubric_draft.create"))
    assert entry.new_value["origin"] == "shipped"


def test_next_version_skips_taken_versions():
    class Taken:
        def scalars(self, _query):
            return ["2026.2", "2026.3"]

    assert ops.next_version(Taken(), "k", "2026.1") == "2026.4"
    assert ops.next_version(Taken(), "k", "v2-final") == "v3-final"
    assert ops.next_version(Taken(), "k", "draft") == "draft.1"


def test_only_authors_and_admins_start_drafts(db):
    with pytest.raises(OperationError) as refused:
        ops.start_draft(db, user(db, "lead1"), "blank")
    assert refused.value.status == 403


def test_a_second_save_from_an_old_page_is_a_conflict_not_an_overwrite(db):
    draft = ops.start_draft(db, user(db, "author1"), "blank")
    db.commit()
    opened = draft.lock_version
    first = copy.deepcopy(draft.content)
    first["title"] = {"zh": "甲的标题", "en": ""}
    ops.save_draft(db, user(db, "author1"), draft, first, opened)
    db.commit()
    assert draft.lock_version == opened + 1
    second = copy.deepcopy(first)
    second["title"] = {"zh": "乙的标题", "en": ""}
    with pytest.raises(ops.ConflictError) as conflict:
        ops.save_draft(db, user(db, "author2"), draft, second, opened)
    assert conflict.value.status == 409 and conflict.value.current == opened + 1
    db.rollback()
    assert db.get(RubricDraft, draft.id).content["title"] == {"zh": "甲的标题", "en": ""}


def test_concurrent_flush_of_the_same_version_is_a_conflict(app, db):
    draft = ops.start_draft(db, user(db, "author1"), "blank")
    db.commit()
    with app.extensions["evaluator.sessionmaker"]() as other:
        theirs = other.get(RubricDraft, draft.id)
        ops.save_draft(other, other.get(User, draft.created_by_id), theirs,
                       {**theirs.content, "total": 90}, theirs.lock_version)
        other.commit()
    # this session still holds the old row and the old lock version
    with pytest.raises(ops.ConflictError):
        ops.save_draft(db, user(db, "author1"), draft, {**draft.content, "total": 80},
                       draft.lock_version)


def test_check_is_evaluator_checks_own_rules(db, tmp_path):
    from evaluator.paths import SURVEYS_DIR
    from evaluator.rubrics.commands import check_paths

    content = shipped_content()
    content["version"] = "9.9"
    content["dimensions"][0]["indicators"][0]["target"] = 0.5  # above its floor: lower is better
    content["dimensions"][1]["indicators"][0]["value"] = "${no_such_field}"
    draft = ops.start_draft(db, user(db, "author1"), "import", content=content)
    found = {(p.where, p.message) for p in ops.check_draft(db, draft)}
    path = tmp_path / "draft.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    cli = {(p.where, p.message) for p in check_paths([path, SURVEYS_DIR]).problems}
    assert found == cli and len(found) >= 2


def test_publish_freezes_an_immutable_version(db):
    author = user(db, "author1")
    draft = ops.start_draft(db, author, "shipped", shipped=SHIPPED.name)
    with pytest.raises(OperationError) as no_note:
        ops.publish_draft(db, author, draft, "  ", draft.lock_version)
    assert "change_note" in no_note.value.message
    stored = ops.publish_draft(db, author, draft, "错退率目标放宽", draft.lock_version)
    db.commit()
    assert stored.content_hash == content_hash(draft.content)
    assert (stored.published_by_id, stored.change_note, stored.based_on_id) == (
        author.id, "错退率目标放宽", draft.base_version_id)
    assert draft.status == "published" and draft.published_version_id == stored.id
    with pytest.raises(OperationError) as refused:
        ops.save_draft(db, author, draft, draft.content, draft.lock_version)
    assert refused.value.status == 409
    with pytest.raises(OperationError):
        ops.publish_draft(db, author, draft, "again", draft.lock_version)
    stored.content_hash = "0" * 64
    with pytest.raises(ImmutableVersionError):
        db.flush()


def test_an_invalid_draft_cannot_be_published(db):
    author = user(db, "author1")
    draft = ops.start_draft(db, author, "blank")
    with pytest.raises(OperationError) as refused:
        ops.publish_draft(db, author, draft, "first try", draft.lock_version)
    assert refused.value.problems and refused.value.status == 400
    assert db.scalar(select(RubricVersion).where(RubricVersion.key == "new-rubric")) is None


def test_a_published_version_cannot_be_published_twice(db):
    author = user(db, "author1")
    original = shipped_content()
    draft = ops.start_draft(db, author, "import", content=original)  # same id and version
    with pytest.raises(OperationError) as refused:
        ops.publish_draft(db, author, draft, "same again", draft.lock_version)
    assert refused.value.status == 409 and "version" in refused.value.message


def test_import_refuses_what_is_no_yaml_with_its_line(db):
    author = user(db, "author1")
    with pytest.raises(OperationError) as refused:
        ops.import_yaml(db, author, "r.yaml", b"id: x\n  bad: [\n")
    assert refused.value.problems and "line" in str(refused.value.problems[0])
    with pytest.raises(OperationError) as large:
        ops.import_yaml(db, author, "r.yaml", b"#" * (ops.MAX_IMPORT_BYTES + 1))
    assert large.value.status == 413
    draft = ops.import_yaml(db, author, "r.yaml", SHIPPED.read_bytes())
    assert draft.origin == "import" and draft.base_version_id is not None


def test_diff_names_added_removed_changed_and_moved_points():
    old = shipped_content()
    new = copy.deepcopy(old)
    o1 = new["dimensions"][5]["indicators"][0]
    o1["steps"][0]["at"] = 0.06
    new["dimensions"][0]["indicators"].pop(2)  # T3 removed, its 5 points to T1
    new["dimensions"][0]["indicators"][0]["points"] = 15
    new["dimensions"][4]["indicators"].append({"code": "D4", "name": "新指标", "points": 1})
    new["dimensions"][4]["points"] = 11
    new["dimensions"][5]["points"] = 19
    new["dimensions"][5]["indicators"][1]["points"] = 5
    found = diff(old, new)
    by_code = {i.code: i for i in found.indicators}
    assert by_code["T3"].status == "removed" and by_code["D4"].status == "added"
    assert [(c.key, c.old, c.new) for c in by_code["O1"].changes] == [
        ("steps", old["dimensions"][5]["indicators"][0]["steps"], o1["steps"])]
    assert (by_code["T1"].points_old, by_code["T1"].points_new) == (10, 15)
    dims = {d["code"]: d for d in found.dimensions}
    assert (dims["data"]["points_old"], dims["data"]["points_new"]) == (10, 11)
    assert dims["targeting"]["status"] == "same"  # its own points did not change
    assert not found.empty and diff(old, copy.deepcopy(old)).empty


def test_moving_an_evaluation_to_a_newer_version(app, field, db):
    lead = db.scalar(select(User).where(User.username == "f-lead"))
    evaluation = db.get(Evaluation, field.evaluation_id)
    author = user(db, "author1")
    draft = ops.start_draft(db, author, "shipped", shipped=SHIPPED.name)
    newer = ops.publish_draft(db, author, draft, "更新", draft.lock_version)
    with pytest.raises(OperationError) as in_fieldwork:
        ops.move_evaluation(db, lead, evaluation, newer)
    assert in_fieldwork.value.status == 409
    evaluation.status = "setup"
    with pytest.raises(OperationError) as not_lead:
        ops.move_evaluation(db, author, evaluation, newer)
    assert not_lead.value.status in (403, 404)
    old = evaluation.rubric_version_id
    with pytest.raises(OperationError):
        ops.move_evaluation(db, lead, evaluation, db.get(RubricVersion, old))  # not newer
    ops.move_evaluation(db, lead, evaluation, newer)
    assert evaluation.rubric_version_id == newer.id
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "evaluation.rubric"))
    assert entry.evaluation_id == evaluation.id and entry.user_id == lead.id
    assert entry.new_value == {"rubric": f"{newer.key} {newer.version}"}


def test_what_if_on_the_demo_bundle_is_evaluator_score_byte_for_byte(app, db, tmp_path):
    from click.testing import CliRunner

    from evaluator.cli import main
    from evaluator.studio import whatif

    author = user(db, "author1")
    draft = ops.start_draft(db, author, "shipped", shipped=SHIPPED.name)
    content = copy.deepcopy(draft.content)
    o1 = next(i for d in content["dimensions"] for i in d["indicators"] if i["code"] == "O1")
    o1["steps"] = [{"at": 0.5, "points": 8}, {"at": 0.6, "points": 4}]  # 错退率 up to 50 %: full
    base = db.get(RubricVersion, draft.base_version_id)
    result = whatif.run(db, content, base, None, app.instance_path)
    assert result.problems == [] and result.base_problems == []
    bundle = tmp_path / "instance" / "demo-bundle"
    assert bundle == whatif.demo_bundle(app.instance_path)
    path = tmp_path / "draft.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    cli = CliRunner().invoke(main, ["score", str(bundle), "--rubric", str(path), "--what-if",
                                    "--format", "json"])
    assert cli.exit_code == 0, cli.output
    assert cli.output == result.draft_json
    plain = CliRunner().invoke(main, ["score", str(bundle), "--format", "json"])
    assert yaml.safe_load(plain.output) == result.base  # the stored version, as the bundle names it
    rows = {r["code"]: r for r in result.comparison["indicators"]}
    assert rows["O1"]["changed"] and rows["O1"]["cells"]["points"]["draft"] == 8
    assert result.comparison["changed_indicators"] == ["O1"]
    assert result.comparison["head"]["total"]["draft"] == pytest.approx(
        result.base["total"] + 8 - rows["O1"]["cells"]["points"]["base"])
    refused = CliRunner().invoke(main, ["score", str(bundle), "--rubric", str(path),
                                        "--format", "json"])
    assert refused.exit_code == 1 and "the bundle names rubric" in refused.output
