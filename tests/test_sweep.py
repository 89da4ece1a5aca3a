"""Draws and sweeps: reproducibility whatever the chunking or workers, streaming reductions, clean stops."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import jdmodel as jd
from jdmodel import engine
from jdmodel.uncertainty.sweep import sweep

N = 60


def test_same_seed_identical_arrays_different_seed_differs():
    a = jd.simulate("plan", draws=N, seed=11, io=False)
    b = jd.simulate("plan", draws=N, seed=11, io=False)
    c = jd.simulate("plan", draws=N, seed=12, io=False)
    xr.testing.assert_identical(a, b)
    assert not np.array_equal(a.output.values, c.output.values)


@pytest.mark.parametrize("chunks", [1, 7, N])
def test_chunkings_give_identical_per_draw_results(tmp_path, chunks):
    whole = jd.simulate("plan", draws=N, seed=3, design="lhs", io=False)
    out = tmp_path / f"c{chunks}.nc"
    sweep("plan", draws=N, seed=3, design="lhs", chunks=chunks, out=out, progress=False)
    with xr.open_dataset(out) as back:
        for name in ("output", "online_economy_output", "inputs"):
            np.testing.assert_array_equal(back[name].values, whole[name].values)


@pytest.mark.parametrize("design", ["mc", "sobol"])
def test_other_designs_are_chunk_invariant_too(design):
    whole = sweep("baseline", draws=64, seed=2, design=design, chunks=64, progress=False)
    parts = sweep("baseline", draws=64, seed=2, design=design, chunks=5, progress=False)
    for name in whole.data_vars:
        if name.endswith(("_mean", "_std", "shortfall")):  # float sums: merged in chunk order
            np.testing.assert_allclose(parts[name], whole[name], rtol=1e-12)
        else:
            np.testing.assert_array_equal(parts[name].values, whole[name].values)


def test_two_worker_local_cluster_identical_to_the_bit(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    whole = jd.simulate("plan", draws=N, seed=9, io=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        red = sweep("plan", draws=N, seed=9, chunks=13, client=client, out=tmp_path / "d.nc", progress=False)
    with xr.open_dataset(tmp_path / "d.nc") as back:
        np.testing.assert_array_equal(back.output.values, whole.output.values)
    local = sweep("plan", draws=N, seed=9, chunks=13, progress=False)
    np.testing.assert_array_equal(red.p_reach.values, local.p_reach.values)
    np.testing.assert_array_equal(red.online_economy_output_quantile.values, local.online_economy_output_quantile.values)


def test_assess_on_simulate_and_on_sweep_reductions_agree():
    ens = jd.simulate("plan", draws=2000, seed=4, io=False)
    red = sweep("plan", draws=2000, seed=4, chunks=300, progress=False)
    a, b = jd.assess(ens), jd.assess(red)
    for ra, rb in zip(a.results, b.results, strict=True):
        assert ra.target.id == rb.target.id
        assert ra.probability == rb.probability
        assert ra.first_year_dist == pytest.approx(rb.first_year_dist)
        assert rb.value == pytest.approx(ra.value, rel=1e-3)      # histogram median vs order-statistic median
        assert rb.low == pytest.approx(ra.low, rel=1e-3) and rb.high == pytest.approx(ra.high, rel=1e-3)
        assert rb.shortfall == pytest.approx(ra.shortfall, rel=1e-9)
    assert a.joint_probability == b.joint_probability
    assert a.paths[0].probability_above_line == b.paths[0].probability_above_line


def test_the_draw_axis_never_meets_a_python_loop(monkeypatch):
    calls = []
    real = engine.run

    def counting(values, **kw):
        calls.append(max(np.shape(v)[0] for v in values.values()))
        return real(values, **kw)

    monkeypatch.setattr(engine, "run", counting)
    jd.simulate("plan", draws=500, seed=1, io=False)
    assert calls == [500]
    calls.clear()
    sweep("plan", draws=500, seed=1, chunks=200, progress=False)
    assert calls == [200, 200, 100]


def test_interrupted_sweep_leaves_no_file(tmp_path, monkeypatch):
    from jdmodel.uncertainty import sweep as mod

    real = mod._chunk
    seen = []

    def interrupt(*args, **kw):
        if seen:
            raise KeyboardInterrupt
        seen.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(mod, "_chunk", interrupt)
    out = tmp_path / "never.nc"
    with pytest.raises(KeyboardInterrupt):
        sweep("plan", draws=100, seed=1, chunks=10, out=out, progress=False)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_memory_of_reductions_does_not_grow_with_draws():
    small = sweep("baseline", draws=50, seed=1, chunks=50, progress=False)
    large = sweep("baseline", draws=5000, seed=1, chunks=1000, progress=False)
    assert small.nbytes == large.nbytes


def test_sweep_rejects_bad_arguments(tmp_path):
    with pytest.raises(jd.ParameterError):
        sweep("plan", draws=0)
    with pytest.raises(jd.ParameterError, match=r"\.docx.*\.nc"):
        sweep("plan", draws=10, out=tmp_path / "x.docx", progress=False)
    with pytest.raises(jd.ParameterError, match="seed"):
        sweep("plan", draws=10, seed=2**64, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_zero_chunks_is_an_error_not_the_default():
    with pytest.raises(jd.ParameterError):
        sweep("plan", draws=10, chunks=0, progress=False)
