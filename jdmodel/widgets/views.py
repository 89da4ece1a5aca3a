"""What the dashboard shows: the figure (PNG) and the target panel (HTML), from a run and its report.

Presentation only: the functions read a Dataset and a TargetReport and never run the model.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping
from typing import Any

from jdmodel.figures.labels import Labels


def sector_colors(plan=None) -> dict[str, str]:
    """One colour per sector, the plan's, the same as in every other figure (:func:`jdmodel.figures.uncertainty.sector_colours`)."""
    from jdmodel.figures.uncertainty import sector_colours

    return sector_colours(plan)


def traffic_light(probability: float | None, reached: bool | None) -> tuple[str, str]:
    """Colour and word for a target: green at P ≥ 80 %, amber at P ≥ 50 %, red below.

    A central run is green when the target is reached and red when it is missed.

    Examples
    --------
    >>> traffic_light(0.9, None), traffic_light(None, False)
    (('#2ca02c', 'green'), ('#d62728', 'red'))
    """
    p = probability if probability is not None else (1.0 if reached else 0.0)
    if p >= 0.8:
        return "#2ca02c", "green"
    if p >= 0.5:
        return "#ff7f0e", "amber"
    return "#d62728", "red"


def target_panel(rep: Any, reference: Any = None) -> str:
    """HTML table: every assessed target's value in its year, threshold, P(reach) and traffic light.

    Rows carry ``data-target`` (the target id); cells ``jd-value`` and ``jd-prob`` carry the numbers
    in ``data-value``, so that tests (and scripts driving a browser) read them without parsing text.
    P(reach) and P(all) carry their Wilson 95 % interval: at the dashboard's draw counts it is wide,
    and a reader should see how wide.

    Parameters
    ----------
    rep : TargetReport
        From :func:`jdmodel.assess`.
    reference : TargetReport, optional
        The starting scenario's, on the same draws: a column gives each difference against it
        (``jd-delta`` cells, the value's difference in ``data-value`` and P's in ``data-prob``).
    """
    from jdmodel.targets import wilson_interval

    ref = {r.target.id: r for r in reference.results} if reference is not None else {}
    rows = []
    for r in rep.results:
        t = r.target
        colour, word = traffic_light(r.probability, r.reached)
        value = _num(r.value)
        if r.low is not None:
            value += f" <small>[{r.low:,.0f}–{r.high:,.0f}]</small>"
        if r.probability is not None:
            lo, hi = r.interval if r.interval is not None else wilson_interval(r.probability, rep.draws)
            result = f"P = {r.probability:.0%} <small>[{lo:.0%}–{hi:.0%}]</small>"
            pval = f"{r.probability:.6f}"
        else:
            result = "reached" if r.reached else "missed"
            pval = "1" if r.reached else "0"
        first = "never" if r.first_year is None else str(r.first_year)
        delta = ""
        if reference is not None:
            delta = _delta_cell(r, ref.get(t.id))
        rows.append(
            f"<tr class='jd-target' data-target='{html.escape(t.id)}'>"
            f"<td><span class='jd-light' data-light='{word}' style='color:{colour};font-size:1.4em'>"
            f"&#9679;</span></td>"
            f"<td><b>{html.escape(t.label_en)}</b> ({t.year})<br><small>{html.escape(t.label_zh)}</small></td>"
            f"<td class='jd-value' data-value='{r.value:.6f}' style='text-align:right'>{value}</td>"
            f"<td>{html.escape(t.comparison)} {t.threshold:,.0f} {html.escape(t.unit)}</td>"
            f"<td class='jd-prob' data-value='{pval}'>{result}</td>{delta}<td>{first}</td>"
            f"<td class='jd-evidence' data-evidence='{html.escape(r.evidence)}'>{html.escape(r.evidence)}</td></tr>")
    for p in rep.paths:
        if p.probability_above_line is not None:
            rows.append(f"<tr class='jd-path' data-path='{html.escape(p.path.id)}'><td></td>"
                        f"<td>{html.escape(p.path.label_en)}</td><td style='text-align:right'>"
                        f"{p.model[-1]:,.0f}</td><td>≥ {p.path.target_value:,.0f} {html.escape(p.path.unit)}"
                        f"</td><td>P = {p.probability_above_line:.0%}</td>{'<td></td>' if reference else ''}"
                        "<td></td><td></td></tr>")
    missing = (f"<p><small>Not modelled in this run: {html.escape(', '.join(rep.missing))}</small></p>"
               if rep.missing else "")
    joint = ""
    if rep.joint_probability is not None and rep.draws > 1:
        lo, hi = wilson_interval(rep.joint_probability, rep.draws)
        joint = (f"<p class='jd-joint' data-value='{rep.joint_probability:.6f}'>P(all assessed targets) = "
                 f"<b>{rep.joint_probability:.0%}</b> <small>(95 % interval {lo:.0%}–{hi:.0%} over {rep.draws} "
                 "draws)</small>")
        if reference is not None and reference.joint_probability is not None:
            joint += f"; starting scenario {reference.joint_probability:.0%}"
        joint += "</p>"
    head_delta = "<th>change from the starting scenario</th>" if reference is not None else ""
    return ("<style>.jd-targets td, .jd-targets th {padding: 3px 10px; vertical-align: top;}</style>"
            "<table style='border-collapse:collapse'><tr><th></th><th>target (year)</th>"
            f"<th>value in the target year</th><th>threshold</th><th>P(reach) [95 % interval] / result</th>{head_delta}"
            "<th>first year</th><th>evidence</th></tr>" + "".join(rows) + "</table>" + joint + missing
            + "<p><small>The interval is that of the share of draws: few draws, a wide interval. Evidence: "
              "<b>observed</b> — published figures measure the indicator, the data can check the model; "
              "<b>assumed</b> — nothing published measures it, the result rests on assumed parameters."
              "</small></p>")


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() or abs(x) >= 100 else f"{x:,.1f}"


