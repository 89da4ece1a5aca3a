"""Small validated constructors shared by :class:`~jdmodel.inputoutput.table.IOTable`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from jdmodel.errors import ParameterError

FloatArray = NDArray[np.float64]


def vector(name: str, value: ArrayLike | None, n: int) -> FloatArray | None:
    if value is None:
        return None
    arr = np.array(value, dtype=float)
    if arr.shape != (n,):
        raise ParameterError(f"IO table: '{name}' has shape {arr.shape}; expected ({n},)")
    if not np.isfinite(arr).all():
        raise ParameterError(f"IO table: '{name}' has non-finite values; expected finite numbers")
    arr.setflags(write=False)
    return arr


def final_demand(f: Any, n: int, categories: Sequence[str] | None) -> tuple[FloatArray, tuple[str, ...]]:
    if isinstance(f, Mapping):
        categories = tuple(f)
        f = np.column_stack([np.asarray(f[k], dtype=float) for k in categories])
    F = np.array(f, dtype=float)
    if F.ndim == 1:
        F = F[:, None]
    if F.ndim != 2 or F.shape[0] != n:
        raise ParameterError(f"IO table: final demand has shape {np.shape(f)}; expected ({n},) or ({n}, c)")
    cats = tuple(categories) if categories is not None else (
        ("final_demand",) if F.shape[1] == 1 else tuple(f"fd{k + 1}" for k in range(F.shape[1])))
    if len(cats) != F.shape[1]:
        raise ParameterError(f"IO table: {len(cats)} final-demand category names for {F.shape[1]} columns")
    return F, cats


def aggregation_matrix(codes: Sequence[str], concordance: Mapping[str, str] | ArrayLike
                       ) -> tuple[FloatArray, list[str]]:
    """0/1 matrix S (m, n) of a many-to-one concordance, and the new codes in order of appearance."""
    n = len(codes)
    if isinstance(concordance, Mapping):
        missing = [c for c in codes if c not in concordance]
        if missing:
            raise ParameterError(f"aggregate: sectors {missing} are not in the concordance")
        new = list(dict.fromkeys(str(concordance[c]) for c in codes))
        S = np.zeros((len(new), n))
        S[[new.index(str(concordance[c])) for c in codes], np.arange(n)] = 1.0
        return S, new
    S = np.asarray(concordance, dtype=float)
    if S.ndim != 2 or S.shape[1] != n or not np.isin(S, (0.0, 1.0)).all() or not np.allclose(S.sum(axis=0), 1.0):
        raise ParameterError(f"aggregate: concordance must be a 0/1 array (m, {n}) with one 1 per column "
                             "(many-to-one)")
    return S, [str(i + 1) for i in range(S.shape[0])]


def read_only(a: FloatArray) -> FloatArray:
    a.setflags(write=False)
    return a
