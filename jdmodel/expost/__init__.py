"""Ex post: the plan judged after the fact against the district's published figures.

``evaluate`` (model beside observations, targets against the last published figure),
``calibrate`` (weighted least squares on free parameters), ``condition`` (importance weights
of an ensemble's draws by the likelihood of the observations). The observation operator and
the error model by class of source live in :mod:`jdmodel.expost.operator`; see ``docs/expost.md``.
"""

from jdmodel.expost.calibrate import CalibrationResult, calibrate, default_free
from jdmodel.expost.condition import ConditionedEnsemble, condition
from jdmodel.expost.evaluate import ExPostReport, evaluate
from jdmodel.expost.operator import ErrorModel, load_error_model, observe

__all__ = ["evaluate", "calibrate", "condition", "ExPostReport", "CalibrationResult", "ConditionedEnsemble",
           "ErrorModel", "load_error_model", "observe", "default_free"]
