"""The report's figures: the headline total against its target, and what drives it, labelled in words."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

from jdmodel.report.names import parameter_label


def headline_figure(b, lab, *, width: float = 7.6, height: float = 3.6):
    """The plan's headline total: fan over the draws, the central run, the published full-year figures, its target.

    Parameters
    ----------
    b : Brief
        From :func:`jdmodel.report.brief.brief`.
    lab : Labels
        :func:`jdmodel.figures.labels.labels` (Chinese only when a font draws it).

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    from jdmodel.figures.uncertainty import fan_chart
    from jdmodel.report.sections import plain_text

    total = b.plan.totals[0]
    head = b.headline
    target = (head.target.year, head.target.threshold) if head is not None and head.target.indicator == total.id \
        else None
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    name = lab.text(f"{total.zh} {total.en}" if total.zh else total.en, total.en)
    fan_chart(b.ens, total.id, target=target, ax=ax, label=plain_text(lab.text(total.zh or total.en, total.en)))
    ax.plot(b.central["year"].values, b.central[total.id].values, color="#0072B2", linewidth=1.2, linestyle="--",
            label=lab.text("中心值 central values", "central values"))
    obs = [o for o in b.plan.observations if o.indicator == total.id and o.period.full_year and o.bound is None]
    if obs:
        ax.plot([o.year for o in obs], [o.value for o in obs], "ks", markersize=5,
                label=lab.text("公布数据 published", "published full-year figures"))
    y = b.plan.years
    ax.axvspan(y.plan_start - 0.5, y.plan_end + 0.5, color="#EAF2FB", zorder=0)
    ax.set_title(plain_text(name), fontsize=11)
    ax.set_ylabel(_unit(total.unit, lab))
    ax.set_xlabel("")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def posterior_figure(b, lab, *, width: float = 7.6, height: float = 3.6):
    """The headline indicator before and given the published figures: prior and posterior 5–95 % bands by year.

    The posterior's quantiles (read from its file), their medians, the published full-year figures of the
    indicator and the headline target; labelled with the plan's names and units (:mod:`jdmodel.figures.labels`).
    Returns None when the posterior holds no quantiles of the indicator.
    """
    import matplotlib.pyplot as plt

    from jdmodel.figures.policy import plot_conditioned
    from jdmodel.report.expost_section import headline_target
    from jdmodel.report.sections import plain_text

    post = b.posterior
    t = headline_target(b)
    total = b.plan.totals[0]
    indicator = t.indicator if t is not None and t.indicator in post.quantiles else total.id
    if indicator not in post.quantiles:
        return None
    q = post.quantiles[indicator]
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    plot_conditioned(post, indicator, ax=ax, labels=lab, name=_indicator_name(b.plan, indicator, q, lab),
                     which=(lab.text("先验 prior", "prior"), lab.text("后验 posterior", "given the figures")), inner=False)
    obs = [o for o in b.plan.observations if o.indicator == indicator and o.period.full_year and o.bound is None]
    if obs:
        ax.plot([o.year for o in obs], [o.value for o in obs], "ks", markersize=5,
                label=lab.text("公布数据 published", "published full-year figures"))
    if t is not None and t.indicator == indicator:
        ax.plot([t.year], [t.threshold], marker="D", color="#D55E00", linestyle="none", markersize=7,
                label=plain_text(f"{t.id}: {t.comparison} {t.threshold:,.0f} ({t.year})"))
    y = b.plan.years
    ax.axvspan(y.plan_start - 0.5, y.plan_end + 0.5, color="#EAF2FB", zorder=0)
    ax.set_title(plain_text(lab.text("公布数据之前与之后 before and given the published figures",
                                     "before and given the published figures")), fontsize=11)
    ax.set_xlabel("")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


def _indicator_name(plan, indicator: str, q, lab) -> str:
    """A total or linked indicator by its plan name (Chinese when drawable), else the quantiles' long name."""
    from jdmodel.report.sections import plain_text

    for t in (*plan.totals, *plan.linked):
        if t.id == indicator:
            return plain_text(lab.text(f"{t.zh} {t.en}" if t.zh else t.en, t.en))
    return plain_text(q.attrs.get("long_name") or indicator.replace("_", " "))


def _unit(unit: str, lab) -> str:
    from jdmodel.report.sections import unit_label

    return unit_label(unit, lab)


