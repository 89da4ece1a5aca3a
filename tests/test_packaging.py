"""The wheel carries what a non-editable install needs: parameter files and report templates."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_ships_parameters_and_templates(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        pytest.skip(f"could not build a wheel here: {r.stderr.strip()[-300:]}")
    (wheel,) = tmp_path.glob("jdmodel-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "parameters").rglob("*") if p.is_file()}
    assert shipped and all(f"jdmodel/{p}" in names for p in shipped), sorted(shipped - {n[8:] for n in names})
    assert "jdmodel/notebooks/report_template.ipynb" in names
    assert "jdmodel/notebooks/compare_template.ipynb" in names
    assert any(n.endswith("entry_points.txt") for n in names)
