"""Sweeps at scale: stream over chunks of the draw axis, keep reductions, not draws.

``sweep`` runs the same engine as :func:`jdmodel.simulate` over chunks ``[start, stop)``
of an N-draw design and folds each chunk into running reductions whose size does not
depend on N: target hit counts (so P(reach) is exact), first-year-reached counts,
fixed-bin histograms of each indicator by year (quantiles to a relative resolution of
about 3e-4 for money, exact for counts) and moments (mean and M2 merged by Chan et al.'s parallel algorithm, min, max).
With ``out=PATH`` the full per-draw results are also written there, chunk by chunk, into
a temporary file renamed into place at the end: an interrupted or failed sweep leaves no
half-written file. With a ``dask.distributed`` client the chunks run on the cluster.

Counts are integers, so P(reach), the first-year distribution and the histograms (hence
quantiles) are identical whatever the chunking or the number of workers; sums of floats
are merged in chunk order, so means and variances agree to rounding (≈ 1e-15 relative).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xarray as xr

from jdmodel.errors import ParameterError
from jdmodel.uncertainty.rng import check_draws, check_seed

COUNT_INDICATORS = ("enterprises_total", "projects", "scenarios")
LOG_LO, LOG_HI, LOG_BINS = 1e-3, 1e7, 1 << 16
COUNT_BINS = 1 << 14
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _edges(name: str) -> np.ndarray:
    if name in COUNT_INDICATORS:
        return np.arange(COUNT_BINS + 1, dtype=float) - 0.5
    return np.geomspace(LOG_LO, LOG_HI, LOG_BINS + 1)


def _bin_index(name: str, values: np.ndarray) -> np.ndarray:
    if name in COUNT_INDICATORS:
        return np.clip(np.rint(values), 0, COUNT_BINS - 1).astype(np.int64)
    pos = np.log(np.clip(values, LOG_LO, LOG_HI * (1 - 1e-12)) / LOG_LO) / np.log(LOG_HI / LOG_LO) * LOG_BINS
    return np.clip(pos.astype(np.int64), 0, LOG_BINS - 1)


def chunk_reductions(ds: xr.Dataset, targets) -> dict[str, np.ndarray]:
    """Reductions of one chunk (a Dataset with a ``draw`` dim) as plain arrays of counts and sums."""
    years = ds["year"].values
    red: dict[str, np.ndarray] = {"n": np.array(ds.sizes["draw"], dtype=np.int64)}
    own = [v for v in str(ds.attrs.get("indicators", "")).split(",") if v]
    for name in (*own, *COUNT_INDICATORS):
        if name not in ds:
            continue
        v = ds[name].transpose("draw", "year").values
        nb = len(_edges(name)) - 1
        idx = _bin_index(name, v) + nb * np.arange(len(years))[None, :]
        red[f"hist:{name}"] = np.bincount(idx.ravel(), minlength=nb * len(years)).reshape(len(years), nb)
        mean = v.mean(axis=0)
        red[f"mean:{name}"] = mean
        red[f"m2:{name}"] = ((v - mean) ** 2).sum(axis=0)
        red[f"min:{name}"] = v.min(axis=0)
        red[f"max:{name}"] = v.max(axis=0)
    joint = None
    for t in targets.targets:
        if t.indicator not in ds:
            continue
        ok = t.reached(ds[t.indicator].transpose("draw", "year").values)
        hit = ok[:, list(years).index(t.year)]
        joint = hit if joint is None else joint & hit
        red[f"hit:{t.id}"] = np.array(hit.sum(), dtype=np.int64)
        first = np.where(ok.any(axis=1), ok.argmax(axis=1), len(years))
        red[f"first:{t.id}"] = np.bincount(first, minlength=len(years) + 1).astype(np.int64)
        gap = np.maximum(t.threshold - ds[t.indicator].sel(year=t.year).values, 0.0)
        red[f"shortfall:{t.id}"] = np.array(gap.sum())
    if joint is not None:
        red["hit:__all__"] = np.array(joint.sum(), dtype=np.int64)
    for p in targets.paths:
        if p.indicator in ds:
            red[f"pathhit:{p.id}"] = np.array((ds[p.indicator].sel(year=p.target_year).values
                                                >= p.target_value).sum(), dtype=np.int64)
    return red


def merge(a: dict | None, b: dict) -> dict:
    """Fold chunk reductions ``b`` into ``a`` (counts add; min/max combine; means and M2 by Chan et al.)."""
    if a is None:
        return {k: np.array(v, copy=True) for k, v in b.items()}
    na, nb = float(a["n"]), float(b["n"])
    for k in [k for k in b if k.startswith("mean:")]:
        name = k.split(":", 1)[1]
        delta = b[k] - a[k]
        a[f"m2:{name}"] = a[f"m2:{name}"] + b[f"m2:{name}"] + delta**2 * na * nb / (na + nb)
        a[k] = a[k] + delta * nb / (na + nb)
    for k, v in b.items():
        if k.startswith(("mean:", "m2:")):
            continue
        if k.startswith("min:"):
            a[k] = np.minimum(a[k], v)
        elif k.startswith("max:"):
            a[k] = np.maximum(a[k], v)
        else:
            a[k] = a[k] + v
    return a


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

def _chunk(sc, draws: int, seed: int, design: str, start: int, stop: int, io: bool, keep: bool):
    """Run one chunk; return its reductions (and its per-draw Dataset when ``keep``)."""
    from jdmodel.pipeline.results import to_dataset as wrap
    from jdmodel.pipeline.sampling import run_draws
    from jdmodel.pipeline.simulate import regional_io

    regional = regional_io(sc) if io else None
    out = run_draws(sc, draws=draws, seed=seed, design=design, io=regional, start=start, stop=stop)
    ds = wrap(out, scenario=sc, seed=seed, design=design, keep_draw=True, io=regional, start=start)
    ds.attrs["draws"] = int(draws)
    return chunk_reductions(ds, sc.targets), (ds if keep else None)


def sweep(scenario, draws: int, seed: int = 0, design: str = "lhs", chunks: int | None = None, client=None,
          out: str | os.PathLike | None = None, io: bool = False, progress: bool = True) -> xr.Dataset:
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
        Draws per chunk (memory is bounded by the chunk); default ``min(N, 20_000)``.
    client : dask.distributed.Client, optional
        Run the chunks on a cluster.
    out : path, optional
        Also write every draw's results (``.nc`` NetCDF, or ``.zarr`` when zarr is installed),
        chunk by chunk; or, for ``.csv`` / ``.json``, the tables of the reductions at the end
        (:func:`jdmodel.pipeline.results.save`). Checked before the first chunk runs.
    io : bool
        Include the input–output block (more memory per draw).
    progress : bool
        Show a progress bar (terminal or notebook).

    Returns
    -------
    xarray.Dataset
        ``p_reach`` (+ ``p_reach_se``) per target, ``first_year_count``, ``expected_shortfall``,
        ``<indicator>_quantile`` (year × quantile), ``_mean``, ``_std``, ``_min``, ``_max``;
        ``attrs["p_all"]`` the joint probability. ``jd.assess`` reads it.

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
    # measured: chunks of 20 000 stay in cache and avoid page-fault churn (benchmarks/README.md)
    chunk = min(draws, 20_000) if chunks is None else chunks
    if not isinstance(chunk, int | np.integer) or chunk < 1:
        raise ParameterError(f"chunks must be a positive number of draws per chunk, got {chunks!r}")
    chunk = int(chunk)
    bounds = [(s, min(s + chunk, draws)) for s in range(0, draws, chunk)]
    writer = _Writer(Path(out), draws) if out is not None else None
    red = None
    try:
        with Progress(len(bounds), label=f"sweep {sc.name}", enabled=progress) as bar:
            for r, ds in _results(sc, draws, seed, design, bounds, io, writer is not None, client):
                red = merge(red, r)
                if writer is not None:
                    writer.write(ds)
                bar.update(1)
        if writer is not None:
            writer.commit()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    red = to_dataset(red, sc, sc.plan.years.all, seed=seed, design=design, draws=draws)
    if tables is not None:
        from jdmodel.pipeline.results import save

        save(red, tables)
    return red


def _results(sc, draws, seed, design, bounds, io, keep, client):
    """Chunk results in order (locally) or as they complete (on a cluster, with bounded in-flight work)."""
    if client is None:
        for start, stop in bounds:
            yield _chunk(sc, draws, seed, design, start, stop, io, keep)
        return
    from dask.distributed import as_completed

    in_flight = max(2, 2 * len(client.scheduler_info().get("workers", {})))
    pending = list(bounds)
    futures = [client.submit(_chunk, sc, draws, seed, design, a, b, io, keep, pure=False)
               for a, b in pending[:in_flight]]
    pending = pending[in_flight:]
    queue = as_completed(futures)
    try:
        for fut in queue:
            result = fut.result()
            fut.release()
            if pending:
                a, b = pending.pop(0)
                queue.add(client.submit(_chunk, sc, draws, seed, design, a, b, io, keep, pure=False))
            yield result
    except BaseException:
        for f in futures:
            f.cancel()
        raise


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

    def write(self, ds: xr.Dataset) -> None:
        if self.zarr:
            from jdmodel.pipeline.results import quiet_zarr

            with quiet_zarr():
                if not self.tmp.exists():
                    ds.to_zarr(self.tmp, mode="w")
                else:
                    ds.drop_vars([v for v in ds.coords if "draw" not in ds[v].dims]).to_zarr(self.tmp,
                                                                                               append_dim="draw")
            return
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
