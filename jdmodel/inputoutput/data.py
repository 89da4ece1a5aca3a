"""The shipped input-output data: the national 2020 table, the concordance and the regional setup.

Files live in ``parameters/io/`` (see its README): ``china_2020_42/`` (NBS 2020 table, domestic
form, 万元, converted to 亿元 at load), ``concordance.csv`` (focus sectors -> IO sectors),
``jiading_2020.toml`` (published aggregates and assumptions that build the district's size
vector) and ``link.toml`` (output ratios for the engine link).
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jdmodel._paths import parameters_dir
from jdmodel.errors import ParameterError
from jdmodel.inputoutput.table import IOTable
from jdmodel.params.schema import SECTORS

FloatArray = NDArray[np.float64]
FOCUS_SECTORS = SECTORS  # the growth model's sectors, in the same order


def io_dir() -> Path:
    """The folder ``parameters/io``."""
    return parameters_dir() / "io"


def national_table_dir() -> Path:
    """The folder of the shipped national table (``parameters/io/china_2020_42``)."""
    return io_dir() / "china_2020_42"


@cache
def load_national() -> IOTable:
    """The NBS 2020 national table, 42 sectors, domestic form, in 亿元 (cached).

    Examples
    --------
    >>> t = load_national()
    >>> t.n, round(float(t.x.sum()))       # total output, 亿元
    (42, 2699028)
    """
    return IOTable.from_csv(national_table_dir())


def _load_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ParameterError(f"{path}: file not found")
    with path.open("rb") as fh:
        try:
            return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ParameterError(f"{path}: not valid TOML ({exc})") from None


def _entries(tree: Mapping[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Flatten nested tables to dotted keys; a leaf is a table with a 'value'."""
    out: dict[str, dict[str, Any]] = {}
    for key, val in tree.items():
        if isinstance(val, Mapping) and "value" in val:
            out[prefix + key] = dict(val)
        elif isinstance(val, Mapping):
            out.update(_entries(val, prefix + key + "."))
    return out


