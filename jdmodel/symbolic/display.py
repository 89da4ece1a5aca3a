"""The model's equations for people: a notebook/terminal object and the generated ``docs/equations.md``.

Everything shown is printed from the sympy expressions in :mod:`jdmodel.symbolic.model` (and the
derivations built from them), the same expressions :mod:`jdmodel.symbolic.kernel` lambdifies, so
the equations read and the equations run cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import sympy as sp

from jdmodel.symbolic import model as M

BLOCKS = {
    "capital": "Capital", "talent": "Talent", "land": "Land and the district land budget",
    "tfp": "Total factor productivity", "output": "Output and calibration", "sales": "E-commerce sales",
    "total": "Online-economy total", "derived": "Derived results",
    "counting": "Counting models (mean equations)",
}
dlog = {name: sp.Symbol(f"z_dln{name}", real=True) for name in ("Y", "A", "K", "H", "L")}
k_star, h_star, n_years = sp.symbols("K^* H^* n", positive=True)
g_Y, g_H, g_L, eps_F = sp.symbols("g_Y g_H g_L varepsilon_F", real=True)
C_F = sp.Symbol("C_F", positive=True)
k_n = sp.Symbol("K_n", positive=True)
_EXTRA_LATEX = {
    **{s: rf"\Delta\ln {n}" for n, s in dlog.items()}, k_star: "K^{*}", h_star: "H^{*}", n_years: "n",
    g_Y: "g_{Y}", g_H: "g_{H}", g_L: "g_{L}", eps_F: r"\varepsilon_{F}", C_F: "C_{F}", k_n: "K_{2020+n}",
}
_EXTRA_TEXT = {
    **{s: f"Δln{n}" for n, s in dlog.items()}, k_star: "K*", h_star: "H*", eps_F: "ε_F", k_n: "K[2020+n]",
}


def _derived() -> list[M.ModelEquation]:
    """Results derived by sympy from the model equations (growth accounting, steady states, elasticity)."""
    from jdmodel.symbolic.derivations import g_H as gh
    from jdmodel.symbolic.derivations import g_L as gl
    from jdmodel.symbolic.derivations import g_Y as gy
    from jdmodel.symbolic.derivations import steady_state
    from jdmodel.symbolic.levers import contribution, elasticity_expression

    logs = M.equation("log_output").rhs
    # difference the log equation term by term, coefficient first (A, K, H, L) for the reader
    terms = [(logs.coeff(sp.log(x)), dlog[n]) for n, x in (("A", M.A), ("K", M.K), ("H", M.H), ("L", M.L))]
    accounting = sp.Add(*(d if c == 1 else sp.Mul(c, d, evaluate=False) for c, d in terms), evaluate=False)
    ss = steady_state().expressions
    back = {gy: g_Y, gh: g_H, gl: g_L}
    k_path = ss["capital_path"].subs(sp.Symbol("n", integer=True, nonnegative=True), n_years)
    return [
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


def _counting() -> list[M.ModelEquation]:
    """The counting models' mean equations (``jdmodel.symbolic.counting``)."""
    from jdmodel.symbolic.counting import counting_equations

    return list(counting_equations())


@cache
def all_equations() -> tuple[M.ModelEquation, ...]:
    """The model equations, then the derived results, then (if present) the counting models' means."""
    return (*M.model_equations(), *_derived(), *_counting())


def _latex(eq: M.ModelEquation) -> str:
    names = {**_EXTRA_LATEX, **eq.names}
    return f"{M.latex(eq.lhs, names)} = {M.latex(eq.rhs, names)}"


def _text(eq: M.ModelEquation) -> str:
    sub = {sym: sp.Symbol(name) for sym, name in {**M.TEXT_NAMES, **_EXTRA_TEXT}.items()}
    return f"{sp.sstr(eq.lhs.xreplace(sub), order='none')} = {sp.sstr(eq.rhs.xreplace(sub), order='none')}"


