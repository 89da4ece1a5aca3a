"""A plan's input–output files, ``io/region.toml`` and ``io/concordance.csv``, checked by the same rules.

``region.toml`` holds tables ``{ value, unit, source, low, high }`` (text values have no unit) under
the keys of :data:`REGION`, where ``{code}`` is a sector code of the national table it names and
``{name}`` any published aggregate. Numbers are converted to canonical units (亿元 for money).
Beyond each key's bounds: the primary and secondary shares leave a tertiary industry; the shares
of industry sectors sum to at most 1; every code is a code of the table, of the right group
(industry for ``industry_share`` and ``absent_sectors``, services for the trade sector,
``service_specialisation`` and ``services_revenue_sectors``); the trade margin is given when the
trade sector is sized from merchandise sales.

``concordance.csv`` has the columns ``focus_sector, io_code, share, low, high, unit, source``
(``unit`` optional, "1"); lines starting with ``#`` are comments. Each line: a sector of the plan,
a code of the table, ``0 ≤ low ≤ share ≤ high ≤ 1`` with ``share > 0``, a source; a (sector, code)
pair once; each sector's shares sum to 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jdmodel.errors import ParameterError
from jdmodel.params import rules
from jdmodel.params.loader import Problems, read_toml
from jdmodel.params.rules import Bounds
from jdmodel.params.units import canonical_unit, conversion_factor


@dataclass(frozen=True)
class Entry:
    """What one key of ``region.toml`` holds: a number (of a dimension, within bounds), text, a code or codes."""

    kind: str                     # "number", "text", "choice", "table", "code", "codes"
    description: str
    dimension: str = "ratio"
    bounds: Bounds = Bounds()
    required: bool = False
    choices: tuple[str, ...] = ()
    group: str = ""               # the table's group a code must belong to ("industry", "services")


_MONEY = Bounds(0.0, 1e6, open_min=True)
_COVERAGE = Bounds(0.5, 5.0)
REGION: dict[str, Entry] = {
    "regionalisation.table": Entry("table", "The national table regionalised (a folder of parameters/io/)"),
    "regionalisation.method": Entry("choice", "Location-quotient method", required=True,
                                    choices=("slq", "cilq", "flq", "aflq")),
    "regionalisation.delta": Entry("number", "Flegg's δ (FLQ, AFLQ)", "ratio", Bounds(0.0, 1.0, open_max=True),
                                   required=True),
    "regionalisation.size_measure": Entry("text", "What the location quotients are computed on"),
    "published.gdp": Entry("number", "The region's value added (GDP) in the base year", "money", _MONEY, True),
    "published.industrial_output": Entry("number", "Gross output of industry above designated size", "money", _MONEY,
                                         True),
    "published.{name}": Entry("number", "Another published aggregate (merchandise_sales, services_revenue, …)",
                              "money", _MONEY),
    "assumptions.secondary_share": Entry("number", "Share of the secondary industry in value added", "ratio",
                                         Bounds(0.0, 1.0), True),
    "assumptions.primary_share": Entry("number", "Share of the primary industry in value added", "ratio",
                                       Bounds(0.0, 1.0), True),
    "assumptions.industrial_coverage": Entry("number", "Industrial gross output per unit of that above designated "
                                             "size", "ratio", _COVERAGE, True),
    "assumptions.trade_sector": Entry("code", "The trade sector sized from merchandise sales", group="services"),
    "assumptions.trade_margin": Entry("number", "Gross margin per unit of merchandise sales", "ratio",
                                      Bounds(0.0, 1.0, open_min=True)),
    "assumptions.services_revenue_sectors": Entry("codes", "Services sized by their published revenue",
                                                  group="services"),
    "assumptions.services_revenue_coverage": Entry("number", "Gross output of those services per unit of revenue "
                                                   "above designated size", "ratio", _COVERAGE),
    "assumptions.absent_sectors": Entry("codes", "Industry sectors absent from the region", group="industry"),
    "assumptions.industry_share.{code}": Entry("number", "Share of industrial gross output of one industry sector",
                                               "ratio", Bounds(0.0, 1.0), group="industry"),
    "assumptions.service_specialisation.{code}": Entry("number", "Weight of one service relative to the national "
                                                       "mix", "ratio", Bounds(0.0, 100.0, open_min=True),
                                                       group="services"),
}
_ENTRY_FIELDS = ("value", "unit", "source", "low", "high", "note")


def _entries(tree: Any, prefix: str, probs: Problems) -> dict[str, dict]:
    """Flatten nested tables to dotted keys; a leaf is a table with a ``value``."""
    out: dict[str, dict] = {}
    for key, val in tree.items():
        if isinstance(val, dict) and "value" in val:
            out[prefix + key] = val
        elif isinstance(val, dict):
            out.update(_entries(val, prefix + key + ".", probs))
        else:
            probs.add(prefix + key, f"expected a table {{ value, unit, source }}, got {val!r}")
    return out


def _entry_for(key: str) -> tuple[Entry | None, str | None]:
    """The entry of ``key`` and the sector code its ``{code}`` placeholder stands for (None for others)."""
    if key in REGION:
        return REGION[key], None
    head, _, last = key.rpartition(".")
    if f"{head}.{{code}}" in REGION:
        return REGION[f"{head}.{{code}}"], last
    return REGION.get(f"{head}.{{name}}"), None


def read_region(path: Path) -> dict[str, dict[str, Any]]:
    """Read and check ``region.toml``: dotted key → ``{value, unit, source, low, high}`` in canonical units.

    Raises
    ------
    ParameterError
        Listing every problem of the file.
    """
    probs = Problems(str(path))
    entries = _entries(read_toml(path), "", probs)
    out: dict[str, dict[str, Any]] = {}
    for key, e in entries.items():
        entry, _ = _entry_for(key)
        if entry is None:
            import difflib

            close = difflib.get_close_matches(key, list(REGION), n=1)
            probs.add(key, "unknown key" + (f" (did you mean {close[0]!r}?)" if close else "") + " of region.toml")
            continue
        got = _region_value(key, e, entry, probs)
        if got is not None:
            out[key] = got
    for key, entry in REGION.items():
        if entry.required and key not in entries:
            probs.add(key, f"missing (required: {entry.description})")
    probs.raise_if_any("invalid regional inputs")
    _cross(out, probs)
    probs.raise_if_any("invalid regional inputs")
    return out


#: Short names :func:`jdmodel.inputoutput.load_regional` accepts for two keys of ``region.toml``.
SHORT_NAMES = {"method": "regionalisation.method", "delta": "regionalisation.delta"}
#: The published aggregates the regional size vector reads (other ``published.*`` keys are informational).
_READ_PUBLISHED = ("published.gdp", "published.industrial_output", "published.merchandise_sales",
                   "published.services_revenue")


def check_overrides(overrides: Mapping[str, Any], inputs: Mapping[str, dict[str, Any]],
                    where: str, also: tuple[str, ...] = (), probs: Problems | None = None) -> dict[str, Any]:
    """Overrides of ``region.toml`` keys checked by the rules the file's values go through: key → canonical value.

    A bare value is in the key's canonical unit (亿元 for money, 1 for ratios) and needs no source or
    range; a table ``{ value, unit, source, low, high }`` is read exactly as in the file. Each value
    must be of the key's kind (a number, one of the choices, text, a list of codes) and within the
    key's bounds (:data:`REGION`); the rules between keys (:func:`_cross`) then hold for the file's
    values with the overrides in place. A key must be a key of :data:`REGION` (``method`` and
    ``delta`` stand for ``regionalisation.method`` and ``regionalisation.delta``); a ``published.*``
    key the file lacks and the size vector does not read would change nothing and is refused as unknown.

    Parameters
    ----------
    overrides : mapping
        Dotted key (or short name) → bare value or table.
    inputs : mapping
        The file's entries (:func:`read_region`).
    where : str
        What the messages name as the place of the problem.
    also : tuple of str
        Other names the caller accepts (said in the message on an unknown key).
    probs : Problems, optional
        Problems the caller found already, reported with these (its place replaces ``where``).

    Raises
    ------
    ParameterError
        Listing every problem, each naming the key, the value and what was expected.

    Examples
    --------
    >>> from jdmodel.inputoutput.data import regional_inputs
    >>> check_overrides({"delta": 0.15}, regional_inputs(), "settings")
    {'regionalisation.delta': 0.15}
    >>> check_overrides({"delta": 1.5}, regional_inputs(), "settings")
    Traceback (most recent call last):
    ...
    jdmodel.errors.ParameterError: invalid settings
      - settings: delta: value 1.5 must be < 1 (bounds: ≥ 0 and < 1)
    """
    probs = probs if probs is not None else Problems(where)
    out: dict[str, Any] = {}
    named: dict[str, str] = {}
    for name, raw in overrides.items():
        key = SHORT_NAMES.get(name, name)
        entry, _ = _entry_for(key) if isinstance(key, str) else (None, None)
        if entry is not None and key.startswith("published.") and key not in REGION and key not in inputs \
                and key not in _READ_PUBLISHED:
            entry = None
        if entry is None:
            import difflib

            known = [*SHORT_NAMES, *also, *inputs, *(k for k in REGION if "{" not in k), *_READ_PUBLISHED]
            close = difflib.get_close_matches(str(name), known, n=1)
            probs.add(str(name), "unknown key" + (f" (did you mean {close[0]!r}?)" if close else "")
                      + f"; expected {', '.join(map(repr, (*SHORT_NAMES, *also)))} or a key of region.toml: "
                      + ", ".join(k for k in REGION if k != "published.{name}") + " or another published.* "
                      "key of the file")
            continue
        if key in named:
            probs.add(str(name), f"given twice, as {named[key]!r} and as {name!r}: give one")
            continue
        named[key] = name
        if isinstance(raw, Mapping):
            table = dict(raw)
        else:
            table = {"value": list(raw) if isinstance(raw, tuple) else raw, "source": "override"}
            if entry.kind == "number":
                table["unit"] = canonical_unit(entry.dimension)
        got = _region_value(str(name), table, entry, probs)
        if got is not None:
            out[key] = got["value"]
    probs.raise_if_any("invalid settings")
    _cross({**inputs, **{k: {"value": v} for k, v in out.items()}}, probs)
    probs.raise_if_any("invalid settings")
    return out


def _region_value(key: str, e: dict, entry: Entry, probs: Problems) -> dict[str, Any] | None:
    allowed = _ENTRY_FIELDS if entry.kind == "number" else ("value", "source", "note")
    if not rules.fields(e, key, probs, allowed=allowed, required=("value", "source")) or "source" not in e:
        return None
    source = rules.text(e["source"], f"{key}.source", probs, required=True)
    value = e["value"]
    if entry.kind == "number":
        if "unit" not in e:
            probs.add(key, f"number {rules.fmt(value)} has no 'unit' (expected {canonical_unit(entry.dimension)})")
            return None
        factor = rules.unit_factor(e["unit"], entry.dimension, key, probs)
        if factor is None:
            return None
        canon = canonical_unit(entry.dimension)
        got = {f: rules.number(e[f], key, probs, entry.bounds, unit=canon, what=f, factor=factor)
               for f in ("value", "low", "high") if f in e}
        if any(v is None for v in got.values()) or source is None:
            return None
        low, high = got.get("low"), got.get("high")
        if source.lower().startswith("assumption") and (low is None or high is None):
            probs.add(key, "an assumption needs a range: give 'low' and 'high'")
            return None
        if low is not None and high is not None and not low <= got["value"] <= high:
            probs.add(key, f"value {rules.fmt(value)} lies outside its range [{rules.fmt(e['low'])}, "
                           f"{rules.fmt(e['high'])}]")
            return None
        return {"value": got["value"], "unit": canon, "source": source, "low": low, "high": high}
    if entry.kind == "codes":
        value = rules.text_list(value, key, probs)
    elif entry.kind == "choice":
        value = rules.choice(value, key, probs, entry.choices)
    else:
        value = rules.text(value, key, probs, required=True)
    return None if value is None or source is None else {"value": value, "source": source}


def _cross(out: dict[str, dict], probs: Problems) -> None:
    """Rules between keys, and codes against the national table the file names."""
    from jdmodel.inputoutput.data import DEFAULT_TABLE, load_national, national_groups

    val = {k: v["value"] for k, v in out.items()}
    table = val.get("regionalisation.table", DEFAULT_TABLE)
    try:
        codes, groups = load_national(table).codes, national_groups(table)
    except ParameterError as err:
        probs.add("regionalisation.table", str(err))
        return
    for key, v in val.items():
        entry, code = _entry_for(key)
        named = [code] if code is not None else [v] if entry.kind == "code" else v if entry.kind == "codes" else []
        allowed = groups.get(entry.group, ()) if entry.group else codes
        bad = [c for c in named if c not in allowed]
        if bad:
            what = f"{entry.group} sector" if entry.group else "sector"
            probs.add(key, f"{bad}: not the code of a {what} of the national table {table!r} (expected some of "
                           f"{', '.join(allowed)})")
    if val.get("assumptions.primary_share", 0) + val.get("assumptions.secondary_share", 0) >= 1:
        probs.add("assumptions.secondary_share", "primary_share + secondary_share must stay below 1 (the tertiary "
                                                 "industry holds the rest of value added)")
    shares = {k: v for k, v in val.items() if k.startswith("assumptions.industry_share.")}
    if sum(shares.values()) > 1:
        probs.add("assumptions.industry_share", f"the industry shares sum to {sum(shares.values()):g}: at most 1")
    if "assumptions.trade_sector" in val and "published.merchandise_sales" in val \
            and "assumptions.trade_margin" not in val:
        probs.add("assumptions.trade_margin", "missing: the trade sector is sized from merchandise sales × this margin")


_COLUMNS = ("focus_sector", "io_code", "share", "low", "high", "unit", "source")
_REQUIRED_COLUMNS = ("focus_sector", "io_code", "share", "low", "high", "source")


def read_concordance(path: Path, sectors: tuple[str, ...], codes: tuple[str, ...]):
    """The concordance (S, n) from ``concordance.csv``; each sector's row sums to 1.

    Raises
    ------
    ParameterError
        Listing every problem of the file, each with its line and column.
    """
    import numpy as np

    from jdmodel.params.loader import _utf8_text

    if not path.is_file():
        raise ParameterError(f"{path}: no such file")
    text = _utf8_text(path, path.read_bytes())
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()
             and not line.lstrip().startswith("#")]
    probs = Problems(str(path))
    rows = list(csv.reader(io.StringIO("\n".join(line for _, line in lines))))
    if not rows:
        raise ParameterError(f"{path}: empty: expected the columns {', '.join(_COLUMNS)}")
    header = [h.strip() for h in rows[0]]
    for h in header:
        if h not in _COLUMNS:
            probs.add(f"line {lines[0][0]}", f"unknown column {h!r} (expected {', '.join(_COLUMNS)})")
    for h in _REQUIRED_COLUMNS:
        if h not in header:
            probs.add(f"line {lines[0][0]}", f"missing column {h!r}")
    probs.raise_if_any("invalid concordance")
    C = np.zeros((len(sectors), len(codes)))
    seen = set()
    for (n, _), row in zip(lines[1:], rows[1:], strict=True):
        rec = dict(zip(header, row, strict=False))
        if len(row) != len(header):
            probs.add(f"line {n}", f"{len(row)} fields, expected {len(header)} ({', '.join(header)})")
            continue
        got = _concordance_line(rec, f"line {n}", sectors, codes, probs)
        if got is None:
            continue
        s, c, share = got
        if (s, c) in seen:
            probs.add(f"line {n}", f"({s}, {c}) given twice")
        seen.add((s, c))
        C[sectors.index(s), codes.index(c)] += share
    for s, total in zip(sectors, C.sum(axis=1), strict=True):
        if abs(total - 1.0) > 1e-9:
            probs.add(s, f"shares sum to {total:.6g}; expected 1 (each of the plan's sectors maps onto IO sectors "
                         "whose shares sum to 1)")
    probs.raise_if_any("invalid concordance")
    return C


def _concordance_line(rec: dict, where: str, sectors, codes, probs: Problems):
    s, c = rec["focus_sector"].strip(), rec["io_code"].strip()
    ok = True
    if s not in sectors:
        probs.add(f"{where}.focus_sector", f"{s!r}: expected one of {', '.join(sectors)}")
        ok = False
    if c not in codes:
        probs.add(f"{where}.io_code", f"{c!r} is not a sector code of the table")
        ok = False
    nums = {}
    for f in ("share", "low", "high"):
        try:
            x = float(rec[f])
        except ValueError:
            probs.add(f"{where}.{f}", f"{rec[f]!r}: expected a number")
            ok = False
            continue
        bounds = Bounds(0.0, 1.0, open_min=f == "share")
        nums[f] = rules.number(x, f"{where}.{f}", probs, bounds, what=f)
        ok = ok and nums[f] is not None
    if ok and not nums["low"] <= nums["share"] <= nums["high"]:
        probs.add(f"{where}.share", f"{rec['share']} lies outside its range [{rec['low']}, {rec['high']}]")
        ok = False
    if "unit" in rec and rec["unit"].strip() not in ("1", "") and conversion_factor(rec["unit"], "ratio") != 1.0:
        probs.add(f"{where}.unit", f"{rec['unit']!r}: a share has unit 1")
        ok = False
    if not rec["source"].strip():
        probs.add(f"{where}.source", "empty: say where the share comes from, or 'assumption: ...'")
        ok = False
    return (s, c, nums["share"]) if ok else None
