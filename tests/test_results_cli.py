"""Results as NetCDF, and the command line's exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import xarray as xr

import jdmodel as jd

BAD = Path(__file__).parent / "data" / "bad"


def test_dataset_has_units_labels_and_provenance(baseline):
    ds = jd.simulate(baseline, io=False)
    for name in ("output", "capital", "talent", "land", "tfp", "ecommerce_sales", "online_economy_output"):
        assert ds[name].attrs["units"] and ds[name].attrs["long_name"], name
    assert list(ds.year.values) == list(range(2020, 2031))
    assert ds.sector_zh.sel(sector="ecommerce").item() == "电子商务"
    assert ds.attrs["parameters_sha256"] == baseline.sha256
    assert ds.attrs["scenario"] == "baseline" and ds.attrs["jdmodel_version"]


def test_netcdf_round_trip_is_identical(tmp_path, baseline):
    ds = jd.simulate(baseline)
    f = tmp_path / "r.nc"
    from jdmodel.pipeline.results import save

    save(ds, f)
    with xr.open_dataset(f) as back:
        back.load()
    xr.testing.assert_identical(ds, back)


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "jdmodel.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_run_prints_targets_and_observations_exit_0():
    r = _cli("run", "--no-io")
    assert r.returncode == 0, r.stderr
    assert "output" in r.stdout and "> 4,000" in r.stdout
    assert "3,119.2" in r.stdout and "NR" in r.stdout  # the published 2022 total beside the model


def test_run_bad_file_exit_2_without_traceback():
    r = _cli("run", str(BAD / "negative_funds.toml"))
    assert r.returncode == 2
    assert "levers.funds.ecommerce" in r.stderr and "Traceback" not in r.stderr


def test_run_unknown_scenario_exit_2():
    r = _cli("run", "no_such_scenario")
    assert r.returncode == 2 and "its scenarios" in r.stderr


def test_check_exit_codes(tmp_path):
    from jdmodel._paths import parameters_dir

    ok = _cli("check", str(parameters_dir() / "plans" / "jiading" / "scenarios" / "plan.toml"))
    assert ok.returncode == 0 and "OK" in ok.stdout
    bad = _cli("check", str(BAD / "unknown_sector.toml"))
    assert bad.returncode == 2 and "blockchain" in bad.stderr
    assert _cli("check", str(parameters_dir() / "plans" / "jiading" / "observed.toml")).returncode == 0
    assert _cli("check", str(parameters_dir() / "plans" / "jiading" / "targets.toml")).returncode == 0


def test_help_on_each_command():
    for cmd in ([], ["run"], ["check"]):
        r = _cli(*cmd, "--help")
        assert r.returncode == 0 and "usage" in r.stdout.lower()


def test_land_constrained_prints_differently_from_plan():
    a, b = _cli("run", "plan", "--no-io"), _cli("run", "land_constrained", "--no-io")
    assert a.returncode == b.returncode == 0
    assert a.stdout.splitlines()[3] != b.stdout.splitlines()[3]


def test_every_shipped_parameter_file_passes_check():
    from jdmodel._paths import parameters_dir
    from jdmodel.params.checkfile import check_file

    files = sorted(parameters_dir().rglob("*.toml"))
    assert len(files) >= 11
    for f in files:
        assert "OK" in check_file(f), f


def test_a_seed_on_a_central_run_is_said_to_have_no_effect(capsys):
    from jdmodel.cli import main

    assert main(["run", "--seed", "5", "--no-io"]) == 0
    err = capsys.readouterr().err
    assert "--seed 5 has no effect on a central run" in err and "--draws N" in err
    assert main(["run", "--no-io"]) == 0
    assert "has no effect" not in capsys.readouterr().err
