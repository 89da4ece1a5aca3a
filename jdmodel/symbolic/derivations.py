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
g_Y, g_H, g_L = sp.symbols("g_Y g_H g_L", real=True)
_LATEX = {**M.LATEX_NAMES, base_value: "b", target_value: "x", n_years: "n", rate: "r", _n: "n"}


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
    """The plan's e-commerce arithmetic: ``.values`` (name → number), ``.expressions`` (name → sympy)."""

    values: dict[str, float] = field(default_factory=dict)
    expressions: dict[str, Any] = field(default_factory=dict)


def ecommerce_arithmetic(
    base: float | None = None,
    growth: float | None = None,
    target: float | None = None,
    base_year: int | None = None,
    target_year: int | None = None,
) -> ArithmeticTable:
    r"""The arithmetic behind the plan's e-commerce line: 15 %/yr from a 2019 base of 2024 亿元 to 4000.

    Five years of 15 % on the 2019 figure give :math:`2024 \cdot 1.15^5 \approx 4071`, six years
    :math:`2024 \cdot 1.15^6 \approx 4682`; doubling 2024 → 4000 needs 12.02 %/yr over the six years
    2019–2025 or 14.60 %/yr over five; 4000 at 15 %/yr over five years implies a 2020 base of
    :math:`4000/1.15^5 \approx 1988.7`. Defaults come from ``[paths.ecommerce_sales]`` in
    ``parameters/targets.toml``.

    Returns
    -------
    ArithmeticTable
        ``.table()`` plain text, ``_repr_html_`` and ``_repr_latex_`` for notebooks, ``.values``.

    Examples
    --------
    >>> t = ecommerce_arithmetic()
    >>> round(t.values["line_5y"]), round(t.values["implied_base_2020"], 1)
    (4071, 1988.7)
    """
    if None in (base, growth, target, base_year, target_year):
        from jdmodel.params.targets import load_targets

        path = next(p for p in load_targets().paths if p.indicator == "ecommerce_sales")
        base = path.base_value if base is None else base
        growth = path.growth if growth is None else growth
        target = path.target_value if target is None else target
        base_year = path.base_year if base_year is None else base_year
        target_year = path.target_year if target_year is None else target_year
    n = target_year - base_year
    g = sp.Symbol("g", positive=True)
    cagr = required_cagr().expr
    exprs = {
        "line_5y": (
            base_value * (1 + g) ** (n - 1),
            {n_years: n - 1},
            f"{base:g} grown {growth:.0%}/yr for {n - 1} years (from {base_year + 2}; the plan's line)",
        ),
        "line_6y": (
            base_value * (1 + g) ** n,
            {n_years: n},
            f"{base:g} grown {growth:.0%}/yr for {n} years (from {base_year + 1})",
        ),
        "cagr_6y": (
            cagr,
            {n_years: n},
            f"yearly growth {base:g} → {target:g} over {base_year}–{target_year} (n = {n})",
        ),
        "cagr_5y": (
            cagr,
            {n_years: n - 1},
            f"yearly growth {base:g} → {target:g} over {n - 1} years (n = {n - 1})",
        ),
        "implied_base_2020": (
            target_value / (1 + g) ** (n - 1),
            {n_years: n - 1},
            f"{base_year + 1} base implied by {target:g} at {growth:.0%}/yr over {n - 1} years",
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
        title=f"E-commerce sales arithmetic (b = {base:g} 亿元 in {base_year}, g = {growth:.0%}/yr, "
        f"x = {target:g} 亿元 in {target_year})",
        columns=("quantity", "formula", "value"),
        rows=rows,
        latex_rows=latex_rows,
        note="money in 亿元; rates per year",
        values=values,
        expressions=expressions,
    )


@dataclass
class SteadyState:
    """Fixed points of the stock equations and the balanced-growth rate of output.

    ``expressions`` maps a name to a sympy expression; :meth:`evaluate` gives numbers per sector.
    """

    expressions: dict[str, Any]
    descriptions: dict[str, str]

    def table(self) -> str:
        return "\n".join(
            f"{k}: {sp.sstr(v)}    ({self.descriptions[k]})" for k, v in self.expressions.items()
        )

    def __str__(self) -> str:
        return self.table()

    def _repr_latex_(self) -> str:
        rows = [
            r"\text{" + k.replace("_", " ") + "} &: " + sp.latex(v, symbol_names=_LATEX)
            for k, v in self.expressions.items()
        ]
        return r"$$\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$$"

    def evaluate(self, scenario: Any, year: int = 2030) -> dict[str, np.ndarray]:
        """Steady-state stocks per sector, every lever at its ``year`` level (arrays in SECTORS order)."""
        from jdmodel.params.schema import LEVER_YEARS, SECTORS

        t = LEVER_YEARS.index(year)

        def vec(pattern: str) -> np.ndarray:
            cells = [
                np.atleast_1d(np.asarray(scenario[pattern.replace("*", s)], dtype=float)) for s in SECTORS
            ]
            return np.array([c[t] if c.size > 1 else c[0] for c in cells])

        args = {
            sym: vec(M.PARAMETER_KEYS[sym]) for sym in (M.delta, M.s_inv, M.Y0, M.m, M.F, M.rho, M.O, M.T)
        }
        out = {}
        for name in ("capital", "talent", "capital_half_life", "talent_half_life"):
            expr = self.expressions[name].subs(M.I, M.s_inv * M.Y0)
            syms = sorted(expr.free_symbols, key=str)
            out[name] = sp.lambdify(syms, expr, modules="numpy")(*(args[s] for s in syms))
        return out


@cache
def steady_state() -> SteadyState:
    r"""Steady states of the capital and talent blocks and the balanced-growth rate of output.

    Assumptions: levers and parameters constant; :math:`0 < \delta, \rho \le 1`. Then
    :math:`K^* = (I + mF)/\delta` and :math:`H^* = (O + T)/\rho` solve the fixed points, and the
    stocks approach them geometrically, :math:`K_t = K^* + (K_{2020} - K^*)(1-\delta)^t` (solved
    by ``sympy.rsolve``), with half-lives :math:`\ln 2 / -\ln(1-\delta)`.

    Output growth on a balanced path, with :math:`g` denoting log growth rates: in the engine
    investment is a fixed amount (:math:`I = sY_{2020}`) so :math:`K \to K^*` and
    :math:`g_Y \to g_A + \beta g_H + \gamma g_L` (:math:`= g_A` once land and talent settle). In the
    Solow variant where investment is a share of *current* output, :math:`K` grows with
    :math:`Y` on the balanced path, :math:`g_Y = g_A + \alpha g_Y + \beta g_H + \gamma g_L`, so
    :math:`g_Y = (g_A + \beta g_H + \gamma g_L)/(1-\alpha)`, i.e. :math:`g_A/(1-\alpha)` with
    talent and land constant.

    Examples
    --------
    >>> ss = steady_state()
    >>> ss.expressions["capital"]
    (F*m + I)/delta
    """
    k_star = sp.solve(sp.Eq(M.K, (1 - M.delta) * M.K + M.I + M.m * M.F), M.K)[0]
    h_star = sp.solve(sp.Eq(M.H, (1 - M.rho) * M.H + M.O + M.T), M.H)[0]
    k = sp.Function("k")
    k_path = sp.rsolve(k(_n + 1) - (1 - M.delta) * k(_n) - (M.I + M.m * M.F), k(_n), {k(0): M.K0})
    num, den = sp.fraction(sp.solve(sp.Eq(g_Y, M.g_A + M.alpha * g_Y + M.beta * g_H + M.gamma * g_L), g_Y)[0])
    solow = (-num) / (-den)  # shown as (g_A + …)/(1 − α)
    exprs = {
        "capital": k_star,
        "talent": h_star,
        "capital_path": sp.simplify(k_path),
        "capital_half_life": sp.log(2) / -sp.log(1 - M.delta),
        "talent_half_life": sp.log(2) / -sp.log(1 - M.rho),
        "output_growth_engine": M.g_A + M.beta * g_H + M.gamma * g_L,
        "output_growth_solow": solow,
        "output_growth_solow_fixed_inputs": solow.subs({g_H: 0, g_L: 0}),
    }
    desc = {
        "capital": "K* = fixed point of the capital equation",
        "talent": "H* = fixed point of the talent equation",
        "capital_path": "K after n years of constant levers (sympy.rsolve)",
        "capital_half_life": "years to close half the gap to K*",
        "talent_half_life": "years to close half the gap to H*",
        "output_growth_engine": "long-run output growth in the engine (fixed investment, K → K*)",
        "output_growth_solow": "balanced growth when investment is a share of current output",
        "output_growth_solow_fixed_inputs": "the same with talent and land constant: g_A / (1 − α)",
    }
    return SteadyState(exprs, desc)
