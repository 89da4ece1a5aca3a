"""Sweeps at scale: stream over chunks of the draw axis, keep reductions, not draws.

``sweep`` runs the same engine as :func:`jdmodel.simulate` over chunks ``[start, stop)``
of an N-draw design and folds each chunk into running reductions whose size does not
depend on N: target hit counts (so P(reach) is exact), first-year-reached counts,
fixed-bin histograms of each indicator by year (quantiles to a relative resolution of
about 3e-4 for money, exact for counts), means, variances (M2), minima and maxima.
With ``out=PATH`` the full per-draw results are also written there, chunk by chunk, into
a temporary file renamed into place at the end: an interrupted or failed sweep leaves no
half-written file.

Chunks run on every local core by default (threads: the compiled loops and numpy release
the GIL), or on a ``dask.distributed`` cluster. Every reduction is the same to the bit for
any chunk size, any number of workers and any completion order: counts are integers, and
float sums are taken over fixed blocks of the global draw index and added exactly
(:mod:`jdmodel.uncertainty.reductions`).
"""

from __future__ import annotations

import math
import os
import threading
from collections import deque
from pathlib import Path

import numpy as np
import xarray as xr

from jdmodel.errors import ParameterError
from jdmodel.uncertainty.reductions import Reductions
from jdmodel.uncertainty.rng import check_draws, check_seed

#: The counting models' indicators (every plan has them); a plan's own totals and linked indicators come first.
COUNT_INDICATORS = ("enterprises_total", "projects", "scenarios")
LOG_LO, LOG_HI, LOG_BINS = 1e-3, 1e7, 1 << 16
COUNT_BINS = 1 << 14
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Largest default chunk (draws): small enough for a chunk's arrays to stay in cache (measured, benchmarks/README.md).
DEFAULT_CHUNK = 4096


def _edges(name: str) -> np.ndarray:
    if name in COUNT_INDICATORS:
        return np.arange(COUNT_BINS + 1, dtype=float) - 0.5
    return np.geomspace(LOG_LO, LOG_HI, LOG_BINS + 1)


_LOG_EDGES = np.geomspace(LOG_LO, LOG_HI, LOG_BINS + 1)


def indicators(plan) -> tuple[str, ...]:
    """The indicators a sweep reduces: the plan's totals and linked indicators, then the counts."""
    return (*(t.id for t in plan.totals), *(x.id for x in plan.linked), *COUNT_INDICATORS)


def empty_reductions(names, years, targets, n_total: int, wanted: tuple[str, ...]) -> Reductions:
    """Reductions for the indicators of ``wanted`` that a run produced (``names``), in that order."""
    names = tuple(n for n in wanted if n in names)
    return Reductions(
        names=names, years=tuple(int(y) for y in years),
        targets=tuple(t for t in targets.targets if t.indicator in names),
        paths=tuple(p for p in targets.paths if p.indicator in names), n_total=int(n_total),
        edges={n: None if n in COUNT_INDICATORS else _LOG_EDGES for n in names},
        n_bins={n: COUNT_BINS if n in COUNT_INDICATORS else LOG_BINS for n in names})


def chunk_reductions(ds: xr.Dataset, targets, n_total: int | None = None) -> dict[str, np.ndarray]:
    """Reductions of one chunk given as a Dataset with a ``draw`` dim (its draws must be whole blocks
    of the global index or the whole sweep, unless ``n_total`` says how many draws the sweep has)."""
    own = tuple(v for v in str(ds.attrs.get("indicators", "")).split(",") if v)
    wanted = (*own, *COUNT_INDICATORS)
    values = {n: ds[n].transpose("draw", "year").values for n in wanted if n in ds}
    start = int(ds["draw"].values[0])
    red = empty_reductions(values, ds["year"].values, targets, n_total or start + ds.sizes["draw"], wanted)
    red.add(values, start)
    return red.result()


def hist_quantiles(counts: np.ndarray, edges: np.ndarray, qs) -> np.ndarray:
    """Quantiles from a histogram (per row), interpolating linearly inside the bin."""
    cum = np.cumsum(counts, axis=-1)
    n = cum[..., -1:]
    out = np.empty((*counts.shape[:-1], len(qs)))
    for j, q in enumerate(qs):
        target = q * n
        i = np.minimum((cum < target).sum(axis=-1), counts.shape[-1] - 1)
        below = np.take_along_axis(cum, i[..., None], -1)[..., 0] - np.take_along_axis(counts, i[..., None], -1)[..., 0]
        inbin = np.take_along_axis(counts, i[..., None], -1)[..., 0]
        frac = np.where(inbin > 0, (target[..., 0] - below) / np.maximum(inbin, 1), 0.5)
        out[..., j] = edges[i] + np.clip(frac, 0, 1) * (edges[i + 1] - edges[i])
    return out


