"""Target assessment and the e-commerce arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import jdmodel as jd
from jdmodel.targets import assess, wilson_interval


def test_ecommerce_arithmetic_in_the_report():
    assert 2024 * 1.15**5 == pytest.approx(4071, abs=0.5)
    rep = assess(jd.simulate("baseline", io=False))
    (path,) = rep.paths
    assert path.line_target_year == pytest.approx(2024 * 1.15**5)
    assert path.required_cagr_full == pytest.approx((4000 / 2024) ** (1 / 6) - 1) == pytest.approx(0.1202, abs=1e-4)
    assert path.required_cagr_from_start == pytest.approx(0.1460, abs=1e-4)
    assert path.implied_start_base == pytest.approx(1988.7, abs=0.1)
    text = rep.table()
    for s in ("4,071", "12.02%", "14.60%", "1,988.7"):
        assert s in text


def test_central_report_values_threshold_and_shortfall():
    ds = jd.simulate("baseline", io=False)
    rep = assess(ds)
    out = next(r for r in rep.results if r.target.id == "output")
    v = float(ds.online_economy_output.sel(year=2025))
    assert out.value == pytest.approx(v)
    assert out.reached == (v > 4000)
    assert out.shortfall == pytest.approx(max(4000 - v, 0))
    years = ds.year.values[ds.online_economy_output.values > 4000]
    assert out.first_year == (int(years[0]) if years.size else None)
    assert "<table>" in rep._repr_html_()


def _synthetic(values_2025: np.ndarray) -> xr.Dataset:
    n = values_2025.size
    years = np.arange(2020, 2031)
    path = np.linspace(2000, 1, 11)[None, :] * 0 + np.outer(values_2025, np.ones(11))
    path[:, :5] = 0.0  # reached, if at all, from 2025 on
    return xr.Dataset({"online_economy_output": (("draw", "year"), path)},
                      coords={"draw": np.arange(n), "year": years}, attrs={"scenario": "synthetic"})


def test_probability_equals_share_of_draws_with_se_and_wilson():
    rng = np.random.default_rng(3)
    vals = rng.uniform(3000, 5000, 4000)
    rep = assess(_synthetic(vals))
    (r,) = rep.results
    p = float(np.mean(vals > 4000))
    assert r.probability == pytest.approx(p)
    assert r.se == pytest.approx(np.sqrt(p * (1 - p) / 4000))
    assert r.interval == wilson_interval(p, 4000)
    assert r.first_year_dist["2025"] == pytest.approx(p)
    # analytic: U(3000, 5000) exceeds 4000 with probability 1/2
    assert abs(r.probability - 0.5) < 3 * r.se


def test_wilson_interval_known_value():
    lo, hi = wilson_interval(0.2, 50)
    # textbook value for 10 successes in 50 trials: [0.1124, 0.3304]
    assert lo == pytest.approx(0.1124, abs=1e-4) and hi == pytest.approx(0.3304, abs=1e-4)


def test_all_four_targets_with_joint_probability_below_every_marginal():
    rep = assess(jd.simulate("funds_heavy", draws=1500, seed=8, io=False))
    assert {r.target.id for r in rep.results} == {"output", "enterprises", "projects", "scenarios"}
    assert rep.joint_probability <= min(r.probability for r in rep.results) + 1e-12
    for r in rep.results:
        assert 0.0 <= r.probability <= 1.0
        assert r.interval[0] <= r.probability <= r.interval[1]
        assert sum(r.first_year_dist.values()) == pytest.approx(1.0)
    text = rep.table()
    for tid in ("output", "enterprises", "projects", "scenarios", "all targets"):
        assert tid in text


def test_count_targets_are_integers_in_every_draw():
    ens = jd.simulate("plan", draws=300, seed=3, io=False)
    for name in ("enterprises_total", "projects", "scenarios"):
        v = ens[name].values
        assert np.all(v >= 0) and np.array_equal(v, np.round(v)), name


def test_ensemble_report_equals_xarray_and_numpy_by_hand():
    """The report's numbers, computed with numpy on each indicator, equal xarray's quantiles and plain counts."""
    from jdmodel.targets import QUANTILES

    ds = jd.simulate("plan", draws=101, seed=5, io=False)
    rep = jd.assess(ds)
    names = [v for v in rep.quantiles.data_vars]
    xr.testing.assert_identical(rep.quantiles, ds[names].quantile(list(QUANTILES), dim="draw"))
    for r in rep.results:
        v = ds[r.target.indicator].sel(year=r.target.year)
        hit = r.target.reached(v.values)
        assert r.probability == hit.mean()
        assert (r.low, r.value, r.high) == tuple(float(x) for x in v.quantile([0.05, 0.5, 0.95], dim="draw"))
