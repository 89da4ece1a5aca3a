"""Posterior sampling for any vectorised model: the prior transform, ``infer_callable`` and its result.

Every prior in the parameter-file syntax (``{"dist": "normal", "mean": 0.1, "sd": 0.05}``, a
range ``{"value", "low", "high"}`` read as triangular, …) is the image of a standard normal:

.. math:: \\theta_j = F_j^{-1}\\big(\\Phi((L z)_j)\\big), \\qquad z \\sim N(0, I),

with :math:`L L^\\top` the Gaussian-copula correlation where parameters are correlated (the same map
as :func:`jdmodel.pipeline.sampling.sample_values`). The sampler (:mod:`jdmodel.expost.smc`) works
on :math:`z`; the evidence is invariant under this change of variables, so it is the evidence of
the model in its own parameters, with the normalising constants of prior and likelihood.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from jdmodel.errors import JdmodelError, ParameterError
from jdmodel.expost.smc import SMCRun, sample
from jdmodel.uncertainty.rng import U_MAX, U_MIN

Array = NDArray[np.float64]
_LOG_2PI = math.log(2.0 * math.pi)
DEFAULT_DIST = "triangular"


@dataclass(frozen=True)
class LatentPrior:
    """Independent (or copula-correlated) priors as a map from standard normals.

    Attributes
    ----------
    names : tuple of str
        Parameter names, in column order.
    tables : tuple of mapping
        Each parameter's table (``dist`` and its keys, or ``value``/``low``/``high``).
    factor : ndarray or None
        ``L`` with ``L L^T`` the normal-copula correlation (None: independent).
    """

    names: tuple[str, ...]
    tables: tuple[Mapping, ...]
    factor: Array | None = None

    @property
    def dim(self) -> int:
        return len(self.names)

    def uniforms(self, z: ArrayLike) -> Array:
        z = np.atleast_2d(np.asarray(z, dtype=float))
        if self.factor is not None:
            from jdmodel.uncertainty.correlation import rowwise_product

            z = rowwise_product(z, self.factor)
        return np.clip(ndtr(z), U_MIN, U_MAX)

    def values(self, z: ArrayLike) -> Array:
        """Parameter values ``(n, k)`` of latent points ``(n, k)``.

        Examples
        --------
        >>> p = LatentPrior(("a",), ({"dist": "normal", "mean": 1.0, "sd": 2.0},))
        >>> p.values([[0.0], [1.0]]).ravel().tolist()
        [1.0, 3.0]
        """
        from jdmodel.uncertainty.distributions import ppf

        u = self.uniforms(z)
        out = np.empty(u.shape)
        for j, (name, table) in enumerate(zip(self.names, self.tables, strict=True)):
            out[:, j] = ppf(table, u[:, j], default=DEFAULT_DIST, where=name)
        return out

    @classmethod
    def from_mapping(cls, priors: Mapping[str, Mapping]) -> LatentPrior:
        from jdmodel.uncertainty.distributions import validate_dist

        problems = []
        for name, table in priors.items():
            if not isinstance(table, Mapping):
                problems.append(f"{name}: expected a distribution table, got {table!r}")
                continue
            problems += validate_dist(table, f"priors: {name}", default=DEFAULT_DIST)
            if "dist" not in table and not ("low" in table and "high" in table):
                problems.append(f"priors: {name}: give a dist (e.g. normal with mean and sd) or a range low/high")
        if problems:
            raise ParameterError("infer_callable: invalid priors", problems)
        return cls(tuple(priors), tuple(dict(t) for t in priors.values()))


def gaussian_loglik(pred: Array, y: Array, sigma: Array) -> Array:
    """Log density of ``y`` under independent normals around each row of ``pred``, constants included.

    Examples
    --------
    >>> float(gaussian_loglik(np.zeros((1, 1)), np.zeros(1), np.ones(1))[0]) == -0.5 * math.log(2 * math.pi)
    True
    """
    r = (y - pred) / sigma
    return -0.5 * np.sum(r * r, axis=-1) - float(np.sum(np.log(sigma))) - 0.5 * len(y) * _LOG_2PI


@dataclass
class PosteriorResult:
    """A posterior sample with its diagnostics (what :func:`infer_callable` returns).

    Attributes
    ----------
    mean, sd : dict
        Posterior mean and standard deviation of every parameter.
    ess : float
        The smallest bulk effective sample size over the parameters (ArviZ, on the sampler's
        chains × draws layout).
    rhat : float
        The largest rank-normalised split R-hat over the parameters.
    log_evidence : float
        Natural log of the evidence :math:`p(y) = \\int p(y \\mid \\theta) p(\\theta) d\\theta`.
    idata : arviz.InferenceData
        ``posterior``, ``prior``, ``log_likelihood``, ``sample_stats`` and ``observed_data`` groups.
    """

    mean: dict[str, float]
    sd: dict[str, float]
    ess: float
    rhat: float
    log_evidence: float
    idata: object = field(repr=False)
    run: SMCRun = field(repr=False, default=None)

    def table(self) -> str:
        lines = [f"posterior: {self.run.chains} chains × {self.run.draws} draws, ESS ≥ {self.ess:,.0f}, "
                 f"R-hat ≤ {self.rhat:.3f}, log evidence {self.log_evidence:.3f}",
                 f"{'parameter':<40} {'mean':>11} {'sd':>11}"]
        lines += [f"{k:<40} {self.mean[k]:>11.4g} {self.sd[k]:>11.4g}" for k in self.mean]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.table())}</pre>"


def arviz():
    """ArviZ, imported without its notice about the coming 1.x refactor (jdmodel pins ``arviz<1``)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        try:
            import arviz as az
        except ImportError:
            raise JdmodelError("posterior results need ArviZ: pip install 'jdmodel[infer]'") from None
    return az


