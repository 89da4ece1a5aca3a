"""One value of a scenario file checked against the schema and converted to canonical units.

A leaf is a dotted key (``sectors.ecommerce.alpha``) and what a file gives it: a table
``{ value, unit, source, low, high, dist, … }`` or, in a file that ``extends`` another, a bare
number in the key's canonical unit. The rules (:mod:`jdmodel.params.rules`) apply to the value,
to ``low`` and ``high`` and to the support of a distribution: each must lie within the key's
bounds (:mod:`jdmodel.params.schema`). Rules that involve several keys are in
:mod:`jdmodel.params.crosscheck`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from jdmodel.params.loader import Param, Problems
from jdmodel.params.rules import Bounds, fmt, is_number, number
from jdmodel.params.schema import META_KEYS, Spec, concrete_keys, spec_for, unknown_name
from jdmodel.params.units import accepted_units, canonical_unit, conversion_factor

# keys of a value table that are quantities in the parameter's unit (converted with it)
_SCALED_KEYS = ("low", "high", "mode", "mean", "median", "sd")
_TABLE_KEYS = ("value", "unit", "source", "low", "high", "dist", "years", "mode", "mean", "median", "sd", "sigma",
               "lambda", "note", "informed_by")
_SWITCH_KEYS = ("value", "source", "note")
_KNOWN_DISTS = ("uniform", "triangular", "normal", "truncnorm", "lognormal", "pert")


def bounds_of(spec: Spec) -> Bounds:
    """The bounds of a key (canonical units)."""
    return Bounds(spec.min, spec.max, spec.open_min, spec.open_max)


def _suggest(key: str, plan) -> str:
    close = difflib.get_close_matches(key, concrete_keys(plan), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _canon(spec: Spec) -> str:
    if spec.dimension == "choice":
        return ""
    return "1" if spec.dimension == "bool" else canonical_unit(spec.dimension)


def _unknown_key(key: str, probs: Problems, plan) -> None:
    bad = unknown_name(key, plan)
    if bad is None:
        probs.add(key, f"unknown parameter{_suggest(key, plan)}")
        return
    from jdmodel.params.schema import _domains

    kind, name = bad
    ph = {"sector": "{sector}", "linked indicator": "{linked}", "within-year span": "{span}", "year": "{year}"}
    names = _domains(plan)[ph[kind]]
    probs.add(key, f"unknown {kind} {name!r} in plan {plan.id!r} (expected one of {', '.join(names) or 'none'})")


def parse_leaf(key: str, raw: Any, probs: Problems, *, origin: str, bare_ok: bool, plan) -> Param | None:
    """Validate one leaf of ``plan``'s schema and convert it to canonical units; record problems instead of raising."""
    if key in META_KEYS:
        return None
    spec, _sector = spec_for(key, plan)
    if spec is None:
        _unknown_key(key, probs, plan)
        return None
    if isinstance(raw, np.ndarray):        # from code: a numpy array is a list
        raw = raw.tolist()
    table = dict(raw) if isinstance(raw, Mapping) else {"value": raw}
    if isinstance(table.get("value"), np.ndarray):
        table["value"] = table["value"].tolist()
    if not isinstance(raw, Mapping) and not bare_ok:
        probs.add(key, f"a bare value {fmt(raw)} needs a table with value, unit and source in a base file "
                       f"(e.g. {{ value = {fmt(raw)}, unit = \"{_canon(spec)}\", source = \"...\" }})")
        return None
    switch = spec.dimension in ("bool", "choice")
    allowed = _SWITCH_KEYS if switch else _TABLE_KEYS
    extra = [k for k in table if k not in allowed]
    if extra:
        probs.add(key, f"unknown field(s) {sorted(map(str, extra))} (expected some of {', '.join(allowed)})")
    if "value" not in table:
        probs.add(key, "missing 'value'")
        return None
    if "note" in table and not isinstance(table["note"], str):
        probs.add(key, f"'note' must be text, got {table['note']!r}")
    source = table.get("source", f"set in {origin}") if isinstance(raw, Mapping) else f"override in {origin}"
    if not isinstance(source, str):
        probs.add(key, f"'source' must be text, got {source!r}")
        return None
    if switch:
        return _switch(key, table, spec, source, probs, origin)
    if "years" in table and spec.shape != "path":
        what = "one number" if spec.shape == "scalar" else "one number per sector"
        probs.add(key, f"'years' applies to a lever path only; {key} is {what}: remove 'years'")
        return None
    # a bare number (override files only) is in the canonical unit; a table always says its unit
    unit = table.get("unit") if isinstance(raw, Mapping) else _canon(spec)
    if unit is None:
        probs.add(key, f"missing 'unit' (expected {_canon(spec)})")
        return None
    factor = conversion_factor(unit, spec.dimension) if isinstance(unit, str) else None
    if factor is None:
        probs.add(key, f"unit {unit!r} is not a unit of {spec.dimension.replace('_', ' ')} "
                       f"(expected one of {', '.join(accepted_units(spec.dimension))})")
        return None
    if (isinstance(raw, Mapping) and "source" not in table) or not source.strip():
        probs.add(key, "missing 'source' (say where the number comes from, or 'assumption: ...')")
        return None
    value = _value_for_shape(key, table["value"], table, spec, probs, plan)
    if value is None:
        return None
    value = value * factor if isinstance(value, np.ndarray) else float(value) * factor
    labels = plan.years.levers if spec.shape == "path" else plan.sector_ids if spec.shape == "list" else ()
    ok = _check_bounds(key, value, spec, probs, _canon(spec), labels)
    scaled = {}
    for k in _SCALED_KEYS:
        if k in table:
            v = number(table[k], key, probs, what=f"'{k}'", factor=factor)
            ok = ok and v is not None
            if v is not None:
                scaled[k] = v
    bounds = bounds_of(spec)
    for k in ("low", "high"):
        if k in scaled and bounds.violation(scaled[k]) is not None:
            probs.add(key, f"'{k}' {fmt(table[k])} lies outside the bounds of this key "
                           f"({bounds.text(_canon(spec))})")
            ok = False
    low, high = scaled.get("low"), scaled.get("high")
    if low is not None and high is not None and low > high:
        probs.add(key, f"low > high (low={fmt(table['low'])}, high={fmt(table['high'])})")
        ok = False
    elif spec.shape == "scalar" and low is not None and high is not None and not (low <= value <= high):
        probs.add(key, f"value {fmt(table['value'])} lies outside its range [{fmt(table['low'])}, "
                       f"{fmt(table['high'])}]")
        ok = False
    if (spec.shape == "scalar" and source.strip().lower().startswith("assumption")
            and (low is None or high is None)):
        probs.add(key, "an assumption needs a range: give 'low' and 'high'")
        ok = False
    dist = _parse_dist(key, table, scaled, value, probs, spec if ok else None)
    informed = table.get("informed_by", [])
    if not (isinstance(informed, list) and all(isinstance(x, str) for x in informed)):
        probs.add(key, f"'informed_by' must list observation ids (strings), got {informed!r}")
        ok = False
    if not ok or dist is False:
        return None
    return Param(key, value, _canon(spec), source.strip(), low=low, high=high, dist=dist or None, origin=origin,
                 informed_by=tuple(informed))