def drivers_figure(b, lab, k: int = 8, *, width: float = 7.6):
    """Total and first-order Sobol' indices of the headline target's indicator, parameters named in words.

    Returns None when the report has no sensitivity run.
    """
    import matplotlib.pyplot as plt

    from jdmodel.figures.uncertainty import sobol_bars
    from jdmodel.report.brief import ranked_parameters
    from jdmodel.report.sections import plain_text

    head = b.headline
    if b.si is None or head is None or head.target.indicator not in b.si["output"].values:
        return None
    ranked = ranked_parameters(b.si, head.target.indicator, head.target.year, k=k)
    if not ranked:
        return None
    keys = [key for key, _, _ in ranked]
    names = {key: plain_text("\n".join(textwrap.wrap(drawable(parameter_label(key, b.plan, chinese=lab.chinese)), 46)))
             for key in keys}
    fig, ax = plt.subplots(figsize=(width, 0.55 * len(keys) + 1.0), layout="constrained")
    one = b.si.sel(output=head.target.indicator, year=head.target.year, parameter=keys)
    sobol_bars(one, ax=ax, labels=names)
    ax.tick_params(axis="y", labelsize=9)
    ax.set_xlim(0, max(1.0, float(np.nanmax(one["ST"].values)) * 1.05))
    ax.set_title(plain_text(f"{head.target.id}, {head.target.year}: " + lab.text(
        "方差的来源 what its variance comes from", "what its variance comes from")), fontsize=10)
    return fig


#: subscript digits as plain digits: not every CJK font has them (a missing glyph prints as a box and a warning)
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def drawable(text: str) -> str:
    """``text`` with subscript digits written as plain digits (H₀ → H0), which every font draws.

    Examples
    --------
    >>> drawable("Talent stock in the base year, H₀")
    'Talent stock in the base year, H0'
    """
    return str(text).translate(_SUBSCRIPTS)


def show(fig: Any) -> None:
    """Display a figure in the report with its alt text (:class:`Picture`) and close it (no second copy)."""
    from IPython.display import display

    if fig is not None:
        display(Picture(fig))


def alt_text(fig: Any) -> str:
    """What a figure shows, in words, from the figure itself: each panel's title, the quantity on its
    y axis, the years it spans and what its legend names (for screen readers, and when an image is
    not loaded).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([2020, 2030], [1, 2], label="median"); _ = ax.set_title("output"); _ = ax.set_ylabel("亿元")
    >>> _ = ax.legend()
    >>> alt_text(fig)
    'Chart. output: 亿元, 2020–2030; shows median.'
    >>> plt.close(fig)
    """
    parts = []
    for ax in fig.get_axes():
        if not ax.get_visible() or not (ax.lines or ax.collections or ax.patches):
            continue
        title = " ".join(ax.get_title().split()) or "a panel"
        desc = title
        ylabel = " ".join(ax.get_ylabel().split())
        lo, hi = ax.get_xlim()
        span = f"{int(np.ceil(lo))}–{int(np.floor(hi))}" if 1900 < lo < hi < 2200 else ""
        extra = ", ".join(x for x in (ylabel, span) if x)
        desc += f": {extra}" if extra else ""
        legend = ax.get_legend()
        names = [" ".join(t.get_text().split()) for t in legend.get_texts()] if legend is not None else []
        if names:
            desc += "; shows " + ", ".join(n for n in names if n)
        parts.append(desc)
    return ("Chart. " + ". ".join(parts) + ".") if parts else "Chart."


class Picture:
    """A figure as a PNG with alt text: ``<img alt=…>`` in HTML (escaped), the PNG for other front ends.

    The figure is drawn once, when the object is made, and then closed.
    """

    def __init__(self, fig: Any, alt: str | None = None) -> None:
        import io

        import matplotlib.pyplot as plt

        self.alt = alt if alt is not None else alt_text(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        plt.close(fig)
        self.png = buf.getvalue()

    def _repr_png_(self) -> bytes:
        return self.png

    def _repr_html_(self) -> str:
        import base64
        import html

        data = base64.b64encode(self.png).decode("ascii")
        return (f'<img alt="{html.escape(self.alt, quote=True)}" src="data:image/png;base64,{data}" '
                f'style="max-width: 100%; height: auto;"/>')
