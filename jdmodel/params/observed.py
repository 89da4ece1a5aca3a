"""Published observations of a plan's region (``observed.toml`` in the plan folder).

Each observation has an indicator, a period (a full year ``"2022"`` or part of one:
``"2021-01..10"`` for January–October, ``"2021-H1"`` for January–June), a value with
its unit, a class (``OS`` official statistics, ``OG`` government document, ``NR`` news
report, ``SE`` secondary) and a source. A missing value is absent from the file, never
zero; a partial year is never compared with a full-year model value without a stated
conversion (see the ex-post functions).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jdmodel.params.loader import Problems, read_toml
from jdmodel.params.units import UNIT_DIMENSION, canonical_unit, conversion_factor

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
    if not isinstance(items, list):
        probs.add("observation", "expected [[observation]] tables")
        items = []
    for i, item in enumerate(items):
        where = f"observation[{i}]" + (f" (id {item.get('id')})" if isinstance(item, dict) and "id" in item else "")
        obs = _parse(item, where, probs)
        if obs is not None:
            if obs.id in seen:
                probs.add(where, f"duplicate id {obs.id!r}")
            seen.add(obs.id)
            out.append(obs)
    probs.raise_if_any(f"{path}: invalid observations file")
    return tuple(out)


def _parse(item, where: str, probs: Problems) -> Observation | None:
    if not isinstance(item, dict):
        probs.add(where, "expected a table")
        return None
    missing = [k for k in _REQUIRED if k not in item]
    if missing:
        probs.add(where, f"missing {', '.join(missing)}")
        return None
    period = parse_period(item["period"])
    if period is None:
        probs.add(where, f"period {item['period']!r} not understood (expected 2022, 2021-01..10 or 2021-H1)")
    elif not 1950 <= period.year <= 2150:
        probs.add(where, f"period {item['period']!r}: year {period.year} outside 1950–2150")
        period = None
    value = item["value"]
    if not isinstance(value, int | float) or isinstance(value, bool) or not _finite(value):
        probs.add(where, f"value must be a finite number, got {value!r} (leave a missing value out; never write 0)")
        value = None
    elif value <= 0:
        probs.add(where, f"value {value!r} must be positive: a published level (leave a missing value out; never "
                         "write 0)")
        value = None
    for key in ("id", "indicator"):
        if not isinstance(item[key], str | int) or isinstance(item[key], bool):
            probs.add(where, f"{key} must be text, got {item[key]!r}")
            value = None
    dim = UNIT_DIMENSION.get(str(item["unit"]))
    if dim is None:
        probs.add(where, f"unknown unit {item['unit']!r}")
    if item["class"] not in CLASSES:
        probs.add(where, f"class {item['class']!r} unknown (expected one of {', '.join(CLASSES)})")
    source = item["source"]
    if not (isinstance(source, dict) and {"title", "publisher", "date"} <= set(source)):
        probs.add(where, "source must be a table with title, publisher and date (and url where there is one)")
    growth = item.get("growth")
    if growth is not None and (not isinstance(growth, int | float) or isinstance(growth, bool) or not _finite(growth)
                               or not -1.0 < growth < 100.0):
        probs.add(where, f"growth must be a number above −1 (a fraction, 0.309 for +30.9 %), got {growth!r}")
        growth = None
    bound = item.get("bound")
    if bound not in (None, "lower", "upper"):
        probs.add(where, f"bound must be 'lower' or 'upper', got {bound!r}")
    if period is None or value is None or dim is None or item["class"] not in CLASSES or not isinstance(source, dict):
        return None
    factor = conversion_factor(str(item["unit"]), dim)
    return Observation(
        id=str(item["id"]), indicator=str(item["indicator"]), period=period, value=float(value) * factor,
        unit=canonical_unit(dim), cls=item["class"], source=dict(source),
        growth=None if growth is None else float(growth), quote=str(item.get("quote", "")),
        note=str(item.get("note", "")), bound=bound,
    )


def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (OverflowError, TypeError, ValueError):
        return False
