"""End to end: every numbered notebook runs top to bottom in a fresh kernel, and is stored clean.

A failing cell fails the test with the notebook's name, the cell's index and its source.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from nbclient.exceptions import CellExecutionError, CellTimeoutError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
CELL_TIMEOUT = 180      # seconds per cell; a notebook cell that needs more is too slow for the suite


def test_notebooks_present():
    names = {p.stem for p in NOTEBOOKS}
    for expected in ("00_quickstart", "01_targets_arithmetic", "02_levers_dashboard", "03_input_output",
                     "04_uncertainty"):
        assert expected in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: cell {i} is stored with outputs; strip them before committing")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), (
        f"{path.name}: the first cell should be a markdown title stating the question")
    assert any(c.cell_type == "markdown" and "what this means" in c.source.lower() for c in nb.cells), (
        f"{path.name}: no 'What this means' ending")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_prose_writing_cells_hide_their_code(path):
    """A cell that writes sentences from computed numbers shows the sentences, not the f-strings (docs, reports)."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and ("display(Markdown(" in cell.source or "coder_notes(" in cell.source):
            assert "remove-input" in cell.metadata.get("tags", []), f"{path.name}: cell {i} writes prose but shows its code"
            assert cell.metadata.get("jupyter", {}).get("source_hidden"), f"{path.name}: cell {i} is not collapsed"


def test_dashboard_page_speaks_to_readers_who_do_not_code():
    """On Voilà the markdown is all a reader sees of the notebook: no commands, no code."""
    nb = nbformat.read(ROOT / "notebooks" / "02_levers_dashboard.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert "```" not in cell.source and "jdmodel " not in cell.source and "dash." not in cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, monkeypatch):
    # the kernel imports this checkout's jdmodel, like the tests do, and writes nothing into the repository
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except (CellExecutionError, CellTimeoutError) as err:
                pytest.fail(f"{path.name}: cell {index} failed\n--- source ---\n{cell.source}\n--- error ---\n{err}",
                            pytrace=False)
    errors = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
              and any(o.get("output_type") == "error" for o in c.outputs)]
    assert not errors, f"{path.name}: cells {errors} produced errors"
    tofu = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" for o in c.outputs
            if o.get("output_type") == "stream" and "missing from font" in o.get("text", "")]
    assert not tofu, f"{path.name}: cells {sorted(set(tofu))} drew characters the font lacks (tofu boxes)"
    figures = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    if path.stem != "02_levers_dashboard":      # the dashboard draws into a widget, not a cell output
        assert figures >= 1, f"{path.name}: no figure was drawn"
