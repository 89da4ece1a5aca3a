"""Sphinx configuration of the jdmodel documentation site.

Build it from the repository root (``docs/publishing.md``)::

    python -m sphinx -W --keep-going -c docs . docs/_build/html

The source directory is the repository root, with this configuration in ``docs/`` (the top level of
the repository is fixed): that way the pages in ``docs/`` and the notebooks in ``notebooks/`` are one
site and link to each other by their paths in the repository. ``include_patterns`` picks them.

Notebooks are executed during the build (myst-nb, 180 s per cell), so their pages show tables, figures
and the prose their cells write; cells tagged ``remove-input`` show their output without their code.
``JDMODEL_DOCS_EXECUTE=0`` renders them as stored (without outputs), for a quick check of the pages.
"""

from __future__ import annotations

import os
import re
import sys
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# the notebooks myst-nb executes import this checkout too
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")

import jdmodel  # noqa: E402

project = "jdmodel"
author = "jdmodel contributors"
copyright = "jdmodel contributors"
release = version = jdmodel.__version__
language = "en"

root_doc = "docs/index"
include_patterns = ["docs/*.md", "docs/plans/*.md", "notebooks/[0-9]*.ipynb"]
exclude_patterns = ["docs/_build/**", "**/.ipynb_checkpoints/**"]

extensions = [
    "myst_nb",                # MyST Markdown pages and Jupyter notebooks (myst-parser included)
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",    # numpydoc-style sections
    "sphinx.ext.mathjax",
]

# --- MyST ------------------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
myst_dmath_double_inline = True
# heading levels that skip one (H2 → H4 in counting.md) are a matter of style, not a broken page
suppress_warnings = ["myst.header"]

# --- notebooks -------------------------------------------------------------------------------------
nb_execution_mode = "off" if os.environ.get("JDMODEL_DOCS_EXECUTE", "1").strip().lower() in ("0", "no", "false",
                                                                                          "off") else "force"
nb_execution_timeout = 180
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# --- API reference ---------------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_preprocess_types = False

# --- HTML ------------------------------------------------------------------------------------------
try:
    import furo  # noqa: F401

    html_theme = "furo"
except ImportError:  # pragma: no cover - the test extra installs furo
    html_theme = "alabaster"
html_title = f"jdmodel {release}"
html_show_sourcelink = False

# Public objects that land in the library later (jd.frontier, jd.optimise_budget) and pages that come
# with them: documented as soon as they exist, a note until then. Anything else missing fails the build.
OPTIONAL_OBJECTS = ("jdmodel.frontier", "jdmodel.optimise_budget")
OPTIONAL_PAGES = ("policy",)

_AUTO = re.compile(r"^\.\. (auto\w+):: (\S+)\n((?:   .*\n)*)", re.M)


def _importable(dotted: str) -> bool:
    module, _, name = dotted.rpartition(".")
    try:
        return hasattr(import_module(module), name)
    except ImportError:
        return False


def _drop_missing(app, docname: str, source: list[str]) -> None:
    text = source[0]
    if docname == "docs/api":
        def note(m: re.Match) -> str:
            if m.group(2) not in OPTIONAL_OBJECTS or _importable(m.group(2)):
                return m.group(0)
            return f".. note:: ``{m.group(2)}`` is not part of this version of jdmodel.\n"

        text = _AUTO.sub(note, text)
    if docname == "docs/index":
        for page in OPTIONAL_PAGES:
            if not (ROOT / "docs" / f"{page}.md").is_file():
                text = re.sub(rf"^{page}\n", "", text, flags=re.M)
    source[0] = text


def _redirect(app, exception) -> None:
    """A top-level index.html that opens docs/index.html (the source directory is the repository root)."""
    if exception is None and app.builder.format == "html":
        Path(app.outdir, "index.html").write_text(
            '<!DOCTYPE html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=docs/index.html">'
            '<a href="docs/index.html">jdmodel documentation</a>\n', encoding="utf-8")


def setup(app):
    app.connect("source-read", _drop_missing)
    app.connect("build-finished", _redirect)
    return {"parallel_read_safe": True}
