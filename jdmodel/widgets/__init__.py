"""The levers dashboard (ipywidgets): move a lever, see the output paths and the targets.

No model logic lives here: every update builds dotted-key overrides, then calls the public
API (``Scenario.with_overrides``, ``jd.simulate``, ``jd.assess``) and draws the result.

What a slider means
-------------------
* Lever sliders (funds 亿元/yr, talent 人/yr, land 公顷/yr, one per sector) set a **constant
  level for every year of the plan period** (Jiading: 2021–2025); later years keep the scenario's own
  path. A slider starts at the scenario's plan-period average, and an untouched slider changes nothing.
* "Leverage" sets the central value (the mode) of every sector's leverage of public funds,
  inside the parameter's range; in a fan chart the parameter still varies over that range.
* "TFP growth shift" adds percentage points to every sector's TFP growth and moves its range
  with it.

Modules: :mod:`~jdmodel.widgets.dashboard` (the widget), :mod:`~jdmodel.widgets.views` (figure
and target panel), :mod:`~jdmodel.widgets.saving` (saving into one folder, the download link),
:mod:`~jdmodel.widgets.scenario_file` (the settings as TOML).

Example
-------
>>> from jdmodel.widgets import Dashboard
>>> dash = Dashboard("plan", debounce=0)          # doctest: +SKIP
>>> dash.sliders[("funds", "ecommerce")].value = 8.0   # doctest: +SKIP
>>> dash.current_report.results[0].value          # doctest: +SKIP
"""

from jdmodel.widgets.dashboard import (
           ASSUMPTIONS,
           DRAW_CHOICES,
           LEVERS,
           Dashboard,
           coder_notes,
           dashboard,
           on_voila,
)
from jdmodel.widgets.scenario_file import scenario_toml
from jdmodel.widgets.views import figure_png, target_panel, traffic_light

__all__ = ["Dashboard", "dashboard", "LEVERS", "ASSUMPTIONS", "DRAW_CHOICES", "traffic_light",
           "target_panel", "figure_png", "scenario_toml", "coder_notes", "on_voila"]
