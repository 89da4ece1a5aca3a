"""Provenance of a report: parameter hashes, seed, design, draws, versions and the date."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from jdmodel.report.sections import Table

#: Packages whose versions a report records.
DEPENDENCIES = ("numpy", "scipy", "xarray", "pandas", "sympy", "netCDF4", "matplotlib", "nbclient",
                "nbconvert", "ipykernel")


# --- provenance ------------------------------------------------------------------------------------

def versions() -> dict[str, str]:
    """jdmodel, Python and dependency versions."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    import jdmodel

    out = {"jdmodel": jdmodel.__version__, "python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def report_date() -> str:
    """Now in UTC, or ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return when.isoformat(timespec="seconds")


def provenance(scenarios: Sequence[Any], *, seed: int | None, design: str, draws: int,
               sensitivity_n: int | None = None) -> Table:
    """What a reader needs to reproduce the report: hashes, seed, design, draws, versions, date.

    Parameters
    ----------
    scenarios : sequence of Scenario
    seed, design, draws : int, str, int
        As passed to :func:`jdmodel.simulate`.
    sensitivity_n : int, optional
        Sobol' base sample of the sensitivity section, if any.

    Returns
    -------
    Table
        ``provenance``: item, value (parameter sha256 and files per scenario, overrides, seed,
        design, draws, versions of jdmodel, Python and :data:`DEPENDENCIES`, the date in UTC).
    """
    from jdmodel.report.sections import _table, fmt

    rows = []
    for sc in scenarios:
        rows += [{"item": f"scenario {sc.name}: parameters sha256", "value": sc.sha256},
                 {"item": f"scenario {sc.name}: files", "value": "; ".join(os.path.basename(f) for f in sc.files)}]
        if sc.overrides:
            rows.append({"item": f"scenario {sc.name}: overrides", "value": ", ".join(
                f"{k} = {fmt(v) if not isinstance(v, Mapping) else v}" for k, v in sc.overrides.items())})
    rows += [{"item": "seed", "value": str(seed)}, {"item": "design", "value": design},
             {"item": "draws", "value": str(draws)}]
    if sensitivity_n:
        rows.append({"item": "sensitivity", "value": f"Sobol', n = {sensitivity_n}, seed {seed}"})
    rows += [{"item": f"version: {k}", "value": v} for k, v in versions().items()]
    rows.append({"item": "date", "value": report_date()})
    return _table("provenance", rows, ["item", "value"], "Provenance")
