"""Fast exact quantile functions (inverse CDFs) of the Poisson and binomial distributions.

The counting models turn uniforms into counts by inversion, ``k = F^{-1}(u)``, so that for
fixed uniforms a higher rate never gives a lower count (common random numbers). A sweep
inverts about 10^8 uniforms; :func:`scipy.special.pdtrik` and :func:`scipy.stats.poisson.ppf`
take 1.5–2 µs per element, too slow for that. The functions here return exactly what
:func:`scipy.stats.poisson.ppf` and :func:`scipy.stats.binom.ppf` return — the smallest
``k`` with ``F(k) >= u`` — and are 10–50 times faster on the means the models produce.

Poisson: bracketing on a table
------------------------------
``F(k; mu)`` falls as ``mu`` rises and ``Q(u; mu) = min{k : F(k; mu) >= u}`` rises with
both ``u`` and ``mu``. On a grid ``mu_i = i h`` (``h = 1/64``, ``mu <= 64``) two tables are
built once, from scipy's own CDF ``pdtr``:

* ``G[i, j] = Q(j/J; mu_i)`` (``J = 256``), so for ``mu_i <= mu < mu_{i+1}`` and
  ``j/J <= u < (j+1)/J``:  ``G[i, j] <= Q(u; mu) <= G[i+1, j+1]``. When the two bounds agree
  (about 90 % of elements) the answer is known after two table reads.
* ``T[i, k] = F(k; mu_i)``, which brackets ``F(k; mu)`` between ``T[i+1, k]`` and ``T[i, k]``
  and decides ``F(k; mu) >= u`` for almost every remaining candidate ``k``.
* When ``u`` falls between the two grid CDFs (probability ``h``), ``F(k; mu)`` is computed
  from the row ``i`` by the convolution ``Poisson(mu_i + d) = Poisson(mu_i) + Poisson(d)``:
  ``F(k; mu) = sum_m e^{-d} d^m / m! T[i, k-m]`` (eight terms; ``d < h``).

Binomial: bound table, then sequential search
---------------------------------------------
For fixed ``n`` the binomial CDF falls as ``p`` rises, so the same bounds work on a grid of
the mean ``np = i h`` (``h = 1/32``, ``np < 16``, ``n < 256``; ``J = 64``; 8 MB of ``uint8``,
built once): ``G[n, i, j] <= Q(u; n, p) <= G[n, i+1, j+1]`` settles 80–90 % of the elements
the models produce. The rest are searched from zero: the CDF is accumulated from ``q^n``
with the ratio ``pmf(j)/pmf(j-1) = (n-j+1)/j * p/q`` on the shrinking set of unfinished
elements (Devroye 1986, §X.3), on the smaller tail (``p > 1/2`` uses ``n - X ~ Bin(n, 1-p)``);
the search is used up to a mean of 48.

Exactness
---------
Every decision ``F(k) >= u`` taken here either has a margin of more than ``1e-12 u`` over
the error of the CDF used, or the element goes to scipy; likewise elements outside the
fast domain (``mu > 64``, ``min(np, nq) > 48``, ``u`` not in (0, 1), non-integer ``n``,
NaN). The results are therefore identical to scipy's, edge cases included
(``ppf(0) = -1``, ``ppf(1) = inf`` or ``n``).

References
----------
Devroye, L. (1986). *Non-Uniform Random Variate Generation*. Springer, ch. X.
Giles, M. B. (2016). Algorithm 955: approximation of the inverse Poisson cumulative
distribution function. *ACM TOMS* 42(1) (the case for certified fast inversion).
"""

from __future__ import annotations

import threading
from functools import cache, wraps

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

__all__ = ["poisson_quantile", "binomial_quantile"]

