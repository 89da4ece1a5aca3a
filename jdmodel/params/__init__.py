"""Parameters: reading TOML, units, validation, scenarios (extends/overrides), the schema."""

from jdmodel.params.loader import Param, available_scenarios
from jdmodel.params.observed import Observation, load_observed
from jdmodel.params.scenario import Scenario, load_scenario
from jdmodel.params.schema import SECTORS, YEARS
from jdmodel.params.targets import TargetSet, load_targets

__all__ = ["Param", "Scenario", "load_scenario", "available_scenarios", "Observation", "load_observed",
           "TargetSet", "load_targets", "SECTORS", "YEARS"]
