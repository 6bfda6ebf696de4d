"""``evaluator programme score DIR``: a folder of unit bundles scored, pooled and ranked; the
pooled estimate of an indicator checked against a computation from the bundles' CSV files by
hand (the csv module and Cochran's stratified formulas), not against the product."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evaluator.cli import main

SEEDS = (21, 22, 23)


@pytest.fixture(scope="module")
def programme_dir(tmp_path_factory):
    """Three synthetic units of different sizes; in each, every 4th file check (by row) says
    the income was not verified, so T2 has something to estimate."""
    from evaluator.bundle.demo import demo_files
    from evaluator.bundle.writer import write_files

    root = tmp_path_factory.mktemp("programme")
    for k, seed in enumerate(SEEDS):
        files = demo_files(300 + 250 * k, seed)
        text = files["file_check.csv"].decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        for i, row in enumerate(rows):
            if i % 4 == k % 4:
                row["income_verified"] = "no"
                row["file_notes"] = row["file_notes"] or "未见民政核对结果（测试）"
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        files["file_check.csv"] = ("\ufeff" + out.getvalue()).encode("utf-8")
        write_files(files, root / f"unit-{seed}")
    (root / "programme.yaml").write_text(yaml.safe_dump({
        "id": "test-prog", "title": {"zh": "测试项目", "en": "Test programme"},
        "commissioning_body": "测试省总工会", "period": {"start": "2025-11-01", "end": "2026-10-31"},
        "synthetic": True,
        "units": [{"evaluation": f"demo-{s}", "unit": "x", "region": f"区域{s % 2}"} for s in SEEDS],
    }, allow_unicode=True), encoding="utf-8")
    return root


def hand_t2(folder: Path):
    """T2 pooled over every unit by hand: strata are (unit, township), N_h from the roster."""
    strata = {}
    for unit in sorted(p for p in folder.iterdir() if p.is_dir()):
        roster = list(csv.DictReader(io.StringIO((unit / "roster.csv").read_text("utf-8-sig"))))
        frame = defaultdict(int)
        stratum_of = {}
        for r in roster:
            frame[r["stratum"]] += 1
            stratum_of[r["household_id"]] = r["stratum"]
        values = defaultdict(list)
        for r in csv.DictReader(io.StringIO((unit / "file_check.csv").read_text("utf-8-sig"))):
            assert r["income_verified"] in ("yes", "no")
            values[stratum_of[r["household_id"]]].append(1.0 if r["income_verified"] == "yes" else 0.0)
        for name, v in values.items():
            strata[(unit.name, name)] = (frame[name], v)
    total = sum(n for n, _ in strata.values())
    estimate = sum(n / total * sum(v) / len(v) for n, v in strata.values())
    variance = 0.0
    for n, v in strata.values():
        m = len(v)
        mean = sum(v) / m
        s2 = sum((x - mean) ** 2 for x in v) / (m - 1)
        variance += (n / total) ** 2 * (1 - m / n) * s2 / m
    return estimate, variance, sum(len(v) for _, v in strata.values())


def test_programme_score_pools_by_hand(programme_dir):
    result = CliRunner().invoke(main, ["programme", "score", str(programme_dir)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    t2 = next(i for i in data["pooled"]["indicators"] if i["code"] == "T2")
    estimate, variance, n = hand_t2(programme_dir)
    assert t2["estimate"] == pytest.approx(estimate, abs=1e-12)
    assert t2["variance"] == pytest.approx(variance, rel=1e-9)
    assert (t2["n"], t2["units"]) == (n, 3)
    assert data["programme"]["id"] == "test-prog"
    assert [u["region"] for u in data["programme"]["units"]] == ["区域1", "区域0", "区域1"]
    ranking = data["ranking"]
    assert ranking["pairs"] == 3 and len(ranking["units"]) == 3
    assert [u["order"] for u in ranking["units"]] == [1, 2, 3]
    again = CliRunner().invoke(main, ["programme", "score", str(programme_dir)])
    assert again.output == result.output  # same data, same bytes
    table = CliRunner().invoke(main, ["programme", "score", str(programme_dir), "--format", "table"])
    assert table.exit_code == 0 and "told apart (Holm, 5 %)" in table.output


def test_programme_score_lists_every_problem_of_every_bundle(programme_dir, tmp_path):
    import shutil

    for child in programme_dir.iterdir():
        target = tmp_path / child.name
        shutil.copytree(child, target) if child.is_dir() else shutil.copy(child, target)
    (tmp_path / "unit-21" / "roster.csv").unlink()
    (tmp_path / "unit-22" / "sample.csv").write_text("household_id\n", encoding="utf-8")
    (tmp_path / "programme.yaml").write_text("id: x\nperiod: {start: 2026-13-01}\n", "utf-8")
    result = CliRunner().invoke(main, ["programme", "score", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "unit-21/roster.csv" in result.output or "unit-21" in result.output
    assert "unit-22" in result.output
    assert "programme.yaml: not readable YAML: month must be in 1..12" in result.output
    (tmp_path / "programme.yaml").write_text("id: x\nperiod: {start: '2026-13-01'}\n", "utf-8")
    quoted = CliRunner().invoke(main, ["programme", "score", str(tmp_path)])
    assert "programme.yaml: period.start: '2026-13-01' is not YYYY-MM-DD" in quoted.output
    empty = CliRunner().invoke(main, ["programme", "score", str(tmp_path / "nothing")])
    assert empty.exit_code != 0 and "Traceback" not in empty.output