_H = 1.0 / 64.0          # spacing of the mu grid
_MU_MAX = 64.0           # table covers 0 <= mu < _MU_MAX
_J = 256                 # u grid of the bound table G
_K = 192                 # columns of the CDF table T: F(191; 64.02) = 1 in double precision
_CONV_TERMS = 8          # d^8/8! < 1e-19 for d < 1/64
_REL_MARGIN = 1e-12      # decisions closer than this (relative to u) go to scipy
_BINOM_MAX_MEAN = 48.0
_B_N = 256               # binomial bound table: n < _B_N,
_B_H = 1.0 / 32.0        # mean grid np = i h,
_B_MU = 16.0             # np <= min(_B_MU, n/2),
_B_J = 64                # u grid j/_B_J,
_B_K = 48                # CDF columns used to build it (quantiles at u < 1 stay below 48)


def _once(build):
    """``functools.cache`` for a table builder, under a lock: threads that need a table at the same
    moment wait for one build instead of each making its own (time and, briefly, memory)."""
    cached = cache(build)
    lock = threading.Lock()

    @wraps(build)
    def table():
        with lock:
            return cached()

    table.cache_clear = cached.cache_clear
    return table


@_once
def _poisson_tables() -> tuple[NDArray[np.float64], NDArray[np.int32], int]:
    """Build (once per process) the CDF table T and the quantile-bound table G."""
    rows = int(round(_MU_MAX / _H)) + 2
    mus = np.arange(rows) * _H
    T = special.pdtr(np.arange(_K)[None, :], mus[:, None])
    T = np.maximum.accumulate(T, axis=1)            # guard: a CDF row never decreases
    levels = np.arange(_J + 1) / _J
    # G[i, j] = #{k : T[i, k] < j/J}: one searchsorted over rows offset by 2i (T lies in [0, 1])
    offset = 2.0 * np.arange(rows)[:, None]
    G = np.searchsorted((T + offset).ravel(), (levels[None, :] + offset).ravel(), side="left")
    G = G.reshape(rows, _J + 1) - _K * np.arange(rows)[:, None]
    G[:, 0] = 0
    G[:, _J] = _K                                   # u -> 1: no upper bound from the table
    return T.ravel(), G.astype(np.int32).ravel(), rows


def _poisson_fast(u: NDArray[np.float64], mu: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray]:
    """Table inversion for 0 < u < 1, 0 <= mu < _MU_MAX; returns (k, indices left to scipy)."""
    T, G, _ = _poisson_tables()
    i = (mu * (1.0 / _H)).astype(np.intp)
    j = (u * _J).astype(np.intp)
    g = i * (_J + 1) + j
    lo = G[g]
    hi = G[g + (_J + 2)]                             # G[i+1, j+1]
    out = lo.astype(np.float64)
    todo = np.flatnonzero(lo != hi)
    hard: list[NDArray] = []
    while todo.size:
        k = lo[todo]
        edge = k >= _K - 1
        if edge.any():
            hard.append(todo[edge])
            todo, k = todo[~edge], k[~edge]
        ii, uu = i[todo], u[todo]
        tol = _REL_MARGIN * uu
        f_low = T[(ii + 1) * _K + k]                 # F(k; mu_{i+1}) <= F(k; mu)
        f_high = T[ii * _K + k]                      # F(k; mu_i)     >= F(k; mu)
        settle = f_low - uu > tol                    # F(k; mu) >= u: Q = k
        step = uu - f_high > tol                     # F(k; mu) <  u: Q > k
        between = ~(settle | step)
        if between.any():
            b = np.flatnonzero(between)
            f = _poisson_cdf_near_grid(T, ii[b], k[b], mu[todo[b]] - ii[b] * _H)
            settle[b] = f - uu[b] > tol[b]
            step[b] = uu[b] - f > tol[b]
            unsure = b[~(settle[b] | step[b])]
            hard.append(todo[unsure])
        out[todo[settle]] = k[settle]
        up = todo[step]
        lo[up] += 1
        out[up] = lo[up]
        todo = up[lo[up] != hi[up]]
    return out, (np.concatenate(hard) if hard else np.empty(0, np.intp))


