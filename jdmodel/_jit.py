"""Compiled loops where they pay: numba when it is installed, numpy otherwise.

The hot loops of a sweep (the Latin-hypercube permutation, the counter-based uniforms, the triangular
inverse CDF, a lever year of the growth block, the counting models, the reductions) are written twice: once as vectorised numpy, which is the
readable reference and the fallback, and once as a per-draw loop compiled by numba, which walks
each draw's data once instead of dozens of times. Tests prove the two equal: integer results
(designs, uniforms, counts, histograms) to the bit, floating-point ones to rounding (numpy's
vectorised ``exp``/``log``/``power`` and the C library's differ in the last bit for a few per cent
of arguments).

Compiled code is cached on disk (``cache=True``: next to the module, or in the user's cache
directory when that is not writable), so only the first call after an install compiles. Every
compiled function releases the GIL (``nogil=True``), so a sweep's worker threads run them on all
cores at once. Floating-point semantics are strict IEEE (no ``fastmath``): a draw's values do not
depend on where in a chunk it sits.

Set ``JDMODEL_DISABLE_NUMBA=1`` before importing jdmodel to run the numpy code only.

numba invalidates a cached function when its own source file changes, not when a compiled
function it calls from another module does (``designs`` calls ``rng``; the counting loop freezes
constants of ``counting/quantiles.py``). An installed release replaces every file at once; a
developer editing those modules should delete ``jdmodel/**/__pycache__/*.nb[ci]``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

try:
    if os.environ.get("JDMODEL_DISABLE_NUMBA", "").strip() not in ("", "0"):
        raise ImportError("disabled by JDMODEL_DISABLE_NUMBA")
    import numba
except ImportError:  # pragma: no cover - exercised by the fallback tests through ENABLED
    numba = None

#: Whether the compiled loops are used; tests set it to False to run the numpy fallbacks.
ENABLED: bool = numba is not None


def jit(fn: Callable) -> Callable:
    """Compile ``fn`` with numba (cached, GIL released, strict IEEE); leave it alone without numba."""
    if numba is None:
        return fn
    return numba.njit(cache=True, nogil=True, error_model="numpy")(fn)


def jit_inline(fn: Callable) -> Callable:
    """:func:`jit`, and inlined into the compiled functions that call it (a small helper of a hot loop)."""
    if numba is None:
        return fn
    return numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")(fn)


def enabled() -> bool:
    """True when compiled loops are available and switched on."""
    return ENABLED and numba is not None
