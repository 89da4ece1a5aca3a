"""The ``jdmodel`` command line: ``run``, ``check`` (and more as the library grows).

Exit codes: 0 success, 2 bad input (the message names the file, key and what was
expected, without a traceback), 1 an unexpected failure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jdmodel.errors import JdmodelError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jdmodel", description="Scenario modelling of the Jiading online-new-economy "
                                "plan 2021–2025 (嘉府办发〔2021〕12号).")
    p.add_argument("--version", action="version", version=f"jdmodel {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a scenario and print the target table",
                         description="Run a scenario 2020–2030 and print the plan's targets: the 2025 value, the "
                         "threshold, reached or P(reach), first year reached; the e-commerce path against the "
                         "plan's 15 %/yr line; and the model beside the district's published figures.")
    run.add_argument("scenario", nargs="?", default="baseline",
                     help="scenario name (baseline, plan, no_new_policy, …) or path to a TOML file (default: baseline)")
    run.add_argument("--draws", type=int, default=1, help="number of draws (default 1: central values)")
    run.add_argument("--seed", type=int, default=None, help="seed of the sample (draws > 1)")
    run.add_argument("--design", choices=["lhs", "sobol", "mc"], default="lhs", help="sampling design (default lhs)")
    run.add_argument("--out", type=Path, default=None, help="write the results to this NetCDF file")
    run.add_argument("--no-io", action="store_true", help="skip the input–output block")

    check = sub.add_parser("check", help="validate a parameter file",
                           description="Validate a scenario, baseline, targets or observations file; list every "
                           "problem with its key.")
    check.add_argument("file", type=Path, help="TOML file to check")

    sw = sub.add_parser("sweep", help="many draws in chunks: streaming P(reach) and quantiles, optionally on Dask",
                        description="Run N draws of a scenario in chunks of the draw axis; print P(reach) per target "
                        "and write the per-draw results (NetCDF .nc or Zarr .zarr) chunk by chunk.")
    sw.add_argument("scenario", help="scenario name or path")
    sw.add_argument("--draws", type=int, required=True, help="number of draws")
    sw.add_argument("--seed", type=int, default=0)
    sw.add_argument("--design", choices=["lhs", "sobol", "mc"], default="lhs")
    sw.add_argument("--chunks", type=int, default=None, help="draws per chunk (default at most 4096)")
    sw.add_argument("--workers", type=int, default=None, help="threads on this machine (default: every core)")
    sw.add_argument("--dask", metavar="ADDRESS", default=None, help="address of a dask.distributed scheduler")
    sw.add_argument("--out", type=Path, default=None, help="write per-draw results here (.nc or .zarr)")
    sw.add_argument("--reductions", type=Path, default=None, help="write the reductions here (.nc)")
    sw.add_argument("--io", action="store_true", help="include the input–output block")
    sw.set_defaults(handler=cmd_sweep)

    _add_more(sub)
    return p


def cmd_sweep(args) -> int:
    import jdmodel as jd
    from jdmodel.uncertainty.sweep import sweep

    client = None
    if args.dask:
        try:
            from dask.distributed import Client
        except ImportError:
            raise JdmodelError("--dask needs dask.distributed: pip install 'jdmodel[scale]'") from None
        client = Client(args.dask)
    try:
        red = sweep(args.scenario, draws=args.draws, seed=args.seed, design=args.design, chunks=args.chunks,
                    client=client, out=args.out, io=args.io, workers=args.workers)
    finally:
        if client is not None:
            client.close()
    print(jd.assess(red).table())
    if args.reductions is not None:
        from jdmodel.pipeline.results import save

        save(red, args.reductions)
    if args.out is not None:
        print(f"\nper-draw results written to {args.out}")
    return 0


def _add_more(sub) -> None:
    """Sub-commands of other parts of the library register here when present."""
    for module in ("jdmodel.cli.expost", "jdmodel.cli.policy", "jdmodel.cli.report"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ImportError:
            continue
        if hasattr(mod, "register"):
            mod.register(sub)


def _version() -> str:
    from jdmodel.pipeline.results import version

    return version()


def cmd_run(args) -> int:
    import jdmodel as jd
    from jdmodel.pipeline.observed_view import observed_beside, sector_summary

    sc = jd.load_scenario(args.scenario)
    if args.draws > 1:
        # many draws stream through jd.sweep: memory bounded by the chunk, not by the draw count
        from jdmodel.uncertainty.sweep import sweep

        red = sweep(sc, draws=args.draws, seed=args.seed or 0, design=args.design, out=args.out,
                    io=not args.no_io and args.out is not None)
        print(jd.assess(red).table())
        central = jd.simulate(sc, io=not args.no_io)
        print()
        print(sector_summary(central, sc).replace("Output by sector (亿元)", "Output by sector (亿元), central values"))
        print()
        print(observed_beside(central, sc))
        if args.out is not None:
            print(f"\nper-draw results written to {args.out}")
        return 0
    ds = jd.simulate(sc, io=not args.no_io)
    print(jd.assess(ds).table())
    print()
    print(sector_summary(ds, sc))
    print()
    print(observed_beside(ds, sc))
    if args.out is not None:
        from jdmodel.pipeline.results import save

        save(ds, args.out)
        print(f"\nresults written to {args.out}")
    return 0


def cmd_check(args) -> int:
    from jdmodel.params.checkfile import check_file

    print(check_file(args.file))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    handler = {"run": cmd_run, "check": cmd_check}.get(args.command) or getattr(args, "handler", None)
    try:
        return int(handler(args) or 0)
    except JdmodelError as err:
        print(f"jdmodel {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"jdmodel {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
