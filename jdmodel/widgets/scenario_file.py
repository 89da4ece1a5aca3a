"""A dashboard's settings as a scenario file: ``extends`` plus dotted overrides with value, unit and source.

The file is plain TOML that ``jdmodel check`` validates and ``jdmodel run`` runs; values are the
resolved parameters in canonical units, so loading the file reproduces the dashboard's run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

import jdmodel as jd

SAVED_SOURCE = "scenario choice: level 2021–2025 set in the jdmodel levers dashboard"


def toml_value(value: Any) -> str:
    """A TOML literal for a number, bool, string, list or (inline) table.

    Examples
    --------
    >>> toml_value({"value": [1.0, 2.5], "unit": "亿元/yr"})
    '{ value = [1, 2.5], unit = "亿元/yr" }'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | np.floating | np.integer):
        v = float(value)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(value, list | tuple | np.ndarray):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)     # a JSON string is a valid TOML basic string



def extends_reference(base: jd.Scenario) -> str:
    """What ``extends`` should say: a shipped scenario's name, otherwise the absolute path of its file."""
    if base.name in jd.available_scenarios() or not base.files:
        return base.name
    return str(Path(base.files[0]).resolve())


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
    >>> text.splitlines()[3]
    'extends = "plan"'
    """
    keys = sorted({*base.overrides, *keys})
    lines = ["# Scenario saved from the jdmodel levers dashboard.",
             f"# Changed from {base.name!r}: {changed or 'nothing'}.",
             "# Lever values are 亿元/yr (funds), 人/yr (talent), 公顷/yr (land) for 2021–2030.",
             f"extends = {toml_value(extends_reference(base))}",
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
