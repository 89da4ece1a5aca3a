"""Bad input on the command line: exit 2, a message naming the option (or file and key), the value and
what was expected, no traceback, and nothing computed or written. Interrupted runs leave no output.

Every case runs ``python -m jdmodel.cli`` in a subprocess, as a user would.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).parent / "data" / "bad"
ENCODINGS = BAD / "encodings"


def jdmodel(*args: str, cwd: Path, prelude: str = "", umask: int | None = None, timeout: float = 120):
    """Run the command line in a fresh interpreter; ``prelude`` runs first (e.g. to hide a package)."""
    code = f"import sys\n{prelude}\nfrom jdmodel.cli import main\nsys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    preexec = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=preexec)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_refused(proc, *words: str) -> None:
    """Exit 2, every word in the message, no traceback, nothing computed (no target table printed)."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in proc.stderr, f"{word!r} not in:\n{proc.stderr}"
    assert "Targets for scenario" not in proc.stdout, proc.stdout


# --- arguments -------------------------------------------------------------------------------------

ARGUMENTS = [
    (["run", "--draws", "0"], ["--draws", "'0'", "≥ 1"]),
    (["run", "--draws", "-5"], ["--draws", "'-5'", "≥ 1"]),
    (["run", "--draws", "many"], ["--draws", "'many'"]),
    (["run", "--seed", "-1"], ["--seed", "'-1'", "2**64 - 1"]),
    (["run", "plan", "--draws", "10", "--seed", str(2**64)], ["--seed", str(2**64), "2**64 - 1"]),
    (["sweep", "plan", "--draws", "0"], ["--draws", "'0'"]),
    (["sweep", "plan", "--draws", "10", "--chunks", "0"], ["--chunks", "'0'", "≥ 1"]),
    (["sweep", "plan", "--draws", "10", "--seed", str(2**64 + 5)], ["--seed", "2**64 - 1"]),
    (["frontier", "plan", "--prob", "1.5"], ["--prob", "'1.5'", "at most 1"]),
    (["frontier", "plan", "--prob", "0"], ["--prob", "'0'", "above 0"]),
    (["frontier", "plan", "--prob", "nan"], ["--prob", "'nan'"]),
    (["frontier", "plan", "--bounds", "5", "1"], ["--bounds", "5 1", "LOW < HIGH"]),
    (["frontier", "plan", "--bounds", "-1", "5"], ["--bounds", "'-1'", "≥ 0"]),
    (["frontier", "plan", "--draws", "0"], ["--draws", "'0'"]),
    (["report", "plan", "--draws", "0"], ["--draws", "'0'"]),
    (["report", "plan", "--seed", "-3"], ["--seed", "'-3'"]),
    (["report", "plan", "--timeout", "0"], ["--timeout", "'0'"]),
    (["report", "plan", "--sensitivity-n", "100"], ["--sensitivity-n", "'100'", "power of 2"]),
]


@pytest.mark.parametrize("args, words", ARGUMENTS, ids=[" ".join(a) for a, _ in ARGUMENTS])
def test_bad_argument_exits_2_naming_option_and_value(tmp_path, args, words):
    proc = jdmodel(*args, cwd=tmp_path)
    assert_refused(proc, *words)
    assert list(tmp_path.iterdir()) == []


# --- outputs ---------------------------------------------------------------------------------------

OUTS = [
    (["run", "--out", "missing/x.nc"], ["--out", "missing/x.nc", "does not exist"]),
    (["run", "--out", "adir"], ["--out", "adir", "existing directory"]),
    (["run", "--out", "adir.nc"], ["--out", "adir.nc", "existing directory"]),
    (["run", "--out", "x.docx"], ["--out", "x.docx", ".docx", ".nc", ".zarr", ".csv", ".json"]),
    (["run", "--out", "x"], ["--out", "no extension", ".nc"]),
    (["run", "plan", "--draws", "50", "--out", "x.xls"], ["--out", ".xls", ".xlsx", ".nc"]),
    (["sweep", "plan", "--draws", "10", "--out", "x.docx"], ["--out", ".docx", ".nc", ".zarr"]),
    (["sweep", "plan", "--draws", "10", "--out", "missing/x.nc"], ["--out", "does not exist"]),
    (["sweep", "plan", "--draws", "10", "--out", "adir.zarr"], ["--out", "existing directory"]),
    (["sweep", "plan", "--draws", "10", "--reductions", "r.docx"], ["--reductions", ".docx"]),
    (["sweep", "plan", "--draws", "10", "--out", "a.nc", "--reductions", "a.nc"], ["--out", "--reductions"]),
    (["report", "plan", "--out", "r.docx"], ["--out", "r.docx", ".html", ".pdf"]),
    (["report", "plan", "--out", "r.html", "--format", "pdf"], ["--format pdf", "r.html"]),
    (["report", "plan", "--out", "missing/r.html"], ["--out", "does not exist"]),
    (["report", "plan", "--out", "adir"], ["--out", "existing directory"]),
    (["calibrate", "plan", "--free", "sectors.ecommerce.tfp_growth", "--out", "c.txt"], ["--out", ".toml"]),
]


