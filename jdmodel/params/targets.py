"""The plan's targets (``parameters/targets.toml``), validated.

Four doubling targets (thresholds by a year, each with a comparison) and the
e-commerce sales path; and the composition of the online-economy total: the sectors
whose output the statistics bureau counts in 在线新经济总产出.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jdmodel._paths import parameters_dir
from jdmodel.params.loader import Problems, read_toml
from jdmodel.params.schema import SECTORS, YEARS
from jdmodel.params.units import UNIT_DIMENSION, conversion_factor

COMPARISONS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@dataclass(frozen=True)
class Target:
    """A threshold an indicator must pass by a year."""

    id: str
    indicator: str
    threshold: float
    unit: str
    year: int
    comparison: str
    label_zh: str
    label_en: str
    citation: str
    base_implied: float | None = None

    def reached(self, value):
        """Elementwise test of ``value`` against the threshold (works on arrays)."""
        return COMPARISONS[self.comparison](value, self.threshold)


@dataclass(frozen=True)
class GrowthPath:
    """A target line growing at a constant rate, e.g. e-commerce sales +15 %/yr."""

    id: str
    indicator: str
    base_year: int
    base_value: float
    growth: float
    start_year: int
    target_year: int
    target_value: float
    unit: str
    citation: str
    label_en: str
    label_zh: str

    def line(self, year):
        """Value of the line in ``year``: base until ``start_year - 1``, then compounding."""
        import numpy as np

        year = np.asarray(year)
        n = np.clip(year - (self.start_year - 1), 0, None)
        return self.base_value * (1.0 + self.growth) ** n


@dataclass(frozen=True)
class TargetSet:
    """All targets, paths and the online-economy composition."""

    targets: tuple[Target, ...]
    paths: tuple[GrowthPath, ...]
    composition: tuple[str, ...]
    composition_source: str
    file: str = ""

    def records(self) -> dict[str, Any]:
        return {
            "targets": [t.__dict__ for t in self.targets],
            "paths": [p.__dict__ for p in self.paths],
            "composition": list(self.composition),
        }

    def with_composition(self, sectors) -> TargetSet:
        """The same targets with another definition of the online-economy total."""
        bad = [s for s in sectors if s not in SECTORS]
        if bad or not sectors:
            from jdmodel.errors import ParameterError

            raise ParameterError(f"composition: unknown sector(s) {bad} (expected some of {', '.join(SECTORS)})")
        from dataclasses import replace

        return replace(self, composition=tuple(sectors), composition_source="user-defined")


def load_targets(path: str | Path | None = None) -> TargetSet:
    """Load ``parameters/targets.toml`` (or another file of the same form)."""
    return _load(str(path or parameters_dir() / "targets.toml"))


@cache
def _load(path: str) -> TargetSet:
    data = read_toml(Path(path))
    probs = Problems(path)
    comp = data.get("composition", {}).get("online_economy_output", {})
    sectors = comp.get("sectors", [])
    bad = [s for s in sectors if s not in SECTORS]
    if not sectors or bad:
        probs.add("composition.online_economy_output.sectors",
                  f"expected a non-empty list of sectors from {', '.join(SECTORS)}, got {sectors!r}")
    targets = []
    for tid, t in data.get("targets", {}).items():
        where = f"targets.{tid}"
        need = ("indicator", "threshold", "unit", "year", "comparison", "citation")
        missing = [k for k in need if k not in t]
        if missing:
            probs.add(where, f"missing {', '.join(missing)}")
            continue
        if t["comparison"] not in COMPARISONS:
            probs.add(where + ".comparison", f"{t['comparison']!r} is not one of {', '.join(COMPARISONS)}")
            continue
        if t["year"] not in YEARS:
            probs.add(where + ".year", f"{t['year']} is outside the model years {YEARS[0]}–{YEARS[-1]}")
            continue
        factor = _factor(t["unit"])
        if factor is None:
            probs.add(where + ".unit", f"unknown unit {t['unit']!r}")
            continue
        targets.append(Target(
            id=tid, indicator=t["indicator"], threshold=float(t["threshold"]) * factor, unit=t["unit"],
            year=int(t["year"]), comparison=t["comparison"], label_zh=t.get("label_zh", ""),
            label_en=t.get("label_en", tid), citation=t["citation"],
            base_implied=None if "base_implied" not in t else float(t["base_implied"]) * factor))
    paths = []
    for pid, p in data.get("paths", {}).items():
        need = ("indicator", "base_year", "base_value", "growth", "start_year", "target_year", "target_value",
                "unit", "citation")
        missing = [k for k in need if k not in p]
        if missing:
            probs.add(f"paths.{pid}", f"missing {', '.join(missing)}")
            continue
        factor = _factor(p["unit"]) or 1.0
        paths.append(GrowthPath(
            id=pid, indicator=p["indicator"], base_year=int(p["base_year"]),
            base_value=float(p["base_value"]) * factor, growth=float(p["growth"]),
            start_year=int(p["start_year"]), target_year=int(p["target_year"]),
            target_value=float(p["target_value"]) * factor, unit=p["unit"], citation=p["citation"],
            label_en=p.get("label_en", pid), label_zh=p.get("label_zh", "")))
    probs.raise_if_any("invalid targets file")
    return TargetSet(tuple(targets), tuple(paths), tuple(sectors), comp.get("source", ""), path)


def _factor(unit: str) -> float | None:
    dim = UNIT_DIMENSION.get(unit)
    return None if dim is None else conversion_factor(unit, dim)
