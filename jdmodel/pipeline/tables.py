"""A run's tables as rows: the targets, the e-commerce path, the indicators by year; CSV and JSON files of them.

``jdmodel run --out F.csv`` writes the target table; ``--out F.json`` the target table, the path,
the indicators by year, output by sector and the provenance; ``--out F.xlsx`` the same tables as an
Excel workbook, one sheet each. Both read a central run, an ensemble
(quantiles over the draws) or a sweep's reductions (the quantiles it streamed).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

#: The counting models' indicators; the plan's own totals and linked indicators come from the run's attributes.
COUNT_INDICATORS = ("enterprises_total", "projects", "scenarios")
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
TARGET_COLUMNS = ("target", "indicator", "label_zh", "label_en", "year", "comparison", "threshold", "unit",
                  "value", "low_5", "high_95", "p_reach", "p_reach_low", "p_reach_high", "reached", "first_year",
                  "shortfall", "evidence")


def _plain(x: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN and infinities to None."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def target_rows(rep) -> list[dict[str, Any]]:
    """One row per assessed target (:class:`jdmodel.targets.TargetReport`), columns :data:`TARGET_COLUMNS`.

    ``value`` is the central value (or the median over draws), ``low_5``/``high_95`` the 5 and 95 %
    quantiles, ``p_reach`` with its Wilson 95 % interval; ``reached`` for a central run.
    """
    rows = []
    for r in rep.results:
        t = r.target
        interval = r.interval or (None, None)
        rows.append({"target": t.id, "indicator": t.indicator, "label_zh": t.label_zh, "label_en": t.label_en,
                     "year": t.year, "comparison": t.comparison, "threshold": t.threshold, "unit": t.unit,
                     "value": r.value, "low_5": r.low, "high_95": r.high, "p_reach": r.probability,
                     "p_reach_low": interval[0], "p_reach_high": interval[1], "reached": r.reached,
                     "first_year": r.first_year, "shortfall": r.shortfall, "evidence": r.evidence})
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def path_rows(rep) -> list[dict[str, Any]]:
    """Each growth path of the plan against its line, one row per year."""
    return [{"path": p.path.id, "year": int(y), "model": _plain(float(m)), "plan_line": _plain(float(line))}
            for p in rep.paths for y, m, line in zip(p.years, p.model, p.line, strict=True)]


def _stats(da: xr.DataArray) -> dict[str, np.ndarray]:
    if "draw" not in da.dims:
        return {"value": da.values}
    q = da.quantile(list(QUANTILES), dim="draw")
    out = {"mean": da.mean("draw").values}
    out.update({f"q{round(100 * p):02d}": q.sel(quantile=p).values for p in QUANTILES})
    return out


def indicator_rows(ds: xr.Dataset) -> list[dict[str, Any]]:
    """Each indicator by year: the value (central run) or mean and quantiles (ensemble or sweep)."""
    from jdmodel.pipeline.results import plan_of, variables

    table = variables(plan_of(ds))
    own = [v for v in str(ds.attrs.get("indicators", "")).split(",") if v]
    rows = []
    years = [int(y) for y in ds["year"].values]
    for name in (*own, *COUNT_INDICATORS):
        units = table[name][1] if name in table else ""
        if name in ds:
            stats = _stats(ds[name].transpose(..., "year"))
        elif f"{name}_quantile" in ds:  # a sweep's reductions
            q = ds[f"{name}_quantile"]
            stats = {"mean": ds[f"{name}_mean"].values}
            stats.update({f"q{round(100 * p):02d}": q.sel(quantile=p).values for p in QUANTILES})
        else:
            continue
        for j, y in enumerate(years):
            rows.append({"indicator": name, "units": units, "year": y,
                         **{k: _plain(float(v[j])) for k, v in stats.items()}})
    return rows


def sector_rows(ds: xr.Dataset) -> list[dict[str, Any]]:
    """Output by sector and year (亿元): the value, or mean and quantiles over the draws."""
    if "output" not in ds:
        return []
    rows = []
    out = ds["output"].transpose(..., "year", "sector")
    stats = _stats(out)
    for j, y in enumerate(ds["year"].values):
        for k, s in enumerate(ds["sector"].values):
            rows.append({"sector": str(s), "year": int(y), **{n: _plain(float(v[j, k])) for n, v in stats.items()}})
    return rows


def targets_csv(rep) -> str:
    """The target table as CSV text (header + one row per target)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=TARGET_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in target_rows(rep):
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue()


def tables_json(ds: xr.Dataset, rep) -> str:
    """Every table of a run as one JSON document: provenance, targets, paths, indicators, sectors."""
    doc = {"provenance": {k: _plain(v) for k, v in ds.attrs.items()}, "targets": target_rows(rep),
           "paths": path_rows(rep), "indicators": indicator_rows(ds), "output_by_sector": sector_rows(ds)}
    return json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def tables_xlsx(ds: xr.Dataset, rep) -> bytes:
    """Every table of a run as an Excel workbook: one sheet per table of :func:`tables_json`, numbers as numbers.

    Sheets: ``targets``, ``paths``, ``indicators``, ``output_by_sector`` and ``provenance`` (item,
    value). Each has a bold header row, frozen, and columns sized to their contents.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    sheets = {"targets": target_rows(rep), "paths": path_rows(rep), "indicators": indicator_rows(ds),
              "output_by_sector": sector_rows(ds),
              "provenance": [{"item": k, "value": _plain(v)} for k, v in ds.attrs.items()]}
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        cols = list(TARGET_COLUMNS) if name == "targets" else list(dict.fromkeys(k for r in rows for k in r))
        ws.append(cols)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append([_cell(r.get(c)) for c in cols])
        ws.freeze_panes = "A2"
        for j, c in enumerate(cols, start=1):
            width = max([len(str(c)), *(len(str(r.get(c, ""))) for r in rows[:200])])
            ws.column_dimensions[ws.cell(1, j).column_letter].width = min(60, width + 2)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(v: Any) -> Any:
    """A value openpyxl writes: numbers and text as they are, anything else as text, None empty."""
    v = _plain(v)
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


def write_tables(ds: xr.Dataset, path: str | Path, rep=None) -> Path:
    """Write ``targets_csv`` (``.csv``), ``tables_json`` (``.json``) or ``tables_xlsx`` (``.xlsx``) atomically."""
    from jdmodel.outputs import write_atomic
    from jdmodel.targets import assess

    path = Path(path)
    rep = rep if rep is not None else assess(ds)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return write_atomic(path, tables_xlsx(ds, rep))
    text = targets_csv(rep) if suffix == ".csv" else tables_json(ds, rep)
    return write_atomic(path, text)
