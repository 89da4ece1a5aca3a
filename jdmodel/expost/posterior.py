"""``jd.infer``: the posterior of a scenario's uncertain parameters given the published figures.

The parameters the observations can see (:meth:`ScenarioLikelihood.relevant`) and the model
discrepancy :math:`d` are sampled by waste-free tempering SMC (:mod:`jdmodel.expost.smc`); the
rest (the counting models', the market growth after the last figure …) keep their prior, drawn
exactly. The discrepancy is estimated with the stated prior of the plan's ``expost.toml``
(``discrepancy="estimate"``, the default) or held at a given value (a number: what
:func:`discrepancy_curve` does on a grid). Every draw of the posterior then runs the full model —
growth, counting models with their randomness keyed by draw, input–output — to give posterior
P(reach) of every target with its Monte Carlo error and the paths over the plan's years.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from jdmodel.errors import ParameterError
from jdmodel.expost.latent import LatentPrior, diagnostics, to_inference_data
from jdmodel.expost.likelihood import DISCREPANCY, ScenarioLikelihood, discrepancy_prior
from jdmodel.expost.operator import ErrorModel, load_error_model, observations
from jdmodel.expost.smc import sample
from jdmodel.params.scenario import Scenario, load_scenario
from jdmodel.targets import QUANTILES, evidence_of


@dataclass
class ScenarioPosterior:
    """What :func:`infer` returns."""

    scenario: Scenario
    idata: object = field(repr=False)
    targets: xr.Dataset                  # per target: prior, posterior, mcse, evidence, headline
    parameters: xr.Dataset               # per parameter: prior/posterior mean and sd, ESS, R-hat, informed
    quantiles: xr.Dataset                # (which, quantile, year) of the plan's totals, linked indicators, counts
    ess: float
    rhat: float
    log_evidence: float
    discrepancy: str                     # "estimated" or the fixed value
    seconds: float
    terms: list = field(repr=False, default_factory=list)
    skipped: list = field(repr=False, default_factory=list)

    @property
    def draws(self) -> int:
        p = self.idata.posterior
        return int(p.sizes["chain"] * p.sizes["draw"])

    def p_reach(self, target: str) -> tuple[float, float]:
        """Headline P(reach) of a target and its Monte Carlo standard error."""
        r = self.targets.sel(target=target)
        return float(r["headline"]), float(r["headline_mcse"])

    def table(self) -> str:
        t = self.targets
        lines = [f"Posterior of scenario {self.scenario.name!r} (plan {self.scenario.plan.id}) given "
                 f"{len(self.terms)} observation term(s): {self.draws:,} draws "
                 f"({self.idata.posterior.sizes['chain']} chains × {self.idata.posterior.sizes['draw']}), "
                 f"ESS ≥ {self.ess:,.0f}, R-hat ≤ {self.rhat:.3f}, log evidence {self.log_evidence:.2f}, "
                 f"{self.seconds:.0f} s", f"model discrepancy: {self.discrepancy}",
                 f"(R-hat compares halves of {self.idata.posterior.sizes['draw']}-draw chains started at the "
                 "posterior: above 1.01 it says the chains are short; the Monte Carlo error of a P(reach) is "
                 "its ± column, which runs with other seeds reproduce)", ""]
        head = f"{'target':<24} {'prior P':>8} {'posterior P':>12} {'± MC s.e.':>10}  evidence"
        lines += [head, "-" * len(head)]
        for name in t["target"].values:
            r = t.sel(target=name)
            ev = str(r["evidence"].values)
            note = "" if ev == "observed" else "  (no observation: prior kept)"
            lines.append(f"{str(name):<24} {float(r['prior']):>8.1%} {float(r['headline']):>12.1%} "
                         f"{float(r['headline_mcse']):>10.1%}  {ev}{note}")
        p = self.parameters
        informed = p.where(p["informed"], drop=True)
        shift = ((informed["posterior_mean"] - informed["prior_mean"]) / informed["prior_sd"]).fillna(0.0)
        order = np.argsort(-np.abs(shift.values))[:12]
        lines += ["", f"parameters: {int(p['informed'].sum())} seen by the observations (sampled), "
                      f"{int((~p['informed']).sum())} not (posterior = prior, drawn exactly); the most moved:",
                  f"{'parameter':<44} {'prior mean ± sd':>20} {'posterior mean ± sd':>22} {'shift':>7} {'ESS':>7}"]
        for i in order:
            r = informed.isel(parameter=int(i))
            lines.append(f"{str(r['parameter'].values):<44} {float(r['prior_mean']):>10.4g} ± {float(r['prior_sd']):<8.3g}"
                         f"{float(r['posterior_mean']):>11.4g} ± {float(r['posterior_sd']):<9.3g}"
                         f"{float(shift.isel(parameter=int(i))):>+7.2f} {float(r['ess']):>7,.0f}")
        for var in self.quantiles.data_vars:
            q = self.quantiles[var]
            years = [y for y in q["year"].values if y in self.scenario.plan.years.milestones]
            lines += ["", f"{var} (median [5 %–95 %]):"]
            for which in ("prior", "posterior"):
                lines.append(f"  {which:<10}" + "  ".join(
                    f"{int(y)}: {float(q.sel(which=which, quantile=0.5, year=y)):,.0f} "
                    f"[{float(q.sel(which=which, quantile=0.05, year=y)):,.0f}–"
                    f"{float(q.sel(which=which, quantile=0.95, year=y)):,.0f}]" for y in years))
        lines += ["", "terms used: " + ", ".join(t.id for t in self.terms)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.table())}</pre>"

    def to_netcdf(self, path) -> None:
        """Write the InferenceData (every group) atomically (:func:`jdmodel.outputs.atomic_path`)."""
        from jdmodel.outputs import atomic_path

        with atomic_path(path) as tmp:
            self.idata.to_netcdf(str(tmp))


def _errors(sc: Scenario, errors: ErrorModel | None, discrepancy) -> tuple[ErrorModel, dict | None]:
    errors = errors or load_error_model(plan=sc.plan)
    if isinstance(discrepancy, str):
        if discrepancy != "estimate":
            raise ParameterError(f"infer: discrepancy must be 'estimate', a number ≥ 0 or a prior table, got "
                                 f"{discrepancy!r}")
        return errors, discrepancy_prior(errors)
    if isinstance(discrepancy, dict):
        return errors, dict(discrepancy)
    d = float(discrepancy)
    if not (math.isfinite(d) and d >= 0):
        raise ParameterError(f"infer: a fixed discrepancy must be a number ≥ 0, got {discrepancy!r}")
    return errors.with_(discrepancy=d), None


def infer(scenario: Scenario | str = "plan", observed=None, *, draws: int = 4000, seed: int = 0,
          discrepancy="estimate", errors: ErrorModel | None = None, io: bool | None = None,
          chunks: int | None = 20_000, len_chain: int = 20, likelihood: ScenarioLikelihood | None = None
          ) -> ScenarioPosterior:
    """Sample the posterior of a scenario's uncertain parameters given the published observations.

    Parameters
    ----------
    scenario : Scenario or str
    observed : str, path or sequence of Observation, optional
        Default: the scenario's plan's ``observed.toml``.
    draws : int
        Size of the posterior sample (chains × draws per chain).
    seed : int
        Determines every random number: the sampler, the exact prior draws of the parameters the
        observations cannot see, the counting models' randomness.
    discrepancy : "estimate", float or dict
        ``"estimate"``: one more parameter with the stated prior of the plan's ``expost.toml``
        ``[discrepancy]`` table; a number: held fixed; a table: that prior.
    errors : ErrorModel, optional
    io : bool, optional
        Run the input–output block (GDP figures enter the likelihood); default: when the plan has one.
    chunks : int, optional
        Largest number of draws per engine call (results do not depend on it).
    len_chain : int
        Draws per chain of the waste-free sampler.

    Returns
    -------
    ScenarioPosterior
    """
    import time

    from jdmodel.expost.latent import _chunked
    from jdmodel.pipeline.simulate import regional_io

    t0 = time.perf_counter()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    errors, d_prior = _errors(sc, errors, discrepancy)
    if likelihood is None:
        regional = regional_io(sc) if (io if io is not None else sc.plan.has_io) else None
        likelihood = ScenarioLikelihood.build(sc, observations(observed, plan=sc.plan), errors, io=regional)
    lik = likelihood
    rel = np.array(lik.relevant(seed=seed))
    k = lik.prior.dim
    d_latent = LatentPrior((DISCREPANCY,), (d_prior,)) if d_prior is not None else None
    dim = int(rel.sum()) + (1 if d_latent else 0)

    def full_z(z_rel: np.ndarray) -> np.ndarray:
        z = np.zeros((len(z_rel), k))
        z[:, rel] = z_rel[:, : int(rel.sum())]
        return z

    def disc(z: np.ndarray) -> np.ndarray:
        return d_latent.values(z[:, -1:])[:, 0] if d_latent else np.full(len(z), errors.discrepancy)

    loglik = _chunked(lambda z: lik.loglik(lik.prior.values(full_z(z)), disc(z)), chunks)
    run = sample(loglik, dim, draws=draws, seed=seed, len_chain=len_chain)
    n = run.chains * run.draws
    z_post = run.z.reshape(n, dim)
    rng = np.random.default_rng([int(seed), 11])
    z_full = full_z(z_post)
    z_full[:, ~rel] = rng.standard_normal((n, int((~rel).sum())))     # exact prior draws: unseen parameters
    theta = lik.prior.values(z_full)
    d_post = disc(z_post)
    z_prior = rng.standard_normal((n, k))
    theta_prior = lik.prior.values(z_prior)
    d_prior_draws = d_latent.values(rng.standard_normal((n, 1)))[:, 0] if d_latent else np.full(n, errors.discrepancy)
    post_out = _outputs(lik, theta, seed, chunks)
    prior_out = _outputs(lik, theta_prior, seed + 1, chunks)
    pointwise = _chunked(lambda th: lik.pointwise(lik.predictions(th[:, :-1]), th[:, -1]), chunks)(
        np.column_stack([theta, d_post]))
    shape = (run.chains, run.draws)
    names = list(lik.keys) + ([DISCREPANCY] if d_latent else [])
    posterior = {key: theta[:, j].reshape(shape) for j, key in enumerate(lik.keys)}
    prior = {key: theta_prior[None, :, j] for j, key in enumerate(lik.keys)}
    if d_latent:
        posterior[DISCREPANCY] = d_post.reshape(shape)
        prior[DISCREPANCY] = d_prior_draws[None, :]
    paths = _path_names(sc, post_out)
    _path_names(sc, prior_out)
    predictions = {p: post_out[p].reshape(*shape, -1) for p in paths}
    for p in paths:
        prior[p] = prior_out[p][None]
    years = list(sc.plan.years.all)
    ids = [t.id for t in lik.terms]
    d_text = ("estimated, prior " + _describe(d_prior)) if d_latent else f"fixed at {errors.discrepancy:g}"
    idata = to_inference_data(
        posterior=posterior, prior=prior, run=run,
        log_likelihood={"observations": pointwise.reshape(*shape, -1)},
        observed_data={"observations": np.array([t.observed for t in lik.terms])},
        predictions=predictions,
        coords={"year": years, "observation": ids},
        dims={**{p: ["year"] for p in paths}, "observations": ["observation"]},
        attrs={"scenario": sc.name, "plan": sc.plan.id, "parameters_sha256": sc.sha256, "seed": int(seed),
               "discrepancy": "estimated" if d_latent else float(errors.discrepancy),
               "discrepancy_text": d_text, "observation_ids": ids,
               "observation_indicators": [t.obs.indicator for t in lik.terms], "error_model": errors.label,
               "informed_parameters": [kk for kk, r in zip(lik.keys, rel, strict=True) if r]})
    ess, rhat, ess_by, rhat_by = diagnostics(idata.posterior, names)
    targets = _targets(sc, post_out, prior_out, shape, [t.obs for t in lik.terms])
    params = _parameter_table(lik.keys, theta, theta_prior, rel, ess_by, rhat_by, d_post, d_prior_draws, d_latent)
    quant = _quantiles(paths, post_out, prior_out, years, sc.plan)
    return ScenarioPosterior(scenario=sc, idata=idata, targets=targets, parameters=params, quantiles=quant,
                             ess=ess, rhat=rhat, log_evidence=run.log_evidence, discrepancy=d_text,
                             seconds=time.perf_counter() - t0, terms=lik.terms, skipped=lik.skipped)


def _describe(table: dict) -> str:
    name = table.get("dist", "triangular")
    if "low" in table and "high" in table:
        return f"{name} on [{table['low']:g}, {table['high']:g}]" + (f", mode {table['value']:g}" if "value" in table
                                                                      and name == "triangular" else "")
    return f"{name} {table}"


def _outputs(lik: ScenarioLikelihood, theta: np.ndarray, seed: int, chunks: int | None) -> dict[str, np.ndarray]:
    """The full model on each draw: counting models with randomness keyed by (seed, draw), input–output."""
    from jdmodel.pipeline.simulate import run_engine
    from jdmodel.uncertainty.rng import uniforms

    step = chunks or len(theta)
    parts: list[dict] = []
    for start in range(0, len(theta), step):
        block = theta[start:start + step]
        index = np.arange(start, start + len(block), dtype=np.int64)

        def noise(stream: str, shape: tuple[int, ...], index=index) -> np.ndarray:
            return uniforms(seed, f"counting.{stream}", index, shape)

        parts.append(run_engine(lik.scenario, lik.values(block, counting=True), noise=noise, io=lik.io))
    return {key: np.concatenate([p[key] for p in parts], axis=0) for key in parts[0]
            if isinstance(parts[0][key], np.ndarray) and parts[0][key].ndim >= 1}


def _path_names(sc: Scenario, out: dict) -> list[str]:
    wanted = [*(t.id for t in sc.plan.totals), *(x.id for x in sc.plan.linked), *(t.indicator for t in sc.targets.targets)]
    if "io_value_added" in out:
        out["gdp"] = out["io_value_added"].sum(axis=-1)
        wanted.append("gdp")
    return [w for w in dict.fromkeys(wanted) if w in out and out[w].ndim == 2]


def _ess_of(hit: np.ndarray) -> float:
    import warnings

    from jdmodel.expost.latent import arviz

    if hit.min() == hit.max():
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return float(arviz().ess(hit.astype(float), method="bulk"))


def _targets(sc: Scenario, post: dict, prior: dict, shape: tuple[int, int], obs) -> xr.Dataset:
    """Prior and posterior P(reach) of every target and growth path, the posterior's MC error from its ESS."""
    evidence = evidence_of(sc.targets, obs)
    years = list(sc.plan.years.all)
    rows = {}
    for t in sc.targets.targets:
        if t.indicator in post:
            yi = years.index(t.year)
            rows[t.id] = (t.reached(post[t.indicator][:, yi]), t.reached(prior[t.indicator][:, yi]),
                          evidence.get(t.id, "assumed"))
    for p in sc.targets.paths:
        if p.indicator in post:
            yi = years.index(p.target_year)
            total = sc.targets.total_of
            observed = any(o.indicator in (p.indicator, *(f"output.{s}" for s in total.get(p.indicator, ()))) for o in obs)
            rows[f"path:{p.id}"] = (post[p.indicator][:, yi] >= p.target_value, prior[p.indicator][:, yi] >= p.target_value,
                                    "observed" if observed else "assumed")
    names = list(rows)
    out = {"prior": [], "posterior": [], "mcse": [], "ess": [], "evidence": [], "headline": [], "headline_mcse": []}
    for name in names:
        hit_post, hit_prior, ev = rows[name]
        p = float(np.mean(hit_post))
        p0 = float(np.mean(hit_prior))
        ess = _ess_of(np.asarray(hit_post).reshape(shape))
        se = math.sqrt(p * (1 - p) / ess) if math.isfinite(ess) and ess > 0 else 0.0
        se0 = math.sqrt(p0 * (1 - p0) / len(hit_prior))
        out["prior"].append(p0)
        out["posterior"].append(p)
        out["mcse"].append(se)
        out["ess"].append(ess)
        out["evidence"].append(ev)
        out["headline"].append(p if ev == "observed" else p0)
        out["headline_mcse"].append(se if ev == "observed" else se0)
    ds = xr.Dataset({k: ("target", v) for k, v in out.items()}, coords={"target": names})
    ds["posterior"].attrs["long_name"] = "P(reach) over the posterior draws (propagated for an unobserved target)"
    ds["headline"].attrs["long_name"] = ("P(reach) to report: the posterior where the target's indicator is "
                                         "observed, else its prior (the data say nothing about it)")
    return ds