def _poisson_cdf_near_grid(T: NDArray, i: NDArray, k: NDArray, d: NDArray) -> NDArray[np.float64]:
    """F(k; mu_i + d) from row i of T: Poisson(mu_i + d) = Poisson(mu_i) + Poisson(d)."""
    term = np.exp(-d)
    total = term * T[i * _K + k]
    for m in range(1, _CONV_TERMS):
        term = term * d / m
        km = k - m
        total += np.where(km >= 0, term * T[i * _K + np.maximum(km, 0)], 0.0)
    return total


def poisson_quantile(u: ArrayLike, mu: ArrayLike) -> NDArray[np.float64]:
    r"""Quantile function of the Poisson distribution, identical to ``scipy.stats.poisson.ppf``.

    .. math:: Q(u; \mu) = \min\{k \ge 0 : F(k; \mu) \ge u\},\qquad
              F(k; \mu) = e^{-\mu} \sum_{j \le k} \mu^j / j!

    Parameters
    ----------
    u : array_like
        Probabilities; the models pass uniforms in (0, 1).
    mu : array_like
        Means (counts per period), broadcast against ``u``; ``mu >= 0``.

    Returns
    -------
    ndarray of float64
        Counts (integer-valued), shape of ``broadcast(u, mu)``; ``-1`` at ``u = 0``, ``inf``
        at ``u = 1`` and NaN for invalid input, as scipy.

    Notes
    -----
    See the module docstring for the algorithm; about 15 ns per element for ``mu <= 64``
    against about 2 µs for ``scipy.stats.poisson.ppf`` (``benchmarks/bench_counting.py``).

    References
    ----------
    Devroye, L. (1986). *Non-Uniform Random Variate Generation*, ch. X.

    Examples
    --------
    >>> poisson_quantile([0.1, 0.5, 0.9], 3.0)
    array([1., 3., 5.])
    """
    u_arr, mu_arr = np.broadcast_arrays(np.asarray(u, dtype=np.float64), np.asarray(mu, dtype=np.float64))
    shape = u_arr.shape
    u_flat, mu_flat = u_arr.ravel(), mu_arr.ravel()
    fast = (u_flat > 0.0) & (u_flat < 1.0) & (mu_flat >= 0.0) & (mu_flat < _MU_MAX)
    if fast.all():
        out, hard = _poisson_fast(u_flat, mu_flat)
    else:
        out = np.empty(u_flat.size)
        where = np.flatnonzero(fast)
        out[where], hard_local = _poisson_fast(u_flat[where], mu_flat[where])
        hard = np.concatenate([where[hard_local], np.flatnonzero(~fast)])
    if hard.size:
        out[hard] = stats.poisson.ppf(u_flat[hard], mu_flat[hard])
    return out.reshape(shape)


def _binomial_search(v: NDArray, n: NDArray, p: NDArray, strict: bool) -> tuple[NDArray, NDArray]:
    """Smallest k with F(k) >= v (or F(k) > v if strict) for Bin(n, p), p <= 1/2, by summation.

    Returns (k, indices whose decision was within the margin or not reached).
    """
    reached = np.greater if strict else np.greater_equal
    # In the mirrored search (strict) v = 1 - u: scipy rounds F_X = 1 - F_Y to the nearest double,
    # an absolute error of up to 1.1e-16 in F_Y that a relative margin would not cover.
    abs_tol = 1e-15 if strict else 0.0
    pmf = np.exp(n * np.log1p(-p))
    cdf = pmf.copy()
    out = np.zeros(v.size)
    hard: list[NDArray] = []

    def close(idx: NDArray, c: NDArray, prev: NDArray) -> NDArray:
        vv = v[idx]
        tol = _REL_MARGIN * vv + abs_tol
        return idx[(np.abs(c - vv) <= tol) | (np.abs(vv - prev) <= tol)]

    first = reached(cdf, v)
    d = np.flatnonzero(first)
    hard.append(close(d, cdf[d], np.zeros(d.size)))
    idx = np.flatnonzero(~first)
    va, na, pa, ca = v[idx], n[idx], pmf[idx], cdf[idx]
    odds = (p / (1.0 - p))[idx]
    live = np.ones(idx.size, dtype=bool)
    n_live = idx.size
    j = 0
    while n_live:
        j += 1
        pa *= (na - (j - 1)) * odds
        pa *= 1.0 / j
        ca += pa
        done = reached(ca, va)
        done &= live
        d = np.flatnonzero(done)
        if d.size:
            out[idx[d]] = j
            hard.append(close(idx[d], ca[d], ca[d] - pa[d]))
            live[d] = False
            n_live -= d.size
        if j >= 16 and n_live:                        # rounding can keep F(n) below v
            end = np.flatnonzero(live & (na <= j))
            if end.size:
                hard.append(idx[end])
                live[end] = False
                n_live -= end.size
        if n_live and n_live <= idx.size // 2:        # compact now and then, not every step
            keep = np.flatnonzero(live)
            idx, va, na, odds, pa, ca = idx[keep], va[keep], na[keep], odds[keep], pa[keep], ca[keep]
            live = np.ones(keep.size, dtype=bool)
    return out, np.concatenate(hard)


