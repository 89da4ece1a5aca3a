"""One set of rules for every value a plan's files hold: type, finiteness, bounds, unit, fields.

Each kind of file has its own reader — scenarios and the baseline (``loader.parse_leaf``), targets,
observations, ``plan.toml``, ``market.toml``, ``expost.toml``, ``policy.toml``, ``io/region.toml``,
``io/concordance.csv`` — but every reader checks its values with the functions here, so a number
is accepted or refused by the same rules, and described in the same words, wherever it is
written: a type (a number is never a boolean or a string), a finite value, bounds (inclusive
unless open; every quantity has a maximum, :data:`CEILING` where no tighter bound is known), a
unit of the right quantity, the fields a table may and must have. Problems are collected in a
:class:`~jdmodel.params.loader.Problems` and reported together, each naming the file, the dotted
key, the value and what was expected.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jdmodel.params.units import DIMENSIONS, accepted_units, canonical_unit, conversion_factor

#: The largest value of a quantity of each dimension any file may hold (canonical units), where its
#: key has no tighter bound: ten times China's gross output for money, more than China's population
#: for people, ten times Shanghai's area for land. They catch a mistyped exponent, never a real figure.
CEILING: dict[str, float] = {
    "money": 1e7, "money_rate": 1e7, "land": 1e7, "land_rate": 1e6, "people": 2e9, "people_rate": 1e8,
    "firms": 1e8, "projects": 1e7, "scenarios": 1e7, "ratio": 1e3, "rate": 100.0, "index": 1e3,
    "years": 200.0, "capital_output": 100.0,
}
#: Calendar years a file may name.
YEARS = (1950, 2150)


@dataclass(frozen=True)
class Bounds:
    """Bounds of a number (``None`` = none on that side; inclusive unless open)."""

    min: float | None = None
    max: float | None = None
    open_min: bool = False
    open_max: bool = False

    def text(self, unit: str = "") -> str:
        """``"> 0 and ≤ 1e+06 亿元"``."""
        parts = []
        if self.min is not None:
            parts.append(f"{'>' if self.open_min else '≥'} {self.min:g}")
        if self.max is not None:
            parts.append(f"{'<' if self.open_max else '≤'} {self.max:g}")
        return (" and ".join(parts) or "any number") + (f" {unit}" if unit and unit != "1" else "")

    def violation(self, x: float) -> str | None:
        """The side ``x`` breaks, in words (``"non-negative"``, ``"≤ 1"``), or None."""
        if self.min is not None and (x <= self.min if self.open_min else x < self.min):
            if self.min == 0:
                return "positive" if self.open_min else "non-negative"
            return f"{'>' if self.open_min else '≥'} {self.min:g}"
        if self.max is not None and (x >= self.max if self.open_max else x > self.max):
            return f"{'<' if self.open_max else '≤'} {self.max:g}"
        return None

    def within(self, lo: float, hi: float) -> bool:
        """True when ``[lo, hi]`` lies inside the bounds."""
        return self.violation(lo) is None and self.violation(hi) is None


def is_number(x: Any) -> bool:
    """An int or float (or a numpy one, from code) that is not a bool (TOML's ``true`` is no number)."""
    import numpy as np

    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool | np.bool_)


def finite(x: Any) -> bool:
    """A number that is neither NaN nor infinite (nor an integer too large for a float)."""
    if not is_number(x):
        return False
    try:
        return math.isfinite(float(x))
    except OverflowError:
        return False


def fmt(x: Any) -> str:
    """A value as a user wrote it: numbers with ``g``, everything else with ``repr``."""
    return f"{x:g}" if is_number(x) and finite(x) else repr(x)


def number(x: Any, key: str, probs, bounds: Bounds = Bounds(), *, unit: str = "", what: str = "value",
           factor: float = 1.0) -> float | None:
    """``x × factor`` as a float when it is a finite number within ``bounds`` (canonical units); else record why.

    Examples
    --------
    >>> from jdmodel.params.loader import Problems
    >>> p = Problems("f.toml")
    >>> number(True, "a.b", p), number(float("inf"), "a.c", p), number(-1, "a.d", p, Bounds(0, 1))
    (None, None, None)
    >>> print("\\n".join(p.items))
    f.toml: a.b: value True: expected a number
    f.toml: a.c: value inf is not finite (expected a number)
    f.toml: a.d: value -1 must be non-negative (bounds: ≥ 0 and ≤ 1)
    """
    if not is_number(x):
        probs.add(key, f"{what} {x!r}: expected a number" + (f" ({bounds.text(unit)})" if bounds.min is not None
                                                              or bounds.max is not None else ""))
        return None
    if not finite(x):
        shown = f"an integer of {len(str(abs(x)))} digits" if isinstance(x, int) else fmt(x)
        probs.add(key, f"{what} {shown} is not finite (expected a number)")
        return None
    value = float(x) * factor
    bad = bounds.violation(value)
    if bad is not None:
        shown = f"{x:g}" + (f" (= {value:g} {unit})" if factor != 1.0 else (f" {unit}" if unit and unit != "1" else ""))
        probs.add(key, f"{what} {shown} must be {bad} (bounds: {bounds.text(unit)})")
        return None
    return value


def text(x: Any, key: str, probs, *, required: bool = False, what: str = "") -> str | None:
    """``x`` when it is text (non-blank when ``required``); else record why."""
    label = f"{what} " if what else ""
    if not isinstance(x, str):
        probs.add(key, f"{label}expected text, got {x!r}")
        return None
    if required and not x.strip():
        probs.add(key, f"{label}is empty (required)")
        return None
    return x


