r"""Rules that involve several keys of a scenario, checked once all its files are read.

Each rule names the keys involved, their values and what is expected. Where a parameter is
sampled (it has a range or a distribution), a rule that guards a division or a quantity that must
stay positive holds over the whole range, not only at the central value:

* ``pre_growth + depreciation ≥`` :data:`MIN_STEADY_STATE`: the steady-state initial capital
  :math:`K_0 = s V_0 / (g_0 + \delta)` divides by it (at the low ends of both ranges);
* ``alpha + beta + gamma < 1`` (decreasing returns to the modelled inputs), or exactly 1 with
  ``model.constant_returns = true`` (central values);
* TFP stays positive: :math:`1 + g_A + \varphi \Delta I_t + \psi \Delta E_t > 0` every lever year (a
  falling infrastructure or business-environment index lowers TFP growth), over the ranges;
* ``counting.enterprises.base_share`` not all zero (the base-year count is split by it);
* the land in use in the base year and the land budget within the plan's declared ``area``, and
  no lever granting more land in a year than the area (at the high ends of their ranges);
* ``model.variant = "market_share"`` only for a plan with a ``[market]``, with ``market.*`` set.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from jdmodel.params.loader import Param, Problems

#: smallest pre_growth + depreciation: below it K₀ would be more than a century of investment
MIN_STEADY_STATE = 0.01


def extent(p: Param) -> tuple[float, float]:
    """The smallest and largest value a parameter takes over its draws (its central value when not sampled)."""
    if isinstance(p.value, np.ndarray):
        return float(np.min(p.value)), float(np.max(p.value))
    if p.dist:
        from jdmodel.params.leaf import support

        return support(p.dist)
    v = float(p.value)
    lo = p.low if p.low is not None else v
    hi = p.high if p.high is not None else v
    return min(lo, v), max(hi, v)


def check_scenario(params: Mapping[str, Param], plan, probs: Problems) -> None:
    """Record every cross-key problem of a resolved parameter set in ``probs``."""
    for s in plan.sector_ids:
        _steady_state(params, s, probs)
        _returns(params, s, probs)
        _tfp_factor(params, s, plan, probs)
    _base_share(params, probs)
    _land(params, plan, probs)
    _variant(params, plan, probs)


def _steady_state(params, s: str, probs: Problems) -> None:
    g, d = params.get(f"sectors.{s}.pre_growth"), params.get(f"sectors.{s}.depreciation")
    if g is None or d is None:
        return
    (g_lo, _), (d_lo, _) = extent(g), extent(d)
    central = float(g.value) + float(d.value)
    if central < MIN_STEADY_STATE:
        probs.add(f"sectors.{s}.pre_growth", f"pre_growth + depreciation = {float(g.value):g} + {float(d.value):g} = "
                                             f"{central:g}: the initial capital K₀ = s·V₀ / (pre_growth + depreciation)"
                                             f" needs a sum of at least {MIN_STEADY_STATE:g}")
    elif g_lo + d_lo < MIN_STEADY_STATE:
        probs.add(f"sectors.{s}.pre_growth", f"pre_growth + depreciation reaches {g_lo:g} + {d_lo:g} = {g_lo + d_lo:g} "
                                             "at the low ends of their ranges: the initial capital divides by it; "
                                             f"raise the lows so that the sum stays ≥ {MIN_STEADY_STATE:g}")


def _returns(params, s: str, probs: Problems) -> None:
    crs = params.get("model.constant_returns")
    constant = bool(crs is not None and crs.value)
    keys = [f"sectors.{s}.{e}" for e in ("alpha", "beta", "gamma")]
    if not all(k in params for k in keys):
        return
    total = sum(float(params[k].value) for k in keys)
    if constant and abs(total - 1.0) > 1e-9:
        probs.add(f"sectors.{s}", f"alpha + beta + gamma = {total:g}, but model.constant_returns = true requires "
                                  "exactly 1")
    elif not constant and total >= 1.0:
        probs.add(f"sectors.{s}", f"alpha + beta + gamma = {total:g} ≥ 1: the model has decreasing returns to the "
                                  "modelled inputs (the sum below 1); declare model.constant_returns = true for a sum "
                                  "of exactly 1")


def _tfp_factor(params, s: str, plan, probs: Problems) -> None:
    keys = [f"sectors.{s}.{k}" for k in ("tfp_growth", "infra_effect", "environment_effect")]
    paths = ("district.infrastructure", "district.business_environment")
    if not all(k in params for k in (*keys, *paths)):
        return
    (g_lo, _), phi, psi = (extent(params[k]) for k in keys)
    factor = 1.0 + g_lo
    for (lo, hi), path in zip((phi, psi), paths, strict=True):
        delta = np.diff(np.concatenate([[1.0], np.asarray(params[path].value, dtype=float)]))
        factor = factor + np.where(delta < 0, hi * delta, lo * delta)
    bad = np.flatnonzero(factor <= 0)
    if bad.size:
        y = plan.years.levers[int(bad[0])]
        probs.add(keys[0], f"TFP would turn negative in {y}: 1 + tfp_growth + infra_effect × Δinfrastructure + "
                           f"environment_effect × Δbusiness_environment reaches {float(factor[bad[0]]):.3g} (at the "
                           "ends of the ranges); a falling index needs a smaller effect or a gentler fall")


def _base_share(params, probs: Problems) -> None:
    p = params.get("counting.enterprises.base_share")
    if p is not None and not np.any(np.asarray(p.value) > 0):
        probs.add(p.key, f"value {np.asarray(p.value).tolist()}: the shares are all zero, so the base-year count "
                         "cannot be split among the sectors (at least one share must be positive)")


def _land(params, plan, probs: Problems) -> None:
    area = getattr(plan, "area", None)
    if area is None:
        return
    bases = [params[k] for k in (f"sectors.{s}.land_base" for s in plan.sector_ids) if k in params]
    budget = params.get("district.land_budget")
    used = sum(extent(p)[1] for p in bases)
    given = extent(budget)[1] if budget is not None else 0.0
    if used + given > area:
        probs.add("district.land_budget" if budget is not None else "sectors",
                  f"the land in use in the base year (Σ sectors.<s>.land_base up to {used:g} 公顷) and the land "
                  f"budget (up to {given:g} 公顷) exceed the plan's area ({area:g} 公顷, plan.toml 'area')")
    for s in plan.sector_ids:
        p = params.get(f"levers.land.{s}")
        if p is not None and extent(p)[1] > area:
            probs.add(p.key, f"up to {extent(p)[1]:g} 公顷/yr: more land in a year than the plan's whole area "
                             f"({area:g} 公顷, plan.toml 'area')")


def _variant(params, plan, probs: Problems) -> None:
    v = params.get("model.variant")
    if v is None or v.value != "market_share":
        return
    if plan.market is None:
        probs.add("model.variant", f"'market_share' needs the plan's [market] (plan.toml); plan {plan.id!r} declares "
                                   "none (use 'supply')")
        return
    for key in ("market.share_elasticity", "market.growth"):
        if key not in params:
            probs.add(key, "missing: model.variant = 'market_share' needs it")
