"""The counting models as one compiled loop per draw (numba): the stochastic counts, and the expected paths.

The same equations as :mod:`jdmodel.counting.model` (``enterprise_rates``, ``project_rates``,
``scenario_rates``, :mod:`~jdmodel.counting.lags`, :mod:`~jdmodel.counting.quantiles`), walked
once per draw with every intermediate in registers or a few small scratch arrays, instead of
some forty whole-array passes. Every operation is written in the order the numpy code does it,
so the floating-point results agree to the last bit except where numpy's vectorised ``exp``,
``expm1``, ``log1p`` and ``power`` differ from the C library's (a few per cent of arguments, one
unit in the last place); the counts agree exactly (tested).

The quantile functions use the tables of :mod:`jdmodel.counting.quantiles` and its decision
rule: a table or summation decision is taken only with a margin of ``1e-12 u``. A draw in which
any decision is closer than that, or a mean falls outside the fast domain, is flagged, and
:func:`simulate` recomputes the flagged draws with the numpy code, which hands exactly those
elements to scipy. A draw's counts therefore equal ``scipy.stats`` quantiles in every case,
and do not depend on which other draws share its chunk.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache

import numpy as np
from numpy.typing import NDArray

from jdmodel._jit import jit, jit_inline
from jdmodel.counting import quantiles as qt
from jdmodel.uncertainty.rng import draw_hash, uniform_at

Array = NDArray[np.float64]

#: Enterprise parameters in the order the kernel reads them (each (D,) or (D, S)).
ENTERPRISE = ("base", "arrival_rate", "output_elasticity", "funds_doubling", "talent_doubling", "land_doubling",
              "support_2020", "maturation_lag", "graduation_prob", "graduation_uplift", "graduation_funds_scale",
              "exit_rate", "ceiling_multiple")
#: Project and scenario parameters in kernel order (each (D,)).
DISTRICT = ("projects.base", "projects.proposal_rate", "projects.funds_doubling", "projects.land_doubling",
            "projects.support_2020", "projects.appraisal_prob", "projects.construction_prob",
            "projects.appraisal_lag", "projects.construction_lag", "scenarios.base", "scenarios.per_project",
            "scenarios.lag", "scenarios.infra_rate", "scenarios.infra_elasticity")

_PH, _PJ, _PK = qt._H, qt._J, qt._K
_MARGIN = qt._REL_MARGIN
_BMAX = qt._BINOM_MAX_MEAN
_BH, _BJ, _BN, _BMU = qt._B_H, qt._B_J, qt._B_N, qt._B_MU
_HARD = -1.0


# --- quantile functions, one element at a time ----------------------------------------------------
#
# Poisson: the bound table G of ``quantiles`` settles about 90 % of elements with two reads of a
# table that stays in cache (uint8, 1 MB). The rest are decided by summing the CDF from zero,
# F(k) = e^{-mu} sum_{j <= k} mu^j / j!, whose relative error stays below (3k + 2) 2^-53 (each
# term carries at most 2j + 1 roundings, each sum one more): for k < 256 under 1e-13, well inside
# the margin of 1e-12 u that every decision keeps, so a decision is exact or the draw goes to
# scipy. This reads no CDF table, whose random rows would each cost a cache miss.
#
# Binomial: the bound table of ``quantiles`` first (n < 256, np < 16), then the same summation from
# zero as ``quantiles._binomial_search``, element by element, with log(1 - p) computed once per draw
# and sector.

@jit
def poisson_q(u, mu, G):
    """Poisson quantile of ``u`` at mean ``mu`` (``quantiles.poisson_quantile``); ``-1`` = undecided."""
    if u > 0.0 and u < 1.0 and mu >= 0.0 and mu < qt._MU_MAX:
        g = int(mu * (1.0 / _PH)) * (_PJ + 1) + int(u * _PJ)
        lo = np.int64(G[g])
        hi = np.int64(G[g + _PJ + 2])
        if lo == hi:                                      # settled by the bound table
            return np.float64(lo)
        return _poisson_between(u, mu, lo, hi)
    return _HARD


@jit
def _poisson_between(u, mu, lo, hi):
    """Smallest k in [lo, hi] with F(k; mu) >= u, given that it lies there, by summation."""
    tol = _MARGIN * u
    p = math.exp(-mu)
    f = p
    for j in range(1, lo + 1):
        p = p * (mu / j)
        f += p
    k = lo
    while k < hi:
        if k >= _PK - 1:                                  # hi = _PK means no bound (u in the top cell)
            return _HARD
        if f - u > tol:
            return np.float64(k)
        if not (u - f > tol):
            return _HARD
        k += 1
        p = p * (mu / k)
        f += p
    return np.float64(hi)


@jit
def _binomial_search(v, n, p, log_q, strict):
    """Smallest j with F(j) >= v (> v if strict) for Bin(n, p), p <= 1/2, as ``quantiles._binomial_search``.

    ``log_q`` is ``log1p(-p)``.
    """
    tol = _MARGIN * v + (1e-15 if strict else 0.0)
    pa = math.exp(n * log_q)
    ca = pa
    if (ca > v) if strict else (ca >= v):
        if abs(ca - v) <= tol or abs(v) <= tol:
            return _HARD
        return 0.0
    odds = p / (1.0 - p)
    j = 0
    while True:
        j += 1
        pa = pa * ((n - (j - 1)) * odds)
        pa = pa * (1.0 / j)
        ca += pa
        if (ca > v) if strict else (ca >= v):
            if abs(ca - v) <= tol or abs(v - (ca - pa)) <= tol:
                return _HARD
            return np.float64(j)
        if j >= 16 and n <= j:                           # rounding can keep F(n) below v
            return _HARD


@jit
def binomial_q(u, n, p, log_q, log_p, BG, BF):
    """Binomial quantile (``quantiles.binomial_quantile``): bound table, then summation; ``-1`` = undecided.

    ``log_q``, ``log_p``: ``log1p(-p)`` and ``log(p)``, computed once for a fixed ``p``; ``BG``,
    ``BF``: the bound table and its row offsets (``quantiles._binomial_tables``).
    """
    if not (u > 0.0 and u < 1.0 and p >= 0.0 and p <= 1.0 and n >= 0.0 and n == math.floor(n)):
        return _HARD
    if p <= 0.5:
        mean = n * p
        if n < _BN and mean < _BMU:
            g = (BF[int(n)] + int(n * p * (1.0 / _BH))) * (_BJ + 1) + int(u * _BJ)
            lo = BG[g]
            if lo == BG[g + _BJ + 2]:                      # settled by the bound table
                return np.float64(lo)
        elif mean > _BMAX:
            return _HARD
        return _binomial_search(u, n, p, log_q, False)
    if n - n * p > _BMAX:
        return _HARD
    m = _binomial_search(1.0 - u, n, 1.0 - p, log_p, True)
    return _HARD if m < 0.0 else n - m


# --- the model, one draw at a time -----------------------------------------------------------------

@jit
def _matured(stream, lag, out):
    """``lags.matured`` for one stream (T + 1,) into ``out`` (T,)."""
    T = out.shape[0]
    f = math.floor(lag)
    phi = lag - f
    fi = int(f)
    for t in range(T):
        first = min(max(t + 1 - fi, 0), T)
        second = max(first - 1, 0)
        out[t] = (1.0 - phi) * stream[first] + phi * stream[second]


@jit
def _pending(stream, lag, out):
    """``lags.pending`` for one stream (T + 1,) into ``out`` (T + 1,)."""
    f = math.floor(lag)
    phi = lag - f
    fi = int(f)
    for tau in range(out.shape[0]):
        w = 0.0
        for j in range(fi):
            w = w + stream[max(tau - j, 0)]
        out[tau] = w + phi * stream[max(tau - fi, 0)]


@jit_inline
def _projects_in(d, pd, funds, land, stream, mat, pipe, detail):
    """A draw's project proposals into ``stream`` (T + 1,) and their landing rates, matured, into ``mat``
    (``project_rates``); with ``detail`` its pipeline into ``pipe[d]``. Returns the share that passes."""
    S, T = funds.shape[1], funds.shape[2]
    rate = pd[d, 1]
    arr_scale = rate / (1.0 + pd[d, 4])
    stream[0] = rate
    for t in range(T):
        fsum = 0.0
        lsum = 0.0
        for s in range(S):
            fsum += funds[d, s, t]
            lsum += land[d, s, t]
        stream[t + 1] = arr_scale * (1.0 + fsum / pd[d, 2] + lsum / pd[d, 3])
    passed = pd[d, 5] * pd[d, 6]
    plag = pd[d, 7] + pd[d, 8]
    _matured(stream, plag, mat)
    if detail:
        _pending(stream, plag, pipe[d])
        for t in range(T + 1):
            pipe[d, t] = passed * pipe[d, t]
    return passed


@jit_inline
def _enterprises_in(d, s, p, share_s, total_share, funds, talent, land, growth, ceil_row, stream, mat, cand, detail):
    """Sector ``s``'s candidate arrivals of a draw into ``stream``, matured into ``mat``, and its ceiling
    into ``ceil_row`` (``enterprise_rates``; ``p``: its parameters in ``ENTERPRISE`` order); with
    ``detail`` its candidates into ``cand[d, s]``. Returns the 2020 stock (the base)."""
    T = funds.shape[2]
    base = p[0] * share_s / total_share
    for t in range(T + 1):
        ceil_row[t] = p[12] * base * growth[d, s, t]
    before = p[1] * base
    scale = before / (1.0 + p[6])
    stream[0] = before
    for t in range(T):
        support = 1.0 + funds[d, s, t] / p[3] + talent[d, s, t] / p[4] + land[d, s, t] / p[5]
        stream[t + 1] = scale * growth[d, s, t + 1] * support
    _matured(stream, p[7], mat)
    if detail:
        _pending(stream, p[7], cand[d, s])
    return base


@jit_inline
def _entry_mean(p, graduation_t, matured_t, ceiling_t):
    """Expected entries of a sector-year: graduations, saturating at the exits the ceiling allows."""
    raw = (p[8] + (1.0 - p[8]) * p[9] * graduation_t) * matured_t
    room = p[11] * ceiling_t
    total = raw + room
    return raw * room / total if total > 0.0 else 0.0


@jit
def _draw(d, pe, share, pd, funds, talent, land, growth, graduation, infra_term, ue_base, ue_in, ue_out, up_base,
          up_land, us_base, us_new, ent, proj, scen, cand, ceil, pipe, PG, BG, BF, stream, mat, landed, entries, stock, exit_log,
          detail):
    """One draw of the three counting models; returns False when a quantile needs scipy.

    The uniforms are the draw's own: ``ue_base`` (S,), ``ue_in``, ``ue_out`` (S, T), ``up_base``,
    ``us_base`` numbers, ``up_land``, ``us_new`` (T,). Without ``detail`` the expected paths (``cand``, ``pipe``) are not computed and ``ceil`` has one
    row, reused by every draw as scratch.
    """
    S, T = funds.shape[1], funds.shape[2]
    r = d if detail else 0
    ok = True
    total_share = 0.0
    for s in range(S):
        total_share += share[d, s]
    # projects first: their landings feed the scenarios
    passed = _projects_in(d, pd, funds, land, stream, mat, pipe, detail)
    base_p = math.floor(pd[d, 0] + up_base)
    proj[d, 0] = base_p
    landed[0] = passed * pd[d, 1]
    cum = 0.0
    for t in range(T):
        k = poisson_q(up_land[t], passed * mat[t], PG)
        ok = ok and k >= 0.0
        landed[t + 1] = k
        cum += k
        proj[d, t + 1] = base_p + cum
    _matured(landed, pd[d, 11], mat)
    scen[d, 0] = math.floor(pd[d, 9] + us_base)
    cum = 0.0
    for t in range(T):
        z = pd[d, 10] * mat[t] + pd[d, 12] * infra_term[d, t]
        k = poisson_q(us_new[t], z, PG)
        ok = ok and k >= 0.0
        cum += k
        scen[d, t + 1] = scen[d, 0] + cum
    # enterprises: rates and entries sector by sector, then the stocks year by year across sectors
    # (the sectors' binomial table reads are independent, so their cache misses overlap)
    for s in range(S):
        p = pe[:, d, s]
        base = _enterprises_in(d, s, p, share[d, s], total_share, funds, talent, land, growth, ceil[r, s], stream,
                               mat, cand, detail)
        for t in range(T):
            k = poisson_q(ue_in[s, t], _entry_mean(p, graduation[d, s, t], mat[t], ceil[r, s, t + 1]), PG)
            ok = ok and k >= 0.0
            entries[s, t] = k
        stock[s] = math.floor(base + ue_base[s])
        ent[d, s, 0] = stock[s]
        exit_log[s, 0], exit_log[s, 1] = math.log1p(-p[11]), math.log(p[11])
    for t in range(T):
        for s in range(S):
            x = pe[11, d, s]
            b = binomial_q(ue_out[s, t], stock[s], x, exit_log[s, 0], exit_log[s, 1], BG, BF)
            ok = ok and b >= 0.0
            stock[s] = stock[s] - b + entries[s, t]
            ent[d, s, t + 1] = stock[s]
    return ok


@jit
def _expected_draws(pe, share, pd, funds, talent, land, growth, graduation, infra_term, ent, proj, scen, cand, ceil,
                    pipe, detail):
    """The expected paths (``noise=None``) of every draw: :func:`_draw` with each count replaced by its
    mean, the operations of ``model._expected`` (``enterprise_rates``, ``project_rates``,
    ``scenario_rates``) in their order, so the same bits."""
    D, S, T = ent.shape[0], funds.shape[1], funds.shape[2]
    stream, mat, landed = np.empty(T + 1), np.empty(T), np.empty(T + 1)
    for d in range(D):
        r = d if detail else 0
        total_share = 0.0
        for s in range(S):
            total_share += share[d, s]
        passed = _projects_in(d, pd, funds, land, stream, mat, pipe, detail)
        proj[d, 0] = pd[d, 0]
        landed[0] = passed * pd[d, 1]
        cum = 0.0
        for t in range(T):
            landed[t + 1] = passed * mat[t]
            cum = landed[t + 1] if t == 0 else cum + landed[t + 1]
            proj[d, t + 1] = pd[d, 0] + cum
        _matured(landed, pd[d, 11], mat)
        scen[d, 0] = pd[d, 9]
        cum = 0.0
        for t in range(T):
            z = pd[d, 10] * mat[t] + pd[d, 12] * infra_term[d, t]
            cum = z if t == 0 else cum + z
            scen[d, t + 1] = pd[d, 9] + cum
        for s in range(S):
            p = pe[:, d, s]
            e = _enterprises_in(d, s, p, share[d, s], total_share, funds, talent, land, growth, ceil[r, s], stream,
                                mat, cand, detail)
            ent[d, s, 0] = e
            for t in range(T):
                e = (1.0 - p[11]) * e + _entry_mean(p, graduation[d, s, t], mat[t], ceil[r, s, t + 1])
                ent[d, s, t + 1] = e


@jit
def _all_draws(pe, share, pd, funds, talent, land, growth, graduation, infra_term, ue_base, ue_in, ue_out, up_base,
               up_land, us_base, us_new, ent, proj, scen, cand, ceil, pipe, PG, BG, BF, ok, detail):
    S, T = funds.shape[1], funds.shape[2]
    stream, mat, landed = np.empty(T + 1), np.empty(T), np.empty(T + 1)
    entries, stock, exit_log = np.empty((S, T)), np.empty(S), np.empty((S, 2))
    for d in range(ok.shape[0]):
        ok[d] = _draw(d, pe, share, pd, funds, talent, land, growth, graduation, infra_term, ue_base[d], ue_in[d],
                      ue_out[d], up_base[d], up_land[d], us_base[d], us_new[d], ent, proj, scen, cand, ceil, pipe, PG,
                      BG, BF, stream, mat, landed, entries, stock, exit_log, detail)


@jit
def _all_draws_keyed(pe, share, pd, funds, talent, land, growth, graduation, infra_term, draw_index, keys, ent, proj,
                     scen, cand, ceil, pipe, PG, BG, BF, ok, detail):
    """:func:`_all_draws` drawing each draw's uniforms itself, as ``rng.uniforms`` would give them.

    ``keys`` (7, 2): the (k0, k1) of the streams in the order of ``_STREAMS``; ``draw_index``: the
    draws' absolute indices. The uniforms of a draw are made into a few small rows just before its
    counts, instead of being written for the whole chunk and read back.
    """
    S, T = funds.shape[1], funds.shape[2]
    stream, mat, landed = np.empty(T + 1), np.empty(T), np.empty(T + 1)
    entries, stock, exit_log = np.empty((S, T)), np.empty(S), np.empty((S, 2))
    ue_base, ue_in, ue_out = np.empty(S), np.empty((S, T)), np.empty((S, T))
    up_land, us_new = np.empty(T), np.empty(T)
    for d in range(ok.shape[0]):
        di = draw_index[d]
        h0, h1, h2 = draw_hash(di, keys[0, 0]), draw_hash(di, keys[1, 0]), draw_hash(di, keys[2, 0])
        for s in range(S):
            ue_base[s] = uniform_at(h0, s, keys[0, 1])
            for t in range(T):
                ue_in[s, t] = uniform_at(h1, s * T + t, keys[1, 1])
                ue_out[s, t] = uniform_at(h2, s * T + t, keys[2, 1])
        h4, h6 = draw_hash(di, keys[4, 0]), draw_hash(di, keys[6, 0])
        for t in range(T):
            up_land[t] = uniform_at(h4, t, keys[4, 1])
            us_new[t] = uniform_at(h6, t, keys[6, 1])
        up_base = uniform_at(draw_hash(di, keys[3, 0]), 0, keys[3, 1])
        us_base = uniform_at(draw_hash(di, keys[5, 0]), 0, keys[5, 1])
        ok[d] = _draw(d, pe, share, pd, funds, talent, land, growth, graduation, infra_term, ue_base, ue_in, ue_out,
                      up_base, up_land, us_base, us_new, ent, proj, scen, cand, ceil, pipe, PG, BG, BF, stream, mat,
                      landed, entries, stock, exit_log, detail)


@cache
def _bound_table() -> NDArray[np.uint8]:
    """The Poisson bound table G of ``quantiles`` as uint8 (its values are at most 192): 1 MB."""
    return qt._poisson_tables()[1].astype(np.uint8)


#: the expected paths returned beside the counts, left out when ``detail`` is False
DETAIL = ("candidates_mean", "enterprise_ceiling", "projects_pipeline_mean")
#: the noise streams in the order the loops read them, with their shapes after the draw axis
_STREAMS = ("counting.enterprises.base", "counting.enterprises.entries", "counting.enterprises.exits",
            "counting.projects.base", "counting.projects.landed", "counting.scenarios.base", "counting.scenarios.new")


def simulate(q: Mapping[str, Array], funds: Array, talent: Array, land: Array, output: Array, infra: Array,
             u: Mapping[str, Array] | tuple[NDArray[np.int64], NDArray[np.uint64]], d: int,
             detail: bool = True) -> tuple[dict[str, Array], NDArray[np.bool_]]:
    """Run the compiled loop over ``d`` draws.

    Parameters
    ----------
    q : mapping
        Parameters as ``model._read`` returns them.
    funds, talent, land : array (D or 1, S, T); output : array (D or 1, S, Y); infra : array (D or 1, Y)
    u : mapping or (draw_index, keys) or None
        Uniforms by noise stream, leading axis D or 1; or the draws' absolute indices (D,) and the
        streams' keys (7, 2) in the order of ``_STREAMS``, from which the loop draws the same uniforms
        as ``rng.uniforms`` itself; or None for the expected paths (``model._expected``'s numbers).
    d : int
        Number of draws.
    detail : bool
        False: the counts only, without the expected paths (``candidates_mean``,
        ``enterprise_ceiling``, ``projects_pipeline_mean``), which a sweep does not reduce.

    Returns
    -------
    (outputs, ok)
        The arrays :func:`jdmodel.counting.simulate_counts` returns, and a boolean per draw that is
        False where a quantile was left undecided (recompute those draws with the numpy code).
    """
    S, T = funds.shape[1], funds.shape[2]

    def full(a: Array, shape: tuple[int, ...]) -> Array:
        # a view, whatever the memory order (measured: copying the engine's year-major lever paths
        # into draw-major order costs more than it saves); inputs shared by every draw broadcast
        return np.broadcast_to(np.asarray(a, dtype=np.float64), shape)

    pe = np.empty((len(ENTERPRISE), d, S))         # parameter-major: each row is one contiguous copy
    for i, name in enumerate(ENTERPRISE):
        a = q[f"enterprises.{name}"]
        pe[i] = a[:, None] if name == "base" else a
    share = full(q["enterprises.base_share"], (d, S))
    pd = np.empty((d, len(DISTRICT)))
    for i, name in enumerate(DISTRICT):
        pd[:, i] = q[name]
    keyed = u is not None and not isinstance(u, Mapping)
    if isinstance(u, Mapping):
        streams = [full(u[k], (d, *shape)) for k, shape in zip(_STREAMS, ((S,), (S, T), (S, T), (), (T,), (), (T,)),
                                                                strict=True)]
    rows = d if detail else 1                      # without detail: one row of scratch for the ceiling
    out = {"enterprises": np.empty((d, S, T + 1)), "projects": np.empty((d, T + 1)),
           "scenarios": np.empty((d, T + 1)), "candidates_mean": np.empty((rows, S, T + 1)),
           "enterprise_ceiling": np.empty((rows, S, T + 1)), "projects_pipeline_mean": np.empty((rows, T + 1))}
    # the transcendental functions run vectorised in numpy (SIMD), with exactly the expressions of
    # enterprise_rates and scenario_rates, so the loop's floating-point results equal theirs bit for bit
    # draw-major (C-ordered) whatever the order of ``output``: the loop reads a draw's growth together
    elasticity = q["enterprises.output_elasticity"][..., None]
    growth = np.divide(output, output[..., :1], out=np.empty(np.broadcast_shapes(output.shape, elasticity.shape)))
    growth = full(np.power(growth, elasticity, out=growth), (d, S, T + 1))
    graduation = np.expm1(-funds / q["enterprises.graduation_funds_scale"][..., None])
    graduation = full(np.negative(graduation, out=graduation), (d, S, T))
    infra_term = full(infra[:, 1:] ** q["scenarios.infra_elasticity"][:, None], (d, T))
    ok = np.empty(d, dtype=np.bool_)
    common = (pe, share, pd, full(funds, (d, S, T)), full(talent, (d, S, T)), full(land, (d, S, T)), growth,
              graduation, infra_term)
    counts = (out["enterprises"], out["projects"], out["scenarios"], out["candidates_mean"],
              out["enterprise_ceiling"], out["projects_pipeline_mean"], _bound_table(), *qt._binomial_tables(), ok,
              detail)
    if u is None:
        _expected_draws(*common, *counts[:6], detail)
        ok[:] = True
    elif keyed:
        _all_draws_keyed(*common, *u, *counts)
    else:
        _all_draws(*common, *streams, *counts)
    if not detail:
        for name in DETAIL:
            del out[name]
    return out, ok
