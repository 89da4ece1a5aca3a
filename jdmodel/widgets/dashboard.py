"""The :class:`Dashboard`: sliders, pickers and buttons wired to the public API.

Each update turns the moved sliders into dotted-key overrides and calls
``Scenario.with_overrides``, ``jd.simulate`` and ``jd.assess``; drawing is in
:mod:`jdmodel.widgets.views`, saving and downloading the settings in :mod:`jdmodel.widgets.saving`,
the scenario file in :mod:`jdmodel.widgets.scenario_file`.
"""

from __future__ import annotations

import asyncio
import html
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

import jdmodel as jd
from jdmodel.figures.labels import labels as make_labels
from jdmodel.widgets.saving import NAME_PATTERN, Saving  # noqa: F401 (NAME_PATTERN: part of this module's surface)
from jdmodel.widgets.views import figure_png, sector_colors, target_panel

DRAW_CHOICES = (1, 20, 50, 100, 200, 300, 500)

#: lever → (Chinese name, English name, unit, slider step, default slider maximum)
LEVERS: dict[str, tuple[str, str, str, float, float]] = {
    "funds": ("资金", "Funds", "亿元/yr", 0.1, 20.0),
    "talent": ("人才", "Talent", "人/yr", 50.0, 5000.0),
    "land": ("用地", "Land", "公顷/yr", 0.5, 30.0),
}
ASSUMPTIONS = ("leverage", "tfp_shift")


