"""Tests of regionalisation (location quotients) and of the shipped IO data."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_inputoutput import random_table

from jdmodel.errors import ParameterError
from jdmodel.inputoutput import IOTable, flq_lambda, location_quotients, regionalise, slq
from jdmodel.inputoutput import data as iodata

# Hand-worked case. National size E^n = [100, 200, 700] (total 1000), regional E^r = [20, 10, 20]
# (total 50). SLQ_1 = (20/50)/(100/1000) = 4; SLQ_2 = (10/50)/(200/1000) = 1;
# SLQ_3 = (20/50)/(700/1000) = 4/7 = 0.571429.
# lambda* = log2(1 + 50/1000)^0.3 = 0.0703893^0.3 = exp(0.3 * ln 0.0703893) = exp(0.3 * -2.653713)
#         = exp(-0.796114) = 0.451078.
# FLQ: off-diagonal SLQ_i/SLQ_j * lambda, diagonal SLQ_i * lambda, then a^r = a^n * min(FLQ, 1):
#   row 1: SLQ_1 = 4, every FLQ_1j >= 4/1*0.45 > 1 -> row unchanged: 0.1, 0.05, 0.02
#   a_21 = 0.2 * (1/4) * 0.451078 = 0.0225539;  a_22 = 0.1 * 0.451078 = 0.0451078
#   a_23 = 0.1 * (1/(4/7)) * 0.451078 = 0.1 * 1.75 * 0.451078 = 0.0789387
#   a_31 = 0.05 * ((4/7)/4) * 0.451078 = 0.05 * 0.0644397 = 0.00322199
#   a_32 = 0.1 * (4/7) * 0.451078 = 0.0257759;  a_33 = 0.2 * (4/7) * 0.451078 = 0.0515518
# AFLQ multiplies column 1 (SLQ_1 = 4 > 1) by log2(1 + 4) = 2.321928:
#   a_21 = 0.0225539 * 2.321928 = 0.0523686;  a_31 = 0.00322199 * 2.321928 = 0.00748123
E_N = np.array([100.0, 200.0, 700.0])
E_R = np.array([20.0, 10.0, 20.0])
A_N = np.array([[0.1, 0.05, 0.02], [0.2, 0.1, 0.1], [0.05, 0.1, 0.2]])


def national_table() -> IOTable:
    x = 10 * E_N
    Z = A_N * x
    return IOTable.from_arrays(Z, x - Z.sum(axis=1), v=x - Z.sum(axis=0), x=x, codes=["p", "q", "r"],
                               source="synthetic")


def test_flq_hand_worked():
    assert flq_lambda(50, 1000, 0.3) == pytest.approx(0.451078, abs=1e-6)
    np.testing.assert_allclose(slq(E_R, E_N), [4.0, 1.0, 4 / 7])
    rt, lq = regionalise(national_table(), regional=E_R, national=E_N, method="flq", delta=0.3)
    expected = [[0.1, 0.05, 0.02], [0.0225539, 0.0451078, 0.0789387], [0.00322199, 0.0257759, 0.0515518]]
    np.testing.assert_allclose(rt.A, expected, rtol=2e-6)
    assert lq[1, 1] == pytest.approx(0.451078, abs=1e-6)
    rt, _ = regionalise(national_table(), regional=E_R, national=E_N, method="aflq", delta=0.3)
    assert rt.A[1, 0] == pytest.approx(0.0523686, rel=2e-6)
    assert rt.A[2, 0] == pytest.approx(0.00748123, rel=2e-6)
    np.testing.assert_allclose(rt.A[:, 1:], np.array(expected)[:, 1:], rtol=2e-6)


def test_slq_and_cilq_hand_worked():
    rt, _ = regionalise(national_table(), regional=E_R, national=E_N, method="slq")
    np.testing.assert_allclose(rt.A, A_N * np.minimum([4.0, 1.0, 4 / 7], 1)[:, None])
    lq = location_quotients(E_R, E_N, "cilq")
    np.testing.assert_allclose(lq[2, 0], (4 / 7) / 4)
    assert np.allclose(np.diag(lq), 1.0)


def test_regional_table_is_balanced_and_scaled():
    t = national_table()
    rt, _ = regionalise(t, regional=E_R, national=E_N)
    # x^r = x^n E^r / E^n: [1000 * .2, 2000 * .05, 7000 * 2/70]
    np.testing.assert_allclose(rt.x, [200.0, 100.0, 200.0])
    np.testing.assert_allclose(rt.Z.sum(axis=1) + rt.f, rt.x)
    np.testing.assert_allclose(rt.Z.sum(axis=0) + rt.imports + rt.v, rt.x)
    np.testing.assert_allclose(rt.v / rt.x, t.v / t.x)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 8), method=st.sampled_from(["slq", "cilq", "flq", "aflq"]),
       delta=st.floats(0.0, 0.99))
def test_regional_coefficients_never_exceed_national(seed, n, method, delta):
    t = random_table(seed, n, households=True)
    rng = np.random.default_rng(seed + 1)
    share = rng.uniform(0, 0.2, n) * (rng.uniform(size=n) > 0.2)
    if share.sum() == 0:
        share[0] = 0.1
    rt, lq = regionalise(t, regional=t.x * share, method=method, delta=delta)
    assert (rt.A <= t.A + 1e-15).all()
    assert (rt.A >= 0).all()
    assert (rt.multipliers() <= t.multipliers() + 1e-12).all()
    assert (rt.imports >= -1e-9 * t.x.max()).all()


def test_regionalise_rejects_bad_input():
    t = national_table()
    with pytest.raises(ParameterError, match="delta"):
        regionalise(t, regional=E_R, national=E_N, delta=1.0)
    with pytest.raises(ParameterError, match="method 'lq'"):
        regionalise(t, regional=E_R, national=E_N, method="lq")
    with pytest.raises(ParameterError, match="national size is 0"):
        regionalise(t, regional=E_R, national=[0.0, 200.0, 700.0])
    with pytest.raises(ParameterError, match="shape"):
        regionalise(t, regional=E_R[:2], national=E_N[:2])


# --------------------------------------------------------------------------- shipped data
def test_shipped_national_table_loads_and_balances():
    t = iodata.load_national()
    assert t.n == 42 and t.codes[0] == "01" and t.name_zh[27] == "批发和零售"
    # NBS 2020 totals in 万元 (shared data README): output 26,990,278,045; value added 10,164,220,013
    assert t.x.sum() == pytest.approx(26_990_278_045e-4, rel=1e-9)
    assert t.v.sum() == pytest.approx(10_164_220_013e-4, rel=1e-9)
    t.check_balance(rtol=1e-9)
    assert (t.A >= 0).all() and t.A.sum(axis=0).max() < 1
    assert (t.multipliers("output", "II") > t.multipliers("output")).all()
    assert t.employment.sum() == pytest.approx(77_584.67e4)      # 2018, 人


def test_household_consumption_is_the_documented_derivation():
    with (iodata.national_table_dir() / "household.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    thc, tc, tcd, hh = (np.array([float(r[k]) for r in rows]) for k in ("THC", "TC", "TC_domestic",
                                                                        "household_domestic"))
    np.testing.assert_allclose(hh, np.where(tc > 0, tcd * thc / np.where(tc > 0, tc, 1), 0), rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(iodata.load_national().consumption, hh * 1e-4)


def test_regional_inputs_carry_units_sources_and_ranges():
    inputs = iodata.regional_inputs()
    for key, e in inputs.items():
        assert "source" in e, key
        if str(e["source"]).startswith("assumption") and isinstance(e["value"], float):
            assert e["low"] <= e["value"] <= e["high"], key
    pub = {k.split(".")[1]: e["value"] for k, e in inputs.items() if k.startswith("published.")}
    # the 2020 shares are the published 2021 shares (documented derivation)
    assert inputs["assumptions.secondary_share"]["value"] == pytest.approx(
        pub["secondary_va_2021"] / pub["gdp_2021"], abs=1e-4)
    assert inputs["assumptions.primary_share"]["value"] == pytest.approx(
        (pub["gdp_2021"] - pub["secondary_va_2021"] - pub["tertiary_va_2021"]) / pub["gdp_2021"], abs=1e-4)


def test_district_output_reproduces_published_aggregates():
    t = iodata.load_national()
    inputs = iodata.regional_inputs()
    x = iodata.regional_output(t, inputs)
    assert (x >= 0).all() and (x[1:5] == 0).all()                     # mining absent
    assert float(t.v / t.x @ x) == pytest.approx(2488.4, rel=1e-12)    # GDP 2020
    assert x[1:26].sum() == pytest.approx(5341.7, rel=1e-12)           # 规上工业总产值 2020
    assert x[17] == pytest.approx(0.6 * 5341.7)
    assert x[27] == pytest.approx(7159.7 * 0.08)                        # trade: 商品销售总额 × margin
    services_group = [int(c) - 1 for c in ("29", "31", "34", "35", "36", "37", "38", "39", "40", "41")]
    assert x[services_group].sum() == pytest.approx(944.0 * 1.15)       # 规上服务业营收 × coverage
    with pytest.raises(ParameterError, match="exceeds secondary"):
        iodata.regional_output(t, {**inputs, "assumptions.secondary_share": 0.3})


def test_concordance_rows_sum_to_one_and_bad_file_is_reported(tmp_path):
    C = iodata.load_concordance(iodata.load_national().codes)
    np.testing.assert_allclose(C.sum(axis=1), 1.0)
    bad = tmp_path / "c.csv"
    bad.write_text("focus_sector,io_code,share,low,high,unit,source\n"
                   "ecommerce,28,0.7,0.6,0.9,1,assumption: x\nrobots,31,1,1,1,1,assumption: y\n", encoding="utf-8")
    with pytest.raises(ParameterError) as err:
        iodata.load_concordance(iodata.load_national().codes, bad)
    msg = str(err.value)
    assert "robots" in msg and "ecommerce: shares sum to 0.7" in msg and "industrial_internet" in msg
