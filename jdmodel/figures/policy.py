"""Figures for the policy questions: the lever frontier and the budget split.

Every function takes ``ax=None`` (a new figure when omitted), returns the Axes and never calls
``plt.show()``; matplotlib is imported inside the functions. Sectors keep their colours from
their plan's colours (:func:`jdmodel.figures.uncertainty.sector_colours`); units are English unless a
``labels`` (:func:`jdmodel.figures.labels.labels`) whose font draws Chinese is passed, which gives 亿元 as
elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from jdmodel.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_frontier", "plot_budget", "plot_budget_profile", "plot_conditioned"]

_TARGET = "#D55E00"
_NEUTRAL = "#444444"
_LEVER_HATCH = {"funds": "", "talent": "//", "land": ".."}
# one colour per lever in the budget chart (Okabe & Ito; the sector colours stay on the sector axis)
_LEVER_COLOUR = {"funds": "#0072B2", "talent": "#E69F00", "land": "#009E73"}
_LEVER_STYLE = {"funds": "-", "talent": (0, (5, 2)), "land": (0, (1, 1.5))}
_LEVER_MARKER = {"funds": "o", "talent": "s", "land": "^"}
# English units on axes: the default matplotlib font has no CJK glyphs
_UNIT_EN = {"亿元/yr": "100 million yuan/yr", "人/yr": "people/yr", "公顷/yr": "ha/yr", "亿元": "100 million yuan"}


def unit(units: str, labels: Any = None) -> str:
    """A unit for an axis or legend: 亿元/yr when ``labels`` draws Chinese, "100 million yuan/yr" otherwise.

    Examples
    --------
    >>> unit("亿元/yr"), unit("人/yr")
    ('100 million yuan/yr', 'people/yr')
    """
    english = _UNIT_EN.get(units, units)
    return labels.text(units, english) if labels is not None else english


def _amount(value: float, units: str, labels: Any = None) -> str:
    """"109 亿元/yr", or "109 (100 million yuan/yr)" where a number would run into the unit's own number."""
    u = unit(units, labels)
    return f"{value:,.3g} ({u})" if u[:1].isdigit() else f"{value:,.3g} {u}"


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(7, 4), layout="constrained")[1]


