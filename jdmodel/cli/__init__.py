"""The ``jdmodel`` command line: ``run``, ``check`` (and more as the library grows).

Exit codes: 0 success, 2 bad input (the message names the option or file, the key or value and
what was expected, without a traceback; arguments are checked before any work), 1 an unexpected
failure, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM). An interrupted or terminated command
leaves no partial output: every file is written to a temporary name and renamed when complete.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from jdmodel.cli import args as A
from jdmodel.errors import JdmodelError, printable

#: commands that report their own progress (chunks, cells) or are quick; every other one gets a sign of life
#: on stderr when it runs longer than a few seconds (:class:`jdmodel.progress.working`)
OWN_PROGRESS = frozenset({"run", "sweep", "report", "check", "plans", "scenarios", "init"})


def _parser() -> argparse.ArgumentParser:
    p = A.Parser(prog="jdmodel", description="Scenario modelling of regional economic policy plans: "
                                "the shipped plans (jdmodel plans; the default is Jiading's online-new-economy plan "
                                "2021–2025, 嘉府办发〔2021〕12号) or your own (jdmodel init).")
    p.add_argument("--version", action="version", version=f"jdmodel {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a scenario and print the target table",
                         description="Run a scenario from its plan's base year to its horizon and print the plan's "
                         "targets: the value in the target year, the threshold, reached or P(reach), first year "
                         "reached; the plan's growth paths against its lines; and the model beside the published "
                         "figures.")
    run.add_argument("scenario", nargs="?", default=None,
                     help="a scenario of the default plan (baseline, plan, no_new_policy, …), PLAN/SCENARIO, a plan "
                     "id or folder (its default scenario), or a TOML file (default: baseline)")
    run.add_argument("--draws", type=A.count, default=1, help="number of draws, 1 or more (default 1: central values)")
    run.add_argument("--seed", type=A.seed, default=None, help="seed of the sample (draws > 1), 0 to 2**64-1")
    run.add_argument("--design", choices=["lhs", "sobol", "mc"], default="lhs", help="sampling design (default lhs)")
    run.add_argument("--out", type=Path, default=None,
                     help="write the results here; the extension picks the format: .nc (NetCDF), .zarr (Zarr), "
                     ".csv (the target table), .json (the target table and the run's tables), .xlsx (the same tables "
                     "as an Excel workbook)")
    run.add_argument("--no-io", action="store_true", help="skip the input–output block")
    run.add_argument("--posterior", type=Path, default=None, metavar="FILE.nc",
                     help="run on the draws of a posterior written by `jdmodel infer` (default scenario: its own)")
    run.add_argument("--yes", action="store_true", help="write per-draw results larger than 1 GB without asking")

    check = sub.add_parser("check", help="validate a parameter file or a plan folder",
                           description="Validate a plan folder (every file in it) or one file: scenario, baseline, "
                           "targets, observations, error model, costs or input-output; list every problem with its "
                           "file and key.")
    check.add_argument("file", type=Path, help="TOML file or plan folder to check")

    sw = sub.add_parser("sweep", help="many draws in chunks: streaming P(reach) and quantiles, optionally on Dask",
                        description="Run N draws of a scenario in chunks of the draw axis; print P(reach) per target "
                        "and write the per-draw results (NetCDF .nc or Zarr .zarr) chunk by chunk.")
    sw.add_argument("scenario", help="scenario name, PLAN/SCENARIO, plan folder or TOML path")
    sw.add_argument("--draws", type=A.count, required=True, help="number of draws, 1 or more")
    sw.add_argument("--seed", type=A.seed, default=0, help="seed, 0 to 2**64-1 (default 0)")
    sw.add_argument("--design", choices=["lhs", "sobol", "mc"], default="lhs")
    sw.add_argument("--chunks", type=A.count, default=None,
                    help="draws per chunk, 1 or more (default at most 4096, a few per worker)")
    sw.add_argument("--workers", type=A.count, default=None,
                    help="threads on this machine, 1 or more (default: every core); results do not depend on it")
    sw.add_argument("--dask", metavar="ADDRESS", default=None,
                    help="address of a dask.distributed scheduler, e.g. tcp://127.0.0.1:8786")
    sw.add_argument("--out", type=Path, default=None,
                    help="per-draw results (.nc NetCDF or .zarr Zarr, written chunk by chunk), or the tables of "
                    "the reductions (.csv the target table, .json every table, .xlsx every table as a workbook)")
    sw.add_argument("--reductions", type=Path, default=None,
                    help="write the reductions here (.nc, .zarr, .csv, .json or .xlsx)")
    sw.add_argument("--io", action="store_true", help="include the input–output block")
    sw.add_argument("--yes", action="store_true", help="write per-draw results larger than 1 GB without asking "
                    "(without --yes and without a terminal to ask in, such a run is refused with exit 2)")
    sw.set_defaults(handler=cmd_sweep)

    _add_more(sub)
    return p


def cmd_sweep(args) -> int:
    import jdmodel as jd
    from jdmodel.pipeline.results import FORMATS, TABLE_FORMATS
    from jdmodel.uncertainty.sweep import sweep

    out = A.out_path(args.out, FORMATS)
    reductions = A.out_path(args.reductions, FORMATS, what="--reductions")
    if out is not None and reductions is not None and out.resolve() == reductions.resolve():
        raise JdmodelError(f"--out and --reductions name the same file ({out}): give each its own")
    sc = jd.load_scenario(args.scenario)
    if out is not None and out.suffix.lower() not in TABLE_FORMATS:
        A.confirm_size(sc, args.draws, out, io=args.io, yes=args.yes)
    client = A.dask_client(args.dask) if args.dask else None
    try:
        red = sweep(sc, draws=args.draws, seed=args.seed, design=args.design, chunks=args.chunks,
                    client=client, out=out, io=args.io, workers=args.workers)
    finally:
        if client is not None:
            client.close()
    print(jd.assess(red).table())
    if reductions is not None:
        from jdmodel.pipeline.results import save

        save(red, reductions)
        print(f"\nreductions written to {reductions}")
    if out is not None:
        what = "tables" if out.suffix.lower() in TABLE_FORMATS else "per-draw results"
        print(f"\n{what} written to {out}")
    return 0


def _add_more(sub) -> None:
    """Sub-commands of other parts of the library register here when present."""
    for module in ("jdmodel.cli.plans", "jdmodel.cli.expost", "jdmodel.cli.policy", "jdmodel.cli.report"):
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
    from jdmodel.pipeline.results import FORMATS, TABLE_FORMATS, save

    out = A.out_path(args.out, FORMATS)
    if args.posterior is not None:
        return _run_posterior(args, out)
    sc = jd.load_scenario(args.scenario or "baseline")
    if args.draws > 1 and out is not None and out.suffix.lower() not in TABLE_FORMATS:
        A.confirm_size(sc, args.draws, out, io=not args.no_io, yes=args.yes)
    tables = out is not None and out.suffix.lower() in TABLE_FORMATS
    if args.draws > 1:
        # many draws stream through jd.sweep: memory bounded by the chunk, not by the draw count
        from jdmodel.uncertainty.sweep import sweep

        red = sweep(sc, draws=args.draws, seed=args.seed or 0, design=args.design, out=out,
                    io=not args.no_io and out is not None and not tables)
        print(jd.assess(red).table())
        central = jd.simulate(sc, io=not args.no_io)
        print()
        print(sector_summary(central, sc).replace("Output by sector (亿元)", "Output by sector (亿元), central values"))
        print()
        print(observed_beside(central, sc))
        if out is not None:
            print(f"\n{'tables' if tables else 'per-draw results'} written to {out}")
        return 0
    if args.seed is not None:
        print(f"note: --seed {args.seed} has no effect on a central run (one draw, the central values); "
              "add --draws N to sample", file=sys.stderr)
    ds = jd.simulate(sc, io=not args.no_io)
    rep = jd.assess(ds)
    print(rep.table())
    print()
    print(sector_summary(ds, sc))
    print()
    print(observed_beside(ds, sc))
    if out is not None:
        save(ds, out, report=rep)
        print(f"\nresults written to {out}")
    return 0


def _run_posterior(args, out) -> int:
    import jdmodel as jd
    from jdmodel.expost.posterior import simulate_posterior

    ds = simulate_posterior(args.posterior, args.scenario, io=not args.no_io)
    print(f"{ds.sizes['draw']} posterior draws from {args.posterior} (sampled for scenario "
          f"{ds.attrs['posterior_of']!r}; parameters it lacks, kept central: {ds.attrs['posterior_missing']})")
    rep = jd.assess(ds)
    print(rep.table())
    if out is not None:
        from jdmodel.pipeline.results import save

        save(ds, out, report=rep)
        print(f"\nresults written to {out}")
    return 0


def cmd_check(args) -> int:
    from jdmodel.params.checkfile import check_file

    print(check_file(args.file))
    return 0


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every ``finally`` runs and no partial output is left."""


def _terminate(signum, frame):  # pragma: no cover - exercised through a subprocess
    raise Terminated


class _PrintableStream:
    """Standard output with control characters escaped (:func:`jdmodel.errors.printable`)."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(printable(text))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # a bad argument (2, message printed), or --help / --version (0)
        return stop.code if isinstance(stop.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 2
    handler = {"run": cmd_run, "check": cmd_check}.get(args.command) or getattr(args, "handler", None)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    stdout = sys.stdout
    sys.stdout = _PrintableStream(stdout)
    try:
        if args.command in OWN_PROGRESS:
            return int(handler(args) or 0)
        from jdmodel.progress import working

        with working(f"jdmodel {args.command}"):
            return int(handler(args) or 0)
    except JdmodelError as err:
        print(f"jdmodel {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"jdmodel {args.command}: interrupted; no partial output was left", file=sys.stderr)
        return 130
    except Terminated:
        print(f"jdmodel {args.command}: terminated; no partial output was left", file=sys.stderr)
        return 143
    except MemoryError:
        print(f"jdmodel {args.command}: out of memory (fewer draws per chunk, --chunks, need less)",
              file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        return 0
    finally:
        sys.stdout = stdout
        if main_thread:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
