"""What ``evaluator score`` lets go of before it checks and scores (issue 16, memory): the files'
bytes as the bundle is built (``build_bundle(release=True)``) and the roster's personal columns
nothing checked or scored reads (``without_unread_personal``); the bundle, its data hash, its
problems and its scores stay the same."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from evaluator.bundle import build_bundle, check_files, demo_files
from evaluator.bundle.hashing import ContentDigest
from evaluator.scoring.commands import without_unread_personal, written_in
from evaluator.scoring.engine import score

SHA_PROBLEM = "roster.csv is not byte for byte the file the sample was drawn from"


@pytest.fixture(scope="module")
def files(surveys, rubric):
    return demo_files(500, 11, surveys=surveys, rubric=rubric)


def test_released_build_is_the_same_bundle_and_keeps_only_the_names(files, surveys):
    kept, kept_problems = build_bundle(dict(files), surveys)
    given = dict(files)
    released, problems = build_bundle(given, surveys, release=True)
    assert released == kept and problems == kept_problems
    assert released.data_hash == kept.data_hash
    assert set(given) == set(files)
    assert all(given[n] == b"" for n in files if n.endswith(".csv"))
    assert given["evaluation.yaml"] == files["evaluation.yaml"]  # small: kept as given
    assert released.roster_sha256 == hashlib.sha256(files["roster.csv"]).hexdigest()


def test_release_needs_a_dict(files, surveys):
    with pytest.raises(TypeError):
        build_bundle(tuple_mapping(files), surveys, release=True)


def tuple_mapping(files):
    from types import MappingProxyType

    return MappingProxyType(dict(files))


def test_content_digest_takes_files_in_sorted_order_only():
    digest = ContentDigest()
    digest.add("b.yaml", {"yaml": 1})
    with pytest.raises(ValueError):
        digest.add("a.yaml", {"yaml": 2})
    with pytest.raises(ValueError):
        digest.add("b.yaml", {"yaml": 2})


def _sha_only(files, roster: bytes) -> dict[str, bytes]:
    """The bundle with a plan that names the roster by its sha256 only (no roster_hash)."""
    yaml_text = files["evaluation.yaml"].decode("utf-8")
    lines = [line for line in yaml_text.splitlines(keepends=True) if "roster_hash:" not in line]
    assert len(lines) == len(yaml_text.splitlines()) - 1
    return {**files, "evaluation.yaml": "".join(lines).encode("utf-8"), "roster.csv": roster}


@pytest.mark.parametrize("release", [False, True])
def test_roster_sha256_is_still_compared_after_the_bytes_go(files, surveys, rubric, release):
    same = _sha_only(files, files["roster.csv"])
    resaved = _sha_only(files, files["roster.csv"].replace(b"\n", b"\r\n"))  # the same table
    for given, wrong in ((same, False), (resaved, True)):
        given = dict(given)
        bundle, problems = build_bundle(given, surveys, release=release)
        found = [str(p) for p in check_files(given, surveys, rubric, bundle=bundle, read_problems=problems)]
        assert any(SHA_PROBLEM in p for p in found) is wrong, found


def test_sha256_from_the_files_when_the_bundle_was_not_built_from_bytes(files, surveys, rubric):
    resaved = _sha_only(files, files["roster.csv"].replace(b"\n", b"\r\n"))
    bundle, problems = build_bundle(dict(resaved), surveys)
    unknown = replace(bundle, roster_sha256="")
    found = [str(p) for p in check_files(resaved, surveys, rubric, bundle=unknown, read_problems=problems)]
    assert any(SHA_PROBLEM in p for p in found)
    no_roster = {name: raw for name, raw in resaved.items() if name != "roster.csv"}  # nothing to compare
    found = [str(p) for p in check_files(no_roster, surveys, rubric, bundle=unknown, read_problems=problems)]
    assert not any(SHA_PROBLEM in p for p in found)


def test_unread_head_name_goes_and_the_scores_stay(files, surveys, rubric):
    bundle, _ = build_bundle(dict(files), surveys)
    assert bundle.roster.has("head_name")
    light = without_unread_personal(bundle, rubric, surveys)
    assert not light.roster.has("head_name") and light.roster_columns == bundle.roster_columns
    assert light.roster.names == tuple(n for n in bundle.roster.names if n != "head_name")
    assert check_files(files, surveys, rubric, bundle=light) == check_files(files, surveys, rubric, bundle=bundle)
    assert score(rubric, light).to_json() == score(rubric, bundle).to_json()


def test_a_written_personal_column_stays(files, surveys, rubric):
    bundle, _ = build_bundle(dict(files), surveys)
    named = {"note": "first ${head_name}"}
    assert written_in((rubric, surveys), {"head_name"}) == set()
    assert written_in((rubric, [named]), {"head_name", "id_number"}) == {"head_name"}
    assert without_unread_personal(bundle, (rubric, named), surveys).roster.has("head_name")


def test_written_in_walks_objects_keys_and_slots():
    class Slotted:
        __slots__ = ("text",)

        def __init__(self, text):
            self.text = text

    class Plain:
        def __init__(self, inner):
            self.inner = inner

    assert written_in(Plain({"a": (Slotted("x ${id_number}"),)}), {"id_number", "head_name"}) == {"id_number"}
    assert written_in({"head_name": 1}, {"head_name"}) == {"head_name"}
    assert written_in([1, 2.0, None, b"head_name"], {"head_name"}) == set()
