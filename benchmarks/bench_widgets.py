"""Benchmark of the levers dashboard (a script, not a test): prints timings and ratios.

One dashboard update is: build the overrides from the sliders, ``Scenario.with_overrides``,
``jd.simulate`` (``io=False``), ``jd.assess`` — the *model time*, which should stay well under
100 ms for 1 draw and for a few hundred draws — followed by drawing the figure and the target
panel (render time). Ratios are against a bare central ``jd.simulate(sc, io=False)`` measured in
the same run.

Run: ``python benchmarks/bench_widgets.py [--draws 1 100 300 500] [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

import jdmodel as jd
from jdmodel.widgets import Dashboard


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=[1, 100, 300, 500])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--scenario", default="plan")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs; "
          f"best of {args.repeat}")

    sc = jd.load_scenario(args.scenario)
    jd.simulate(sc, io=False)                               # warm caches and imports
    base = best_of(lambda: jd.simulate(sc, io=False), args.repeat)
    print(f"reference: central jd.simulate({args.scenario!r}, io=False): {1000 * base:.1f} ms\n")

    dash = Dashboard(args.scenario, debounce=0, chinese=False)
    slider = dash.sliders[("funds", "ecommerce")]
    levels = [slider.value + 1.0, slider.value + 2.0]      # every move changes the value
    print(f"{'draws':>6} {'model ms':>9} {'× ref':>7} {'render ms':>10} {'update ms':>10}  model < 100 ms")
    for draws in args.draws:
        dash.draws_picker.value = draws                     # one warm-up update at this size
        model, render, total = [], [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            slider.value = levels[1] if slider.value == levels[0] else levels[0]   # one update (debounce=0)
            total.append(time.perf_counter() - t0)
            model.append(dash.model_seconds)
            render.append(dash.render_seconds)
        m, r, t = min(model), min(render), min(total)
        print(f"{draws:>6d} {1000 * m:>9.1f} {m / base:>7.1f} {1000 * r:>10.1f} {1000 * t:>10.1f}  "
              f"{'yes' if m < 0.1 else 'NO'}")
    print("\nmodel = overrides + with_overrides + simulate + assess; render = figure PNG + target panel.")


if __name__ == "__main__":
    main()