def diagnostics(posterior: xr.Dataset, names: Sequence[str]) -> tuple[float, float, dict, dict]:
    """``(min bulk ESS, max R-hat, ESS by name, R-hat by name)`` of some variables of a posterior group."""
    import warnings

    az = arviz()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)      # "more chains than draws": waste-free chains are short
        ess = az.ess(posterior[list(names)], method="bulk")
        rhat = az.rhat(posterior[list(names)])

    ess_by = {n: float(ess[n]) for n in names}
    rhat_by = {n: float(rhat[n]) for n in names}
    finite_ess = [v for v in ess_by.values() if np.isfinite(v)]
    finite_rhat = [v for v in rhat_by.values() if np.isfinite(v)]
    return (min(finite_ess) if finite_ess else float("nan"), max(finite_rhat) if finite_rhat else float("nan"),
            ess_by, rhat_by)


def _chunked(f: Callable[[Array], Array], chunks: int | None) -> Callable[[Array], Array]:
    """``f`` applied to at most ``chunks`` rows at a time (the rows are independent)."""
    if chunks is None:
        return f
    if int(chunks) < 1:
        raise ParameterError(f"chunks must be a positive number of draws, got {chunks!r}")

    def g(x: Array) -> Array:
        return np.concatenate([np.asarray(f(x[i:i + chunks])) for i in range(0, len(x), chunks)], axis=0)

    return g


