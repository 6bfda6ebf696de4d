"""`evaluator score BUNDLE`: JSON shape, byte-identical output, export conventions, bad bundles."""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaluator.bundle.demo import write_demo
from evaluator.bundle.reader import load_bundle
from evaluator.cli import main
from evaluator.definitions.problems import DefinitionError
from evaluator.paths import RUBRICS_DIR, SURVEYS_DIR
from evaluator.rubrics.definition import load_rubric
from evaluator.scoring import SampleUnit, from_bundle, score, scoring_data
from evaluator.surveys.definition import load_surveys


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return write_demo(tmp_path_factory.mktemp("bundle") / "demo", households=800, seed=7)


@pytest.fixture(scope="module")
def definitions():
    surveys = load_surveys(SURVEYS_DIR)
    return surveys, load_rubric(RUBRICS_DIR / "union-hardship.yaml", surveys)


def run(*args):
    return CliRunner().invoke(main, ["score", *map(str, args)])


def test_json_output_has_the_promised_shape(demo):
    result = run(demo, "--format", "json")
    assert result.exit_code == 0, result.output
    sheet = json.loads(result.output)
    assert sheet["rubric"]["id"] == "union-hardship" and sheet["rubric"]["version"] == "2026.2"
    assert sheet["data_hash"].startswith("sha256:")
    assert {"total", "max", "grade", "veto", "dimensions", "indicators"} <= set(sheet)
    assert [d["code"] for d in sheet["dimensions"]] == ["targeting", "needs", "mechanism", "funds", "data", "outcomes"]
    keys = {"code", "dimension", "name", "method", "estimate", "ci_low", "ci_high", "n", "points", "max", "verdict"}
    assert all(keys <= set(i) for i in sheet["indicators"])
    assert sheet["total"] == pytest.approx(sum(d["score"] for d in sheet["dimensions"]))
    t1 = next(i for i in sheet["indicators"] if i["code"] == "T1")
    assert t1["method"] == "rate" and 0 <= t1["ci_low"] <= t1["estimate"] <= t1["ci_high"] <= 1


def test_same_bundle_same_bytes_across_processes(demo):
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-c", "from evaluator.cli import main; main()",
                   "score", str(demo), "--format", "json"]
        done = subprocess.run(command, capture_output=True, env=env, check=False)
        assert done.returncode == 0, done.stderr.decode()
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["indicators"]


def test_table_output_is_readable(demo):
    result = run(demo)
    assert result.exit_code == 0, result.output
    assert "Total" in result.output and "Grade" in result.output
    for code in ("T1", "M4", "O4"):
        assert code in result.output
    assert "%" in result.output  # shares shown as percentages, rounded for reading


