"""Base-year outputs derived from published figures, by the plan's declarative rules.

A plan's ``[[base_year.derive]]`` rule (:class:`jdmodel.params.plan.BaseRule`) names sectors, an
observation indicator and period, and how to bring the figure to a full base year:

.. math:: Y_{s,base} = \\frac{y_s}{(1 + g_s)^{[\\text{divide\\_by\\_growth}]}\\; w}

where :math:`y_s` is the published figure, :math:`g_s` its year-on-year growth (used when the
figure is for the year after the base year) and :math:`w` the parameter the rule names as the
share of a year's output produced in the figure's months (1 for a full year). Jiading's rule
divides the statistics bureau's January–October 2021 figures by (1 + growth) and by the
January–October share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from jdmodel.errors import ParameterError
from jdmodel.params.observed import Observation


def figures(rule, observations: Iterable[Observation]) -> dict[str, float]:
    """The rule's figure for each of its sectors, brought back to the base year but not yet divided by the share.

    Raises
    ------
    ParameterError
        When an observation the rule needs is missing (or lacks its growth rate).
    """
    by_key = {(o.indicator, str(o.period)): o for o in observations}
    out, missing = {}, []
    for s in rule.sectors:
        obs = by_key.get((rule.indicator_for(s), rule.period))
        if obs is None or (rule.divide_by_growth and obs.growth is None):
            missing.append(f"{rule.indicator_for(s)} for {rule.period}" + (" with its growth" if rule.divide_by_growth
                                                                            else ""))
            continue
        out[s] = obs.value / (1.0 + obs.growth) if rule.divide_by_growth else obs.value
    if missing:
        raise ParameterError("base_year rule: the observations lack " + "; ".join(missing))
    return out


def derived_outputs(plan, share_of: Mapping[str, float]) -> dict[str, float]:
    """Base-year output of every sector a rule of ``plan`` derives, given the value of each share key.

    A share may be an array over draws; the outputs then are too.

    Examples
    --------
    >>> from jdmodel.params.plan import load_plan
    >>> out = derived_outputs(load_plan("jiading"), {"within_year.jan_oct.2020": 0.8})
    >>> round(out["ecommerce"], 1)           # 2448.7 / 1.322 / 0.8
    2315.3
    """
    out = {}
    for rule in plan.base_rules:
        share = 1.0 if rule.share is None else share_of[rule.share]
        out.update({s: v / share for s, v in figures(rule, plan.observations).items()})
    return out
