"""Schema of the counting models' parameters (``[counting.*]`` tables).

One entry per dotted key: ``unit`` (as written in the parameter files), ``shape``
(``"scalar"`` or ``"sector"`` — a list of five values in ``SECTORS`` order), validity bounds
``min``/``max`` (inclusive; every key has both: counts and scales that the model leaves open
are bounded by what is plausible for a district, see ``docs/parameters.md``), a one-line
``description`` and ``required``. The model reads exactly these keys (``jdmodel.counting.PARAMETER_SHAPES``).

The values themselves live in ``parameters/baseline.toml`` (``[counting.*]`` tables); a scenario
without any counting table skips the counting block (see ``jdmodel.params.scenario``).
"""

from __future__ import annotations

REQUIRED = True
# a scale that divides a lever: at least 100 万元, one person, 100 m² (a smaller one would make a
# lever of ordinary size multiply the rates by millions)
_FUNDS_SCALE = {"min": 0.01, "max": 1e4}      # 亿元/yr
_TALENT_SCALE = {"min": 1.0, "max": 1e7}      # 人 (per year)
_LAND_SCALE = {"min": 0.01, "max": 1e6}       # 公顷 (per year)


def _e(unit: str, description: str, shape: str = "scalar", min: float | None = 0.0,
       max: float | None = None) -> dict:
    return {"unit": unit, "shape": shape, "min": min, "max": max, "description": description,
            "required": REQUIRED}


SCHEMA_COUNTING: dict[str, dict] = {
    # --- high-growth innovative enterprises, per sector -----------------------------------------
    "counting.enterprises.base": _e("firms", "High-growth innovative enterprises in the base year, all sectors",
                                     max=1e6),
    "counting.enterprises.base_share": _e("1", "Split of the 2020 count by sector (normalised to sum 1)",
                                          shape="sector", max=1.0),
    "counting.enterprises.arrival_rate": _e("1/yr", "Candidate arrivals per year per 2020 firm, at 2020 support",
                                            max=10.0),
    "counting.enterprises.output_elasticity": _e("1", "Elasticity of arrivals and ceiling to sector output",
                                                 max=3.0),
    "counting.enterprises.funds_doubling": _e("亿元/yr", "Funds per sector-year that double candidate arrivals",
                                              **_FUNDS_SCALE),
    "counting.enterprises.talent_doubling": _e("人", "Talent per sector-year that doubles candidate arrivals",
                                               **_TALENT_SCALE),
    "counting.enterprises.land_doubling": _e("公顷", "Land per sector-year that doubles candidate arrivals",
                                             **_LAND_SCALE),
    "counting.enterprises.support_2020": _e("1", "Support index in force in 2020 (sum of lever / doubling)",
                                            max=100.0),
    "counting.enterprises.maturation_lag": _e("yr", "Years from a candidate's arrival to its appraisal",
                                              max=10.0),
    "counting.enterprises.graduation_prob": _e("1", "Share of matured candidates graduating without support",
                                               max=1.0),
    "counting.enterprises.graduation_uplift": _e("1", "Share of the rest that unlimited support lifts",
                                                 max=1.0),
    "counting.enterprises.graduation_funds_scale": _e("亿元/yr", "Funds per sector-year for 63 % of the uplift",
                                                      **_FUNDS_SCALE),
    "counting.enterprises.exit_rate": _e("1/yr", "Annual probability a high-growth firm leaves the count",
                                         max=1.0),
    "counting.enterprises.ceiling_multiple": _e("1", "Sustainable stock at 2020 output, multiple of the 2020 count",
                                                max=100.0),
    # --- demonstration projects, district-wide ------------------------------------------------------
    "counting.projects.base": _e("projects", "Demonstration projects landed by the base year", max=1e5),
    "counting.projects.proposal_rate": _e("1/yr", "Proposals per year in 2020", max=1000.0),
    "counting.projects.funds_doubling": _e("亿元/yr", "District funds per year that double proposals",
                                           **_FUNDS_SCALE),
    "counting.projects.land_doubling": _e("公顷", "District land per year that doubles proposals", **_LAND_SCALE),
    "counting.projects.support_2020": _e("1", "Support index in force in 2020", max=100.0),
    "counting.projects.appraisal_prob": _e("1", "Share of proposals passing appraisal", max=1.0),
    "counting.projects.construction_prob": _e("1", "Share of appraised projects that land", max=1.0),
    "counting.projects.appraisal_lag": _e("yr", "Years from proposal to appraisal", max=10.0),
    "counting.projects.construction_lag": _e("yr", "Years from appraisal to landing", max=10.0),
    # --- application scenarios, district-wide -------------------------------------------------------
    "counting.scenarios.base": _e("scenarios", "Application scenarios in the base year", max=1e5),
    "counting.scenarios.per_project": _e("1", "Scenarios per landed demonstration project", max=50.0),
    "counting.scenarios.lag": _e("yr", "Years from landing to scenarios in operation", max=10.0),
    "counting.scenarios.infra_rate": _e("1/yr", "Scenarios per year outside projects at 2020 infrastructure",
                                        max=1000.0),
    "counting.scenarios.infra_elasticity": _e("1", "Elasticity of that rate to the infrastructure index", max=5.0),
}
