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


def compare_targets(reports: Sequence[Any], ensembles: Sequence[Any] | None = None) -> Table:
    """One row per target: P(reach) with its interval and the median [5–95 %] per scenario, and the difference.

    Parameters
    ----------
    reports : sequence of TargetReport
        One per scenario, the first is the one the others are compared with.
    ensembles : sequence of Dataset, optional
        The ensembles behind ``reports`` (same seed): with them the difference column carries its
        paired Monte Carlo error (two standard errors of the per-draw difference).
    """
    ids = [r.target.id for r in reports[0].results]
    for rep in reports[1:]:
        ids += [r.target.id for r in rep.results if r.target.id not in ids]
    first = reports[0].scenario
    rows = []
    for tid in ids:
        row: dict[str, str] = {"target": tid}
        for k, rep in enumerate(reports):
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
            if k:
                row[f"{rep.scenario} − {first}"] = _difference_cell(reports[0], rep, tid, ensembles, k)
        rows.append(row)
    cols = ["target", "threshold"] + [f"{rep.scenario}: {c}" for rep in reports for c in ("P(reach)",
                                                                                       "median [5–95 %]")]
    cols += [f"{rep.scenario} − {first}" for rep in reports[1:]]
    joint = {"target": "all assessed", "threshold": ""}
    for rep in reports:
        joint[f"{rep.scenario}: P(reach)"] = _pct(rep.joint_probability)
    for rep in reports[1:]:
        if rep.joint_probability is not None and reports[0].joint_probability is not None:
            joint[f"{rep.scenario} − {first}"] = _pp(rep.joint_probability - reports[0].joint_probability)
    rows.append(joint)
    return _table("compare_targets", rows, cols, "Targets per scenario: P(reach) [Wilson 95 % interval]; value in "
                  "the target year, median [5–95 %]; the difference in P(reach) against the first scenario, in "
                  "percentage points ± two standard errors of the paired difference (the same draws)")


def _pp(x: float) -> str:
    return f"{100 * x:+.1f} pp"


def _difference_cell(rep_a, rep_b, tid: str, ensembles, k: int) -> str:
    a = next((x for x in rep_a.results if x.target.id == tid), None)
    b = next((x for x in rep_b.results if x.target.id == tid), None)
    if a is None or b is None:
        return ""
    if a.probability is None or b.probability is None:
        return fmt(b.value - a.value)
    if ensembles is None:
        return _pp(b.probability - a.probability)
    d, se = paired_difference(ensembles[0], ensembles[k], b.target)
    return f"{_pp(d)} ± {100 * 2 * se:.1f}"


def paired_difference(ens_a, ens_b, target) -> tuple[float, float]:
    """P(reach) under b minus under a, and the standard error of that difference over paired draws.

    With common random numbers (the same seed and design) draw *i* of both ensembles samples the
    same assumptions, so the error of the difference is that of the per-draw differences
    ``hit_b − hit_a``, usually far smaller than the two errors added.

    Returns
    -------
    (float, float)
        The difference and its standard error (0 for a central run).
    """
    ha = np.asarray(target.reached(ens_a[target.indicator].sel(year=target.year)), dtype=float).ravel()
    hb = np.asarray(target.reached(ens_b[target.indicator].sel(year=target.year)), dtype=float).ravel()
    d = hb - ha
    se = float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else 0.0
    return float(d.mean()), se


def _groups(a, b) -> list[tuple[str, list[str]]]:
    """The keys on which ``b`` differs from ``a``, grouped: one group per lever (all sectors), other keys alone."""
    from jdmodel.report.names import parameter_label, short

    keys = [k for k in sorted(set(a.params) | set(b.params)) if k in b.params and not _same(a.params.get(k),
                                                                                             b.params[k])]
    groups: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for k in keys:
        parts = k.split(".")
        if parts[0] == "levers" and len(parts) == 3:
            g = f"levers.{parts[1]}"
            from jdmodel.params.schema import spec_for

            spec, _ = spec_for(k, a.plan)
            names[g] = (short(spec.description) if spec else g) + " (all sectors)"
        else:
            g = k
            names[g] = parameter_label(k, a.plan, chinese=False)
        groups.setdefault(g, []).append(k)
    return [(names[g], ks) for g, ks in groups.items()]


