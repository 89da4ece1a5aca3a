"""Global sensitivity analysis: Sobol' indices and Morris screening.

Sobol' indices use the Saltelli design: two independent matrices ``A`` and ``B``
(columns of one scrambled Sobol' sample in ``2k`` dimensions) and, for each parameter
``i``, ``AB_i`` = ``A`` with column ``i`` taken from ``B``; ``n (k + 2)`` evaluations.
First order (Saltelli et al. 2010) and total (Jansen 1999) estimators::

    S1_i = mean(f_B (f_AB_i - f_A)) / V,      ST_i = mean((f_A - f_AB_i)^2) / (2 V),

with ``V`` the variance of ``[f_A, f_B]``, outputs centred on their mean — the estimators of ``scipy.stats.sobol_indices``
(method ``saltelli_2010``), which the tests check against.  Confidence intervals are
percentile bootstrap intervals over the ``n`` rows (the same rows of A, B and every AB_i).

Morris screening (Morris 1991; Campolongo, Cariboni & Saltelli 2007) uses ``r``
one-at-a-time trajectories on a ``p``-level grid with step ``Delta = p / (2 (p - 1))``;
elementary effects are measured on the unit scale (per whole range of a parameter),
as in SALib, so ``mu_star`` of ``f = c x`` on ``[lo, hi]`` is ``|c| (hi - lo)``.

Chunked use: :func:`saltelli_design` and :func:`morris_design` give unit-sample rows
(any slice) for the engine to map through ``ppf``; :func:`sobol_from_outputs` and
:func:`morris_from_outputs` turn the outputs into a Dataset.

References
----------
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Design
and estimator for the total sensitivity index. Comput. Phys. Commun. 181, 259-270.
Sobol', I. M. & Levitan, Y. L. (1999). On the use of variance reducing multipliers in
Monte Carlo computations of a global sensitivity index. Comput. Phys. Commun. 117, 52-61.
Jansen, M. J. W. (1999). Analysis of variance designs for model output. Comput. Phys.
Commun. 117, 35-43.
Morris, M. D. (1991). Factorial sampling plans for preliminary computational
experiments. Technometrics 33(2), 161-174.
Campolongo, F., Cariboni, J. & Saltelli, A. (2007). An effective screening design for
sensitivity analysis of large models. Environ. Model. Softw. 22, 1509-1518.
Ishigami, T. & Homma, T. (1990). An importance quantification technique in uncertainty
analysis for computer models. ISUMA '90, 398-403.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri

from jdmodel.errors import ModelError, ParameterError
from jdmodel.uncertainty.designs import unit_sample
from jdmodel.uncertainty.distributions import ppf
from jdmodel.uncertainty.rng import uniforms

__all__ = ["saltelli_design", "sobol_from_matrices", "sobol_from_outputs", "morris_design", "morris_from_outputs",
           "sensitivity_callable"]


def saltelli_design(k: int, n: int, seed: int, start: int = 0, stop: int | None = None) -> NDArray[np.float64]:
    """Rows ``[start:stop]`` of the stacked unit design ``[A; B; AB_1; ...; AB_k]``, ``n (k + 2)`` rows.

    Parameters
    ----------
    k : int
        Number of parameters.
    n : int
        Base sample size (a power of 2).
    seed : int
    start, stop : int
        Row slice of the stacked design (``stop=None``: all ``n (k + 2)`` rows).

    Returns
    -------
    ndarray (stop - start, k) in (0, 1).

    Examples
    --------
    >>> d = saltelli_design(2, 8, seed=0)
    >>> d.shape, bool(np.all(d[16:24, 1] == d[:8, 1])), bool(np.all(d[16:24, 0] == d[8:16, 0]))
    ((32, 2), True, True)
    """
    if n < 2 or n & (n - 1):
        raise ParameterError(f"Sobol' sensitivity needs n a power of 2 (e.g. 1024), got n={n}")
    total = n * (k + 2)
    stop = total if stop is None else stop
    if not 0 <= start <= stop <= total:
        raise ParameterError(f"rows [{start}:{stop}] are not within the {total} rows of the design")
    ab = unit_sample("sobol", n, 2 * k, seed)
    rows = np.arange(start, stop)
    block, j = rows // n, rows % n
    out = np.where(block[:, None] == 1, ab[j, k:], ab[j, :k])
    cross = block >= 2
    out[cross, block[cross] - 2] = ab[j[cross], k + block[cross] - 2]
    return out


def _indices(fa: NDArray, fb: NDArray, fab: NDArray, w: NDArray | None = None) -> tuple[NDArray, NDArray]:
    # fa, fb (n, m); fab (k, n, m); w (b, n) bootstrap counts or None -> (b?, k, m)
    if w is None:
        w = np.ones((1, fa.shape[0]))
    n = fa.shape[0]
    mean = (w @ (fa + fb)) / (2 * n)
    variance = (w @ (fa * fa + fb * fb)) / (2 * n) - mean * mean
    first = np.einsum("bn,knm->bkm", w, fb[None] * (fab - fa[None])) / n
    total = np.einsum("bn,knm->bkm", w, (fa[None] - fab) ** 2) / (2 * n)
    with np.errstate(invalid="ignore", divide="ignore"):
        first, total = first / variance[:, None, :], total / variance[:, None, :]
    # a constant output has no variance to apportion: every index is 0 (as scipy.stats.sobol_indices)
    return np.nan_to_num(first, nan=0.0, posinf=0.0, neginf=0.0), np.nan_to_num(total, nan=0.0, posinf=0.0,
                                                                                   neginf=0.0)


def sobol_from_matrices(f_A: ArrayLike, f_B: ArrayLike, f_AB: ArrayLike, names: Sequence[str],
                        output_names: Sequence[str] | None = None, n_boot: int = 1000, conf: float = 0.95,
                        seed: int = 0) -> xr.Dataset:
    """First-order and total Sobol' indices with bootstrap confidence intervals from model outputs.

    Parameters
    ----------
    f_A, f_B : array_like (n,) or (n, m)
        Outputs on the rows of ``A`` and ``B``.
    f_AB : array_like (k, n) or (k, n, m)
        Outputs on ``AB_i`` (``A`` with column ``i`` from ``B``).
    names : sequence of str
        The ``k`` parameter names.
    output_names : sequence of str, optional
        Names of the ``m`` outputs; the ``output`` dim is present when ``m > 1`` or names are given.
    n_boot : int
        Bootstrap resamples (0: no intervals).
    conf : float
        Confidence level of the percentile intervals.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    xarray.Dataset with S1, ST, S1_conf_low, S1_conf_high, ST_conf_low, ST_conf_high over
    ``parameter`` (and ``output``).

    Examples
    --------
    >>> x = saltelli_design(2, 256, seed=0)
    >>> y = x[:, 0] + 0.1 * x[:, 1]
    >>> si = sobol_from_matrices(y[:256], y[256:512], y[512:].reshape(2, 256), ["a", "b"], n_boot=0)
    >>> si.S1.round(2).values.tolist()
    [0.99, 0.01]
    """
    fa, fb, fab = (np.asarray(f, dtype=np.float64) for f in (f_A, f_B, f_AB))
    squeeze = fa.ndim == 1 and output_names is None
    fa, fb = fa.reshape(fa.shape[0], -1), fb.reshape(fb.shape[0], -1)
    fab = fab.reshape(fab.shape[0], fab.shape[1], -1)
    k, n, m = fab.shape
    if len(names) != k or fa.shape != (n, m) or fb.shape != (n, m):
        raise ParameterError(f"sobol_from_matrices: shapes f_A {fa.shape}, f_B {fb.shape}, f_AB {fab.shape} and "
                             f"{len(names)} names do not agree (expected (n, m), (n, m), (k, n, m))")
    bad = sum(int(np.sum(~np.isfinite(f))) for f in (fa, fb, fab))
    if bad:
        raise ModelError(f"sensitivity: {bad} model outputs are not finite; Sobol' indices need finite outputs")
    # centring by the mean reduces the variance of the first-order estimator (Sobol' & Levitan 1999)
    centre = (fa.mean(axis=0) + fb.mean(axis=0)) / 2
    fa, fb, fab = fa - centre, fb - centre, fab - centre
    s1, st = (a[0] for a in _indices(fa, fb, fab))
    bounds = {}
    if n_boot:
        gen = np.random.default_rng(seed)
        chunks = [], []
        for b0 in range(0, n_boot, 128):
            # multinomial counts are the bootstrap resample of the n rows, as weights
            w = gen.multinomial(n, np.full(n, 1.0 / n), size=min(128, n_boot - b0)).astype(np.float64)
            for store, est in zip(chunks, _indices(fa, fb, fab, w), strict=True):
                store.append(est)
        alpha = (1 - conf) / 2
        for label, reps in zip(("S1", "ST"), chunks, strict=True):
            reps = np.concatenate(reps)
            bounds[f"{label}_conf_low"] = np.nanquantile(reps, alpha, axis=0)
            bounds[f"{label}_conf_high"] = np.nanquantile(reps, 1 - alpha, axis=0)
    dims = ("parameter",) if squeeze else ("output", "parameter")

    def shape(a: NDArray) -> NDArray:
        return a[:, 0] if squeeze else a.T

    data = {"S1": s1, "ST": st, **bounds}
    ds = xr.Dataset({key: (dims, shape(val)) for key, val in data.items()}, coords={"parameter": list(names)})
    if not squeeze:
        ds = ds.assign_coords(output=list(output_names) if output_names is not None else list(range(m)))
    ds.S1.attrs.update(long_name="first-order Sobol' index", units="1")
    ds.ST.attrs.update(long_name="total-order Sobol' index", units="1")
    ds.attrs.update(method="sobol", estimator="first order: Saltelli et al. 2010; total: Jansen 1999",
                    n=n, n_evaluations=n * (k + 2), n_boot=n_boot, conf_level=conf, bootstrap_seed=seed)
    return ds


def sobol_from_outputs(y: ArrayLike, names: Sequence[str], n: int, **kwargs) -> xr.Dataset:
    """Sobol' indices from outputs on all rows of :func:`saltelli_design` (``(k+2) n`` rows, in order).

    Parameters
    ----------
    y : array_like ((k + 2) n,) or ((k + 2) n, m)
    names : sequence of str
    n : int
        Base sample size.
    **kwargs
        Passed to :func:`sobol_from_matrices`.

    Examples
    --------
    >>> x = saltelli_design(2, 64, seed=1)
    >>> float(sobol_from_outputs(x[:, 1], ["a", "b"], 64, n_boot=0).ST.sel(parameter="a"))
    0.0
    """
    y = np.asarray(y, dtype=np.float64)
    k = len(names)
    if y.shape[0] != (k + 2) * n:
        raise ParameterError(f"sobol_from_outputs: expected {(k + 2) * n} rows ((k + 2) n), got {y.shape[0]}")
    return sobol_from_matrices(y[:n], y[n:2 * n], y[2 * n:].reshape(k, n, *y.shape[1:]), names, **kwargs)


def morris_design(k: int, r: int, seed: int, levels: int = 4) -> NDArray[np.float64]:
    """Unit-scale Morris trajectories: ``r`` blocks of ``k + 1`` rows, one parameter moving per step.

    Parameters
    ----------
    k : int
        Number of parameters.
    r : int
        Number of trajectories.
    seed : int
    levels : int
        Grid levels ``p`` (even); the step is ``p / (2 (p - 1))``.

    Returns
    -------
    ndarray (r (k + 1), k) with values on the grid ``{0, 1/(p-1), ..., 1}``.

    Examples
    --------
    >>> x = morris_design(3, 2, seed=0).reshape(2, 4, 3)
    >>> np.count_nonzero(np.diff(x, axis=1), axis=2).tolist()
    [[1, 1, 1], [1, 1, 1]]
    """
    if levels < 2 or levels % 2:
        raise ParameterError(f"Morris levels must be an even number >= 2, got {levels}")
    delta = levels / (2 * (levels - 1))
    u = uniforms(seed, "morris", np.arange(r), (3, k))
    base = np.floor(u[:, 0] * (levels // 2)) / (levels - 1)  # start levels from which +delta stays in [0, 1]
    up = u[:, 1] < 0.5
    start = np.where(up, base, base + delta)
    rank = np.argsort(np.argsort(u[:, 2], axis=1), axis=1)  # step at which each parameter moves
    step = np.arange(k + 1)[None, :, None] > rank[:, None, :]
    x = start[:, None, :] + np.where(up, delta, -delta)[:, None, :] * step
    return x.reshape(r * (k + 1), k)


def morris_from_outputs(x: ArrayLike, y: ArrayLike, names: Sequence[str], r: int,
                        output_names: Sequence[str] | None = None, n_boot: int = 1000, conf: float = 0.95,
                        seed: int = 0) -> xr.Dataset:
    """Morris statistics (mu, mu_star, sigma, mu_star_conf) from outputs on :func:`morris_design` rows.

    Parameters
    ----------
    x : array_like (r (k + 1), k)
        The unit-scale design.
    y : array_like (r (k + 1),) or (r (k + 1), m)
    names : sequence of str
    r : int
        Number of trajectories.
    output_names, n_boot, conf, seed
        As in :func:`sobol_from_matrices`; ``mu_star_conf`` is the bootstrap half-width
        ``z_{(1+conf)/2} * sd(mu_star*)`` over resampled trajectories (as SALib).

    Returns
    -------
    xarray.Dataset over ``parameter`` (and ``output``).

    Examples
    --------
    >>> x = morris_design(2, 10, seed=0)
    >>> morris_from_outputs(x, 3 * x[:, 0], ["a", "b"], 10, n_boot=0).mu_star.values.tolist()
    [3.0, 0.0]
    """
    k = len(names)
    x = np.asarray(x, dtype=np.float64).reshape(r, k + 1, k)
    y = np.asarray(y, dtype=np.float64)
    squeeze = y.ndim == 1 and output_names is None
    y = y.reshape(r, k + 1, -1)
    dx = np.diff(x, axis=1)  # (r, k, k): one non-zero per step
    moved = np.argmax(np.abs(dx), axis=2)
    step = np.take_along_axis(dx, moved[:, :, None], axis=2)[:, :, 0]
    ee_steps = np.diff(y, axis=1) / step[:, :, None]  # (r, k, m)
    order = np.argsort(moved, axis=1)
    ee = np.take_along_axis(ee_steps, order[:, :, None], axis=1)  # (r, k, m), by parameter
    mu, mu_star = ee.mean(axis=0), np.abs(ee).mean(axis=0)
    sigma = ee.std(axis=0, ddof=1) if r > 1 else np.full_like(mu, np.nan)
    data = {"mu": mu, "mu_star": mu_star, "sigma": sigma}
    if n_boot:
        idx = np.random.default_rng(seed).integers(0, r, size=(n_boot, r))
        boot = np.abs(ee)[idx].mean(axis=1)  # (n_boot, k, m)
        data["mu_star_conf"] = -ndtri((1 - conf) / 2) * boot.std(axis=0, ddof=1)
    dims = ("parameter",) if squeeze else ("output", "parameter")
    ds = xr.Dataset({key: (dims, v[:, 0] if squeeze else v.T) for key, v in data.items()},
                    coords={"parameter": list(names)})
    if not squeeze:
        ds = ds.assign_coords(output=list(output_names) if output_names is not None else list(range(y.shape[2])))
    ds.mu_star.attrs.update(long_name="mean absolute elementary effect (per full range of the parameter)")
    ds.attrs.update(method="morris", trajectories=r, n_evaluations=r * (k + 1), n_boot=n_boot, conf_level=conf)
    return ds


def _evaluate(f: Callable, x: NDArray, chunk: int | None) -> NDArray:
    step = chunk or len(x)
    parts = [np.asarray(f(x[i:i + step]), dtype=np.float64) for i in range(0, len(x), step)]
    y = np.concatenate(parts)
    if y.shape[0] != len(x):
        raise ModelError(f"sensitivity: f returned {y.shape[0]} rows for {len(x)} input rows")
    return y


def sensitivity_callable(f: Callable[[NDArray[np.float64]], ArrayLike], bounds: Mapping[str, tuple[float, float]],
                         method: str = "sobol", n: int = 1024, seed: int = 0,
                         dists: Mapping[str, Mapping] | None = None, output_names: Sequence[str] | None = None,
                         n_boot: int = 1000, conf: float = 0.95, chunk: int | None = None) -> xr.Dataset:
    """Sobol' indices or Morris screening of a vectorised function of ``k`` named parameters.

    Parameters
    ----------
    f : callable
        ``f(x)`` with ``x`` of shape (rows, k) in parameter units (columns in ``bounds`` order),
        returning (rows,) or (rows, m).
    bounds : mapping of str to (low, high)
        Parameter ranges (uniform unless ``dists`` says otherwise).
    method : {"sobol", "morris"}
    n : int
        Sobol': base sample size, a power of 2 (``n (k + 2)`` evaluations).
        Morris: number of trajectories (``n (k + 1)`` evaluations).
    seed : int
    dists : mapping of str to parameter table, optional
        Sobol' only: distribution tables (see :mod:`.distributions`) replacing the uniform on ``bounds``.
    output_names, n_boot, conf
        As in :func:`sobol_from_matrices`.
    chunk : int, optional
        Evaluate ``f`` on at most this many rows at a time.

    Returns
    -------
    xarray.Dataset (see :func:`sobol_from_matrices`, :func:`morris_from_outputs`).

    Examples
    --------
    >>> def ishigami(x, a=7.0, b=0.1):
    ...     return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    >>> box = {name: (-np.pi, np.pi) for name in ("x1", "x2", "x3")}
    >>> si = sensitivity_callable(ishigami, box, n=2**12, seed=1, n_boot=0)
    >>> si.ST.round(1).values.tolist()
    [0.6, 0.4, 0.2]
    """
    names = list(bounds)
    k = len(names)
    lo, hi = (np.array([float(bounds[p][i]) for p in names]) for i in (0, 1))
    if k == 0 or not np.all(lo < hi):
        raise ParameterError(f"sensitivity: bounds must give low < high for each parameter, got {dict(bounds)!r}")
    unknown = set(dists or {}) - set(names)
    if unknown:
        raise ParameterError(f"sensitivity: dists names {sorted(unknown)} are not in bounds ({', '.join(names)})")
    if method == "sobol":
        u = saltelli_design(k, n, seed)
        x = lo + (hi - lo) * u
        for i, p in enumerate(names):
            if dists and p in dists:
                x[:, i] = ppf(dists[p], u[:, i], where=f"sensitivity: {p}")
        return sobol_from_outputs(_evaluate(f, x, chunk), names, n, output_names=output_names, n_boot=n_boot,
                                  conf=conf, seed=seed)
    if method == "morris":
        if dists:
            raise ParameterError("sensitivity: Morris screening samples a grid over bounds; dists are for Sobol'")
        u = morris_design(k, n, seed)
        y = _evaluate(f, lo + (hi - lo) * u, chunk)
        return morris_from_outputs(u, y, names, n, output_names=output_names, n_boot=n_boot, conf=conf, seed=seed)
    raise ParameterError(f"sensitivity: unknown method {method!r}; expected 'sobol' or 'morris'")
