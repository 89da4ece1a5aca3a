"""The fused growth + counting chain (jdmodel.kernels) against the engine it is meant to replace."""

from __future__ import annotations

import numpy as np
import pytest

import jdmodel as jd
from jdmodel import _jit, engine, kernels
from jdmodel.params.schema import SECTORS
from jdmodel.pipeline.sampling import sample_values
from jdmodel.pipeline.simulate import composition_mask
from jdmodel.uncertainty.rng import uniforms


def _engine_and_kernel(draws: int, seed: int):
    sc = jd.load_scenario("plan")
    values, _, _ = sample_values(sc, draws, seed, "lhs")
    index = np.arange(draws)

    def noise(stream, shape):
        return uniforms(seed, f"counting.{stream}", index, shape)

    ref = engine.run(values, composition=composition_mask(sc), noise=noise)
    x = engine.gather(values)
    out = kernels.chain(x.sector, x.levers["funds"], x.levers["talent"], x.levers["land"], x.infrastructure,
                        x.environment, x.land_budget, x.sales_base, x.sales_elasticity,
                        composition=composition_mask(sc), ecommerce=SECTORS.index("ecommerce"),
                        counting={k: v for k, v in values.items() if k.startswith("counting.")}, noise=noise)
    return ref, out


@pytest.mark.parametrize("compiled", [True, False])
def test_chain_equals_the_engine_to_the_bit(monkeypatch, compiled):
    if not compiled:
        monkeypatch.setattr(_jit, "ENABLED", False)
    ref, out = _engine_and_kernel(1500, 3)
    assert set(ref) == set(out)
    for name, arr in ref.items():
        assert out[name].shape == arr.shape, name
        assert np.array_equal(out[name], arr), name


def test_growth_paths_take_their_sizes_from_the_arrays(monkeypatch):
    # three sectors, six lever years, a binding land budget: compiled and numpy steps agree to the bit
    rng = np.random.default_rng(2)
    D, S, T = 50, 3, 6
    names = ("base_output", "capital_output_ratio", "depreciation", "investment_rate", "leverage", "talent_base",
             "talent_attrition", "talent_organic", "land_base", "alpha", "beta", "gamma", "tfp_growth",
             "infra_effect", "environment_effect")
    sector = {k: rng.uniform(0.05, 0.3, (D, S)) for k in names}
    sector.update(base_output=rng.uniform(50, 500, (D, S)), talent_base=rng.uniform(1e3, 1e4, (D, S)),
                  land_base=rng.uniform(5, 50, (D, S)))
    args = (rng.uniform(0, 5, (D, S, T)), rng.uniform(0, 500, (D, S, T)), rng.uniform(0, 10, (D, S, T)),
            np.cumprod(np.full((D, T + 1), 1.02), axis=1), np.ones((D, T + 1)), rng.uniform(10, 60, D))
    compiled = kernels.growth_paths(sector, *args)
    monkeypatch.setattr(_jit, "ENABLED", False)
    reference = kernels.growth_paths(sector, *args)
    for name in reference:
        assert np.array_equal(compiled[name], reference[name]), name
    assert compiled["output"].shape == (D, T + 1, S)
    granted = compiled["land_granted"].sum(axis=(1, 2))
    assert np.all(granted <= args[-1] * (1 + 1e-12)) and np.any(granted < args[2].sum(axis=(1, 2)))
    np.testing.assert_allclose(compiled["output"][:, 0], sector["base_output"], rtol=1e-12)
