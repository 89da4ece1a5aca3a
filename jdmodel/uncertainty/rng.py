"""Counter-based random numbers keyed by (seed, stream, draw index, position).

A value is a pure function of its coordinates, never of how many values were asked
for before it.  This is what makes a sweep independent of its chunking and of the
number of workers: draw 123 456 gets the same numbers whether it is computed alone,
in a chunk of ten thousand, or on another machine.

Construction
------------
1. A 128-bit key ``(k0, k1)`` is the BLAKE2b digest of the text
   ``"jdmodel|<seed>|<tag>:<stream>"`` (tag ``i`` for an integer stream, ``s`` for a
   string).  A digest, unlike Python's ``hash``, is the same in every process.
2. Each draw index ``d`` is hashed once: ``h_d = mix64(d * G + k0)``.
3. Each position ``p`` (flat index into ``shape``) is combined with it:
   ``h = mix64(h_d ^ (p * M + k1))``.
4. The top 52 bits give ``u = ((h >> 12) + 1/2) * 2**-52``: every value is exactly
   representable, so ``u`` lies in [2**-53, 1 - 2**-53], strictly inside (0, 1).

``mix64`` is the SplitMix64 finalizer (Steele, Lea & Flood 2014; the "variant 13"
constants of Stafford 2011), a bijection on 64-bit words with full avalanche; step 2
is exactly the SplitMix64 generator evaluated at counter ``d``.  All arithmetic is
numpy ``uint64`` with wrap-around, vectorised over the whole block.

References
----------
Steele, G. L., Lea, D. & Flood, C. H. (2014). Fast splittable pseudorandom number
generators. OOPSLA '14, 453-472.
Salmon, J. K. et al. (2011). Parallel random numbers: as easy as 1, 2, 3. SC '11
(the counter-based idea; Philox).
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri

from jdmodel import _jit
from jdmodel.errors import ParameterError

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_POS_MULT = np.uint64(0xD1B54A32D192ED03)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S12 = (np.uint64(s) for s in (30, 27, 31, 12))
_TWO_M52 = 2.0**-52
#: Smallest and largest values :func:`uniforms` can return.
U_MIN, U_MAX = 2.0**-53, 1.0 - 2.0**-53

__all__ = ["uniforms", "normals", "stream_key", "mix64", "U_MIN", "U_MAX"]


def mix64(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64 finalizer: a 64-bit bijection with full avalanche (modifies nothing in place).

    Parameters
    ----------
    z : ndarray of uint64

    Returns
    -------
    ndarray of uint64, same shape.

    Examples
    --------
    >>> int(mix64(np.array([0], dtype=np.uint64))[0])
    0
    """
    z = z ^ (z >> _S30)
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


#: the largest seed: numpy's SeedSequence takes more, but no results file (NetCDF attrs) can record it
MAX_SEED = 2**64 - 1


def check_seed(seed, where: str = "seed", optional: bool = False) -> int | None:
    """``seed`` as an int when it is a whole number from 0 to 2**64 − 1 (or None when ``optional``).

    Raises
    ------
    ParameterError
        For a negative, too large, fractional, boolean or non-numeric seed.

    Examples
    --------
    >>> check_seed(7), check_seed(None, optional=True)
    (7, None)
    """
    if seed is None and optional:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= int(seed) <= MAX_SEED:
        raise ParameterError(f"{where} must be a whole number from 0 to 2**64 - 1, got {seed!r}")
    return int(seed)


def check_draws(draws, where: str = "draws") -> int:
    """``draws`` as an int when it is a whole number ≥ 1 (never a boolean)."""
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise ParameterError(f"{where} must be a positive whole number, got {draws!r}")
    return int(draws)


