"""Tests of the engine link (RegionalIO, economy_wide) and the notebook summary."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jdmodel.errors import ParameterError
from jdmodel.inputoutput import RegionalIO, economy_wide, load_regional, regional_table, summary

BASE = np.array([[57.6 / 1.456 / 0.8333, 126.7 / 0.923 / 0.8333, 2448.7 / 1.322 / 0.8333, 50.0,
                  151.9 / 1.539 / 0.8333]])   # 2020 focus-sector output, 亿元 (illustrative)


@pytest.fixture(scope="module")
def io() -> RegionalIO:
    return load_regional()


def test_regional_io_shapes_and_invariants(io):
    n = len(io.codes)
    assert n == 42 and io.A.shape == (n, n) and io.concordance.shape == (5, n)
    np.testing.assert_allclose(io.concordance.sum(axis=1), 1.0)
    assert [io.codes[j] for j in io.exogenous] == ["18", "20", "28", "29", "31", "34", "41"]
    np.testing.assert_allclose(io.x_base - io.A @ io.x_base, io.f_base, atol=1e-9)
    assert (io.f_base >= -1e-9).all() and (io.va_coef > 0).all() and (io.va_coef < 1).all()
    np.testing.assert_allclose(io.va_coef @ io.x_base, 2488.4, rtol=1e-9)     # district GDP 2020
    assert "FLQ, delta=0.3" in io.source
    with pytest.raises(ValueError):
        io.A[0, 0] = 1.0                                                         # read-only
    assert load_regional() is io                                                 # cached


def test_base_year_reproduces_base(io):
    y = np.repeat(BASE[:, :, None], 11, axis=2)
    out = economy_wide(io, y, BASE)
    assert out["io_output"].shape == (1, 11, 42) and out["io_final_demand_implied"].shape == (1, 11, 7)
    np.testing.assert_allclose(out["io_output"][0], np.broadcast_to(io.x_base, (11, 42)), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(out["io_final_demand_implied"][0, 0], io.f_base[io.exogenous], atol=1e-9)
    np.testing.assert_allclose(out["io_value_added"], out["io_output"] * io.va_coef)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), draws=st.integers(1, 6))
def test_mixed_solution_is_consistent_and_batched(seed, draws):
    io = load_regional()
    rng = np.random.default_rng(seed)
    y = BASE[:, :, None] * rng.uniform(0.5, 2.5, (draws, 5, 4))
    out = economy_wide(io, y, BASE)
    x = out["io_output"]
    endo = np.setdiff1d(np.arange(42), io.exogenous)
    f = x - x @ io.A.T                                           # final demand implied by x
    np.testing.assert_allclose(f[..., endo], np.broadcast_to(io.f_base[endo], f[..., endo].shape), atol=1e-8)
    np.testing.assert_allclose(f[..., io.exogenous], out["io_final_demand_implied"], atol=1e-8)
    change = (y - BASE[:, :, None]) * io.output_ratio[:, None]
    np.testing.assert_allclose(x[..., io.exogenous],
                               io.x_base[io.exogenous] + np.einsum("sk,dsy->dyk", io.concordance[:, io.exogenous],
                                                                   change), rtol=1e-12, atol=1e-9)
    one = economy_wide(io, y[-1:], BASE)                         # a single draw gives the same numbers
    np.testing.assert_allclose(one["io_output"][0], x[-1], rtol=1e-12)
    # more focus output never lowers any sector's output (A >= 0)
    more = economy_wide(io, y * 1.1, BASE)["io_output"]
    assert (more >= x - 1e-9).all()


def test_the_margin_gives_the_plain_formula():
    io = load_regional()
    np.testing.assert_allclose(io.output_ratio, 1.0)              # no margin given: ones
    y = np.repeat(BASE[:, :, None], 2, axis=2)
    y[0, 2, 1] += 100.0                                          # +100 亿元 e-commerce in year 2
    x = economy_wide(io, y, BASE)["io_output"]
    j28 = io.codes.index("28")
    assert x[0, 1, j28] - io.x_base[j28] == pytest.approx(80.0)  # C[ecommerce, 28] = 0.8
    margin = np.array([[1.0, 1.0, 0.12, 1.0, 1.0]])              # the scenario's margins, per draw
    x2 = economy_wide(io, y, BASE, margin=margin)["io_output"]
    assert x2[0, 1, j28] - io.x_base[j28] == pytest.approx(80.0 * 0.12)


def test_growth_block_and_io_link_use_one_margin(baseline):
    """Turnover / margin round-trips: value added = margin × va_share × output, and the link uses that margin."""
    from dataclasses import replace

    import jdmodel as jd

    sc = baseline.with_overrides({"sectors.ecommerce.margin": 0.2})
    ds = jd.simulate(sc)
    ec = ds.sel(sector="ecommerce")
    np.testing.assert_allclose(ec.value_added / (0.2 * sc["sectors.ecommerce.va_share"]), ec.output, rtol=1e-12)
    io = load_regional()
    out = economy_wide(io, np.moveaxis(ds.output.values[None], 1, 2), ds.output.values[None, 0],
                       float(sc["district.final_demand_growth"]),
                       margin=np.array([[sc[f"sectors.{s}.margin"] for s in sc.plan.sector_ids]]))
    np.testing.assert_allclose(out["io_output"][0], ds.io_output.values, rtol=1e-10)
    del replace


def test_settings_change_the_table_and_bad_settings_are_named():
    slq = load_regional({"method": "slq"})
    flq = load_regional()
    assert slq.A.sum() > flq.A.sum()          # FLQ allows for the small size of the district
    more_auto = load_regional({"assumptions.industry_share.18": 0.7})
    assert more_auto.x_base[17] == pytest.approx(0.7 * 5341.7)
    with pytest.raises(ParameterError, match="unknown setting.*'deltaa'"):
        load_regional({"deltaa": 0.2})
    with pytest.raises(ParameterError, match="focus_output has shape"):
        economy_wide(flq, np.ones((2, 4, 3)), BASE)


def test_summary_of_the_shipped_regional_table():
    s = summary()
    text = s.table()
    assert len(s.rows) == 42 and "output II" in s.header and "employment I" in s.header
    assert "批发和零售" in text and "<table>" in s._repr_html_()
    t = regional_table()
    mult = np.array([r[s.header.index("output I")] for r in s.rows])
    np.testing.assert_allclose(mult, t.multipliers())
    assert (mult >= 1.0 - 1e-12).all() and (mult < t.multipliers().max() + 1).all()


def test_district_table_holds_the_focus_sectors(io):
    # The 2020 output of the plan's sectors mapped onto each exogenous IO sector (at their margins) must
    # fit inside that sector's 2020 district output, or the base year would be inconsistent.
    import jdmodel as jd

    sc = jd.load_scenario("baseline")
    margin = np.array([sc[f"sectors.{s}.margin"] for s in sc.plan.sector_ids])
    base = np.array([sc[f"sectors.{s}.base_output"] for s in sc.plan.sector_ids])
    mapped = (io.concordance * (margin * base)[:, None]).sum(axis=0)
    assert (mapped[io.exogenous] <= io.x_base[io.exogenous]).all()
