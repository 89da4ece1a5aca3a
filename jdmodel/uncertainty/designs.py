"""Sampling designs on the unit hypercube, computable slice by slice.

Every design here is a function of ``(design, n_total, k, seed)`` and the row
indices alone: rows ``[start:stop]`` are the same numbers whether produced in one
call or in many chunks on many workers.

* ``"mc"`` — independent uniforms from :func:`jdmodel.uncertainty.rng.uniforms`.
* ``"lhs"`` — Latin hypercube (McKay, Beckman & Conover 1979).  Row ``i`` falls in
  stratum ``pi_j(i)`` of dimension ``j``, where ``pi_j`` is a keyed pseudo-random
  permutation of ``range(n_total)``: a four-round Feistel network on the ``b`` bits
  of ``range(2**b)`` (``2**b >= n_total``, halves of ``ceil(b/2)`` and ``floor(b/2)``
  bits) whose round function is a 32-bit integer hash, restricted to ``range(n_total)``
  by cycle-walking (Black & Rogaway 2002).  A permutation can be evaluated at any index
  without materialising the others, so a slice costs only its own rows; it is integer
  arithmetic, so the compiled loop and the numpy fallback give the same bits.  Inside
  its stratum the point is jittered by a counter-based uniform.
* ``"sobol"`` — scrambled Sobol' points (``scipy.stats.qmc.Sobol``, LMS + digital
  shift, seeded); a slice is reached with ``fast_forward``.  Balance properties hold
  for ``n_total`` a power of 2.

References
----------
McKay, M. D., Beckman, R. J. & Conover, W. J. (1979). A comparison of three methods
for selecting values of input variables. Technometrics 21(2), 239-245.
Black, J. & Rogaway, P. (2002). Ciphers with arbitrary finite domains. CT-RSA 2002,
LNCS 2271, 114-130.
Owen, A. B. (1998). Scrambling Sobol' and Niederreiter-Xing points. J. Complexity 14, 466-489.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray
from scipy.stats import qmc

from jdmodel import _jit
from jdmodel.errors import ParameterError
from jdmodel.uncertainty.rng import U_MAX, U_MIN, _hash_block, draw_hash, stream_key, uniform_at, uniforms

__all__ = ["DESIGNS", "unit_sample", "feistel_permutation"]

DESIGNS = ("mc", "lhs", "sobol")
_FEISTEL_ROUNDS = 4  # Luby & Rackoff (1988): four rounds of a pseudo-random function give a strong PRP
# the round function: Wellons's "lowbias32" integer hash (hash-prospector, 2018), one multiply-xorshift
# pair more than needed to pass avalanche tests on 32-bit inputs
_H1, _H2 = np.uint32(0x7FEB352D), np.uint32(0x846CA68B)
_S15, _S16 = np.uint32(15), np.uint32(16)
_M32 = np.uint64(0xFFFFFFFF)


def _widths(n: int) -> tuple[int, int]:
    """Bits of the left (high) and right (low) halves of the Feistel domain ``range(2**b)``, ``2**b >= n``."""
    b = max(1, (max(int(n), 1) - 1).bit_length())
    return (b + 1) // 2, b // 2


@_jit.jit
def _hash32(x):
    x = np.uint32(x ^ (x >> _S16))
    x = np.uint32(x * _H1)
    x = np.uint32(x ^ (x >> _S15))
    x = np.uint32(x * _H2)
    return np.uint32(x ^ (x >> _S16))


@_jit.jit
def _encrypt4(x, k0, k1, k2, k3, a, c):
    """One pass of the four-round Feistel network over ``b = a + c`` bits.

    ``x`` holds ``L`` (``a`` bits) above ``R`` (``c`` bits); the rounds are ``L ^= F(R ^ k0)``,
    ``R ^= F(L ^ k1)``, ``L ^= F(R ^ k2)``, ``R ^= F(L ^ k3)`` (``F`` truncated to the half's
    width); each is invertible, so the pass is a permutation of ``range(2**b)``.
    """
    ma, mc = np.uint32((1 << a) - 1), np.uint32((1 << c) - 1)
    left, right = np.uint32(x >> np.uint32(c)), np.uint32(x & mc)
    left = np.uint32(left ^ (_hash32(np.uint32(right ^ k0)) & ma))
    right = np.uint32(right ^ (_hash32(np.uint32(left ^ k1)) & mc))
    left = np.uint32(left ^ (_hash32(np.uint32(right ^ k2)) & ma))
    right = np.uint32(right ^ (_hash32(np.uint32(left ^ k3)) & mc))
    return np.uint32((left << np.uint32(c)) | right)


@_jit.jit
def _permute_into(y, start, k0, k1, k2, k3, a, c, last, todo, val):
    """``y[i]`` = the permutation at ``start + i``: one vectorisable pass, then cycle-walking.

    The values that left ``range(last + 1)`` are gathered into ``val`` (their positions into
    ``todo``) and encrypted again in vectorisable passes over the shrinking list, instead of one
    unpredictable loop per value: just above a power of 2, half the values need another pass.
    """
    for i in range(y.size):
        y[i] = _encrypt4(np.uint32(start + i), k0, k1, k2, k3, a, c)
    m = 0
    for i in range(y.size):
        if y[i] > last:
            todo[m] = i
            val[m] = y[i]
            m += 1
    while m:
        for r in range(m):
            val[r] = _encrypt4(val[r], k0, k1, k2, k3, a, c)
        kept = 0
        for r in range(m):
            if val[r] > last:
                todo[kept] = todo[r]
                val[kept] = val[r]
                kept += 1
            else:
                y[todo[r]] = val[r]
        m = kept


@_jit.jit
def _perm_columns(out, start, n, keys, a, c):
    """``out[j, i]`` = permutation ``j`` at index ``start + i`` (``keys``: 4 rounds x k columns)."""
    y, todo, val = np.empty(out.shape[1], np.uint32), np.empty(out.shape[1], np.int64), np.empty(out.shape[1], np.uint32)
    for j in range(out.shape[0]):
        _permute_into(y, start, keys[0, j], keys[1, j], keys[2, j], keys[3, j], a, c, np.uint32(n - 1), todo, val)
        for i in range(y.size):
            out[j, i] = y[i]


@_jit.jit
def _lhs_columns(out, start, n, keys, a, c, k0, k1):
    """``out[j, i]``: row ``start + i``, column ``j`` of the LHS design (stratum + jitter) / n, clipped."""
    m = out.shape[1]
    h = np.empty(m, np.uint64)
    for i in range(m):
        h[i] = draw_hash(start + i, k0)
    y, todo, val = np.empty(m, np.uint32), np.empty(m, np.int64), np.empty(m, np.uint32)
    for j in range(out.shape[0]):
        _permute_into(y, start, keys[0, j], keys[1, j], keys[2, j], keys[3, j], a, c, np.uint32(n - 1), todo, val)
        for i in range(m):
            u = (np.float64(y[i]) + uniform_at(h[i], j, k1)) / n
            out[j, i] = min(max(u, U_MIN), U_MAX)


def _encrypt_numpy(x: NDArray[np.uint32], keys: NDArray[np.uint32], a: int, c: int) -> NDArray[np.uint32]:
    ma, mc, sc = np.uint32((1 << a) - 1), np.uint32((1 << c) - 1), np.uint32(c)
    left, right = x >> sc, x & mc
    for r in range(keys.shape[0]):
        if r % 2 == 0:
            left = left ^ (_hash32_numpy(right ^ keys[r]) & ma)
        else:
            right = right ^ (_hash32_numpy(left ^ keys[r]) & mc)
    return (left << sc) | right


def _hash32_numpy(x: NDArray[np.uint32]) -> NDArray[np.uint32]:
    x = x ^ (x >> _S16)
    x = x * _H1
    x = x ^ (x >> _S15)
    x = x * _H2
    return x ^ (x >> _S16)


def _round_keys(keys: NDArray[np.uint64]) -> NDArray[np.uint32]:
    """64-bit keys (k, rounds) folded to 32-bit round keys laid out (rounds, k)."""
    k = np.asarray(keys, dtype=np.uint64)
    return np.ascontiguousarray(((k ^ (k >> np.uint64(32))) & _M32).astype(np.uint32).T)


def _strata(index: NDArray[np.int64], n: int, keys32: NDArray[np.uint32]) -> NDArray[np.int64]:
    """Permutations (one per column of ``keys32``) at ``index``: shape (k, m), numpy or compiled."""
    a, c = _widths(n)
    k = keys32.shape[1]
    index = np.asarray(index, dtype=np.int64)
    contiguous = index.size == 0 or (index.size == index[-1] - index[0] + 1 and
                                     bool(np.all(np.diff(index) == 1)))
    if _jit.enabled() and contiguous and keys32.shape[0] == 4:
        out = np.empty((k, index.size), dtype=np.int64)
        _perm_columns(out, int(index[0]) if index.size else 0, n, keys32, a, c)
        return out
    x = np.broadcast_to(index.astype(np.uint32)[None, :], (k, index.size))
    col = np.broadcast_to(np.arange(k)[:, None], x.shape)
    x = _encrypt_numpy(x, keys32[:, :, None], a, c)
    out = np.nonzero(x >= np.uint32(n))
    while out[0].size:                                     # cycle-walking: only the values outside range(n)
        x[out] = _encrypt_numpy(x[out], keys32[:, col[out]], a, c)
        keep = x[out] >= np.uint32(n)
        out = (out[0][keep], out[1][keep])
    return x.astype(np.int64)


def feistel_permutation(index: NDArray[np.int64], n: int, keys: NDArray[np.uint64]) -> NDArray[np.int64]:
    """Evaluate keyed pseudo-random permutations of ``range(n)`` at given indices.

    A Feistel network on ``b`` bits (``2**b >= n``, ``b <= 32``), one round key per column
    of ``keys`` (64-bit keys are folded to 32 bits); values that leave ``range(n)`` are
    re-encrypted until they return (cycle-walking), which keeps the map a bijection on
    ``range(n)``.  Since ``2**b < 2 n``, fewer than two passes are needed on average.

    Parameters
    ----------
    index : ndarray of int64, shape (m,)
        Indices in ``range(n)``.
    n : int
        Domain size, at most ``2**32``.
    keys : ndarray of uint64, shape (k, rounds)
        One row of round keys per permutation.

    Returns
    -------
    ndarray of int64, shape (m, k): column ``j`` is permutation ``j`` at ``index``.

    Examples
    --------
    >>> keys = np.arange(8, dtype=np.uint64).reshape(2, 4)
    >>> p = feistel_permutation(np.arange(10), 10, keys)
    >>> sorted(p[:, 0].tolist()) == list(range(10))
    True
    """
    if int(n) > 2**32:
        raise ParameterError(f"a Latin hypercube needs n_total <= 2**32 draws, got {n}")
    return _strata(index, int(n), _round_keys(keys)).T


def _check(design: str, n_total: int, k: int, start: int, stop: int | None) -> int:
    if design not in DESIGNS:
        raise ParameterError(f"unknown design {design!r}; expected one of {', '.join(DESIGNS)}")
    if int(n_total) < 1 or int(k) < 1:
        raise ParameterError(f"design needs n_total >= 1 and k >= 1, got n_total={n_total} k={k}")
    stop = int(n_total) if stop is None else int(stop)
    if not 0 <= int(start) <= stop <= int(n_total):
        raise ParameterError(f"rows [{start}:{stop}] are not within 0..n_total={n_total}")
    return stop


def _lhs(n_total: int, k: int, seed: int, start: int, stop: int) -> NDArray[np.float64]:
    if n_total > 2**32:
        raise ParameterError(f"a Latin hypercube needs n_total <= 2**32 draws, got {n_total}; use design='mc'")
    keys = _round_keys(_hash_block(seed, f"design:lhs:perm:n={n_total}", np.arange(k), (_FEISTEL_ROUNDS,)))
    if _jit.enabled():
        k0, k1 = stream_key(seed, "design:lhs:jitter")
        out = np.empty((k, stop - start))
        _lhs_columns(out, start, n_total, keys, *_widths(n_total), k0, k1)
        return out.T
    rows = np.arange(start, stop, dtype=np.int64)
    strata = _strata(rows, n_total, keys).T
    jitter = uniforms(seed, "design:lhs:jitter", rows, (k,))
    return (strata + jitter) / n_total


def _sobol(n_total: int, k: int, seed: int, start: int, stop: int) -> NDArray[np.float64]:
    if n_total & (n_total - 1):
        warnings.warn(f"Sobol' design with n_total={n_total}: balance properties need a power of 2 "
                      f"(e.g. {1 << (n_total - 1).bit_length()})", stacklevel=3)
    bits = 30 if n_total <= 2**30 else 64
    k0, k1 = stream_key(seed, "design:sobol")
    engine = qmc.Sobol(k, scramble=True, bits=bits, rng=np.random.default_rng([int(k0), int(k1)]))
    if start:
        engine.fast_forward(start)
    with warnings.catch_warnings():
        # the power-of-2 advice concerns n_total (warned above), not the size of a slice
        warnings.filterwarnings("ignore", message="The balance properties", category=UserWarning)
        u = engine.random(stop - start)
    # centre each point in its 2**-bits digital cell: keeps scrambled points off 0
    return u + 2.0 ** -(bits + 1)


def unit_sample(design: str, n_total: int, k: int, seed: int, start: int = 0,
                stop: int | None = None) -> NDArray[np.float64]:
    """Rows ``[start:stop]`` of an ``n_total``-point design in ``k`` dimensions, inside (0, 1).

    Parameters
    ----------
    design : {"mc", "lhs", "sobol"}
        Monte Carlo, Latin hypercube or scrambled Sobol'.
    n_total : int
        Number of points of the whole design (draws).
    k : int
        Number of uncertain parameters (columns).
    seed : int
        Non-negative; with (design, n_total, k) it determines every value.
    start, stop : int
        Row slice; ``stop=None`` means ``n_total``.

    Returns
    -------
    ndarray of float64, shape (stop - start, k), values in [2**-53, 1 - 2**-53].

    Warns
    -----
    UserWarning
        For ``"sobol"`` when ``n_total`` is not a power of 2.

    Examples
    --------
    >>> whole = unit_sample("lhs", 100, 3, seed=1)
    >>> bool(np.array_equal(np.vstack([unit_sample("lhs", 100, 3, 1, 0, 40),
    ...                                unit_sample("lhs", 100, 3, 1, 40)]), whole))
    True
    >>> np.sort(np.floor(whole[:, 0] * 100).astype(int))[:5]
    array([0, 1, 2, 3, 4])
    """
    stop = _check(design, n_total, k, start, stop)
    n_total, k, start = int(n_total), int(k), int(start)
    if design == "sobol":
        u = _sobol(n_total, k, seed, start, stop)
    elif design == "mc":
        u = uniforms(seed, "design:mc", np.arange(start, stop, dtype=np.int64), (k,))
    else:
        u = _lhs(n_total, k, seed, start, stop)
        if _jit.enabled():
            return u                  # the compiled columns are clipped as they are made
    return np.clip(u, U_MIN, U_MAX, out=u)
