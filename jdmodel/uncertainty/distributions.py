"""Distributions carried by parameter tables.

A parameter table in TOML may carry a distribution::

    tfp_growth = { value = 0.035, unit = "1/yr", low = 0.02, high = 0.05,
                   dist = "triangular", source = "assumption: ..." }

===========  ==========================================  ==================================
``dist``     keys (defaults)                              meaning
===========  ==========================================  ==================================
uniform      low, high                                    U(low, high)
triangular   low, mode (= value), high                    triangular on [low, high]
pert         low, mode (= value), high, lambda (= 4)      beta-PERT, Beta(a, b) on [low, high]
normal       mean (= value), sd (low, high)               N(mean, sd^2), truncated to [low, high] if given
truncnorm    mean (= value), sd, low, high                N(mean, sd^2) truncated to [low, high]
lognormal    median (= value), sigma (low, high)          ln X ~ N(ln median, sigma^2), truncated if given
===========  ==========================================  ==================================

A normal or lognormal with ``low`` and ``high`` is truncated to them (a normal with both is the
truncated normal); one of the two alone is an error. A parameter file's keys are bounded
(``jdmodel.params.schema``), so there the two are accepted only when truncated within the bounds.

A table with ``low``/``high`` but no ``dist`` is *not* uncertain: it samples its
central ``value`` only, unless the caller passes ``default=`` (one of uniform,
triangular, pert) to treat every ranged parameter as uncertain.

Keys in the parameter's own unit (to be converted with it at load): :data:`SCALED_KEYS`.
``sigma`` (of the log) and ``lambda`` are dimensionless.

References
----------
Vose, D. (2008). Risk Analysis: A Quantitative Guide, 3rd ed., Wiley (PERT, ch. 9).
Johnson, N. L., Kotz, S. & Balakrishnan, N. (1994). Continuous Univariate
Distributions, vol. 1, 2nd ed., Wiley (truncated normal, lognormal).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special
from scipy.interpolate import CubicSpline

from jdmodel import _jit
from jdmodel.errors import ParameterError

__all__ = ["DISTRIBUTIONS", "DEFAULTABLE", "SCALED_KEYS", "validate_dist", "ppf", "mean", "var",
           "is_uncertain", "dist_name"]

#: Required (R) and optional (O) keys of each distribution; "value" stands in for mode/mean/median.
DISTRIBUTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "uniform": {"required": ("low", "high"), "optional": ()},
    "triangular": {"required": ("low", "mode", "high"), "optional": ()},
    "pert": {"required": ("low", "mode", "high"), "optional": ("lambda",)},
    "normal": {"required": ("mean", "sd"), "optional": ("low", "high")},
    "truncnorm": {"required": ("mean", "sd", "low", "high"), "optional": ()},
    "lognormal": {"required": ("median", "sigma"), "optional": ("low", "high")},
}
#: Distributions usable as ``default=`` for tables that give only value, low and high.
DEFAULTABLE = ("uniform", "triangular", "pert")
#: Keys expressed in the parameter's unit; a unit conversion scales all of them.
SCALED_KEYS = ("value", "low", "high", "mode", "mean", "sd", "median")
_DIST_KEYS = ("mode", "mean", "sd", "median", "sigma", "lambda")
_FALLBACK_TO_VALUE = {"mode", "mean", "median"}
_HINT = {("normal", "sigma"): "sd", ("truncnorm", "sigma"): "sd", ("lognormal", "sd"): "sigma",
         ("lognormal", "mean"): "median", ("triangular", "mean"): "mode", ("pert", "mean"): "mode"}
_PERT_LAMBDA = 4.0
_LOGIT_MAX = 38.0  # |logit(u)| <= 37.4 for every u that rng.uniforms can return


def _number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(x)


def dist_name(table: Mapping | float, default: str | None = None) -> str | None:
    """The distribution a table samples from: its ``dist``, else ``default`` if it has low/high, else None.

    Examples
    --------
    >>> dist_name({"value": 1.0, "low": 0.5, "high": 2.0}), dist_name({"value": 1, "low": 0, "high": 2}, "pert")
    (None, 'pert')
    """
    if not isinstance(table, Mapping):
        return None
    if "dist" in table:
        return table["dist"]
    if default is not None and "low" in table and "high" in table:
        if default not in DEFAULTABLE:
            raise ParameterError(f"default distribution must be one of {', '.join(DEFAULTABLE)}, got {default!r}")
        return default
    return None


def is_uncertain(table: Mapping | float, default: str | None = None) -> bool:
    """True when the table is sampled (it has a ``dist``, or low/high and a ``default``).

    Examples
    --------
    >>> is_uncertain({"value": 1.0, "low": 0.5, "high": 2.0}), is_uncertain(3.0)
    (False, False)
    """
    return dist_name(table, default) is not None


def _get(table: Mapping, key: str) -> Any:
    if key in table:
        return table[key]
    if key in _FALLBACK_TO_VALUE:
        return table.get("value")
    if key == "lambda":
        return _PERT_LAMBDA
    return None


def validate_dist(table: Mapping, where: str, default: str | None = None) -> list[str]:
    """Problems with a table's distribution, one human-readable line each (empty when fine).

    Parameters
    ----------
    table : Mapping
        The parameter table (``value``, ``low``, ``high``, ``dist``, ...).
    where : str
        Prefix of every message, e.g. ``"baseline.toml: sectors.ecommerce.tfp_growth"``.
    default : str, optional
        Distribution assumed for a table with low/high and no ``dist``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> validate_dist({"value": 0.01, "low": 0.05, "high": 0.04, "dist": "triangular"}, "f.toml: a")
    ['f.toml: a: triangular needs low < high, got low=0.05 high=0.04', \
'f.toml: a: triangular needs low <= mode <= high, got low=0.05 mode=0.01 high=0.04']
    """
    problems: list[str] = []
    name = dist_name(table, default)
    if name is None:
        if ("low" in table) != ("high" in table):
            present = "low" if "low" in table else "high"
            problems.append(f"{where}: has {present} but not {'high' if present == 'low' else 'low'}")
        elif "low" in table and _number(table["low"]) and _number(table["high"]):
            if table["low"] > table["high"]:
                problems.append(f"{where}: needs low <= high, got low={table['low']} high={table['high']}")
        return problems
    if not isinstance(name, str) or name not in DISTRIBUTIONS:
        return [f"{where}: unknown dist {name!r}; expected one of {', '.join(DISTRIBUTIONS)}"]
    spec = DISTRIBUTIONS[name]
    vals: dict[str, float] = {}
    for key in spec["required"] + spec["optional"]:
        v = _get(table, key)
        if v is None:
            if key in spec["required"]:
                alt = " (or value)" if key in _FALLBACK_TO_VALUE else ""
                problems.append(f"{where}: {name} needs {key}{alt}")
        elif not _number(v):
            problems.append(f"{where}: {key} must be a finite number, got {v!r}")
        else:
            vals[key] = float(v)
    for key in _DIST_KEYS:
        if key in table and key not in spec["required"] + spec["optional"]:
            hint = _HINT.get((name, key))
            problems.append(f"{where}: {name} does not use {key!r}"
                            + (f" (did you mean {hint!r}?)" if hint else ""))
    if problems:
        return problems
    lo, hi = vals.get("low"), vals.get("high")
    if lo is not None and hi is not None and not lo < hi:
        problems.append(f"{where}: {name} needs low < high, got low={lo:g} high={hi:g}")
    if name in ("triangular", "pert") and not lo <= vals["mode"] <= hi:
        problems.append(f"{where}: {name} needs low <= mode <= high, got low={lo:g} mode={vals['mode']:g} high={hi:g}")
    if "sd" in vals and not vals["sd"] > 0:
        problems.append(f"{where}: {name} needs sd > 0, got sd={vals['sd']:g}")
    if "sigma" in vals and not vals["sigma"] > 0:
        problems.append(f"{where}: lognormal needs sigma > 0 (sd of ln X), got sigma={vals['sigma']:g}")
    if "median" in vals and not vals["median"] > 0:
        problems.append(f"{where}: lognormal needs median > 0, got median={vals['median']:g}")
    if "lambda" in vals and not vals["lambda"] > 0:
        problems.append(f"{where}: pert needs lambda > 0, got lambda={vals['lambda']:g}")
    if name in ("normal", "lognormal") and (lo is None) != (hi is None):
        problems.append(f"{where}: {name} is truncated to [low, high]: give both low and high, or neither")
    if name == "lognormal" and lo is not None and not lo > 0:
        problems.append(f"{where}: lognormal needs low > 0 (its values are positive), got low={lo:g}")
    value = table.get("value")
    if not problems and _number(value) and lo is not None and hi is not None and not lo <= value <= hi:
        problems.append(f"{where}: value {value:g} lies outside [low, high] = [{lo:g}, {hi:g}]")
    return problems


def _params(table: Mapping, where: str, default: str | None) -> tuple[str | None, dict[str, float]]:
    # a sweep asks for the same tables chunk after chunk: validate each once (tables of plain values)
    try:
        key = (tuple(sorted(table.items())), where, default)
        hash(key)
    except TypeError:
        return _params_checked(table, where, default)
    name, p = _params_cached(key)
    return name, dict(p)


@functools.lru_cache(maxsize=4096)
def _params_cached(key: tuple) -> tuple[str | None, dict[str, float]]:
    items, where, default = key
    name, p = _params_checked(dict(items), where, default)
    return name, p


def _params_checked(table: Mapping, where: str, default: str | None) -> tuple[str | None, dict[str, float]]:
    name = dist_name(table, default)
    if name is None:
        return None, {}
    problems = validate_dist(table, where, default)
    if problems:
        raise ParameterError(f"{where}: invalid distribution", problems)
    spec = DISTRIBUTIONS[name]
    return name, {k: float(_get(table, k)) for k in spec["required"] + spec["optional"] if _get(table, k) is not None}


def _pert_ab(p: dict[str, float]) -> tuple[float, float]:
    width = p["high"] - p["low"]
    lam = p.get("lambda", _PERT_LAMBDA)
    return 1 + lam * (p["mode"] - p["low"]) / width, 1 + lam * (p["high"] - p["mode"]) / width


@functools.lru_cache(maxsize=256)
def _beta_quantile_spline(alpha: float, beta: float) -> CubicSpline:
    # betaincinv costs ~1.7 us per value; the Beta quantile is smooth and asymptotically linear in
    # logit-logit coordinates, so a cubic spline on 2049 exact nodes is within ~1e-10 of it.
    v = np.linspace(-_LOGIT_MAX, _LOGIT_MAX, 2049)
    tail = special.expit(-np.abs(v))
    lower = v <= 0
    # 1 - X ~ Beta(beta, alpha): compute the upper tail as a small number to keep its precision
    x = np.where(lower, special.betaincinv(alpha, beta, tail), special.betaincinv(beta, alpha, tail))
    w = np.where(lower, 1.0, -1.0) * (np.log(x) - np.log1p(-x))
    return CubicSpline(v, w)


def _beta_ppf(alpha: float, beta: float, u: NDArray[np.float64]) -> NDArray[np.float64]:
    return special.expit(_beta_quantile_spline(alpha, beta)(special.logit(u)))


def _truncnorm_std_ppf(u: NDArray[np.float64], a: float, b: float) -> NDArray[np.float64]:
    # log-space inversion, each tail from its own side so that far tails keep their precision
    if a > 0:
        log_mass = special.log_ndtr(-a) + np.log1p(-np.exp(special.log_ndtr(-b) - special.log_ndtr(-a)))
    else:
        la, lb = special.log_ndtr(a), special.log_ndtr(b)
        log_mass = lb + np.log1p(-np.exp(la - lb))
    p0 = 0.0 if a >= 0 else 1.0 if b <= 0 else (0.5 - special.ndtr(a)) / np.exp(log_mass)
    low = u <= p0
    x = np.empty_like(u)
    x[low] = special.ndtri_exp(np.logaddexp(special.log_ndtr(a), np.log(u[low]) + log_mass))
    x[~low] = -special.ndtri_exp(np.logaddexp(special.log_ndtr(-b), np.log1p(-u[~low]) + log_mass))
    return np.clip(x, a, b)


def ppf(table: Mapping | float, u: ArrayLike, default: str | None = None,
        where: str = "parameter") -> NDArray[np.float64]:
    r"""Map uniforms to parameter values by the inverse CDF (vectorised).

    For example triangular: :math:`x = a + \sqrt{u (b-a)(c-a)}` if :math:`u < (c-a)/(b-a)`,
    else :math:`b - \sqrt{(1-u)(b-a)(b-c)}` (low a, high b, mode c).

    Parameters
    ----------
    table : Mapping or float
        Parameter table; a plain number or a table without ``dist`` (and no ``default``)
        returns its central value everywhere.
    u : array_like
        Uniforms in (0, 1), any shape.
    default : str, optional
        Distribution for tables with low/high but no ``dist``: "uniform", "triangular" or "pert".
    where : str
        Names the parameter in error messages.

    Returns
    -------
    ndarray of float64, same shape as ``u``, in the table's unit.

    Examples
    --------
    >>> ppf({"value": 2.0, "low": 1.0, "high": 3.0, "dist": "uniform"}, [0.25, 0.5])
    array([1.5, 2. ])
    >>> ppf({"value": 2.0, "low": 1.0, "high": 3.0}, [0.25, 0.5])
    array([2., 2.])
    """
    u = np.asarray(u, dtype=np.float64)
    if not isinstance(table, Mapping):
        return np.full(u.shape, float(table))
    name, p = _params(table, where, default)
    if name is None:
        return np.full(u.shape, float(table["value"]))
    if name == "uniform":
        return p["low"] + (p["high"] - p["low"]) * u
    if name == "triangular":
        a, b, c = p["low"], p["high"], p["mode"]
        if _jit.enabled() and u.ndim == 1:
            out = np.empty(u.shape)
            _triangular_into(u, float(a), float(b), float(c), out)   # one pass; the same operations
            return out
        fc = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < fc, left, right)
    if name == "pert":
        alpha, beta = _pert_ab(p)
        return p["low"] + (p["high"] - p["low"]) * _beta_ppf(alpha, beta, u)
    truncated = "low" in p and "high" in p
    if name == "normal" and not truncated:
        return p["mean"] + p["sd"] * special.ndtri(u)
    if name == "lognormal":
        if not truncated:
            return p["median"] * np.exp(p["sigma"] * special.ndtri(u))
        a, b = _log_bounds(p)
        return np.clip(p["median"] * np.exp(p["sigma"] * _truncnorm_std_ppf(u, a, b)), p["low"], p["high"])
    a, b = (p["low"] - p["mean"]) / p["sd"], (p["high"] - p["mean"]) / p["sd"]
    return p["mean"] + p["sd"] * _truncnorm_std_ppf(u, a, b)


def _log_bounds(p: dict[str, float]) -> tuple[float, float]:
    """Standardised bounds of ln X for a lognormal truncated to [low, high]."""
    m, s = math.log(p["median"]), p["sigma"]
    return (math.log(p["low"]) - m) / s, (math.log(p["high"]) - m) / s


def ppf_columns(tables: list[tuple[str, Mapping]], u: NDArray[np.float64], out: NDArray[np.float64],
                default: str | None = None) -> None:
    """``out[:, j] = ppf(tables[j][1], u[:, j], default, where=tables[j][0])`` for every column.

    The triangular columns go through one compiled call (the same operations as :func:`ppf`, so the
    same bits); a sweep's chunk then costs one call instead of one per parameter.
    """
    tri = []
    for j, (where, table) in enumerate(tables):
        name, p = _params(table, where, default) if isinstance(table, Mapping) else (None, {})
        if name == "triangular" and _jit.enabled():
            tri.append((j, p["low"], p["high"], p["mode"]))
        else:
            out[:, j] = ppf(table, u[:, j], default=default, where=where)
    if tri:
        cols, a, b, c = (np.array(v) for v in zip(*tri, strict=True))
        _triangular_columns(u, cols.astype(np.int64), a.astype(float), b.astype(float), c.astype(float), out)


@_jit.jit
def _triangular_columns(u, cols, a, b, c, out):
    for k in range(cols.size):
        j = cols[k]
        _triangular_into(u[:, j], a[k], b[k], c[k], out[:, j])


@_jit.jit
def _triangular_into(u, a, b, c, out):
    fc = (c - a) / (b - a)
    for i in range(u.size):
        if u[i] < fc:
            out[i] = a + math.sqrt(u[i] * (b - a) * (c - a))
        else:
            out[i] = b - math.sqrt((1 - u[i]) * (b - a) * (b - c))


def _moments(table: Mapping | float, default: str | None, where: str) -> tuple[float, float]:
    if not isinstance(table, Mapping):
        return float(table), 0.0
    name, p = _params(table, where, default)
    if name is None:
        return float(table["value"]), 0.0
    if name == "uniform":
        return (p["low"] + p["high"]) / 2, (p["high"] - p["low"]) ** 2 / 12
    if name == "triangular":
        a, b, c = p["low"], p["high"], p["mode"]
        return (a + b + c) / 3, (a * a + b * b + c * c - a * b - a * c - b * c) / 18
    if name == "pert":
        alpha, beta = _pert_ab(p)
        w, s = p["high"] - p["low"], alpha + beta
        return p["low"] + w * alpha / s, w * w * alpha * beta / (s * s * (s + 1))
    truncated = "low" in p and "high" in p
    if name == "normal" and not truncated:
        return p["mean"], p["sd"] ** 2
    if name == "lognormal" and not truncated:
        s2 = p["sigma"] ** 2
        return p["median"] * math.exp(s2 / 2), p["median"] ** 2 * math.exp(s2) * math.expm1(s2)
    if name == "lognormal":
        # E[X^k] = median^k e^{k²σ²/2} (Φ(b − kσ) − Φ(a − kσ)) / (Φ(b) − Φ(a)) on the log scale's bounds a, b
        a, b = _log_bounds(p)
        s, z = p["sigma"], special.ndtr(b) - special.ndtr(a)
        m1 = p["median"] * math.exp(s * s / 2) * (special.ndtr(b - s) - special.ndtr(a - s)) / z
        m2 = p["median"] ** 2 * math.exp(2 * s * s) * (special.ndtr(b - 2 * s) - special.ndtr(a - 2 * s)) / z
        return m1, max(m2 - m1 * m1, 0.0)
    # truncated normal, Johnson, Kotz & Balakrishnan (1994) eq. 13.134-13.135
    mu, sd = p["mean"], p["sd"]
    a, b = (p["low"] - mu) / sd, (p["high"] - mu) / sd
    z = special.ndtr(b) - special.ndtr(a)
    pa, pb = math.exp(-a * a / 2) / math.sqrt(2 * math.pi), math.exp(-b * b / 2) / math.sqrt(2 * math.pi)
    m = (pa - pb) / z
    return mu + sd * m, sd * sd * (1 + (a * pa - b * pb) / z - m * m)


def mean(table: Mapping | float, default: str | None = None, where: str = "parameter") -> float:
    """Closed-form mean of a table's distribution (its value when it is not uncertain).

    Examples
    --------
    >>> mean({"value": 0.3, "low": 0.0, "high": 0.6, "dist": "pert"})
    0.3
    """
    return _moments(table, default, where)[0]


def var(table: Mapping | float, default: str | None = None, where: str = "parameter") -> float:
    """Closed-form variance of a table's distribution (0 when it is not uncertain).

    Examples
    --------
    >>> round(var({"value": 0.5, "low": 0.0, "high": 1.0, "dist": "uniform"}), 6)
    0.083333
    """
    return _moments(table, default, where)[1]
