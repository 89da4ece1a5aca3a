"""Regionalising a national table with location quotients (SLQ, CILQ, FLQ, AFLQ).

Regional coefficients are national ones scaled down where the region is too small to supply
its own needs, :math:`a^r_{ij} = a^n_{ij} \\min(LQ_{ij}, 1)`; what is not bought inside the
region is bought from outside (regional imports). The size measure ``E`` may be employment or
gross output by sector; it only has to be in the same unit for region and nation.

References
----------
Flegg, A. T., Webber, C. D. and Elliott, M. V. (1995). On the appropriate use of location
quotients in generating regional input-output tables. *Regional Studies* 29(6), 547-561.
Flegg, A. T. and Webber, C. D. (1997). On the appropriate use of location quotients in generating
regional input-output tables: reply. *Regional Studies* 31(8), 795-805.
McCann, P. and Dewhurst, J. H. Ll. (1998). Regional size, industrial location and input-output
expenditure coefficients. *Regional Studies* 32(5), 435-444.
Miller, R. E. and Blair, P. D. (2009), ch. 8 (location quotients).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from jdmodel.errors import ParameterError
from jdmodel.inputoutput.table import IOTable

FloatArray = NDArray[np.float64]
METHODS = ("slq", "cilq", "flq", "aflq")


def slq(regional: ArrayLike, national: ArrayLike) -> FloatArray:
    r"""Simple location quotients :math:`SLQ_i = (E^r_i / E^r) / (E^n_i / E^n)`.

    Parameters
    ----------
    regional, national : arrays (n,)
        Size of each sector (employment or output), same unit; ``national > 0``.

    Examples
    --------
    >>> slq([10, 30], [500, 500])
    array([0.5, 1.5])
    """
    er = np.asarray(regional, dtype=float)
    en = np.asarray(national, dtype=float)
    return (er / er.sum()) / (en / en.sum())


def cilq(slq_: ArrayLike) -> FloatArray:
    r"""Cross-industry location quotients :math:`CILQ_{ij} = SLQ_i / SLQ_j` (NaN where SLQ_j = 0).

    Examples
    --------
    >>> cilq([0.5, 1.5]).round(4)
    array([[1.    , 0.3333],
           [3.    , 1.    ]])
    """
    s = np.asarray(slq_, dtype=float)
    return np.divide(s[:, None], s[None, :], out=np.full((s.size, s.size), np.nan), where=s[None, :] > 0)


def flq_lambda(regional_total: float, national_total: float, delta: float = 0.3) -> float:
    r"""Flegg's regional-size weight :math:`\lambda^* = [\log_2(1 + E^r / E^n)]^\delta`.

    Examples
    --------
    >>> round(flq_lambda(1, 3, 0.3), 6)   # log2(4/3) = 0.415037..., ** 0.3
    0.768115
    """
    if not 0.0 <= delta < 1.0:
        raise ParameterError(f"FLQ delta = {delta!r}; expected 0 <= delta < 1")
    return float(np.log2(1.0 + regional_total / national_total) ** delta)


def flq(slq_: ArrayLike, lam: float) -> FloatArray:
    r"""FLQ: :math:`CILQ_{ij} \lambda^*` off the diagonal, :math:`SLQ_i \lambda^*` on it.

    Examples
    --------
    >>> flq([0.5, 1.5], 0.8).round(4)
    array([[0.4   , 0.2667],
           [2.4   , 1.2   ]])
    """
    s = np.asarray(slq_, dtype=float)
    out = cilq(s) * lam
    np.fill_diagonal(out, s * lam)
    return out


def aflq(slq_: ArrayLike, lam: float) -> FloatArray:
    r"""Augmented FLQ: FLQ times :math:`\log_2(1 + SLQ_j)` in columns where :math:`SLQ_j > 1`.

    Examples
    --------
    >>> aflq([0.5, 3.0], 0.8).round(4)   # column 2 scaled by log2(4) = 2
    array([[0.4   , 0.2667],
           [4.8   , 4.8   ]])
    """
    s = np.asarray(slq_, dtype=float)
    scale = np.where(s > 1.0, np.log2(1.0 + s), 1.0)
    return flq(s, lam) * scale[None, :]


def location_quotients(regional: ArrayLike, national: ArrayLike, method: str = "flq",
                       delta: float = 0.3) -> FloatArray:
    """The (n, n) matrix of location quotients applied to column j of row i.

    For ``"slq"`` row i is :math:`SLQ_i` in every column. NaN marks columns of sectors absent
    from the region (their coefficients are irrelevant and set to 0).

    Examples
    --------
    >>> location_quotients([10, 30], [500, 500], "slq")
    array([[0.5, 0.5],
           [1.5, 1.5]])
    """
    er, en = _sizes(regional, national)
    s = slq(er, en)
    if method == "slq":
        return np.repeat(s[:, None], s.size, axis=1)
    if method == "cilq":
        out = cilq(s)
        np.fill_diagonal(out, np.where(s > 0, 1.0, np.nan))
        return out
    lam = flq_lambda(er.sum(), en.sum(), delta)
    return flq(s, lam) if method == "flq" else aflq(s, lam)


def _sizes(regional: ArrayLike, national: ArrayLike) -> tuple[FloatArray, FloatArray]:
    er = np.asarray(regional, dtype=float)
    en = np.asarray(national, dtype=float)
    if er.shape != en.shape or er.ndim != 1:
        raise ParameterError(f"regional size {er.shape} and national size {en.shape}: expected equal (n,)")
    if not (np.isfinite(er).all() and np.isfinite(en).all()) or (er < 0).any() or (en < 0).any():
        raise ParameterError("regional and national sizes must be finite and >= 0")
    bad = np.flatnonzero((en == 0) & (er > 0))
    if bad.size:
        raise ParameterError(f"regional size > 0 where the national size is 0 (sector index {bad[0]})")
    if er.sum() <= 0 or er.sum() > en.sum():
        raise ParameterError(f"regional total {er.sum():.6g} must be > 0 and not exceed the national "
                             f"total {en.sum():.6g}")
    return er, en


def regionalise(table: IOTable, regional: ArrayLike, national: ArrayLike | None = None,
                method: Literal["slq", "cilq", "flq", "aflq"] = "flq",
                delta: float = 0.3) -> tuple[IOTable, FloatArray]:
    r"""Regional table from a national one by location quotients.

    :math:`a^r_{ij} = a^n_{ij} \min(LQ_{ij}, 1)`. The regional table is built so that it balances:

    - output :math:`x^r_j = x^n_j E^r_j / E^n_j` (= ``regional`` when the size measure is output);
    - :math:`Z^r = A^r \mathrm{diag}(x^r)`; value added, compensation and employment keep the
      national per-unit-of-output coefficients;
    - final demand :math:`f^r = x^r - Z^r 1`: everything the region's output supplies other than
      local intermediate use, i.e. local final demand *plus exports to the rest of the country
      and abroad*; split into household consumption (national consumption coefficients scaled by
      :math:`\min(SLQ_i, 1)`) and the rest;
    - imports row :math:`m^r_j = x^r_j - \sum_i z^r_{ij} - v^r_j`: inputs bought outside the region.

    Parameters
    ----------
    table : IOTable
        National table.
    regional : array (n,)
        Regional size by sector (employment in 人, or gross output in the table's unit).
    national : array (n,), optional
        National size in the same unit; default the table's total output ``x``.
    method : {"slq", "cilq", "flq", "aflq"}
    delta : float
        Flegg's :math:`\delta` (FLQ/AFLQ), 0 <= delta < 1; default 0.3.

    Returns
    -------
    regional_table : IOTable
    lq : array (n, n)
        Location quotients used (before capping at 1); NaN in columns of absent sectors.

    Examples
    --------
    >>> t = IOTable.from_arrays([[150, 500], [200, 100]], [350, 1700])
    >>> rt, lq = regionalise(t, regional=[10, 30], method="slq")
    >>> rt.A.round(4)
    array([[0.1125, 0.1875],
           [0.2   , 0.05  ]])
    """
    if method not in METHODS:
        raise ParameterError(f"regionalisation method {method!r}; expected one of {list(METHODS)}")
    en = table.x if national is None else national
    er, en = _sizes(regional, en)
    if er.shape != (table.n,):
        raise ParameterError(f"regional size has shape {er.shape}; expected ({table.n},)")
    lq = location_quotients(er, en, method, delta)
    share = np.divide(er, en, out=np.zeros_like(er), where=en > 0)
    xr = table.x * share
    Ar = table.A * np.where(np.isnan(lq), 0.0, np.minimum(lq, 1.0))
    Zr = Ar * xr[None, :]

    def per_output(values: FloatArray | None) -> FloatArray | None:
        return None if values is None else values * share

    vr = per_output(table.v)
    fr = xr - Zr.sum(axis=1)
    F, cats = fr[:, None], ["final_demand_and_exports"]
    cons = None
    if table.consumption is not None and table.compensation is not None:
        s = slq(er, en)
        cons = table.consumption / table.compensation.sum() * np.minimum(s, 1.0) * per_output(
            table.compensation).sum()
        F, cats = np.column_stack([cons, fr - cons]), ["household_consumption", "other_final_demand_and_exports"]
    imports = None if vr is None else xr - Zr.sum(axis=0) - vr
    src = (f"regionalised ({method.upper()}{', delta=' + format(delta, 'g') if method in ('flq', 'aflq') else ''}) "
           f"from: {table.source}")
    rt = IOTable(Zr, F, xr, v=vr, imports=imports, compensation=per_output(table.compensation),
                 consumption=cons, employment=per_output(table.employment), codes=table.codes,
                 name_zh=table.name_zh, name_en=table.name_en, categories=cats, unit=table.unit, source=src)
    return rt, lq
