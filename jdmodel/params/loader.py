"""Reading parameter files: TOML → flat dotted keys → validated :class:`Param` values.

Nothing read from a file is ever evaluated as code: TOML is parsed by :mod:`tomllib`
and every value is checked against :mod:`jdmodel.params.schema` before use.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jdmodel.errors import ParameterError
from jdmodel.params.schema import META_KEYS, Spec, concrete_keys, spec_for, unknown_name
from jdmodel.params.units import accepted_units, canonical_unit, conversion_factor

# keys of a value table that are quantities in the parameter's unit (converted with it)
_SCALED_KEYS = ("low", "high", "mode", "mean", "median", "sd")
_TABLE_KEYS = frozenset({"value", "unit", "low", "high", "dist", "source", "years", "mode", "mean", "median", "sd",
                         "sigma", "lambda", "note", "informed_by"})
_KNOWN_DISTS = frozenset({"uniform", "triangular", "normal", "truncnorm", "lognormal", "pert"})


@dataclass(frozen=True)
class Param:
    """One resolved parameter in canonical units.

    ``value`` is a float, a bool, a choice (str), or a float array (a path over the lever years,
    or a per-sector list). ``dist`` holds the distribution table (canonical units) when the
    parameter is uncertain; ``origin`` is the file (or ``"override"``) that set it;
    ``informed_by`` lists the observation ids whose figures were looked at to set it (a backtest
    treats a prior informed by a later figure as contaminated).
    """

    key: str
    value: Any
    unit: str
    source: str
    low: float | None = None
    high: float | None = None
    dist: Mapping[str, Any] | None = None
    origin: str = ""
    derived: bool = False
    informed_by: tuple[str, ...] = ()

    def as_record(self) -> dict[str, Any]:
        """A JSON-friendly record (used for the hash and for reports)."""
        value = self.value.tolist() if isinstance(self.value, np.ndarray) else self.value
        rec = {"key": self.key, "value": value, "unit": self.unit, "source": self.source}
        for name in ("low", "high"):
            if getattr(self, name) is not None:
                rec[name] = getattr(self, name)
        if self.dist:
            rec["dist"] = dict(self.dist)
        if self.informed_by:
            rec["informed_by"] = list(self.informed_by)
        return rec


@dataclass
class Problems:
    """Collects every problem found in a file so they are reported together."""

    where: str
    items: list[str] = field(default_factory=list)

    def add(self, key: str, message: str) -> None:
        self.items.append(f"{self.where}: {key}: {message}" if key else f"{self.where}: {message}")

    def raise_if_any(self, summary: str) -> None:
        if self.items:
            raise ParameterError(summary, self.items)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; whatever keeps it from being read becomes a :class:`ParameterError` naming the file.

    The file must be UTF-8 (a leading byte-order mark is accepted); a file in another encoding is
    refused with the encoding it most likely has (UTF-16 or UTF-32 by their byte-order marks, GBK
    when it decodes as GB18030), not read wrongly. Tables and arrays nested more than
    ``_MAX_DEPTH`` deep and integers beyond the range of a float are refused too, so the code that
    reads the tree never meets them.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ParameterError(f"{path}: no such parameter file") from None
    except IsADirectoryError:
        raise ParameterError(f"{path}: is a directory, not a parameter file") from None
    except OSError as err:
        raise ParameterError(f"{path}: cannot be read ({err.strerror or err})") from None
    text = _utf8_text(path, raw)
    try:
        tree = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ParameterError(f"{path}: not valid TOML ({err})") from None
    except RecursionError:
        raise ParameterError(f"{path}: not valid TOML (arrays or tables nested too deeply to read)") from None
    except ValueError as err:  # an integer of more than sys.get_int_max_str_digits() digits
        raise ParameterError(f"{path}: not valid TOML ({err})") from None
    _check_tree(path, tree)
    return tree


_MAX_DEPTH = 32          # tables and arrays inside each other; the schema needs four
_FLOAT_MAX = float(np.finfo(np.float64).max)


def _utf8_text(path: Path, raw: bytes) -> str:
    """The file's text as UTF-8 (BOM dropped), or a ParameterError naming the encoding it looks like."""
    import codecs

    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        text = raw.decode("utf-8")
        if text.count("\0") <= len(text) // 4:
            return text
        bad = "NUL bytes"
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        bad = f"byte 0x{raw[err.start]:02x} on line {line} is not UTF-8"
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        guess = "it is UTF-32 (it starts with a UTF-32 byte-order mark)"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        guess = "it is UTF-16 (it starts with a UTF-16 byte-order mark)"
    elif raw.count(0) > len(raw) // 4:
        guess = "it looks like UTF-16 without a byte-order mark (every other byte is zero)"
    else:
        try:
            raw.decode("gb18030")
            guess = f"{bad}; it looks like GBK/GB18030 (a Chinese Windows encoding)"
        except UnicodeDecodeError:
            guess = f"{bad}"
    raise ParameterError(f"{path}: not UTF-8 text: {guess}; save it as UTF-8 (in an editor: Save As, "
                         "encoding UTF-8)")


