"""``render``: inject parameters into a template notebook, execute it in a fresh kernel, export it atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from jdmodel.errors import JdmodelError, ParameterError
from jdmodel.progress import Progress

TEMPLATES = {"report": "report_template.ipynb", "compare": "compare_template.ipynb"}
DESIGNS = ("lhs", "sobol", "mc")
FORMATS = ("html", "pdf")
PAPERS = ("a4", "letter")
#: ``--out`` extension → format
EXTENSIONS = {".html": "html", ".pdf": "pdf"}
#: What executing and exporting a report needs (the ``notebooks`` extra), import name → distribution
NEEDS = {"nbformat": "nbformat", "nbclient": "nbclient", "nbconvert": "nbconvert", "ipykernel": "ipykernel",
         "matplotlib": "matplotlib"}
CELL_TIMEOUT = 600  # seconds per cell; a report with many draws or a large sensitivity run can take minutes


class ReportError(JdmodelError):
    """A report template failed to execute or export.

    Attributes
    ----------
    cell_index : int or None
        Index of the failing cell in the notebook (after the injected parameters cell).
    cell_source : str
        First line of the failing cell's source.
    ename, evalue : str
        The exception raised in the cell.
    notebook : pathlib.Path or None
        The executed notebook, kept for debugging (``<out>.failed.ipynb``).
    """

    def __init__(self, message: str, *, cell_index: int | None = None, cell_source: str = "", ename: str = "",
                 evalue: str = "", notebook: Path | None = None) -> None:
        super().__init__(message)
        self.cell_index, self.cell_source, self.ename, self.evalue = cell_index, cell_source, ename, evalue
        self.notebook = notebook


def default_template(kind: str = "report") -> Path:
    """The shipped template: ``notebooks/<kind>_template.ipynb`` (or ``jdmodel/notebooks/`` when installed)."""
    here = Path(__file__).resolve().parents[1]
    for folder in (here / "notebooks", here.parent / "notebooks"):
        if (folder / TEMPLATES[kind]).is_file():
            return folder / TEMPLATES[kind]
    raise ParameterError(f"the report template {TEMPLATES[kind]} is not installed (looked in {here / 'notebooks'} "
                         f"and {here.parent / 'notebooks'}); pass template=PATH (--template PATH)")


def require_notebooks() -> None:
    """Refuse, before any work, when the packages a report needs are missing (``jdmodel[notebooks]``)."""
    missing = []
    for module, dist in NEEDS.items():
        try:
            __import__(module)
        except ImportError:
            missing.append(dist)
    if missing:
        raise ParameterError(f"report: needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                             "not installed: pip install 'jdmodel[notebooks]'")


def scenario_spec(sc) -> str | dict[str, Any]:
    """What the kernel needs to rebuild ``sc`` exactly: its file, and its overrides if any."""
    if not sc.files:
        raise ParameterError(f"scenario {sc.name!r} was not read from a file, so a report kernel cannot rebuild it")
    spec: dict[str, Any] = {"source": str(Path(sc.files[0]).resolve()), "name": sc.name}
    if sc.overrides:
        spec["overrides"] = {k: _plain(v) for k, v in sc.overrides.items()}
    from jdmodel.report.sections import scenario

    if scenario(spec).sha256 != sc.sha256:
        raise ParameterError(f"scenario {sc.name!r} cannot be rebuilt from its file and overrides in the report "
                             "kernel (was it changed in place?); save it as a scenario file")
    if sc.overrides or Path(sc.files[0]).stem != sc.name:
        return spec
    from jdmodel.params.plan import DEFAULT_PLAN, plans_dir

    shipped = sc.plan.scenario_path(sc.name)
    if not (shipped.is_file() and shipped.resolve() == Path(spec["source"])):
        return spec["source"]
    if sc.plan.folder.parent.resolve() != plans_dir().resolve():
        return spec["source"]               # a plan folder of the user's: its file's path finds its plan
    return sc.name if sc.plan.id == DEFAULT_PLAN else f"{sc.plan.id}/{sc.name}"


def _plain(v: Any) -> Any:
    """Overrides as Python literals (numpy arrays and scalars become lists and floats)."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


