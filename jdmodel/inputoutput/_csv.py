"""Reading an input-output table folder (``table.toml`` + CSV files) into plain arrays.

The layout is documented in ``docs/inputoutput.md`` ("CSV layout"). Nothing read here is
evaluated: ``table.toml`` only names files, columns and units.
"""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from jdmodel.errors import ParameterError

MONEY_TO_YI = {"元": 1e-8, "万元": 1e-4, "亿元": 1.0}
PEOPLE_TO_REN = {"人": 1.0, "万人": 1e4}


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise ParameterError(f"{path}: file not found (named by the table folder's table.toml)")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh) if r]
    if not rows:
        raise ParameterError(f"{path}: empty file")
    return rows[0], rows[1:]


def _floats(path: Path, cells: list[str], where: str) -> np.ndarray:
    try:
        out = np.array([float(c) for c in cells])
    except ValueError as exc:
        raise ParameterError(f"{path}: {where}: not a number ({exc}); expected numeric cells") from None
    if not np.isfinite(out).all():
        raise ParameterError(f"{path}: {where}: non-finite value; expected finite numbers")
    return out


class TableFolder:
    """Column access to the CSV files of one table folder, checked against ``sectors.csv``."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        meta_path = self.folder / "table.toml"
        if not meta_path.is_file():
            raise ParameterError(f"{meta_path}: file not found; a table folder needs table.toml")
        with meta_path.open("rb") as fh:
            try:
                self.meta: dict[str, Any] = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ParameterError(f"{meta_path}: not valid TOML ({exc})") from None
        unit = self.meta.get("unit")
        if unit not in MONEY_TO_YI:
            raise ParameterError(f"{meta_path}: key 'unit' = {unit!r}; expected one of {sorted(MONEY_TO_YI)}")
        self.money = MONEY_TO_YI[unit]
        header, rows = _read_csv(self.folder / "sectors.csv")
        if header[:3] != ["code", "name_zh", "name_en"]:
            raise ParameterError(f"{self.folder / 'sectors.csv'}: header {header[:3]}; "
                                 "expected ['code', 'name_zh', 'name_en']")
        self.codes = tuple(r[0] for r in rows)
        self.name_zh = tuple(r[1] for r in rows)
        self.name_en = tuple(r[2] for r in rows)
        self._files: dict[str, tuple[list[str], list[list[str]]]] = {}

    def _file(self, name: str) -> tuple[list[str], list[list[str]]]:
        if name not in self._files:
            path = self.folder / name
            header, rows = _read_csv(path)
            codes = tuple(r[0] for r in rows)
            if codes != self.codes:
                raise ParameterError(f"{path}: row codes {codes[:5]}... do not match sectors.csv "
                                     f"{self.codes[:5]}...; expected the same codes in the same order")
            self._files[name] = (header, rows)
        return self._files[name]

    def matrix(self, name: str = "Z.csv") -> np.ndarray:
        """The square flow matrix in 亿元."""
        header, rows = self._file(name)
        path = self.folder / name
        if tuple(header[1:]) != self.codes:
            raise ParameterError(f"{path}: column codes do not match sectors.csv; expected the same order")
        return np.vstack([_floats(path, r[1:], f"row '{r[0]}'") for r in rows]) * self.money

    def column(self, spec: str, key: str, scale: float | None = None) -> np.ndarray:
        """The column named by ``"file.csv:column"`` (key ``key`` of table.toml), scaled to 亿元."""
        if not isinstance(spec, str) or ":" not in spec:
            raise ParameterError(f"{self.folder / 'table.toml'}: key '{key}' = {spec!r}; "
                                 "expected 'file.csv:column'")
        fname, col = spec.split(":", 1)
        header, rows = self._file(fname)
        if col not in header[1:]:
            raise ParameterError(f"{self.folder / fname}: no column '{col}' (named by key '{key}' of "
                                 f"table.toml); columns are {header[1:]}")
        j = header.index(col)
        values = _floats(self.folder / fname, [r[j] for r in rows], f"column '{col}'")
        return values * (self.money if scale is None else scale)

    def role(self, key: str) -> Any:
        return self.meta.get("roles", {}).get(key)

    def employment(self) -> np.ndarray | None:
        emp = self.meta.get("employment")
        if emp is None:
            return None
        unit = emp.get("unit")
        if unit not in PEOPLE_TO_REN:
            raise ParameterError(f"{self.folder / 'table.toml'}: key 'employment.unit' = {unit!r}; "
                                 f"expected one of {sorted(PEOPLE_TO_REN)}")
        return self.column(emp.get("column"), "employment.column", scale=PEOPLE_TO_REN[unit])
