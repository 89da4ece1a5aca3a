"""Benchmark of jdmodel.inputoutput (a script, not a test): prints timings and ratios.

1. Total output for a new final demand and output multipliers of a random productive table,
   n = 500, 2000, 4000: jdmodel (one LU factorisation, two solves) against pymrio's iomath
   functions (explicit inverse) on the same table in the same run.
2. The engine link: a batched mixed-model solve over 10 000 draws x the default plan's years at
   its IO table's sectors (Jiading: 11 years, 42 sectors; goal < 1 s).

Run: ``python benchmarks/bench_inputoutput.py [--sizes 500 2000 4000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from jdmodel.inputoutput import IOTable, economy_wide, load_regional
from jdmodel.inputoutput import algebra as alg


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def random_flows(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.uniform(0, 1, (n, n)) * rng.uniform(0.2, 0.8, n) / (0.5 * n)
    f = rng.uniform(1, 100, n)
    x = np.linalg.solve(np.eye(n) - A, f)
    return A * x, f, rng.uniform(1, 100, n)


def bench_table(n: int, repeat: int) -> None:
    Z, f, f_new = random_flows(n)

    def ours():
        t = IOTable.from_arrays(Z, f)
        return t.output(f_new), t.multipliers("output")

    line = f"n = {n:5d}: jdmodel {{:.3f}} s"
    t_ours, (x1, m1) = best_of(ours, repeat)
    try:
        from pymrio.tools import iomath
    except ImportError:
        print(line.format(t_ours) + "   (pymrio not installed: no ratio)")
        return

    def theirs():
        x = iomath.calc_x(Z, f[:, None]).ravel()
        L = iomath.calc_L(iomath.calc_A(Z, x))
        return iomath.calc_x_from_L(L, f_new).ravel(), L.sum(axis=0)

    t_ref, (x2, m2) = best_of(theirs, repeat)
    err = max(np.max(np.abs(x1 - x2) / np.abs(x2)), np.max(np.abs(m1 - m2) / m2))
    print(line.format(t_ours) + f", pymrio {t_ref:.3f} s, ratio pymrio/jdmodel {t_ref / t_ours:5.2f}"
          f"   (max relative difference {err:.1e})")


def bench_link(draws: int, repeat: int) -> None:
    from jdmodel.params.scenario import central_values, load_scenario
    from jdmodel.pipeline.simulate import rederive

    sc = load_scenario("baseline")                 # the default plan: its sectors, years and IO table
    io = load_regional(plan=sc.plan)
    values = rederive(sc, central_values(sc))
    base = np.array([[float(values[f"sectors.{s}.base_output"][0]) for s in sc.plan.sector_ids]])
    years, S, n = len(sc.plan.years.all), base.shape[1], io.A.shape[0]
    rng = np.random.default_rng(1)
    y = base[:, :, None] * np.linspace(1, 2, years) * rng.uniform(0.8, 1.2, (draws, S, 1))
    t_link, out = best_of(lambda: economy_wide(io, y, base), repeat)
    k = io.exogenous.size
    # the same solve written as a Python loop over draws, to show what batching saves
    endo = np.setdiff1d(np.arange(n), io.exogenous)
    x_exo = out["io_output"][..., io.exogenous]
    sub = min(draws, 500)
    t_loop, _ = best_of(lambda: [alg.mixed_model(io.A, io.exogenous, x_exo[d], io.f_base[endo])
                                 for d in range(sub)], 1)
    print(f"mixed model, {draws} draws x {years} years x {n} sectors ({k} exogenous): {t_link:.3f} s "
          f"(goal < 1 s); loop over draws would take ~{t_loop * draws / sub:.2f} s "
          f"(ratio {t_loop * draws / sub / t_link:.0f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 4000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPU(s), "
          f"best of {args.repeat}")
    for n in args.sizes:
        bench_table(n, args.repeat)
    bench_link(10_000, args.repeat)


if __name__ == "__main__":
    main()
