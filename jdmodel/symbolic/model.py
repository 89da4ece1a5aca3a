r"""The model's equations as sympy expressions: the one source for the maths shown and run.

Per sector (subscript dropped) and year :math:`t` = 2021…2030; stocks at the end of year
:math:`t` produce year :math:`t`'s output and the levers of year :math:`t` act in year :math:`t`
(``docs/model.md``). Every symbol is built here, in code; text from a parameter file never
reaches sympy. :data:`PARAMETER_KEYS` maps each parameter symbol to its dotted key pattern
(``*`` = a sector id) in :mod:`jdmodel.params.schema`.

The infrastructure index is written :math:`D` (digital infrastructure) so that :math:`I`
stays free for private investment.

Nothing here runs at import time beyond creating the symbols: the equations are built on the
first call of :func:`model_equations` and cached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import sympy as sp

from jdmodel.params.schema import SECTORS

_pos = {"positive": True}
_nonneg = {"nonnegative": True}

# --- state, time t-1 -> t ---------------------------------------------------------------------
K, K_prev, K0 = sp.symbols("K K_prev K0", **_pos)
H, H_prev, H0 = sp.symbols("H H_prev H0", **_pos)
L, L_prev, L0 = sp.symbols("L L_prev L0", **_pos)
A, A_prev, A0 = sp.symbols("A A_prev A0", **_pos)
Y, Y0 = sp.symbols("Y Y0", **_pos)
R, R_prev, R0, B = sp.symbols("R R_prev R0 B", **_nonneg)
# --- structural parameters ----------------------------------------------------------------------
kappa, m = sp.symbols("kappa m", **_pos)
s_inv, delta, rho, O, I = sp.symbols("s delta rho O I", **_nonneg)  # noqa: E741 (names of the equations)
alpha, beta, gamma = sp.symbols("alpha beta gamma", **_pos)
g_A = sp.Symbol("g_A", real=True)
phi, psi = sp.symbols("phi psi", **_nonneg)
# --- levers and district paths ------------------------------------------------------------------
F, T, ell, ell_sum, theta, G = sp.symbols("F T ell ell_sum theta G", **_nonneg)
D, D_prev, E, E_prev = sp.symbols("D D_prev E E_prev", **_pos)
dD, dE = sp.symbols("z_dD z_dE", real=True)  # names sort after the Greek coefficients in print
# --- e-commerce sales and the online-economy total ------------------------------------------------
S, S0, Y_ec, Y_ec0, Q = sp.symbols("S S0 Y_ec Y_ec0 Q", **_pos)
eta = sp.Symbol("eta", **_nonneg)
SECTOR_OUTPUT = {s: sp.Symbol(f"Y_{s}", **_pos) for s in SECTORS}
# --- CES variant (documented, not run by the engine) ------------------------------------------------
sigma, nu = sp.symbols("sigma nu", **_pos)
w_K, w_H, w_L = sp.symbols("w_K w_H w_L", **_pos)
r_ces = sp.Symbol("r", real=True)

PARAMETER_KEYS: dict[sp.Symbol, str] = {
    Y0: "sectors.*.base_output", kappa: "sectors.*.capital_output_ratio", delta: "sectors.*.depreciation",
    s_inv: "sectors.*.investment_rate", m: "sectors.*.leverage", H0: "sectors.*.talent_base",
    rho: "sectors.*.talent_attrition", O: "sectors.*.talent_organic", L0: "sectors.*.land_base",
    alpha: "sectors.*.alpha", beta: "sectors.*.beta", gamma: "sectors.*.gamma", g_A: "sectors.*.tfp_growth",
    phi: "sectors.*.infra_effect", psi: "sectors.*.environment_effect", F: "levers.funds.*",
    T: "levers.talent.*", ell: "levers.land.*", B: "district.land_budget", D: "district.infrastructure",
    E: "district.business_environment", S0: "ecommerce_sales.base_2020", eta: "ecommerce_sales.elasticity",
}
"""Parameter symbol → dotted key pattern of :mod:`jdmodel.params.schema` (``*`` = a sector id)."""

_SHORT = {
    "industrial_internet": "ii", "online_entertainment": "oe", "ecommerce": "ec", "smart_transport": "st",
    "online_services": "os",
}

LATEX_NAMES: dict[sp.Symbol, str] = {
    K: "K_{t}", K_prev: "K_{t-1}", K0: "K_{2020}", H: "H_{t}", H_prev: "H_{t-1}", H0: "H_{2020}", L: "L_{t}",
    L_prev: "L_{t-1}", L0: "L_{2020}", A: "A_{t}", A_prev: "A_{t-1}", A0: "A_{2020}", Y: "Y_{t}",
    Y0: "Y_{2020}", R: "R_{t}", R_prev: "R_{t-1}", R0: "R_{2020}", B: "B", kappa: r"\kappa", m: "m",
    s_inv: "s", delta: r"\delta", rho: r"\rho", O: "O", I: "I", alpha: r"\alpha", beta: r"\beta",
    gamma: r"\gamma", g_A: "g_{A}", phi: r"\varphi", psi: r"\psi", F: "F_{t}", T: "T_{t}", ell: r"\ell_{t}",
    ell_sum: r"\textstyle\sum_{s}\ell_{s,t}", theta: r"\theta_{t}", G: "G_{t}", D: "D_{t}", D_prev: "D_{t-1}",
    E: "E_{t}", E_prev: "E_{t-1}", dD: r"\Delta D_{t}", dE: r"\Delta E_{t}", S: "S_{t}", S0: "S_{2020}",
    Y_ec: r"Y^{\mathrm{ec}}_{t}", Y_ec0: r"Y^{\mathrm{ec}}_{2020}", Q: "Q_{t}", eta: r"\eta",
    sigma: r"\sigma", nu: r"\nu", w_K: "w_{K}", w_H: "w_{H}", w_L: "w_{L}", r_ces: "r",
    **{sym: rf"Y^{{\mathrm{{{_SHORT[s]}}}}}_{{t}}" for s, sym in SECTOR_OUTPUT.items()},
}
"""Symbol → LaTeX (time subscripts as in ``docs/model.md``)."""

TEXT_NAMES: dict[sp.Symbol, str] = {
    K: "K[t]", K_prev: "K[t-1]", K0: "K[2020]", H: "H[t]", H_prev: "H[t-1]", H0: "H[2020]", L: "L[t]",
    L_prev: "L[t-1]", L0: "L[2020]", A: "A[t]", A_prev: "A[t-1]", A0: "A[2020]", Y: "Y[t]", Y0: "Y[2020]",
    R: "R[t]", R_prev: "R[t-1]", R0: "R[2020]", kappa: "κ", delta: "δ", rho: "ρ", alpha: "α", beta: "β",
    gamma: "γ", g_A: "g_A", phi: "φ", psi: "ψ", F: "F[t]", T: "T[t]", ell: "ℓ[t]", ell_sum: "Σℓ[t]",
    theta: "θ[t]", G: "G[t]", D: "D[t]", D_prev: "D[t-1]", E: "E[t]", E_prev: "E[t-1]", dD: "ΔD[t]",
    dE: "ΔE[t]", S: "S[t]", S0: "S[2020]", Y_ec: "Y_ec[t]", Y_ec0: "Y_ec[2020]", Q: "Q[t]", eta: "η",
    sigma: "σ", nu: "ν", **{sym: f"Y_{_SHORT[s]}[t]" for s, sym in SECTOR_OUTPUT.items()},
}
"""Symbol → plain-text name for a terminal."""

STATE_UNITS: dict[sp.Symbol, tuple[str, str]] = {
    K: ("亿元", "capital stock"), H: ("人", "talent stock"), L: ("公顷", "land in use"),
    A: ("1", "total factor productivity (calibrated level)"), Y: ("亿元", "sector output"),
    R: ("公顷", "land budget not yet granted"), I: ("亿元/yr", "private investment"),
    G: ("公顷/yr", "land granted"), theta: ("1", "share of the land requests granted"),
    S: ("亿元", "e-commerce sales (限额以上电子商务销售额)"), Q: ("亿元", "online-economy total output"),
    sigma: ("1", "CES elasticity of substitution (variant only)"),
    nu: ("1", "CES returns to scale (variant only)"),
}
"""Symbols that are not parameters: unit and meaning (for the docs)."""


@dataclass(frozen=True)
class ModelEquation:
    """One equation ``lhs = rhs`` with its block, name and a one-line description."""

    block: str
    name: str
    lhs: sp.Expr
    rhs: sp.Expr
    description: str
    in_engine: bool = True
    names: Mapping = field(default_factory=dict, compare=False)  # LaTeX names of symbols not in LATEX_NAMES

    @property
    def eq(self) -> sp.Eq:
        return sp.Eq(self.lhs, self.rhs, evaluate=False)

    def latex(self) -> str:
        return f"{latex(self.lhs, dict(self.names))} = {latex(self.rhs, dict(self.names))}"

    def text(self) -> str:
        sub = {sym: sp.Symbol(name) for sym, name in TEXT_NAMES.items()}
        lhs, rhs = (sp.sstr(x.xreplace(sub), order="none") for x in (self.lhs, self.rhs))
        return f"{lhs} = {rhs}"


def latex(expr: sp.Expr, names: dict | None = None) -> str:
    """LaTeX of an expression with the model's symbol names; terms in the order stored (``order="none"``)."""
    return sp.latex(expr, symbol_names={**LATEX_NAMES, **(names or {})}, order="none")


