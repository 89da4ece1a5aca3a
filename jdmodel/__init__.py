"""jdmodel — scenario modelling of the Jiading online-new-economy plan 2021–2025.

The public surface::

    import jdmodel as jd
    sc  = jd.load_scenario("baseline")
    ds  = jd.simulate(sc)                      # central run
    ens = jd.simulate(sc, draws=10_000, seed=1)  # ensemble
    jd.assess(ens).table()
"""

from jdmodel.errors import JdmodelError, ModelError, ParameterError
from jdmodel.params import Scenario, available_scenarios, load_observed, load_scenario, load_targets
from jdmodel.results import version as _version
from jdmodel.simulate import simulate
from jdmodel.targets import TargetReport, assess
from jdmodel.uncertainty.analysis import discover, sensitivity
from jdmodel.uncertainty.sweep import sweep

__version__ = _version()

__all__ = ["load_scenario", "simulate", "assess", "sweep", "sensitivity", "discover", "Scenario", "TargetReport", "available_scenarios",
           "load_targets", "load_observed", "JdmodelError", "ParameterError", "ModelError", "__version__"]
