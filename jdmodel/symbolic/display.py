"""The model's equations for people: a notebook/terminal object and the generated ``docs/equations.md``.

Everything shown is printed from the sympy expressions in :mod:`jdmodel.symbolic.model` (and the
derivations built from them), the same expressions :mod:`jdmodel.symbolic.kernel` lambdifies, so
the equations read and the equations run cannot drift apart. The equations are shown for a plan:
its base year names the base-year symbols, its sectors' abbreviations the sector outputs, and its
linked and total indicators add their equations.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import sympy as sp

from jdmodel.symbolic import model as M
from jdmodel.symbolic._plan import Totals, plan_of, totals_of

BLOCKS = {
    "capital": "Capital", "talent": "Talent", "land": "Land and the district land budget",
    "tfp": "Total factor productivity", "output": "Value added, measured output and calibration",
    "market": "The market-share variant (model.variant = \"market_share\")", "linked": "Linked indicators",
    "total": "Total indicators", "derived": "Derived results",
    "counting": "Counting models (mean equations)",
}
dlog = {name: sp.Symbol(f"z_dln{name}", real=True) for name in ("M", "V", "A", "K", "H", "L", "Mkt", "1d")}
k_star, h_star, k_n, n_years = sp.symbols("k^* H^* k_n n", positive=True)
g_V, g_H, g_L = sp.symbols("g_V g_H g_L", real=True)


def _extra_names(year: str) -> tuple[dict, dict]:
    """LaTeX and text names of the symbols the derived results add."""
    from jdmodel.symbolic import levers

    latex = {
        **{s: rf"\Delta\ln {n}" for n, s in dlog.items()}, dlog["Mkt"]: r"\Delta\ln \mathrm{Mkt}",
        dlog["1d"]: r"\Delta\ln (1 + d)", k_star: r"(K/V)^{*}", h_star: "H^{*}", n_years: "n",
        k_n: f"(K/V)_{{{year}+n}}", g_V: "g_{V}", g_H: "g_{H}", g_L: "g_{L}", **levers.LATEX_NAMES,
    }
    text = {**{s: f"Δln{n}" for n, s in dlog.items()}, dlog["1d"]: "Δln(1+d)", k_star: "(K/V)*", h_star: "H*",
            k_n: f"(K/V)[{year}+n]", **levers.TEXT_NAMES}
    return latex, text


def _differenced(logs: sp.Expr, terms: dict) -> sp.Expr:
    """The difference of a log equation between two years: each time-varying log becomes its Δln, constants drop."""
    out = []
    for term in sp.Add.make_args(sp.expand(logs)):
        for log_x, d in terms.items():
            c = term.coeff(log_x)
            if c != 0:
                out.append(d if c == 1 else sp.Mul(c, d, evaluate=False))
                break
    return sp.Add(*out, evaluate=False)


def _derived(plan) -> list[M.ModelEquation]:
    """Results derived by sympy from the model equations (growth accounting, steady states, elasticities)."""
    from jdmodel.symbolic.derivations import g_H as gh
    from jdmodel.symbolic.derivations import g_L as gl
    from jdmodel.symbolic.derivations import g_V as gv
    from jdmodel.symbolic.derivations import steady_state
    from jdmodel.symbolic.levers import C_K, elasticity_expression, sensitivity_expressions, xi

    factors = {sp.log(M.A): dlog["A"], sp.log(M.K): dlog["K"], sp.log(M.H): dlog["H"], sp.log(M.L): dlog["L"]}
    accounting = _differenced(M.growth_equation("log_value_added").rhs, factors)
    measured = _differenced(sp.expand_log(sp.log(M.growth_equation("output").rhs), force=True),
                            {sp.log(M.V): dlog["V"], sp.log(1 + M.d): dlog["1d"]})
    ss = steady_state(plan).expressions
    back = {gv: g_V, gh: g_H, gl: g_L}
    k_path = ss["capital_output_ratio_path"].subs(sp.Symbol("n", integer=True, nonnegative=True), n_years)
    extra_latex, extra_text = _extra_names(str(plan.years.base))
    names = {**M.latex_names(plan), **extra_latex}
    texts = {**M.text_names(plan), **extra_text}
    sens = sensitivity_expressions()
    items = [
        M.ModelEquation("derived", "growth_accounting", dlog["V"], accounting,
                        "growth accounting of value added: exact for log differences over any period", False),
        M.ModelEquation("derived", "measured_growth", dlog["M"], measured,
                        "measured output grows as value added plus the change of the shock factor (μ v is "
                        "constant); the two differ only over periods that start or end in the shock span", False),
    ]
    if plan.market is not None:
        market = _differenced(M.growth_equation("log_market_value_added").rhs,
                              {**factors, sp.log(M.Mkt): dlog["Mkt"]})
        items.append(M.ModelEquation(
            "derived", "market_growth_accounting", dlog["V"], market,
            f"growth accounting of the market sector ({plan.market.sector}) under the market-share variant: "
            "the market takes the place of TFP", False))
    items += [
        M.ModelEquation("derived", "capital_output_ratio_steady_state", k_star, ss["capital_output_ratio"].xreplace(back),
                        "steady-state capital per unit of value added when value added grows at g_V a year (no "
                        "funds); the base year's capital is this at g_0", False),
        M.ModelEquation("derived", "capital_output_ratio_path", k_n, k_path.xreplace(back),
                        "capital per unit of value added n years on, while value added grows at g_V "
                        "(sympy.rsolve)", False),
        M.ModelEquation("derived", "talent_steady_state", h_star, ss["talent"],
                        "steady-state talent with constant levers (0 < ρ ≤ 1)", False),
        M.ModelEquation("derived", "balanced_growth", g_V, ss["value_added_growth"].xreplace(back),
                        "balanced growth of value added (capital grows with it; yearly rates, exact): "
                        "(1 + g_A)^(1/(1−α)) − 1 once talent and land settle", False),
        M.ModelEquation("derived", "elasticity", xi, elasticity_expression(),
                        "elasticity of value added and measured output in year t w.r.t. scaling a lever path; "
                        "C_X = ∂X_t/∂ln λ (market-share variant: times ε)", False),
        M.ModelEquation("derived", "capital_sensitivity", C_K, sens["capital"],
                        "how capital responds: the funds levered m-fold (funds lever only) and investment out of "
                        "the value added the lever raised; talent: C_H = (1−ρ) C_H[t−1] + T, land: "
                        "C_L = C_L[t−1] + ℓ", False),
    ]
    return [replace(e, names=names, text_names=texts) for e in items]


def _counting(plan) -> list[M.ModelEquation]:
    """The counting models' mean equations (``jdmodel.symbolic.counting``)."""
    from jdmodel.symbolic.counting import counting_equations

    return list(counting_equations(plan))


