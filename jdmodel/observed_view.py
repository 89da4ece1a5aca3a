"""The model beside what the district published, for the first screen a user reads."""

from __future__ import annotations

import xarray as xr

from jdmodel.params.observed import CLASSES, load_observed


def observed_beside(ds: xr.Dataset, sc, observed: str = "jiading") -> str:
    """A plain table: each published figure the model has an indicator for, next to the model value.

    A January–October figure is set beside the model's annual value times the within-year share
    ``base_year.jan_oct_share`` (the same assumption that sets the base year); a half-year figure
    beside half the annual value; a full year beside the annual value; a lower bound (``> X``) is
    marked as such. Only indicators present in ``ds`` are shown.
    """
    share = float(sc["base_year.jan_oct_share"])
    rows = []
    for obs in load_observed(observed):
        da = _indicator(ds, obs.indicator)
        if da is None or obs.year not in ds["year"].values:
            continue
        annual = da.sel(year=obs.year)
        if "draw" in annual.dims:
            annual = annual.median("draw")
        annual = float(annual)
        p = obs.period
        if p.full_year:
            factor, how = 1.0, "annual"
        elif (p.first_month, p.last_month) == (1, 10):
            factor, how = share, f"annual × {share:.3f} (Jan–Oct share)"
        elif (p.first_month, p.last_month) in ((1, 6), (7, 12)):
            factor, how = 0.5, "annual × 0.5 (half year)"
        else:
            continue
        model = annual * factor
        shown = ("> " if obs.bound == "lower" else "") + f"{obs.value:,.1f}"
        rows.append((obs.indicator, str(p), shown, f"{model:,.1f}", f"{(model / obs.value - 1):+.1%}", obs.cls, how))
    if not rows:
        return "No published figure matches an indicator of this run."
    head = ("indicator", "period", "published", "model", "model/pub.", "class", "model value is")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" if i in (0, 1, 5, 6) else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = ["Model beside the district's published figures (parameters/observed/jiading.toml):",
             fmt.format(*head), "-" * (sum(widths) + 2 * (len(widths) - 1))]
    lines += [fmt.format(*r) for r in rows]
    lines.append("classes: " + "; ".join(f"{k} = {v}" for k, v in CLASSES.items()))
    return "\n".join(lines)


def _indicator(ds: xr.Dataset, name: str):
    if name in ds:
        return ds[name]
    if name.startswith("output.") and "output" in ds:
        sector = name.split(".", 1)[1]
        if sector in ds["sector"].values:
            return ds["output"].sel(sector=sector)
    if name == "gdp" and "io_value_added" in ds:
        return ds["io_value_added"].sum("io_sector")
    return None
