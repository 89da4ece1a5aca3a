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
    with pytest.raises(ParameterError, match="deltaa: unknown key \\(did you mean 'delta'\\?\\)"):
        load_regional({"deltaa": 0.2})
    with pytest.raises(ParameterError, match="focus_output has shape"):
        economy_wide(flq, np.ones((2, 4, 3)), BASE)


# --- settings are checked like the same keys in region.toml ------------------------------------------

_WITH_FILE_VALUE = {   # key: (the file's text of it, the same text with the value replaced by {v})
    "regionalisation.delta": ('delta = { value = 0.3,', 'delta = { value = {v},'),
    "regionalisation.method": ('method = { value = "flq",', 'method = { value = {v},'),
    "published.gdp": ('gdp = { value = 2488.4,', 'gdp = { value = {v},'),
    "assumptions.industry_share.18": ('"18" = { value = 0.6,', '"18" = { value = {v},'),
    "assumptions.absent_sectors": ('absent_sectors = { value = ["02", "03", "04", "05"],',
                                   'absent_sectors = { value = {v},'),
}


@pytest.mark.parametrize("key, value, toml, expected", [
    ("regionalisation.delta", 1.5, "1.5", "value 1.5 must be < 1 (bounds: ≥ 0 and < 1)"),
    ("regionalisation.delta", -0.1, "-0.1", "value -0.1 must be non-negative (bounds: ≥ 0 and < 1)"),
    ("regionalisation.delta", "0.3", '"0.3"', "value '0.3': expected a number (≥ 0 and < 1)"),
    ("regionalisation.delta", True, "true", "value True: expected a number (≥ 0 and < 1)"),
    ("regionalisation.delta", float("nan"), "nan", "value nan is not finite (expected a number)"),
    ("regionalisation.method", "xyz", '"xyz"', "'xyz': expected one of 'slq', 'cilq', 'flq', 'aflq'"),
    ("regionalisation.method", 3, "3", "3: expected one of 'slq', 'cilq', 'flq', 'aflq'"),
    ("published.gdp", -1.0, "-1.0", "value -1 亿元 must be positive (bounds: > 0 and ≤ 1e+06 亿元)"),
    ("published.gdp", 1e300, "1e300", "value 1e+300 亿元 must be ≤ 1e+06 (bounds: > 0 and ≤ 1e+06 亿元)"),
    ("assumptions.industry_share.18", 2, "2", "value 2 must be ≤ 1 (bounds: ≥ 0 and ≤ 1)"),
    ("assumptions.industry_share.18", [0.5], "[0.5]", "value [0.5]: expected a number (≥ 0 and ≤ 1)"),
    ("assumptions.absent_sectors", "02", '"02"', "expected a list of text, got '02'"),
])
def test_a_setting_is_refused_with_the_words_the_file_gets(tmp_path, key, value, toml, expected):
    """Out of bounds, of the wrong type: the same problem, named by key and value, as the same value in the file."""
    from jdmodel.params.iofiles import read_region
    from jdmodel.params.plan import plans_dir

    with pytest.raises(ParameterError) as by_setting:
        load_regional({key: value})
    assert len(by_setting.value.problems) == 1
    assert by_setting.value.problems[0] == f"load_regional settings on jiading/io/region.toml: {key}: {expected}"
    text = (plans_dir() / "jiading" / "io" / "region.toml").read_text(encoding="utf-8")
    was, now = _WITH_FILE_VALUE[key]
    assert was in text
    (tmp_path / "region.toml").write_text(text.replace(was, now.replace("{v}", toml)), encoding="utf-8")
    with pytest.raises(ParameterError) as by_file:
        read_region(tmp_path / "region.toml")
    assert [p.split(": ", 1)[1] for p in by_file.value.problems] == [f"{key}: {expected}"]


