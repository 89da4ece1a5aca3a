"""Draws: sample every uncertain parameter and run the engine once over the draw axis.

A parameter is uncertain when its table carries a ``dist``, or a range (``low``/``high``)
— a range without a named distribution is sampled as triangular with its mode at the
central value (:data:`DEFAULT_DIST`). Values derived from others (the 2020 base outputs,
derived from the January–October share) follow their inputs draw by draw.

Reproducibility: the unit sample is a function of (design, number of draws, number of
uncertain parameters, seed) and the row index alone (:func:`jdmodel.uncertainty.designs.unit_sample`),
and the counting models' randomness is keyed by (seed, stream, draw index)
(:func:`jdmodel.uncertainty.rng.uniforms`); so any chunk ``[start, stop)`` of the draws gives
the same numbers as the whole run, on one machine or many.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from jdmodel.params.scenario import Scenario, central_values

DEFAULT_DIST = "triangular"


def uncertain_parameters(sc: Scenario) -> list[tuple[str, dict]]:
    """``(key, table)`` for every sampled parameter, in a fixed (sorted) order."""
    out = []
    for key in sorted(sc.params):
        p = sc.params[key]
        if p.derived or isinstance(p.value, bool | str | np.ndarray):
            continue
        if p.dist:
            out.append((key, dict(p.dist)))
        elif p.low is not None and p.high is not None and p.high > p.low:
            out.append((key, {"value": float(p.value), "low": p.low, "high": p.high}))
    return out


def sample_values(sc: Scenario, draws: int, seed: int, design: str, start: int = 0,
                  stop: int | None = None, fixed: Mapping[str, float] | None = None) -> tuple[dict, list[str], np.ndarray]:
    """Input arrays for draws ``[start, stop)`` of an N-draw design.

    Returns
    -------
    values : dict
        Dotted key → array with a leading draw axis, ready for :func:`jdmodel.engine.run`.
    keys : list of str
        The sampled keys (columns of ``sampled``).
    sampled : array (n, k)
        The sampled values in canonical units.
    """
    from jdmodel.pipeline.simulate import rederive
    from jdmodel.uncertainty.designs import unit_sample
    from jdmodel.uncertainty.distributions import ppf_columns

    stop = draws if stop is None else stop
    specs = [(k, t) for k, t in uncertain_parameters(sc) if not (fixed and k in fixed)]
    values = central_values(sc)
    keys = [k for k, _ in specs]
    if specs:
        u = unit_sample(design, n_total=draws, k=len(specs), seed=seed, start=start, stop=stop)
        corr = _correlation(sc, keys)
        if corr is not None:  # a Gaussian copula row by row: chunk-invariant
            from jdmodel.uncertainty.correlation import correlate

            u = correlate(u, corr)
        sampled = np.empty((stop - start, len(specs)), order="F")      # a parameter's draws side by side
        ppf_columns(specs, u, sampled, default=DEFAULT_DIST)
        for j, key in enumerate(keys):
            values[key] = sampled[:, j]
    else:
        sampled = np.empty((stop - start, 0))
    n = stop - start
    values = {k: (np.broadcast_to(v, (n, *np.shape(v)[1:])) if np.shape(v)[0] == 1 else v) for k, v in values.items()}
    return rederive(sc, dict(values)), keys, sampled


def _correlation(sc: Scenario, keys: list[str]):
    if not sc.correlations:
        return None
    from jdmodel.params.scenario import correlation_of

    full = correlation_of(sc)
    names = [k for k, _ in uncertain_parameters(sc)]
    idx = [names.index(k) for k in keys]
    c = full[np.ix_(idx, idx)]
    return None if np.array_equal(c, np.eye(len(keys))) else c


def run_draws(sc: Scenario, draws: int, seed: int, design: str = "lhs", io=None, start: int = 0,
              stop: int | None = None, detail: bool = True) -> dict[str, np.ndarray]:
    """Engine outputs for draws ``[start, stop)`` of an N-draw ensemble (one engine call; ``detail``:
    :func:`jdmodel.engine.run`)."""
    from jdmodel.pipeline.simulate import run_engine
    from jdmodel.uncertainty.rng import KeyedNoise

    stop = draws if stop is None else stop
    values, keys, sampled = sample_values(sc, draws, seed, design, start, stop)
    noise = KeyedNoise(seed, np.arange(start, stop, dtype=np.int64), prefix="counting.")
    out = run_engine(sc, values, noise=noise, io=io, detail=detail)
    out["inputs"] = sampled
    out["_input_keys"] = keys
    return out
