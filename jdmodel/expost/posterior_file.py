"""A posterior file written by ``jdmodel infer`` read back: checked, then summarised without sampling again.

:func:`check_posterior` says, before any work, whether a file is such a posterior and for which
plan; :func:`read_posterior` rebuilds the :class:`~jdmodel.expost.posterior.ScenarioPosterior` that
:func:`~jdmodel.expost.posterior.infer` returned from the draws stored in the file (the groups
``posterior``, ``prior`` and ``predictions`` and the sampler's attributes): the same P(reach) with the
same Monte Carlo errors, the same ESS and R-hat, the same quantiles, computed by the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from jdmodel.errors import ParameterError
from jdmodel.expost.likelihood import DISCREPANCY

#: the groups ``jdmodel infer`` writes that a summary needs
GROUPS = ("posterior", "prior", "predictions")
#: the attributes ``jdmodel infer`` writes that say what was sampled
ATTRS = ("scenario", "plan", "parameters_sha256", "seed", "log_evidence", "observation_ids")
#: attributes every ArviZ group carries, not the sampler's
_ARVIZ = ("created_at", "arviz_version", "inference_library", "inference_library_version")


@dataclass(frozen=True)
class _Observed:
    """What a summary needs of an observation: its indicator (and id)."""

    id: str
    indicator: str


@dataclass(frozen=True)
class _Term:
    id: str
    obs: _Observed


def attributes(idata) -> dict[str, Any]:
    """The sampler's attributes of an InferenceData (wherever ArviZ keeps them), lists as lists.

    NetCDF gives a one-element list back as its element; every attribute ``jdmodel infer`` writes as a
    list (ids, indicators, parameter names) is a list here again.
    """
    out: dict[str, Any] = {}
    groups = [getattr(idata, g) for g in idata.groups()]
    for source in (*(g.attrs for g in groups), getattr(idata, "attrs", None) or {}):
        out.update({k: v for k, v in dict(source).items() if k not in _ARVIZ})
    for key in ("observation_ids", "observation_indicators", "informed_parameters"):
        if key in out:
            v = out[key]
            out[key] = [str(v)] if isinstance(v, str | bytes | np.str_) else [str(x) for x in np.asarray(v).ravel()]
    return out


def check_posterior(path, *, plan=None, what: str = "posterior file"):
    """The InferenceData in ``path`` when it is a posterior written by ``jdmodel infer`` (for ``plan``).

    Parameters
    ----------
    path : str or path
    plan : Plan, optional
        Refuse a posterior sampled for another plan.
    what : str
        How messages name the file ("report: --posterior", …).

    Raises
    ------
    ParameterError
        No such file; not a NetCDF file ArviZ reads; no ``posterior``, ``prior`` or ``predictions``
        group or no attribute saying what was sampled (a results file of ``jdmodel run``, say); a
        posterior of another plan. The message names the file.
    """
    from jdmodel.expost.latent import arviz

    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"{what} {path}: no such file" if not p.exists() else f"{what} {path}: not a file")
    try:
        idata = arviz().from_netcdf(str(p))
    except Exception as err:  # noqa: BLE001 - whatever the reader says, it is not a file we can use
        raise ParameterError(f"{what} {path}: not a posterior written by jdmodel infer (it cannot be read as "
                             f"NetCDF: {type(err).__name__})") from None
    groups = set(idata.groups())
    missing = [g for g in GROUPS if g not in groups]
    if missing:
        raise ParameterError(f"{what} {path}: not a posterior written by jdmodel infer (no "
                             f"{', '.join(missing)} group{'s' if len(missing) > 1 else ''})")
    attrs = attributes(idata)
    lacking = [a for a in ATTRS if a not in attrs]
    if lacking:
        raise ParameterError(f"{what} {path}: not a posterior written by jdmodel infer (it does not say its "
                             f"{', '.join(lacking)})")
    if plan is not None:
        check_plan(idata, plan, f"{what} {path}")
    return idata


def check_plan(idata, plan, where: str) -> None:
    """Refuse a posterior sampled for another plan than ``plan`` (``where`` names it in the message)."""
    attrs = attributes(idata)
    sampled = str(attrs.get("plan", plan.id))
    if sampled != plan.id:
        raise ParameterError(f"{where}: a posterior of plan {sampled!r} (scenario {str(attrs.get('scenario', '?'))!r}), "
                             f"not of plan {plan.id!r}; sample one with jdmodel infer on a scenario of {plan.id}")


def read_posterior(source, scenario=None, *, what: str = "posterior file"):
    """The :class:`~jdmodel.expost.posterior.ScenarioPosterior` of a posterior file, without sampling again.

    Parameters
    ----------
    source : path or InferenceData
        A file written by ``jdmodel infer`` / :meth:`ScenarioPosterior.to_netcdf`, or its InferenceData.
    scenario : Scenario or str, optional
        Whose targets (and plan) the draws are judged against; default: the scenario the posterior was
        sampled for. The summary is the one :func:`~jdmodel.expost.posterior.infer` returned when this
        is that scenario (same parameters sha256); for another scenario of the plan it is the same draws
        judged against that scenario's targets.

    Returns
    -------
    ScenarioPosterior
        ``targets``, ``parameters``, ``quantiles``, ``ess``, ``rhat``, ``log_evidence`` and ``discrepancy``
        as :func:`~jdmodel.expost.posterior.infer` computed them; ``terms`` are the figures used (id and
        indicator); ``seconds`` is the sampler's time.

    Examples
    --------
    >>> import jdmodel as jd
    >>> from jdmodel.expost.posterior import infer
    >>> post = infer("plan", draws=400, seed=2)                                 # doctest: +SKIP
    >>> post.to_netcdf("plan_posterior.nc")                                     # doctest: +SKIP
    >>> read_posterior("plan_posterior.nc").p_reach("output") == post.p_reach("output")  # doctest: +SKIP
    True
    """
    from jdmodel.expost.latent import diagnostics
    from jdmodel.expost.posterior import ScenarioPosterior, _parameter_table, _quantiles, _targets
    from jdmodel.params.scenario import Scenario, load_scenario

    idata = source if hasattr(source, "posterior") else check_posterior(source, what=what)
    attrs = attributes(idata)
    if scenario is None:
        scenario = load_scenario(str(attrs["scenario"]), plan=attrs.get("plan"))
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, plan=attrs.get("plan"))
    post, prior, pred = idata.posterior, idata.prior, idata.predictions
    years = [int(y) for y in pred["year"].values]
    if years != list(sc.plan.years.all):
        raise ParameterError(f"{what} {source}: sampled over the years {years[0]}–{years[-1]}, but plan "
                             f"{sc.plan.id!r} runs {sc.plan.years.all[0]}–{sc.plan.years.all[-1]}")
    shape = (int(post.sizes["chain"]), int(post.sizes["draw"]))
    n = shape[0] * shape[1]
    estimated = DISCREPANCY in post.data_vars
    keys = [str(k) for k in post.data_vars if k != DISCREPANCY]
    theta = np.column_stack([post[k].values.reshape(n) for k in keys])
    theta_prior = np.column_stack([prior[k].values.reshape(-1) for k in keys])
    informed = set(attrs.get("informed_parameters", ()))
    rel = np.array([k in informed for k in keys], dtype=bool)
    names = [*keys, *([DISCREPANCY] if estimated else [])]
    ess, rhat, ess_by, rhat_by = diagnostics(post, names)
    d_post = post[DISCREPANCY].values.reshape(n) if estimated else None
    d_prior = prior[DISCREPANCY].values.reshape(-1) if estimated else None
    paths = [str(v) for v in pred.data_vars]
    post_out = {p: pred[p].values.reshape(n, len(years)) for p in paths}
    prior_out = {p: prior[p].values.reshape(-1, len(years)) for p in paths if p in prior}
    ids = attrs["observation_ids"]
    indicators = attrs.get("observation_indicators") or _indicators(sc.plan, ids)
    terms = [_Term(i, _Observed(i, ind)) for i, ind in zip(ids, indicators, strict=True)]
    fixed = attrs.get("discrepancy", "")
    text = str(attrs.get("discrepancy_text") or ("estimated" if estimated else f"fixed at {float(fixed):g}"))
    return ScenarioPosterior(
        scenario=sc, idata=idata,
        targets=_targets(sc, post_out, prior_out, shape, [t.obs for t in terms]),
        parameters=_parameter_table(keys, theta, theta_prior, rel, ess_by, rhat_by, d_post, d_prior, estimated),
        quantiles=_quantiles([p for p in paths if p in prior_out], post_out, prior_out, years, sc.plan),
        ess=ess, rhat=rhat, log_evidence=float(attrs["log_evidence"]), discrepancy=text,
        seconds=float(attrs.get("sampling_seconds", float("nan"))), terms=terms)


def _indicators(plan, ids) -> list[str]:
    """The indicators of the figures a posterior used, from the plan (a file written before they were stored)."""
    by_id = {o.id: o.indicator for o in plan.observations}
    return [by_id.get(i, "") for i in ids]


def sampled_for(idata) -> dict[str, Any]:
    """What a posterior was sampled for: scenario, plan, parameters sha256, seed, draws (chains × draws)."""
    attrs = attributes(idata)
    post = idata.posterior
    return {"scenario": str(attrs.get("scenario", "")), "plan": str(attrs.get("plan", "")),
            "parameters_sha256": str(attrs.get("parameters_sha256", "")), "seed": attrs.get("seed"),
            "chains": int(post.sizes["chain"]), "draws_per_chain": int(post.sizes["draw"])}


def thin(idata, draws: int):
    """``draws`` evenly spaced draws of a posterior (all of them when it has no more), as one chain.

    The draws of a tempering SMC posterior are equally weighted, so every ``k``-th one is a smaller
    sample of the same posterior; the choice is fixed, so the same file and count give the same draws.
    Returns an object with ``posterior`` (the thinned group, carrying the sampler's attributes) and
    ``attrs``, which :func:`jdmodel.expost.posterior.simulate_posterior` runs like the whole file.

    Examples
    --------
    >>> import xarray as xr
    >>> from types import SimpleNamespace
    >>> post = xr.Dataset({"a": (("chain", "draw"), np.arange(10.0).reshape(2, 5))}, attrs={"seed": 1})
    >>> t = thin(SimpleNamespace(posterior=post, groups=lambda: ["posterior"]), 3)
    >>> t.posterior["a"].values.tolist(), t.posterior.attrs["seed"]
    ([[0.0, 4.0, 9.0]], 1)
    """
    from types import SimpleNamespace

    import xarray as xr

    post = idata.posterior
    n = int(post.sizes["chain"]) * int(post.sizes["draw"])
    take = np.unique(np.linspace(0, n - 1, max(1, min(int(draws), n))).round().astype(np.int64))
    data = {}
    for name, var in post.data_vars.items():
        v = var.transpose("chain", "draw", ...)
        data[name] = (v.dims, v.values.reshape(n, *v.shape[2:])[take][None], var.attrs)
    attrs = {**attributes(idata), "thinned_from": n}
    return SimpleNamespace(posterior=xr.Dataset(data, attrs=attrs), attrs=attrs)
