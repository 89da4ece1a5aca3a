"""``jdmodel evaluate`` and ``jdmodel calibrate``: the ex-post functions on the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

from jdmodel.errors import ParameterError

_OBSERVED_HELP = "observations: a plan's (by plan id or folder) or a file (default: the scenario's plan's observed.toml)"


def register(sub) -> None:
    """Add the ``evaluate`` and ``calibrate`` sub-commands to the ``jdmodel`` parser."""
    ev = sub.add_parser(
        "evaluate", help="a scenario against the district's published figures",
        description="Set every published figure beside the model value it measured (a January–October "
        "figure beside annual × the January–October share, a half year beside annual × the H1 share), "
        "with its error standardised by its class; check each target against the last published "
        "full-year figure and the growth still needed.")
    ev.add_argument("scenario", nargs="?", default="baseline",
                    help="scenario name or TOML path (default baseline)")
    ev.add_argument("--observed", default=None, help=_OBSERVED_HELP)
    ev.add_argument("--no-io", action="store_true",
                    help="skip the input–output block (GDP figures are then skipped)")
    ev.set_defaults(handler=cmd_evaluate)

    ca = sub.add_parser(
        "calibrate", help="fit free parameters to the published figures",
        description="Weighted least squares (log errors over class scales) of the free parameters within "
        "their low/high; prints estimates with standard errors and the residuals, and with --out writes "
        "the calibrated scenario as a TOML file that extends the input.")
    ca.add_argument("scenario", help="scenario name or TOML path")
    ca.add_argument("--free", action="append", required=True, metavar="KEY",
                    help="dotted key of a scalar parameter to estimate (repeat for several)")
    ca.add_argument("--observed", default=None, help=_OBSERVED_HELP)
    ca.add_argument("--io", action="store_true",
                    help="simulate with the input–output block so that GDP figures enter the fit")
    ca.add_argument("--rescale-errors", action="store_true",
                    help="rescale the covariance by Σr²/(m − n) instead of trusting the class scales")
    ca.add_argument("--out", type=Path, default=None, metavar="FILE.toml",
                    help="write the calibrated scenario here")
    ca.set_defaults(handler=cmd_calibrate)


def cmd_evaluate(args) -> int:
    from jdmodel.expost.evaluate import evaluate

    print(evaluate(args.scenario, observed=_observed(args.observed), io=not args.no_io).table())
    return 0


def cmd_calibrate(args) -> int:
    from jdmodel.cli.args import out_path
    from jdmodel.expost.calibrate import calibrate

    out_path(args.out, {".toml": "the calibrated scenario"})
    cal = calibrate(args.scenario, observed=_observed(args.observed), free=args.free, io=args.io,
                    absolute_sigma=not args.rescale_errors)
    print(cal.table())
    if args.out is not None:
        write_scenario(cal, args.scenario, args.out)
        print(f"\ncalibrated scenario written to {args.out} (check it with: jdmodel check {args.out})")
    return 0


def _observed(text: str | None):
    if text is None:
        return None
    path = Path(text)
    if path.suffix == ".toml" and not path.is_file():
        raise ParameterError(f"--observed {text}: no such file")
    return text


def scenario_toml(cal, parent: str, out: Path) -> str:
    """The calibrated scenario as TOML: ``extends`` the input plus one dotted override per free key."""
    ref = parent
    if parent.endswith(".toml") or "/" in parent or "\\" in parent:
        ref = os.path.relpath(Path(parent).resolve(), out.resolve().parent).replace(os.sep, "/")
    description = f"{cal.prior.name} calibrated on published figures: " + ", ".join(cal.free)
    lines = ["# Calibrated on the published figures by `jdmodel calibrate` (jdmodel.expost.calibrate).",
             f"# Σr² = {2 * cal.cost:.3f} over {cal.residuals.sizes['observation']} terms; "
             "standard errors are in each source.",
             f"extends = {json.dumps(ref, ensure_ascii=False)}",
             f"description = {json.dumps(description, ensure_ascii=False)}",
             ""]
    for key in cal.free:
        p = cal.scenario.params[key]
        value = min(max(float(f"{float(p.value):.10g}"), float(p.low)), float(p.high))
        fields = [f"value = {value!r}", f"unit = {json.dumps(p.unit, ensure_ascii=False)}",
                  f"low = {float(p.low)!r}", f"high = {float(p.high)!r}",
                  f"source = {json.dumps(p.source, ensure_ascii=False)}"]
        lines.append(f"{key} = {{ {', '.join(fields)} }}")
    return "\n".join(lines) + "\n"


def write_scenario(cal, parent: str, out: Path) -> None:
    """Write :func:`scenario_toml` atomically (:func:`jdmodel.outputs.write_atomic`)."""
    from jdmodel.outputs import write_atomic

    write_atomic(out, scenario_toml(cal, parent, Path(out)))
