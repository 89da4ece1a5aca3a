"""Sampling designs on the unit hypercube, computable slice by slice.

Every design here is a function of ``(design, n_total, k, seed)`` and the row
indices alone: rows ``[start:stop]`` are the same numbers whether produced in one
call or in many chunks on many workers.

* ``"mc"`` — independent uniforms from :func:`jdmodel.uncertainty.rng.uniforms`.
* ``"lhs"`` — Latin hypercube (McKay, Beckman & Conover 1979).  Row ``i`` falls in
  stratum ``pi_j(i)`` of dimension ``j``, where ``pi_j`` is a keyed pseudo-random
  permutation of ``range(n_total)``: a balanced Feistel network on ``2h`` bits
  (``4**h >= n_total``) with SplitMix64 round functions, restricted to
  ``range(n_total)`` by cycle-walking (Black & Rogaway 2002).  A permutation can be
  evaluated at any index without materialising the others, so a slice costs only
  its own rows.  Inside its stratum the point is jittered by a counter-based uniform.
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

from jdmodel.errors import ParameterError
from jdmodel.uncertainty.rng import U_MAX, U_MIN, _hash_block, stream_key, uniforms

__all__ = ["DESIGNS", "unit_sample", "feistel_permutation"]

DESIGNS = ("mc", "lhs", "sobol")
_FEISTEL_ROUNDS = 4  # Luby & Rackoff (1988): four rounds of a pseudo-random function give a strong PRP
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S29, _S32 = np.uint64(29), np.uint64(32)


def _feistel(x: NDArray[np.uint64], keys: NDArray[np.uint64], shift: np.uint64,
             mask: np.uint64) -> NDArray[np.uint64]:
    left, right = x >> shift, x & mask
    for r in range(keys.shape[-1]):
        left, right = right, left ^ (_round(right, keys[..., r]) & mask)
    return (left << shift) | right


def _round(right: NDArray[np.uint64], key: NDArray[np.uint64]) -> NDArray[np.uint64]:
    # two multiply-xorshift steps (the first half of mix64) mix the key well enough for a round function
    z = (right ^ key) * _M1
    z ^= z >> _S29
    z *= _M2
    return z >> _S32


def feistel_permutation(index: NDArray[np.int64], n: int, keys: NDArray[np.uint64]) -> NDArray[np.int64]:
    """Evaluate keyed pseudo-random permutations of ``range(n)`` at given indices.

    A balanced Feistel network on ``2h`` bits (``4**h >= n``), one round key per
    column of ``keys``; values that leave ``range(n)`` are re-encrypted until they
    return (cycle-walking), which keeps the map a bijection on ``range(n)``.

    Parameters
    ----------
    index : ndarray of int64, shape (m,)
        Indices in ``range(n)``.
    n : int
        Domain size.
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
    half = max(1, (max(int(n) - 1, 1).bit_length() + 1) // 2)
    shift, mask = np.uint64(half), np.uint64((1 << half) - 1)
    x = np.broadcast_to(np.asarray(index, dtype=np.uint64)[:, None], (len(index), keys.shape[0]))
    with np.errstate(over="ignore"):
        x = _feistel(x, keys[None, :, :], shift, mask)
        out = np.nonzero(x >= np.uint64(n))
        while out[0].size:
            # cycle-walking: re-encrypt only the values that left range(n)
            x[out] = _feistel(x[out], keys[out[1]], shift, mask)
            keep = x[out] >= np.uint64(n)
            out = (out[0][keep], out[1][keep])
    return x.astype(np.int64)


def _check(design: str, n_total: int, k: int, start: int, stop: int | None) -> int:
    if design not in DESIGNS:
        raise ParameterError(f"unknown design {design!r}; expected one of {', '.join(DESIGNS)}")
    if int(n_total) < 1 or int(k) < 1:
        raise ParameterError(f"design needs n_total >= 1 and k >= 1, got n_total={n_total} k={k}")
    stop = int(n_total) if stop is None else int(stop)
    if not 0 <= int(start) <= stop <= int(n_total):
        raise ParameterError(f"rows [{start}:{stop}] are not within 0..n_total={n_total}")
    return stop


def _lhs(n_total: int, k: int, seed: int, rows: NDArray[np.int64]) -> NDArray[np.float64]:
    keys = _hash_block(seed, f"design:lhs:perm:n={n_total}", np.arange(k), (_FEISTEL_ROUNDS,))
    strata = feistel_permutation(rows, n_total, keys)
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
    else:
        rows = np.arange(start, stop, dtype=np.int64)
        u = uniforms(seed, "design:mc", rows, (k,)) if design == "mc" else _lhs(n_total, k, seed, rows)
    return np.clip(u, U_MIN, U_MAX)
