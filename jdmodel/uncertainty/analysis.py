"""Sensitivity and scenario discovery on a scenario (or on any vectorised callable).

``sensitivity`` evaluates the one engine on a Saltelli (Sobol') or Morris design over the
scenario's uncertain parameters — each column of the unit design mapped through that
parameter's distribution — with the counting models on their deterministic mean paths, so
the model is a deterministic function of its parameters. ``discover`` runs PRIM on an
ensemble's sampled inputs for "target missed".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import xarray as xr

from jdmodel.errors import ParameterError


def sensitivity(model, outputs: Sequence[str] | None = None, method: str = "sobol", n: int = 1024,
                seed: int = 0, bounds: Mapping[str, tuple[float, float]] | None = None,
                parameters: Sequence[str] | None = None, years: Sequence[int] | None = None,
                chunk: int = 20_000, **kwargs) -> xr.Dataset:
    """Global sensitivity of a scenario's outputs to its uncertain parameters (or of a callable).

    Parameters
    ----------
    model : Scenario, str or callable
        A scenario (name or object); or a vectorised ``f(X) -> (n,) or (n, m)`` with ``bounds``.
    outputs : sequence of str
        Result variables with dims (year) or (year, sector), e.g. ``"online_economy_output"``,
        ``"output"``, ``"enterprises_total"``. Default: the plan's headline total.
    method : {"sobol", "morris"}
    n : int
        Sobol: base sample size (a power of 2; the model runs ``n (k + 2)`` times). Morris: the
        number of trajectories ``r`` (``r (k + 1)`` runs).
    seed : int
    bounds : mapping, optional
        For a callable: ``{"x1": (lo, hi), ...}`` (uniform inputs).
    parameters : sequence of str, optional
        Restrict to these uncertain parameters (others stay at their central values).
    years : sequence of int, optional
        Years to report (default: the plan's lever years, the year after the base year to the horizon).
    chunk : int
        Model runs per engine call (memory bound).

    Returns
    -------
    xarray.Dataset
        Sobol: ``S1``, ``ST`` and their confidence bounds; Morris: ``mu_star``, ``sigma``,
        ``mu_star_conf``; indexed by ``parameter`` and ``output`` (and ``year``, ``sector``).

    Examples
    --------
    >>> import numpy as np
    >>> si = sensitivity(lambda X: X[:, 0] + 0.1 * X[:, 1], bounds={"a": (0, 1), "b": (0, 1)}, n=256, seed=1)
    >>> bool(si.S1.sel(parameter="a") > si.S1.sel(parameter="b"))
    True
    """
    if callable(model) and not isinstance(model, str):
        if bounds is None:
            raise ParameterError("sensitivity: a callable needs bounds={'name': (low, high), ...}")
        from jdmodel.uncertainty.sensitivity import sensitivity_callable

        return sensitivity_callable(model, bounds, method=method, n=n, seed=seed, **kwargs)
    from jdmodel.params.scenario import Scenario, load_scenario

    sc = model if isinstance(model, Scenario) else load_scenario(model)
    specs = _specs(sc, parameters)
    names = [k for k, _ in specs]
    outputs = list(outputs or (sc.plan.totals[0].id,))
    years = list(years or sc.plan.years.levers)
    bad_years = [y for y in years if y not in sc.plan.years.all]
    if bad_years:
        raise ParameterError(f"sensitivity: years {bad_years} lie outside the plan's years "
                             f"{sc.plan.years.base}–{sc.plan.years.horizon}")
    f = _model_function(sc, specs, outputs, years)
    if method == "sobol":
        from jdmodel.uncertainty.sensitivity import saltelli_design, sobol_from_outputs

        x = saltelli_design(len(names), n, seed)
        y, labels = _evaluate(f, x, chunk)
        si = sobol_from_outputs(y, names, n, output_names=labels, seed=seed, **kwargs)
    elif method == "morris":
        from jdmodel.uncertainty.sensitivity import morris_design, morris_from_outputs

        x = morris_design(len(names), n, seed)
        y, labels = _evaluate(f, x, chunk)
        si = morris_from_outputs(x, y, names, n, output_names=labels, seed=seed, **kwargs)
    else:
        raise ParameterError(f"sensitivity: method must be 'sobol' or 'morris', got {method!r}")
    si = _unstack(si, labels)
    si.attrs.update(scenario=sc.name, parameters_sha256=sc.sha256, method=method, n=int(n), seed=int(seed))
    return si


def _specs(sc, parameters):
    from jdmodel.pipeline.sampling import uncertain_parameters

    specs = uncertain_parameters(sc)
    if parameters is not None:
        known = {k for k, _ in specs}
        bad = [p for p in parameters if p not in known]
        if bad:
            raise ParameterError(f"sensitivity: {bad} are not uncertain parameters of {sc.name!r}")
        specs = [(k, t) for k, t in specs if k in set(parameters)]
    if not specs:
        raise ParameterError(f"sensitivity: scenario {sc.name!r} has no uncertain parameter")
    return specs


def _model_function(sc, specs, outputs, years) -> Callable[[np.ndarray], tuple[np.ndarray, list[str]]]:
    from jdmodel.params.scenario import central_values
    from jdmodel.pipeline.sampling import DEFAULT_DIST
    from jdmodel.pipeline.simulate import rederive, run_engine
    from jdmodel.uncertainty.distributions import ppf

    yidx = [y - sc.plan.years.base for y in years]
    sectors = sc.plan.sector_ids

    def f(u: np.ndarray):
        values = central_values(sc)
        for j, (key, table) in enumerate(specs):
            values[key] = ppf(table, u[:, j], default=DEFAULT_DIST, where=key)
        out = run_engine(sc, rederive(sc, values))
        cols, labels = [], []
        for name in outputs:
            if name not in out:
                raise ParameterError(f"sensitivity: no output {name!r} (have {', '.join(sorted(out))})")
            arr = np.asarray(out[name])[:, yidx]
            if arr.ndim == 2:
                cols.append(arr)
                labels += [f"{name}|{y}|" for y in years]
            else:
                cols.append(arr.reshape(arr.shape[0], -1))
                labels += [f"{name}|{y}|{s}" for y in years for s in sectors]
        return np.concatenate(cols, axis=1), labels

    return f


def _evaluate(f, x: np.ndarray, chunk: int):
    parts, labels = [], None
    for a in range(0, x.shape[0], chunk):
        y, labels = f(x[a:a + chunk])
        parts.append(y)
    return np.concatenate(parts, axis=0), labels


def _unstack(si: xr.Dataset, labels: list[str]) -> xr.Dataset:
    """Turn the flat ``output`` labels "name|year|sector" into dims output, year (and sector)."""
    if "output" not in si.dims:
        return si
    parts = [lab.split("|") for lab in labels]
    if all(p[2] == "" for p in parts):
        idx = xr.Coordinates.from_pandas_multiindex(
            _mi([p[0] for p in parts], [int(p[1]) for p in parts], names=("variable", "year")), "output")
        return si.assign_coords(idx).unstack("output").rename({"variable": "output"})
    idx = xr.Coordinates.from_pandas_multiindex(
        _mi([p[0] for p in parts], [int(p[1]) for p in parts], [p[2] or "total" for p in parts],
            names=("variable", "year", "sector")), "output")
    return si.assign_coords(idx).unstack("output").rename({"variable": "output"})


def _mi(*levels, names):
    import pandas as pd

    return pd.MultiIndex.from_arrays(levels, names=names)


def discover(ens: xr.Dataset, target: str | None = None, **kwargs):
    """PRIM boxes of sampled inputs in which a target is missed.

    Parameters
    ----------
    ens : xarray.Dataset
        An ensemble from ``jd.simulate(sc, draws=N, seed=S)`` (it carries ``inputs``).
    target : str, optional
        A target id of the run's targets (Jiading: ``"output"``, ``"enterprises"`` …); default the first.
    **kwargs
        Passed to :func:`jdmodel.uncertainty.discovery.prim` (``peel_alpha``, ``min_mass`` …).

    Returns
    -------
    PrimResult
        The peeling trajectory (coverage, density, restricted dimensions) and the chosen box.
    """
    from jdmodel.pipeline.results import targets_of
    from jdmodel.uncertainty.discovery import prim

    if "inputs" not in ens or "draw" not in ens.dims:
        raise ParameterError("discover: needs an ensemble with sampled inputs: jd.simulate(sc, draws=N, seed=S)")
    targets = targets_of(ens).targets
    target = target or (targets[0].id if targets else "")
    t = next((t for t in targets if t.id == target), None)
    if t is None or t.indicator not in ens:
        raise ParameterError(f"discover: target {target!r} is not assessed in this ensemble")
    missed = ~t.reached(ens[t.indicator].sel(year=t.year).values)
    names = [str(p) for p in ens["parameter"].values]
    return prim(ens["inputs"].transpose("draw", "parameter").values, missed, names=names, **kwargs)
