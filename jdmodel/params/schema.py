"""The parameter schema: every key a scenario may set, its dimension, shape and bounds.

Keys are dotted paths. In a pattern ``{sector}`` stands for a sector id of the plan and
``{linked}`` for the id of one of its linked indicators (``jdmodel.params.plan``): the schema
knows shapes and rules, the plan supplies the names. ``shape`` is ``"scalar"`` (one number),
``"path"`` (one number per lever year, the year after the base year to the horizon; a scalar
means that value every year) or ``"list"`` (one number per sector, in the plan's order).
``min``/``max`` are bounds (inclusive unless ``open_min``/``open_max``): what the model can take
(a rate of at most 1, a positive stock) and, where the model alone sets no limit, what is
plausible for a region (:data:`PLAUSIBLE`: no sector of a district has more output than
China's GDP, more land than a province, a base stock of fewer than ten people). Every key has
a maximum. A value, ``low`` and ``high`` outside them and a distribution with mass outside them
are rejected at load (``jdmodel.params.loader``). The parameter reference in the docs is
generated from this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Spec:
    """What one key (or key pattern) must hold."""

    dimension: str
    shape: str = "scalar"
    min: float | None = None
    max: float | None = None
    open_min: bool = False
    open_max: bool = False
    required: bool = True
    description: str = ""
    choices: tuple[str, ...] = ()


def _s(dimension, description, **kw) -> Spec:
    return Spec(dimension=dimension, description=description, **kw)


#: Plausibility bounds of quantities whose model imposes none, in canonical units (documented in
#: docs/parameters.md). They reject a mistyped exponent (``1e308``, ``1e-320``) before it reaches
#: the engine as an ``inf`` or an absurd output, and are wide enough for any district or city.
PLAUSIBLE = {
    "money": (0.01, 1e6),          # 亿元: 100 万元 to 100 万亿元 (China's GDP ≈ 1.3e6 亿元)
    "money_rate": (0.0, 1e4),      # 亿元/yr per sector: more than a city's whole budget
    "people": (10.0, 1e8),         # 人: a base stock of at least ten, at most a large province's workforce
    "people_rate": (0.0, 1e7),     # 人/yr
    "land": (0.1, 1e7),            # 公顷: 1000 m² to 100 000 km²; a plan's declared area is tighter
    "land_rate": (0.0, 1e5),       # 公顷/yr
    "index": (0.01, 100.0),        # an index with base year = 1
}


SCHEMA: dict[str, Spec] = {
    # --- per-sector structure -------------------------------------------------------------
    "sectors.{sector}.base_output": _s("money", "Output in the base year (derived from published figures where the "
                                       "plan's base_year rules say so)", min=PLAUSIBLE["money"][0],
                                       max=PLAUSIBLE["money"][1], required=False),
    "sectors.{sector}.margin": _s("ratio", "Gross output in input–output terms per unit of the output the statistics "
                                  "measure (a trade margin for a sector measured by sales; 1 for revenue); shared by "
                                  "the growth block (value added) and the input–output link", min=0.01, max=1.5),
    "sectors.{sector}.va_share": _s("ratio", "Value added per unit of gross output (input–output terms); value added "
                                    "= margin × va_share × measured output", min=0.01, max=1),
    "sectors.{sector}.pre_growth": _s("rate", "Growth of value added (and investment) in the years before the base "
                                      "year: initial capital K₀ = s·V₀ / (g₀ + δ) (steady-state method)",
                                      min=-0.5, max=1.0),
    "sectors.{sector}.depreciation": _s("rate", "Depreciation rate of capital δ", min=0, max=1),
    "sectors.{sector}.investment_rate": _s("ratio", "Private investment as a share of the year's value added, I_t = s·V_t",
                                           min=0, max=1),
    "sectors.{sector}.leverage": _s("ratio", "Capital formed per 亿元 of public funds (guidance funds crowd in private money), m",
                             min=0, max=50),
    "sectors.{sector}.talent_base": _s("people", "Talent stock in the base year, H₀", min=PLAUSIBLE["people"][0],
                                       max=PLAUSIBLE["people"][1]),
    "sectors.{sector}.talent_attrition": _s("rate", "Share of the talent stock leaving per year, ρ", min=0, max=1),
    "sectors.{sector}.talent_organic": _s("people_rate", "Talent arriving per year without policy", min=0,
                                          max=PLAUSIBLE["people_rate"][1]),
    "sectors.{sector}.land_base": _s("land", "Land in use in the base year, L₀ (with the land budget, at most the "
                                     "plan's declared area)", min=PLAUSIBLE["land"][0], max=PLAUSIBLE["land"][1]),
    "sectors.{sector}.alpha": _s("ratio", "Output elasticity of capital α", min=0, max=1),
    "sectors.{sector}.beta": _s("ratio", "Output elasticity of talent β", min=0, max=1),
    "sectors.{sector}.gamma": _s("ratio", "Output elasticity of land γ", min=0, max=1),
    "sectors.{sector}.tfp_growth": _s("rate", "Exogenous TFP growth g_A", min=-0.5, max=0.5),
    "sectors.{sector}.infra_effect": _s("ratio", "TFP growth per unit rise of the infrastructure index, φ", min=0, max=1),
    "sectors.{sector}.environment_effect": _s("ratio", "TFP growth per unit rise of the business-environment index, ψ",
                                       min=0, max=1),
    "sectors.{sector}.shock": _s("ratio", "Deviation of measured output from its trend in the first year of the plan's "
                                 "shock span (plan.toml [shock]; −0.15 = 15 % below trend)", min=-0.9, max=2.0,
                                 required=False),
    "sectors.{sector}.rebound": _s("ratio", "Deviation of measured output from its trend in the second year of the "
                                   "shock span (the rebound; 0 = back on trend, > 0 overshoot); none after the span",
                                   min=-0.9, max=2.0, required=False),
    # --- levers ------------------------------------------------------------------------------
    "levers.funds.{sector}": _s("money_rate", "Public funds per year (subsidies, guidance funds)", shape="path", min=0,
                                max=PLAUSIBLE["money_rate"][1]),
    "levers.talent.{sector}": _s("people_rate", "Talent brought in by policy per year", shape="path", min=0,
                                 max=PLAUSIBLE["people_rate"][1]),
    "levers.land.{sector}": _s("land_rate", "Land newly made available per year (at most the plan's declared "
                               "area)", shape="path", min=0, max=PLAUSIBLE["land_rate"][1]),
    # --- district-wide -----------------------------------------------------------------------
    "district.land_budget": _s("land", "Cumulative new land over the lever years the district can give these sectors "
                              "(with the land in use, at most the plan's declared area)", min=0,
                              max=PLAUSIBLE["land"][1]),
    "district.infrastructure": _s("index", "Digital-infrastructure index (base year = 1)", shape="path",
                                  min=PLAUSIBLE["index"][0], max=PLAUSIBLE["index"][1]),
    "district.business_environment": _s("index", "Business-environment index (base year = 1)", shape="path",
                                        min=PLAUSIBLE["index"][0], max=PLAUSIBLE["index"][1]),
    "district.final_demand_growth": _s("rate", "Growth per year of the economy outside the focus sectors (final "
                                       "demand of the other IO sectors)", min=-0.2, max=0.3),
    # --- base year and linked indicators ---------------------------------------------------------------
    "within_year.{span}.{year}": _s("ratio", "Share of a year's output produced in the months of the span (jan_oct: "
                                    "January–October) of that year; partial-year figures meet the model through it (below 1: a "
                                    "partial year is never a full one)", min=0.05, max=1, open_max=True,
                                    required=False),
    "linked.{linked}.base": _s("money", "A linked indicator's base-year value (plan.toml [[linked]])",
                               min=PLAUSIBLE["money"][0], max=PLAUSIBLE["money"][1]),
    "linked.{linked}.elasticity": _s("ratio", "Elasticity of a linked indicator to its sector's output", min=0, max=5),
    # --- the demand-side variant (plan.toml [market]) ------------------------------------------------
    "market.share_elasticity": _s("ratio", "Elasticity of the district's share of its market to the sector's inputs "
                                  "K^α H^β L^γ (what the levers move)", min=0, max=3, required=False),
    "market.growth": _s("rate", "Growth per year of the market after the last year of its published series", min=-0.3,
                        max=0.5, required=False),
    # --- switches ------------------------------------------------------------------------------
    "model.constant_returns": _s("bool", "Declare constant returns (α + β + γ = 1 is then required)",
                                 required=False),
    "model.variant": Spec(dimension="choice", required=False, choices=("supply", "market_share"),
                          description="The model of the plan's market sector (plan.toml [market]): supply (production "
                          "function) or market_share (the district's share of its market)"),
}

META_KEYS = frozenset({"extends", "name", "description", "title", "correlations", "plan", "targets"})


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
                           open_min=entry.get("open_min", False), required=entry.get("required", True),
                           description=entry.get("description", ""))


_register_extra()


PLACEHOLDERS = ("{sector}", "{linked}", "{span}", "{year}")
#: cumulative spans from January a within-year share may cover: name → (first month, last month)
SPANS: dict[str, tuple[int, int]] = {f"jan_{m}": (1, i) for i, m in enumerate(
    ("feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov"), start=2)}


def span_name(first_month: int, last_month: int) -> str | None:
    """The span name of months ``first..last`` (None unless a cumulative span from January)."""
    return next((k for k, v in SPANS.items() if v == (first_month, last_month)), None)


def _domains(plan) -> dict[str, tuple[str, ...]]:
    return {"{sector}": plan.sector_ids, "{linked}": tuple(x.id for x in plan.linked), "{span}": tuple(SPANS),
            "{year}": tuple(str(y) for y in plan.years.all)}


def _match(pattern: str, key: str, domains: dict[str, tuple[str, ...]] | None) -> dict[str, str] | None:
    """``{placeholder: part}`` when ``key`` fits ``pattern`` (any name when ``domains`` is None), else None."""
    pp, kp = pattern.split("."), key.split(".")
    if len(pp) != len(kp):
        return None
    found = {}
    for a, b in zip(pp, kp, strict=True):
        if a in PLACEHOLDERS:
            if domains is not None and b not in domains[a]:
                return None
            found[a] = b
        elif a != b:
            return None
    return found


def spec_for(key: str, plan) -> tuple[Spec | None, str | None]:
    """Find the spec of a concrete key of ``plan``; return ``(spec, sector)`` or ``(None, None)``."""
    if key in SCHEMA:
        return SCHEMA[key], None
    pattern, sector = _fit(key, plan, len(SCHEMA))
    return (SCHEMA[pattern], sector) if pattern is not None else (None, None)


def pattern_of(key: str, plan) -> str | None:
    """The schema pattern a concrete key of ``plan`` fits (None when it fits none)."""
    if key in SCHEMA:
        return key
    return _fit(key, plan, len(SCHEMA))[0]


@lru_cache(maxsize=65536)
def _fit(key: str, plan, n_patterns: int) -> tuple[str | None, str | None]:
    """The first pattern ``key`` fits and the sector it names: remembered per key and plan (a plan is its
    folder, read once), and per size of the schema, which only grows when a block registers its keys."""
    domains = _domains(plan)
    for pattern in SCHEMA:
        found = _match(pattern, key, domains)
        if found is not None:
            return pattern, found.get("{sector}")
    return None, None


def unknown_name(key: str, plan) -> tuple[str, str] | None:
    """If ``key`` fits a pattern but names a sector (or linked indicator) the plan lacks: ``(kind, name)``."""
    domains = _domains(plan)
    for pattern in SCHEMA:
        found = _match(pattern, key, None)
        if not found:
            continue
        for ph, name in found.items():
            if name not in domains[ph]:
                kind = {"{sector}": "sector", "{linked}": "linked indicator", "{span}": "within-year span",
                        "{year}": "year"}[ph]
                return (kind, name)
    return None


def concrete_keys(plan) -> list[str]:
    """Every concrete key of the schema for ``plan`` (patterns expanded over its names)."""
    domains = _domains(plan)
    out = []
    for pattern in SCHEMA:
        keys = [pattern]
        for ph in PLACEHOLDERS:
            if ph in pattern:
                keys = [k.replace(ph, name) for k in keys for name in domains[ph]]
        out.extend(keys)
    return out
