"""Rosters in CSV (UTF-8, UTF-8-BOM, GBK) and XLSX, and the `evaluator sample` command."""

from __future__ import annotations

import csv
import hashlib
import io

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from evaluator.cli import main
from evaluator.definitions.problems import DefinitionError
from evaluator.sampling import allocate, draw
from evaluator.sampling.roster import read_roster

TOWNS = ["城关镇", "东城街道", "西河乡", "南山镇"]
HEADER = ["household_id", "township", "category", "head_name"]


def roster_rows(count=200):
    return [[f"H{i:04d}", TOWNS[(i * 7) % 4 if i % 5 else 3], "深度困难", f"张{i}"] for i in range(1, count + 1)]


def write_csv(path, rows, encoding, header=HEADER):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, rows, header=HEADER):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def rosters(tmp_path):
    rows = roster_rows()
    return {
        "utf-8": write_csv(tmp_path / "utf8.csv", rows, "utf-8"),
        "utf-8-sig": write_csv(tmp_path / "bom.csv", rows, "utf-8-sig"),
        "gbk": write_csv(tmp_path / "gbk.csv", rows, "gbk"),
        "xlsx": write_xlsx(tmp_path / "roster.xlsx", rows),
    }


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_every_format_reads_to_the_same_frame(rosters):
    frames = {}
    for encoding, path in rosters.items():
        roster = read_roster(path, stratum_column="township")
        assert roster.encoding == encoding
        assert roster.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        frames[encoding] = roster.frame
    first = frames["utf-8"]
    assert len(first) == 200 and first[0] == ("H0001", TOWNS[7 % 4])
    assert all(frame == first for frame in frames.values())


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("utf-8", "UTF-8 text"), ("utf-8-sig", "UTF-8 text with BOM"), ("gbk", "GBK (GB18030) text"),
     ("xlsx", "XLSX workbook")],
)
def test_cli_prints_the_plan_and_writes_the_sample(rosters, tmp_path, encoding, label):
    path = rosters[encoding]
    out = tmp_path / f"sample-{encoding}.csv"
    result = run("sample", path, "--stratum", "township", "--margin", "5%", "--confidence", "0.95",
                 "--min-per-stratum", "10", "--reserve", "2", "--seed", "20260401", "-o", out)
    assert result.exit_code == 0, result.output
    text = result.output
    assert f"detected: {label}" in text
    assert hashlib.sha256(path.read_bytes()).hexdigest() in text
    assert "Seed: 20260401" in text
    assert "margin ±5% at 95% confidence" in text
    assert "n0 = z^2 p(1-p) / E^2 = 384.15" in text
    assert "Sample size: 132 (frame N = 200)" in text
    for town in TOWNS:
        assert town in text
    total_line = [line for line in text.splitlines() if line.startswith("total")][0]
    assert total_line.split() == ["total", "200", "132", "8"]

    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["household_id", "stratum", "role", "order"]
    assert sum(r["role"] == "sample" for r in rows) == 132
    assert sum(r["role"] == "reserve" for r in rows) == 8
    # The CLI output is exactly the pure draw from the same frame and seed.
    frame = read_roster(path, stratum_column="township").frame
    sizes = {}
    for _, stratum in frame:
        sizes[stratum] = sizes.get(stratum, 0) + 1
    expected = draw(frame, allocate(sizes, 132, 10), 2, seed=20260401)
    assert rows == [d.as_row() for d in expected]


def test_cli_same_sample_from_every_format(rosters, tmp_path):
    outputs = set()
    for path in rosters.values():
        result = run("sample", path, "--stratum", "township", "--size", "30", "--seed", "7")
        assert result.exit_code == 0, result.output
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert next(iter(outputs)).startswith("household_id,stratum,role,order\n")


