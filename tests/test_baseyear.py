"""The base year is derived from the statistics bureau's figures, by the plan's declarative rule."""

from __future__ import annotations

import pytest

import jdmodel as jd
from jdmodel.params.baseyear import derived_outputs, figures
from jdmodel.params.observed import CLASSES, load_observed
from jdmodel.params.plan import load_plan

JIADING = load_plan("jiading")
BUREAU_COMPONENTS = JIADING.base_rules[0].sectors
PLAN_IMPLIED_BASE = 2000.0  # 亿元: half of the 4000 亿元 target (the word 倍增)


def test_the_rule_names_the_four_components_and_the_jan_oct_release():
    rule = JIADING.base_rules[0]
    assert set(rule.sectors) == {"industrial_internet", "ecommerce", "online_entertainment", "online_services"}
    assert rule.period == "2021-01..10" and rule.divide_by_growth and rule.share == "within_year.jan_oct.2020"


def test_jan_oct_2020_components_by_division():
    jo = figures(JIADING.base_rules[0], load_observed("jiading"))
    # worked by hand: 2448.7 / 1.322, 57.6 / 1.456, 126.7 / 0.923, 151.9 / 1.539
    assert jo["ecommerce"] == pytest.approx(1852.27, abs=0.01)
    assert jo["industrial_internet"] == pytest.approx(39.56, abs=0.01)
    assert jo["online_entertainment"] == pytest.approx(137.27, abs=0.01)
    assert jo["online_services"] == pytest.approx(98.70, abs=0.01)
    total = sum(jo.values())
    assert total == pytest.approx(2128, abs=1.0)
    # the published total divided by its own growth rate agrees with the sum of the parts
    assert total == pytest.approx(2784.9 / 1.309, rel=2e-3)
    # and already exceeds the full-year base that 倍增 implies
    assert total > PLAN_IMPLIED_BASE


def _pairs(indicators, year):
    """January–October shares of ``year`` from the observation file's pairs: Jan–Oct of the next year over its
    growth (or Jan–Oct of the year itself), over the full year."""
    obs = load_observed("jiading")
    out = {}
    for ind in indicators:
        full = next(o for o in obs if o.indicator == ind and o.period.full_year and o.year == year)
        same = [o for o in obs if o.indicator == ind and str(o.period) == f"{year}-01..10"]
        if same:
            out[ind] = same[0].value / full.value
        else:
            nxt = next(o for o in obs if o.indicator == ind and str(o.period) == f"{year + 1}-01..10")
            out[ind] = nxt.value / (1.0 + nxt.growth) / full.value
    return out


def test_the_2020_share_is_the_districts_own_pairs(baseline):
    shares = _pairs(["merchandise_sales", "industrial_output"], 2020)
    # worked by hand: 6282.6 / 1.115 / 7159.7 = 0.7870; 4317.1 / 1.016 / 5341.7 = 0.7955
    assert shares["merchandise_sales"] == pytest.approx(0.7870, abs=1e-4)
    assert shares["industrial_output"] == pytest.approx(0.7955, abs=1e-4)
    p = baseline.params["within_year.jan_oct.2020"]
    assert p.value == pytest.approx(sum(shares.values()) / len(shares), abs=5e-4)
    assert p.low <= min(shares.values()) and max(shares.values()) <= p.high
    assert p.value < 10 / 12 - 0.03           # 2020 was not a pro-rata year


def test_the_2021_share_is_the_districts_own_pair(baseline):
    share = _pairs(["strategic_emerging_output"], 2021)["strategic_emerging_output"]
    assert share == pytest.approx(1038.0 / 1312.4)
    p = baseline.params["within_year.jan_oct.2021"]
    assert p.value == pytest.approx(share, abs=2e-3) and p.low <= share <= p.high


def test_the_base_year_follows_the_2020_share_and_not_the_2021_one(baseline):
    a = baseline.with_overrides({"within_year.jan_oct.2020": 0.75})
    b = baseline.with_overrides({"within_year.jan_oct.2021": 0.75})
    key = "sectors.ecommerce.base_output"
    assert a[key] == pytest.approx(2448.7 / 1.322 / 0.75, rel=1e-9)
    assert b[key] == pytest.approx(baseline[key], rel=1e-12)


def test_baseline_2020_values_follow_from_the_stated_scaling(baseline):
    share = baseline["within_year.jan_oct.2020"]
    expected = derived_outputs(JIADING, {"within_year.jan_oct.2020": share})
    for s in BUREAU_COMPONENTS:
        assert baseline[f"sectors.{s}.base_output"] == pytest.approx(expected[s], rel=1e-12)
        assert baseline.params[f"sectors.{s}.base_output"].source.startswith("derived")
    assert baseline["sectors.ecommerce.base_output"] == pytest.approx(1852.27 / share, rel=1e-4)


def test_online_economy_total_is_the_sum_of_the_declared_composition(baseline):
    ds = jd.simulate(baseline, io=False)
    comp = list(baseline.targets.composition)
    assert set(comp) == set(BUREAU_COMPONENTS)
    total = ds.output.sel(sector=comp).sum("sector")
    assert float(abs(total - ds.online_economy_output).max()) < 1e-9
    assert "smart_transport" not in comp  # reported beside the total, not in it


def test_composition_can_be_redefined(baseline):
    from dataclasses import replace

    sc = replace(baseline, targets=baseline.targets.with_composition(["ecommerce", "smart_transport"]))
    ds = jd.simulate(sc, io=False)
    expected = ds.output.sel(sector=["ecommerce", "smart_transport"]).sum("sector")
    assert float(abs(expected - ds.online_economy_output).max()) < 1e-9


def test_every_observation_loads_with_period_and_class():
    obs = load_observed("jiading")
    assert len(obs) >= 15
    for o in obs:
        assert o.cls in CLASSES
        assert 2018 <= o.period.year <= 2025
        assert o.unit == "亿元" and o.value > 0
        assert o.source["title"] and o.source["publisher"]
    by_id = {o.id: o for o in obs}
    assert by_id["1.1"].period.full_year is False and str(by_id["1.1"].period) == "2021-01..10"
    assert by_id["1.6"].period.full_year and by_id["1.6"].value == 3119.2 and by_id["1.6"].cls == "NR"
    assert by_id["3.3"].period.last_month == 6
    assert by_id["3.9"].bound == "lower"


def test_a_malformed_observation_is_rejected(tmp_path):
    from jdmodel.errors import ParameterError
    from jdmodel.params.observed import load_observed as lo

    f = tmp_path / "obs.toml"
    f.write_text('[[observation]]\nid = "x"\nindicator = "gdp"\nperiod = "2021-13..14"\nvalue = 0\nunit = "亿元"\n'
                 'class = "ZZ"\nsource = { title = "t", publisher = "p", date = "d" }\n', encoding="utf-8")
    with pytest.raises(ParameterError) as info:
        lo(f)
    text = str(info.value)
    assert "observation[0].period" in text and "observation[0].class: 'ZZ'" in text
    assert "observation[0].value: value 0" in text