def test_short_names_output_ratio_and_unknown_keys_are_checked():
    def problems(settings):
        with pytest.raises(ParameterError) as err:
            load_regional(settings)
        return [p.split(": ", 1)[1] for p in err.value.problems]

    assert problems({"delta": "abc"}) == ["delta: value 'abc': expected a number (≥ 0 and < 1)"]
    assert problems({"delta": 0.2, "regionalisation.delta": 0.2}) == [
        "regionalisation.delta: given twice, as 'delta' and as 'regionalisation.delta': give one"]
    # output_ratio stands for sectors.<s>.margin and gets its bounds (0.01-1.5)
    assert problems({"output_ratio": {"ecommerce": 2.0}}) == [
        "output_ratio.ecommerce: value 2 must be ≤ 1.5 (bounds: ≥ 0.01 and ≤ 1.5)"]
    assert problems({"output_ratio": {"ecommerce": "0.12"}}) == [
        "output_ratio.ecommerce: value '0.12': expected a number (≥ 0.01 and ≤ 1.5)"]
    assert problems({"output_ratio": {"robots": 1.0}})[0].startswith(
        "output_ratio.robots: not a sector of plan 'jiading' (expected some of industrial_internet,")
    assert problems({"output_ratio": [1.0, 0.12]})[0].startswith("output_ratio: [1.0, 0.12]: expected a mapping")
    # unknown keys, a published figure the file lacks and the size vector does not read, a code of the wrong group
    got = problems({"foo": 1, "published.gpd": 2000.0, "assumptions.industry_share.31": 0.1})
    assert got[0].startswith("foo: unknown key; expected 'method', 'delta', 'output_ratio' or a key of region.toml")
    assert got[1].startswith("published.gpd: unknown key (did you mean 'published.gdp'?)")
    assert len(got) == 2                       # the code is checked once the keys are known
    assert problems({"assumptions.industry_share.31": 0.1})[0].startswith(
        "assumptions.industry_share.31: ['31']: not the code of a industry sector of the national table")
    # the rules between keys hold for the file's values with the overrides in place
    assert problems({"assumptions.industry_share.20": 0.5}) == [
        "assumptions.industry_share: the industry shares sum to 1.1: at most 1"]
    with pytest.raises(ParameterError, match="settings must be a mapping"):
        load_regional([("delta", 0.2)])


def test_valid_settings_take_effect_as_the_file_would_read_them():
    base = load_regional()
    # a table is read as in the file (its unit converted); a bare number is in the canonical unit
    in_wan = load_regional({"published.gdp": {"value": 2600.0e4, "unit": "万元", "source": "test"}})
    in_yi = load_regional({"published.gdp": 2600.0})
    np.testing.assert_array_equal(in_wan.x_base, in_yi.x_base)
    np.testing.assert_allclose(in_yi.va_coef @ in_yi.x_base, 2600.0, rtol=1e-9)
    assert not np.allclose(in_yi.x_base, base.x_base)
    # a key the file lacks but may hold: industry sector 13 takes its share of industrial output
    more = load_regional({"assumptions.industry_share.13": 0.1})
    assert more.x_base[12] == pytest.approx(0.1 * 5341.7)
    # the file's own low/high (0.1-0.4 for delta) do not bound a sensitivity run; the key's bounds do
    low = load_regional({"delta": 0.05})
    assert "delta=0.05" in low.source and low.A.sum() > base.A.sum()
    assert load_regional({"regionalisation.delta": 0.05}) is low           # one setting, one cache entry
    np.testing.assert_array_equal(load_regional({"output_ratio": {"ecommerce": 0.12}}).output_ratio,
                                  [1, 1, 0.12, 1, 1])
    with pytest.raises(ParameterError, match="invalid settings"):       # a table must hold what the file's must
        load_regional({"published.gdp": {"value": 2600.0, "unit": "亿元"}})


_BAD = st.sampled_from(["text", True, None, [1, 2], ["02"], {"a": 1}, float("nan"), float("inf"), -1.0, 0.0,
                        1e-300, 0.5, 1.0, 2.0, 1e9, 10**30, "flq", "28"])


@settings(max_examples=25, deadline=None)
@given(plan=st.sampled_from(["jiading", "yangpu"]), data=st.data())
def test_random_settings_give_a_table_or_a_parameter_error_never_a_traceback(plan, data):
    from jdmodel.inputoutput.data import regional_inputs
    from jdmodel.params.iofiles import REGION

    inputs = regional_inputs(plan=plan)
    keys = sorted({*inputs, *(k for k in REGION if "{" not in k), "method", "delta", "assumptions.industry_share.13",
                   "assumptions.service_specialisation.35", "published.gpd", "output_ratio", "nonsense"})
    settings_ = {}
    for key in data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4, unique=True)):
        near = inputs.get(key, {}).get("value", 1.0)         # the file's value, scaled, or a bad one
        value = data.draw(st.one_of(_BAD, st.floats(0.5, 1.5).map(lambda f, v=near: v * f
                                                                  if isinstance(v, float) else v)))
        settings_[key] = {data.draw(st.sampled_from(["ecommerce", "platforms"])): value} if key == "output_ratio" \
            else value
    try:
        io = load_regional(settings_, plan=plan)
    except ParameterError as err:          # a setting refused, or settings valid one by one that do not hold together
        assert err.problems or "region.toml with the settings" in str(err)
        return
    for a in (io.A, io.x_base, io.f_base, io.va_coef, io.output_ratio):
        assert np.isfinite(a).all()
    assert (io.x_base >= 0).all()


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
