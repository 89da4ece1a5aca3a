"""``jdmodel check FILE|DIR``: validate any parameter file, or a whole plan folder, and say what it is."""

from __future__ import annotations

from pathlib import Path

from jdmodel.errors import ParameterError
from jdmodel.params.loader import read_toml


def _plan_around(path: Path):
    """The plan a file belongs to: the nearest folder above it holding plan.toml, else the default plan."""
    from jdmodel.params.plan import is_plan_file, load_plan

    for parent in path.resolve().parents:
        if is_plan_file(parent / "plan.toml"):
            return load_plan(parent)
    return load_plan()


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


def check_file(path: str | Path) -> str:
    """Validate a plan folder or one file (scenario, targets, observations, error model, costs, IO); return a summary.

    Raises
    ------
    ParameterError
        Listing every problem found, each with the file and the dotted key.
    """
    path = Path(path)
    if path.is_dir():
        if not (path / "plan.toml").is_file():
            raise ParameterError(f"{path}: a folder is checked as a plan, but it holds no plan.toml "
                                 "(jdmodel init DIR writes one)")
        return check_plan(path)
    if not path.is_file():
        raise ParameterError(f"{path}: no such file")
    from jdmodel.params.plan import is_plan_file

    if is_plan_file(path):
        return check_plan(path.parent)
    data = read_toml(path)
    if "series" in data:
        plan = _plan_around(path)
        if plan.market is None or plan.file("market").resolve() != path.resolve():
            raise ParameterError(f"{path}: a market series file is read through its plan's [market] (plan.toml); "
                                 "none names this file")
        return f"{path}: OK — market series {plan.market.id}, {len(plan.market.points)} published levels"
    if "observation" in data:
        from jdmodel.params.observed import load_observations_file

        obs = load_observations_file(path)
        return f"{path}: OK — {len(obs)} observations"
    if path.name == "table.toml":  # the metadata of an input–output table folder (IOTable.from_csv)
        from jdmodel.inputoutput import IOTable

        t = IOTable.from_csv(path.parent)
        return f"{path}: OK — input–output table, {len(t.x)} sectors, balanced"
    if "regionalisation" in data or "published" in data:
        from jdmodel.inputoutput.data import regional_inputs

        entries = regional_inputs(path.resolve())
        return f"{path}: OK — {len(entries)} regionalisation inputs"
    if "price" in data:
        from jdmodel.policy import load_costs

        load_costs(path.resolve())
        return f"{path}: OK — policy costs"
    if "scale" in data:
        from jdmodel.expost.operator import load_error_model

        load_error_model(path.resolve())
        return f"{path}: OK — ex-post error model"
    if "targets" in data and isinstance(data["targets"], dict) or "paths" in data:
        from jdmodel.params.targets import load_targets

        ts = load_targets(path.resolve(), plan=_plan_around(path))
        return f"{path}: OK — {len(ts.targets)} targets, {len(ts.paths)} growth path(s)"
    from jdmodel.params.scenario import load_scenario

    sc = load_scenario(path.resolve())
    return (f"{path}: OK — scenario {sc.name!r} of plan {sc.plan.id!r}, {len(sc.params)} parameters, "
            f"sha256 {sc.sha256[:12]}")
