"""Scenarios: a parameter file, the files it extends, and validated overrides."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from jdmodel.errors import ParameterError
from jdmodel.params.baseyear import BUREAU_COMPONENTS, base_outputs
from jdmodel.params.loader import Param, Problems, flatten, parse_leaf, read_toml, resolve_reference
from jdmodel.params.observed import load_observed
from jdmodel.params.schema import SCHEMA, SECTORS, concrete_keys
from jdmodel.params.targets import TargetSet, load_targets


@dataclass(frozen=True)
class Scenario:
    """A fully resolved, validated parameter set.

    Attributes
    ----------
    name : str
        Scenario name (file stem, or as given).
    params : dict
        Dotted key → :class:`~jdmodel.params.loader.Param`, canonical units.
    files : tuple of str
        The files it was read from, most derived first.
    targets : TargetSet
        The plan's targets and the composition of the online-economy total.
    """

    name: str
    params: Mapping[str, Param]
    files: tuple[str, ...] = ()
    description: str = ""
    targets: TargetSet = field(default_factory=load_targets)
    overrides: Mapping[str, Any] = field(default_factory=dict)
    correlations: tuple[Mapping[str, Any], ...] = ()

    # ---------------------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        """The central value of a parameter (canonical units)."""
        try:
            return self.params[key].value
        except KeyError:
            raise ParameterError(f"scenario {self.name!r}: no parameter {key!r}") from None

    def records(self) -> list[dict[str, Any]]:
        """All parameters as JSON-friendly records, sorted by key."""
        return [self.params[k].as_record() for k in sorted(self.params)]

    @property
    def sha256(self) -> str:
        """SHA-256 of the resolved parameters and targets (canonical JSON), independent of file paths."""
        payload = {"parameters": self.records(), "targets": self.targets.records(),
                   "correlations": [dict(c) for c in self.correlations]}
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def with_overrides(self, overrides: Mapping[str, Any], name: str | None = None) -> Scenario:
        """Return a new scenario with dotted-key overrides, validated like a file.

        A bare number is in the key's canonical unit; a scalar for a per-year path means
        that value every year; a table may give ``value``/``unit``/``low``/``high``/``source``.

        Examples
        --------
        >>> import jdmodel as jd
        >>> sc = jd.load_scenario("baseline").with_overrides({"levers.funds.ecommerce": 30.0})
        >>> float(sc["levers.funds.ecommerce"][0])
        30.0
        """
        probs = Problems("overrides")
        params = dict(self.params)
        for key, raw in overrides.items():
            param = parse_leaf(key, raw, probs, origin="override", bare_ok=True)
            if param is not None:
                params[key] = param
        probs.raise_if_any(f"invalid overrides for scenario {self.name!r}")
        merged = {**self.overrides, **overrides}
        return _finish(name or self.name, params, self.files, self.description, probs, merged, self.correlations)

    def __repr__(self) -> str:
        return f"<Scenario {self.name!r}: {len(self.params)} parameters, sha256 {self.sha256[:12]}…>"


def load_scenario(name_or_path: str | Path = "baseline") -> Scenario:
    """Load a scenario by name (``parameters/scenarios/<name>.toml`` or ``baseline``) or path.

    Raises
    ------
    ParameterError
        Listing every problem in the file (and the files it extends).
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path
    path = resolve_reference(str(name_or_path), Path.cwd())
    if not path.is_file():
        from jdmodel.params.loader import available_scenarios

        raise ParameterError(f"no scenario {str(name_or_path)!r}: {path} does not exist "
                             f"(shipped scenarios: {', '.join(available_scenarios())})")
    params, files, description, corr = _read_chain(path, [])
    probs = Problems(str(path))
    name = path.stem
    return _finish(name, params, tuple(files), description, probs, {}, corr)


def _read_chain(path: Path, stack: list[Path]) -> tuple[dict[str, Param], list[str], str, tuple]:
    path = path.resolve()
    if path in stack:
        chain = " → ".join(p.name for p in [*stack, path])
        raise ParameterError(f"{stack[-1]}: extends: cycle {chain}")
    data = read_toml(path)
    probs = Problems(str(path))
    parent = data.get("extends")
    params: dict[str, Param] = {}
    files: list[str] = []
    corr: tuple = ()
    description = str(data.get("description", ""))
    if parent is not None:
        if not isinstance(parent, str):
            probs.add("extends", f"expected the name or path of a parameter file, got {parent!r}")
            probs.raise_if_any("invalid parameter file")
        ppath = resolve_reference(parent, path.parent)
        if not ppath.is_file():
            probs.add("extends", f"parent {parent!r} not found (looked for {ppath})")
            probs.raise_if_any("invalid parameter file")
        params, files, pdesc, corr = _read_chain(ppath, [*stack, path])
        description = description or pdesc
    for key, raw in flatten(data).items():
        param = parse_leaf(key, raw, probs, origin=path.name, bare_ok=parent is not None)
        if param is not None:
            params[key] = param
    own = data.get("correlations", [])
    if not (isinstance(own, list) and all(isinstance(c, dict) for c in own)):
        probs.add("correlations", "expected [[correlations]] tables with params = [key_a, key_b] and rho")
        own = []
    # a pair given again in a derived file replaces the parent's entry for that pair
    mine = {frozenset(c.get("params", [])) for c in own}
    corr = tuple(c for c in corr if frozenset(c.get("params", [])) not in mine) + tuple(
        {**c, "origin": path.name} for c in own)
    probs.raise_if_any("invalid parameter file")
    return params, [str(path), *files], description, corr


