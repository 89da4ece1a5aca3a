"""The parameter schema: every key a scenario may set, its dimension, shape and bounds.

Keys are dotted paths. ``*`` in a pattern stands for a sector id. ``shape`` is
``"scalar"`` (one number), ``"path"`` (one number per lever year 2021–2030; a scalar
means that value every year) or ``"list"`` (one number per sector, in ``SECTORS`` order).
``min``/``max`` are validity bounds (inclusive unless ``open_min``); values outside them
are rejected. The parameter reference in the docs is generated from this table.
"""

from __future__ import annotations

from dataclasses import dataclass

SECTORS: tuple[str, ...] = (
    "industrial_internet",
    "online_entertainment",
    "ecommerce",
    "smart_transport",
    "online_services",
)
SECTOR_LABELS_ZH = {
    "industrial_internet": "工业互联网",
    "online_entertainment": "在线文娱",
    "ecommerce": "电子商务",
    "smart_transport": "智慧交通",
    "online_services": "在线服务",
}
SECTOR_LABELS_EN = {
    "industrial_internet": "Industrial internet",
    "online_entertainment": "Online culture & entertainment",
    "ecommerce": "E-commerce",
    "smart_transport": "Smart transport",
    "online_services": "Online services",
}
BASE_YEAR = 2020
LAST_YEAR = 2030
YEARS: tuple[int, ...] = tuple(range(BASE_YEAR, LAST_YEAR + 1))
LEVER_YEARS: tuple[int, ...] = YEARS[1:]


@dataclass(frozen=True)
class Spec:
    """What one key (or key pattern) must hold."""

    dimension: str
    shape: str = "scalar"
    min: float | None = None
    max: float | None = None
    open_min: bool = False
    required: bool = True
    description: str = ""


def _s(dimension, description, **kw) -> Spec:
    return Spec(dimension=dimension, description=description, **kw)


SCHEMA: dict[str, Spec] = {
    # --- per-sector structure -------------------------------------------------------------
    "sectors.*.base_output": _s("money", "Output in the base year 2020 (derived from the statistics bureau's "
                                "January–October 2021 release where the sector is one of its four components)",
                                min=0, open_min=True, required=False),
    "sectors.*.capital_output_ratio": _s("capital_output", "Capital stock per unit of output in 2020, K₀ = κ·Y₀",
                                         min=0, open_min=True),
    "sectors.*.depreciation": _s("rate", "Depreciation rate of capital δ", min=0, max=1),
    "sectors.*.investment_rate": _s("rate", "Private investment per year as a share of 2020 output (I = s·Y₀)",
                                    min=0, max=1),
    "sectors.*.leverage": _s("ratio", "Capital formed per 亿元 of public funds (guidance funds crowd in private money), m",
                             min=0, max=50),
    "sectors.*.talent_base": _s("people", "Talent stock in 2020, H₀", min=0, open_min=True),
    "sectors.*.talent_attrition": _s("rate", "Share of the talent stock leaving per year, ρ", min=0, max=1),
    "sectors.*.talent_organic": _s("people_rate", "Talent arriving per year without policy", min=0),
    "sectors.*.land_base": _s("land", "Land in use in 2020, L₀", min=0, open_min=True),
    "sectors.*.alpha": _s("ratio", "Output elasticity of capital α", min=0, max=1),
    "sectors.*.beta": _s("ratio", "Output elasticity of talent β", min=0, max=1),
    "sectors.*.gamma": _s("ratio", "Output elasticity of land γ", min=0, max=1),
    "sectors.*.tfp_growth": _s("rate", "Exogenous TFP growth g_A", min=-0.5, max=0.5),
    "sectors.*.infra_effect": _s("ratio", "TFP growth per unit rise of the infrastructure index, φ", min=0, max=1),
    "sectors.*.environment_effect": _s("ratio", "TFP growth per unit rise of the business-environment index, ψ",
                                       min=0, max=1),
    # --- levers ------------------------------------------------------------------------------
    "levers.funds.*": _s("money_rate", "Public funds per year (subsidies, guidance funds)", shape="path", min=0),
    "levers.talent.*": _s("people_rate", "Talent brought in by policy per year", shape="path", min=0),
    "levers.land.*": _s("land_rate", "Land newly made available per year", shape="path", min=0),
    # --- district-wide -----------------------------------------------------------------------
    "district.land_budget": _s("land", "Cumulative new land 2021–2030 the district can give these sectors", min=0),
    "district.infrastructure": _s("index", "Digital-infrastructure index (2020 = 1)", shape="path", min=0,
                                  open_min=True),
    "district.business_environment": _s("index", "Business-environment index (2020 = 1)", shape="path", min=0,
                                        open_min=True),
    "district.final_demand_growth": _s("rate", "Growth per year of the economy outside the focus sectors (final "
                                       "demand of the other IO sectors)", min=-0.2, max=0.3),
    # --- base year and the e-commerce sales series ------------------------------------------------
    "base_year.jan_oct_share": _s("ratio", "Share of a full year's output produced in January–October",
                                  min=0, max=1, open_min=True),
    "ecommerce_sales.base_2020": _s("money", "限额以上电子商务销售额 in 2020", min=0, open_min=True),
    "ecommerce_sales.elasticity": _s("ratio", "Elasticity of e-commerce sales to e-commerce output", min=0, max=5),
    # --- switches ------------------------------------------------------------------------------
    "model.constant_returns": _s("bool", "Declare constant returns (α + β + γ = 1 is then required)",
                                 required=False),
}