def to_dataset(red: dict, sc, years, *, seed: int, design: str, draws: int) -> xr.Dataset:
    """Turn merged reductions into a labelled Dataset (``kind = "sweep"``) that ``jd.assess`` reads."""
    data = {}
    n = int(red["n"])
    for name in [k.split(":", 1)[1] for k in red if k.startswith("hist:")]:
        edges = _edges(name)
        if name in COUNT_INDICATORS:  # exact discrete quantiles (lower order statistic)
            cum = np.cumsum(red[f"hist:{name}"], axis=-1)
            qv = np.stack([np.argmax(cum >= max(1, np.ceil(q * n)), axis=-1) for q in QUANTILES], axis=-1)
        else:
            qv = hist_quantiles(red[f"hist:{name}"], edges, QUANTILES)
        mean = red[f"mean:{name}"]
        var = red[f"m2:{name}"] / max(n - 1, 1)
        data[f"{name}_quantile"] = (("year", "quantile"), qv.astype(float))
        data[f"{name}_mean"] = (("year",), mean)
        data[f"{name}_std"] = (("year",), np.sqrt(var))
        data[f"{name}_min"] = (("year",), red[f"min:{name}"])
        data[f"{name}_max"] = (("year",), red[f"max:{name}"])
    tids = [t.id for t in sc.targets.targets if f"hit:{t.id}" in red]
    if tids:
        p = np.array([red[f"hit:{t}"] / n for t in tids])
        data["p_reach"] = (("target",), p)
        data["p_reach_se"] = (("target",), np.sqrt(p * (1 - p) / n))
        data["first_year_count"] = (("target", "first_year"), np.stack([red[f"first:{t}"] for t in tids]))
        data["expected_shortfall"] = (("target",), np.array([red[f"shortfall:{t}"] / n for t in tids]))
    attrs = dict(kind="sweep", scenario=sc.name, plan=sc.plan.id, plan_folder=str(sc.plan.folder),
                 targets_file=str(sc.targets.file), parameters_sha256=sc.sha256, seed=int(seed),
                 design=design, draws=int(draws), headline_total=sc.plan.totals[0].id,
                 indicators=",".join([*(t.id for t in sc.plan.totals), *(x.id for x in sc.plan.linked)]),
                 base_year=int(sc.plan.years.base), plan_start=int(sc.plan.years.plan_start),
                 plan_end=int(sc.plan.years.plan_end))
    if "hit:__all__" in red:
        attrs["p_all"] = float(red["hit:__all__"] / n)
    for pth in sc.targets.paths:
        if f"pathhit:{pth.id}" in red:
            attrs[f"p_path_{pth.id}"] = float(red[f"pathhit:{pth.id}"] / n)
    coords = {"year": np.asarray(years), "quantile": list(QUANTILES),
              "first_year": [str(int(y)) for y in years] + ["never"]}
    if tids:
        coords["target"] = tids
    return xr.Dataset(data, coords=coords, attrs=attrs)


# --- running chunks -------------------------------------------------------------------------------

def _chunk(sc, draws: int, seed: int, design: str, start: int, stop: int, io: bool, keep: bool, years,
           red: Reductions | None = None):
    """Run one chunk and fold it into ``red`` (a new one when None); return it and, when ``keep``,
    the chunk's per-draw Dataset."""
    from jdmodel.pipeline.sampling import run_draws
    from jdmodel.pipeline.simulate import regional_io

    regional = regional_io(sc) if io else None
    # a chunk whose draws are not kept is reduced only: the engine leaves out the paths no reduction reads
    out = run_draws(sc, draws=draws, seed=seed, design=design, io=regional, start=start, stop=stop, detail=keep)
    if red is None:
        red = empty_reductions(out, years, sc.targets, draws, indicators(sc.plan))
    red.add(out, start)
    ds = None
    if keep:
        from jdmodel.pipeline.results import to_dataset as wrap

        ds = wrap(out, scenario=sc, seed=seed, design=design, keep_draw=True, io=regional, start=start)
        ds.attrs["draws"] = int(draws)
    return red, ds


def local_workers() -> int:
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def default_chunk(draws: int, workers: int) -> int:
    """Draws per chunk: at most :data:`DEFAULT_CHUNK`, and small enough to give each worker several."""
    return int(min(draws, DEFAULT_CHUNK, max(1024, math.ceil(draws / (4 * workers)))))


