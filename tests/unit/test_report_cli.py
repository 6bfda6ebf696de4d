"""``evaluator report``: one report, HTML, batch with progress, comparison, and every error
printed plainly with exit 1 (never a traceback)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evaluator.bundle.demo import write_demo
from evaluator.cli import main
from evaluator.reports import fonts


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    """Two small evaluations of different counties (and a broken one, for the batch)."""
    root = tmp_path_factory.mktemp("cli-bundles")
    good = root / "good"
    paths = []
    for seed, unit in ((11, "甲县总工会"), (12, "乙县总工会")):
        path = write_demo(good / f"county{seed}", households=600, seed=seed)
        evaluation = path / "evaluation.yaml"
        data = yaml.safe_load(evaluation.read_text(encoding="utf-8"))
        data["evaluated_unit"] = unit
        evaluation.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        paths.append(path)
    return {"root": root, "good": good, "paths": paths}


def invoke(*args: str):
    return CliRunner().invoke(main, ["report", *args])


def test_html_is_one_standalone_page(bundles, tmp_path):
    out = tmp_path / "report.html"
    result = invoke(str(bundles["paths"][0]), "--out", str(out), "--html", "--lang", "en")
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert '<link rel="stylesheet"' not in html and "<style>" in html
    assert '<html lang="en">' in html and "Executive summary" in html
    assert "<svg" in html  # the charts are inline


def test_a_broken_bundle_lists_its_problems_and_writes_nothing(bundles, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(bundles["paths"][0], broken)
    sample = broken / "sample.csv"
    sample.write_text(sample.read_text(encoding="utf-8-sig") + "NOBODY,城关镇,sample,99\n",
                      encoding="utf-8")
    out = tmp_path / "report.pdf"
    result = invoke(str(broken), "--out", str(out))
    assert result.exit_code == 1
    assert "sample.csv" in result.output and "problem(s) found" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_missing_cjk_font_is_a_clear_error_before_rendering(bundles, tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "found_family", None)
    monkeypatch.setattr(fonts, "fc_list_chinese", lambda: "")
    out = tmp_path / "report.pdf"
    result = invoke(str(bundles["paths"][0]), "--out", str(out))
    assert result.exit_code == 1
    assert "error: no font that covers Chinese" in result.output
    assert "apt-get install fonts-noto-cjk" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_a_missing_output_folder_and_bad_usage_are_refused(bundles, tmp_path):
    result = invoke(str(bundles["paths"][0]), "--out", str(tmp_path / "no" / "such" / "r.pdf"))
    assert result.exit_code == 1 and "does not exist" in result.output
    assert "Traceback" not in result.output
    result = invoke("--out", str(tmp_path / "r.pdf"))
    assert result.exit_code == 2 and "give one BUNDLE" in result.output
    result = invoke(str(bundles["paths"][0]), "--out", str(tmp_path / "r.pdf"), "--jobs", "2")
    assert result.exit_code == 2 and "--jobs goes with --batch" in result.output
    result = invoke("--compare", str(bundles["paths"][0]), "--out", str(tmp_path / "c.pdf"))
    assert result.exit_code == 2 and "at least two" in result.output


def test_batch_renders_each_bundle_in_parallel_with_progress_and_reports_failures(
        bundles, tmp_path):
    folder = tmp_path / "bundles"
    shutil.copytree(bundles["good"], folder)
    broken = folder / "county99"
    shutil.copytree(bundles["paths"][0], broken)
    (broken / "roster.csv").unlink()
    out = tmp_path / "reports"
    result = invoke("--batch", str(folder), "--out", str(out), "--jobs", "2")
    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == ["county11.pdf", "county12.pdf"]
    lines = result.output.splitlines()
    assert "3 bundle(s), 2 process(es)" in lines[0]
    progress = [line for line in lines if re.match(r"\[\d/3\] county\d+ (ok|FAILED)", line)]
    assert len(progress) == 3
    assert any("county99" in line and "FAILED" in line for line in progress)
    assert any("county99: report not written" in line for line in lines)
    assert "2 report(s) written" in result.output and "1 failed" in result.output
    assert "甲县总工会" in squeeze(pdftotext(out / "county11.pdf"))


def test_batch_needs_a_folder_of_bundles(tmp_path):
    result = invoke("--batch", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and "no bundles" in result.output


def test_comparison_ranks_the_units(bundles, tmp_path):
    out = tmp_path / "comparison.pdf"
    result = invoke("--compare", *map(str, bundles["paths"]), "--out", str(out))
    assert result.exit_code == 0, result.output
    text = squeeze(pdftotext(out))
    assert "结果比较报告" in text and "综合得分排名" in text
    assert "甲县总工会" in text and "乙县总工会" in text
    for name in ("对象准", "需求清", "机制实", "资金准", "数据全", "成效真"):
        assert name in text