def _parameter_table(keys, theta, theta_prior, rel, ess_by, rhat_by, d_post, d_prior, d_latent) -> xr.Dataset:
    names = list(keys)
    post, pri = theta, theta_prior
    informed = list(rel)
    if d_latent:
        names.append(DISCREPANCY)
        post = np.column_stack([post, d_post])
        pri = np.column_stack([pri, d_prior])
        informed.append(True)
    return xr.Dataset({"prior_mean": ("parameter", pri.mean(0)), "prior_sd": ("parameter", pri.std(0)),
                       "posterior_mean": ("parameter", post.mean(0)), "posterior_sd": ("parameter", post.std(0)),
                       "ess": ("parameter", [ess_by.get(n, np.nan) for n in names]),
                       "rhat": ("parameter", [rhat_by.get(n, np.nan) for n in names]),
                       "informed": ("parameter", np.array(informed, dtype=bool))},
                      coords={"parameter": names})


def _quantiles(paths, post: dict, prior: dict, years, plan) -> xr.Dataset:
    """Prior and posterior quantiles of each path by year, with its unit and name (``units``, ``long_name``)."""
    from jdmodel.pipeline.results import variables

    known = {**variables(plan), "gdp": (("year",), "亿元", "district GDP (regional value added)")}
    q = list(QUANTILES)
    out = {}
    for name in paths:
        _, units, long_name = known.get(name, ((), "", name))
        out[name] = xr.DataArray(np.stack([np.quantile(prior[name], q, axis=0), np.quantile(post[name], q, axis=0)]),
                                 dims=("which", "quantile", "year"),
                                 coords={"which": ["prior", "posterior"], "quantile": q, "year": years},
                                 attrs={"units": units, "long_name": long_name})
    return xr.Dataset(out)


