"""Rank correlations between uncertain parameters.

Two ways to impose a target Spearman rank-correlation matrix ``C`` on a sample:

* :func:`correlate` — a Gaussian copula applied row by row to the unit sample:
  ``z = Phi^-1(u)``, ``z' = z L^T`` with ``L L^T = R``, ``u' = Phi(z')``, where
  ``R_ij = 2 sin(pi C_ij / 6)`` is the Pearson correlation of a bivariate normal whose
  Spearman correlation is ``C_ij`` (Pearson 1907; Kruskal 1958).  Each output row
  depends on its own input row only, so the result does not depend on chunking.
  Marginals stay exactly uniform; correlated columns lose the stratification of
  LHS/Sobol' designs (uncorrelated columns are left untouched).
* :func:`iman_conover` — Iman & Conover (1982) for a whole sample: reorders each
  column to follow van der Waerden scores carrying the target correlation, keeping
  the marginal values (and any stratification) exactly.  It needs the whole sample,
  so the chunked engine uses :func:`correlate`.

A correlation spec in TOML is a list of pairs (parameters not named are independent)::

    [[correlations]]
    params = ["sectors.ecommerce.tfp_growth", "sectors.online_services.tfp_growth"]
    rho = 0.6
    source = "assumption: shared platform demand"

References
----------
Iman, R. L. & Conover, W. J. (1982). A distribution-free approach to inducing rank
correlation among input variables. Commun. Statist. Simul. Comput. 11(3), 311-334.
Kruskal, W. H. (1958). Ordinal measures of association. JASA 53, 814-861.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr, ndtri

from jdmodel.errors import ParameterError
from jdmodel.uncertainty.rng import U_MAX, U_MIN, uniforms

__all__ = ["correlation_matrix", "validate_correlation", "check_correlation", "copula_factor", "correlate",
           "iman_conover"]

_PSD_TOL = 1e-10


def correlation_matrix(names: Sequence[str], pairs: Mapping[tuple[str, str], float] | Iterable[Mapping],
                       where: str = "correlations") -> NDArray[np.float64]:
    """Build a full correlation matrix over ``names`` from pairwise entries.

    Parameters
    ----------
    names : sequence of str
        Parameter names in column order of the unit sample.
    pairs : mapping or iterable of mappings
        ``{(a, b): rho}`` or TOML-style entries ``{"params": [a, b], "rho": rho}``.
    where : str
        Prefix of error messages.

    Returns
    -------
    ndarray (k, k), unit diagonal, not yet checked for positive semi-definiteness.

    Examples
    --------
    >>> correlation_matrix(["a", "b"], [{"params": ["a", "b"], "rho": 0.5}])
    array([[1. , 0.5],
           [0.5, 1. ]])
    """
    index = {n: i for i, n in enumerate(names)}
    c = np.eye(len(names))
    items = pairs.items() if isinstance(pairs, Mapping) else (
        (tuple(p.get("params", ())), p.get("rho")) for p in pairs)
    problems = []
    for pos, (pair, rho) in enumerate(items):
        if len(pair) != 2:
            problems.append(f"{where}[{pos}]: params must name two parameters, got {list(pair)!r}")
            continue
        a, b = pair
        unknown = [p for p in (a, b) if p not in index]
        if unknown:
            problems.append(f"{where}[{pos}]: {', '.join(map(repr, unknown))} is not an uncertain parameter "
                            f"(known: {', '.join(names) or 'none'})")
        elif a == b:
            problems.append(f"{where}[{pos}]: a parameter cannot be correlated with itself ({a!r})")
        elif isinstance(rho, bool) or not isinstance(rho, (int, float)) or not -1 <= rho <= 1:
            problems.append(f"{where}[{pos}]: rho for ({a}, {b}) must be a number in [-1, 1], got {rho!r}")
        elif c[index[a], index[b]] != 0:
            problems.append(f"{where}[{pos}]: pair ({a}, {b}) is given twice")
        else:
            c[index[a], index[b]] = c[index[b], index[a]] = float(rho)
    if problems:
        raise ParameterError(f"{where}: invalid correlation spec", problems)
    return c


def _min_eig(c: NDArray[np.float64]) -> float:
    return float(np.linalg.eigvalsh(c)[0])


def _feasible_interval(c: NDArray[np.float64], i: int, j: int) -> tuple[float, float] | None:
    # lambda_min of an affine matrix family is concave in t: maximise it by golden section, then bisect
    # outwards for the two ends of {t : c(t) PSD}, an interval (or empty)
    trial = c.copy()

    def lam(t: float) -> float:
        trial[i, j] = trial[j, i] = t
        return _min_eig(trial)

    lo, hi, g = -1.0, 1.0, (np.sqrt(5) - 1) / 2
    for _ in range(40):
        m1, m2 = hi - g * (hi - lo), lo + g * (hi - lo)
        lo, hi = (lo, m2) if lam(m1) > lam(m2) else (m1, hi)
    best = (lo + hi) / 2
    if lam(best) < -_PSD_TOL:
        return None
    ends = []
    for edge in (-1.0, 1.0):
        ok, bad = best, edge
        if lam(edge) >= -_PSD_TOL:
            ends.append(edge)
            continue
        for _ in range(40):
            mid = (ok + bad) / 2
            ok, bad = (mid, bad) if lam(mid) >= -_PSD_TOL else (ok, mid)
        ends.append(ok)
    return ends[0], ends[1]


def _psd_diagnosis(c: NDArray[np.float64], names: Sequence[str], where: str) -> list[str]:
    lam, vec = np.linalg.eigh(c)
    v = vec[:, 0]
    # lambda_min = sum_ij v_i v_j c_ij: the pairs with large |v_i v_j| move it most, either way
    weight = np.triu(np.abs(np.outer(v, v)), 1)
    contrib = np.triu(np.outer(v, v) * c, 1)
    order = np.argsort(-weight, axis=None)[:10]
    fixes = []
    for i, j in zip(*np.unravel_index(order, c.shape), strict=True):
        if i >= j:
            continue
        interval = _feasible_interval(c, i, j)
        if interval is not None:
            change = max(interval[0] - c[i, j], c[i, j] - interval[1], 0.0)
            fixes.append((round(change, 9), int(i), int(j), names[i], names[j], c[i, j], interval))
    head = f"{where}: correlation matrix is not positive semi-definite (smallest eigenvalue {lam[0]:.3g})"
    if fixes:
        # ties (a symmetric pattern) are broken by position, never by rounding noise in the eigenvectors
        fixes.sort(key=lambda f: f[:3])
        lines = [f"{where}: ({a}, {b}) = {rho:g} breaks it; with the other entries as given it must lie in "
                 f"[{lo:.3f}, {hi:.3f}]" for *_, a, b, rho, (lo, hi) in fixes[:3]]
        return [head + "; the pairs whose change alone restores it, smallest change first:"] + lines
    worst = np.argsort(contrib, axis=None)[:3]
    top = [f"({names[i]}, {names[j]}) = {c[i, j]:g}"
           for i, j in zip(*np.unravel_index(worst, c.shape), strict=True) if contrib[i, j] < 0]
    return [head + "; no single pair fixes it; the pairs contributing most to the negative eigenvalue are "
            + ", ".join(top)]


def validate_correlation(corr: ArrayLike, names: Sequence[str] | None = None,
                         where: str = "correlations") -> list[str]:
    """Problems with a rank-correlation matrix, one human-readable line each (empty when fine).

    Checks: square, finite, symmetric, unit diagonal, entries in [-1, 1], positive
    semi-definite. When it is not PSD, names the pair(s) whose change alone restores it
    and the bound that pair must respect, or else the pairs that pull the smallest
    eigenvalue below zero.

    Parameters
    ----------
    corr : array_like (k, k)
    names : sequence of str, optional
        Parameter names for messages (default ``p0, p1, ...``).
    where : str
        Prefix of every message.

    Returns
    -------
    list of str

    Examples
    --------
    >>> c = [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]
    >>> validate_correlation(c, ["a", "b", "c"])[1]
    'correlations: (a, b) = 0.9 breaks it; with the other entries as given it must lie in [-1.000, -0.620]'
    """
    c = np.asarray(corr, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        return [f"{where}: correlation matrix must be square, got shape {c.shape}"]
    names = list(names) if names is not None else [f"p{i}" for i in range(c.shape[0])]
    if not np.all(np.isfinite(c)):
        return [f"{where}: correlation matrix has non-finite entries"]
    problems = []
    bad = np.argwhere(np.abs(c - c.T) > 1e-12)
    problems += [f"{where}: not symmetric: ({names[i]}, {names[j]}) = {c[i, j]:g} but ({names[j]}, {names[i]}) "
                 f"= {c[j, i]:g}" for i, j in bad if i < j]
    problems += [f"{where}: diagonal entry for {names[i]} must be 1, got {c[i, i]:g}"
                 for i in np.flatnonzero(np.abs(np.diag(c) - 1) > 1e-12)]
    problems += [f"{where}: ({names[i]}, {names[j]}) = {c[i, j]:g} is outside [-1, 1]"
                 for i, j in np.argwhere(np.abs(c) > 1) if i < j]
    if not problems and _min_eig(c) < -_PSD_TOL:
        problems += _psd_diagnosis(c, names, where)
    return problems


def check_correlation(corr: ArrayLike, names: Sequence[str] | None = None, where: str = "correlations") -> None:
    """Raise :class:`~jdmodel.errors.ParameterError` listing every problem of a correlation matrix."""
    problems = validate_correlation(corr, names, where)
    if problems:
        raise ParameterError(f"{where}: invalid correlation matrix", problems)


def copula_factor(corr: ArrayLike) -> NDArray[np.float64]:
    r"""Factor ``L`` with ``L L^T = R``, ``R_ij = 2 \sin(\pi C_ij / 6)``, for a Spearman matrix ``C``.

    Cholesky when ``R`` is positive definite; otherwise the eigen-factor with negative
    eigenvalues set to zero and rows rescaled to unit length (so marginals stay uniform).

    Examples
    --------
    >>> L = copula_factor([[1, 0.5], [0.5, 1]])
    >>> np.allclose(L @ L.T, [[1, 2 * np.sin(np.pi / 12)], [2 * np.sin(np.pi / 12), 1]])
    True
    """
    r = 2 * np.sin(np.pi * np.asarray(corr, dtype=np.float64) / 6)
    np.fill_diagonal(r, 1.0)  # 2 sin(pi / 6) is 1 - 1e-16 in floating point
    try:
        return np.linalg.cholesky(r)
    except np.linalg.LinAlgError:
        lam, vec = np.linalg.eigh(r)
        if lam[0] < -1e-8:
            warnings.warn("the normal-copula correlation implied by the rank correlations is not positive "
                          f"semi-definite (smallest eigenvalue {lam[0]:.2g}); using the nearest factor",
                          stacklevel=2)
        f = vec * np.sqrt(np.clip(lam, 0, None))
        return f / np.linalg.norm(f, axis=1, keepdims=True)


def rowwise_product(x: ArrayLike, factor: ArrayLike) -> NDArray[np.float64]:
    """``x @ factor.T`` computed so that every row's bits depend on that row alone.

    BLAS picks its kernel (and summation order) by the number of rows, so ``@`` can
    differ in the last bit between a chunk of 1 row and one of 1000; an explicit sum
    over the (few) columns cannot.

    Examples
    --------
    >>> x = np.arange(6.0).reshape(3, 2)
    >>> np.array_equal(rowwise_product(x, [[1, 0], [0.5, 0.5]]), x @ np.array([[1, 0], [0.5, 0.5]]).T)
    True
    """
    x = np.asarray(x, dtype=np.float64)
    f = np.asarray(factor, dtype=np.float64)
    z = np.zeros((len(x), len(f)))
    for j in range(f.shape[1]):
        z += x[:, j, None] * f[:, j]
    return z


def correlate(u_chunk: ArrayLike, corr: ArrayLike, seed: int | None = None, start: int = 0) -> NDArray[np.float64]:
    r"""Impose rank correlations on a chunk of a unit sample, row by row (chunk-invariant).

    .. math:: u'_{d} = \Phi\big(L\,\Phi^{-1}(u_d)\big), \quad L L^T = 2\sin(\pi C / 6)

    Parameters
    ----------
    u_chunk : array_like (n, k)
        Rows of a unit sample (any design), values in (0, 1).
    corr : array_like (k, k)
        Target Spearman rank-correlation matrix (validate it first with :func:`check_correlation`).
    seed, start : int, optional
        Not used: the Gaussian copula is a deterministic map of each row, which is why it is
        chunk-invariant.  Accepted so that callers pass the chunk's coordinates uniformly.

    Returns
    -------
    ndarray (n, k) in (0, 1); columns with no correlation are returned unchanged.

    Examples
    --------
    >>> from jdmodel.uncertainty.designs import unit_sample
    >>> u = unit_sample("mc", 20000, 2, seed=1)
    >>> from scipy.stats import spearmanr
    >>> round(float(spearmanr(correlate(u, [[1, 0.7], [0.7, 1]])).statistic), 1)
    0.7
    """
    u = np.array(u_chunk, dtype=np.float64)
    c = np.asarray(corr, dtype=np.float64)
    if u.ndim != 2 or c.shape != (u.shape[1], u.shape[1]):
        raise ParameterError(f"correlate: u_chunk must be (n, k) and corr (k, k), got {u.shape} and {c.shape}")
    involved = np.flatnonzero(np.any(c != np.eye(c.shape[0]), axis=0))
    if involved.size:
        factor = copula_factor(c[np.ix_(involved, involved)])
        # rows of the factor that are unit vectors (e.g. the first of a Cholesky factor) map a column to
        # itself: leave those bit-for-bit unchanged, keeping their stratification exactly
        moved = ~np.all(factor == np.eye(len(involved)), axis=1)
        z = rowwise_product(ndtri(u[:, involved]), factor[moved])
        u[:, involved[moved]] = np.clip(ndtr(z), U_MIN, U_MAX)
    return u


def iman_conover(x: ArrayLike, corr: ArrayLike, seed: int) -> NDArray[np.float64]:
    """Reorder each column of a whole sample to carry a target rank correlation (Iman & Conover 1982).

    Van der Waerden scores ``Phi^-1(i / (n + 1))`` are randomly permuted per column
    (counter-based, from ``seed``), their sample correlation ``T = Q Q^T`` is replaced by
    the target ``C = P P^T`` via ``S' = S (P Q^-1)^T``, and column ``j`` of ``x`` is
    rearranged to have the ranks of ``S'_j``.  Marginal values are preserved exactly.

    Parameters
    ----------
    x : array_like (n, k)
        Whole sample (n > k).
    corr : array_like (k, k)
        Target Spearman rank-correlation matrix, positive definite.
    seed : int

    Returns
    -------
    ndarray (n, k), each column a permutation of the same column of ``x``.

    Examples
    --------
    >>> from jdmodel.uncertainty.designs import unit_sample
    >>> y = iman_conover(unit_sample("lhs", 2000, 2, 3), [[1, -0.5], [-0.5, 1]], seed=3)
    >>> from scipy.stats import spearmanr
    >>> round(float(spearmanr(y).statistic), 1)
    -0.5
    """
    x = np.asarray(x, dtype=np.float64)
    n, k = x.shape
    c = np.asarray(corr, dtype=np.float64)
    check_correlation(c, where="iman_conover")
    scores = ndtri(np.arange(1, n + 1) / (n + 1))
    perm = np.argsort(uniforms(seed, "iman-conover", np.arange(n), (k,)), axis=0)
    s = scores[perm]
    q = np.linalg.cholesky(np.corrcoef(s, rowvar=False))
    try:
        p = np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        raise ParameterError("iman_conover: the target correlation must be positive definite "
                             "(a correlation of exactly +-1 cannot be imposed by reordering)") from None
    target = s @ np.linalg.solve(q, p.T)  # = s Q^-T P^T
    ranks = np.argsort(np.argsort(target, axis=0), axis=0)
    return np.take_along_axis(np.sort(x, axis=0), ranks, axis=0)
