r"""The counting models' mean equations in sympy (enterprises, projects, scenarios).

``jdmodel.counting`` runs these equations in hand-written numpy; here they are written once
more as sympy expressions so that the docs typeset them, and a test evaluates them
(lambdified) against ``jdmodel.counting.enterprise_rates``/``project_rates``/``scenario_rates``.
A lag :math:`\ell` is split over two whole years, :math:`f = \lfloor \ell \rfloor` with weight
:math:`1-\varphi` and :math:`f+1` with weight :math:`\varphi = \ell - f`; a stream holds its
base-year level in every year before the first lever year. Symbols carry a superscript (E, P, Z)
so that none is confused with a growth-model symbol; a plan's base year names the base-year
symbols (:func:`latex_names`).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

import sympy as sp

from jdmodel.symbolic import model as M
from jdmodel.symbolic._plan import plan_of

_p = {"positive": True}
_nn = {"nonnegative": True}

# --- enterprises (per sector) ----------------------------------------------------------------------
E, E_prev, E0, B_E, w_s, w_sum = sp.symbols("E E_prev E0 B_E w_s w_sum", **_nn)
g_E, eta_E, ceil_E, c_E = sp.symbols("g_E eta_E ceil_E c_E", **_nn)
a_E, b_E, F2_E, T2_E, G2_E, sig_E = sp.symbols("a_E b_E F2_E T2_E G2_E sig_E", **_nn)
pi_E, pi0_E, u_E, Fpi_E = sp.symbols("pi_E pi0_E u_E Fpi_E", **_nn)
r_E, a_f, a_f1, phi_E, ell_E, f_E, x_E, e_E = sp.symbols("r_E a_f a_f1 phi_E ell_E f_E x_E e_E", **_nn)
# --- projects (district) -------------------------------------------------------------------------------
lam, lam0, F_sum, G_sum, F2_P, G2_P, sig_P = sp.symbols("lam lam0 F_sum G_sum F2_P G2_P sig_P", **_nn)
m_P, pA, pC, lam_f, lam_f1, phi_P, ellA, ellC = sp.symbols("m_P p_A p_C lam_f lam_f1 phi_P ellA ellC", **_nn)
N, N_prev, N0 = sp.symbols("N N_prev N0", **_nn)
# --- scenarios (district) ------------------------------------------------------------------------------
z, nu_Z, m_f, m_f1, phi_Z, ell_Z, rho_Z, eps_Z = sp.symbols("z nu_Z m_f m_f1 phi_Z ell_Z rho_Z eps_Z", **_nn)
Zc, Z_prev, Z0 = sp.symbols("Z Z_prev Z0", **_nn)

COUNTING_KEYS: dict[sp.Symbol, str] = {
    B_E: "counting.enterprises.base", w_s: "counting.enterprises.base_share",
    b_E: "counting.enterprises.arrival_rate", eta_E: "counting.enterprises.output_elasticity",
    F2_E: "counting.enterprises.funds_doubling", T2_E: "counting.enterprises.talent_doubling",
    G2_E: "counting.enterprises.land_doubling", sig_E: "counting.enterprises.support_2020",
    ell_E: "counting.enterprises.maturation_lag", pi0_E: "counting.enterprises.graduation_prob",
    u_E: "counting.enterprises.graduation_uplift", Fpi_E: "counting.enterprises.graduation_funds_scale",
    x_E: "counting.enterprises.exit_rate", c_E: "counting.enterprises.ceiling_multiple",
    N0: "counting.projects.base", lam0: "counting.projects.proposal_rate",
    F2_P: "counting.projects.funds_doubling", G2_P: "counting.projects.land_doubling",
    sig_P: "counting.projects.support_2020", pA: "counting.projects.appraisal_prob",
    pC: "counting.projects.construction_prob", ellA: "counting.projects.appraisal_lag",
    ellC: "counting.projects.construction_lag", Z0: "counting.scenarios.base",
    nu_Z: "counting.scenarios.per_project", ell_Z: "counting.scenarios.lag",
    rho_Z: "counting.scenarios.infra_rate", eps_Z: "counting.scenarios.infra_elasticity",
}
"""Counting-model symbol → dotted key of ``jdmodel.params.schema_counting``."""


def _base_names(year: str) -> dict[sp.Symbol, str]:
    """LaTeX names of the base-year symbols of the counting models."""
    return {E0: f"E_{{{year}}}", sig_E: rf"\sigma^{{E}}_{{{year}}}", N0: f"N_{{{year}}}",
            sig_P: rf"\sigma^{{P}}_{{{year}}}", Z0: f"Z_{{{year}}}"}


LATEX_NAMES: dict[sp.Symbol, str] = {
    E: "E_{t}", E_prev: "E_{t-1}", B_E: "B^{E}", w_s: "w_{s}",
    w_sum: r"\textstyle\sum_{s} w_{s}", g_E: "g^{E}_{t}", eta_E: r"\eta^{E}", ceil_E: r"\bar{E}_{t}",
    c_E: "c^{E}", a_E: "a_{t}", b_E: "b^{E}", F2_E: "F^{E}_{2}", T2_E: "T^{E}_{2}", G2_E: "G^{E}_{2}",
    pi_E: r"\pi_{t}", pi0_E: r"\pi_{0}", u_E: "u^{E}", Fpi_E: r"F_{\pi}",
    r_E: "r_{t}", a_f: "a_{t-f}", a_f1: "a_{t-f-1}", phi_E: r"\varphi^{E}", ell_E: r"\ell^{E}", f_E: "f",
    x_E: "x", e_E: "e_{t}", lam: r"\lambda_{t}", lam0: r"\lambda_{0}", F_sum: r"\textstyle\sum_{s} F_{s,t}",
    G_sum: r"\textstyle\sum_{s} G_{s,t}", F2_P: "F^{P}_{2}", G2_P: "G^{P}_{2}",
    m_P: "m^{P}_{t}", pA: "p_{A}", pC: "p_{C}", lam_f: r"\lambda_{t-f}", lam_f1: r"\lambda_{t-f-1}",
    phi_P: r"\varphi^{P}", ellA: r"\ell_{A}", ellC: r"\ell_{C}", N: "N_{t}", N_prev: "N_{t-1}",
    z: "z_{t}", nu_Z: r"\nu^{Z}", m_f: "m^{P}_{t-f}", m_f1: "m^{P}_{t-f-1}",
    phi_Z: r"\varphi^{Z}", ell_Z: r"\ell^{Z}", rho_Z: r"\rho^{Z}", eps_Z: r"\epsilon^{Z}", Zc: "Z_{t}",
    Z_prev: "Z_{t-1}", **_base_names("0"),
}
"""Counting symbol → LaTeX (base year written 0; :func:`latex_names` gives a plan's)."""


def latex_names(plan: Any = None) -> dict[sp.Symbol, str]:
    """The growth model's and the counting models' LaTeX names for a plan (its base year in the subscripts)."""
    p = plan_of(plan)
    return {**M.latex_names(p), **LATEX_NAMES, **_base_names(str(p.years.base))}


def _lagged(now, before, phi):
    return (1 - phi) * now + phi * before


def counting_equations(plan: Any = None) -> list[M.ModelEquation]:
    """The counting models' mean equations as :class:`~jdmodel.symbolic.model.ModelEquation` objects.

    The equations are the same for every plan; ``plan`` (default: the default plan) names them.
    """
    p = plan_of(plan)
    names, texts = latex_names(p), M.text_names(p)
    return [replace(e, names=names, text_names=texts) for e in _counting_equations()]


@cache
def _counting_equations() -> tuple[M.ModelEquation, ...]:
    support_E = (1 + M.F / F2_E + M.T / T2_E + M.G / G2_E) / (1 + sig_E)
    support_P = (1 + F_sum / F2_P + G_sum / G2_P) / (1 + sig_P)
    eq = M.ModelEquation
    items = [
        eq(
            "counting",
            "enterprises_base",
            E0,
            B_E * w_s / w_sum,
            "enterprises in the base year: the district count split by sector",
        ),
        eq(
            "counting",
            "enterprises_growth",
            g_E,
            (M.Mt / M.M0) ** eta_E,
            "output factor of arrivals and ceiling",
        ),
        eq(
            "counting",
            "enterprises_ceiling",
            ceil_E,
            c_E * E0 * g_E,
            "the stock a sector's output can sustain",
        ),
        eq(
            "counting",
            "enterprises_arrivals",
            a_E,
            b_E * E0 * g_E * support_E,
            "candidate arrivals, raised by funds F, talent T and land granted G (b^E E_0 in the base year "
            "and before)",
        ),
        eq(
            "counting",
            "enterprises_graduation",
            pi_E,
            pi0_E + (1 - pi0_E) * u_E * (1 - sp.exp(-M.F / Fpi_E)),
            "share of matured candidates graduating, rising with funds",
        ),
        eq(
            "counting",
            "enterprises_matured",
            r_E,
            pi_E * _lagged(a_f, a_f1, phi_E),
            "graduations: arrivals of f and f+1 years ago, f + φ^E = ℓ^E",
        ),
        eq(
            "counting",
            "enterprises_entries",
            e_E,
            r_E * x_E * ceil_E / (r_E + x_E * ceil_E),
            "entries saturate at the rate that holds the stock at its ceiling",
        ),
        eq(
            "counting",
            "enterprises",
            E,
            (1 - x_E) * E_prev + e_E,
            "expected high-growth enterprises, exit rate x",
        ),
        eq(
            "counting",
            "projects_proposals",
            lam,
            lam0 * support_P,
            "proposals per year (district), raised by total funds and land (λ_0 in the base year and before)",
        ),
        eq(
            "counting",
            "projects_landed",
            m_P,
            pA * pC * _lagged(lam_f, lam_f1, phi_P),
            "landings: proposals passing appraisal and construction, f + φ^P = ℓ_A + ℓ_C",
        ),
        eq("counting", "projects", N, N_prev + m_P, "expected demonstration projects landed, cumulative"),
        eq(
            "counting",
            "scenarios_new",
            z,
            nu_Z * _lagged(m_f, m_f1, phi_Z) + rho_Z * M.D**eps_Z,
            "new scenarios from landed projects (f + φ^Z = ℓ^Z) and from digital infrastructure",
        ),
        eq("counting", "scenarios", Zc, Z_prev + z, "expected application scenarios, cumulative"),
    ]
    return tuple(items)


@cache
def _compiled(name: str) -> tuple[tuple[str, ...], object]:
    eq = next(e for e in _counting_equations() if e.name == name)
    args = tuple(sorted(eq.rhs.free_symbols, key=str))
    return tuple(str(a) for a in args), sp.lambdify(args, eq.rhs, modules="numpy")


def _ev(name: str, **values):
    names, fn = _compiled(name)
    return fn(*(values[n] for n in names))


def _lag(stream, lag):
    """Arrivals f and f+1 years back for every lever year (``stream[..., 0]`` is the base-year level)."""
    import numpy as np

    whole = np.floor(lag)
    steps = np.arange(1, stream.shape[-1])
    idx = np.clip(steps - whole[..., None], 0, None).astype(int)
    now = np.take_along_axis(stream, np.broadcast_to(idx, stream.shape[:-1] + idx.shape[-1:]), axis=-1)
    idx1 = np.clip(idx - 1, 0, None)
    before = np.take_along_axis(stream, np.broadcast_to(idx1, stream.shape[:-1] + idx1.shape[-1:]), axis=-1)
    return now, before, (lag - whole)[..., None]


def mean_paths(p, funds, talent, land, output, infra) -> dict:
    """Expected counts, base year to horizon, from the lambdified mean equations (a cross-check of ``jdmodel.counting``).

    Parameters
    ----------
    p : mapping
        ``counting.*`` key → array with a leading draw axis (``(D,)``; ``(D, S)`` or ``(S,)`` for the shares).
    funds, talent, land : array (D, S, T)
        Lever paths over the T lever years (land as granted): 亿元/yr, 人/yr, 公顷/yr.
    output : array (D, S, Y)
        Sector output, base year to horizon, 亿元.
    infra : array (D, Y)
        Digital-infrastructure index, base year = 1.

    Returns
    -------
    dict
        ``enterprises`` (D, S, Y), ``projects`` (D, Y), ``scenarios`` (D, Y).
    """
    import numpy as np

    def par(key: str, per_sector: bool = False):
        a = np.asarray(p[f"counting.{key}"], dtype=float)
        return a.reshape(-1, 1) if per_sector and a.ndim == 1 else a

    ent = {
        k: par(f"enterprises.{k}", True)
        for k in (
            "base",
            "arrival_rate",
            "output_elasticity",
            "funds_doubling",
            "talent_doubling",
            "land_doubling",
            "support_2020",
            "maturation_lag",
            "graduation_prob",
            "graduation_uplift",
            "graduation_funds_scale",
            "exit_rate",
            "ceiling_multiple",
        )
    }
    w = np.asarray(p["counting.enterprises.base_share"], float).reshape(-1, funds.shape[1])
    e0 = _ev("enterprises_base", B_E=ent["base"], w_s=w, w_sum=w.sum(axis=-1, keepdims=True))
    g = _ev("enterprises_growth", M=output, M0=output[..., :1], eta_E=ent["output_elasticity"][..., None])
    ceiling = _ev("enterprises_ceiling", c_E=ent["ceiling_multiple"][..., None], E0=e0[..., None], g_E=g)
    arrivals = _ev(
        "enterprises_arrivals",
        b_E=ent["arrival_rate"][..., None],
        E0=e0[..., None],
        g_E=g[..., 1:],
        F=funds,
        T=talent,
        G=land,
        F2_E=ent["funds_doubling"][..., None],
        T2_E=ent["talent_doubling"][..., None],
        G2_E=ent["land_doubling"][..., None],
        sig_E=ent["support_2020"][..., None],
    )
    stream = np.concatenate(
        [np.broadcast_to((ent["arrival_rate"] * e0)[..., None], arrivals.shape[:-1] + (1,)), arrivals],
        axis=-1,
    )
    a_now, a_before, phi = _lag(stream, np.broadcast_to(ent["maturation_lag"], stream.shape[:-1]))
    grad = _ev(
        "enterprises_graduation",
        pi0_E=ent["graduation_prob"][..., None],
        u_E=ent["graduation_uplift"][..., None],
        F=funds,
        Fpi_E=ent["graduation_funds_scale"][..., None],
    )
    matured = _ev("enterprises_matured", pi_E=grad, a_f=a_now, a_f1=a_before, phi_E=phi)
    with np.errstate(invalid="ignore", divide="ignore"):
        entries = _ev(
            "enterprises_entries", r_E=matured, x_E=ent["exit_rate"][..., None], ceil_E=ceiling[..., 1:]
        )
    entries = np.where(np.isfinite(entries), entries, 0.0)  # no candidates and no room: no entries
    path = [np.broadcast_to(e0, entries.shape[:-1])]
    for t in range(entries.shape[-1]):
        path.append(_ev("enterprises", x_E=ent["exit_rate"], E_prev=path[-1], e_E=entries[..., t]))
    pro = {
        k: par(f"projects.{k}")[:, None]
        for k in (
            "base",
            "proposal_rate",
            "funds_doubling",
            "land_doubling",
            "support_2020",
            "appraisal_prob",
            "construction_prob",
            "appraisal_lag",
            "construction_lag",
        )
    }
    lam_t = _ev(
        "projects_proposals",
        lam0=pro["proposal_rate"],
        F_sum=funds.sum(axis=1),
        G_sum=land.sum(axis=1),
        F2_P=pro["funds_doubling"],
        G2_P=pro["land_doubling"],
        sig_P=pro["support_2020"],
    )
    lam_stream = np.concatenate(
        [np.broadcast_to(pro["proposal_rate"], lam_t.shape[:-1] + (1,)), lam_t], axis=-1
    )
    lag_p = np.broadcast_to((pro["appraisal_lag"] + pro["construction_lag"])[:, 0], lam_stream.shape[:-1])
    l_now, l_before, phi_p = _lag(lam_stream, lag_p)
    landed = _ev(
        "projects_landed",
        p_A=pro["appraisal_prob"],
        p_C=pro["construction_prob"],
        lam_f=l_now,
        lam_f1=l_before,
        phi_P=phi_p,
    )
    sce = {
        k: par(f"scenarios.{k}")[:, None]
        for k in ("base", "per_project", "lag", "infra_rate", "infra_elasticity")
    }
    before = pro["appraisal_prob"] * pro["construction_prob"] * pro["proposal_rate"]
    m_stream = np.concatenate([np.broadcast_to(before, landed.shape[:-1] + (1,)), landed], axis=-1)
    m_now, m_before, phi_z = _lag(m_stream, np.broadcast_to(sce["lag"][:, 0], m_stream.shape[:-1]))
    new = _ev(
        "scenarios_new",
        nu_Z=sce["per_project"],
        m_f=m_now,
        m_f1=m_before,
        phi_Z=phi_z,
        rho_Z=sce["infra_rate"],
        D=infra[:, 1:],
        eps_Z=sce["infra_elasticity"],
    )
    n_path, z_path = (
        [np.broadcast_to(pro["base"][:, 0], landed.shape[:1])],
        [np.broadcast_to(sce["base"][:, 0], new.shape[:1])],
    )
    for t in range(landed.shape[-1]):
        n_path.append(_ev("projects", N_prev=n_path[-1], m_P=landed[:, t]))
        z_path.append(_ev("scenarios", Z_prev=z_path[-1], z=new[:, t]))
    return {
        "enterprises": np.stack(path, axis=-1),
        "projects": np.stack(n_path, axis=-1),
        "scenarios": np.stack(z_path, axis=-1),
    }