def _finish(name: str, params: dict[str, Param], files: tuple[str, ...], description: str,
            probs: Problems, overrides: Mapping[str, Any], correlations: tuple = ()) -> Scenario:
    """Fill derived values and run the checks that involve several keys."""
    params = _derive_base_outputs(params, probs)
    present = set(params)
    counting = any(k.startswith("counting.") for k in present)  # the counting block runs when it has parameters
    for key in concrete_keys():
        spec = SCHEMA.get(key) or SCHEMA.get(_pattern(key))
        if key.startswith("counting.") and not counting:
            continue
        if spec is not None and spec.required and key not in present:
            probs.add(key, "missing (required)")
    crs = params.get("model.constant_returns")
    if crs is not None and crs.value:
        for s in SECTORS:
            total = sum(float(params[f"sectors.{s}.{e}"].value) for e in ("alpha", "beta", "gamma")
                        if f"sectors.{s}.{e}" in params)
            if abs(total - 1.0) > 1e-9:
                probs.add(f"sectors.{s}", f"alpha + beta + gamma = {total:g}, but model.constant_returns = true "
                                          "requires exactly 1")
    probs.raise_if_any("invalid parameters")
    sc = Scenario(name=name, params=params, files=files, description=description, overrides=dict(overrides),
                  correlations=tuple(correlations))
    if correlations:
        correlation_of(sc, where=files[0] if files else name)  # validates: known keys, [-1, 1], PSD
    return sc


def correlation_of(sc: Scenario, where: str = "correlations"):
    """The rank-correlation matrix over the scenario's sampled parameters (None when there is none)."""
    if not sc.correlations:
        return None
    from jdmodel.pipeline.sampling import uncertain_parameters
    from jdmodel.uncertainty.correlation import check_correlation, correlation_matrix

    names = [k for k, _ in uncertain_parameters(sc)]
    c = correlation_matrix(names, [{"params": x.get("params"), "rho": x.get("rho")} for x in sc.correlations],
                           where=f"{where}: correlations")
    check_correlation(c, names, where=f"{where}: correlations")
    return c


def _pattern(key: str) -> str:
    parts = key.split(".")
    return ".".join("*" if p in SECTORS else p for p in parts)


def _derive_base_outputs(params: dict[str, Param], probs: Problems) -> dict[str, Param]:
    """Give each bureau component its 2020 output from the statistics unless a file sets it."""
    share = params.get("base_year.jan_oct_share")
    if share is None:
        return params
    derived = base_outputs(load_observed("jiading"), float(share.value))
    out = dict(params)
    for s in SECTORS:
        key = f"sectors.{s}.base_output"
        if key in out and not out[key].derived:
            continue
        if s in BUREAU_COMPONENTS:
            lo = derived[s] * float(share.value) / share.high if share.high else None
            hi = derived[s] * float(share.value) / share.low if share.low else None
            out[key] = Param(key, derived[s], "亿元",
                             "derived: statistics bureau, January–October 2021 output / (1 + yoy growth) "
                             "/ base_year.jan_oct_share (jdmodel.params.baseyear)", low=lo, high=hi,
                             origin="observed/jiading.toml", derived=True)
        else:
            probs.add(key, "missing: this sector is not a component of the bureau's statistic, so its 2020 output "
                           "must be given")
    return out


def replace_params(sc: Scenario, params: Mapping[str, Param]) -> Scenario:
    """A copy of ``sc`` with some :class:`Param` objects replaced (no re-validation)."""
    return replace(sc, params={**sc.params, **params})


def central_values(sc: Scenario) -> dict[str, np.ndarray]:
    """Central values as float arrays with a leading draw axis of length 1."""
    out = {}
    for key, p in sc.params.items():
        if isinstance(p.value, bool):
            continue
        out[key] = np.asarray(p.value, dtype=float)[None, ...]
    return out
