"""Lever prices and per-sector capacity bounds (a plan's ``policy.toml``), validated.

Funds are money already (亿元/yr). Talent and land are priced in 亿元 per person and 亿元 per
公顷, so that one budget in 亿元/yr can be split across the three levers:

.. math:: \\text{cost} = \\sum_s \\left(F_s + p_T\\,T_s + p_L\\,\\ell_s\\right) \\quad [\\text{亿元/yr}]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jdmodel.errors import ParameterError
from jdmodel.params.loader import Problems, read_toml
from jdmodel.params.units import conversion_factor

LEVERS = ("funds", "talent", "land")
#: Natural unit of each lever (per sector and year).
LEVER_UNITS = {"funds": "亿元/yr", "talent": "人/yr", "land": "公顷/yr"}
_PRICE_DIM = {"talent": "people", "land": "land"}
_BOUND_DIM = {"funds": "money_rate", "talent": "people_rate", "land": "land_rate"}


@dataclass(frozen=True)
class Costs:
    """Prices of the levers and the most one sector can take of each per year.

    Attributes
    ----------
    price : dict
        Lever → 亿元 per natural unit (funds 1; talent 亿元/人; land 亿元/公顷).
    capacity : dict
        Lever → upper bound per sector and year, natural units.
    sources : dict
        Dotted key → source text.
    ranges : dict
        Dotted key (``price.talent``, ``bounds.land``, …) → (low, high) in the same units.
    file : str
    """

    price: Mapping[str, float]
    capacity: Mapping[str, float]
    sources: Mapping[str, str] = field(default_factory=dict)
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    file: str = ""

    def with_prices(self, **prices: float) -> Costs:
        """The same costs with some prices replaced (亿元 per person / per 公顷).

        Examples
        --------
        >>> load_costs().with_prices(talent=0.002).price["talent"]
        0.002
        """
        bad = [k for k in prices if k not in _PRICE_DIM]
        if bad:
            raise ParameterError(f"with_prices: unknown lever(s) {bad} (expected talent, land)")
        for k, v in prices.items():
            if not (isinstance(v, int | float) and v > 0):
                raise ParameterError(f"with_prices: price of {k} must be a positive number, got {v!r}")
        return Costs({**self.price, **{k: float(v) for k, v in prices.items()}}, self.capacity, self.sources,
                     self.ranges, self.file)


def price_factor(unit: str, dimension: str) -> float | None:
    """Factor from ``money/quantity`` (e.g. ``万元/亩``) to 亿元 per canonical unit of ``dimension``.

    Examples
    --------
    >>> round(price_factor("万元/亩", "land"), 12)     # 1 万元/亩 = 15 万元/公顷 = 0.0015 亿元/公顷
    0.0015
    >>> price_factor("万元/人", "people")
    0.0001
    """
    if unit.count("/") != 1:
        return None
    money, per = (u.strip() for u in unit.split("/"))
    m, q = conversion_factor(money, "money"), conversion_factor(per, dimension)
    return None if m is None or q is None else m / q


def _read(table, key: str, factor_of, probs: Problems, sources: dict, ranges: dict) -> float | None:
    if not isinstance(table, Mapping):
        probs.add(key, f"expected a table {{ value, unit, low, high, source }}, got {table!r}")
        return None
    missing = [f for f in ("value", "unit", "low", "high", "source") if f not in table]
    if missing:
        probs.add(key, f"missing field(s) {', '.join(missing)} (an assumption carries a unit, a range and a source)")
        return None
    factor = factor_of(str(table["unit"]))
    if factor is None:
        probs.add(key, f"unit {table['unit']!r} is not a unit of this quantity")
        return None
    nums = {f: table[f] for f in ("value", "low", "high")}
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in nums.values()):
        probs.add(key, f"value, low and high must be numbers, got {nums}")
        return None
    if not 0 < nums["low"] <= nums["value"] <= nums["high"]:
        probs.add(key, f"expected 0 < low ≤ value ≤ high, got low={nums['low']}, value={nums['value']}, "
                       f"high={nums['high']}")
        return None
    if not str(table["source"]).strip():
        probs.add(key, "empty source")
    sources[key] = str(table["source"])
    ranges[key] = (float(nums["low"]) * factor, float(nums["high"]) * factor)
    return float(nums["value"]) * factor


def load_costs(path: str | Path | None = None, plan=None) -> Costs:
    """Read and validate a plan's ``policy.toml`` (the default plan's when neither is given) or another file.

    Raises
    ------
    ParameterError
        Listing every problem (missing field, unit of the wrong quantity, value outside its range).

    Examples
    --------
    >>> c = load_costs()
    >>> round(c.price["land"], 6), round(c.price["talent"], 6)      # 80 万元/亩, 10 万元/人
    (0.12, 0.001)
    """
    if path is None:
        from jdmodel.params.plan import load_plan

        path = load_plan(plan).file("policy")
    path = Path(path)
    data = read_toml(path)
    probs = Problems(str(path))
    sources: dict[str, str] = {}
    ranges: dict[str, tuple[float, float]] = {}
    price = {"funds": 1.0}
    for lever, dim in _PRICE_DIM.items():
        price[lever] = _read(data.get("price", {}).get(lever), f"price.{lever}",
                             lambda u, d=dim: price_factor(u, d), probs, sources, ranges)
    capacity = {}
    for lever, dim in _BOUND_DIM.items():
        capacity[lever] = _read(data.get("bounds", {}).get(lever), f"bounds.{lever}",
                                lambda u, d=dim: conversion_factor(u, d), probs, sources, ranges)
    probs.raise_if_any("invalid policy cost parameters")
    return Costs(price=price, capacity=capacity, sources=sources, ranges=ranges, file=str(path))
