"""Uncertainty primitives: random streams, distributions, designs, correlation, sensitivity, discovery.

Everything here is a pure function of explicit inputs and a seed; values are keyed by
absolute draw index, so a sweep gives the same numbers for any chunking or number of
workers.  See ``docs/uncertainty.md``.

========================  ==================================================================
module                    public functions
========================  ==================================================================
``rng``                   ``uniforms``, ``normals`` (counter-based, keyed by seed/stream/draw)
``distributions``         ``validate_dist``, ``ppf``, ``mean``, ``var``, ``is_uncertain``
``designs``               ``unit_sample`` ("mc", "lhs", "sobol"), ``feistel_permutation``
``correlation``           ``correlation_matrix``, ``validate_correlation``, ``correlate``, ``iman_conover``
``sensitivity``           ``sensitivity_callable``, ``saltelli_design``, ``sobol_from_matrices``,
                          ``sobol_from_outputs``, ``morris_design``, ``morris_from_outputs``
``discovery``             ``prim``, ``PrimResult``
========================  ==================================================================

``sensitivity`` (which uses xarray) is imported on first use, so that model code importing
``jdmodel.uncertainty.rng`` stays free of xarray.
"""

from __future__ import annotations

import importlib

from jdmodel.uncertainty.correlation import (
    check_correlation,
    correlate,
    correlation_matrix,
    iman_conover,
    validate_correlation,
)
from jdmodel.uncertainty.designs import DESIGNS, unit_sample
from jdmodel.uncertainty.discovery import PrimResult, prim
from jdmodel.uncertainty.distributions import DISTRIBUTIONS, is_uncertain, mean, ppf, validate_dist, var
from jdmodel.uncertainty.rng import normals, uniforms

_LAZY = {name: "jdmodel.uncertainty.sensitivity" for name in (
    "sensitivity_callable", "saltelli_design", "sobol_from_matrices", "sobol_from_outputs", "morris_design",
    "morris_from_outputs")}

__all__ = ["uniforms", "normals", "DISTRIBUTIONS", "validate_dist", "ppf", "mean", "var", "is_uncertain",
           "DESIGNS", "unit_sample", "correlation_matrix", "validate_correlation", "check_correlation",
           "correlate", "iman_conover", "prim", "PrimResult", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'jdmodel.uncertainty' has no attribute {name!r}")
