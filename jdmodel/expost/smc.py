"""Waste-free tempering SMC on a standard-normal latent space, through the ``particles`` library.

Every prior of jdmodel maps to a standard normal: :math:`u = \\Phi(z)`, :math:`\\theta = F^{-1}(u)`
(with the Gaussian copula where a scenario correlates parameters), so the sampler sees the prior
:math:`N(0, I)` and a vectorised log-likelihood of the latent points. The sequence of targets

.. math:: \\pi_\\lambda(z) \\propto N(z; 0, I)\\, L(z)^{\\lambda}, \\qquad 0 = \\lambda_0 < \\dots < \\lambda_T = 1,

is chosen adaptively (each step keeps the effective sample size at half the particles) by
``particles.smc_samplers.AdaptiveTempering``, which also estimates the evidence
:math:`Z = \\int L(z) N(z; 0, I) dz` as the product of the mean incremental weights. After each
resampling, M particles are moved by P − 1 Metropolis steps and every state is kept (waste-free
SMC, Dau & Chopin 2022), so the final population is M chains of P draws each: ArviZ computes
ESS and R-hat on exactly that layout.

The move is an autoregressive (generalised preconditioned Crank–Nicolson) proposal,
:math:`z' = m + \\rho (z - m) + \\sqrt{1 - \\rho^2}\\, L \\xi`, reversible with respect to
:math:`N(m, \\Sigma)` (:math:`\\Sigma = L L^\\top` and :math:`m` the particles' weighted moments), so
its acceptance ratio involves only how far the target is from that Gaussian. In the directions the
observations do not inform, the target *is* the prior and the particles' moments are
:math:`(0, I)`: the move then accepts almost always whatever the dimension, which is what a model
with ~100 parameters and ~10 observations needs (a random walk would slow down as 1/d).

References
----------
Dau, H.-D. & Chopin, N. (2022). Waste-free sequential Monte Carlo. *JRSS B* 84(1), 114–148.
Chopin, N. & Papaspiliopoulos, O. (2020). *An Introduction to Sequential Monte Carlo*. Springer (ch. 17).
Cotter, S. L., Roberts, G. O., Stuart, A. M. & White, D. (2013). MCMC methods for functions: modifying
old algorithms to make them faster. *Statistical Science* 28(3), 424–446 (pCN).
Rudolf, D. & Sprungk, B. (2018). On a generalization of the preconditioned Crank–Nicolson Metropolis
algorithm. *Foundations of Computational Mathematics* 18, 309–343.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
#: a vectorised log-likelihood of latent points: (n, d) → (n,)
LogLik = Callable[[Array], Array]


@contextmanager
def _seeded(seed: int):
    """``particles`` draws from numpy's global generator: seed it here and put the caller's state back."""
    state = np.random.get_state()
    np.random.seed(int(seed) % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)


def _move_class():
    from particles import resampling as rs
    from particles.smc_samplers import ArrayMCMC, view_2d_array

    class Autoregressive(ArrayMCMC):
        """Generalised pCN step: AR(1) proposal around the particles' weighted mean and covariance."""

        def __init__(self, step_size: float = 0.6, target_acceptance: tuple[float, float] = (0.25, 0.6)):
            self.step_size = step_size        # sqrt(1 - rho^2): 1 is an independence proposal
            self.band = target_acceptance
            self.history: list[tuple[float, float]] = []

        def calibrate(self, W, x):
            arr = view_2d_array(x.theta)
            m, cov = rs.wmean_and_cov(W, arr)
            cov = np.atleast_2d(cov)
            d = cov.shape[0]
            cov = cov + 1e-10 * np.trace(cov) / d * np.eye(d)
            x.shared["ar_mean"] = m
            x.shared["ar_chol"] = np.linalg.cholesky(cov)

        def _adapt(self, acceptance: float) -> None:
            # population-wide adaptation between steps: every kernel used is still invariant for the target
            lo, hi = self.band
            if acceptance > hi:
                self.step_size = min(1.0, self.step_size * 1.25)
            elif acceptance < lo:
                self.step_size = max(1e-3, self.step_size / 1.25)

        def step(self, x, target=None):
            m, L = x.shared["ar_mean"], x.shared["ar_chol"]
            s = self.step_size
            rho = math.sqrt(max(0.0, 1.0 - s * s))
            arr = view_2d_array(x.theta)
            xi = np.random.standard_normal(arr.shape)
            prop = m + rho * (arr - m) + s * xi @ L.T
            xprop = x.__class__(theta=prop)
            target(xprop)

            def quad(v):
                w = np.linalg.solve(L, (v - m).T)
                return np.sum(w * w, axis=0)

            # the proposal is reversible w.r.t. N(m, Σ): the ratio is π(z')N(z)/(π(z)N(z'))
            log_ratio = xprop.lpost - x.lpost + 0.5 * (quad(prop) - quad(arr))
            log_ratio = np.where(np.isnan(log_ratio), -np.inf, log_ratio)
            accept = np.log(np.random.random_sample(x.N)) < log_ratio
            x.copyto(xprop, where=accept)
            mean_acc = float(np.mean(np.exp(np.minimum(log_ratio, 0.0))))
            self.history.append((rho, mean_acc))
            self._adapt(mean_acc)
            return mean_acc

    return Autoregressive


