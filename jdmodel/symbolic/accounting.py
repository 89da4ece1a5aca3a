r"""Growth accounting: each sector's value-added growth split into TFP, capital, talent and land.

The identity comes from the value-added equation in logs (derived by sympy in
:mod:`jdmodel.symbolic.model`): :math:`\ln V = \ln A + \alpha \ln K + \beta \ln H + \gamma \ln L`, so
over any period

.. math:: \Delta \ln V = \Delta \ln A + \alpha\,\Delta \ln K + \beta\,\Delta \ln H + \gamma\,\Delta \ln L

holds exactly, not as a first-order approximation: the engine's trend value added is
Cobb–Douglas every year. What the statistics measure, :math:`M_t = V_t (1 + d_t)/(\mu v)`, grows
by the same amount plus the change of the shock factor, :math:`\Delta \ln M = \Delta \ln V +
\Delta \ln (1 + d)`: the ratio :math:`\mu v` is constant and cancels, and :math:`d` is zero outside
the plan's shock span, so the two differ only over periods that start or end in it. Under the
market-share variant the market sector's value added follows its market,
:math:`\Delta \ln V = \Delta \ln \mathrm{Mkt} + \varepsilon(\alpha\,\Delta \ln K + \beta\,\Delta \ln H +
\gamma\,\Delta \ln L)`, and the market takes the place of TFP.
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
_COLUMNS = {"output": "Δln M", "shock": "Δln(1+d)", "value_added": "Δln V", "tfp": "TFP", "market": "market",
            "capital": "capital", "talent": "talent", "land": "land"}


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


def coefficients(market: bool = False) -> dict[str, Any]:
    """Contribution → its coefficient (a sympy expression; 1 or 0 as numbers), read off the log value-added equation.

    ``market=True``: the market sector's equation under the market-share variant (coefficient 1
    on the market, 0 on TFP, ε α, ε β, ε γ on the inputs).
    """
    import sympy as sp

    from jdmodel.symbolic import model as M

    rhs = M.growth_equation("log_market_value_added" if market else "log_value_added").rhs
    out: dict[str, Any] = {}
    for name, sym in (("tfp", M.A), ("market", M.Mkt), ("capital", M.K), ("talent", M.H), ("land", M.L)):
        out[name] = sp.factor(sp.expand(rhs).coeff(sp.log(sym)))
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
        names = [v for v in _COLUMNS if v in ds]
        rows = []
        for sector in ds["sector"].values:
            for period in ds["period"].values:
                cell = ds.sel(sector=sector, period=period)
                years = float(cell["years"])
                rows.append(
                    (str(sector), str(period)) + tuple(f"{100 * float(cell[v]) / years:6.2f}" for v in names)
                )
        note = ("Δln V = TFP + capital + talent + land exactly (capital = α Δln K, talent = β Δln H, land = γ Δln L); "
                "Δln M = Δln V + Δln(1+d): measured output is V (1 + d)/(μ v), μ v constant")
        if "market" in ds:
            note += (f"; {ds.attrs.get('market_sector', 'the market sector')} (market-share variant): "
                     "Δln V = Δln Mkt + ε (α Δln K + β Δln H + γ Δln L), no TFP term")
        if "statistic" in ds.attrs:
            note += "; medians over draws need not add up"
        return Table(
            title=f"Growth accounting of value added, scenario {ds.attrs.get('scenario', '?')} "
            f"(% per year, log points; {ds.attrs.get('statistic', 'central run')})",
            columns=("sector", "period", *(_COLUMNS[v] for v in names)),
            rows=rows,
            note=note,
        )


def growth_accounting(
    ds: xr.Dataset,
    scenario: Any = None,
    periods: Sequence[tuple[int, int]] | None = None,
    statistic: str | None = "median",
) -> GrowthAccounting:
    r"""Decompose each sector's value-added growth per period into TFP, capital, talent and land.

    .. math:: \Delta \ln V = \Delta \ln A + \alpha\,\Delta \ln K + \beta\,\Delta \ln H + \gamma\,\Delta \ln L

    and measured output's growth :math:`\Delta \ln M = \Delta \ln V + \Delta \ln(1 + d)` beside it
    (:math:`d` the deviation of the plan's shock span; zero outside it).

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`jdmodel.simulate`: a central run, or an ensemble with a ``draw`` dim.
    scenario : Scenario or str, optional
        Gives α, β, γ (``sc["sectors.<s>.alpha"]`` …), the shock deviations and the model variant;
        default: the scenario (and plan) named in ``ds.attrs``. In an ensemble whose ``inputs``
        variable holds sampled values of these parameters, the sampled values are used draw by
        draw, so the identity holds in every draw.
    periods : sequence of (start year, end year), optional
        Default :func:`default_periods` of the scenario's plan: base year → mid-way to the end of
        the plan period → its end → the horizon (for Jiading 2020–2022, 2022–2025, 2025–2030).
    statistic : {"median", None}
        For an ensemble: report the median over draws (default), or keep the ``draw`` dim.

    Returns
    -------
    GrowthAccounting
        ``.to_dataset()``: variables ``value_added`` (Δln V), ``tfp``, ``capital``, ``talent``,
        ``land`` (and ``market`` under the market-share variant: Δln Mkt for the market sector, 0 for
        the others), which add up to ``value_added``; ``shock`` (Δln(1 + d)) and ``output``
        (Δln M = value_added + shock); log points over the period, dims ``period``, ``sector``
        [, ``draw``]; and ``years``.

    References
    ----------
    Solow, R. M. (1957). Technical change and the aggregate production function. *Review of
    Economics and Statistics* 39(3), 312–320.

    Examples
    --------
    >>> import jdmodel as jd
    >>> acc = growth_accounting(jd.simulate("baseline", io=False), "baseline").to_dataset()
    >>> parts = acc.tfp + acc.capital + acc.talent + acc.land
    >>> bool(abs(parts - acc.value_added).max() < 1e-12), bool(abs(acc.value_added + acc.shock - acc.output).max() < 1e-12)
    (True, True)
    """
    from jdmodel.errors import ParameterError
    from jdmodel.params.scenario import Scenario, load_scenario
    from jdmodel.symbolic.kernel import variant_of

    if scenario is None:
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
    if "value_added" not in ds:
        raise ParameterError("growth_accounting: the results hold no value_added (run them with this version of "
                             "jdmodel: jd.simulate)")
    sectors = [str(s) for s in ds["sector"].values]
    market_sector = None
    if variant_of(sc, None) == "market_share" and sc.plan.market is not None:
        market_sector = sc.plan.market.sector
        if "market" not in ds:
            raise ParameterError(f"growth_accounting: scenario {sc.name!r} runs the market-share variant but the "
                                 "results hold no market: pass the scenario that produced them")
    coeffs = _coefficients(ds, sc, sectors, market_sector)
    years = np.asarray(ds["year"].values)
    parts = []
    for start, end in periods:
        if start not in years or end not in years or end <= start:
            raise ParameterError(
                f"growth_accounting: period ({start}, {end}) must be two years of the results "
                f"({years[0]}–{years[-1]}) with start < end"
            )

        def dlog(var: str, start: int = start, end: int = end) -> xr.DataArray:
            return np.log(ds[var].sel(year=end)) - np.log(ds[var].sel(year=start))

        shock = np.log1p(_deviation(ds, sc, sectors, end)) - np.log1p(_deviation(ds, sc, sectors, start))
        measured = dlog("output")
        part = {"output": measured, "shock": shock, "value_added": dlog("value_added") - shock}
        part.update({name: coeffs[name] * dlog(var) for name, var in FACTORS.items()})
        if market_sector is not None:
            part["market"] = coeffs["market"] * dlog("market")
        part = xr.Dataset(part).transpose(*(d for d in ("draw", "sector") if d in measured.dims))
        parts.append(part.drop_vars("year", errors="ignore").assign_coords(period=f"{start}–{end}"))
    out = xr.concat(parts, dim="period")
    out = out.assign_coords(
        start=("period", [p[0] for p in periods]), end=("period", [p[1] for p in periods])
    )
    out["years"] = out["end"] - out["start"]
    names = ("tfp", *(("market",) if market_sector else ()), "capital", "talent", "land")
    out.attrs = {
        "scenario": sc.name,
        "plan": sc.plan.id,
        "identity": f"value_added = {' + '.join(names)}; output = value_added + shock (log points)",
        "units": "1 (difference of natural logs)",
    }
    if market_sector is not None:
        out.attrs["market_sector"] = market_sector
    long = {"output": "log growth of measured output", "value_added": "log growth of value added (trend)",
            "shock": "change of ln(1 + d), the shock span's deviation"}
    for v in ("output", "shock", "value_added", *names):
        out[v].attrs = {"units": "1", "long_name": long.get(v, f"{v} contribution to value-added log growth")}
    if "draw" in out.dims and statistic == "median":
        out = out.median("draw", keep_attrs=True)
        out.attrs["statistic"] = "median over draws"
    return GrowthAccounting(out)


def _coefficients(ds: xr.Dataset, sc: Any, sectors: list[str], market_sector: str | None) -> dict[str, Any]:
    """Contribution → coefficient per sector (per draw where sampled): α, β, γ; ε α … for the market sector."""
    supply, market = coefficients(False), coefficients(True)
    out: dict[str, Any] = {}
    for name in ("tfp", "market", "capital", "talent", "land"):
        value = _evaluate(supply[name], ds, sc, sectors)
        if market_sector is not None:
            is_market = xr.DataArray([s == market_sector for s in sectors], dims="sector",
                                     coords={"sector": sectors})
            value = xr.where(is_market, _evaluate(market[name], ds, sc, sectors), value)
        out[name] = value
    return out


def _evaluate(expr: Any, ds: xr.Dataset, sc: Any, sectors: list[str]) -> Any:
    """A coefficient's value per sector: its parameters looked up by key (sampled per draw when kept)."""
    import sympy as sp

    if not expr.free_symbols:
        return xr.DataArray(np.full(len(sectors), float(expr)), dims="sector", coords={"sector": sectors})
    syms = sorted(expr.free_symbols, key=str)
    return sp.lambdify(syms, expr, modules="numpy")(*(_parameter(ds, sc, s, sectors) for s in syms))


def _parameter(ds: xr.Dataset, sc: Any, sym: Any, sectors: list[str], default: float | None = None) -> xr.DataArray:
    """A parameter per sector: sampled per draw when the ensemble kept it, else the scenario's value.

    ``default`` stands in for a key the scenario lacks (an optional parameter); None: the key is required.
    """
    from jdmodel.symbolic import model as M

    key = M.PARAMETER_KEYS[sym]
    keys = [key.replace("{sector}", s) for s in sectors]

    def central(k: str) -> float:
        return float(sc[k]) if (default is None or k in sc.params) else default

    base = xr.DataArray([central(k) for k in keys], dims="sector", coords={"sector": sectors})
    if "inputs" not in ds or "parameter" not in ds.coords:
        return base
    sampled = [str(p) for p in ds["parameter"].values]
    if not any(k in sampled for k in keys):
        return base
    columns = [
        ds["inputs"].sel(parameter=k, drop=True) if k in sampled else base.sel(sector=s, drop=True)
        for k, s in zip(keys, sectors, strict=True)
    ]
    return xr.concat(columns, dim="sector").assign_coords(sector=sectors).transpose("draw", "sector")


def _deviation(ds: xr.Dataset, sc: Any, sectors: list[str], year: int) -> Any:
    """:math:`d` in ``year`` per sector (per draw where sampled), from the ``shock_deviation`` equation."""
    from jdmodel.symbolic import model as M

    span = sc.plan.shock
    expr = 0 if span is None else M.growth_equation("shock_deviation").rhs.subs(
        {M.t_year: year, M.tau_1: span[0], M.tau_2: span[1]})
    if expr == 0:  # outside the span, or no span
        return xr.DataArray(np.zeros(len(sectors)), dims="sector", coords={"sector": sectors})
    return _parameter(ds, sc, expr, sectors, default=0.0)
