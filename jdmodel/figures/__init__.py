"""Figures (matplotlib): every function takes ``ax=None``, returns the Axes and never calls ``plt.show()``.

- :mod:`jdmodel.figures.uncertainty` — fan charts, Sobol' bars, PRIM trajectories;
- :mod:`jdmodel.figures.policy` — the lever frontier, the budget split, conditioned paths;
- :mod:`jdmodel.figures.labels` — bilingual labels, with Chinese only where a font can draw it.

matplotlib is imported inside the functions, so importing this package does not load it.
"""

from jdmodel.figures.labels import Labels, labels
from jdmodel.figures.policy import plot_budget, plot_budget_profile, plot_conditioned, plot_frontier
from jdmodel.figures.uncertainty import fan_chart, prim_trajectory, sobol_bars

__all__ = ["fan_chart", "sobol_bars", "prim_trajectory", "plot_frontier", "plot_budget", "plot_budget_profile",
           "plot_conditioned", "Labels", "labels"]
