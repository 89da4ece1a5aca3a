"""Published observations of a plan's region (``observed.toml`` in the plan folder).

Each observation has an indicator, a period (a full year ``"2022"`` or part of one:
``"2021-01..10"`` for January–October, ``"2021-H1"`` for January–June), a value with
its unit, a class (``OS`` official statistics, ``OG`` government document, ``NR`` news
report, ``SE`` secondary) and a source. A missing value is absent from the file, never
zero; a partial year is never compared with a full-year model value without a stated
conversion (see the ex-post functions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jdmodel.params import rules
from jdmodel.params.loader import Problems, read_toml
from jdmodel.params.units import canonical_unit, conversion_factor

CLASSES = {
    "OS": "official statistics (district statistics bureau)",
    "OG": "government document (work report, plan-execution report, reply to a deputy)",
    "NR": "news report",
    "SE": "secondary (encyclopaedia, mirror site)",
}
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<m0>\d{2})\.\.(?P<m1>\d{2})|H(?P<half>[12])))?$")
_REQUIRED = ("id", "indicator", "period", "value", "unit", "class", "source")


@dataclass(frozen=True)
class Period:
    """A calendar year or a run of months within it."""

    year: int
    first_month: int = 1
    last_month: int = 12

    @property
    def full_year(self) -> bool:
        return self.first_month == 1 and self.last_month == 12

    def __str__(self) -> str:
        if self.full_year:
            return str(self.year)
        return f"{self.year}-{self.first_month:02d}..{self.last_month:02d}"


def parse_period(text: str) -> Period | None:
    """Parse ``"2022"``, ``"2021-01..10"`` or ``"2021-H1"``; return None when malformed."""
    m = _PERIOD.match(str(text).strip())
    if not m:
        return None
    year = int(m["year"])
    if m["half"]:
        return Period(year, 1, 6) if m["half"] == "1" else Period(year, 7, 12)
    if m["m0"]:
        m0, m1 = int(m["m0"]), int(m["m1"])
        if not 1 <= m0 <= m1 <= 12:
            return None
        return Period(year, m0, m1)
    return Period(year)


@dataclass(frozen=True)
class Observation:
    """One published number, in canonical units."""

    id: str
    indicator: str
    period: Period
    value: float
    unit: str
    cls: str
    source: dict
    growth: float | None = None
    quote: str = ""
    note: str = ""
    bound: str | None = None

    @property
    def year(self) -> int:
        return self.period.year


def load_observed(name_or_path: str | Path | None = None) -> tuple[Observation, ...]:
    """Load and validate observations: a plan's (by plan name or folder; the default plan when None) or a file.

    Examples
    --------
    >>> obs = load_observed("jiading")
    >>> sorted({o.cls for o in obs}) == ["NR", "OG", "OS", "SE"]
    True
    """
    from jdmodel.params.plan import load_plan

    if name_or_path is not None and str(name_or_path).endswith(".toml"):
        return load_observations_file(Path(name_or_path))
    return load_plan(name_or_path).observations


def load_observations_file(path: str | Path) -> tuple[Observation, ...]:
    """Load and validate one observations file (``[[observation]]`` tables)."""
    return _load(str(Path(path).resolve()))


@cache
def _load(path: str) -> tuple[Observation, ...]:
    data = read_toml(Path(path))
    probs = Problems(path)
    out = []
    seen = set()
    items = data.get("observation", [])
    rules.fields(data, "", probs, allowed=("observation",))
    if not isinstance(items, list):
        probs.add("observation", f"expected [[observation]] tables, got {items!r}")
        items = []
    for i, item in enumerate(items):
        where = f"observation[{i}]"
        obs = _parse(item, where, probs)
        if obs is not None:
            if obs.id in seen:
                probs.add(where, f"duplicate id {obs.id!r}")
            seen.add(obs.id)
            out.append(obs)
    probs.raise_if_any(f"{path}: invalid observations file")
    return tuple(out)


_FIELDS = ("id", "indicator", "period", "value", "unit", "growth", "class", "source", "quote", "note", "bound")
_SOURCE_FIELDS = ("title", "publisher", "date", "url", "note")


def _parse(item, where: str, probs: Problems) -> Observation | None:
    if not rules.fields(item, where, probs, allowed=_FIELDS, required=_REQUIRED):
        return None
    if any(k not in item for k in _REQUIRED):
        return None
    ok = True
    for key in ("id", "indicator"):
        if not isinstance(item[key], str | int) or isinstance(item[key], bool) or item[key] == "":
            probs.add(f"{where}.{key}", f"{item[key]!r}: expected text")
            ok = False
    period = parse_period(item["period"]) if isinstance(item["period"], str | int) and not isinstance(
        item["period"], bool) else None
    if period is None:
        probs.add(f"{where}.period", f"{item['period']!r} not understood (expected 2022, 2021-01..10 or 2021-H1)")
    elif not rules.YEARS[0] <= period.year <= rules.YEARS[1]:
        probs.add(f"{where}.period", f"{item['period']!r}: year {period.year} outside {rules.YEARS[0]}–{rules.YEARS[1]}")
        period = None
    dim = rules.dimension_of(item["unit"])
    if dim is None:
        probs.add(f"{where}.unit", f"unknown unit {item['unit']!r}")
    value = None
    if dim is not None:
        factor = conversion_factor(item["unit"], dim)
        value = rules.number(item["value"], f"{where}.value", probs, rules.ceiling(dim), unit=canonical_unit(dim),
                             factor=factor)
        if value is None:
            probs.items[-1] += " (a published level; leave a missing value out, never write 0)"
    growth = item.get("growth")
    if growth is not None:
        growth = rules.number(growth, f"{where}.growth", probs, rules.Bounds(-1.0, 100.0, open_min=True),
                              what="growth (a fraction, 0.309 for +30.9 %)")
    cls = rules.choice(item["class"], f"{where}.class", probs, CLASSES)
    source = item["source"]
    if rules.fields(source, f"{where}.source", probs, allowed=_SOURCE_FIELDS, required=("title", "publisher", "date")):
        for k in _SOURCE_FIELDS:
            if k in source and rules.text(source[k], f"{where}.source.{k}", probs, required=k != "note") is None:
                ok = False
    else:
        ok = False
    for k in ("quote", "note"):
        if k in item and rules.text(item[k], f"{where}.{k}", probs) is None:
            ok = False
    bound = item.get("bound")
    if bound is not None and rules.choice(bound, f"{where}.bound", probs, ("lower", "upper")) is None:
        ok = False
    if not ok or period is None or value is None or cls is None or ("growth" in item and growth is None):
        return None
    return Observation(
        id=str(item["id"]), indicator=str(item["indicator"]), period=period, value=value,
        unit=canonical_unit(dim), cls=cls, source=dict(source), growth=growth, quote=str(item.get("quote", "")),
        note=str(item.get("note", "")), bound=bound,
    )
