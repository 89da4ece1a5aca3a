"""Sums of a sweep's draws whose bits do not depend on chunking, workers or completion order.

A sweep folds its draws, chunk by chunk and perhaps on many workers, into statistics whose size
does not grow with the draw count. Integer statistics (target hits, first-year counts,
histograms) add up to the same numbers in any order. Sums of floating-point numbers do not:
``(a + b) + c`` and ``a + (b + c)`` differ in the last bit. So the float sums (means, variances,
expected shortfalls) are built in two stages that fix the order:

1. **Fixed blocks.** The draws are cut into blocks of :data:`BLOCK` consecutive draw indices,
   aligned to the global index (block ``k`` holds draws ``[k B, (k + 1) B)``; the last may be
   shorter). A block's sum ``S_b`` and centred sum of squares ``Q_b = sum (x - S_b / n_b)^2``
   are summed draw by draw in index order. A chunk computes them for the blocks it holds
   entirely; the rows of a block cut by a chunk boundary travel as they are and are summed
   once all of the block has arrived, in the same order.
2. **Exact accumulation.** Block results are added exactly, as integers in units of
   ``2**-1074`` (every double is an integer multiple of it), so their order does not matter.
   At the end, ``mean = sum S_b / N`` and
   ``M2 = sum Q_b + sum S_b^2 / n_b - (sum S_b)^2 / N`` (Chan, Golub & LeVeque's pairwise
   identity, here without cancellation because it is evaluated in exact rational arithmetic)
   are rounded once.

The result is a function of the draws and the block size alone: the same bits for any chunk
size, any number of threads, processes or Dask workers, and any completion order (tested).

References
----------
Chan, T. F., Golub, G. H. & LeVeque, R. J. (1983). Algorithms for computing the sample
variance: analysis and recommendations. *The American Statistician* 37, 242-247.
Demmel, J. & Nguyen, H. D. (2015). Parallel reproducible summation. *IEEE Trans. Computers*
64, 2060-2070 (reproducible sums independent of the order; here made exact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from jdmodel import _jit

#: Draws per reduction block (aligned to the global draw index).
BLOCK = 1024
_SCALE = 1074                        # 2**-1074 is the smallest positive double


@_jit.jit
def _block_sums_into(x, s, q):
    """Sum ``s[j]`` and centred sum of squares ``q[j]`` of the columns of ``x``, row by row."""
    n, m = x.shape
    for j in range(m):
        s[j] = 0.0
        q[j] = 0.0
    for i in range(n):
        for j in range(m):
            s[j] += x[i, j]
    for j in range(m):
        c = s[j] / n
        acc = 0.0
        for i in range(n):
            r = x[i, j] - c
            acc += r * r
        q[j] = acc


def block_sums(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per column: the sum of a block's rows and the sum of squares about its mean, in row order.

    Both paths (compiled and numpy) add the rows one after another, so they give the same bits.

    Examples
    --------
    >>> s, q = block_sums(np.array([[1.0, 2.0], [3.0, 2.0]]))
    >>> s.tolist(), q.tolist()
    ([4.0, 4.0], [2.0, 0.0])
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    s, q = np.empty(x.shape[1]), np.empty(x.shape[1])
    if _jit.enabled():
        _block_sums_into(x, s, q)
        return s, q
    s[:] = np.add.accumulate(x, axis=0)[-1]          # accumulate is sequential in the row order
    r = x - s / x.shape[0]
    q[:] = np.add.accumulate(r * r, axis=0)[-1]
    return s, q


def _exact(value: float) -> int | None:
    """``value`` as an integer multiple of 2**-1074 (None for inf or NaN)."""
    if not math.isfinite(value):
        return None
    num, den = float(value).as_integer_ratio()
    return num << (_SCALE - den.bit_length() + 1)


@dataclass
class ExactSums:
    """Exact running sums of block results for ``m`` columns, mergeable in any order."""

    m: int
    s: list = field(default_factory=list)         # sum of S_b
    q: list = field(default_factory=list)         # sum of Q_b
    s2: dict = field(default_factory=dict)        # block size n -> per column sum of S_b**2 (units 2**-2148)
    bad: NDArray[np.bool_] | None = None          # a column met inf or NaN

    def __post_init__(self) -> None:
        if not self.s:
            self.s, self.q = [0] * self.m, [0] * self.m
            self.bad = np.zeros(self.m, dtype=bool)

    def add_block(self, s: NDArray[np.float64], q: NDArray[np.float64], n: int) -> None:
        squares = self.s2.setdefault(int(n), [0] * self.m)
        for j in range(self.m):
            si, qi = _exact(s[j]), _exact(q[j])
            if si is None or qi is None:
                self.bad[j] = True
                continue
            self.s[j] += si
            self.q[j] += qi
            squares[j] += si * si

    def merge(self, other: ExactSums) -> None:
        for j in range(self.m):
            self.s[j] += other.s[j]
            self.q[j] += other.q[j]
        for n, squares in other.s2.items():
            mine = self.s2.setdefault(n, [0] * self.m)
            for j in range(self.m):
                mine[j] += squares[j]
        self.bad |= other.bad

    def sum(self) -> NDArray[np.float64]:
        """The sums, each rounded once."""
        return np.array([math.nan if b else s / (1 << _SCALE) for s, b in zip(self.s, self.bad, strict=True)])

    def moments(self, n: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Mean and M2 (sum of squared deviations from the mean) over ``n`` values, each rounded once."""
        mean, m2 = np.empty(self.m), np.empty(self.m)
        unit = 1 << _SCALE
        for j in range(self.m):
            if self.bad[j] or n == 0:
                mean[j] = m2[j] = math.nan
                continue
            mean[j] = self.s[j] / (n * unit)
            between = sum((Fraction(sq[j], size) for size, sq in self.s2.items()), Fraction(0))
            exact = Fraction(self.q[j], unit) + (between - Fraction(self.s[j] * self.s[j], n)) / (unit * unit)
            m2[j] = float(max(exact, Fraction(0)))
        return mean, m2