def regional_inputs(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Read ``jiading_2020.toml``: dotted key -> {value, unit, source, low, high}.

    Every number must carry ``unit`` and ``source``; an assumption (source starting with
    "assumption") must carry ``low <= value <= high``. All problems are reported together.

    Examples
    --------
    >>> regional_inputs()["published.gdp_2020"]["value"]
    2488.4
    """
    path = Path(path) if path is not None else io_dir() / "jiading_2020.toml"
    entries = _entries(_load_toml(path))
    problems = []
    for key, e in entries.items():
        if "source" not in e:
            problems.append(f"{key}: no 'source'")
        if isinstance(e["value"], (int, float)) and not isinstance(e["value"], bool):
            if "unit" not in e:
                problems.append(f"{key}: number {e['value']} has no 'unit'")
            if str(e.get("source", "")).startswith("assumption"):
                if not ("low" in e and "high" in e and e["low"] <= e["value"] <= e["high"]):
                    problems.append(f"{key}: assumption {e['value']} needs low <= value <= high "
                                    f"(low={e.get('low')}, high={e.get('high')})")
    if problems:
        raise ParameterError(f"{path}: invalid regional inputs", problems)
    return entries


def regional_output(table: IOTable, inputs: Mapping[str, Any]) -> FloatArray:
    """District gross output by IO sector, 2020, 亿元, built from aggregates and assumptions.

    See the header of ``parameters/io/jiading_2020.toml`` for the construction. Value added of
    the result equals ``published.gdp_2020``; industry output equals
    ``industrial_output_2020 * industrial_coverage``.

    Parameters
    ----------
    table : IOTable
        National table (codes "01".."42"), 亿元.
    inputs : mapping
        Dotted key -> value, or -> {"value": ...} as returned by :func:`regional_inputs`.

    Examples
    --------
    >>> x = regional_output(load_national(), regional_inputs())
    >>> round(float(x[17]), 1)     # IO 18 transport equipment = 0.6 * 5341.7
    3205.0
    """
    val = {k: (v["value"] if isinstance(v, Mapping) else v) for k, v in inputs.items()}
    codes = list(table.codes)
    if codes != [f"{i:02d}" for i in range(1, 43)]:
        raise ParameterError("regional_output expects the 42-sector NBS table (codes '01'..'42')")
    ratio = table.v / table.x
    ix = {c: i for i, c in enumerate(codes)}
    gdp = val["published.gdp_2020"]
    va_primary = gdp * val["assumptions.primary_share_2020"]
    va_secondary = gdp * val["assumptions.secondary_share_2020"]
    va_tertiary = gdp - va_primary - va_secondary
    x = np.zeros(table.n)
    industry = np.array([ix[f"{i:02d}"] for i in range(2, 27)])
    absent = [ix[c] for c in val["assumptions.absent_sectors"]]
    x_industry = val["published.industrial_output_2020"] * val["assumptions.industrial_coverage"]
    rest = np.setdiff1d(industry, absent + [ix["18"]])
    x[ix["18"]] = x_industry * val["assumptions.transport_equipment_share"]
    x[rest] = x_industry * (1 - val["assumptions.transport_equipment_share"]) * table.x[rest] / table.x[rest].sum()
    va_construction = va_secondary - float(ratio[industry] @ x[industry])
    if va_construction <= 0:
        raise ParameterError(
            f"regional inputs: industry value added {va_secondary - va_construction:.1f} 亿元 exceeds secondary "
            f"value added {va_secondary:.1f} 亿元; lower industrial_coverage or raise secondary_share_2020")
    x[ix["27"]] = va_construction / ratio[ix["27"]]
    x[ix["01"]] = va_primary / ratio[ix["01"]]
    services = np.arange(ix["28"], table.n)
    weight = table.v[services].copy()
    for key, factor in val.items():
        if key.startswith("assumptions.service_specialisation."):
            weight[services.tolist().index(ix[key.rsplit(".", 1)[1]])] *= factor
    x[services] = va_tertiary * weight / weight.sum() / ratio[services]
    return x


def load_concordance(codes: tuple[str, ...], path: str | Path | None = None) -> FloatArray:
    """Concordance (S, n): share of each focus sector's output in each IO sector; rows sum to 1.

    Examples
    --------
    >>> C = load_concordance(load_national().codes)
    >>> C.shape, C.sum(axis=1).tolist()
    ((5, 42), [1.0, 1.0, 1.0, 1.0, 1.0])
    """
    path = Path(path) if path is not None else io_dir() / "concordance.csv"
    if not path.is_file():
        raise ParameterError(f"{path}: file not found")
    C = np.zeros((len(FOCUS_SECTORS), len(codes)))
    problems = []
    with path.open(newline="", encoding="utf-8") as fh:
        for k, row in enumerate(csv.DictReader(fh), start=2):
            s, c = row.get("focus_sector"), row.get("io_code")
            if s not in FOCUS_SECTORS:
                problems.append(f"line {k}: focus_sector {s!r}; expected one of {FOCUS_SECTORS}")
                continue
            if c not in codes:
                problems.append(f"line {k}: io_code {c!r} is not a sector of the table")
                continue
            try:
                share, low, high = float(row["share"]), float(row["low"]), float(row["high"])
            except (TypeError, ValueError, KeyError):
                problems.append(f"line {k}: share/low/high must be numbers")
                continue
            if not 0 <= low <= share <= high <= 1 or not row.get("source"):
                problems.append(f"line {k}: need 0 <= low <= share <= high <= 1 and a source")
            C[FOCUS_SECTORS.index(s), codes.index(c)] += share
    for s, total in zip(FOCUS_SECTORS, C.sum(axis=1), strict=True):
        if abs(total - 1.0) > 1e-9:
            problems.append(f"focus sector {s}: shares sum to {total:.6g}; expected 1")
    if problems:
        raise ParameterError(f"{path}: invalid concordance", problems)
    return C


def load_output_ratio(path: str | Path | None = None) -> FloatArray:
    """IO gross output per unit of focus-sector output, (S,), from ``link.toml``.

    Examples
    --------
    >>> load_output_ratio().tolist()
    [1.0, 1.0, 0.12, 1.0, 1.0]
    """
    path = Path(path) if path is not None else io_dir() / "link.toml"
    table = _load_toml(path).get("output_ratio", {})
    missing = [s for s in FOCUS_SECTORS if s not in table or "value" not in table[s]]
    if missing:
        raise ParameterError(f"{path}: [output_ratio] lacks {missing}")
    out = np.array([float(table[s]["value"]) for s in FOCUS_SECTORS])
    if (out <= 0).any():
        raise ParameterError(f"{path}: [output_ratio] values must be > 0, got {out.tolist()}")
    return out
