"""Reports: a template notebook executed with injected parameters and rendered as HTML (or PDF).

::

    from jdmodel.report import render
    render("plan", "plan.html", draws=2000, seed=1)                  # one scenario
    render(["plan", "funds_heavy"], "compare.html", draws=1000)      # side by side

or ``jdmodel report plan --out plan.html`` (see ``docs/publishing.md``). The templates are
``notebooks/report_template.ipynb`` and ``notebooks/compare_template.ipynb``; the tables and figures
they show come from :mod:`jdmodel.report.sections` and :mod:`jdmodel.report.compare`.

Importing this package is cheap: nbclient, nbconvert and pandas load on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["render", "ReportError", "default_template"]


def __getattr__(name: str) -> Any:
    if name in ("render", "ReportError", "default_template"):
        from jdmodel.report import build

        return getattr(build, name)
    raise AttributeError(f"module 'jdmodel.report' has no attribute {name!r}")
