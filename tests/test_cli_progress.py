"""The command line says how far long work got (plain lines in a pipe), writes Excel tables, and asks before
writing more than a gigabyte of per-draw results."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import jdmodel as jd
from jdmodel.cli import args as A
from jdmodel.errors import ParameterError
from jdmodel.progress import Progress, working

ROOT = Path(__file__).resolve().parents[1]


def jdmodel(*args: str, cwd: Path, stdin=subprocess.DEVNULL, timeout: float = 300):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "jdmodel.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=stdin)


# --- progress ------------------------------------------------------------------------------------------

def test_progress_prints_plain_lines_in_a_pipe_only_for_long_work(capsys):
    with Progress(3, label="quick", every=5.0) as bar:
        for _ in range(3):
            bar.update(1)
    assert capsys.readouterr().err == ""                 # short work says nothing
    with Progress(4, label="long", every=0.05) as bar:
        for k in range(4):
            time.sleep(0.06)
            bar.update(1, note=f"step {k}")
    err = capsys.readouterr().err
    assert "long: 1/4 (25%)" in err and "— step 0" in err and "long: done in" in err
    assert "\r" not in err and "\x1b" not in err           # plain lines: no carriage returns in a log


def test_working_ticks_while_a_step_runs(capsys):
    with working("jdmodel thing", every=0.05):
        time.sleep(0.3)
    err = capsys.readouterr().err
    assert err.count("jdmodel thing: 0/1") >= 2 and "jdmodel thing: done in" in err


def test_report_shows_progress_in_a_pipe(tmp_path):
    proc = jdmodel("report", "baseline", "--draws", "100", "--sensitivity-n", "0", "--out", "r.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "report: " in proc.stderr and "report: done in" in proc.stderr
    assert proc.stdout.strip() == "report written to r.html"


# --- Excel -----------------------------------------------------------------------------------------------

def test_run_writes_the_tables_as_an_excel_workbook(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    proc = jdmodel("run", "plan", "--draws", "200", "--seed", "1", "--out", "t.xlsx", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert wb.sheetnames == ["targets", "paths", "indicators", "output_by_sector", "provenance"]
    head = [c.value for c in wb["targets"][1]]
    rows = [dict(zip(head, [c.value for c in r], strict=True)) for r in wb["targets"].iter_rows(min_row=2)]
    rep = jd.assess(jd.sweep("plan", draws=200, seed=1, progress=False))
    assert [r["target"] for r in rows] == [r.target.id for r in rep.results]
    assert [r["p_reach"] for r in rows] == pytest.approx([r.probability for r in rep.results])
    assert isinstance(rows[0]["threshold"], float | int) and rows[0]["evidence"] in ("observed", "assumed")
    assert list(tmp_path.iterdir()) == [tmp_path / "t.xlsx"]


def test_excel_without_openpyxl_is_refused_before_any_work(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    code = ("import sys; sys.modules['openpyxl'] = None\nfrom jdmodel.cli import main\n"
            "sys.exit(main(['run', 'plan', '--out', 't.xlsx']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "openpyxl" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


# --- size -------------------------------------------------------------------------------------------------

def test_a_sweep_over_a_gigabyte_is_refused_without_a_terminal(tmp_path):
    proc = jdmodel("sweep", "plan", "--draws", "300000", "--out", "big.nc", cwd=tmp_path, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "GB" in proc.stderr and "--yes" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_size_estimate_scales_with_draws_and_asks_at_a_terminal(tmp_path):
    sc = jd.load_scenario("plan")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    from jdmodel.pipeline.results import per_draw_bytes

    per_draw = per_draw_bytes(sc)
    small = A.confirm_size(sc, 1000, tmp_path / "a.nc", io=False, yes=False)
    assert small == pytest.approx(1000 * per_draw)
    draws = int(2e9 / per_draw)
    with pytest.raises(ParameterError, match="not written"):
        A.confirm_size(sc, draws, tmp_path / "b.nc", io=False, yes=False, stdin=Terminal("n\n"))
    assert A.confirm_size(sc, draws, tmp_path / "b.nc", io=False, yes=False, stdin=Terminal("y\n")) > 1e9
    assert A.confirm_size(sc, draws, tmp_path / "b.nc", io=False, yes=True, stdin=io.StringIO("")) > 1e9
    # the estimate holds: a small file written is within a factor of two of it
    proc = jdmodel("run", "plan", "--draws", "2000", "--seed", "1", "--no-io", "--out", "s.nc", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "writing about" in proc.stderr
    size = (tmp_path / "s.nc").stat().st_size
    assert 0.5 < size / (2000 * per_draw) < 2.0
