"""The market a plan's market sector sells into: ``[market]`` in plan.toml and its series file.

``market.toml`` (or the file ``[files] market`` names) holds one ``[series]`` table — ``id``, ``zh``,
``en``, ``unit`` (a unit of money), ``source`` — and its published levels as ``[[series.point]]``
tables: ``year``, ``value`` (positive, at most :data:`jdmodel.params.rules.CEILING` in the
series' unit), ``class`` (OS, OG, NR, SE), ``source`` and ``quote``. Every problem of the file is
reported together, naming the file and the key (``series.point[2].value``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jdmodel.errors import ParameterError
from jdmodel.params import rules

_CLASSES = ("OS", "OG", "NR", "SE")
_SERIES_FIELDS = ("id", "zh", "en", "unit", "source", "note", "point")
_POINT_FIELDS = ("year", "value", "class", "source", "quote", "note")


@dataclass(frozen=True)
class MarketPoint:
    """One published level of the market series."""

    year: int
    value: float
    cls: str
    source: str
    quote: str = ""


@dataclass(frozen=True)
class Market:
    """The market the plan's market sector sells into (the demand-side variant; ``[market]`` in plan.toml).

    ``points`` are published levels (``market.toml``); years between them are interpolated
    log-linearly, years after the last one grow at the scenario's ``market.growth``.
    """

    sector: str
    id: str
    zh: str
    en: str
    unit: str
    points: tuple[MarketPoint, ...]
    source: str

    def path(self, years, growth, known_until: int | None = None):
        """The market over ``years`` (array (len(years),), or (D, len(years)) for ``growth`` of shape (D,)).

        Levels of the published years ≤ ``known_until`` (all when None); between them log-linear
        interpolation; after the last, ``growth`` a year; before the first, the first interval's growth.

        Examples
        --------
        >>> m = Market("s", "m", "", "", "亿元", (MarketPoint(2020, 100.0, "OS", ""), MarketPoint(2022, 121.0, "OS", "")), "")
        >>> [round(float(v), 6) for v in m.path([2020, 2021, 2022, 2023], 0.05)]
        [100.0, 110.0, 121.0, 127.05]
        """
        import numpy as np

        pts = [p for p in self.points if known_until is None or p.year <= known_until]
        if not pts:
            raise ParameterError(f"market {self.id}: no published level up to {known_until}")
        py = np.array([p.year for p in pts], dtype=float)
        lv = np.log(np.array([p.value for p in pts], dtype=float))
        years = np.asarray(years, dtype=float)
        g = np.log1p(np.asarray(growth, dtype=float))[..., None]
        inside = np.interp(years, py, lv)
        first_slope = (lv[1] - lv[0]) / (py[1] - py[0]) if len(py) > 1 else 0.0
        before = lv[0] + first_slope * (years - py[0])
        after = lv[-1] + g * (years - py[-1])
        out = np.where(years > py[-1], after, np.where(years < py[0], before, inside))
        return np.exp(out)


def read_market(raw: Any, sectors: tuple[str, ...], folder: Path, files: dict, probs) -> Market | None:
    """The plan's market from its ``[market]`` table (``raw``) and series file; problems of plan.toml go to ``probs``.

    Raises
    ------
    ParameterError
        Listing every problem of the series file.
    """
    if raw is None:
        return None
    if not rules.fields(raw, "market", probs, allowed=("sector", "source", "note"), required=("sector",)):
        return None
    if not isinstance(raw.get("sector"), str) or raw.get("sector") not in sectors:
        probs.add("market.sector", f"{raw.get('sector')!r}: expected a sector of this plan ({', '.join(sectors)})")
        return None
    path = folder / files.get("market", "market.toml")
    if not path.is_file():
        probs.add("market", f"the demand-side variant needs its series file {path}")
        return None
    return load_series(path, raw["sector"])


def load_series(path: Path, sector: str = "") -> Market:
    """Read and validate a market series file (see the module docstring)."""
    from jdmodel.params.loader import Problems, read_toml

    data = read_toml(path)
    probs = Problems(str(path))
    for key in data:
        if key != "series":
            probs.add(key, "unknown field (a market file holds one [series] table with [[series.point]] entries)")
    series = data.get("series")
    if not rules.fields(series, "series", probs, allowed=_SERIES_FIELDS, required=("id", "unit", "point")):
        probs.raise_if_any("invalid market series file")
    for key in ("id", "zh", "en", "source", "note"):
        if key in series:
            rules.text(series[key], f"series.{key}", probs, required=key == "id")
    factor = rules.unit_factor(series.get("unit"), "money", "series.unit", probs) if "unit" in series else None
    points, seen = [], set()
    raw_points = series.get("point", [])
    if not isinstance(raw_points, list):
        probs.add("series.point", f"expected [[series.point]] tables, got {raw_points!r}")
        raw_points = []
    for i, pt in enumerate(raw_points):
        point = _point(pt, f"series.point[{i}]", probs, factor, seen)
        if point is not None:
            points.append(point)
    if len(points) < 2 and not probs.items:
        probs.add("series.point", "at least two published levels are needed")
    probs.raise_if_any("invalid market series file")
    return Market(sector, series["id"], str(series.get("zh", "")), str(series.get("en", "market")), series["unit"],
                  tuple(sorted(points, key=lambda p: p.year)), str(series.get("source", "")))


def _point(pt: Any, where: str, probs, factor: float | None, seen: set) -> MarketPoint | None:
    if not rules.fields(pt, where, probs, allowed=_POINT_FIELDS, required=("year", "value", "class", "source")):
        return None
    if any(f not in pt for f in ("year", "value", "class", "source")):
        return None
    year = rules.year(pt["year"], f"{where}.year", probs)
    if year is not None and year in seen:
        probs.add(f"{where}.year", f"{year} is given twice")
        year = None
    bounds = rules.ceiling("money")
    value = rules.number(pt["value"], f"{where}.value", probs, bounds, unit="亿元", factor=factor or 1.0)
    cls = rules.choice(pt["class"], f"{where}.class", probs, _CLASSES)
    source = rules.text(pt["source"], f"{where}.source", probs, required=True)
    quote = rules.text(pt.get("quote", ""), f"{where}.quote", probs)
    if "note" in pt:
        rules.text(pt["note"], f"{where}.note", probs)
    if None in (year, value, cls, source, quote) or factor is None:
        return None
    seen.add(year)
    return MarketPoint(year, float(pt["value"]), cls, source, quote)
