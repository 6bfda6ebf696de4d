"""The one decision rule's arithmetic: exact beta bounds for a proportion at an effective n.

Both the sample-size planner (``evaluator sample --threshold``) and the scoring verdicts call
``proportion_bound``, so a team that finds the planned number of errors in the planned sample
gets exactly the verdict the plan promised. The bound is Clopper & Pearson's (1934) exact
binomial bound, computed as Korn & Graubard (1998) do for survey data: at the *effective* sample
size (the design effect and the finite-population correction folded into n), with the
degrees-of-freedom adjustment (z / t_df)². With one stratum, no design effect, an infinite
population and df = ∞ it is exactly ``scipy.stats.binomtest(k, n).proportion_ci("exact")``.

Pure arithmetic on plain floats. The distributions are ``scipy.special``'s compiled ufuncs,
loaded on first use (importing ``scipy.stats`` costs 0.5-0.6 s of CPU that every ``evaluator
score`` would pay, and ``scipy.special`` itself 0.3 s: see ``_ufuncs``); each helper is the
``scipy.stats`` function of the same name bit for bit, its answers at and beyond the support's
ends included (tests/unit/test_stats.py).
"""

from __future__ import annotations

import importlib
import math
import sys
import threading
import types
from functools import cache
from importlib.util import find_spec
from typing import Any

SIDES = ("lower", "upper")


_LOADING = threading.Lock()


@cache
def _ufuncs() -> Any:
    """``scipy.special._ufuncs``: the very ufunc objects ``scipy.special`` exports as ``ndtri``,
    ``stdtrit``, ``stdtr``, ``betaincinv``, ``betainc`` and ``betaincc``, loaded without running
    ``scipy/special/__init__.py`` when nothing has imported it yet. That file costs 0.3 s of CPU
    in scipy 1.17 (its array-API layer clones numpy's namespace, which imports numpy.f2py and
    numpy.testing): more than scoring a county. The compiled modules need only their package's
    path, so a bare package stands in while they load and is taken out again; a later
    ``import scipy.special`` runs the real package, which finds the same modules loaded."""
    if "scipy.special" in sys.modules:
        return importlib.import_module("scipy.special._ufuncs")
    with _LOADING:
        package = find_spec("scipy.special")
        if package is None or package.submodule_search_locations is None:
            return importlib.import_module("scipy.special._ufuncs")
        stand_in = types.ModuleType("scipy.special")
        stand_in.__path__ = list(package.submodule_search_locations)
        sys.modules["scipy.special"] = stand_in
        try:
            return importlib.import_module("scipy.special._ufuncs")
        finally:
            if sys.modules.get("scipy.special") is stand_in:
                del sys.modules["scipy.special"]


def normal_quantile(q: float) -> float:
    """``scipy.stats.norm.ppf(q)`` (it is ``scipy.special.ndtri``)."""
    return float(_ufuncs().ndtri(q))


def t_quantile(q: float, df: float) -> float:
    """``scipy.stats.t.ppf(q, df)`` (it is ``scipy.special.stdtrit``)."""
    return float(_ufuncs().stdtrit(df, q))


def t_cdf(x: float, df: float) -> float:
    """``scipy.stats.t.cdf(x, df)`` (``scipy.special.stdtr``)."""
    return float(_ufuncs().stdtr(df, x))


def beta_quantile(q: float, a: float, b: float) -> float:
    """``scipy.stats.beta.ppf(q, a, b)``: ``scipy.special.betaincinv`` inside (0, 1), with
    ``beta.ppf``'s answers at q = 0 and 1 and for shapes or levels it refuses (nan)."""
    if not (a > 0.0 and b > 0.0 and 0.0 <= q <= 1.0):
        return math.nan
    if q == 0.0 or q == 1.0:
        return q
    return float(_ufuncs().betaincinv(a, b, q))


def beta_cdf(x: float, a: float, b: float) -> float:
    """``scipy.stats.beta.cdf(x, a, b)``: ``scipy.special.betainc`` inside the support (0, 1),
    0 below it, 1 above it, nan for a refused shape or x."""
    if not (a > 0.0 and b > 0.0) or math.isnan(x):
        return math.nan
    if x <= 0.0 or x >= 1.0:
        return 0.0 if x <= 0.0 else 1.0
    return float(_ufuncs().betainc(a, b, x))


