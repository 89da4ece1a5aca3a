r"""The budget objectives: exact on common random numbers, and a smooth surrogate to steer the search.

Exact (what every allocation is judged on): each draw runs with the counting models' draw-keyed
randomness, and

* ``p_all`` — :math:`\hat P = \frac1N \sum_d \prod_k \mathbf 1\{\text{target } k \text{ reached in draw } d\}`;
* ``shortfall`` — :math:`\frac1N \sum_d \sum_k \max(\theta_k - v_{kd}, 0) / \theta_k`, the expected
  shortfall of every target as a share of its threshold (so firms and 亿元 add up).

Both are step functions of the allocation (a draw's hit flips at one level, counts are integers),
so a gradient method cannot use them directly. The surrogate replaces each draw's indicator
with a smooth probability, evaluated on the same draws:

* a continuous indicator (output): :math:`\Phi\big(\ln(v/\theta)/h\big)`, a Gaussian kernel on the
  log margin, bandwidth :math:`h = 1.06\, s\, N^{-1/5}` (Silverman's rule on the spread *s* of
  :math:`\ln v` across draws at the starting allocation), i.e. a kernel-smoothed empirical CDF;
* a count: the counting model's mean path *m* (its randomness switched off, so *m* is smooth in
  the levers) and a normal approximation to a Poisson count, :math:`\Phi\big((m - \theta + \tfrac12)/\sqrt{m}\big)`
  (continuity-corrected, for ``>=``).

The surrogate only steers the search; the reported optimum is the best allocation on the exact
objective among the surrogate's optima, the starting points and a coarse grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import ndtr

from jdmodel.params.targets import Target
from jdmodel.policy._crn import COUNT_INDICATORS, hits, relative_shortfall, target_values

OBJECTIVES = ("p_all", "shortfall")


def exact(out, targets: Sequence[Target], objective: str, base_year: int) -> tuple[np.ndarray, np.ndarray]:
    """Objective to *minimise* per setting, and its Monte Carlo s.e. (both shape (G,))."""
    n = next(iter(out.values())).shape[1]
    if objective == "p_all":
        p = hits(out, targets, base_year).mean(axis=1)
        return -p, np.sqrt(p * (1 - p) / n)
    s = relative_shortfall(out, targets, base_year)
    se = s.std(axis=1, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(s.shape[0])
    return s.mean(axis=1), se


def bandwidths(out, targets: Sequence[Target], base_year: int) -> dict[str, float]:
    """Silverman bandwidth of ln(indicator) per continuous target, from one setting's draws."""
    h = {}
    for t in targets:
        if t.indicator in COUNT_INDICATORS:
            continue
        v = np.log(np.maximum(target_values(out, t, base_year)[0], 1e-12))
        n = v.size
        h[t.id] = max(1.06 * float(v.std()) * n ** (-0.2), 1e-3)
    return h


def smooth(out, targets: Sequence[Target], objective: str, h: dict[str, float], base_year: int) -> np.ndarray:
    """The surrogate objective to minimise, per setting (G,); ``out`` from a run without noise."""
    if objective == "shortfall":
        return relative_shortfall(out, targets, base_year).mean(axis=1)
    prob = 1.0
    for t in targets:
        v = target_values(out, t, base_year)
        up = t.comparison in (">", ">=")
        if t.indicator in COUNT_INDICATORS:
            edge = t.threshold + (-0.5 if t.comparison in (">=", "<") else 0.5)
            z = (v - edge) / np.sqrt(np.maximum(v, 1.0))
        else:
            z = np.log(np.maximum(v, 1e-12) / t.threshold) / h[t.id]
        prob = prob * ndtr(z if up else -z)
    return -np.asarray(prob).mean(axis=1)
