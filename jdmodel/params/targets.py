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

from jdmodel.params import rules
from jdmodel.params.loader import Problems, read_toml
from jdmodel.params.units import UNIT_DIMENSION, canonical_unit, conversion_factor

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


_TARGET_FIELDS = ("indicator", "threshold", "unit", "year", "comparison", "citation", "label_zh", "label_en",
                  "base_implied", "note")
_PATH_FIELDS = ("indicator", "base_year", "base_value", "growth", "start_year", "target_year", "target_value", "unit",
                "citation", "label_en", "label_zh", "note")


def indicator_dimension(plan, indicator: str) -> str | None:
    """The dimension of an indicator's values (money for outputs and totals, firms for the enterprise count …)."""
    units = {t.id: t.unit for t in plan.totals} | {x.id: x.unit for x in plan.linked}
    if indicator in units:
        return rules.dimension_of(units[indicator])
    if indicator.startswith("output."):
        return "money"
    return {"enterprises_total": "firms", "projects": "projects", "scenarios": "scenarios"}.get(indicator)


@cache
def _load(path: str, plan) -> TargetSet:
    data = read_toml(Path(path))
    probs = Problems(path)
    if "composition" in data:
        probs.add("composition", "total indicators are declared in the plan's plan.toml ([[totals]]), not here")
    rules.fields({k: v for k, v in data.items() if k != "composition"}, "", probs, allowed=("targets", "paths"))
    targets = [t for tid, raw in _tables(data, "targets", probs) if (t := _target(tid, raw, plan, probs)) is not None]
    paths = [g for pid, raw in _tables(data, "paths", probs) if (g := _path(pid, raw, plan, probs)) is not None]
    probs.raise_if_any("invalid targets file")
    totals = tuple((t.id, t.sectors) for t in plan.totals)
    return TargetSet(tuple(targets), tuple(paths), totals, plan.totals[0].source, path, plan.sector_ids)


def _tables(data: dict, name: str, probs) -> list[tuple[str, Any]]:
    raw = data.get(name, {})
    if not isinstance(raw, dict):
        probs.add(name, f"expected [{name}.<id>] tables, got {raw!r}")
        return []
    return list(raw.items())


def _unit(unit: Any, indicator: str, where: str, plan, probs) -> float | None:
    """Factor of ``unit`` to the canonical unit of the indicator's dimension; else record why."""
    dim = indicator_dimension(plan, indicator)
    if dim is None:
        factor = _factor(unit)
        if factor is None:
            probs.add(f"{where}.unit", f"unknown unit {unit!r}")
        return factor
    factor = rules.unit_factor(unit, dim, f"{where}.unit", probs)
    if factor is None:
        probs.items[-1] += f" — the unit of {indicator}"
    return factor


def _target(tid: str, t: Any, plan, probs) -> Target | None:
    where = f"targets.{tid}"
    need = ("indicator", "threshold", "unit", "year", "comparison", "citation")
    if not rules.fields(t, where, probs, allowed=_TARGET_FIELDS, required=need) or any(k not in t for k in need):
        return None
    known = indicators_of(plan)
    if not isinstance(t["indicator"], str) or t["indicator"] not in known:
        probs.add(where + ".indicator", f"{t['indicator']!r} is not an indicator of plan {plan.id!r} "
                                        f"(expected one of {', '.join(sorted(known))})")
        return None
    comparison = rules.choice(t["comparison"], where + ".comparison", probs, COMPARISONS)
    year = rules.year(t["year"], where + ".year", probs, plan.years.all)
    factor = _unit(t["unit"], t["indicator"], where, plan, probs)
    dim = indicator_dimension(plan, t["indicator"]) or "money"
    bounds = rules.Bounds(0.0, rules.CEILING.get(dim, 1e7))
    canon = canonical_unit(dim)
    threshold = rules.number(t["threshold"], where + ".threshold", probs, bounds, what="threshold",
                             factor=factor or 1.0, unit=canon)
    implied = rules.number(t["base_implied"], where + ".base_implied", probs, bounds, what="base_implied",
                           factor=factor or 1.0, unit=canon) if "base_implied" in t else None
    texts = [rules.text(t.get(k, d), f"{where}.{k}", probs, required=k == "citation")
             for k, d in (("citation", ""), ("label_zh", ""), ("label_en", tid), ("note", ""))]
    if None in (comparison, year, factor, threshold, *texts) or ("base_implied" in t and implied is None):
        return None
    return Target(id=tid, indicator=t["indicator"], threshold=threshold, unit=t["unit"], year=year,
                  comparison=comparison, label_zh=texts[1], label_en=texts[2], citation=texts[0], base_implied=implied)


def _path(pid: str, p: Any, plan, probs) -> GrowthPath | None:
    where = f"paths.{pid}"
    need = ("indicator", "base_year", "base_value", "growth", "start_year", "target_year", "target_value", "unit",
            "citation")
    if not rules.fields(p, where, probs, allowed=_PATH_FIELDS, required=need) or any(k not in p for k in need):
        return None
    if not isinstance(p["indicator"], str) or p["indicator"] not in indicators_of(plan):
        probs.add(where + ".indicator", f"{p['indicator']!r} is not an indicator of plan {plan.id!r}")
        return None
    factor = _unit(p["unit"], p["indicator"], where, plan, probs)
    dim = indicator_dimension(plan, p["indicator"]) or "money"
    level = rules.ceiling(dim)
    canon = canonical_unit(dim)
    base_value = rules.number(p["base_value"], where + ".base_value", probs, level, factor=factor or 1.0, unit=canon)
    target_value = rules.number(p["target_value"], where + ".target_value", probs, level, factor=factor or 1.0,
                                unit=canon)
    growth = rules.number(p["growth"], where + ".growth", probs, rules.Bounds(-1.0, 10.0, open_min=True),
                          what="growth (a fraction a year)")
    base_year = rules.year(p["base_year"], where + ".base_year", probs)
    start_year = rules.year(p["start_year"], where + ".start_year", probs)
    target_year = rules.year(p["target_year"], where + ".target_year", probs, plan.years.all)
    texts = [rules.text(p.get(k, d), f"{where}.{k}", probs, required=k == "citation")
             for k, d in (("citation", ""), ("label_en", pid), ("label_zh", ""), ("note", ""))]
    if None in (factor, base_value, target_value, growth, base_year, start_year, target_year, *texts):
        return None
    if not base_year < start_year <= target_year:
        probs.add(where, f"base_year {base_year}, start_year {start_year}, target_year {target_year}: expected "
                         "base_year < start_year ≤ target_year")
        return None
    return GrowthPath(id=pid, indicator=p["indicator"], base_year=base_year, base_value=base_value, growth=growth,
                      start_year=start_year, target_year=target_year, target_value=target_value, unit=p["unit"],
                      citation=texts[0], label_en=texts[1], label_zh=texts[2])


def _factor(unit) -> float | None:
    if not isinstance(unit, str):
        return None
    dim = UNIT_DIMENSION.get(unit)
    return None if dim is None else conversion_factor(unit, dim)
