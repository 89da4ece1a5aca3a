"""``jdmodel plans``, ``jdmodel scenarios`` and ``jdmodel init``: what ships, and a new plan folder."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    """Add the ``plans``, ``scenarios`` and ``init`` sub-commands to the ``jdmodel`` parser."""
    pl = sub.add_parser("plans", help="list the shipped plans",
                        description="List the shipped plans: id, title, years, sectors and scenarios. Run one with "
                        "`jdmodel run PLAN` (its default scenario) or `jdmodel run PLAN/SCENARIO`.")
    pl.set_defaults(handler=cmd_plans)

    sc = sub.add_parser("scenarios", help="list the scenarios of a plan",
                        description="List the scenarios of a plan (the default plan when none is named), with "
                        "their descriptions.")
    sc.add_argument("plan", nargs="?", default=None, help="a shipped plan id or a plan folder (default: jiading)")
    sc.set_defaults(handler=cmd_scenarios)

    it = sub.add_parser("init", help="write a new plan folder that check accepts and run runs at once",
                        description="Write a plan folder: plan.toml (sectors, years, a total indicator), a baseline "
                        "whose every number is a placeholder assumption with a range, a placeholder target, an empty "
                        "observations file, the error model, lever prices, a no-new-policy counterfactual and a "
                        "placeholder input-output regionalisation. Each file says what to replace (docs/plans.md).")
    it.add_argument("dir", type=Path, help="the new plan folder (must not exist, or be empty)")
    it.add_argument("--sectors", required=True, help="comma-separated sector ids, e.g. platforms,games,cloud")
    it.add_argument("--base-year", type=int, required=True, help="the last full year before the plan, e.g. 2022")
    it.add_argument("--horizon", type=int, required=True, help="the last year paths are run to, e.g. 2030")
    it.add_argument("--plan-end", type=int, default=None,
                    help="the last year of the plan period (default: base year + 5, or the horizon)")
    it.add_argument("--title", default=None, help="the plan's title (English)")
    it.set_defaults(handler=cmd_init)


def cmd_plans(args) -> int:
    from jdmodel.params.plan import available_plans, load_plan

    for pid in available_plans():
        p = load_plan(pid)
        y = p.years
        print(f"{pid:<12} {p.title_en}")
        print(f"{'':<12} {p.document} · {p.region_en} · base {y.base}, plan {y.plan_start}–{y.plan_end}, "
              f"horizon {y.horizon} · {len(p.sectors)} sectors: {', '.join(p.sector_ids)}")
        print(f"{'':<12} scenarios: {', '.join(p.scenarios())}")
    return 0


def cmd_scenarios(args) -> int:
    from jdmodel.params.plan import load_plan
    from jdmodel.params.scenario import load_scenario

    p = load_plan(args.plan)
    print(f"Scenarios of plan {p.id} ({p.title_en}); run one with: jdmodel run {p.id}/NAME")
    width = max(len(n) for n in p.scenarios())
    for name in p.scenarios():
        sc = load_scenario(name, plan=p)
        mark = " (counterfactual)" if name == p.counterfactual else " (default)" if name == p.default_scenario else ""
        print(f"  {name:<{width}}  {sc.description}{mark}")
    return 0


def cmd_init(args) -> int:
    from jdmodel.params.checkfile import check_plan
    from jdmodel.params.template import init_plan

    sectors = [s.strip() for s in args.sectors.split(",") if s.strip()]
    folder = init_plan(args.dir, sectors, args.base_year, args.horizon, plan_end=args.plan_end, title=args.title)
    print(f"plan folder written to {folder}")
    print(check_plan(folder))
    print(f"\nEvery number is a placeholder: replace them (docs/plans.md), then: jdmodel run {folder}")
    return 0