def _switch(key: str, table: Mapping, spec: Spec, source: str, probs: Problems, origin: str) -> Param | None:
    """A true/false switch or a choice among names."""
    value = table["value"]
    if spec.dimension == "bool":
        if not isinstance(value, bool):
            probs.add(key, f"expected true or false, got {value!r}")
            return None
        return Param(key, value, "1", source, origin=origin)
    if not isinstance(value, str) or value not in spec.choices:
        probs.add(key, f"expected one of {', '.join(repr(c) for c in spec.choices)}, got {value!r}")
        return None
    return Param(key, value, "", source, origin=origin)


def _path_value(raw: Any, table: Mapping[str, Any], key: str, probs: Problems,
                lever_years: tuple[int, ...]) -> np.ndarray | None:
    """A per-year lever path over the lever years from a scalar or a list (with optional ``years = [first, last]``)."""
    if is_number(raw):
        return np.full(len(lever_years), float(raw))
    if not (isinstance(raw, list) and raw and all(is_number(v) for v in raw)):
        probs.add(key, f"expected a number or a list of numbers per year {lever_years[0]}–{lever_years[-1]}, "
                       f"got {raw!r}")
        return None
    if "years" not in table and len(raw) != len(lever_years):
        probs.add(key, f"{len(raw)} values given: a path needs one per year {lever_years[0]}–{lever_years[-1]} "
                       f"({len(lever_years)} values), a single number, or 'years = [first, last]' for a shorter span")
        return None
    years = table.get("years", [lever_years[0], lever_years[-1]])
    if not (isinstance(years, list) and len(years) == 2
            and all(isinstance(y, int) and not isinstance(y, bool) for y in years)):
        probs.add(key, f"'years' must be [first, last] (two years), got {years!r}")
        return None
    first, last = years
    if first < lever_years[0] or last > lever_years[-1] or last < first:
        probs.add(key, f"years {first}–{last} out of range: lever paths cover {lever_years[0]}–{lever_years[-1]} "
                       "(the year after the plan's base year to its horizon)")
        return None
    if last - first + 1 != len(raw):
        probs.add(key, f"{len(raw)} values given for the {last - first + 1} years {first}–{last}")
        return None
    # years outside the given span hold the nearest given value (documented in docs/parameters.md)
    span = np.asarray(raw, dtype=float)
    idx = np.clip(np.asarray(lever_years) - first, 0, len(span) - 1)
    return span[idx]


