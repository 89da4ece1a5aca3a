r"""Derivations users ask for: required growth rates, doubling times, the plan's arithmetic, steady states.

Each function returns the sympy result and a numeric evaluator together (a :class:`Derivation`
or a table object), so the number printed and the formula typeset come from one expression.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from jdmodel.symbolic import model as M
from jdmodel.symbolic._report import Table

base_value, target_value = sp.symbols("b x", positive=True)
n_years, rate = sp.symbols("n r", positive=True)
_n = sp.Symbol("n", integer=True, nonnegative=True)
g_V, g_H, g_L = sp.symbols("g_V g_H g_L", real=True)
k_ratio = sp.Symbol("k", positive=True)  # K/V
_LATEX = {base_value: "b", target_value: "x", n_years: "n", rate: "r", _n: "n", g_V: "g_{V}", g_H: "g_{H}",
          g_L: "g_{L}", k_ratio: "k"}


@dataclass
class Derivation:
    """A symbolic result with its numeric value.

    Attributes
    ----------
    name, description : str
    expr : sympy expression
        The result, in the symbols ``args``.
    args : tuple of sympy symbols
        Arguments of ``func`` in order.
    func : callable
        ``expr`` lambdified to numpy (accepts arrays).
    inputs : dict
        Symbol → the number it was evaluated at (empty when nothing was given).
    value : float or array or None
        ``func(*inputs)`` when every argument was given.
    """

    name: str
    description: str
    lhs: Any
    expr: Any
    args: tuple
    func: Callable[..., Any]
    inputs: dict = field(default_factory=dict)
    value: Any = None

    def __call__(self, *args: Any) -> Any:
        return self.func(*args)

    def __float__(self) -> float:
        return float(self.value)

    def latex(self) -> str:
        return f"{sp.latex(self.lhs, symbol_names=_LATEX)} = {sp.latex(self.expr, symbol_names=_LATEX)}"

    def table(self) -> str:
        text = f"{self.name}: {sp.sstr(self.lhs)} = {sp.sstr(self.expr)}    ({self.description})"
        if self.inputs:
            given = ", ".join(f"{sym} = {val:g}" for sym, val in self.inputs.items())
            text += f"\n  at {given}: {_fmt(self.value)}"
        return text

    def __str__(self) -> str:
        return self.table()

    def _repr_latex_(self) -> str:
        value = rf" \approx {_fmt(self.value)}" if self.value is not None and np.ndim(self.value) == 0 else ""
        return f"$${self.latex()}{value}$$"


def _fmt(v: Any) -> str:
    return f"{float(v):.6g}" if np.ndim(v) == 0 else np.array2string(np.asarray(v), precision=6)


def _derivation(name: str, description: str, lhs, expr, args: tuple, given: tuple) -> Derivation:
    func = sp.lambdify(args, expr, modules="numpy")
    inputs = {a: g for a, g in zip(args, given, strict=True) if g is not None}
    value = func(*given) if all(g is not None for g in given) else None
    return Derivation(name, description, lhs, expr, args, func, inputs, value)


def required_cagr(
    base: float | None = None, target: float | None = None, years: float | None = None
) -> Derivation:
    r"""Constant yearly growth rate that takes ``base`` to ``target`` in ``years`` years.

    .. math:: r = (x / b)^{1/n} - 1

    Parameters
    ----------
    base, target : float, optional
        Start and end values (same unit, e.g. 亿元).
    years : float, optional
        Number of yearly steps.

    Returns
    -------
    Derivation
        ``.expr`` the formula, ``.value`` the rate (1/yr) when all three are given, ``.func(b, x, n)``.

    Examples
    --------
    >>> round(float(required_cagr(2024, 4000, 6)), 4), round(float(required_cagr(2024, 4000, 5)), 4)
    (0.1202, 0.146)
    """
    r_sym = sp.Symbol("r", real=True)
    expr = sp.powsimp(
        sp.solve(sp.Eq(base_value * (1 + r_sym) ** n_years, target_value), r_sym)[0], force=True
    )
    return _derivation(
        "required_cagr",
        "constant growth rate from b to x in n years",
        rate,
        expr,
        (base_value, target_value, n_years),
        (base, target, years),
    )


def doubling_time(growth: float | None = None) -> Derivation:
    r"""Years to double at a constant growth rate, :math:`t_2 = \ln 2 / \ln(1 + r)` (solved by sympy).

    Examples
    --------
    >>> round(float(doubling_time(0.15)), 3)
    4.959
    """
    t = sp.Symbol("t", positive=True)
    expr = sp.solve(sp.Eq((1 + rate) ** t, 2), t)[0]
    return _derivation(
        "doubling_time", "years to double at the rate r", sp.Symbol("t_2"), expr, (rate,), (growth,)
    )


@dataclass
class ArithmeticTable(Table):
    """The arithmetic of a growth path: ``.values`` (name → number), ``.expressions`` (name → sympy)."""

    values: dict[str, float] = field(default_factory=dict)
    expressions: dict[str, Any] = field(default_factory=dict)


def _growth_path(path: Any, plan: Any):
    """A growth path of the plan's targets (a scenario: its targets) by id or indicator; the first when None."""
    from jdmodel.symbolic._plan import _is_scenario, plan_of

    if path is not None and not isinstance(path, str):
        return path  # a GrowthPath
    if _is_scenario(plan):
        targets = plan.targets
    else:
        from jdmodel.params.targets import load_targets

        targets = load_targets(plan=plan_of(plan))
    paths = targets.paths
    found = [p for p in paths if path is None or path in (p.id, p.indicator)]
    if not found:
        from jdmodel.errors import ParameterError

        known = ", ".join(p.id for p in paths) or "none"
        raise ParameterError(f"no growth path {path!r} in the targets of plan {plan_of(plan).id!r} "
                             f"(its paths: {known}); give base, growth, target and the years instead")
    return found[0]


