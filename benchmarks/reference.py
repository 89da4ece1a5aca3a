"""The limit: the whole sweep of a scenario as one fused compiled loop per draw (benchmarks only).

For each draw, in registers and a few scratch arrays: the Latin-hypercube design (the same keyed
Feistel permutation and jitter as :mod:`jdmodel.uncertainty.designs`, computed a few hundred draws
ahead column by column, which the CPU vectorises — faster than draw by draw), the triangular inverse
CDFs, the derived base outputs, the growth block year by year (output as
``A exp(α ln K + β ln H + γ ln L)``), the e-commerce sales line and the online-economy total,
the three counting models (with the library's exact quantile routines and the same
counter-based uniforms), and the reductions (histograms, sums, hit and first-year counts),
accumulated per thread in plain floating point. Nothing is materialised per chunk, nothing is
labelled, nothing is reproducible across chunkings — this is what the engine is measured
against, not a second engine. It supports what the ``plan`` scenario needs (triangular
parameters, no correlations) and refuses anything else.

``run(sc, draws, seed, threads)`` returns P(reach) by target and the means by indicator, so the
benchmark can check that the reference computes the same model as the engine.
"""

from __future__ import annotations

import math
import threading

import numba
import numpy as np

from jdmodel.counting.kernel import (
    DISTRICT,
    ENTERPRISE,
    _bound_table,
    _matured,
    binomial_q,
    poisson_q,
)
from jdmodel.counting.quantiles import _binomial_tables
from jdmodel.uncertainty.designs import _FEISTEL_ROUNDS, _permute_into, _round_keys, _widths
from jdmodel.uncertainty.rng import _hash_block, draw_hash, stream_key, uniform_at

SECTOR_PARAMS = ("base_output", "capital_output_ratio", "depreciation", "investment_rate", "leverage",
                 "talent_base", "talent_attrition", "talent_organic", "land_base", "alpha", "beta", "gamma",
                 "tfp_growth", "infra_effect", "environment_effect")
STREAMS = ("counting.enterprises.base", "counting.enterprises.entries", "counting.enterprises.exits",
           "counting.projects.base", "counting.projects.landed", "counting.scenarios.base", "counting.scenarios.new")
INDICATORS = ("online_economy_output", "ecommerce_sales", "enterprises_total", "projects", "scenarios")
LOG_LO, LOG_HI, LOG_BINS, COUNT_BINS = 1e-3, 1e7, 1 << 16, 1 << 14
jit = numba.njit(nogil=True, cache=True, error_model="numpy")


_BLOCK = 256


@jit
def _design_block(U, y, h, start, m, n, keys, a, c, k0, k1, tri, todo, val):
    """``U[j, i]``: parameter ``j`` of draw ``start + i`` (LHS stratum + jitter, triangular inverse CDF)."""
    for i in range(m):
        h[i] = draw_hash(start + i, k0)
    for j in range(U.shape[0]):
        _permute_into(y[:m], start, keys[0, j], keys[1, j], keys[2, j], keys[3, j], a, c, np.uint32(n - 1), todo, val)
        for i in range(m):
            u = (np.float64(y[i]) + uniform_at(h[i], j, k1)) / n
            U[j, i] = _triangular(min(max(u, 2.0**-53), 1.0 - 2.0**-53), tri[j, 0], tri[j, 1], tri[j, 2])


@jit
def _triangular(u, a, b, c):
    if u < (c - a) / (b - a):
        return a + math.sqrt(u * (b - a) * (c - a))
    return b - math.sqrt((1 - u) * (b - a) * (b - c))


@jit
def _value(x, central, col):
    return central if col < 0 else x[col]


