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


def test_rest_of_economy_growth_scales_the_whole_table_when_focus_grows_alike():
    """Linearity: if the focus sectors also grow at g, every IO sector's output is x_base (1 + g)^t."""
    from jdmodel.inputoutput.link import economy_wide, load_regional

    io = load_regional()
    base = np.array([[47.5, 164.7, 2222.8, 50.0, 118.4]])
    g = 0.05
    t = np.arange(11)
    focus = base[:, :, None] * (1 + g) ** t[None, None, :]
    out = economy_wide(io, focus, base, final_demand_growth=np.array([g]))
    np.testing.assert_allclose(out["io_output"][0], io.x_base[None, :] * (1 + g) ** t[:, None], rtol=1e-10)
    # and with g = 0 and focus at its base, nothing moves
    still = economy_wide(io, np.repeat(base[:, :, None], 11, axis=2), base, final_demand_growth=0.0)
    np.testing.assert_allclose(still["io_output"][0], np.repeat(io.x_base[None, :], 11, axis=0), rtol=1e-12)


def test_modelled_gdp_follows_the_published_path_within_its_class_errors():
    ds = jd.simulate("baseline")
    gdp = ds.io_value_added.sum("io_sector")
    assert float(gdp.sel(year=2024)) > 3000 * 0.95        # published: "more than 3000" in 2024 (NR)
    assert float(gdp.sel(year=2021)) == pytest.approx(2705.6, rel=0.08)   # NR figure


def test_the_counterfactual_is_read_again_when_its_file_changes(tmp_path):
    """The counterfactual's parameters are cached while its files stay as they were, and only so long."""
    import shutil

    from jdmodel.params.plan import load_plan
    from jdmodel.pipeline.simulate import counterfactual

    folder = tmp_path / "jiading"
    shutil.copytree(load_plan().folder, folder)
    plan = load_plan(folder)
    sc = jd.load_scenario("plan", plan=plan)
    ref = folder / "scenarios" / f"{plan.counterfactual}.toml"
    key = "levers.funds.ecommerce"
    assert np.all(np.asarray(counterfactual(sc).params[key].value) == 0.0)
    effect = float(jd.simulate(sc).io_effect.sum())
    text = ref.read_text(encoding="utf-8")
    ref.write_text(text.replace('ecommerce = { value = 0.0, unit = "亿元/yr", source = "scenario choice: no public '
                                'funds" }', 'ecommerce = { value = 2.5, unit = "亿元/yr", source = "edited" }'),
                   encoding="utf-8")
    assert np.all(np.asarray(counterfactual(sc).params[key].value) == 2.5)  # the edit is seen at once
    assert float(jd.simulate(sc).io_effect.sum()) < effect             # less policy left to be the effect
    ref.write_text(text, encoding="utf-8")
    assert np.all(np.asarray(counterfactual(sc).params[key].value) == 0.0)