def path_arithmetic(
    path: Any = None,
    plan: Any = None,
    *,
    base: float | None = None,
    growth: float | None = None,
    target: float | None = None,
    base_year: int | None = None,
    start_year: int | None = None,
    target_year: int | None = None,
) -> ArithmeticTable:
    r"""The arithmetic behind a growth path of a plan's targets: a line compounding from a base value.

    A path (``[paths.<id>]`` in ``targets.toml``) starts from ``base`` in ``base_year``, grows by
    ``growth`` a year from ``start_year`` and aims at ``target`` in ``target_year``. With
    :math:`n` = target_year − base_year years in all and :math:`n_l` = target_year − start_year + 1
    years of compounding on the line, the table gives:

    * ``line``: the path's own line in the target year, :math:`b (1+g)^{n_l}`;
    * ``line_from_base``: compounding every year from the base year, :math:`b (1+g)^{n}`;
    * ``cagr``: the constant rate from ``base`` to ``target`` over :math:`n` years;
    * ``cagr_line``: the same over the line's :math:`n_l` years;
    * ``implied_base``: the value in the year before ``start_year`` that ``target`` implies at
      ``growth``, :math:`x/(1+g)^{n_l}`;
    * ``doubling_time``: years to double at ``growth``.

    For Jiading's e-commerce sales line (+15 %/yr "from 2021" on 2024 亿元 in 2019, 4000 亿元 by
    2025): the line gives :math:`2024 \cdot 1.15^5 \approx 4071`, compounding from 2019
    :math:`\approx 4682`; doubling 2024 → 4000 needs 12.02 %/yr over 2019–2025 or 14.60 %/yr over
    five years; 4000 implies a 2020 base of :math:`4000/1.15^5 \approx 1988.7`.

    Parameters
    ----------
    path : str or GrowthPath, optional
        A path id or its indicator; default the first path of the targets.
    plan : Plan, Scenario, str or None
        Whose targets (a scenario: its targets file); default the default plan.
    base, growth, target, base_year, start_year, target_year : optional
        Override the path's numbers (all given: no targets file is read).

    Returns
    -------
    ArithmeticTable
        ``.table()`` plain text, ``_repr_html_`` and ``_repr_latex_`` for notebooks, ``.values``.

    Examples
    --------
    >>> t = path_arithmetic(plan="jiading")
    >>> round(t.values["line"]), round(t.values["implied_base"], 1)
    (4071, 1988.7)
    >>> round(100 * path_arithmetic(base=100, growth=0.1, target=150, base_year=2010, start_year=2011,
    ...                             target_year=2015).values["cagr"], 2)
    8.45
    """
    given = (base, growth, target, base_year, start_year, target_year)
    if None in given:
        p = _growth_path(path, plan)
        base = p.base_value if base is None else base
        growth = p.growth if growth is None else growth
        target = p.target_value if target is None else target
        base_year = p.base_year if base_year is None else base_year
        start_year = p.start_year if start_year is None else start_year
        target_year = p.target_year if target_year is None else target_year
    n = target_year - base_year
    n_line = target_year - start_year + 1
    g = sp.Symbol("g", positive=True)
    cagr = required_cagr().expr
    exprs = {
        "line": (
            base_value * (1 + g) ** n_line,
            {n_years: n_line},
            f"{base:g} grown {growth:.0%}/yr for {n_line} years (from {start_year}; the path's line)",
        ),
        "line_from_base": (
            base_value * (1 + g) ** n,
            {n_years: n},
            f"{base:g} grown {growth:.0%}/yr for {n} years (from {base_year + 1})",
        ),
        "cagr": (
            cagr,
            {n_years: n},
            f"yearly growth {base:g} → {target:g} over {base_year}–{target_year} (n = {n})",
        ),
        "cagr_line": (
            cagr,
            {n_years: n_line},
            f"yearly growth {base:g} → {target:g} over {n_line} years (n = {n_line})",
        ),
        "implied_base": (
            target_value / (1 + g) ** n_line,
            {n_years: n_line},
            f"{start_year - 1} base implied by {target:g} at {growth:.0%}/yr over {n_line} years",
        ),
        "doubling_time": (doubling_time().expr.subs(rate, g), {}, f"years to double at {growth:.0%}/yr"),
    }
    subs = {base_value: base, target_value: target, g: growth}
    values, rows, latex_rows, expressions = {}, [], [], {}
    for name, (expr, extra, label) in exprs.items():
        val = float(expr.subs({**subs, **extra}).evalf())
        values[name] = val
        expressions[name] = expr
        shown = (
            f"{val:.2%}"
            if name.startswith("cagr")
            else f"{val:.2f}"
            if name == "doubling_time"
            else f"{val:,.1f}"
        )
        # sympy splits (x/b)^(1/6) into x^(1/6)/b^(1/6) for positive symbols: keep n symbolic there
        shown_expr = expr if name.startswith("cagr") else expr.subs(extra)
        rows.append((label, sp.sstr(shown_expr), shown))
        latex_rows.append(
            (
                r"\text{" + label.replace("%", r"\%") + "}",
                sp.latex(shown_expr, symbol_names={**_LATEX, g: "g"}),
                shown.replace("%", r"\%").replace(",", "{,}"),
            )
        )
    return ArithmeticTable(
        title=f"Growth-path arithmetic (b = {base:g} in {base_year}, g = {growth:.0%}/yr from {start_year}, "
        f"x = {target:g} in {target_year})",
        columns=("quantity", "formula", "value"),
        rows=rows,
        latex_rows=latex_rows,
        note="values in the path's unit; rates per year",
        values=values,
        expressions=expressions,
    )


