"""jdmodel — scenario modelling of regional economic policy plans (Jiading's online-new-economy plan first).

A plan is a folder of files (``jd.load_plan``, ``jd.available_plans``; ``jdmodel init``). The public
surface::

    import jdmodel as jd
    sc  = jd.load_scenario("baseline")          # the default plan's; "yangpu/plan", a folder or a file
    ds  = jd.simulate(sc)                        # central run
    ens = jd.simulate(sc, draws=10_000, seed=1)  # ensemble
    jd.assess(ens).table()
    jd.sweep(sc, draws=1_000_000, seed=1)        # streaming reductions
    jd.sensitivity(sc, method="sobol")           # Sobol / Morris
    jd.evaluate(sc)                              # against the district's published figures
    jd.infer(sc, draws=20_000, seed=1)           # posterior given them (ArviZ InferenceData inside)
    jd.backtest(sc, until=2021)                  # fit up to a year, predict the rest
"""

from importlib import import_module

from jdmodel.errors import JdmodelError, ModelError, ParameterError
from jdmodel.params import (
    Plan,
    Scenario,
    available_plans,
    available_scenarios,
    load_observed,
    load_plan,
    load_scenario,
    load_targets,
)
from jdmodel.pipeline.results import version as _version
from jdmodel.pipeline.simulate import simulate
from jdmodel.targets import TargetReport, assess

__version__ = _version()

# heavier parts load on first use, so `import jdmodel` stays quick
_LAZY = {
    "sweep": "jdmodel.uncertainty.sweep",
    "sensitivity": "jdmodel.uncertainty.analysis",
    "discover": "jdmodel.uncertainty.analysis",
    "evaluate": "jdmodel.expost",
    "calibrate": "jdmodel.expost",
    "condition": "jdmodel.expost",
    "infer": "jdmodel.expost",
    "backtest": "jdmodel.expost",
    "frontier": "jdmodel.policy",
    "optimise_budget": "jdmodel.policy",
    "equations": "jdmodel.symbolic",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'jdmodel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["load_plan", "available_plans", "Plan", "load_scenario", "simulate", "assess", "sweep", "sensitivity", "discover", "evaluate", "calibrate",
           "condition", "infer", "backtest", "frontier", "optimise_budget", "equations", "Scenario", "TargetReport",
           "available_scenarios", "load_targets", "load_observed", "JdmodelError", "ParameterError", "ModelError",
           "__version__"]