@dataclass
class BlockSums:
    """Fixed-block float sums of the columns of a (draw, column) matrix, streamed chunk by chunk.

    ``add(x, start)`` takes the rows of draws ``[start, start + len(x))``. Whole blocks are summed
    at once; rows of a block cut by a chunk boundary wait in ``pending`` until the rest arrives
    (from this object or one merged into it).
    """

    m: int
    n_total: int
    block: int = BLOCK
    exact: ExactSums | None = None
    pending: dict = field(default_factory=dict)   # block -> list of (first draw, rows)

    def __post_init__(self) -> None:
        if self.exact is None:
            self.exact = ExactSums(self.m)

    def _size(self, b: int) -> int:
        return min(self.block, self.n_total - b * self.block)

    def add(self, x: NDArray[np.float64], start: int) -> None:
        stop = start + x.shape[0]
        B = self.block
        first, last = -(-start // B), min(stop // B, -(-self.n_total // B))   # whole blocks [first, last)
        if stop == self.n_total:
            last = -(-self.n_total // B)
        if first >= last:                                  # no whole block: the rows wait
            self._park(x, start)
            return
        head, tail = first * B - start, min(last * B, self.n_total) - start
        if head > 0:
            self._park(x[:head], start)
        for b in range(first, last):
            lo = b * B - start
            self.exact.add_block(*block_sums(x[lo: lo + self._size(b)]), self._size(b))
        if tail < x.shape[0]:
            self._park(x[tail:], start + tail)

    def _park(self, rows: NDArray[np.float64], start: int) -> None:
        B = self.block
        while rows.shape[0]:
            b = start // B
            take = min(rows.shape[0], (b + 1) * B - start)
            self._pending(b, start, rows[:take].copy())
            rows, start = rows[take:], start + take

    def _pending(self, b: int, start: int, rows: NDArray[np.float64]) -> None:
        parts = self.pending.setdefault(b, [])
        parts.append((start, rows))
        if sum(p[1].shape[0] for p in parts) == self._size(b):
            del self.pending[b]
            whole = np.concatenate([p[1] for p in sorted(parts, key=lambda p: p[0])])
            self.exact.add_block(*block_sums(whole), whole.shape[0])

    def merge(self, other: BlockSums) -> None:
        self.exact.merge(other.exact)
        for b, parts in other.pending.items():
            for start, rows in parts:
                self._pending(b, start, rows)

    def complete(self) -> bool:
        return not self.pending
