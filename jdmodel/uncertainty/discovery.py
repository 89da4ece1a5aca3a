"""Scenario discovery with PRIM: which input ranges make a target fail?

PRIM (Friedman & Fisher 1999) starts from the box holding every draw and repeatedly
*peels* off a slice of ``peel_alpha`` of the draws still inside, along the one edge
(lower or upper, of one input) whose removal most raises the share of failures in the
box, until the box would hold less than ``min_mass`` of all draws.  Each step is a
candidate box with

* coverage — share of all failures that lie in the box,
* density — share of draws in the box that fail,
* mass — share of all draws in the box.

The chosen box maximises ``coverage * density`` (= TP^2 / (P N_box): peeling a slice
outside the failure region raises it, cutting into the region lowers it, so it peaks at
the region's edge), among the boxes with density at least ``density_threshold`` when one
is given and reached.  It is then *pasted*: an edge is widened again by ``paste_alpha``
of the box's draws while that raises ``coverage * density``.  Any other box of the trajectory can be
picked with :meth:`PrimResult.select`.

This is a compact implementation (numpy only, a few dozen vectorised lines per step)
rather than the EMA Workbench's: that package brings a large dependency tree and a
model-runner framework the engine does not need, and the algorithm is short.

References
----------
Friedman, J. H. & Fisher, N. I. (1999). Bump hunting in high-dimensional data.
Statistics and Computing 9, 123-143.
Bryant, B. P. & Lempert, R. J. (2010). Thinking inside the box: a participatory,
computer-assisted approach to scenario discovery. Technol. Forecast. Soc. Change 77, 34-49.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from jdmodel.errors import ParameterError

__all__ = ["prim", "PrimResult"]


@dataclass(frozen=True)
class PrimResult:
    """The peeling trajectory and the chosen box of a PRIM run.

    Attributes
    ----------
    names : tuple of str
        Input names (columns).
    limits : ndarray (steps, k, 2)
        Lower and upper limit of every input for each box on the trajectory
        (``-inf``/``inf`` where an input is not restricted).
    coverage, density, mass : ndarray (steps,)
    chosen : int
        Index of the chosen box on the trajectory.
    chosen_limits : ndarray (k, 2)
        Limits of the chosen box after pasting.
    chosen_stats : dict
        coverage, density, mass and n of the chosen (pasted) box.
    base_rate : float
        Share of failures among all draws.
    """

    names: tuple[str, ...]
    limits: NDArray[np.float64]
    coverage: NDArray[np.float64]
    density: NDArray[np.float64]
    mass: NDArray[np.float64]
    chosen: int
    chosen_limits: NDArray[np.float64]
    chosen_stats: dict
    base_rate: float

    @property
    def restricted(self) -> list[tuple[str, ...]]:
        """Names of the inputs restricted by each box of the trajectory."""
        return [tuple(n for n, lim in zip(self.names, box, strict=True) if np.isfinite(lim).any())
                for box in self.limits]

    @property
    def box(self) -> dict[str, tuple[float, float]]:
        """Limits ``(low, high)`` of the chosen box for each restricted input (``-inf``/``inf`` = open)."""
        return {n: (float(lo), float(hi)) for n, (lo, hi) in zip(self.names, self.chosen_limits, strict=True)
                if np.isfinite(lo) or np.isfinite(hi)}

    def inside(self, X: Mapping[str, ArrayLike] | ArrayLike) -> NDArray[np.bool_]:
        """Which rows of ``X`` (same inputs) lie in the chosen box."""
        x, _ = _as_matrix(X, list(self.names))
        return np.all((x >= self.chosen_limits[:, 0]) & (x <= self.chosen_limits[:, 1]), axis=1)

    def select(self, step: int) -> PrimResult:
        """The same trajectory with box ``step`` chosen (pasting is not redone)."""
        if not -len(self.mass) <= step < len(self.mass):
            raise ParameterError(f"PRIM: step {step} is not on the trajectory (0..{len(self.mass) - 1})")
        step %= len(self.mass)
        stats = {"coverage": float(self.coverage[step]), "density": float(self.density[step]),
                 "mass": float(self.mass[step])}
        return replace(self, chosen=step, chosen_limits=self.limits[step].copy(), chosen_stats=stats)

    def _limit_rows(self) -> list[tuple[str, str]]:
        rows = []
        for name, (lo, hi) in self.box.items():
            text = f"{lo:.4g} .. {hi:.4g}" if np.isfinite(lo) and np.isfinite(hi) else (
                f">= {lo:.4g}" if np.isfinite(lo) else f"<= {hi:.4g}")
            rows.append((name, text))
        return rows

    def table(self) -> str:
        """Plain-text summary: the chosen box's limits and statistics."""
        s = self.chosen_stats
        lines = [f"PRIM box (step {self.chosen} of {len(self.mass) - 1}): coverage {s['coverage']:.3f}, "
                 f"density {s['density']:.3f}, mass {s['mass']:.3f} (base rate {self.base_rate:.3f})"]
        rows = self._limit_rows() or [("(no input restricted)", "")]
        width = max(len(n) for n, _ in rows)
        lines += [f"  {n:<{width}}  {t}" for n, t in rows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        s = self.chosen_stats
        rows = "".join(f"<tr><td>{html.escape(n)}</td><td>{html.escape(t)}</td></tr>" for n, t in self._limit_rows())
        bold = ' style="font-weight:bold"'
        steps = "".join(
            f"<tr{bold if i == self.chosen else ''}><td>{i}</td><td>{c:.3f}</td>"
            f"<td>{d:.3f}</td><td>{m:.3f}</td><td>{html.escape(', '.join(r))}</td></tr>"
            for i, (c, d, m, r) in enumerate(zip(self.coverage, self.density, self.mass, self.restricted,
                                                 strict=True)))
        return (f"<div><b>PRIM box</b> (step {self.chosen}): coverage {s['coverage']:.3f}, density "
                f"{s['density']:.3f}, mass {s['mass']:.3f}, base rate {self.base_rate:.3f}"
                f"<table><tr><th>input</th><th>limits</th></tr>{rows}</table>"
                f"<details><summary>peeling trajectory</summary><table><tr><th>step</th><th>coverage</th>"
                f"<th>density</th><th>mass</th><th>restricted</th></tr>{steps}</table></details></div>")


def _as_matrix(X: Mapping[str, ArrayLike] | ArrayLike, names: Sequence[str] | None) -> tuple[NDArray, list[str]]:
    if isinstance(X, Mapping):
        names = list(X) if names is None else list(names)
        missing = [n for n in names if n not in X]
        if missing:
            raise ParameterError(f"PRIM: inputs {missing} are missing (have {', '.join(map(str, X))})")
        x = np.column_stack([np.asarray(X[n], dtype=np.float64) for n in names])
    else:
        x = np.asarray(X, dtype=np.float64)
        if x.ndim != 2:
            raise ParameterError(f"PRIM: X must be (n, k) or a mapping of name to array, got shape {x.shape}")
        names = [f"x{i}" for i in range(x.shape[1])] if names is None else list(names)
        if len(names) != x.shape[1]:
            raise ParameterError(f"PRIM: {len(names)} names for {x.shape[1]} columns")
    return x, names


def _removed(x: NDArray, q: NDArray, side: int, loose: NDArray) -> NDArray[np.bool_]:
    # strict comparison peels below/above the quantile; where that peels nothing (a tied quantile), peel the ties
    if side == 0:
        return np.where(loose, x <= q, x < q)
    return np.where(loose, x >= q, x > q)


def _peel_candidates(x: NDArray, y: NDArray, alpha: float) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """y-sum and count removed by each (side, input) peel, with its quantile and tie flag."""
    q = np.quantile(x, [alpha, 1 - alpha], axis=0)
    loose = np.stack([~np.any(x < q[0], axis=0), ~np.any(x > q[1], axis=0)])
    sums, counts = np.empty_like(q), np.empty_like(q)
    for side in (0, 1):
        removed = _removed(x, q[side], side, loose[side])
        sums[side], counts[side] = y @ removed, removed.sum(axis=0)
    return sums, counts, q, loose


def _new_limit(col: NDArray, q: float, side: int, loose: bool) -> float:
    removed = _removed(col, q, side, loose)
    # the midpoint between the last peeled and the first kept value estimates the edge best
    if side == 0:
        return (col[removed].max() + col[~removed].min()) / 2
    return (col[removed].min() + col[~removed].max()) / 2


def _paste(x: NDArray, y: NDArray, limits: NDArray, alpha: float) -> NDArray:
    """Widen one edge at a time by ``alpha`` of the box's draws while coverage * density rises."""
    limits = limits.copy()
    while True:
        inside = np.all((x >= limits[:, 0]) & (x <= limits[:, 1]), axis=1)
        n_in = inside.sum()
        best = (y[inside].sum() ** 2 / n_in, None)  # coverage * density up to the constant 1 / P
        for j, side in zip(*np.nonzero(np.isfinite(limits)), strict=True):
            others = np.delete(np.arange(x.shape[1]), j)
            ok = np.all((x[:, others] >= limits[others, 0]) & (x[:, others] <= limits[others, 1]), axis=1)
            outside = ok & ~inside
            cand = np.sort(x[outside, j])
            cand = cand[(cand < limits[j, 0]) if side == 0 else (cand > limits[j, 1])]
            take = max(1, int(np.ceil(alpha * n_in)))
            if cand.size < take:
                continue
            new = cand[-take] if side == 0 else cand[take - 1]  # the farthest of the nearest `take` points
            trial = limits.copy()
            trial[j, side] = new
            grown = np.all((x >= trial[:, 0]) & (x <= trial[:, 1]), axis=1)
            score = y[grown].sum() ** 2 / grown.sum()
            if score > best[0]:
                best = (score, trial)
        if best[1] is None:
            return limits
        limits = best[1]


def prim(X: Mapping[str, ArrayLike] | ArrayLike, y: ArrayLike, names: Sequence[str] | None = None,
         peel_alpha: float = 0.05, min_mass: float = 0.05, density_threshold: float | None = None,
         paste: bool = True, paste_alpha: float = 0.01) -> PrimResult:
    """Find a box of inputs in which the target is mostly missed (PRIM peeling + pasting).

    Parameters
    ----------
    X : mapping of str to array (n,), or array (n, k)
        Sampled inputs per draw.
    y : array of bool (n,)
        True where the target is missed (the outcome of interest).
    names : sequence of str, optional
        Column names when ``X`` is an array (default ``x0, x1, ...``), or a subset/order of a mapping.
    peel_alpha : float
        Share of the box's draws removed per peel (0.05: Friedman & Fisher's usual choice).
    min_mass : float
        Smallest share of all draws a box may hold; peeling stops there.
    density_threshold : float, optional
        Only boxes at least this dense are chosen, if any is (see the module notes).
    paste : bool
        Widen the chosen box's edges again while that raises ``coverage * density``.
    paste_alpha : float
        Share of the box's draws added per pasting step (finer than peeling, so that
        pasting can recover an edge that the last coarse peel overshot).

    Returns
    -------
    PrimResult

    Examples
    --------
    >>> gen = np.random.default_rng(0)
    >>> x = gen.random((5000, 3))
    >>> res = prim(x, (x[:, 0] > 0.7) & (x[:, 2] < 0.5), names=["a", "b", "c"])
    >>> {k: tuple(round(v, 1) for v in lim) for k, lim in res.box.items()}
    {'a': (0.7, inf), 'c': (-inf, 0.5)}
    """
    x, names = _as_matrix(X, names)
    yb = np.asarray(y)
    if yb.shape != (x.shape[0],) or yb.dtype != bool:
        raise ParameterError(f"PRIM: y must be a boolean array of length {x.shape[0]}, got {yb.dtype} {yb.shape}")
    if not 0 < peel_alpha < 0.5 or not 0 < min_mass < 1:
        raise ParameterError(f"PRIM: need 0 < peel_alpha < 0.5 and 0 < min_mass < 1, got {peel_alpha}, {min_mass}")
    if not np.all(np.isfinite(x)):
        raise ParameterError("PRIM: inputs contain non-finite values")
    yf = yb.astype(np.float64)
    n, total_pos = len(yf), yf.sum()
    if total_pos == 0:
        raise ParameterError("PRIM: the target is never missed in these draws; there is nothing to find")
    limits = np.tile([-np.inf, np.inf], (x.shape[1], 1))
    inside = np.ones(n, dtype=bool)
    boxes, cov, dens, mass = [limits.copy()], [1.0], [total_pos / n], [1.0]
    while True:
        xi, yi = x[inside], yf[inside]
        s, c, q, loose = _peel_candidates(xi, yi, peel_alpha)
        remain_n, remain_s = len(yi) - c, yi.sum() - s
        valid = (c > 0) & (remain_n >= min_mass * n)
        if not valid.any():
            break
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(valid, remain_s / remain_n, -np.inf)
        side, j = np.unravel_index(np.argmax(score), score.shape)
        limits[j, side] = _new_limit(xi[:, j], q[side, j], side, loose[side, j])
        inside &= (x[:, j] >= limits[j, 0]) & (x[:, j] <= limits[j, 1])
        boxes.append(limits.copy())
        cov.append(yf[inside].sum() / total_pos)
        dens.append(yf[inside].mean())
        mass.append(inside.mean())
    cov_a, dens_a, mass_a = np.array(cov), np.array(dens), np.array(mass)
    score = cov_a * dens_a
    if density_threshold is not None and np.any(dens_a >= density_threshold):
        score = np.where(dens_a >= density_threshold, score, -np.inf)
    chosen = int(np.argmax(score))
    final = _paste(x, yf, boxes[chosen], paste_alpha) if paste else boxes[chosen]
    final_in = np.all((x >= final[:, 0]) & (x <= final[:, 1]), axis=1)
    stats = {"coverage": float(yf[final_in].sum() / total_pos), "density": float(yf[final_in].mean()),
             "mass": float(final_in.mean()), "n": int(final_in.sum())}
    return PrimResult(tuple(names), np.array(boxes), cov_a, dens_a, mass_a, chosen, final, stats,
                      float(total_pos / n))
