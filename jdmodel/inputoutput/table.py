"""The :class:`IOTable`: a balanced input-output table with labels, and the analyses on it.

Arrays are plain numpy; the algebra lives in :mod:`jdmodel.inputoutput.algebra`. Money is in
亿元 unless the table was built from arrays in another unit (``unit``), people in 人.

References
----------
Miller, R. E. and Blair, P. D. (2009). *Input-Output Analysis: Foundations and Extensions*,
2nd ed. Cambridge University Press.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from jdmodel.errors import ParameterError
from jdmodel.inputoutput import algebra as alg
from jdmodel.inputoutput._csv import TableFolder
from jdmodel.inputoutput._helpers import aggregation_matrix, read_only, vector
from jdmodel.inputoutput._helpers import final_demand as final_demand_matrix
from jdmodel.inputoutput.linkages import Linkages

FloatArray = NDArray[np.float64]
_VECTORS = ("v", "imports", "compensation", "consumption", "employment")


class IOTable:
    r"""A single-region input-output table.

    Holds intermediate flows ``Z`` (row i supplies column j), final demand ``F`` by category
    (``f`` is its row sum), total output ``x``, and optionally value added ``v``, imported
    intermediate inputs ``imports``, compensation of employees, household consumption (for the
    Type II model) and employment, with sector codes and bilingual names. Build it with
    :meth:`from_arrays` or :meth:`from_csv`. On construction the table is checked for balance,

    .. math::
        \sum_j z_{ij} + f_i = x_i, \qquad \sum_i z_{ij} + m_j + v_j = x_j ,

    and ``A`` for productivity; failures raise :class:`~jdmodel.errors.ParameterError` /
    :class:`~jdmodel.errors.ModelError` naming the sector.

    Examples
    --------
    >>> t = IOTable.from_arrays([[150, 500], [200, 100]], [350, 1700], v=[650, 1400])
    >>> t.x
    array([1000., 2000.])
    >>> t.multipliers("output").round(3)
    array([1.518, 1.452])
    """

    def __init__(self, Z: ArrayLike, F: Any, x: ArrayLike, *, v: ArrayLike | None = None,
                 imports: ArrayLike | None = None, compensation: ArrayLike | None = None,
                 consumption: ArrayLike | None = None, employment: ArrayLike | None = None,
                 codes: Sequence[str] | None = None, name_zh: Sequence[str] | None = None,
                 name_en: Sequence[str] | None = None, categories: Sequence[str] | None = None,
                 unit: str = "亿元", source: str = "", rtol: float = 1e-6, check: bool = True) -> None:
        Zarr = np.array(Z, dtype=float)
        if Zarr.ndim != 2 or Zarr.shape[0] != Zarr.shape[1]:
            raise ParameterError(f"IO table: Z has shape {Zarr.shape}; expected a square (n, n) matrix")
        n = Zarr.shape[0]
        if not np.isfinite(Zarr).all():
            raise ParameterError("IO table: Z has non-finite values; expected finite numbers")
        self.Z = Zarr
        self.F, self.categories = final_demand_matrix(F, n, categories)
        self.f = self.F.sum(axis=1)
        self.x = vector("x", x, n)
        self.v, self.imports, self.compensation, self.consumption, self.employment = (
            vector(k, val, n) for k, val in zip(_VECTORS, (v, imports, compensation, consumption, employment), strict=True))
        self.codes = tuple(str(c) for c in codes) if codes is not None else tuple(str(i + 1) for i in range(n))
        self.name_en = tuple(name_en) if name_en is not None else self.codes
        self.name_zh = tuple(name_zh) if name_zh is not None else self.name_en
        for label, seq in (("codes", self.codes), ("name_zh", self.name_zh), ("name_en", self.name_en)):
            if len(seq) != n:
                raise ParameterError(f"IO table: {len(seq)} {label} for {n} sectors")
        if len(set(self.codes)) != n:
            raise ParameterError("IO table: sector codes are not unique")
        self.unit, self.source = unit, source
        for arr in (self.Z, self.F, self.f):
            arr.setflags(write=False)
        if check:
            self.check_balance(rtol)
            alg.check_productive(self.A, self.codes, what="the technical-coefficient matrix A")

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_arrays(cls, Z: ArrayLike, f: Any, v: ArrayLike | None = None, labels: Any = None,
                    compensation: ArrayLike | None = None, consumption: ArrayLike | None = None,
                    employment: ArrayLike | None = None, codes: Sequence[str] | None = None, *,
                    x: ArrayLike | None = None, imports: ArrayLike | None = None,
                    categories: Sequence[str] | None = None, unit: str = "亿元", source: str = "",
                    rtol: float = 1e-6) -> IOTable:
        """Build a table from arrays.

        Parameters
        ----------
        Z : array (n, n)
            Intermediate flows, money (亿元 by default, see ``unit``).
        f : array (n,) or (n, c), or mapping category -> (n,)
            Final demand (by category), money.
        v : array (n,), optional
            Value added by using sector, money (total of its components).
        labels : mapping or sequence, optional
            ``{"name_zh": [...], "name_en": [...]}``, or one sequence of names used for both.
        compensation : array (n,), optional
            Compensation of employees by sector, money (household income, Type II).
        consumption : array (n,), optional
            Household consumption of each product, money (part of ``f``; Type II).
        employment : array (n,), optional
            Employed persons by sector, 人.
        codes : sequence of str, optional
            Sector codes (default "1".."n").
        x : array (n,), optional
            Total output; default ``Z.sum(1) + f`` (then the row balance holds by construction).
        imports : array (n,), optional
            Imported (or, for a region, bought-in) intermediate inputs by using sector, money.
        categories : sequence of str, optional
            Names of the final-demand columns.
        unit : str
            Money unit of the arrays, recorded only (no conversion).
        source : str
            One line of provenance.
        rtol : float
            Relative tolerance of the balance check.

        Examples
        --------
        >>> t = IOTable.from_arrays([[150, 500], [200, 100]], [350, 1700], codes=["a", "b"])
        >>> t.A.round(3)
        array([[0.15, 0.25],
               [0.2 , 0.05]])
        """
        F, cats = final_demand_matrix(f, np.shape(Z)[0], categories)
        if x is None:
            x = np.asarray(Z, dtype=float).sum(axis=1) + F.sum(axis=1)
        if labels is None:
            name_zh = name_en = None
        elif isinstance(labels, Mapping):
            name_zh, name_en = labels.get("name_zh"), labels.get("name_en")
        else:
            name_zh = name_en = [str(s) for s in labels]
        return cls(Z, F, x, v=v, imports=imports, compensation=compensation, consumption=consumption,
                   employment=employment, codes=codes, name_zh=name_zh, name_en=name_en, categories=cats,
                   unit=unit, source=source, rtol=rtol)

    @classmethod
    def from_csv(cls, folder: str | Path, rtol: float = 1e-6) -> IOTable:
        """Read a table folder (``table.toml``, ``sectors.csv``, ``Z.csv`` and the files it names).

        Money is converted from the folder's ``unit`` to 亿元 and employment to 人. The layout is
        documented in ``docs/inputoutput.md``.

        Examples
        --------
        >>> from jdmodel.inputoutput.data import national_table_dir
        >>> IOTable.from_csv(national_table_dir()).x.shape
        (42,)
        """
        tf = TableFolder(folder)
        Z = tf.matrix("Z.csv")
        fd = tf.role("final_demand")
        if not fd:
            raise ParameterError(f"{tf.folder / 'table.toml'}: key 'roles.final_demand' is missing")
        fd = [fd] if isinstance(fd, str) else list(fd)
        F = np.column_stack([tf.column(s, "roles.final_demand") for s in fd])
        out = tf.role("output")
        x = tf.column(out, "roles.output") if out else Z.sum(axis=1) + F.sum(axis=1)
        va = tf.role("value_added")
        v = None if not va else sum(tf.column(s, "roles.value_added")
                                    for s in ([va] if isinstance(va, str) else va))
        opt = {k: tf.column(tf.role(k), f"roles.{k}") if tf.role(k) else None
               for k in ("imports", "compensation", "consumption")}
        meta = tf.meta
        source = f"{meta.get('title', tf.folder.name)}; {' '.join(str(meta.get('source', '')).split())}"
        return cls(Z, F, x, v=v, employment=tf.employment(), codes=tf.codes, name_zh=tf.name_zh,
                   name_en=tf.name_en, categories=[s.split(":", 1)[1] for s in fd], unit="亿元",
                   source=source, rtol=rtol, **opt)

    # ----------------------------------------------------------------- checks
    @property
    def n(self) -> int:
        """Number of sectors."""
        return self.Z.shape[0]

    def check_balance(self, rtol: float = 1e-6) -> None:
        """Raise :class:`~jdmodel.errors.ParameterError` naming the worst unbalanced sector."""
        if (self.x < 0).any():
            j = int(np.argmin(self.x))
            raise ParameterError(f"IO table: total output of sector '{self.codes[j]}' is {self.x[j]:.6g}; "
                                 "expected >= 0")
        tol = rtol * np.maximum(np.abs(self.x), 1e-3 * max(float(np.abs(self.x).max()), 1e-300))
        checks = [("row", "sum_j Z_ij + f_i", self.Z.sum(axis=1) + self.f)]
        if self.v is not None:
            m = 0.0 if self.imports is None else self.imports
            checks.append(("column", "sum_i Z_ij + m_j + v_j" if self.imports is not None
                           else "sum_i Z_ij + v_j", self.Z.sum(axis=0) + m + self.v))
        for kind, expr, total in checks:
            gap = total - self.x
            bad = np.abs(gap) > tol
            if bad.any():
                j = int(np.argmax(np.abs(gap) / tol))
                raise ParameterError(
                    f"IO table does not balance ({kind}) at sector '{self.codes[j]}' ({self.name_en[j]}): "
                    f"{expr} = {total[j]:.10g} but x = {self.x[j]:.10g} (gap {gap[j]:.4g} {self.unit}); "
                    f"expected equal within relative tolerance {rtol:g}; {int(bad.sum())} sector(s) fail")

    # ----------------------------------------------------------------- coefficients and inverses
    @cached_property
    def A(self) -> FloatArray:
        """Technical coefficients ``A = Z diag(x)^-1`` (read-only)."""
        return read_only(alg.technical_coefficients(self.Z, self.x))

    @cached_property
    def B(self) -> FloatArray:
        """Ghosh allocation coefficients ``B = diag(x)^-1 Z`` (read-only)."""
        return read_only(alg.allocation_coefficients(self.Z, self.x))

    @cached_property
    def _lu(self) -> alg.LU:
        return alg.leontief_lu(self.A)

    @cached_property
    def L(self) -> FloatArray:
        """Leontief inverse ``(I - A)^-1``, computed once when first asked for (read-only)."""
        return read_only(alg.inverse_from_lu(self._lu))

    def ghosh_inverse(self) -> FloatArray:
        """Ghosh inverse ``G = (I - B)^-1`` (Miller & Blair 2009, ch. 12); cached."""
        if "_G" not in self.__dict__:
            self.__dict__["_G"] = read_only(alg.ghosh_inverse(self.B))
        return self.__dict__["_G"]

    # ----------------------------------------------------------------- Leontief quantity model
    def output(self, f_new: ArrayLike) -> FloatArray:
        """Total output ``x = (I - A)^-1 f`` by an LU solve (factorised once per table).

        Parameters
        ----------
        f_new : array (..., n)
            Final demand, money; leading axes (draws, years) are batched.

        Examples
        --------
        >>> t = IOTable.from_arrays([[150, 500], [200, 100]], [350, 1700])
        >>> t.output([350, 1700]).round(6)
        array([1000., 2000.])
        """
        f_new = np.asarray(f_new, dtype=float)
        if f_new.shape[-1:] != (self.n,):
            raise ParameterError(f"final demand has shape {f_new.shape}; expected (..., {self.n})")
        return alg.solve_leontief(self._lu, f_new)

    def impact(self, delta_f: ArrayLike) -> FloatArray:
        """Change in total output ``dx = (I - A)^-1 df`` for a change in final demand (linear model)."""
        return self.output(delta_f)

    # ----------------------------------------------------------------- multipliers
    def _coef(self, values: FloatArray | None, what: str) -> FloatArray:
        if values is None:
            raise ParameterError(f"{what} multipliers need '{what}' data in the table; none was given")
        return np.divide(values, self.x, out=np.zeros(self.n), where=self.x != 0)

    @cached_property
    def _closed_lu(self) -> alg.LU:
        if self.compensation is None or self.consumption is None:
            raise ParameterError("Type II multipliers need 'compensation' and 'consumption' (household "
                                 "consumption) in the table; at least one is missing")
        hr = self._coef(self.compensation, "compensation")
        hc = self.consumption / self.compensation.sum()
        closed = alg.close_households(self.A, hr, hc)
        alg.check_productive(closed, self.codes + ("households",), what="the household-closed matrix")
        return alg.leontief_lu(closed)

    def multipliers(self, kind: Literal["output", "income", "value_added", "employment"] = "output",
                    type: Literal["I", "II"] = "I", ratio: bool = False) -> FloatArray:
        r"""Multipliers per unit of final demand of each sector (Miller & Blair 2009, ch. 6).

        ``m_j = sum_i c_i L_ij`` with ``c`` = 1 (output), compensation / x (``"income"``: household
        income, i.e. compensation of employees), value added / x (``"value_added"``) or
        employment / x (``"employment"``, 人 per money unit). Type I uses the open model ``L``;
        Type II the model closed with respect to households (added row compensation_j / x_j,
        added column consumption_i / sum_j compensation_j), summing over the n producing sectors
        only. ``ratio=True`` divides by the direct coefficient (M&B's Type I/II income and
        employment multipliers); the default returns the simple (I) and total (II) multipliers.

        Examples
        --------
        >>> t = IOTable.from_arrays([[150, 500], [200, 100]], [350, 1700], v=[650, 1400],
        ...                         compensation=[300, 500], consumption=[200, 400])
        >>> t.multipliers("output", "II").round(4)
        array([2.217 , 2.0519])
        """
        if type not in ("I", "II"):
            raise ParameterError(f"multiplier type {type!r}; expected 'I' or 'II'")
        sources = {"output": None, "income": self.compensation, "value_added": self.v,
                   "employment": self.employment}
        if kind not in sources:
            raise ParameterError(f"multiplier kind {kind!r}; expected one of {list(sources)}")
        c = np.ones(self.n) if kind == "output" else self._coef(sources[kind], {
            "income": "compensation", "value_added": "v", "employment": "employment"}[kind])
        if type == "I":
            m = alg.solve_leontief(self._lu, c, transpose=True)
        elif kind == "income":
            m = alg.solve_leontief(self._closed_lu, np.r_[np.zeros(self.n), 1.0], transpose=True)[:self.n]
        else:
            m = alg.solve_leontief(self._closed_lu, np.r_[c, 0.0], transpose=True)[:self.n]
        if ratio:
            if kind == "output":
                raise ParameterError("ratio multipliers are defined for income, value_added and employment")
            m = np.divide(m, c, out=np.full(self.n, np.nan), where=c != 0)
        return m

    def linkages(self, forward: Literal["ghosh", "leontief"] = "ghosh") -> Linkages:
        """Normalised Rasmussen backward (columns of L) and forward linkages, key-sector classes.

        Forward linkages use the row sums of the Ghosh inverse (Miller & Blair 2009, ch. 12) or,
        with ``forward="leontief"``, Rasmussen's row sums of ``L``.

        Examples
        --------
        >>> IOTable.from_arrays([[150, 500], [200, 100]], [350, 1700]).linkages().kind.tolist()
        ['key', 'weak']
        """
        if forward not in ("ghosh", "leontief"):
            raise ParameterError(f"forward={forward!r}; expected 'ghosh' or 'leontief'")
        bl, _ = alg.rasmussen_linkages(self.L)
        _, fl = alg.rasmussen_linkages(self.ghosh_inverse() if forward == "ghosh" else self.L)
        return Linkages(self.codes, self.name_zh, self.name_en, bl, fl, alg.key_sectors(bl, fl), forward)

    # ----------------------------------------------------------------- mixed model
    def index(self, sector: int | str) -> int:
        """Position of a sector given by index or code."""
        if isinstance(sector, (int, np.integer)) and not isinstance(sector, bool):
            if not 0 <= sector < self.n:
                raise ParameterError(f"sector index {sector} out of range 0..{self.n - 1}")
            return int(sector)
        if str(sector) not in self.codes:
            raise ParameterError(f"unknown sector code {sector!r}; expected one of {self.codes[:8]}...")
        return self.codes.index(str(sector))

    def mixed(self, exogenous_output: Mapping[int | str, ArrayLike],
              final_demand: ArrayLike | None = None) -> tuple[FloatArray, FloatArray]:
        """Mixed model (Miller & Blair 2009, 13.1): some outputs given, the others follow.

        Parameters
        ----------
        exogenous_output : mapping sector (index or code) -> output
            Given outputs, money; values may be arrays with leading (batch) axes.
        final_demand : array (..., n), optional
            Final demand; only the entries of the other (endogenous) sectors are used.
            Default: the table's ``f``.

        Returns
        -------
        x : array (..., n)
            Total output of all sectors.
        f : array (..., n)
            Final demand consistent with ``x`` (``x = L f``): the given entries for endogenous
            sectors, the implied ones for exogenous sectors.

        Examples
        --------
        >>> t = IOTable.from_arrays([[150, 500], [200, 100]], [350, 1700])
        >>> x, f = t.mixed({1: 2000.0})
        >>> x.round(6), f.round(6)
        (array([1000., 2000.]), array([ 350., 1700.]))
        """
        if not exogenous_output:
            raise ParameterError("mixed model: exogenous_output is empty; expected at least one sector")
        exo = np.array([self.index(k) for k in exogenous_output])
        if len(set(exo.tolist())) != exo.size:
            raise ParameterError("mixed model: a sector is named twice in exogenous_output")
        vals = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in exogenous_output.values()])
        x_exo = np.stack(vals, axis=-1)
        order = np.argsort(exo)
        exo, x_exo = exo[order], x_exo[..., order]
        f = self.f if final_demand is None else np.asarray(final_demand, dtype=float)
        endo = np.setdiff1d(np.arange(self.n), exo)
        x, f_exo = alg.mixed_model(self.A, exo, x_exo, f[..., endo])
        f_full = np.empty_like(x)
        f_full[..., endo] = f[..., endo]
        f_full[..., exo] = f_exo
        return x, f_full

    # ----------------------------------------------------------------- aggregation
    def aggregate(self, concordance: Mapping[str, str] | ArrayLike,
                  labels: Mapping[str, tuple[str, str]] | None = None) -> IOTable:
        """Aggregate sectors many-to-one: ``Z' = S Z S^T``, ``F' = S F``, ``x' = S x``, ...

        Parameters
        ----------
        concordance : mapping old code -> new code, or 0/1 array (m, n)
            Every old sector goes to exactly one new sector.
        labels : mapping new code -> (name_zh, name_en), optional

        Examples
        --------
        >>> t = IOTable.from_arrays(np.ones((3, 3)), [1, 2, 3], codes=["a", "b", "c"])
        >>> t.aggregate({"a": "ab", "b": "ab", "c": "c"}).Z
        array([[4., 2.],
               [2., 1.]])
        """
        S, new = aggregation_matrix(self.codes, concordance)
        lab = labels or {}
        opt = {k: None if getattr(self, k) is None else S @ getattr(self, k) for k in _VECTORS}
        return IOTable(S @ self.Z @ S.T, S @ self.F, S @ self.x, codes=new,
                       name_zh=[lab.get(c, (c, c))[0] for c in new], name_en=[lab.get(c, (c, c))[1] for c in new],
                       categories=self.categories, unit=self.unit, source=f"aggregated from: {self.source}", **opt)

    def __repr__(self) -> str:
        return (f"<IOTable {self.n} sectors, x total {self.x.sum():.6g} {self.unit}, "
                f"final demand {list(self.categories)}; {self.source[:80]}>")
