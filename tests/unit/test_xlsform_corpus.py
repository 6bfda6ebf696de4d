"""The compatibility corpus: real XLSForms nobody on this project wrote (tests/corpus/SOURCES.md).

For every form: if pyxform converts it, it imports; its names, types, groups, repeats, choice
lists and bindings match pyxform's own parse; it exports to a workbook pyxform converts again;
and that workbook imports to the same model. A form pyxform refuses is refused, with pyxform's
reason. The corpus is fetched by ``make corpus``; under CI a missing corpus fails the run.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform
from pyxform.xls2xform import convert

from evaluator.definitions.problems import DefinitionError
from evaluator.surveys.definition import build_survey
from evaluator.surveys.subset import SELECT_ALIASES, required_value, row_type
from evaluator.surveys.xlsform import read_xlsform
from evaluator.surveys.xlsform_export import export_xlsform

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CACHE = CORPUS / "cache"
FORM_SUFFIXES = (".xls", ".xlsx", ".xlsm")


def corpus_forms() -> list[Path]:
    if not CACHE.is_dir():
        subprocess.run([sys.executable, str(CORPUS / "fetch.py")], check=False)
    return sorted(p for p in CACHE.rglob("*") if p.suffix.lower() in FORM_SUFFIXES)


FORMS = corpus_forms()


def form_id(path: Path) -> str:
    return str(path.relative_to(CACHE))


OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")


def by_content(path: Path, folder: Path) -> Path:
    """pyxform picks its reader by the file's name: an .xls workbook named .xlsx (as in ODK's
    preview fixtures) is given to it under the name its bytes call for."""
    head = path.read_bytes()[:8]
    if (head == OLE2) == (path.suffix.lower() == ".xls"):
        return path
    renamed = folder / (path.stem + (".xls" if head == OLE2 else ".xlsx"))
    renamed.write_bytes(path.read_bytes())
    return renamed


def pyxform_json(path: Path) -> dict[str, Any] | None:
    """pyxform's parse of the form, or None when pyxform refuses to convert it."""
    try:
        with warnings.catch_warnings(), tempfile.TemporaryDirectory() as folder:
            warnings.simplefilter("ignore")
            book = get_xlsform(str(by_content(path, Path(folder))))
            parsed = workbook_to_json(book, fallback_form_name=book.fallback_form_name,
                                      warnings=[])
            create_survey_element_from_dict(copy.deepcopy(parsed)).to_xml(validate=False,
                                                                          warnings=[])
    except PyXFormError:
        return None
    return parsed


def test_the_corpus_is_there_and_large_enough():
    if not FORMS and os.environ.get("CI") == "true":
        pytest.fail("the XLSForm corpus is missing: `make corpus` could not fetch it")
    if not FORMS:
        pytest.skip("no corpus (offline?): run `make corpus`")
    accepted = [p for p in FORMS if pyxform_json(p) is not None]
    assert len(accepted) >= 40, [form_id(p) for p in accepted]
    with tempfile.TemporaryDirectory() as folder:
        sizes = sorted(len(get_xlsform(str(by_content(p, Path(folder)))).survey)
                       for p in accepted)
    assert sizes[0] <= 3 and sizes[-1] >= 40  # from one-question forms to long surveys