@_once
def _binomial_tables() -> tuple[NDArray[np.uint8], NDArray[np.intp]]:
    """Quantile bounds G[row(n, i), j] = Q(j/J; n, i h / n), built once per process.

    For fixed n the CDF falls as p rises, so for i h <= np < (i+1) h and j/J <= u < (j+1)/J:
    G[row(n, i), j] <= Q(u; n, p) <= G[row(n, i+1), j+1]. Rows are independent; they are built
    a few thousand at a time, which keeps the temporary arrays small (a few MB, not hundreds).
    """
    n_values = np.arange(_B_N)
    rows = np.ceil(np.minimum(_B_MU, n_values / 2.0) / _B_H).astype(np.intp) + 2
    first_row = np.concatenate([[0], np.cumsum(rows)])
    n = np.repeat(n_values, rows).astype(np.float64)
    i = np.arange(n.size) - np.repeat(first_row[:-1], rows)
    p = np.minimum(i * _B_H / np.maximum(n, 1.0), 0.75)
    step = 8192
    G = np.concatenate([_binomial_bounds(n[a:a + step], p[a:a + step]) for a in range(0, n.size, step)])
    return G.ravel(), first_row


def _binomial_bounds(n: NDArray[np.float64], p: NDArray[np.float64]) -> NDArray[np.uint8]:
    """Rows of the binomial bound table for the (n, p) pairs given."""
    pmf = np.exp(n * np.log1p(-p))
    odds = p / (1.0 - p)
    cdf = np.empty((n.size, _B_K))
    cdf[:, 0] = pmf
    for k in range(1, _B_K):
        pmf = pmf * np.maximum(n - (k - 1), 0.0) * odds * (1.0 / k)
        cdf[:, k] = cdf[:, k - 1] + pmf
    # #{k : F(k) < j/J} = #{k : floor(J F(k)) + 1 <= j}; J is a power of two, so J F(k) is exact
    first_level = np.minimum(np.floor(cdf * _B_J).astype(np.intp) + 1, _B_J + 1)
    counts = np.bincount((np.arange(n.size)[:, None] * (_B_J + 2) + first_level).ravel(),
                         minlength=n.size * (_B_J + 2)).reshape(n.size, _B_J + 2)
    G = np.cumsum(counts, axis=1)[:, : _B_J + 1]
    # a CDF value within rounding of a grid level: take scipy's value there
    levels = np.arange(_B_J + 1) / _B_J
    k = np.minimum(G, _B_K - 1)
    near = (np.abs(np.take_along_axis(cdf, k, 1) - levels) < 1e-11) | (
        np.abs(np.take_along_axis(cdf, np.maximum(k - 1, 0), 1) - levels) < 1e-11)
    near[:, [0, _B_J]] = False
    r, j = np.nonzero(near)
    G[r, j] = stats.binom.ppf(levels[j], n[r], p[r])
    G[:, 0] = 0
    G = np.minimum(G, 255).astype(np.uint8)
    G[:, _B_J] = 255                                 # u -> 1: no upper bound from the table
    return G


