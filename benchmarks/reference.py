"""The limit: the whole sweep of a scenario as one fused compiled loop per draw (benchmarks only).

For each draw, in registers and a few scratch arrays: the Latin-hypercube design (the same keyed
Feistel permutation and jitter as :mod:`jdmodel.uncertainty.designs`, computed a few hundred draws
ahead column by column, which the CPU vectorises — faster than draw by draw), the triangular inverse
CDFs, the base outputs the plan derives from published figures, the growth block year by year as
:mod:`jdmodel.engine` runs it (value added :math:`V = A K^\\alpha H^\\beta L^\\gamma` beside the
measured output :math:`M = V (1 + d) / (\\mu v)`, investment :math:`I_t = s V_t`, steady-state
initial capital, the plan's shock/rebound deviation :math:`d`, land within the district budget),
the plan's totals and linked indicators, the three counting models (with the library's exact
quantile routines, the same counter-based uniforms and the operations in the order of
:mod:`jdmodel.counting.kernel`), and the reductions (histograms, sums, hit and first-year counts),
accumulated per thread in plain floating point. Nothing is materialised per chunk, nothing is
labelled, nothing is reproducible across chunkings — this is what the engine is measured against,
not a second engine.

Plan-generic: sectors, years, shock span, totals (as the scenario's targets define them), linked
indicators and base-year rules come from the scenario's plan. It supports what a sweep of the
supply-side model with triangular parameters needs and refuses anything else (correlations, other
distributions, the market-share variant, the input–output block, negative levers).

``run(sc, draws, seed, threads)`` returns P(reach) by target and the means by indicator, so the
benchmark can check that the reference computes the same model as the engine (P(reach) equal to
the bit). A draw in which a quantile is too close to call from the tables (the engine hands it to
scipy) is counted in ``undecided``; the check is only meaningful when that count is zero.
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
from jdmodel.uncertainty.rng import U_MAX, U_MIN, _hash_block, draw_hash, stream_key, uniform_at

#: per-sector parameters, in the order the loop reads them (rows of ``p``); shock and rebound are 0 when absent
SECTOR_PARAMS = ("base_output", "margin", "va_share", "pre_growth", "depreciation", "investment_rate", "leverage",
                 "talent_base", "talent_attrition", "talent_organic", "land_base", "alpha", "beta", "gamma",
                 "tfp_growth", "infra_effect", "environment_effect", "shock", "rebound")
(_M0, _MU, _VS, _G0, _DEP, _INV, _LEV, _H0, _ATT, _ORG, _L0, _AL, _BE, _GA, _TFP, _INF, _ENV, _SHK,
 _REB) = range(len(SECTOR_PARAMS))
STREAMS = ("counting.enterprises.base", "counting.enterprises.entries", "counting.enterprises.exits",
           "counting.projects.base", "counting.projects.landed", "counting.scenarios.base", "counting.scenarios.new")
COUNT_INDICATORS = ("enterprises_total", "projects", "scenarios")
COMPARISONS = (">", ">=", "<", "<=")
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
            U[j, i] = _triangular(min(max(u, U_MIN), U_MAX), tri[j, 0], tri[j, 1], tri[j, 2])


@jit
def _triangular(u, a, b, c):
    if u < (c - a) / (b - a):
        return a + math.sqrt(u * (b - a) * (c - a))
    return b - math.sqrt((1 - u) * (b - a) * (b - c))


@jit
def _value(x, central, col):
    return central if col < 0 else x[col]


@jit
def _run(start, stop, n, keys, a, c, jk0, jk1, tri, x, sp_c, sp_col, der_num, der_c, der_col, dev_kind, levers,
         d_infra, d_env, infra, budget_c, budget_col, tot_mask, lk_sector, lk_c, lk_col, ent_c, ent_col, share,
         dist_c, dist_col, sk, tgt, paths, G, BG, BF, hist_money, hist_count, sums, sumsq, hits, first, shortfall,
         joint, pathhits, undecided, stages):
    S, T = levers.shape[1], levers.shape[2]
    Y = T + 1
    n_tot, n_lk = tot_mask.shape[0], lk_sector.shape[0]
    n_money = n_tot + n_lk
    K, H, L, A, V = np.empty(S), np.empty(S), np.empty(S), np.empty(S), np.empty(S)
    ratio = np.empty(S)
    va = np.empty((S, Y))
    M = np.empty((S, Y))
    out = np.empty((n_money + 3, Y))
    p = np.empty((len(SECTOR_PARAMS), S))
    e0 = np.empty((len(ENTERPRISE), S))
    stream, mat, landed = np.empty(Y), np.empty(T), np.empty(Y)
    growth, ceil, entries = np.empty(Y), np.empty(Y), np.empty(T)
    granted = np.empty((S, T))
    inv_money = LOG_BINS / math.log(LOG_HI / LOG_LO)
    q, hs = np.empty(len(DISTRICT)), np.empty(sk.shape[0], np.uint64)
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
        for r in range(p.shape[0]):
            for s in range(S):
                p[r, s] = _value(x, sp_c[r, s], sp_col[r, s])
        for s in range(S):            # base outputs derived from published figures: figure / share
            if der_num[s] > 0:
                p[_M0, s] = der_num[s] / _value(x, der_c[s], der_col[s])
        if stages < 2:
            continue
        # growth (jdmodel.engine._run, operation by operation)
        for s in range(S):
            ratio[s] = p[_MU, s] * p[_VS, s]
            d0 = p[_SHK, s] if dev_kind[0] == 1 else p[_REB, s] if dev_kind[0] == 2 else 0.0
            V[s] = p[_M0, s] * ratio[s] / (1.0 + d0)
            K[s] = p[_INV, s] * V[s] / (p[_G0, s] + p[_DEP, s])
            H[s] = p[_H0, s]
            L[s] = p[_L0, s]
            A[s] = V[s] / (K[s] ** p[_AL, s] * H[s] ** p[_BE, s] * L[s] ** p[_GA, s])
            va[s, 0] = V[s]
        remaining = _value(x, budget_c, budget_col)
        for t in range(T):
            total = 0.0
            for s in range(S):
                total += levers[2, s, t]
            scale = remaining / (total if total > 0 else 1.0) if total > remaining else 1.0
            used = 0.0
            for s in range(S):
                granted[s, t] = levers[2, s, t] * scale
                used += granted[s, t]
            remaining = max(remaining - used, 0.0)
            for s in range(S):
                K[s] = (1.0 - p[_DEP, s]) * K[s] + p[_INV, s] * V[s] + p[_LEV, s] * levers[0, s, t]
                H[s] = (1.0 - p[_ATT, s]) * H[s] + p[_ORG, s] + levers[1, s, t]
                L[s] = L[s] + granted[s, t]
                A[s] = A[s] * (1.0 + p[_TFP, s] + p[_INF, s] * d_infra[t] + p[_ENV, s] * d_env[t])
                V[s] = A[s] * K[s] ** p[_AL, s] * H[s] ** p[_BE, s] * L[s] ** p[_GA, s]
                va[s, t + 1] = V[s]
        for s in range(S):
            for t in range(Y):
                dv = p[_SHK, s] if dev_kind[t] == 1 else p[_REB, s] if dev_kind[t] == 2 else 0.0
                M[s, t] = va[s, t] * (1.0 + dv) / ratio[s]
        for r in range(n_tot):
            for t in range(Y):
                v = 0.0
                for s in range(S):
                    if tot_mask[r, s]:
                        v += M[s, t]
                out[r, t] = v
        for r in range(n_lk):
            j = lk_sector[r]
            base, eta = _value(x, lk_c[r, 0], lk_col[r, 0]), _value(x, lk_c[r, 1], lk_col[r, 1])
            for t in range(Y):
                out[n_tot + r, t] = base * (M[j, t] / p[_M0, j]) ** eta
        if stages < 3:
            continue
        # counting (jdmodel.counting.kernel._draw): projects and scenarios
        for r in range(q.size):
            q[r] = _value(x, dist_c[r], dist_col[r])
        for r in range(sk.shape[0]):
            hs[r] = draw_hash(d, sk[r, 0])
        ok = True
        rate = q[1]
        arr_scale = rate / (1.0 + q[4])
        stream[0] = rate
        for t in range(T):
            fsum, lsum = 0.0, 0.0
            for s in range(S):
                fsum += levers[0, s, t]
                lsum += granted[s, t]
            stream[t + 1] = arr_scale * (1.0 + fsum / q[2] + lsum / q[3])
        passed = q[5] * q[6]
        _matured(stream, q[7] + q[8], mat)
        base_p = math.floor(q[0] + uniform_at(hs[3], 0, sk[3, 1]))
        landed[0] = passed * rate
        cum = 0.0
        out[n_money + 1, 0] = base_p
        for t in range(T):
            k = poisson_q(uniform_at(hs[4], t, sk[4, 1]), passed * mat[t], G)
            ok = ok and k >= 0.0
            landed[t + 1] = k
            cum += k
            out[n_money + 1, t + 1] = base_p + cum
        _matured(landed, q[11], mat)
        out[n_money + 2, 0] = math.floor(q[9] + uniform_at(hs[5], 0, sk[5, 1]))
        cum = 0.0
        for t in range(T):
            z = q[10] * mat[t] + q[12] * infra[t + 1] ** q[13]
            k = poisson_q(uniform_at(hs[6], t, sk[6, 1]), z, G)
            ok = ok and k >= 0.0
            cum += k
            out[n_money + 2, t + 1] = out[n_money + 2, 0] + cum
        # counting: enterprises, sector by sector
        for t in range(Y):
            out[n_money, t] = 0.0
        for r in range(e0.shape[0]):
            for s in range(S):
                e0[r, s] = _value(x, ent_c[r, s], ent_col[r, s])
        total_share = 0.0
        for s in range(S):
            total_share += share[s]
        for s in range(S):
            base = e0[0, s] * share[s] / total_share
            for t in range(Y):
                growth[t] = (M[s, t] / M[s, 0]) ** e0[2, s]
                ceil[t] = e0[12, s] * base * growth[t]
            before = e0[1, s] * base
            scale = before / (1.0 + e0[6, s])
            stream[0] = before
            for t in range(T):
                support = 1.0 + levers[0, s, t] / e0[3, s] + levers[1, s, t] / e0[4, s] + granted[s, t] / e0[5, s]
                stream[t + 1] = scale * growth[t + 1] * support
            _matured(stream, e0[7, s], mat)
            for t in range(T):
                grad = -math.expm1(-levers[0, s, t] / e0[10, s])
                raw = (e0[8, s] + (1.0 - e0[8, s]) * e0[9, s] * grad) * mat[t]
                room = e0[11, s] * ceil[t + 1]
                tot = raw + room
                entries[t] = poisson_q(uniform_at(hs[1], s * T + t, sk[1, 1]), raw * room / tot if tot > 0.0 else 0.0,
                                       G)
                ok = ok and entries[t] >= 0.0
            xr = e0[11, s]
            log_q, log_p = math.log1p(-xr), math.log(xr)
            e = math.floor(base + uniform_at(hs[0], s, sk[0, 1]))
            out[n_money, 0] += e
            for t in range(T):
                b = binomial_q(uniform_at(hs[2], s * T + t, sk[2, 1]), e, xr, log_q, log_p, BG, BF)
                ok = ok and b >= 0.0
                e = e - b + entries[t]
                out[n_money, t + 1] += e
        if not ok:
            undecided[0] += 1
        if stages < 4:
            continue
        # reductions
        for r in range(out.shape[0]):
            for t in range(Y):
                v = out[r, t]
                sums[r, t] += v
                sumsq[r, t] += v * v
                if r < n_money:
                    b = int(math.log(min(max(v, LOG_LO), LOG_HI * (1 - 1e-12)) / LOG_LO) * inv_money)
                    hist_money[r, t, min(max(b, 0), LOG_BINS - 1)] += 1
                else:
                    hist_count[r - n_money, t, min(max(int(v), 0), COUNT_BINS - 1)] += 1
        all_hit = True
        for r in range(tgt.shape[0]):
            ind, yi, cmp, thr = int(tgt[r, 0]), int(tgt[r, 1]), int(tgt[r, 2]), tgt[r, 3]
            fy = Y
            for t in range(Y):
                v = out[ind, t]
                hit = (v > thr) if cmp == 0 else (v >= thr) if cmp == 1 else (v < thr) if cmp == 2 else (v <= thr)
                if hit and fy == Y:
                    fy = t
                if t == yi:
                    if hit:
                        hits[r] += 1
                    else:
                        all_hit = False
                        shortfall[r] += thr - v if cmp <= 1 else v - thr
            first[r, fy] += 1
        if all_hit:
            joint[0] += 1
        for r in range(paths.shape[0]):
            if out[int(paths[r, 0]), int(paths[r, 1])] >= paths[r, 2]:
                pathhits[r] += 1


def prepare(sc, draws: int, seed: int) -> dict:
    """Everything the loop needs, as arrays: design keys, parameter slots, levers, targets."""
    from jdmodel.params.baseyear import figures
    from jdmodel.params.scenario import central_values, options
    from jdmodel.pipeline.sampling import uncertain_parameters

    plan = sc.plan
    if sc.correlations:
        raise ValueError("the reference loop has no correlations")
    if options(sc).get("model.variant", "supply") != "supply":
        raise ValueError("the reference loop knows the supply-side model only")
    specs = uncertain_parameters(sc)
    if any(t.get("dist", "triangular") != "triangular" for _, t in specs):
        raise ValueError("the reference loop knows triangular parameters only")
    cols = {k: j for j, (k, _) in enumerate(specs)}
    tri = np.array([[t["low"], t["high"], t.get("mode", t["value"])] for _, t in specs], dtype=float).reshape(-1, 3)
    cen = central_values(sc)
    sectors, years = plan.sector_ids, list(plan.years.all)
    S, Y, T = len(sectors), len(years), len(plan.years.levers)

    def slot(key, default=None):
        if key not in cen and default is not None:
            return default, -1
        return float(np.asarray(cen[key]).reshape(-1)[0]), cols.get(key, -1)

    def per_sector(key, s):
        """Central value for sector ``s`` of a key that may hold one value or one per sector."""
        v = np.asarray(cen[key], dtype=float).reshape(-1)
        return float(v[s] if v.size == S else v[0]), cols.get(key, -1)

    sp = [[slot(f"sectors.{s}.{name}", 0.0 if name in ("shock", "rebound") else None) for s in sectors]
          for name in SECTOR_PARAMS]
    levers = np.array([[np.broadcast_to(np.asarray(cen[f"levers.{lv}.{s}"], float).reshape(-1), (T,))
                        for s in sectors] for lv in ("funds", "talent", "land")])
    if levers.min() < 0:
        raise ValueError("the reference loop knows non-negative levers only")

    def path(key):
        return np.concatenate([[1.0], np.broadcast_to(np.asarray(cen[key], float).reshape(-1), (T,))])

    infra, env = path("district.infrastructure"), path("district.business_environment")
    # base outputs a plan rule derives from published figures: figure / share, draw by draw
    der_num, der = np.zeros(S), [(1.0, -1)] * S
    for rule in plan.base_rules:
        for s, v in figures(rule, plan.observations).items():
            j = sectors.index(s)
            if sc.params[f"sectors.{s}.base_output"].derived:
                der_num[j] = v
                der[j] = (1.0, -1) if rule.share is None else slot(rule.share)
    # the shock deviation: 1 in the span's first year (shock), 2 in its second (rebound)
    dev_kind = np.zeros(Y, np.int64)
    if plan.shock is not None:
        start = plan.shock[0] - years[0]
        for k, t in ((1, start), (2, start + 1)):
            if 0 <= t < Y:
                dev_kind[t] = k
    totals = sc.targets.total_of or {t.id: t.sectors for t in plan.totals}
    tot_mask = np.array([[s in members for s in sectors] for members in totals.values()], dtype=np.bool_)
    lk = [(sectors.index(x.sector), slot(f"linked.{x.id}.base"), slot(f"linked.{x.id}.elasticity"))
          for x in plan.linked]
    names = [*totals, *(x.id for x in plan.linked), *COUNT_INDICATORS]
    ent = [[(1.0, -1) if name == "base_share" else per_sector(f"counting.enterprises.{name}", s) for s in range(S)]
           for name in ENTERPRISE]
    dist = [slot(f"counting.{k}") for k in DISTRICT]
    ind = {name: i for i, name in enumerate(names)}
    targets = [t for t in sc.targets.targets if t.indicator in ind]
    if any(t.comparison not in COMPARISONS for t in targets):
        raise ValueError(f"the reference loop knows {', '.join(COMPARISONS)} targets only")
    tgt = np.array([[ind[t.indicator], years.index(t.year), COMPARISONS.index(t.comparison), t.threshold]
                    for t in targets], dtype=float).reshape(-1, 4)
    paths = np.array([[ind[p.indicator], years.index(p.target_year), p.target_value] for p in sc.targets.paths
                      if p.indicator in ind], dtype=float).reshape(-1, 3)
    k0, k1 = stream_key(seed, "design:lhs:jitter")
    # the engine keys each noise stream as "counting." + the counting model's own stream name (sampling.run_draws)
    sk = np.array([stream_key(seed, f"counting.{name}") for name in STREAMS], dtype=np.uint64)
    return dict(
        names=[t.id for t in targets], indicators=names, n=draws, n_money=len(names) - len(COUNT_INDICATORS),
        keys=_round_keys(_hash_block(seed, f"design:lhs:perm:n={draws}", np.arange(len(specs)), (_FEISTEL_ROUNDS,))),
        ac=_widths(draws), jk=(k0, k1), tri=tri, k=len(specs),
        sp_c=np.array([[v for v, _ in row] for row in sp]), sp_col=np.array([[c for _, c in row] for row in sp]),
        der_num=der_num, der_c=np.array([v for v, _ in der]), der_col=np.array([c for _, c in der]),
        dev_kind=dev_kind, levers=np.ascontiguousarray(levers), d_infra=np.diff(infra), d_env=np.diff(env),
        infra=infra, budget=slot("district.land_budget"), tot_mask=tot_mask.reshape(-1, S),
        lk_sector=np.array([j for j, _, _ in lk], dtype=np.int64),
        lk_c=np.array([[b[0], e[0]] for _, b, e in lk]).reshape(-1, 2),
        lk_col=np.array([[b[1], e[1]] for _, b, e in lk], dtype=np.int64).reshape(-1, 2),
        ent_c=np.array([[v for v, _ in row] for row in ent]), ent_col=np.array([[c for _, c in row] for row in ent]),
        share=np.broadcast_to(np.asarray(cen["counting.enterprises.base_share"], float).reshape(-1), (S,)).copy(),
        dist_c=np.array([v for v, _ in dist]), dist_col=np.array([c for _, c in dist]), sk=sk,
        tgt=tgt, paths=paths, S=S, Y=Y)


def _accumulators(pr: dict) -> dict:
    Y, nt, nm = pr["Y"], pr["tgt"].shape[0], pr["n_money"]
    return dict(hist_money=np.zeros((nm, Y, LOG_BINS), np.int64), hist_count=np.zeros((3, Y, COUNT_BINS), np.int64),
                sums=np.zeros((nm + 3, Y)), sumsq=np.zeros((nm + 3, Y)), hits=np.zeros(nt, np.int64),
                first=np.zeros((nt, Y + 1), np.int64), shortfall=np.zeros(nt), joint=np.zeros(1, np.int64),
                pathhits=np.zeros(pr["paths"].shape[0], np.int64), undecided=np.zeros(1, np.int64))


def run_range(pr: dict, start: int, stop: int, acc: dict, stages: int = 4) -> None:
    """Draws ``[start, stop)`` into ``acc``; ``stages`` < 4 stops after the design (1), growth (2) or counting (3)."""
    a, c = pr["ac"]
    _run(start, stop, pr["n"], pr["keys"], a, c, *pr["jk"], pr["tri"], np.empty(pr["k"]), pr["sp_c"], pr["sp_col"],
         pr["der_num"], pr["der_c"], pr["der_col"], pr["dev_kind"], pr["levers"], pr["d_infra"], pr["d_env"],
         pr["infra"], *pr["budget"], pr["tot_mask"], pr["lk_sector"], pr["lk_c"], pr["lk_col"], pr["ent_c"],
         pr["ent_col"], pr["share"], pr["dist_c"], pr["dist_col"], pr["sk"], pr["tgt"], pr["paths"], _bound_table(),
         *_binomial_tables(), **acc, stages=stages)


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
    return {"p_reach": dict(zip(pr["names"], (total["hits"] / draws).tolist(), strict=True)),
            "p_all": float(total["joint"][0] / draws), "undecided": int(total["undecided"][0]),
            "p_path": dict(zip([p.id for p in sc.targets.paths if p.indicator in pr["indicators"]],
                               (total["pathhits"] / draws).tolist(), strict=True)),
            "mean": {name: (total["sums"][i] / draws).tolist() for i, name in enumerate(pr["indicators"])}}
