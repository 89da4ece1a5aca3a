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
    "tfp": "Total factor productivity", "output": "Output and calibration", "linked": "Linked indicators",
    "total": "Total indicators", "derived": "Derived results",
    "counting": "Counting models (mean equations)",
}
dlog = {name: sp.Symbol(f"z_dln{name}", real=True) for name in ("Y", "A", "K", "H", "L")}
k_star, h_star, n_years = sp.symbols("K^* H^* n", positive=True)
g_Y, g_H, g_L, eps_F = sp.symbols("g_Y g_H g_L varepsilon_F", real=True)
C_F = sp.Symbol("C_F", positive=True)
k_n = sp.Symbol("K_n", positive=True)


def _extra_names(year: str) -> tuple[dict, dict]:
    """LaTeX and text names of the symbols the derived results add."""
    latex = {
        **{s: rf"\Delta\ln {n}" for n, s in dlog.items()}, k_star: "K^{*}", h_star: "H^{*}", n_years: "n",
        g_Y: "g_{Y}", g_H: "g_{H}", g_L: "g_{L}", eps_F: r"\varepsilon_{F}", C_F: "C_{F}",
        k_n: f"K_{{{year}+n}}",
    }
    text = {**{s: f"Δln{n}" for n, s in dlog.items()}, k_star: "K*", h_star: "H*", eps_F: "ε_F",
            k_n: f"K[{year}+n]"}
    return latex, text


def _derived(plan) -> list[M.ModelEquation]:
    """Results derived by sympy from the model equations (growth accounting, steady states, elasticity)."""
    from jdmodel.symbolic.derivations import g_H as gh
    from jdmodel.symbolic.derivations import g_L as gl
    from jdmodel.symbolic.derivations import g_Y as gy
    from jdmodel.symbolic.derivations import steady_state
    from jdmodel.symbolic.levers import contribution, elasticity_expression

    logs = M.growth_equation("log_output").rhs
    # difference the log equation term by term, coefficient first (A, K, H, L) for the reader
    terms = [(logs.coeff(sp.log(x)), dlog[n]) for n, x in (("A", M.A), ("K", M.K), ("H", M.H), ("L", M.L))]
    accounting = sp.Add(*(d if c == 1 else sp.Mul(c, d, evaluate=False) for c, d in terms), evaluate=False)
    ss = steady_state(plan).expressions
    back = {gy: g_Y, gh: g_H, gl: g_L}
    k_path = ss["capital_path"].subs(sp.Symbol("n", integer=True, nonnegative=True), n_years)
    extra_latex, extra_text = _extra_names(str(plan.years.base))
    names = {**M.latex_names(plan), **extra_latex}
    texts = {**M.text_names(plan), **extra_text}
    items = [
        M.ModelEquation(
            "derived",
            "growth_accounting",
            dlog["Y"],
            accounting,
            "growth accounting: exact for log differences over any period",
            False,
        ),
        M.ModelEquation(
            "derived",
            "capital_steady_state",
            k_star,
            ss["capital"],
            "steady-state capital with constant levers (0 < δ ≤ 1)",
            False,
        ),
        M.ModelEquation(
            "derived",
            "capital_path",
            k_n,
            k_path,
            "capital after n years of constant levers (sympy.rsolve); talent likewise with ρ, O + T",
            False,
        ),
        M.ModelEquation(
            "derived",
            "talent_steady_state",
            h_star,
            ss["talent"],
            "steady-state talent with constant levers (0 < ρ ≤ 1)",
            False,
        ),
        M.ModelEquation(
            "derived",
            "balanced_growth",
            g_Y,
            ss["output_growth_solow"].xreplace(back),
            "balanced growth (log rates) if investment were a share of current output; "
            "g_A/(1−α) with talent and land constant; the engine's fixed investment gives g_A "
            "in the long run",
            False,
        ),
        M.ModelEquation(
            "derived",
            "funds_elasticity",
            eps_F,
            elasticity_expression("funds").subs(contribution, C_F),
            "elasticity of output in year t w.r.t. scaling the funds path; "
            "C_F = m Σ_j (1−δ)^(t−j) F_j (talent: β C_T/H, land: γ C_ℓ/L)",
            False,
        ),
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
        "the generated text. The engine's per-year update is lambdified from the same expressions and tested "
        "equal to `jdmodel/growth.py`.",
        "",
        f"Shown for the plan `{p.id}` ({p.title_en}): base year {years.base}, years t = "
        f"{years.levers[0]}…{years.levers[-1]}. The growth block is the same for every plan; a plan's base year "
        "names the base-year symbols, its sectors' abbreviations the sector outputs, and its linked and total "
        "indicators (`plan.toml`) add their equations. Per sector (subscript dropped); stocks at the end of "
        "year t produce year t's output, levers of year t act in year t. In a notebook: `jd.equations()` "
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
    for sym, key in M.PARAMETER_KEYS.items():
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
    """Write :func:`markdown_doc` for ``plan`` (default: the default plan) to ``path`` (UTF-8); return the path."""
    path = Path(path)
    path.write_text(markdown_doc(plan), encoding="utf-8")
    return path
