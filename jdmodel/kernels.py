r"""The growth and counting chain on plain arrays, each year's state updates fused into one pass.

The engine's year loop (:func:`jdmodel.engine.run`) calls one small numpy function per equation,
so a chunk of draws is walked some twenty times a year. Here one compiled pass per year updates
capital, talent, land (within the district budget) and TFP for every draw and sector, writing
straight into the result arrays; output :math:`Y = A K^{\alpha} H^{\beta} L^{\gamma}` stays a
numpy expression, whose vectorised ``power`` is several times faster than the C library's
scalar one. Every operation is written in the order of :mod:`jdmodel.growth`, so the results
equal the engine's to the bit (tested); without numba the same step runs as numpy.

Inputs are arrays with a leading draw axis; nothing here knows a region's sectors or years:
their numbers are the shapes of the arrays.

* ``sector``: name → (D, S) for the growth parameters of :data:`jdmodel.engine.SECTOR_PARAMS`;
* ``funds``, ``talent``, ``land``: (D, S, T) lever paths (``land`` as requested);
* ``infrastructure``, ``environment``: (D, T + 1) indices, first year = 1;
* ``land_budget``: (D,).

Wiring (not done here: the engine's inputs are being rebuilt from plan folders): in
:func:`jdmodel.engine.run`, after ``x = gather(values)``, the year loop, the e-commerce sales, the
online-economy total and ``_counting`` become one call,
``out = chain(x.sector, x.levers["funds"], x.levers["talent"], x.levers["land"], x.infrastructure,
x.environment, x.land_budget, x.sales_base, x.sales_elasticity, composition=composition,
ecommerce=<index of e-commerce>, counting={k: v for k, v in values.items() if k.startswith("counting.")},
noise=noise)``; the input–output block follows on ``out["output"]`` as now. When the equations
change (investment from this year's output, a shock, value added), :func:`_step` and
:func:`_step_numpy` change with them; output is computed before the step of the next year, so
a step may read it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from numpy.typing import NDArray

from jdmodel import _jit

Array = NDArray[np.float64]

__all__ = ["growth_paths", "chain"]


@_jit.jit
def _step(t, K, H, L, A, remaining, depreciation, investment, leverage, attrition, organic, tfp_growth,
          infra_effect, environment_effect, funds, talent, requested, d_infra, d_env, granted,
          capital_path, talent_path, land_path, tfp_path):
    """Year ``t`` → ``t + 1`` for every draw and sector, in place (the equations of ``jdmodel.growth``)."""
    D, S = K.shape
    for d in range(D):
        total = 0.0
        for s in range(S):
            total += requested[t, d, s]
        # land_grant: pro rata when the requests exceed what is left of the budget
        scale = (remaining[d] / (total if total > 0 else 1.0)) if total > remaining[d] else 1.0
        used = 0.0
        for s in range(S):
            g = requested[t, d, s] * scale
            granted[t, d, s] = g
            used += g
        remaining[d] = max(remaining[d] - used, 0.0)
        for s in range(S):
            K[d, s] = (1.0 - depreciation[d, s]) * K[d, s] + investment[d, s] + leverage[d, s] * funds[t, d, s]
            H[d, s] = (1.0 - attrition[d, s]) * H[d, s] + organic[d, s] + talent[t, d, s]
            L[d, s] = L[d, s] + granted[t, d, s]
            A[d, s] = A[d, s] * (1.0 + tfp_growth[d, s] + infra_effect[d, s] * d_infra[d, t]
                                 + environment_effect[d, s] * d_env[d, t])
            capital_path[t + 1, d, s] = K[d, s]
            talent_path[t + 1, d, s] = H[d, s]
            land_path[t + 1, d, s] = L[d, s]
            tfp_path[t + 1, d, s] = A[d, s]


def _step_numpy(t, K, H, L, A, remaining, depreciation, investment, leverage, attrition, organic, tfp_growth,
                infra_effect, environment_effect, funds, talent, requested, d_infra, d_env, granted,
                capital_path, talent_path, land_path, tfp_path) -> None:
    from jdmodel import growth

    K[:] = growth.capital_step(K, depreciation, investment, leverage, funds[t])
    H[:] = growth.talent_step(H, attrition, organic, talent[t])
    granted[t], remaining[:] = growth.land_grant(requested[t], remaining)
    L[:] = L + granted[t]
    A[:] = growth.tfp_step(A, tfp_growth, infra_effect, d_infra[:, t, None], environment_effect, d_env[:, t, None])
    for path, state in ((capital_path, K), (talent_path, H), (land_path, L), (tfp_path, A)):
        path[t + 1] = state


def growth_paths(sector: Mapping[str, Array], funds: Array, talent: Array, land: Array, infrastructure: Array,
                 environment: Array, land_budget: Array) -> dict[str, Array]:
    r"""Capital, talent, land, TFP and output of every sector, first year to horizon.

    .. math::
        K_{t+1} = (1-\delta) K_t + I + m F_{t+1}, \quad H_{t+1} = (1-\rho) H_t + O + T_{t+1},
        \quad L_{t+1} = L_t + \ell_{t+1}, \\
        A_{t+1} = A_t (1 + g_A + \varphi \Delta I_{t+1} + \psi \Delta E_{t+1}), \quad
        Y_t = A_t K_t^{\alpha} H_t^{\beta} L_t^{\gamma}

    with :math:`K_0 = \kappa Y_0`, :math:`I = s Y_0`, :math:`A_0` calibrated so that the
    production function returns :math:`Y_0`, and land requests scaled pro rata when they
    exceed what is left of the district budget (:func:`jdmodel.growth.land_grant`).

    Parameters
    ----------
    sector : mapping
        ``base_output``, ``capital_output_ratio``, ``depreciation``, ``investment_rate``,
        ``leverage``, ``talent_base``, ``talent_attrition``, ``talent_organic``, ``land_base``,
        ``alpha``, ``beta``, ``gamma``, ``tfp_growth``, ``infra_effect``, ``environment_effect``:
        arrays (D, S) (a leading axis of 1 broadcasts).
    funds, talent, land : array (D, S, T)
        Lever paths over the lever years: 亿元/yr, 人/yr, 公顷/yr requested.
    infrastructure, environment : array (D, T + 1)
        District indices, first year = 1.
    land_budget : array (D,)
        District land budget over the lever years, 公顷.

    Returns
    -------
    dict
        ``output``, ``capital``, ``talent``, ``land``, ``tfp``: (D, T + 1, S);
        ``land_granted``: (D, S, T).

    Examples
    --------
    >>> one = np.ones((1, 1))
    >>> p = dict(base_output=100 * one, capital_output_ratio=2 * one, depreciation=0.1 * one,
    ...          investment_rate=0.2 * one, leverage=one, talent_base=1000 * one,
    ...          talent_attrition=0.1 * one, talent_organic=100 * one, land_base=10 * one,
    ...          alpha=0.3 * one, beta=0.4 * one, gamma=0.2 * one, tfp_growth=0.0 * one,
    ...          infra_effect=0 * one, environment_effect=0 * one)
    >>> out = growth_paths(p, np.zeros((1, 1, 3)), np.zeros((1, 1, 3)), np.zeros((1, 1, 3)),
    ...                    np.ones((1, 4)), np.ones((1, 4)), np.zeros(1))
    >>> out["output"][0, :, 0].round(9).tolist()    # a steady state: K = sY/δ = 200, H = O/ρ = 1000
    [100.0, 100.0, 100.0, 100.0]
    """
    from jdmodel import growth

    funds, talent, requested = (np.asarray(a, dtype=np.float64) for a in (funds, talent, land))
    D = max(funds.shape[0], *(np.shape(v)[0] for v in sector.values()), np.shape(land_budget)[0])
    S, T = funds.shape[1:]

    def full(a, shape) -> Array:
        return np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=np.float64), shape))

    p = {k: full(v, (D, S)) for k, v in sector.items()}
    # the lever paths year-major, (T, D, S): each year's step reads one contiguous block (the engine
    # already holds them so; then this is a view)
    funds, talent, requested = (np.ascontiguousarray(np.moveaxis(np.broadcast_to(a, (D, S, T)), 2, 0))
                                for a in (funds, talent, requested))
    Y0 = p["base_output"]
    K = p["capital_output_ratio"] * Y0
    H = p["talent_base"].copy()
    L = p["land_base"].copy()
    A = growth.calibrate_tfp(Y0, K, H, L, p["alpha"], p["beta"], p["gamma"])
    investment = p["investment_rate"] * Y0
    remaining = full(land_budget, (D,)).copy()
    d_infra = full(np.diff(full(infrastructure, (D, T + 1)), axis=1), (D, T))
    d_env = full(np.diff(full(environment, (D, T + 1)), axis=1), (D, T))
    # paths year-major in memory, (T + 1, D, S): each year writes one contiguous block
    path = {name: np.empty((T + 1, D, S)) for name in ("output", "capital", "talent", "land", "tfp")}
    for name, first in (("output", Y0), ("capital", K), ("talent", H), ("land", L), ("tfp", A)):
        path[name][0] = first
    granted = np.empty((T, D, S))
    step = _step if _jit.enabled() else _step_numpy
    for t in range(T):
        step(t, K, H, L, A, remaining, p["depreciation"], investment, p["leverage"], p["talent_attrition"],
             p["talent_organic"], p["tfp_growth"], p["infra_effect"], p["environment_effect"], funds, talent,
             requested, d_infra, d_env, granted, path["capital"], path["talent"], path["land"], path["tfp"])
        path["output"][t + 1] = growth.cobb_douglas(A, K, H, L, p["alpha"], p["beta"], p["gamma"])
    out = {name: np.moveaxis(arr, 0, 1) for name, arr in path.items()}     # (D, T + 1, S) views
    out["land_granted"] = np.moveaxis(granted, 0, 2)                       # (D, S, T)
    return out


def chain(sector: Mapping[str, Array], funds: Array, talent: Array, land: Array, infrastructure: Array,
          environment: Array, land_budget: Array, sales_base: Array, sales_elasticity: Array, *,
          composition: NDArray[np.bool_], ecommerce: int, counting: Mapping[str, Array] | None = None,
          noise: Callable | None = None) -> dict[str, Array]:
    """The growth block, the e-commerce sales line, the online-economy total and the counting models.

    Parameters
    ----------
    sector, funds, talent, land, infrastructure, environment, land_budget
        As in :func:`growth_paths`.
    sales_base, sales_elasticity : array (D,)
        E-commerce sales in the first year (亿元) and their elasticity to e-commerce output.
    composition : array (S,) of bool
        Sectors counted in the online-economy total.
    ecommerce : int
        Index of the e-commerce sector.
    counting : mapping, optional
        The ``counting.*`` parameters (dotted keys → arrays with a leading draw axis); when given,
        the counting models run (:func:`jdmodel.counting.simulate_counts`).
    noise : callable, optional
        The counting models' uniforms (``None``: their expected paths).

    Returns
    -------
    dict
        The arrays :func:`jdmodel.engine.run` returns without the input–output block:
        ``output``, ``capital``, ``talent``, ``land``, ``tfp`` (D, Y, S), ``land_granted`` (D, S, T),
        ``ecommerce_sales``, ``online_economy_output`` (D, Y), and with ``counting`` the counts
        (``enterprises`` (D, Y, S), ``enterprises_total``, ``projects``, ``scenarios`` (D, Y), ...).
    """
    from jdmodel import growth

    out = growth_paths(sector, funds, talent, land, infrastructure, environment, land_budget)
    D = out["output"].shape[0]
    sales_base = np.broadcast_to(np.asarray(sales_base, dtype=np.float64).reshape(-1), (D,))
    sales_elasticity = np.broadcast_to(np.asarray(sales_elasticity, dtype=np.float64).reshape(-1), (D,))
    y = out["output"][:, :, ecommerce]
    out["ecommerce_sales"] = growth.ecommerce_sales(sales_base[:, None], y, y[:, :1], sales_elasticity[:, None])
    out["online_economy_output"] = out["output"][:, :, np.asarray(composition, bool)].sum(axis=-1)
    if counting:
        from jdmodel.counting import simulate_counts

        S, T = out["land_granted"].shape[1:]
        counts = simulate_counts({k: np.broadcast_to(np.asarray(v), (D, *np.shape(v)[1:])) for k, v in counting.items()},
                                 funds=np.broadcast_to(funds, (D, S, T)), talent=np.broadcast_to(talent, (D, S, T)),
                                 land=out["land_granted"], output=np.moveaxis(out["output"], 1, 2),
                                 infra=np.broadcast_to(infrastructure, (D, T + 1)), noise=noise)
        for name, arr in counts.items():
            out[name] = np.moveaxis(arr, 1, 2) if arr.ndim == 3 else arr     # (D, S, Y) -> (D, Y, S)
        out["enterprises_total"] = out["enterprises"].sum(axis=-1)
    return out
