"""``jd.simulate``: a scenario (or its draws) through the engine into a Dataset."""

from __future__ import annotations

import numpy as np
import xarray as xr

from jdmodel import engine
from jdmodel.errors import ParameterError
from jdmodel.params.baseyear import derived_outputs
from jdmodel.params.scenario import Scenario, central_values, load_scenario, options
from jdmodel.pipeline.results import to_dataset


def run_engine(sc: Scenario, values: dict[str, np.ndarray], *, noise=None, io=None,
               detail: bool = True) -> dict[str, np.ndarray]:
    """The engine on a scenario's values: its plan's sectors, years and indicators, its targets' totals."""
    return engine.run(values, plan=sc.plan, totals=sc.targets.total_of, options=options(sc), noise=noise, io=io,
                      detail=detail)


def rederive(sc: Scenario, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Recompute base outputs derived from published figures when a share they divide by varies by draw."""
    keys = {r.share for r in sc.plan.base_rules if r.share is not None}
    if not keys & set(values):
        return values
    derived = derived_outputs(sc.plan, {k: values[k] for k in keys})
    for s, v in derived.items():
        key = f"sectors.{s}.base_output"
        if sc.params[key].derived:
            values[key] = v
    return values


def simulate(scenario: Scenario | str = "baseline", draws: int = 1, seed: int | None = None,
             design: str = "lhs", io: bool = True) -> xr.Dataset:
    """Run a scenario 2020–2030.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a name/path for :func:`jdmodel.load_scenario`.
    draws : int
        1 (default) runs the central values; N > 1 samples every parameter that carries a
        range or distribution (see ``docs/uncertainty.md``) and keeps a ``draw`` dim.
    seed : int, optional
        Seed of the sample, a whole number from 0 to 2**64 − 1; the result is a function of
        (parameters, seed, design, draws).
    design : {"lhs", "sobol", "mc"}
        Sampling design for draws > 1.
    io : bool
        Add economy-wide output by input–output sector (``io_sector`` dim).

    Returns
    -------
    xarray.Dataset
        Dims ``year`` (the plan's base year to its horizon) and ``sector`` (+ ``draw`` when
        draws > 1, + ``io_sector``), variables with ``units`` and ``long_name``, provenance in ``attrs``.

    Raises
    ------
    ParameterError
        For a bad argument (a negative or too large seed, draws < 1, an unknown design) or scenario.
    ModelError
        When the model gives a result that is not a finite number (naming the parameters involved).

    Examples
    --------
    >>> import jdmodel as jd
    >>> ds = jd.simulate("baseline")
    >>> float(ds.online_economy_output.sel(year=2020)) > 2000
    True
    """
    from jdmodel.uncertainty.designs import DESIGNS
    from jdmodel.uncertainty.rng import check_draws, check_seed

    draws, seed = check_draws(draws), check_seed(seed, optional=True)
    if design not in DESIGNS:
        raise ParameterError(f"design must be one of {', '.join(DESIGNS)}, got {design!r}")
    if not isinstance(io, bool):
        raise ParameterError(f"io must be True or False, got {io!r}")
    sc = load_scenario(scenario) if not isinstance(scenario, Scenario) else scenario
    regional = regional_io(sc) if io else None
    if draws == 1:
        out = run_engine(sc, central_values(sc), io=regional)
        if regional is not None:
            out.update(io_effects(out, run_engine(sc, central_values(counterfactual(sc)), io=regional), regional))
        return to_dataset(out, scenario=sc, seed=seed, design=None, keep_draw=False, io=regional)
    from jdmodel.pipeline.sampling import run_draws

    seed = 0 if seed is None else int(seed)
    out = run_draws(sc, draws=int(draws), seed=seed, design=design, io=regional)
    if regional is not None:
        out.update(io_effects(out, run_draws(counterfactual(sc), draws=int(draws), seed=seed, design=design,
                                             io=regional), regional))
    return to_dataset(out, scenario=sc, seed=seed, design=design, keep_draw=True, io=regional)


_POLICY_KEYS = ("levers.", "district.infrastructure", "district.business_environment")


def counterfactual(sc: Scenario, reference: str | None = None) -> Scenario:
    """The same scenario with its policy levers replaced by those of ``reference``.

    ``reference`` defaults to the plan's counterfactual scenario (``counterfactual`` in plan.toml).
    Structural parameters (and so the sampled draws) stay the scenario's own, so the difference
    between the two runs is the effect of the policy alone (common random numbers).
    """
    from dataclasses import replace

    reference = reference or sc.plan.counterfactual
    return replace(sc, name=f"{sc.name}→{reference}", params={**sc.params, **_policy_of(reference, sc.plan)})


#: (plan, reference) → (the files read, their size and modification time, the policy parameters)
_POLICY_CACHE: dict = {}


def _policy_of(reference: str, plan) -> dict:
    """The policy parameters of scenario ``reference`` of ``plan``, read once while its files stay unchanged.

    Every central ``simulate`` with the input–output block runs the counterfactual: reading and
    validating its TOML chain again each time took most of a call. The cache is checked against the
    size and modification time of every file in the chain, so an edited file is read again.
    """
    key = (plan, str(reference))
    hit = _POLICY_CACHE.get(key)
    if hit is not None and hit[1] == _stamp(hit[0]):
        return hit[2]
    ref = load_scenario(reference, plan=plan)
    swapped = {k: p for k, p in ref.params.items() if k.startswith(_POLICY_KEYS)}
    _POLICY_CACHE[key] = (ref.files, _stamp(ref.files), swapped)
    return swapped


def _stamp(files) -> tuple:
    """(size, mtime in ns) of each file; a missing file stamps as (-1, -1)."""
    import os

    out = []
    for f in files:
        try:
            st = os.stat(f)
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((-1, -1))
    return tuple(out)


def io_effects(out: dict, ref: dict, regional) -> dict[str, np.ndarray]:
    """Economy-wide effects of the policy against the counterfactual, split direct / indirect.

    Direct: the change in output of the IO sectors the focus sectors belong to (set by the growth
    model); indirect: the change in every other IO sector, through the mixed model's linkages.
    """
    effect = out["io_output"] - ref["io_output"]                      # (D, Y, n)
    exo = np.zeros(effect.shape[-1], dtype=bool)
    exo[np.asarray(regional.exogenous)] = True
    return {"io_effect": effect,
            "io_direct_effect": effect[..., exo].sum(axis=-1),
            "io_indirect_effect": effect[..., ~exo].sum(axis=-1),
            "io_value_added_effect": (out["io_value_added"] - ref["io_value_added"]).sum(axis=-1)}


def regional_io(sc: Scenario):
    """The plan's regional input–output system, or None when the plan has no ``io/`` folder."""
    if not sc.plan.has_io:
        return None
    from jdmodel.inputoutput.link import load_regional

    return load_regional(plan=sc.plan)
