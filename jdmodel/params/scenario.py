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
from jdmodel.params.baseyear import derived_outputs
from jdmodel.params.crosscheck import check_scenario
from jdmodel.params.leaf import parse_leaf
from jdmodel.params.loader import Param, Problems, flatten, read_toml, resolve_reference
from jdmodel.params.plan import Plan, load_plan
from jdmodel.params.schema import SCHEMA, concrete_keys, pattern_of
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
        The targets it is judged against and the composition of the plan's total indicators.
    plan : Plan
        The plan it belongs to: sectors, years, indicators, observations.
    """

    name: str
    params: Mapping[str, Param]
    files: tuple[str, ...] = ()
    description: str = ""
    targets: TargetSet = field(default_factory=load_targets)
    overrides: Mapping[str, Any] = field(default_factory=dict)
    correlations: tuple[Mapping[str, Any], ...] = ()
    plan: Plan = field(default_factory=load_plan)

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
        """SHA-256 of the plan id, the resolved parameters and the targets (canonical JSON), independent of file paths."""
        payload = {"plan": self.plan.id, "parameters": self.records(), "targets": self.targets.records(),
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
        if not isinstance(overrides, Mapping) or not all(isinstance(k, str) for k in overrides):
            raise ParameterError(f"with_overrides: expected a mapping of dotted keys to values, e.g. "
                                 f"{{'levers.funds.ecommerce': 8.0}}, got {overrides!r}")
        for key, raw in overrides.items():
            param = parse_leaf(key, raw, probs, origin="override", bare_ok=True, plan=self.plan)
            if param is not None:
                params[key] = param
        probs.raise_if_any(f"invalid overrides for scenario {self.name!r}")
        merged = {**self.overrides, **overrides}
        return _finish(name or self.name, params, self.files, self.description, probs, merged, self.correlations,
                       plan=self.plan, targets=self.targets)

    def __repr__(self) -> str:
        return f"<Scenario {self.name!r}: {len(self.params)} parameters, sha256 {self.sha256[:12]}…>"


def load_scenario(name_or_path: str | Path = "baseline", plan: str | Path | Plan | None = None,
                  allow: tuple[str | Path, ...] = ()) -> Scenario:
    """Load a scenario by name, ``plan/name``, plan folder or file path.

    Parameters
    ----------
    name_or_path : str or Path
        ``"plan"`` (a scenario of ``plan``, the default plan when it is None), ``"yangpu/baseline"``
        (a scenario of another shipped plan), a plan folder (its default scenario) or a TOML file.
        A file belongs to the plan its ``plan`` key names, else to the plan folder it lies in, else
        to ``plan``.
    plan : str, Path or Plan, optional
        The plan a bare scenario name refers to.
    allow : tuple of paths
        Further folders a scenario file may ``extends`` into (besides its own folder and its plan's).

    Raises
    ------
    ParameterError
        Listing every problem in the file (and the files it extends).
    """
    if isinstance(name_or_path, Scenario):
        return name_or_path
    path, plan_obj = _locate(str(name_or_path), plan)
    allowed = tuple(Path(a) for a in allow)
    params, files, description, corr, targets_ref = _read_chain(path, [], plan_obj, allowed)
    probs = Problems(str(path))
    targets = _targets_for(plan_obj, targets_ref, probs)
    name = path.stem if path != plan_obj.file("baseline") else "baseline"
    return _finish(name, params, tuple(files), description, probs, {}, corr, plan=plan_obj, targets=targets)


def _locate(text: str, plan) -> tuple[Path, Plan]:
    """The file and plan a scenario reference names (see :func:`load_scenario`)."""
    import difflib

    candidate = Path(text)
    bare = "/" not in text and "\\" not in text and not text.startswith(".")
    if candidate.is_dir() and not (bare and _is_scenario_name(text, plan)):
        from jdmodel.params.plan import is_plan_file

        if not is_plan_file(candidate / "plan.toml"):
            what = "its plan.toml is a scenario, not a plan's declaration" if (candidate / "plan.toml").is_file() \
                else "it holds no plan.toml"
            raise ParameterError(f"{text!r} is a folder, but not a plan folder ({what}): give a plan folder, a "
                                 "scenario file (.toml) or a scenario name (jdmodel init DIR writes a plan folder)")
        p = load_plan(candidate)
        return p.scenario_path(p.default_scenario), p
    if text.endswith(".toml") or candidate.is_file():
        if not candidate.is_file():
            raise ParameterError(f"no scenario file {text!r}: {candidate.resolve()} does not exist")
        return candidate.resolve(), _plan_of_file(candidate.resolve(), plan)
    p = load_plan(plan)
    path, p = resolve_reference(text, None, p)
    if not path.is_file() and plan is None and "/" not in text:
        from jdmodel.params.plan import available_plans

        if text in available_plans():     # a plan's name: its default scenario
            other = load_plan(text)
            return other.scenario_path(other.default_scenario), other
    if not path.is_file():
        names = p.scenarios()
        close = difflib.get_close_matches(text.rsplit("/", 1)[-1], names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParameterError(f"no scenario {text!r} in plan {p.id!r}{hint}; its scenarios: {', '.join(names)}")
    return path, p


def _is_scenario_name(text: str, plan) -> bool:
    """True when ``text`` names a scenario of ``plan`` (or a shipped plan), so a folder of that name is not meant."""
    from jdmodel.params.plan import available_plans

    try:
        return text in load_plan(plan).scenarios() or (plan is None and text in available_plans())
    except ParameterError:
        return False


def _plan_of_file(path: Path, plan) -> Plan:
    """The plan a scenario file belongs to: its ``plan`` key, else the plan folder it lies in, else ``plan``."""
    data = read_toml(path)
    named = data.get("plan")
    if named is not None:
        if not isinstance(named, str):
            raise ParameterError(f"{path}: plan: expected a plan name or a folder path, got {named!r}")
        ref = Path(named)
        if not ref.is_absolute() and ("/" in named or named.startswith(".")):
            ref = path.parent / ref
        return load_plan(ref if (ref / "plan.toml").is_file() else named)
    from jdmodel.params.plan import is_plan_file

    for parent in path.parents:
        if (parent / "plan.toml").resolve() != path.resolve() and is_plan_file(parent / "plan.toml"):
            return load_plan(parent)
    return load_plan(plan)


def _targets_for(plan: Plan, ref: tuple[str, Path] | None, probs: Problems) -> TargetSet:
    """The plan's targets, or the file a scenario names with ``targets = "file.toml"``."""
    if ref is None:
        return load_targets(plan=plan)
    text, folder = ref
    path = (folder / text) if not Path(text).is_absolute() else Path(text)
    if not path.is_file():
        probs.add("targets", f"{text!r}: no such targets file (looked for {path})")
        probs.raise_if_any("invalid parameter file")
    return load_targets(path, plan=plan)


def _read_chain(path: Path, stack: list[Path], plan: Plan, allowed: tuple[Path, ...]):
    path = path.resolve()
    if path in stack:
        chain = " → ".join(p.name for p in [*stack, path])
        raise ParameterError(f"{stack[-1]}: extends: cycle {chain}")
    if len(stack) >= 32:
        raise ParameterError(f"{stack[0]}: extends: a chain of more than 32 files (is there a loop?)")
    data = read_toml(path)
    probs = Problems(str(path))
    parent = data.get("extends")
    params: dict[str, Param] = {}
    files: list[str] = []
    corr: tuple = ()
    targets_ref = None
    description = data.get("description", "")
    if not isinstance(description, str):
        probs.add("description", f"expected text, got {type(description).__name__}")
        description = ""
    for meta in ("name", "title"):
        if meta in data and not isinstance(data[meta], str):
            probs.add(meta, f"expected text, got {data[meta]!r}")
    if parent is not None:
        if not isinstance(parent, str):
            probs.add("extends", f"expected the name or path of a parameter file, got {parent!r}")
            probs.raise_if_any("invalid parameter file")
        try:
            ppath, pplan = resolve_reference(parent, path.parent, plan, allowed)
        except ParameterError as err:
            probs.add("extends", str(err).removeprefix(f"extends {parent!r}: "))
            probs.raise_if_any("invalid parameter file")
        if pplan != plan:
            probs.add("extends", f"{parent!r} belongs to plan {pplan.id!r}, this file to plan {plan.id!r}")
            probs.raise_if_any("invalid parameter file")
        if not ppath.is_file():
            import difflib

            close = difflib.get_close_matches(parent, plan.scenarios(), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            probs.add("extends", f"parent {parent!r} not found{hint} (plan {plan.id!r} has: "
                                 f"{', '.join(plan.scenarios())})")
            probs.raise_if_any("invalid parameter file")
        params, files, pdesc, corr, targets_ref = _read_chain(ppath, [*stack, path], plan, allowed)
        description = description or pdesc
    own_targets = data.get("targets")
    if own_targets is not None:
        if isinstance(own_targets, str):
            targets_ref = (own_targets, path.parent)
        else:
            probs.add("targets", f"expected the path of a targets file, got {own_targets!r}")
    named = data.get("plan")
    if named is not None and stack == [] and not isinstance(named, str):
        probs.add("plan", f"expected a plan name or folder, got {named!r}")
    for key, raw in flatten(data).items():
        param = parse_leaf(key, raw, probs, origin=path.name, bare_ok=parent is not None, plan=plan)
        if param is not None:
            params[key] = param
    own = _correlations(data.get("correlations", []), probs)
    # a pair given again in a derived file replaces the parent's entry for that pair
    mine = {frozenset(_pair(c)) for c in own}
    corr = tuple(c for c in corr if frozenset(_pair(c)) not in mine) + tuple(
        {**c, "origin": path.name} for c in own)
    probs.raise_if_any("invalid parameter file")
    return params, [str(path), *files], description, corr, targets_ref


def _correlations(own: Any, probs: Problems) -> list[dict]:
    """The file's [[correlations]] tables when each is { params = [key_a, key_b], rho }; else record why."""
    from jdmodel.params.rules import fields, finite

    if not (isinstance(own, list) and all(isinstance(c, dict) for c in own)):
        probs.add("correlations", f"expected [[correlations]] tables with params = [key_a, key_b] and rho, got {own!r}")
        return []
    good = []
    for i, c in enumerate(own):
        where = f"correlations[{i}]"
        if not fields(c, where, probs, allowed=("params", "rho", "source", "note"), required=("params", "rho")):
            continue
        pair, rho = c.get("params"), c.get("rho")
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(k, str) for k in pair)):
            probs.add(f"{where}.params", f"expected two parameter keys, params = [\"key_a\", \"key_b\"], got {pair!r}")
        elif not (finite(rho) and -1 <= rho <= 1):
            probs.add(f"{where}.rho", f"expected a number in [-1, 1], got {rho!r}")
        else:
            good.append(c)
    return good