@cache
def _all_equations(plan, totals: Totals) -> tuple[M.ModelEquation, ...]:
    return (*M._model_equations(plan, totals), *_derived(plan), *_counting(plan))


def all_equations(plan: Any = None, totals: Mapping[str, Sequence[str]] | None = None) -> tuple[M.ModelEquation, ...]:
    """A plan's model equations, then the derived results, then (if present) the counting models' means."""
    return _all_equations(plan_of(plan), totals_of(plan, totals))


class Equations:
    """The model's equations for a plan: LaTeX/Markdown in Jupyter, plain text in a terminal.

    Iterate for :class:`~jdmodel.symbolic.model.ModelEquation` objects; index by name
    (``eqs["capital"].eq`` is the sympy ``Eq``).
    """

    def __init__(self, items: tuple[M.ModelEquation, ...], kind: str = "latex", plan: Any = None) -> None:
        if kind not in ("latex", "text"):
            from jdmodel.errors import ParameterError

            raise ParameterError(f"equations(kind={kind!r}): expected 'latex' or 'text'")
        self.items = items
        self.kind = kind
        self.plan = plan_of(plan)

    def __iter__(self) -> Iterator[M.ModelEquation]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, name: str) -> M.ModelEquation:
        for eq in self.items:
            if eq.name == name:
                return eq
        raise KeyError(name)

    def _blocks(self) -> Iterator[tuple[str, list[M.ModelEquation]]]:
        for block, title in BLOCKS.items():
            eqs = [e for e in self.items if e.block == block]
            if eqs:
                yield title, eqs

    def text(self) -> str:
        years = self.plan.years.levers
        lines = [f"jdmodel equations (per sector; t = {years[0]}…{years[-1]}; plan {self.plan.id})"]
        for title, eqs in self._blocks():
            lines += ["", title]
            for e in eqs:
                lines += [f"  {e.text()}", f"      {e.description}"]
        return "\n".join(lines)

    def latex(self) -> str:
        rows = [
            rf"{e.latex().replace(' = ', ' &= ', 1)} && \text{{{_escape(e.description)}}}" for e in self.items
        ]
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def markdown(self, heading: str = "###") -> str:
        parts = []
        for title, eqs in self._blocks():
            parts.append(f"{heading} {title}\n")
            for e in eqs:
                parts.append(f"$$\n{e.latex()}\n$$\n\n{e.description}.\n")
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_latex_(self) -> str | None:
        return f"$${self.latex()}$$" if self.kind == "latex" else None

    def _repr_markdown_(self) -> str | None:
        return self.markdown() if self.kind == "latex" else None


def _escape(text: str) -> str:
    return text.replace("%", r"\%").replace("_", r"\_").replace("#", r"\#").replace("&", r"\&")


