"""Reserves replace non-respondents in their list's order (evaluator.sampling.reserves): which
reserve is next, why a named one is refused, and — in scoring — which used reserves skipped an
earlier one, with the response counts of reserves recorded as refused or taken but not yet
visited; and sample.csv's optional outcome and replaces columns in a bundle."""

import shutil
from pathlib import Path

import pytest

from evaluator.sampling.reserves import Reserve, next_reserve, order_problems, refused_choice
from evaluator.scoring import SampleUnit, score, scoring_data
from evaluator.scoring.commands import format_table
from tests.unit.test_scoring import RATE, make_rubric, roster

MINIMAL = Path(__file__).parents[1] / "fixtures" / "bundles" / "minimal"


def reserves(*used):
    """R1.. R4 in list order, ``used`` the orders that are used."""
    return [Reserve(f"R{k}", k, k in used) for k in (3, 1, 4, 2)]  # given out of order


def test_the_next_reserve_is_the_first_unused_in_list_order():
    assert next_reserve(reserves()).household_id == "R1"
    assert next_reserve(reserves(1, 2)).household_id == "R3"
    assert next_reserve(reserves(1, 3)).household_id == "R2"  # a gap is filled first
    assert next_reserve(reserves(1, 2, 3)).household_id == "R4"  # the last one
    assert next_reserve(reserves(1, 2, 3, 4)) is None  # none left
    assert next_reserve([]) is None


def test_a_named_reserve_must_be_the_next():
    assert refused_choice(reserves(1), "R2") is None
    late = refused_choice(reserves(1), "R3")
    assert late.reason == "out_of_order" and late.first.household_id == "R2"
    assert str(late) == "reserve 2 (R2) comes first"
    assert refused_choice(reserves(1), "R1").reason == "used"
    assert refused_choice(reserves(1), "X9").reason == "not_reserve"
    assert refused_choice(reserves(1, 2, 3), "R4") is None  # the last reserve


def test_used_reserves_must_be_the_head_of_the_list():
    assert order_problems("A", reserves()) == []
    assert order_problems("A", reserves(1, 2)) == []
    assert order_problems("A", reserves(1, 2, 3, 4)) == []
    [gap] = order_problems("A", reserves(1, 3))
    assert (gap.household_id, gap.order, gap.skipped) == ("R3", 3, ("R2",))
    assert [(p.household_id, p.skipped) for p in order_problems("A", reserves(2, 4))] == [
        ("R2", ("R1",)), ("R4", ("R1", "R3"))]
    assert gap.as_dict() == {"stratum": "A", "household_id": "R3", "order": 3,
                             "skipped": ["R2"]}


def yes(household_id):
    return {"household_id": household_id, "consent": "yes", "ok": "yes"}


def sheet_for(sample, records):
    rate = {k: v for k, v in RATE.items() if k != "applies"}
    rubric = make_rubric(rate, response={"household": "${consent} = 'yes'"})
    return score(rubric, scoring_data(roster=roster(A=100), sources={"household": records},
                                      sample=sample))


SAMPLED = [SampleUnit(f"A{i:02d}", "A", "sample", i) for i in range(1, 11)]


def test_scoring_states_a_reserve_used_before_an_earlier_one():
    """A01 refused in the record; A02 not reached. Reserve 1 (A11) and reserve 3 (A13) have
    records, reserve 2 (A12) none: A13 skipped A12."""
    records = [yes(f"A{i:02d}") for i in range(3, 11)] + [
        {"household_id": "A01", "consent": "no", "ok": ""}, yes("A11"), yes("A13")]
    sample = SAMPLED + [SampleUnit(f"A{10 + k}", "A", "reserve", k) for k in (1, 2, 3)]
    table = sheet_for(sample, records).response["household"]
    assert table["out_of_order"] == [{"stratum": "A", "household_id": "A13", "order": 3,
                                      "skipped": ["A12"]}]
    assert table["total"] == {"drawn": 10, "reserves_used": 2, "responded": 10, "refused": 1,
                              "not_reached": 1, "rate": pytest.approx(10 / 12)}
    text = format_table(sheet_for(sample, records))
    assert "WARNING: A: reserve 3 (A13) used before A12" in text