@pytest.mark.parametrize("args, words", OUTS, ids=[" ".join(a) for a, _ in OUTS])
def test_bad_output_path_is_refused_before_any_work(tmp_path, args, words):
    for folder in ("adir", "adir.nc", "adir.zarr"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "keep.txt").write_text("mine")
    proc = jdmodel(*args, cwd=tmp_path)
    assert_refused(proc, *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "adir.nc", "adir.zarr"]
    assert all((tmp_path / d / "keep.txt").read_text() == "mine" for d in ("adir", "adir.nc", "adir.zarr"))


# --- missing packages and an unreachable scheduler -------------------------------------------------

HIDE = "for name in {names!r}:\n    sys.modules[name] = None"


def test_report_without_the_notebooks_extra_says_what_to_install(tmp_path):
    proc = jdmodel("report", "plan", "--out", "r.html", cwd=tmp_path,
                   prelude=HIDE.format(names=["nbformat", "nbclient", "nbconvert"]))
    assert_refused(proc, "pip install 'jdmodel[notebooks]'", "nbformat")
    assert list(tmp_path.iterdir()) == []


def test_dask_without_distributed_says_what_to_install(tmp_path):
    proc = jdmodel("sweep", "plan", "--draws", "10", "--dask", "tcp://127.0.0.1:8786", cwd=tmp_path,
                   prelude=HIDE.format(names=["distributed", "dask.distributed"]))
    assert_refused(proc, "--dask", "pip install 'jdmodel[scale]'")


def test_zarr_without_zarr_says_what_to_install(tmp_path):
    proc = jdmodel("run", "--out", "r.zarr", cwd=tmp_path, prelude=HIDE.format(names=["zarr"]))
    assert_refused(proc, "--out", "zarr", "pip install")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("address, words", [
    (None, ["no dask scheduler answered within"]),
    ("nonsense", ["missing port"]),
    ("tcp://127.0.0.1:99999", ["port 99999"]),
    ("carrier-pigeon://loft:1", ["unknown protocol"]),
])
def test_unreachable_or_malformed_dask_address(tmp_path, address, words):
    pytest.importorskip("distributed")
    address = address or f"tcp://127.0.0.1:{_free_port()}"
    t0 = time.monotonic()
    proc = jdmodel("sweep", "plan", "--draws", "10", "--dask", address, "--out", "s.nc", cwd=tmp_path)
    assert_refused(proc, "--dask", address, *words)
    assert time.monotonic() - t0 < 60
    assert list(tmp_path.iterdir()) == []


def test_scheduler_without_workers_is_reported(monkeypatch):
    pytest.importorskip("distributed")
    from dask.distributed import LocalCluster

    from jdmodel.cli import args as A
    from jdmodel.errors import ParameterError

    monkeypatch.setattr(A, "DASK_WORKER_TIMEOUT", 1)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        with pytest.raises(ParameterError, match="no worker"):
            A.dask_client(cluster.scheduler_address)


# --- parameter files -------------------------------------------------------------------------------

@pytest.mark.parametrize("command, name, words", [
    ("check", "gbk.toml", ["gbk.toml", "GBK", "save it as UTF-8"]),
    ("run", "gbk.toml", ["gbk.toml", "GBK", "save it as UTF-8"]),
    ("check", "utf16_bom.toml", ["utf16_bom.toml", "UTF-16", "save it as UTF-8"]),
    ("run", "utf16_bom.toml", ["utf16_bom.toml", "UTF-16", "save it as UTF-8"]),
    ("check", "utf16le_no_bom.toml", ["utf16le_no_bom.toml", "UTF-16", "save it as UTF-8"]),
])
def test_file_not_in_utf8_names_its_encoding(tmp_path, command, name, words):
    assert_refused(jdmodel(command, str(ENCODINGS / name), cwd=tmp_path), *words)


