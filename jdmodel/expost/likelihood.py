"""A scenario's likelihood of the published figures, on the engine's draw axis.

The terms are those :func:`jdmodel.expost.operator.match` uses (the same observation operator,
within-year shares, class scales, redundant totals and exclusions as ``jd.evaluate`` and
``jd.condition``), evaluated on plain engine arrays for many draws in one call, with the model
discrepancy either fixed or one more parameter per draw:

.. math:: \\ln p(y \\mid \\theta, d) = \\sum_i \\ell_i, \\quad
   \\ell_i = -\\tfrac12 z_i^2 - \\ln \\sigma_i - \\tfrac12 \\ln 2\\pi \\ \\text{(a level)}, \\quad
   \\ell_i = \\ln \\Phi(z_i) \\ \\text{(a lower bound)}, \\qquad
   z_i = \\frac{\\ln m_i(\\theta) - \\ln y_i}{\\sigma_i}, \\ \\sigma_i^2 = s_{c(i)}^2 + d^2 .

The engine runs with ``noise=None`` and without the counting models: no count is observed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from scipy.special import log_ndtr

from jdmodel.errors import ParameterError
from jdmodel.expost.latent import LatentPrior
from jdmodel.expost.operator import ErrorModel, Term, match, scenario_shares, within_year_share
from jdmodel.params.scenario import Scenario, central_values

Array = NDArray[np.float64]
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
#: name of the model-discrepancy parameter in the posterior
DISCREPANCY = "discrepancy"


def discrepancy_prior(errors: ErrorModel) -> dict:
    """The stated prior of the model discrepancy: the ``[discrepancy]`` table of the plan's ``expost.toml``.

    A table with a range and no ``dist`` is triangular (mode at its value), as everywhere in jdmodel.
    """
    from jdmodel.params.loader import read_toml

    table = {}
    if errors.file:
        table = dict(read_toml(errors.file).get("discrepancy", {}))
    if not ("low" in table and "high" in table) and "dist" not in table:
        d = float(errors.discrepancy)
        table = {"value": d, "low": 0.0, "high": max(3.0 * d, 0.15)}
    return {k: v for k, v in table.items() if k not in ("unit", "source")}


@dataclass
class ScenarioLikelihood:
    """The likelihood of a scenario's uncertain parameters (and the discrepancy) given observations.

    Build with :meth:`build`; call :meth:`loglik` on parameter values ``(n, k)`` (columns
    :attr:`keys`) and discrepancies ``(n,)``.
    """

    scenario: Scenario
    keys: tuple[str, ...]
    prior: LatentPrior
    terms: list[Term]
    skipped: list
    errors: ErrorModel
    io: object = None
    central: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, sc: Scenario, observations, errors: ErrorModel, io=None) -> ScenarioLikelihood:
        from jdmodel.pipeline.results import to_dataset
        from jdmodel.pipeline.sampling import _correlation, uncertain_parameters
        from jdmodel.pipeline.simulate import run_engine
        from jdmodel.uncertainty.correlation import copula_factor

        specs = uncertain_parameters(sc)
        keys = tuple(k for k, _ in specs)
        corr = _correlation(sc, list(keys))
        prior = LatentPrior(keys, tuple(t for _, t in specs), None if corr is None else copula_factor(corr))
        central = {k: v for k, v in central_values(sc).items() if not k.startswith("counting.")}
        ds = to_dataset(run_engine(sc, dict(central), io=io), scenario=sc, seed=None, design=None, keep_draw=False,
                        io=io)
        matched = match(ds, observations, errors, shares=scenario_shares(sc), totals=sc.targets.total_of)
        terms = matched.used()
        if not terms:
            raise ParameterError(f"infer: no published figure matches an indicator of scenario {sc.name!r}")
        return cls(sc, keys, prior, terms, matched.skipped, errors, io, central)

    # --- the model's values ----------------------------------------------------------------------
    def values(self, theta: Array, counting: bool = False) -> dict[str, Array]:
        """Engine inputs: the central values with the sampled columns replaced, derived values rederived.

        Without ``counting`` the counting models' keys are left out, so the engine skips that block.
        """
        from jdmodel.pipeline.simulate import rederive

        n = len(theta)
        central = central_values(self.scenario) if counting else self.central
        vals = {k: np.broadcast_to(v, (n, *np.shape(v)[1:])) if np.shape(v)[0] == 1 else v
                for k, v in central.items()}
        for j, k in enumerate(self.keys):
            if counting or not k.startswith("counting."):
                vals[k] = theta[:, j]
        return rederive(self.scenario, vals)

    def run(self, theta: Array) -> tuple[dict, dict]:
        from jdmodel.pipeline.simulate import run_engine

        vals = self.values(theta)
        return run_engine(self.scenario, vals, io=self.io), vals

    def predictions(self, theta: Array) -> Array:
        """Model values ``(n, terms)`` of what each observation measured."""
        out, vals = self.run(theta)
        return self.measured(out, vals)

    def measured(self, out: dict, vals: dict) -> Array:
        plan = self.scenario.plan
        years = plan.years.all
        # per-draw shares as DataArrays, the form the operator describes them in
        shares = {k: xr.DataArray(np.asarray(v, dtype=float).reshape(-1), dims="draw") if np.size(v) > 1
                  else float(np.asarray(v).reshape(-1)[0]) for k, v in scenario_shares(self.scenario, vals).items()}
        cols = []
        for t in self.terms:
            path = _path(out, t.obs.indicator, plan.sector_ids)
            if path is None:
                raise ParameterError(f"infer: the engine run lacks {t.obs.indicator!r} (observation {t.obs.id})")
            yi = years.index(t.obs.year)
            if t.kind == "growth":
                cols.append(path[:, yi] / path[:, yi - 1])
                continue
            share, _ = within_year_share(t.obs, self.errors, shares)
            cols.append(path[:, yi] * np.asarray(share, dtype=float).reshape(-1))   # (n,) or (1,)
        return np.column_stack(cols)

    def pointwise(self, pred: Array, discrepancy) -> Array:
        """Log-likelihood ``(n, terms)`` of each observation given the model values and the discrepancy."""
        d = np.asarray(discrepancy, dtype=float).reshape(-1, 1)
        scale = np.array([self.errors.scale[t.obs.cls] for t in self.terms])
        sd = np.hypot(scale[None, :], d)
        observed = np.array([t.observed for t in self.terms])
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (np.log(np.where(pred > 0, pred, np.nan)) - np.log(observed)) / sd
        kinds = np.array([t.kind for t in self.terms])
        level = -0.5 * z * z - np.log(sd) - _LOG_SQRT_2PI
        out = np.where(kinds == "lower", log_ndtr(z), np.where(kinds == "upper", log_ndtr(-z), level))
        return np.where(np.isnan(out), -np.inf, out)

    def loglik(self, theta: Array, discrepancy) -> Array:
        return self.pointwise(self.predictions(theta), discrepancy).sum(axis=1)

    # --- which parameters the observations can see ---------------------------------------------------
    def relevant(self, seed: int = 0, n: int = 64) -> tuple[bool, ...]:
        """For each key: does any term's model value change when this parameter alone changes?

        Screened on ``n`` prior draws (and the ends of every range): each parameter is redrawn
        alone and the predictions compared bit for bit. A parameter that changes none (the counting
        models', the years after the last figure …) cannot be informed by the observations: its
        posterior is its prior, drawn exactly. A parameter correlated with another is kept.
        """
        k = self.prior.dim
        rng = np.random.default_rng([int(seed), 7])
        z0 = rng.standard_normal((n, k))
        z0[0], z0[1] = -3.0, 3.0
        blocks = [z0]
        for j in range(k):
            zj = z0.copy()
            zj[:, j] = -z0[:, j] + rng.standard_normal(n) * 0.1   # a different value in every row
            blocks.append(zj)
        pred = self.predictions(self.prior.values(np.vstack(blocks))).reshape(k + 1, n, -1)
        base = pred[0]
        with np.errstate(invalid="ignore"):
            moved = [bool(np.any(~np.isclose(pred[j + 1], base, rtol=1e-13, atol=0.0, equal_nan=True)))
                     for j in range(k)]
        if self.prior.factor is not None:
            involved = np.any(np.abs(self.prior.factor - np.eye(k)) > 0, axis=0)
            moved = [m or bool(c) for m, c in zip(moved, involved, strict=True)]
        return tuple(moved)


def _path(out: dict, indicator: str, sectors: tuple[str, ...]) -> Array | None:
    if indicator == "gdp":
        return out["io_value_added"].sum(axis=-1) if "io_value_added" in out else None
    if indicator.startswith("output."):
        s = indicator.split(".", 1)[1]
        return out["output"][:, :, sectors.index(s)] if s in sectors else None
    arr = out.get(indicator)
    return arr if arr is not None and np.ndim(arr) == 2 else None
