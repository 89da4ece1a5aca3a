"""Economy-wide output through the input–output link, and effects against no new policy."""

from __future__ import annotations

import numpy as np
import pytest

import jdmodel as jd


@pytest.fixture(scope="module")
def plan():
    return jd.simulate("plan")


def test_plan_reports_economy_wide_output_by_io_sector(plan):
    assert plan.io_output.dims == ("year", "io_sector")
    assert plan.sizes["io_sector"] == 42
    assert plan.io_name_zh.sel(io_sector="31").item().startswith("信息传输")
    # regional value added in the base year is the district's published GDP 2020 (2488.4 亿元, OG)
    assert float(plan.io_value_added.sel(year=2020).sum()) == pytest.approx(2488.4, rel=1e-6)


def test_direct_plus_indirect_is_the_total_effect(plan):
    total = plan.io_effect.sum("io_sector")
    np.testing.assert_allclose(plan.io_direct_effect + plan.io_indirect_effect, total, rtol=1e-12, atol=1e-9)
    assert float(plan.io_direct_effect.sel(year=2025)) > 0
    assert float(plan.io_indirect_effect.sel(year=2025)) > 0      # linkages spread the growth
    assert float(plan.io_effect.sel(year=2020).sum()) == 0.0


def test_no_new_policy_has_no_effect_against_itself():
    ds = jd.simulate("no_new_policy")
    assert float(abs(ds.io_effect).max()) == 0.0


def test_effects_in_an_ensemble_use_the_same_draws():
    ens = jd.simulate("plan", draws=40, seed=2)
    assert ens.io_effect.dims == ("draw", "year", "io_sector")
    assert bool((ens.io_direct_effect.sel(year=2025) > 0).all())