def _ratio(num: sp.Expr, den: sp.Expr) -> sp.Expr:
    """``num / den`` kept as a fraction (sympy would print negative powers)."""
    return sp.Mul(num, sp.Pow(den, -1, evaluate=False), evaluate=False)


def grant_share() -> sp.Expr:
    r"""Share of this year's land requests granted, :math:`\min(1, R_{t-1}/\sum_s \ell_{s,t})`.

    Written as the engine computes it (a request total of zero grants everything, so no 0/0).
    """
    return sp.Piecewise((R_prev / ell_sum, ell_sum > R_prev), (sp.Integer(1), True))


def ces_output(substitute: bool = True) -> sp.Expr:
    r"""CES output :math:`Y = A\,(w_K K^r + w_H H^r + w_L L^r)^{\nu/r}` with :math:`r = (\sigma-1)/\sigma`.

    Documented, not used by the engine. With weights :math:`w = (\alpha,\beta,\gamma)/\nu` and
    :math:`\nu = \alpha+\beta+\gamma` it tends to the Cobb–Douglas form as :math:`\sigma \to 1`.
    ``substitute=False`` keeps the symbol :math:`r`.
    """
    expr = A * (w_K * K**r_ces + w_H * H**r_ces + w_L * L**r_ces) ** (nu / r_ces)
    return expr.subs(r_ces, (sigma - 1) / sigma) if substitute else expr