def test_every_outside_form_names_its_repository_commit_digest_and_licence():
    """outside.tsv is what SOURCES.md promises: one pinned file per row, none twice."""
    import csv
    import re

    with (CORPUS / "outside.tsv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len([r for r in rows if r["path"].lower().endswith(FORM_SUFFIXES)]) >= 80
    for row in rows:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", row["repository"]), row
        assert re.fullmatch(r"[0-9a-f]{40}", row["commit"]), row
        assert re.fullmatch(r"[0-9a-f]{64}", row["sha256"]), row
        assert row["licence"].strip(), row
    assert len({r["sha256"] for r in rows}) == len(rows)
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    for repository in {r["repository"] for r in rows}:
        assert f"`{repository}`" in sources, repository


# -- pyxform's parse and ours, as comparable outlines --------------------------------------------

def kind_of(type_text: str) -> str:
    """One spelling per type, for both parses (pyxform's JSON keeps some aliases)."""
    kind = SELECT_ALIASES.get(type_text.removesuffix(" or specify other")) or row_type(
        type_text)[0]
    return {"begin group": "group", "begin repeat": "repeat", "begin loop": "loop",
            "loop": "loop", "group": "group", "repeat": "repeat"}.get(kind, kind)


# Elements pyxform adds while it builds the XForm: a repeat_count's calculate, the text box of
# or_other, and the label rows of table-list groups.
GENERATED = ("generated_table_list_label_", "reserved_name_for_field_list_labels_")


FILE_LISTS = (".csv", ".xml", ".geojson")


def expression(text: Any) -> Any:
    """pyxform collapses runs of spaces in expressions; the author's spacing is kept here."""
    return " ".join(text.split()) if isinstance(text, str) else text


def generated(child: Mapping[str, Any], siblings: list[Mapping[str, Any]]) -> bool:
    """pyxform's own rows: the text box of an ``or_other`` select and a repeat_count's
    calculate (an author's own ``x_other`` or ``x_count`` row is kept)."""
    name = child["name"]
    if name.startswith(GENERATED):
        return True
    stem, _, tail = name.rpartition("_")
    for sibling in siblings:
        if sibling.get("name") != stem:
            continue
        if tail == "other" and (child.get("bind") or {}).get("relevant") == (
                f"selected(../{stem}, 'other')"):
            return True
        if tail == "count" and (sibling.get("control") or {}).get("jr:count") == f"${{{name}}}":
            return True
    return False


def theirs(element: Mapping[str, Any], depth: int = 0, outer: tuple[str, ...] = ()
           ) -> list[tuple]:
    out: list[tuple] = []
    children = element.get("children", [])
    for child in children:
        bind = child.get("bind") or {}
        if bind.get("jr:preload") == "uid" or generated(child, children):
            continue  # pyxform's own meta/instanceID, or_other text and repeat count
        if child.get("control", {}).get("bodyless"):
            # pyxform's meta group holds the author's audit row; the rest is its own
            out += theirs({"children": [c for c in child.get("children", [])
                                        if c.get("type") == "audit"]}, depth, outer)
            continue
        name = child["name"]
        kind = kind_of(child["type"])
        list_name = child.get("list_name") or child.get("itemset")
        if kind in ("select_one", "select_multiple") and str(list_name).endswith(FILE_LISTS):
            kind += "_from_file"  # pyxform 4 writes select_one_from_file x.csv this way
        relevant = bind.get("relevant", "")
        # pyxform's "flat" setting copies a group's relevant onto its children
        relevant = "" if relevant and relevant in outer and element.get("flat") else relevant
        out.append((depth, name, kind, None if kind in ("group", "repeat", "loop") else list_name,
                    expression(relevant), expression(bind.get("constraint", "")),
                    expression(bind.get("calculate", "")),
                    required_value(bind.get("required", False))))
        out += theirs(child, depth + 1, (*outer, bind.get("relevant", "")))
    return out


def ours(rows: list[Mapping[str, Any]]) -> list[tuple]:
    out: list[tuple] = []
    depth = 0
    for row in rows:
        base, list_name = row_type(row["type"])
        if base.startswith("end "):
            depth -= 1
            continue
        kind = kind_of(row["type"])
        out.append((depth, row["name"], kind, None if kind == "loop" else list_name,
                    expression(row.get("relevant", "")), expression(row.get("constraint", "")),
                    expression(row.get("calculation", "")),
                    required_value(row.get("required", False))))
        if base.startswith("begin "):
            depth += 1
    # pyxform moves audit rows into its meta group, after everything else
    return [r for r in out if r[2] != "audit"] + [r for r in out if r[2] == "audit"]


def renamed(imported) -> dict[str, str]:
    """Names the importer had to change (a name used twice), from its warnings."""
    found = {}
    for warning in imported.warnings:
        if "stored as '" in warning.message and "also the name" in warning.message:
            old = warning.message.split("'")[1]
            new = warning.message.split("stored as '")[1].split("'")[0]
            found[new] = old
    return found


@pytest.mark.parametrize("path", FORMS, ids=form_id)
def test_corpus_form(path, tmp_path):
    reference = pyxform_json(path)
    if reference is None:
        with pytest.raises(DefinitionError) as refused:
            read_xlsform(path)
        message = refused.value.problems[0].message
        assert message.startswith(("pyxform refuses the form", "cannot read the workbook"))
        return
    imported = read_xlsform(path)
    data = imported.data
    survey = build_survey(data)  # the model the tablet and scoring use

    # 1. the same form as pyxform reads it: structure, names, types, lists and bindings
    names = renamed(imported)
    mine = [(d, names.get(n, n), *rest) for d, n, *rest in ours(data["survey"])]
    assert mine == theirs(reference)
    for list_name, items in (reference.get("choices") or {}).items():
        assert survey.choice_names(list_name) == [i["name"] for i in items]

    # 2. exported, converted by pyxform, re-imported to the same model
    exported = tmp_path / "exported.xlsx"
    export_xlsform(data, exported)
    convert(xlsform=str(exported), validate=False)
    again = read_xlsform(exported)
    assert again.data == data
