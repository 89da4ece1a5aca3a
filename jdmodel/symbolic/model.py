r"""The model's equations as sympy expressions: the one source for the maths shown and run.

Per sector (subscript dropped) and lever year :math:`t` (the year after the plan's base year to
its horizon); stocks at the end of year :math:`t` produce year :math:`t`'s value added and the
levers of year :math:`t` act in year :math:`t` (``docs/model.md``). Every symbol is built here, in
code; text from a parameter file never reaches sympy (a sector's symbol is named from its
``abbr``, which ``plan.toml`` restricts to lower-case letters and digits). :data:`PARAMETER_KEYS`
maps each parameter symbol to its dotted key pattern in :mod:`jdmodel.params.schema` (``{sector}``
= a sector id of the plan, ``{linked}`` = the id of one of its linked indicators).

The production function gives value added on trend, :math:`V = A K^\alpha H^\beta L^\gamma`;
investment is a share of it, :math:`I_t = s V_t`. What the statistics measure is
:math:`M_t = V_t (1 + d_t)/(\mu v)`: value added over the margin μ and the value-added share v,
with the deviation :math:`d_t` of the plan's shock span (``[shock]`` in ``plan.toml``). Under the
scenario option ``model.variant = "market_share"`` the plan's market sector (``[market]``) takes
its value added from its share of a market instead (:func:`market_equations`).

The growth block (:func:`growth_equations`) is the same for every plan. A plan adds one equation
per linked indicator (``[[linked]]`` in ``plan.toml``: :math:`S_t = S_{base} (M_{s,t}/M_{s,base})^\eta`)
and one per total indicator (``[[totals]]``: the sum of its sectors' outputs), and its base year,
shock span and sector abbreviations name the symbols (:func:`model_equations`, :func:`latex_names`);
these are built on first use for each plan and cached.

The infrastructure index is written :math:`D` (digital infrastructure) so that :math:`I`
stays free for private investment; the market sector's inputs :math:`K^\alpha H^\beta L^\gamma` are
written :math:`X` so that :math:`Q` stays the total indicator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import sympy as sp

from jdmodel.symbolic._plan import Totals, plan_of, totals_of

_pos = {"positive": True}
_nonneg = {"nonnegative": True}

# --- state, time t-1 -> t (a "0" symbol is the base-year value) ----------------------------------
K, K_prev, K0 = sp.symbols("K K_prev K0", **_pos)
H, H_prev, H0 = sp.symbols("H H_prev H0", **_pos)
L, L_prev, L0 = sp.symbols("L L_prev L0", **_pos)
A, A_prev, A0 = sp.symbols("A A_prev A0", **_pos)
V, V_prev, V0 = sp.symbols("V V_prev V0", **_pos)    # value added on trend (the production function)
Mt, M0 = sp.symbols("M M0", **_pos)                  # output as the statistics measure it
R, R_prev, R0, B = sp.symbols("R R_prev R0 B", **_nonneg)
# --- structural parameters ----------------------------------------------------------------------
m = sp.Symbol("m", **_pos)
s_inv, delta, rho, O, I, I_prev = sp.symbols("s delta rho O I I_prev", **_nonneg)  # noqa: E741
mu, v_va = sp.symbols("mu v", **_pos)
g_0 = sp.Symbol("g_0", real=True)
alpha, beta, gamma = sp.symbols("alpha beta gamma", **_pos)
g_A = sp.Symbol("g_A", real=True)
phi, psi = sp.symbols("phi psi", **_nonneg)
# --- the shock span: deviation d of measured output from trend in years tau_1 (shock), tau_2 (rebound)
t_year, tau_1, tau_2 = sp.symbols("t tau_1 tau_2", integer=True)
d, d0, d_shock, d_rebound = sp.symbols("d d0 d_shock d_rebound", real=True)
# --- levers and district paths ------------------------------------------------------------------
F, T, ell, ell_sum, theta, G = sp.symbols("F T ell ell_sum theta G", **_nonneg)
D, D_prev, E, E_prev = sp.symbols("D D_prev E E_prev", **_pos)
dD, dE = sp.symbols("z_dD z_dE", real=True)  # names sort after the Greek coefficients in print
# --- the market-share variant: inputs X = K^α H^β L^γ, market Mkt, base-year share σ0, elasticity ε
X, X0 = sp.symbols("X X0", **_pos)
Mkt, Mkt_prev, Mkt0 = sp.symbols("Mkt Mkt_prev Mkt0", **_pos)
sigma_0 = sp.Symbol("sigma0", **_pos)
epsilon = sp.Symbol("epsilon", **_nonneg)
g_Mkt = sp.Symbol("g_Mkt", real=True)
# --- a linked indicator S following the output M_S of one sector; a total indicator Q -------------
S, S0, M_S, M_S0, Q = sp.symbols("S S0 M_S M_S0 Q", **_pos)
eta = sp.Symbol("eta", **_nonneg)
# --- CES variant (documented, not run by the engine) ------------------------------------------------
sigma, nu = sp.symbols("sigma nu", **_pos)
w_K, w_H, w_L = sp.symbols("w_K w_H w_L", **_pos)
r_ces = sp.Symbol("r", real=True)

PARAMETER_KEYS: dict[sp.Symbol, str] = {
    M0: "sectors.{sector}.base_output", mu: "sectors.{sector}.margin", v_va: "sectors.{sector}.va_share",
    g_0: "sectors.{sector}.pre_growth", delta: "sectors.{sector}.depreciation",
    s_inv: "sectors.{sector}.investment_rate", m: "sectors.{sector}.leverage", H0: "sectors.{sector}.talent_base",
    rho: "sectors.{sector}.talent_attrition", O: "sectors.{sector}.talent_organic", L0: "sectors.{sector}.land_base",
    alpha: "sectors.{sector}.alpha", beta: "sectors.{sector}.beta", gamma: "sectors.{sector}.gamma",
    g_A: "sectors.{sector}.tfp_growth", phi: "sectors.{sector}.infra_effect",
    psi: "sectors.{sector}.environment_effect", d_shock: "sectors.{sector}.shock",
    d_rebound: "sectors.{sector}.rebound", F: "levers.funds.{sector}", T: "levers.talent.{sector}",
    ell: "levers.land.{sector}", B: "district.land_budget", D: "district.infrastructure",
    E: "district.business_environment", epsilon: "market.share_elasticity", g_Mkt: "market.growth",
    S0: "linked.{linked}.base", eta: "linked.{linked}.elasticity",
}
"""Parameter symbol → dotted key pattern of :mod:`jdmodel.params.schema`."""

#: parameters of the market-share variant (shown only for a plan that declares a ``[market]``)
MARKET_PARAMETERS = (epsilon, g_Mkt)


def parameter_key(sym: sp.Symbol, sector: str | None = None, linked: str | None = None) -> str:
    """The concrete dotted key of a parameter symbol for one sector (or linked indicator).

    Examples
    --------
    >>> parameter_key(alpha, sector="ecommerce")
    'sectors.ecommerce.alpha'
    """
    key = PARAMETER_KEYS[sym]
    for placeholder, name in (("{sector}", sector), ("{linked}", linked)):
        if placeholder in key:
            if name is None:
                raise ValueError(f"{key}: name the {placeholder.strip('{}')}")
            key = key.replace(placeholder, name)
    return key


# --- names ------------------------------------------------------------------------------------------
_BASE_LETTERS = {K0: "K", H0: "H", L0: "L", A0: "A", V0: "V", M0: "M", R0: "R", S0: "S", d0: "d", X0: "X"}


def _base_latex(year: str) -> dict[sp.Symbol, str]:
    return {**{sym: f"{x}_{{{year}}}" for sym, x in _BASE_LETTERS.items()}, M_S0: f"M_{{s,{year}}}",
            Mkt0: rf"\mathrm{{Mkt}}_{{{year}}}", sigma_0: rf"\sigma_{{{year}}}"}


def _base_text(year: str) -> dict[sp.Symbol, str]:
    return {**{sym: f"{x}[{year}]" for sym, x in _BASE_LETTERS.items()}, M_S0: f"M_s[{year}]",
            Mkt0: f"Mkt[{year}]", sigma_0: f"σ[{year}]"}


LATEX_NAMES: dict[sp.Symbol, str] = {
    K: "K_{t}", K_prev: "K_{t-1}", H: "H_{t}", H_prev: "H_{t-1}", L: "L_{t}", L_prev: "L_{t-1}", A: "A_{t}",
    A_prev: "A_{t-1}", V: "V_{t}", V_prev: "V_{t-1}", Mt: "M_{t}", R: "R_{t}", R_prev: "R_{t-1}", B: "B",
    m: "m", s_inv: "s", delta: r"\delta", rho: r"\rho", O: "O", I: "I_{t}", I_prev: "I_{t-1}", mu: r"\mu",
    v_va: "v", g_0: "g_{0}", alpha: r"\alpha", beta: r"\beta", gamma: r"\gamma", g_A: "g_{A}", phi: r"\varphi",
    psi: r"\psi", t_year: "t", tau_1: r"\tau_{1}", tau_2: r"\tau_{2}", d: "d_{t}",
    d_shock: r"d^{\mathrm{shock}}", d_rebound: r"d^{\mathrm{rebound}}", F: "F_{t}", T: "T_{t}", ell: r"\ell_{t}",
    ell_sum: r"\textstyle\sum_{s}\ell_{s,t}", theta: r"\theta_{t}", G: "G_{t}", D: "D_{t}", D_prev: "D_{t-1}",
    E: "E_{t}", E_prev: "E_{t-1}", dD: r"\Delta D_{t}", dE: r"\Delta E_{t}", X: "X_{t}", Mkt: r"\mathrm{Mkt}_{t}",
    Mkt_prev: r"\mathrm{Mkt}_{t-1}", epsilon: r"\varepsilon", g_Mkt: r"g_{\mathrm{Mkt}}", S: "S_{t}",
    M_S: "M_{s,t}", Q: "Q_{t}", eta: r"\eta", sigma: r"\sigma_{\mathrm{CES}}", nu: r"\nu", w_K: "w_{K}",
    w_H: "w_{H}", w_L: "w_{L}", r_ces: "r", **_base_latex("0"),
}
"""Symbol → LaTeX (time subscripts as in ``docs/model.md``; base year written 0 — :func:`latex_names`
gives a plan's, with its base year, shock span and sector symbols)."""

TEXT_NAMES: dict[sp.Symbol, str] = {
    K: "K[t]", K_prev: "K[t-1]", H: "H[t]", H_prev: "H[t-1]", L: "L[t]", L_prev: "L[t-1]", A: "A[t]",
    A_prev: "A[t-1]", V: "V[t]", V_prev: "V[t-1]", Mt: "M[t]", R: "R[t]", R_prev: "R[t-1]", I: "I[t]",
    I_prev: "I[t-1]", mu: "μ", delta: "δ", rho: "ρ", alpha: "α", beta: "β", gamma: "γ", g_A: "g_A", phi: "φ",
    psi: "ψ", tau_1: "τ1", tau_2: "τ2", d: "d[t]", F: "F[t]", T: "T[t]", ell: "ℓ[t]", ell_sum: "Σℓ[t]",
    theta: "θ[t]", G: "G[t]", D: "D[t]", D_prev: "D[t-1]", E: "E[t]", E_prev: "E[t-1]", dD: "ΔD[t]",
    dE: "ΔE[t]", X: "X[t]", Mkt: "Mkt[t]", Mkt_prev: "Mkt[t-1]", epsilon: "ε", S: "S[t]", M_S: "M_s[t]",
    Q: "Q[t]", eta: "η", sigma: "σ_CES", nu: "ν", **_base_text("0"),
}
"""Symbol → plain-text name for a terminal (base year written 0; :func:`text_names` gives a plan's)."""

STATE_UNITS: dict[sp.Symbol, tuple[str, str]] = {
    K: ("亿元", "capital stock"), H: ("人", "talent stock"), L: ("公顷", "land in use"),
    A: ("1", "total factor productivity (calibrated level)"),
    V: ("亿元", "value added on trend (the production function; the engine's value_added is V·(1 + d))"),
    Mt: ("亿元", "sector output as the statistics measure it (the engine's output)"),
    d: ("1", "deviation of measured output from its trend (non-zero in the shock span only)"),
    I: ("亿元/yr", "private investment"), R: ("公顷", "land budget not yet granted"),
    G: ("公顷/yr", "land granted"), theta: ("1", "share of the land requests granted"),
    X: ("—", "the market sector's inputs K^α H^β L^γ (market-share variant; only X_t / X_0 enters)"),
    Mkt: ("亿元", "the market the market sector sells into (market-share variant)"),
    sigma_0: ("1", "the market sector's base-year share of its market (market-share variant)"),
    S: ("亿元", "a linked indicator (plan.toml [[linked]])"), Q: ("亿元", "a total indicator (plan.toml [[totals]])"),
    sigma: ("1", "CES elasticity of substitution (documented variant, not run)"),
    nu: ("1", "CES returns to scale (documented variant, not run)"),
}
"""Symbols that are not parameters: unit and meaning (:func:`state_units` gives a plan's)."""

_MARKET_STATE = (X, Mkt, sigma_0)


def sector_symbols(abbr: str) -> tuple[sp.Symbol, sp.Symbol]:
    """A sector's measured output in year t and in the base year, named from its abbreviation (``M_ec``, ``M0_ec``)."""
    return sp.Symbol(f"M_{abbr}", **_pos), sp.Symbol(f"M0_{abbr}", **_pos)


def total_symbol(k: int) -> sp.Symbol:
    """The symbol of a plan's k-th total indicator (0: the headline total, ``Q``)."""
    return Q if k == 0 else sp.Symbol(f"Q_{k + 1}", **_pos)


def linked_symbols(k: int) -> tuple[sp.Symbol, sp.Symbol, sp.Symbol]:
    """``(S, S_base, η)`` of a plan's k-th linked indicator (the first one uses ``S``, ``S0``, ``eta``)."""
    if k == 0:
        return S, S0, eta
    return (sp.Symbol(f"S_{k + 1}", **_pos), sp.Symbol(f"S0_{k + 1}", **_pos),
            sp.Symbol(f"eta_{k + 1}", **_nonneg))


def _indexed_names(k: int, year: str) -> tuple[dict, dict]:
    """LaTeX and text names of the k-th total and linked symbols (k ≥ 1)."""
    q = total_symbol(k)
    s, s0, e = linked_symbols(k)
    i = k + 1
    latex = {q: f"Q^{{({i})}}_{{t}}", s: f"S^{{({i})}}_{{t}}", s0: f"S^{{({i})}}_{{{year}}}", e: rf"\eta^{{({i})}}"}
    text = {q: f"Q{i}[t]", s: f"S{i}[t]", s0: f"S{i}[{year}]", e: f"η{i}"}
    return latex, text


@cache
def _names(plan) -> tuple[dict, dict]:
    year = str(plan.years.base)
    latex = {**LATEX_NAMES, **_base_latex(year)}
    text = {**TEXT_NAMES, **_base_text(year)}
    if plan.shock is not None:  # the span's years name τ1, τ2
        for sym, y in zip((tau_1, tau_2), plan.shock, strict=True):
            latex[sym], text[sym] = str(y), str(y)
    for s in plan.sectors:
        y, y0 = sector_symbols(s.abbr)
        latex[y], latex[y0] = rf"M^{{\mathrm{{{s.abbr}}}}}_{{t}}", rf"M^{{\mathrm{{{s.abbr}}}}}_{{{year}}}"
        text[y], text[y0] = f"M_{s.abbr}[t]", f"M_{s.abbr}[{year}]"
    for k in range(1, max(len(plan.totals), len(plan.linked))):
        more_latex, more_text = _indexed_names(k, year)
        latex.update(more_latex)
        text.update(more_text)
    return latex, text


def latex_names(plan: Any = None) -> dict[sp.Symbol, str]:
    """Symbol → LaTeX for a plan (Plan, Scenario, plan name or None for the default plan).

    Examples
    --------
    >>> latex_names("jiading")[K0]
    'K_{2020}'
    """
    return dict(_names(plan_of(plan))[0])


def text_names(plan: Any = None) -> dict[sp.Symbol, str]:
    """Symbol → plain-text name for a plan (see :func:`latex_names`)."""
    return dict(_names(plan_of(plan))[1])


def sector_outputs(plan: Any = None) -> dict[str, sp.Symbol]:
    """Sector id → the symbol of its measured output in year t, for a plan's sectors in order."""
    return {s.id: sector_symbols(s.abbr)[0] for s in plan_of(plan).sectors}


def parameter_symbols(plan: Any = None) -> dict[sp.Symbol, str]:
    """:data:`PARAMETER_KEYS` for a plan: the market-share parameters only when it declares a ``[market]``."""
    p = plan_of(plan)
    return {k: v for k, v in PARAMETER_KEYS.items() if p.market is not None or k not in MARKET_PARAMETERS}


def state_units(plan: Any = None, totals: Mapping[str, Sequence[str]] | None = None) -> dict[sp.Symbol, tuple[str, str]]:
    """Unit and meaning of the symbols that are not parameters, with a plan's linked and total indicators."""
    p = plan_of(plan)
    out = {k: v for k, v in STATE_UNITS.items() if k not in (S, Q) and (p.market is not None or k not in _MARKET_STATE)}
    if p.market is not None:
        mk = p.market
        out[Mkt] = (mk.unit, f"the market {_label(mk.en, mk.zh, mk.id)} that {p.sector(mk.sector).en} sells into "
                             "(market-share variant)")
    labels = {t.id: t for t in p.totals}
    for k, lk in enumerate(p.linked):
        out[linked_symbols(k)[0]] = (lk.unit, _label(lk.en, lk.zh, lk.id))
    for k, (tid, _) in enumerate(totals_of(plan, totals)):
        t = labels.get(tid)
        out[total_symbol(k)] = (t.unit, _label(t.en, t.zh, tid)) if t else ("亿元", tid)
    return out


def _label(en: str, zh: str, ident: str) -> str:
    return f"{en} ({zh}, `{ident}`)" if zh else f"{en} (`{ident}`)"


# --- equations ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelEquation:
    """One equation ``lhs = rhs`` with its block, name and a one-line description.

    ``names`` and ``text_names`` name symbols beyond :data:`LATEX_NAMES` / :data:`TEXT_NAMES`
    (a plan's base year, its sector outputs, its indicators). ``variant`` is the value of the
    scenario option ``model.variant`` under which the engine runs the equation ("" = always).
    """

    block: str
    name: str
    lhs: sp.Expr
    rhs: sp.Expr
    description: str
    in_engine: bool = True
    names: Mapping = field(default_factory=dict, compare=False)
    text_names: Mapping = field(default_factory=dict, compare=False)
    variant: str = ""

    @property
    def eq(self) -> sp.Eq:
        return sp.Eq(self.lhs, self.rhs, evaluate=False)

    def latex(self) -> str:
        return f"{latex(self.lhs, dict(self.names))} = {latex(self.rhs, dict(self.names))}"

    def text(self) -> str:
        sub = {sym: sp.Symbol(name) for sym, name in {**TEXT_NAMES, **self.text_names}.items()}
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


def shock_deviation() -> sp.Expr:
    r"""Deviation of measured output from trend in year :math:`t`: ``shock`` in :math:`\tau_1`, ``rebound`` in :math:`\tau_2`.

    :math:`\tau_1, \tau_2 = \tau_1 + 1` are the plan's shock span (``[shock] years``); zero in every
    other year, and every year for a plan without a span.
    """
    return sp.Piecewise((d_shock, sp.Eq(t_year, tau_1)), (d_rebound, sp.Eq(t_year, tau_2)), (sp.Integer(0), True))


def ces_output(substitute: bool = True) -> sp.Expr:
    r"""CES value added :math:`V = A\,(w_K K^r + w_H H^r + w_L L^r)^{\nu/r}` with :math:`r = (\sigma-1)/\sigma`.

    Documented, not used by the engine. With weights :math:`w = (\alpha,\beta,\gamma)/\nu` and
    :math:`\nu = \alpha+\beta+\gamma` it tends to the Cobb–Douglas form as :math:`\sigma \to 1`.
    ``substitute=False`` keeps the symbol :math:`r`.
    """
    expr = A * (w_K * K**r_ces + w_H * H**r_ces + w_L * L**r_ces) ** (nu / r_ces)
    return expr.subs(r_ces, (sigma - 1) / sigma) if substitute else expr


def cobb_douglas() -> sp.Expr:
    r"""Cobb–Douglas value added :math:`A K^{\alpha} H^{\beta} L^{\gamma}`."""
    return A * K**alpha * H**beta * L**gamma


def inputs_index() -> sp.Expr:
    r"""The inputs the levers move, :math:`X = K^{\alpha} H^{\beta} L^{\gamma}` (the market-share variant's driver)."""
    return K**alpha * H**beta * L**gamma


def market_value_added() -> sp.Expr:
    r"""Value added of the market sector, :math:`V = \mu v\,\sigma_0 (X_t/X_0)^{\varepsilon} \mathrm{Mkt}_t`."""
    return mu * v_va * sigma_0 * (X / X0) ** epsilon * Mkt


def total_expression(sectors: Sequence[str], plan: Any = None) -> sp.Expr:
    r"""A total indicator: the sum of the measured outputs of ``sectors``, in the plan's order of sectors.

    Examples
    --------
    >>> print(latex(total_expression(["ecommerce", "industrial_internet"], "jiading"), latex_names("jiading")))
    M^{\mathrm{ii}}_{t} + M^{\mathrm{ec}}_{t}
    """
    outputs = sector_outputs(plan)
    bad = [s for s in sectors if s not in outputs]
    if bad:
        from jdmodel.errors import ParameterError

        raise ParameterError(f"unknown sector(s) {bad} (expected some of {', '.join(outputs)})")
    return sp.Add(*(y for s, y in outputs.items() if s in sectors), evaluate=False)


def linked_template() -> ModelEquation:
    r"""A linked indicator, :math:`S_t = S_{base}\,(M_{s,t} / M_{s,base})^{\eta}`, for any sector ``s``.

    :func:`model_equations` instantiates it for each ``[[linked]]`` indicator of a plan; the
    kernel lambdifies it once and applies it to each.
    """
    return ModelEquation("linked", "linked", S, S0 * (M_S / M_S0) ** eta,
                         "an indicator following one sector's measured output with elasticity η")


@cache
def growth_equations() -> tuple[ModelEquation, ...]:
    """The growth block, the same for every plan (generic names: base year written 0; built once, cached).

    The market-share variant's equations (block ``market``) are included; :func:`model_equations`
    keeps them for a plan that declares a ``[market]``.
    """
    log_v = sp.expand_log(sp.log(cobb_douglas()), force=True)
    market_v = market_value_added()
    log_market = sp.expand_log(sp.log(market_v.subs(X, inputs_index())), force=True)
    eqs = [
        ModelEquation("capital", "investment", I, s_inv * V,
                      "private investment: a share s of the year's value added on trend (before the shock factor)"),
        ModelEquation("capital", "capital_base", K0, _ratio(s_inv * V0, g_0 + delta),
                      "base-year capital: the stock built by investment that grew at g_0 before the base year "
                      "(steady-state method; K/V = s/(g_0 + δ))"),
        ModelEquation("capital", "capital", K, (1 - delta) * K_prev + I_prev + m * F,
                      "capital accumulation: depreciation δ, last year's private investment, public funds F "
                      "levered m-fold"),
        ModelEquation("talent", "talent", H, (1 - rho) * H_prev + O + T,
                      "talent stock: attrition ρ, organic inflow O, talent brought in by policy T"),
        ModelEquation("land", "land_budget_base", R0, B,
                      "what remains of the district land budget before the first year: all of it, B"),
        ModelEquation("land", "grant_share", theta, grant_share(),
                      "pro-rata share of the requests granted: min(1, R[t-1] / Σ_s ℓ_s)"),
        ModelEquation("land", "land_granted", G, theta * ell,
                      "land granted: the same share θ of every sector's request ℓ"),
        ModelEquation("land", "land", L, L_prev + G, "land in use grows by the land granted"),
        ModelEquation("land", "land_budget", R, R_prev - theta * ell_sum,
                      "the budget shrinks by what all sectors were granted"),
        ModelEquation("tfp", "infrastructure_change", dD, D - D_prev,
                      "yearly change of the digital-infrastructure index (base year = 1); ΔE likewise"),
        ModelEquation("tfp", "tfp", A, A_prev * (1 + g_A + phi * dD + psi * dE),
                      "TFP: exogenous growth g_A plus effects φ, ψ of infrastructure and business environment"),
        ModelEquation("output", "shock_deviation", d, shock_deviation(),
                      "deviation of measured output from trend over the plan's shock span (plan.toml [shock]): "
                      "shock in its first year, rebound in its second, none elsewhere"),
        ModelEquation("output", "value_added_base", V0, _ratio(mu * v_va * M0, 1 + d0),
                      "base-year value added on trend: measured base-year output times margin μ and value-added "
                      "share v, without the base year's deviation"),
        ModelEquation("output", "tfp_base", A0, _ratio(V0, K0**alpha * H0**beta * L0**gamma),
                      "base-year TFP calibrated so that the model reproduces base-year output exactly"),
        ModelEquation("output", "value_added", V, cobb_douglas(),
                      "value added on trend: Cobb–Douglas in capital, talent and land"),
        ModelEquation("output", "output", Mt, _ratio(V * (1 + d), mu * v_va),
                      "output as the statistics measure it: value added with the year's deviation, over μ v "
                      "(the engine's value_added is V (1 + d))"),
        ModelEquation("output", "log_value_added", sp.log(V), log_v,
                      "the same in logs (derived): differences give the growth-accounting identity", in_engine=False),
        ModelEquation("output", "output_ces", V, ces_output(substitute=False),
                      "CES variant (imperfect substitution); documented, not run by the engine", in_engine=False),
        ModelEquation("output", "ces_exponent", r_ces, (sigma - 1) / sigma,
                      "CES exponent from the elasticity of substitution σ_CES (σ_CES → 1 gives Cobb–Douglas)",
                      in_engine=False),
        ModelEquation("market", "market_inputs", X, inputs_index(),
                      "the market sector's inputs, what the levers move; X_0 likewise at the base year",
                      variant="market_share"),
        ModelEquation("market", "market_share_base", sigma_0, _ratio(V0, mu * v_va * Mkt0),
                      "the market sector's base-year share of its market: trend output over the market",
                      variant="market_share"),
        ModelEquation("market", "market", Mkt, Mkt_prev * (1 + g_Mkt),
                      "the market: its published levels (log-linear between them), then growth g_Mkt a year "
                      "after the last one", variant="market_share"),
        ModelEquation("market", "market_value_added", V, market_v,
                      "value added of the market sector: its share σ moves with its inputs (elasticity ε), its "
                      "trend output is σ Mkt", variant="market_share"),
        ModelEquation("market", "log_market_value_added", sp.log(V), log_market,
                      "the same in logs (derived): growth of the market plus ε times the inputs' growth",
                      in_engine=False, variant="market_share"),
    ]
    return tuple(eqs)


def growth_equation(name: str) -> ModelEquation:
    """The growth-block equation called ``name`` (plan-independent; see :func:`growth_equations`)."""
    for eq in growth_equations():
        if eq.name == name:
            return eq
    raise KeyError(f"no growth equation {name!r}; known: {', '.join(e.name for e in growth_equations())}")


def model_equations(plan: Any = None, totals: Mapping[str, Sequence[str]] | None = None) -> tuple[ModelEquation, ...]:
    """Every equation of a plan's growth block, linked and total indicators, in the order the docs show them.

    Parameters
    ----------
    plan : Plan, Scenario, str or None
        The plan (a scenario: its plan, and its targets' definition of the totals); default the
        default plan.
    totals : mapping, optional
        Total indicator id → the sectors it sums (default: the scenario's targets or the plan's
        ``[[totals]]``).

    Examples
    --------
    >>> [e.name for e in model_equations("jiading")][-2:]
    ['ecommerce_sales', 'online_economy_output']
    """
    return _model_equations(plan_of(plan), totals_of(plan, totals))


def _unique(name: str, prefix: str, taken: set[str]) -> str:
    out = name if name not in taken else f"{prefix}_{name}"
    taken.add(out)
    return out


def _describe(e: ModelEquation, plan) -> str:
    """An equation's description for a plan: its shock span, its market sector."""
    if e.name == "shock_deviation":
        if plan.shock is None:
            return "deviation of measured output from trend: none, this plan declares no shock span (plan.toml [shock])"
        first, second = plan.shock
        return (f"deviation of measured output from trend over the plan's shock span {first}–{second} (plan.toml "
                f"[shock]): shock in {first}, rebound in {second}, none in any other year")
    if e.block == "market" and plan.market is not None:
        sector = plan.sector(plan.market.sector)
        return f"{e.description} ({sector.en}, `{sector.id}`)"
    return e.description


@cache
def _model_equations(plan, totals: Totals) -> tuple[ModelEquation, ...]:
    year = str(plan.years.base)
    names, texts = _names(plan)
    eqs = [replace(e, names=names, text_names=texts, description=_describe(e, plan)) for e in growth_equations()
           if e.block != "market" or plan.market is not None]
    taken = {e.name for e in eqs}
    template = linked_template()
    for k, lk in enumerate(plan.linked):
        s, s0, e = linked_symbols(k)
        y, y0 = sector_symbols(plan.sector(lk.sector).abbr)
        rhs = template.rhs.xreplace({S0: s0, eta: e, M_S: y, M_S0: y0})
        eqs.append(ModelEquation(
            "linked", _unique(lk.id, "linked", taken), s, rhs,
            f"{lk.en} ({lk.id}): follows {plan.sector(lk.sector).en} output with elasticity {texts[e]}",
            names=names, text_names=texts))
    labels = {t.id: t.en for t in plan.totals}
    extra_latex, extra_text = dict(names), dict(texts)
    for k in range(len(plan.totals), len(totals)):  # a caller's totals beyond the plan's own
        more_latex, more_text = _indexed_names(k, year)
        extra_latex.update(more_latex)
        extra_text.update(more_text)
    for k, (tid, members) in enumerate(totals):
        eqs.append(ModelEquation(
            "total", _unique(tid, "total", taken), total_symbol(k), total_expression(members, plan),
            f"{labels.get(tid, tid)} ({tid}): sum of its sectors' outputs", names=extra_latex,
            text_names=extra_text))
    return tuple(eqs)


def equation(name: str, plan: Any = None) -> ModelEquation:
    """The equation called ``name`` (see :func:`model_equations`)."""
    eqs = model_equations(plan)
    for eq in eqs:
        if eq.name == name:
            return eq
    raise KeyError(f"no equation {name!r}; known: {', '.join(e.name for e in eqs)}")