def d_n(ens) -> str:
    """The number of draws of an ensemble, as text."""
    return f"{int(ens.sizes.get('draw', 1)):,}"


#: at most this many groups of differences are swapped one at a time to explain a difference in P(reach)
MAX_GROUPS = 8


def differences_text(scenarios: Sequence[Any], ensembles: Sequence[Any], reports: Sequence[Any], *, draws: int,
                     seed: int, design: str) -> str:
    """A sentence on each difference that matters, and what drives it, for each scenario against the first.

    A difference in P(reach) matters when it exceeds two standard errors of the paired difference
    (:func:`paired_difference`). What drives it is measured, not guessed: each group of differing
    parameters (a lever in every sector, or one other parameter) is put alone into the first
    scenario and the ensemble re-run on the same draws; the groups that move P(reach) most are named.
    """
    import jdmodel as jd
    from jdmodel.params.scenario import replace_params

    a, ens_a, rep_a = scenarios[0], ensembles[0], reports[0]
    if rep_a.draws <= 1:
        return "Central runs: differences in P(reach) need draws (`--draws`)."
    out = []
    for sc, ens, rep in zip(scenarios[1:], ensembles[1:], reports[1:], strict=True):
        name_a, name_b = markdown_text(a.name, one_line=True), markdown_text(sc.name, one_line=True)
        material = []
        for r in rep.results:
            ra = next((x for x in rep_a.results if x.target.id == r.target.id), None)
            if ra is None:
                continue
            d, se = paired_difference(ens_a, ens, r.target)
            if abs(d) > 2 * se and d != 0:
                material.append((r.target, d, se))
        if not material:
            out.append(f"* *{name_b}* and *{name_a}* give every target the same chance within the Monte Carlo "
                       "error (two standard errors of the paired difference).")
            continue
        groups = _groups(a, sc)[:MAX_GROUPS]
        effects: dict[str, dict[str, float]] = {}
        for label, keys in groups:
            swapped = replace_params(a, {k: sc.params[k] for k in keys})
            ens_g = jd.simulate(swapped, draws=draws, seed=seed, design=design, io=False)
            effects[label] = {t.id: paired_difference(ens_a, ens_g, t)[0] for t, _, _ in material}
        for t, d, se in material:
            ranked = sorted(effects.items(), key=lambda kv: -abs(kv[1][t.id]))
            named = [f"{markdown_text(lbl, one_line=True)} ({_pp(e[t.id])})" for lbl, e in ranked[:3]
                     if abs(e[t.id]) >= 0.005]
            why = (f" Put alone into *{name_a}*, the differences that move it most are: {'; '.join(named)}."
                   if named else " No single group of differing parameters moves it on its own: it comes from "
                   "their combination.")
            out.append(f"* P({markdown_text(t.id, one_line=True)}) is **{abs(100 * d):.1f} percentage points "
                       f"{'higher' if d > 0 else 'lower'}** under *{name_b}* than under *{name_a}* "
                       f"(± {100 * 2 * se:.1f}, two standard errors over {d_n(ens_a)} paired draws).{why}")
    return "\n".join(out)


def compare_diff(scenarios: Sequence[Any]) -> Table:
    """Every parameter on which the scenarios do not all agree, with each scenario's value."""
    from jdmodel.report.names import parameter_label, unit_text

    keys = sorted(set().union(*(sc.params for sc in scenarios)))
    rows = []
    for key in keys:
        ps = [sc.params.get(key) for sc in scenarios]
        if all(_same(ps[0], p) for p in ps[1:]):
            continue
        rows.append({"parameter": parameter_label(key, scenarios[0].plan),
                     **{sc.name: "" if p is None else fmt(p.value) for sc, p in zip(scenarios, ps, strict=True)},
                     "unit": unit_text(next(p.unit for p in ps if p is not None)), "key": key})
    return _table("compare_diff", rows, ["parameter", *[sc.name for sc in scenarios], "unit", "key"],
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
