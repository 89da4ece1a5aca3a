"""The engine: one time loop over years on arrays whose leading axis is ``draw``.

The same code runs one central scenario (draw axis of length 1) for a widget and a
million draws for a sweep: nothing here loops over draws or sectors in Python — only
over years. Inputs are plain arrays keyed by dotted parameter names; outputs are
plain arrays with dims ``(draw, year, sector)`` (``pipeline/results.py`` labels them). The
plan (``jdmodel.params.plan``) says which sectors, years and indicators there are; the engine
knows none of them by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jdmodel import _jit, diagnose, growth

Array = NDArray[np.float64]
Noise = Callable[[str, tuple[int, ...]], Array]

SECTOR_PARAMS = ("base_output", "margin", "va_share", "pre_growth", "depreciation", "investment_rate", "leverage",
                 "talent_base", "talent_attrition", "talent_organic", "land_base", "alpha", "beta", "gamma",
                 "tfp_growth", "infra_effect", "environment_effect")
#: per-sector parameters that default to zero when a plan declares no shock
OPTIONAL_SECTOR_PARAMS = ("shock", "rebound")
LEVERS = ("funds", "talent", "land")
#: the state paths a run without ``detail`` leaves out
STATE_PATHS = ("capital", "talent", "land", "tfp")
#: the per-sector parameters of a lever year's state update, in the order ``growth.year_into`` takes them
_STEP_PARAMS = ("depreciation", "investment_rate", "leverage", "talent_attrition", "talent_organic", "tfp_growth",
                "infra_effect", "environment_effect")
#: the growth block's results, checked to be finite and non-negative as soon as they are computed
_CHECKED = ("capital", "talent", "land", "tfp", "value_added", "output")


@dataclass(frozen=True)
class Inputs:
    """Engine inputs gathered from dotted keys: per-sector arrays stacked on axis 1."""

    sector: Mapping[str, Array]      # name -> (D, S)
    levers: Mapping[str, Array]      # funds/talent/land -> (D, S, T)
    infrastructure: Array            # (D, Y), base year = 1
    environment: Array               # (D, Y), base year = 1
    land_budget: Array               # (D,)
    values: Mapping[str, Array]      # every input, for the blocks that read their own keys (counting)
    n_draws: int


def gather(values: Mapping[str, Array], sectors: tuple[str, ...], n_lever_years: int) -> Inputs:
    """Stack per-sector keys into ``(draw, sector[, year])`` arrays.

    Parameters
    ----------
    values : mapping
        Dotted key → array with a leading draw axis (length D or 1): shape ``(D,)`` for a
        number, ``(D, T)`` for a lever path over the T lever years.
    sectors : tuple of str
        The plan's sector ids, in order.
    n_lever_years : int
        T, the number of lever years (the year after the base year to the horizon).
    """
    n = max(np.shape(v)[0] for v in values.values())

    def stack(keys: list[str], shared: bool = False) -> Array:
        """``(n, S, ...)`` with ``values[keys[j]]`` at ``[:, j]``: a new C-ordered array, or, with ``shared``,
        a read-only view of one row when no input varies by draw (lever paths: no copy per draw)."""
        arrays = [np.asarray(values[k], dtype=float) for k in keys]
        tail = np.broadcast_shapes(*(a.shape[1:] for a in arrays))
        one = shared and all(a.shape[0] == 1 or a.strides[0] == 0 for a in arrays)
        out = np.empty((1 if one else n, len(keys), *tail))
        for j, a in enumerate(arrays):
            out[:, j] = a[:1] if one else a
        return np.broadcast_to(out, (n, *out.shape[1:])) if one else out

    sector = {name: stack([f"sectors.{s}.{name}" for s in sectors]) for name in SECTOR_PARAMS}
    for name in OPTIONAL_SECTOR_PARAMS:
        keys = [f"sectors.{s}.{name}" for s in sectors]
        sector[name] = stack(keys) if all(k in values for k in keys) else np.zeros((n, len(sectors)))
    levers = {lv: stack([f"levers.{lv}.{s}" for s in sectors], shared=True) for lv in LEVERS}
    ones = np.ones((n, 1))

    def path(key: str) -> Array:
        arr = np.broadcast_to(np.asarray(values[key], dtype=float), (n, n_lever_years))
        return np.concatenate([ones, arr], axis=1)

    return Inputs(sector=sector, levers=levers, infrastructure=path("district.infrastructure"),
                  environment=path("district.business_environment"),
                  land_budget=np.broadcast_to(np.asarray(values["district.land_budget"], dtype=float).reshape(-1), (n,)),
                  values=values, n_draws=n)


def run(values: Mapping[str, Array], *, plan, totals: Mapping[str, tuple[str, ...]] | None = None,
        options: Mapping[str, object] | None = None, noise: Noise | None = None, io=None,
        detail: bool = True) -> dict[str, Array]:
    r"""Run the model chain from the plan's base year to its horizon for every draw at once.

    Per sector (``jdmodel.growth``): value added :math:`V = A K^\alpha H^\beta L^\gamma` on capital
    :math:`K_{t+1} = (1-\delta) K_t + s V_t + m F_{t+1}` (from :math:`K_0 = s V_0 / (g_0 + \delta)`),
    talent, land within the district budget and TFP; what the statistics measure is
    :math:`M_t = V_t (1 + d_t) / (\mu\, v)` (``margin`` μ, ``va_share`` v, the shock deviation
    :math:`d_t` over the plan's shock span). Under ``options["model.variant"] == "market_share"``
    the plan's market sector follows its market instead: :math:`M^{trend}_t = \sigma_0 (Q_t/Q_0)^\varepsilon
    \mathrm{Mkt}_t` with :math:`Q = K^\alpha H^\beta L^\gamma`.

    Parameters
    ----------
    values : mapping
        Dotted key → array with a leading draw axis (see :func:`gather`).
    plan : Plan
        Sectors, years, indicators, shock span and market (``jdmodel.params.plan``).
    totals : mapping, optional
        Total indicator id → the sectors it sums (default: the plan's ``[[totals]]``; a scenario's
        targets may redefine them).
    options : mapping, optional
        The scenario's switches (``model.variant``).
    noise : callable, optional
        ``noise(stream, shape_tail) -> uniforms (D, *shape_tail)`` for the counting models'
        randomness, keyed by draw index; ``None`` gives their deterministic mean paths.
    io : RegionalIO, optional
        Regional input–output system; when given, economy-wide output follows.
    detail : bool
        False: leave out what a sweep does not reduce — the paths of capital, talent, land and TFP and
        the counting models' expected paths — which the compiled loops then neither store nor read
        (every other result is the same to the bit; without numba the paths are computed and dropped).

    Returns
    -------
    dict of arrays
        ``output`` (what the statistics measure), ``value_added``, ``capital``, ``talent``, ``land``,
        ``tfp`` with dims (draw, year, sector) (the middle four only with ``detail``); each total and linked indicator of the plan (draw,
        year); ``market`` (draw, year) under the market-share variant; counting and IO results when
        those blocks run.

    Raises
    ------
    ModelError
        When a result is not a finite number, naming the parameters of the equation that produced it
        (:mod:`jdmodel.diagnose`).
    """
    # overflow and invalid operations are not warned about: every result is checked and named instead
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _run(values, plan, totals, options, noise, io, detail)


def _run(values, plan, totals, options, noise, io, detail: bool = True) -> dict[str, Array]:
    sectors = plan.sector_ids
    years = plan.years.all
    n_lever_years = len(plan.years.levers)
    x = gather(values, sectors, n_lever_years)
    p = x.sector
    M0 = p["base_output"]                                                   # measured, base year
    ratio = p["margin"] * p["va_share"]                                     # value added per unit measured
    shock_start = None if plan.shock is None else plan.shock[0] - years[0]
    dev = growth.shock_deviation(p["shock"], p["rebound"], len(years), shock_start)           # (D, Y, S)
    V = M0 * ratio / (1.0 + dev[:, 0])                                       # trend value added, base year
    K = growth.initial_capital(V, p["investment_rate"], p["pre_growth"], p["depreciation"])
    H = np.broadcast_to(p["talent_base"], M0.shape).astype(float)
    L = np.broadcast_to(p["land_base"], M0.shape).astype(float)
    A = growth.calibrate_tfp(V, K, H, L, p["alpha"], p["beta"], p["gamma"])
    market = _market(plan, options, values, x.n_draws, years, sectors, V / ratio, K, H, L, p)
    remaining = x.land_budget.astype(float).copy()
    d_infra = np.diff(x.infrastructure, axis=1)
    d_env = np.diff(x.environment, axis=1)
    granted_path = np.zeros((x.n_draws, *x.levers["land"].shape[1:]))

    # the state stays in C-ordered (D, S) arrays, on which numpy's vectorised power runs; the paths are
    # stored year-major, (Y, D, S), so that a year is one contiguous copy, and returned as (D, Y, S) views
    compiled = _jit.enabled()
    # without detail the compiled pass flags a bad state instead of storing the state paths
    lean = compiled and not detail
    names = ("value_added",) if lean else ("value_added", *STATE_PATHS)
    store = {name: np.empty((len(years), x.n_draws, len(sectors))) for name in names}
    out = {name: np.moveaxis(arr, 0, 1) for name, arr in store.items()}
    for name, arr in zip(names, (V, K, H, L, A), strict=False):
        store[name][0] = arr
    bad = np.zeros(x.n_draws, dtype=np.bool_)
    if lean and not diagnose.all_finite({"K": K, "H": H, "L": L, "A": A}, non_negative=True):
        bad[:] = True
    for t in range(n_lever_years):
        if compiled:            # capital, talent, land and TFP in one pass over the draws, the same bits
            growth.year_into(t, K, H, L, A, V, *(p[k] for k in _STEP_PARAMS), x.levers["funds"], x.levers["talent"],
                             x.levers["land"], d_infra, d_env, remaining, granted_path,
                             *(store.get(k, store["value_added"]) for k in STATE_PATHS),
                             not lean, bad)
        else:
            K = growth.capital_step(K, p["depreciation"], p["investment_rate"] * V, p["leverage"],
                                    x.levers["funds"][:, :, t])
            H = growth.talent_step(H, p["talent_attrition"], p["talent_organic"], x.levers["talent"][:, :, t])
            granted, remaining = growth.land_grant(x.levers["land"][:, :, t], remaining)
            granted_path[:, :, t] = granted
            L = L + granted
            A = growth.tfp_step(A, p["tfp_growth"], p["infra_effect"], d_infra[:, t, None],
                                p["environment_effect"], d_env[:, t, None])
            for name, arr in zip(names[1:], (K, H, L, A), strict=True):
                store[name][t + 1] = arr
        V = growth.cobb_douglas(A, K, H, L, p["alpha"], p["beta"], p["gamma"])
        if market is not None:
            V = market.value_added(V, K, H, L, t + 1)
        store["value_added"][t + 1] = V
    if shock_start is not None:          # the measured year, shock included: d is zero outside the span's two years
        for t in range(max(shock_start, 0), min(shock_start + 2, len(years))):
            out["value_added"][:, t] *= 1.0 + dev[:, t]
    out["output"] = out["value_added"] / ratio[:, None, :]
    if market is not None:
        out["market"] = market.levels
    for linked in plan.linked:
        j = sectors.index(linked.sector)
        base = _per_draw(values[f"linked.{linked.id}.base"], x.n_draws)
        eta = _per_draw(values[f"linked.{linked.id}.elasticity"], x.n_draws)
        out[linked.id] = growth.linked_indicator(base[:, None], out["output"][:, :, j], M0[:, j, None], eta[:, None])
    for tid, members in (totals or {t.id: t.sectors for t in plan.totals}).items():
        out[tid] = growth.sector_sum(out["output"][:, :, [j for j, s in enumerate(sectors) if s in members]])
    out["land_granted"] = granted_path
    if not diagnose.all_finite(out, _CHECKED, non_negative=True) or bad.any():
        if lean:                 # the paths name the cause
            return _run(values, plan, totals, options, noise, io, detail=True)
        raise diagnose.growth_error(out, values, plan)
    implausible = diagnose.implausible_error(out, values, plan)
    if implausible is not None:
        raise implausible
    out.update(_counting(x, out, granted_path, noise, sectors, len(years), detail))
    if io is not None:
        from jdmodel.inputoutput.link import economy_wide

        growth_rest = values.get("district.final_demand_growth", 0.0)
        out.update(economy_wide(io, np.moveaxis(out["output"], 1, 2), M0,
                                np.broadcast_to(np.asarray(growth_rest, dtype=float).reshape(-1), (x.n_draws,)),
                                margin=p["margin"]))
    if not diagnose.all_finite(out, [k for k in out if k not in _CHECKED]):
        raise diagnose.result_error(out, values, plan)
    if not detail:
        for name in STATE_PATHS:
            out.pop(name, None)
    return out


class _MarketSector:
    """The market-share variant for one sector: its trend output follows its market."""

    def __init__(self, j, levels, share0, q0, eps, ratio, alpha, beta, gamma):
        self.j, self.levels, self.share0, self.q0, self.eps = j, levels, share0, q0, eps
        self.ratio, self.alpha, self.beta, self.gamma = ratio, alpha, beta, gamma

    def value_added(self, V, K, H, L, t):
        q = _inputs_index(self.j, K, H, L, self.alpha, self.beta, self.gamma)
        out = V.copy()
        out[:, self.j] = growth.market_share_output(self.share0, q / self.q0, self.eps, self.levels[:, t]) * self.ratio
        return out


def _inputs_index(j: int, K: Array, H: Array, L: Array, alpha: Array, beta: Array, gamma: Array) -> Array:
    """:math:`K^\\alpha H^\\beta L^\\gamma` of sector ``j``, on contiguous copies of its columns.

    numpy's vectorised ``power`` takes a strided input only when the memory it spans does not reach
    the result's, and otherwise falls back to the C library's, which can differ in the last bit: on a
    column of a (draw, sector) array that depends on where the allocator puts the result, so the
    same draw could give different bits from one call to the next.
    """
    k, h, l_ = (np.ascontiguousarray(a[:, j]) for a in (K, H, L))
    return k ** alpha * h ** beta * l_ ** gamma


def _market(plan, options, values, n, years, sectors, M_trend0, K, H, L, p) -> _MarketSector | None:
    """The market-share variant's state when the scenario selects it (None for the supply side)."""
    variant = (options or {}).get("model.variant", "supply")
    if variant != "market_share":
        return None
    if plan.market is None:
        from jdmodel.errors import ParameterError

        raise ParameterError(f"model.variant = 'market_share': plan {plan.id!r} declares no [market] in plan.toml")
    j = sectors.index(plan.market.sector)
    g = _per_draw(values["market.growth"], n)
    levels = np.broadcast_to(plan.market.path(years, g), (n, len(years)))
    a, b, c = (np.ascontiguousarray(p[k][:, j]) for k in ("alpha", "beta", "gamma"))
    q0 = _inputs_index(j, K, H, L, a, b, c)
    share0 = M_trend0[:, j] / levels[:, 0]
    return _MarketSector(j, levels, share0, q0, _per_draw(values["market.share_elasticity"], n),
                         p["margin"][:, j] * p["va_share"][:, j], a, b, c)


def _per_draw(value, n: int) -> Array:
    """``value`` as (n,): a view of one number, or the draws' values, contiguous (see :func:`_inputs_index`)."""
    return np.broadcast_to(np.ascontiguousarray(np.asarray(value, dtype=float).reshape(-1)), (n,))


def _counting(x: Inputs, out: Mapping[str, Array], granted: Array, noise: Noise | None, sectors: tuple[str, ...],
              n_years: int, detail: bool) -> dict[str, Array]:
    """Run the counting models when they and their parameters are present."""
    if not any(k.startswith("counting.") for k in x.values):
        return {}
    from jdmodel.counting import simulate_counts

    n = x.n_draws  # every input on the same draw axis, whichever of them were sampled
    counts = simulate_counts(
        {k: np.broadcast_to(np.asarray(v), (n, *np.shape(v)[1:])) for k, v in x.values.items()
         if k.startswith("counting.")},
        funds=x.levers["funds"], talent=x.levers["talent"], land=granted,
        output=np.moveaxis(out["output"], 1, 2), infra=x.infrastructure, noise=noise, sectors=sectors, detail=detail)
    res = {}
    for name, arr in counts.items():
        arr = np.asarray(arr)
        if arr.ndim == 3 and arr.shape[1] == len(sectors) and arr.shape[2] == n_years:
            arr = np.moveaxis(arr, 1, 2)  # (D, S, Y) -> (D, Y, S)
        res[name] = arr
    if "enterprises" in res:
        res["enterprises_total"] = growth.sector_sum(res["enterprises"])
    return res
