"""Counting models for three of the plan's four targets (嘉府办发〔2021〕12号 §二).

* ``enterprises`` — high-growth innovative enterprises (高成长型创新企业), 200+ by 2025;
* ``projects`` — demonstration projects landed (示范引领项目), 10+ by 2025;
* ``scenarios`` — application scenarios (应用场景), 10+ by 2025.

No count is published for 2020: the bases (≈ 100, ≈ 5, ≈ 5) are assumptions read off the
word 倍增. Equations, parameters and closed forms: ``docs/counting.md``.
"""

from jdmodel.counting.closed_forms import (
    enterprise_count_pmf,
    enterprises_mean_path,
    pipeline_landed_distribution,
    pipeline_landed_mean,
)
from jdmodel.counting.model import (
    NOISE_STREAMS,
    PARAMETER_SHAPES,
    enterprise_rates,
    noise_shapes,
    parameters_from_toml,
    project_rates,
    scenario_rates,
    simulate_counts,
)
from jdmodel.counting.quantiles import binomial_quantile, poisson_quantile

__all__ = [
    "PARAMETER_SHAPES", "NOISE_STREAMS", "noise_shapes", "simulate_counts", "enterprise_rates", "project_rates",
    "scenario_rates", "parameters_from_toml", "poisson_quantile", "binomial_quantile", "pipeline_landed_mean",
    "pipeline_landed_distribution", "enterprises_mean_path", "enterprise_count_pmf",
]
