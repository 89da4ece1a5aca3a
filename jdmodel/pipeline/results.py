"""numpy → xarray: named dims, coordinates, units and provenance; NetCDF in and out."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import xarray as xr

from jdmodel.errors import ParameterError
from jdmodel.params.schema import SECTOR_LABELS_EN, SECTOR_LABELS_ZH, SECTORS, YEARS

# variable -> (dims without draw, units, long_name)
VARIABLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "output": (("year", "sector"), "亿元", "sector output (总产出)"),
    "capital": (("year", "sector"), "亿元", "capital stock"),
    "talent": (("year", "sector"), "人", "talent stock"),
    "land": (("year", "sector"), "公顷", "land in use"),
    "tfp": (("year", "sector"), "1", "total factor productivity (level, calibrated)"),
    "ecommerce_sales": (("year",), "亿元", "e-commerce sales of enterprises above designated size (限额以上电子商务销售额)"),
    "online_economy_output": (("year",), "亿元", "online-economy total output (在线新经济总产出)"),
    "enterprises": (("year", "sector"), "firms", "high-growth innovative enterprises (高成长型创新企业)"),
    "enterprises_total": (("year",), "firms", "high-growth innovative enterprises, all sectors"),
    "candidates_mean": (("year", "sector"), "firms", "candidate innovative firms, expected number"),
    "enterprise_ceiling": (("year", "sector"), "firms", "ceiling of high-growth firms a sector can sustain"),
    "projects_pipeline_mean": (("year",), "projects", "demonstration projects in the pipeline, expected number"),
    "projects": (("year",), "projects", "demonstration projects landed, cumulative (示范引领项目)"),
    "scenarios": (("year",), "scenarios", "application scenarios, cumulative (应用场景)"),
    "io_output": (("year", "io_sector"), "亿元", "regional gross output by input–output sector"),
    "io_value_added": (("year", "io_sector"), "亿元", "regional value added by input–output sector"),
    "io_effect": (("year", "io_sector"), "亿元",
                  "change in regional gross output against the no-new-policy levers (same structure, same draws)"),
    "io_direct_effect": (("year",), "亿元", "direct effect: output change of the IO sectors holding the focus sectors"),
    "io_indirect_effect": (("year",), "亿元", "indirect effect: output change of all other IO sectors (linkages)"),
    "io_value_added_effect": (("year",), "亿元", "change in regional value added (GDP) against the no-new-policy levers"),
}


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _v

    try:
        return _v("jdmodel")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def to_dataset(out: Mapping[str, np.ndarray], *, scenario, seed: int | None, design: str | None,
               keep_draw: bool, io=None, start: int = 0) -> xr.Dataset:
    """Wrap engine arrays (leading draw axis) in a labelled Dataset with provenance attrs."""
    coords: dict[str, object] = {
        "year": np.asarray(YEARS, dtype=np.int64),
        "sector": np.asarray(SECTORS, dtype=object).astype(str),
        "sector_zh": ("sector", [SECTOR_LABELS_ZH[s] for s in SECTORS]),
        "sector_en": ("sector", [SECTOR_LABELS_EN[s] for s in SECTORS]),
    }
    n_draws = np.shape(out["output"])[0]
    if io is not None:
        coords["io_sector"] = list(io.codes)
        coords["io_name_zh"] = ("io_sector", list(io.name_zh))
        coords["io_name_en"] = ("io_sector", list(io.name_en))
    if keep_draw:
        coords["draw"] = np.arange(start, start + n_draws, dtype=np.int64)
    data_vars = {}
    if keep_draw and "inputs" in out:
        coords["parameter"] = list(out["_input_keys"])
        data_vars["inputs"] = (("draw", "parameter"), np.asarray(out["inputs"]),
                               {"units": "canonical unit of each parameter",
                                "long_name": "sampled parameter values"})
    for name, arr in out.items():
        if name not in VARIABLES:
            continue
        dims, units, long_name = VARIABLES[name]
        arr = np.asarray(arr)
        if keep_draw:
            data_vars[name] = (("draw", *dims), arr, {"units": units, "long_name": long_name})
        else:
            data_vars[name] = (dims, arr[0], {"units": units, "long_name": long_name})
    ds = xr.Dataset(data_vars, coords=coords)
    ds["year"].attrs.update(long_name="calendar year")
    ds.attrs.update(
        title="jdmodel scenario results",
        scenario=scenario.name,
        parameters_sha256=scenario.sha256,
        jdmodel_version=version(),
        draws=int(n_draws),
        seed=-1 if seed is None else int(seed),
        design=design or "central",
        online_economy_composition=",".join(scenario.targets.composition),
        base_year=int(YEARS[0]),
    )
    return ds


#: What ``save`` (and ``jdmodel run/sweep --out``) writes, by the file's extension.
FORMATS = {".nc": "NetCDF, every variable", ".zarr": "Zarr store, every variable",
           ".csv": "the target table", ".json": "the target table and the run's tables"}


def save(ds: xr.Dataset, path, report=None) -> None:
    """Write results atomically (:func:`jdmodel.outputs.atomic_path`), the format chosen by the extension.

    ``.nc`` NetCDF and ``.zarr`` (needs ``zarr``) hold the Dataset; ``.csv`` the target table and
    ``.json`` every table of the run (:mod:`jdmodel.pipeline.tables`), from ``report`` when given
    (else ``jd.assess(ds)``). Any other extension is a :class:`~jdmodel.errors.ParameterError`, as is
    an existing directory: a Zarr store is never replaced.
    """
    from jdmodel.outputs import atomic_path, check_target

    path = check_target(path, formats=FORMATS)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".json"):
        from jdmodel.pipeline.tables import write_tables

        write_tables(ds, path, report)
        return
    if suffix == ".zarr":
        require_zarr(path)
        if path.exists():
            raise ParameterError(f"--out {path}: exists; jdmodel never deletes or replaces a Zarr store")
        with atomic_path(path, directory=True) as tmp, quiet_zarr():
            ds.to_zarr(tmp, mode="w-")
        return
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp)


@contextmanager
def quiet_zarr() -> Iterator[None]:
    """Silence zarr's warnings about its format's own evolution (the store is read back with xarray)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="zarr")
        yield


def require_zarr(path) -> None:
    """Refuse a ``.zarr`` target, before any work, when the ``zarr`` package is missing."""
    try:
        import zarr  # noqa: F401
    except ImportError:
        raise ParameterError(f"--out {path}: writing a Zarr store needs the zarr package: "
                             "pip install 'jdmodel[scale]' (or pip install zarr), or write .nc") from None