def sweep(scenario, draws: int, seed: int = 0, design: str = "lhs", chunks: int | None = None, client=None,
          out: str | os.PathLike | None = None, io: bool = False, progress: bool = True,
          workers: int | None = None) -> xr.Dataset:
    """Run ``draws`` draws in chunks and return streaming reductions.

    Parameters
    ----------
    scenario : Scenario or str
    draws : int
        Number of draws N.
    seed : int
        Seed: the draws are a function of (parameters, seed, design, N) only.
    design : {"lhs", "sobol", "mc"}
    chunks : int, optional
        Draws per chunk (memory is bounded by the chunk and the number of workers); by default at
        most 4096 and small enough to give every worker several chunks.
    client : dask.distributed.Client, optional
        Run the chunks on a cluster.
    out : path, optional
        Also write every draw's results (``.nc`` NetCDF, or ``.zarr`` when zarr is installed),
        chunk by chunk; or, for ``.csv`` / ``.json`` / ``.xlsx``, the tables of the reductions at the
        end (:func:`jdmodel.pipeline.results.save`). Checked before the first chunk runs.
    io : bool
        Include the input–output block (more memory per draw).
    progress : bool
        Show a progress bar (terminal or notebook).
    workers : int, optional
        Threads running chunks on this machine; default every core available. Ignored with ``client``.

    Returns
    -------
    xarray.Dataset
        ``p_reach`` (+ ``p_reach_se``) per target, ``first_year_count``, ``expected_shortfall``,
        ``<indicator>_quantile`` (year × quantile), ``_mean``, ``_std``, ``_min``, ``_max``;
        ``attrs["p_all"]`` the joint probability. ``jd.assess`` reads it. Every value is the same to
        the bit for any ``chunks``, ``workers`` or cluster.

    Examples
    --------
    >>> import jdmodel as jd
    >>> red = jd.sweep("plan", draws=2000, seed=1, chunks=500, progress=False)
    >>> 0.0 <= float(red.p_reach.sel(target="output")) <= 1.0
    True
    """
    from jdmodel.params.scenario import Scenario, load_scenario
    from jdmodel.progress import Progress

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    draws, seed = check_draws(draws), check_seed(seed)
    tables = None
    if out is not None:
        from jdmodel.outputs import check_target
        from jdmodel.pipeline.results import FORMATS, TABLE_FORMATS

        out = check_target(out, formats=FORMATS)
        if out.suffix.lower() in TABLE_FORMATS:
            tables, out = out, None
    years = sc.plan.years.all
    if workers is not None and (not isinstance(workers, int | np.integer) or workers < 1):
        raise ParameterError(f"workers must be a positive number of threads, got {workers!r}")
    workers = local_workers() if workers is None else int(workers)
    chunk = default_chunk(draws, workers) if chunks is None else chunks
    if not isinstance(chunk, int | np.integer) or chunk < 1:
        raise ParameterError(f"chunks must be a positive number of draws per chunk, got {chunks!r}")
    chunk = int(chunk)
    draws = int(draws)
    bounds = [(s, min(s + chunk, draws)) for s in range(0, draws, chunk)]
    writer = _Writer(Path(out), draws) if out is not None else None
    job = (sc, draws, seed, design)
    try:
        with Progress(len(bounds), label=f"sweep {sc.name}", enabled=progress) as bar:
            def done(ds) -> None:
                if writer is not None:
                    writer.write(ds)
                bar.update(1)

            if client is not None:
                red = _on_cluster(client, job, bounds, io, writer is not None, years, done)
            else:
                red = _on_threads(job, bounds, io, writer is not None, years, done, min(workers, len(bounds)))
        if writer is not None:
            writer.commit()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    red = to_dataset(red.result(), sc, years, seed=seed, design=design, draws=draws)
    if tables is not None:
        from jdmodel.pipeline.results import save

        save(red, tables)
    return red


def _on_threads(job, bounds, io, keep, years, done, workers: int) -> Reductions:
    """Run the chunks on ``workers`` threads, each folding into its own reductions; merge those at the end.

    Per-draw Datasets (``keep``) reach ``done`` in draw order; at most two chunks per worker are in flight.
    """
    if workers == 1:
        red = None
        for a, b in bounds:
            red, ds = _chunk(*job, a, b, io, keep, years, red)
            done(ds)
        return red
    from concurrent.futures import ThreadPoolExecutor

    local, mine, lock = threading.local(), [], threading.Lock()

    def task(a: int, b: int):
        red, ds = _chunk(*job, a, b, io, keep, years, getattr(local, "red", None))
        if getattr(local, "red", None) is None:
            local.red = red
            with lock:
                mine.append(red)
        return ds

    pool = ThreadPoolExecutor(workers, thread_name_prefix="jdmodel-sweep")
    try:
        queue, todo = deque(), iter(bounds)
        for a, b in todo:
            queue.append(pool.submit(task, a, b))
            if len(queue) >= 2 * workers:
                break
        while queue:
            ds = queue.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                queue.append(pool.submit(task, *nxt))
            done(ds)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    red = mine[0]
    for other in mine[1:]:
        red.merge(other)
    return red