def load_posterior(path):
    """Read a posterior written by ``jdmodel infer`` (or :meth:`ScenarioPosterior.to_netcdf`)."""
    from pathlib import Path

    from jdmodel.expost.latent import arviz

    if not Path(path).is_file():
        raise ParameterError(f"--posterior {path}: no such file")
    try:
        return arviz().from_netcdf(str(path))
    except (OSError, ValueError) as err:
        raise ParameterError(f"--posterior {path}: not a posterior file written by jdmodel infer ({err})") from None


def simulate_posterior(posterior, scenario: Scenario | str | None = None, *, io: bool = True) -> xr.Dataset:
    """Run a scenario on the draws of a posterior: a Dataset like ``jd.simulate(sc, draws=N)``'s.

    Parameters
    ----------
    posterior : ScenarioPosterior, InferenceData or path
        From :func:`infer` or ``jdmodel infer --out FILE``.
    scenario : Scenario or str, optional
        Default: the scenario the posterior was sampled for. Another scenario of the same plan runs its
        own levers on the posterior's parameters (a parameter it samples that the posterior lacks keeps
        its central value, and the Dataset's ``posterior_missing`` attribute lists it).
    io : bool
        Run the input–output block.
    """
    from jdmodel.params.scenario import central_values
    from jdmodel.pipeline.results import to_dataset
    from jdmodel.pipeline.sampling import uncertain_parameters
    from jdmodel.pipeline.simulate import counterfactual, io_effects, rederive, regional_io, run_engine
    from jdmodel.uncertainty.rng import uniforms

    if isinstance(posterior, ScenarioPosterior):
        idata = posterior.idata
    elif hasattr(posterior, "posterior"):
        idata = posterior
    else:
        idata = load_posterior(posterior)
    post = idata.posterior
    attrs = {**dict(post.attrs), **dict(getattr(idata, "attrs", {}) or {})}
    if scenario is None:
        if "scenario" not in attrs:
            raise ParameterError("simulate_posterior: the posterior names no scenario; give one")
        scenario = load_scenario(attrs["scenario"], plan=attrs.get("plan"))
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, plan=attrs.get("plan"))
    keys = [k for k, _ in uncertain_parameters(sc) if k in post]
    missing = [k for k, _ in uncertain_parameters(sc) if k not in post]
    theta = np.column_stack([post[k].values.reshape(-1) for k in keys]) if keys else np.empty((0, 0))
    n = int(post.sizes["chain"] * post.sizes["draw"])
    seed = int(attrs.get("seed", 0))
    index = np.arange(n, dtype=np.int64)

    def noise(stream: str, shape: tuple[int, ...]) -> np.ndarray:
        return uniforms(seed, f"counting.{stream}", index, shape)

    def values(s: Scenario) -> dict:
        vals = {k: np.broadcast_to(v, (n, *np.shape(v)[1:])) for k, v in central_values(s).items()}
        for j, k in enumerate(keys):
            vals[k] = theta[:, j]
        return rederive(s, vals)

    regional = regional_io(sc) if io else None
    out = run_engine(sc, values(sc), noise=noise, io=regional)
    if regional is not None:
        cf = counterfactual(sc)
        out.update(io_effects(out, run_engine(cf, values(cf), noise=noise, io=regional), regional))
    out["inputs"] = theta
    out["_input_keys"] = keys
    ds = to_dataset(out, scenario=sc, seed=seed, design="posterior", keep_draw=True, io=regional)
    ds.attrs.update(posterior_of=str(attrs.get("scenario", "")), posterior_missing=", ".join(missing) or "none")
    return ds
