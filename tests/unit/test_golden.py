"""The shipped rubric on a fixed demo bundle: every published number pinned and recomputed.

`tests/fixtures/bundles/golden-demo600` is a synthetic bundle made once with
`evaluator demo-data OUT --households 600 --seed 20261130 --error-rates
dissatisfied=0.3,refusal=0.05` and committed (its evaluation.yaml later names household survey
2026.2, which only relabelled the members' repeat; it shows every verdict: meets, fails,
indeterminate, insufficient, and refusals replaced from reserves). `golden-demo600.json` pins
what `evaluator score` prints for it; this test checks the product against that file exactly,
and checks every number in the file against an independent computation written here from the
CSV files with the standard library: the rubric's rules by hand, the linearised domain variance
from samplics, the exact intervals and p-values from scipy, points, Holm, the total, the grade
and its provisional range by hand. Nothing here calls the product to compute an expected value.

Regenerate the pinned file (after checking the change is intended):
    .venv/bin/python -m tests.unit.test_golden --write
"""

from __future__ import annotations

import csv
import json
import math
import sys
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import beta, norm
from scipy.stats import t as student_t

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from samplics.estimation import TaylorEstimator
    from samplics.utils.types import PopParam

BUNDLE = Path(__file__).resolve().parents[1] / "fixtures" / "bundles" / "golden-demo600"
GOLDEN = BUNDLE.parent / "golden-demo600.json"
CONFIDENCE = 0.95


# -- the product's answer, pinned -------------------------------------------------------------------


def product_numbers() -> dict:
    from evaluator.scoring import score
    from evaluator.scoring.commands import load_checked

    rubric, bundle = load_checked(BUNDLE, None, None)
    sheet = score(rubric, bundle).to_dict()
    keys = ("estimate", "ci_low", "ci_high", "bound", "p_value", "n", "missing", "nonresponse",
            "not_applicable", "points", "verdict", "deff", "n_effective", "points_range")
    return {
        "total": sheet["total"], "grade": sheet["grade"], "uncapped_grade": sheet["uncapped_grade"],
        "provisional": sheet["provisional"], "total_range": sheet["total_range"],
        "grade_range": sheet["grade_range"], "provisional_because": sheet["provisional_because"],
        "veto": [v["code"] for v in sheet["veto"]],
        "dimensions": {d["code"]: d["score"] for d in sheet["dimensions"]},
        "indicators": {i["code"]: {k: i[k] for k in keys} for i in sheet["indicators"]},
        "veto_rule": {i["code"]: i["veto_rule"] for i in sheet["indicators"] if i["veto_rule"]},
        "response": sheet["response"],
        "multiplicity": sheet["multiplicity"],
    }


def test_the_product_prints_exactly_the_pinned_numbers():
    assert product_numbers() == json.loads(GOLDEN.read_text(encoding="utf-8"))


# -- the same numbers, computed independently ----------------------------------------------------------


