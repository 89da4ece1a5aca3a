"""``jdmodel check FILE|DIR``: validate any parameter file, or a whole plan folder, and say what it is.

Every kind of file goes through its own reader and so through the same rules
(:mod:`jdmodel.params.rules`): a scenario or baseline, ``plan.toml``, ``targets.toml``,
``observed.toml``, ``market.toml``, ``expost.toml``, ``policy.toml``, ``io/region.toml``,
``io/concordance.csv`` and an input–output table's ``table.toml``. The kind of a file is what its
plan calls it (``plan.file(kind)``), else its usual name, else what it holds.
"""

from __future__ import annotations

from pathlib import Path

from jdmodel.errors import ParameterError
from jdmodel.params.loader import read_toml

#: the kinds of file ``check_file`` knows, and the usual file name of each
KINDS = {"plan": "plan.toml", "scenario": "", "targets": "targets.toml", "observed": "observed.toml",
         "market": "market.toml", "expost": "expost.toml", "policy": "policy.toml", "region": "region.toml",
         "concordance": "concordance.csv", "table": "table.toml"}


def _plan_around(path: Path, default: bool = True):
    """The plan a file belongs to: the nearest folder above it holding plan.toml, else the default plan (or None)."""
    from jdmodel.params.plan import is_plan_file, load_plan

    for parent in path.resolve().parents:
        if is_plan_file(parent / "plan.toml"):
            return load_plan(parent)
    return load_plan() if default else None


def check_plan(folder: str | Path) -> str:
    """Validate every file of a plan folder (plan, scenarios, targets, observations, error model, costs, IO).

    Returns one line per file; raises :class:`ParameterError` at the first invalid file (which lists
    every problem in it).

    Examples
    --------
    >>> from jdmodel.params.plan import plans_dir
    >>> print(check_plan(plans_dir() / "jiading").splitlines()[0])   # doctest: +ELLIPSIS
    plan jiading: OK — 5 sectors, 2020–2030 (plan 2021–2025), ...
    """
    from jdmodel.expost.operator import load_error_model
    from jdmodel.params.plan import load_plan
    from jdmodel.params.scenario import load_scenario
    from jdmodel.params.targets import load_targets
    from jdmodel.policy.costs import load_costs

    plan = load_plan(Path(folder))
    y = plan.years
    lines = [f"plan {plan.id}: OK — {len(plan.sectors)} sectors, {y.base}–{y.horizon} (plan {y.plan_start}–"
             f"{y.plan_end}), {len(plan.totals)} total indicator(s), {len(plan.linked)} linked indicator(s)"]
    targets = load_targets(plan=plan)
    lines.append(f"  targets.toml: OK — {len(targets.targets)} targets, {len(targets.paths)} growth path(s)")
    lines.append(f"  {plan.file('observed').name}: OK — {len(plan.observations)} observations")
    for name in plan.scenarios():
        sc = load_scenario(name, plan=plan)
        lines.append(f"  scenario {name}: OK — {len(sc.params)} parameters, sha256 {sc.sha256[:12]}")
    if plan.file("expost").is_file():
        load_error_model(plan=plan)
        lines.append(f"  {plan.file('expost').name}: OK — ex-post error model")
    if plan.file("policy").is_file():
        load_costs(plan=plan)
        lines.append(f"  {plan.file('policy').name}: OK — policy costs")
    if plan.has_io:
        from jdmodel.inputoutput.link import load_regional

        io = load_regional(plan=plan)
        lines.append(f"  io/: OK — regional table of {len(io.codes)} sectors, {len(io.exogenous)} set by the plan's "
                     "sectors")
    else:
        lines.append("  io/: none (the input–output block is skipped for this plan)")
    return "\n".join(lines)


def _check_folder(path: Path) -> str:
    from jdmodel.params.plan import is_plan_file

    if is_plan_file(path / "plan.toml"):
        return check_plan(path)
    if (path / "plan.toml").is_file():
        raise ParameterError(f"{path}: a folder is checked as a plan, but its plan.toml is a scenario (it has no "
                             "sectors, years or totals): check it as a file (jdmodel check FILE)")
    found = sorted(p.name for p in path.iterdir() if p.suffix in (".toml", ".csv"))[:8]
    hint = f"; it holds {', '.join(found)}: check each file (jdmodel check FILE)" if found else ""
    raise ParameterError(f"{path}: a folder is checked as a plan, but it holds no plan.toml (jdmodel init DIR "
                         f"writes one){hint}")


