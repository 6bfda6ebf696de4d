"""One decision rule from the sample plan to the verdict.

`evaluator sample --threshold 0.02 --expected-errors 0` on a roster of N = 1000 plans n; a team
that visits exactly the planned households and finds no error must get `meets`; one error must
give what the rule says (`indeterminate`: 1 error in ~131 cannot show the rate is above 2 %).
The sampler also warns when a minimum per stratum breaks the planned margin.
"""

from __future__ import annotations

import csv
import io
import math

import pytest
import yaml
from click.testing import CliRunner
from scipy.stats import beta, norm
from scipy.stats import t as student_t

from evaluator.cli import main
from evaluator.rubrics.definition import rubric_from_data
from evaluator.scoring import SampleUnit, score, scoring_data

TOWNS = {"城关镇": 420, "东城街道": 330, "西河乡": 180, "南山镇": 70}  # N = 1000


def write_roster(path):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["household_id", "township"])
    k = 0
    for town, size in TOWNS.items():
        for _ in range(size):
            k += 1
            writer.writerow([f"H{k:04d}", town])
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def error_rate_rubric():
    indicator = {"code": "E1", "name": {"zh": "错退率"}, "why": {"zh": "测试"}, "points": 10,
                 "source": "file_check", "method": "rate", "condition": "${wrong} = 'yes'",
                 "direction": "lower", "target": 0.02, "floor": 0.10, "min_n": 30}
    return rubric_from_data({
        "id": "plan", "version": "1", "title": {"zh": "计划与判定"}, "total": 10,
        "bands": [{"grade": "合格", "min": 6}, {"grade": "不合格", "min": 0}],
        "sources": {"file_check": "file_check"},
        "dimensions": [{"code": "d", "name": {"zh": "维度"}, "points": 10, "indicators": [indicator]}],
    }, "plan.yaml")


def planned_sample(tmp_path):
    roster = write_roster(tmp_path / "roster.csv")
    out = tmp_path / "sample.csv"
    plan_file = tmp_path / "plan.yaml"
    result = CliRunner().invoke(main, ["sample", str(roster), "--stratum", "township", "--threshold", "0.02",
                                       "--expected-errors", "0", "--seed", "7", "-o", str(out),
                                       "--plan", str(plan_file)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    plan = yaml.safe_load(plan_file.read_text(encoding="utf-8"))["sampling"]
    return [r for r in rows if r["role"] == "sample"], plan


def scored(sample, errors):
    roster = [{"household_id": f"H{k:04d}", "stratum": town}
              for k, town in enumerate((t for t, size in TOWNS.items() for _ in range(size)), start=1)]
    wrong = {r["household_id"] for r in sample[:errors]}
    records = [{"household_id": r["household_id"], "wrong": "yes" if r["household_id"] in wrong else "no"}
               for r in sample]
    data = scoring_data(roster=roster, sources={"file_check": records},
                        sample=[SampleUnit(r["household_id"], r["stratum"]) for r in sample])
    return score(error_rate_rubric(), data).indicator("E1")


def test_zero_errors_in_the_planned_sample_meets_the_threshold(tmp_path):
    sample, plan = planned_sample(tmp_path)
    n = len(sample)
    assert n == plan["required"] == 131
    result = scored(sample, errors=0)
    assert result.verdict == "meets"
    # The bound, independently: exact beta at n/(1 - f), KG factor at df = n - 4 strata.
    df = n - len(TOWNS)
    n_star = n / (1 - n / 1000) * (norm.ppf(0.95) / student_t.ppf(0.95, df)) ** 2
    assert result.bound == pytest.approx(1 - 0.05 ** (1 / n_star))
    assert result.bound <= 0.02
    assert beta.ppf(0.95, 1, n_star) == pytest.approx(result.bound)


def test_one_error_in_the_planned_sample_is_indeterminate(tmp_path):
    sample, _ = planned_sample(tmp_path)
    result = scored(sample, errors=1)
    assert result.verdict == "indeterminate"
    assert result.bound > 0.02  # cannot show the rate is at most 2 %
    assert result.p_value > 0.05  # nor that it is above


def test_one_household_fewer_than_planned_cannot_meet(tmp_path):
    sample, _ = planned_sample(tmp_path)
    assert scored(sample[:-1], errors=0).verdict == "indeterminate"


def test_many_errors_fail(tmp_path):
    sample, _ = planned_sample(tmp_path)
    assert scored(sample, errors=12).verdict == "fails"


def test_the_sampler_warns_when_a_minimum_breaks_the_planned_margin(tmp_path):
    roster = write_roster(tmp_path / "roster.csv")
    result = CliRunner().invoke(main, ["sample", str(roster), "--stratum", "township", "--margin", "0.05",
                                       "--confidence", "0.95", "--min-per-stratum", "60", "--seed", "1",
                                       "-o", str(tmp_path / "s.csv")])
    assert result.exit_code == 0, result.output
    # The allocation as drawn (南山镇 and 西河乡 held at 60), the margin recomputed from it.
    rows = list(csv.DictReader((tmp_path / "s.csv").open(encoding="utf-8")))
    sizes = {t: sum(1 for r in rows if r["stratum"] == t) for t in TOWNS}
    assert sizes["南山镇"] == 60 and sizes["西河乡"] == 60 and sum(sizes.values()) == 278
    variance = sum((TOWNS[t] / 1000) ** 2 * (TOWNS[t] - n) / (TOWNS[t] - 1) * 0.25 / n for t, n in sizes.items())
    margin = norm.ppf(0.975) * math.sqrt(variance)
    assert margin > 0.05
    assert f"Achieved margin: ±{margin * 100:.2f}%" in result.output
    assert "WARNING: the allocation gives a margin of" in result.output
    quiet = CliRunner().invoke(main, ["sample", str(roster), "--stratum", "township", "--margin", "0.05",
                                      "--confidence", "0.95", "--seed", "1", "-o", str(tmp_path / "t.csv")])
    assert "WARNING" not in quiet.output