META_KEYS = frozenset({"extends", "name", "description", "title", "correlations"})


def _register_extra() -> None:
    """Add the schema sections that other model blocks declare (counting, input–output)."""
    try:
        from jdmodel.params.schema_counting import SCHEMA_COUNTING
    except ImportError:  # the counting block is optional while it is being built
        return
    for key, entry in SCHEMA_COUNTING.items():
        dim = {"firms": "firms", "projects": "projects", "scenarios": "scenarios", "1": "ratio", "1/yr": "rate",
               "yr": "years", "亿元": "money", "亿元/yr": "money_rate", "人": "people", "公顷": "land"}.get(
            entry.get("unit", "1"), "ratio")
        shape = {"sector": "list"}.get(entry.get("shape", "scalar"), "scalar")
        SCHEMA[key] = Spec(dimension=dim, shape=shape, min=entry.get("min"), max=entry.get("max"),
                           required=entry.get("required", True), description=entry.get("description", ""))


_register_extra()


def spec_for(key: str) -> tuple[Spec | None, str | None]:
    """Find the spec of a concrete key; return ``(spec, sector)`` or ``(None, None)``."""
    if key in SCHEMA:
        return SCHEMA[key], None
    parts = key.split(".")
    for i, part in enumerate(parts):
        if part in SECTORS:
            pattern = ".".join(parts[:i] + ["*"] + parts[i + 1:])
            if pattern in SCHEMA:
                return SCHEMA[pattern], part
    return None, None


def unknown_sector(key: str) -> str | None:
    """If ``key`` matches a per-sector pattern with a name that is not a sector, return that name."""
    parts = key.split(".")
    for pattern in SCHEMA:
        pp = pattern.split(".")
        if len(pp) != len(parts) or "*" not in pp:
            continue
        if all(a == b or a == "*" for a, b in zip(pp, parts, strict=True)):
            name = parts[pp.index("*")]
            if name not in SECTORS:
                return name
    return None


def concrete_keys() -> list[str]:
    """Every concrete key of the schema (patterns expanded over the sectors)."""
    out = []
    for pattern in SCHEMA:
        if "*" in pattern:
            out.extend(pattern.replace("*", s) for s in SECTORS)
        else:
            out.append(pattern)
    return out
