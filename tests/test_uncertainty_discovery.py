"""PRIM scenario discovery: a known failure box is recovered."""

import re

import numpy as np
import pytest

from jdmodel.errors import ParameterError
from jdmodel.uncertainty.designs import unit_sample
from jdmodel.uncertainty.discovery import prim

NAMES = ["tfp_growth", "fund_leverage", "talent_retention", "land_budget", "io_share", "adoption"]
# failure when tfp_growth > 0.3, fund_leverage < 0.6 and 0.2 < io_share < 0.7: a known box
TRUE_BOX = {"tfp_growth": (0.3, np.inf), "fund_leverage": (-np.inf, 0.6), "io_share": (0.2, 0.7)}


def failing(x):
    return (x[:, 0] > 0.3) & (x[:, 1] < 0.6) & (x[:, 4] > 0.2) & (x[:, 4] < 0.7)


@pytest.fixture(scope="module")
def x():
    return unit_sample("lhs", 20_000, len(NAMES), seed=11)


def assert_box(found, tol):
    assert set(found) == set(TRUE_BOX)
    for name, (lo, hi) in TRUE_BOX.items():
        for got, want in zip(found[name], (lo, hi), strict=True):
            assert (got == want) if np.isinf(want) else abs(got - want) < tol, (name, found[name])


def test_recovers_known_box(x):
    res = prim(x, failing(x), names=NAMES)
    assert_box(res.box, tol=0.02)
    assert res.chosen_stats["coverage"] > 0.97 and res.chosen_stats["density"] > 0.97
    assert res.base_rate == pytest.approx(0.7 * 0.6 * 0.5, abs=0.01)


def test_recovers_known_box_with_label_noise(x):
    flip = unit_sample("mc", len(x), 1, seed=12)[:, 0] < 0.05
    res = prim({n: x[:, j] for j, n in enumerate(NAMES)}, failing(x) ^ flip)
    assert_box(res.box, tol=0.04)


def test_trajectory_is_consistent(x):
    y = failing(x)
    res = prim(x, y, names=NAMES, paste=False)
    assert res.mass[0] == 1.0 and res.coverage[0] == 1.0 and res.density[0] == pytest.approx(y.mean())
    assert np.all(np.diff(res.mass) < 0) and np.all(np.diff(res.coverage) <= 0)
    assert res.mass[-1] >= 0.05
    assert len(res.restricted) == len(res.mass) and res.restricted[0] == ()
    inside = res.inside(x)
    assert inside.mean() == pytest.approx(res.chosen_stats["mass"])
    assert y[inside].mean() == pytest.approx(res.chosen_stats["density"])
    other = res.select(3)
    assert other.chosen == 3 and other.chosen_stats["mass"] == res.mass[3]


def test_table_and_html(x):
    res = prim(x, failing(x), names=NAMES)
    text = res.table()
    assert "coverage" in text and re.search(r"tfp_growth\s+>= 0\.(29|30)", text)
    assert re.search(r"io_share\s+0\.(18|19|20)\d* \.\. 0\.(69|70|71)", text)   # the true box 0.2 .. 0.7, within 0.02
    html = res._repr_html_()
    assert "<table>" in html and re.search(r"fund_leverage</td><td>&lt;= 0\.(59|60)", html)


def test_bad_input():
    x = np.random.default_rng(0).random((100, 2))
    with pytest.raises(ParameterError, match="never missed"):
        prim(x, np.zeros(100, dtype=bool))
    with pytest.raises(ParameterError, match="boolean"):
        prim(x, np.zeros(100))
    with pytest.raises(ParameterError, match="2 names for 3 columns|names"):
        prim(np.ones((5, 3)), np.ones(5, dtype=bool), names=["a", "b"])
