"""numpy → xarray: named dims, coordinates, units and provenance; NetCDF in and out."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import xarray as xr

from jdmodel.errors import ParameterError

# variable -> (dims without draw, units, long_name)
VARIABLES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "output": (("year", "sector"), "亿元", "sector output as the statistics measure it (总产出: turnover or revenue)"),
    "value_added": (("year", "sector"), "亿元", "sector value added (增加值) = margin × va_share × output"),
    "market": (("year",), "亿元", "the market the demand-side sector sells into (plan.toml [market])"),
    "capital": (("year", "sector"), "亿元", "capital stock"),
    "talent": (("year", "sector"), "人", "talent stock"),
    "land": (("year", "sector"), "公顷", "land in use"),
    "tfp": (("year", "sector"), "1", "total factor productivity (level, calibrated)"),
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


def plan_of(ds: xr.Dataset):
    """The plan a Dataset was computed for (its ``plan_folder`` or ``plan`` attribute; the default plan)."""
    from pathlib import Path

    from jdmodel.params.plan import available_plans, load_plan

    folder = ds.attrs.get("plan_folder")
    if folder and (Path(str(folder)) / "plan.toml").is_file():
        return load_plan(Path(str(folder)))
    pid = ds.attrs.get("plan")
    return load_plan(pid if pid in available_plans() else None)


def targets_of(ds: xr.Dataset):
    """The targets a Dataset is judged against: the file its run used, else its plan's."""
    from pathlib import Path

    from jdmodel.params.targets import load_targets

    plan = plan_of(ds)
    path = ds.attrs.get("targets_file")
    if path and Path(str(path)).is_file():
        return load_targets(Path(str(path)), plan=plan)
    return load_targets(plan=plan)


def variables(plan) -> dict[str, tuple[tuple[str, ...], str, str]]:
    """The variables a run of ``plan`` can hold: the generic ones and the plan's own indicators."""
    own = {t.id: (("year",), t.unit, f"{t.en} ({t.zh})" if t.zh else t.en) for t in plan.totals}
    own.update({x.id: (("year",), x.unit, f"{x.en} ({x.zh})" if x.zh else x.en) for x in plan.linked})
    return {**VARIABLES, **own}


def to_dataset(out: Mapping[str, np.ndarray], *, scenario, seed: int | None, design: str | None,
               keep_draw: bool, io=None, start: int = 0) -> xr.Dataset:
    """Wrap engine arrays (leading draw axis) in a labelled Dataset with provenance attrs."""
    plan = scenario.plan
    sectors = plan.sector_ids
    coords: dict[str, object] = {
        "year": np.asarray(plan.years.all, dtype=np.int64),
        "sector": np.asarray(sectors, dtype=object).astype(str),
        "sector_zh": ("sector", [s.zh for s in plan.sectors]),
        "sector_en": ("sector", [s.en for s in plan.sectors]),
        "sector_colour": ("sector", [s.colour for s in plan.sectors]),
    }
    table = variables(plan)
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
        if name not in table:
            continue
        dims, units, long_name = table[name]
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
        plan=plan.id,
        plan_folder=str(plan.folder),
        targets_file=str(scenario.targets.file),
        parameters_sha256=scenario.sha256,
        jdmodel_version=version(),
        draws=int(n_draws),
        seed=-1 if seed is None else int(seed),
        design=design or "central",
        totals="; ".join(f"{k}={','.join(v)}" for k, v in scenario.targets.totals),
        headline_total=plan.totals[0].id,
        indicators=",".join([*(t.id for t in plan.totals), *(x.id for x in plan.linked)]),
        base_year=int(plan.years.base),
        plan_start=int(plan.years.plan_start),
        plan_end=int(plan.years.plan_end),
    )
    return ds


#: What ``save`` (and ``jdmodel run/sweep --out``) writes, by the file's extension.
FORMATS = {".nc": "NetCDF, every variable", ".zarr": "Zarr store, every variable",
           ".csv": "the target table", ".json": "the target table and the run's tables",
           ".xlsx": "the run's tables as an Excel workbook, one sheet each (needs openpyxl)"}
#: the extensions that hold tables (not per-draw results)
TABLE_FORMATS = (".csv", ".json", ".xlsx")
#: per-draw results larger than this are written only after a confirmation (or --yes)
CONFIRM_BYTES = 1_000_000_000


def save(ds: xr.Dataset, path, report=None) -> None:
    """Write results atomically (:func:`jdmodel.outputs.atomic_path`), the format chosen by the extension.

    ``.nc`` NetCDF and ``.zarr`` (needs ``zarr``) hold the Dataset; ``.csv`` the target table,
    ``.json`` every table of the run and ``.xlsx`` the same tables as an Excel workbook (needs
    ``openpyxl``; :mod:`jdmodel.pipeline.tables`), from ``report`` when given
    (else ``jd.assess(ds)``). Any other extension is a :class:`~jdmodel.errors.ParameterError`, as is
    an existing directory: a Zarr store is never replaced.
    """
    from jdmodel.outputs import atomic_path, check_target

    path = check_target(path, formats=FORMATS)
    suffix = path.suffix.lower()
    if suffix in TABLE_FORMATS:
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


def require_openpyxl(path) -> None:
    """Refuse a ``.xlsx`` target, before any work, when the ``openpyxl`` package is missing."""
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise ParameterError(f"--out {path}: writing an Excel workbook needs the openpyxl package: "
                             "pip install 'jdmodel[excel]' (or pip install openpyxl), or write .csv or .json") from None


def per_draw_bytes(scenario, io: bool = False, seed: int = 0) -> float:
    """Bytes one draw takes in a per-draw results file (every variable with a draw dim; a two-draw run measured).

    Examples
    --------
    >>> 1_000 < per_draw_bytes("plan") < 100_000
    True
    """
    from jdmodel.pipeline.simulate import simulate

    ds = simulate(scenario, draws=2, seed=seed, io=io)
    return sum(v.nbytes for v in ds.data_vars.values() if "draw" in v.dims) / 2 + 8


def size_text(nbytes: float) -> str:
    """A size for a person: 976 MB, 2.4 GB.

    Examples
    --------
    >>> size_text(976e6), size_text(2.4e9), size_text(5e3)
    ('976 MB', '2.4 GB', '5 kB')
    """
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            v = nbytes / scale
            return f"{v:.2g} {unit}" if v < 10 else f"{v:.0f} {unit}"
    return f"{nbytes:.0f} B"


def require_zarr(path) -> None:
    """Refuse a ``.zarr`` target, before any work, when the ``zarr`` package is missing."""
    try:
        import zarr  # noqa: F401
    except ImportError:
        raise ParameterError(f"--out {path}: writing a Zarr store needs the zarr package: "
                             "pip install 'jdmodel[scale]' (or pip install zarr), or write .nc") from None