def test_bad_bundle_gives_row_level_problems_not_a_traceback(demo, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(demo, bad)
    path = bad / "household.csv"
    rows = list(csv.reader(path.open(encoding="utf-8-sig")))
    rows[1][rows[0].index("consent")] = "maybe"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    result = run(bad)
    assert result.exit_code == 1
    assert "household.csv: row 2, column consent" in result.output
    assert "Traceback" not in result.output


def test_unknown_rubric_is_a_problem(demo, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(demo, other)
    meta = other / "evaluation.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("id: union-hardship", "id: no-such-rubric"), encoding="utf-8")
    result = run(other)
    assert result.exit_code == 1
    assert "no rubric no-such-rubric" in result.output


def test_explicit_rubric_option(demo):
    result = run(demo, "--rubric", RUBRICS_DIR / "union-hardship.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rubric"]["id"] == "union-hardship"


def _rewrite(path: Path, rename, split: dict[str, list[str]] | None = None, extra: dict[str, str] | None = None,
             delimiter: str = ","):
    """Rewrite a CSV with renamed headers, select_multiple split into 1/0 columns, extra columns."""
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    header = list(rows[0])
    out_header, out_rows = [], [dict() for _ in rows]
    for name in header:
        if split and name in split:
            for option in split[name]:
                out_header.append(f"{rename(name)}/{option}")
                for src, dst in zip(rows, out_rows, strict=True):
                    dst[out_header[-1]] = "1" if option in src[name].split() else "0"
            continue
        out_header.append(rename(name))
        for src, dst in zip(rows, out_rows, strict=True):
            dst[out_header[-1]] = src[name]
    for column, value in (extra or {}).items():
        out_header.append(column)
        for dst in out_rows:
            dst[column] = value
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, out_header, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(out_rows)


def _comparable(sheet):
    data = sheet.to_dict()
    data.pop("data_hash")
    return data


def test_kobo_and_odk_central_exports_score_the_same(demo, tmp_path, definitions):
    surveys, rubric = definitions
    reference = _comparable(score(rubric, load_bundle(demo, surveys)))
    causes = [c.name for c in surveys["household"].choices["cause"]]

    kobo = tmp_path / "kobo"
    shutil.copytree(demo, kobo)
    _rewrite(kobo / "household.csv",
             lambda n: {"instance_id": "meta/instanceID"}.get(n, n if n in ("start", "end") else f"grp_main/{n}"),
             split={"hardship_cause": causes}, extra={"_id": "1", "_submission_time": "2026-11-20T10:00:00"})
    assert _comparable(score(rubric, load_bundle(kobo, surveys))) == reference

    odk = tmp_path / "odk"
    shutil.copytree(demo, odk)
    _rewrite(odk / "file_check.csv",
             lambda n: {"instance_id": "meta-instanceID"}.get(n, f"checks-{n}"),
             extra={"SubmitterID": "5", "ReviewState": ""})
    assert _comparable(score(rubric, load_bundle(odk, surveys))) == reference


def test_kobo_semicolon_csv_scores_the_same(demo, tmp_path, definitions):
    """KoboToolbox's default CSV export separates with ';' (and its text may hold ','):
    the separator is read from the header."""
    surveys, rubric = definitions
    reference = _comparable(score(rubric, load_bundle(demo, surveys)))
    kobo = tmp_path / "kobo"
    shutil.copytree(demo, kobo)
    for name in ("household.csv", "file_check.csv"):
        _rewrite(kobo / name, lambda n: {"instance_id": "meta/instanceID"}.get(n, n),
                 extra={"_id": "1", "_notes": "a, b"}, delimiter=";")
    assert ";" in (kobo / "household.csv").read_text(encoding="utf-8").splitlines()[0]
    assert _comparable(score(rubric, load_bundle(kobo, surveys))) == reference


def test_kobo_export_with_labels_says_how_to_export_again(demo, tmp_path, definitions):
    surveys, _ = definitions
    labels = {name: f.label.get("zh", name) for name, f in surveys["household"].fields.items()}
    kobo = tmp_path / "kobo"
    shutil.copytree(demo, kobo)
    _rewrite(kobo / "household.csv", lambda n: labels.get(n, n))
    with pytest.raises(DefinitionError) as caught:
        load_bundle(kobo, surveys)
    messages = [p.message for p in caught.value.problems if p.file.endswith("household.csv")]
    assert any("KoboToolbox export with labels; export again choosing 'XML values and "
               "headers'" in m for m in messages), messages


def test_a_service_building_plain_dicts_gets_the_same_sheet(demo, definitions):
    surveys, rubric = definitions
    bundle = load_bundle(demo, surveys)
    direct = score(rubric, bundle)
    converted = from_bundle(bundle)
    plain = scoring_data(
        roster=[dict(r) for r in bundle.roster],
        sources={name: [dict(r) for r in rows] for name, rows in converted.sources.items()},
        repeats={name: {f: [list(v) for v in lists] for f, lists in fields.items()}
                 for name, fields in converted.repeats.items()},
        sample=[{"household_id": s.household_id, "stratum": s.stratum, "role": s.role} for s in bundle.sample],
        findings=[{"indicator": f.indicator, "severity": f.severity, "household_id": f.household_id}
                  for f in bundle.findings],
        judgements=[{"indicator": j.indicator, "evaluator": j.evaluator, "score": j.score, "reason": j.reason}
                    for j in bundle.judgements],
        stratum_column=converted.stratum_column,
        data_hash=bundle.data_hash,
        today=converted.today,
    )
    assert score(rubric, plain).to_json() == direct.to_json()
    assert isinstance(plain.sample[0], SampleUnit)


def test_repeat_fields_reach_expressions_as_lists(demo, definitions):
    from .test_scoring import make_rubric

    surveys, _ = definitions
    members = {"code": "X1", "points": 10, "source": "household", "method": "rate",
               "applies": "${consent} = 'yes'", "condition": "count(${member_age}) = ${household_size}",
               "direction": "higher", "target": 0.9, "floor": 0.5, "min_n": 5}
    misuse = {"code": "X2", "points": 10, "source": "household", "method": "rate",
              "condition": "${member_age} > 60", "direction": "higher", "target": 0.9, "floor": 0.5, "min_n": 5}
    sheet = score(make_rubric(members, misuse), load_bundle(demo, surveys))
    x1, x2 = sheet.indicator("X1"), sheet.indicator("X2")
    assert x1.n > 50 and x1.estimate == 1.0  # the door count of members is the members repeat
    assert "expression_errors" in x2.flags and x2.n == 0