def test_a_reserve_recorded_as_refused_or_taken_counts_and_keeps_the_order():
    """A12 itself refused at the door (outcome, no record): it was used, so A13 is in order;
    A14 was taken for A02 but not visited yet: used, not reached."""
    records = [yes(f"A{i:02d}") for i in range(3, 11)] + [
        {"household_id": "A01", "consent": "no", "ok": ""}, yes("A11"), yes("A13")]
    sample = SAMPLED + [SampleUnit("A11", "A", "reserve", 1, "", "A01"),
                        SampleUnit("A12", "A", "reserve", 2, "refused", "A02"),
                        SampleUnit("A13", "A", "reserve", 3, "", "A12"),
                        SampleUnit("A14", "A", "reserve", 4, "", "A02"),
                        SampleUnit("A15", "A", "reserve", 5)]
    sheet = sheet_for(sample, records)
    table = sheet.response["household"]
    assert "out_of_order" not in table
    # attempted: 10 sampled + A11..A14; responded: A03..A10, A11, A13; refused: A01 (record),
    # A12 (recorded at the door); not reached: A02, A14
    assert table["total"] == {"drawn": 10, "reserves_used": 4, "responded": 10, "refused": 2,
                              "not_reached": 2, "rate": pytest.approx(10 / 14)}
    assert sheet.indicator("R1").nonresponse == 4  # A01, A02, A12, A14 leave the estimate
    assert "WARNING" not in format_table(sheet)


def bundle_with_sample(tmp_path, text):
    folder = tmp_path / "bundle"
    shutil.copytree(MINIMAL, folder)
    (folder / "sample.csv").write_text(text, encoding="utf-8")
    return folder


def test_sample_csv_carries_outcome_and_replaces(tmp_path):
    from evaluator.bundle import bundle_problems, load_bundle
    from evaluator.bundle.writer import bundle_files
    from evaluator.paths import SURVEYS_DIR
    from evaluator.surveys.definition import load_surveys

    surveys = load_surveys(SURVEYS_DIR)
    good = bundle_with_sample(tmp_path, (
        "household_id,stratum,role,order,outcome,replaces\n"
        "CG004,城关镇,sample,1,unreached,\nCG005,城关镇,sample,2,,\n"
        "CG001,城关镇,reserve,1,,CG004\nQS002,清水河镇,sample,1,,\n"
        "QS003,清水河镇,sample,2,,\nQS001,清水河镇,reserve,1,,\n"))
    assert [str(p) for p in bundle_problems(good, surveys) if "sample.csv" in str(p)] == []
    bundle = load_bundle(good, surveys)
    row = {s.household_id: s for s in bundle.sample}
    assert (row["CG004"].outcome, row["CG001"].replaces, row["QS001"].replaces) == (
        "unreached", "CG004", "")
    written = bundle_files(bundle)["sample.csv"].decode("utf-8-sig").splitlines()
    assert written[0] == "household_id,stratum,role,order,outcome,replaces"
    assert "CG001,城关镇,reserve,1,,CG004" in written
    plain = load_bundle(MINIMAL, surveys)  # without them: four columns, as before
    assert bundle_files(plain)["sample.csv"].decode("utf-8-sig").splitlines()[0] == \
        "household_id,stratum,role,order"
    bad = bundle_with_sample(tmp_path / "b", (
        "household_id,stratum,role,order,outcome,replaces\n"
        "CG004,城关镇,sample,1,gone,\nCG005,城关镇,sample,2,,CG004\n"
        "CG001,城关镇,reserve,1,,QS002\nQS002,清水河镇,sample,1,,\n"
        "QS003,清水河镇,sample,2,,\nQS001,清水河镇,reserve,1,,\n"))
    found = [str(p) for p in bundle_problems(bad, surveys) if "sample.csv" in str(p)]
    assert any("row 2, column outcome: 'gone' is not refused or unreached" in p for p in found)
    assert any("row 3, column replaces: only a reserve replaces a household" in p
               for p in found)
    assert any("row 4, column replaces: 'QS002' is not a drawn household of stratum 城关镇" in p
               for p in found)