def stream_key(seed: int, stream: int | str) -> tuple[np.uint64, np.uint64]:
    """The 128-bit key of a (seed, stream) pair, stable across processes and platforms.

    Parameters
    ----------
    seed : int
        Non-negative integer.
    stream : int or str
        Names an independent stream (e.g. ``"design:lhs"`` or a parameter's dotted key).

    Returns
    -------
    (k0, k1) : two numpy uint64 scalars.

    Examples
    --------
    >>> stream_key(7, "a") == stream_key(7, "a")
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(stream, str):
        tag = f"s:{stream}"
    elif isinstance(stream, (int, np.integer)) and not isinstance(stream, bool):
        tag = f"i:{int(stream)}"
    else:
        raise ParameterError(f"stream must be an int or a str, got {stream!r}")
    digest = hashlib.blake2b(f"jdmodel|{int(seed)}|{tag}".encode(), digest_size=16).digest()
    return (np.uint64(int.from_bytes(digest[:8], "little")),
            np.uint64(int.from_bytes(digest[8:], "little")))


def _draw_index(draw_index: ArrayLike) -> NDArray[np.int64]:
    d = np.asarray(draw_index)
    if d.ndim != 1 or not np.issubdtype(d.dtype, np.integer):
        raise ParameterError(f"draw_index must be a 1-d integer array, got shape {d.shape} dtype {d.dtype}")
    return np.ascontiguousarray(d, dtype=np.int64)


def _hash_block(seed: int, stream: int | str, draw_index: ArrayLike,
                shape: tuple[int, ...]) -> NDArray[np.uint64]:
    k0, k1 = stream_key(seed, stream)
    d = _draw_index(draw_index).view(np.uint64)
    m = int(np.prod(shape, dtype=np.int64))
    with np.errstate(over="ignore"):
        h_draw = mix64(d * _GOLDEN + k0)
        h_pos = np.arange(m, dtype=np.uint64) * _POS_MULT + k1
        h = h_draw[:, None] ^ h_pos[None, :]
        h = mix64(h)
    return h.reshape((d.shape[0], *shape))


def uniforms(seed: int, stream: int | str, draw_index: ArrayLike,
             shape: tuple[int, ...] = ()) -> NDArray[np.float64]:
    r"""Uniform numbers in the open interval (0, 1), a pure function of their coordinates.

    .. math:: u_{d,p} = 2^{-52}\,\big(\lfloor h(seed, stream, d, p) / 2^{12} \rfloor + \tfrac12\big)

    Parameters
    ----------
    seed : int
        Non-negative integer; a seed determines everything.
    stream : int or str
        Independent stream name; a string is hashed with BLAKE2b (stable), not ``hash()``.
    draw_index : ndarray of int64, shape (n,)
        Absolute draw indices (not positions within a chunk).
    shape : tuple of int
        Trailing shape of values per draw (e.g. ``(k,)`` parameters or ``(T, S)``).

    Returns
    -------
    ndarray of float64, shape ``(n, *shape)``, values in [U_MIN, U_MAX] = [2**-53, 1 - 2**-53].

    Examples
    --------
    >>> u = uniforms(1, "x", np.arange(10), (3,))
    >>> u.shape
    (10, 3)
    >>> bool(np.all(uniforms(1, "x", np.arange(5, 10), (3,)) == u[5:]))
    True
    """
    shape = tuple(int(s) for s in shape)
    if _jit.enabled():
        k0, k1 = stream_key(seed, stream)
        d = _draw_index(draw_index)
        out = np.empty((d.shape[0], int(np.prod(shape, dtype=np.int64))))
        _uniforms_into(out, d, k0, k1)
        return out.reshape((d.shape[0], *shape))
    h = _hash_block(seed, stream, draw_index, shape)
    return ((h >> _S12).astype(np.float64) + 0.5) * _TWO_M52


class KeyedNoise:
    """``noise(stream, shape)`` = :func:`uniforms` of (``seed``, ``prefix + stream``) at ``draw_index``.

    The counting models' randomness in a draw-indexed run. Its keys are at hand
    (:meth:`keys`), so a compiled loop can draw the same numbers itself, draw by draw, instead of
    reading them from arrays made for the whole chunk.

    Examples
    --------
    >>> noise = KeyedNoise(3, np.arange(10, 14), prefix="counting.")
    >>> bool(np.array_equal(noise("x", (2,)), uniforms(3, "counting.x", np.arange(10, 14), (2,))))
    True
    """

    def __init__(self, seed: int, draw_index: ArrayLike, prefix: str = "") -> None:
        self.seed, self.draw_index, self.prefix = seed, _draw_index(draw_index), prefix

    def __call__(self, stream: str, shape: tuple[int, ...] = ()) -> NDArray[np.float64]:
        return uniforms(self.seed, self.prefix + stream, self.draw_index, shape)

    def keys(self, streams) -> NDArray[np.uint64]:
        """The ``(k0, k1)`` of each stream, shape (len(streams), 2)."""
        return np.array([stream_key(self.seed, self.prefix + s) for s in streams], dtype=np.uint64).reshape(-1, 2)


@_jit.jit
def mix64_scalar(z):
    """:func:`mix64` of one ``uint64`` (for compiled loops)."""
    z = z ^ (z >> _S30)
    z = z * _M1
    z = z ^ (z >> _S27)
    z = z * _M2
    return z ^ (z >> _S31)


@_jit.jit
def draw_hash(d, k0):
    """Step 2 of the construction: ``h_d = mix64(d * G + k0)`` for one draw index ``d`` (int64)."""
    return mix64_scalar(np.uint64(d) * _GOLDEN + k0)


@_jit.jit
def uniform_at(h_d, p, k1):
    """Steps 3-4: the uniform at position ``p`` of the draw whose hash is ``h_d``."""
    h = mix64_scalar(h_d ^ (np.uint64(p) * _POS_MULT + k1))
    return (np.float64(h >> _S12) + 0.5) * _TWO_M52


@_jit.jit
def _uniforms_into(out, draw_index, k0, k1):
    for i in range(out.shape[0]):
        h_d = draw_hash(draw_index[i], k0)
        for p in range(out.shape[1]):
            out[i, p] = uniform_at(h_d, p, k1)


def normals(seed: int, stream: int | str, draw_index: ArrayLike,
            shape: tuple[int, ...] = ()) -> NDArray[np.float64]:
    r"""Standard normal numbers, :math:`z = \Phi^{-1}(u)` of :func:`uniforms` (same coordinates).

    Parameters
    ----------
    seed, stream, draw_index, shape
        As in :func:`uniforms`.

    Returns
    -------
    ndarray of float64, shape ``(n, *shape)``; finite (|z| < 8.3).

    Examples
    --------
    >>> normals(3, "eps", np.arange(4)).shape
    (4,)
    """
    return ndtri(uniforms(seed, stream, draw_index, shape))
