"""Reading bundles: folder and zip, encodings, ODK/Kobo export conventions, zip safety, writing back."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest

from evaluator.bundle import (
    Bundle,
    bundle_files,
    data_hash,
    load_bundle,
    read_bundle,
    roster_hash,
    write_bundle,
    zip_bytes,
)
from evaluator.bundle import archive as archive_module
from evaluator.bundle.hashing import roster_hash_columns
from evaluator.bundle.source_files import classify_columns, survey_spec
from evaluator.definitions.problems import DefinitionError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bundles"
MINIMAL = FIXTURES / "minimal"


def _zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for child in sorted(folder.iterdir()):
            archive.write(child, prefix + child.name)
    return target


def test_folder_reads_every_part(surveys):
    bundle = load_bundle(MINIMAL, surveys)
    assert isinstance(bundle, Bundle)
    assert bundle.meta.id == "fixture-minimal"
    assert bundle.meta.synthetic is True and bundle.meta.allow_names is False
    assert bundle.meta.rubric.id == "union-hardship"
    assert set(bundle.meta.surveys) == {"household", "file_check", "system", "forum"}
    assert len(bundle.roster) == 8 and bundle.roster_columns[0] == "household_id"
    assert [s.role for s in bundle.sample].count("sample") == 4
    assert len(bundle.rows("household")) == 5  # four drawn, one refused and replaced by a reserve
    assert [r["consent"] for r in bundle.rows("household")].count("no") == 1
    assert len(bundle.sources["household"].repeats["members"].rows) == 11
    assert {j.score for j in bundle.judgements} == {7.0, 7.5, 8.0}
    assert bundle.findings[0].deadline.isoformat() == "2027-01-31"
    assert bundle.data_hash.startswith("sha256:") and len(bundle.data_hash) == 71
    assert "SYNTHETIC" in bundle.readme


def test_sampling_plan_gives_frame_sizes_and_weights(surveys):
    bundle = load_bundle(MINIMAL, surveys)
    plan = bundle.meta.sampling
    assert plan.frame_sizes == {"城关镇": 5, "清水河镇": 3} == bundle.frame_sizes()
    assert plan.sample_sizes == {"城关镇": 2, "清水河镇": 2}
    assert plan.weight("城关镇") == 2.5 and plan.weight("清水河镇") == 1.5
    assert plan.seeded and plan.seed == 7 and plan.reserve == 1
    pairs = [(r["household_id"], r["stratum"]) for r in bundle.roster]
    assert plan.roster_hash == roster_hash(pairs) == roster_hash(reversed(pairs))
    ids, strata = bundle.roster_column("household_id"), bundle.roster_column("stratum")
    by_hand = hashlib.sha256("".join(sorted(f"{h}\t{s}\n" for h, s in pairs)).encode()).hexdigest()
    assert roster_hash_columns(ids, strata) == plan.roster_hash == f"sha256:{by_hand}"
    assert roster_hash([]) == roster_hash_columns([], []) == "sha256:" + hashlib.sha256(b"").hexdigest()


def test_joined_rows_put_the_records_answers_over_the_roster(surveys):
    bundle = load_bundle(MINIMAL, surveys)
    joined = bundle.joined("household")
    for row, record in zip(joined, bundle.rows("household"), strict=True):
        roster = bundle.roster_by_id[record["household_id"]]
        assert row["local_standard"] == roster["local_standard"]
        assert row["household_size"] == record["household_size"]  # the door's count wins
        assert row["category"] == roster["category"]
    forum = bundle.joined("forum")
    assert forum == bundle.rows("forum")  # forums are not joined to households


def test_zip_at_top_level_and_inside_one_folder_give_the_folders_hash(tmp_path, surveys):
    folder_hash = load_bundle(MINIMAL, surveys).data_hash
    flat = _zip_folder(MINIMAL, tmp_path / "flat.zip")
    nested = _zip_folder(MINIMAL, tmp_path / "nested.zip", prefix="评估数据/")
    assert load_bundle(flat, surveys).data_hash == folder_hash
    assert load_bundle(nested, surveys).data_hash == folder_hash


def test_gbk_csv_reads_like_utf8_and_hashes_the_same(tmp_path, surveys):
    copy = tmp_path / "gbk"
    shutil.copytree(MINIMAL, copy)
    roster = copy / "roster.csv"
    text = roster.read_bytes().decode("utf-8-sig")
    roster.write_bytes(text.replace("\r\n", "\n").encode("gbk"))
    original = load_bundle(MINIMAL, surveys)
    converted = load_bundle(copy, surveys)
    assert converted.roster == original.roster
    assert converted.roster[0]["township"] in ("城关镇", "清水河镇")
    assert converted.data_hash == original.data_hash


def test_a_changed_cell_changes_the_hash(tmp_path, surveys):
    copy = tmp_path / "b"
    shutil.copytree(MINIMAL, copy)
    path = copy / "system.csv"
    path.write_bytes(path.read_bytes().replace(b"2026-09-15", b"2026-09-16", 1))
    assert load_bundle(copy, surveys).data_hash != load_bundle(MINIMAL, surveys).data_hash


@pytest.mark.parametrize("export", ["odk-export", "kobo-export"])
def test_odk_and_kobo_exports_normalise_to_the_native_rows(export, surveys):
    native = load_bundle(MINIMAL, surveys).sources["household"]
    exported = load_bundle(FIXTURES / export, surveys).sources["household"]
    assert exported.rows == native.rows
    assert [p["instance_id"] for p in exported.paradata] == [p["instance_id"] for p in native.paradata]
    assert not [c for c in exported.columns if c.kind == "unknown"]


def test_odk_paradata_and_bookkeeping_columns(surveys):
    data = load_bundle(FIXTURES / "odk-export", surveys).sources["household"]
    kinds = {c.header: (c.kind, c.name) for c in data.columns}
    assert kinds["basic-household_id"] == ("field", "household_id")
    assert kinds["meta-instanceID"] == ("paradata", "instance_id")
    assert kinds["KEY"][0] == "ignored"  # meta-instanceID ranks first; KEY holds the same id
    assert kinds["SubmissionDate"] == ("paradata", "submission_date")
    assert kinds["ReviewState"] == ("paradata", "review_state")
    assert kinds["DeviceID"] == ("paradata", "device_id")
    assert kinds["closing-location-Latitude"] == ("geo", "location")
    for bookkeeping in ("SubmitterID", "AttachmentsPresent", "Edits", "FormVersion", "Status"):
        assert kinds[bookkeeping][0] == "ignored"
    assert data.paradata[0]["review_state"] == "approved"
    assert data.rows[0]["location"] == "36.061200 103.834300 1520.0 5.0"


def test_kobo_split_select_multiple_columns_are_joined(surveys):
    data = load_bundle(FIXTURES / "kobo-export", surveys).sources["household"]
    kinds = {c.header: (c.kind, c.name, c.option) for c in data.columns}
    assert kinds["needs_group/needs/medical"] == ("split", "needs", "medical")
    assert kinds["_uuid"][0] == "ignored" and kinds["meta/instanceID"][:2] == ("paradata", "instance_id")
    assert kinds["_submission_time"][:2] == ("paradata", "submission_date")
    assert kinds["_validation_status"][:2] == ("paradata", "review_state")
    for bookkeeping in ("_id", "_index", "_status", "__version__", "_tags", "_notes", "formhub/uuid",
                        "_closing/location_latitude"):
        assert kinds[bookkeeping][0] == "ignored"
    native = {r["household_id"]: r["needs"] for r in load_bundle(MINIMAL, surveys).rows("household")}
    assert {r["household_id"]: r["needs"] for r in data.rows} == native


def test_columns_without_surveys_strip_group_paths():
    columns, clashes = classify_columns(["grp-sub-income_wage", "basic/consent", "meta/instanceID", "_id"], None)
    assert [(c.kind, c.name) for c in columns] == [
        ("field", "income_wage"), ("field", "consent"), ("paradata", "instance_id"), ("ignored", ""),
    ]
    assert clashes == []


def test_two_columns_for_one_field_are_a_problem(surveys):
    spec = survey_spec(surveys["household"])
    columns, clashes = classify_columns(["consent", "basic-consent"], spec.fields)
    assert clashes == ["columns 'consent', 'basic-consent' all hold field 'consent'"]


def test_unknown_column_is_classified_unknown(surveys):
    spec = survey_spec(surveys["household"])
    columns, _ = classify_columns(["household_id", "favourite_colour"], spec.fields)
    assert columns[1].kind == "unknown"


def test_kobo_split_cell_that_is_not_one_or_zero(tmp_path, surveys):
    copy = tmp_path / "k"
    shutil.copytree(FIXTURES / "kobo-export", copy)
    path = copy / "household.csv"
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("needs_group/needs/legal")] = "yes"
    lines[1] = ",".join(cells)
    path.write_bytes("\r\n".join(lines).encode("utf-8"))
    _, problems = read_bundle(copy, surveys)
    assert [str(p) for p in problems] == ["household.csv: row 2, column needs_group/needs/legal: 'yes' is not 1 or 0"]


def _evil_zip(path: Path, name: str, data: bytes = b"x", *, symlink: bool = False) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for child in sorted(MINIMAL.iterdir()):
            archive.write(child, child.name)
        info = zipfile.ZipInfo(name)
        if symlink:
            info.external_attr = 0o120777 << 16
        archive.writestr(info, data)
    return path


@pytest.mark.parametrize("name, why", [
    ("../evil.csv", "path leaves the bundle ('..'); refused"),
    ("a/../../evil.csv", "path leaves the bundle ('..'); refused"),
    ("/etc/evil.csv", "absolute path inside the zip; refused"),
    ("C:/evil.csv", "absolute path inside the zip; refused"),
    ("..\\evil.csv", "path leaves the bundle ('..'); refused"),
])
def test_zip_slip_is_refused(tmp_path, name, why):
    path = _evil_zip(tmp_path / "evil.zip", name)
    with pytest.raises(DefinitionError) as caught:
        load_bundle(path)
    assert [(p.where, p.message) for p in caught.value.problems] == [(name, why)]


def test_zip_symlink_is_refused(tmp_path):
    path = _evil_zip(tmp_path / "link.zip", "roster-link.csv", b"/etc/passwd", symlink=True)
    with pytest.raises(DefinitionError, match="symbolic link inside the zip; refused"):
        load_bundle(path)


def test_zip_members_over_the_size_cap_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archive_module, "MAX_FILE_BYTES", 1000)
    path = _zip_folder(MINIMAL, tmp_path / "big.zip")
    with pytest.raises(DefinitionError, match="larger than 1000 bytes uncompressed"):
        load_bundle(path)


def test_zip_without_evaluation_yaml(tmp_path):
    path = tmp_path / "empty.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a/roster.csv", "household_id\n")
        archive.writestr("b/sample.csv", "household_id\n")
    with pytest.raises(DefinitionError, match="no evaluation.yaml at the top of the zip or inside one folder"):
        load_bundle(path)


def test_missing_files_and_paths_are_problems_not_tracebacks(tmp_path, surveys):
    copy = tmp_path / "m"
    shutil.copytree(MINIMAL, copy)
    (copy / "judgements.csv").unlink()
    (copy / "system.csv").unlink()
    with pytest.raises(DefinitionError) as caught:
        load_bundle(copy, surveys)
    assert [str(p) for p in caught.value.problems] == [
        "judgements.csv: required file is missing from the bundle",
        "system.csv: missing: evaluation.yaml lists source 'system'",
    ]
    with pytest.raises(DefinitionError, match="no such folder or file"):
        load_bundle(tmp_path / "nowhere")
    (tmp_path / "plain.txt").write_text("hello")
    with pytest.raises(DefinitionError, match="not a folder or a .zip file"):
        load_bundle(tmp_path / "plain.txt")


def test_writer_round_trip_and_deterministic_zip(tmp_path, surveys):
    bundle = load_bundle(FIXTURES / "odk-export", surveys)
    out = write_bundle(bundle, tmp_path / "export")
    again = load_bundle(out, surveys)
    assert again.rows("household") == bundle.rows("household")
    assert again.sources["household"].fields == bundle.sources["household"].fields
    files = bundle_files(bundle)
    header = files["household.csv"].decode("utf-8-sig").split("\r\n", 1)[0].split(",")
    fields = list(bundle.sources["household"].fields)
    assert header == fields + ["instance_id", "submission_date", "device_id", "review_state", "submitter"]
    native = {p.name: p.read_bytes() for p in MINIMAL.iterdir()}
    others = [name for name in files if name != "household.csv"]
    assert data_hash({n: files[n] for n in others}) == data_hash({n: native[n] for n in others})
    assert zip_bytes(files) == zip_bytes(dict(reversed(list(files.items()))))
    zipped = write_bundle(bundle, tmp_path / "export.zip")
    assert load_bundle(zipped, surveys).data_hash == again.data_hash
    with pytest.raises(DefinitionError, match="already exists"):
        write_bundle(bundle, zipped)
    with pytest.raises(DefinitionError, match="folder is not empty"):
        write_bundle(bundle, out)


def test_load_bundle_defaults_to_the_shipped_surveys(surveys):
    assert load_bundle(FIXTURES / "kobo-export").rows("household") == load_bundle(MINIMAL, surveys).rows("household")
    bare = load_bundle(FIXTURES / "odk-export", {})
    data = bare.sources["household"]
    assert data.fields[:2] == ("household_id", "consent")  # 'basic-household_id' stripped to its last segment
    assert data.paradata[0]["start"] == "2026-11-03T09:00:00.000+08:00"  # not a known field: paradata