def test_cli_without_output_sends_plan_to_stderr(rosters):
    result = run("sample", rosters["gbk"], "--stratum", "township", "--threshold", "0.02",
                 "--expected-errors", "0", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "Seed: 3" in result.stderr
    assert "error rate at most 2% with 0 error(s) expected, 95% confidence" in result.stderr
    assert "Seed" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[0] == "household_id,stratum,role,order"
    assert 1 < len(lines) - 1 <= 149


def test_cli_writes_the_plan_yaml(rosters, tmp_path):
    plan_path = tmp_path / "plan.yaml"
    result = run("sample", rosters["utf-8"], "--stratum", "township", "--size", "40",
                 "--reserve", "1", "--seed", "5", "--plan", plan_path, "-o", tmp_path / "s.csv")
    assert result.exit_code == 0, result.output
    plan = yaml.safe_load(plan_path.read_text(encoding="utf-8"))["sampling"]
    assert plan["seed"] == 5 and plan["sample"] == 40 and plan["method"] == "size"
    assert plan["roster"]["sha256"] == hashlib.sha256(rosters["utf-8"].read_bytes()).hexdigest()
    assert plan["roster"]["encoding"] == "utf-8"
    assert sum(s["population"] for s in plan["strata"]) == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one size rule"),
        (["--size", "5", "--margin", "0.05"], "got --margin and --size"),
        (["--margin", "0.05"], "--margin needs --confidence"),
        (["--threshold", "0.02"], "--threshold needs --expected-errors"),
        (["--size", "5", "--p", "0.3"], "--p only applies with --margin"),
        (["--size", "5", "--expected-errors", "1"], "--expected-errors only applies"),
        (["--size", "5", "--confidence", "0.9"], "--confidence does not apply"),
        (["--margin", "5", "--confidence", "0.95"], "not 5"),
        (["--margin", "abc", "--confidence", "0.95"], "not a number"),
        (["--size", "-3"], "-3"),
    ],
)
def test_cli_usage_errors_exit_2(rosters, args, message):
    result = run("sample", rosters["utf-8"], "--stratum", "township", "--seed", "1", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_seed_is_required(rosters):
    result = run("sample", rosters["utf-8"], "--stratum", "township", "--size", "5")
    assert result.exit_code == 2
    assert "--seed" in result.output


def test_cli_impossible_minimum_exits_1(rosters):
    result = run("sample", rosters["utf-8"], "--stratum", "township", "--size", "10",
                 "--min-per-stratum", "5", "--seed", "1")
    assert result.exit_code == 1
    assert "needs 20 households" in result.output
    assert "Traceback" not in result.output


def test_bad_roster_names_every_row(tmp_path):
    rows = [
        ["H1", "城关镇", "", ""],
        ["", "城关镇", "", ""],
        ["H3", "", "", ""],
        ["H1", "西河乡", "", ""],
        [" H5 ", "西河乡", "", ""],
        ["H5", "西河乡", "", ""],
        ["H1", "西河乡", "", ""],
    ]
    path = write_csv(tmp_path / "bad.csv", rows, "gbk")
    with pytest.raises(DefinitionError) as info:
        read_roster(path, stratum_column="township")
    found = {(p.where, p.message) for p in info.value.problems}
    assert found == {
        ("row 3, column household_id", "empty household id"),
        ("row 4, column township", "empty stratum"),
        ("row 2, column household_id", "duplicate household id 'H1' (rows 2, 5, 8)"),
        ("row 5, column household_id", "duplicate household id 'H1' (rows 2, 5, 8)"),
        ("row 8, column household_id", "duplicate household id 'H1' (rows 2, 5, 8)"),
        ("row 6, column household_id", "duplicate household id 'H5' (rows 6, 7)"),
        ("row 7, column household_id", "duplicate household id 'H5' (rows 6, 7)"),
    }
    result = run("sample", path, "--stratum", "township", "--size", "2", "--seed", "1")
    assert result.exit_code == 1
    assert f"{path}: row 4, column township: empty stratum" in result.output
    assert "7 problem(s) found." in result.output
    assert "Traceback" not in result.output


def test_missing_columns_are_named(tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", [["1", "A"]], header=["户编号", "乡镇"])
    result = run("sample", path, "--stratum", "township", "--size", "1", "--seed", "1")
    assert result.exit_code == 1
    assert "no column 'household_id' for the household id; the columns are: 户编号, 乡镇" in result.output
    assert "no column 'township' for the stratum" in result.output
    result = run("sample", path, "--stratum", "乡镇", "--id-column", "户编号", "--size", "1", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout == "household_id,stratum,role,order\n1,A,sample,1\n"


def test_empty_and_missing_rosters(tmp_path):
    path = write_csv(tmp_path / "empty.csv", [], "utf-8")
    result = run("sample", path, "--stratum", "township", "--size", "1", "--seed", "1")
    assert result.exit_code == 1
    assert "no households" in result.output
    result = run("sample", tmp_path / "nope.csv", "--stratum", "township", "--size", "1", "--seed", "1")
    assert result.exit_code == 1
    assert "file not found" in result.output
    assert "Traceback" not in result.output
