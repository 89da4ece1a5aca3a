"""The documentation site builds with warnings as errors; a broken cross-reference fails it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_nb")

ROOT = Path(__file__).resolve().parents[1]
#: notebooks rewritten in another line of work; their prose cells are checked once that lands
EDITED_ELSEWHERE = {"06_ex_post"}
BUILD_TIMEOUT = 900


def build(src: Path, out: Path, *, execute: bool | None, conf: Path = ROOT / "docs") -> subprocess.CompletedProcess:
    """Build the site; ``execute=None`` leaves ``JDMODEL_DOCS_EXECUTE`` unset (the default: execute)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("JDMODEL_DOCS_EXECUTE", None)
    if execute is not None:
        env["JDMODEL_DOCS_EXECUTE"] = "1" if execute else "0"
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


def test_docs_build_executes_the_notebooks(tmp_path):
    """The site as published: every notebook executed during the build, outputs shown, prose code hidden."""
    env_default = build(ROOT, tmp_path, execute=None)
    assert env_default.returncode == 0, f"docs build failed:\n{env_default.stderr[-4000:]}"
    html = tmp_path / "html"
    _check_site(html)
    pages = {p.stem: p.read_text(encoding="utf-8") for p in (html / "notebooks").glob("*.html")}
    figures = {name: page.count("<img") for name, page in pages.items()}
    assert all(n >= 1 for name, n in figures.items() if name != "02_levers_dashboard"), figures
    for name, page in pages.items():
        if name in EDITED_ELSEWHERE:
            continue
        # the sentences a cell writes are on the page; the f-strings that wrote them are not (code is highlighted
        # token by token, so the page's text is read without its tags)
        text = unescape(re.sub(r"<[^>]+>", "", page))
        assert "display(Markdown(" not in text and "coder_notes(" not in text, f"{name} shows prose-writing code"
    assert "What this means" in pages["00_quickstart"] and "亿元" in pages["00_quickstart"]


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



def test_docs_build_without_execution_on_request(tmp_path):
    proc = build(ROOT, tmp_path, execute=False)
    assert proc.returncode == 0, f"docs build failed:\n{proc.stderr[-4000:]}"
    page = (tmp_path / "html" / "notebooks" / "00_quickstart.html").read_text(encoding="utf-8")
    assert "<img" not in page                      # JDMODEL_DOCS_EXECUTE=0: the notebooks as stored