def equations(kind: str = "latex", plan: Any = None) -> Equations:
    """The model's equations for a plan, each with a one-line description.

    Parameters
    ----------
    kind : {"latex", "text"}
        ``"latex"`` renders as LaTeX/Markdown in Jupyter; ``"text"`` keeps plain text there too.
        ``str()`` is plain text either way.
    plan : Plan, Scenario, str or None
        The plan whose sectors, years, linked and total indicators are shown (a scenario: its
        plan, with its targets' definition of the totals); default the default plan.

    Examples
    --------
    >>> eqs = equations()
    >>> "K[t] = " in str(eqs) and "K_{t}" in eqs["capital"].latex()
    True
    """
    return Equations(all_equations(plan), kind, plan)


def _unit(key: str) -> str:
    from jdmodel.params.schema import SCHEMA
    from jdmodel.params.units import canonical_unit

    spec = SCHEMA[key]
    return "true/false" if spec.dimension == "bool" else canonical_unit(spec.dimension)


def markdown_doc(plan: Any = None) -> str:
    """The text of ``docs/equations.md``, generated from the sympy source for a plan (default: the default plan)."""
    from jdmodel.params.schema import SCHEMA

    p = plan_of(plan)
    eqs = equations(plan=p)
    names = M.latex_names(p)
    years = p.years
    head = [
        "# Model equations",
        "",
        "Generated from the sympy expressions in `jdmodel/symbolic/` by `python -m jdmodel.symbolic` "
        "(`jdmodel.symbolic.write_equations_doc`); do not edit by hand — a test checks that this file equals "
        "the generated text. The growth block is lambdified from the same expressions "
        "(`jdmodel.symbolic.kernel.run_growth`) and tested equal to the engine (`jdmodel.engine.run`) for every "
        "shipped plan and scenario.",
        "",
        f"Shown for the plan `{p.id}` ({p.title_en}): base year {years.base}, years t = "
        f"{years.levers[0]}…{years.levers[-1]}. The growth block is the same for every plan; a plan's base year "
        "names the base-year symbols, its sectors' abbreviations the sector outputs, and its linked and total "
        "indicators (`plan.toml`) add their equations, its shock span names τ1, τ2 and its `[market]` adds the "
        "market-share variant. Per sector (subscript dropped); stocks at the end of year t produce year t's value "
        "added, levers of year t act in year t. The production function gives value added V; the statistics "
        "measure M = V (1 + d)/(μ v). In a notebook: `jd.equations()` "
        "(another plan: `jd.equations(plan=...)`, or `from jdmodel.symbolic import equations`).",
        "",
        "## Equations",
        "",
        eqs.markdown(),
        "## Sectors",
        "",
    ]
    outputs = M.sector_outputs(p)
    zh = any(s.zh for s in p.sectors)
    head += ["| symbol | sector | name |" + (" 中文 |" if zh else ""), "|---|---|---|" + ("---|" if zh else "")]
    for s in p.sectors:
        head.append(f"| ${M.latex(outputs[s.id], names)}$ | `{s.id}` | {s.en} |" + (f" {s.zh} |" if zh else ""))
    head += [
        "",
        "## Parameter symbols",
        "",
        "| symbol | key | unit | meaning |",
        "|---|---|---|---|",
    ]
    for sym, key in M.parameter_symbols(p).items():
        head.append(f"| ${M.latex(sym, names)}$ | `{key}` | {_unit(key)} | {SCHEMA[key].description} |")
    from jdmodel.symbolic.counting import COUNTING_KEYS, latex_names

    head += [
        "",
        "## Counting-model parameter symbols",
        "",
        "| symbol | key | unit | meaning |",
        "|---|---|---|---|",
    ]
    counting_names = latex_names(p)
    for sym, key in COUNTING_KEYS.items():
        if key in SCHEMA:  # the counting schema registers itself when its module is present
            head.append(
                f"| ${M.latex(sym, counting_names)}$ | `{key}` | {_unit(key)} | {SCHEMA[key].description} |"
            )
    head += ["", "## Other symbols", "", "| symbol | unit | meaning |", "|---|---|---|"]
    for sym, (unit, meaning) in M.state_units(p).items():
        head.append(f"| ${M.latex(sym, names)}$ | {unit} | {meaning} |")
    head += ["", "If a new sympy version typesets a term differently, regenerate this file.", ""]
    return "\n".join(head)


def write_equations_doc(path: str | Path = "docs/equations.md", plan: Any = None) -> Path:
    """Write :func:`markdown_doc` for ``plan`` (default: the default plan) to ``path`` (UTF-8, atomically); return the path."""
    from jdmodel.outputs import write_atomic

    return write_atomic(path, markdown_doc(plan))
