"""``jdmodel check FILE``: validate any parameter file and say what it is."""

from __future__ import annotations

from pathlib import Path

from jdmodel.errors import ParameterError
from jdmodel.params.loader import read_toml


def check_file(path: str | Path) -> str:
    """Validate a scenario/baseline, targets or observations file; return a one-line summary.

    Raises
    ------
    ParameterError
        Listing every problem found, each with the file and the dotted key.
    """
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"{path}: no such file")
    data = read_toml(path)
    if "observation" in data:
        from jdmodel.params.observed import _load

        obs = _load(str(path.resolve()))
        return f"{path}: OK — {len(obs)} observations"
    if path.name == "table.toml":  # the metadata of an input–output table folder (IOTable.from_csv)
        from jdmodel.inputoutput import IOTable

        t = IOTable.from_csv(path.parent)
        return f"{path}: OK — input–output table, {len(t.x)} sectors, balanced"
    if "output_ratio" in data:
        from jdmodel.inputoutput.data import load_output_ratio

        load_output_ratio(path.resolve())
        return f"{path}: OK — input–output link settings"
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
    if "targets" in data or "composition" in data:
        from jdmodel.params.targets import _load as load_targets

        ts = load_targets(str(path.resolve()))
        return f"{path}: OK — {len(ts.targets)} targets, {len(ts.paths)} growth path(s)"
    from jdmodel.params.scenario import load_scenario

    sc = load_scenario(path.resolve())
    return f"{path}: OK — scenario {sc.name!r}, {len(sc.params)} parameters, sha256 {sc.sha256[:12]}"