#: the former name (when the library knew one plan, whose only growth path this was); same function
ecommerce_arithmetic = path_arithmetic


@dataclass
class SteadyState:
    """Steady states of the capital and talent blocks and the balanced growth of value added.

    ``expressions`` maps a name to a sympy expression; :meth:`evaluate` gives numbers per sector.
    """

    expressions: dict[str, Any]
    descriptions: dict[str, str]
    plan: Any = None

    def table(self) -> str:
        return "\n".join(
            f"{k}: {sp.sstr(v)}    ({self.descriptions[k]})" for k, v in self.expressions.items()
        )

    def __str__(self) -> str:
        return self.table()

    def _repr_latex_(self) -> str:
        names = {**(M.latex_names(self.plan) if self.plan is not None else M.LATEX_NAMES), **_LATEX}
        rows = [
            r"\text{" + k.replace("_", " ") + "} &: " + sp.latex(v, symbol_names=names)
            for k, v in self.expressions.items()
        ]
        return r"$$\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$$"

    def evaluate(self, scenario: Any, year: int | None = None) -> dict[str, np.ndarray]:
        """Long-run values per sector, every lever at its ``year`` level.

        ``scenario`` is a Scenario (or a name) of any plan; ``year`` a lever year of its plan (default
        the horizon). Arrays are in the order of the plan's sectors (``sc.plan.sector_ids``):

        * ``talent``, ``talent_half_life``: :math:`H^*` with the talent lever at its ``year`` level;
        * ``value_added_growth``: balanced growth of value added with talent and land settled and
          TFP growing at ``tfp_growth``, :math:`(1 + g_A)^{1/(1-\\alpha)} - 1`;
        * ``capital_output_ratio``, ``capital_half_life``: :math:`K/V` on that path,
          :math:`s/(g_V + \\delta)`, and the years to close half the gap to it;
        * ``base_capital_output_ratio``: :math:`K/V` in the base year, :math:`s/(g_0 + \\delta)`.
        """
        from jdmodel.errors import ParameterError
        from jdmodel.symbolic._plan import scenario_of

        sc = scenario_of(scenario)
        years = sc.plan.years
        year = years.horizon if year is None else year
        if year not in years.levers:
            raise ParameterError(f"year {year!r}: expected a lever year of plan {sc.plan.id!r}, "
                                 f"{years.levers[0]}–{years.levers[-1]}")
        t = years.levers.index(year)

        def vec(sym) -> np.ndarray:
            cells = [np.atleast_1d(np.asarray(sc[M.parameter_key(sym, sector=s)], dtype=float))
                     for s in sc.plan.sector_ids]
            return np.array([c[t] if c.size > 1 else c[0] for c in cells])

        args = {sym: vec(sym) for sym in (M.delta, M.s_inv, M.rho, M.O, M.T, M.g_A, M.alpha, M.g_0)}

        def ev(name: str, extra: dict | None = None) -> np.ndarray:
            expr = self.expressions[name]
            syms = sorted(expr.free_symbols, key=str)
            given = {**args, **(extra or {})}
            return np.asarray(sp.lambdify(syms, expr, modules="numpy")(*(given[s] for s in syms)), dtype=float)

        growth = ev("value_added_growth_fixed_inputs")
        return {
            "talent": ev("talent"),
            "talent_half_life": ev("talent_half_life"),
            "value_added_growth": growth,
            "capital_output_ratio": ev("capital_output_ratio", {g_V: growth}),
            "capital_half_life": ev("capital_half_life", {g_V: growth}),
            "base_capital_output_ratio": ev("capital_output_ratio", {g_V: args[M.g_0]}),
        }