class Dashboard(Saving):
    """Sliders for the levers and two key assumptions, live output paths and a target panel.

    Parameters
    ----------
    scenario : str or Scenario
        Starting scenario (a name, ``plan/name``, a TOML path or a Scenario); the sliders are
        its plan's sectors and the picker lists its plan's scenarios. The sliders set a constant
        level over the plan period; later years keep the scenario's path.
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
        :mod:`jdmodel.figures.labels`).
    save_dir : path, optional
        The one folder "Save" writes into (default: ``scenarios/`` under the current directory,
        resolved now and created on the first save). A saved file is named by a plain name typed in
        the page, never a path; an existing file is replaced only after an explicit "Overwrite".
    server_save : bool
        Show the "Save" controls. False leaves only the download link, which writes nothing on the
        machine running the kernel (for a page served to others).
    plain : bool, optional
        Words for readers who do not code: no commands or file paths in the page's messages. None
        (default) decides by where it runs: plain on a Voilà page (:func:`on_voila`).
    posterior : path or InferenceData, optional
        A posterior written by ``jdmodel infer`` for this plan: every run (and the reference) uses its
        draws — the uncertain parameters given the published figures — instead of the prior's, with
        the levers and assumptions of the sliders. "Draws" then picks how many evenly spaced posterior
        draws are run (at least 20); a file of another plan, or not a posterior, is refused.

    Attributes
    ----------
    sliders : dict
        ``(lever, sector)`` → slider for lever in funds/talent/land, and ``("assumption",
        "leverage")``, ``("assumption", "tfp_shift")``.
    current_scenario, current_dataset, current_report
        The scenario, Dataset and TargetReport of the last update.
    reference_dataset, reference_report
        The starting scenario's run on the same draws: drawn as the reference path, and the
        target panel gives every difference against it.
    model_seconds : float
        Model time of the last update (overrides, simulate, assess), seconds.
    updates : int
        Number of updates run so far.
    """

    def __init__(self, scenario: Any = "plan", draws: int = 1, seed: int = 1, debounce: float = 0.3,
                 chinese: bool | None = None, save_dir: str | os.PathLike | None = None,
                 server_save: bool = True, plain: bool | None = None, posterior: Any = None) -> None:
        try:
            import ipywidgets as w
            import matplotlib  # noqa: F401
        except ImportError as err:
            raise ImportError(f"the dashboard needs {err.name}: pip install 'jdmodel[notebooks]'") from None

        self._w = w
        self.save_dir = Path(save_dir if save_dir is not None else "scenarios").expanduser().resolve()
        self.server_save = bool(server_save)
        self.plain = on_voila() if plain is None else bool(plain)
        self._reference: tuple[tuple[str, int], Any, Any] | None = None
        self.seed = int(seed)
        self.debounce = float(debounce)
        self.base = scenario if isinstance(scenario, jd.Scenario) else jd.load_scenario(scenario)
        self.plan = self.base.plan
        self.posterior, self.posterior_name = _posterior(posterior, self.plan)
        if self.posterior is not None and int(draws) == 1:
            draws = min(DRAW_CHOICES[-1], self.posterior_size)
        self.window = self.plan.years.plan_lever_slice
        self.labels = make_labels(chinese, plan=self.plan)
        self.colors = sector_colors(self.plan)
        self.updates = 0
        self.model_seconds = float("nan")
        self.render_seconds = float("nan")
        self.current_scenario = self.current_dataset = self.current_report = None
        self.reference_dataset = self.reference_report = None
        self._pending: asyncio.TimerHandle | None = None
        self._quiet = False
        self._initial: dict[tuple[str, str], float] = {}
        self._build(draws)
        self.load(self.base)

    # ------------------------------------------------------------------ layout
    def _build(self, draws: int) -> None:
        w = self._w
        names = self.plan.scenarios()
        self.scenario_picker = w.Dropdown(options=names, description="Scenario 情景",
                                          style={"description_width": "initial"})
        options = sorted({*DRAW_CHOICES, int(draws)})
        if self.posterior is not None:     # posterior draws: no central run, never more than the file holds
            options = sorted({min(c, self.posterior_size) for c in options if c > 1})
        self.draws_picker = w.Dropdown(options=options, value=int(draws), description="Draws 抽样",
                                       style={"description_width": "initial"},
                                       layout=w.Layout(width="170px"))
        self.reset_button = w.Button(description="Reset", icon="undo", tooltip="back to the scenario's values")
        self.save_path = w.Text(value="dashboard_scenario", description="Name",
                                placeholder="a plain name, e.g. more_funds", layout=w.Layout(width="300px"),
                                style={"description_width": "45px"})
        self.save_button = w.Button(description="Save as scenario TOML", icon="save", button_style="info",
                                    tooltip=f"write NAME.toml into {self.save_dir}", layout=w.Layout(width="210px"))
        self.overwrite_button = w.Button(description="Overwrite", icon="exclamation-triangle",
                                         button_style="warning", layout=w.Layout(width="120px", display="none"))
        self.download = w.HTML()
        for box, cls in ((self.scenario_picker, "jd-scenario"), (self.draws_picker, "jd-draws"),
                         (self.reset_button, "jd-reset"), (self.save_button, "jd-save"),
                         (self.save_path, "jd-save-path"), (self.overwrite_button, "jd-overwrite"),
                         (self.download, "jd-download")):
            box.add_class(cls)
        self.sliders: dict[tuple[str, str], Any] = {}
        tabs = []
        style = {"description_width": "290px"}
        lay = w.Layout(width="660px")
        for lever, (zh, en, unit, step, top) in LEVERS.items():
            rows = []
            for s in self.plan.sector_ids:
                sl = w.FloatSlider(value=0.0, min=0.0, max=top, step=step, description=self.labels.sector(s),
                                   readout_format=".1f" if step < 1 else ",.0f", continuous_update=True,
                                   style=style, layout=lay)
                sl.add_class(f"jd-slider-{lever}-{s}")
                self.sliders[(lever, s)] = sl
                rows.append(sl)
            y = self.plan.years
            note = w.HTML(f"<small>{zh} {en}, {unit}: a constant level every year {y.plan_start}–{y.plan_end}; "
                          f"{y.plan_end + 1}–{y.horizon} keep the scenario's path.</small>" if y.plan_end < y.horizon
                          else f"<small>{zh} {en}, {unit}: a constant level every year {y.plan_start}–{y.plan_end}"
                               ".</small>")
            tabs.append(w.VBox([note, *rows]))
        lev = w.FloatSlider(value=3.0, min=1.5, max=5.0, step=0.1, description="Leverage of public funds 杠杆",
                            readout_format=".1f", style=style, layout=lay)
        tfp = w.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.25, description="TFP growth shift, pp/yr",
                            readout_format="+.2f", style=style, layout=lay)
        lev.add_class("jd-slider-assumption-leverage")
        tfp.add_class("jd-slider-assumption-tfp_shift")
        self.sliders[("assumption", "leverage")] = lev
        self.sliders[("assumption", "tfp_shift")] = tfp
        if self.posterior is not None:     # what the published figures set is not a slider any more
            drawn = set(self.posterior.posterior.data_vars)
            for sl, name in ((lev, "leverage"), (tfp, "tfp_growth")):
                if any(f"sectors.{s}.{name}" in drawn for s in self.plan.sector_ids):
                    sl.disabled = True
                    sl.tooltip = "drawn from the posterior given the published figures"
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
        save = w.HBox([self.save_path, self.save_button, self.overwrite_button] if self.server_save else [])
        self.widget = w.VBox([bar, self.tabs, self.status, self.figure, self.targets_html, self.download, save,
                              self.saved])
        self.widget.add_class("jd-dashboard")
        for sl in self.sliders.values():
            sl.observe(self._changed, names="value")
        self.draws_picker.observe(self._changed, names="value")
        self.scenario_picker.observe(self._picked, names="value")
        self.reset_button.on_click(lambda _b: self.reset())
        self.save_button.on_click(lambda _b: self._save_clicked())
        self.overwrite_button.on_click(lambda _b: self._save_clicked(overwrite=True))
        self.save_path.observe(lambda _c: self._hide_overwrite(), names="value")

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # ------------------------------------------------------------------ state
    def load(self, scenario: Any) -> None:
        """Switch to a scenario of the same plan (name, path or Scenario) and set every slider to its values."""
        base = scenario if isinstance(scenario, jd.Scenario) else jd.load_scenario(scenario, plan=self.plan)
        if base.plan != self.plan:
            raise jd.ParameterError(f"the dashboard shows plan {self.plan.id!r}; scenario {base.name!r} belongs to "
                                    f"plan {base.plan.id!r} (open a dashboard for it)")
        self.base = base
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
        lev = [self.base.params[f"sectors.{s}.leverage"] for s in self.plan.sector_ids]
        return {"leverage": float(np.mean([p.value for p in lev])), "tfp_shift": 0.0,
                "leverage_low": max((p.low for p in lev if p.low is not None), default=0.0),
                "leverage_high": min((p.high for p in lev if p.high is not None), default=10.0)}

    def reset(self) -> None:
        """Set every slider back to the current scenario's values and update."""
        self._quiet = True
        try:
            for lever, (_zh, _en, _unit, step, top) in LEVERS.items():
                for s in self.plan.sector_ids:
                    level = float(np.mean(self.base[f"levers.{lever}.{s}"][self.window]))
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
                path[self.window] = value
                out[f"levers.{lever}.{s}"] = path.tolist()
            elif s == "leverage":
                for sec in self.plan.sector_ids:
                    p = self.base.params[f"sectors.{sec}.leverage"]
                    out[p.key] = {"value": value, "unit": p.unit, "low": p.low, "high": p.high,
                                  "source": "assumption: central value set in the jdmodel levers dashboard; "
                                            f"range kept from {p.origin or 'the scenario'}"}
            elif s == "tfp_shift":
                shift = value / 100.0
                for sec in self.plan.sector_ids:
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
            ds = self._simulate(sc, draws)
            rep = jd.assess(ds)
            self._run_reference(draws)
        except jd.JdmodelError as err:
            self.status.value = f"<span style='color:#d62728'>{html.escape(str(err))}</span>"
            return
        self.model_seconds = time.perf_counter() - t0
        self.current_scenario, self.current_dataset, self.current_report = sc, ds, rep
        self.updates += 1
        t1 = time.perf_counter()
        self.figure.value = self.figure_png()
        self.targets_html.value = self.target_panel()
        self.download.value = self.download_link()
        self.render_seconds = time.perf_counter() - t1
        moved = len(self.changed())
        timing = "" if self.plain else f" · model {1000 * self.model_seconds:.0f} ms"
        self.status.value = (f"<small>starting scenario <b>{html.escape(self.base.name)}</b>"
                             f"{f' with {moved} setting(s) changed' if moved else ''} (dashed line) · "
                             f"{self._draws_text(draws)}{timing}</small>")

    @property
    def posterior_size(self) -> int:
        """The number of draws in the posterior (0 without one)."""
        if self.posterior is None:
            return 0
        return int(self.posterior.posterior.sizes["chain"] * self.posterior.posterior.sizes["draw"])

    def _simulate(self, sc: jd.Scenario, draws: int):
        """A run of ``sc``: the prior's draws (or central values), or ``draws`` of the posterior's."""
        if self.posterior is None:
            return jd.simulate(sc, draws=draws, seed=self.seed, io=False)
        from jdmodel.expost.posterior import simulate_posterior
        from jdmodel.expost.posterior_file import thin

        return simulate_posterior(thin(self.posterior, draws), sc, io=False)

    def _draws_text(self, draws: int) -> str:
        """What the run's draws are, for the status line (the file's name only for readers who code)."""
        if self.posterior is not None:
            n = min(int(draws), self.posterior_size)
            where = "" if self.plain else f" of {html.escape(self.posterior_name)}"
            return (f"parameters given the published figures: {n:,} of the {self.posterior_size:,} posterior "
                    f"draws{where}")
        return "central values" if draws == 1 else f"{draws} draws, seed {self.seed}"

    def _run_reference(self, draws: int) -> None:
        """The starting scenario on the same draws, once per scenario and draw count."""
        key = (self.base.sha256, int(draws))
        if self._reference is None or self._reference[0] != key:
            ds = self._simulate(self.base, draws)
            self._reference = (key, ds, jd.assess(ds))
        _, self.reference_dataset, self.reference_report = self._reference

    # ------------------------------------------------------------------ views
    def target_panel(self) -> str:
        """The target panel's HTML for the last run, with the difference against the starting scenario
        (see :func:`jdmodel.widgets.views.target_panel`)."""
        return target_panel(self.current_report, reference=self.reference_report)

    def figure_png(self) -> bytes:
        """The figure of the last run as PNG, the starting scenario as a reference path
        (see :func:`jdmodel.widgets.views.figure_png`)."""
        return figure_png(self.current_dataset, self.current_report, self.labels, self.colors,
                          reference=self.reference_dataset, reference_name=self.base.name)


