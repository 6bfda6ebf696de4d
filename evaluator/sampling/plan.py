"""The sampling plan (抽样方案): everything needed to repeat and to weight the draw, as plain data.

The plan is stored in the bundle's evaluation.yaml and printed by ``evaluator sample``: the size
rule and its parameters, the frame size of every stratum N_h, the allocated n_h and reserve r_h,
the design weight N_h / n_h used by scoring, the seed, and (when the frame came from a file) the
roster's sha256 and encoding, so a reviewer can check that the same roster was used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from evaluator.sampling.allocation import allocate, whole_number
from evaluator.sampling.draw import Draw, draw, group_frame
from evaluator.sampling.size import size_for_margin, size_for_threshold, z_value

METHODS = ("margin", "threshold", "size")

DRAW_ALGORITHM = (
    "numpy.random.default_rng(seed) (PCG64); strata in sorted name order; within a stratum, "
    "household ids sorted, one rng.random() key each, households ordered by key; the first n_h "
    "are the sample, the next r_h the reserve list in order"
)


def sample_plan(
    frame_sizes: Mapping[str, int],
    *,
    seed: int,
    size: int | None = None,
    margin: float | None = None,
    p: float = 0.5,
    threshold: float | None = None,
    expected_errors: int = 0,
    confidence: float = 0.95,
    min_per_stratum: int = 0,
    reserve: int = 0,
    roster: Mapping[str, object] | None = None,
) -> dict:
    """Build the plan dict from stratum sizes and exactly one size rule.

    The rule is one of ``size`` (a fixed n), ``margin`` (Cochran with the finite-population
    correction over the whole frame) or ``threshold`` (exact upper bound, hypergeometric over the
    whole frame). The total n is then allocated with ``allocate``. ``roster`` is optional
    metadata (file, sha256, encoding, columns) copied into the plan. Raises ``ValueError``.
    """
    chosen = [name for name, value in (("size", size), ("margin", margin), ("threshold", threshold))
              if value is not None]
    if len(chosen) != 1:
        raise ValueError("give exactly one of size, margin or threshold to set the sample size")
    if seed is None:
        raise ValueError("a seed is required: without it nobody can repeat the draw")
    seed = whole_number(seed, "seed")
    reserve = whole_number(reserve, "reserve")
    min_per_stratum = whole_number(min_per_stratum, "min_per_stratum")
    population = sum(whole_number(v, f"stratum {k!r} size") for k, v in frame_sizes.items())

    method = chosen[0]
    if method == "size":
        required = whole_number(size, "size")
        parameters: dict[str, object] = {"size": required}
        formula = "fixed sample size"
    elif method == "margin" and margin is not None:
        required = size_for_margin(margin, confidence, p, population=population)
        parameters = {"margin": margin, "confidence": confidence, "p": p}
        z = z_value(confidence)
        n0 = z * z * p * (1 - p) / (margin * margin)
        formula = (
            f"Cochran: n0 = z^2 p(1-p) / E^2 = {n0:.2f} (z = {z:.4f}); "
            f"n = n0 / (1 + (n0 - 1) / N) with N = {population}, rounded up"
        )
    elif threshold is not None:
        strata_count = sum(1 for v in frame_sizes.values() if v)
        required = size_for_threshold(threshold, expected_errors, confidence, population=population,
                                      strata=strata_count)
        parameters = {
            "threshold": threshold,
            "expected_errors": expected_errors,
            "confidence": confidence,
        }
        formula = (
            "smallest n for which the verdict's one-sided upper bound with "
            f"{expected_errors} error(s) found is at most {threshold:g}: exact beta "
            "(Clopper-Pearson) at n / (1 - n/N), Korn-Graubard df factor for "
            f"df = n - {strata_count} strata, over the frame of N = {population}"
        )

    allocation = allocate(frame_sizes, required, min_per_stratum)
    strata = []
    for name, n_h in allocation.items():
        big_n = int(frame_sizes[name])
        strata.append({
            "stratum": name,
            "population": big_n,
            "sample": n_h,
            "reserve": min(reserve, big_n - n_h),
            "weight": (big_n / n_h) if n_h else None,
        })
    plan: dict = {
        "method": method,
        "parameters": parameters,
        "formula": formula,
        "population": population,
        "required": min(required, population),
        "sample": sum(allocation.values()),
        "reserve": sum(s["reserve"] for s in strata),
        "min_per_stratum": min_per_stratum,
        "reserve_per_stratum": reserve,
        "seed": seed,
        "draw": DRAW_ALGORITHM,
        "strata": strata,
    }
    achieved = achieved_precision(plan)
    if achieved:
        plan["achieved"] = achieved
    if roster is not None:
        plan["roster"] = dict(roster)
    return plan


def achieved_precision(plan: Mapping) -> dict:
    """What the allocated sample delivers against the rule it was sized for, and a warning.

    A per-stratum minimum (or rounding) makes the allocation disproportionate, and the planned
    precision no longer holds exactly. For ``margin``: the margin of the allocated stratified
    sample at the planned p, z·√(Σ W_h² (N_h - n_h)/(N_h - 1) · p(1 - p)/n_h) (Cochran 1977,
    5.26 with the same exact FPC as the size formula); a warning when, printed to 0.01 %, it is
    wider than planned (rounding alone moves it by less).
    For ``threshold``: Kish's design effect of the unequal weights, and the upper bound found
    with the planned errors at the effective n; a warning when that bound is above T (with no
    error found the weights do not matter).
    """
    strata = [s for s in plan["strata"] if s["sample"]]
    total = sum(s["population"] for s in plan["strata"])
    params = plan["parameters"]
    if not strata or plan["sample"] >= total:
        return {}
    if plan["method"] == "margin":
        p = params["p"]
        variance = 0.0
        for s in strata:
            big_n, n = s["population"], s["sample"]
            if n < big_n:
                variance += (big_n / total) ** 2 * (big_n - n) / (big_n - 1) * p * (1 - p) / n
        margin = z_value(params["confidence"]) * math.sqrt(variance)
        out: dict = {"margin": margin}
        if round(margin * 100, 2) > round(params["margin"] * 100, 6):  # wider as printed, not float noise
            out["warning"] = (f"the allocation gives a margin of ±{margin * 100:.2f}%, wider than the "
                              f"planned ±{params['margin'] * 100:.4g}% (the minimum per stratum or "
                              "rounding shifts households away from the large strata); raise the size "
                              "or lower the minimum to keep the planned margin")
        return out
    if plan["method"] == "threshold":
        n = plan["sample"]
        weights = [(s["population"] / s["sample"], s["sample"]) for s in strata]
        deff = n * sum(w * w * k for w, k in weights) / sum(w * k for w, k in weights) ** 2
        out = {"weight_deff": deff}
        errors = params["expected_errors"]
        if errors and deff > 1 + 1e-9:
            from evaluator.sampling.bounds import proportion_bound

            n_eff = n / deff
            bound = proportion_bound(errors / n, n_eff / (1 - n / total), params["confidence"], "upper",
                                     max(n - len(strata), 1))
            out["bound_with_expected_errors"] = bound
            if bound > params["threshold"]:
                out["warning"] = (f"unequal weights (design effect {deff:.3f}) make the bound with "
                                  f"{errors} error(s) {bound * 100:.2f}%, above the threshold "
                                  f"{params['threshold'] * 100:.4g}%; raise the size or lower the minimum")
        return out
    return {}


def plan_allocation(plan: Mapping) -> dict[str, int]:
    """``{stratum: n_h}`` from a plan (e.g. one read back from evaluation.yaml)."""
    return {s["stratum"]: int(s["sample"]) for s in plan["strata"]}


def draw_sample(
    frame: Iterable[tuple[str, str]], *, seed: int, **rule
) -> tuple[dict, list[Draw]]:
    """Plan and draw in one call: ``(plan, draws)`` for (household_id, stratum) pairs.

    ``rule`` takes the keyword arguments of ``sample_plan`` (size/margin/threshold, confidence,
    p, expected_errors, min_per_stratum, reserve, roster).
    """
    pairs = list(frame)
    grouped = group_frame(pairs)
    sizes = {name: len(ids) for name, ids in grouped.items()}
    plan = sample_plan(sizes, seed=seed, **rule)
    draws = draw(pairs, plan_allocation(plan), plan["reserve_per_stratum"], seed=seed)
    return plan, draws