def cobb_douglas() -> sp.Expr:
    r"""Cobb–Douglas output :math:`A K^{\alpha} H^{\beta} L^{\gamma}`."""
    return A * K**alpha * H**beta * L**gamma


def online_total(composition: tuple[str, ...] | None = None) -> sp.Expr:
    """The online-economy total: sum of the sector outputs in the composition (``targets.toml``)."""
    if composition is None:
        from jdmodel.params.targets import load_targets

        composition = tuple(load_targets().composition)
    return sp.Add(*(SECTOR_OUTPUT[s] for s in SECTORS if s in composition), evaluate=False)


@cache
def model_equations(composition: tuple[str, ...] | None = None) -> tuple[ModelEquation, ...]:
    """Every equation of the growth block, in the order the docs show them (built once, cached)."""
    log_y = sp.expand_log(sp.log(cobb_douglas()), force=True)
    eqs = [
        ModelEquation(
            "capital",
            "investment",
            I,
            s_inv * Y0,
            "private investment per year: a fixed share s of base-year output",
        ),
        ModelEquation(
            "capital",
            "capital_base",
            K0,
            kappa * Y0,
            "base-year capital stock from the capital–output ratio κ",
        ),
        ModelEquation(
            "capital",
            "capital",
            K,
            (1 - delta) * K_prev + I + m * F,
            "capital accumulation: depreciation δ, private investment, public funds F levered m-fold",
        ),
        ModelEquation(
            "talent",
            "talent",
            H,
            (1 - rho) * H_prev + O + T,
            "talent stock: attrition ρ, organic inflow O, talent brought in by policy T",
        ),
        ModelEquation(
            "land",
            "land_budget_base",
            R0,
            B,
            "what remains of the district land budget before the first year: all of it, B",
        ),
        ModelEquation(
            "land",
            "grant_share",
            theta,
            grant_share(),
            "pro-rata share of the requests granted: min(1, R[t-1] / Σ_s ℓ_s)",
        ),
        ModelEquation(
            "land",
            "land_granted",
            G,
            theta * ell,
            "land granted: the same share θ of every sector's request ℓ",
        ),
        ModelEquation("land", "land", L, L_prev + G, "land in use grows by the land granted"),
        ModelEquation(
            "land",
            "land_budget",
            R,
            R_prev - theta * ell_sum,
            "the budget shrinks by what all sectors were granted",
        ),
        ModelEquation(
            "tfp",
            "infrastructure_change",
            dD,
            D - D_prev,
            "yearly change of the digital-infrastructure index (2020 = 1); ΔE likewise",
        ),
        ModelEquation(
            "tfp",
            "tfp",
            A,
            A_prev * (1 + g_A + phi * dD + psi * dE),
            "TFP: exogenous growth g_A plus effects φ, ψ of infrastructure and business environment",
        ),
        ModelEquation(
            "output",
            "tfp_base",
            A0,
            _ratio(Y0, K0**alpha * H0**beta * L0**gamma),
            "base-year TFP calibrated so that output in 2020 equals the base year exactly",
        ),
        ModelEquation(
            "output", "output", Y, cobb_douglas(), "Cobb–Douglas output of capital, talent and land"
        ),
        ModelEquation(
            "output",
            "log_output",
            sp.log(Y),
            log_y,
            "the same in logs (derived): differences give the growth-accounting identity",
            in_engine=False,
        ),
        ModelEquation(
            "output",
            "output_ces",
            Y,
            ces_output(substitute=False),
            "CES variant (imperfect substitution); documented, not run by the engine",
            in_engine=False,
        ),
        ModelEquation(
            "output",
            "ces_exponent",
            r_ces,
            (sigma - 1) / sigma,
            "CES exponent from the elasticity of substitution σ (σ → 1 gives Cobb–Douglas)",
            in_engine=False,
        ),
        ModelEquation(
            "sales",
            "ecommerce_sales",
            S,
            S0 * (Y_ec / Y_ec0) ** eta,
            "e-commerce sales driven by e-commerce output with elasticity η",
        ),
        ModelEquation(
            "total",
            "online_total",
            Q,
            online_total(composition),
            "online-economy total: sum over the composition in parameters/targets.toml",
        ),
    ]
    return tuple(eqs)


def equation(name: str) -> ModelEquation:
    """The equation called ``name`` (see :func:`model_equations`)."""
    for eq in model_equations():
        if eq.name == name:
            return eq
    raise KeyError(f"no equation {name!r}; known: {', '.join(e.name for e in model_equations())}")
