"""Policy questions in reverse: how much of a lever a target needs, and how to split a budget.

``frontier`` / ``frontier_curve`` find the lever scale at which P(reach) equals a given
probability; ``optimise_budget`` splits a fixed budget in 亿元/yr across sectors and levers.
Both run every lever setting on the same draws (common random numbers), so the comparisons
carry no sampling noise of their own. Costs of talent and land: ``parameters/policy.toml``.
See ``docs/policy.md``.
"""

from jdmodel.policy.budget import BudgetResult, budget_grid, optimise_budget
from jdmodel.policy.costs import LEVER_UNITS, LEVERS, Costs, load_costs
from jdmodel.policy.lever_frontier import FrontierResult, frontier, frontier_curve

__all__ = ["frontier", "frontier_curve", "optimise_budget", "budget_grid", "FrontierResult", "BudgetResult",
           "Costs", "load_costs", "LEVERS", "LEVER_UNITS"]