def read(name):
    with (BUNDLE / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


ROSTER = {r["household_id"]: r for r in read("roster.csv")}
N_H = Counter(r["stratum"] for r in ROSTER.values())
SAMPLE = read("sample.csv")
DRAWN = {r["household_id"] for r in SAMPLE if r["role"] == "sample"}


def units_of(source):
    """Records of a source joined with the roster (the record's field wins), by household id."""
    rows = {}
    for record in read(f"{source}.csv"):
        rows[record["household_id"]] = {**ROSTER[record["household_id"]], **record}
    return dict(sorted(rows.items()))


HOUSEHOLD = units_of("household")
FILES = units_of("file_check")
SYSTEM = units_of("system")
RESPONDED = {h: u["consent"] == "yes" for h, u in HOUSEHOLD.items()}


def kg(p, n_fpc, df, level):
    n = n_fpc * (norm.ppf(level) / student_t.ppf(level, df)) ** 2
    x = p * n
    low = 0.0 if x <= 0 else beta.ppf(1 - level, x, n - x + 1)
    high = 1.0 if x >= n else beta.ppf(level, x + 1, n - x)
    return low, high, n, x


def design(units, rule):
    """rule(unit) -> ('in', value) | ('out', None) | ('missing', None) for each responding unit."""
    strata = defaultdict(lambda: {"values": [], "out": 0})
    missing = 0
    for unit in units.values():
        kind, value = rule(unit)
        if kind == "missing":
            missing += 1
            continue
        cell = strata[unit["stratum"]]
        if kind == "in":
            cell["values"].append(value)
        else:
            cell["out"] += 1
    return dict(strata), missing


def estimate(strata, kind):
    """Point, variance (samplics), interval, bound side values, as the docs define them."""
    y, w, h, dom, fpcs = [], [], [], [], {}
    for name, cell in strata.items():
        m = len(cell["values"]) + cell["out"]
        y += [v + 1.0 for v in cell["values"]] + [1.0] * cell["out"]
        w += [N_H[name] / m] * m
        h += [name] * m
        dom += ["d"] * len(cell["values"]) + ["o"] * cell["out"]
        fpcs[name] = 1 - m / N_H[name]
        assert m >= 2, "a lone household would need the pooled variance; not in this bundle"
    est = TaylorEstimator(PopParam.mean)
    est.estimate(y=np.array(y), samp_weight=np.array(w), stratum=np.array(h), domain=np.array(dom),
                 fpc=dict(sorted(fpcs.items())), remove_nan=True)
    p = float(est.point_est["d"]) - 1.0
    v = float(est.variance["d"])
    n = sum(len(c["values"]) for c in strata.values())
    holding = [c for c in strata.values() if c["values"]]
    df = max(n - len(holding), 1)
    domain = sum(N_H[name] * len(c["values"]) / (len(c["values"]) + c["out"]) for name, c in strata.items())
    f = n / domain
    if kind == "mean":
        values = [(N_H[k] / (len(c["values"]) + c["out"]), x) for k, c in strata.items() for x in c["values"]]
        spread = sum(wt * (x - p) ** 2 for wt, x in values) / sum(wt for wt, _ in values)
        deff = v / ((1 - f) * spread * n / (n - 1) / n)
        half = student_t.ppf(0.975, df) * math.sqrt(v)
        return {"estimate": p, "variance": v, "n": n, "df": df, "deff": deff, "n_effective": n / deff,
                "ci": (p - half, p + half), "f": f, "kind": kind}
    p = min(1.0, max(0.0, p))
    srs = (1 - f) * p * (1 - p) / (n - 1)
    deff = v / srs if srs else None
    n_eff = n / max(deff, 1.0) if deff is not None else float(n)
    low, high, _, _ = kg(p, n_eff / (1 - f), df, 0.975)
    return {"estimate": p, "variance": v, "n": n, "df": df, "deff": deff, "n_effective": n_eff,
            "ci": (low, high), "f": f, "kind": kind}


def one_sided(e, direction, threshold):
    """(bound that must clear the threshold, p-value of 'at or better than the threshold')."""
    if e["kind"] == "mean":
        se = math.sqrt(e["variance"])
        t95 = student_t.ppf(0.95, e["df"])
        z = (e["estimate"] - threshold) / se
        if direction == "higher":
            return e["estimate"] - t95 * se, student_t.cdf(z, e["df"])
        return e["estimate"] + t95 * se, student_t.sf(z, e["df"])
    low, high, n, x = kg(e["estimate"], e["n_effective"] / (1 - e["f"]), e["df"], 0.95)
    if direction == "higher":
        return low, (1.0 if x >= n else beta.sf(threshold, x + 1, n - x))
    return high, (1.0 if x <= 0 else beta.cdf(threshold, x, n - x + 1))


def linear(points, est, target, floor):
    if (target > floor and est >= target) or (target < floor and est <= target):
        return points
    if (target > floor and est <= floor) or (target < floor and est >= floor):
        return 0.0
    return points * (est - floor) / (target - floor)


def household_rule(applies, value):
    def rule(unit):
        if not applies(unit):
            return "out", None
        v = value(unit)
        return ("missing", None) if v is None else ("in", v)
    return rule


def responding(units):
    return {h: u for h, u in units.items() if RESPONDED.get(h, True)}


def checklist(items):
    def rule(unit):
        asked = [unit[i] for i in items if unit[i] not in ("", "na")]
        if not asked:
            return "out", None
        return "in", sum(a == "yes" for a in asked) / len(asked)
    return rule


def agrees(left, right, absolute=None, relative=None):
    if math.isnan(left) or math.isnan(right):
        return False
    gap = abs(left - right)
    return gap < 1e-9 or (absolute is not None and gap <= absolute) or (relative is not None and gap <= relative * abs(right))


def status_of_file(text):
    return {"registered": "在档", "exited": "已脱困"}.get(text, "注销")


EXITED = lambda u: u["status"] == "已脱困"  # noqa: E731
REGISTERED = lambda u: u["status"] == "在档"  # noqa: E731
EVERYONE = lambda u: True  # noqa: E731

# code: (units, rule, kind, direction, threshold, points, mapping, min_n)
INDICATORS = {
    "T1": (HOUSEHOLD, household_rule(REGISTERED, lambda u: float(number(u["per_capita_income"]) >= number(u["local_standard"]))),
           "proportion", "lower", 0.03, 10, (0.03, 0.10), 30),
    "T2": (FILES, household_rule(lambda u: u["income_verified"] != "na", lambda u: float(u["income_verified"] == "yes")),
           "proportion", "higher", 0.98, 5, (1.0, 0.80), 30),
    "N1": (HOUSEHOLD, household_rule(EVERYONE, lambda u: (
        None if not u["hardship_cause"].split() or u["household_id"] not in FILES or not FILES[u["household_id"]]["file_cause"].split()
        else float(bool(set(u["hardship_cause"].split()) & set(FILES[u["household_id"]]["file_cause"].split()))))),
           "proportion", "higher", 0.90, 6, (0.90, 0.60), 30),
    "N2": (FILES, household_rule(lambda u: u["has_plan"] != "na", lambda u: float(u["has_plan"] == "yes")),
           "proportion", "higher", 0.98, 5, (1.0, 0.80), 30),
    "N3": (HOUSEHOLD, household_rule(REGISTERED, lambda u: float(u["plan_known"] == "yes")),
           "proportion", "higher", 0.90, 4, (0.90, 0.60), 30),
    "M1": (HOUSEHOLD, household_rule(REGISTERED, lambda u: float(u["knows_helper"] == "yes")),
           "proportion", "higher", 0.95, 5, (0.95, 0.70), 30),
    "M2": (HOUSEHOLD, household_rule(lambda u: u["knows_helper"] == "yes",
                                     lambda u: None if math.isnan(number(u["helper_visits_12m"])) else number(u["helper_visits_12m"])),
           "mean", "higher", 4.0, 4, (4.0, 1.0), 30),
    "M3": (FILES, checklist(["has_application", "public_notice", "approval_signed", "helper_recorded",
                             "visit_records", "exit_assessment"]), "share", "higher", 0.95, 6, (0.95, 0.70), 30),
    "F1": (HOUSEHOLD, household_rule(EVERYONE, lambda u: float(agrees(
        number(u["aid_amount_total"]) if u["aid_received"] == "yes" else 0.0,
        number(SYSTEM[u["household_id"]]["aid_total"]) if u["household_id"] in SYSTEM else math.nan,
        absolute=200, relative=0.1))), "proportion", "higher", 0.90, 6, (0.90, 0.60), 30),
    "F2": (FILES, household_rule(lambda u: u["vouchers_complete"] != "na", lambda u: float(u["vouchers_complete"] == "yes")),
           "proportion", "higher", 0.98, 4, (1.0, 0.80), 30),
    "D1": (SYSTEM, household_rule(EVERYONE, lambda u: sum(u[f] != "" for f in (
        "township", "category", "status", "household_size", "per_capita_income", "sys_cause", "helper_assigned",
        "plan_recorded", "aid_total", "aid_count", "last_visit_date")) / 11), "share", "higher", 0.98, 4, (0.98, 0.80), 30),
    "D2": (FILES, household_rule(EVERYONE, lambda u: float(agrees(
        number(u["file_aid_total"]),
        number(SYSTEM[u["household_id"]]["aid_total"]) if u["household_id"] in SYSTEM else math.nan, absolute=1))),
           "proportion", "higher", 0.95, 3, (0.95, 0.70), 30),
    "D3": (FILES, household_rule(EVERYONE, lambda u: float(
        u["household_id"] in SYSTEM and SYSTEM[u["household_id"]]["status"].strip() != ""
        and status_of_file(u["file_status"]) == SYSTEM[u["household_id"]]["status"].strip())),
           "proportion", "higher", 0.95, 3, (0.95, 0.70), 30),
    "O1": (HOUSEHOLD, household_rule(EXITED, lambda u: float(number(u["per_capita_income"]) < number(u["local_standard"])
                                                            or u["exit_agrees"] == "no")),
           "proportion", "lower", 0.02, 8, "steps", 10),
    "O2": (HOUSEHOLD, household_rule(EVERYONE, lambda u: float(u["satisfaction"] in ("4", "5"))),
           "proportion", "higher", 0.90, 6, (0.90, 0.60), 30),
    "O3": (HOUSEHOLD, checklist(["food_secure", "clothing_secure", "medical_insured", "education_secure",
                                 "housing_secure"]), "share", "higher", 0.98, 6, (0.98, 0.80), 30),
}
DIMENSION = {"T1": "targeting", "T2": "targeting", "T3": "targeting", "N1": "needs", "N2": "needs", "N3": "needs",
             "M1": "mechanism", "M2": "mechanism", "M3": "mechanism", "M4": "mechanism", "F1": "funds",
             "F2": "funds", "F3": "funds", "F4": "funds", "D1": "data", "D2": "data", "D3": "data",
             "O1": "outcomes", "O2": "outcomes", "O3": "outcomes", "O4": "outcomes"}
BANDS = [("优秀", 90), ("良好", 80), ("合格", 60), ("不合格", 0)]


def grade_of(total):
    return next(g for g, low in BANDS if total >= low)


@pytest.fixture(scope="module")
def independent():
    out = {}
    p_values = {}
    for code, (units, rule, kind, direction, threshold, points, mapping, min_n) in INDICATORS.items():
        units = responding(units) if units is HOUSEHOLD else units
        strata, missing = design(units, rule)
        e = estimate(strata, kind)
        if units is not FILES and units is not SYSTEM:
            nonresponse = sum(not r for r in RESPONDED.values()) + len(DRAWN - HOUSEHOLD.keys())
        else:
            nonresponse = 0
            missing += len(DRAWN - units.keys())
        bound, p = one_sided(e, direction, threshold)
        if mapping == "steps":
            earned = 8.0 if e["estimate"] <= 0.02 else (4.0 if e["estimate"] <= 0.05 else 0.0)
            ends = [8.0 if v <= 0.02 else (4.0 if v <= 0.05 else 0.0) for v in e["ci"]]
        else:
            earned = linear(points, e["estimate"], *mapping)
            ends = [linear(points, v, *mapping) for v in e["ci"]]
        if e["n"] < min_n:
            verdict, earned, p = "insufficient", 0.0, None
        elif (bound >= threshold) if direction == "higher" else (bound <= threshold):
            verdict = "meets"
        else:
            verdict = "indeterminate"
        if p is not None:
            p_values[code] = p
        out[code] = {**e, "bound": bound, "p_value": p, "points": earned, "verdict": verdict, "missing": missing,
                     "nonresponse": nonresponse, "max": points, "ends": ends,
                     "not_applicable": sum(c["out"] for c in strata.values())}
    # Holm across the tested indicators
    ordered = sorted(p_values.items(), key=lambda kv: (kv[1], kv[0]))
    for k, (code, p) in enumerate(ordered):
        if not p < 0.05 / (len(ordered) - k):
            break
        out[code]["verdict"] = "fails"
    # judgement, deductions and the findings veto
    judged = [float(j["score"]) for j in read("judgements.csv") if j["indicator"] == "M4"]
    m4 = sum(judged) / len(judged)
    out["M4"] = {"estimate": m4, "points": 5 * m4 / 10, "max": 5,
                 "verdict": "indeterminate" if max(judged) - min(judged) > 3 else (
                     "meets" if 5 * m4 / 10 >= 0.6 * 5 else "fails")}
    findings = read("findings.csv")
    for code in ("T3", "F3"):
        off = sum({"minor": 1, "major": 2, "critical": 5}[f["severity"]] for f in findings if f["indicator"] == code)
        kept = max(0.0, 5.0 - off)
        out[code] = {"points": kept, "max": 5, "verdict": "meets" if kept >= 3.0 else "fails"}
    critical_funds = [f for f in findings if f["severity"] == "critical" and DIMENSION.get(f["indicator"]) == "funds"]
    out["F4"] = {"points": 0.0, "max": 0, "verdict": "fails" if critical_funds else "meets"}
    # O4: exited respondents; share of paper exits; fires when the one-sided lower bound exceeds 1 %
    strata, _ = design(responding(HOUSEHOLD), household_rule(EXITED, lambda u: float(
        u["exit_told"] != "yes" and number(u["per_capita_income"]) < number(u["local_standard"]))))
    e = estimate(strata, "proportion")
    lower = kg(e["estimate"], e["n_effective"] / (1 - e["f"]), e["df"], 0.95)[0]
    out["O4"] = {**e, "points": 0.0, "max": 0, "verdict": "fails" if lower > 0.01 else "meets", "measure": lower}
    dims = defaultdict(float)
    for code, r in out.items():
        dims[DIMENSION[code]] += r["points"]
    total = math.fsum(dims.values())
    low = high = 0.0
    because = []
    for code, r in out.items():
        if r["verdict"] == "insufficient":
            lo, hi = 0.0, float(r["max"])
        elif r["verdict"] == "indeterminate" and "ends" in r:
            lo, hi = min(r["ends"]), max(r["ends"])
        else:
            lo = hi = r["points"]
        low += lo
        high += hi
        if r["verdict"] in ("insufficient", "indeterminate") and lo != hi:
            because.append(code)
    caps = ["不合格"] if critical_funds else []
    caps += ["合格"] if out["O4"]["verdict"] == "fails" else []

    def capped(g):
        ranks = [b for b, _ in BANDS]
        return max([g, *caps], key=ranks.index)

    return {"indicators": out, "dimensions": dict(dims), "total": total, "grade": capped(grade_of(total)),
            "range": (low, high), "grade_range": (capped(grade_of(low)), capped(grade_of(high))),
            "because": because, "family": sorted(p_values)}


@pytest.fixture(scope="module")
def pinned():
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def close(a, b):
    return a == pytest.approx(b, rel=1e-9, abs=1e-12)


def test_the_bundle_shows_every_kind_of_verdict(pinned):
    verdicts = {i["verdict"] for i in pinned["indicators"].values()}
    assert verdicts == {"meets", "fails", "indeterminate", "insufficient"}


@pytest.mark.parametrize("code", list(INDICATORS))
def test_each_estimated_indicator_is_recomputed_independently(independent, pinned, code):
    mine, got = independent["indicators"][code], pinned["indicators"][code]
    assert close(got["estimate"], mine["estimate"])
    assert close(got["ci_low"], mine["ci"][0]) and close(got["ci_high"], mine["ci"][1])
    assert got["n"] == mine["n"] and got["missing"] == mine["missing"]
    assert got["nonresponse"] == mine["nonresponse"] and got["not_applicable"] == mine["not_applicable"]
    assert close(got["bound"], mine["bound"])
    if mine["p_value"] is None:
        assert got["p_value"] is None
    else:
        assert close(got["p_value"], mine["p_value"])
    if mine["deff"] is not None:
        assert close(got["deff"], mine["deff"])
    assert close(got["n_effective"], mine["n_effective"])
    assert close(got["points"], mine["points"])
    assert got["verdict"] == mine["verdict"]


def test_judgement_deductions_and_vetoes_are_recomputed(independent, pinned):
    for code in ("M4", "T3", "F3", "F4", "O4"):
        assert close(pinned["indicators"][code]["points"], independent["indicators"][code]["points"]), code
        assert pinned["indicators"][code]["verdict"] == independent["indicators"][code]["verdict"], code
    assert close(pinned["indicators"]["M4"]["estimate"], independent["indicators"]["M4"]["estimate"])
    assert close(pinned["veto_rule"]["O4"]["measure"], independent["indicators"]["O4"]["measure"])
    assert close(pinned["indicators"]["O4"]["estimate"], independent["indicators"]["O4"]["estimate"])


def test_dimensions_total_grade_and_its_provisional_range_are_recomputed(independent, pinned):
    for code, value in independent["dimensions"].items():
        assert close(pinned["dimensions"][code], value), code
    assert close(pinned["total"], independent["total"])
    assert pinned["grade"] == independent["grade"]
    assert close(pinned["total_range"][0], independent["range"][0])
    assert close(pinned["total_range"][1], independent["range"][1])
    assert tuple(pinned["grade_range"]) == independent["grade_range"]  # (worst, best)
    assert pinned["provisional"] == (independent["grade_range"][0] != independent["grade_range"][1])
    assert pinned["provisional_because"] == independent["because"]
    assert sorted(pinned["multiplicity"]["family"]) == independent["family"]
    assert pinned["multiplicity"]["verdicts"] == len(independent["family"])


def test_response_rates_are_recomputed(pinned):
    drawn = Counter(r["stratum"] for r in SAMPLE if r["role"] == "sample")
    roles = {r["household_id"]: r["role"] for r in SAMPLE}
    table = pinned["response"]["household"]
    for stratum, row in table["strata"].items():
        mine = [h for h, u in HOUSEHOLD.items() if u["stratum"] == stratum]
        responded = sum(RESPONDED[h] for h in mine)
        refused = len(mine) - responded
        reached = {h for h in mine}
        not_reached = sum(1 for r in SAMPLE if r["role"] == "sample" and r["stratum"] == stratum
                          and r["household_id"] not in reached)
        assert row["drawn"] == drawn[stratum]
        assert row["responded"] == responded and row["refused"] == refused and row["not_reached"] == not_reached
        assert row["reserves_used"] == sum(roles.get(h) == "reserve" for h in mine)
        assert close(row["rate"], responded / (responded + refused + not_reached))
    assert table["total"]["refused"] == sum(not r for r in RESPONDED.values()) > 0


if __name__ == "__main__" and "--write" in sys.argv:
    GOLDEN.write_text(json.dumps(product_numbers(), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                      encoding="utf-8")
    print(f"wrote {GOLDEN}")
