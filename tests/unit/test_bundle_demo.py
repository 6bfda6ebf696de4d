"""The synthetic demo bundle: reproducible bytes, clean under ``bundle check``, planted rates honoured."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from evaluator.bundle import (
    ErrorRates,
    build_bundle,
    bundle_files,
    check_files,
    demo_files,
    parse_error_rates,
)
from evaluator.bundle.demo_population import TOWNSHIPS


@pytest.fixture(scope="module")
def default_files(surveys, rubric):
    return demo_files(surveys=surveys, rubric=rubric)


def test_same_seed_same_bytes_different_seed_different(surveys, rubric):
    first = demo_files(500, 11, surveys=surveys, rubric=rubric)
    second = demo_files(500, 11, surveys=surveys, rubric=rubric)
    other = demo_files(500, 12, surveys=surveys, rubric=rubric)
    assert first == second
    assert first["roster.csv"] != other["roster.csv"]
    assert first["household.csv"] != other["household.csv"]


def test_changing_a_rate_keeps_the_households(surveys, rubric):
    base = demo_files(500, 11, surveys=surveys, rubric=rubric)
    more = demo_files(500, 11, ErrorRates(dissatisfied=0.5), surveys=surveys, rubric=rubric)
    assert base["roster.csv"] == more["roster.csv"] and base["sample.csv"] == more["sample.csv"]
    assert base["household.csv"] != more["household.csv"]


def test_default_demo_is_a_clean_bundle(default_files, surveys, rubric):
    assert check_files(default_files, surveys, rubric) == []
    bundle, _ = build_bundle(default_files, surveys)
    assert len(bundle.roster) == 3000
    sample = [s for s in bundle.sample if s.role == "sample"]
    assert len(sample) == 300
    assert bundle.meta.sampling.seed == 20261130
    assert sorted(bundle.frame_sizes()) == sorted(t[0] for t in TOWNSHIPS)
    assert min(bundle.meta.sampling.sample_sizes.values()) >= 10
    assert len(bundle.rows("household")) >= 300
    assert {j.evaluator for j in bundle.judgements} == {"演示评估员甲", "演示评估员乙", "演示评估员丙"}
    assert len(bundle.rows("forum")) > 0 and len(bundle.findings) > 0
    assert bundle_files(bundle) == default_files  # the writer reproduces the demo byte for byte


def test_demo_proportions_look_like_a_county(default_files, surveys):
    bundle, _ = build_bundle(default_files, surveys)
    categories = Counter(r["category"] for r in bundle.roster)
    statuses = Counter(r["status"] for r in bundle.roster)
    assert 0.5 < categories["相对困难"] / 3000 < 0.7 and 0.1 < categories["意外致困"] / 3000 < 0.2
    assert 0.45 < statuses["在档"] / 3000 < 0.65 and 0.02 < statuses["注销"] / 3000 < 0.12
    standards = {int(r["local_standard"]) for r in bundle.roster}
    assert min(standards) >= 7800 and max(standards) <= 9600


def test_demo_is_marked_synthetic_everywhere(default_files, surveys):
    bundle, _ = build_bundle(default_files, surveys)
    assert bundle.meta.synthetic is True and bundle.meta.allow_names is False
    assert "演示" in bundle.meta.title.zh and "模拟" in bundle.meta.title.zh
    assert "SYNTHETIC" in bundle.meta.title.en
    assert "SYNTHETIC" in bundle.readme and "演示数据" in bundle.readme
    assert "id_number" not in bundle.roster_columns
    assert all(re.fullmatch(r"演示户\d{4,}", r["head_name"]) for r in bundle.roster)
    assert "（演示）" in bundle.findings[0].description


def _shares(files, surveys):
    bundle, _ = build_bundle(files, surveys)
    joined = [r for r in bundle.joined("household") if r["consent"] == "yes"]
    files_by = {r["household_id"]: r for r in bundle.rows("file_check")}
    system_by = {r["household_id"]: r for r in bundle.rows("system")}

    def share(rows, test):
        rows = list(rows)
        return sum(1 for r in rows if test(r)) / len(rows)

    def door_amount(r):
        return float(r["aid_amount_total"]) if r["aid_received"] == "yes" else 0.0

    def amounts_disagree(r):
        gap = abs(door_amount(r) - float(system_by[r["household_id"]]["aid_total"]))
        return gap > 200 and gap > 0.1 * float(system_by[r["household_id"]]["aid_total"])

    items = [v for r in bundle.rows("file_check") for k, v in r.items()
             if k in ("has_application", "income_verified", "public_notice", "approval_signed", "has_plan",
                      "helper_recorded", "visit_records") ]
    return {
        "wrong_registration": share((r for r in joined if r["status"] == "在档"),
                                    lambda r: float(r["per_capita_income"]) >= float(r["local_standard"])),
        "wrong_exit": share((r for r in joined if r["status"] == "已脱困"),
                            lambda r: float(r["per_capita_income"]) < float(r["local_standard"]) or r["exit_agrees"] == "no"),
        "paper_exit": share((r for r in joined if r["status"] == "已脱困"), lambda r: r["exit_told"] != "yes"),
        "dissatisfied": share(joined, lambda r: r["satisfaction"] in ("1", "2")),
        "amount_mismatch": share((r for r in joined if system_by[r["household_id"]]["aid_total"]),
                                 amounts_disagree),
        "cause_mismatch": share(joined, lambda r: not set(r["hardship_cause"].split())
                                & set(files_by[r["household_id"]]["file_cause"].split())),
        "file_missing": items.count("no") / len(items),
        "system_missing": share(bundle.rows("system"), lambda r: r["last_visit_date"] == ""),
        "refusal": share(bundle.rows("household"), lambda r: r["consent"] == "no"),
    }


def test_planted_rates_are_roughly_honoured(surveys, rubric):
    planted = ErrorRates(wrong_registration=0.30, wrong_exit=0.25, paper_exit=0.10, amount_mismatch=0.30,
                         system_missing=0.40, file_missing=0.20, cause_mismatch=0.30, dissatisfied=0.30,
                         refusal=0.10)
    files = demo_files(3000, 99, planted, surveys=surveys, rubric=rubric)
    assert check_files(files, surveys, rubric) == []
    measured = _shares(files, surveys)
    for name, value in measured.items():
        assert abs(value - getattr(planted, name)) < 0.1, (name, value)


def test_zero_rates_plant_no_errors(surveys, rubric):
    zero = ErrorRates(**{name: 0.0 for name in ErrorRates.__dataclass_fields__})
    files = demo_files(1500, 3, zero, surveys=surveys, rubric=rubric)
    assert check_files(files, surveys, rubric) == []
    measured = _shares(files, surveys)
    assert {k: v for k, v in measured.items() if v} == {}


def test_parse_error_rates():
    assert parse_error_rates("wrong_exit=0.2, dissatisfied=15%") == ErrorRates(wrong_exit=0.2, dissatisfied=0.15)
    assert parse_error_rates("") == ErrorRates()
    with pytest.raises(ValueError, match="refusal must be a share between 0 and 1, got 2.0"):
        parse_error_rates("refusal=2")


def test_demo_needs_enough_households(surveys, rubric):
    with pytest.raises(ValueError, match="at least 11"):
        demo_files(10, 1, surveys=surveys, rubric=rubric)