def _check_tree(path: Path, tree: dict[str, Any]) -> None:
    """Refuse nesting deeper than ``_MAX_DEPTH`` and integers no float can hold, naming their keys."""
    probs = Problems(str(path))
    stack: list[tuple[Any, str, int]] = [(tree, "", 1)]
    while stack:
        node, where, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise ParameterError(f"{path}: {where[:80]}…: tables or arrays nested more than {_MAX_DEPTH} deep")
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for name, item in items:
            key = f"{where}[{name}]" if isinstance(node, list) else f"{where}.{name}" if where else str(name)
            if isinstance(item, dict | list):
                stack.append((item, key, depth + 1))
            elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > _FLOAT_MAX:
                digits = int(item.bit_length() * 0.30103) + 1
                probs.add(key, f"an integer of about {digits} digits is too large for a number "
                               f"(at most about {_FLOAT_MAX:.1e})")
    probs.raise_if_any("invalid parameter file")


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested tables to dotted keys; a table with ``value`` (or ``dist``) is a leaf."""
    out: dict[str, Any] = {}
    for name, item in tree.items():
        key = f"{prefix}{name}"
        if isinstance(item, Mapping) and not ({"value", "dist"} & set(item)):
            out.update(flatten(item, key + "."))
        else:
            out[key] = item
    return out


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _suggest(key: str, plan) -> str:
    close = difflib.get_close_matches(key, concrete_keys(plan), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _path_value(raw: Any, table: Mapping[str, Any], key: str, probs: Problems,
                lever_years: tuple[int, ...]) -> np.ndarray | None:
    """A per-year lever path over the lever years from a scalar or a list (with optional ``years = [first, last]``)."""
    if _is_number(raw):
        return np.full(len(lever_years), float(raw))
    if not (isinstance(raw, list) and raw and all(_is_number(v) for v in raw)):
        probs.add(key, f"expected a number or a list of numbers per year {lever_years[0]}–{lever_years[-1]}, "
                       f"got {raw!r}")
        return None
    if "years" not in table and len(raw) != len(lever_years):
        probs.add(key, f"{len(raw)} values given: a path needs one per year {lever_years[0]}–{lever_years[-1]} "
                       f"({len(lever_years)} values), a single number, or 'years = [first, last]' for a shorter span")
        return None
    years = table.get("years", [lever_years[0], lever_years[-1]])
    if not (isinstance(years, list) and len(years) == 2 and all(isinstance(y, int) for y in years)):
        probs.add(key, f"'years' must be [first, last], got {years!r}")
        return None
    first, last = years
    if first < lever_years[0] or last > lever_years[-1] or last < first:
        probs.add(key, f"years {first}–{last} out of range: lever paths cover {lever_years[0]}–{lever_years[-1]}")
        return None
    if last - first + 1 != len(raw):
        probs.add(key, f"{len(raw)} values given for the {last - first + 1} years {first}–{last}")
        return None
    # years outside the given span hold the nearest given value (documented in docs/parameters.md)
    span = np.asarray(raw, dtype=float)
    idx = np.clip(np.asarray(lever_years) - first, 0, len(span) - 1)
    return span[idx]


def parse_leaf(key: str, raw: Any, probs: Problems, *, origin: str, bare_ok: bool, plan) -> Param | None:
    """Validate one leaf of ``plan``'s schema and convert it to canonical units; record problems instead of raising."""
    if key in META_KEYS:
        return None
    spec, _sector = spec_for(key, plan)
    if spec is None:
        bad = unknown_name(key, plan)
        if bad is not None:
            from jdmodel.params.schema import _domains

            kind, name = bad
            ph = {"sector": "{sector}", "linked indicator": "{linked}", "within-year span": "{span}", "year": "{year}"}
            names = _domains(plan)[ph[kind]]
            probs.add(key, f"unknown {kind} {name!r} in plan {plan.id!r} (expected one of {', '.join(names) or 'none'})")
        else:
            probs.add(key, f"unknown parameter{_suggest(key, plan)}")
        return None
    table = dict(raw) if isinstance(raw, Mapping) else {"value": raw}
    if not isinstance(raw, Mapping) and not bare_ok:
        probs.add(key, f"a bare value {raw!r} needs a table with value, unit and source in a base file "
                       f"(e.g. {{ value = {raw!r}, unit = \"{_canon(spec)}\", source = \"...\" }})")
        return None
    extra = set(table) - _TABLE_KEYS
    if extra:
        probs.add(key, f"unknown field(s) {sorted(extra)} (expected some of value, unit, low, high, dist, source)")
    if "value" not in table:
        probs.add(key, "missing 'value'")
        return None
    if spec.dimension == "bool":
        if not isinstance(table["value"], bool):
            probs.add(key, f"expected true or false, got {table['value']!r}")
            return None
        return Param(key, table["value"], "1", str(table.get("source", f"set in {origin}")), origin=origin)
    if spec.dimension == "choice":
        if table["value"] not in spec.choices:
            probs.add(key, f"expected one of {', '.join(repr(c) for c in spec.choices)}, got {table['value']!r}")
            return None
        return Param(key, table["value"], "", str(table.get("source", f"set in {origin}")), origin=origin)
    # a bare number (override files only) is in the canonical unit; a table always says its unit
    unit = table.get("unit") if isinstance(raw, Mapping) else _canon(spec)
    if unit is None:
        probs.add(key, f"missing 'unit' (expected {_canon(spec)})")
        return None
    factor = conversion_factor(str(unit), spec.dimension)
    if factor is None:
        probs.add(key, f"unit {unit!r} is not a unit of {spec.dimension.replace('_', ' ')} "
                       f"(expected one of {', '.join(accepted_units(spec.dimension))})")
        return None
    source = table.get("source") if isinstance(raw, Mapping) else f"override in {origin}"
    if not isinstance(source, str) or not source.strip():
        probs.add(key, "missing 'source' (say where the number comes from, or 'assumption: ...')")
        return None
    value = _value_for_shape(key, table["value"], table, spec, probs, plan)
    if value is None:
        return None
    value = value * factor if isinstance(value, np.ndarray) else float(value) * factor
    scaled = {k: float(table[k]) * factor for k in _SCALED_KEYS if _is_number(table.get(k))}
    for k in _SCALED_KEYS:
        if k in table and not _is_number(table[k]):
            probs.add(key, f"'{k}' must be a number, got {table[k]!r}")
    ok = _check_bounds(key, value, spec, probs, unit=_canon(spec))
    low, high = scaled.get("low"), scaled.get("high")
    if low is not None and high is not None and low > high:
        probs.add(key, f"low > high (low={table['low']}, high={table['high']})")
        ok = False
    elif spec.shape == "scalar" and low is not None and high is not None and not (low <= value <= high):
        probs.add(key, f"value {table['value']} lies outside its range [{table['low']}, {table['high']}]")
        ok = False
    if (spec.shape == "scalar" and source.strip().lower().startswith("assumption")
            and (low is None or high is None)):
        probs.add(key, "an assumption needs a range: give 'low' and 'high'")
        ok = False
    dist = _parse_dist(key, table, scaled, value, probs)
    informed = table.get("informed_by", [])
    if not (isinstance(informed, list) and all(isinstance(x, str) for x in informed)):
        probs.add(key, f"'informed_by' must list observation ids (strings), got {informed!r}")
        ok = False
    if not ok or dist is False:
        return None
    return Param(key, value, _canon(spec), source.strip(), low=low, high=high, dist=dist or None, origin=origin,
                 informed_by=tuple(informed))


