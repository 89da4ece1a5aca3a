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
    whole = sweep("baseline", draws=64, seed=2, design=design, chunks=64, workers=1, progress=False)
    parts = sweep("baseline", draws=64, seed=2, design=design, chunks=5, workers=2, progress=False)
    xr.testing.assert_identical(parts, whole)


N_ODD = 4099   # four whole reduction blocks of 1024 draws and a last one of 3


@pytest.fixture(scope="module")
def one_chunk_one_worker():
    return sweep("plan", draws=N_ODD, seed=5, chunks=N_ODD, workers=1, progress=False)


@pytest.mark.parametrize("chunks, workers", [(999, 1), (999, 2), (3001, 2), (1024, 2), (None, None),
                                             pytest.param(7, 2, marks=pytest.mark.slow)])
def test_reductions_identical_to_the_bit_for_any_chunking_and_workers(one_chunk_one_worker, chunks, workers):
    # means, standard deviations and expected shortfalls included: float sums over fixed blocks, added exactly
    red = sweep("plan", draws=N_ODD, seed=5, chunks=chunks, workers=workers, progress=False)
    xr.testing.assert_identical(red, one_chunk_one_worker)


def test_reductions_identical_whatever_order_chunks_are_merged_in():
    YEARS = jd.load_plan("jiading").years.all
    from jdmodel.uncertainty.sweep import _chunk

    sc = jd.load_scenario("plan")
    bounds = [(a, min(a + 700, 3001)) for a in range(0, 3001, 700)]
    parts = [_chunk(sc, 3001, 2, "lhs", a, b, False, False, YEARS)[0] for a, b in bounds]
    results = []
    for order in ([0, 1, 2, 3, 4], [4, 2, 0, 3, 1], [3, 4, 1, 0, 2]):
        fresh = [_chunk(sc, 3001, 2, "lhs", *bounds[i], False, False, YEARS)[0] for i in order]
        red = fresh[0]
        for other in fresh[1:]:
            red.merge(other)
        results.append(red.result())
    whole = parts[0]
    for other in parts[1:]:
        whole.merge(other)
    for res in results:
        assert res.keys() == whole.result().keys()
        for k, v in whole.result().items():
            np.testing.assert_array_equal(res[k], v, err_msg=k)


def test_sweep_is_the_same_to_the_bit_without_the_compiled_loops(monkeypatch):
    from jdmodel import _jit

    compiled = sweep("plan", draws=2500, seed=6, chunks=999, progress=False)
    monkeypatch.setattr(_jit, "ENABLED", False)
    xr.testing.assert_identical(sweep("plan", draws=2500, seed=6, chunks=700, workers=1, progress=False), compiled)


def test_sweep_moments_match_the_draws():
    ens = jd.simulate("plan", draws=3001, seed=8, io=False)
    red = sweep("plan", draws=3001, seed=8, chunks=999, progress=False)
    for name in ("online_economy_output", "enterprises_total", "projects"):
        v = ens[name].transpose("draw", "year").values
        np.testing.assert_allclose(red[f"{name}_mean"].values, v.mean(axis=0), rtol=1e-13)
        np.testing.assert_allclose(red[f"{name}_std"].values, v.std(axis=0, ddof=1), rtol=1e-11, atol=1e-12)
        np.testing.assert_array_equal(red[f"{name}_min"].values, v.min(axis=0))
        np.testing.assert_array_equal(red[f"{name}_max"].values, v.max(axis=0))


def test_two_worker_local_cluster_identical_to_the_bit(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    whole = jd.simulate("plan", draws=N, seed=9, io=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        red = sweep("plan", draws=N, seed=9, chunks=13, client=client, out=tmp_path / "d.nc", progress=False)
    with xr.open_dataset(tmp_path / "d.nc") as back:
        np.testing.assert_array_equal(back.output.values, whole.output.values)
    local = sweep("plan", draws=N, seed=9, chunks=N, workers=1, progress=False)
    xr.testing.assert_identical(red, local)   # means and standard deviations too: completion order does not matter


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
    assert sorted(calls) == [100, 200, 200]      # chunks run on several threads


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
    with pytest.raises(jd.ParameterError):
        sweep("plan", draws=10, workers=0, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_zero_chunks_is_an_error_not_the_default():
    with pytest.raises(jd.ParameterError):
        sweep("plan", draws=10, chunks=0, progress=False)
