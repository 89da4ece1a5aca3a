"""Input-output algebra on plain numpy arrays.

Functions of arrays only (like pymrio's ``tools/iomath``): no labels, no classes. Row i of a
flow matrix supplies product i, column j is the using sector j. Where a quantity needs the
Leontief inverse only through a product with a vector, it is obtained by solving with an LU
factorisation of ``I - A`` instead of forming the inverse.

References
----------
Miller, R. E. and Blair, P. D. (2009). *Input-Output Analysis: Foundations and Extensions*,
2nd ed. Cambridge University Press.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from jdmodel.errors import ModelError
from jdmodel.inputoutput.substitution import SMALL_SYSTEM, substitute

FloatArray = NDArray[np.float64]
LU = tuple[FloatArray, NDArray[np.int32]]


def _name(codes: Sequence[str] | None, j: int) -> str:
    return f"sector '{codes[j]}'" if codes is not None else f"sector index {j}"


def technical_coefficients(Z: ArrayLike, x: ArrayLike) -> FloatArray:
    r"""Technical (input) coefficients :math:`a_{ij} = z_{ij} / x_j`.

    Parameters
    ----------
    Z : array (n, n)
        Intermediate flows, money (e.g. 亿元); row i supplies column j.
    x : array (n,)
        Total output, same unit. Sectors with zero output get a zero column.

    Returns
    -------
    A : array (n, n), unit 1

    References
    ----------
    Miller & Blair (2009), ch. 2.

    Examples
    --------
    >>> technical_coefficients([[150, 500], [200, 100]], [1000, 2000])
    array([[0.15, 0.25],
           [0.2 , 0.05]])
    """
    Z = np.asarray(Z, dtype=float)
    x = np.asarray(x, dtype=float)
    return np.divide(Z, x[None, :], out=np.zeros_like(Z), where=x[None, :] != 0)


def allocation_coefficients(Z: ArrayLike, x: ArrayLike) -> FloatArray:
    r"""Ghosh allocation (output) coefficients :math:`b_{ij} = z_{ij} / x_i`.

    Parameters
    ----------
    Z : array (n, n)
        Intermediate flows, money.
    x : array (n,)
        Total output, same unit. Sectors with zero output get a zero row.

    Returns
    -------
    B : array (n, n), unit 1

    References
    ----------
    Miller & Blair (2009), ch. 12 (Ghosh supply-side model).

    Examples
    --------
    >>> allocation_coefficients([[150, 500], [200, 100]], [1000, 2000])
    array([[0.15, 0.5 ],
           [0.1 , 0.05]])
    """
    Z = np.asarray(Z, dtype=float)
    x = np.asarray(x, dtype=float)
    return np.divide(Z, x[:, None], out=np.zeros_like(Z), where=x[:, None] != 0)


def spectral_radius(A: ArrayLike) -> float:
    """Largest absolute eigenvalue of a square matrix (dense eigenvalue solver, O(n^3)).

    Examples
    --------
    >>> round(spectral_radius([[0.15, 0.25], [0.2, 0.05]]), 4)
    0.3291
    """
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(A, dtype=float)))))


def check_productive(A: ArrayLike, codes: Sequence[str] | None = None, what: str = "A") -> None:
    r"""Raise :class:`~jdmodel.errors.ModelError` unless ``A`` is productive.

    A non-negative ``A`` is productive when its spectral radius is below 1 (equivalently the
    Hawkins-Simon conditions hold and :math:`(I - A)^{-1} \ge 0`). Column sums below 1 are a
    sufficient condition and are tried first because they cost O(n^2); otherwise the spectral
    radius is computed and the inverse is checked for negative entries (which can occur only when
    ``A`` itself has negative entries).

    Parameters
    ----------
    A : array (n, n)
        Technical coefficients, unit 1.
    codes : sequence of str, optional
        Sector codes, used to name the offending sector in the message.
    what : str
        Name of the matrix in the message.

    References
    ----------
    Miller & Blair (2009), ch. 2 (Hawkins-Simon conditions).

    Examples
    --------
    >>> check_productive([[0.15, 0.25], [0.2, 0.05]])
    >>> check_productive([[0.5, 0.8], [0.6, 0.5]], codes=["a", "b"])
    Traceback (most recent call last):
    ...
    jdmodel.errors.ModelError: A is not productive: ...
    """
    A = np.asarray(A, dtype=float)
    if not np.isfinite(A).all():
        j = int(np.argwhere(~np.isfinite(A))[0, 1])
        raise ModelError(f"{what} has a non-finite coefficient in the column of {_name(codes, j)}")
    colsum = A.sum(axis=0)
    if (A >= 0).all() and colsum.max() < 1.0:
        return
    n = A.shape[0]
    eigval, eigvec = np.linalg.eig(A)
    k = int(np.argmax(np.abs(eigval)))
    rho = float(np.abs(eigval[k]))
    if rho >= 1.0:
        # The dominant eigenvector points at the sectors whose mutual input requirements explode.
        j = int(np.argmax(np.abs(eigvec[:, k])))
        heavy = [_name(codes, i) + f" (inputs per unit of output {colsum[i]:.4g})"
                 for i in np.flatnonzero(colsum >= 1.0)]
        hint = "; columns summing to >= 1: " + ", ".join(heavy) if heavy else ""
        raise ModelError(
            f"{what} is not productive: spectral radius {rho:.6g} >= 1 (expected < 1); "
            f"the dominant eigenvector is largest at {_name(codes, j)}{hint}")
    L = np.linalg.solve(np.eye(n) - A, np.eye(n))
    if (L < -1e-12).any():
        i, j = np.unravel_index(int(np.argmin(L)), L.shape)
        raise ModelError(
            f"{what} is not productive: the Leontief inverse has a negative entry {L[i, j]:.6g} "
            f"(row {_name(codes, int(i))}, column {_name(codes, int(j))}); expected all entries >= 0")


def leontief_lu(A: ArrayLike) -> LU:
    """LU factorisation of ``I - A`` (scipy ``lu_factor``), to be reused by :func:`solve_leontief`.

    Examples
    --------
    >>> lu = leontief_lu([[0.15, 0.25], [0.2, 0.05]])
    """
    A = np.asarray(A, dtype=float)
    return scipy.linalg.lu_factor(np.eye(A.shape[0]) - A, check_finite=False)


def solve_leontief(lu: LU, rhs: ArrayLike, transpose: bool = False) -> FloatArray:
    r"""Solve :math:`(I - A) x = r` (or :math:`(I - A)^T m = r`) for a batch of right-hand sides.

    Parameters
    ----------
    lu : tuple
        Output of :func:`leontief_lu`.
    rhs : array (..., n)
        Right-hand sides on the last axis; any leading (draw, year, ...) axes.
    transpose : bool
        Solve with the transposed system (row vectors times the inverse, e.g. multipliers).

    Returns
    -------
    array (..., n)

    Examples
    --------
    >>> lu = leontief_lu([[0.15, 0.25], [0.2, 0.05]])
    >>> solve_leontief(lu, [350.0, 1700.0]).round(6)
    array([1000., 2000.])
    """
    rhs = np.asarray(rhs, dtype=float)
    n = lu[0].shape[0]
    if n <= SMALL_SYSTEM:
        return substitute(lu, rhs, transpose)
    flat = rhs.reshape(-1, n).T
    out = scipy.linalg.lu_solve(lu, flat, trans=1 if transpose else 0, check_finite=False)
    return out.T.reshape(rhs.shape)


def leontief_inverse(A: ArrayLike) -> FloatArray:
    r"""Leontief inverse :math:`L = (I - A)^{-1}`, formed explicitly.

    Form it only when its entries are needed; for :math:`x = L f` use :func:`total_output`.

    References
    ----------
    Miller & Blair (2009), ch. 2.

    Examples
    --------
    >>> leontief_inverse([[0.15, 0.25], [0.2, 0.05]]).round(4)
    array([[1.2541, 0.33  ],
           [0.264 , 1.1221]])
    """
    return inverse_from_lu(leontief_lu(A))


def inverse_from_lu(lu: LU) -> FloatArray:
    """The explicit inverse ``(I - A)^-1`` from a :func:`leontief_lu` factorisation."""
    return scipy.linalg.lu_solve(lu, np.eye(lu[0].shape[0]), check_finite=False)


def ghosh_inverse(B: ArrayLike) -> FloatArray:
    r"""Ghosh inverse :math:`G = (I - B)^{-1}` of the allocation coefficients.

    References
    ----------
    Miller & Blair (2009), ch. 12.

    Examples
    --------
    >>> ghosh_inverse([[0.15, 0.5], [0.1, 0.05]]).round(4)
    array([[1.2541, 0.6601],
           [0.132 , 1.1221]])
    """
    return leontief_inverse(B)


def total_output(A: ArrayLike, f: ArrayLike) -> FloatArray:
    r"""Total output :math:`x = (I - A)^{-1} f` by an LU solve (no inverse).

    Parameters
    ----------
    A : array (n, n)
        Technical coefficients.
    f : array (..., n)
        Final demand, money; leading axes are batched.

    Examples
    --------
    >>> total_output([[0.15, 0.25], [0.2, 0.05]], [350.0, 1700.0]).round(6)
    array([1000., 2000.])
    """
    return solve_leontief(leontief_lu(A), f)


def coefficient_multipliers(A: ArrayLike, c: ArrayLike | None = None) -> FloatArray:
    r"""Multipliers :math:`m^T = c^T (I - A)^{-1}` by one transposed solve.

    With ``c = 1`` these are the (simple) output multipliers, the column sums of ``L``; with
    ``c`` = value added, compensation or employment per unit of output they are the value-added,
    income or employment multipliers.

    Parameters
    ----------
    A : array (n, n)
        Technical coefficients.
    c : array (..., n), optional
        Direct coefficients per unit of output (default ones).

    References
    ----------
    Miller & Blair (2009), ch. 6 (output, income and employment multipliers).

    Examples
    --------
    >>> coefficient_multipliers([[0.15, 0.25], [0.2, 0.05]]).round(3)
    array([1.518, 1.452])
    """
    A = np.asarray(A, dtype=float)
    c = np.ones(A.shape[0]) if c is None else np.asarray(c, dtype=float)
    return solve_leontief(leontief_lu(A), c, transpose=True)


def close_households(A: ArrayLike, income_coef: ArrayLike, consumption_coef: ArrayLike) -> FloatArray:
    r"""Augment ``A`` with a household row and column (model closed with respect to households).

    .. math::
        \bar A = \begin{pmatrix} A & h_c \\ h_r & 0 \end{pmatrix}

    Parameters
    ----------
    A : array (n, n)
        Technical coefficients.
    income_coef : array (n,)
        Household row :math:`h_r`: compensation of employees per unit of output, unit 1.
    consumption_coef : array (n,)
        Household column :math:`h_c`: household consumption of product i per unit of total
        household income (total compensation), unit 1.

    Returns
    -------
    array (n + 1, n + 1)

    References
    ----------
    Miller & Blair (2009), ch. 2 (model closed with respect to households).

    Examples
    --------
    >>> close_households([[0.1]], [0.3], [0.5])
    array([[0.1, 0.5],
           [0.3, 0. ]])
    """
    A = np.asarray(A, dtype=float)
    n = A.shape[0]
    out = np.zeros((n + 1, n + 1))
    out[:n, :n] = A
    out[:n, n] = consumption_coef
    out[n, :n] = income_coef
    return out


def rasmussen_linkages(M: ArrayLike) -> tuple[FloatArray, FloatArray]:
    r"""Normalised Rasmussen indices from an inverse ``M`` (``L`` or ``G``).

    Column index :math:`n\,\sum_i m_{ij} / \sum_{ij} m_{ij}` and row index
    :math:`n\,\sum_j m_{ij} / \sum_{ij} m_{ij}`; both average 1.

    Returns
    -------
    (column_index, row_index) : arrays (n,)

    References
    ----------
    Rasmussen, P. N. (1956). *Studies in Inter-Sectoral Relations*. Miller & Blair (2009), ch. 12 (linkages).

    Examples
    --------
    >>> bl, fl = rasmussen_linkages(leontief_inverse([[0.15, 0.25], [0.2, 0.05]]))
    >>> bl.round(4)
    array([1.0222, 0.9778])
    """
    M = np.asarray(M, dtype=float)
    n = M.shape[0]
    total = M.sum()
    return n * M.sum(axis=0) / total, n * M.sum(axis=1) / total


def key_sectors(backward: ArrayLike, forward: ArrayLike) -> NDArray[np.str_]:
    """Classify sectors by normalised linkages (above or below the average of 1).

    Returns ``"key"`` (both > 1), ``"backward"`` (backward only), ``"forward"`` (forward only)
    or ``"weak"`` (neither).

    Examples
    --------
    >>> key_sectors([1.2, 0.8, 1.1, 0.9], [1.1, 1.3, 0.7, 0.9]).tolist()
    ['key', 'forward', 'backward', 'weak']
    """
    b = np.asarray(backward) > 1.0
    f = np.asarray(forward) > 1.0
    return np.select([b & f, b, f], ["key", "backward", "forward"], default="weak")


def mixed_model(A: ArrayLike, exogenous: ArrayLike, x_exogenous: ArrayLike,
                f_endogenous: ArrayLike, lu: LU | None = None) -> tuple[FloatArray, FloatArray]:
    r"""Mixed exogenous/endogenous model: outputs of some sectors given, final demand of the rest.

    With sectors split into endogenous N (final demand given) and exogenous X (output given),

    .. math::
        x_N = (I - A_{NN})^{-1} (f_N + A_{NX} x_X), \qquad
        f_X = x_X - A_{XN} x_N - A_{XX} x_X .

    Parameters
    ----------
    A : array (n, n)
        Technical coefficients.
    exogenous : int array (k,)
        Indices of sectors whose output is given, distinct.
    x_exogenous : array (..., k)
        Their outputs, money; leading axes are batched (broadcast against ``f_endogenous``).
    f_endogenous : array (..., n - k)
        Final demand of the other sectors in increasing index order, money.
    lu : tuple, optional
        :func:`leontief_lu` of ``A[N][:, N]``, to reuse a factorisation.

    Returns
    -------
    x : array (..., n)
        Total output of all sectors.
    f_exogenous : array (..., k)
        Final demand of the exogenous sectors implied by ``x``.

    References
    ----------
    Miller & Blair (2009), section 13.1.

    Examples
    --------
    >>> x, fx = mixed_model([[0.15, 0.25], [0.2, 0.05]], [1], [2000.0], [350.0])
    >>> x.round(6), fx.round(6)
    (array([1000., 2000.]), array([1700.]))
    """
    A = np.asarray(A, dtype=float)
    n = A.shape[0]
    exo = np.asarray(exogenous, dtype=int)
    endo = np.setdiff1d(np.arange(n), exo)
    x_x = np.asarray(x_exogenous, dtype=float)
    f_n = np.asarray(f_endogenous, dtype=float)
    lead = np.broadcast_shapes(x_x.shape[:-1], f_n.shape[:-1])
    x = np.empty(lead + (n,))
    rhs = f_n + x_x @ A[np.ix_(endo, exo)].T
    if endo.size:
        lu = leontief_lu(A[np.ix_(endo, endo)]) if lu is None else lu
        x[..., endo] = solve_leontief(lu, np.broadcast_to(rhs, lead + (endo.size,)))
    x[..., exo] = x_x
    f_x = x[..., exo] - x @ A[exo, :].T
    return x, f_x
