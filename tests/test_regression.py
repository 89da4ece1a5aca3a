"""Jiading's results against reference values stored before a change that must not move them.

The references (tests/data/regression/*.nc) were made by tests/data/regression/make_reference.py
at the commit named in each file's ``made_at_commit`` attribute. A refactor leaves them
unchanged to 1e-12 (relative); a deliberate change of the model regenerates them in its own
commit, which says why.
"""

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import jdmodel as jd

HERE = Path(__file__).resolve().parent / "data" / "regression"
SCENARIOS = ("baseline", "plan", "no_new_policy", "funds_heavy", "talent_first", "land_constrained", "market_share")
# keys renamed since the references were made (old → new); the values they hold are unchanged
RENAMED: dict[str, str] = {}


def _compare(new: xr.Dataset, ref: xr.Dataset) -> None:
    for name, da in ref.data_vars.items():
        assert name in new, f"{name} missing from the new results"
        got, want = np.asarray(new[name].values, dtype=float), np.asarray(da.values, dtype=float)
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("name", SCENARIOS)
def test_central_run_matches_the_stored_reference(name):
    with xr.open_dataset(HERE / f"central_{name}.nc") as ref:
        _compare(jd.simulate(name), ref.load())


def test_ensemble_matches_the_stored_reference():
    with xr.open_dataset(HERE / "ensemble_plan_mc64_seed7.nc") as ref:
        ref = ref.load()
    new = jd.simulate("plan", draws=64, seed=7, design="mc")
    assert list(new["parameter"].values) == [RENAMED.get(str(k), str(k)) for k in ref["parameter"].values]
    _compare(new, ref)