def _posterior(source: Any, plan) -> tuple[Any, str]:
    """The InferenceData of a posterior for ``plan`` (checked) and a name for it; (None, "") without one."""
    if source is None:
        return None, ""
    from jdmodel.expost.posterior import ScenarioPosterior
    from jdmodel.expost.posterior_file import check_plan, check_posterior

    if isinstance(source, ScenarioPosterior):
        source = source.idata
    if hasattr(source, "posterior"):
        check_plan(source, plan, "dashboard: posterior")
        return source, "a posterior in memory"
    return check_posterior(source, plan=plan, what="dashboard: posterior"), Path(source).name


def on_voila() -> bool:
    """True in a kernel that Voilà started (it sets ``SERVER_SOFTWARE=voila/…`` in the kernel's environment)."""
    return os.environ.get("SERVER_SOFTWARE", "").lower().startswith("voila")


def coder_notes(text: str) -> Any:
    """``text`` (Markdown) for readers in JupyterLab, nothing on a Voilà page: commands and code stay off it."""
    if on_voila():
        return None
    from IPython.display import Markdown

    return Markdown(text)


def dashboard(scenario: Any = "plan", draws: int = 1, seed: int = 1, **kwargs: Any) -> Dashboard:
    """Build a :class:`Dashboard` (display it by leaving it last in a notebook cell).

    Examples
    --------
    >>> from jdmodel.widgets import dashboard
    >>> dashboard("plan", draws=100)      # doctest: +SKIP
    """
    return Dashboard(scenario, draws=draws, seed=seed, **kwargs)
