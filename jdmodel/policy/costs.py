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
from jdmodel.params import rules
from jdmodel.params.loader import Problems, read_toml
from jdmodel.params.units import accepted_units, canonical_unit, conversion_factor

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


#: most a unit of talent (亿元 per person) and of land (亿元 per 公顷) can cost: a hundred times the dearest
#: talent package and ten times central Shanghai's land price
PRICE_MAX = {"talent": 1.0, "land": 100.0}
_PRICE_UNITS = {"talent": "money per person: 万元/人, 亿元/人", "land": "money per area: 万元/亩, 万元/公顷, 亿元/公顷"}


def _capacity_max(lever: str) -> float:
    """The most one sector can take of a lever in a year: the lever's own maximum in the parameter schema."""
    from jdmodel.params.schema import SCHEMA

    return float(SCHEMA[f"levers.{lever}.{{sector}}"].max)


def _read(table, key: str, factor_of, probs: Problems, sources: dict, ranges: dict, bounds: rules.Bounds,
          unit_text: str, canon: str) -> float | None:
    got = rules.quantity(table, key, probs, bounds, factor_of=factor_of, unit_text=unit_text, canon=canon)
    if got is None:
        return None
    value, low, high = got
    sources[key] = str(table["source"])
    ranges[key] = (low, high)
    return value


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
    rules.fields(data, "", probs, allowed=("price", "bounds"), required=("price", "bounds"))
    prices, bounds = data.get("price", {}), data.get("bounds", {})
    if rules.fields(prices, "price", probs, allowed=tuple(_PRICE_DIM), required=tuple(_PRICE_DIM)):
        for lever, dim in _PRICE_DIM.items():
            if lever in prices:
                price[lever] = _read(prices[lever], f"price.{lever}", lambda u, d=dim: price_factor(u, d),
                                     probs, sources, ranges, rules.Bounds(0.0, PRICE_MAX[lever], open_min=True),
                                     _PRICE_UNITS[lever], f"亿元/{canonical_unit(dim)}")
    capacity = {}
    if rules.fields(bounds, "bounds", probs, allowed=tuple(_BOUND_DIM), required=tuple(_BOUND_DIM)):
        for lever, dim in _BOUND_DIM.items():
            if lever in bounds:
                capacity[lever] = _read(bounds[lever], f"bounds.{lever}", lambda u, d=dim: conversion_factor(u, d),
                                        probs, sources, ranges,
                                        rules.Bounds(0.0, _capacity_max(lever), open_min=True),
                                        ", ".join(accepted_units(dim)), canonical_unit(dim))
    probs.raise_if_any("invalid policy cost parameters")
    return Costs(price=price, capacity=capacity, sources=sources, ranges=ranges, file=str(path))