def _value_for_shape(key: str, raw: Any, table: Mapping, spec: Spec, probs: Problems, plan):
    if spec.shape == "path":
        return _path_value(raw, table, key, probs, plan.years.levers)
    if spec.shape == "list":
        sectors = plan.sector_ids
        if isinstance(raw, list) and len(raw) == len(sectors) and all(is_number(v) for v in raw):
            return np.asarray(raw, dtype=float)
        probs.add(key, f"expected a list of {len(sectors)} numbers, one per sector ({', '.join(sectors)}), "
                       f"got {raw!r}")
        return None
    if not is_number(raw):
        probs.add(key, f"expected a number, got {raw!r}")
        return None
    return raw


def _check_bounds(key: str, value, spec: Spec, probs: Problems, unit: str, labels: tuple = ()) -> bool:
    """Finite and within the key's bounds, every element of a path (``labels``: its years) or list (its sectors)."""
    with np.errstate(over="ignore", invalid="ignore"):
        arr = np.atleast_1d(np.asarray(value, dtype=float))
    bounds = bounds_of(spec)
    shown_unit = f" {unit}" if unit and unit != "1" else ""
    for i, x in enumerate(arr):
        where = f" ({labels[i]})" if isinstance(value, np.ndarray) and len(labels) == len(arr) and \
            not np.all(arr == arr[0]) else ""
        if not math.isfinite(x):
            probs.add(key, f"value {fmt(float(x))}{where} is not finite")
            return False
        bad = bounds.violation(float(x))
        if bad is not None:
            probs.add(key, f"value {x:g}{shown_unit}{where} must be {bad} (bounds of this key: "
                           f"{bounds.text(unit)}; docs/parameters.md)")
            return False
    return True


def support(dist: Mapping[str, Any]) -> tuple[float, float]:
    """The smallest interval holding every value a distribution table can give (canonical units).

    A normal or lognormal with ``low`` and ``high`` is truncated to them; without, a normal's
    support is the whole line and a lognormal's the positive half-line.

    Examples
    --------
    >>> support({"dist": "normal", "value": 1.0, "sd": 0.1})
    (-inf, inf)
    >>> support({"dist": "lognormal", "value": 1.0, "sigma": 0.1, "low": 0.5, "high": 2.0})
    (0.5, 2.0)
    """
    name, lo, hi = dist["dist"], dist.get("low"), dist.get("high")
    if name == "normal":
        return (-math.inf if lo is None else lo), (math.inf if hi is None else hi)
    if name == "lognormal":
        return (0.0 if lo is None else lo), (math.inf if hi is None else hi)
    return lo, hi


def _parse_dist(key: str, table: Mapping, scaled: Mapping, value, probs: Problems, spec: Spec | None):
    """Return the distribution table in canonical units, None when there is none, False on error.

    ``spec`` (None when the value itself was refused) bounds the distribution's support.
    """
    name = table.get("dist")
    if name is None:
        return None
    if not isinstance(name, str) or name not in _KNOWN_DISTS:
        probs.add(key, f"unknown distribution {name!r} (expected one of {', '.join(sorted(_KNOWN_DISTS))})")
        return False
    if not isinstance(value, float):
        probs.add(key, "a distribution can only be given for a single number, not a path or a list")
        return False
    dist = {"dist": name, "value": value, **scaled}
    for shape in ("sigma", "lambda"):  # shape parameters: no unit, not converted
        if shape in table:
            dist[shape] = table[shape]
    from jdmodel.uncertainty.distributions import validate_dist

    before = len(probs.items)
    for line in validate_dist(dist, key):
        probs.items.append(f"{probs.where}: {line}")
    if len(probs.items) > before:
        return False
    if spec is not None:
        bounds = bounds_of(spec)
        lo, hi = support(dist)
        if not bounds.within(lo, hi):
            side = "below" if bounds.violation(lo) is not None else "above"
            edge = spec.min if side == "below" else spec.max
            canon = _canon(spec)
            fix = ("give 'low' and 'high' within them: the distribution is then truncated to [low, high]"
                   if name in ("normal", "lognormal") else "keep 'low' and 'high' within them")
            probs.add(key, f"{name} puts probability {side} {edge:g}, outside the bounds of this key "
                           f"({bounds.text(canon)}); {fix}")
            return False
    return dist
