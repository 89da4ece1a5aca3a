"""Write the Jiading reference results that tests/test_regression.py compares against.

Run from the repository root with the package installed:  python tests/data/regression/make_reference.py

The stored files are the engine's results computed BEFORE a change that must not move them (the
plan-as-data refactor); a deliberate model change regenerates them in its own commit, saying why.
Each file records the commit it was made at in its attributes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import jdmodel as jd

HERE = Path(__file__).resolve().parent
SCENARIOS = ("baseline", "plan", "no_new_policy", "funds_heavy", "talent_first", "land_constrained", "market_share")
KEEP = ("output", "value_added", "market", "capital", "talent", "land", "tfp", "online_economy_output", "ecommerce_sales", "enterprises",
        "enterprises_total", "projects", "scenarios", "io_output", "io_value_added", "io_effect")


def main() -> None:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()
    for name in SCENARIOS:
        ds = jd.simulate(name)
        ds = ds[[v for v in KEEP if v in ds]]
        ds.attrs = {"scenario": name, "made_at_commit": commit, "how": "jd.simulate(name) (central values, io=True)"}
        ds.to_netcdf(HERE / f"central_{name}.nc")
    ens = jd.simulate("plan", draws=64, seed=7, design="mc")
    ens = ens[[v for v in (*KEEP, "inputs") if v in ens and v not in ("io_output", "io_effect")]]
    ens.attrs = {"scenario": "plan", "made_at_commit": commit,
                 "how": 'jd.simulate("plan", draws=64, seed=7, design="mc") (io=True)'}
    ens.to_netcdf(HERE / "ensemble_plan_mc64_seed7.nc")


if __name__ == "__main__":
    main()