def steady_state(plan: Any = None) -> SteadyState:
    r"""Steady states of the capital and talent blocks and the balanced growth of value added.

    Investment is a share of value added, :math:`K_{t+1} = (1-\delta) K_t + s V_t + m F`, so capital
    grows with value added and the stable quantity is the capital–value-added ratio
    :math:`k = K/V`. On a path where :math:`V` grows at :math:`g_V` a year (funds negligible against
    investment, or none), :math:`k_{t+1} = ((1-\delta) k_t + s)/(1 + g_V)`, whose fixed point is

    .. math:: k^* = s / (g_V + \delta)

    — the base year's capital :math:`K_0 = s V_0/(g_0 + \delta)` is this steady state at the
    pre-base-year growth :math:`g_0`. The ratio approaches :math:`k^*` geometrically,
    :math:`k_n = k^* + (k_0 - k^*)\,((1-\delta)/(1+g_V))^n` (solved by ``sympy.rsolve``), with a
    half-life :math:`\ln 2 / -\ln((1-\delta)/(1+g_V))`. Talent has a level steady state,
    :math:`H^* = (O + T)/\rho`.

    Balanced growth: with :math:`K/V` constant, capital grows with value added, so
    :math:`1 + g_V = (1 + g_A)(1 + g_V)^{\alpha}(1 + g_H)^{\beta}(1 + g_L)^{\gamma}`, i.e.
    :math:`g_V = ((1+g_A)(1+g_H)^\beta(1+g_L)^\gamma)^{1/(1-\alpha)} - 1` — exact in yearly rates, and
    :math:`(1 + g_A)^{1/(1-\alpha)} - 1` once talent and land settle (:math:`g_A/(1-\alpha)` in log
    rates): capital accumulation multiplies TFP growth by :math:`1/(1-\alpha)`.

    The expressions are the same for every plan; ``plan`` (Plan, Scenario, plan name; default the
    default plan) names the base year when they are shown, and :meth:`SteadyState.evaluate` takes
    a scenario of any plan.

    Examples
    --------
    >>> ss = steady_state()
    >>> ss.expressions["capital_output_ratio"]
    s/(delta + g_V)
    """
    from jdmodel.symbolic._plan import plan_of

    exprs, desc = _steady_state()
    return SteadyState(dict(exprs), dict(desc), plan_of(plan))