def _canon(spec: Spec) -> str:
    if spec.dimension == "choice":
        return ""
    return "1" if spec.dimension == "bool" else canonical_unit(spec.dimension)


def _value_for_shape(key: str, raw: Any, table: Mapping, spec: Spec, probs: Problems, plan):
    if spec.shape == "path":
        return _path_value(raw, table, key, probs, plan.years.levers)
    if spec.shape == "list":
        sectors = plan.sector_ids
        if isinstance(raw, list) and len(raw) == len(sectors) and all(_is_number(v) for v in raw):
            return np.asarray(raw, dtype=float)
        probs.add(key, f"expected a list of {len(sectors)} numbers, one per sector ({', '.join(sectors)}), "
                       f"got {raw!r}")
        return None
    if not _is_number(raw):
        probs.add(key, f"expected a number, got {raw!r}")
        return None
    return raw


def _check_bounds(key: str, value, spec: Spec, probs: Problems, unit: str) -> bool:
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if not np.all(np.isfinite(arr)):
        probs.add(key, f"value {value!r} is not finite")
        return False
    if spec.min is not None:
        bad = arr <= spec.min if spec.open_min else arr < spec.min
        if np.any(bad):
            word = "positive" if spec.min == 0 and spec.open_min else f"≥ {spec.min}" if not spec.open_min else \
                f"> {spec.min}"
            if spec.min == 0 and not spec.open_min:
                word = "non-negative"
            probs.add(key, f"value {_fmt(value)} {unit} must be {word}")
            return False
    if spec.max is not None and np.any(arr > spec.max):
        probs.add(key, f"value {_fmt(value)} {unit} must be ≤ {spec.max}")
        return False
    return True


