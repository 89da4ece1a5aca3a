"""Smoke tests of the figures (Agg backend): they draw what they claim and return the Axes."""

import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402

from jdmodel.errors import ParameterError  # noqa: E402
from jdmodel.figures.uncertainty import fan_chart, prim_trajectory, sector_colours, sobol_bars  # noqa: E402
from jdmodel.params.plan import load_plan  # noqa: E402
from jdmodel.uncertainty.discovery import prim  # noqa: E402
from jdmodel.uncertainty.sensitivity import sensitivity_callable  # noqa: E402

SECTORS = load_plan("jiading").sector_ids
SECTOR_COLORS = sector_colours("jiading")
YEARS = load_plan("jiading").years.all



@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("plots must not call plt.show()")

    monkeypatch.setattr(plt, "show", fail)
    yield
    plt.close("all")


@pytest.fixture
def ensemble():
    gen = np.random.default_rng(0)
    growth = 1 + gen.normal(0.12, 0.03, (400, 1, len(SECTORS)))
    out = 400 * growth ** np.arange(len(YEARS))[None, :, None]
    return xr.Dataset({"output": (("draw", "year", "sector"), out, {"units": "亿元", "long_name": "sector output"}),
                       "online_economy_output": (("draw", "year"), out.sum(axis=2), {"units": "亿元"})},
                      coords={"draw": np.arange(400), "year": list(YEARS), "sector": list(SECTORS)})


def test_sector_colours_cover_every_sector_once():
    assert tuple(SECTOR_COLORS) == SECTORS
    assert len(set(SECTOR_COLORS.values())) == len(SECTORS)


def test_fan_chart_bands_median_and_target(ensemble):
    ax = fan_chart(ensemble, "online_economy_output", target=(2025, 4000.0))
    assert len(ax.collections) == 2  # the 5-95 and 25-75 bands
    median = ax.lines[0]
    expected = np.quantile(ensemble.online_economy_output.values, 0.5, axis=0)
    np.testing.assert_allclose(median.get_ydata(), expected)
    assert any(list(line.get_xdata()) == [2025] for line in ax.lines)
    assert "亿元" in ax.get_ylabel()


def test_fan_chart_sector_colour_and_horizontal_target(ensemble):
    fig, ax = plt.subplots()
    assert fan_chart(ensemble, "output", sector="ecommerce", target=900.0, ax=ax) is ax
    assert matplotlib.colors.to_hex(ax.lines[0].get_color()) == SECTOR_COLORS["ecommerce"].lower()
    with pytest.raises(ParameterError, match="sector"):
        fan_chart(ensemble, "output")


def test_fan_chart_accepts_arrays_and_central_runs():
    ax = fan_chart(np.linspace(1, 2, len(YEARS)), "x")
    assert len(ax.collections) == 0 and len(ax.lines) == 1
    ax = fan_chart(np.ones((10, 6)), "x", years=range(2020, 2026))
    assert list(ax.lines[0].get_xdata()) == list(range(2020, 2026))


def test_sobol_bars_with_intervals():
    si = sensitivity_callable(lambda x: x @ [1.0, 2.0, 3.0], {"a": (0, 1), "b": (0, 1), "c": (0, 1)}, n=256,
                              n_boot=50)
    ax = sobol_bars(si)
    assert len(ax.patches) == 6
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]  # largest ST on top
    multi = si.expand_dims(output=["y1", "y2"])
    assert len(sobol_bars(multi, output="y2").patches) == 6


def test_prim_trajectory_marks_the_chosen_box():
    x = np.random.default_rng(1).random((3000, 3))
    res = prim(x, x[:, 0] > 0.6)
    ax = prim_trajectory(res)
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == len(res.mass)
    np.testing.assert_allclose(ax.collections[1].get_offsets()[0], [res.coverage[res.chosen],
                                                                    res.density[res.chosen]])


def test_package_imports_without_loading_matplotlib():
    code = "import sys, jdmodel.figures.uncertainty, jdmodel.uncertainty; print('matplotlib' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "False"
