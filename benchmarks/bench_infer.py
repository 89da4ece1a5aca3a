"""Posterior sampling on the shipped plan: the chosen sampler against the other candidates.

(a) ``jd.infer("plan")`` — waste-free tempering SMC (particles) with autoregressive pCN moves — at
    20 000 draws on three seeds: wall time, ESS, R-hat, log evidence (its spread across seeds);
(b) the same likelihood (the same latent space: the parameters the figures can see plus the
    discrepancy) through UltraNest (vectorised, population slice sampler) with a call budget;
(c) through dynesty (random slice sampling, one point per likelihood call) with a call budget: the
    time per call, extrapolated to the calls a run needs.

Usage: ``python benchmarks/bench_infer.py [--quick]`` (needs ``pip install ultranest dynesty`` for (b)/(c)).
Nothing here is asserted; the figures go into benchmarks/README.md and docs/expost.md.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np


def latent_loglik(name: str = "plan"):
    import jdmodel as jd
    from jdmodel.expost.latent import LatentPrior
    from jdmodel.expost.likelihood import ScenarioLikelihood, discrepancy_prior
    from jdmodel.expost.operator import load_error_model
    from jdmodel.pipeline.simulate import regional_io

    sc = jd.load_scenario(name)
    em = load_error_model(plan=sc.plan)
    lik = ScenarioLikelihood.build(sc, sc.plan.observations, em, io=regional_io(sc))
    rel = np.array(lik.relevant())
    d_prior = LatentPrior(("discrepancy",), (discrepancy_prior(em),))
    k, r = lik.prior.dim, int(rel.sum())

    def loglik(z):
        z = np.atleast_2d(z)
        full = np.zeros((len(z), k))
        full[:, rel] = z[:, :r]
        return lik.loglik(lik.prior.values(full), d_prior.values(z[:, -1:])[:, 0])

    return loglik, r + 1


def bench_smc(draws: int, seeds) -> list[dict]:
    from jdmodel.expost.posterior import infer

    out = []
    for s in seeds:
        t = time.perf_counter()
        post = infer("plan", draws=draws, seed=s)
        out.append({"seed": s, "seconds": time.perf_counter() - t, "ess": post.ess, "rhat": post.rhat,
                    "log_evidence": post.log_evidence, "p_output": post.p_reach("output"),
                    "sampling_seconds": post.idata.attrs["sampling_seconds"],
                    "evaluations": post.idata.attrs["likelihood_evaluations"]})
        print("smc", out[-1], flush=True)
    return out


def bench_ultranest(max_ncalls: int) -> dict | None:
    try:
        import ultranest
        import ultranest.popstepsampler as ps
        import ultranest.stepsampler as ss
    except ImportError:
        return None
    from scipy.special import ndtri

    loglik, dim = latent_loglik()
    names = [f"z{i}" for i in range(dim)]
    sampler = ultranest.ReactiveNestedSampler(names, lambda z: loglik(z), lambda u: ndtri(np.clip(u, 1e-12, 1 - 1e-12)),
                                              vectorized=True)
    sampler.stepsampler = ps.PopulationSliceSampler(popsize=200, nsteps=2 * dim,
                                                    generate_direction=ss.generate_mixture_random_direction)
    t = time.perf_counter()
    res = sampler.run(min_num_live_points=400, max_ncalls=max_ncalls, show_status=False, viz_callback=False)
    secs = time.perf_counter() - t
    out = {"seconds": secs, "ncall": res["ncall"], "logz": res["logz"], "logzerr": res["logzerr"],
           "ess": res.get("ess"), "converged": res["ncall"] < max_ncalls}
    print("ultranest", out, flush=True)
    return out


def bench_dynesty(maxcall: int) -> dict | None:
    try:
        import dynesty
    except ImportError:
        return None
    from scipy.special import ndtri

    loglik, dim = latent_loglik()
    s = dynesty.NestedSampler(lambda z: float(loglik(z)[0]), lambda u: ndtri(np.clip(u, 1e-12, 1 - 1e-12)), dim,
                              nlive=500, sample="rslice", rstate=np.random.default_rng(1))
    t = time.perf_counter()
    s.run_nested(maxcall=maxcall, print_progress=False)
    secs = time.perf_counter() - t
    r = s.results
    out = {"seconds": secs, "ncall": int(np.sum(r.ncall)), "iterations": int(r.niter), "logz": float(r.logz[-1]),
           "ms_per_call": 1000 * secs / max(1, int(np.sum(r.ncall)))}
    print("dynesty", out, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["smc", "ultranest", "dynesty"], default=None)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    if args.only in (None, "smc"):
        bench_smc(4000 if args.quick else 20_000, [1] if args.quick else [1, 2, 3])
    if args.only in (None, "ultranest"):
        bench_ultranest(200_000 if args.quick else 2_000_000)
    if args.only in (None, "dynesty"):
        bench_dynesty(2_000 if args.quick else 20_000)


if __name__ == "__main__":
    main()