def _on_cluster(client, job, bounds, io, keep, years, done) -> Reductions:
    """Run the chunks on a Dask cluster with bounded in-flight work; merge as they complete (any order
    gives the same bits)."""
    from dask.distributed import as_completed

    in_flight = max(2, 2 * len(client.scheduler_info().get("workers", {})))
    pending = list(bounds)
    futures = [client.submit(_chunk, *job, a, b, io, keep, years, pure=False) for a, b in pending[:in_flight]]
    pending = pending[in_flight:]
    queue = as_completed(futures)
    red = None
    try:
        for fut in queue:
            part, ds = fut.result()
            fut.release()
            if pending:
                a, b = pending.pop(0)
                queue.add(client.submit(_chunk, *job, a, b, io, keep, years, pure=False))
            red = part if red is None else red.merge(part)
            done(ds)
    except BaseException:
        for f in futures:
            f.cancel()
        raise
    return red


class _Writer:
    """Writes per-draw chunks into a temporary NetCDF file (or Zarr store) and renames it at the end."""

    def __init__(self, path: Path, draws: int) -> None:
        from jdmodel.outputs import atomic_path, check_target
        from jdmodel.pipeline.results import FORMATS, require_zarr

        self.path, self.draws = path, draws
        check_target(path, formats={k: FORMATS[k] for k in (".nc", ".zarr")})
        self.zarr = path.suffix.lower() == ".zarr"
        if self.zarr:
            require_zarr(path)

        if self.zarr and path.exists():
            raise ParameterError(f"out: {path} exists; jdmodel never deletes or replaces a directory "
                                 "(choose a new name or remove it yourself)")
        self._target = atomic_path(path, directory=self.zarr)
        self.tmp = self._target.__enter__()
        self.nc = None
        self._next, self._waiting = 0, {}

    def write(self, ds: xr.Dataset) -> None:
        if self.zarr:  # appends go in draw order: a chunk that completes early waits for its turn
            self._waiting[int(ds["draw"].values[0])] = ds
            while self._next in self._waiting:
                ds = self._waiting.pop(self._next)
                self._next = int(ds["draw"].values[-1]) + 1
                self._append_zarr(ds)
            return
        self._write_nc(ds)

    def _append_zarr(self, ds: xr.Dataset) -> None:
        from jdmodel.pipeline.results import quiet_zarr

        with quiet_zarr():
            if not self.tmp.exists():
                ds.to_zarr(self.tmp, mode="w")
            else:
                ds.drop_vars([v for v in ds.coords if "draw" not in ds[v].dims]).to_zarr(self.tmp,
                                                                                           append_dim="draw")

    def _write_nc(self, ds: xr.Dataset) -> None:
        if self.nc is None:
            self._create(ds)
        a, b = int(ds["draw"].values[0]), int(ds["draw"].values[-1]) + 1
        self.nc.variables["draw"][a:b] = ds["draw"].values
        for name, da in ds.data_vars.items():
            self.nc.variables[name][a:b, ...] = da.transpose("draw", ...).values

    def _create(self, ds: xr.Dataset) -> None:
        """Define the file from the first chunk: dims, coordinates, attributes; data follow by slices."""
        import netCDF4

        nc = netCDF4.Dataset(self.tmp, "w", format="NETCDF4")
        nc.createDimension("draw", self.draws)
        for dim, size in ds.sizes.items():
            if dim != "draw":
                nc.createDimension(dim, size)
        var = nc.createVariable("draw", "i8", ("draw",))
        for name, da in ds.coords.items():
            if name == "draw":
                continue
            values = da.values
            if values.dtype.kind in "OUS":
                v = nc.createVariable(name, str, da.dims)
                v[:] = np.asarray(values, dtype=object)
            else:
                v = nc.createVariable(name, values.dtype, da.dims)
                v[:] = values
            v.setncatts({k: str(x) for k, x in da.attrs.items()})
        for name, da in ds.data_vars.items():
            v = nc.createVariable(name, da.dtype, da.transpose("draw", ...).dims, zlib=False)
            v.setncatts({k: str(x) for k, x in da.attrs.items()})
        attrs = dict(ds.attrs)
        attrs["draws"] = int(self.draws)
        nc.setncatts(attrs)
        del var
        self.nc = nc

    def commit(self) -> None:
        if self.nc is not None:
            self.nc.close()
            self.nc = None
        self._target.__exit__(None, None, None)

    def abort(self) -> None:
        if self.nc is not None:
            self.nc.close()
            self.nc = None
        err = RuntimeError("sweep aborted")
        self._target.__exit__(type(err), err, None)