def infer_callable(f: Callable[[Array], ArrayLike], priors: Mapping[str, Mapping], y: ArrayLike, sigma: ArrayLike,
                   *, draws: int = 4000, seed: int = 0, chunks: int | None = None, len_chain: int = 20) -> PosteriorResult:
    """Posterior of the parameters of any vectorised model with Gaussian errors.

    .. math:: y_i = f_i(\\theta) + e_i, \\quad e_i \\sim N(0, \\sigma_i^2), \\qquad \\theta \\sim \\text{priors}

    Parameters
    ----------
    f : callable
        ``(n, k)`` parameter values (columns in the order of ``priors``) → ``(n, m)`` predictions.
    priors : mapping
        Name → a distribution table in the parameter-file syntax, e.g.
        ``{"dist": "normal", "mean": 0.1, "sd": 0.05}``; ``{"value", "low", "high"}`` is triangular.
    y, sigma : array_like (m,)
        Observations and their standard deviations.
    draws : int
        Size of the posterior sample (chains × draws of the waste-free SMC).
    seed : int
    chunks : int, optional
        Evaluate ``f`` on at most this many rows at a time (results do not depend on it).
    len_chain : int
        Draws per chain of the sampler.

    Returns
    -------
    PosteriorResult
        ``.mean``, ``.sd``, ``.ess``, ``.rhat``, ``.log_evidence`` (natural log, normalising constants of
        prior and likelihood included) and ``.idata`` (ArviZ InferenceData).

    Examples
    --------
    >>> import numpy as np
    >>> res = infer_callable(lambda t: t[:, :1], {"a": {"dist": "normal", "mean": 0.0, "sd": 1.0}},
    ...                      y=[1.0], sigma=[1.0], draws=600, seed=2)
    >>> bool(abs(res.mean["a"] - 0.5) < 0.15)          # closed form: mean 1/2, sd √½
    True
    """
    prior = LatentPrior.from_mapping(priors)
    y = np.atleast_1d(np.asarray(y, dtype=float))
    sigma = np.broadcast_to(np.asarray(sigma, dtype=float), y.shape)
    if not (np.all(np.isfinite(y)) and np.all(sigma > 0)):
        raise ParameterError("infer_callable: y must be finite and sigma positive")
    model = _chunked(lambda theta: np.asarray(f(theta), dtype=float), chunks)

    def predict(theta: Array) -> Array:
        pred = np.asarray(model(theta), dtype=float).reshape(len(theta), -1)
        if pred.shape[1] != len(y):
            raise ParameterError(f"infer_callable: f returned {pred.shape[1]} predictions per draw, y has {len(y)}")
        return pred

    run = sample(lambda z: gaussian_loglik(predict(prior.values(z)), y, sigma), prior.dim, draws=draws, seed=seed,
                 len_chain=len_chain)
    theta = prior.values(run.z.reshape(-1, prior.dim)).reshape(run.chains, run.draws, prior.dim)
    pred = predict(theta.reshape(-1, prior.dim))
    pointwise = (-0.5 * ((y - pred) / sigma) ** 2 - np.log(sigma) - 0.5 * _LOG_2PI).reshape(run.chains, run.draws, -1)
    rng = np.random.default_rng([int(seed), 1])
    prior_theta = prior.values(rng.standard_normal((run.chains * run.draws, prior.dim)))
    idata = to_inference_data(
        posterior={n: theta[..., j] for j, n in enumerate(prior.names)},
        prior={n: prior_theta[None, :, j] for j, n in enumerate(prior.names)},
        log_likelihood={"y": pointwise}, observed_data={"y": y}, run=run,
        dims={"y": ["observation"]}, attrs={"seed": int(seed), "model": "infer_callable"})
    ess, rhat, _, _ = diagnostics(idata.posterior, prior.names)
    post = idata.posterior
    return PosteriorResult(mean={n: float(post[n].mean()) for n in prior.names},
                           sd={n: float(post[n].std()) for n in prior.names}, ess=ess, rhat=rhat,
                           log_evidence=run.log_evidence, idata=idata, run=run)


def to_inference_data(*, posterior: Mapping[str, Array], run: SMCRun, prior: Mapping[str, Array] | None = None,
                      log_likelihood: Mapping[str, Array] | None = None, observed_data: Mapping | None = None,
                      predictions: Mapping[str, Array] | None = None, coords: Mapping | None = None,
                      dims: Mapping | None = None, attrs: Mapping | None = None):
    """An ArviZ InferenceData of an SMC run: the groups given, ``sample_stats`` and the sampler's attributes."""
    import warnings

    az = arviz()

    stats = {"loglik": run.loglik}       # total log-likelihood of each draw
    attrs = {"sampler": "waste-free adaptive-tempering SMC (particles), autoregressive pCN moves",
             "log_evidence": run.log_evidence, "tempering_steps": len(run.temperatures),
             "temperatures": np.asarray(run.temperatures), "mean_acceptance": float(np.mean(run.acceptance))
             if run.acceptance else float("nan"), "likelihood_evaluations": run.evaluations,
             "sampling_seconds": run.seconds, "chains": run.chains, "draws_per_chain": run.draws,
             **(attrs or {})}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)      # "more chains than draws"
        idata = az.from_dict(posterior=dict(posterior), prior=dict(prior) if prior else None,
                             log_likelihood=dict(log_likelihood) if log_likelihood else None,
                             observed_data=dict(observed_data) if observed_data else None,
                             predictions=dict(predictions) if predictions else None,
                             sample_stats=stats, coords=dict(coords or {}), dims=dict(dims or {}),
                             pred_coords=dict(coords or {}), pred_dims=dict(dims or {}), attrs=attrs)
    return idata
