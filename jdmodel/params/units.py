"""Units: one place that converts what a file says to the canonical unit of a quantity.

Canonical units: money 亿元 (1e8 yuan), land 公顷 (hectare), people 人. A rate per year
is written ``<unit>/yr`` (``/年`` is accepted as a synonym). An unknown unit is an error.
"""

from __future__ import annotations

# dimension -> (canonical unit, {accepted unit: factor to canonical})
_MONEY = {"亿元": 1.0, "万元": 1e-4, "元": 1e-8}
_LAND = {"公顷": 1.0, "ha": 1.0, "亩": 1.0 / 15.0}
_PEOPLE = {"人": 1.0, "万人": 1e4}


def _per_year(table: dict[str, float]) -> dict[str, float]:
    out = {}
    for unit, factor in table.items():
        out[f"{unit}/yr"] = factor
        out[f"{unit}/年"] = factor
    return out


DIMENSIONS: dict[str, tuple[str, dict[str, float]]] = {
    "money": ("亿元", _MONEY),
    "money_rate": ("亿元/yr", _per_year(_MONEY)),
    "land": ("公顷", _LAND),
    "land_rate": ("公顷/yr", _per_year(_LAND)),
    "people": ("人", _PEOPLE),
    "people_rate": ("人/yr", _per_year(_PEOPLE)),
    "ratio": ("1", {"1": 1.0, "%": 0.01}),
    "rate": ("1/yr", {"1/yr": 1.0, "1/年": 1.0, "%/yr": 0.01, "%/年": 0.01}),
    "capital_output": ("yr", {"yr": 1.0, "年": 1.0, "1": 1.0}),
    "index": ("index", {"index": 1.0}),
    "years": ("yr", {"yr": 1.0, "年": 1.0}),
    "firms": ("firms", {"firms": 1.0, "家": 1.0}),
    "projects": ("projects", {"projects": 1.0, "个": 1.0}),
    "scenarios": ("scenarios", {"scenarios": 1.0, "个": 1.0}),
}

# unit string written in a file -> dimension, for quantities whose dimension the schema leaves open
UNIT_DIMENSION = {u: d for d, (_, table) in DIMENSIONS.items() for u in table}


def canonical_unit(dimension: str) -> str:
    """Return the canonical unit of a dimension (e.g. ``"money"`` → ``"亿元"``)."""
    return DIMENSIONS[dimension][0]


def conversion_factor(unit: str, dimension: str) -> float | None:
    """Factor that converts a value in ``unit`` to the canonical unit of ``dimension``.

    Returns ``None`` when ``unit`` is not a unit of that dimension (the caller reports it).

    Examples
    --------
    >>> conversion_factor("万元", "money")
    0.0001
    >>> round(conversion_factor("亩", "land") * 15, 12)
    1.0
    """
    table = DIMENSIONS[dimension][1]
    return table.get(unit.strip())


def accepted_units(dimension: str) -> list[str]:
    """The unit strings a file may use for a quantity of this dimension."""
    return sorted(DIMENSIONS[dimension][1])