@jit
def _run(start, stop, n, keys, a, c, jk0, jk1, tri, x, sp_c, sp_col, jo, share_col, levers, d_infra, d_env,
         ln_infra, scal_c, scal_col, ent_c, ent_col, share, dist_c, dist_col, sk, composition, ec, tgt, paths,
         G, BG, BF, hist_money, hist_count, sums, sumsq, hits, first, shortfall, joint, pathhits, stages):
    S, T = levers.shape[1], levers.shape[2]
    Y = T + 1
    K, H, L, A = np.empty(S), np.empty(S), np.empty(S), np.empty(S)
    lnY = np.empty((S, Y))
    out = np.empty((5, Y))
    p = np.empty((len(SECTOR_PARAMS), S))
    stream, mat, landed, entries = np.empty(Y), np.empty(T), np.empty(Y), np.empty(T)
    growth = np.empty(T)
    granted = np.empty((S, T))
    inv_money = LOG_BINS / math.log(LOG_HI / LOG_LO)
    e0, q, hs = np.empty(len(ENTERPRISE)), np.empty(len(DISTRICT)), np.empty(sk.shape[0], np.uint64)
    U = np.empty((x.size, _BLOCK))
    yb = np.empty(_BLOCK, np.uint32)
    hb = np.empty(_BLOCK, np.uint64)
    todo, val = np.empty(_BLOCK, np.int64), np.empty(_BLOCK, np.uint32)
    for d in range(start, stop):
        i = (d - start) % _BLOCK
        if i == 0:          # the design for the next few hundred draws, column by column (vectorised)
            _design_block(U, yb, hb, d, min(_BLOCK, stop - d), n, keys, a, c, jk0, jk1, tri, todo, val)
        for j in range(x.size):
            x[j] = U[j, i]
        for i in range(p.shape[0]):
            for s in range(S):
                p[i, s] = _value(x, sp_c[i, s], sp_col[i, s])
        for s in range(S):
            if jo[s] > 0:
                p[0, s] = jo[s] / x[share_col]
        if stages < 2:
            continue
        land_budget = _value(x, scal_c[0], scal_col[0])
        sales_base = _value(x, scal_c[1], scal_col[1])
        sales_el = _value(x, scal_c[2], scal_col[2])
        # growth
        for s in range(S):
            Y0 = p[0, s]
            K[s] = p[1, s] * Y0
            H[s] = p[5, s]
            L[s] = p[8, s]
            A[s] = Y0 / (K[s] ** p[9, s] * H[s] ** p[10, s] * L[s] ** p[11, s])
            lnY[s, 0] = math.log(Y0)
        remaining = land_budget
        for t in range(T):
            total = 0.0
            for s in range(S):
                total += levers[2, s, t]
            scale = remaining / total if total > remaining and total > 0 else 1.0
            remaining = max(remaining - total * scale, 0.0)
            for s in range(S):
                K[s] = (1.0 - p[2, s]) * K[s] + p[3, s] * p[0, s] + p[4, s] * levers[0, s, t]
                H[s] = (1.0 - p[6, s]) * H[s] + p[7, s] + levers[1, s, t]
                granted[s, t] = levers[2, s, t] * scale
                L[s] = L[s] + granted[s, t]
                A[s] = A[s] * (1.0 + p[12, s] + p[13, s] * d_infra[t] + p[14, s] * d_env[t])
                lnY[s, t + 1] = math.log(A[s]) + p[9, s] * math.log(K[s]) + p[10, s] * math.log(H[s]) \
                    + p[11, s] * math.log(L[s])
        for t in range(Y):
            oe = 0.0
            for s in range(S):
                if composition[s]:
                    oe += math.exp(lnY[s, t])
            out[0, t] = oe
            out[1, t] = sales_base * math.exp(sales_el * (lnY[ec, t] - lnY[ec, 0]))
        if stages < 3:
            continue
        # counting: projects and scenarios
        for i in range(e0.size):
            e0[i] = _value(x, ent_c[i], ent_col[i])
        for i in range(q.size):
            q[i] = _value(x, dist_c[i], dist_col[i])
        for i in range(sk.shape[0]):
            hs[i] = draw_hash(d, sk[i, 0])
        rate = q[1]
        stream[0] = rate
        for t in range(T):
            fsum, lsum = 0.0, 0.0
            for s in range(S):
                fsum += levers[0, s, t]
                lsum += granted[s, t]
            stream[t + 1] = rate / (1.0 + q[4]) * (1.0 + fsum / q[2] + lsum / q[3])
        passed = q[5] * q[6]
        _matured(stream, q[7] + q[8], mat)
        base_p = math.floor(q[0] + uniform_at(hs[3], 0, sk[3, 1]))
        landed[0] = passed * rate
        cum = 0.0
        out[3, 0] = base_p
        for t in range(T):
            k = poisson_q(uniform_at(hs[4], t, sk[4, 1]), passed * mat[t], G)
            landed[t + 1] = k
            cum += k
            out[3, t + 1] = base_p + cum
        _matured(landed, q[11], mat)
        out[4, 0] = math.floor(q[9] + uniform_at(hs[5], 0, sk[5, 1]))
        cum = 0.0
        for t in range(T):
            z = q[10] * mat[t] + q[12] * math.exp(q[13] * ln_infra[t + 1])
            cum += poisson_q(uniform_at(hs[6], t, sk[6, 1]), z, G)
            out[4, t + 1] = out[4, 0] + cum
        # counting: enterprises
        for t in range(Y):
            out[2, t] = 0.0
        total_share = 0.0
        for s in range(S):
            total_share += share[s]
        log_q, log_p = math.log1p(-e0[11]), math.log(e0[11])
        for s in range(S):
            base = e0[0] * share[s] / total_share
            before = e0[1] * base
            stream[0] = before
            for t in range(T):
                growth[t] = math.exp(e0[2] * (lnY[s, t + 1] - lnY[s, 0]))
                support = 1.0 + levers[0, s, t] / e0[3] + levers[1, s, t] / e0[4] + granted[s, t] / e0[5]
                stream[t + 1] = before / (1.0 + e0[6]) * growth[t] * support
            _matured(stream, e0[7], mat)
            for t in range(T):
                grad = e0[8] + (1.0 - e0[8]) * e0[9] * -math.expm1(-levers[0, s, t] / e0[10])
                raw = grad * mat[t]
                room = e0[11] * e0[12] * base * growth[t]
                entries[t] = raw * room / (raw + room) if raw + room > 0 else 0.0
            e = math.floor(base + uniform_at(hs[0], s, sk[0, 1]))
            out[2, 0] += e
            for t in range(T):
                k = poisson_q(uniform_at(hs[1], s * T + t, sk[1, 1]), entries[t], G)
                b = binomial_q(uniform_at(hs[2], s * T + t, sk[2, 1]), e, e0[11], log_q, log_p, BG, BF)
                e = e - b + k
                out[2, t + 1] += e
        if stages < 4:
            continue
        # reductions
        for i in range(5):
            for t in range(Y):
                v = out[i, t]
                sums[i, t] += v
                sumsq[i, t] += v * v
                if i < 2:
                    b = int(math.log(min(max(v, LOG_LO), LOG_HI * (1 - 1e-12)) / LOG_LO) * inv_money)
                    hist_money[i, t, min(max(b, 0), LOG_BINS - 1)] += 1
                else:
                    hist_count[i - 2, t, min(max(int(v), 0), COUNT_BINS - 1)] += 1
        all_hit = True
        for r in range(tgt.shape[0]):
            ind, yi, cmp, thr = int(tgt[r, 0]), int(tgt[r, 1]), int(tgt[r, 2]), tgt[r, 3]
            fy = Y
            for t in range(Y):
                v = out[ind, t]
                ok = v > thr if cmp == 0 else v >= thr
                if ok and fy == Y:
                    fy = t
                if t == yi:
                    if ok:
                        hits[r] += 1
                    else:
                        all_hit = False
                        shortfall[r] += thr - v
            first[r, fy] += 1
        if all_hit:
            joint[0] += 1
        for r in range(paths.shape[0]):
            if out[int(paths[r, 0]), int(paths[r, 1])] >= paths[r, 2]:
                pathhits[r] += 1