def test_utf8_with_byte_order_mark_is_accepted(tmp_path):
    proc = jdmodel("check", str(ENCODINGS / "utf8_bom.toml"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "OK" in proc.stdout


@pytest.mark.parametrize("command, name, words", [
    ("check", "deep_nesting.toml", ["deep_nesting.toml", "nested too deeply"]),
    ("run", "deep_nesting.toml", ["deep_nesting.toml", "nested too deeply"]),
    ("check", "huge_integer.toml", ["huge_integer.toml", "levers.funds.ecommerce", "too large"]),
    ("run", "huge_integer.toml", ["huge_integer.toml", "levers.funds.ecommerce", "too large"]),
])
def test_nesting_and_huge_numbers_are_clean_errors(tmp_path, command, name, words):
    assert_refused(jdmodel(command, str(BAD / name), cwd=tmp_path), *words)


def test_moderate_nesting_beyond_the_limit_names_the_key(tmp_path):
    f = tmp_path / "nested.toml"
    f.write_text('extends = "plan"\nsectors.ecommerce.note = ' + "[" * 40 + "]" * 40 + "\n", encoding="utf-8")
    assert_refused(jdmodel("check", str(f), cwd=tmp_path), "nested.toml", "sectors.ecommerce.note", "nested more than")


# one bad file of every kind through the command line, as a user would meet it; the
# whole corpus runs in-process through check_file (tests/test_params.py), which is what `jdmodel check` calls
CLI_CORPUS = [
    ("check", "scenario", "funds_1e308.toml", ["levers.funds.ecommerce", "must be ≤ 10000"]),
    ("run", "scenario", "funds_1e308.toml", ["levers.funds.ecommerce", "must be ≤ 10000"]),
    ("check", "plan", "base_share_other_key.toml", ["base_year.derive[0].share", "within_year.jan_oct.2020"]),
    ("check", "targets", "comparison_list.toml", ["targets.output.comparison", "expected one of"]),
    ("check", "observed", "class_list.toml", ["observation[0].class", "expected one of"]),
    ("check", "market", "value_inf.toml", ["series.point[1].value", "not finite"]),
    ("check", "expost", "scale_not_table.toml", ["scale", "expected a table"]),
    ("check", "policy", "price_above_max.toml", ["price.talent", "must be ≤ 1"]),
    ("check", "region", "industry_exceeds_secondary.toml", ["industrial_coverage", "exceeds secondary value added"]),
    ("check", "concordance", "encoded_gbk.csv", ["concordance.csv", "not UTF-8", "GBK"]),
]


@pytest.mark.parametrize("command, kind, name, words", CLI_CORPUS,
                         ids=[f"{c} {k}/{n}" for c, k, n, _ in CLI_CORPUS])
def test_bad_file_of_every_kind_exits_2_naming_the_key(tmp_path, command, kind, name, words):
    from test_params import place

    path = BAD / name if kind == "scenario" else BAD / kind / name
    target = place(kind, path, tmp_path)
    assert_refused(jdmodel(command, str(target), cwd=tmp_path), target.name, *words)


def test_check_of_a_folder_that_is_not_a_plan(tmp_path):
    (tmp_path / "notes.toml").write_text('extends = "baseline"\n', encoding="utf-8")
    assert_refused(jdmodel("check", str(tmp_path), cwd=tmp_path), str(tmp_path), "holds no plan.toml", "notes.toml")
    scenarios = ROOT / "parameters" / "plans" / "jiading" / "scenarios"
    assert_refused(jdmodel("check", str(scenarios), cwd=tmp_path), "plan.toml is a scenario")
    assert_refused(jdmodel("run", str(tmp_path), cwd=tmp_path), "not a plan folder", "holds no plan.toml")


def test_run_time_overflow_is_a_model_error_naming_the_parameters(tmp_path):
    f = tmp_path / "overflow.toml"
    f.write_text('extends = "baseline"\nsectors.ecommerce.tfp_growth = 0.5\nsectors.ecommerce.infra_effect = 1.0\n'
                 "district.infrastructure = [1, 2, 4, 8, 16, 32, 64, 100, 100, 100]\n", encoding="utf-8")
    assert_refused(jdmodel("run", str(f), cwd=tmp_path), "sector ecommerce", "sectors.ecommerce.tfp_growth",
                   "district.infrastructure")


def test_directory_given_as_a_parameter_file(tmp_path):
    (tmp_path / "d.toml").mkdir()
    from jdmodel.errors import ParameterError
    from jdmodel.params.loader import read_toml

    with pytest.raises(ParameterError, match="is a directory"):
        read_toml(tmp_path / "d.toml")


def test_control_characters_from_a_file_are_escaped(tmp_path):
    f = tmp_path / "ansi.toml"
    f.write_text('extends = "plan"\n"\\u001b]0;pwned\\u0007\\u001b[2J\\u202ered" = 1\n', encoding="utf-8")
    proc = jdmodel("check", str(f), cwd=tmp_path)
    assert_refused(proc, "ansi.toml", "\\x1b]0;pwned\\x07\\x1b[2J\\u202ered")
    assert not any(c in proc.stderr for c in "\x1b\x07\u202e")


def test_control_characters_in_an_argument_are_escaped(tmp_path):
    proc = jdmodel("run", "\x1b[31mred", cwd=tmp_path)
    assert_refused(proc, "\\x1b[31mred")
    assert "\x1b" not in proc.stderr
    proc = jdmodel("run", "--draws", "\x1b[2J", cwd=tmp_path)
    assert_refused(proc, "--draws", "\\x1b[2J")
    assert "\x1b" not in proc.stderr


# --- what is written -------------------------------------------------------------------------------

def test_out_extension_picks_the_format(tmp_path):
    for name in ("r.nc", "r.csv", "r.json"):
        proc = jdmodel("run", "plan", "--out", name, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    import xarray as xr

    with xr.open_dataset(tmp_path / "r.nc") as ds:
        assert ds.attrs["scenario"] == "plan" and "online_economy_output" in ds
    rows = list(csv.DictReader((tmp_path / "r.csv").open(encoding="utf-8")))
    assert [r["target"] for r in rows] == ["output", "enterprises", "projects", "scenarios"]
    assert float(rows[0]["threshold"]) == 4000.0 and rows[0]["reached"] in ("True", "False")
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert {"provenance", "targets", "paths", "indicators", "output_by_sector"} <= set(doc)
    assert doc["provenance"]["scenario"] == "plan" and len(doc["targets"]) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.json", "r.nc"]


def test_sweep_tables_and_zarr(tmp_path):
    proc = jdmodel("sweep", "plan", "--draws", "120", "--chunks", "40", "--out", "s.csv",
                   "--reductions", "red.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader((tmp_path / "s.csv").open(encoding="utf-8")))
    assert 0.0 <= float(rows[0]["p_reach"]) <= 1.0
    doc = json.loads((tmp_path / "red.json").read_text(encoding="utf-8"))
    assert doc["provenance"]["draws"] == 120 and doc["indicators"][0]["units"] == "亿元"
    pytest.importorskip("zarr")
    proc = jdmodel("sweep", "plan", "--draws", "120", "--chunks", "40", "--out", "s.zarr", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr
    import xarray as xr

    assert xr.open_zarr(tmp_path / "s.zarr").sizes["draw"] == 120
    again = jdmodel("sweep", "plan", "--draws", "120", "--out", "s.zarr", cwd=tmp_path)
    assert_refused(again, "--out", "existing directory")


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_files_take_the_users_umask(tmp_path, umask):
    proc = jdmodel("run", "plan", "--out", "r.nc", cwd=tmp_path, umask=umask)
    assert proc.returncode == 0, proc.stderr
    proc = jdmodel("run", "plan", "--out", "r.json", cwd=tmp_path, umask=umask)
    assert proc.returncode == 0, proc.stderr
    for name in ("r.nc", "r.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask, name


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporary_files_are_cleaned_at_the_next_start(tmp_path):
    from jdmodel.outputs import _host

    dead, here = _dead_pid(), _host()
    stale_file = tmp_path / f".old.nc.{dead}@{here}.jdmodel-tmp"
    stale_file.write_bytes(b"half a NetCDF file")
    stale_store = tmp_path / f".old.zarr.{dead}@{here}.jdmodel-tmp"
    stale_store.mkdir()
    (stale_store / "chunk").write_bytes(b"x")
    legacy = tmp_path / f".older.nc.{dead}.jdmodel-tmp"            # the name earlier versions used
    legacy.write_bytes(b"half")
    alive = tmp_path / f".other.nc.{os.getpid()}@{here}.jdmodel-tmp"   # a writer that still runs: left alone
    alive.write_bytes(b"in progress")
    elsewhere = tmp_path / f".shared.nc.{dead}@another-machine.jdmodel-tmp"   # a folder shared with another host
    elsewhere.write_bytes(b"theirs")
    unrelated = tmp_path / ".notes.jdmodel-tmp"
    unrelated.write_text("not ours")
    proc = jdmodel("run", "--out", "x.docx", cwd=tmp_path)       # even a refused run cleans up first
    assert proc.returncode == 2
    assert not stale_file.exists() and not stale_store.exists() and not legacy.exists()
    assert alive.exists() and elsewhere.exists() and unrelated.exists()


@pytest.mark.parametrize("sig, code, word", [(signal.SIGINT, 130, "interrupted"),
                                             (signal.SIGTERM, 143, "terminated")])
def test_interrupted_run_leaves_no_partial_output(tmp_path, sig, code, word):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    # the child gets the default SIGINT action even if this process ignores it (an inherited SIG_IGN
    # would keep Python from turning SIGINT into KeyboardInterrupt)
    proc = subprocess.Popen([sys.executable, "-m", "jdmodel.cli", "sweep", "plan", "--draws", "2000000",
                             "--chunks", "2000", "--out", "big.nc", "--yes"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 90
        while not any(p.name.endswith(".jdmodel-tmp") for p in tmp_path.iterdir()):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the sweep never started writing"
            time.sleep(0.2)
        time.sleep(1.0)                                    # a few chunks into the file
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, err
    assert word in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
