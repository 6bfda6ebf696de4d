"""The peer of bench/scoring.py: what an analyst writes instead of ``evaluator score``.

A competent pandas script: read the bundle's CSV files, join the records to the roster, and
compute ten of the rubric's indicators the way the rubric defines them (rates, a mean, a
checklist, a consistency between door and system), each design-weighted by stratum
(W_h = N_h / N from the roster) with a finite-population correction, a Wilson interval at the
effective sample size for rates and a Student t interval for the mean and the checklist
share. It checks no answer (the product checks every one). Run as a process:
``python peer_pandas.py BUNDLE``; it prints the indicators.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm, t

Z = norm.ppf(0.975)


def stratified(df: pd.DataFrame, value: str, frame: pd.Series) -> tuple[float, float, int, pd.DataFrame]:
    """(estimate, variance, n, per-stratum table) of the mean of ``value`` by stratum."""
    g = df.groupby("stratum")[value].agg(["mean", "var", "count"])
    g["N"] = frame.reindex(g.index)
    g["W"] = g["N"] / g["N"].sum()
    g["f"] = g["count"] / g["N"]
    estimate = float((g["W"] * g["mean"]).sum())
    variance = float((g["W"] ** 2 * (1 - g["f"]) * g["var"].fillna(0) / g["count"]).sum())
    return estimate, variance, int(g["count"].sum()), g


def rate(df: pd.DataFrame, applies: pd.Series, condition: pd.Series, frame: pd.Series) -> tuple:
    d = df.loc[applies, ["stratum"]].assign(y=condition[applies].astype(float))
    p, v, n, g = stratified(d, "y", frame)
    f = n / frame.sum()
    srs = (1 - f) * p * (1 - p) / (n - 1) if n > 1 else 0
    deff = max(v / srs, 1.0) if srs else 1.0
    m = n / deff / (1 - f)
    centre = (p + Z * Z / (2 * m)) / (1 + Z * Z / m)
    half = Z / (1 + Z * Z / m) * np.sqrt(p * (1 - p) / m + Z * Z / (4 * m * m))
    return p, centre - half, centre + half, n


def mean(df: pd.DataFrame, value: pd.Series, frame: pd.Series) -> tuple:
    d = df[["stratum"]].assign(y=value).dropna()
    est, v, n, g = stratified(d, "y", frame)
    half = t.ppf(0.975, n - len(g)) * np.sqrt(v)
    return est, est - half, est + half, n


def main(folder: str) -> int:
    path = Path(folder)
    roster = pd.read_csv(path / "roster.csv", dtype=str, keep_default_na=False)
    sample = pd.read_csv(path / "sample.csv", dtype=str, keep_default_na=False)
    household = pd.read_csv(path / "household.csv", dtype=str, keep_default_na=False)
    files = pd.read_csv(path / "file_check.csv", dtype=str, keep_default_na=False)
    system = pd.read_csv(path / "system.csv", dtype=str, keep_default_na=False)
    frame = roster.groupby("stratum").size()
    roster["local_standard"] = pd.to_numeric(roster["local_standard"], errors="coerce")
    drawn = sample.loc[sample["role"] == "sample", "household_id"]
    keep = ["household_id", "stratum", "status", "local_standard"]
    hh = household.merge(roster[keep], on="household_id", how="inner")
    fc = files.merge(roster[keep], on="household_id", how="inner")
    hh = hh[hh["household_id"].isin(drawn) | True]
    num = lambda s: pd.to_numeric(s, errors="coerce")  # noqa: E731
    consent = hh["consent"] == "yes"
    registered = consent & (hh["status"] == "在档")
    exited = consent & (hh["status"] == "已脱困")
    income = num(hh["per_capita_income"])
    out = {
        "T1": rate(hh, registered, income >= hh["local_standard"], frame),
        "T2": rate(fc, fc["income_verified"] != "na", fc["income_verified"] == "yes", frame),
        "N2": rate(fc, fc["has_plan"] != "na", fc["has_plan"] == "yes", frame),
        "N3": rate(hh, registered, hh["plan_known"] == "yes", frame),
        "M1": rate(hh, registered, hh["knows_helper"] == "yes", frame),
        "M2": mean(hh[consent & (hh["knows_helper"] == "yes")], num(hh["helper_visits_12m"]), frame),
        "F2": rate(fc, fc["vouchers_complete"] != "na", fc["vouchers_complete"] == "yes", frame),
        "O1": rate(hh, exited, (income < hh["local_standard"]) | (hh["exit_agrees"] == "no"), frame),
    }
    items = ["has_application", "public_notice", "approval_signed", "helper_recorded",
             "visit_records", "exit_assessment"]
    answered = fc[items].isin(["yes", "no"])
    share = (fc[items] == "yes").sum(axis=1) / answered.sum(axis=1)
    out["M3"] = mean(fc, share.where(answered.any(axis=1)), frame)
    door = hh.loc[consent, ["household_id", "stratum", "aid_received", "aid_amount_total"]]
    joined = door.merge(system[["household_id", "aid_total"]], on="household_id", how="inner")
    left = np.where(joined["aid_received"] == "yes", num(joined["aid_amount_total"]), 0.0)
    right = num(joined["aid_total"])
    agree = (np.abs(left - right) <= np.maximum(200, 0.1 * np.abs(right)))
    out["F1"] = rate(joined, pd.Series(True, index=joined.index), pd.Series(agree, index=joined.index), frame)
    for code, (estimate, low, high, n) in out.items():
        print(f"{code} {estimate:.4f} [{low:.4f}, {high:.4f}] n={n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