def _pair(c: Mapping[str, Any]) -> tuple:
    pair = c.get("params", [])
    return tuple(x for x in pair if isinstance(x, str)) if isinstance(pair, list) else ()


def _finish(name: str, params: dict[str, Param], files: tuple[str, ...], description: str,
            probs: Problems, overrides: Mapping[str, Any], correlations: tuple = (), *, plan: Plan,
            targets: TargetSet) -> Scenario:
    """Fill derived values and run the checks that involve several keys."""
    params = _derive_base_outputs(params, probs, plan)
    present = set(params)
    counting = any(k.startswith("counting.") for k in present)  # the counting block runs when it has parameters
    for key in concrete_keys(plan):
        spec = SCHEMA.get(pattern_of(key, plan) or key)
        if key.startswith("counting.") and not counting:
            continue
        if spec is not None and spec.required and key not in present:
            probs.add(key, "missing (required)")
    if not probs.items:
        check_scenario(params, plan, probs)
    probs.raise_if_any("invalid parameters")
    sc = Scenario(name=name, params=params, files=files, description=description, overrides=dict(overrides),
                  correlations=tuple(correlations), plan=plan, targets=targets)
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


def _derive_base_outputs(params: dict[str, Param], probs: Problems, plan: Plan) -> dict[str, Param]:
    """Give each sector its base-year output from the plan's base_year rules unless a file sets it."""
    out = dict(params)
    shares = {r.share: out.get(r.share) for r in plan.base_rules if r.share is not None}
    missing_shares = sorted(k for k, v in shares.items() if v is None)
    if missing_shares:
        for k in missing_shares:
            probs.add(k, "missing: the plan's base_year rule divides by this within-year share")
        return out
    derived = derived_outputs(plan, {k: float(v.value) for k, v in shares.items()})
    rule_of = {s: r for r in plan.base_rules for s in r.sectors}
    for s in plan.sector_ids:
        key = f"sectors.{s}.base_output"
        if key in out and not out[key].derived:
            continue
        if s not in derived:
            probs.add(key, "missing: no base_year rule of the plan derives this sector's base-year output, so it "
                           "must be given")
            continue
        rule = rule_of[s]
        share = shares.get(rule.share)
        lo = hi = None
        if share is not None and share.low and share.high:
            lo = derived[s] * float(share.value) / share.high
            hi = derived[s] * float(share.value) / share.low
        how = f"{rule.indicator_for(s)} {rule.period}" + (" / (1 + yoy growth)" if rule.divide_by_growth else "") + (
            f" / {rule.share}" if rule.share else "")
        out[key] = Param(key, derived[s], "亿元", f"derived: {how} (plan {plan.id!r} base_year rule; "
                         "jdmodel.params.baseyear)", low=lo, high=hi, origin=plan.file("observed").name, derived=True)
    return out


def replace_params(sc: Scenario, params: Mapping[str, Param]) -> Scenario:
    """A copy of ``sc`` with some :class:`Param` objects replaced (no re-validation)."""
    return replace(sc, params={**sc.params, **params})


def central_values(sc: Scenario) -> dict[str, np.ndarray]:
    """Central values as float arrays with a leading draw axis of length 1."""
    out = {}
    for key, p in sc.params.items():
        if isinstance(p.value, bool | str):
            continue
        out[key] = np.asarray(p.value, dtype=float)[None, ...]
    return out


def options(sc: Scenario) -> dict[str, Any]:
    """The scenario's switches (booleans and choices), which the engine takes beside the numbers."""
    return {k: p.value for k, p in sc.params.items() if isinstance(p.value, bool | str)}