def _check(draws: Any, seed: Any, design: str, fmt: str, sensitivity_n: Any) -> None:
    from jdmodel.uncertainty.rng import check_draws, check_seed

    check_draws(draws, "report: draws")
    check_seed(seed, "report: seed")
    if design not in DESIGNS:
        raise ParameterError(f"report: design must be one of {', '.join(DESIGNS)}, got {design!r}")
    if fmt not in FORMATS:
        raise ParameterError(f"report: format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    n = sensitivity_n
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0 or (n and n & (n - 1)):
        raise ParameterError(f"report: sensitivity_n must be 0 (no sensitivity section) or a power of 2 "
                             f"(Sobol' base sample), got {n!r}")


def inject(nb, parameters: Mapping[str, Any]):
    """Insert a code cell assigning ``parameters`` after the cell tagged ``parameters`` (papermill's convention)."""
    import nbformat

    lines = ["# Parameters injected by jdmodel report"] + [f"{k} = {v!r}" for k, v in parameters.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines), metadata={"tags": ["injected-parameters"]})
    at = next((i + 1 for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), 0)
    nb.cells.insert(at, cell)
    return nb


def _kernel_env() -> dict[str, str]:
    """The parent's environment, with this jdmodel first on the kernel's path."""
    import jdmodel

    env = dict(os.environ)
    root = str(Path(jdmodel.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def execute(nb, *, template: Path, failed: Path, timeout: int = CELL_TIMEOUT, progress=None):
    """Run every code cell in a fresh kernel; on failure keep the notebook at ``failed`` and raise ReportError."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
    with tempfile.TemporaryDirectory(prefix="jdmodel-report-") as work:
        client = NotebookClient(nb, timeout=timeout, kernel_name=kernel, resources={"metadata": {"path": work}})
        km = client.create_kernel_manager()
        # local sockets instead of TCP on localhost: nothing listens on a port, and the kernel does not warn
        km.transport, km.ip = "ipc", os.path.join(work, "kernel")
        index = None
        try:
            with client.setup_kernel(env=_kernel_env()):
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type == "code":
                        if progress is not None:
                            progress.update(0, note=_heading_before(nb.cells, index) or "running the model")
                        client.execute_cell(cell, index)
                        if progress is not None:
                            progress.update(1)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
            from jdmodel.outputs import write_atomic

            write_atomic(failed, nbformat.writes(nb))
            cell = nb.cells[index] if index is not None else None
            first = next((ln for ln in (cell.source if cell else "").splitlines() if ln.strip()), "")
            ename = getattr(err, "ename", type(err).__name__)
            evalue = getattr(err, "evalue", str(err).strip().splitlines()[-1] if str(err).strip() else "")
            raise ReportError(f"report template {template}: cell {index} failed: `{first.strip()}` raised "
                              f"{ename}: {evalue}\nthe executed notebook is kept at {failed}",
                              cell_index=index, cell_source=first, ename=ename, evalue=evalue,
                              notebook=failed) from None
        except Exception as err:  # no kernel at all: a missing ipykernel or kernelspec
            if index is not None:
                raise
            raise ReportError(f"report: cannot start a {kernel!r} Jupyter kernel ({type(err).__name__}: {err}); "
                              "pip install ipykernel") from None
    return nb


def _heading_before(cells, index: int) -> str:
    """The last Markdown heading above cell ``index`` (what a progress line names)."""
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("# ").strip()
    return ""


def render(scenarios: Any, out: str | os.PathLike, *, draws: int = 1000, seed: int = 1, design: str = "lhs",
           template: str | os.PathLike | None = None, show_code: bool = False, fmt: str | None = None,
           reference: Any = None, sensitivity_n: int = 128, timeout: int = CELL_TIMEOUT,
           paper: str = "a4", posterior: str | os.PathLike | None = None) -> Path:
    """Execute a report template for one scenario (or compare several) and write it as HTML or PDF.

    Parameters
    ----------
    scenarios : str, Scenario or sequence of them
        One scenario: a report (``notebooks/report_template.ipynb``); several: a comparison
        (``notebooks/compare_template.ipynb``). Names, paths or :class:`~jdmodel.Scenario` objects
        (overrides included).
    out : path
        The report file, ``.html`` or ``.pdf``. Written atomically; a failed run leaves nothing there (an older file at
        that path stays as it was) and keeps the executed notebook as ``<stem>.failed.ipynb``.
    draws, seed, design : int, int, {"lhs", "sobol", "mc"}
        The ensemble behind P(reach) and the fan charts (``jd.simulate(sc, draws, seed, design)``).
    template : path, optional
        Another notebook to execute; it receives the parameters below in a cell injected after
        its cell tagged ``parameters``.
    show_code : bool
        Include the code cells' input (hidden by default).
    fmt : {"html", "pdf"}, optional
        Default: from the extension of ``out``; given, it must agree with it. PDF needs Chromium.
    reference : str or Scenario, optional
        The scenario the parameters are listed against; default: the file each scenario extends (its
        parent), so a two-line scenario of one's own shows its two lines.
    sensitivity_n : int
        Sobol' base sample of the sensitivity ranking (a power of 2; 0 leaves the section out).
    timeout : int
        Seconds allowed per cell.
    paper : {"a4", "letter"}
        Page size of a PDF (A4 unless asked).
    posterior : path, optional
        A posterior written by ``jdmodel infer`` (``SCENARIO_posterior.nc``) for the scenario's plan: the
        section on the published figures adds the targets *given* them (prior and posterior P(reach) with
        Monte Carlo errors and evidence, the sampler's facts, the headline indicator's bands before and
        after), read from the file; a posterior sampled for other parameters is shown with a warning. One
        scenario only.

    Returns
    -------
    pathlib.Path
        The report written.

    Raises
    ------
    ParameterError
        Bad arguments or scenarios, an ``out`` that is not a new or existing ``.html``/``.pdf`` file in an
        existing folder, a ``posterior`` that is missing, not a posterior of ``jdmodel infer`` or of another
        plan, or missing packages (all before any kernel starts).
    ReportError
        A cell of the template failed (its index, first line and exception in the message), or
        the export failed.

    Examples
    --------
    >>> from jdmodel.report import render
    >>> render("baseline", "baseline.html", draws=500, seed=1)  # doctest: +SKIP
    PosixPath('baseline.html')
    """
    from jdmodel.outputs import check_target, write_atomic
    from jdmodel.params.scenario import load_scenario

    items = [scenarios] if isinstance(scenarios, str | os.PathLike) or not isinstance(scenarios, Sequence) \
        else list(scenarios)
    if not items:
        raise ParameterError("report: give at least one scenario")
    out = check_target(out, formats={ext: f"{kind.upper()} report" for ext, kind in EXTENSIONS.items()})
    implied = EXTENSIONS[out.suffix.lower()]
    _check(draws, seed, design, fmt or implied, sensitivity_n)
    if fmt is not None and fmt != implied:
        raise ParameterError(f"report: --format {fmt} does not match --out {out} (a {out.suffix} file is "
                             f"{implied.upper()}); name the file .{fmt} or leave --format out")
    fmt = implied
    require_notebooks()
    import nbformat

    from jdmodel.report.export import html_to_pdf, to_html

    if fmt == "pdf":
        from jdmodel.report.export import find_chromium

        if find_chromium() is None:  # say so before minutes of execution, not after
            raise ReportError("report: --format pdf needs Chromium (Debian: apt-get install chromium; or set "
                              "JDMODEL_CHROMIUM to a Chrome/Chromium executable); none was found on PATH")
    loaded = [load_scenario(s) for s in items]  # bad names fail here, before a kernel starts
    if posterior is not None:
        if len(loaded) > 1:
            raise ParameterError("report: --posterior goes with one scenario, not a comparison")
        from jdmodel.expost.posterior_file import check_posterior

        check_posterior(posterior, plan=loaded[0].plan, what="report: --posterior")   # names the file if bad
    if paper not in PAPERS:
        raise ParameterError(f"report: paper must be one of {', '.join(PAPERS)}, got {paper!r}")
    ref = None
    if reference is not None:
        ref = load_scenario(reference, plan=loaded[0].plan) if isinstance(reference, str) and "/" not in reference \
            and not reference.endswith(".toml") else load_scenario(reference)
    path = Path(template) if template is not None else default_template("report" if len(items) == 1 else "compare")
    if not path.is_file():
        raise ParameterError(f"report: template {path} does not exist")
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as err:
        raise ParameterError(f"report: template {path} is not a readable notebook ({err})") from None
    params = {"scenarios": [scenario_spec(sc) for sc in loaded], "reference": None if ref is None else scenario_spec(ref),
              "draws": int(draws), "seed": int(seed), "design": design, "sensitivity_n": int(sensitivity_n)}
    if posterior is not None:
        params["posterior"] = str(Path(posterior).resolve())
    inject(nb, params)
    nb.metadata["title"] = "jdmodel report: " + " vs ".join(sc.name for sc in loaded)
    failed = out.with_name(out.stem + ".failed.ipynb")
    code_cells = sum(c.cell_type == "code" for c in nb.cells)
    with Progress(code_cells + (1 if fmt == "pdf" else 0), label="report", every=5.0, ticker=True) as bar:
        execute(nb, template=path, failed=failed, timeout=timeout, progress=bar)
        page = to_html(nb, show_code=show_code, paper=paper)
        bar.update(0, note="printing to PDF" if fmt == "pdf" else "")
        try:
            data = html_to_pdf(page) if fmt == "pdf" else page.encode("utf-8")
        except JdmodelError as err:
            raise ReportError(f"report: {err}") from None
        bar.update(1 if fmt == "pdf" else 0)
    write_atomic(out, data)
    failed.unlink(missing_ok=True)
    return out
