"""An executed notebook to a standalone HTML page (nbconvert) or a PDF (headless Chromium), written atomically."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from jdmodel.errors import JdmodelError

# The lab template without require.js (no widgets in a report) and with MathJax only when a markdown
# cell has maths: a report that fetches nothing from the network opens offline and prints to PDF quickly.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- if resources.jd_math -%}{{ super() }}{%- endif -%}{%- endblock -%}
{% block extra_css %}
<style type="text/css">
body { max-width: 1200px; margin: 0 auto; }
.jp-RenderedHTMLCommon table.jd-table { border-collapse: collapse; font-size: 0.85em; margin: 0.3em 0 1.2em 0;
  table-layout: auto; }
.jp-RenderedHTMLCommon table.jd-table th, .jp-RenderedHTMLCommon table.jd-table td { padding: 2px 8px;
  border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; max-width: 40em; }
.jp-RenderedHTMLCommon table.jd-table td { font-variant-numeric: tabular-nums; }
p.jd-caption { font-weight: 600; margin-bottom: 0.2em; }
@media print { .jp-Cell { break-inside: avoid; } }
</style>
{% endblock extra_css %}
"""

#: Executables tried, in order, for ``--format pdf`` (``JDMODEL_CHROMIUM`` names another).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
PDF_TIMEOUT = 180  # seconds for Chromium to lay out and print a report


def to_html(nb, *, show_code: bool = False) -> str:
    """Render an executed notebook as one HTML page: figures embedded as data URIs, inputs hidden unless asked."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"jdmodel_report.html.j2": _TEMPLATE})],
                            template_file="jdmodel_report.html.j2")
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    math = any(c.cell_type == "markdown" and "$" in c.source for c in nb.cells)
    body, _ = exporter.from_notebook_node(nb, resources={"jd_math": math})
    return body


def find_chromium() -> str | None:
    """Path of a Chromium (or Chrome) executable: ``$JDMODEL_CHROMIUM``, else the first on ``PATH``."""
    named = os.environ.get("JDMODEL_CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str, *, chromium: str | None = None) -> bytes:
    """Print an HTML page to PDF with headless Chromium (``--print-to-pdf``).

    Raises
    ------
    JdmodelError
        When no Chromium is found, or it fails or produces no PDF.
    """
    exe = chromium or find_chromium()
    if exe is None:
        raise JdmodelError("--format pdf needs Chromium (Debian: apt-get install chromium; or set JDMODEL_CHROMIUM "
                           "to a Chrome/Chromium executable); none was found on PATH")
    with tempfile.TemporaryDirectory(prefix="jdmodel-pdf-") as tmp:
        page, pdf = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        # Chromium refuses to run as root with its sandbox, and a container may offer no sandbox at all;
        # the page printed is the report itself and loads nothing from the network
        no_sandbox = hasattr(os, "geteuid") and os.geteuid() == 0
        proc = _print(exe, page, pdf, Path(tmp) / "profile", no_sandbox)
        if not pdf.is_file() and not no_sandbox and "sandbox" in proc.stderr.lower():
            proc = _print(exe, page, pdf, Path(tmp) / "profile", True)
        data = pdf.read_bytes() if pdf.is_file() else b""
        if not data.startswith(b"%PDF"):
            tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
            raise JdmodelError(f"{exe} produced no PDF (exit {proc.returncode}):\n{tail}")
        return data


def _print(exe: str, page: Path, pdf: Path, profile: Path, no_sandbox: bool) -> subprocess.CompletedProcess:
    cmd = [exe, "--headless", "--disable-gpu", "--no-pdf-header-footer", "--no-first-run",
           f"--user-data-dir={profile}", f"--print-to-pdf={pdf}", *(["--no-sandbox"] if no_sandbox else []),
           page.as_uri()]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=PDF_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise JdmodelError(f"{exe} did not print the report to PDF within {PDF_TIMEOUT} s") from None