def prepare(sc, draws: int, seed: int) -> dict:
    """Everything the loop needs, as arrays: design keys, parameter slots, levers, targets."""
    from jdmodel.params.baseyear import BUREAU_COMPONENTS, jan_oct_2020
    from jdmodel.params.observed import load_observed
    from jdmodel.params.scenario import central_values
    from jdmodel.params.schema import SECTORS
    from jdmodel.pipeline.sampling import uncertain_parameters

    if sc.correlations:
        raise ValueError("the reference loop has no correlations")
    specs = uncertain_parameters(sc)
    if any(t.get("dist", "triangular") != "triangular" for _, t in specs):
        raise ValueError("the reference loop knows triangular parameters only")
    cols = {k: j for j, (k, _) in enumerate(specs)}
    tri = np.array([[t["low"], t["high"], t.get("mode", t["value"])] for _, t in specs], dtype=float)
    cen = central_values(sc)

    def slot(key):
        return float(np.asarray(cen[key]).reshape(-1)[0]), cols.get(key, -1)

    S = len(SECTORS)
    sp = [[slot(f"sectors.{s}.{name}") for s in SECTORS] for name in SECTOR_PARAMS]
    levers = np.array([[np.broadcast_to(np.asarray(cen[f"levers.{lv}.{s}"], float).reshape(-1), (10,))
                        for s in SECTORS] for lv in ("funds", "talent", "land")])
    infra = np.concatenate([[1.0], np.broadcast_to(np.asarray(cen["district.infrastructure"], float).reshape(-1), (10,))])
    env = np.concatenate([[1.0], np.broadcast_to(np.asarray(cen["district.business_environment"], float).reshape(-1),
                                                 (10,))])
    jo = jan_oct_2020(load_observed("jiading"))
    derived = np.array([jo[s] if s in BUREAU_COMPONENTS and sc.params[f"sectors.{s}.base_output"].derived else 0.0
                        for s in SECTORS])
    scal = [slot(k) for k in ("district.land_budget", "ecommerce_sales.base_2020", "ecommerce_sales.elasticity")]
    ent = [slot(f"counting.enterprises.{k}") for k in ENTERPRISE]
    dist = [slot(f"counting.{k}") for k in DISTRICT]
    years = list(range(2020, 2031))
    ind = {name: i for i, name in enumerate(INDICATORS)}
    targets = [t for t in sc.targets.targets if t.indicator in ind]
    if any(t.comparison not in (">", ">=") for t in targets):
        raise ValueError("the reference loop knows > and >= targets only")
    tgt = np.array([[ind[t.indicator], years.index(t.year), 0 if t.comparison == ">" else 1, t.threshold]
                    for t in targets], dtype=float)
    paths = np.array([[ind[p.indicator], years.index(p.target_year), p.target_value] for p in sc.targets.paths],
                     dtype=float).reshape(-1, 3)
    k0, k1 = stream_key(seed, "design:lhs:jitter")
    sk = np.array([stream_key(seed, f"counting.{name}") for name in STREAMS], dtype=np.uint64)
    return dict(
        names=[t.id for t in targets], n=draws,
        keys=_round_keys(_hash_block(seed, f"design:lhs:perm:n={draws}", np.arange(len(specs)), (_FEISTEL_ROUNDS,))),
        ac=_widths(draws), jk=(k0, k1), tri=tri, k=len(specs),
        sp_c=np.array([[v for v, _ in row] for row in sp]), sp_col=np.array([[c for _, c in row] for row in sp]),
        jo=derived, share_col=cols["base_year.jan_oct_share"], levers=np.ascontiguousarray(levers),
        d_infra=np.diff(infra), d_env=np.diff(env), ln_infra=np.log(infra),
        scal_c=np.array([v for v, _ in scal]), scal_col=np.array([c for _, c in scal]),
        ent_c=np.array([v for v, _ in ent]), ent_col=np.array([c for _, c in ent]),
        share=np.asarray(cen["counting.enterprises.base_share"], float).reshape(-1),
        dist_c=np.array([v for v, _ in dist]), dist_col=np.array([c for _, c in dist]), sk=sk,
        composition=np.array([s in sc.targets.composition for s in SECTORS]), ec=SECTORS.index("ecommerce"),
        tgt=tgt, paths=paths, S=S, Y=len(years))


