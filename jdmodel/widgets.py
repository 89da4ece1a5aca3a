"""The levers dashboard (ipywidgets): move a lever, see the output paths and the targets.

No model logic lives here: every update builds dotted-key overrides, then calls the public
API (``Scenario.with_overrides``, ``jd.simulate``, ``jd.assess``) and draws the result.

What a slider means
-------------------
* Lever sliders (funds 亿元/yr, talent 人/yr, land 公顷/yr, one per sector) set a **constant
  level for every year of the plan period 2021–2025**; 2026–2030 keep the scenario's own path.
  A slider starts at the scenario's 2021–2025 average, and an untouched slider changes nothing.
* "Leverage" sets the central value (the mode) of every sector's leverage of public funds,
  inside the parameter's range; in a fan chart the parameter still varies over that range.
* "TFP growth shift" adds percentage points to every sector's TFP growth and moves its range
  with it.

Example
-------
>>> from jdmodel.widgets import Dashboard
>>> dash = Dashboard("plan", debounce=0)          # doctest: +SKIP
>>> dash.sliders[("funds", "ecommerce")].value = 8.0   # doctest: +SKIP
>>> dash.current_report.results[0].value          # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import html
import io
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

import jdmodel as jd
from jdmodel.params.schema import SECTORS
from jdmodel.plotting_labels import labels as make_labels

PLAN_YEARS = 5          # the sliders set lever years 2021..2025 (the first five of the path)
DRAW_CHOICES = (1, 20, 50, 100, 200, 300, 500)

#: lever → (Chinese name, English name, unit, slider step, default slider maximum)
LEVERS: dict[str, tuple[str, str, str, float, float]] = {
    "funds": ("资金", "Funds", "亿元/yr", 0.1, 20.0),
    "talent": ("人才", "Talent", "人/yr", 50.0, 5000.0),
    "land": ("用地", "Land", "公顷/yr", 0.5, 30.0),
}
ASSUMPTIONS = ("leverage", "tfp_shift")
_SAVED_SOURCE = "scenario choice: level 2021–2025 set in the jdmodel levers dashboard"


def _sector_colors() -> dict[str, str]:
    try:
        from jdmodel.plots import SECTOR_COLORS
    except ImportError:  # pragma: no cover - plots ships with the package
        return dict(zip(SECTORS, ("#0072B2", "#CC79A7", "#E69F00", "#009E73", "#56B4E9"), strict=True))
    return dict(SECTOR_COLORS)


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


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | np.floating | np.integer):
        v = float(value)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(value, list | tuple | np.ndarray):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)     # a JSON string is a valid TOML basic string


class Dashboard:
    """Sliders for the levers and two key assumptions, live output paths and a target panel.

    Parameters
    ----------
    scenario : str or Scenario
        Starting scenario (a shipped name, a TOML path or a Scenario); the picker lists the
        shipped scenarios.
    draws : int
        1 runs the central values; more draws a fan chart and P(reach) (same seed each update,
        so moving a lever compares like with like).
    seed : int
        Seed of the ensemble.
    debounce : float
        Seconds to wait after the last slider movement before running the model; 0 updates at
        once (also what happens outside a running event loop).
    chinese : bool, optional
        Chinese labels in figures: None decides by the installed fonts (see
        :mod:`jdmodel.plotting_labels`).

    Attributes
    ----------
    sliders : dict
        ``(lever, sector)`` → slider for lever in funds/talent/land, and ``("assumption",
        "leverage")``, ``("assumption", "tfp_shift")``.
    current_scenario, current_dataset, current_report
        The scenario, Dataset and TargetReport of the last update.
    model_seconds : float
        Model time of the last update (overrides, simulate, assess), seconds.
    updates : int
        Number of updates run so far.
    """

    def __init__(self, scenario: Any = "plan", draws: int = 1, seed: int = 1, debounce: float = 0.3,
                 chinese: bool | None = None) -> None:
        import ipywidgets as w

        self._w = w
        self.seed = int(seed)
        self.debounce = float(debounce)
        self.labels = make_labels(chinese)
        self.colors = _sector_colors()
        self.updates = 0
        self.model_seconds = float("nan")
        self.render_seconds = float("nan")
        self.current_scenario = self.current_dataset = self.current_report = None
        self._pending: asyncio.TimerHandle | None = None
        self._quiet = False
        self._initial: dict[tuple[str, str], float] = {}
        self._build(draws)
        self.load(scenario)

    # ------------------------------------------------------------------ layout
    def _build(self, draws: int) -> None:
        w = self._w
        names = jd.available_scenarios()
        self.scenario_picker = w.Dropdown(options=names, description="Scenario 情景",
                                          style={"description_width": "initial"})
        options = sorted({*DRAW_CHOICES, int(draws)})
        self.draws_picker = w.Dropdown(options=options, value=int(draws), description="Draws 抽样",
                                       style={"description_width": "initial"},
                                       layout=w.Layout(width="170px"))
        self.reset_button = w.Button(description="Reset", icon="undo", tooltip="back to the scenario's values")
        self.save_path = w.Text(value="dashboard_scenario.toml", description="File",
                                layout=w.Layout(width="300px"), style={"description_width": "40px"})
        self.save_button = w.Button(description="Save as scenario TOML", icon="save", button_style="info",
                                    layout=w.Layout(width="210px"))
        for box, cls in ((self.scenario_picker, "jd-scenario"), (self.draws_picker, "jd-draws"),
                         (self.reset_button, "jd-reset"), (self.save_button, "jd-save"),
                         (self.save_path, "jd-save-path")):
            box.add_class(cls)
        self.sliders: dict[tuple[str, str], Any] = {}
        tabs = []
        style = {"description_width": "290px"}
        lay = w.Layout(width="660px")
        for lever, (zh, en, unit, step, top) in LEVERS.items():
            rows = []
            for s in SECTORS:
                sl = w.FloatSlider(value=0.0, min=0.0, max=top, step=step, description=self.labels.sector(s),
                                   readout_format=".1f" if step < 1 else ",.0f", continuous_update=True,
                                   style=style, layout=lay)
                sl.add_class(f"jd-slider-{lever}-{s}")
                self.sliders[(lever, s)] = sl
                rows.append(sl)
            note = w.HTML(f"<small>{zh} {en}, {unit}: a constant level every year 2021–2025; "
                          "2026–2030 keep the scenario's path.</small>")
            tabs.append(w.VBox([note, *rows]))
        lev = w.FloatSlider(value=3.0, min=1.5, max=5.0, step=0.1, description="Leverage of public funds 杠杆",
                            readout_format=".1f", style=style, layout=lay)
        tfp = w.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.25, description="TFP growth shift, pp/yr",
                            readout_format="+.2f", style=style, layout=lay)
        lev.add_class("jd-slider-assumption-leverage")
        tfp.add_class("jd-slider-assumption-tfp_shift")
        self.sliders[("assumption", "leverage")] = lev
        self.sliders[("assumption", "tfp_shift")] = tfp
        tabs.append(w.VBox([w.HTML("<small>Leverage: the central value (mode) for every sector, inside its "
                                   "range. TFP shift: added to every sector's TFP growth (and its range).</small>"),
                            lev, tfp]))
        self.tabs = w.Tab(children=tabs)
        for i, title in enumerate([f"{v[1]} {v[0]} ({v[2]})" for v in LEVERS.values()] + ["Assumptions 假设"]):
            self.tabs.set_title(i, title)
        self.figure = w.Image(format="png", layout=w.Layout(width="100%", max_width="1000px"))
        self.figure.add_class("jd-figure")
        self.targets_html = w.HTML()
        self.targets_html.add_class("jd-targets")
        self.status = w.HTML()
        self.status.add_class("jd-status")
        self.saved = w.HTML()
        self.saved.add_class("jd-saved")
        bar = w.HBox([self.scenario_picker, self.draws_picker, self.reset_button])
        save = w.HBox([self.save_path, self.save_button])
        self.widget = w.VBox([bar, self.tabs, self.status, self.figure, self.targets_html, save, self.saved])
        self.widget.add_class("jd-dashboard")
        for sl in self.sliders.values():
            sl.observe(self._changed, names="value")
        self.draws_picker.observe(self._changed, names="value")
        self.scenario_picker.observe(self._picked, names="value")
        self.reset_button.on_click(lambda _b: self.reset())
        self.save_button.on_click(lambda _b: self._save_clicked())

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # ------------------------------------------------------------------ state
    def load(self, scenario: Any) -> None:
        """Switch to a scenario (name, path or Scenario) and set every slider to its values."""
        self.base = scenario if isinstance(scenario, jd.Scenario) else jd.load_scenario(scenario)
        name = self.base.name
        self._quiet = True
        try:
            if name not in self.scenario_picker.options:
                self.scenario_picker.options = [*self.scenario_picker.options, name]
            self.scenario_picker.value = name
        finally:
            self._quiet = False
        self.reset()

    def _assumption_values(self) -> dict[str, float]:
        lev = [self.base.params[f"sectors.{s}.leverage"] for s in SECTORS]
        return {"leverage": float(np.mean([p.value for p in lev])), "tfp_shift": 0.0,
                "leverage_low": max((p.low for p in lev if p.low is not None), default=0.0),
                "leverage_high": min((p.high for p in lev if p.high is not None), default=10.0)}

    def reset(self) -> None:
        """Set every slider back to the current scenario's values and update."""
        self._quiet = True
        try:
            for lever, (_zh, _en, _unit, step, top) in LEVERS.items():
                for s in SECTORS:
                    level = float(np.mean(self.base[f"levers.{lever}.{s}"][:PLAN_YEARS]))
                    sl = self.sliders[(lever, s)]
                    sl.max = max(top, float(np.ceil(2 * level / step) * step))
                    sl.value = level
                    self._initial[(lever, s)] = float(sl.value)
            a = self._assumption_values()
            lev = self.sliders[("assumption", "leverage")]
            lev.min, lev.max = a["leverage_low"], a["leverage_high"]
            lev.value = a["leverage"]
            self._initial[("assumption", "leverage")] = float(lev.value)
            self.sliders[("assumption", "tfp_shift")].value = 0.0
            self._initial[("assumption", "tfp_shift")] = 0.0
        finally:
            self._quiet = False
        self.update()

    def changed(self) -> dict[tuple[str, str], float]:
        """Sliders moved away from the scenario's values: key → slider value."""
        out = {}
        for key, sl in self.sliders.items():
            if abs(float(sl.value) - self._initial[key]) > 0.5 * float(sl.step):
                out[key] = float(sl.value)
        return out

    def overrides(self) -> dict[str, Any]:
        """The dotted-key overrides the moved sliders stand for (canonical units)."""
        out: dict[str, Any] = {}
        for (lever, s), value in self.changed().items():
            if lever in LEVERS:
                path = np.array(self.base[f"levers.{lever}.{s}"], dtype=float)
                path[:PLAN_YEARS] = value
                out[f"levers.{lever}.{s}"] = path.tolist()
            elif s == "leverage":
                for sec in SECTORS:
                    p = self.base.params[f"sectors.{sec}.leverage"]
                    out[p.key] = {"value": value, "unit": p.unit, "low": p.low, "high": p.high,
                                  "source": "assumption: central value set in the jdmodel levers dashboard; "
                                            f"range kept from {p.origin or 'the scenario'}"}
            elif s == "tfp_shift":
                shift = value / 100.0
                for sec in SECTORS:
                    p = self.base.params[f"sectors.{sec}.tfp_growth"]
                    table = {"value": round(float(p.value) + shift, 10), "unit": p.unit,
                             "source": f"assumption: TFP growth shifted by {value:+.2f} pp/yr in the jdmodel "
                                       f"levers dashboard (range shifted with it)"}
                    if p.low is not None and p.high is not None:
                        table.update(low=round(p.low + shift, 10), high=round(p.high + shift, 10))
                    out[p.key] = table
        return out

    # ------------------------------------------------------------------ updates
    def _changed(self, _change: Any = None) -> None:
        if not self._quiet:
            self.schedule()

    def _picked(self, change: Any) -> None:
        if not self._quiet and change["new"] != self.base.name:
            self.load(change["new"])

    def schedule(self) -> None:
        """Run :meth:`update` once the sliders have been still for ``debounce`` seconds."""
        if self.debounce <= 0:
            self.update()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.update()
            return
        if self._pending is not None:
            self._pending.cancel()
        self._pending = loop.call_later(self.debounce, self._fire)

    def _fire(self) -> None:
        self._pending = None
        self.update()

    def update(self) -> None:
        """Run the model for the current sliders now and redraw (errors are shown, not raised)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        t0 = time.perf_counter()
        try:
            ov = self.overrides()
            sc = self.base.with_overrides(ov) if ov else self.base
            draws = int(self.draws_picker.value)
            ds = jd.simulate(sc, draws=draws, seed=self.seed, io=False)
            rep = jd.assess(ds)
        except jd.JdmodelError as err:
            self.status.value = f"<span style='color:#d62728'>{html.escape(str(err))}</span>"
            return
        self.model_seconds = time.perf_counter() - t0
        self.current_scenario, self.current_dataset, self.current_report = sc, ds, rep
        self.updates += 1
        t1 = time.perf_counter()
        self.figure.value = self.figure_png()
        self.targets_html.value = self.target_panel()
        self.render_seconds = time.perf_counter() - t1
        moved = len(self.changed())
        self.status.value = (f"<small>scenario <b>{html.escape(self.base.name)}</b>"
                             f"{f' with {moved} setting(s) changed' if moved else ''} · "
                             f"{'central values' if draws == 1 else f'{draws} draws, seed {self.seed}'} · "
                             f"model {1000 * self.model_seconds:.0f} ms</small>")

    # ------------------------------------------------------------------ views
    def target_panel(self) -> str:
        """HTML table: every assessed target's 2025 value, threshold, P(reach) and traffic light."""
        rep = self.current_report
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
                f"<td><b>{html.escape(t.label_en)}</b><br><small>{html.escape(t.label_zh)}</small></td>"
                f"<td class='jd-value' data-value='{r.value:.6f}' style='text-align:right'>{value}</td>"
                f"<td>{html.escape(t.comparison)} {t.threshold:,.0f} {html.escape(t.unit)}</td>"
                f"<td class='jd-prob' data-value='{pval}'>{result}</td><td>{first}</td></tr>")
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
            joint = f"<p>P(all assessed targets in 2025) = <b>{rep.joint_probability:.0%}</b></p>"
        return ("<style>.jd-targets td, .jd-targets th {padding: 3px 10px; vertical-align: top;}</style>"
                "<table style='border-collapse:collapse'><tr><th></th><th>target (2025)</th>"
                "<th>2025 value</th><th>threshold</th><th>P(reach) / result</th><th>first year</th></tr>"
                + "".join(rows) + "</table>" + joint + missing)

    def figure_png(self) -> bytes:
        """The online-economy total against its target (fan when draws > 1) and output per sector, as PNG."""
        from matplotlib import rc_context
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        ds, lab = self.current_dataset, self.labels
        with rc_context(lab.rc()):
            # fixed margins: constrained layout would draw the figure twice on every update
            fig = Figure(figsize=(10, 3.8), dpi=90)
            FigureCanvasAgg(fig)
            ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"left": 0.075, "right": 0.985, "bottom": 0.09,
                                                       "top": 0.92, "wspace": 0.22})
            self._draw_total(ax1)
            years = ds["year"].values
            names = lab.sectors(ds)
            for s in SECTORS:
                da = ds["output"].sel(sector=s)
                if "draw" in da.dims:
                    lo, mid, hi = (da.quantile(q, "draw").values for q in (0.05, 0.5, 0.95))
                    ax2.fill_between(years, lo, hi, color=self.colors[s], alpha=0.15, linewidth=0)
                else:
                    mid = da.values
                ax2.plot(years, mid, color=self.colors[s], linewidth=2, label=names[s])
            ax2.set_yscale("log")
            ax2.set_title(lab.text("各产业产出 Output by sector", "Output by sector"), fontsize=11)
            ax2.set_ylabel(lab.money() + " (log scale)")
            ax2.axvspan(2020.5, 2025.5, color="#EAF2FB", zorder=0)
            ax2.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(0.0, 0.6))
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
        return buf.getvalue()

    def _draw_total(self, ax: Any) -> None:
        ds, lab, rep = self.current_dataset, self.labels, self.current_report
        da = ds["online_economy_output"]
        years = da["year"].values
        if "draw" in da.dims:
            q = {p: da.quantile(p, "draw").values for p in (0.05, 0.25, 0.5, 0.75, 0.95)}
            ax.fill_between(years, q[0.05], q[0.95], color="#444444", alpha=0.15, linewidth=0, label="5–95 %")
            ax.fill_between(years, q[0.25], q[0.75], color="#444444", alpha=0.3, linewidth=0, label="25–75 %")
            ax.plot(years, q[0.5], color="#222222", linewidth=2, label="median")
        else:
            ax.plot(years, da.values, color="#222222", linewidth=2, label="model")
        target = next((r.target for r in rep.results if r.target.indicator == "online_economy_output"), None)
        if target is not None:
            ax.axhline(target.threshold, color="#D55E00", linestyle=":", linewidth=1)
            ax.plot([target.year], [target.threshold], "D", color="#D55E00",
                    label=f"target {target.year}: {target.comparison} {target.threshold:,.0f}")
        ax.axvspan(2020.5, 2025.5, color="#EAF2FB", zorder=0, label="plan period 2021–2025")
        ax.set_title(lab.text("在线新经济总产出 Online-economy output", "Online-economy output"), fontsize=11)
        ax.set_ylabel(lab.money())
        ax.legend(fontsize=8, frameon=False, loc="upper left")

    # ------------------------------------------------------------------ saving
    def _extends(self) -> str:
        shipped = self.base.name in jd.available_scenarios()
        if shipped or not self.base.files:
            return self.base.name
        return str(Path(self.base.files[0]).resolve())

    def toml(self) -> str:
        """The current settings as a scenario file: ``extends`` the scenario plus dotted overrides."""
        sc = self.current_scenario if self.current_scenario is not None else self.base
        keys = sorted({*self.base.overrides, *self.overrides()})
        moved = ", ".join(f"{a}.{b}" for a, b in self.changed()) or "nothing"
        lines = ["# Scenario saved from the jdmodel levers dashboard.",
                 f"# Changed from {self.base.name!r}: {moved}.",
                 "# Lever values are 亿元/yr (funds), 人/yr (talent), 公顷/yr (land) for 2021–2030.",
                 f"extends = {_toml_value(self._extends())}",
                 f"description = {_toml_value(f'{self.base.name} with settings changed in the levers dashboard')}",
                 ""]
        for key in keys:
            rec = sc.params[key].as_record()
            table = {"value": rec["value"], "unit": rec["unit"]}
            for name in ("low", "high"):
                if name in rec:
                    table[name] = rec[name]
            if "dist" in rec:
                table["dist"] = rec["dist"]["dist"]
            table["source"] = rec["source"] if not rec["source"].startswith("override") else _SAVED_SOURCE
            if key.startswith("levers.") and key not in self.base.overrides:
                table["source"] = _SAVED_SOURCE
            lines.append(f"{key} = {_toml_value(table)}")
        return "\n".join(lines) + "\n"

    def save(self, path: str | Path) -> Path:
        """Write :meth:`toml` to ``path`` (``jdmodel check`` accepts it) and return the path."""
        path = Path(path).expanduser()
        if path.suffix != ".toml":
            path = path.with_suffix(".toml")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.toml(), encoding="utf-8")
        tmp.replace(path)
        return path

    def _save_clicked(self) -> None:
        try:
            path = self.save(self.save_path.value)
            from jdmodel.params.checkfile import check_file

            verdict = check_file(path)
        except (OSError, jd.JdmodelError) as err:
            self.saved.value = f"<span style='color:#d62728'>{html.escape(str(err))}</span>"
            return
        self.saved.value = (f"<small>Saved <code>{html.escape(str(path.resolve()))}</code> — "
                            f"{html.escape(verdict.split(': ', 1)[-1])}. Run it with "
                            f"<code>jdmodel run {html.escape(str(path))}</code>.</small>"
                            f"<details><summary>file</summary><pre>{html.escape(self.toml())}</pre></details>")


def dashboard(scenario: Any = "plan", draws: int = 1, seed: int = 1, **kwargs: Any) -> Dashboard:
    """Build a :class:`Dashboard` (display it by leaving it last in a notebook cell).

    Examples
    --------
    >>> from jdmodel.widgets import dashboard
    >>> dashboard("plan", draws=100)      # doctest: +SKIP
    """
    return Dashboard(scenario, draws=draws, seed=seed, **kwargs)
