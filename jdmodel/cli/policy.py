"""``jdmodel frontier``: the lever level a target needs, on the command line."""

from __future__ import annotations

from jdmodel.cli import args as A
from jdmodel.errors import ParameterError


def register(sub) -> None:
    """Add the ``frontier`` sub-command to the ``jdmodel`` parser."""
    fr = sub.add_parser(
        "frontier", help="the lever scale at which a target is reached with a given probability",
        description="Scale a scenario's lever path (funds, talent or land; all sectors or some) and find, on "
        "common random numbers, the smallest scale at which P(target reached in its year) ≥ PROB. Prints the "
        "scale, the amount it implies per year over the plan period and its cost in 亿元/yr.")
    fr.add_argument("scenario", help="scenario name (baseline, plan, …) or path to a TOML file")
    fr.add_argument("--target", default="output",
                    help="target id of the scenario's targets file (Jiading: output, enterprises, projects, "
                    "scenarios) or 'all' (default output)")
    fr.add_argument("--lever", default="funds", choices=["funds", "talent", "land"], help="lever (default funds)")
    fr.add_argument("--prob", type=A.probability, default=0.8,
                    help="required probability, above 0 and at most 1 (default 0.8)")
    fr.add_argument("--sectors", default=None,
                    help="comma-separated sectors whose lever is scaled (default every sector of the plan)")
    fr.add_argument("--bounds", type=A.scale, nargs=2, default=(0.0, 20.0), metavar=("LOW", "HIGH"),
                    help="range of scales searched, 0 ≤ LOW < HIGH (default 0 20)")
    fr.add_argument("--draws", type=A.count, default=2000, help="number of draws, 1 or more (default 2000)")
    fr.add_argument("--seed", type=A.seed, default=0, help="seed of the sample, 0 to 2**64-1 (default 0)")
    fr.add_argument("--design", choices=["lhs", "sobol", "mc"], default="lhs", help="sampling design (default lhs)")
    fr.set_defaults(handler=cmd_frontier)


def cmd_frontier(args) -> int:
    from jdmodel.policy import frontier

    bounds = A.bounds(tuple(args.bounds))
    sectors = None
    if args.sectors is not None:
        sectors = [s.strip() for s in args.sectors.split(",") if s.strip()]
        if not sectors:
            raise ParameterError(f"--sectors {args.sectors!r}: expected comma-separated sector names")
    res = frontier(args.scenario, target=args.target, lever=args.lever, prob=args.prob, sectors=sectors,
                   draws=args.draws, seed=args.seed, bounds=bounds, design=args.design)
    print(res.table())
    return 0