def file_kind(path: Path) -> str:
    """What a file is (a key of :data:`KINDS`): what its plan calls it, its usual name, else what it holds."""
    from jdmodel.params.plan import is_plan_file

    if path.suffix.lower() == ".csv":
        return "concordance"
    if is_plan_file(path):
        return "plan"
    plan = _plan_around(path, default=False)
    if plan is not None:
        here = path.resolve()
        for kind in ("targets", "observed", "market", "expost", "policy"):
            if plan.file(kind).resolve() == here:
                return kind
        if (plan.file("io") / "region.toml").resolve() == here:
            return "region"
    by_name = {name: kind for kind, name in KINDS.items() if name and kind not in ("plan", "concordance")}
    if path.name in by_name:
        return by_name[path.name]
    data = read_toml(path)
    for key, kind in (("series", "market"), ("observation", "observed"), ("regionalisation", "region"),
                      ("published", "region"), ("price", "policy"), ("scale", "expost"), ("paths", "targets")):
        if key in data:
            return kind
    if isinstance(data.get("targets"), dict):
        return "targets"
    return "scenario"


def check_file(path: str | Path, kind: str | None = None) -> str:
    """Validate a plan folder or one file; return a summary.

    Parameters
    ----------
    path : str or Path
        A plan folder, or a file of one of the :data:`KINDS`.
    kind : str, optional
        What the file is (default: :func:`file_kind`).

    Raises
    ------
    ParameterError
        Listing every problem found, each with the file and the dotted key.
    """
    path = Path(path)
    if path.is_dir():
        return _check_folder(path)
    if not path.is_file():
        raise ParameterError(f"{path}: no such file")
    kind = kind or file_kind(path)
    if kind not in KINDS:
        raise ParameterError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    return _CHECKS[kind](path)


def _plan(path: Path) -> str:
    return check_plan(path.parent)


def _scenario(path: Path) -> str:
    from jdmodel.params.scenario import load_scenario

    sc = load_scenario(path.resolve())
    return (f"{path}: OK — scenario {sc.name!r} of plan {sc.plan.id!r}, {len(sc.params)} parameters, "
            f"sha256 {sc.sha256[:12]}")


def _targets(path: Path) -> str:
    from jdmodel.params.targets import load_targets

    ts = load_targets(path.resolve(), plan=_plan_around(path))
    return f"{path}: OK — {len(ts.targets)} targets, {len(ts.paths)} growth path(s)"


def _observed(path: Path) -> str:
    from jdmodel.params.observed import load_observations_file

    return f"{path}: OK — {len(load_observations_file(path))} observations"


def _market(path: Path) -> str:
    from jdmodel.params.market import load_series

    plan = _plan_around(path, default=False)
    if plan is not None and plan.market is not None and plan.file("market").resolve() == path.resolve():
        market = plan.market
    else:
        market = load_series(path)
    return f"{path}: OK — market series {market.id}, {len(market.points)} published levels"


def _expost(path: Path) -> str:
    from jdmodel.expost.operator import load_error_model

    load_error_model(path.resolve())
    return f"{path}: OK — ex-post error model"


def _policy(path: Path) -> str:
    from jdmodel.policy import load_costs

    load_costs(path.resolve())
    return f"{path}: OK — policy costs"


def _region(path: Path) -> str:
    from jdmodel.inputoutput.data import regional_inputs

    entries = regional_inputs(path.resolve())
    plan = _plan_around(path, default=False)
    if plan is not None and (plan.file("io") / "region.toml").resolve() == path.resolve():
        from jdmodel.inputoutput.link import load_regional

        io = load_regional(plan=plan)        # builds the regional table: the inputs must hold together
        return f"{path}: OK — {len(entries)} regionalisation inputs, a regional table of {len(io.codes)} sectors"
    return f"{path}: OK — {len(entries)} regionalisation inputs"


def _concordance(path: Path) -> str:
    from jdmodel.inputoutput.data import DEFAULT_TABLE, load_national
    from jdmodel.params.iofiles import read_concordance, read_region

    plan = _plan_around(path)
    region = plan.file("io") / "region.toml"
    table = read_region(region).get("regionalisation.table", {}).get("value", DEFAULT_TABLE) if region.is_file() \
        else DEFAULT_TABLE
    C = read_concordance(path, plan.sector_ids, load_national(table).codes)
    return f"{path}: OK — concordance of plan {plan.id!r}: {C.shape[0]} sectors onto {int((C > 0).sum())} IO cells"


def _table(path: Path) -> str:
    from jdmodel.inputoutput import IOTable

    t = IOTable.from_csv(path.parent)
    return f"{path}: OK — input–output table, {len(t.x)} sectors, balanced"


_CHECKS = {"plan": _plan, "scenario": _scenario, "targets": _targets, "observed": _observed, "market": _market,
           "expost": _expost, "policy": _policy, "region": _region, "concordance": _concordance, "table": _table}
