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

from jdmodel import growth

Array = NDArray[np.float64]
Noise = Callable[[str, tuple[int, ...]], Array]

SECTOR_PARAMS = ("base_output", "capital_output_ratio", "depreciation", "investment_rate", "leverage",
                 "talent_base", "talent_attrition", "talent_organic", "land_base", "alpha", "beta", "gamma",
                 "tfp_growth", "infra_effect", "environment_effect")
LEVERS = ("funds", "talent", "land")


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

    def stack(keys: list[str]) -> Array:
        arrays = [np.asarray(values[k], dtype=float) for k in keys]
        arrays = [np.broadcast_to(a, (n, *a.shape[1:])) for a in arrays]
        return np.stack(arrays, axis=1)

    sector = {name: stack([f"sectors.{s}.{name}" for s in sectors]) for name in SECTOR_PARAMS}
    levers = {lv: stack([f"levers.{lv}.{s}" for s in sectors]) for lv in LEVERS}
    ones = np.ones((n, 1))

    def path(key: str) -> Array:
        arr = np.broadcast_to(np.asarray(values[key], dtype=float), (n, n_lever_years))
        return np.concatenate([ones, arr], axis=1)

    return Inputs(sector=sector, levers=levers, infrastructure=path("district.infrastructure"),
                  environment=path("district.business_environment"),
                  land_budget=np.broadcast_to(np.asarray(values["district.land_budget"], dtype=float).reshape(-1), (n,)),
                  values=values, n_draws=n)


def run(values: Mapping[str, Array], *, plan, totals: Mapping[str, tuple[str, ...]] | None = None,
        noise: Noise | None = None, io=None) -> dict[str, Array]:
    """Run the model chain from the plan's base year to its horizon for every draw at once.

    Parameters
    ----------
    values : mapping
        Dotted key → array with a leading draw axis (see :func:`gather`).
    plan : Plan
        Sectors, years and indicators (``jdmodel.params.plan``).
    totals : mapping, optional
        Total indicator id → the sectors it sums (default: the plan's ``[[totals]]``; a scenario's
        targets may redefine them).
    noise : callable, optional
        ``noise(stream, shape_tail) -> uniforms (D, *shape_tail)`` for the counting models'
        randomness, keyed by draw index; ``None`` gives their deterministic mean paths.
    io : RegionalIO, optional
        Regional input–output system; when given, economy-wide output follows.

    Returns
    -------
    dict of arrays
        ``output``, ``capital``, ``talent``, ``land``, ``tfp`` with dims (draw, year, sector); each
        total and linked indicator of the plan (draw, year); counting and IO results when those
        blocks run.
    """
    sectors = plan.sector_ids
    n_lever_years = len(plan.years.levers)
    x = gather(values, sectors, n_lever_years)
    p = x.sector
    Y0 = p["base_output"]
    K = p["capital_output_ratio"] * Y0
    H = np.broadcast_to(p["talent_base"], Y0.shape).astype(float)
    L = np.broadcast_to(p["land_base"], Y0.shape).astype(float)
    A = growth.calibrate_tfp(Y0, K, H, L, p["alpha"], p["beta"], p["gamma"])
    investment = p["investment_rate"] * Y0
    remaining = x.land_budget.astype(float).copy()
    d_infra = np.diff(x.infrastructure, axis=1)
    d_env = np.diff(x.environment, axis=1)
    granted_path = np.zeros_like(x.levers["land"])

    path = {"output": [Y0], "capital": [K], "talent": [H], "land": [L], "tfp": [A]}
    for t in range(n_lever_years):
        K = growth.capital_step(K, p["depreciation"], investment, p["leverage"], x.levers["funds"][:, :, t])
        H = growth.talent_step(H, p["talent_attrition"], p["talent_organic"], x.levers["talent"][:, :, t])
        granted, remaining = growth.land_grant(x.levers["land"][:, :, t], remaining)
        granted_path[:, :, t] = granted
        L = L + granted
        A = growth.tfp_step(A, p["tfp_growth"], p["infra_effect"], d_infra[:, t, None],
                            p["environment_effect"], d_env[:, t, None])
        Y = growth.cobb_douglas(A, K, H, L, p["alpha"], p["beta"], p["gamma"])
        for name, arr in zip(("output", "capital", "talent", "land", "tfp"), (Y, K, H, L, A), strict=True):
            path[name].append(arr)
    out = {name: np.stack(arrs, axis=1) for name, arrs in path.items()}
    for linked in plan.linked:
        j = sectors.index(linked.sector)
        base = _per_draw(values[f"linked.{linked.id}.base"], x.n_draws)
        eta = _per_draw(values[f"linked.{linked.id}.elasticity"], x.n_draws)
        out[linked.id] = growth.linked_indicator(base[:, None], out["output"][:, :, j], Y0[:, j, None], eta[:, None])
    for tid, members in (totals or {t.id: t.sectors for t in plan.totals}).items():
        mask = np.array([s in members for s in sectors])
        out[tid] = out["output"][:, :, mask].sum(axis=-1)
    out["land_granted"] = granted_path
    out.update(_counting(x, out, granted_path, noise, sectors, len(plan.years.all)))
    if io is not None:
        from jdmodel.inputoutput.link import economy_wide

        growth_rest = values.get("district.final_demand_growth", 0.0)
        out.update(economy_wide(io, np.moveaxis(out["output"], 1, 2), Y0,
                                np.broadcast_to(np.asarray(growth_rest, dtype=float).reshape(-1), (x.n_draws,))))
    return out


def _per_draw(value, n: int) -> Array:
    return np.broadcast_to(np.asarray(value, dtype=float).reshape(-1), (n,))


def _counting(x: Inputs, out: Mapping[str, Array], granted: Array, noise: Noise | None, sectors: tuple[str, ...],
              n_years: int) -> dict[str, Array]:
    """Run the counting models when they and their parameters are present."""
    if not any(k.startswith("counting.") for k in x.values):
        return {}
    from jdmodel.counting import simulate_counts

    n = x.n_draws  # every input on the same draw axis, whichever of them were sampled
    counts = simulate_counts(
        {k: np.broadcast_to(np.asarray(v), (n, *np.shape(v)[1:])) for k, v in x.values.items()
         if k.startswith("counting.")},
        funds=x.levers["funds"], talent=x.levers["talent"], land=granted,
        output=np.moveaxis(out["output"], 1, 2), infra=x.infrastructure, noise=noise, sectors=sectors)
    res = {}
    for name, arr in counts.items():
        arr = np.asarray(arr)
        if arr.ndim == 3 and arr.shape[1] == len(sectors) and arr.shape[2] == n_years:
            arr = np.moveaxis(arr, 1, 2)  # (D, S, Y) -> (D, Y, S)
        res[name] = arr
    if "enterprises" in res:
        res["enterprises_total"] = res["enterprises"].sum(axis=-1)
    return res
