"""Pipelines with a fractional lag: what matures in each year from a stream of arrivals.

An arrival stream ``a(t)`` (per year) is known for the lever years ``t = 1..T`` (2021..2030)
and is constant, ``a(0)``, in every year ``t <= 0`` before them: the pipeline inherited in
2020 is in steady state. A lag of ``l >= 0`` years (not necessarily whole) is spread over the
two neighbouring whole years, ``floor(l)`` with weight ``1 - frac(l)`` and ``floor(l) + 1`` with
weight ``frac(l)``, so the mean lag is ``l`` and results move smoothly with it. By Poisson
splitting, if arrivals are Poisson the counts maturing in different years are independent
Poisson variables with the means :func:`matured` returns.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from jdmodel import _jit

Array = NDArray[np.float64]


def _split(stream: Array, lag: Array) -> tuple[NDArray[np.intp], Array]:
    lag = np.broadcast_to(np.asarray(lag, dtype=np.float64), stream.shape[:-1])
    whole = np.floor(lag)
    return whole.astype(np.intp)[..., None], (lag - whole)[..., None]


def matured(stream: Array, lag: Array) -> Array:
    r"""Expected number maturing in each lever year from the arrivals ``stream``.

    .. math:: m(\tau) = (1 - \varphi)\, a(\tau - f) + \varphi\, a(\tau - f - 1),
              \qquad f = \lfloor \ell \rfloor,\ \varphi = \ell - f,

    with ``a(t) = a(0)`` for ``t <= 0``.

    Parameters
    ----------
    stream : array (..., T + 1)
        ``stream[..., 0]``: the steady arrival rate before the lever years (per year);
        ``stream[..., t]``: arrivals in lever year ``t`` (per year).
    lag : array broadcastable to ``stream.shape[:-1]``
        Lag from arrival to maturity, years, ``>= 0``.

    Returns
    -------
    array (..., T)
        Expected number maturing in each lever year.

    Examples
    --------
    >>> matured(np.array([1.0, 2.0, 3.0, 4.0]), 1.5)
    array([1. , 1.5, 2.5])
    """
    T = stream.shape[-1] - 1
    if _jit.enabled():
        return _rows(_matured_rows, stream, lag, T)
    f, phi = _split(stream, lag)
    first = np.clip(np.arange(1, T + 1) - f, 0, T)
    second = np.maximum(first - 1, 0)
    return (1.0 - phi) * np.take_along_axis(stream, first, axis=-1) + phi * np.take_along_axis(stream, second, -1)


def pending(stream: Array, lag: Array) -> Array:
    r"""Expected number that has arrived but not yet matured, at the end of each year 0..T.

    .. math:: c(\tau) = \sum_{j=0}^{f-1} a(\tau - j) + \varphi\, a(\tau - f)

    (arrivals of year ``tau - j`` are still pending with probability ``P(lag > j)``).

    Parameters
    ----------
    stream : array (..., T + 1)
        As in :func:`matured`.
    lag : array broadcastable to ``stream.shape[:-1]``
        Lag, years, ``>= 0``.

    Returns
    -------
    array (..., T + 1)
        Expected pending count at the end of 2020 (index 0) and of each lever year. In steady
        state it is ``a(0) * lag`` (Little's law).

    Examples
    --------
    >>> pending(np.array([2.0, 2.0, 4.0]), 1.5)
    array([3., 3., 5.])
    """
    T = stream.shape[-1] - 1
    if _jit.enabled():
        return _rows(_pending_rows, stream, lag, T + 1)
    f, phi = _split(stream, lag)
    tau = np.arange(T + 1)
    # summed term by term in the order of j, so a draw's value never depends on the other draws'
    # lags (a cumulative sum over a padding sized by the largest lag would)
    window = np.zeros(f.shape[:-1] + (T + 1,))
    for j in range(int(f.max(initial=0))):
        window = window + np.where(j < f, _at(stream, tau - j), 0.0)
    return window + phi * _at(stream, tau - f)


def _at(stream: Array, years: NDArray[np.intp]) -> Array:
    """``a(t)`` at year positions ``years`` (``a(t) = a(0)`` for ``t <= 0``)."""
    idx = np.broadcast_to(np.clip(years, 0, stream.shape[-1] - 1), stream.shape[:-1] + (np.shape(years)[-1],))
    return np.take_along_axis(stream, idx, axis=-1)


# --- the same, compiled: one stream at a time, the operations of the numpy code in their order ------

def _rows(kernel, stream: Array, lag: Array, width: int) -> Array:
    """Run a compiled row loop over every stream of ``stream`` (..., T + 1); ``width`` values per row out."""
    stream = np.asarray(stream, dtype=np.float64)
    lead = stream.shape[:-1]
    rows = np.ascontiguousarray(stream.reshape(-1, stream.shape[-1]))
    lags = np.ascontiguousarray(np.broadcast_to(np.asarray(lag, dtype=np.float64), lead).reshape(-1))
    out = np.empty((rows.shape[0], width))
    kernel(rows, lags, out)
    return out.reshape(*lead, width)


@_jit.jit
def _matured_rows(stream, lag, out):
    """:func:`matured` row by row: ``(1 - φ) a(τ - f) + φ a(τ - f - 1)``, as the numpy code computes it."""
    T = out.shape[1]
    for r in range(stream.shape[0]):
        f = math.floor(lag[r])
        phi = lag[r] - f
        fi = int(f)
        for t in range(T):
            first = min(max(t + 1 - fi, 0), T)
            second = max(first - 1, 0)
            out[r, t] = (1.0 - phi) * stream[r, first] + phi * stream[r, second]


@_jit.jit
def _pending_rows(stream, lag, out):
    """:func:`pending` row by row: the terms added in the order of ``j``, as the numpy code adds them."""
    for r in range(stream.shape[0]):
        f = math.floor(lag[r])
        phi = lag[r] - f
        fi = int(f)
        for tau in range(out.shape[1]):
            w = 0.0
            for j in range(fi):
                w = w + stream[r, max(tau - j, 0)]
            out[r, tau] = w + phi * stream[r, max(tau - fi, 0)]
