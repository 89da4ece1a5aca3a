"""Benchmark of jdmodel.symbolic (a script, not a test): the lambdified update against the hand code.

1. One year's update of the growth block for D draws x the default plan's sectors: the sympy-lambdified
   ``jdmodel.symbolic.kernel.update`` against the engine's hand-written ``jdmodel.growth``
   functions, same inputs, same run; D = 1 (a widget), 1 000, 100 000.
2. The whole growth chain over the plan's years: ``kernel.run_growth`` against ``engine.run`` (growth block
   only), baseline central values broadcast to D draws.
3. One-off costs: building and lambdifying the sympy expressions (first call), ``import sympy``.

Ratios > 1 mean the lambdified code is slower. Run: ``python benchmarks/bench_symbolic.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

import numpy as np

from jdmodel import engine, growth
from jdmodel.params.plan import load_plan
from jdmodel.params.scenario import central_values, load_scenario

SECTORS = load_plan().sector_ids


def best_of(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def step_inputs(d: int, seed: int = 0) -> tuple[dict, dict, dict]:
    rng = np.random.default_rng(seed)
    s = len(SECTORS)

    def u(lo, hi, shape=(d, s)):
        return rng.uniform(lo, hi, shape)

    land = u(0, 10)
    state = {"capital": u(1, 2000), "talent": u(100, 60000), "land": u(5, 500), "tfp": u(0.01, 2),
             "land_budget": u(0, 60, (d, 1)), "value_added": u(5, 300)}
    inputs = {"funds": u(0, 30), "talent_lever": u(0, 2000), "land_lever": land,
              "land_requested_total": land.sum(axis=1, keepdims=True), "d_infrastructure": u(0, 0.1, (d, 1)),
              "d_environment": u(0, 0.05, (d, 1))}
    params = {"investment_rate": u(0, 0.4), "depreciation": u(0, 0.3),
              "leverage": u(0, 6), "talent_attrition": u(0, 0.2), "talent_organic": u(0, 5000),
              "tfp_growth": u(0, 0.1), "infra_effect": u(0, 0.3), "environment_effect": u(0, 0.1),
              "alpha": u(0.1, 0.5), "beta": u(0.1, 0.6), "gamma": u(0.02, 0.2)}
    return state, inputs, params


def hand_step(state: dict, inputs: dict, p: dict) -> tuple:
    """The engine's loop body (engine.run) on the same inputs."""
    K = growth.capital_step(state["capital"], p["depreciation"], p["investment_rate"] * state["value_added"],
                            p["leverage"], inputs["funds"])
    H = growth.talent_step(state["talent"], p["talent_attrition"], p["talent_organic"],
                           inputs["talent_lever"])
    granted, remaining = growth.land_grant(inputs["land_lever"], state["land_budget"][:, 0])
    L = state["land"] + granted
    A = growth.tfp_step(state["tfp"], p["tfp_growth"], p["infra_effect"], inputs["d_infrastructure"],
                        p["environment_effect"], inputs["d_environment"])
    return K, H, L, A, remaining, growth.cobb_douglas(A, K, H, L, p["alpha"], p["beta"], p["gamma"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs")

    code = "import time; t = time.perf_counter(); import sympy; print(time.perf_counter() - t)"
    t_import = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
    t0 = time.perf_counter()
    from jdmodel.symbolic import kernel

    kernel.compiled_update()
    t_build = time.perf_counter() - t0
    print(f"one-off: import sympy {t_import:.3f} s (fresh process); "
          f"build + lambdify the update {t_build:.3f} s")

    print(f"\n1. one year's update, D draws x {len(SECTORS)} sectors (best of repeats)")
    for d in (1, 1_000, 100_000):
        state, inputs, params = step_inputs(d)
        t_hand = best_of(lambda s=state, i=inputs, p=params: hand_step(s, i, p), args.repeat)
        t_sym = best_of(lambda s=state, i=inputs, p=params: kernel.update(s, i, p), args.repeat)
        print(f"   D = {d:7d}: hand {t_hand * 1e3:8.3f} ms, lambdified {t_sym * 1e3:8.3f} ms, "
              f"ratio lambdified/hand {t_sym / t_hand:5.2f}")

    sc = load_scenario("baseline")
    print(f"\n2. growth chain {sc.plan.years.base}–{sc.plan.years.horizon} (baseline, central values broadcast to D "
          "draws)")
    base = {k: v for k, v in central_values(sc).items() if not k.startswith("counting.")}
    for d in (1, 10_000):
        values = {k: np.repeat(v, d, axis=0) for k, v in base.items()}
        t_eng = best_of(lambda v=values: engine.run(v, plan=sc.plan, totals=sc.targets.total_of), args.repeat)
        t_sym = best_of(lambda v=values: kernel.run_growth(v, sc), args.repeat)
        print(f"   D = {d:7d}: engine.run {t_eng * 1e3:8.2f} ms, kernel.run_growth {t_sym * 1e3:8.2f} ms, "
              f"ratio {t_sym / t_eng:5.2f}")


if __name__ == "__main__":
    main()