@cache
def _steady_state() -> tuple[dict[str, Any], dict[str, str]]:
    """The steady-state expressions and their descriptions (plan-independent; solved once)."""
    capital = M.growth_equation("capital").rhs.subs(M.I_prev, M.growth_equation("investment").rhs.subs(M.V, M.V_prev))
    # K/V one year on, no funds, V growing at g_V: divide the capital equation by V = (1 + g_V) V_prev
    ratio_step = sp.expand(capital.subs({M.F: 0, M.K_prev: k_ratio * M.V_prev}) / M.V_prev) / (1 + g_V)
    k_star = sp.solve(sp.Eq(k_ratio, ratio_step), k_ratio)[0]
    k = sp.Function("k")
    k_base = M.growth_equation("capital_base").rhs.subs(M.V0, 1)  # K0/V0 = s/(g_0 + δ)
    solved = sp.rsolve(k(_n + 1) - ratio_step.subs(k_ratio, k(_n)), k(_n), {k(0): k_base})
    decay = (1 - M.delta) / (1 + g_V)
    k_path = k_star + (k_base - k_star) * decay**_n
    if sp.simplify(solved - k_path) != 0:  # pragma: no cover - the tidy form is the rsolve solution
        raise AssertionError(f"steady_state: rsolve gave {solved}, not {k_path}")
    h_star = sp.solve(sp.Eq(M.H, (1 - M.rho) * M.H + M.O + M.T), M.H)[0]
    u = sp.Symbol("u", positive=True)  # 1 + g_V
    balanced = (1 + M.g_A) * (1 + g_H) ** M.beta * (1 + g_L) ** M.gamma
    solved_u = sp.solve(sp.Eq(u, balanced * u**M.alpha), u)
    growth = balanced ** (1 / (1 - M.alpha)) - 1
    if len(solved_u) != 1 or sp.simplify(solved_u[0] - 1 - growth) != 0:  # pragma: no cover
        raise AssertionError(f"steady_state: balanced growth solved as {solved_u}")
    exprs = {
        "capital_output_ratio": k_star,
        "capital_output_ratio_path": k_path,
        "capital_half_life": sp.log(2) / -sp.log(decay),
        "talent": h_star,
        "talent_half_life": sp.log(2) / -sp.log(1 - M.rho),
        "value_added_growth": growth,
        "value_added_growth_fixed_inputs": growth.subs({g_H: 0, g_L: 0}),
    }
    desc = {
        "capital_output_ratio": "K/V on a path where value added grows at g_V a year (no funds): the fixed point "
                                "of K/V; at g_V = g_0 the base year's capital",
        "capital_output_ratio_path": "K/V n years after the base year (K/V = s/(g_0 + δ) then) while V grows at "
                                     "g_V (sympy.rsolve)",
        "capital_half_life": "years to close half the gap of K/V to its steady state",
        "talent": "H* = fixed point of the talent equation",
        "talent_half_life": "years to close half the gap to H*",
        "value_added_growth": "balanced growth of value added: K grows with V (yearly rates, exact)",
        "value_added_growth_fixed_inputs": "the same with talent and land settled: (1 + g_A)^(1/(1 − α)) − 1",
    }
    return exprs, desc