class Equations:
    """The model's equations: LaTeX/Markdown in Jupyter, plain text in a terminal.

    Iterate for :class:`~jdmodel.symbolic.model.ModelEquation` objects; index by name
    (``eqs["capital"].eq`` is the sympy ``Eq``).
    """

    def __init__(self, items: tuple[M.ModelEquation, ...], kind: str = "latex") -> None:
        if kind not in ("latex", "text"):
            from jdmodel.errors import ParameterError

            raise ParameterError(f"equations(kind={kind!r}): expected 'latex' or 'text'")
        self.items = items
        self.kind = kind

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
        lines = ["jdmodel equations (per sector; t = 2021…2030)"]
        for title, eqs in self._blocks():
            lines += ["", title]
            for e in eqs:
                lines += [f"  {_text(e)}", f"      {e.description}"]
        return "\n".join(lines)

    def latex(self) -> str:
        rows = [
            rf"{_latex(e).replace(' = ', ' &= ', 1)} && \text{{{_escape(e.description)}}}" for e in self.items
        ]
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def markdown(self, heading: str = "###") -> str:
        parts = []
        for title, eqs in self._blocks():
            parts.append(f"{heading} {title}\n")
            for e in eqs:
                parts.append(f"$$\n{_latex(e)}\n$$\n\n{e.description}.\n")
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


def equations(kind: str = "latex") -> Equations:
    """The model's equations, each with a one-line description.

    Parameters
    ----------
    kind : {"latex", "text"}
        ``"latex"`` renders as LaTeX/Markdown in Jupyter; ``"text"`` keeps plain text there too.
        ``str()`` is plain text either way.

    Examples
    --------
    >>> eqs = equations()
    >>> "K[t] = " in str(eqs) and "K_{t}" in eqs["capital"].latex()
    True
    """
    return Equations(all_equations(), kind)


def _unit(key: str) -> str:
    from jdmodel.params.schema import SCHEMA
    from jdmodel.params.units import canonical_unit

    spec = SCHEMA[key]
    return "true/false" if spec.dimension == "bool" else canonical_unit(spec.dimension)


def markdown_doc() -> str:
    """The text of ``docs/equations.md``, generated from the sympy source."""
    from jdmodel.params.schema import SCHEMA

    eqs = equations()
    head = [
        "# Model equations",
        "",
        "Generated from the sympy expressions in `jdmodel/symbolic/` by `python -m jdmodel.symbolic` "
        "(`jdmodel.symbolic.write_equations_doc`); do not edit by hand — a test checks that this file equals "
        "the generated text. The engine's per-year update is lambdified from the same expressions and tested "
        "equal to `jdmodel/growth.py`.",
        "",
        "Per sector (subscript dropped), years t = 2021…2030; stocks at the end of year t produce year t's "
        "output, levers of year t act in year t. In a notebook: `jd.equations()` (or "
        "`from jdmodel.symbolic import equations`).",
        "",
        "## Equations",
        "",
        eqs.markdown(),
        "## Parameter symbols",
        "",
        "| symbol | key | unit | meaning |",
        "|---|---|---|---|",
    ]
    for sym, key in M.PARAMETER_KEYS.items():
        head.append(f"| ${M.latex(sym)}$ | `{key}` | {_unit(key)} | {SCHEMA[key].description} |")
    from jdmodel.symbolic.counting import COUNTING_KEYS, LATEX_NAMES

    head += [
        "",
        "## Counting-model parameter symbols",
        "",
        "| symbol | key | unit | meaning |",
        "|---|---|---|---|",
    ]
    for sym, key in COUNTING_KEYS.items():
        if key in SCHEMA:  # the counting schema registers itself when its module is present
            head.append(
                f"| ${M.latex(sym, LATEX_NAMES)}$ | `{key}` | {_unit(key)} | {SCHEMA[key].description} |"
            )
    head += ["", "## Other symbols", "", "| symbol | unit | meaning |", "|---|---|---|"]
    for sym, (unit, meaning) in M.STATE_UNITS.items():
        head.append(f"| ${M.latex(sym)}$ | {unit} | {meaning} |")
    head += ["", "If a new sympy version typesets a term differently, regenerate this file.", ""]
    return "\n".join(head)


def write_equations_doc(path: str | Path = "docs/equations.md") -> Path:
    """Write :func:`markdown_doc` to ``path`` (UTF-8, atomically) and return the path."""
    from jdmodel.outputs import write_atomic

    return write_atomic(path, markdown_doc())