def _accumulators(pr: dict) -> dict:
    Y, nt = pr["Y"], pr["tgt"].shape[0]
    return dict(hist_money=np.zeros((2, Y, LOG_BINS), np.int64), hist_count=np.zeros((3, Y, COUNT_BINS), np.int64),
                sums=np.zeros((5, Y)), sumsq=np.zeros((5, Y)), hits=np.zeros(nt, np.int64),
                first=np.zeros((nt, Y + 1), np.int64), shortfall=np.zeros(nt), joint=np.zeros(1, np.int64),
                pathhits=np.zeros(pr["paths"].shape[0], np.int64))


def run_range(pr: dict, start: int, stop: int, acc: dict, stages: int = 4) -> None:
    """Draws ``[start, stop)`` into ``acc``; ``stages`` < 4 stops after the design (1), growth (2) or counting (3)."""
    a, c = pr["ac"]
    _run(start, stop, pr["n"], pr["keys"], a, c, *pr["jk"], pr["tri"], np.empty(pr["k"]), pr["sp_c"], pr["sp_col"],
         pr["jo"], pr["share_col"], pr["levers"], pr["d_infra"], pr["d_env"], pr["ln_infra"], pr["scal_c"],
         pr["scal_col"], pr["ent_c"], pr["ent_col"], pr["share"], pr["dist_c"], pr["dist_col"], pr["sk"],
         pr["composition"], pr["ec"], pr["tgt"], pr["paths"], _bound_table(), *_binomial_tables(), **acc,
         stages=stages)


def run(sc, draws: int, seed: int, threads: int = 1) -> dict:
    """The whole sweep on ``threads`` threads (each a contiguous share of the draws)."""
    pr = prepare(sc, draws, seed)
    accs = [_accumulators(pr) for _ in range(threads)]
    cuts = np.linspace(0, draws, threads + 1).astype(int)
    workers = [threading.Thread(target=run_range, args=(pr, int(cuts[i]), int(cuts[i + 1]), accs[i]))
               for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    total = {k: sum(acc[k] for acc in accs) for k in accs[0]}
    return {"p_reach": dict(zip(pr["names"], total["hits"] / draws, strict=True)),
            "p_all": float(total["joint"][0] / draws),
            "mean": {name: total["sums"][i] / draws for i, name in enumerate(INDICATORS)}}