def year(x: Any, key: str, probs, years: Iterable[int] | None = None) -> int | None:
    """``x`` when it is a calendar year (of ``years`` when given); else record why."""
    allowed = tuple(years) if years is not None else None
    if isinstance(x, bool) or not isinstance(x, int):
        probs.add(key, f"{x!r}: expected a year (an integer)")
        return None
    if allowed is not None and x not in allowed:
        probs.add(key, f"{x} is outside the plan's years {allowed[0]}–{allowed[-1]}")
        return None
    if not YEARS[0] <= x <= YEARS[1]:
        probs.add(key, f"{x}: expected a calendar year {YEARS[0]}–{YEARS[1]}")
        return None
    return x


def text_list(x: Any, key: str, probs, *, choices: Iterable[str] | None = None) -> list[str] | None:
    """``x`` when it is a list of text (each one of ``choices`` when given); else record why."""
    if not (isinstance(x, list) and all(isinstance(v, str) for v in x)):
        probs.add(key, f"expected a list of text, got {x!r}")
        return None
    if choices is not None:
        allowed = tuple(choices)
        bad = [v for v in x if v not in allowed]
        if bad:
            probs.add(key, f"{bad}: expected some of {', '.join(allowed)}")
            return None
    return x


def choice(x: Any, key: str, probs, choices: Iterable[str]) -> str | None:
    """``x`` when it is one of ``choices`` (never raises on an unhashable value)."""
    allowed = tuple(choices)
    if not isinstance(x, str) or x not in allowed:
        probs.add(key, f"{x!r}: expected one of {', '.join(repr(c) for c in allowed)}")
        return None
    return x


def fields(table: Any, key: str, probs, *, allowed: Iterable[str], required: Iterable[str] = ()) -> bool:
    """True when ``table`` is a table; report its unknown fields (with a suggestion) and missing ones.

    Examples
    --------
    >>> from jdmodel.params.loader import Problems
    >>> p = Problems("f.toml")
    >>> fields({"valeu": 1}, "x", p, allowed=("value", "unit"), required=("value",))
    True
    >>> print("\\n".join(p.items))
    f.toml: x.valeu: unknown field (did you mean 'value'?; expected some of value, unit)
    f.toml: x.value: missing (required)
    """
    allowed = tuple(allowed)
    if not isinstance(table, Mapping):
        probs.add(key, f"expected a table with {', '.join(required) or ', '.join(allowed)}, got {table!r}")
        return False
    for name in table:
        if name not in allowed:
            close = difflib.get_close_matches(str(name), allowed, n=1)
            hint = f"did you mean {close[0]!r}?; " if close else ""
            probs.add(f"{key}.{name}" if key else str(name),
                      f"unknown field ({hint}expected some of {', '.join(allowed)})")
    for f in required:
        if f not in table:
            probs.add(f"{key}.{f}" if key else f, "missing (required)")
    return True


def unit_factor(unit: Any, dimension: str, key: str, probs) -> float | None:
    """Factor from ``unit`` to the canonical unit of ``dimension``; else record why."""
    factor = conversion_factor(unit, dimension) if isinstance(unit, str) else None
    if factor is None:
        probs.add(key, f"unit {unit!r} is not a unit of {dimension.replace('_', ' ')} "
                       f"(expected one of {', '.join(accepted_units(dimension))})")
    return factor


def dimension_of(unit: Any) -> str | None:
    """The dimension whose accepted units include ``unit`` (the first one, for a unit two share)."""
    if not isinstance(unit, str):
        return None
    return next((d for d, (_, table) in DIMENSIONS.items() if unit.strip() in table), None)


def ceiling(dimension: str) -> Bounds:
    """Positive up to the dimension's :data:`CEILING`."""
    return Bounds(0.0, CEILING.get(dimension, 1e7), open_min=True)


QUANTITY_FIELDS = ("value", "unit", "low", "high", "source", "note")


def quantity(table: Any, key: str, probs, bounds: Bounds, *, dimension: str | None = None, factor_of=None,
             unit_text: str = "", canon: str = "", ranged: bool = True) -> tuple[float, float | None, float | None] | None:
    """A ``{ value, unit, low, high, source }`` table in canonical units: ``(value, low, high)``; else record why.

    ``value``, ``low`` and ``high`` must be finite numbers within ``bounds`` (canonical units) with
    ``low ≤ value ≤ high``; ``source`` non-empty text. The unit converts by ``dimension`` (or by the
    function ``factor_of(unit) -> factor | None``, to the unit ``canon``, with ``unit_text`` saying which
    units are expected); ``ranged`` requires ``low`` and ``high``.
    """
    need = ("value", "unit", "source") + (("low", "high") if ranged else ())
    if not fields(table, key, probs, allowed=QUANTITY_FIELDS, required=need):
        return None
    if any(f not in table for f in need):
        return None
    if factor_of is not None:
        factor = factor_of(table["unit"]) if isinstance(table["unit"], str) else None
        if factor is None:
            probs.add(key, f"unit {table['unit']!r} is not a unit of this quantity (expected e.g. {unit_text})")
    else:
        factor = unit_factor(table["unit"], dimension, key, probs)
    text(table["source"], f"{key}.source", probs, required=True)
    if "note" in table:
        text(table["note"], f"{key}.note", probs)
    if factor is None:
        return None
    canon = canon if factor_of is not None else canonical_unit(dimension)
    got = {f: number(table[f], key, probs, bounds, unit=canon, what=f, factor=factor)
           for f in ("value", "low", "high") if f in table}
    if any(v is None for v in got.values()):
        return None
    value, low, high = got["value"], got.get("low"), got.get("high")
    if low is not None and high is not None and not low <= value <= high:
        probs.add(key, f"value {fmt(table['value'])} lies outside its range [{fmt(table['low'])}, "
                       f"{fmt(table['high'])}] (expected low ≤ value ≤ high)")
        return None
    return value, low, high
