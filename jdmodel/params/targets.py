"""A plan's targets (``targets.toml`` in the plan folder), validated against the plan.

Targets are thresholds an indicator must pass by a year (each with a comparison and a
citation); growth paths are target lines compounding at a rate (Jiading's e-commerce sales
+15 %/yr). The indicators are the plan's total and linked indicators (``plan.toml``), the
sector outputs ``output.<sector>`` and the counting models' counts. A target's year must lie
within the plan's years.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jdmodel.params.loader import Problems, read_toml
from jdmodel.params.units import UNIT_DIMENSION, conversion_factor

#: indicators of the counting models (present when a scenario has counting parameters)
COUNT_INDICATORS = ("enterprises_total", "projects", "scenarios")

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
    """All targets and paths of a plan, and the composition of its total indicators."""

    targets: tuple[Target, ...]
    paths: tuple[GrowthPath, ...]
    totals: tuple[tuple[str, tuple[str, ...]], ...]
    composition_source: str
    file: str = ""
    sectors: tuple[str, ...] = ()

    @property
    def composition(self) -> tuple[str, ...]:
        """Sectors of the headline total (the plan's first total indicator)."""
        return self.totals[0][1]

    @property
    def total_of(self) -> dict[str, tuple[str, ...]]:
        """Total indicator id → its sectors."""
        return dict(self.totals)

    def records(self) -> dict[str, Any]:
        return {
            "targets": [t.__dict__ for t in self.targets],
            "paths": [p.__dict__ for p in self.paths],
            "composition": list(self.composition),
            "totals": {k: list(v) for k, v in self.totals},
        }

    def with_composition(self, sectors, total: str | None = None) -> TargetSet:
        """The same targets with another definition of a total indicator (the headline one by default)."""
        bad = [s for s in sectors if s not in self.sectors]
        if bad or not sectors:
            from jdmodel.errors import ParameterError

            raise ParameterError(f"composition: unknown sector(s) {bad} (expected some of {', '.join(self.sectors)})")
        from dataclasses import replace

        tid = total or self.totals[0][0]
        totals = tuple((k, tuple(sectors) if k == tid else v) for k, v in self.totals)
        return replace(self, totals=totals, composition_source="user-defined")


def load_targets(path: str | Path | None = None, plan=None) -> TargetSet:
    """Load a plan's targets file (``targets.toml`` in its folder) or another file of the same form.

    Examples
    --------
    >>> ts = load_targets(plan="jiading")
    >>> [t.id for t in ts.targets]
    ['output', 'enterprises', 'projects', 'scenarios']
    """
    from jdmodel.params.plan import load_plan

    p = load_plan(plan)
    return _load(str(path or p.file("targets")), p)


def indicators_of(plan) -> set[str]:
    """Every indicator a run of ``plan`` can produce (before the counting block is known to run)."""
    return ({t.id for t in plan.totals} | {x.id for x in plan.linked} | {f"output.{s}" for s in plan.sector_ids}
            | set(COUNT_INDICATORS))


@cache
def _load(path: str, plan) -> TargetSet:
    data = read_toml(Path(path))
    probs = Problems(path)
    years = plan.years.all
    known = indicators_of(plan)
    if "composition" in data:
        probs.add("composition", "total indicators are declared in the plan's plan.toml ([[totals]]), not here")
    targets = []
    for tid, t in data.get("targets", {}).items():
        where = f"targets.{tid}"
        if not isinstance(t, dict):
            probs.add(where, "expected a table")
            continue
        need = ("indicator", "threshold", "unit", "year", "comparison", "citation")
        missing = [k for k in need if k not in t]
        if missing:
            probs.add(where, f"missing {', '.join(missing)}")
            continue
        if t["indicator"] not in known:
            probs.add(where + ".indicator", f"{t['indicator']!r} is not an indicator of plan {plan.id!r} "
                                            f"(expected one of {', '.join(sorted(known))})")
            continue
        if t["comparison"] not in COMPARISONS:
            probs.add(where + ".comparison", f"{t['comparison']!r} is not one of {', '.join(COMPARISONS)}")
            continue
        if not isinstance(t["year"], int) or t["year"] not in years:
            probs.add(where + ".year", f"{t['year']!r} is outside the plan's years {years[0]}–{years[-1]}")
            continue
        if not _finite(t["threshold"]):
            probs.add(where + ".threshold", f"expected a finite number, got {t['threshold']!r}")
            continue
        factor = _factor(t["unit"])
        if factor is None:
            probs.add(where + ".unit", f"unknown unit {t['unit']!r}")
            continue
        targets.append(Target(
            id=tid, indicator=t["indicator"], threshold=float(t["threshold"]) * factor, unit=t["unit"],
            year=int(t["year"]), comparison=t["comparison"], label_zh=str(t.get("label_zh", "")),
            label_en=str(t.get("label_en", tid)), citation=str(t["citation"]),
            base_implied=float(t["base_implied"]) * factor if _finite(t.get("base_implied")) else None))
    paths = []
    for pid, p in data.get("paths", {}).items():
        where = f"paths.{pid}"
        need = ("indicator", "base_year", "base_value", "growth", "start_year", "target_year", "target_value",
                "unit", "citation")
        missing = [k for k in need if k not in p] if isinstance(p, dict) else list(need)
        if missing:
            probs.add(where, f"missing {', '.join(missing)}")
            continue
        if p["indicator"] not in known:
            probs.add(where + ".indicator", f"{p['indicator']!r} is not an indicator of plan {plan.id!r}")
            continue
        bad = [k for k in ("base_value", "growth", "target_value") if not _finite(p[k])]
        bad += [k for k in ("base_year", "start_year", "target_year") if not isinstance(p[k], int)]
        if bad:
            probs.add(where, f"{', '.join(bad)}: expected finite numbers (years as integers)")
            continue
        if p["target_year"] not in years:
            probs.add(where + ".target_year", f"{p['target_year']} is outside the plan's years {years[0]}–{years[-1]}")
            continue
        factor = _factor(p["unit"]) or 1.0
        paths.append(GrowthPath(
            id=pid, indicator=p["indicator"], base_year=int(p["base_year"]),
            base_value=float(p["base_value"]) * factor, growth=float(p["growth"]),
            start_year=int(p["start_year"]), target_year=int(p["target_year"]),
            target_value=float(p["target_value"]) * factor, unit=p["unit"], citation=str(p["citation"]),
            label_en=str(p.get("label_en", pid)), label_zh=str(p.get("label_zh", ""))))
    probs.raise_if_any("invalid targets file")
    totals = tuple((t.id, t.sectors) for t in plan.totals)
    return TargetSet(tuple(targets), tuple(paths), totals, plan.totals[0].source, path, plan.sector_ids)


def _finite(x) -> bool:
    import math

    if not isinstance(x, int | float) or isinstance(x, bool):
        return False
    try:
        return math.isfinite(float(x))
    except OverflowError:  # an integer too large for a float
        return False


def _factor(unit) -> float | None:
    if not isinstance(unit, str):
        return None
    dim = UNIT_DIMENSION.get(unit)
    return None if dim is None else conversion_factor(unit, dim)
