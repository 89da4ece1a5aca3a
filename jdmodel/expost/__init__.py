"""Ex post: the plan judged after the fact against the district's published figures.

``infer`` (the posterior of a scenario's uncertain parameters by tempering SMC, with the
evidence), ``discrepancy_curve`` and ``compare`` (P(reach) over the model discrepancy; variants by
their evidence), ``backtest`` (fit up to a year, predict the rest), ``infer_callable`` (the same
sampler for any vectorised model). Quick approximations: ``evaluate`` (model beside observations,
targets against the last published figure), ``calibrate`` (weighted least squares on free
parameters), ``condition`` (importance weights of an ensemble's draws). The observation operator and
the error model by class of source live in :mod:`jdmodel.expost.operator`; see ``docs/expost.md``.
"""

from jdmodel.expost.calibrate import CalibrationResult, calibrate, default_free
from jdmodel.expost.condition import ConditionedEnsemble, condition
from jdmodel.expost.evaluate import ExPostReport, evaluate
from jdmodel.expost.operator import ErrorModel, load_error_model, observe

_LAZY = {"infer": "jdmodel.expost.posterior", "ScenarioPosterior": "jdmodel.expost.posterior",
         "infer_callable": "jdmodel.expost.infer", "PosteriorResult": "jdmodel.expost.infer",
         "backtest": "jdmodel.expost.backtest", "BacktestReport": "jdmodel.expost.backtest",
         "discrepancy_curve": "jdmodel.expost.compare", "compare": "jdmodel.expost.compare",
         "Comparison": "jdmodel.expost.compare"}


def __getattr__(name: str):
    # the sampler and ArviZ load on first use (and need the 'infer' extra)
    if name in _LAZY:
        from importlib import import_module

        _require()
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'jdmodel.expost' has no attribute {name!r}")


def _require() -> None:
    import importlib.util

    missing = [m for m in ("particles", "arviz") if importlib.util.find_spec(m) is None]
    if missing:
        from jdmodel.errors import JdmodelError

        raise JdmodelError(f"posterior inference needs {' and '.join(missing)}: pip install 'jdmodel[infer]'")

__all__ = ["evaluate", "calibrate", "condition", "ExPostReport", "CalibrationResult", "ConditionedEnsemble",
           "ErrorModel", "load_error_model", "observe", "default_free", *_LAZY]
