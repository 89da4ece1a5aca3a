r"""The growth block: capital, talent, land, TFP and output — pure functions on arrays.

Every function takes numpy arrays whose leading axis is ``draw`` (length 1 broadcasts)
and whose next axis is ``sector``; nothing here loops over draws or sectors.

Per sector :math:`s` and year :math:`t` (DESIGN.md §5):

.. math::

    K_{t+1} &= (1-\delta) K_t + s V_t + m F_{t+1} \\
    H_{t+1} &= (1-\rho) H_t + O + T_{t+1} \\
    L_{t+1} &= L_t + \ell_{t+1} \quad (\text{scaled down when the district land budget binds}) \\
    A_{t+1} &= A_t \,(1 + g_A + \varphi\,\Delta I^{infra}_{t+1} + \psi\,\Delta E_{t+1}) \\
    V_t &= A_t K_t^{\alpha} H_t^{\beta} L_t^{\gamma} \\
    M_t &= V_t\,(1 + d_t) / (\mu\, v)

on value added :math:`V` (trend), with :math:`K_{base} = s V_{base} / (g_0 + \delta)` (steady-state
initial capital) and :math:`A_{base}` calibrated so that the base year's measured output
:math:`M_{base}` is reproduced exactly. What the statistics measure, :math:`M`, is turnover or
revenue: value added over the margin μ (IO gross output per unit measured; a trade margin for a
sector measured by sales) times the value-added share v of gross output, with the plan's shock
deviations :math:`d_t` (``shock`` in the span's first year, ``rebound`` in its second, zero
outside it).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from jdmodel._jit import jit

Array = NDArray[np.float64]


def capital_step(K: Array, depreciation: Array, investment: Array, leverage: Array, funds: Array) -> Array:
    r"""Capital accumulation with leveraged public funds, :math:`K' = (1-\delta)K + I + mF`.

    Parameters
    ----------
    K : array (draw, sector)
        Capital stock, 亿元.
    depreciation : array
        δ, 1/yr.
    investment : array
        Private investment I, 亿元/yr.
    leverage : array
        m, capital formed per 亿元 of public funds (1).
    funds : array
        Public funds F this year, 亿元/yr.

    Returns
    -------
    array
        Next year's capital stock, 亿元.

    Examples
    --------
    >>> float(capital_step(np.array(100.0), 0.1, 5.0, 3.0, 2.0))
    101.0
    """
    return (1.0 - depreciation) * K + investment + leverage * funds


def talent_step(H: Array, attrition: Array, organic: Array, talent: Array) -> Array:
    r"""Talent stock, :math:`H' = (1-\rho)H + O + T` (人).

    Examples
    --------
    >>> float(talent_step(np.array(1000.0), 0.1, 50.0, 80.0))
    1030.0
    """
    return (1.0 - attrition) * H + organic + talent


def land_grant(requested: Array, remaining: Array) -> tuple[Array, Array]:
    r"""Grant this year's land requests within what is left of the district land budget.

    When the sectors together ask for more than remains, every request is scaled by the
    same factor :math:`\min(1, R / \sum_s \ell_s)` (pro rata).

    Parameters
    ----------
    requested : array (draw, sector)
        Land asked for this year, 公顷.
    remaining : array (draw,)
        Budget not yet used, 公顷.

    Returns
    -------
    granted : array (draw, sector)
    remaining : array (draw,)

    Examples
    --------
    >>> g, r = land_grant(np.array([[6.0, 2.0]]), np.array([4.0]))
    >>> g.tolist(), r.tolist()
    ([[3.0, 1.0]], [0.0])
    """
    total = sector_sum(requested)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(total > remaining, remaining / np.where(total > 0, total, 1.0), 1.0)
    granted = requested * scale[..., None]
    # clip: once the budget is used up, rounding must not leave a tiny negative remainder
    return granted, np.maximum(remaining - sector_sum(granted), 0.0)


def sector_sum(a: Array) -> Array:
    """Sum over the last (sector) axis, sector by sector from the first.

    Whole-column additions, which numpy does several times faster than a reduction along a short
    axis, in one order whatever the number of sectors (``sum(axis=-1)`` changes its order with the
    length of the axis).

    Examples
    --------
    >>> sector_sum(np.array([[1.0, 2.0, 3.0], [0.5, 0.25, 0.125]])).tolist()
    [6.0, 0.875]
    """
    if a.shape[-1] == 0:
        return np.zeros(a.shape[:-1])
    total = np.array(a[..., 0], dtype=float)
    for j in range(1, a.shape[-1]):
        total += a[..., j]
    return total


def tfp_step(A: Array, growth: Array, infra_effect: Array, d_infra: Array,
             environment_effect: Array, d_environment: Array) -> Array:
    r"""TFP, :math:`A' = A\,(1 + g_A + \varphi\,\Delta I + \psi\,\Delta E)`.

    Examples
    --------
    >>> round(float(tfp_step(np.array(1.0), 0.02, 0.1, 0.05, 0.0, 0.0)), 12)
    1.025
    """
    return A * (1.0 + growth + infra_effect * d_infra + environment_effect * d_environment)


def initial_capital(V0: Array, investment_rate: Array, pre_growth: Array, depreciation: Array) -> Array:
    r"""Initial capital by the steady-state (perpetual-inventory) method, :math:`K_0 = s V_0 / (g_0 + \delta)`.

    Investment :math:`I = s V` grew at :math:`g_0` before the base year, so the stock it built up
    is :math:`\sum_{k \ge 0} I_0 (1+g_0)^{-k-1} (1-\delta)^k \approx I_0/(g_0 + \delta)`.

    Examples
    --------
    >>> float(initial_capital(100.0, 0.2, 0.05, 0.15))
    100.0
    """
    return investment_rate * V0 / (pre_growth + depreciation)


def shock_deviation(shock: Array, rebound: Array, n_years: int, start: int | None) -> Array:
    r"""Deviation :math:`d_t` of measured output from trend over a two-year shock span, zero elsewhere.

    :math:`d_{s} = \text{shock}`, :math:`d_{s+1} = \text{rebound}`, :math:`d_t = 0` otherwise, where
    ``start`` is the index of the span's first year (None: no shock span).

    Parameters
    ----------
    shock, rebound : array (draw, sector)
    n_years : int
    start : int or None

    Returns
    -------
    array (draw, year, sector)

    Examples
    --------
    >>> d = shock_deviation(np.array([[-0.2]]), np.array([[0.05]]), 4, 1)
    >>> d[0, :, 0].round(6).tolist()
    [0.0, -0.2, 0.05, 0.0]
    """
    shock = np.asarray(shock, dtype=float)
    out = np.zeros((shock.shape[0], n_years, shock.shape[-1]))
    if start is None:
        return out
    if 0 <= start < n_years:
        out[:, start] = shock
    if 0 <= start + 1 < n_years:
        out[:, start + 1] = np.broadcast_to(np.asarray(rebound, dtype=float), shock.shape)
    return out


def market_share_output(share0: Array, inputs_ratio: Array, elasticity: Array, market: Array) -> Array:
    r"""Trend output of a sector that holds a share of its market, :math:`M_t = \sigma_0 (Q_t/Q_0)^{\varepsilon} \mathrm{Mkt}_t`.

    :math:`Q = K^\alpha H^\beta L^\gamma` are the sector's inputs (what the levers move);
    :math:`\varepsilon` the elasticity of its share to them.

    Examples
    --------
    >>> round(float(market_share_output(0.02, 1.21, 0.5, 1000.0)), 9)
    22.0
    """
    return share0 * inputs_ratio**elasticity * market


def cobb_douglas(A: Array, K: Array, H: Array, L: Array, alpha: Array, beta: Array, gamma: Array) -> Array:
    r"""Output :math:`Y = A K^{\alpha} H^{\beta} L^{\gamma}` (亿元).

    Examples
    --------
    >>> float(cobb_douglas(2.0, 4.0, 9.0, 1.0, 0.5, 0.5, 0.3))
    12.0
    """
    return A * K**alpha * H**beta * L**gamma


def calibrate_tfp(Y0: Array, K0: Array, H0: Array, L0: Array, alpha: Array, beta: Array, gamma: Array) -> Array:
    r"""TFP level in the base year so that the production function returns the base-year output.

    .. math:: A_{base} = Y_{base} / (K_{base}^{\alpha} H_{base}^{\beta} L_{base}^{\gamma})

    Examples
    --------
    >>> A0 = calibrate_tfp(12.0, 4.0, 9.0, 1.0, 0.5, 0.5, 0.3)
    >>> float(cobb_douglas(A0, 4.0, 9.0, 1.0, 0.5, 0.5, 0.3))
    12.0
    """
    return Y0 / (K0**alpha * H0**beta * L0**gamma)


def linked_indicator(base_value: Array, output: Array, base_output: Array, elasticity: Array) -> Array:
    r"""An indicator that follows one sector's output with an elasticity (e.g. Jiading's e-commerce sales).

    .. math:: S_t = S_{base}\,(Y_{s,t} / Y_{s,base})^{\eta}

    Examples
    --------
    >>> round(float(linked_indicator(100.0, 121.0, 100.0, 0.5)), 9)
    110.0
    """
    return base_value * (output / base_output) ** elasticity


@jit
def year_into(t, K, H, L, A, V, depreciation, investment_rate, leverage, attrition, organic, tfp_growth, infra_effect,
              environment_effect, funds, talent, land, d_infra, d_environment, remaining, granted, path_K, path_H,
              path_L, path_A, keep, bad):
    """Lever year ``t`` of the growth block, before output, for every draw in one pass (compiled).

    Updates the state ``K``, ``H``, ``L``, ``A`` (draw, sector) and ``remaining`` (draw,) in place,
    writes the land granted into ``granted[:, :, t]`` and, with ``keep``, the new state into
    ``path_*[t + 1]`` (paths stored year-major); without ``keep`` it sets ``bad[d]`` for a draw whose
    state is not a finite number ≥ 0 instead (the engine then runs again with the paths, to name the
    cause). Every number is what :func:`capital_step` (with investment ``s V``),
    :func:`talent_step`, :func:`land_grant` and :func:`tfp_step` return, operation by operation in
    the same order (strict IEEE arithmetic, no fused multiply–add), so the two give the same bits;
    this walks each draw's state once instead of some forty whole-array passes. ``funds``,
    ``talent``, ``land``: lever paths (draw, sector, lever year); ``d_infra``, ``d_environment``:
    (draw, lever year).
    """
    D, S = K.shape
    for d in range(D):
        total = land[d, 0, t]                      # requests, summed as sector_sum does
        for s in range(1, S):
            total += land[d, s, t]
        rem = remaining[d]
        scale = rem / (total if total > 0 else 1.0) if total > rem else 1.0
        used = 0.0
        for s in range(S):
            g = land[d, s, t] * scale
            granted[d, s, t] = g
            used = g if s == 0 else used + g
            K[d, s] = (1.0 - depreciation[d, s]) * K[d, s] + investment_rate[d, s] * V[d, s] + leverage[d, s] * funds[d, s, t]
            H[d, s] = (1.0 - attrition[d, s]) * H[d, s] + organic[d, s] + talent[d, s, t]
            L[d, s] = L[d, s] + g
            A[d, s] = A[d, s] * (1.0 + tfp_growth[d, s] + infra_effect[d, s] * d_infra[d, t]
                                 + environment_effect[d, s] * d_environment[d, t])
            if keep:
                path_K[t + 1, d, s] = K[d, s]
                path_H[t + 1, d, s] = H[d, s]
                path_L[t + 1, d, s] = L[d, s]
                path_A[t + 1, d, s] = A[d, s]
            elif not (0.0 <= K[d, s] < math.inf and 0.0 <= H[d, s] < math.inf and 0.0 <= L[d, s] < math.inf
                      and 0.0 <= A[d, s] < math.inf):
                bad[d] = True
        left = rem - used
        remaining[d] = 0.0 if left < 0.0 else left     # np.maximum(left, 0.0), NaN kept
