"""The model beside what the district published, for the first screen a user reads."""

from __future__ import annotations

import xarray as xr

from jdmodel.params.observed import CLASSES, load_observed


def observed_beside(ds: xr.Dataset, sc, observed: str = "jiading") -> str:
    """A plain table: each published figure the model has an indicator for, next to the model value.

    The conversion is the ex-post observation operator's (:mod:`jdmodel.expost.operator`): a full
    year beside the annual value; January–October beside the annual value times the within-year
    share ``base_year.jan_oct_share``; a half year beside the annual value times the half-year share
    of ``parameters/expost.toml``; a lower bound (``> X``) marked as such. Only indicators present
    in ``ds`` are shown.
    """
    from jdmodel.expost.operator import indicator_path, load_error_model, within_year_share

    errors = load_error_model()
    share = float(sc["base_year.jan_oct_share"])
    rows = []
    for obs in load_observed(observed):
        da = indicator_path(ds, obs.indicator)
        if da is None or obs.year not in ds["year"].values:
            continue
        factor, how = within_year_share(obs, errors, jan_oct_share=share)
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
    lines = ["Model beside the district's published figures (parameters/observed/jiading.toml):",
             fmt.format(*head), "-" * (sum(widths) + 2 * (len(widths) - 1))]
    lines += [fmt.format(*r) for r in rows]
    lines.append("classes: " + "; ".join(f"{k} = {v}" for k, v in CLASSES.items()))
    lines.append("full evaluation with error scales by class: jdmodel evaluate")
    return "\n".join(lines)
