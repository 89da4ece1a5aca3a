"""Everything a sweep keeps of its draws, the same to the bit however the draws were split.

:class:`Reductions` folds chunks of draws into histograms of each indicator by year (fixed bins:
geometric for money, one per integer for counts), minima and maxima, target hit and first-year
counts, and float sums taken over fixed blocks of the global draw index and added exactly
(:mod:`jdmodel.uncertainty.blocksums`). Integers add up the same in any order and the block sums
are exact, so merging chunk results from any number of threads, processes or Dask workers, in
any order, gives identical statistics. One compiled pass over a chunk's rows does all but the
block sums; a numpy version of the same pass is the fallback (tested equal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from jdmodel import _jit
from jdmodel.uncertainty.blocksums import BlockSums

# --- histograms ---------------------------------------------------------------------------------

@_jit.jit
def _hist_log_into(v, hist, edges, inv_step):
    """Add each ``v[d, y]`` to ``hist[y, i]`` with ``edges[i] <= v < edges[i + 1]`` (clamped to the ends)."""
    nb = hist.shape[1]
    lo = edges[0]
    for d in range(v.shape[0]):
        for y in range(v.shape[1]):
            x = v[d, y]
            if x != x or x >= edges[nb]:
                i = nb - 1
            elif x < lo:
                i = 0
            else:
                # a guess from the logarithm, then exact comparisons with the edges decide
                i = min(int(math.log(x / lo) * inv_step), nb - 1)
                while i > 0 and x < edges[i]:
                    i -= 1
                while i < nb - 1 and x >= edges[i + 1]:
                    i += 1
            hist[y, i] += 1


@_jit.jit
def _hist_count_into(v, hist):
    nb = hist.shape[1]
    for d in range(v.shape[0]):
        for y in range(v.shape[1]):
            x = v[d, y]
            i = nb - 1 if x != x else int(min(max(np.rint(x), 0.0), nb - 1.0))
            hist[y, i] += 1


def histogram_add(hist: NDArray[np.int64], v: NDArray[np.float64], edges: NDArray[np.float64] | None) -> None:
    """Add the rows of ``v`` (draw, year) to ``hist`` (year, bin) in place.

    With ``edges`` (increasing, ``nb + 1`` of them, geometrically spaced): bin ``i`` holds
    ``edges[i] <= v < edges[i + 1]``, values below or above the range in the first or last bin.
    Without: counts, bin ``i`` holds the integer ``i`` (clamped to ``0 .. nb - 1``). NaN goes to
    the last bin. The compiled and numpy paths give identical histograms.
    """
    v = np.ascontiguousarray(v, dtype=np.float64)
    nb = hist.shape[1]
    if _jit.enabled():
        if edges is None:
            _hist_count_into(v, hist)
        else:
            _hist_log_into(v, hist, edges, nb / math.log(edges[-1] / edges[0]))
        return
    if edges is None:
        idx = np.where(np.isnan(v), nb - 1, np.clip(np.rint(np.nan_to_num(v)), 0, nb - 1)).astype(np.int64)
    else:
        idx = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, nb - 1)
    rows = np.broadcast_to(np.arange(v.shape[1]), v.shape)
    hist += np.bincount((rows * nb + idx).ravel(), minlength=hist.size).reshape(hist.shape)


# --- all reductions of a sweep ------------------------------------------------------------------

_CMP = {">": 0, ">=": 1, "<": 2, "<=": 3}


@_jit.jit
def _log_bin(x, edges, inv_step):
    nb = edges.size - 1
    if x != x or x >= edges[nb]:
        return nb - 1
    if x < edges[0]:
        return 0
    i = min(int(math.log(x / edges[0]) * inv_step), nb - 1)
    while i > 0 and x < edges[i]:
        i -= 1
    while i < nb - 1 and x >= edges[i + 1]:
        i += 1
    return i


@_jit.jit
def _reduce_into(X, Y, counts_kind, hists, edges, inv_step, low, high, tspec, hits, first, joint, pspec, pathhits):
    """One pass over the rows of ``X`` for everything but the float sums (see ``Reductions._add_numpy``)."""
    n_ind = counts_kind.size
    gaps = n_ind * Y
    for d in range(X.shape[0]):
        for i in range(n_ind):
            h = hists[i]
            for y in range(Y):
                j = i * Y + y
                x = X[d, j]
                if counts_kind[i]:
                    nb = h.shape[1]
                    b = nb - 1 if x != x else int(min(max(np.rint(x), 0.0), nb - 1.0))
                else:
                    b = _log_bin(x, edges, inv_step)
                h[y, b] += 1
                if low[j] == low[j] and not (x >= low[j]):    # NaN sticks, as in np.minimum
                    low[j] = x
                if high[j] == high[j] and not (x <= high[j]):
                    high[j] = x
        all_hit = True
        for r in range(tspec.shape[0]):
            base, yi, cmp, thr = int(tspec[r, 0]) * Y, int(tspec[r, 1]), int(tspec[r, 2]), tspec[r, 3]
            fy = Y
            for y in range(Y - 1, -1, -1):
                x = X[d, base + y]
                if (x > thr) if cmp == 0 else (x >= thr) if cmp == 1 else (x < thr) if cmp == 2 else (x <= thr):
                    fy = y
                    if y == yi:
                        hits[r] += 1
                elif y == yi:
                    all_hit = False
            first[r, fy] += 1
            x = X[d, base + yi]
            gap = thr - x if cmp <= 1 else x - thr
            X[d, gaps + r] = 0.0 if gap < 0.0 else gap       # np.maximum(gap, 0.0), NaN kept
        if tspec.shape[0] and all_hit:
            joint[0] += 1
        for r in range(pspec.shape[0]):
            if X[d, int(pspec[r, 0]) * Y + int(pspec[r, 1])] >= pspec[r, 2]:
                pathhits[r] += 1

@dataclass
class Reductions:
    """Everything a sweep keeps of its draws, for indicators ``names`` over ``years``.

    ``add(values, start)`` folds in the draws ``[start, start + D)`` (``values``: indicator ->
    (D, year) array); ``merge`` folds in another instance. Integer counts, extrema and the exact
    block sums make every result independent of how the draws were split and merged.
    """

    names: tuple[str, ...]
    years: tuple[int, ...]
    targets: tuple
    paths: tuple
    n_total: int
    edges: dict                                    # name -> bin edges (None for counts)
    n_bins: dict
    n: int = 0
    hist: dict = field(default_factory=dict)
    low: dict = field(default_factory=dict)
    high: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    sums: BlockSums | None = None

    def __post_init__(self) -> None:
        Y = len(self.years)
        if self.sums is None:
            self.sums = BlockSums(len(self.names) * Y + len(self.targets), self.n_total)
        for name in self.names:
            self.hist.setdefault(name, np.zeros((Y, self.n_bins[name]), dtype=np.int64))
            self.low.setdefault(name, np.full(Y, np.inf))
            self.high.setdefault(name, np.full(Y, -np.inf))
        for t in self.targets:
            self.counts.setdefault(f"hit:{t.id}", np.zeros((), dtype=np.int64))
            self.counts.setdefault(f"first:{t.id}", np.zeros(Y + 1, dtype=np.int64))
        if self.targets:
            self.counts.setdefault("hit:__all__", np.zeros((), dtype=np.int64))
        for p in self.paths:
            self.counts.setdefault(f"pathhit:{p.id}", np.zeros((), dtype=np.int64))

    def add(self, values, start: int) -> None:
        Y, k = len(self.years), len(self.names)
        if not k:
            return
        D = np.shape(values[self.names[0]])[0]
        # one matrix: the indicators by year, then a column per target for its shortfall
        X = np.empty((D, k * Y + len(self.targets)))
        for i, name in enumerate(self.names):
            X[:, i * Y:(i + 1) * Y] = values[name]
        if _jit.enabled():
            self._add_compiled(X)
        else:
            self._add_numpy(X)
        self.sums.add(X, start)
        self.n += D

    def _add_numpy(self, X: NDArray[np.float64]) -> None:
        Y = len(self.years)
        col = {name: i * Y for i, name in enumerate(self.names)}
        for name in self.names:
            v = X[:, col[name]:col[name] + Y]
            histogram_add(self.hist[name], v, self.edges[name])
            np.minimum(self.low[name], v.min(axis=0), out=self.low[name])
            np.maximum(self.high[name], v.max(axis=0), out=self.high[name])
        joint = None
        for r, t in enumerate(self.targets):
            v = X[:, col[t.indicator]:col[t.indicator] + Y]
            yi = self.years.index(t.year)
            ok = t.reached(v)
            hit = ok[:, yi]
            joint = hit if joint is None else joint & hit
            self.counts[f"hit:{t.id}"] += hit.sum()
            first = np.where(ok.any(axis=1), ok.argmax(axis=1), Y)
            self.counts[f"first:{t.id}"] += np.bincount(first, minlength=Y + 1)
            gap = t.threshold - v[:, yi] if t.comparison in (">", ">=") else v[:, yi] - t.threshold
            X[:, len(self.names) * Y + r] = np.maximum(gap, 0.0)
        if joint is not None:
            self.counts["hit:__all__"] += joint.sum()
        for p in self.paths:
            v = X[:, col[p.indicator] + self.years.index(p.target_year)]
            self.counts[f"pathhit:{p.id}"] += (v >= p.target_value).sum()

    def _add_compiled(self, X: NDArray[np.float64]) -> None:
        Y = len(self.years)
        ind = {name: i for i, name in enumerate(self.names)}
        low = np.concatenate([self.low[n] for n in self.names])
        high = np.concatenate([self.high[n] for n in self.names])
        tspec = np.array([[ind[t.indicator], self.years.index(t.year), _CMP[t.comparison], t.threshold]
                          for t in self.targets], dtype=np.float64).reshape(-1, 4)
        pspec = np.array([[ind[p.indicator], self.years.index(p.target_year), p.target_value] for p in self.paths],
                         dtype=np.float64).reshape(-1, 3)
        hits = np.zeros(len(self.targets), dtype=np.int64)
        first = np.zeros((len(self.targets), Y + 1), dtype=np.int64)
        joint = np.zeros(1, dtype=np.int64)
        pathhits = np.zeros(len(self.paths), dtype=np.int64)
        kinds = np.array([self.edges[n] is None for n in self.names], dtype=np.bool_)
        money = next((self.edges[n] for n in self.names if self.edges[n] is not None), np.ones(2))
        _reduce_into(X, Y, kinds, tuple(self.hist[n] for n in self.names), money,
                     (money.size - 1) / math.log(money[-1] / money[0]), low, high, tspec, hits, first, joint,
                     pspec, pathhits)
        for i, name in enumerate(self.names):
            self.low[name][:] = low[i * Y:(i + 1) * Y]
            self.high[name][:] = high[i * Y:(i + 1) * Y]
        for r, t in enumerate(self.targets):
            self.counts[f"hit:{t.id}"] += hits[r]
            self.counts[f"first:{t.id}"] += first[r]
        if self.targets:
            self.counts["hit:__all__"] += joint[0]
        for r, p in enumerate(self.paths):
            self.counts[f"pathhit:{p.id}"] += pathhits[r]

    def merge(self, other: Reductions) -> Reductions:
        self.n += other.n
        for name in self.names:
            self.hist[name] += other.hist[name]
            np.minimum(self.low[name], other.low[name], out=self.low[name])
            np.maximum(self.high[name], other.high[name], out=self.high[name])
        for k, v in other.counts.items():
            self.counts[k] = self.counts[k] + v
        self.sums.merge(other.sums)
        return self

    def result(self) -> dict[str, NDArray]:
        """Final statistics keyed ``n``, ``hist:``, ``mean:``, ``m2:``, ``min:``, ``max:`` (by indicator),
        ``hit:``, ``first:``, ``shortfall:`` (sums, by target), ``hit:__all__``, ``pathhit:``."""
        if not self.sums.complete():
            raise RuntimeError(f"sweep reductions incomplete: draws of blocks {sorted(self.sums.pending)} missing")
        Y = len(self.years)
        mean, m2 = self.sums.exact.moments(self.n)
        total = self.sums.exact.sum()
        out: dict[str, NDArray] = {"n": np.array(self.n, dtype=np.int64)}
        for i, name in enumerate(self.names):
            out[f"hist:{name}"] = self.hist[name]
            out[f"mean:{name}"], out[f"m2:{name}"] = mean[i * Y:(i + 1) * Y], m2[i * Y:(i + 1) * Y]
            out[f"min:{name}"], out[f"max:{name}"] = self.low[name], self.high[name]
        for j, t in enumerate(self.targets):
            out[f"shortfall:{t.id}"] = np.array(total[len(self.names) * Y + j])
        out.update(self.counts)
        return out

    def __getstate__(self) -> dict:
        # histograms travel sparse (a chunk fills few of their 65 536 bins)
        state = dict(self.__dict__)
        state["hist"] = {k: (h.shape, np.flatnonzero(h), h[h != 0]) for k, h in self.hist.items()}
        return state

    def __setstate__(self, state: dict) -> None:
        hist = {}
        for k, (shape, idx, val) in state["hist"].items():
            h = np.zeros(shape, dtype=np.int64)
            h.flat[idx] = val
            hist[k] = h
        self.__dict__.update({**state, "hist": hist})
