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
# The print rules make the page a document: the paper size, margins and page numbers (CSS paged media,
# which Chromium prints since version 131), tables that wrap inside the page instead of scrolling,
# figures scaled to the text width, headings kept with what follows, and no cell forced whole onto a
# new page (which left pages nearly empty).
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- if resources.jd_math -%}{{ super() }}{%- endif -%}{%- endblock -%}
{% block extra_css %}
<style type="text/css">
body { max-width: 60em; margin: 0 auto; }
.jp-RenderedHTMLCommon table.jd-table { border-collapse: collapse; font-size: 0.85em; margin: 0.3em 0 1.2em 0;
  table-layout: auto; width: auto; max-width: 100%; }
.jp-RenderedHTMLCommon table.jd-table th, .jp-RenderedHTMLCommon table.jd-table td { padding: 2px 6px;
  border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; max-width: 28em;
  overflow-wrap: break-word; }
.jp-RenderedHTMLCommon table.jd-table td { font-variant-numeric: tabular-nums; }
p.jd-caption { font-weight: 600; margin-bottom: 0.2em; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
@page { size: {{ resources.jd_paper }}; margin: 16mm 14mm 18mm 14mm;
  @bottom-center { content: "Page " counter(page) " of " counter(pages); font: 9pt sans-serif; color: #555; }
  @bottom-left { content: "{{ resources.jd_footer }}"; font: 8pt sans-serif; color: #777; } }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  .jp-Cell, .jp-Cell-outputWrapper, .jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output,
  .jp-RenderedHTMLCommon { overflow: visible !important; max-height: none !important; padding: 0 !important;
    margin-left: 0 !important; }
  .jp-Cell { padding: 0 !important; }
  /* JupyterLab keeps every cell's input and output whole on a page: a long table then starts on a new page
     and leaves the one before nearly empty */
  .jp-Cell, .jp-Cell-inputWrapper, .jp-Cell-outputWrapper, .jp-OutputArea, .jp-OutputArea-child,
  .jp-OutputArea-output { break-inside: auto !important; page-break-inside: auto !important; }
  .jp-InputArea-prompt, .jp-OutputArea-prompt { display: none !important; }
  .jp-RenderedHTMLCommon table.jd-table { font-size: 8pt; width: 100%; }
  .jp-RenderedHTMLCommon table.jd-table th, .jp-RenderedHTMLCommon table.jd-table td { max-width: none;
    padding: 1px 4px; }
  .jp-RenderedHTMLCommon table.jd-table tr, .jp-OutputArea-output img { break-inside: avoid; }
  .jp-RenderedHTMLCommon table.jd-table thead { display: table-header-group; }
  h1, h2, h3, p.jd-caption { break-after: avoid; }
  h2 { margin-top: 1.2em; }
  a { color: inherit; text-decoration: none; }
}
</style>
{% endblock extra_css %}
"""

#: ``paper`` → the CSS page size
PAPER_SIZES = {"a4": "A4", "letter": "letter"}

#: Executables tried, in order, for ``--format pdf`` (``JDMODEL_CHROMIUM`` names another).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
PDF_TIMEOUT = 180  # seconds for Chromium to lay out and print a report


def to_html(nb, *, show_code: bool = False, paper: str = "a4") -> str:
    """Render an executed notebook as one HTML page: figures embedded as data URIs, inputs hidden unless asked.

    Cells tagged ``remove-cell`` are left out and the input of cells tagged ``remove-input`` is hidden
    (the tags the documentation site honours too); ``show_code`` shows every input. ``paper`` sets the
    printed page size (:data:`PAPER_SIZES`); page numbers and the title print in the footer.
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"jdmodel_report.html.j2": _TEMPLATE})],
                            template_file="jdmodel_report.html.j2")
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    tags = TagRemovePreprocessor(remove_cell_tags={"remove-cell"},
                                 remove_input_tags=set() if show_code else {"remove-input"})
    exporter.register_preprocessor(tags, enabled=True)
    math = any(c.cell_type == "markdown" and "$" in c.source for c in nb.cells)
    title = str(nb.metadata.get("title", ""))
    footer = "".join(c if c.isalnum() or c in " ._-:·" else " " for c in title)[:90]
    body, _ = exporter.from_notebook_node(nb, resources={"jd_math": math, "jd_paper": PAPER_SIZES[paper],
                                                         "jd_footer": footer})
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
