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

    inf = sub.add_parser(
        "infer", help="posterior given the published figures: targets, discrepancy curve, variants, backtest",
        description="Sample the posterior of the scenario's uncertain parameters given its plan's published "
        "figures (waste-free tempering SMC; the model discrepancy estimated), print the prior/posterior table, "
        "write the posterior (ArviZ InferenceData, NetCDF) and, unless switched off, P(reach) over the "
        "discrepancy, the two e-commerce variants compared by their evidence, and the backtest.")
    inf.add_argument("scenario", nargs="?", default="plan", help="scenario name or TOML path (default plan)")
    inf.add_argument("--draws", type=int, default=20_000, help="posterior draws (default 20000)")
    inf.add_argument("--seed", type=int, default=1)
    inf.add_argument("--observed", default=None, help=_OBSERVED_HELP)
    inf.add_argument("--out", type=Path, default=None, metavar="FILE.nc",
                     help="write the posterior here (default: SCENARIO_posterior.nc in the current folder)")
    inf.add_argument("--no-curve", action="store_true", help="skip P(reach) over the discrepancy")
    inf.add_argument("--no-compare", action="store_true", help="skip the comparison of the e-commerce variants")
    inf.add_argument("--no-backtest", action="store_true", help="skip the backtest")
    inf.add_argument("--side-draws", type=int, default=4000,
                     help="draws of each run of the curve and the backtest (default 4000)")
    inf.set_defaults(handler=cmd_infer)


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


def cmd_infer(args) -> int:
    import jdmodel as jd
    from jdmodel.expost.backtesting import backtest
    from jdmodel.expost.comparison import compare, discrepancy_curve
    from jdmodel.expost.posterior import infer
    from jdmodel.outputs import check_target
    from jdmodel.params.scenario import options

    if args.draws < 100 or args.side_draws < 100:
        raise ParameterError("--draws and --side-draws: at least 100")
    sc = jd.load_scenario(args.scenario)
    out = args.out or Path(f"{Path(sc.name).stem}_posterior.nc")
    check_target(out)
    observed = _observed(args.observed)
    post = infer(sc, observed, draws=args.draws, seed=args.seed)
    print(post.table())
    post.to_netcdf(out)
    print(f"\nposterior written to {out} (run from it: jdmodel run {args.scenario} --posterior {out})")
    if not args.no_curve:
        curve = discrepancy_curve(sc, observed, draws=args.side_draws, seed=args.seed)
        print("\nP(reach) with the discrepancy held at each value (± MC s.e.), and the evidence p(y | d):")
        targets = [t for t in curve["target"].values if str(curve["evidence"].sel(target=t).values) == "observed"]
        print(f"{'d':>6} {'log evidence':>13} {'weight':>8} " + " ".join(f"{str(t):>22}" for t in targets))
        for d in curve["discrepancy"].values:
            r = curve.sel(discrepancy=d)
            print(f"{d:>6.3f} {float(r['log_evidence']):>13.2f} {float(r['weight']):>8.1%} " + " ".join(
                f"{float(r['p_reach'].sel(target=t)):>13.1%} ± {float(r['mcse'].sel(target=t)):>5.1%}" for t in targets))
        print("integrated over the stated prior of d: " + ", ".join(
            f"{t} {float(curve['p_integrated'].sel(target=t)):.1%}" for t in targets)
              + "  (sampled with d: " + ", ".join(f"{t} {post.p_reach(str(t))[0]:.1%}" for t in targets) + ")")
    if not args.no_compare and sc.plan.market is not None:
        variant = options(sc).get("model.variant", "supply")
        other = "market_share" if variant == "supply" else "supply"
        alt = sc.with_overrides({"model.variant": other}, name=f"{sc.name}[{other}]")
        cmp = compare([sc, alt], observed, draws=args.draws, seed=args.seed, posteriors={sc.name: post})
        print(f"\nModel comparison (e-commerce {variant} vs {other}), by the evidence:")
        print(cmp.table())
    if not args.no_backtest:
        print("\nBacktest: fitted on the figures up to each cut year, predicting the later ones:")
        print(backtest(sc, observed=observed, draws=args.side_draws, seed=args.seed).table())
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
