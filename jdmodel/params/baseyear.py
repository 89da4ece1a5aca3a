"""The 2020 base year, derived from the statistics bureau's figures rather than from 倍增.

The bureau's January–October 2021 release gives each component of 在线新经济总产出 and
its year-on-year growth, so January–October 2020 follows by division:

.. math:: Y^{\\mathrm{Jan–Oct}}_{s,2020} = \\frac{Y^{\\mathrm{Jan–Oct}}_{s,2021}}{1 + g_s}

and the full year 2020 by a stated scaling assumption, the share ``w`` of a year's
output produced in January–October (``base_year.jan_oct_share``):

.. math:: Y_{s,2020} = Y^{\\mathrm{Jan–Oct}}_{s,2020} / w
"""

from __future__ import annotations

from jdmodel.params.observed import Observation

# the four components of the bureau's statistic, as indicators in the observations file
BUREAU_COMPONENTS = ("industrial_internet", "ecommerce", "online_entertainment", "online_services")
PLAN_IMPLIED_BASE = 2000.0  # 亿元: half of the 4000 亿元 target (the word 倍增); shown beside, not used


def jan_oct_2020(observations: tuple[Observation, ...]) -> dict[str, float]:
    """January–October 2020 output of each bureau component, 亿元 (value 2021 / (1 + growth))."""
    out = {}
    for obs in observations:
        p = obs.period
        if (p.year == 2021 and p.first_month == 1 and p.last_month == 10
                and obs.indicator.startswith("output.") and obs.growth is not None):
            sector = obs.indicator.split(".", 1)[1]
            if sector in BUREAU_COMPONENTS:
                out[sector] = obs.value / (1.0 + obs.growth)
    missing = set(BUREAU_COMPONENTS) - set(out)
    if missing:
        raise ValueError(f"observations lack the January–October 2021 figure with growth for {sorted(missing)}")
    return out


def base_outputs(observations: tuple[Observation, ...], jan_oct_share: float) -> dict[str, float]:
    """Full-year 2020 output of each bureau component, 亿元."""
    return {s: v / jan_oct_share for s, v in jan_oct_2020(observations).items()}
