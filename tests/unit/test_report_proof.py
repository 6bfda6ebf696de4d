"""Reports that prove themselves: PDF/A-3b structure, embedded files, and `evaluator verify`.

veraPDF is not available here; the PDF/A structure is checked with pypdf: the XMP metadata
declares PDF/A-3B, there is an sRGB output intent, every embedded file is listed in the
catalog's /AF with its relationship, and the document has an ID. `evaluator verify` must
confirm the demo report, and refuse one whose printed total was altered (a report rendered
from a doctored score sheet) or whose embedded bundle was changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import replace

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter

from evaluator.bundle.demo import write_demo
from evaluator.cli import main
from evaluator.reports.proof import (
    BUNDLE_FILE,
    MANIFEST_FILE,
    RUBRIC_FILE,
    SCORE_FILE,
    embedded_files,
)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("proof")
    bundle = write_demo(root / "bundle", households=600)
    pdf = root / "report.pdf"
    result = CliRunner().invoke(main, ["report", str(bundle), "--out", str(pdf), "--embed-bundle"])
    assert result.exit_code == 0, result.output
    return {"root": root, "bundle": bundle, "pdf": pdf}


def test_the_pdf_is_pdf_a_3b_with_its_files_embedded_as_associated_files(made):
    reader = PdfReader(str(made["pdf"]))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"pdfaid:part(>|=\")3", xmp) and re.search(r"pdfaid:conformance(>|=\")B", xmp)
    root = reader.trailer["/Root"]
    intents = root["/OutputIntents"]
    assert intents and intents[0].get_object()["/S"] == "/GTS_PDFA1"
    assert "/ID" in reader.trailer
    associated = [f.get_object() for f in root["/AF"]]
    names = {f["/F"]: f["/AFRelationship"] for f in associated}
    assert names == {SCORE_FILE: "/Data", RUBRIC_FILE: "/Source", BUNDLE_FILE: "/Source",
                     MANIFEST_FILE: "/Supplement"}
    files = embedded_files(made["pdf"].read_bytes())
    manifest = json.loads(files[MANIFEST_FILE])
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest
    sheet = json.loads(files[SCORE_FILE])
    assert manifest["data_hash"] == sheet["data_hash"] and manifest["rubric"] == sheet["rubric"]


def test_the_embedded_bundle_is_masked(made):
    files = embedded_files(made["pdf"].read_bytes())
    with zipfile.ZipFile(io.BytesIO(files[BUNDLE_FILE])) as archive:
        roster = archive.read("roster.csv").decode("utf-8-sig")
    heads = [line.split(",")[-1] for line in roster.splitlines()[1:]]
    assert heads and all(h.startswith("演") and set(h[1:]) <= {"＊"} for h in heads)


def test_the_footer_prints_the_data_hash_and_how_to_verify(made):
    import subprocess

    text = subprocess.run(["pdftotext", "-f", "3", "-l", "3", str(made["pdf"]), "-"], capture_output=True,
                          text=True, check=True).stdout
    sheet = json.loads(embedded_files(made["pdf"].read_bytes())[SCORE_FILE])
    assert sheet["data_hash"].split(":")[-1][:16] in text and "evaluator verify" in text


def test_verify_confirms_the_report_with_its_embedded_bundle_and_with_the_original(made):
    runner = CliRunner()
    embedded = runner.invoke(main, ["verify", str(made["pdf"])])
    assert embedded.exit_code == 0, embedded.output
    assert "verified:" in embedded.output and "DIFF" not in embedded.output
    original = runner.invoke(main, ["verify", str(made["pdf"]), str(made["bundle"])])
    assert original.exit_code == 0, original.output
    assert "ok   data hash" in original.output and "ok   printed total" in original.output


def test_verify_refuses_a_report_whose_printed_total_was_altered(made, tmp_path):
    """A forged report: rendered from a doctored score sheet, carrying the true data."""
    from evaluator.reports import build, proof

    scored = build.load_scored(made["bundle"])
    forged_sheet = replace(scored.sheet, total=scored.sheet.total + 7.5)
    forged = tmp_path / "forged.pdf"
    build.render_report_pdf(forged_sheet, scored.bundle, scored.rubric, surveys=scored.surveys,
                            out_path=forged, proof=proof.report_proof(scored, forged_sheet))
    result = CliRunner().invoke(main, ["verify", str(forged), str(made["bundle"])])
    assert result.exit_code == 1
    assert "DIFF printed total" in result.output and "DIFF total" in result.output
    assert "NOT VERIFIED" in result.output


def test_verify_reads_every_indicator_row_of_the_english_report_too(made, tmp_path):
    english = tmp_path / "report-en.pdf"
    made_en = CliRunner().invoke(main, ["report", str(made["bundle"]), "--out", str(english), "--lang", "en"])
    assert made_en.exit_code == 0, made_en.output
    result = CliRunner().invoke(main, ["verify", str(english), str(made["bundle"])])
    assert result.exit_code == 0, result.output
    sheet = json.loads(embedded_files(english.read_bytes())[SCORE_FILE])
    for ind in sheet["indicators"]:
        if ind["method"] != "veto":
            assert f"ok   printed indicator {ind['code']}: {ind['code']} " in result.output
            assert f"{ind['points']:.2f}/{ind['max']:g}" in result.output


def test_verify_refuses_a_report_whose_printed_indicator_row_differs_from_what_it_carries(made, tmp_path):
    """Pages rendered from a sheet with one indicator's points changed, carrying the true sheet:
    only the printed row can tell (no bundle given, nothing re-scored)."""
    from evaluator.reports import build, proof

    scored = build.load_scored(made["bundle"])
    target = next(i for i in scored.sheet.indicators if i.method == "rate" and i.points < i.max - 0.5)
    changed = replace(target, points=target.points + 0.5)
    pages = replace(scored.sheet, indicators=tuple(changed if i is target else i
                                                   for i in scored.sheet.indicators))
    forged = tmp_path / "forged-row.pdf"
    build.render_report_pdf(pages, scored.bundle, scored.rubric, surveys=scored.surveys,
                            out_path=forged, proof=proof.report_proof(scored, scored.sheet))
    result = CliRunner().invoke(main, ["verify", str(forged)])
    assert result.exit_code == 1, result.output
    assert f"DIFF printed indicator {target.code}: " in result.output
    others = [i.code for i in scored.sheet.indicators if i.method != "veto" and i.code != target.code]
    assert all(f"ok   printed indicator {code}:" in result.output for code in others)


def test_verify_refuses_a_report_whose_embedded_bundle_was_changed(made, tmp_path):
    files = embedded_files(made["pdf"].read_bytes())
    with zipfile.ZipFile(io.BytesIO(files[BUNDLE_FILE])) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    household = members["household.csv"].decode("utf-8-sig")
    changed = household.replace(",1,", ",5,", 3)  # a few answers altered
    assert changed != household
    members["household.csv"] = changed.encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    writer = PdfWriter(clone_from=str(made["pdf"]))
    names = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    for k in range(0, len(names), 2):
        if names[k] == BUNDLE_FILE:
            names[k + 1].get_object()["/EF"]["/F"].get_object().set_data(out.getvalue())
    tampered = tmp_path / "tampered.pdf"
    with tampered.open("wb") as f:
        writer.write(f)
    assert embedded_files(tampered.read_bytes())[BUNDLE_FILE] == out.getvalue()
    result = CliRunner().invoke(main, ["verify", str(tampered)])
    assert result.exit_code == 1, result.output
    assert "DIFF embedded bundle.zip sha256" in result.output
    assert "NOT VERIFIED" in result.output


def test_verify_explains_a_pdf_that_carries_nothing(tmp_path):
    plain = tmp_path / "plain.pdf"
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    with plain.open("wb") as f:
        writer.write(f)
    result = CliRunner().invoke(main, ["verify", str(plain)])
    assert result.exit_code == 1
    assert "not a report that proves itself" in result.output
    assert "Traceback" not in result.output
