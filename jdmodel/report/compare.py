"""Tables and figures that set several scenarios side by side (``notebooks/compare_template.ipynb``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from jdmodel.report.sections import (
    Table,
    _pct,
    _same,
    _table,
    assessed_indicators,
    fmt,
    markdown_text,
    plain_text,
    unit_label,
)

#: Colours for scenarios (vermillion #D55E00 is left to the targets).
SCENARIO_COLORS = ("#000000", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#999999", "#F0E442")


def title(scenarios: Sequence[Any], *, draws: int, seed: int | None, design: str) -> str:
    """The comparison's Markdown heading: the scenarios' names (escaped, :func:`markdown_text`), draws, seed."""
    names = " · ".join(markdown_text(sc.name, one_line=True) for sc in scenarios)
    return (f"# Scenario comparison: {names}\n\n{int(draws)} draws per scenario, seed {seed}, "
            f"design {markdown_text(design, one_line=True)}")


def compare_targets(reports: Sequence[Any]) -> Table:
    """One row per target, P(reach) with its interval and the median [5–95 %] per scenario."""
    ids = [r.target.id for r in reports[0].results]
    for rep in reports[1:]:
        ids += [r.target.id for r in rep.results if r.target.id not in ids]
    rows = []
    for tid in ids:
        row: dict[str, str] = {"target": tid}
        for rep in reports:
            r = next((x for x in rep.results if x.target.id == tid), None)
            if r is None:
                continue
            row["threshold"] = f"{r.target.comparison} {fmt(r.target.threshold)} {r.target.unit} ({r.target.year})"
            if r.probability is not None:
                row[f"{rep.scenario}: P(reach)"] = (f"{_pct(r.probability)} [{_pct(r.interval[0])} – "
                                                    f"{_pct(r.interval[1])}]")
                row[f"{rep.scenario}: median [5–95 %]"] = f"{fmt(r.value)} [{fmt(r.low)} – {fmt(r.high)}]"
            else:
                row[f"{rep.scenario}: P(reach)"] = "reached" if r.reached else "missed"
                row[f"{rep.scenario}: median [5–95 %]"] = fmt(r.value)
        rows.append(row)
    cols = ["target", "threshold"] + [f"{rep.scenario}: {c}" for rep in reports for c in ("P(reach)",
                                                                                       "median [5–95 %]")]
    joint = {"target": "all assessed", "threshold": ""}
    for rep in reports:
        joint[f"{rep.scenario}: P(reach)"] = _pct(rep.joint_probability)
    rows.append(joint)
    return _table("compare_targets", rows, cols, "Targets per scenario: P(reach) [Wilson 95 % interval]; value in "
                  "the target year, median [5–95 %]")


def compare_diff(scenarios: Sequence[Any]) -> Table:
    """Every parameter on which the scenarios do not all agree, with each scenario's value."""
    keys = sorted(set().union(*(sc.params for sc in scenarios)))
    rows = []
    for key in keys:
        ps = [sc.params.get(key) for sc in scenarios]
        if all(_same(ps[0], p) for p in ps[1:]):
            continue
        rows.append({"key": key, **{sc.name: "" if p is None else fmt(p.value) for sc, p in zip(scenarios, ps,
                                                                                                strict=True)},
                     "unit": next(p.unit for p in ps if p is not None)})
    return _table("compare_diff", rows, ["key", *[sc.name for sc in scenarios], "unit"],
                  "Parameters on which the scenarios differ")


def compare_io(datasets: Sequence[Any], year: int | None = None) -> Table | None:
    """Direct, indirect and value-added effects against the counterfactual, per scenario, in ``year``
    (default: the end of the plan period)."""
    if not all("io_direct_effect" in ds for ds in datasets):
        return None
    year = int(year or datasets[0].attrs.get("plan_end", datasets[0]["year"].values[-1]))
    rows = []
    for ds in datasets:
        d, i = float(ds["io_direct_effect"].sel(year=year)), float(ds["io_indirect_effect"].sel(year=year))
        rows.append({"scenario": str(ds.attrs.get("scenario")), "direct (亿元)": fmt(d), "indirect (亿元)": fmt(i),
                     "total (亿元)": fmt(d + i),
                     "value added (亿元)": fmt(float(ds["io_value_added_effect"].sel(year=year)))})
    return _table("compare_io", rows, ["scenario", "direct (亿元)", "indirect (亿元)", "total (亿元)",
                                       "value added (亿元)"],
                  f"Economy-wide effect against the counterfactual scenario's levers, {year}")


def overlay_paths(ensembles: Sequence[Any], reports: Sequence[Any], labels=None):
    """Median and 5–95 % band of each target indicator, one colour per scenario; returns the Figure."""
    import matplotlib.pyplot as plt

    items = assessed_indicators(reports[0])
    cols = 2 if len(items) > 1 else 1
    rows = -(-len(items) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 3.6 * rows), layout="constrained", squeeze=False)
    for ax, (indicator, t) in zip(axes.flat, items, strict=False):
        for k, (ens, rep) in enumerate(zip(ensembles, reports, strict=True)):
            if indicator not in ens:
                continue
            color = SCENARIO_COLORS[k % len(SCENARIO_COLORS)]
            da = ens[indicator]
            years = da["year"].values
            if "draw" in da.dims:
                q = da.quantile([0.05, 0.5, 0.95], dim="draw").transpose("quantile", "year").values
                ax.fill_between(years, q[0], q[2], color=color, alpha=0.12, linewidth=0)
                ax.plot(years, q[1], color=color, linewidth=2, label=plain_text(rep.scenario))
            else:
                ax.plot(years, np.asarray(da), color=color, linewidth=2, label=plain_text(rep.scenario))
        ax.plot([t.year], [t.threshold], marker="D", linestyle="none", color="#D55E00")
        ax.axhline(t.threshold, color="#D55E00", linestyle=":", linewidth=0.8)
        unit = unit_label(t.unit, labels)
        ax.set_title(plain_text(f"{t.id}: {t.comparison} {t.threshold:,.0f} {unit} by {t.year}"),
                     fontsize="medium")
        ax.set_ylabel(unit)
        ax.set_xlabel("year")
        ax.legend(loc="upper left", fontsize="small", frameon=False)
    for ax in list(axes.flat)[len(items):]:
        ax.set_visible(False)
    return fig
