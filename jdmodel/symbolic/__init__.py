"""The model's maths in sympy: equations shown, lambdified kernels run, derivations users ask for.

Importing this package is cheap: sympy is imported on first use of a function below, not here.
Every function works on any plan (``jdmodel.params.plan``): it takes a scenario, or a ``plan``
argument (a Plan, a plan name, or a scenario), defaulting to the default plan.

Public functions::

    from jdmodel.symbolic import equations
    equations()                       # the model, LaTeX in Jupyter, plain text in a terminal
    equations(plan=sc)                # … for a scenario's plan (its sectors, years, indicators)
    required_cagr(2024, 4000, 6)      # (4000/2024)^(1/6) - 1 ≈ 12.02 %
    doubling_time(0.15)
    path_arithmetic(plan=sc)          # a growth path of the targets (default: the first), table
    growth_accounting(ds, sc)         # Δln V = Δln A + α Δln K + β Δln H + γ Δln L per sector and period;
                                      # Δln M = Δln V + Δln(1 + d) beside it
    elasticities(sc, year=2025)       # d ln M / d ln lever, analytic (sensitivity recursion) or numeric
    lever_for_output(sc, "ecommerce", 3600.0, 2025, "funds")
    steady_state()                    # (K/V)* = s/(g_V + δ), H* = (O + T)/ρ, balanced growth of V
    write_equations_doc("docs/equations.md")

``jdmodel.symbolic.model`` holds the symbols (``PARAMETER_KEYS``: symbol → dotted key pattern) and
equations; ``jdmodel.symbolic.kernel`` the lambdified per-year update and the whole growth chain as
the engine runs it (``update``, ``run_growth``, with ``options`` for the market-share variant).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "equations": "display", "Equations": "display", "write_equations_doc": "display",
    "markdown_doc": "display", "required_cagr": "derivations", "doubling_time": "derivations",
    "path_arithmetic": "derivations", "ecommerce_arithmetic": "derivations", "steady_state": "derivations",
    "Derivation": "derivations", "growth_accounting": "accounting", "GrowthAccounting": "accounting",
    "default_periods": "accounting", "elasticities": "levers", "lever_for_output": "levers",
    "Elasticities": "levers", "LeverSolution": "levers", "update": "kernel", "run_growth": "kernel",
    "model_equations": "model", "PARAMETER_KEYS": "model",
}

__all__ = sorted(_WHERE)


def equations(kind: str = "latex", plan: Any = None) -> Any:
    """The model's equations for a plan (see :func:`jdmodel.symbolic.display.equations`); sympy loads on first call.

    Parameters
    ----------
    kind : {"latex", "text"}
        ``"latex"`` renders as LaTeX/Markdown in Jupyter; ``"text"`` keeps plain text there too.
    plan : Plan, Scenario, str or None
        Whose sectors, years, linked and total indicators are shown; default the default plan.

    Examples
    --------
    >>> print(str(equations()).splitlines()[0])
    jdmodel equations (per sector; t = 2021…2030; plan jiading)
    """
    from jdmodel.symbolic.display import equations as _equations

    return _equations(kind, plan)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"jdmodel.symbolic.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'jdmodel.symbolic' has no attribute {name!r}")
