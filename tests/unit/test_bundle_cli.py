"""``evaluator bundle check`` and ``evaluator demo-data`` through click: exit codes, no tracebacks."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from click.testing import CliRunner

from evaluator.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bundles"
MINIMAL = FIXTURES / "minimal"


def run(*args: str):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_check_clean_bundle_prints_one_summary_line():
    result = run("bundle", "check", MINIMAL)
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"OK SYNTHETIC {MINIMAL}: roster.csv 8, sample.csv 6, household.csv 5, ")
    assert "judgements.csv 3; data sha256:" in lines[0]


def test_check_odk_export_and_zip():
    assert run("bundle", "check", FIXTURES / "odk-export").exit_code == 0


def test_check_prints_every_problem_and_exits_1(tmp_path):
    copy = tmp_path / "b"
    shutil.copytree(MINIMAL, copy)
    roster = copy / "roster.csv"
    roster.write_bytes(roster.read_bytes().replace("深度困难".encode(), "特困".encode(), 1))
    (copy / "judgements.csv").unlink()
    result = run("bundle", "check", copy)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "roster.csv: row 2, column category: '特困' is not one of 深度困难, 相对困难, 意外致困",
        "judgements.csv: required file is missing from the bundle",
    ]
    assert "2 problem(s) found." in result.stderr


def test_check_missing_path_and_unsafe_zip(tmp_path):
    result = run("bundle", "check", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert f"{tmp_path / 'nowhere'}: no such folder or file" in result.stdout
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../outside.csv", "x")
    result = run("bundle", "check", evil)
    assert result.exit_code == 1
    assert "../../outside.csv: path leaves the bundle ('..'); refused" in result.stdout
    assert not (tmp_path.parent / "outside.csv").exists()


def test_check_with_an_explicit_rubric_and_surveys(tmp_path):
    from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR

    result = run("bundle", "check", MINIMAL, "--surveys", SURVEYS_DIR, "--rubric", RUBRICS_DIR / "union-hardship.yaml")
    assert result.exit_code == 0
    copy = tmp_path / "b"
    shutil.copytree(MINIMAL, copy)
    findings = copy / "findings.csv"
    findings.write_bytes(findings.read_bytes().replace(b"T3,minor", b"Q9,minor"))
    result = run("bundle", "check", copy, "--rubric", RUBRICS_DIR / "union-hardship.yaml")
    assert result.exit_code == 1
    assert "findings.csv: row 2, column indicator: 'Q9' is not an indicator of rubric union-hardship" in result.stdout


def test_check_with_broken_surveys_reports_them(tmp_path):
    broken = tmp_path / "surveys"
    broken.mkdir()
    (broken / "household.yaml").write_text("id: household\nversion: 1\n", encoding="utf-8")
    result = run("bundle", "check", MINIMAL, "--surveys", broken)
    assert result.exit_code == 1
    assert "household.yaml" in result.stderr


def test_demo_data_writes_a_bundle_that_checks(tmp_path):
    out = tmp_path / "demo"
    result = run("demo-data", out, "--households", "400", "--seed", "5")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Wrote SYNTHETIC demo bundle {out}: 400 households, sample 40 + ")
    check = run("bundle", "check", out)
    assert check.exit_code == 0, check.output
    again = tmp_path / "again.zip"
    assert run("demo-data", again, "--households", "400", "--seed", "5").exit_code == 0
    with zipfile.ZipFile(again) as archive:
        assert archive.read("household.csv") == (out / "household.csv").read_bytes()
    assert run("bundle", "check", again).exit_code == 0


def test_demo_data_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run("demo-data", out, "--households", "100")
    assert result.exit_code == 1
    assert "folder is not empty" in result.output
    assert run("demo-data", out, "--households", "100", "--force").exit_code == 0


def test_demo_data_option_errors_exit_2(tmp_path):
    result = run("demo-data", tmp_path / "d", "--error-rates", "wrong_exit=lots")
    assert result.exit_code == 2
    assert "wrong_exit: 'lots' is not a share like 0.05 or 5%" in result.output
    result = run("demo-data", tmp_path / "d", "--error-rates", "colour=0.1")
    assert result.exit_code == 2
    assert "expected name=share with name one of" in result.output
    result = run("demo-data", tmp_path / "d", "--error-rates", "paper_exit=0.5")
    assert result.exit_code == 2
    assert "paper_exit (0.5) is a part of wrong_exit (0.06); it cannot be larger" in result.output
    result = run("demo-data", tmp_path / "d", "--households", "5")
    assert result.exit_code == 2
    assert not (tmp_path / "d").exists()
