"""A result the model cannot give as a finite, meaningful number is a ModelError naming its parameters."""

from __future__ import annotations

import numpy as np
import pytest

import jdmodel as jd
from jdmodel.errors import ModelError, ParameterError
from jdmodel.params.scenario import central_values
from jdmodel.pipeline.simulate import run_engine


def _values(sc, **changes):
    values = central_values(sc)
    for key, v in changes.items():
        values[key.replace("__", ".")] = np.asarray(v, dtype=float)[None, ...]
    return values


@pytest.mark.parametrize("key, value, words", [
    ("levers.funds.ecommerce", np.full(10, np.inf), ["capital of sector ecommerce in 2021", "levers.funds.ecommerce"]),
    ("sectors.online_services.talent_base", np.nan, ["talent of sector online_services in 2020",
                                                     "sectors.online_services.talent_base"]),
    ("sectors.ecommerce.tfp_growth", -3.0, ["a negative value", "tfp of sector ecommerce in 2021",
                                            "sectors.ecommerce.tfp_growth = -3"]),
])
@pytest.mark.parametrize("detail", [True, False])
def test_a_non_finite_or_negative_state_names_its_equation(baseline, key, value, words, detail):
    """Values no file could give (validation refuses them) reach the engine directly: it still names them,
    also when it does not keep the state paths (a sweep's chunks), where it runs again with them to say."""
    with pytest.raises(ModelError) as info:
        run_engine(baseline, _values(baseline, **{key.replace(".", "__"): value}), detail=detail)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_an_implausible_output_names_what_drives_its_growth(baseline):
    sc = baseline.with_overrides({"sectors.ecommerce.tfp_growth": 0.5, "sectors.ecommerce.infra_effect": 1.0,
                                  "district.infrastructure": [1, 2, 4, 8, 16, 32, 64, 100, 100, 100]})
    with pytest.raises(ModelError) as info:
        jd.simulate(sc, io=False)
    text = str(info.value)
    assert "sector ecommerce" in text and "more than 1e+07 亿元" in text and "district.infrastructure" in text


def test_an_overflow_of_a_linked_indicator_names_its_keys(baseline):
    values = _values(baseline)
    values["linked.ecommerce_sales.elasticity"] = np.array([400.0])
    with pytest.raises(ModelError, match="linked.ecommerce_sales.elasticity"):
        run_engine(baseline, values)


def test_shipped_scenarios_and_draws_give_finite_results(baseline):
    ds = jd.simulate(baseline, draws=64, seed=5, io=False)
    assert all(np.isfinite(ds[v]).all() for v in ds.data_vars if ds[v].dtype.kind == "f")


@pytest.mark.parametrize("seed", [2**64, -1, 1.5, True, "7"])
def test_simulate_refuses_a_seed_outside_0_to_2_64(seed):
    with pytest.raises(ParameterError, match="seed must be a whole number from 0 to 2\\*\\*64 - 1"):
        jd.simulate("baseline", seed=seed, io=False)


def test_simulate_takes_the_largest_seed_and_refuses_bad_draws_and_designs():
    assert jd.simulate("baseline", draws=2, seed=2**64 - 1, io=False).attrs["seed"] == 2**64 - 1
    for kwargs in ({"draws": 0}, {"draws": True}, {"draws": 2.0}, {"design": "grid"}, {"io": "yes"}):
        with pytest.raises(ParameterError):
            jd.simulate("baseline", **kwargs)
