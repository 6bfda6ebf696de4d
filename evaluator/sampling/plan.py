"""The sampling plan (抽样方案): everything needed to repeat and to weight the draw, as plain data.

The plan is stored in the bundle's evaluation.yaml and printed by ``evaluator sample``: the size
rule and its parameters, the frame size of every stratum N_h, the allocated n_h and reserve r_h,
the design weight N_h / n_h used by scoring, the seed, and (when the frame came from a file) the
roster's sha256 and encoding, so a reviewer can check that the same roster was used.
"""

from __future__ import annotations

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
    elif method == "margin":
        assert margin is not None  # the method chosen is the parameter given
        required = size_for_margin(margin, confidence, p, population=population)
        parameters = {"margin": margin, "confidence": confidence, "p": p}
        z = z_value(confidence)
        n0 = z * z * p * (1 - p) / (margin * margin)
        formula = (
            f"Cochran: n0 = z^2 p(1-p) / E^2 = {n0:.2f} (z = {z:.4f}); "
            f"n = n0 / (1 + (n0 - 1) / N) with N = {population}, rounded up"
        )
    else:
        assert threshold is not None  # the method chosen is the parameter given
        required = size_for_threshold(threshold, expected_errors, confidence, population=population)
        parameters = {
            "threshold": threshold,
            "expected_errors": expected_errors,
            "confidence": confidence,
        }
        formula = (
            "smallest n whose exact one-sided upper bound (hypergeometric over the frame of "
            f"N = {population}; Clopper-Pearson in the limit) with {expected_errors} error(s) "
            f"found stays below {threshold:g}"
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
    if roster is not None:
        plan["roster"] = dict(roster)
    return plan


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
