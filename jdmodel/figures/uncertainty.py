"""Figures (matplotlib): fan charts, sensitivity bars, PRIM trajectories.

Every function takes ``ax=None`` (a new figure when omitted), returns the Axes and never
calls ``plt.show()``.  matplotlib is imported inside the functions, so ``jdmodel`` imports
without it.  One sector has one colour everywhere: the colour its plan gives it (``plan.toml``; the
``sector_colour`` coordinate of a run's Dataset, :func:`sector_colours`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from jdmodel.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["sector_colours", "fan_chart", "sobol_bars", "prim_trajectory"]


def sector_colours(source: Any = None) -> dict[str, str]:
    """Sector id → colour: from a Dataset's ``sector_colour`` coordinate, else from a plan (name, folder or Plan).

    Examples
    --------
    >>> sector_colours("jiading")["ecommerce"]
    '#E69F00'
    """
    coords = getattr(source, "coords", {})
    if "sector_colour" in coords:
        return {str(s): str(c) for s, c in zip(source["sector"].values, source["sector_colour"].values, strict=True)}
    from jdmodel.params.plan import load_plan

    return load_plan(None if hasattr(source, "coords") else source).colours
_NEUTRAL = "#444444"
_TARGET = "#D55E00"
_BANDS = (0.05, 0.25, 0.5, 0.75, 0.95)


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(7, 4), layout="constrained")[1]


def _series(data: Any, variable: str, sector: str | None, years: Any) -> tuple[np.ndarray, np.ndarray, dict]:
    """(years, values as (draws, years), attrs) from a Dataset, DataArray or array."""
    try:
        import xarray as xr
    except ImportError:  # pragma: no cover
        xr = None
    if xr is not None and isinstance(data, xr.Dataset):
        if variable not in data:
            raise ParameterError(f"fan_chart: no variable {variable!r} (have {', '.join(map(str, data.data_vars))})")
        data = data[variable]
    if xr is not None and isinstance(data, xr.DataArray):
        if sector is not None:
            data = data.sel(sector=sector)
        extra = [d for d in data.dims if d not in ("draw", "year")]
        if extra:
            raise ParameterError(f"fan_chart: {variable!r} has dims {extra} besides draw and year; select one "
                                 f"(e.g. sector=...) first")
        if "draw" not in data.dims:
            data = data.expand_dims("draw")
        data = data.transpose("draw", "year")
        return np.asarray(data["year"]), np.asarray(data, dtype=float), dict(data.attrs)
    values = np.atleast_2d(np.asarray(data, dtype=float))
    if values.ndim != 2:
        raise ParameterError(f"fan_chart: an array must be (draw, year) or (year,), got shape {values.shape}")
    if years is None:
        from jdmodel.params.plan import load_plan

        years = load_plan().years.all[:values.shape[1]]
    years = np.asarray(years)
    return years, values, {}


def fan_chart(ds_or_array: Any, variable: str, target: float | tuple[int, float] | Mapping[int, float] | None = None,
              ax: Axes | None = None, *, sector: str | None = None, years: Any = None, color: str | None = None,
              label: str | None = None) -> Axes:
    """Quantile bands (5–95 %, 25–75 %) and median of an indicator over ``year``, with its target.

    Parameters
    ----------
    ds_or_array : xarray.Dataset, xarray.DataArray or ndarray
        Ensemble with a ``draw`` dim (a central run without one draws a single line);
        an array is (draw, year) or (year,).
    variable : str
        Variable name in a Dataset (also the default label).
    target : float, (year, value) or {year: value}, optional
        A float draws a horizontal line; a year-value pair (or several) draws points on a
        dashed line at the value.
    ax : matplotlib Axes, optional
    sector : str, optional
        Select this sector (and use its colour, :func:`sector_colours`).
    years : array_like, optional
        Years for an ndarray input (default from 2020).
    color, label : str, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> draws = 2000 * 1.12 ** np.arange(11) * np.random.default_rng(0).lognormal(0, 0.1, (500, 1))
    >>> ax = fan_chart(draws, "online_economy_output", target=(2025, 4000))
    """
    yrs, values, attrs = _series(ds_or_array, variable, sector, years)
    ax = _axes(ax)
    color = color or (sector_colours(ds_or_array).get(sector, _NEUTRAL) if sector else _NEUTRAL)
    label = label or (f"{variable} ({sector})" if sector else variable)
    if values.shape[0] > 1:
        q05, q25, q50, q75, q95 = np.nanquantile(values, _BANDS, axis=0)
        ax.fill_between(yrs, q05, q95, color=color, alpha=0.18, linewidth=0, label="5–95 %")
        ax.fill_between(yrs, q25, q75, color=color, alpha=0.38, linewidth=0, label="25–75 %")
        ax.plot(yrs, q50, color=color, linewidth=2, label=f"{label}, median")
    else:
        ax.plot(yrs, values[0], color=color, linewidth=2, label=label)
    if target is not None:
        points = dict(target) if isinstance(target, Mapping) else (
            {int(target[0]): float(target[1])} if isinstance(target, tuple) else None)
        if points is None:
            ax.axhline(float(target), color=_TARGET, linestyle="--", linewidth=1.2, label="target")
        else:
            for value in set(points.values()):
                ax.axhline(value, color=_TARGET, linestyle=":", linewidth=0.8)
            ax.plot(list(points), list(points.values()), linestyle="none", marker="D", color=_TARGET,
                    label="target")
    ax.set_xlabel("year")
    units = attrs.get("units")
    ax.set_ylabel(f"{attrs.get('long_name', variable)}" + (f" [{units}]" if units else ""))
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    return ax


def sobol_bars(si_dataset: Any, ax: Axes | None = None, *, output: Any = None, sort: bool = True,
               labels: Mapping[str, str] | None = None) -> Axes:
    """Horizontal bars of first-order (S1) and total (ST) Sobol' indices with their confidence intervals.

    Parameters
    ----------
    si_dataset : xarray.Dataset
        As returned by :func:`jdmodel.uncertainty.sensitivity.sobol_from_matrices`.
    ax : matplotlib Axes, optional
    output : optional
        The output to show when the Dataset has an ``output`` dim (default: the first).
    sort : bool
        Largest total index at the top (a tornado).
    labels : mapping, optional
        Parameter key → the text shown for it (e.g. :func:`jdmodel.report.names.parameter_label`); default the key.

    Returns
    -------
    matplotlib Axes
    """
    si = si_dataset
    if "output" in si.dims:
        si = si.isel(output=0) if output is None else si.sel(output=output)
    names = [str(p) for p in si["parameter"].values]
    s1, st = np.asarray(si["S1"], dtype=float), np.asarray(si["ST"], dtype=float)
    order = np.argsort(st) if sort else np.arange(len(names))[::-1]
    ax = _axes(ax)
    pos = np.arange(len(names))
    for shift, key, vals, color in ((0.2, "S1", s1, "#0072B2"), (-0.2, "ST", st, "#E69F00")):
        err = None
        if f"{key}_conf_low" in si:
            low, high = np.asarray(si[f"{key}_conf_low"]), np.asarray(si[f"{key}_conf_high"])
            err = np.clip(np.vstack([vals - low, high - vals])[:, order], 0, None)
        ax.barh(pos + shift, vals[order], height=0.38, xerr=err, color=color, label=key,
                error_kw={"elinewidth": 1, "capsize": 2})
    shown = labels or {}
    ax.set_yticks(pos, [shown.get(names[i], names[i]) for i in order])
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("Sobol' index")
    ax.legend(loc="lower right", frameon=False)
    return ax


def prim_trajectory(prim_result: Any, ax: Axes | None = None) -> Axes:
    """Coverage against density along a PRIM peeling trajectory; the chosen box is ringed.

    Parameters
    ----------
    prim_result : jdmodel.uncertainty.discovery.PrimResult
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    r = prim_result
    ax = _axes(ax)
    n_dims = np.array([len(d) for d in r.restricted])
    points = ax.scatter(r.coverage, r.density, c=n_dims, cmap="viridis", s=18, zorder=2)
    ax.plot(r.coverage, r.density, color="0.7", linewidth=0.8, zorder=1)
    ax.scatter([r.coverage[r.chosen]], [r.density[r.chosen]], s=120, facecolors="none", edgecolors=_TARGET,
               linewidths=1.5, zorder=3, label=f"chosen box (step {r.chosen})")
    ax.figure.colorbar(points, ax=ax, label="inputs restricted")
    ax.set_xlabel("coverage (share of failures in the box)")
    ax.set_ylabel("density (share of the box that fails)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left", frameon=False)
    return ax
