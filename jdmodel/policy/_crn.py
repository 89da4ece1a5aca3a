"""Many lever settings on one set of draws: common random numbers for the policy questions.

The draws are sampled once (:func:`jdmodel.pipeline.sampling.sample_values`, a function of the scenario,
seed, design and number of draws). A batch of G lever settings is then run as one engine call
over G × D rows: every row of setting g repeats draw d's parameters, and the counting models'
uniforms are keyed by the draw index d, not by the row. So two settings differ only by their
levers, and a comparison between them carries no sampling noise of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from jdmodel.errors import ParameterError
from jdmodel.params.scenario import Scenario, central_values, load_scenario
from jdmodel.params.targets import Target

Array = NDArray[np.float64]
DESIGNS = ("lhs", "sobol", "mc")
COUNT_INDICATORS = ("enterprises_total", "projects", "scenarios")
#: Rows per engine call: bounds memory (≈ 1 kB per row) whatever the batch.
MAX_ROWS = 40_000


def check_common(draws, seed, design) -> None:
    from jdmodel.uncertainty.rng import check_draws, check_seed

    check_draws(draws)
    check_seed(seed)
    if design not in DESIGNS:
        raise ParameterError(f"design must be one of {', '.join(DESIGNS)}, got {design!r}")


def check_sectors(sectors, where: str, plan) -> tuple[str, ...]:
    """The plan's sectors named in ``sectors`` (all of them for None), in the plan's order."""
    known = plan.sector_ids
    if sectors is None:
        return known
    if isinstance(sectors, str):
        sectors = (sectors,)
    sectors = tuple(sectors)
    bad = [s for s in sectors if s not in known]
    if bad or not sectors or len(set(sectors)) != len(sectors):
        raise ParameterError(f"{where}: sectors must be distinct names among {', '.join(known)}, got {list(sectors)}")
    return tuple(s for s in known if s in sectors)



def _detail_only() -> frozenset[str]:
    """Engine outputs only a run with ``detail`` gives (``jdmodel.engine.run``)."""
    from jdmodel.counting.kernel import DETAIL
    from jdmodel.engine import STATE_PATHS

    return frozenset(STATE_PATHS + DETAIL)


class CRNEnsemble:
    """The draws of a scenario, ready to run under many lever settings.

    Parameters
    ----------
    scenario : Scenario or str
    draws : int
        1 runs the central values (no sampling; the counting models give their mean paths).
    seed : int
    design : {"lhs", "sobol", "mc"}
    """

    def __init__(self, scenario: Scenario | str, draws: int, seed: int, design: str = "lhs") -> None:
        check_common(draws, seed, design)
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.draws, self.seed, self.design = int(draws), int(seed), design
        if self.draws == 1:
            values = central_values(self.scenario)
        else:
            from jdmodel.pipeline.sampling import sample_values

            values = sample_values(self.scenario, self.draws, self.seed, design)[0]
        self.varying: dict[str, np.ndarray] = {}
        self.constant: dict[str, np.ndarray] = {}
        for key, v in values.items():
            v = np.asarray(v, dtype=float)
            if v.shape[0] > 1 and not np.all(v == v[:1]):
                self.varying[key] = v
            else:
                self.constant[key] = v[:1]
        self.plan = self.scenario.plan
        self.n_lever_years = len(self.plan.years.levers)
        self.targets: tuple[Target, ...] = self.scenario.targets.targets
        self._available: tuple[Target, ...] | None = None

    # ------------------------------------------------------------------------------------------
    def lever_path(self, lever: str, sector: str) -> Array:
        """The scenario's path of a lever in a sector over the lever years, shape (T,)."""
        key = f"levers.{lever}.{sector}"
        v = self.constant.get(key)
        if v is None:
            raise ParameterError(f"scenario {self.scenario.name!r}: lever {key!r} varies by draw; "
                                 "the policy functions need a fixed lever path")
        return np.broadcast_to(v[0], (self.n_lever_years,)).astype(float)

    def land_budget(self) -> float:
        """The central district land budget over the lever years, 公顷."""
        return float(self.scenario["district.land_budget"])

    def run(self, settings: Sequence[Mapping[str, Array]], *, noise: bool = True,
            wanted: Sequence[str] | None = None) -> dict[str, Array]:
        """Engine outputs for G lever settings on the same draws.

        Parameters
        ----------
        settings : sequence of mappings
            Per setting, dotted lever key (``levers.funds.<sector>``) → path over the lever years
            (shape (T,) or scalar) replacing the scenario's.
        noise : bool
            Counting models with their draw-keyed randomness (True) or their mean paths (False).
        wanted : sequence of str, optional
            Outputs to keep (default: every target indicator the engine produces).

        Returns
        -------
        dict
            Output name → array (G, D, ...).
        """
        settings = list(settings)
        d = self.draws
        keys = sorted(set().union(*settings)) if settings else []
        per = max(1, MAX_ROWS // d)
        chunks: list[dict[str, Array]] = []
        for start in range(0, len(settings), per):
            chunk = settings[start:start + per]
            g = len(chunk)
            n = g * d
            values = {k: np.broadcast_to(v, (n, *v.shape[1:])) for k, v in self.constant.items()}
            for k, v in self.varying.items():
                values[k] = np.tile(v, (g,) + (1,) * (v.ndim - 1))
            for k in keys:
                base = values[k][0] if k in self.constant else None
                paths = np.stack([np.broadcast_to(np.asarray(c.get(k, base), dtype=float), (self.n_lever_years,))
                                  for c in chunk])
                values[k] = np.repeat(paths, d, axis=0)
            need = wanted if wanted is not None else [t.indicator for t in self.targets]
            out = self._engine(values, self._noise(g) if noise else None, detail=bool(set(need) & _detail_only()))
            names = wanted if wanted is not None else [t.indicator for t in self.targets if t.indicator in out]
            missing = [nm for nm in names if nm not in out]
            if missing:
                raise ParameterError(f"the model does not produce {missing} for scenario {self.scenario.name!r}")
            chunks.append({nm: out[nm].reshape(g, d, *out[nm].shape[1:]) for nm in dict.fromkeys(names)})
        if not chunks:
            return {}
        return {nm: np.concatenate([c[nm] for c in chunks]) for nm in chunks[0]}

    def _engine(self, values, noise, detail: bool = True):
        from jdmodel.pipeline.simulate import run_engine

        return run_engine(self.scenario, values, noise=noise, detail=detail)

    def _noise(self, g: int):
        if self.draws == 1:
            return None
        from jdmodel.uncertainty.rng import KeyedNoise

        # the same uniforms for every setting (common random numbers), drawn in the counting loop
        return KeyedNoise(self.seed, np.tile(np.arange(self.draws, dtype=np.int64), g), prefix="counting.")

    # ------------------------------------------------------------------------------------------
    def available(self) -> tuple[Target, ...]:
        """The targets whose indicator the engine produces for this scenario."""
        if self._available is None:
            out = self._engine(self.constant | {k: v[:1] for k, v in self.varying.items()}, None)
            self._available = tuple(t for t in self.targets if t.indicator in out)
        return self._available

    def select(self, target: str) -> tuple[Target, ...]:
        """``"all"`` → every assessable target; else the target of that id."""
        avail = self.available()
        if target == "all":
            if not avail:
                raise ParameterError(f"scenario {self.scenario.name!r}: no target can be assessed")
            return avail
        chosen = [t for t in avail if t.id == target]
        if not chosen:
            known = [t.id for t in self.targets]
            why = "is not a target" if target not in known else "has no indicator in this model run"
            raise ParameterError(f"target {target!r} {why}; expected one of "
                                 f"{', '.join([t.id for t in avail] + ['all'])}")
        return tuple(chosen)


def target_values(out: Mapping[str, Array], target: Target, base_year: int) -> Array:
    """The indicator in the target year, shape (G, D) (``base_year``: the first year of the output)."""
    return out[target.indicator][:, :, target.year - base_year]


def hits(out: Mapping[str, Array], targets: Sequence[Target], base_year: int) -> Array:
    """Whether every target in ``targets`` is reached, per setting and draw: bool (G, D)."""
    ok = None
    for t in targets:
        h = np.asarray(t.reached(target_values(out, t, base_year)), dtype=bool)
        ok = h if ok is None else ok & h
    return ok


def relative_shortfall(out: Mapping[str, Array], targets: Sequence[Target], base_year: int) -> Array:
    """Σ over targets of the shortfall as a share of the threshold, per setting and draw (G, D)."""
    total = 0.0
    for t in targets:
        v = target_values(out, t, base_year)
        gap = t.threshold - v if t.comparison in (">", ">=") else v - t.threshold
        total = total + np.maximum(gap, 0.0) / abs(t.threshold)
    return np.asarray(total, dtype=float)
