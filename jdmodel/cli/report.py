"""``jdmodel report``: the sub-command, registered by :func:`register` into ``jdmodel``'s parser.

Exit codes: 0 written; 2 bad input (unknown scenario, bad option: nothing is executed);
1 the template failed in a cell or the export failed (the message names the cell; the executed
notebook is kept as ``<out>.failed.ipynb``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from jdmodel.cli import args as A


def register(subparsers) -> None:
    """Add ``report`` to the ``jdmodel`` sub-commands."""
    p = subparsers.add_parser(
        "report", help="execute the report notebook for scenarios and render it as HTML or PDF",
        description="Execute the report template for a scenario (or the comparison template for several) with "
        "injected parameters in a fresh kernel, and write a standalone HTML page (figures embedded, code hidden) "
        "or an A4 PDF that reads like a brief: the answer in a paragraph, the headline total against its target, the "
        "targets with P(reach) and their evidence, what drives the result, what public funds would take, the model "
        "beside the published figures (and, with --posterior, the targets given them), methods, the parameters against the file the scenario extends, the full "
        "parameter set, its hash, the seed and the versions. Written atomically; exit 2 on bad input, 1 when a cell fails.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="scenario names or TOML paths; two or more make a side-by-side comparison")
    p.add_argument("--out", type=Path, default=None,
                   help="output file, .html or .pdf (default report.html, or report.pdf with --format pdf)")
    p.add_argument("--draws", type=A.count, default=1000, help="ensemble size behind P(reach) and fan charts (1000)")
    p.add_argument("--seed", type=A.seed, default=1, help="seed of the ensemble and the sensitivity design, "
                   "0 to 2**64-1 (1)")
    p.add_argument("--design", choices=["lhs", "sobol", "mc"], default="lhs", help="sampling design (lhs)")
    p.add_argument("--template", type=Path, default=None, help="another template notebook to execute")
    p.add_argument("--show-code", action="store_true", help="include the code cells in the report")
    p.add_argument("--format", choices=["html", "pdf"], default=None,
                   help="html (default) or pdf (needs Chromium); default from the --out suffix")
    p.add_argument("--reference", default=None, help="scenario the parameters are listed against (default: the file "
                   "the scenario extends)")
    p.add_argument("--paper", choices=["a4", "letter"], default="a4", help="page size of a PDF (a4)")
    p.add_argument("--sensitivity-n", type=A.power_of_two_or_zero, default=128,
                   help="Sobol' base sample of the sensitivity ranking, a power of 2 (128); 0 skips it")
    p.add_argument("--posterior", type=Path, default=None, metavar="FILE.nc",
                   help="a posterior written by `jdmodel infer` for the scenario's plan: add the targets given the "
                   "published figures (prior and posterior P(reach), the sampler's facts, the bands before and after)")
    p.add_argument("--timeout", type=A.seconds, default=600, help="seconds allowed per notebook cell (600)")
    p.set_defaults(handler=cmd_report)


def cmd_report(args) -> int:
    from jdmodel.report.build import ReportError, render

    # render checks the arguments, then the notebooks extra (require_notebooks), before any kernel starts
    out = args.out or Path("report.pdf" if args.format == "pdf" else "report.html")
    try:
        path = render(args.scenarios, out, draws=args.draws, seed=args.seed, design=args.design,
                      template=args.template, show_code=args.show_code, fmt=args.format, reference=args.reference,
                      sensitivity_n=args.sensitivity_n, timeout=args.timeout, paper=args.paper,
                      posterior=args.posterior)
    except ReportError as err:
        print(f"jdmodel report: {err}", file=sys.stderr)
        return 1
    print(f"report written to {path}")
    return 0