def _delta_cell(r: Any, base: Any) -> str:
    """The change of a target's value (and P) against the starting scenario's, as a table cell."""
    if base is None:
        return "<td class='jd-delta'></td>"
    dv = r.value - base.value
    text = f"{'+' if dv >= 0 else '−'}{_num(abs(dv))}"
    dp = ""
    if r.probability is not None and base.probability is not None:
        d = r.probability - base.probability
        dp = f" data-prob='{d:.6f}'"
        text += f", P {'+' if d >= 0 else '−'}{abs(100 * d):.0f} pp"
    elif r.reached is not None and base.reached is not None and r.reached != base.reached:
        text += ", now " + ("reached" if r.reached else "missed")
    return f"<td class='jd-delta' data-value='{dv:.6f}'{dp}>{text}</td>"


def figure_png(ds: Any, rep: Any, lab: Labels, colors: Mapping[str, str], reference: Any = None,
               reference_name: str = "") -> bytes:
    """The plan's headline total against its target (fan when draws > 1) and output per sector, as PNG.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`jdmodel.simulate` (central run or ensemble).
    rep : TargetReport
        Its assessment (gives the target drawn on the total).
    lab : Labels
        Chinese or English labels (:func:`jdmodel.figures.labels.labels`).
    colors : mapping
        Sector → colour.
    reference : xarray.Dataset, optional
        The starting scenario's run (same draws): its headline total drawn as a dashed reference path.
    reference_name : str
        Its name, for the legend.
    """
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with rc_context(lab.rc()):
        # fixed margins: constrained layout would draw the figure twice on every update
        fig = Figure(figsize=(10, 3.8), dpi=90)
        FigureCanvasAgg(fig)
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"left": 0.075, "right": 0.985, "bottom": 0.09,
                                                   "top": 0.92, "wspace": 0.22})
        _draw_total(ax1, ds, rep, lab, reference, reference_name)
        years = ds["year"].values
        names = lab.sectors(ds)
        for s in [str(v) for v in ds["sector"].values]:
            da = ds["output"].sel(sector=s)
            if "draw" in da.dims:
                lo, mid, hi = (da.quantile(q, "draw").values for q in (0.05, 0.5, 0.95))
                ax2.fill_between(years, lo, hi, color=colors[s], alpha=0.15, linewidth=0)
            else:
                mid = da.values
            ax2.plot(years, mid, color=colors[s], linewidth=2, label=names[s])
        ax2.set_yscale("log")
        ax2.set_title(lab.text("各产业产出 Output by sector", "Output by sector"), fontsize=11)
        ax2.set_ylabel(lab.money() + " (log scale)")
        first, last = _plan_period(ds)
        ax2.axvspan(first - 0.5, last + 0.5, color="#EAF2FB", zorder=0)
        ax2.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(0.0, 0.6))
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()



def _plan_period(ds: Any) -> tuple[int, int]:
    years = [int(y) for y in ds["year"].values]
    return int(ds.attrs.get("plan_start", years[1])), int(ds.attrs.get("plan_end", years[-1]))


def _draw_total(ax: Any, ds: Any, rep: Any, lab: Labels, reference: Any = None, reference_name: str = "") -> None:
    total = str(ds.attrs.get("headline_total", ""))
    da = ds[total]
    years = da["year"].values
    if reference is not None and total in reference:
        ref = reference[total]
        mid = ref.median("draw").values if "draw" in ref.dims else ref.values
        name = reference_name.replace("$", r"\$")
        ax.plot(years, mid, color="#0072B2", linewidth=1.6, linestyle="--", zorder=3,
                label=lab.text(f"起点 start: {name}", f"start: {name}"))
    if "draw" in da.dims:
        q = {p: da.quantile(p, "draw").values for p in (0.05, 0.25, 0.5, 0.75, 0.95)}
        ax.fill_between(years, q[0.05], q[0.95], color="#444444", alpha=0.15, linewidth=0, label="5–95 %")
        ax.fill_between(years, q[0.25], q[0.75], color="#444444", alpha=0.3, linewidth=0, label="25–75 %")
        ax.plot(years, q[0.5], color="#222222", linewidth=2, label="median")
    else:
        ax.plot(years, da.values, color="#222222", linewidth=2, label="model")
    target = next((r.target for r in rep.results if r.target.indicator == total), None)
    if target is not None:
        ax.axhline(target.threshold, color="#D55E00", linestyle=":", linewidth=1)
        ax.plot([target.year], [target.threshold], "D", color="#D55E00",
                label=f"target {target.year}: {target.comparison} {target.threshold:,.0f}")
    first, last = _plan_period(ds)
    ax.axvspan(first - 0.5, last + 0.5, color="#EAF2FB", zorder=0, label=f"plan period {first}–{last}")
    long_name = str(da.attrs.get("long_name", total))
    en, _, zh = long_name.partition(" (")
    ax.set_title(lab.text(f"{zh.rstrip(')')} {en}" if zh else en, en), fontsize=11)
    ax.set_ylabel(lab.money())
    ax.legend(fontsize=8, frameon=False, loc="upper left")
