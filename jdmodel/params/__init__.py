"""Parameters: plans (a folder of files), reading TOML, units, validation, scenarios, the schema."""

from jdmodel.params.loader import Param, available_scenarios
from jdmodel.params.observed import Observation, load_observed
from jdmodel.params.plan import Plan, available_plans, load_plan
from jdmodel.params.scenario import Scenario, load_scenario
from jdmodel.params.targets import TargetSet, load_targets

__all__ = ["Param", "Scenario", "load_scenario", "available_scenarios", "Observation", "load_observed",
           "TargetSet", "load_targets", "Plan", "load_plan", "available_plans"]