def plot_frontier(curve: Any, ax: Axes | None = None, *, result: Any = None, prob: float | None = None,
                  x: str = "amount", labels: Any = None) -> Axes:
    """P(reach) against the lever (amount or scale), with a 95 % band and the frontier marked.

    Parameters
    ----------
    curve : xarray.Dataset
        From :func:`jdmodel.policy.frontier_curve`.
    ax : matplotlib Axes, optional
    result : FrontierResult, optional
        Marks its amount (or scale) and probability.
    prob : float, optional
        Draws the required probability as a horizontal line (default ``result.prob``).
    x : {"amount", "scale"}
        Horizontal axis: the amount per year of the plan period (the scale is then on the top axis), or the scale.
    labels : Labels, optional
        :func:`jdmodel.figures.labels.labels`: units in Chinese (亿元) when its font draws them; English without.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import jdmodel as jd
    >>> from jdmodel.policy import frontier_curve
    >>> ax = plot_frontier(frontier_curve("plan", scales=[0, 1, 2, 4], draws=100))
    """
    if "p_reach" not in curve or "scale" not in curve.dims:
        raise ParameterError("plot_frontier: expected a Dataset from jdmodel.policy.frontier_curve")
    if x not in ("amount", "scale"):
        raise ParameterError(f"plot_frontier: x must be 'amount' or 'scale', got {x!r}")
    ax = _axes(ax)
    scale = np.asarray(curve["scale"], dtype=float)
    base = float(curve.attrs.get("base_amount", 1.0))
    xs = scale * base if x == "amount" else scale
    p = np.asarray(curve["p_reach"], dtype=float)
    se = np.asarray(curve["p_se"], dtype=float)
    lever = curve.attrs.get("lever", "lever")
    ax.fill_between(xs, np.clip(p - 1.96 * se, 0, 1), np.clip(p + 1.96 * se, 0, 1), color=_NEUTRAL, alpha=0.18,
                    linewidth=0, step="post", label="95 % Monte Carlo band")
    ax.step(xs, p, where="post", color=_NEUTRAL, linewidth=2,
            label=f"P({curve.attrs.get('target', 'target')} reached)")
    prob = prob if prob is not None else (None if result is None else result.prob)
    if prob is not None:
        ax.axhline(prob, color=_TARGET, linestyle="--", linewidth=1, label=f"required {prob:.0%}")
    if result is not None:
        at = result.amount if x == "amount" else result.scale
        ax.axvline(at, color=_TARGET, linewidth=1)
        ax.plot([at], [result.probability], marker="o", color=_TARGET,
                label="frontier: " + (_amount(at, result.unit, labels) if x == "amount" else f"{at:,.3g} ×"))
    if x == "amount":
        ax.axvline(base, color=_NEUTRAL, linestyle=":", linewidth=1, label="scenario as is")
        units = curve["amount"].attrs.get("units", "")
        period = curve["amount"].attrs.get("long_name", "").split(",")[1].strip() if "," in curve["amount"].attrs.get(
            "long_name", "") else "plan period"
        ax.set_xlabel(f"{lever}, {unit(units, labels)} ({period}, chosen sectors)")
        if base > 0:
            top = ax.secondary_xaxis("top", functions=(lambda a: a / base, lambda c: c * base))
            top.set_xlabel(f"multiple of the scenario's {lever} path")
    else:
        ax.set_xlabel(f"multiple of the scenario's {lever} path")
    ax.set_ylabel("P(reach)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    return ax


def _plan_of(result: Any):
    """The plan a policy result was computed for (the default plan when it does not say)."""
    from jdmodel.params.plan import load_plan

    problem = getattr(result, "problem", None)
    return getattr(getattr(problem, "ens", None), "plan", None) or load_plan()


def plot_budget(result: Any, ax: Axes | None = None, *, labels: Any = None) -> Axes:
    """Spend per sector at the optimum, stacked by lever: one colour (and hatching) per lever.

    Parameters
    ----------
    result : BudgetResult
    ax : matplotlib Axes, optional
    labels : Labels, optional
        Units and sector names in Chinese when its font draws them (:func:`jdmodel.figures.labels.labels`).

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    plan = _plan_of(result)
    names = {s.id: (labels.sector(s.id) if labels is not None else s.en) for s in plan.sectors}
    spend = result.spend
    sectors = [str(s) for s in spend["sector"].values]
    pos = np.arange(len(sectors))
    bottom = np.zeros(len(sectors))
    fallback = iter(("#CC79A7", "#56B4E9", "#F0E442", _NEUTRAL))
    for lv in [str(v) for v in spend["lever"].values]:
        vals = np.asarray(spend.sel(lever=lv), dtype=float)
        ax.bar(pos, vals, bottom=bottom, color=_LEVER_COLOUR.get(lv) or next(fallback), edgecolor="white",
               linewidth=0.8, hatch=_LEVER_HATCH.get(lv, ""), label=lv)
        bottom += vals
    ax.set_xticks(pos, [names.get(s, s) for s in sectors], rotation=20, ha="right")
    ax.set_ylabel(f"spend, {unit('亿元/yr', labels)} ({plan.years.plan_start}–{plan.years.plan_end})")
    ax.legend(frameon=False, fontsize="small", title="lever", title_fontsize="small")
    ax.set_title(f"Budget {_amount(result.budget, '亿元/yr', labels)}: P(all) {result.probabilities['all']:.1%} "
                 f"(scenario as is {result.scenario_probabilities['all']:.1%})", fontsize="medium")
    return ax


def plot_budget_profile(result: Any, ax: Axes | None = None, *, labels: Any = None) -> Axes:
    """The exact objective along each cell's axis (others rescaled to the same total): how flat the optimum is.

    Colour: sector; line style and marker: lever (funds solid with circles, talent dashed with squares, land
    dotted with triangles).

    Parameters
    ----------
    result : BudgetResult
        Computed with ``profile=True``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if result.profile is None:
        raise ParameterError("plot_budget_profile: the result has no profile (call optimise_budget(..., profile=True))")
    ax = _axes(ax)
    plan = _plan_of(result)
    colours, names = plan.colours, plan.labels_en
    prof = result.profile
    for cell in [str(c) for c in prof["cell"].values]:
        lv, s = cell.split(".", 1)
        ax.plot(prof["spend"].sel(cell=cell), prof["objective"].sel(cell=cell), color=colours.get(s, _NEUTRAL),
                linestyle=_LEVER_STYLE.get(lv, "-"), marker=_LEVER_MARKER.get(lv, "."), markersize=3.5,
                linewidth=1.3, label=f"{lv}, {names.get(s, s)}")
    ax.axhline(result.value, color=_TARGET, linewidth=1, label="optimum")
    ax.axhspan(result.value - result.se, result.value + result.se, color=_TARGET, alpha=0.12, linewidth=0,
               label="± 1 s.e.")
    ax.set_xlabel(f"spend on one cell, {unit('亿元/yr', labels)}")
    ax.set_ylabel(prof["objective"].attrs.get("long_name", "objective"))
    ax.legend(fontsize="x-small", frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), handlelength=3.5)
    return ax



