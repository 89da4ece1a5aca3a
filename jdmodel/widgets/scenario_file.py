"""A dashboard's settings as a scenario file: ``extends`` plus dotted overrides with value, unit and source.

The file is plain TOML that ``jdmodel check`` validates and ``jdmodel run`` runs; values are the
resolved parameters in canonical units, so loading the file reproduces the dashboard's run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import jdmodel as jd
from jdmodel.params.toml_text import toml_value

SAVED_SOURCE = "scenario choice: level over the plan period set in the jdmodel levers dashboard"


def extends_reference(base: jd.Scenario) -> tuple[str, list[str]]:
    """What ``extends`` should say, and the keys of ``base`` its own files set beyond that.

    The saved file extends the nearest scenario of the plan's folder that ``base`` descends from
    (by name: a name always resolves, wherever the file is saved), and writes out the values the
    files between them set.
    """
    plan = base.plan
    names = set(plan.scenarios())
    own: list[str] = []
    for i, f in enumerate(base.files):
        path = Path(f).resolve()
        inside = path == plan.file("baseline").resolve() or path.parent == (plan.folder / "scenarios").resolve()
        if inside and (path.stem in names or path == plan.file("baseline").resolve()):
            name = "baseline" if path == plan.file("baseline").resolve() else path.stem
            users = {Path(x).name for x in base.files[:i]}
            own = [k for k, prm in base.params.items() if prm.origin in users and not prm.derived]
            return name, own
    return plan.default_scenario, [k for k, prm in base.params.items() if not prm.derived]


def plan_reference(base: jd.Scenario) -> str:
    """What ``plan`` should say: a shipped plan's id, otherwise the plan folder's absolute path."""
    from jdmodel.params.plan import available_plans, plans_dir

    plan = base.plan
    if plan.id in available_plans() and plan.folder.parent.resolve() == plans_dir().resolve():
        return plan.id
    return str(plan.folder.resolve())


def scenario_toml(base: jd.Scenario, current: jd.Scenario, keys: Iterable[str], changed: str = "") -> str:
    """The text of a scenario file that extends ``base`` and sets ``keys`` to their values in ``current``.

    Parameters
    ----------
    base : Scenario
        The scenario the file extends (its own overrides are written out as well).
    current : Scenario
        The scenario with the dashboard's overrides applied; gives value, unit, range and source.
    keys : iterable of str
        Dotted keys to write.
    changed : str
        What was changed, for the header comment.

    Examples
    --------
    >>> import jdmodel as jd
    >>> sc = jd.load_scenario("plan")
    >>> text = scenario_toml(sc, sc.with_overrides({"levers.funds.ecommerce": 8.0}), ["levers.funds.ecommerce"])
    >>> text.splitlines()[4]
    'extends = "plan"'
    """
    parent, own = extends_reference(base)
    keys = sorted({*base.overrides, *own, *keys})
    y = base.plan.years
    lines = ["# Scenario saved from the jdmodel levers dashboard.",
             f"# Changed from {base.name!r}: {changed or 'nothing'}.",
             f"# Lever values are 亿元/yr (funds), 人/yr (talent), 公顷/yr (land) for {y.levers[0]}–{y.levers[-1]}.",
             f"plan = {toml_value(plan_reference(base))}",
             f"extends = {toml_value(parent)}",
             f"description = {toml_value(f'{base.name} with settings changed in the levers dashboard')}",
             ""]
    for key in keys:
        rec = current.params[key].as_record()
        table = {"value": rec["value"], "unit": rec["unit"]}
        for name in ("low", "high"):
            if name in rec:
                table[name] = rec[name]
        if "dist" in rec:
            table["dist"] = rec["dist"]["dist"]
        table["source"] = rec["source"] if not rec["source"].startswith("override") else SAVED_SOURCE
        if key.startswith("levers.") and key not in base.overrides:
            table["source"] = SAVED_SOURCE
        lines.append(f"{key} = {toml_value(table)}")
    return "\n".join(lines) + "\n"
