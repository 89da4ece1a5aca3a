"""Small input–output systems solved by forward and back substitution, each right-hand side as if alone.

:func:`jdmodel.inputoutput.algebra.solve_leontief` sends a system of at most :data:`SMALL_SYSTEM`
sectors (every regional table) here and larger ones to LAPACK. Every right-hand side gets the same
operations in the same order, so a draw's result has the same bits alone or in any batch, and the
numpy fallback (no numba) gives the same bits as the compiled loop. A central run's handful of
right-hand sides costs microseconds here, while LAPACK's threads, waking for a tiny system on a busy
machine, took milliseconds; on a large batch the compiled loop, taking :data:`BLOCK` right-hand sides
at a time, is as fast as LAPACK (``docs/inputoutput.md``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from jdmodel import _jit

__all__ = ["SMALL_SYSTEM", "substitute"]


def substitute(lu, rhs: NDArray[np.float64], transpose: bool = False) -> NDArray[np.float64]:
    """Solve :math:`(I - A) x = r` (or the transposed system) from LAPACK ``getrf`` factors, ``rhs`` (..., n).

    Examples
    --------
    >>> import scipy.linalg
    >>> lu = scipy.linalg.lu_factor(np.eye(2) - np.array([[0.15, 0.25], [0.2, 0.05]]))
    >>> substitute(lu, np.array([350.0, 1700.0])).round(6).tolist()
    [1000.0, 2000.0]
    """
    n = lu[0].shape[0]
    flat = np.ascontiguousarray(np.asarray(rhs, dtype=float).reshape(-1, n))
    out = np.empty_like(flat)
    factors, piv = np.ascontiguousarray(lu[0], dtype=float), np.ascontiguousarray(lu[1], dtype=np.int64)
    (_substitute if _jit.enabled() else _substitute_numpy)(factors, piv, flat, out, bool(transpose))
    return out.reshape(np.shape(rhs))


#: Systems of at most this many sectors are solved by :func:`_substitute` (one thread, the same order of
#: operations for every right-hand side); larger ones by LAPACK (``scipy.linalg.lu_solve``).
SMALL_SYSTEM = 128


#: right-hand sides solved together by the compiled loop: a block of (n, BLOCK) stays in cache
BLOCK = 256


@_jit.jit
def _substitute(lu, piv, b, out, transpose):
    r"""Solve :math:`P L U x = b` (or its transpose) for each row of ``b`` by forward and back substitution.

    ``lu``, ``piv``: LAPACK ``getrf`` factors (unit lower ``L`` below the diagonal, ``U`` on and
    above it; row ``i`` was swapped with row ``piv[i]``, in order). The right-hand sides are taken
    :data:`BLOCK` at a time, the innermost loop running over them (so it vectorises), but every
    right-hand side gets the same operations in the same order as alone (those of
    :func:`_substitute_numpy`): a regional system over a handful of years costs microseconds here,
    while LAPACK's threads, waking for a tiny system on a busy machine, cost milliseconds.
    """
    R, n = b.shape
    x = np.empty((n, BLOCK))
    for start in range(0, R, BLOCK):
        m = min(BLOCK, R - start)
        for i in range(n):
            for r in range(m):
                x[i, r] = b[start + r, i]
        if not transpose:
            for i in range(n):                      # x ← P x, the swaps in order
                k = piv[i]
                if k != i:
                    for r in range(m):
                        x[i, r], x[k, r] = x[k, r], x[i, r]
            for i in range(n):                      # L y = x (unit diagonal)
                for j in range(i):
                    c = lu[i, j]
                    for r in range(m):
                        x[i, r] = x[i, r] - c * x[j, r]
            for i in range(n - 1, -1, -1):          # U z = y
                for j in range(i + 1, n):
                    c = lu[i, j]
                    for r in range(m):
                        x[i, r] = x[i, r] - c * x[j, r]
                d = lu[i, i]
                for r in range(m):
                    x[i, r] = x[i, r] / d
        else:
            for i in range(n):                      # U^T y = b
                for j in range(i):
                    c = lu[j, i]
                    for r in range(m):
                        x[i, r] = x[i, r] - c * x[j, r]
                d = lu[i, i]
                for r in range(m):
                    x[i, r] = x[i, r] / d
            for i in range(n - 1, -1, -1):          # L^T z = y (unit diagonal)
                for j in range(i + 1, n):
                    c = lu[j, i]
                    for r in range(m):
                        x[i, r] = x[i, r] - c * x[j, r]
            for i in range(n - 1, -1, -1):          # x ← P^T z, the swaps in reverse order
                k = piv[i]
                if k != i:
                    for r in range(m):
                        x[i, r], x[k, r] = x[k, r], x[i, r]
        for r in range(m):
            for i in range(n):
                out[start + r, i] = x[i, r]


def _substitute_numpy(lu, piv, b, out, transpose) -> None:
    """:func:`_substitute` with every right-hand side at once: the same operations in the same order."""
    n = b.shape[1]
    x = b.T.copy()                                   # (n, R): row i is unknown i of every system
    if not transpose:
        for i in range(n):
            k = piv[i]
            if k != i:
                x[[i, k]] = x[[k, i]]
        for i in range(n):
            for j in range(i):
                x[i] = x[i] - lu[i, j] * x[j]
        for i in range(n - 1, -1, -1):
            for j in range(i + 1, n):
                x[i] = x[i] - lu[i, j] * x[j]
            x[i] = x[i] / lu[i, i]
    else:
        for i in range(n):
            for j in range(i):
                x[i] = x[i] - lu[j, i] * x[j]
            x[i] = x[i] / lu[i, i]
        for i in range(n - 1, -1, -1):
            for j in range(i + 1, n):
                x[i] = x[i] - lu[j, i] * x[j]
        for i in range(n - 1, -1, -1):
            k = piv[i]
            if k != i:
                x[[i, k]] = x[[k, i]]
    out[:] = x.T
