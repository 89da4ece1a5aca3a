"""The per-year update of the growth block, lambdified from the sympy equations to numpy.

:func:`update` advances every stock by one year for all draws and sectors at once; it is
compiled from :func:`jdmodel.symbolic.model.model_equations` (the equations the docs show)
and tests prove it equals the engine's hand-written :mod:`jdmodel.growth` functions.
:func:`run_growth` is the whole 2020–2030 growth chain on the lambdified update; the
derivations (elasticities, inverse solves) evaluate the model through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache

import numpy as np
from numpy.typing import NDArray

from jdmodel.params.schema import LEVER_YEARS, SECTORS

Array = NDArray[np.float64]

STATE = ("capital", "talent", "land", "tfp", "land_budget")
INPUTS = ("funds", "talent_lever", "land_lever", "land_requested_total", "d_infrastructure", "d_environment")
PARAMS = (
    "base_output",
    "investment_rate",
    "depreciation",
    "leverage",
    "talent_attrition",
    "talent_organic",
    "tfp_growth",
    "infra_effect",
    "environment_effect",
    "alpha",
    "beta",
    "gamma",
)
OUTPUTS = ("capital", "talent", "land", "tfp", "land_budget", "output", "land_granted")


@cache
def update_expressions() -> dict[str, object]:
    """Next year's stocks as sympy expressions of last year's stocks, this year's levers, the parameters."""
    from jdmodel.symbolic import model as M

    rhs = {e.name: e.rhs for e in M.model_equations()}
    share = rhs["grant_share"]
    new = {
        "capital": rhs["capital"].subs(M.I, rhs["investment"]),
        "talent": rhs["talent"],
        "land": rhs["land"].subs(M.G, rhs["land_granted"]).subs(M.theta, share),
        "tfp": rhs["tfp"],
        "land_budget": rhs["land_budget"].subs(M.theta, share),
    }
    new["output"] = rhs["output"].subs(
        {M.K: new["capital"], M.H: new["talent"], M.L: new["land"], M.A: new["tfp"]}, simultaneous=True
    )
    new["land_granted"] = rhs["land_granted"].subs(M.theta, share)
    return new


def _symbols() -> tuple:
    from jdmodel.symbolic import model as M

    state = (M.K_prev, M.H_prev, M.L_prev, M.A_prev, M.R_prev)
    inputs = (M.F, M.T, M.ell, M.ell_sum, M.dD, M.dE)
    params = (M.Y0, M.s_inv, M.delta, M.m, M.rho, M.O, M.g_A, M.phi, M.psi, M.alpha, M.beta, M.gamma)
    return state + inputs + params


@cache
def compiled_update() -> Callable[..., tuple[Array, ...]]:
    """The lambdified update (numpy, common subexpressions shared); arguments in STATE+INPUTS+PARAMS order."""
    import sympy as sp

    exprs = update_expressions()
    return sp.lambdify(_symbols(), tuple(exprs[k] for k in OUTPUTS), modules="numpy", cse=True)


def update(
    state: Mapping[str, Array], inputs: Mapping[str, Array], params: Mapping[str, Array]
) -> dict[str, Array]:
    r"""Advance the growth block by one year, :math:`(K,H,L,A,R)_{t-1} \to (K,H,L,A,R,Y,G)_t`.

    Parameters
    ----------
    state : mapping
        ``capital`` (亿元), ``talent`` (人), ``land`` (公顷), ``tfp`` (1) with shape (draw, sector);
        ``land_budget`` (公顷, what remains) with shape (draw, 1).
    inputs : mapping
        ``funds`` (亿元/yr), ``talent_lever`` (人/yr), ``land_lever`` (公顷/yr) with shape (draw, sector);
        ``land_requested_total`` (Σ over sectors of ``land_lever``), ``d_infrastructure`` and
        ``d_environment`` (index change this year) with shape (draw, 1).
    params : mapping
        The per-sector parameters named in :data:`PARAMS` (draw, sector); units as in the schema.

    Returns
    -------
    dict of arrays
        ``capital``, ``talent``, ``land``, ``tfp``, ``output``, ``land_granted`` (draw, sector) and
        ``land_budget`` (draw, 1) for year :math:`t`.

    Examples
    --------
    >>> one = np.ones((1, 1))
    >>> st = {"capital": 100 * one, "talent": 1000 * one, "land": 10 * one, "tfp": one,
    ...       "land_budget": 5 * one}
    >>> inp = {"funds": 2 * one, "talent_lever": 80 * one, "land_lever": 6 * one,
    ...        "land_requested_total": 6 * one, "d_infrastructure": 0 * one, "d_environment": 0 * one}
    >>> par = dict(zip(PARAMS, [50.0, 0.1, 0.1, 3.0, 0.1, 50.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0]))
    >>> out = update(st, inp, {k: v * one for k, v in par.items()})
    >>> float(out["capital"][0, 0]), float(out["land"][0, 0]), float(out["land_budget"][0, 0])
    (101.0, 15.0, 0.0)
    """
    args = [state[k] for k in STATE] + [inputs[k] for k in INPUTS] + [params[k] for k in PARAMS]
    with np.errstate(
        divide="ignore", invalid="ignore"
    ):  # the unused branch of the land share may divide by 0
        values = compiled_update()(*args)
    return dict(zip(OUTPUTS, values, strict=True))