def plot_conditioned(conditioned: Any, variable: str | None = None, ax: Axes | None = None, *,
                     target: float | None = None, labels: Any = None, name: str | None = None,
                     which: tuple[str, str] = ("prior", "posterior"), inner: bool = True) -> Axes:
    """Prior and posterior paths: 5–95 % and 25–75 % bands by year, medians.

    Parameters
    ----------
    conditioned : ConditionedEnsemble or ScenarioPosterior
        From :func:`jdmodel.condition` or :func:`jdmodel.expost.infer` (or a posterior file read with
        :func:`jdmodel.expost.posterior_file.read_posterior`); its ``quantiles`` (which, quantile, year) are drawn.
    variable : str, optional
        An indicator with quantiles (default: the first, the plan's headline total).
    ax : matplotlib Axes, optional
    target : float, optional
        A horizontal target line.
    labels : Labels, optional
        :func:`jdmodel.figures.labels.labels`: the unit on the axis in Chinese (亿元) when its font draws it.
    name : str, optional
        The indicator's name on the axis (default: its ``long_name``, else its id in words).
    which : (str, str)
        How the legend names the prior and the posterior.
    inner : bool
        Draw the 25–75 % bands too.

    Returns
    -------
    matplotlib Axes
    """
    q = conditioned.quantiles
    variable = variable or next(iter(q.data_vars), "")
    if variable not in q:
        raise ParameterError(f"plot_conditioned: no quantiles of {variable!r} (have {', '.join(map(str, q.data_vars))})")
    ax = _axes(ax)
    da = q[variable]
    years = np.asarray(da["year"])
    for key, word, color in (("prior", which[0], "#999999"), ("posterior", which[1], "#0072B2")):
        band = da.sel(which=key)
        ax.fill_between(years, band.sel(quantile=0.05), band.sel(quantile=0.95), color=color,
                        alpha=0.15 if inner else 0.25, linewidth=0, label=f"{word} 5–95 %")
        if inner:
            ax.fill_between(years, band.sel(quantile=0.25), band.sel(quantile=0.75), color=color, alpha=0.3,
                            linewidth=0, label=f"{word} 25–75 %")
        ax.plot(years, band.sel(quantile=0.5), color=color, linewidth=2, label=f"{word} median")
    if target is not None:
        ax.axhline(float(target), color=_TARGET, linestyle="--", linewidth=1, label="target")
    ax.set_xlabel("year")
    units = da.attrs.get("units", "")
    shown = name or _short(da.attrs.get("long_name", "")) or variable.replace("_", " ")
    ax.set_ylabel(shown + (f" [{unit(units, labels)}]" if units else ""))
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    return ax


def _short(long_name: str) -> str:
    """"Online-economy output (在线新经济总产出)" → "Online-economy output": the axis stays English unless asked."""
    return str(long_name).split(" (")[0]
