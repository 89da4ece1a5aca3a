"""Name the parameters behind an engine result that is not a finite number.

The loaders refuse every value outside its bounds, but some combinations of values within their
bounds can still overflow in the model (an elasticity of 5 on a path that grew a hundredfold, an
infrastructure index that jumps by a factor of 100 every year). The engine checks its results
(:func:`jdmodel.engine.run`); when one is ``inf`` or ``NaN`` — or a stock of the growth block
(capital, talent, land, TFP, value added) is negative — it raises a :class:`ModelError` built here,
naming the quantity, the sector and year where it first appears, the parameter keys of the
equation that produced it and their values in that draw: never a silent ``inf`` in a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from jdmodel.errors import ModelError

#: per-sector state → the keys of its equation (``{s}`` the sector); in the base year the initial values
_EQUATION = {
    "capital": ("sectors.{s}.depreciation", "sectors.{s}.investment_rate", "sectors.{s}.leverage", "levers.funds.{s}"),
    "talent": ("sectors.{s}.talent_attrition", "sectors.{s}.talent_organic", "levers.talent.{s}"),
    "land": ("levers.land.{s}", "district.land_budget"),
    "tfp": ("sectors.{s}.tfp_growth", "sectors.{s}.infra_effect", "sectors.{s}.environment_effect",
            "district.infrastructure", "district.business_environment"),
    "value_added": ("sectors.{s}.alpha", "sectors.{s}.beta", "sectors.{s}.gamma"),
    "output": ("sectors.{s}.margin", "sectors.{s}.va_share", "sectors.{s}.shock", "sectors.{s}.rebound"),
}
_INITIAL = {
    "capital": ("sectors.{s}.base_output", "sectors.{s}.margin", "sectors.{s}.va_share", "sectors.{s}.investment_rate",
                "sectors.{s}.pre_growth", "sectors.{s}.depreciation"),
    "talent": ("sectors.{s}.talent_base",),
    "land": ("sectors.{s}.land_base",),
    "tfp": ("sectors.{s}.base_output", "sectors.{s}.alpha", "sectors.{s}.beta", "sectors.{s}.gamma",
            "sectors.{s}.talent_base", "sectors.{s}.land_base"),
}
_ORDER = ("capital", "talent", "land", "tfp", "value_added", "output")
#: the most a sector's measured output (亿元) or a linked indicator can be: ten times China's gross
#: output (the same ceiling the files' money values have, ``jdmodel.params.rules.CEILING``)
OUTPUT_CEILING = 1e7
_DRIVERS = ("sectors.{s}.tfp_growth", "sectors.{s}.infra_effect", "sectors.{s}.environment_effect",
            "sectors.{s}.leverage", "levers.funds.{s}", "levers.talent.{s}", "levers.land.{s}", "sectors.{s}.alpha",
            "sectors.{s}.beta", "sectors.{s}.gamma", "district.infrastructure", "district.business_environment")


def all_finite(arrays: Mapping[str, np.ndarray], names: Sequence[str] | None = None, *,
               non_negative: bool = False) -> bool:
    """True when every float array of ``arrays`` (those of ``names``) holds finite numbers only (and ≥ 0)."""
    for name in names if names is not None else arrays:
        a = arrays.get(name)
        if not (isinstance(a, np.ndarray) and a.dtype.kind == "f"):
            continue
        if a.size == 0:
            continue
        # two vectorised reductions, no boolean temporaries: a NaN makes both NaN, an infinity shows in one
        lo, hi = a.min(), a.max()
        if not (lo >= 0 if non_negative else lo > -np.inf) or not hi < np.inf:
            return False
    return True


def _value(values: Mapping[str, np.ndarray], key: str, draw: int, t: int) -> str | None:
    if key not in values:
        return None
    v = np.asarray(values[key], dtype=float)
    row = v[min(draw, v.shape[0] - 1)] if v.ndim >= 1 else v
    if np.ndim(row) == 1 and t > 0:          # a path over the lever years: the year's value
        row = row[min(t - 1, row.shape[0] - 1)]
    return f"{float(np.ravel(row)[0]):g}" if np.ndim(row) <= 1 else None


def growth_error(out: Mapping[str, np.ndarray], values: Mapping[str, np.ndarray], plan) -> ModelError:
    """The error for the first non-finite state of the growth block (``out`` arrays are (draw, year, sector))."""
    years, sectors = plan.years.all, plan.sector_ids
    for t in range(len(years)):
        for name in _ORDER:
            arr = out[name][:, t, :]
            bad = ~(np.isfinite(arr) & (arr >= 0))
            if not bad.any():
                continue
            draw, j = (int(i[0]) for i in np.nonzero(bad))
            s = sectors[j]
            keys = (_INITIAL.get(name, _EQUATION[name]) if t == 0 else _EQUATION[name])
            keys = [k.format(s=s) for k in keys]
            shown = [f"{k} = {v}" for k in keys if (v := _value(values, k, draw, t)) is not None]
            v = float(arr[draw, j])
            what = "NaN" if np.isnan(v) else "an infinite value" if np.isinf(v) else f"a negative value ({v:.3g})"
            n = int(bad.any(axis=1).sum())
            return ModelError(f"the model gave {what} for {name} of sector {s} in {years[t]} ({n} of {arr.shape[0]} "
                              f"draw(s)); the parameters of that equation: {', '.join(shown) or ', '.join(keys)}. "
                              "Values within their bounds can together take the model where it has no meaning (an "
                              "overflow, a negative stock): move them toward their central values")
    return ModelError("the model gave a value that is not finite")


def result_error(out: Mapping[str, np.ndarray], values: Mapping[str, np.ndarray], plan) -> ModelError | None:
    """The error for a non-finite result outside the growth block (linked indicators, counts, input–output)."""
    for name, arr in out.items():
        if not (isinstance(arr, np.ndarray) and arr.dtype.kind == "f") or np.isfinite(arr).all():
            continue
        linked = next((x for x in plan.linked if x.id == name), None)
        if linked is not None:
            keys = [f"linked.{name}.base", f"linked.{name}.elasticity", f"output of sector {linked.sector}"]
        elif name.startswith("io_"):
            keys = ["district.final_demand_growth", "sectors.<s>.margin", "the plan's io/ inputs"]
        elif name in ("market",):
            keys = ["market.growth", "the plan's market.toml"]
        else:
            keys = sorted(k for k in values if k.startswith("counting.")) or ["the model's inputs"]
        draw = int(np.nonzero(~np.isfinite(arr).reshape(arr.shape[0], -1).all(axis=1))[0][0]) if arr.ndim else 0
        return ModelError(f"the model gave a value that is not finite for {name} (first in draw {draw}); the "
                          f"parameters involved: {', '.join(keys[:12])}{' …' if len(keys) > 12 else ''}")
    return None


def implausible_error(out: Mapping[str, np.ndarray], values: Mapping[str, np.ndarray], plan) -> ModelError | None:
    """The error for a measured output or linked indicator above :data:`OUTPUT_CEILING` (None when there is none)."""
    years, sectors = plan.years.all, plan.sector_ids
    big = out["output"] > OUTPUT_CEILING
    if big.any():
        draw, t, j = (int(i[0]) for i in np.nonzero(big))
        keys = [k.format(s=sectors[j]) for k in _DRIVERS]
        shown = [f"{k} = {v}" for k in keys if (v := _value(values, k, draw, t)) is not None]
        return ModelError(f"the model gave an output of {float(out['output'][draw, t, j]):.3g} 亿元 for sector "
                          f"{sectors[j]} in {years[t]}, more than {OUTPUT_CEILING:g} 亿元 (ten times China's gross "
                          f"output); what drives its growth: {', '.join(shown)}")
    for linked in plan.linked:
        arr = out.get(linked.id)
        if arr is not None and (arr > OUTPUT_CEILING).any():
            return ModelError(f"the model gave {linked.id} above {OUTPUT_CEILING:g} {linked.unit}: the parameters "
                              f"involved: linked.{linked.id}.base, linked.{linked.id}.elasticity and the output of "
                              f"sector {linked.sector}")
    return None