def run_growth(values: Mapping[str, Array], composition: Array | None = None) -> dict[str, Array]:
    """Run the growth block 2020–2030 on the lambdified update (same inputs as :func:`jdmodel.engine.run`).

    Parameters
    ----------
    values : mapping
        Dotted key → array with a leading draw axis (see :func:`jdmodel.engine.gather`).
    composition : array (S,) of bool, optional
        Sectors in the online-economy total; default: the composition in ``targets.toml``.

    Returns
    -------
    dict of arrays
        ``output``, ``capital``, ``talent``, ``land``, ``tfp`` (draw, year, sector),
        ``land_granted`` (draw, sector, lever year), ``ecommerce_sales`` and ``online_economy_output``
        (draw, year).
    """
    from jdmodel.engine import gather

    x = gather(values)
    p = x.sector
    Y0 = p["base_output"]
    K0 = p["capital_output_ratio"] * Y0
    H0 = np.broadcast_to(p["talent_base"], Y0.shape).astype(float)
    L0 = np.broadcast_to(p["land_base"], Y0.shape).astype(float)
    A0 = _calibration()(Y0, K0, H0, L0, p["alpha"], p["beta"], p["gamma"])
    state = {
        "capital": K0,
        "talent": H0,
        "land": L0,
        "tfp": A0,
        "land_budget": x.land_budget.astype(float)[:, None],
    }
    params = {k: p[k] for k in PARAMS}
    d_infra, d_env = np.diff(x.infrastructure, axis=1), np.diff(x.environment, axis=1)
    path = {"output": [Y0], **{k: [state[k]] for k in ("capital", "talent", "land", "tfp")}}
    granted = np.zeros_like(x.levers["land"])
    for t in range(len(LEVER_YEARS)):
        land = x.levers["land"][:, :, t]
        inputs = {
            "funds": x.levers["funds"][:, :, t],
            "talent_lever": x.levers["talent"][:, :, t],
            "land_lever": land,
            "land_requested_total": land.sum(axis=-1, keepdims=True),
            "d_infrastructure": d_infra[:, t, None],
            "d_environment": d_env[:, t, None],
        }
        new = update(state, inputs, params)
        state = {k: new[k] for k in STATE}
        granted[:, :, t] = new["land_granted"]
        for k in path:
            path[k].append(new[k])
    out = {k: np.stack(v, axis=1) for k, v in path.items()}
    if composition is None:
        from jdmodel.params.targets import load_targets

        composition = np.array([s in load_targets().composition for s in SECTORS])
    ec = SECTORS.index("ecommerce")
    sales = _sales()
    out["ecommerce_sales"] = sales(
        x.sales_base[:, None], out["output"][:, :, ec], Y0[:, ec, None], x.sales_elasticity[:, None]
    )
    out["online_economy_output"] = out["output"][:, :, np.asarray(composition, bool)].sum(axis=-1)
    out["land_granted"] = granted
    return out


@cache
def _calibration() -> Callable[..., Array]:
    import sympy as sp

    from jdmodel.symbolic import model as M

    return sp.lambdify(
        (M.Y0, M.K0, M.H0, M.L0, M.alpha, M.beta, M.gamma), M.equation("tfp_base").rhs, modules="numpy"
    )


@cache
def _sales() -> Callable[..., Array]:
    import sympy as sp

    from jdmodel.symbolic import model as M

    return sp.lambdify((M.S0, M.Y_ec, M.Y_ec0, M.eta), M.equation("ecommerce_sales").rhs, modules="numpy")
