r"""Growth accounting: each sector's log output growth split into TFP, capital, talent and land.

The identity comes from the output equation in logs (derived by sympy in
:mod:`jdmodel.symbolic.model`): :math:`\ln Y = \ln A + \alpha \ln K + \beta \ln H + \gamma \ln L`, so
over any period

.. math:: \Delta \ln Y = \Delta \ln A + \alpha\,\Delta \ln K + \beta\,\Delta \ln H + \gamma\,\Delta \ln L

holds exactly, not as a first-order approximation: the engine's output is Cobb–Douglas every year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from jdmodel.symbolic._report import Table, TableReport

# contribution name -> result variable whose log difference it scales
FACTORS = {"tfp": "tfp", "capital": "capital", "talent": "talent", "land": "land"}


def default_periods(plan: Any = None) -> tuple[tuple[int, int], ...]:
    """A plan's default periods: base year → each of its milestone years in turn.

    The milestones are mid-way to the end of the plan period, its end and the horizon
    (:attr:`jdmodel.params.plan.Years.milestones`).

    Examples
    --------
    >>> default_periods("jiading")
    ((2020, 2022), (2022, 2025), (2025, 2030))
    """
    from jdmodel.symbolic._plan import plan_of

    years = plan_of(plan).years
    marks = (years.base, *(y for y in years.milestones if y > years.base))
    return tuple(zip(marks[:-1], marks[1:], strict=True))


def _coefficients() -> dict[str, Any]:
    """Contribution → the parameter symbol of its coefficient (None for 1), read off the log output equation."""
    import sympy as sp

    from jdmodel.symbolic import model as M

    rhs = M.growth_equation("log_output").rhs
    out: dict[str, Any] = {}
    for name, sym in (("tfp", M.A), ("capital", M.K), ("talent", M.H), ("land", M.L)):
        coeff = rhs.coeff(sp.log(sym))
        out[name] = None if coeff == 1 else coeff
    return out


@dataclass
class GrowthAccounting(TableReport):
    """Result of :func:`growth_accounting`: ``.to_dataset()``, ``.table()`` and an HTML repr."""

    dataset: xr.Dataset

    def to_dataset(self) -> xr.Dataset:
        return self.dataset

    def __getitem__(self, name: str) -> xr.DataArray:
        return self.dataset[name]

    def _table(self) -> Table:
        ds = self.dataset
        if "draw" in ds.dims:
            ds = ds.median("draw")
        rows = []
        for sector in ds["sector"].values:
            for period in ds["period"].values:
                cell = ds.sel(sector=sector, period=period)
                years = float(cell["years"])
                rows.append(
                    (str(sector), str(period))
                    + tuple(f"{100 * float(cell[v]) / years:6.2f}" for v in ("total", *FACTORS))
                )
        return Table(
            title=f"Growth accounting, scenario {ds.attrs.get('scenario', '?')} "
            f"(% per year, log points; {ds.attrs.get('statistic', 'central run')})",
            columns=("sector", "period", "Δln Y", "TFP", "α·Δln K", "β·Δln H", "γ·Δln L"),
            rows=rows,
            note="Δln Y = Δln A + α Δln K + β Δln H + γ Δln L exactly"
            + ("; medians over draws need not add up" if "statistic" in ds.attrs else ""),
        )


def growth_accounting(
    ds: xr.Dataset,
    scenario: Any = None,
    periods: Sequence[tuple[int, int]] | None = None,
    statistic: str | None = "median",
) -> GrowthAccounting:
    r"""Decompose each sector's log output growth per period into TFP, capital, talent and land.

    .. math:: \Delta \ln Y = \Delta \ln A + \alpha\,\Delta \ln K + \beta\,\Delta \ln H + \gamma\,\Delta \ln L

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`jdmodel.simulate`: a central run, or an ensemble with a ``draw`` dim.
    scenario : Scenario or str, optional
        Gives α, β, γ (``sc["sectors.<s>.alpha"]`` …); default: the scenario (and plan) named in
        ``ds.attrs``. In an ensemble whose ``inputs`` variable holds sampled α, β or γ, the sampled
        values are used draw by draw, so the identity holds in every draw.
    periods : sequence of (start year, end year), optional
        Default :func:`default_periods` of the scenario's plan: base year → mid-way to the end of
        the plan period → its end → the horizon (for Jiading 2020–2022, 2022–2025, 2025–2030).
    statistic : {"median", None}
        For an ensemble: report the median over draws (default), or keep the ``draw`` dim.

    Returns
    -------
    GrowthAccounting
        ``.to_dataset()``: variables ``total`` (Δln Y), ``tfp``, ``capital``, ``talent``, ``land``
        (log points over the period, dims ``period``, ``sector`` [, ``draw``]) and ``years``.

    References
    ----------
    Solow, R. M. (1957). Technical change and the aggregate production function. *Review of
    Economics and Statistics* 39(3), 312–320.

    Examples
    --------
    >>> import jdmodel as jd
    >>> acc = growth_accounting(jd.simulate("baseline", io=False), "baseline").to_dataset()
    >>> parts = acc.tfp + acc.capital + acc.talent + acc.land
    >>> bool(abs(parts - acc.total).max() < 1e-12)
    True
    """
    from jdmodel.params.scenario import Scenario, load_scenario

    if scenario is None:
        from jdmodel.errors import ParameterError

        name, plan = ds.attrs.get("scenario", "baseline"), ds.attrs.get("plan")
        try:
            sc = load_scenario(name, plan=plan)
        except ParameterError as err:
            raise ParameterError(f"growth_accounting: cannot load scenario {name!r} of plan {plan!r} named in the "
                                 f"results ({err}); pass the scenario: growth_accounting(ds, sc)") from None
    else:
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if periods is None:
        periods = default_periods(sc.plan)
    sectors = [str(s) for s in ds["sector"].values]
    coeffs = {name: _coefficient(ds, sc, sym, sectors) for name, sym in _coefficients().items()}
    years = np.asarray(ds["year"].values)
    parts = []
    for start, end in periods:
        if start not in years or end not in years or end <= start:
            from jdmodel.errors import ParameterError

            raise ParameterError(
                f"growth_accounting: period ({start}, {end}) must be two years of the results "
                f"({years[0]}–{years[-1]}) with start < end"
            )

        def dlog(var: str, start: int = start, end: int = end) -> xr.DataArray:
            return np.log(ds[var].sel(year=end)) - np.log(ds[var].sel(year=start))

        part = xr.Dataset(
            {"total": dlog("output"), **{name: coeffs[name] * dlog(var) for name, var in FACTORS.items()}}
        )
        parts.append(part.drop_vars("year", errors="ignore").assign_coords(period=f"{start}–{end}"))
    out = xr.concat(parts, dim="period")
    out = out.assign_coords(
        start=("period", [p[0] for p in periods]), end=("period", [p[1] for p in periods])
    )
    out["years"] = out["end"] - out["start"]
    out.attrs = {
        "scenario": sc.name,
        "plan": sc.plan.id,
        "identity": "total = tfp + capital + talent + land (log points)",
        "units": "1 (difference of natural logs)",
    }
    for v in ("total", *FACTORS):
        out[v].attrs = {
            "units": "1",
            "long_name": f"{v} contribution to log output growth" if v != "total" else "log output growth",
        }
    if "draw" in out.dims and statistic == "median":
        out = out.median("draw", keep_attrs=True)
        out.attrs["statistic"] = "median over draws"
    return GrowthAccounting(out)


def _coefficient(ds: xr.Dataset, sc: Any, sym: Any, sectors: list[str]) -> xr.DataArray | float:
    """α, β or γ per sector: sampled per draw when the ensemble kept it, else the scenario's value."""
    if sym is None:
        return 1.0
    from jdmodel.symbolic import model as M

    keys = [M.parameter_key(sym, sector=s) for s in sectors]
    central = xr.DataArray([float(sc[k]) for k in keys], dims="sector", coords={"sector": sectors})
    if "inputs" not in ds or "parameter" not in ds.coords:
        return central
    sampled = [str(p) for p in ds["parameter"].values]
    columns = [
        ds["inputs"].sel(parameter=k, drop=True) if k in sampled else central.sel(sector=s, drop=True)
        for k, s in zip(keys, sectors, strict=True)
    ]
    return xr.concat(columns, dim="sector").assign_coords(sector=sectors).transpose("draw", "sector")
