"""Ex post: the plan judged after the fact against the district's published figures.

``infer`` (the posterior of a scenario's uncertain parameters by tempering SMC, with the
evidence), ``discrepancy_curve`` and ``compare`` (P(reach) over the model discrepancy; variants by
their evidence), ``backtest`` (fit up to a year, predict the rest), ``infer_callable`` (the same
sampler for any vectorised model). Quick approximations: ``evaluate`` (model beside observations,
targets against the last published figure), ``calibrate`` (weighted least squares on free
parameters), ``condition`` (importance weights of an ensemble's draws). The observation operator and
the error model by class of source live in :mod:`jdmodel.expost.operator`; see ``docs/expost.md``.
"""

from jdmodel.expost.backtesting import BacktestReport, backtest
from jdmodel.expost.calibrate import CalibrationResult, calibrate, default_free
from jdmodel.expost.comparison import Comparison, compare, discrepancy_curve
from jdmodel.expost.condition import ConditionedEnsemble, condition
from jdmodel.expost.evaluate import ExPostReport, evaluate
from jdmodel.expost.latent import PosteriorResult, infer_callable
from jdmodel.expost.operator import ErrorModel, load_error_model, observe
from jdmodel.expost.posterior import ScenarioPosterior, infer, simulate_posterior

__all__ = ["evaluate", "calibrate", "condition", "ExPostReport", "CalibrationResult", "ConditionedEnsemble",
           "ErrorModel", "load_error_model", "observe", "default_free",
           "infer", "ScenarioPosterior", "simulate_posterior", "infer_callable", "PosteriorResult", "backtest",
           "BacktestReport", "discrepancy_curve", "compare", "Comparison"]