def beta_sf(x: float, a: float, b: float) -> float:
    """``scipy.stats.beta.sf(x, a, b)``: ``scipy.special.betaincc`` inside the support (0, 1),
    1 below it, 0 above it, nan for a refused shape or x."""
    if not (a > 0.0 and b > 0.0) or math.isnan(x):
        return math.nan
    if x <= 0.0 or x >= 1.0:
        return 1.0 if x <= 0.0 else 0.0
    return float(_ufuncs().betaincc(a, b, x))


def df_factor(level: float, df: float | None) -> float:
    """Korn–Graubard's (z_q / t_q,df)² at the one-sided level q; 1 when df is None or infinite.

    It shrinks the effective sample size when the variance rests on few degrees of freedom
    (few units per stratum), so the bound widens as a t interval would.
    """
    if df is None or math.isinf(df):
        return 1.0
    if not df > 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    z = normal_quantile(level)
    t = t_quantile(level, df)
    return (z / t) ** 2 if t != 0.0 else 1.0


def proportion_bound(
    proportion: float, n_effective: float, level: float, side: str, df: float | None = None
) -> float:
    """One-sided exact (beta) bound for ``proportion`` seen on ``n_effective`` units, at ``level``.

    ``side`` is ``lower`` or ``upper``; ``level`` the one-sided confidence (0.95 for a 95 %
    one-sided bound; 0.975 gives each end of a two-sided 95 % interval). ``n_effective`` may be
    fractional and already includes the finite-population correction n / (1 - f); ``df`` applies
    the Korn–Graubard adjustment. At 0 successes the lower bound is 0, at n it is the upper 1.

    >>> round(proportion_bound(0.0, 149, 0.95, "upper"), 5)   # 1 - 0.05^(1/149), about 3/149
    0.0199
    """
    _check(proportion, n_effective, level, side)
    n, x = _counts(proportion, n_effective, level, df)
    if side == "lower":
        return 0.0 if x <= 0.0 else beta_quantile(1.0 - level, x, n - x + 1.0)
    return 1.0 if x >= n else beta_quantile(level, x + 1.0, n - x)


def proportion_tail(
    proportion: float, n_effective: float, value: float, side: str, level: float,
    df: float | None = None,
) -> float:
    """The one-sided p-value that matches ``proportion_bound`` at ``level``.

    ``side = "upper"``: the p-value of "the true share is at least ``value``" (small when the
    data show it is below): p < 1 - level exactly when the upper bound at ``level`` is below
    ``value``. ``side = "lower"`` mirrors it. The degrees-of-freedom factor is the one at
    ``level``, so the p-value and the printed bound never disagree at the stated confidence.
    """
    _check(proportion, n_effective, level, side)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"the value tested must lie within [0, 1], got {value}")
    n, x = _counts(proportion, n_effective, level, df)
    if side == "upper":
        # upper bound = beta.ppf(level, x + 1, n - x) < value  <=>  beta.sf(value, ...) < 1 - level
        return 1.0 if x >= n else beta_sf(value, x + 1.0, n - x)
    return 1.0 if x <= 0.0 else beta_cdf(value, x, n - x + 1.0)


def _counts(proportion: float, n_effective: float, level: float, df: float | None) -> tuple[float, float]:
    """(n*, x*): the effective sample and count; a count within float noise of 0 or n* is that
    (scipy's beta overflows on a subnormal shape parameter such as 5e-324)."""
    n = n_effective * df_factor(level, df)
    x = proportion * n
    if x < _NOISE * n:
        x = 0.0
    elif n - x < _NOISE * n:
        x = n
    return n, x


_NOISE = 1e-12


def _check(proportion: float, n_effective: float, level: float, side: str) -> None:
    if side not in SIDES:
        raise ValueError(f"side must be 'lower' or 'upper', got {side!r}")
    if not 0.0 <= proportion <= 1.0 or math.isnan(proportion):
        raise ValueError(f"proportion must be within [0, 1], got {proportion}")
    if not n_effective > 0 or math.isinf(n_effective):
        raise ValueError(f"effective sample size must be positive and finite, got {n_effective}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
