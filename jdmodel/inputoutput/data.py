"""Input-output data: the shipped national tables and a plan's regionalisation inputs.

National tables live in ``parameters/io/<table>/`` (see its README; ``china_2020_42`` is the NBS
2020 table, domestic form, 万元, converted to 亿元 at load; its ``table.toml`` names the groups of
sectors of the three-sector division). A plan's ``io/`` folder holds ``region.toml`` (which national
table, the published aggregates and the assumptions that build the region's size vector),
and ``concordance.csv`` (the plan's sectors -> IO sectors). The link's margins (IO gross output per
unit of measured output) are the scenario's ``sectors.<s>.margin``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jdmodel._paths import parameters_dir
from jdmodel.errors import ParameterError
from jdmodel.inputoutput.table import IOTable

FloatArray = NDArray[np.float64]
DEFAULT_TABLE = "china_2020_42"
_GROUPS = ("primary", "industry", "construction", "services")


def io_dir() -> Path:
    """The folder of the shipped national tables (``parameters/io``)."""
    return parameters_dir() / "io"


def national_table_dir(name: str = DEFAULT_TABLE) -> Path:
    """The folder of a shipped national table (``parameters/io/<name>``)."""
    folder = io_dir() / name
    if not (folder / "table.toml").is_file():
        names = sorted(p.parent.name for p in io_dir().glob("*/table.toml"))
        raise ParameterError(f"no national input–output table {name!r} (shipped: {', '.join(names)})")
    return folder


@cache
def load_national(name: str = DEFAULT_TABLE) -> IOTable:
    """A shipped national table in 亿元 (cached); by default the NBS 2020 table, 42 sectors, domestic form.

    Examples
    --------
    >>> t = load_national()
    >>> t.n, round(float(t.x.sum()))       # total output, 亿元
    (42, 2699028)
    """
    return IOTable.from_csv(national_table_dir(name))


@cache
def national_groups(name: str = DEFAULT_TABLE) -> dict[str, tuple[str, ...]]:
    """Sector codes of each group of the three-sector division, from the table's ``[groups]``.

    Examples
    --------
    >>> g = national_groups()
    >>> g["primary"], g["construction"], len(g["industry"]), len(g["services"])
    (('01',), ('27',), 25, 15)
    """
    path = national_table_dir(name) / "table.toml"
    groups = _load_toml(path).get("groups", {})
    codes = set(load_national(name).codes)
    out, problems = {}, []
    for g in _GROUPS:
        members = groups.get(g)
        if not (isinstance(members, list) and members and all(c in codes for c in members)):
            problems.append(f"groups.{g}: expected a non-empty list of the table's sector codes, got {members!r}")
            continue
        out[g] = tuple(members)
    if problems:
        raise ParameterError(f"{path}: invalid groups", problems)
    return out


def _load_toml(path: Path) -> dict[str, Any]:
    from jdmodel.params.loader import read_toml

    return read_toml(path)


def plan_io_dir(plan=None) -> Path:
    """A plan's ``io/`` folder (the default plan's when none is given)."""
    from jdmodel.params.plan import load_plan

    return load_plan(plan).file("io")


def regional_inputs(path: str | Path | None = None, plan=None) -> dict[str, dict[str, Any]]:
    """Read a plan's ``io/region.toml``: dotted key -> {value, unit, source, low, high}, numbers in canonical units.

    Every number must carry ``unit`` and ``source`` and lie within its key's bounds; an assumption
    (source starting with "assumption") must carry ``low <= value <= high``; codes must be codes of
    the national table. All problems are reported together (:func:`jdmodel.params.iofiles.read_region`).

    Examples
    --------
    >>> regional_inputs()["published.gdp"]["value"]
    2488.4
    """
    from jdmodel.params.iofiles import read_region

    path = Path(path) if path is not None else plan_io_dir(plan) / "region.toml"
    return read_region(path)


def regional_output(table: IOTable, inputs: Mapping[str, Any],
                    groups: Mapping[str, tuple[str, ...]] | None = None) -> FloatArray:
    """Regional gross output by IO sector in the base year, 亿元, built from aggregates and assumptions.

    Value added ``published.gdp`` is split into primary, secondary and tertiary by the assumed
    shares; industry's gross output is ``published.industrial_output × assumptions.industrial_coverage``,
    of which each sector of ``assumptions.industry_share`` takes its share, ``assumptions.absent_sectors``
    none, and the rest of industry the remainder in national proportions; construction holds
    secondary value added not produced by industry; the trade sector (``assumptions.trade_sector``,
    when given) has gross output ``published.merchandise_sales × assumptions.trade_margin`` (trade
    output is its margin); the services of ``assumptions.services_revenue_sectors``, when given,
    have together the gross output ``published.services_revenue × assumptions.services_revenue_coverage``
    (the revenue of services above designated size), split in national proportions of gross output
    times ``assumptions.service_specialisation``; the remaining services share the rest of tertiary
    value added in national proportions (times the specialisation); gross output = value added /
    the national value-added-to-output ratio. ``groups`` (primary, industry, construction, services)
    come from the national table's ``[groups]`` (:func:`national_groups`).

    Parameters
    ----------
    table : IOTable
        National table, 亿元.
    inputs : mapping
        Dotted key -> value, or -> {"value": ...} as returned by :func:`regional_inputs`.
    groups : mapping, optional
        Group -> sector codes (default: :func:`national_groups` of the default table).

    Examples
    --------
    >>> x = regional_output(load_national(), regional_inputs())
    >>> round(float(x[17]), 1)     # IO 18 transport equipment = 0.6 * 5341.7
    3205.0
    """
    val = {k: (v["value"] if isinstance(v, Mapping) else v) for k, v in inputs.items()}
    groups = groups or national_groups()
    codes = list(table.codes)
    ratio = table.v / table.x
    ix = {c: i for i, c in enumerate(codes)}

    def idx(group: str) -> NDArray[np.int64]:
        return np.array([ix[c] for c in groups[group]], dtype=np.int64)

    gdp = val["published.gdp"]
    va_primary = gdp * val["assumptions.primary_share"]
    va_secondary = gdp * val["assumptions.secondary_share"]
    va_tertiary = gdp - va_primary - va_secondary
    x = np.zeros(table.n)
    industry = idx("industry")
    absent = [ix[c] for c in val.get("assumptions.absent_sectors", [])]
    x_industry = val["published.industrial_output"] * val["assumptions.industrial_coverage"]
    shares = {k.rsplit(".", 1)[1]: float(v) for k, v in val.items() if k.startswith("assumptions.industry_share.")}
    fixed = [ix[c] for c in shares]
    rest = np.setdiff1d(industry, absent + fixed)
    for code, share in shares.items():
        x[ix[code]] = x_industry * share
    x[rest] = x_industry * (1 - sum(shares.values())) * table.x[rest] / table.x[rest].sum()
    va_construction = va_secondary - float(ratio[industry] @ x[industry])
    if va_construction <= 0:
        raise ParameterError(
            f"regional inputs: industry value added {va_secondary - va_construction:.1f} 亿元 exceeds secondary "
            f"value added {va_secondary:.1f} 亿元; lower industrial_coverage or raise secondary_share")
    for group, va in (("construction", va_construction), ("primary", va_primary)):
        members = idx(group)
        x[members] = va * table.v[members] / table.v[members].sum() / ratio[members]
    services = idx("services")
    trade = val.get("assumptions.trade_sector")
    if trade is not None and "published.merchandise_sales" in val:
        # the region's trade sector from its merchandise sales: gross output of trade is its margin
        j = ix[str(trade)]
        x[j] = val["published.merchandise_sales"] * val["assumptions.trade_margin"]
        va_tertiary -= x[j] * ratio[j]
        if va_tertiary <= 0:
            raise ParameterError(f"regional inputs: trade value added {x[j] * ratio[j]:.1f} 亿元 (merchandise sales × "
                                 "trade margin × value-added ratio) exceeds tertiary value added; lower the trade margin")
        services = services[services != j]
    factor = np.ones(table.n)
    for key, f in val.items():
        if key.startswith("assumptions.service_specialisation."):
            factor[ix[key.rsplit(".", 1)[1]]] = f
    group = [ix[c] for c in val.get("assumptions.services_revenue_sectors", [])]
    if group and "published.services_revenue" in val:
        # services above designated size: their published revenue (gross output) sizes the group
        g = np.array(group)
        weight = table.x[g] * factor[g]
        x[g] = val["published.services_revenue"] * val.get("assumptions.services_revenue_coverage", 1.0) * weight \
            / weight.sum()
        va_tertiary -= float(x[g] @ ratio[g])
        if va_tertiary <= 0:
            raise ParameterError("regional inputs: the services sized by their published revenue (and trade) hold more "
                                 "value added than the tertiary industry; lower services_revenue_coverage or the trade "
                                 "margin")
        services = np.setdiff1d(services, g)
    weight = table.v[services] * factor[services]
    x[services] = va_tertiary * weight / weight.sum() / ratio[services]
    return x


def load_concordance(codes: tuple[str, ...], path: str | Path | None = None, plan=None) -> FloatArray:
    """Concordance (S, n): share of each of the plan's sectors' output in each IO sector; rows sum to 1.

    Examples
    --------
    >>> C = load_concordance(load_national().codes)
    >>> C.shape, C.sum(axis=1).tolist()
    ((5, 42), [1.0, 1.0, 1.0, 1.0, 1.0])
    """
    from jdmodel.params.iofiles import read_concordance
    from jdmodel.params.plan import load_plan

    sectors = load_plan(plan).sector_ids
    path = Path(path) if path is not None else plan_io_dir(plan) / "concordance.csv"
    return read_concordance(path, sectors, tuple(codes))
