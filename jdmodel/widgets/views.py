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


def target_panel(rep: Any) -> str:
    """HTML table: every assessed target's value in its year, threshold, P(reach) and traffic light.

    Rows carry ``data-target`` (the target id); cells ``jd-value`` and ``jd-prob`` carry the numbers
    in ``data-value``, so that tests (and scripts driving a browser) read them without parsing text.

    Parameters
    ----------
    rep : TargetReport
        From :func:`jdmodel.assess`.
    """
    rows = []
    for r in rep.results:
        t = r.target
        colour, word = traffic_light(r.probability, r.reached)
        value = f"{r.value:,.0f}" if float(r.value).is_integer() else f"{r.value:,.1f}"
        if r.low is not None:
            value += f" <small>[{r.low:,.0f}–{r.high:,.0f}]</small>"
        if r.probability is not None:
            result = f"P = {r.probability:.0%}"
            pval = f"{r.probability:.6f}"
        else:
            result = "reached" if r.reached else "missed"
            pval = "1" if r.reached else "0"
        first = "never" if r.first_year is None else str(r.first_year)
        rows.append(
            f"<tr class='jd-target' data-target='{html.escape(t.id)}'>"
            f"<td><span class='jd-light' data-light='{word}' style='color:{colour};font-size:1.4em'>"
            f"&#9679;</span></td>"
            f"<td><b>{html.escape(t.label_en)}</b> ({t.year})<br><small>{html.escape(t.label_zh)}</small></td>"
            f"<td class='jd-value' data-value='{r.value:.6f}' style='text-align:right'>{value}</td>"
            f"<td>{html.escape(t.comparison)} {t.threshold:,.0f} {html.escape(t.unit)}</td>"
            f"<td class='jd-prob' data-value='{pval}'>{result}</td><td>{first}</td>"
            f"<td class='jd-evidence' data-evidence='{html.escape(r.evidence)}'>{html.escape(r.evidence)}</td></tr>")
    for p in rep.paths:
        if p.probability_above_line is not None:
            rows.append(f"<tr class='jd-path' data-path='{html.escape(p.path.id)}'><td></td>"
                        f"<td>{html.escape(p.path.label_en)}</td><td style='text-align:right'>"
                        f"{p.model[-1]:,.0f}</td><td>≥ {p.path.target_value:,.0f} {html.escape(p.path.unit)}"
                        f"</td><td>P = {p.probability_above_line:.0%}</td><td></td></tr>")
    missing = (f"<p><small>Not modelled in this run: {html.escape(', '.join(rep.missing))}</small></p>"
               if rep.missing else "")
    joint = ""
    if rep.joint_probability is not None and rep.draws > 1:
        joint = f"<p>P(all assessed targets) = <b>{rep.joint_probability:.0%}</b></p>"
    return ("<style>.jd-targets td, .jd-targets th {padding: 3px 10px; vertical-align: top;}</style>"
            "<table style='border-collapse:collapse'><tr><th></th><th>target (year)</th>"
            "<th>value in the target year</th><th>threshold</th><th>P(reach) / result</th><th>first year</th>"
            "<th>evidence</th></tr>" + "".join(rows) + "</table>" + joint + missing
            + "<p><small>evidence: <b>observed</b> — published figures measure the indicator, the data can check "
              "the model; <b>assumed</b> — nothing published measures it, the result rests on assumed parameters."
              "</small></p>")



def figure_png(ds: Any, rep: Any, lab: Labels, colors: Mapping[str, str]) -> bytes:
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
        _draw_total(ax1, ds, rep, lab)
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


def _draw_total(ax: Any, ds: Any, rep: Any, lab: Labels) -> None:
    total = str(ds.attrs.get("headline_total", ""))
    da = ds[total]
    years = da["year"].values
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
