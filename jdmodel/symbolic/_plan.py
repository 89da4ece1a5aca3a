"""Which plan (and which total indicators) a symbolic function works on.

Every public function of :mod:`jdmodel.symbolic` that depends on a plan's sectors, years, total
or linked indicators takes a ``plan`` or ``scenario`` argument and resolves it here, so that
none of them knows a particular plan:

* a :class:`~jdmodel.params.plan.Plan` is used as it is;
* a :class:`~jdmodel.params.scenario.Scenario` gives its plan, and its targets give the totals
  (a scenario's targets may redefine which sectors a total sums);
* a plan name or folder is loaded (:func:`jdmodel.params.plan.load_plan`);
* ``None`` is the default plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

Totals = tuple[tuple[str, tuple[str, ...]], ...]


def _is_scenario(obj: Any) -> bool:
    if obj is None or isinstance(obj, str | Path):
        return False
    from jdmodel.params.scenario import Scenario

    return isinstance(obj, Scenario)


def plan_of(obj: Any = None):
    """The plan of ``obj``: a Plan, a Scenario (its plan), a plan name or folder, or None (the default plan)."""
    from jdmodel.params.plan import load_plan

    if _is_scenario(obj):
        return obj.plan
    return load_plan(obj)


def scenario_of(obj: Any):
    """A Scenario as it is, or a scenario name/path loaded with :func:`jdmodel.load_scenario`."""
    if _is_scenario(obj):
        return obj
    from jdmodel.params.scenario import load_scenario

    return load_scenario(obj)


def totals_of(obj: Any = None, totals: Mapping[str, Sequence[str]] | None = None) -> Totals:
    """Total indicator id → its sectors, as a hashable tuple of pairs, in the plan's order.

    ``totals`` when given (and not empty, as in :func:`jdmodel.engine.run`), else a scenario's
    targets (``sc.targets.total_of``), else the plan's ``[[totals]]``. Every sector must be one of
    the plan's.
    """
    plan = plan_of(obj)
    if totals:
        pairs = tuple((str(k), tuple(v)) for k, v in totals.items())
    elif _is_scenario(obj):
        pairs = tuple((k, tuple(v)) for k, v in obj.targets.total_of.items())
    else:
        pairs = tuple((t.id, t.sectors) for t in plan.totals)
    for tid, members in pairs:
        bad = [s for s in members if s not in plan.sector_ids]
        if bad or not members:
            from jdmodel.errors import ParameterError

            raise ParameterError(f"total {tid!r}: unknown sector(s) {bad} of plan {plan.id!r} (expected some of "
                                 f"{', '.join(plan.sector_ids)})")
    return pairs