def _binomial_table(u: NDArray, n: NDArray, p: NDArray) -> tuple[NDArray, NDArray]:
    """Quantiles settled by the bound table; returns (k, indices still open)."""
    G, first_row = _binomial_tables()
    i = (n * p * (1.0 / _B_H)).astype(np.intp)
    g = (first_row[n.astype(np.intp)] + i) * (_B_J + 1) + (u * _B_J).astype(np.intp)
    lo = G[g]
    hi = G[g + (_B_J + 2)]
    return lo.astype(np.float64), np.flatnonzero(lo != hi)


def binomial_quantile(u: ArrayLike, n: ArrayLike, p: ArrayLike) -> NDArray[np.float64]:
    r"""Quantile function of the binomial distribution, identical to ``scipy.stats.binom.ppf``.

    .. math:: Q(u; n, p) = \min\{k \ge 0 : F(k; n, p) \ge u\}

    Parameters
    ----------
    u : array_like
        Probabilities; the models pass uniforms in (0, 1).
    n : array_like
        Numbers of trials (non-negative integers, may be stored as float).
    p : array_like
        Success probabilities in [0, 1].

    Returns
    -------
    ndarray of float64
        Counts (integer-valued), shape of ``broadcast(u, n, p)``; ``-1`` at ``u = 0``, ``n`` at
        ``u = 1`` and NaN for invalid input, as scipy.

    Notes
    -----
    Bound table for ``n < 256``, ``np < 16``, ``p <= 1/2``; sequential search on the smaller
    tail otherwise, whose cost grows with ``min(np, n(1-p))``; beyond 48 the element goes to
    scipy. For ``p > 1/2``, ``Q(u; n, p) = n - min{m : F(m; n, 1-p) > 1-u}``.

    References
    ----------
    Devroye, L. (1986). *Non-Uniform Random Variate Generation*, §X.3 (inversion by
    sequential search).

    Examples
    --------
    >>> binomial_quantile([0.1, 0.5, 0.9], 20, 0.1)
    array([0., 2., 4.])
    """
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (u, n, p)))
    shape = arrays[0].shape
    u_f, n_f, p_f = (a.ravel() for a in arrays)
    valid = (u_f > 0.0) & (u_f < 1.0) & (p_f >= 0.0) & (p_f <= 1.0) & (n_f >= 0.0) & (n_f == np.floor(n_f))
    low_p = p_f <= 0.5
    mean = n_f * p_f
    tabled = valid & low_p & (n_f < _B_N) & (mean < _B_MU)
    search_low = valid & low_p & ~tabled & (mean <= _BINOM_MAX_MEAN)
    search_high = valid & ~low_p & (n_f - mean <= _BINOM_MAX_MEAN)
    hard = [np.flatnonzero(~(tabled | search_low | search_high))]
    if tabled.all():
        out, open_ = _binomial_table(u_f, n_f, p_f)
        search_low[open_] = True
    else:
        out = np.empty(u_f.size)
        where = np.flatnonzero(tabled)
        out[where], open_ = _binomial_table(u_f[where], n_f[where], p_f[where])
        search_low[where[open_]] = True
    if search_low.any():
        where = np.flatnonzero(search_low)
        out[where], h = _binomial_search(u_f[where], n_f[where], p_f[where], strict=False)
        hard.append(where[h])
    if search_high.any():
        where = np.flatnonzero(search_high)
        m, h = _binomial_search(1.0 - u_f[where], n_f[where], 1.0 - p_f[where], strict=True)
        out[where] = n_f[where] - m
        hard.append(where[h])
    hard_idx = np.concatenate(hard)
    if hard_idx.size:
        out[hard_idx] = stats.binom.ppf(u_f[hard_idx], n_f[hard_idx], p_f[hard_idx])
    return out.reshape(shape)