@dataclass
class SMCRun:
    """What :func:`sample` returns: the final population in (chain, draw) layout and the evidence."""

    z: Array                      # (chains, draws, d) latent points at λ = 1
    loglik: Array                 # (chains, draws)
    log_evidence: float           # natural log of Z = ∫ L(z) N(z; 0, I) dz
    temperatures: list[float]
    acceptance: list[float]       # mean acceptance of every Metropolis step
    rho: list[float]              # the AR coefficient of every step
    evaluations: int              # log-likelihood evaluations (points)
    calls: int                    # calls of the vectorised log-likelihood
    seconds: float = 0.0
    log_evidence_var: float = field(default=float("nan"))

    @property
    def chains(self) -> int:
        return int(self.z.shape[0])

    @property
    def draws(self) -> int:
        return int(self.z.shape[1])


def sample(loglik: LogLik, dim: int, *, draws: int = 4000, seed: int = 0, len_chain: int = 20,
           ess_fraction: float = 0.5, max_steps: int = 200) -> SMCRun:
    """Sample :math:`N(z; 0, I) L(z)` by waste-free adaptive-tempering SMC (``particles``).

    Parameters
    ----------
    loglik : callable
        ``(n, dim) → (n,)`` log-likelihood of latent points, vectorised over rows; ``-inf`` allowed,
        NaN is read as ``-inf``.
    dim : int
        Dimension of the latent space.
    draws : int
        Size of the final population, M chains × P draws (rounded up to a multiple of P).
    seed : int
        Seeds every random number of the run (the library's global generator is restored afterwards).
    len_chain : int
        P, the length of each waste-free chain (1 + Metropolis steps).
    ess_fraction : float
        Each tempering step keeps this share of the particles' effective sample size.
    max_steps : int
        Upper bound on the tempering steps.

    Returns
    -------
    SMCRun

    Examples
    --------
    >>> import numpy as np
    >>> run = sample(lambda z: -0.5 * ((z[:, 0] - 1.0) / 0.5) ** 2, 2, draws=400, seed=1)
    >>> run.z.shape
    (20, 20, 2)
    >>> bool(0.6 < run.z[..., 0].mean() < 1.0)
    True
    """
    import time

    try:
        from particles import SMC, resampling
        from particles import distributions as dists
        from particles import smc_samplers as ssp
    except ImportError:
        from jdmodel.errors import JdmodelError

        raise JdmodelError("posterior sampling needs the particles library: pip install 'jdmodel[infer]'") from None

    if dim < 1:
        raise ValueError("sample: the latent space needs at least one dimension")
    len_chain = max(2, int(len_chain))
    chains = max(2, math.ceil(draws / len_chain))
    counter = {"calls": 0, "points": 0}

    def safe(z: Array) -> Array:
        counter["calls"] += 1
        counter["points"] += len(z)
        out = np.asarray(loglik(np.ascontiguousarray(z)), dtype=float).reshape(len(z))
        return np.where(np.isnan(out), -np.inf, out)

    class _Model(ssp.StaticModel):
        def loglik(self, theta, t=None):
            return safe(ssp.view_2d_array(theta))

    move = _move_class()()
    model = _Model(prior=dists.MvNormal(loc=np.zeros(dim), cov=np.eye(dim)))
    t0 = time.perf_counter()
    with _seeded(seed):
        fk = ssp.AdaptiveTempering(model=model, wastefree=True, len_chain=len_chain, ESSrmin=ess_fraction,
                                   max_iter=max_steps, move=ssp.MCMCSequenceWF(mcmc=move, len_chain=len_chain))
        smc = SMC(fk=fk, N=chains, ESSrmin=ess_fraction, collect="off", verbose=False)
        smc.run()
        temps = list(smc.X.shared["exponents"])
        if temps[-1] < 1.0:
            raise RuntimeError(f"sample: tempering stopped at λ = {temps[-1]:.3g} after {max_steps} steps")
        # one more resample-move at λ = 1: M unweighted chains of P states each
        move.calibrate(smc.W, smc.X)
        idx = resampling.systematic(smc.W, M=chains)
        final = fk.move(smc.X[idx], fk.current_target(1.0))
    z = ssp.view_2d_array(final.theta).reshape(len_chain, chains, dim).transpose(1, 0, 2)
    ll = np.asarray(final.llik).reshape(len_chain, chains).T
    rho, acc = zip(*move.history, strict=True) if move.history else ((), ())
    return SMCRun(z=np.ascontiguousarray(z), loglik=np.ascontiguousarray(ll), log_evidence=float(smc.logLt),
                  temperatures=[float(t) for t in temps], acceptance=list(acc), rho=list(rho),
                  evaluations=counter["points"], calls=counter["calls"], seconds=time.perf_counter() - t0)
