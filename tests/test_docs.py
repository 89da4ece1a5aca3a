"""The documentation site builds with warnings as errors; a broken cross-reference fails it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_nb")

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT = 300


def build(src: Path, out: Path, *, execute: bool, conf: Path = ROOT / "docs") -> subprocess.CompletedProcess:
    env = dict(os.environ, JDMODEL_DOCS_EXECUTE="1" if execute else "0",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-c", str(conf),
           "-d", str(out / ".doctrees"), str(src), str(out / "html")]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=BUILD_TIMEOUT, check=False)


def _check_site(html: Path) -> None:
    pages = {p.stem for p in (html / "docs").glob("*.html")}
    expected = {"index", "getting_started", "model", "equations", "parameters", "parameters_reference",
                "inputoutput", "uncertainty", "counting", "expost", "cli", "notebooks", "publishing", "api"}
    assert expected <= pages, f"missing pages: {sorted(expected - pages)}"
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
    assert notebooks and all((html / "notebooks" / f"{n}.html").is_file() for n in notebooks)
    assert not (html / "notebooks" / "report_template.html").exists()   # templates are not pages
    api = (html / "docs" / "api.html").read_text(encoding="utf-8")
    for name in ("jdmodel.load_scenario", "jdmodel.simulate", "jdmodel.assess", "jdmodel.sensitivity",
                 "jdmodel.evaluate", "jdmodel.report.build.render"):
        assert f'id="{name}"' in api, f"{name} is not documented in the API reference"
    assert "Examples" in api and "Parameters" in api          # numpydoc sections rendered, not raw text
    assert ".. autofunction::" not in api
    assert 'url=docs/index.html' in (html / "index.html").read_text(encoding="utf-8")


def test_docs_build(tmp_path):
    proc = build(ROOT, tmp_path, execute=False)
    assert proc.returncode == 0, f"docs build failed:\n{proc.stderr[-4000:]}"
    _check_site(tmp_path / "html")


def test_broken_cross_reference_fails_the_build(tmp_path):
    src = tmp_path / "src"
    (src / "docs").mkdir(parents=True)
    shutil.copy(ROOT / "docs" / "conf.py", src / "docs" / "conf.py")
    (src / "docs" / "index.md").write_text("# Site\n\nSee [the model](model.md).\n\n```{toctree}\nmodel\n```\n",
                                           encoding="utf-8")
    (src / "docs" / "model.md").write_text("# Model\n\nBack to [the index](index.md#site).\n", encoding="utf-8")
    good = build(src, tmp_path / "good", execute=False, conf=src / "docs")
    assert good.returncode == 0, good.stderr[-2000:]
    (src / "docs" / "model.md").write_text("# Model\n\nSee [nowhere](nowhere.md) and [a section](index.md#none).\n",
                                           encoding="utf-8")
    bad = build(src, tmp_path / "bad", execute=False, conf=src / "docs")
    assert bad.returncode != 0
    assert "nowhere.md" in bad.stderr


@pytest.mark.slow
def test_docs_build_with_executed_notebooks(tmp_path):
    proc = build(ROOT, tmp_path, execute=True)
    assert proc.returncode == 0, f"docs build (notebooks executed) failed:\n{proc.stderr[-4000:]}"
    _check_site(tmp_path / "html")
    figures = sum(p.read_text(encoding="utf-8").count("<img") for p in (tmp_path / "html" / "notebooks").glob("*.html"))
    assert figures >= 4, "executed notebooks should show their figures"