def _fmt(value) -> str:
    if isinstance(value, np.ndarray):
        return "[" + ", ".join(f"{v:g}" for v in value) + "]"
    return f"{value:g}"


def _parse_dist(key: str, table: Mapping, scaled: Mapping, value, probs: Problems):
    """Return the distribution table in canonical units, None when there is none, False on error."""
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
    for name in ("sigma", "lambda"):  # shape parameters: no unit, not converted
        if name in table:
            dist[name] = table[name]
    try:
        from jdmodel.uncertainty.distributions import validate_dist
    except ImportError:
        return dist
    before = len(probs.items)
    for line in validate_dist(dist, key):
        probs.items.append(f"{probs.where}: {line}")
    return False if len(probs.items) > before else dist


_PLAN_SCENARIO = re.compile(r"^([a-z][a-z0-9_]*)/([a-z][A-Za-z0-9_\-]*)$")


def resolve_reference(ref: str, relative_to: Path | None, plan, allowed: tuple[Path, ...] = ()) -> tuple[Path, Any]:
    """Resolve a scenario reference to ``(file, plan)`` without opening anything outside the allowed places.

    * ``name`` — a scenario of ``plan`` (``baseline`` is the plan's baseline file);
    * ``plan/name`` — a scenario of another shipped plan;
    * ``path.toml`` — a file, relative to ``relative_to`` (the referencing file's folder); it must lie
      under that folder, under the plan's folder, or under a folder of ``allowed``.

    Raises
    ------
    ParameterError
        For a path outside those folders (refused without opening it).
    """
    from jdmodel.params.plan import load_plan

    m = _PLAN_SCENARIO.match(ref)
    if m and not ref.endswith(".toml"):
        other = load_plan(m[1])
        return other.scenario_path(m[2]), other
    if ref.endswith(".toml") or "/" in ref or "\\" in ref:
        path = Path(ref)
        base = relative_to if relative_to is not None else Path.cwd()
        if not path.is_absolute():
            path = base / path
        path = Path(os.path.normpath(path.absolute()))
        roots = [Path(os.path.normpath(Path(r).absolute())) for r in (base, plan.folder, *allowed)]
        if not any(path == r or r in path.parents for r in roots):
            raise ParameterError(f"extends {ref!r}: refused — a parent file must be a scenario name or lie under "
                                 f"{base} (the file's own folder) or the plan's folder; name other folders "
                                 "explicitly (allow=...)")
        return path, plan
    return plan.scenario_path(ref), plan


def available_scenarios(plan=None) -> list[str]:
    """Names of a plan's scenarios (``baseline`` first); the default plan when none is given."""
    from jdmodel.params.plan import load_plan

    return load_plan(plan).scenarios()
