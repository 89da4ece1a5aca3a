"""The model beside what the district published, for the first screen a user reads."""

from __future__ import annotations

import xarray as xr

from jdmodel.params.observed import CLASSES


def observed_beside(ds: xr.Dataset, sc, observed=None) -> str:
    """A plain table: each published figure the model has an indicator for, next to the model value.

    The conversion is the ex-post observation operator's (:mod:`jdmodel.expost.operator`): a full
    year beside the annual value; January–October beside the annual value times the scenario's
    January–October share; a half year beside the annual value times the half-year share of the
    plan's ``expost.toml``; a lower bound (``> X``) marked as such. Only indicators present in
    ``ds`` are shown. ``observed`` defaults to the scenario's plan's observations.
    """
    from jdmodel.expost.operator import (
        indicator_path,
        load_error_model,
        observations,
        scenario_shares,
        within_year_share,
    )

    errors = load_error_model(plan=sc.plan)
    share = scenario_shares(sc)
    rows = []
    obs_list = sc.plan.observations if observed is None else observations(observed)
    if not obs_list:
        return f"Plan {sc.plan.id!r} has no published figures (observed.toml) to set beside the model."
    for obs in obs_list:
        da = indicator_path(ds, obs.indicator)
        if da is None or obs.year not in ds["year"].values:
            continue
        factor, how = within_year_share(obs, errors, share)
        if factor is None:
            continue
        annual = da.sel(year=obs.year)
        if "draw" in annual.dims:
            annual = annual.median("draw")
        model = float(annual) * float(factor)
        shown = ("> " if obs.bound == "lower" else "") + f"{obs.value:,.1f}"
        rows.append((obs.indicator, str(obs.period), shown, f"{model:,.1f}", f"{(model / obs.value - 1):+.1%}",
                     obs.cls, how))
    if not rows:
        return "No published figure matches an indicator of this run."
    head = ("indicator", "period", "published", "model", "model/pub.", "class", "model value is")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" if i in (0, 1, 5, 6) else f"{{:>{w}}}" for i, w in enumerate(widths))
    where = sc.plan.file("observed")
    lines = [f"Model beside the published figures ({sc.plan.id}/{where.name}):",
             fmt.format(*head), "-" * (sum(widths) + 2 * (len(widths) - 1))]
    lines += [fmt.format(*r) for r in rows]
    lines.append("classes: " + "; ".join(f"{k} = {v}" for k, v in CLASSES.items()))
    lines.append("full evaluation with error scales by class: jdmodel evaluate")
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """Left-justify by terminal display width (CJK characters take two columns)."""
    import unicodedata

    shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - shown, 0)


def sector_summary(ds: xr.Dataset, sc, years=None) -> str:
    """Output by sector (the bureau's total and smart transport beside it) and economy-wide effects."""
    comp = set(sc.targets.composition)
    headline = sc.plan.totals[0]
    out = ds["output"].median("draw") if "draw" in ds["output"].dims else ds["output"]
    y = sc.plan.years
    years = years or (y.base, y.base + (y.plan_end - y.base) // 2, y.plan_end, y.horizon)
    years = sorted({int(v) for v in years if v in ds["year"].values})
    lines = ["Output by sector (亿元)" + ("; median over draws" if "draw" in ds.dims else ""),
             _pad("sector", 40) + "".join(f"{y:>9d}" for y in years)]
    for s in out["sector"].values:
        label = f"{ds['sector_zh'].sel(sector=s).item()} {s}" + ("" if s in comp else " *")
        lines.append(_pad(label, 40) + "".join(f"{float(out.sel(sector=s, year=y)):>9,.0f}" for y in years))
    total = out.sel(sector=[s for s in out["sector"].values if s in comp]).sum("sector")
    lines.append(_pad(f"{headline.zh or headline.en} (total)", 40) + "".join(f"{float(total.sel(year=y)):>9,.0f}"
                                                                             for y in years))
    if len(comp) < len(out["sector"]):
        lines.append(f"* not a component of {headline.zh or headline.en}: modelled and shown beside the total")
    if "io_value_added_effect" in ds:
        pick = {v: (ds[v].median("draw") if "draw" in ds[v].dims else ds[v]) for v in
                ("io_value_added_effect", "io_direct_effect", "io_indirect_effect")}
        y = sc.plan.years.plan_end
        lines.append(f"Economy-wide, {y}, against the {sc.plan.counterfactual} levers: gross output "
                     f"+{float(pick['io_direct_effect'].sel(year=y)):,.1f} 亿元 direct, "
                     f"+{float(pick['io_indirect_effect'].sel(year=y)):,.1f} 亿元 indirect (input–output linkages); "
                     f"district value added +{float(pick['io_value_added_effect'].sel(year=y)):,.1f} 亿元")
    return "\n".join(lines)
